//! Runs the effects the UI asks for against the service ([`ReviewService`]: Kodiak, or a
//! fake in tests), each on tokio's blocking pool (SQLite, Tantivy and llama.cpp calls
//! block), and sends the outcome back as a message. Nothing here touches the UI's state.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc::UnboundedSender;

use kodiak::ingest::IngestPhase;
use kodiak::ingest::{Outcome, Progress};
use kodiak::report;
use kodiak::service::{AskOptions, Piece};
use kodiak::telemetry::crash;

use super::app::{ChecklistSource, DecidedCell, Effect, Job, JobError, Msg, Reply, ReviewChange};
use super::document::{Focus, PreparedDocument};
use super::service::ReviewService;
use kodiak::service::{JobCounts, JobProgress};

/// Passages a search of every document fetches; grouped by document, they are the hits the
/// search view counts.
const CORPUS_SEARCH_PASSAGES: usize = 50;

pub struct Worker {
    kodiak: Arc<dyn ReviewService>,
    messages: UnboundedSender<Msg>,
    /// Cancel flags of answers being written, by request.
    cancels: HashMap<u64, Arc<AtomicBool>>,
    /// Where exported reports go.
    export_dir: PathBuf,
}

impl Worker {
    pub fn new(
        kodiak: Arc<dyn ReviewService>,
        messages: UnboundedSender<Msg>,
        export_dir: PathBuf,
    ) -> Worker {
        Worker {
            kodiak,
            messages,
            cancels: HashMap::new(),
            export_dir,
        }
    }

    /// Saves the UI session for the next start; a failure is logged, never in the way of
    /// closing.
    pub async fn save_session(&self, state: String) {
        let kodiak = Arc::clone(&self.kodiak);
        let saved = tokio::task::spawn_blocking(move || kodiak.save_ui_session(&state)).await;
        match saved {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("the UI session was not saved: {e}"),
            Err(e) => tracing::warn!("the UI session was not saved: {e}"),
        }
    }

    /// The flag `Effect::Cancel` sets for the job of `request`.
    fn cancel_flag(&mut self, request: u64) -> Arc<AtomicBool> {
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancels.insert(request, Arc::clone(&cancel));
        cancel
    }

    pub fn run(&mut self, effect: Effect) {
        // Flags of finished jobs are held only here.
        self.cancels.retain(|_, flag| Arc::strong_count(flag) > 1);
        match effect {
            Effect::Cancel { request } => {
                if let Some(flag) = self.cancels.get(&request) {
                    flag.store(true, Ordering::Relaxed);
                }
            }
            // The event loop writes to the terminal itself.
            Effect::Copy(_) => {}
            // Without a saved session (or if it cannot be read) the UI starts afresh.
            Effect::LoadSession => self.blocking(
                None,
                |_| Some(Msg::Session(None)),
                |kodiak, _| {
                    Some(Msg::Session(kodiak.ui_session().unwrap_or_else(|e| {
                        tracing::warn!("the saved UI session cannot be read: {e}");
                        None
                    })))
                },
            ),
            Effect::Job { request, job } => {
                let context = JobContext {
                    request,
                    cancel: job.cancellable().then(|| self.cancel_flag(request)),
                    export_dir: self.export_dir.clone(),
                };
                let failed = (job.clone(), context.clone());
                self.blocking(
                    Some(request),
                    move |panic| {
                        let (job, context) = failed;
                        reply(job, &context, Err(JobError::Internal(panic)))
                    },
                    move |kodiak, messages| reply(job, &context, Ok((kodiak, messages))),
                );
            }
        }
    }

