//! Checklist jobs: every item of a checklist asked of every document in scope, each cell
//! stored as soon as it is decided. A job is resumable from any interruption: it keeps its
//! checklist and documents, and a resumed run decides only the cells it lacks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::Instant;

use super::*;
use crate::answer::Source;
use crate::checklist::decide::{self, CellState, ItemMatcher, SentenceCache, Suggestion};
use crate::checklist::{Checklist, model};
use crate::llm::prompt::{Passage, PromptParts};
use crate::llm::{GenerationEvent, GenerationRequest};
use crate::pii::mask::PromptMask;
use crate::process::ProcessId;
use crate::storage::checklists::{self, Decision, DecisionKind, JobRow, JobState, NewJob};
use crate::storage::review::{ReviewMark, ReviewStatus};

/// Passages of a document retrieved per item.
const PASSAGES_PER_ITEM: usize = 4;
/// Of those, how many per item the model reads (all items' together, once per document).
const MODEL_PASSAGES_PER_ITEM: usize = 2;
/// Most passages of one document in a model's prompt.
const MAX_MODEL_PASSAGES: usize = 8;
/// Longest reply the model may write for one cell, in tokens.
const MAX_REPLY_TOKENS: u32 = 120;

/// Which documents a checklist job or a report covers: those named, with any of the tags,
/// in the review state; every ingested document when nothing is given.
#[derive(Debug, Clone, Default)]
pub struct JobScope {
    pub documents: Vec<i64>,
    pub tags: Vec<String>,
    pub status: Option<ReviewMark>,
}

impl JobScope {
    /// The ingested documents of `rows` (every document, as the review report lists them)
    /// that the scope selects, in their order; none is not an error, but an id that is not
    /// an ingested document is.
    pub(super) fn select<'a>(
        &self,
        rows: &'a [ReportRow],
    ) -> Result<Vec<&'a ReportRow>, ServiceError> {
        let by_id: std::collections::HashMap<i64, &ReportRow> =
            rows.iter().map(|r| (r.doc_id, r)).collect();
        for id in &self.documents {
            match by_id.get(id) {
                None => return Err(ServiceError::NoSuchDocument(*id)),
                Some(row) if row.ingest_status != "ingested" => {
                    return Err(ServiceError::Job(format!(
                        "document {id} cannot be reviewed: its ingest status is {}",
                        row.ingest_status
                    )));
                }
                Some(_) => {}
            }
        }
        let named: std::collections::HashSet<i64> = self.documents.iter().copied().collect();
        Ok(rows
            .iter()
            .filter(|r| r.ingest_status == "ingested")
            .filter(|r| named.is_empty() || named.contains(&r.doc_id))
            .filter(|r| self.tags.is_empty() || self.tags.iter().any(|t| r.review.tags.contains(t)))
            .filter(|r| match self.status {
                None => true,
                Some(ReviewMark::Reviewed) => r.review.status == ReviewStatus::Reviewed,
                Some(ReviewMark::Unreviewed) => r.review.status == ReviewStatus::Unreviewed,
                Some(ReviewMark::Flagged) => r.review.flagged,
                Some(ReviewMark::Unflagged) => !r.review.flagged,
            })
            .collect())
    }

    /// How the scope reads in a job's listing and a report's header.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.documents.is_empty() {
            let ids: Vec<String> = self.documents.iter().map(i64::to_string).collect();
            parts.push(format!("documents {}", ids.join(", ")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tagged {}", self.tags.join(" or ")));
        }
        if let Some(status) = self.status {
            parts.push(status.as_str().to_owned());
        }
        if parts.is_empty() {
            "all documents".into()
        } else {
            parts.join("; ")
        }
    }
}

/// A job, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobInfo {
    pub id: i64,
    pub checklist: String,
    pub title: String,
    pub scope: String,
    pub use_model: bool,
    pub state: JobState,
    /// Running, but the process running it has ended (killed, or the machine stopped):
    /// `kodiak review resume` goes on from where it stopped.
    pub interrupted: bool,
    pub documents: usize,
    pub items: usize,
    pub cells: usize,
    pub total: usize,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Where a running job stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub cells: usize,
    pub total: usize,
    pub documents: usize,
    pub total_documents: usize,
}

