//! The Kodiak service: the one object front ends talk to. It owns the parts and exposes
//! what a reviewer can do; it knows nothing about terminals.

mod ask;
mod audit;
mod checklist;
mod conversation;
mod generation;
mod health_report;
mod matter_vectors;
mod near_dups;
mod production;
mod reading;
mod reports;
mod retrieval;
mod review;
mod threads;

pub use crate::checklist::grid::{Grid, GridCell, GridRow, JobInfo};
pub use crate::health::{Coverage, VectorStatus};
pub use crate::report::ReportRow;
pub use ask::{AskOptions, Piece};
pub use audit::{AuditFilter, Event, audit_csv};
pub use checklist::{DecisionInput, JobCounts, JobOutcome, JobProgress, JobScope, ModelFigures};
pub use conversation::{ConversationTurns, StoredAnswer, Turn};
pub use production::{NewProduction, ProducedDocument, ProductionInfo, RunSummary};
pub use reading::DocumentText;
pub use retrieval::{
    EmbedReport, QueryEmbedding, QueryVectors, SearchOptions, SearchOutcome, ToEmbed,
};
pub use review::ReviewInputError;
pub use threads::{Thread, ThreadMessage};

use crate::extract::Passwords;
use std::collections::{BTreeMap, HashSet};

use std::path::PathBuf;

use std::sync::{Arc, Mutex, OnceLock};

use std::time::Duration;

use serde::Serialize;

use crate::answer::AnswerRecord;

use crate::config::Settings;

use crate::guard::{Breaker, RateLimited, RateLimiter};

use crate::health::{self, HealthReport, ModelHealth};

use crate::ingest::{self, IngestError, IngestReport, Progress};

use crate::llm::{
    EmbedderWorker, GeneratorState, GeneratorWorker, Launch, LlmError, PendingEmbedding, Urgency,
    WorkerCrash,
};
use crate::search::{
    FusionWeights, Hit, Mode, SearchError, SearchIndex, SearchRequest, SyncStats, VectorHit,
    VectorIndex,
};
use crate::storage::conversations;
use crate::storage::documents::{self, DocumentInfo, PiiSpan};
use crate::storage::vectors::{self, Missing};
use crate::storage::{Database, StorageError};
use crate::telemetry::crash::{self, CrashReport, CrashSettings};

