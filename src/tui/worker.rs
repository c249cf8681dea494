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

use super::app::{ChecklistSource, Effect, JobError, Msg, Reply, ReviewChange};
use super::document::PreparedDocument;
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
        // Flags of finished answers are held only here.
        self.cancels.retain(|_, flag| Arc::strong_count(flag) > 1);
        let on_panic = failure_reply(&effect);
        let job = effect.request();
        match effect {
            Effect::Cancel { request } => {
                if let Some(flag) = self.cancels.get(&request) {
                    flag.store(true, Ordering::Relaxed);
                }
            }
            Effect::Ask {
                request,
                question,
                conversation,
                documents,
            } => {
                let cancel = self.cancel_flag(request);
                let options = AskOptions {
                    question,
                    documents,
                    conversation,
                    cancel,
                    ..AskOptions::default()
                };
                self.blocking(job, on_panic, move |kodiak, messages| {
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
                    let result = kodiak
                        .ask(&options, &mut on_text)
                        .map(Box::new)
                        .map_err(JobError::from);
                    Some(Msg::AskDone { request, result })
                });
            }
            Effect::Ingest { request, path } => {
                let cancel = self.cancel_flag(request);
                self.blocking(job, on_panic, move |kodiak, messages| {
                    let progress = ChannelProgress::new(request, messages, cancel);
                    let result = kodiak
                        .ingest(&[path], &progress)
                        .map(|r| {
                            let stopped = if r.cancelled { "cancelled: " } else { "" };
                            let ocr = match r.pages_ocr {
                                0 => String::new(),
                                n => format!(" ({n} pages read by OCR)"),
                            };
                            format!(
                                "{stopped}ingested {} new{ocr}, {} duplicates, {} unchanged, \
                                 {} failed, {} need OCR",
                                r.ingested,
                                r.duplicates,
                                r.unchanged,
                                r.failed.len(),
                                r.needs_ocr.len()
                            )
                        })
                        .map_err(JobError::from);
                    Some(Msg::IngestDone { request, result })
                });
            }
            // Chunks an earlier session stored without vectors (it was closed while
            // embedding) are embedded now, as a job the reviewer sees and can cancel.
            Effect::ResumeEmbedding { request } => {
                let cancel = self.cancel_flag(request);
                self.blocking(job, on_panic, move |kodiak, messages| {
                    let progress = ChannelProgress::new(request, messages, cancel);
                    let result = match kodiak.embed_missing(&progress) {
                        Ok(r) if r.cancelled => {
                            Ok(format!("embedding cancelled after {} chunks", r.embedded))
                        }
                        Ok(r) => match r.error {
                            Some(error) => Err(JobError::Service(format!(
                                "embedded {} chunks left from before, then: {error}",
                                r.embedded
                            ))),
                            None => Ok(format!("embedded {} chunks left from before", r.embedded)),
                        },
                        Err(e) => Err(JobError::from(e)),
                    };
                    Some(Msg::IngestDone { request, result })
                });
            }
            Effect::Export { request, format } => {
                let dir = self.export_dir.clone();
                self.blocking(job, on_panic, move |kodiak, _| {
                    let result = export(kodiak, format, &dir);
                    Some(Msg::Exported { request, result })
                });
            }
            Effect::RunChecklist { request, source } => {
                let cancel = self.cancel_flag(request);
                self.blocking(job, on_panic, move |kodiak, messages| {
                    let job = match source {
                        ChecklistSource::Resume(job) => Ok(job),
                        ChecklistSource::File(path) => kodiak.start_checklist(&path),
                    };
                    let result = job.and_then(|job| {
                        let _ = messages.send(Msg::ChecklistStarted { request, job });
                        let progress = ChecklistProgress::new(request, messages, cancel);
                        kodiak.run_checklist(job, &progress)
                    });
                    Some(Msg::ChecklistDone {
                        request,
                        result: result.map_err(JobError::from),
                    })
                });
            }
            // The event loop writes to the terminal itself.
            Effect::Copy(_) => {}
            effect => self.blocking(job, on_panic, move |kodiak, _| service_call(kodiak, effect)),
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

/// How the job behind `effect` reports a failure it could not report itself (it panicked):
/// the message it would have sent, with the error.
fn failure_reply(effect: &Effect) -> impl FnOnce(String) -> Option<Msg> + Send + 'static {
    let effect = effect.clone();
    move |panic| {
        let error = JobError::Internal(panic);
        Some(match effect {
            Effect::LoadDocuments { request } => Msg::Documents {
                request,
                result: Err(error),
            },
            Effect::OpenDocument { request, .. } => Msg::Document {
                request,
                result: Err(error),
            },
            Effect::Review {
                request, doc_id, ..
            } => Msg::Reviewed {
                request,
                doc_id,
                result: Err(error),
            },
            Effect::Ingest { request, .. } | Effect::ResumeEmbedding { request } => {
                Msg::IngestDone {
                    request,
                    result: Err(error),
                }
            }
            Effect::Ask { request, .. } => Msg::AskDone {
                request,
                result: Err(error),
            },
            Effect::Export { request, .. } => Msg::Exported {
                request,
                result: Err(error),
            },
            Effect::LoadConversations { request } => Msg::Conversations {
                request,
                result: Err(error),
            },
            Effect::Search { request, .. } => Msg::SearchResults {
                request,
                result: Err(error),
            },
            Effect::LoadConversation { request, id } => Msg::ConversationLoaded {
                request,
                id,
                result: Err(error),
            },
            Effect::ShowCrash { request } => Msg::CrashReport {
                request,
                result: Err(error),
            },
            Effect::LoadChecklists { request } => Msg::Checklists {
                request,
                result: Err(error),
            },
            Effect::LoadGrid { request, .. } => Msg::Grid {
                request,
                result: Err(error),
            },
            Effect::RunChecklist { request, .. } => Msg::ChecklistDone {
                request,
                result: Err(error),
            },
            Effect::LoadMatters { request } => Msg::Matters {
                request,
                result: Err(error),
            },
            Effect::TermsReport { request, .. } => Msg::TermsReport {
                request,
                result: Err(error),
            },
            Effect::DecideCell { doc_id, item, .. } => Msg::CellDecided {
                doc_id,
                item,
                result: Err(error),
            },
            // The next health check comes anyway; these have no reply.
            Effect::WarmUp { .. }
            | Effect::RefreshHealth { .. }
            | Effect::CheckChanges { .. }
            | Effect::Cancel { .. }
            | Effect::Copy(_) => return None,
            // Without a saved session the UI starts afresh.
            Effect::LoadSession => Msg::Session(None),
        })
    }
}