/// What a front end hears of a running job; it may stop the job between cells.
pub trait JobProgress: Sync {
    fn advanced(&self, _counts: JobCounts) {}
    fn cancelled(&self) -> bool {
        false
    }
    /// The flag behind `cancelled`, when there is one: a model's answer under way stops
    /// within a few tokens when it is set, rather than at the end of the cell.
    fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        None
    }
}

/// No progress shown.
impl JobProgress for () {}

/// What the model did for a job's cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ModelFigures {
    pub cells: usize,
    pub seconds: f64,
    pub prompt_tokens: usize,
    /// Prompt tokens whose cache was kept from the item before.
    pub reused_tokens: usize,
    pub completion_tokens: usize,
}

/// How a run of a job ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobOutcome {
    pub job: i64,
    pub state: JobState,
    /// Cells decided by this run.
    pub decided: usize,
    /// Cells the job holds now, of all it will hold.
    pub cells: usize,
    pub total: usize,
    pub seconds: f64,
    pub model: Option<ModelFigures>,
    /// Quotes dropped because they did not match the stored text (never shown).
    pub quotes_dropped: usize,
    /// Why the model was not used, when it was asked for.
    pub notes: Vec<String>,
}

/// A job's grid: a row per document, a cell per item (None until decided).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    pub job: JobInfo,
    pub checklist: Checklist,
    pub rows: Vec<GridRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridRow {
    pub doc_id: i64,
    pub title: String,
    pub path: String,
    /// In the checklist's item order.
    pub cells: Vec<Option<GridCell>>,
}

/// One cell: the machine's suggestion and, apart, the reviewer's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCell {
    pub suggestion: Suggestion,
    pub decision: Option<Decision>,
}

impl GridCell {
    /// The state that counts: the reviewer's when they decided, else the suggestion's.
    pub fn state(&self) -> CellState {
        match self.decision.as_ref().map(|d| d.decision) {
            Some(DecisionKind::NotFound) => CellState::NotFound,
            Some(DecisionKind::Confirmed | DecisionKind::Corrected) => CellState::Found,
            None => self.suggestion.state,
        }
    }

    /// The answer that counts.
    pub fn answer(&self) -> &str {
        match &self.decision {
            Some(Decision {
                answer: Some(answer),
                ..
            }) => answer,
            Some(Decision {
                decision: DecisionKind::NotFound,
                ..
            }) => "",
            _ => &self.suggestion.answer,
        }
    }
}

/// A reviewer's decision as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionInput {
    /// The suggestion is right.
    Confirm,
    /// The right answer is this.
    Correct(String),
    /// The document has no such clause.
    NotFound,
    /// Withdraw the decision: the suggestion counts again.
    Clear,
}

/// One run's context, built once: the checklist, its items' matchers and query vectors, the
/// model to ask.
struct Run<'k> {
    job: i64,
    checklist: Checklist,
    matchers: Vec<ItemMatcher>,
    queries: Vec<String>,
    vectors: Option<Vec<Vec<f32>>>,
    engine: Option<&'k GeneratorWorker>,
    cancel: Arc<AtomicBool>,
}

/// Counters of a run, shared by its documents.
#[derive(Default)]
struct Tally {
    decided: usize,
    quotes_dropped: usize,
    model: ModelFigures,
}

impl Kodiak {
    /// Creates a job of `checklist` over the documents `scope` selects; `use_model` asks
    /// the generator (when one is configured) for each cell. Run it with
    /// [`Kodiak::run_checklist`].
    pub fn start_checklist(
        &self,
        checklist: &Checklist,
        scope: &JobScope,
        use_model: bool,
    ) -> Result<i64, ServiceError> {
        self.check_changeable()?;
        let documents = self.scope_documents(scope)?;
        let definition = serde_json::to_string(checklist).map_err(super::record_error)?;
        let use_model = use_model && self.settings.paths.generator_model.is_some();
        let user = crate::guard::user_name();
        self.db.write(|tx| {
            let job = checklists::create(
                tx,
                &NewJob {
                    checklist: &checklist.name,
                    definition: &definition,
                    scope: &scope.describe(),
                    use_model,
                    documents: &documents,
                    created_by: &user,
                },
            )?;
            self.audit(
                tx,
                "checklist_job",
                serde_json::json!({
                    "job": job,
                    "checklist": checklist.name,
                    "items": checklist.items.len(),
                    "documents": documents,
                    "use_model": use_model,
                }),
            )?;
            Ok::<_, ServiceError>(job)
        })
    }

