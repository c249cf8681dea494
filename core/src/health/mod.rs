//! Whether every part of Kodiak is working, as one report for `kodiak health`, the health
//! pane and scripts. Each component says `ok` plus its own figures; the overall status is
//! `unhealthy` when Kodiak cannot keep the reviewer's work (the database), `degraded` when
//! something around it is failing (search index, logs, crash reports) or working worse than
//! it should: most chunks without vectors (search silently keyword-only), a breaker with
//! recent failures, a model decoding far below its own speed. A degraded part says what the
//! reviewer loses and what to do.

use crate::timestamp::Timestamp;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::guard::air_gap::NetworkState;

use crate::config::{Settings, VectorChoice};
use crate::files;
use crate::guard::{BreakerState, BreakerStatus, RateUsage};
use crate::llm::WorkerStatus;
use crate::search::{SearchError, SearchIndex};
use crate::storage::{Database, Integrity, PoolStatus, StorageError};
use crate::telemetry::crash;

/// How a part, or the whole, stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unhealthy => "unhealthy",
        })
    }
}

impl Status {
    /// 0 healthy, 1 degraded, 2 unhealthy: usable straight from monitoring scripts.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Healthy => 0,
            Status::Degraded => 1,
            Status::Unhealthy => 2,
        }
    }
}

/// What `kodiak health` reports: the overall status, each component, and when it was made.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    pub status: Status,
    pub version: &'static str,
    pub timestamp: Timestamp,
    pub components: Components,
}

/// Each part's health.
#[derive(Debug, Clone, Serialize)]
pub struct Components {
    pub database: DatabaseHealth,
    pub search_index: IndexHealth,
    pub logs: LogsHealth,
    pub crash_reports: CrashReportsHealth,
    /// OCR of scans and images: Tesseract's version, or why it is off or missing.
    pub ocr: OcrHealth,
    /// Whether this process can reach a network.
    pub network: NetworkHealth,
    /// The generation model; None when health was checked without the service.
    pub llm: Option<ModelHealth>,
    pub embedder: Option<ModelHealth>,
    /// The matter's choice of vectors and how far each kind has come; None when health was
    /// checked without the service.
    pub vectors: Option<VectorStatus>,
    pub breakers: Vec<BreakerStatus>,
    pub rate_limit: Option<RateUsage>,
    pub resources: ResourcesHealth,
}

/// How many chunks have a vector of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub with_vectors: usize,
    pub chunks: usize,
}

impl Coverage {
    /// Whole percent, rounded down so that 100 means every chunk.
    pub fn percent(&self) -> usize {
        match self.chunks {
            0 => 100,
            n => self.with_vectors * 100 / n,
        }
    }
}

/// The matter's vectors: its choice and how far each kind has come.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VectorStatus {
    pub choice: VectorChoice,
    /// The matter chose it (`kodiak vectors`); else it is `[embedder] vectors`.
    pub chosen_here: bool,
    /// Chunks with fast vectors (any fast model's).
    pub fast: Coverage,
    /// Chunks with the embedding model's vectors (any model's).
    pub full: Coverage,
}

impl VectorStatus {
    /// `full · fast vectors 100% · full vectors 11% (1481 of 12345)`, for health and the
    /// status line.
    pub fn words(&self) -> String {
        let kind = |name: &str, c: Coverage| match c.percent() {
            100 => format!("{name} vectors 100%"),
            p => format!("{name} vectors {p}% ({} of {})", c.with_vectors, c.chunks),
        };
        match self.choice {
            VectorChoice::None => "none: search by words alone".into(),
            VectorChoice::Fast => format!("fast · {}", kind("fast", self.fast)),
            VectorChoice::Full => format!(
                "full · {} · {}",
                kind("fast", self.fast),
                kind("full", self.full)
            ),
        }
    }
}

/// The process's memory and the room left for the data directory.
#[derive(Debug, Clone, Serialize)]
pub struct ResourcesHealth {
    /// False when the data directory's disk is nearly full: ingest and answers then fail.
    pub ok: bool,
    /// Resident memory of this process.
    pub rss_bytes: Option<u64>,
    pub data_dir_free_bytes: Option<u64>,
}

/// Below this much free space the data directory's disk counts as nearly full.
const LOW_DISK_BYTES: u64 = 100 * 1024 * 1024;

