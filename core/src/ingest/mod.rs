//! Ingestion: files in, documents out. Workers (one per core) read, extract, chunk and scan
//! files in parallel; this thread is the single writer. Each document is written to SQLite
//! in its own transaction (batched for speed), then the search index catches up from the
//! change log, periodically and at the end.

mod chunk;
mod prepare;
mod walk;

pub use chunk::Chunker;
pub use prepare::{Known, Prepared, Preparer, sha256_hex};
pub use walk::{FoundFile, Walk, exclude_set, walk};

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Transaction;
use serde::Serialize;

use crate::config::Config;
use crate::extract::ocr::Ocr;
use crate::extract::{Limits, Passwords};
use crate::pii::{Detector, PiiError};
use crate::search::{SearchError, SearchIndex};
use crate::storage::audit_event::Event;
use crate::storage::documents::{self, DocStatus, DocumentRecord};
use crate::storage::jobs::{self, JobCounts};
use crate::storage::{Database, StorageError};

/// Documents written per SQLite transaction at most; each stays atomic on its own.
const BATCH: usize = 64;
/// Chunks fed to the index between two index commits. Commits make the new chunks
/// searchable and bound what a crash leaves to catch up, but each one waits for the
/// indexing threads to drain, so they are spaced out.
const COMMIT_EVERY_CHUNKS: usize = 200_000;

/// Why an ingest stopped as a whole (a single bad file fails alone and is reported).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Pii(#[from] PiiError),
    #[error("invalid chunking settings ([ingest] chunk_chars, chunk_overlap): {0}")]
    Chunking(String),
    #[error("invalid [ingest] exclude pattern: {0}")]
    Exclude(String),
}

impl From<rusqlite::Error> for IngestError {
    fn from(e: rusqlite::Error) -> IngestError {
        IngestError::Storage(StorageError::from(e))
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored as a new document, or replacing the older content at the same path.
    Ingested {
        id: i64,
        replaced: bool,
        /// Pages read by OCR, attachments' included.
        pages_ocr: usize,
    },
    /// Its content was already stored: the path was added to that document.
    Duplicate {
        id: i64,
    },
    /// Already stored at this path with this content.
    Unchanged,
    NeedsOcr {
        id: i64,
        pages: usize,
        /// Why it was not read: OCR is off, missing, or failed.
        reason: String,
    },
    Failed {
        reason: String,
    },
}

/// The stage an ingest is in, in the order they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IngestPhase {
    /// Files are read, extracted, scanned for personal data and stored.
    Reading,
    /// The search index takes in what was stored.
    Indexing,
    /// Chunks are given fast vectors (the static model), before the embedding model's.
    FastVectors,
    /// Chunks are embedded for semantic search.
    Embedding,
}

impl IngestPhase {
    /// The phase's name as shown.
    pub fn as_str(self) -> &'static str {
        match self {
            IngestPhase::Reading => "reading",
            IngestPhase::Indexing => "indexing",
            IngestPhase::FastVectors => "fast vectors",
            IngestPhase::Embedding => "embedding",
        }
    }
}

impl std::fmt::Display for IngestPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Receives progress as files are handled (on the writer thread).
pub trait Progress {
    /// The walk found `files` files of `bytes` bytes in all.
    fn started(&self, files: usize, bytes: u64);
    /// One file was handled, with its outcome.
    fn file_done(&self, path: &str, bytes: u64, outcome: &Outcome);
    /// Every file is stored; the search index is being brought up to date.
    fn indexing(&self);
    /// Chunks given fast vectors so far out of `total`; called first with `done` 0.
    fn fast_vectors(&self, done: usize, total: usize) {
        let _ = (done, total);
    }
    /// Chunks embedded so far out of `total`; called first with `done` 0.
    fn embedding(&self, done: usize, total: usize) {
        let _ = (done, total);
    }
    /// Whether the reviewer asked to stop. Asked between batches: what is stored by then
    /// stays stored and indexed, the rest is left for the next ingest.
    fn cancelled(&self) -> bool {
        false
    }
}

/// A progress sink that reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn started(&self, _: usize, _: u64) {}
    fn file_done(&self, _: &str, _: u64, _: &Outcome) {}
    fn indexing(&self) {}
}

/// A file that could not be ingested, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFile {
    pub path: String,
    pub reason: String,
}

/// A scan (a PDF without a text layer, an image) kept as `needs_ocr`, and why OCR did not
/// read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsOcrFile {
    pub path: String,
    pub pages: usize,
    pub reason: String,
}

