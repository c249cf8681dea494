//! The Kodiak service: the one object front ends talk to. It owns the parts and exposes
//! what a reviewer can do; it knows nothing about terminals.

mod ask;
mod conversation;
mod review;

pub use ask::AskOptions;
pub use conversation::{ConversationTurns, StoredAnswer, Turn};
pub use review::{ReportRow, ReviewInputError};

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

/// A document's text with its page ranges and PII spans.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentText {
    pub text: String,
    /// Character range of each page.
    pub pages: Vec<(usize, usize)>,
    pub pii: Vec<PiiSpan>,
}

/// How to search.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// None: hybrid when an embedder is configured, else BM25.
    pub mode: Option<Mode>,
    pub limit: usize,
    /// Only these documents, when not empty.
    pub documents: Vec<i64>,
}

/// Search results, with the mode actually used and why it differs from the one asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutcome {
    pub mode: Mode,
    pub hits: Vec<Hit>,
    /// Why vector search was left out, or what is stale.
    pub notes: Vec<String>,
}

/// Which chunks [`Kodiak::embed_missing`] embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToEmbed {
    /// Chunks with no vector at all: what ingest just stored.
    New,
    /// Also chunks whose vector another embedder made: `kodiak reembed`.
    NotFromCurrent,
}

/// What filling in missing vectors did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmbedReport {
    pub embedded: usize,
    /// Chunks still without a vector, because the embedder failed.
    pub error: Option<String>,
}

