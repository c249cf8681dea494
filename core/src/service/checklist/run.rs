//! A checklist job's run: per document, each item that names a clause type decided by the
//! clause detector (the document read once for all of them), each other item by its terms
//! over its best passages; where a model is used, it is asked only about the cells left
//! `uncertain`. Each cell is checked against the stored text and stored as soon as it is
//! decided.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::*;
use crate::checklist::decide::Quote;
use crate::clauses::{ClauseModel, Reader, Scores};
use crate::storage::documents::{ChunkPlace, PageRanges};

/// Passages of a document retrieved per item.
const PASSAGES_PER_ITEM: usize = 4;
/// Of those, how many per item the model reads (all items' together, once per document).
const MODEL_PASSAGES_PER_ITEM: usize = 2;
/// Most passages of one document in a model's prompt.
const MAX_MODEL_PASSAGES: usize = 8;
/// Longest reply the model may write for one cell, in tokens.
const MAX_REPLY_TOKENS: u32 = 120;
/// Sentences the detector ranks highest whose passages the model reads for an unsure cell.
const DETECTOR_PASSAGES_PER_ITEM: usize = 2;

/// The clause model and, per checklist item, the clause type it decides the item by.
pub(super) struct Detector {
    model: Arc<ClauseModel>,
    types: Vec<Option<usize>>,
    /// Remembers word stems from one document to the next.
    reader: RefCell<Reader>,
}