/// A file stored by this run as a document; its figures include its attachments'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDocument {
    pub id: i64,
    pub path: String,
    pub sha256: Option<String>,
    pub pages: usize,
    /// Pages read by OCR (scanned pages, images).
    pub pages_ocr: usize,
    pub chunks: usize,
    /// PII findings in the document and its attachments.
    pub pii: usize,
    /// Attachments stored as child documents.
    pub attachments: usize,
}

/// The summary of one `kodiak ingest`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub ingested: usize,
    pub duplicates: usize,
    pub unchanged: usize,
    pub failed: Vec<FailedFile>,
    pub needs_ocr: Vec<NeedsOcrFile>,
    pub documents: Vec<StoredDocument>,
    pub files: usize,
    pub bytes: u64,
    pub chunks_indexed: usize,
    /// Pages read by OCR, in every document stored.
    pub pages_ocr: usize,
    /// Chunks given a vector by the embedder.
    pub chunks_embedded: usize,
    /// Why chunks were left without vectors (the embedder is missing or broken); search
    /// still works by BM25, and `kodiak reembed` fills them in later.
    pub embedding_error: Option<String>,
    /// Stopped on the reviewer's request before every file was read.
    pub cancelled: bool,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl IngestReport {
    fn counts(&self) -> JobCounts {
        JobCounts {
            files: self.files,
            ingested: self.ingested,
            duplicates: self.duplicates,
            unchanged: self.unchanged,
            failed: self.failed.len(),
            needs_ocr: self.needs_ocr.len(),
        }
    }

    fn record(&mut self, path: &str, record: Option<&DocumentRecord>, outcome: &Outcome) {
        match outcome {
            Outcome::Ingested { id, .. } => {
                self.ingested += 1;
                if let Some(r) = record {
                    let with_children = |count: fn(&DocumentRecord) -> usize| total(r, count);
                    self.pages_ocr += with_children(|d| d.page_ocr.iter().flatten().count());
                    self.documents.push(StoredDocument {
                        id: *id,
                        path: path.to_owned(),
                        sha256: r.sha256.clone(),
                        pages: with_children(|d| d.pages.len()),
                        pages_ocr: with_children(|d| d.page_ocr.iter().flatten().count()),
                        chunks: with_children(|d| d.chunks.len()),
                        pii: with_children(|d| d.pii.len()),
                        attachments: r.children.len(),
                    });
                    // Attachments that failed are reported like files that did.
                    for child in &r.children {
                        match child.status {
                            DocStatus::Failed => self.failed.push(FailedFile {
                                path: child.path.clone(),
                                reason: child.reason.clone().unwrap_or_default(),
                            }),
                            DocStatus::NeedsOcr => self.needs_ocr.push(NeedsOcrFile {
                                path: child.path.clone(),
                                pages: child.pages.len(),
                                reason: child.reason.clone().unwrap_or_default(),
                            }),
                            DocStatus::Ingested => {}
                        }
                    }
                }
            }
            Outcome::Duplicate { .. } => self.duplicates += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::NeedsOcr { pages, reason, .. } => self.needs_ocr.push(NeedsOcrFile {
                path: path.to_owned(),
                pages: *pages,
                reason: reason.clone(),
            }),
            Outcome::Failed { reason } => self.failed.push(FailedFile {
                path: path.to_owned(),
                reason: reason.clone(),
            }),
        }
    }
}

/// `count` of a document and of every attachment in it, however deep.
fn total(record: &DocumentRecord, count: fn(&DocumentRecord) -> usize) -> usize {
    count(record)
        + record
            .children
            .iter()
            .map(|child| total(child, count))
            .sum::<usize>()
}