    /// The ingested documents `scope` selects, attachments after their e-mail.
    fn scope_documents(&self, scope: &JobScope) -> Result<Vec<i64>, ServiceError> {
        let rows = self.review_report()?;
        let chosen: Vec<i64> = scope.select(&rows)?.iter().map(|r| r.doc_id).collect();
        if chosen.is_empty() {
            return Err(ServiceError::Job(format!(
                "no ingested document matches the scope ({}); `kodiak docs list` shows them",
                scope.describe()
            )));
        }
        Ok(chosen)
    }

    /// Every checklist job, newest first.
    pub fn checklist_jobs(&self) -> Result<Vec<JobInfo>, ServiceError> {
        let rows = checklists::list(&*self.db.conn()?)?;
        rows.into_iter()
            .map(|row| Ok(job_info(&row, &stored_checklist(&row)?)))
            .collect()
    }

    /// One job.
    pub fn checklist_job(&self, job: i64) -> Result<JobInfo, ServiceError> {
        let row = self.job_row(job)?;
        Ok(job_info(&row, &stored_checklist(&row)?))
    }

    fn job_row(&self, job: i64) -> Result<JobRow, ServiceError> {
        checklists::get(&*self.db.conn()?, job)?.ok_or(ServiceError::NoSuchJob(job))
    }

    /// Asks the job to stop; a run in another process stops before its next cell. The
    /// cells stored stay; `kodiak review resume` goes on.
    pub fn cancel_checklist(&self, job: i64) -> Result<JobInfo, ServiceError> {
        let row = self.job_row(job)?;
        if row.state == JobState::Running {
            self.db.write(|tx| {
                checklists::set_state(tx, job, JobState::Cancelled, None)
                    .map_err(ServiceError::from)
            })?;
        }
        self.checklist_job(job)
    }

    /// Runs (or resumes) a job until every cell is decided, the job is cancelled or
    /// `progress` asks to stop. Each cell is stored as soon as it is decided.
    pub fn run_checklist(
        &self,
        job: i64,
        progress: &dyn JobProgress,
    ) -> Result<JobOutcome, ServiceError> {
        self.check_changeable()?;
        let started = Instant::now();
        let row = self.job_row(job)?;
        if let Some(writer) = row.writer
            && row.state == JobState::Running
            && writer != ProcessId::current()
            && writer.is_alive()
        {
            return Err(ServiceError::Job(format!(
                "job {job} is being run by process {}; wait for it or cancel it with \
                 `kodiak review cancel {job}`",
                writer.pid
            )));
        }
        let checklist = stored_checklist(&row)?;
        let documents = checklists::documents(&*self.db.conn()?, job)?;
        let total = documents.len() * checklist.items.len();
        if row.state != JobState::Done {
            self.db.write(|tx| {
                checklists::set_state(tx, job, JobState::Running, Some(ProcessId::current()))
                    .map_err(ServiceError::from)
            })?;
        }
        let mut notes = Vec::new();
        let engine = match (row.use_model, row.state) {
            (true, JobState::Running | JobState::Cancelled) => match self.why_extractive(false) {
                Ok(engine) => Some(engine),
                Err(reason) => {
                    notes.push(format!("cells decided without the model: {reason}"));
                    None
                }
            },
            _ => None,
        };
        let queries: Vec<String> = checklist
            .items
            .iter()
            .map(|item| format!("{} {}", item.question, item.terms.join(" ")))
            .collect();
        let vectors = self.query_vectors(&queries, &mut notes);
        let run = Run {
            job,
            matchers: checklist.items.iter().map(ItemMatcher::new).collect(),
            checklist,
            queries,
            vectors,
            engine,
            // The front end's stop reaches a generation under way, not only the next cell.
            cancel: progress.cancel_flag().unwrap_or_default(),
        };
        // Read once: the cells this run stores are counted as they are stored, not read back
        // after every document.
        let done = checklists::done(&*self.db.conn()?, job)?;
        let mut tally = Tally::default();
        let mut state = row.state;
        if state != JobState::Done {
            state = JobState::Running;
            progress.advanced(JobCounts {
                cells: done.len(),
                total,
                documents: 0,
                total_documents: documents.len(),
            });
            for (position, &document) in documents.iter().enumerate() {
                let pending: Vec<usize> = (0..run.checklist.items.len())
                    .filter(|&i| !done.contains(&(document, run.checklist.items[i].id.clone())))
                    .collect();
                if !pending.is_empty() {
                    let before = done.len() + tally.decided;
                    let stopped = self.checklist_document(
                        &run,
                        document,
                        &pending,
                        &mut tally,
                        &mut || {
                            Ok(progress.cancelled()
                                || checklists::state(&*self.db.conn()?, job)?
                                    != Some(JobState::Running))
                        },
                        &mut |decided| {
                            progress.advanced(JobCounts {
                                cells: before + decided,
                                total,
                                documents: position,
                                total_documents: documents.len(),
                            })
                        },
                    )?;
                    if stopped {
                        state = JobState::Cancelled;
                        break;
                    }
                }
                progress.advanced(JobCounts {
                    cells: done.len() + tally.decided,
                    total,
                    documents: position + 1,
                    total_documents: documents.len(),
                });
            }
            if state == JobState::Running {
                state = JobState::Done;
            }
            let decided = tally.decided;
            self.db.write(|tx| {
                checklists::set_state(tx, job, state, None)?;
                self.audit(
                    tx,
                    "checklist_run",
                    serde_json::json!({ "job": job, "state": state.as_str(), "decided": decided }),
                )
                .map_err(ServiceError::from)
            })?;
        }
        let cells = checklists::done(&*self.db.conn()?, job)?.len();
        Ok(JobOutcome {
            job,
            state,
            decided: tally.decided,
            cells,
            total,
            seconds: started.elapsed().as_secs_f64(),
            model: run.engine.map(|_| tally.model),
            quotes_dropped: tally.quotes_dropped,
            notes,
        })
    }