    /// Runs `work` (the job answering request `job`) on the blocking pool and sends its message, if it has one. A job that
    /// panics still replies: `on_panic` makes its failure message from the panic's, so
    /// that nothing waits for it forever (an answer that never ends, a list that never
    /// comes). Such a panic is caught and handled, not a crash: the terminal stays as it is.
    ///
    /// The panic is caught inside the job rather than from its join handle (a `JoinSet`)
    /// because the panic hook runs first, at the panic: it must already know the panic is
    /// handled, or it would restore the terminal under a UI that keeps drawing.
    fn blocking(
        &self,
        job: Option<u64>,
        on_panic: impl FnOnce(String) -> Option<Msg> + Send + 'static,
        work: impl FnOnce(&dyn ReviewService, &UnboundedSender<Msg>) -> Option<Msg> + Send + 'static,
    ) {
        let kodiak = Arc::clone(&self.kodiak);
        let messages = self.messages.clone();
        tokio::task::spawn_blocking(move || {
            let reply = match kodiak::panics::expecting_panics(|| work(kodiak.as_ref(), &messages))
            {
                Ok(reply) => reply,
                Err(panic) => {
                    tracing::error!(request = ?job, panic = %panic, "a background job panicked");
                    on_panic(panic)
                }
            };
            if let Some(msg) = reply {
                let _ = messages.send(msg);
            }
        });
    }
}

/// What a job needs beside the service: its request, its cancel flag when it can be
/// stopped, where exports go.
#[derive(Clone)]
struct JobContext {
    request: u64,
    cancel: Option<Arc<AtomicBool>>,
    export_dir: PathBuf,
}

/// The service and the sender a running job reports progress on; or, for a job that
/// panicked, why it failed.
type Running<'a> = Result<(&'a dyn ReviewService, &'a UnboundedSender<Msg>), JobError>;

impl Job {
    /// Whether `Effect::Cancel` can stop it.
    fn cancellable(&self) -> bool {
        matches!(
            self,
            Job::Ask { .. } | Job::Ingest { .. } | Job::ResumeEmbedding | Job::RunChecklist { .. }
        )
    }
}