/// Records in the audit trail, inside a write transaction, what one batch stored.
pub type RecordBatch<'a> = &'a dyn Fn(&Transaction<'_>, Event) -> rusqlite::Result<()>;

/// Ingests `roots` (files and folders) into `db`, then brings `index` up to date. Each
/// batch that stores a document is recorded by `record` in its own transaction, so what an
/// ingest stored before it failed or was killed is in the audit trail too.
pub fn run(
    config: &Config,
    db: &Database,
    index: &SearchIndex,
    roots: &[PathBuf],
    passwords: &Passwords,
    progress: &dyn Progress,
    record: RecordBatch<'_>,
) -> Result<IngestReport, IngestError> {
    let started = Instant::now();
    // The writer lock first: a second ingest must stop before it touches anything.
    let mut updater = index.writer()?;
    updater.sync(db)?;

    let limits = Limits {
        pdf_passwords: passwords.clone(),
        ..Limits::from(&config.ingest)
    };
    let chunker = Chunker::new(config.ingest.chunk_chars, config.ingest.chunk_overlap)
        .map_err(|e| IngestError::Chunking(e.to_string()))?;
    let detector = if config.pii.detect {
        Some(Detector::new(&config.pii)?)
    } else {
        None
    };
    let ocr = Ocr::from_config(&config.ingest);
    let preparer = Preparer {
        limits: &limits,
        chunker: &chunker,
        detector: detector.as_ref(),
        ocr: &ocr,
    };
    let exclude =
        exclude_set(&config.ingest.exclude).map_err(|e| IngestError::Exclude(e.to_string()))?;
    let found = walk(roots, &exclude);

    let root_names: Vec<String> = roots.iter().map(|r| crate::files::path_text(r)).collect();
    let job = db.write(|tx| jobs::start(tx, &root_names).map_err(IngestError::from))?;

    let mut report = IngestReport {
        files: found.files.len(),
        bytes: found.bytes(),
        ..IngestReport::default()
    };
    progress.started(found.files.len(), found.bytes());
    for unwalkable in &found.unwalkable {
        let outcome = Outcome::Failed {
            reason: unwalkable.reason.clone(),
        };
        progress.file_done(&unwalkable.path, 0, &outcome);
        report.record(&unwalkable.path, None, &outcome);
    }

    let workers = match config.ingest.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
    .min(found.files.len().max(1));
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::sync_channel::<(u64, Prepared)>(workers * 4);
    let write_result = std::thread::scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, files, preparer) = (&next, &found.files, &preparer);
            scope.spawn(move || {
                config.ingest.priority.apply_to_this_thread();
                while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let prepared = preparer
                        .prepare_file(&file.path, file.size, |path, sha| known(db, path, sha));
                    // A mailbox gives one per message.
                    if prepared.into_iter().any(|item| sender.send(item).is_err()) {
                        break; // the writer stopped
                    }
                }
            });
        }
        drop(sender);
        // The writer owns the receiving end: when it stops, on an error too, the workers'
        // next send fails and they end, so the scope never waits on a full channel.
        let batches = Batches { db, job, record };
        write_all(&batches, receiver, &mut updater, &mut report, progress)
    });
    write_result?;

    progress.indexing();
    report.chunks_indexed += updater.sync(db)?.chunks;
    let counts = report.counts();
    db.write(|tx| jobs::finish(tx, job, &counts).map_err(IngestError::from))?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// What the store holds for a path and content, read by a worker so it can skip extracting
/// what is already in. The writer decides again under its lock.
fn known(db: &Database, path: &str, sha256: &str) -> Known {
    let Ok(conn) = db.conn() else {
        return Known::Nothing;
    };
    match documents::path_entry(&conn, path) {
        // A file that failed or awaits OCR is read again: limits, passwords or OCR may
        // have changed since.
        Ok(Some(entry))
            if entry.sha256.as_deref() == Some(sha256) && entry.status == DocStatus::Ingested =>
        {
            return Known::SamePath;
        }
        _ => {}
    }
    match documents::usable_with_sha256(&conn, sha256) {
        Ok(Some(_)) => Known::Content,
        _ => Known::Nothing,
    }
}

/// Where the writer stores batches: the database, the job, and the audit trail.
struct Batches<'a> {
    db: &'a Database,
    job: i64,
    record: RecordBatch<'a>,
}

impl Batches<'_> {
    /// Stores a batch in one transaction with its audit entry (when it stored a document):
    /// the documents and the record of their arrival commit together.
    fn store(&self, batch: &[(u64, Prepared)]) -> Result<Vec<Outcome>, IngestError> {
        self.db.write(|tx| {
            let outcomes = batch
                .iter()
                .map(|(_, prepared)| apply(tx, prepared))
                .collect::<Result<Vec<_>, IngestError>>()?;
            if let Some(detail) = batch_detail(self.job, &outcomes) {
                (self.record)(tx, detail)?;
            }
            Ok(outcomes)
        })
    }
}

/// What a batch stored, for the audit trail: the documents it added or changed, by id, and
/// the counts of each outcome; None when it stored nothing (every file unchanged or failed
/// without a record).
fn batch_detail(job: i64, outcomes: &[Outcome]) -> Option<Event> {
    let (mut ingested, mut duplicates, mut needs_ocr, mut failed) = (0, 0, 0, 0);
    let mut documents = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Ingested { id, .. } => {
                ingested += 1;
                documents.push(*id);
            }
            Outcome::Duplicate { id } => {
                duplicates += 1;
                documents.push(*id);
            }
            Outcome::NeedsOcr { id, .. } => {
                needs_ocr += 1;
                documents.push(*id);
            }
            Outcome::Failed { .. } => failed += 1,
            Outcome::Unchanged => {}
        }
    }
    (!documents.is_empty()).then_some(Event::Stored {
        job,
        documents,
        ingested,
        duplicates,
        needs_ocr,
        failed,
    })
}