/// One run's context, built once: the checklist, its items' matchers and query vectors, the
/// model to ask.
struct Run<'k> {
    job: i64,
    checklist: Checklist,
    matchers: Vec<ItemMatcher>,
    queries: Vec<String>,
    vectors: Option<QueryVectors>,
    engine: Option<&'k GeneratorWorker>,
    detector: Option<Detector>,
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
        let detector = self.clause_detector(&checklist)?;
        let by_terms = detector.as_ref().map_or(checklist.items.len(), |d| {
            d.types.iter().filter(|t| t.is_none()).count()
        });
        let vectors = if by_terms > 0 {
            self.query_vectors(&queries, &mut notes)
        } else {
            None
        };
        let run = Run {
            job,
            matchers: checklist.items.iter().map(ItemMatcher::new).collect(),
            checklist,
            queries,
            vectors,
            engine,
            detector,
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
                        &mut |decided, item, suggestion| {
                            progress.cell(document, item, suggestion);
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
                    Event::ChecklistRun {
                        job,
                        state: state.as_str().to_owned(),
                        decided,
                    },
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
    fn query_vectors(&self, queries: &[String], notes: &mut Vec<String>) -> Option<QueryVectors> {
        self.settings.paths.embedder_model.as_ref()?;
        if self.vector_choice().ok()? == crate::config::VectorChoice::None {
            return None;
        }
        let outcome = self
            .start_queries_embedding(queries.to_vec())
            .and_then(|pending| pending.wait().map_err(|e| e.to_string()));
        let whole = |v: &Option<Vec<Vec<f32>>>| v.as_ref().is_none_or(|v| v.len() == queries.len());
        match outcome {
            Ok(vectors) if whole(&vectors.full) && whole(&vectors.fast) => Some(vectors),
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
        decided: &mut dyn FnMut(usize, &str, &Suggestion),
    ) -> Result<bool, ServiceError> {
        let Some((text, pages)) = documents::text(&*self.db.conn()?, document)? else {
            // Removed since the job began: its cells went with it.
            return Ok(false);
        };
        // The detector reads the whole document once, for every item it decides.
        let detected = match &run.detector {
            Some(detector) if pending.iter().any(|&i| detector.types[i].is_some()) => {
                let scores = detector
                    .model
                    .read(&mut detector.reader.borrow_mut(), &text);
                let conn = self.db.conn()?;
                let places = documents::places_with_pages(&conn, document)?;
                let ocr = documents::ocr_pages(&conn, document)?;
                Some((detector, scores, places, ocr))
            }
            _ => None,
        };
        let mut cache = SentenceCache::default();
        let mut prepared = Vec::with_capacity(pending.len());
        let mut stored = 0;
        for &i in pending {
            if stop()? {
                return Ok(true);
            }
            let item = &run.checklist.items[i];
            let by_detector = detected.as_ref().and_then(|d| Some((d, d.0.types[i]?)));
            let (suggestion, sources) = match by_detector {
                Some(((detector, scores, places, ocr), t)) => {
                    let mut suggestion =
                        decide::detected(item, &detector.model.types[t], t, scores, &text);
                    for quote in &mut suggestion.evidence {
                        place_quote(quote, places, &pages, ocr);
                    }
                    let sources = match run.engine {
                        Some(_) if suggestion.state == CellState::Uncertain => {
                            self.detector_passages(&text, scores, t, places)?
                        }
                        _ => Vec::new(),
                    };
                    (suggestion, sources)
                }
                None => {
                    let sources = self.item_passages(run, document, i)?;
                    let suggestion =
                        decide::extractive(item, &run.matchers[i], &sources, &mut cache);
                    (suggestion, sources)
                }
            };
            // The model settles only what the rules leave unsure (and only over passages
            // to read): a cell they decide stays theirs, so the model never lowers the
            // grid's accuracy.
            if run.engine.is_some()
                && suggestion.state == CellState::Uncertain
                && !sources.is_empty()
            {
                prepared.push((i, sources, suggestion));
            } else {
                let stored_cell =
                    self.store_cell(run.job, document, &item.id, suggestion, &text, tally)?;
                stored += 1;
                decided(stored, &item.id, &stored_cell);
            }
        }
        let Some(engine) = run.engine.filter(|_| !prepared.is_empty()) else {
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
            let stored_cell =
                self.store_cell(run.job, document, &item.id, suggestion, &text, tally)?;
            stored += 1;
            decided(stored, &item.id, &stored_cell);
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
        let scope = [document];
        let request = SearchRequest {
            text: &run.queries[i],
            limit: PASSAGES_PER_ITEM,
            candidates: PASSAGES_PER_ITEM * 4,
            scope: Some(&scope),
            weights: self.fusion_weights(),
        };
        let (full, fast) = run.vectors.as_ref().map_or((None, None), |v| v.get(i));
        let mode = if full.is_some() || fast.is_some() {
            Mode::Hybrid
        } else {
            Mode::Bm25
        };
        // The detector decides the item on its own; its ranking is not fused in again.
        let ranked = crate::search::rank(
            index,
            mode,
            &request,
            |candidates, scope| self.nearest_to(full, fast, candidates, scope).ok()?.0,
            |_| Vec::new(),
        )?;
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

    /// The clause model and the type each item names, when any item names one; an item
    /// naming a type the model does not know is refused, so that a misspelt name is not
    /// quietly decided by terms.
    pub(super) fn clause_detector(
        &self,
        checklist: &Checklist,
    ) -> Result<Option<Detector>, ServiceError> {
        if checklist.items.iter().all(|item| item.clause.is_none()) {
            return Ok(None);
        }
        let model = self.clause_model().map_err(ServiceError::Job)?;
        let mut types = Vec::with_capacity(checklist.items.len());
        for item in &checklist.items {
            let Some(clause) = item.clause.as_deref() else {
                types.push(None);
                continue;
            };
            let Some(t) = model.type_index(clause) else {
                let known: Vec<&str> = model.types.iter().map(|t| t.id.as_str()).collect();
                return Err(ServiceError::Job(format!(
                    "checklist {} item `{}` asks for clause type `{clause}`, which the clause \
                     model does not know; use one of: {}",
                    checklist.name,
                    item.id,
                    known.join(", ")
                )));
            };
            types.push(Some(t));
        }
        Ok(Some(Detector {
            model,
            types,
            reader: RefCell::new(Reader::new()),
        }))
    }

    /// The passages holding the sentences the detector ranks highest for clause type `t`,
    /// for the model to read when the detector is unsure.
    fn detector_passages(
        &self,
        text: &str,
        scores: &Scores,
        t: usize,
        places: &[(ChunkPlace, usize)],
    ) -> Result<Vec<Source>, ServiceError> {
        let units = &scores.document.units;
        let mut ids: Vec<(i64, f32)> = Vec::new();
        for (i, probability) in scores.ranked(t, DETECTOR_PASSAGES_PER_ITEM * 2) {
            // Units are placed in bytes, chunks in characters.
            let start = text.get(..units[i].start).map_or(0, |t| t.chars().count());
            if let Some((place, _)) = chunk_at(places, start)
                && !ids.iter().any(|(id, _)| *id == place.chunk_id)
            {
                ids.push((place.chunk_id, probability));
            }
            if ids.len() == DETECTOR_PASSAGES_PER_ITEM {
                break;
            }
        }
        let chunk_ids: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
        let chunks = documents::chunk_details(&*self.db.conn()?, &chunk_ids, chunk_ids.len())?;
        Ok(chunks
            .into_iter()
            .zip(&ids)
            .enumerate()
            .map(|(n, (chunk, (_, probability)))| {
                let (hit, text) = chunk.into_hit(*probability, None, None, 0.0);
                Source {
                    n: n + 1,
                    hit,
                    text,
                }
            })
            .collect())
    }

    /// The passages as the model sees them: personal data masked as in `ask`.
    fn masked_passages(
        &self,
        sources: &[Source],
    ) -> Result<(Vec<Passage>, PromptMask), ServiceError> {
        let mut mask = PromptMask::with_originals(BTreeMap::new());
        let passages = self.prompt_passages(sources, &mut mask)?;
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
        let generated = self.generate_stream(engine, request, &mut |_, _| {});
        match generated.end {
            Ended::Done {
                finish: crate::llm::Finish::Cancelled,
                ..
            } => Ok(None),
            Ended::Done { stats, .. } => {
                let figures = &mut tally.model;
                figures.cells += 1;
                figures.seconds += started.elapsed().as_secs_f64();
                figures.prompt_tokens += stats.prompt_tokens;
                figures.reused_tokens += stats.reused_tokens;
                figures.completion_tokens += stats.completion_tokens;
                Ok(Some(mask.restore(&generated.text)))
            }
            Ended::Failed(error) => Err(error),
        }
    }

    /// Stores a cell after checking its quotes against the document's stored text: a quote
    /// that does not match character for character is dropped, never shown. Returns the
    /// suggestion as stored.
    fn store_cell(
        &self,
        job: i64,
        document: i64,
        item: &str,
        mut suggestion: Suggestion,
        text: &str,
        tally: &mut Tally,
    ) -> Result<Suggestion, ServiceError> {
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
        Ok(suggestion)
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

/// The chunk holding character `at`, else the last one starting before it.
fn chunk_at(places: &[(ChunkPlace, usize)], at: usize) -> Option<&(ChunkPlace, usize)> {
    places
        .iter()
        .find(|(p, _)| p.char_start <= at && at < p.char_end)
        .or_else(|| places.iter().rev().find(|(p, _)| p.char_start <= at))
}

/// Fills in a detector quote's chunk, page and OCR confidence from where it stands.
fn place_quote(
    quote: &mut Quote,
    places: &[(ChunkPlace, usize)],
    pages: &PageRanges,
    ocr: &[(usize, f32)],
) {
    let chunk = chunk_at(places, quote.char_start);
    quote.chunk_id = chunk.map_or(0, |(p, _)| p.chunk_id);
    quote.page = pages
        .iter()
        .position(|&(start, end)| start <= quote.char_start && quote.char_start < end)
        .map(|p| p + 1)
        .or(chunk.map(|(_, page)| *page))
        .unwrap_or(1);
    quote.ocr_confidence = ocr
        .iter()
        .find(|(page, _)| *page == quote.page)
        .map(|(_, confidence)| *confidence);
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