/// Why a service call failed; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("no document with id {0}; `kodiak docs list` shows the ids")]
    NoSuchDocument(i64),
    #[error("the search index is unavailable: {0}")]
    IndexUnavailable(String),
    #[error("{0}")]
    Embedder(String),
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    #[error("no conversation with id {0}; `kodiak conversations list` shows the ids")]
    NoSuchConversation(i64),
    #[error(
        "search is paused after {failures} failures in a row; it is tried again in \
         {retry_in_secs:.0} s"
    )]
    SearchPaused { failures: u32, retry_in_secs: f64 },
    #[error("the question is empty")]
    EmptyQuestion,
    #[error(transparent)]
    Pii(#[from] crate::pii::PiiError),
    #[error(transparent)]
    Review(#[from] ReviewInputError),
    #[error("{0}")]
    Record(String),
    #[error("no checklist job with id {0}; `kodiak review jobs` lists them")]
    NoSuchJob(i64),
    /// A checklist job cannot do what was asked; the message says why and what to do.
    #[error("{0}")]
    Job(String),
    #[error(transparent)]
    Term(#[from] crate::report::terms::TermError),
    /// A production decision, set or run that cannot be made as asked; says why and what
    /// to do.
    #[error("{0}")]
    Production(String),
}

/// An answer's record that could not be written.
fn record_error(e: serde_json::Error) -> ServiceError {
    ServiceError::Record(format!("cannot store an answer's details: {e}"))
}

impl From<rusqlite::Error> for ServiceError {
    fn from(e: rusqlite::Error) -> ServiceError {
        ServiceError::Storage(StorageError::from(e))
    }
}

/// The vectors in memory, per kind, and what they lack.
#[derive(Default)]
struct Vectors {
    /// The embedding model's.
    full: Option<VectorIndex>,
    /// Chunks without a vector from the embedding model.
    full_missing: usize,
    /// Set when chunks have no vector from the embedding model.
    full_note: Option<String>,
    /// The fast model's, held while they serve (see [`Kodiak::nearest_to`]).
    fast: Option<VectorIndex>,
    fast_note: Option<String>,
}

/// The Kodiak service: the database, the index, the model workers and the guards, behind the
/// methods front ends call. Open one per data directory.
pub struct Kodiak {
    settings: Settings,
    db: Database,
    /// The index is derived data: when it cannot open, everything else still works and
    /// health says what is wrong.
    index: Result<SearchIndex, SearchError>,
    /// Started on first use; an error says why it is unavailable.
    embedder: OnceLock<Result<EmbedderWorker, String>>,
    /// The embedder's vectors, loaded on the first vector search.
    vectors: Mutex<Vectors>,
    /// The fast vector model, loaded (or distilled) on first use.
    fast: OnceLock<Result<Arc<crate::llm::StaticEmbedder>, String>>,
    /// The clause model ranking passages for questions that name a clause type, loaded on
    /// first use; an error says why it is unavailable.
    clause_ranker: OnceLock<Result<crate::search::ClauseRanker, String>>,
    /// Started on first use (or by [`Kodiak::start_generator`]); loads in the background.
    generator: OnceLock<GeneratorWorker>,
    breakers: Breakers,
    /// Why the latest generation failed, for the note while the breaker is open.
    last_generation_failure: Mutex<Option<String>>,
    limiter: RateLimiter,
    /// Who this process acts as, for the audit log.
    actor: crate::storage::audit::Actor,
    /// The matter open, as its `matter.json` said when it was opened.
    matter: crate::matter::Matter,
}

/// One breaker per component that can fail over and over.
struct Breakers {
    generator: Breaker,
    embedder: Breaker,
    search: Breaker,
}

impl Kodiak {
    /// Opens the data directory: the database is created and migrated if needed, and the
    /// search index catches up with anything SQLite holds that it does not.
    pub fn open(settings: Settings) -> Result<Kodiak, StorageError> {
        let matter = crate::matter::open(&settings.paths.data_dir, &settings.paths.matter)?;
        let mut db = Database::open(&settings.paths.database, &settings.config.database)?;
        if let Err(archived) = matter.check_changeable() {
            db.make_read_only(archived.to_string());
        }
        let index = SearchIndex::open(&settings.paths.index_dir);
        let breakers = &settings.config.breakers;
        let (threshold, reset) = (
            breakers.failure_threshold,
            Duration::from_secs(breakers.reset_timeout_secs),
        );
        let limiter = RateLimiter {
            limit: settings.config.limits.requests,
            window: Duration::from_secs(settings.config.limits.window_secs),
        };
        let kodiak = Kodiak {
            settings,
            db,
            index,
            embedder: OnceLock::new(),
            vectors: Mutex::new(Vectors::default()),
            fast: OnceLock::new(),
            clause_ranker: OnceLock::new(),
            generator: OnceLock::new(),
            breakers: Breakers {
                generator: Breaker::new("generator", threshold, reset),
                embedder: Breaker::new("embedder", threshold, reset),
                search: Breaker::new("search", threshold, reset),
            },
            last_generation_failure: Mutex::new(None),
            limiter,
            actor: audit::current_actor(),
            matter,
        };
        kodiak.catch_up_index();
        kodiak.interrupt_abandoned_answers();
        if let Err(e) = kodiak.record_config() {
            tracing::warn!(error = %e, "the settings were not recorded in the audit log");
        }
        Ok(kodiak)
    }

    /// Answers left `generating` by a process that has ended (killed mid-answer, or the
    /// machine lost power) are marked failed as interrupted, with what they had written:
    /// no answer stays "being written" forever.
    fn interrupt_abandoned_answers(&self) {
        let abandoned = self.db.conn().map_err(ServiceError::from).and_then(|conn| {
            Ok(conversations::generating(&conn)?
                .into_iter()
                .filter(|(id, details)| {
                    AnswerRecord::from_stored(*id, details)
                        .ok()
                        .and_then(|record| record.writer)
                        .is_none_or(|writer| !writer.is_alive())
                })
                .map(|(id, _)| id)
                .collect::<Vec<_>>())
        });
        let outcome = abandoned.and_then(|ids| {
            for &id in &ids {
                self.db.write(|tx| {
                    let record = AnswerRecord {
                        error: Some(
                            "interrupted: the process writing it ended before it finished".into(),
                        ),
                        ..AnswerRecord::default()
                    };
                    let details = record.to_stored().map_err(record_error)?;
                    conversations::interrupt(tx, id, &details).map_err(ServiceError::from)
                })?;
            }
            Ok(ids.len())
        });
        match outcome {
            Ok(0) => {}
            Ok(count) => tracing::warn!(count, "answers left unfinished were marked interrupted"),
            Err(e) => tracing::warn!(error = %e, "cannot look for unfinished answers"),
        }
    }

    /// Recovery after a crash between an SQLite commit and the index commit. A writer
    /// running elsewhere holds the lock and will catch up itself.
    fn catch_up_index(&self) {
        let Ok(index) = &self.index else { return };
        let outcome = index.is_behind(&self.db).and_then(|behind| {
            if !behind {
                return Ok(None);
            }
            index.writer()?.sync(&self.db).map(Some)
        });
        match outcome {
            Ok(Some(stats)) => tracing::info!(
                documents = stats.documents,
                chunks = stats.chunks,
                "search index caught up with the database"
            ),
            Ok(None) | Err(SearchError::Locked { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "search index could not catch up"),
        }
    }

    /// Where the matter's data stands, as any process changes it: the audit trail's head
    /// (every change is recorded there, by whichever process makes it), the newest
    /// checklist cell and the last change the search index reflects. The index's reader first catches up with commits another
    /// process made, so a search after this sees them. A front end that keeps data on
    /// screen compares stamps to know when to reload it.
    pub fn data_stamp(&self) -> Result<DataStamp, ServiceError> {
        let index_change = match &self.index {
            Ok(index) => index.follow_commits()?,
            Err(_) => None,
        };
        let conn = self.db.conn()?;
        let (audit_seq, _) = crate::storage::audit::head(&conn)?;
        let checklist_cells = crate::storage::checklists::last_cell(&conn)?;
        Ok(DataStamp {
            audit_seq,
            index_change,
            checklist_cells,
        })
    }

    /// The matter open.
    pub fn matter(&self) -> &crate::matter::Matter {
        &self.matter
    }

    /// Refuses, before it starts, work that would change an archived matter.
    pub(crate) fn check_changeable(&self) -> Result<(), ServiceError> {
        self.matter
            .check_changeable()
            .map_err(|e| ServiceError::Storage(StorageError::Matter(e)))
    }

    /// The settings it was opened with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The service's database, for the core's own tests; front ends go through the
    /// service's methods.
    #[cfg(test)]
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    /// The full-text index, opened on first use.
    pub fn index(&self) -> Result<&SearchIndex, ServiceError> {
        self.index
            .as_ref()
            .map_err(|e| ServiceError::IndexUnavailable(e.to_string()))
    }

    /// Ingests files and folders (see [`ingest::run`]), then embeds the new chunks when an
    /// embedder is configured. An embedder that fails leaves the chunks without vectors and
    /// says why; the documents are stored and searchable by BM25 either way.
    pub fn ingest(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
    ) -> Result<IngestReport, ServiceError> {
        self.ingest_with_passwords(roots, &Passwords::default(), progress)
    }

    /// [`Kodiak::ingest`], trying `passwords` in order on PDFs that need one.
    pub fn ingest_with_passwords(
        &self,
        roots: &[PathBuf],
        passwords: &Passwords,
        progress: &dyn Progress,
    ) -> Result<IngestReport, ServiceError> {
        self.check_changeable()?;
        self.count_request()?;
        let record_batch = |tx: &rusqlite::Transaction<'_>, event| self.audit(tx, event);
        let mut report = ingest::run(
            &self.settings.config,
            &self.db,
            self.index()?,
            roots,
            passwords,
            progress,
            &record_batch,
        )?;
        // Groups of near-duplicates follow what was ingested; failing to update them
        // loses nothing stored and is said in the log.
        if let Err(e) = self.update_near_duplicates() {
            tracing::warn!("near-duplicates not updated: {e}");
        }
        // So do e-mail threads.
        if let Err(e) = self.update_threads() {
            tracing::warn!("e-mail threads not updated: {e}");
        }
        if self.settings.paths.embedder_model.is_some() && !report.cancelled {
            let embedded = self.embed_missing(ToEmbed::New, progress)?;
            report.cancelled = embedded.cancelled;
            report.chunks_embedded = embedded.embedded;
            report.embedding_error = embedded.error;
        }
        let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        self.record(Event::Ingest {
            roots,
            files: report.files,
            ingested: report.ingested,
            duplicates: report.duplicates,
            unchanged: report.unchanged,
            failed: report.failed.len(),
            needs_ocr: report.needs_ocr.len(),
            cancelled: report.cancelled,
        })?;
        Ok(report)
    }

    /// Counts a request (`ask`, `ingest`) against the user's rate limit.
    fn count_request(&self) -> Result<(), ServiceError> {
        self.limiter
            .acquire(&self.db, &crate::identity::user_identity())?
            .map(|_| ())
            .map_err(ServiceError::from)
    }

    /// How model workers are started: this executable, Kodiak's log level, and a crash
    /// report for every worker that dies.
    fn launch(&self) -> Launch {
        let crash_settings = CrashSettings::from_settings(&self.settings);
        Launch {
            program: self.settings.paths.engine_program.clone(),
            log_filter: self.settings.config.logging.level.clone(),
            on_crash: Arc::new(move |crash: &WorkerCrash| {
                match crash::write_report(&crash_settings, &worker_crash_report(crash)) {
                    Ok(path) => tracing::error!(
                        report = %path.display(),
                        "{}; a crash report was written",
                        crash.reason
                    ),
                    Err(e) => tracing::error!(error = %e, "cannot write the crash report"),
                }
            }),
        }
    }
}

/// Where a matter's data stood when looked at: see [`Kodiak::data_stamp`]. Two stamps
/// differ when anything was stored, by this process or another, in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataStamp {
    pub audit_seq: i64,
    pub index_change: Option<i64>,
    /// The newest checklist cell: a job run by another process fills the grid, which
    /// the audit trail records only when the run ends.
    pub checklist_cells: Option<i64>,
}

/// A crash report for a model worker that died: what it ran, how and when it ended, and
/// its last log lines (scrubbed by the supervisor; never document text).
fn worker_crash_report(crash: &WorkerCrash) -> CrashReport {
    let model = crash
        .model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let message = format!(
        "{} while {} (the {} model process, pid {}, model {model})",
        crash.reason, crash.during, crash.role, crash.pid
    );
    let mut report = CrashReport::of_another(
        &format!("model worker ({})", crash.role),
        &message,
        crash.log_tail.clone(),
    );
    report.location = Some(crash.model.display().to_string());
    report
}

fn poisoned() -> ServiceError {
    ServiceError::Embedder("the vector index was poisoned by an earlier panic".into())
}