/// Each job, once: what it asks of the service and the message that answers its request.
/// Run with the service, it does the work; run with a failure (the job panicked), it gives
/// the same message carrying the failure, so that nothing waits for a reply forever. Jobs
/// whose reply is only a refresh (health) send nothing on failure: the next one comes.
fn reply(job: Job, context: &JobContext, running: Running<'_>) -> Option<Msg> {
    let request = context.request;
    // The service's result, or the failure the job is replying with.
    fn call<T>(
        running: &Running<'_>,
        f: impl FnOnce(&dyn ReviewService, &UnboundedSender<Msg>) -> Reply<T>,
    ) -> Reply<T> {
        match running {
            Ok((kodiak, messages)) => f(*kodiak, messages),
            Err(error) => Err(error.clone()),
        }
    }
    let cancel = || context.cancel.clone().unwrap_or_default();
    Some(match job {
        Job::WarmUp => Msg::Health {
            request,
            report: Box::new(running.ok()?.0.warm_up()),
        },
        Job::RefreshHealth => Msg::Health {
            request,
            report: Box::new(running.ok()?.0.health()),
        },
        Job::CheckChanges => Msg::DataStamp {
            request,
            result: call(&running, |k, _| Ok(k.data_stamp()?)),
        },
        Job::LoadDocuments => Msg::Documents {
            request,
            result: call(&running, |k, _| Ok(k.review_report()?)),
        },
        // Needs nothing of the service: it runs here only to keep off the UI thread.
        Job::ListView(input) => Msg::ListView {
            request,
            result: call(&running, |_, _| Ok(Box::new(input.run()))),
        },
        Job::OpenDocument { doc_id, focus } => Msg::Document {
            request,
            result: call(&running, |k, _| {
                open_document(k, doc_id, focus).map(Box::new)
            }),
        },
        Job::Review { doc_id, change } => Msg::Reviewed {
            request,
            doc_id,
            result: call(&running, |k, _| {
                Ok(match change {
                    ReviewChange::Mark(mark) => k.mark(doc_id, mark),
                    ReviewChange::AddTag(tag) => k.add_tag(doc_id, &tag),
                    ReviewChange::RemoveTag(tag) => k.remove_tag(doc_id, &tag),
                    ReviewChange::AddNote(note) => k.add_note(doc_id, &note),
                    ReviewChange::Privilege(decision) => k
                        .set_privilege(
                            doc_id,
                            decision.as_ref().map(|(t, b, d)| (*t, *b, d.as_str())),
                        )
                        .and_then(|_| k.review(doc_id)),
                    ReviewChange::Redact { area, reason } => k
                        .add_redaction(doc_id, area, &reason)
                        .and_then(|_| k.review(doc_id)),
                }?)
            }),
        },
        Job::Export { format } => Msg::Exported {
            request,
            result: call(&running, |k, _| export(k, format, &context.export_dir)),
        },
        Job::Ingest { path } => Msg::IngestDone {
            request,
            result: call(&running, |k, messages| {
                let progress = ChannelProgress::new(request, messages, cancel());
                let r = k.ingest(&[path], &progress)?;
                let stopped = if r.cancelled { "cancelled: " } else { "" };
                let ocr = match r.pages_ocr {
                    0 => String::new(),
                    n => format!(" ({n} pages read by OCR)"),
                };
                Ok(format!(
                    "{stopped}ingested {} new{ocr}, {} duplicates, {} unchanged, {} failed, \
                     {} need OCR",
                    r.ingested,
                    r.duplicates,
                    r.unchanged,
                    r.failed.len(),
                    r.needs_ocr.len()
                ))
            }),
        },
        // Chunks an earlier session stored without vectors (it was closed while
        // embedding) are embedded now, as a job the reviewer sees and can cancel.
        Job::ResumeEmbedding => Msg::IngestDone {
            request,
            result: call(&running, |k, messages| {
                let progress = ChannelProgress::new(request, messages, cancel());
                let r = k.embed_missing(&progress)?;
                match r.error {
                    _ if r.cancelled => {
                        Ok(format!("embedding cancelled after {} chunks", r.embedded))
                    }
                    Some(error) => Err(JobError::Service(format!(
                        "embedded {} chunks left from before, then: {error}",
                        r.embedded
                    ))),
                    None => Ok(format!("embedded {} chunks left from before", r.embedded)),
                }
            }),
        },
        Job::Ask {
            question,
            conversation,
            documents,
        } => Msg::AskDone {
            request,
            result: call(&running, |k, messages| {
                let options = AskOptions {
                    question,
                    documents,
                    conversation,
                    cancel: cancel(),
                    ..AskOptions::default()
                };
                let mut on_text = |piece: Piece<'_>| {
                    let _ = messages.send(match piece {
                        Piece::Evidence(text) => Msg::AskEvidence {
                            request,
                            text: text.to_owned(),
                        },
                        Piece::Text(text) => Msg::AskText {
                            request,
                            text: text.to_owned(),
                        },
                    });
                };
                Ok(Box::new(k.ask(&options, &mut on_text)?))
            }),
        },
        Job::LoadConversations => Msg::Conversations {
            request,
            result: call(&running, |k, _| Ok(k.conversations()?)),
        },
        Job::Search { query, mode } => Msg::SearchResults {
            request,
            result: call(&running, |k, _| {
                let options = kodiak::service::SearchOptions {
                    mode,
                    limit: CORPUS_SEARCH_PASSAGES,
                    documents: Vec::new(),
                };
                Ok(k.search(&query, &options)?)
            }),
        },
        Job::LoadConversation { id } => Msg::ConversationLoaded {
            request,
            id,
            result: call(&running, |k, _| match k.conversation(id)? {
                Some(found) => Ok(found.turns),
                None => Err(JobError::Service(format!("conversation {id} is gone"))),
            }),
        },
        Job::NearDupDifference { doc_id, principal } => Msg::Difference {
            request,
            result: call(&running, |k, _| {
                let text = |id: i64| -> Reply<String> {
                    k.document_text(id)?
                        .map(|t| t.text)
                        .ok_or_else(|| JobError::Service(format!("document {id} has no text")))
                };
                let difference = kodiak::neardup::difference(&text(principal)?, &text(doc_id)?);
                Ok((
                    format!("What #{doc_id} changes of #{principal}: [-removed-] {{+added+}}"),
                    difference,
                ))
            }),
        },
        Job::ShowCrash => Msg::CrashReport {
            request,
            result: call(&running, |k, _| newest_crash(k)),
        },
        Job::LoadChecklists => Msg::Checklists {
            request,
            result: call(&running, |k, _| Ok(k.checklist_jobs()?)),
        },
        Job::LoadGrid { job } => Msg::Grid {
            request,
            result: call(&running, |k, _| Ok(Box::new(k.checklist_grid(job)?))),
        },
        Job::RunChecklist { source } => Msg::ChecklistDone {
            request,
            result: call(&running, |k, messages| {
                let job = match source {
                    ChecklistSource::Resume(job) => job,
                    ChecklistSource::File {
                        path,
                        documents,
                        use_model,
                    } => k.start_checklist(&path, &documents, use_model)?,
                };
                let _ = messages.send(Msg::ChecklistStarted { request, job });
                let progress = ChecklistProgress::new(request, messages, cancel());
                Ok(k.run_checklist(job, &progress)?)
            }),
        },
        Job::DecideCell {
            job,
            doc_id,
            item,
            input,
        } => Msg::CellDecided {
            doc_id,
            result: call(&running, |k, _| {
                Ok(Box::new(k.decide_cell(job, doc_id, &item, input)?))
            }),
            item,
        },
        Job::LoadMatters => Msg::Matters {
            request,
            result: call(&running, |k, _| Ok(k.matters()?)),
        },
        Job::TermsReport { terms, documents } => Msg::TermsReport {
            request,
            result: call(&running, |k, _| {
                let terms = kodiak::report::terms::terms_from(&terms).map_err(JobError::other)?;
                Ok(Box::new(k.terms_report(&terms, &documents)?))
            }),
        },
    })
}