    /// The items' query vectors, embedded together once per run; None (with a note) when
    /// there is no embedder or it fails: retrieval is then BM25 alone.
    fn query_vectors(&self, queries: &[String], notes: &mut Vec<String>) -> Option<Vec<Vec<f32>>> {
        self.settings.paths.embedder_model.as_ref()?;
        let outcome = self
            .start_queries_embedding(queries.to_vec())
            .and_then(|pending| {
                self.sync_vectors(pending.handle())
                    .map_err(|e| e.to_string())?;
                pending.wait().map_err(|e| e.to_string())
            });
        match outcome {
            Ok(vectors) if vectors.len() == queries.len() => Some(vectors),
            Ok(_) => {
                notes.push(
                    "vector search unavailable (the embedder answered short); BM25 only".into(),
                );
                None
            }
            Err(reason) => {
                notes.push(format!("vector search unavailable ({reason}); BM25 only"));
                None
            }
        }
    }

    /// Decides the `pending` items of one document and stores each cell as it is decided.
    /// True when `stop` asked to stop.
    fn checklist_document(
        &self,
        run: &Run<'_>,
        document: i64,
        pending: &[usize],
        tally: &mut Tally,
        stop: &mut dyn FnMut() -> Result<bool, ServiceError>,
        decided: &mut dyn FnMut(usize),
    ) -> Result<bool, ServiceError> {
        let Some((text, _)) = documents::text(&*self.db.conn()?, document)? else {
            // Removed since the job began: its cells went with it.
            return Ok(false);
        };
        let mut cache = SentenceCache::default();
        let mut prepared = Vec::with_capacity(pending.len());
        let mut stored = 0;
        for &i in pending {
            if stop()? {
                return Ok(true);
            }
            let item = &run.checklist.items[i];
            let sources = self.item_passages(run, document, i)?;
            let suggestion = decide::extractive(item, &run.matchers[i], &sources, &mut cache);
            match run.engine {
                None => {
                    self.store_cell(run.job, document, &item.id, suggestion, &text, tally)?;
                    stored += 1;
                    decided(stored);
                }
                Some(_) => prepared.push((i, sources, suggestion)),
            }
        }
        let Some(engine) = run.engine else {
            return Ok(false);
        };
        let sources = model_sources(&prepared);
        let passages = self.masked_passages(&sources)?;
        for (i, _, extractive) in prepared {
            if stop()? {
                return Ok(true);
            }
            let item = &run.checklist.items[i];
            let suggestion = match self.ask_item(engine, run, item, &passages, tally) {
                Ok(Some(reply)) => {
                    model::suggestion(item, &model::parse_reply(&reply), &sources, extractive)
                }
                // Stopped mid-answer: the cell is left for the resumed run.
                Ok(None) => return Ok(true),
                Err(reason) => Suggestion {
                    note: Some(format!("the model failed ({reason}); decided without it")),
                    ..extractive
                },
            };
            self.store_cell(run.job, document, &item.id, suggestion, &text, tally)?;
            stored += 1;
            decided(stored);
        }
        Ok(false)
    }