/// Above this share of chunks without a vector, search is mostly keyword-only.
const MISSING_VECTORS_PERCENT: usize = 5;

/// A latest decode below this fraction of the best since loading means the machine is
/// starved (busy, swapping), not that the answer was long.
const SLOW_DECODE_FRACTION: f64 = 0.25;

impl ModelHealth {
    /// The warning for an embedder with `missing` of its chunks without vectors, if that is
    /// more than a few percent.
    pub fn missing_vectors_warning(vectors: usize, missing: usize) -> Option<String> {
        let total = vectors + missing;
        (total > 0 && missing * 100 > total * MISSING_VECTORS_PERCENT).then(|| {
            format!(
                "search is keyword-only for {}% of chunks ({missing} of {total} have no vector): \
                 run `kodiak reembed`",
                (missing * 100).div_ceil(total)
            )
        })
    }

    /// The warning for a generator whose latest decode is far below its best.
    pub fn slow_decode_warning(last: Option<f64>, best: Option<f64>) -> Option<String> {
        let (last, best) = (last?, best?);
        (last < best * SLOW_DECODE_FRACTION).then(|| {
            format!(
                "answers are slow: the last decoded at {last:.1} tokens/s, under a quarter of \
                 the {best:.1} tokens/s it reached earlier (the machine is busy or short of \
                 memory)"
            )
        })
    }
}

/// Where a local model stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelState {
    /// Turned off in the configuration.
    #[default]
    NotConfigured,
    /// Configured; not loaded in this process yet.
    NotStarted,
    Loading,
    Ready,
    /// Its file could not be loaded.
    Failed,
    /// Its worker process died; a new one starts with the next request.
    Crashed,
    /// Its worker ended after loading; it starts again when next used.
    RestartsOnNextUse,
}

impl ModelState {
    /// The state in words, as people read it (`not started`).
    pub fn words(self) -> &'static str {
        match self {
            ModelState::NotConfigured => "not configured",
            ModelState::NotStarted => "not started",
            ModelState::Loading => "loading",
            ModelState::Ready => "ready",
            ModelState::Failed => "failed",
            ModelState::Crashed => "crashed",
            ModelState::RestartsOnNextUse => "restarts on next use",
        }
    }
}

/// A local model: generator or embedder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelHealth {
    /// False only when a configured model failed; answers and search then degrade.
    pub ok: bool,
    pub state: ModelState,
    pub model: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_decode_tokens_per_s: Option<f64>,
    /// The fastest decode since the model loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_decode_tokens_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<usize>,
    /// Stored vectors from this embedder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vectors: Option<usize>,
    /// Chunks without a vector from this embedder (`kodiak reembed` fills them in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_vectors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Working, but worse than it should, in the words of what the reviewer loses:
    /// `search is keyword-only for 96% of chunks: run kodiak reembed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The model's worker process: pid, restarts, last crash and llama.cpp's build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<WorkerStatus>,
}

/// The database: its file, schema, pool and integrity.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseHealth {
    pub ok: bool,
    /// Round trip of `SELECT 1` through the pool, checkout included.
    pub latency_ms: Option<f64>,
    pub pool: Option<PoolStatus>,
    pub path: PathBuf,
    pub schema_version: Option<i64>,
    /// SQLite's `quick_check`, run at most every `[database] integrity_check_secs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<Integrity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The full-text index: its folder, size and how far it lags the database.