/// A checklist run's progress as messages: at most ten a second, and each document's end,
/// however fast cells are decided (a thousand a second without a model), each carrying the
/// cells decided since the one before.
struct ChecklistProgress {
    request: u64,
    messages: UnboundedSender<Msg>,
    cancel: Arc<AtomicBool>,
    last: std::sync::Mutex<(std::time::Instant, usize)>,
    cells: std::sync::Mutex<Vec<DecidedCell>>,
}

impl ChecklistProgress {
    fn new(request: u64, messages: &UnboundedSender<Msg>, cancel: Arc<AtomicBool>) -> Self {
        ChecklistProgress {
            request,
            messages: messages.clone(),
            cancel,
            last: std::sync::Mutex::new((std::time::Instant::now(), 0)),
            cells: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl JobProgress for ChecklistProgress {
    fn advanced(&self, counts: JobCounts) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = std::time::Instant::now();
        let due = now.duration_since(last.0) >= std::time::Duration::from_millis(100)
            || counts.documents != last.1
            || counts.cells == counts.total;
        if due {
            *last = (now, counts.documents);
            let cells = self
                .cells
                .lock()
                .map(|mut cells| std::mem::take(&mut *cells))
                .unwrap_or_default();
            let _ = self.messages.send(Msg::ChecklistProgress {
                request: self.request,
                counts,
                cells,
            });
        }
    }

    fn cell(&self, document: i64, item: &str, suggestion: &kodiak::checklist::decide::Suggestion) {
        if let Ok(mut cells) = self.cells.lock() {
            cells.push(DecidedCell {
                doc_id: document,
                item: item.to_owned(),
                suggestion: suggestion.clone(),
            });
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        Some(Arc::clone(&self.cancel))
    }
}

/// Writes the review report to `dir`, named by the time.
fn export(
    kodiak: &dyn ReviewService,
    format: report::ReportFormat,
    dir: &std::path::Path,
) -> Reply<PathBuf> {
    let rows = kodiak.review_report()?;
    let made = kodiak.provenance()?;
    let body = report::render(&rows, format, &made).map_err(JobError::other)?;
    let stamp: String = made
        .generated_at
        .to_second()
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    // Reports of different matters written to one folder stay apart by name.
    let matter = match made.matter.as_str() {
        kodiak::matter::DEFAULT => String::new(),
        name => format!("{name}-"),
    };
    let path = dir.join(format!(
        "kodiak-review-{matter}{stamp}.{}",
        format.extension()
    ));
    kodiak::files::write_atomic(&path, body.as_bytes())
        .map_err(|e| JobError::other(format!("cannot write {}: {e}", path.display())))?;
    kodiak.record_export("review report", format.as_str(), rows.len())?;
    Ok(path)
}

/// The document prepared for the viewer; `focus` is a passage in characters.
pub(super) fn open_document(
    kodiak: &dyn ReviewService,
    doc_id: i64,
    focus: Option<Focus>,
) -> Reply<PreparedDocument> {
    let info = kodiak.document(doc_id)?;
    let title = kodiak::files::document_label(info.title.as_deref(), &info.path).to_owned();
    let Some(content) = kodiak.document_text(doc_id)? else {
        return Err(JobError::Service(format!(
            "document {doc_id} has no text ({}{})",
            info.status.as_str(),
            info.reason.map(|r| format!(": {r}")).unwrap_or_default()
        )));
    };
    Ok(PreparedDocument::new(
        doc_id,
        title,
        content.text,
        &content.pages,
        &content.pii,
        focus.as_ref(),
    )
    .with_ocr_pages(content.ocr_pages))
}

fn newest_crash(kodiak: &dyn ReviewService) -> Reply<String> {
    let dir = kodiak.crash_dir();
    let reports = crash::list(dir).map_err(JobError::other)?;
    let Some(newest) = reports.first() else {
        return Err(JobError::Service("no crash reports".into()));
    };
    let report = crash::read(dir, &newest.id).map_err(JobError::other)?;
    serde_json::to_string_pretty(&report).map_err(JobError::other)
}

/// Ingest progress as messages to the UI, and the reviewer's cancel.
struct ChannelProgress {
    request: u64,
    messages: UnboundedSender<Msg>,
    done: std::cell::Cell<usize>,
    total: std::cell::Cell<usize>,
    cancel: Arc<AtomicBool>,
}

impl ChannelProgress {
    fn new(request: u64, messages: &UnboundedSender<Msg>, cancel: Arc<AtomicBool>) -> Self {
        ChannelProgress {
            request,
            messages: messages.clone(),
            done: std::cell::Cell::new(0),
            total: std::cell::Cell::new(0),
            cancel,
        }
    }
}

impl Progress for ChannelProgress {
    fn started(&self, files: usize, _bytes: u64) {
        self.total.set(files);
        let _ = self.messages.send(Msg::IngestProgress {
            request: self.request,
            done: 0,
            total: files,
            phase: IngestPhase::Reading,
        });
    }

    fn file_done(&self, path: &str, _bytes: u64, outcome: &Outcome) {
        self.done.set(self.done.get() + 1);
        let reason = match outcome {
            Outcome::Failed { reason } => Some(reason.clone()),
            Outcome::NeedsOcr { reason, .. } => Some(format!("{reason} (stored, not searchable)")),
            _ => None,
        };
        if let Outcome::Ingested { pages_ocr, .. } = outcome
            && *pages_ocr > 0
        {
            let _ = self.messages.send(Msg::IngestOcrPages {
                request: self.request,
                pages: *pages_ocr,
            });
        }
        if let Some(reason) = reason {
            let _ = self.messages.send(Msg::IngestFailed {
                request: self.request,
                path: path.to_owned(),
                reason,
            });
        }
        let _ = self.messages.send(Msg::IngestProgress {
            request: self.request,
            done: self.done.get(),
            total: self.total.get(),
            phase: IngestPhase::Reading,
        });
    }

    fn indexing(&self) {
        let _ = self.messages.send(Msg::IngestProgress {
            request: self.request,
            done: self.done.get(),
            total: self.total.get(),
            phase: IngestPhase::Indexing,
        });
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn fast_vectors(&self, done: usize, total: usize) {
        let _ = self.messages.send(Msg::IngestProgress {
            request: self.request,
            done,
            total,
            phase: IngestPhase::FastVectors,
        });
    }

    fn embedding(&self, done: usize, total: usize) {
        let _ = self.messages.send(Msg::IngestProgress {
            request: self.request,
            done,
            total,
            phase: IngestPhase::Embedding,
        });
    }
}
