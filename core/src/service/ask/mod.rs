//! Asking: retrieve passages, have the local model answer from them (with personal data
//! masked on the way in and restored on the way out), or answer extractively when no model
//! can; every question and answer is stored in its conversation.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::conversation::{Turn, turns_of};
use super::generation::Ended;
use super::{Kodiak, SearchOptions, ServiceError};
use crate::answer::{self, Answer, AnswerMode, AnswerRecord, Evidence, Source};
use crate::config::Lead;
use crate::grounding;
use crate::llm::prompt::{Dropped, Exchange, PromptParts};
use crate::llm::{
    EngineSettings, Finish, GenerationRequest, GenerationStats, GeneratorState, GeneratorWorker,
    Sampling,
};
use crate::pii::Detector;
use crate::pii::mask::{PromptMask, StreamRestorer};
use crate::process::ProcessId;
use crate::storage::conversations::{self, MessageStatus, Role};
use crate::storage::documents;

mod scope;
mod turns;

use turns::*;

/// Characters of a question kept as a new conversation's title.
const TITLE_CHARS: usize = 80;

/// How often the answer written so far is saved while it streams: a process killed
/// mid-answer loses at most this much of it.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// What [`Kodiak::ask`] hands a front end as the answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// The evidence a generated answer leads with (`[generator] lead`), whole, before the
    /// model writes: the model's text that follows is a draft beneath it.
    Evidence(&'a str),
    /// The answer's text as it is written: the model's, piece by piece, or the extractive
    /// answer whole.
    Text(&'a str),
}

/// A question and its scope.
#[derive(Debug, Clone, Default)]
pub struct AskOptions {
    pub question: String,
    /// Only passages of these documents, when not empty.
    pub documents: Vec<i64>,
    /// Passages to retrieve; None: `[retrieval] passages`.
    pub passages: Option<usize>,
    /// Answer extractively without loading a model.
    pub no_llm: bool,
    /// Continue this conversation; None starts a new one.
    pub conversation: Option<i64>,
    /// Set to stop the answer (it is kept, marked cancelled).
    pub cancel: Arc<AtomicBool>,
}

impl Kodiak {
    fn engine_settings(&self) -> Option<EngineSettings> {
        let model = self.settings.paths.generator_model.clone()?;
        let g = &self.settings.config.generator;
        Some(EngineSettings {
            model,
            context_size: g.context_size,
            threads: g.threads,
            batch_size: g.batch_size,
            gpu_layers: g.gpu_layers,
            chat_template: (!g.chat_template.is_empty()).then(|| g.chat_template.clone()),
            sampling: Sampling {
                temperature: g.temperature,
                top_k: g.top_k,
                top_p: g.top_p,
                min_p: g.min_p,
                repeat_penalty: g.repeat_penalty,
                seed: g.seed,
            },
            max_tokens: g.max_tokens,
            stop: g.stop.clone(),
            timeout: Duration::from_secs(g.timeout_secs),
        })
    }

    /// Starts the generation worker, which loads the model in the background (once);
    /// None when no generator is configured.
    pub fn start_generator(&self) -> Option<&GeneratorWorker> {
        let settings = self.engine_settings()?;
        let generator = self
            .generator
            .get_or_init(|| GeneratorWorker::new(self.launch(), settings));
        generator.start();
        Some(generator)
    }

    /// The generation worker's state; None when no generator is configured.
    pub fn generator_status(&self) -> Option<GeneratorState> {
        self.settings.paths.generator_model.as_ref()?;
        Some(
            self.generator
                .get()
                .map_or(GeneratorState::NotStarted, GeneratorWorker::state),
        )
    }

    /// Answers `options.question`. Text is passed to `on_text` as it is written (the
    /// evidence first when the answer leads with it, the whole extractive answer at once);
    /// the returned [`Answer`] has everything.
    pub fn ask(
        &self,
        options: &AskOptions,
        on_text: &mut dyn FnMut(Piece<'_>),
    ) -> Result<Answer, ServiceError> {
        let question = options.question.trim();
        if question.is_empty() {
            return Err(ServiceError::EmptyQuestion);
        }
        self.check_changeable()?;
        self.count_request()?;
        let (conversation, history) = self.open_conversation(options.conversation, question)?;
        // The question is stored before anything can fail; the answer starts as
        // `generating` and is finished whatever happens.
        let answer_id = self.db.write(|tx| {
            conversations::add_message(
                tx,
                conversation,
                Role::User,
                question,
                MessageStatus::Complete,
            )?;
            let id = conversations::add_message(
                tx,
                conversation,
                Role::Assistant,
                "",
                MessageStatus::Generating,
            )?;
            // Who writes it: should this process end before finishing, the next Kodiak
            // to open sees it gone and marks the answer interrupted.
            let writer = AnswerRecord {
                writer: Some(ProcessId::current()),
                ..AnswerRecord::default()
            };
            let details = writer.to_stored().map_err(super::record_error)?;
            conversations::set_details(tx, id, &details).map_err(ServiceError::from)?;
            Ok::<_, ServiceError>(id)
        })?;
        let outcome = self.answer(
            options,
            question,
            conversation,
            answer_id,
            &history,
            on_text,
        );
        if let Err(error) = &outcome {
            let record = AnswerRecord {
                error: Some(error.to_string()),
                ..AnswerRecord::default()
            };
            let details = record.to_stored().map_err(super::record_error)?;
            self.db.write(|tx| {
                conversations::finish(tx, answer_id, "", MessageStatus::Failed, None, &details)
                    .map_err(ServiceError::from)?;
                self.audit_question(tx, conversation, question, &[])
            })?;
            return outcome.map(|(answer, _)| answer);
        }
        let (mut answer, record) = outcome?;
        if record.failed {
            answer.failure = Some(record.error.clone());
        } else if answer.finish == Some(Finish::Timeout) {
            // Stored as failed, so reported as failed: the two must agree.
            answer.failure = Some(format!(
                "the answer was cut off after {} s ([generator] timeout_secs)",
                self.settings.config.generator.timeout_secs
            ));
        }
        let status = match answer.finish {
            Some(Finish::Cancelled) => MessageStatus::Cancelled,
            Some(Finish::Timeout) => MessageStatus::Failed,
            _ if record.failed => MessageStatus::Failed,
            _ => MessageStatus::Complete,
        };
        let stored = AnswerRecord {
            citations: answer.citations.clone(),
            invalid_citations: answer.invalid_citations.clone(),
            sources: answer.sources.clone(),
            dropped: answer.dropped.clone(),
            stats: answer.stats,
            finish: answer.finish,
            notes: answer.notes.clone(),
            // Why the answer failed, as for a failure before generation.
            error: answer.failure.clone(),
            grounding: answer.grounding.clone(),
            evidence: answer.evidence.clone(),
            // What the model saw and wrote, masked: later turns replay it.
            prompt_user: record.prompt_user,
            model_text: record.model_text,
            placeholders: record.placeholders,
            writer: None,
        };
        let details = stored.to_stored().map_err(super::record_error)?;
        let cited: Vec<i64> = answer
            .citations
            .iter()
            .chain(answer.evidence.iter().flat_map(|e| &e.citations))
            .map(|c| c.chunk_id)
            .collect();
        self.db.write(|tx| {
            conversations::finish(
                tx,
                answer_id,
                &answer.answer,
                status,
                Some(answer.mode),
                &details,
            )
            .map_err(ServiceError::from)?;
            self.audit_question(tx, conversation, question, &cited)
        })?;
        Ok(answer)
    }

    /// The audit entry of a question: as the model would see it (personal data masked),
    /// with the chunks its answer cites; never the answer.
    fn audit_question(
        &self,
        tx: &rusqlite::Transaction<'_>,
        conversation: i64,
        question: &str,
        cited: &[i64],
    ) -> Result<(), ServiceError> {
        let detector = Detector::new(&self.settings.config.pii)?;
        let mut chunks = cited.to_vec();
        chunks.sort_unstable();
        chunks.dedup();
        self.audit(
            tx,
            super::Event::Ask {
                conversation,
                question: super::audit::masked(&detector, question),
                cited_chunks: chunks,
            },
        )?;
        Ok(())
    }

    /// The conversation to continue (or a new one) and its messages so far.
    fn open_conversation(
        &self,
        id: Option<i64>,
        question: &str,
    ) -> Result<(i64, Vec<Turn>), ServiceError> {
        let conn = self.db.conn()?;
        match id {
            Some(id) => {
                if !conversations::exists(&conn, id)? {
                    return Err(ServiceError::NoSuchConversation(id));
                }
                Ok((id, turns_of(&conversations::messages(&conn, id)?)?))
            }
            None => {
                drop(conn);
                let title: String = question.chars().take(TITLE_CHARS).collect();
                let id = self
                    .db
                    .write(|tx| conversations::create(tx, &title).map_err(ServiceError::from))?;
                Ok((id, Vec::new()))
            }
        }
    }

    fn answer(
        &self,
        options: &AskOptions,
        question: &str,
        conversation: i64,
        answer_id: i64,
        history: &[Turn],
        on_text: &mut dyn FnMut(Piece<'_>),
    ) -> Result<(Answer, Record), ServiceError> {
        let passages = options
            .passages
            .unwrap_or(self.settings.config.retrieval.passages);
        // A question the reviewer did not scope is asked of the documents it names.
        let (named, named_note) = match options.documents.is_empty() {
            true => match self.documents_named(question) {
                Ok(named) => (named, None),
                Err(e) => (
                    scope::Named::default(),
                    Some(format!(
                        "the documents the question names were not looked up: {e}"
                    )),
                ),
            },
            false => (scope::Named::default(), None),
        };
        let documents = match named.documents.is_empty() {
            true => options.documents.clone(),
            false => named.documents.clone(),
        };
        let found = self.search(
            question,
            &SearchOptions {
                mode: None,
                limit: passages,
                documents,
            },
        )?;
        let sources = self.sources(&found.hits)?;
        let mut notes = found.notes;
        notes.extend(named_note);
        if !named.labels.is_empty() {
            notes.push(format!(
                "asked of: {} (named in the question; scope the question to ask of others)",
                named.labels.join("; ")
            ));
        }
        let mut answer = Answer {
            answer: String::new(),
            mode: AnswerMode::Extractive,
            citations: Vec::new(),
            invalid_citations: Vec::new(),
            sources,
            dropped: Dropped::default(),
            stats: GenerationStats::default(),
            finish: None,
            conversation_id: conversation,
            notes: Vec::new(),
            failure: None,
            grounding: None,
            evidence: None,
            asked_of: named.labels,
        };
        let engine = match self.why_extractive(options.no_llm) {
            Ok(engine) => engine,
            Err(reason) => {
                notes.push(format!("extractive answer: {reason}"));
                answer.notes = notes;
                return Ok((
                    extractive(answer, question, &reason, on_text),
                    Record::default(),
                ));
            }
        };
        let (generated, record) = self.generate(
            engine,
            options,
            question,
            answer.clone(),
            (answer_id, history),
            on_text,
        )?;
        if record.failed && generated.answer.is_empty() {
            // Nothing was written: the passages themselves are still an answer.
            let reason = format!("generation failed: {}", record.error);
            notes.push(format!("extractive answer: {reason}"));
            answer.notes = notes;
            return Ok((extractive(answer, question, &reason, on_text), record));
        }
        let mut generated = generated;
        notes.append(&mut generated.notes);
        generated.notes = notes;
        Ok((generated, record))
    }

    /// The generator to answer with, or why the answer must be extractive. A generator
    /// whose breaker is open is not even started again: repeated crashes give extractive
    /// answers with the reason, not a crash loop.
    pub(super) fn why_extractive(&self, no_llm: bool) -> Result<&GeneratorWorker, String> {
        if no_llm {
            return Err("--no-llm was given".into());
        }
        let Some(settings) = self.engine_settings() else {
            return Err("no generator is configured ([generator] enabled = false)".into());
        };
        let generator = self
            .generator
            .get_or_init(|| GeneratorWorker::new(self.launch(), settings));
        // A model that cannot load says so every time, whatever the breaker.
        if let GeneratorState::Failed { reason } = generator.state() {
            return Err(format!("the model failed: {reason}"));
        }
        if !self.breakers.generator.allow() {
            let status = self.breakers.generator.status();
            let last = self
                .last_generation_failure
                .lock()
                .ok()
                .and_then(|last| last.clone())
                .map(|reason| format!(" (last: {reason})"))
                .unwrap_or_default();
            return Err(format!(
                "generation failed {} times in a row{last} and is paused for {:.0} s",
                status.failures,
                status.retry_in_secs.unwrap_or(0.0)
            ));
        }
        // Past the breaker, every outcome is recorded: a half-open breaker's one trial
        // must end.
        match generator.wait_loaded(crate::llm::worker::LOAD_WAIT) {
            GeneratorState::Ready(_) => Ok(generator),
            GeneratorState::NotStarted | GeneratorState::Loading => {
                self.generation_failed("the model did not load in time");
                Err("the model is still loading".into())
            }
            GeneratorState::Failed { reason } => {
                self.generation_failed(&reason);
                Err(format!("the model failed: {reason}"))
            }
            GeneratorState::Crashed { reason } => {
                self.generation_failed(&reason);
                Err(format!("the model process failed to start: {reason}"))
            }
        }
    }

    /// The hits with their chunk text, numbered from 1.
    fn sources(&self, hits: &[crate::search::Hit]) -> Result<Vec<Source>, ServiceError> {
        let ids: Vec<i64> = hits.iter().map(|h| h.chunk_id).collect();
        let chunks = documents::chunk_details(&*self.db.conn()?, &ids, ids.len())?;
        let mut sources = Vec::with_capacity(chunks.len());
        // The chunks come in the hits' order, less those deleted meanwhile.
        let mut ranked = hits.iter();
        for chunk in chunks {
            let Some(hit) = ranked.find(|h| h.chunk_id == chunk.chunk_id) else {
                continue;
            };
            sources.push(Source {
                n: sources.len() + 1,
                hit: hit.clone(),
                text: chunk.text,
            });
        }
        Ok(sources)
    }

    fn generate(
        &self,
        engine: &GeneratorWorker,
        options: &AskOptions,
        question: &str,
        mut answer: Answer,
        (answer_id, history): (i64, &[Turn]),
        on_text: &mut dyn FnMut(Piece<'_>),
    ) -> Result<(Answer, Record), ServiceError> {
        let all_sources = answer.sources.clone();
        let (exchanges, earlier) = replay(history);
        let mut mask = PromptMask::with_originals(earlier);
        let passages = self.prompt_passages(&answer.sources, &mut mask)?;
        // The evidence leads: it is shown while the model reads the prompt and writes.
        let g = &self.settings.config.generator;
        let evidence_leads =
            leads_with_evidence(g.lead, self.settings.paths.generator_model.as_deref());
        if evidence_leads {
            answer.evidence = Evidence::for_question(question, &answer.sources)
                .map(|evidence| evidence.asked_of(&answer.asked_of));
            if let Some(evidence) = &answer.evidence {
                on_text(Piece::Evidence(&evidence.text));
            }
        }
        let masked_question = self.prompt_question(question, &mut mask)?;
        let request = GenerationRequest {
            id: 1,
            parts: PromptParts {
                system: g.system_prompt.clone(),
                examples: match g.few_shot {
                    true => vec![crate::llm::prompt::worked_example()],
                    false => Vec::new(),
                },
                passages,
                history: exchanges,
                question: masked_question,
                restate_question: g.restate_question,
            },
            max_tokens: evidence_leads.then_some(g.draft_max_tokens.min(g.max_tokens)),
            cancel: Arc::clone(&options.cancel),
        };

        let mut restorer = StreamRestorer::new(&mask);
        let mut saved = Instant::now();
        let generated = self.generate_stream(engine, request, &mut |text, so_far| {
            let shown = restorer.push(text);
            if !shown.is_empty() {
                on_text(Piece::Text(&shown));
            }
            if saved.elapsed() >= SAVE_EVERY {
                saved = Instant::now();
                let partial = mask.restore(so_far);
                let stored = self.db.write(|tx| {
                    conversations::save_partial(tx, answer_id, &partial).map_err(ServiceError::from)
                });
                if let Err(e) = stored {
                    tracing::warn!(error = %e, "cannot save the answer written so far");
                }
            }
        });
        let rest = restorer.finish();
        if !rest.is_empty() {
            on_text(Piece::Text(&rest));
        }
        answer.dropped = generated.dropped;
        let mut record = Record {
            prompt_user: generated.prompt_user,
            model_text: generated.text,
            ..Record::default()
        };
        match generated.end {
            Ended::Failed(error) => {
                tracing::warn!(error = %error, "generation failed");
                answer.notes.push(format!("generation failed: {error}"));
                record.failed = true;
                record.error = error;
            }
            Ended::Done { finish, stats } => {
                if finish == Finish::Timeout {
                    answer
                        .notes
                        .push("the answer was cut off by generator.timeout_secs".into());
                }
                answer.finish = Some(finish);
                answer.stats = stats;
            }
        }
        // Sources the prompt had no room for were never seen by the model; those the
        // evidence quotes stay, after the model's text is checked against what it saw.
        let kept = generated.kept;
        answer.sources.retain(|s| kept.contains(&s.n));
        answer.answer = mask.restore(&record.model_text);
        answer.mode = AnswerMode::Generated;
        let (citations, invalid) = answer::cite(&answer.answer, &answer.sources);
        answer.citations = citations;
        answer.invalid_citations = invalid;
        answer.grounding = Some(grounding::check(&answer.answer, &answer.sources));
        if let Some(evidence) = &answer.evidence {
            answer.sources = all_sources
                .into_iter()
                .filter(|s| kept.contains(&s.n) || evidence.citations.iter().any(|c| c.n == s.n))
                .collect();
        }
        record.placeholders = mask.originals().clone();
        Ok((answer, record))
    }
}

/// Whether a generated answer by `model` leads with the evidence (`[generator] lead`): on
/// `auto`, for the models `scripts/fetch-models` fetches, whose answers the answer
/// benchmark measures as less accurate than the quoted passages.
fn leads_with_evidence(lead: Lead, model: Option<&std::path::Path>) -> bool {
    match lead {
        Lead::Evidence => true,
        Lead::Model => false,
        Lead::Auto => model.and_then(crate::llm::FetchedModel::named).is_some(),
    }
}

/// An extractive answer: the passages' best sentences for the question, all cited.
fn extractive(
    mut answer: Answer,
    question: &str,
    reason: &str,
    on_text: &mut dyn FnMut(Piece<'_>),
) -> Answer {
    let evidence = Evidence::for_question(question, &answer.sources)
        .map(|evidence| evidence.asked_of(&answer.asked_of));
    answer.answer = answer::labelled_evidence(evidence.as_ref(), reason);
    answer.mode = AnswerMode::Extractive;
    answer.citations = evidence.map_or_else(Vec::new, |e| e.citations);
    answer.invalid_citations = Vec::new();
    // The answer is the evidence itself.
    answer.evidence = None;
    on_text(Piece::Text(&answer.answer));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_auto_only_the_fetched_small_models_lead_with_evidence() {
        use crate::llm::FetchedModel;
        let gemma = FetchedModel::Gemma.path();
        let smol = FetchedModel::SmolLm2.path();
        let own = std::path::Path::new("/models/llama-3.1-8b-instruct-q4_k_m.gguf");
        assert!(leads_with_evidence(Lead::Auto, Some(&gemma)));
        assert!(leads_with_evidence(Lead::Auto, Some(&smol)));
        assert!(!leads_with_evidence(Lead::Auto, Some(own)));
        assert!(leads_with_evidence(Lead::Evidence, Some(own)));
        assert!(!leads_with_evidence(Lead::Model, Some(&gemma)));
    }
}