#[derive(Debug, Clone, Serialize)]
pub struct IndexHealth {
    pub ok: bool,
    pub directory: PathBuf,
    /// Chunks searchable now.
    pub chunks: Option<u64>,
    /// The last database change the index reflects.
    pub applied_change: Option<i64>,
    /// Documents with searchable chunks.
    pub documents: Option<usize>,
    pub size_bytes: Option<u64>,
    /// When the index last committed.
    pub last_commit: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether OCR reads scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OcrState {
    /// Tesseract and pdftoppm are there.
    Ready,
    /// `[ingest] ocr = "off"`.
    Off,
    /// Asked for, but a tool is missing: scans stay `needs_ocr`.
    Unavailable,
}

/// OCR: ready (with Tesseract's version and languages), off, or unavailable (with what to
/// install). Unavailable while `[ingest] ocr = "auto"` is a degraded part: scans stay
/// `needs_ocr`.
#[derive(Debug, Clone, Serialize)]
pub struct OcrHealth {
    pub ok: bool,
    pub state: OcrState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tesseract: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl OcrHealth {
    /// OCR as `[ingest]` configures it on this machine.
    pub fn check(config: &crate::config::IngestConfig) -> OcrHealth {
        use crate::extract::ocr::{self, Ocr, OcrError};
        let tools = ocr::tools().ok();
        let (ok, state, error) = match Ocr::from_config(config) {
            Ok(_) => (true, OcrState::Ready, None),
            Err(OcrError::Off) => (true, OcrState::Off, None),
            Err(e) => (false, OcrState::Unavailable, Some(e.to_string())),
        };
        OcrHealth {
            ok,
            state,
            tesseract: tools.map(|t| t.tesseract_version.clone()),
            languages: config.ocr_languages.clone(),
            error,
        }
    }
}

/// The log folder and its size.
#[derive(Debug, Clone, Serialize)]
pub struct LogsHealth {
    pub ok: bool,
    pub directory: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The crash report folder: how many reports, and the newest.
#[derive(Debug, Clone, Serialize)]
pub struct CrashReportsHealth {
    pub ok: bool,
    pub directory: PathBuf,
    pub count: usize,
    /// Timestamp of the newest report.
    pub newest: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Components {
    /// Unhealthy when the database is not usable; degraded when another part failed or
    /// warns, or a breaker is open or has recent failures; healthy otherwise.
    pub fn status(&self) -> Status {
        let model_failed = [&self.llm, &self.embedder]
            .into_iter()
            .flatten()
            .any(|m| !m.ok || m.warning.is_some());
        let breaker_open = self
            .breakers
            .iter()
            .any(|b| b.state != BreakerState::Closed || b.failures > 0);
        if !self.database.ok {
            Status::Unhealthy
        } else if !self.search_index.ok
            || !self.logs.ok
            || !self.crash_reports.ok
            || !self.ocr.ok
            || !self.network.ok
            || !self.resources.ok
            || model_failed
            || breaker_open
        {
            Status::Degraded
        } else {
            Status::Healthy
        }
    }
}

/// The air gap: whether an AF_INET socket can be opened here, and whether the
/// configuration asks that it cannot. Open while asked to be blocked is degraded.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkHealth {
    pub ok: bool,
    pub state: NetworkState,
    /// `[security] block_network`.
    pub wanted: bool,
    /// The paths to a socket the filter closes, when it is up.
    pub blocked: Vec<&'static str>,
}

impl NetworkHealth {
    pub fn check(wanted: bool) -> NetworkHealth {
        let state = crate::guard::air_gap::state();
        NetworkHealth {
            ok: state == NetworkState::Blocked || !wanted,
            state,
            wanted,
            blocked: match state {
                NetworkState::Blocked => crate::guard::air_gap::BLOCKED_PATHS.to_vec(),
                NetworkState::Open => Vec::new(),
            },
        }
    }
}

/// Checks every component. `database` is the open database, or why it could not be opened;
/// `index` likewise, None when it was not opened because the database could not be.
pub fn check(
    settings: &Settings,
    database: Result<&Database, &StorageError>,
    index: Option<Result<&SearchIndex, &SearchError>>,
) -> HealthReport {
    let components = Components {
        database: check_database(settings, database),
        search_index: check_index(settings, index),
        logs: check_logs(settings),
        crash_reports: check_crash_reports(settings),
        ocr: OcrHealth::check(&settings.config.ingest),
        network: NetworkHealth::check(settings.config.security.block_network),
        llm: None,
        embedder: None,
        vectors: None,
        breakers: Vec::new(),
        rate_limit: None,
        resources: check_resources(settings),
    };
    HealthReport {
        status: components.status(),
        version: env!("CARGO_PKG_VERSION"),
        timestamp: Timestamp::now(),
        components,
    }
}

fn check_database(
    settings: &Settings,
    database: Result<&Database, &StorageError>,
) -> DatabaseHealth {
    let mut health = DatabaseHealth {
        ok: false,
        latency_ms: None,
        pool: None,
        path: settings.paths.database.clone(),
        schema_version: None,
        integrity: None,
        error: None,
    };
    let db = match database {
        Ok(db) => db,
        Err(e) => {
            health.error = Some(e.to_string());
            return health;
        }
    };
    let started = Instant::now();
    let probe = db.conn().and_then(|conn| {
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
        Database::schema_version(&conn)
    });
    // Microsecond resolution is plenty and keeps the JSON readable.
    health.latency_ms = Some((started.elapsed().as_secs_f64() * 1e6).round() / 1e3);
    health.pool = Some(db.pool_status());
    match probe {
        Ok(version) => {
            health.ok = true;
            health.schema_version = Some(version);
        }
        Err(e) => health.error = Some(e.to_string()),
    }
    match db.integrity(db.integrity_every()) {
        Ok(integrity) if integrity.ok => health.integrity = Some(integrity),
        Ok(integrity) => {
            health.ok = false;
            health.error = Some(format!(
                "the database is damaged (quick_check: {}); copy it aside and restore a \
                 backup, or re-ingest into a new data directory",
                integrity.result
            ));
            health.integrity = Some(integrity);
        }
        Err(e) => {
            health.ok = false;
            health.error = Some(format!("the integrity check could not run: {e}"));
        }
    }
    health
}

fn check_index(
    settings: &Settings,
    index: Option<Result<&SearchIndex, &SearchError>>,
) -> IndexHealth {
    let mut health = IndexHealth {
        ok: false,
        directory: settings.paths.index_dir.clone(),
        chunks: None,
        applied_change: None,
        documents: None,
        size_bytes: None,
        last_commit: None,
        error: None,
    };
    match index {
        None => health.error = Some("not opened: the database is unavailable".into()),
        Some(Err(e)) => health.error = Some(e.to_string()),
        Some(Ok(index)) => match index.applied_change() {
            Ok(applied) => {
                health.ok = true;
                health.chunks = Some(index.chunk_count());
                health.applied_change = applied;
                health.documents = Some(index.document_count());
                let (size, last_commit) = index_files(&settings.paths.index_dir);
                health.size_bytes = Some(size);
                health.last_commit = last_commit;
            }
            Err(e) => health.error = Some(e.to_string()),
        },
    }
    health
}

/// The index's size on disk, and when its metadata (rewritten by every commit) last changed.
fn index_files(dir: &std::path::Path) -> (u64, Option<Timestamp>) {
    let size = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let last_commit = std::fs::metadata(dir.join("meta.json"))
        .and_then(|m| m.modified())
        .ok()
        .map(|t| Timestamp::from_datetime(time::OffsetDateTime::from(t)));
    (size, last_commit)
}

fn check_logs(settings: &Settings) -> LogsHealth {
    let directory = settings.paths.log_dir.clone();
    let ok = files::dir_is_writable(&directory);
    LogsHealth {
        ok,
        error: (!ok).then(|| format!("cannot write log files in {}", directory.display())),
        directory,
    }
}

fn check_crash_reports(settings: &Settings) -> CrashReportsHealth {
    let directory = settings.paths.crash_dir.clone();
    match crash::list(&directory) {
        Ok(reports) => CrashReportsHealth {
            ok: true,
            count: reports.len(),
            newest: reports.first().and_then(|r| r.timestamp),
            directory,
            error: None,
        },
        Err(e) => CrashReportsHealth {
            ok: false,
            count: 0,
            newest: None,
            directory,
            error: Some(e.to_string()),
        },
    }
}

fn check_resources(settings: &Settings) -> ResourcesHealth {
    let free = free_bytes(&settings.paths.data_dir);
    ResourcesHealth {
        ok: free.is_none_or(|f| f >= LOW_DISK_BYTES),
        rss_bytes: resident_bytes(),
        data_dir_free_bytes: free,
    }
}

/// Resident set size (memory-stats reads `/proc/self/statm` on Linux, as cheap as a health
/// check every few seconds needs); None where it cannot be read.
fn resident_bytes() -> Option<u64> {
    let stats = memory_stats::memory_stats()?;
    u64::try_from(stats.physical_mem).ok()
}

/// Space available to this user (not root's reserve) on the disk holding `dir`.
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    fs4::available_space(dir).ok()
}

mod rows;

pub use rows::{HealthRow, rows};

#[cfg(test)]
mod tests;