    /// The document's best passages for item `i`, by hybrid search when the item has a
    /// query vector, else BM25.
    fn item_passages(
        &self,
        run: &Run<'_>,
        document: i64,
        i: usize,
    ) -> Result<Vec<Source>, ServiceError> {
        let index = self.index()?;
        let retrieval = &self.settings.config.retrieval;
        let scope = [document];
        let request = SearchRequest {
            text: &run.queries[i],
            limit: PASSAGES_PER_ITEM,
            candidates: PASSAGES_PER_ITEM * 4,
            scope: Some(&scope),
            weights: FusionWeights {
                k: retrieval.rrf_k,
                bm25: retrieval.bm25_weight,
                vector: retrieval.vector_weight,
            },
        };
        let vector = run.vectors.as_ref().and_then(|v| v.get(i));
        let mode = if vector.is_some() {
            Mode::Hybrid
        } else {
            Mode::Bm25
        };
        let ranked = crate::search::rank(index, mode, &request, |candidates, scope| {
            let vectors = self.vectors.lock().ok()?;
            Some(vectors.matrix.as_ref()?.search(vector?, candidates, scope))
        })?;
        let ids: Vec<i64> = ranked.fused.iter().map(|f| f.chunk_id).collect();
        let chunks = documents::chunk_details(&*self.db.conn()?, &ids, PASSAGES_PER_ITEM)?;
        Ok(ranked
            .hits(chunks)
            .enumerate()
            .map(|(n, (hit, text))| Source {
                n: n + 1,
                hit,
                text,
            })
            .collect())
    }

    /// The passages as the model sees them: personal data masked as in `ask`.
    fn masked_passages(
        &self,
        sources: &[Source],
    ) -> Result<(Vec<Passage>, PromptMask), ServiceError> {
        let redact = self.settings.config.pii.redact_for_llm;
        let mut mask = PromptMask::with_originals(BTreeMap::new());
        let conn = self.db.conn()?;
        let mut passages = Vec::with_capacity(sources.len());
        for source in sources {
            let hit = &source.hit;
            let text = if redact {
                let pii = documents::pii_in_range(&conn, hit.doc_id, hit.char_start, hit.char_end)?;
                mask.mask(
                    &source.text,
                    &super::ask::chunk_spans(&source.text, hit.char_start, &pii),
                )
            } else {
                source.text.clone()
            };
            passages.push(Passage {
                number: source.n,
                title: hit.label().to_owned(),
                page: hit.page,
                text,
            });
        }
        Ok((passages, mask))
    }

    /// The model's reply to one item over a document's passages, with personal data
    /// restored (None when the run was stopped while it was written); counts its figures.
    fn ask_item(
        &self,
        engine: &GeneratorWorker,
        run: &Run<'_>,
        item: &crate::checklist::Item,
        (passages, mask): &(Vec<Passage>, PromptMask),
        tally: &mut Tally,
    ) -> Result<Option<String>, String> {
        if !self.breakers.generator.allow() {
            return Err("generation is paused after failures in a row".into());
        }
        let started = Instant::now();
        let request = GenerationRequest {
            id: 1,
            parts: PromptParts {
                system: model::SYSTEM_PROMPT.into(),
                examples: model::worked_examples(),
                passages: passages.clone(),
                history: Vec::new(),
                question: model::question(item),
                restate_question: false,
            },
            max_tokens: Some(MAX_REPLY_TOKENS.min(self.settings.config.generator.max_tokens)),
            cancel: Arc::clone(&run.cancel),
        };
        let (events, replies) = mpsc::channel();
        engine.generate(request, events);
        let mut text = String::new();
        for event in replies {
            match event {
                GenerationEvent::Prompt { .. } => {}
                GenerationEvent::Token { text: piece, .. } => text.push_str(&piece),
                GenerationEvent::Done {
                    finish: crate::llm::Finish::Cancelled,
                    ..
                } => return Ok(None),
                GenerationEvent::Done { stats, .. } => {
                    self.breakers.generator.success();
                    let figures = &mut tally.model;
                    figures.cells += 1;
                    figures.seconds += started.elapsed().as_secs_f64();
                    figures.prompt_tokens += stats.prompt_tokens;
                    figures.reused_tokens += stats.reused_tokens;
                    figures.completion_tokens += stats.completion_tokens;
                    return Ok(Some(mask.restore(&text)));
                }
                GenerationEvent::Failed { error, .. } => {
                    self.generation_failed(&error);
                    return Err(error);
                }
            }
        }
        self.generation_failed("the model stopped without finishing");
        Err("the model stopped without finishing".into())
    }