/// The writer loop: drains prepared files in batches, one transaction per batch, feeds each
/// batch to the index, and commits the index every [`COMMIT_EVERY_CHUNKS`] chunks.
fn write_all(
    batches: &Batches<'_>,
    receiver: mpsc::Receiver<(u64, Prepared)>,
    updater: &mut crate::search::IndexUpdater<'_>,
    report: &mut IngestReport,
    progress: &dyn Progress,
) -> Result<(), IngestError> {
    let mut chunks_since_commit = 0;
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let outcomes = batches.store(&batch)?;
        for ((bytes, prepared), outcome) in batch.iter().zip(outcomes) {
            let (path, record) = match prepared {
                Prepared::Record(record) => (record.path.as_str(), Some(record.as_ref())),
                Prepared::KnownContent { path, .. } | Prepared::Unchanged { path } => {
                    (path.as_str(), None)
                }
            };
            progress.file_done(path, *bytes, &outcome);
            report.record(path, record, &outcome);
        }
        let fed = updater.feed(batches.db)?.chunks;
        report.chunks_indexed += fed;
        chunks_since_commit += fed;
        if chunks_since_commit >= COMMIT_EVERY_CHUNKS {
            updater.sync(batches.db)?;
            chunks_since_commit = 0;
        }
        // Returning drops the receiver: the readers' next send fails and they stop.
        if progress.cancelled() {
            report.cancelled = true;
            break;
        }
    }
    Ok(())
}

/// Stores one prepared file and says what became of it.
fn apply(tx: &Transaction<'_>, prepared: &Prepared) -> Result<Outcome, IngestError> {
    match prepared {
        Prepared::Unchanged { .. } => Ok(Outcome::Unchanged),
        Prepared::KnownContent { path, sha256, .. } => {
            let existing = documents::path_entry(tx, path)?;
            match documents::usable_with_sha256(tx, sha256)? {
                Some(id) if existing.as_ref().is_some_and(|e| e.document_id == id) => {
                    Ok(Outcome::Unchanged)
                }
                Some(id) => {
                    documents::set_path(tx, path, id)?;
                    Ok(Outcome::Duplicate { id })
                }
                None => Ok(Outcome::Failed {
                    reason: "the matching document was removed during the ingest; ingest again"
                        .into(),
                }),
            }
        }
        Prepared::Record(record) => apply_record(tx, record),
    }
}

fn apply_record(tx: &Transaction<'_>, record: &DocumentRecord) -> Result<Outcome, IngestError> {
    let existing = documents::path_entry(tx, &record.path)?;
    if let Some(sha256) = &record.sha256 {
        if let Some(e) = &existing
            && e.sha256.as_ref() == Some(sha256)
            && e.status == DocStatus::Ingested
        {
            return Ok(Outcome::Unchanged);
        }
        if record.status != DocStatus::Failed
            && let Some(id) = documents::usable_with_sha256(tx, sha256)?
        {
            documents::set_path(tx, &record.path, id)?;
            return Ok(Outcome::Duplicate { id });
        }
    }
    let reason = || record.reason.clone().unwrap_or_default();
    let replaced = existing.is_some();
    let id = match existing {
        // A changed file that no longer reads keeps its earlier, good version.
        Some(e) if record.status == DocStatus::Failed && e.status != DocStatus::Failed => {
            return Ok(Outcome::Failed {
                reason: format!("{}; the earlier version stays", reason()),
            });
        }
        // The path's document is this file alone: update it in place, keeping its id.
        Some(e) if documents::path_count(tx, e.document_id)? == 1 => {
            documents::replace(tx, e.document_id, record)?;
            e.document_id
        }
        _ => documents::insert(tx, record, None)?,
    };
    Ok(match record.status {
        DocStatus::Ingested => Outcome::Ingested {
            id,
            replaced,
            pages_ocr: total(record, |d| d.page_ocr.iter().flatten().count()),
        },
        DocStatus::NeedsOcr => Outcome::NeedsOcr {
            id,
            pages: record.pages.len(),
            reason: reason(),
        },
        DocStatus::Failed => Outcome::Failed { reason: reason() },
    })
}

#[cfg(test)]
mod tests;