/// The in-memory vectors and what they lack.
#[derive(Default)]
struct Vectors {
    matrix: Option<VectorIndex>,
    /// Set when chunks have no vector from the current embedder.
    missing_note: Option<String>,
}

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
    /// Started on first use (or by [`Kodiak::start_generator`]); loads in the background.
    generator: OnceLock<GeneratorWorker>,
    breakers: Breakers,
    /// Why the latest generation failed, for the note while the breaker is open.
    last_generation_failure: Mutex<Option<String>>,
    limiter: RateLimiter,
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
        let db = Database::open(&settings.paths.database, &settings.config.database)?;
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
            generator: OnceLock::new(),
            breakers: Breakers {
                generator: Breaker::new("generator", threshold, reset),
                embedder: Breaker::new("embedder", threshold, reset),
                search: Breaker::new("search", threshold, reset),
            },
            last_generation_failure: Mutex::new(None),
            limiter,
        };
        kodiak.catch_up_index();
        kodiak.interrupt_abandoned_answers();
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

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The service's database, for the core's own tests; front ends go through the
    /// service's methods.
    #[cfg(test)]
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    pub fn index(&self) -> Result<&SearchIndex, ServiceError> {
        self.index
            .as_ref()
            .map_err(|e| ServiceError::IndexUnavailable(e.to_string()))
    }

    /// Every component's health. Models are reported as they are in this process; call
    /// [`Kodiak::start_generator`] and [`Kodiak::embedder`] first to have them loaded.
    pub fn health(&self) -> HealthReport {
        let mut report = health::check(&self.settings, Ok(&self.db), Some(self.index.as_ref()));
        let c = &mut report.components;
        c.llm = Some(self.generator_health());
        c.embedder = Some(self.embedder_health());
        c.breakers = vec![
            self.breakers.generator.status(),
            self.breakers.embedder.status(),
            self.breakers.search.status(),
        ];
        c.rate_limit = self
            .limiter
            .usage(&self.db, &crate::guard::user_identity())
            .ok();
        report.status = report.components.status();
        report
    }

    fn generator_health(&self) -> ModelHealth {
        let mut health = ModelHealth {
            ok: true,
            model: self.settings.paths.generator_model.clone(),
            worker: self.generator.get().map(GeneratorWorker::status),
            ..ModelHealth::default()
        };
        health.state = match self.generator_status() {
            None => "not_configured".into(),
            Some(GeneratorState::NotStarted) => "not_started".into(),
            Some(GeneratorState::Loading) => "loading".into(),
            Some(GeneratorState::Ready(info)) => {
                health.context_size = Some(info.context_size);
                health.template = Some(info.template);
                health.last_decode_tokens_per_s = info.last_decode_tokens_per_s;
                "ready".into()
            }
            Some(GeneratorState::Failed { reason }) => {
                health.ok = false;
                health.error = Some(format!("{reason}; answers are extractive until fixed"));
                "failed".into()
            }
            Some(GeneratorState::Crashed { reason }) => {
                health.ok = false;
                health.error = Some(format!("{reason}; it starts again with the next question"));
                "crashed".into()
            }
        };
        health
    }

    fn embedder_health(&self) -> ModelHealth {
        let mut health = ModelHealth {
            ok: true,
            model: self.settings.paths.embedder_model.clone(),
            ..ModelHealth::default()
        };
        if health.model.is_none() {
            health.state = "not_configured".into();
            return health;
        }
        let Some(started) = self.embedder.get() else {
            health.state = "not_started".into();
            return health;
        };
        match started {
            Ok(handle) => {
                let identity = handle.identity();
                let worker = handle.status();
                health.state = match worker.pid {
                    Some(_) => "ready".into(),
                    None => "restarts_on_next_use".into(),
                };
                health.worker = Some(worker);
                health.dimensions = Some(identity.dimensions);
                if let Ok(conn) = self.db.conn() {
                    let id = vectors::find_embedder(&conn, &identity.file_name, &identity.sha256)
                        .ok()
                        .flatten();
                    let in_use = vectors::embedders_in_use(&conn).unwrap_or_default();
                    health.vectors = Some(
                        in_use
                            .iter()
                            .filter(|e| Some(e.id) == id)
                            .map(|e| e.vectors)
                            .sum(),
                    );
                    health.missing_vectors =
                        vectors::count_to_embed(&conn, Missing::From(id.unwrap_or(0))).ok();
                }
            }
            Err(reason) => {
                health.ok = false;
                health.state = "failed".into();
                health.error = Some(format!("{reason}; search is BM25 only until fixed"));
            }
        }
        health
    }

    /// Ingests files and folders (see [`ingest::run`]), then embeds the new chunks when an
    /// embedder is configured. An embedder that fails leaves the chunks without vectors and
    /// says why; the documents are stored and searchable by BM25 either way.
    pub fn ingest(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
    ) -> Result<IngestReport, ServiceError> {
        self.count_request()?;
        let mut report = ingest::run(
            &self.settings.config,
            &self.db,
            self.index()?,
            roots,
            progress,
        )?;
        if self.settings.paths.embedder_model.is_some() {
            let embedded = self.embed_missing(ToEmbed::New, progress)?;
            report.chunks_embedded = embedded.embedded;
            report.embedding_error = embedded.error;
        }
        Ok(report)
    }

    /// Counts a request (`ask`, `ingest`) against the user's rate limit.
    fn count_request(&self) -> Result<(), ServiceError> {
        self.limiter
            .acquire(&self.db, &crate::guard::user_identity())?
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

    /// The embedder, started on first use; None when none is configured.
    pub fn embedder(&self) -> Option<Result<&EmbedderWorker, &str>> {
        let path = self.settings.paths.embedder_model.as_ref()?;
        let started = self.embedder.get_or_init(|| {
            let threads = crate::cpu::threads_or_cores(self.settings.config.embedder.threads);
            let priority = self.settings.config.ingest.priority;
            EmbedderWorker::start(self.launch(), path, threads, priority).map_err(|e| {
                tracing::warn!(error = %e, "embedder unavailable");
                e.to_string()
            })
        });
        Some(started.as_ref().map_err(String::as_str))
    }

    /// Gives a vector from the configured embedder to the chunks `which` names. Vectors are stored in batches, so an interruption keeps the work
    /// done and the next run goes on from there.
    pub fn embed_missing(
        &self,
        which: ToEmbed,
        progress: &dyn Progress,
    ) -> Result<EmbedReport, ServiceError> {
        const PAGE: usize = 256;
        let handle = match self.embedder() {
            None => {
                return Err(ServiceError::Embedder(
                    "no embedder is configured: set [embedder] enabled = true".into(),
                ));
            }
            Some(Err(reason)) => {
                return Ok(EmbedReport {
                    embedded: 0,
                    error: Some(reason.to_owned()),
                });
            }
            Some(Ok(handle)) => handle,
        };
        let identity = handle.identity();
        let embedder_id = self.db.write(|tx| {
            vectors::embedder_id(
                tx,
                &identity.file_name,
                &identity.sha256,
                identity.dimensions,
            )
            .map_err(ServiceError::from)
        })?;
        let which = match which {
            ToEmbed::New => Missing::Any,
            ToEmbed::NotFromCurrent => Missing::From(embedder_id),
        };
        let total = vectors::count_to_embed(&*self.db.conn()?, which)?;
        let mut report = EmbedReport::default();
        if total == 0 {
            return Ok(report);
        }
        progress.embedding(0, total);
        let mut after = 0;
        loop {
            let page = vectors::chunks_to_embed(&*self.db.conn()?, which, after, PAGE)?;
            let Some(&(last, _)) = page.last() else { break };
            after = last;
            let (ids, texts): (Vec<i64>, Vec<String>) = page.into_iter().unzip();
            let embedded = match handle.embed(texts) {
                Ok(embedded) => embedded,
                Err(e) => {
                    tracing::warn!(error = %e, "embedding failed; chunks left without vectors");
                    report.error = Some(e.to_string());
                    break;
                }
            };
            let pairs: Vec<(i64, Vec<f32>)> = ids.into_iter().zip(embedded).collect();
            self.db
                .write(|tx| vectors::store(tx, embedder_id, &pairs).map_err(ServiceError::from))?;
            report.embedded += pairs.len();
            progress.embedding(report.embedded.min(total), total);
        }
        Ok(report)
    }

    /// Searches by BM25, vector or both (see [`SearchOptions`]). When vector search is
    /// asked for but unavailable, the search is BM25 alone and a note says why.
    pub fn search(
        &self,
        query: &str,
        options: &SearchOptions,
    ) -> Result<SearchOutcome, ServiceError> {
        let index = self.index()?;
        let mut notes = Vec::new();
        let wanted = options
            .mode
            .unwrap_or(match self.settings.paths.embedder_model {
                Some(_) => Mode::Hybrid,
                None => Mode::Bm25,
            });
        // The query is embedded by the embedding worker while this thread ranks by BM25.
        let pending = match wanted {
            Mode::Bm25 => None,
            _ => Some(self.start_query_embedding(query)),
        };
        let retrieval = &self.settings.config.retrieval;
        let scope = (!options.documents.is_empty()).then_some(options.documents.as_slice());
        let request = SearchRequest {
            text: query,
            limit: options.limit,
            candidates: retrieval.candidates,
            scope,
            weights: FusionWeights {
                k: retrieval.rrf_k,
                bm25: retrieval.bm25_weight,
                vector: retrieval.vector_weight,
            },
        };
        let nearest = |candidates: usize, scope: Option<&HashSet<i64>>| {
            let found = pending?.and_then(|pending| self.nearest(pending, candidates, scope));
            match found {
                Ok((hits, missing_note)) => {
                    notes.extend(missing_note);
                    hits
                }
                Err(reason) => {
                    notes.push(format!("vector search unavailable ({reason}); BM25 only"));
                    None
                }
            }
        };
        let found = self
            .breakers
            .search
            .call(|| crate::search::retrieve(index, &self.db, wanted, &request, nearest))
            .ok_or_else(|| {
                let status = self.breakers.search.status();
                ServiceError::SearchPaused {
                    failures: status.failures,
                    retry_in_secs: status.retry_in_secs.unwrap_or(0.0),
                }
            })??;
        // A full disk can leave the index behind the database; say so rather than let
        // "no matches" pass for the truth. (During an ingest it lags until its next commit.)
        if index.is_behind(&self.db).unwrap_or(false) {
            notes.push(
                "the search index is behind the database: documents stored since its last \
                 commit are not found yet; `kodiak reindex` brings it up to date"
                    .into(),
            );
        }
        Ok(SearchOutcome {
            mode: found.mode,
            hits: found.hits,
            notes,
        })
    }

    /// Hands the query to the embedder (unless its breaker is open) without waiting.
    fn start_query_embedding(&self, query: &str) -> Result<QueryEmbedding<'_>, String> {
        let handle = match self.embedder() {
            None => return Err("no embedder is configured".into()),
            Some(Err(reason)) => return Err(reason.to_owned()),
            Some(Ok(handle)) => handle,
        };
        let breaker = &self.breakers.embedder;
        if !breaker.allow() {
            return Err(format!(
                "the embedder failed {} times in a row and is paused",
                breaker.status().failures
            ));
        }
        Ok(QueryEmbedding {
            handle,
            breaker,
            pending: Some(handle.submit(vec![query.to_owned()], Urgency::Query)),
        })
    }

    /// The vector candidates for the query being embedded (None when the embedder has no
    /// vectors yet), with the note on chunks that have no vector, once the vector index
    /// has caught up with SQLite.
    fn nearest(
        &self,
        query: QueryEmbedding<'_>,
        candidates: usize,
        scope: Option<&HashSet<i64>>,
    ) -> Result<(Option<Vec<VectorHit>>, Option<String>), String> {
        self.sync_vectors(query.handle).map_err(|e| e.to_string())?;
        let vector = query
            .wait()
            .map_err(|e| e.to_string())?
            .pop()
            .ok_or_else(|| "the embedder returned nothing".to_owned())?;
        let vectors = self.vectors.lock().map_err(|_| poisoned().to_string())?;
        let hits = vectors
            .matrix
            .as_ref()
            .map(|matrix| matrix.search(&vector, candidates, scope));
        Ok((hits, vectors.missing_note.clone()))
    }

    /// Loads the embedder's vectors on first use, then follows SQLite. Whenever they
    /// change, counts the chunks still without a vector from this embedder: vector search
    /// cannot find those until `kodiak reembed` (or the next ingest) gives them one.
    fn sync_vectors(&self, handle: &EmbedderWorker) -> Result<(), ServiceError> {
        let mut vectors = self.vectors.lock().map_err(|_| poisoned())?;
        let conn = self.db.conn()?;
        let identity = handle.identity();
        let changed = match vectors.matrix.as_mut() {
            Some(matrix) => matrix.sync(&conn)?,
            None => {
                let found = vectors::find_embedder(&conn, &identity.file_name, &identity.sha256)?;
                if let Some(id) = found {
                    vectors.matrix = Some(VectorIndex::load(&conn, id, identity.dimensions)?);
                }
                true
            }
        };
        if changed {
            let current = vectors.matrix.as_ref().map_or(0, VectorIndex::embedder_id);
            let missing = vectors::count_to_embed(&conn, Missing::From(current))?;
            vectors.missing_note = (missing > 0).then(|| {
                format!(
                    "{missing} chunks have no vector from {}; vector search misses them \
                     until `kodiak reembed`",
                    identity.file_name
                )
            });
        }
        Ok(())
    }

    /// Rebuilds the search index from SQLite.
    /// Rebuilds the search index from SQLite. An index that cannot even be opened or read
    /// (damaged files) is started afresh first, so the advised repair always repairs.
    pub fn reindex(&self) -> Result<SyncStats, ServiceError> {
        match &self.index {
            Ok(index) => match index
                .writer()
                .and_then(|mut writer| writer.rebuild(&self.db))
            {
                Err(SearchError::Index { .. }) => {}
                other => return Ok(other?),
            },
            Err(SearchError::Index { .. }) => {}
            Err(other) => return Err(ServiceError::IndexUnavailable(other.to_string())),
        }
        let fresh = SearchIndex::recreate(&self.settings.paths.index_dir)?;
        Ok(fresh.writer()?.rebuild(&self.db)?)
    }

    pub fn documents(&self) -> Result<Vec<DocumentInfo>, ServiceError> {
        Ok(documents::list(&*self.db.conn()?)?)
    }

    pub fn document(&self, id: i64) -> Result<DocumentInfo, ServiceError> {
        documents::get(&*self.db.conn()?, id)?.ok_or(ServiceError::NoSuchDocument(id))
    }

    pub fn pii_counts(&self, id: i64) -> Result<BTreeMap<String, usize>, ServiceError> {
        Ok(documents::pii_counts(&*self.db.conn()?, id)?)
    }

    /// The extracted text; None for a document that has none (failed, needs OCR).
    pub fn document_text(&self, id: i64) -> Result<Option<DocumentText>, ServiceError> {
        let conn = self.db.conn()?;
        if documents::get(&conn, id)?.is_none() {
            return Err(ServiceError::NoSuchDocument(id));
        }
        let Some((text, pages)) = documents::text(&conn, id)? else {
            return Ok(None);
        };
        let pii = documents::pii_spans(&conn, id)?;
        Ok(Some(DocumentText { text, pages, pii }))
    }

    /// Removes a document (and its attachments) from SQLite, then from the index.
    pub fn remove_document(&self, id: i64) -> Result<(), ServiceError> {
        let index = self.index()?;
        // Take the writer first, so a busy index fails the command before anything changes.
        let mut updater = index.writer()?;
        let removed = self
            .db
            .write(|tx| documents::delete(tx, id).map_err(ServiceError::from))?;
        if !removed {
            return Err(ServiceError::NoSuchDocument(id));
        }
        updater.sync(&self.db)?;
        Ok(())
    }
}

/// A search query on its way through the embedder. Its outcome is recorded by the
/// embedder's breaker when it is waited for, or when it is dropped unused (a search that
/// failed first): a half-open breaker's trial must end either way.
struct QueryEmbedding<'a> {
    handle: &'a EmbedderWorker,
    breaker: &'a Breaker,
    pending: Option<PendingEmbedding>,
}

impl QueryEmbedding<'_> {
    fn wait(mut self) -> Result<Vec<Vec<f32>>, LlmError> {
        self.outcome()
            .unwrap_or_else(|| Err(LlmError::Embed("the query was already embedded".into())))
    }

    fn outcome(&mut self) -> Option<Result<Vec<Vec<f32>>, LlmError>> {
        let outcome = self.pending.take()?.wait();
        match &outcome {
            Ok(_) => self.breaker.success(),
            Err(_) => self.breaker.failure(),
        }
        Some(outcome)
    }
}

impl Drop for QueryEmbedding<'_> {
    fn drop(&mut self) {
        self.outcome();
    }
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

#[cfg(test)]
mod tests;