    /// Stores a cell after checking its quotes against the document's stored text: a quote
    /// that does not match character for character is dropped, never shown.
    fn store_cell(
        &self,
        job: i64,
        document: i64,
        item: &str,
        mut suggestion: Suggestion,
        text: &str,
        tally: &mut Tally,
    ) -> Result<(), ServiceError> {
        let before = suggestion.evidence.len();
        suggestion
            .evidence
            .retain(|q| chars_of(text, q.char_start, q.char_end) == Some(q.text.as_str()));
        let dropped = before - suggestion.evidence.len();
        if dropped > 0 {
            tally.quotes_dropped += dropped;
            tracing::warn!(
                job,
                document,
                dropped,
                "evidence that did not match the text dropped"
            );
            if suggestion.evidence.is_empty() && suggestion.state == CellState::Found {
                suggestion.state = CellState::Uncertain;
                suggestion.note = Some("its quote did not match the stored text".into());
            }
        }
        let inserted = self.db.write(|tx| {
            checklists::insert_cell(tx, job, document, item, &suggestion)
                .map_err(ServiceError::from)
        })?;
        if inserted {
            tally.decided += 1;
        }
        Ok(())
    }

    /// A job's grid, with reviewers' decisions beside the suggestions.
    pub fn checklist_grid(&self, job: i64) -> Result<Grid, ServiceError> {
        let row = self.job_row(job)?;
        let checklist = stored_checklist(&row)?;
        let info = job_info(&row, &checklist);
        let conn = self.db.conn()?;
        let order = checklists::documents(&conn, job)?;
        let mut decisions = checklists::decisions(&conn, &checklist.name)?;
        let column: HashMap<&str, usize> = checklist
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.as_str(), i))
            .collect();
        let mut rows: Vec<GridRow> = Vec::with_capacity(order.len());
        let mut place: HashMap<i64, usize> = HashMap::new();
        for id in order {
            let Some(doc) = documents::get(&conn, id)? else {
                continue;
            };
            place.insert(id, rows.len());
            rows.push(GridRow {
                doc_id: id,
                title: crate::files::document_label(doc.title.as_deref(), &doc.path).to_owned(),
                path: doc.path.clone(),
                cells: vec![None; checklist.items.len()],
            });
        }
        for cell in checklists::cells(&conn, job)? {
            let (Some(&r), Some(&c)) =
                (place.get(&cell.document_id), column.get(cell.item.as_str()))
            else {
                continue;
            };
            rows[r].cells[c] = Some(GridCell {
                decision: decisions.remove(&(cell.document_id, cell.item.clone())),
                suggestion: cell.suggestion,
            });
        }
        Ok(Grid {
            job: info,
            checklist,
            rows,
        })
    }

    /// Records a reviewer's decision on a cell of `job` (kept per checklist, document and
    /// item: no run overwrites it); returns the cell as it now stands.
    pub fn decide_cell(
        &self,
        job: i64,
        document: i64,
        item: &str,
        input: DecisionInput,
        note: Option<&str>,
    ) -> Result<GridCell, ServiceError> {
        // The one cell, not the job's grid: a decision is a keypress in the terminal UI.
        let checklist = stored_checklist(&self.job_row(job)?)?;
        if checklist.item(item).is_none() {
            let ids: Vec<&str> = checklist.items.iter().map(|i| i.id.as_str()).collect();
            return Err(ServiceError::Job(format!(
                "checklist {} has no item {item:?}; its items: {}",
                checklist.name,
                ids.join(", ")
            )));
        }
        let conn = self.db.conn()?;
        if !checklists::documents(&conn, job)?.contains(&document) {
            return Err(ServiceError::Job(format!(
                "document {document} is not in job {job}"
            )));
        }
        let Some(stored) = checklists::cell(&conn, job, document, item)? else {
            return Err(ServiceError::Job(format!(
                "job {job} has not decided {item:?} for document {document} yet; \
                 `kodiak review resume {job}` decides it"
            )));
        };
        drop(conn);
        let cell = GridCell {
            suggestion: stored.suggestion,
            decision: None,
        };
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let decision = match input {
            DecisionInput::Clear => {
                self.db.write(|tx| {
                    checklists::undecide(tx, &checklist.name, document, item)?;
                    self.audit(
                        tx,
                        "checklist_decision",
                        serde_json::json!({
                            "job": job, "doc_id": document, "item": item, "decision": "cleared",
                        }),
                    )
                    .map_err(ServiceError::from)
                })?;
                return Ok(GridCell {
                    decision: None,
                    ..cell
                });
            }
            DecisionInput::Confirm => (
                DecisionKind::Confirmed,
                Some(cell.suggestion.answer.clone()),
            ),
            DecisionInput::Correct(answer) => {
                let answer = answer.trim().to_owned();
                if answer.is_empty() {
                    return Err(ServiceError::Job(
                        "a correction needs the right answer".into(),
                    ));
                }
                (DecisionKind::Corrected, Some(answer))
            }
            DecisionInput::NotFound => (DecisionKind::NotFound, None),
        };
        let decision = Decision {
            decision: decision.0,
            answer: decision.1,
            note,
            job_id: Some(job),
            decided_by: crate::guard::user_name(),
            decided_at: crate::telemetry::now_rfc3339(),
        };
        self.db.write(|tx| {
            checklists::decide(tx, &checklist.name, document, item, &decision)?;
            self.audit(
                tx,
                "checklist_decision",
                serde_json::json!({
                    "job": job,
                    "doc_id": document,
                    "item": item,
                    "decision": decision.decision.as_str(),
                }),
            )
            .map_err(ServiceError::from)
        })?;
        Ok(GridCell {
            decision: Some(decision),
            ..cell
        })
    }
}