/// The service call behind one effect, and its outcome as a message; None for effects
/// that are not service calls (asking, cancelling, exporting and copying are handled by
/// the caller).
fn service_call(kodiak: &dyn ReviewService, effect: Effect) -> Option<Msg> {
    Some(match effect {
        // Run by the worker itself, with a cancel flag.
        Effect::Ingest { .. } | Effect::ResumeEmbedding { .. } => return None,
        Effect::WarmUp { request } => Msg::Health {
            request,
            report: Box::new(kodiak.warm_up()),
        },
        Effect::LoadSession => Msg::Session(kodiak.ui_session().unwrap_or_else(|e| {
            tracing::warn!("the saved UI session cannot be read: {e}");
            None
        })),
        Effect::LoadDocuments { request } => Msg::Documents {
            request,
            result: kodiak.review_report().map_err(JobError::from),
        },
        Effect::OpenDocument {
            request,
            doc_id,
            focus,
        } => {
            let result = open_document(kodiak, doc_id, focus).map(Box::new);
            Msg::Document { request, result }
        }
        Effect::Review {
            request,
            doc_id,
            change,
        } => {
            let result = match change {
                ReviewChange::Mark(mark) => kodiak.mark(doc_id, mark),
                ReviewChange::AddTag(tag) => kodiak.add_tag(doc_id, &tag),
                ReviewChange::RemoveTag(tag) => kodiak.remove_tag(doc_id, &tag),
                ReviewChange::AddNote(note) => kodiak.add_note(doc_id, &note),
            };
            Msg::Reviewed {
                request,
                doc_id,
                result: result.map_err(JobError::from),
            }
        }
        Effect::LoadConversations { request } => Msg::Conversations {
            request,
            result: kodiak.conversations().map_err(JobError::from),
        },
        Effect::Search { request, query } => {
            let options = kodiak::service::SearchOptions {
                mode: None,
                limit: CORPUS_SEARCH_PASSAGES,
                documents: Vec::new(),
            };
            Msg::SearchResults {
                request,
                result: kodiak.search(&query, &options).map_err(JobError::from),
            }
        }
        Effect::LoadConversation { request, id } => Msg::ConversationLoaded {
            request,
            id,
            result: match kodiak.conversation(id) {
                Ok(Some(found)) => Ok(found.turns),
                Ok(None) => Err(JobError::Service(format!("conversation {id} is gone"))),
                Err(e) => Err(JobError::from(e)),
            },
        },
        Effect::RefreshHealth { request } => Msg::Health {
            request,
            report: Box::new(kodiak.health()),
        },
        Effect::CheckChanges { request } => Msg::DataStamp {
            request,
            result: kodiak.data_stamp().map_err(JobError::from),
        },
        Effect::ShowCrash { request } => Msg::CrashReport {
            request,
            result: newest_crash(kodiak),
        },
        Effect::LoadChecklists { request } => Msg::Checklists {
            request,
            result: kodiak.checklist_jobs().map_err(JobError::from),
        },
        Effect::LoadMatters { request } => Msg::Matters {
            request,
            result: kodiak.matters().map_err(JobError::from),
        },
        Effect::TermsReport {
            request,
            terms,
            documents,
        } => Msg::TermsReport {
            request,
            result: kodiak::report::terms::terms_from(&terms)
                .map_err(JobError::other)
                .and_then(|terms| {
                    kodiak
                        .terms_report(&terms, &documents)
                        .map_err(JobError::from)
                })
                .map(Box::new),
        },
        Effect::LoadGrid { request, job } => Msg::Grid {
            request,
            result: kodiak
                .checklist_grid(job)
                .map(Box::new)
                .map_err(JobError::from),
        },
        Effect::DecideCell {
            job,
            doc_id,
            item,
            input,
            ..
        } => Msg::CellDecided {
            doc_id,
            result: kodiak
                .decide_cell(job, doc_id, &item, input)
                .map(Box::new)
                .map_err(JobError::from),
            item,
        },
        Effect::Ask { .. }
        | Effect::Cancel { .. }
        | Effect::Copy(_)
        | Effect::Export { .. }
        | Effect::RunChecklist { .. } => {
            return None;
        }
    })
}

/// A checklist run's progress as messages: at most ten a second, and each document's end,
/// however fast cells are decided (a thousand a second without a model).
struct ChecklistProgress {
    request: u64,
    messages: UnboundedSender<Msg>,
    cancel: Arc<AtomicBool>,
    last: std::sync::Mutex<(std::time::Instant, usize)>,
}

impl ChecklistProgress {
    fn new(request: u64, messages: &UnboundedSender<Msg>, cancel: Arc<AtomicBool>) -> Self {
        ChecklistProgress {
            request,
            messages: messages.clone(),
            cancel,
            last: std::sync::Mutex::new((std::time::Instant::now(), 0)),
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
            let _ = self.messages.send(Msg::ChecklistProgress {
                request: self.request,
                counts,
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
    focus: Option<(usize, usize)>,
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
        focus,
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

    fn embedding(&self, done: usize, total: usize) {
        let _ = self.messages.send(Msg::IngestProgress {
            request: self.request,
            done,
            total,
            phase: IngestPhase::Embedding,
        });
    }
}