/// The checklist a job was run with, as it stored it.
fn stored_checklist(row: &JobRow) -> Result<Checklist, ServiceError> {
    serde_json::from_str(&row.definition).map_err(|e| {
        ServiceError::Record(format!(
            "the stored checklist of job {} is damaged: {e}",
            row.id
        ))
    })
}

fn job_info(row: &JobRow, checklist: &Checklist) -> JobInfo {
    let interrupted =
        row.state == JobState::Running && row.writer.is_none_or(|writer| !writer.is_alive());
    JobInfo {
        id: row.id,
        checklist: row.checklist.clone(),
        title: checklist.title.clone(),
        scope: row.scope.clone(),
        use_model: row.use_model,
        state: row.state,
        interrupted,
        documents: row.documents,
        items: checklist.items.len(),
        cells: row.cells,
        total: row.documents * checklist.items.len(),
        created_by: row.created_by.clone(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    }
}

/// The passages the model reads for a document: each item's best, once each, in the
/// document's order, numbered from 1. The same for every item, so the model's cache of
/// them is kept from one item to the next.
fn model_sources(prepared: &[(usize, Vec<Source>, Suggestion)]) -> Vec<Source> {
    let mut chosen: Vec<Source> = Vec::new();
    for (_, sources, _) in prepared {
        for source in sources.iter().take(MODEL_PASSAGES_PER_ITEM) {
            if chosen.len() < MAX_MODEL_PASSAGES
                && !chosen.iter().any(|c| c.hit.chunk_id == source.hit.chunk_id)
            {
                chosen.push(source.clone());
            }
        }
    }
    chosen.sort_by_key(|s| s.hit.char_start);
    for (n, source) in chosen.iter_mut().enumerate() {
        source.n = n + 1;
    }
    chosen
}

/// Characters `start..end` of `text`, if it has them.
fn chars_of(text: &str, start: usize, end: usize) -> Option<&str> {
    let mut indices = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()));
    let from = indices.nth(start)?;
    let to = if end == start {
        from
    } else {
        indices.nth(end - start - 1)?
    };
    text.get(from..to)
}
