//! Whether every part of Kodiak is working, as one report for `kodiak health`, the health
//! pane and scripts. Each component says `ok` plus its own figures; the overall status is
//! `unhealthy` when Kodiak cannot keep the reviewer's work (the database), `degraded` when
//! something around it is failing (search index, logs, crash reports) or working worse than
//! it should: most chunks without vectors (search silently keyword-only), a breaker with
//! recent failures, a model decoding far below its own speed. A degraded part says what the
//! reviewer loses and what to do.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::guard::air_gap::NetworkState;

use crate::config::Settings;
use crate::files;
use crate::guard::{BreakerState, BreakerStatus, RateUsage};
use crate::llm::WorkerStatus;
use crate::search::{SearchError, SearchIndex};
use crate::storage::{Database, Integrity, PoolStatus, StorageError};
use crate::telemetry::{self, crash};

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
    pub timestamp: String,
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
    pub breakers: Vec<BreakerStatus>,
    pub rate_limit: Option<RateUsage>,
    pub resources: ResourcesHealth,
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

/// A local model: generator or embedder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelHealth {
    /// False only when a configured model failed; answers and search then degrade.
    pub ok: bool,
    /// `not_configured`, `not_started`, `loading`, `ready` or `failed`.
    pub state: String,
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
    pub last_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// OCR: `ready` (with Tesseract's version and languages), `off`, or `unavailable` (with
/// what to install). Unavailable while `[ingest] ocr = "auto"` is a degraded part: scans
/// stay `needs_ocr`.
#[derive(Debug, Clone, Serialize)]
pub struct OcrHealth {
    pub ok: bool,
    pub state: &'static str,
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
            Ok(_) => (true, "ready", None),
            Err(OcrError::Off) => (true, "off", None),
            Err(e) => (false, "unavailable", Some(e.to_string())),
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
    pub newest: Option<String>,
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
        breakers: Vec::new(),
        rate_limit: None,
        resources: check_resources(settings),
    };
    HealthReport {
        status: components.status(),
        version: env!("CARGO_PKG_VERSION"),
        timestamp: telemetry::now_rfc3339(),
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
fn index_files(dir: &std::path::Path) -> (u64, Option<String>) {
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
        .map(|t| telemetry::format_rfc3339(time::OffsetDateTime::from(t)));
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
            newest: reports.first().map(|r| r.timestamp.clone()),
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

/// One line of the health table: `kodiak health` prints these, the health pane shows them.
/// `status` is the row's own: healthy, degraded (working worse than it should) or
/// unhealthy (failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthRow {
    pub component: &'static str,
    pub status: Status,
    pub detail: String,
}

impl HealthRow {
    /// A row that is healthy when `ok`, else failed.
    fn of(component: &'static str, ok: bool, detail: String) -> HealthRow {
        HealthRow {
            component,
            status: if ok {
                Status::Healthy
            } else {
                Status::Unhealthy
            },
            detail,
        }
    }

    fn model(component: &'static str, model: &ModelHealth) -> HealthRow {
        HealthRow {
            component,
            status: match (model.ok, &model.warning) {
                (false, _) => Status::Unhealthy,
                (true, Some(_)) => Status::Degraded,
                (true, None) => Status::Healthy,
            },
            detail: model_detail(model),
        }
    }
}

/// A round trip as the health table shows it: "under 10 ms" when all is well, then to the
/// nearest 10 ms, then to the nearest 100 ms.
fn coarse_latency(ms: f64) -> String {
    if ms < 10.0 {
        "under 10 ms".to_owned()
    } else if ms < 100.0 {
        format!("about {} ms", (ms / 10.0).round() * 10.0)
    } else {
        format!("about {} ms", (ms / 100.0).round() * 100.0)
    }
}

/// The report as table rows, in a fixed order.
pub fn rows(report: &HealthReport) -> Vec<HealthRow> {
    let c = &report.components;
    let db = &c.database;
    let db_detail = match (&db.error, db.pool, db.latency_ms) {
        (Some(error), _, _) => error.clone(),
        // Coarse figures: the table is redrawn when a row changes, and a round trip that
        // jitters between 0.4 and 1.6 ms is not news (`--json` has the exact figure). Whole
        // milliseconds still flipped the row between "under 1 ms" and "1 ms" on an idle
        // screen. Not the check's age either, for the same reason (`--json` has it).
        (None, Some(pool), Some(latency)) => format!(
            "{}, pool {}/{} ({} idle), schema v{}{}, {}",
            coarse_latency(latency),
            pool.connections,
            pool.max,
            pool.idle,
            db.schema_version.unwrap_or_default(),
            match &db.integrity {
                Some(integrity) if integrity.ok => ", intact",
                _ => "",
            },
            db.path.display()
        ),
        _ => db.path.display().to_string(),
    };
    let index = &c.search_index;
    let index_detail = index.error.clone().unwrap_or_else(|| {
        let mut parts = vec![format!("{} chunks", index.chunks.unwrap_or_default())];
        if let Some(documents) = index.documents {
            parts.push(format!("{documents} documents"));
        }
        if let Some(size) = index.size_bytes {
            parts.push(human_bytes(size));
        }
        if let Some(commit) = &index.last_commit {
            parts.push(format!("committed {commit}"));
        }
        parts.push(index.directory.display().to_string());
        parts.join(", ")
    });
    let logs_detail = c
        .logs
        .error
        .clone()
        .unwrap_or_else(|| c.logs.directory.display().to_string());
    let crash = &c.crash_reports;
    let crash_detail = crash.error.clone().unwrap_or_else(|| {
        let newest = crash
            .newest
            .as_deref()
            .map(|t| format!(", newest {t}"))
            .unwrap_or_default();
        format!("{} in {}{newest}", crash.count, crash.directory.display())
    });
    let row = HealthRow::of;
    let mut rows = vec![
        row("database", db.ok, db_detail),
        row("search index", index.ok, index_detail),
    ];
    if let Some(llm) = &c.llm {
        rows.push(HealthRow::model("generator", llm));
    }
    if let Some(embedder) = &c.embedder {
        rows.push(HealthRow::model("embedder", embedder));
    }
    for breaker in &c.breakers {
        let mut detail = format!(
            "{:?}, {} failures in a row{}",
            breaker.state,
            breaker.failures,
            breaker
                .retry_in_secs
                .map(|s| format!(", trial in {s:.0} s"))
                .unwrap_or_default()
        )
        .to_lowercase();
        let (component, calls) = match breaker.name {
            "generator" => ("breaker generator", "answers"),
            "embedder" => ("breaker embedder", "embeddings"),
            _ => ("breaker search", "searches"),
        };
        let status = match (breaker.state, breaker.failures) {
            (BreakerState::Closed, 0) => Status::Healthy,
            (BreakerState::Closed, n) => {
                detail = format!("the last {n} {calls} failed; {detail}");
                Status::Degraded
            }
            _ => Status::Unhealthy,
        };
        rows.push(HealthRow {
            component,
            status,
            detail,
        });
    }
    if let Some(rate) = &c.rate_limit {
        rows.push(row(
            "rate limit",
            rate.used < rate.limit,
            format!(
                "{} used of {} per {} s by {}",
                rate.used, rate.limit, rate.window_secs, rate.identity
            ),
        ));
    }
    let resources = &c.resources;
    rows.push(row(
        "memory",
        true,
        resources.rss_bytes.map_or_else(
            || "unknown".to_owned(),
            |b| format!("{} resident", human_bytes(b)),
        ),
    ));
    rows.push(row(
        "disk",
        resources.ok,
        match resources.data_dir_free_bytes {
            Some(free) if !resources.ok => {
                format!("only {} free for the data directory", human_bytes(free))
            }
            Some(free) => format!("{} free for the data directory", human_bytes(free)),
            None => "free space unknown".to_owned(),
        },
    ));
    let ocr = &c.ocr;
    let ocr_detail = match (&ocr.error, &ocr.tesseract) {
        (Some(error), _) => error.clone(),
        (None, _) if ocr.state == "off" => {
            "off ([ingest] ocr = \"off\"): scans stay needs_ocr".into()
        }
        (None, version) => format!(
            "Tesseract {} ({})",
            version.as_deref().unwrap_or("?"),
            ocr.languages.join(", ")
        ),
    };
    rows.push(row("ocr", ocr.ok, ocr_detail));
    let network = &c.network;
    let network_detail = match (network.state, network.wanted) {
        (NetworkState::Blocked, _) => format!(
            "blocked (seccomp): {}",
            crate::guard::air_gap::BLOCKED_PATHS.join(", ")
        ),
        (NetworkState::Open, false) => "open ([security] block_network = false)".to_owned(),
        (NetworkState::Open, true) => {
            "open: the seccomp filter is not installed (see the log)".to_owned()
        }
    };
    rows.push(row("network", network.ok, network_detail));
    rows.push(row("logs", c.logs.ok, logs_detail));
    rows.push(row("crash reports", crash.ok, crash_detail));
    rows
}

fn model_detail(model: &ModelHealth) -> String {
    let path = model
        .model
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let worker = model.worker.as_ref().map(worker_detail).unwrap_or_default();
    if let Some(error) = &model.error {
        return format!("{}: {error}{worker}", model.state);
    }
    // What the reviewer loses comes first.
    let mut parts: Vec<String> = model.warning.iter().cloned().collect();
    parts.push(format!("{}{worker}", model.state.replace('_', " ")));
    if let Some(n) = model.context_size {
        parts.push(format!("context {n}"));
    }
    if let Some(t) = &model.template {
        parts.push(format!("template {t}"));
    }
    if let Some(rate) = model.last_decode_tokens_per_s {
        parts.push(format!("{rate:.1} tokens/s"));
    }
    if let Some(d) = model.dimensions {
        parts.push(format!("{d} dimensions"));
    }
    if let Some(v) = model.vectors {
        parts.push(format!("{v} vectors"));
    }
    if let Some(m) = model.missing_vectors.filter(|m| *m > 0)
        && model.warning.is_none()
    {
        parts.push(format!("{m} chunks without vectors (kodiak reembed)"));
    }
    if !path.is_empty() {
        parts.push(path);
    }
    parts.join(", ")
}

/// `, pid 4242, 1 restart, last crash 2026-11-26T10:02:11Z: …`; empty for a worker that
/// has not started.
fn worker_detail(worker: &WorkerStatus) -> String {
    let mut parts = Vec::new();
    if let Some(pid) = worker.pid {
        parts.push(format!("pid {pid}"));
    }
    match worker.restarts {
        0 => {}
        1 => parts.push("1 restart".to_owned()),
        n => parts.push(format!("{n} restarts")),
    }
    if let Some(crash) = &worker.last_crash {
        // To the second: the row is read, not parsed.
        let at = crash.at.get(..19).unwrap_or(&crash.at);
        parts.push(format!("last crash {at}Z: {}", crash.reason));
    }
    parts.iter().map(|part| format!(", {part}")).collect()
}

/// `1.5 GiB`, `320 MiB`, `12 KiB`, `17 B`. Coarser than `indicatif::HumanBytes` (two
/// decimals) on purpose: the health pane redraws when a row changes, and resident memory
/// moving by a few pages while idle is not a change worth sending over SSH.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part well, the embedder with `vectors` and `missing` chunks without, the
    /// generator breaker with `failures` in a row.
    fn components(vectors: usize, missing: usize, failures: u32) -> Components {
        let dir = PathBuf::from("/data");
        Components {
            database: DatabaseHealth {
                ok: true,
                latency_ms: Some(0.1),
                pool: None,
                path: dir.join("kodiak.db"),
                schema_version: Some(7),
                integrity: None,
                error: None,
            },
            search_index: IndexHealth {
                ok: true,
                directory: dir.join("index"),
                chunks: Some(u64::try_from(vectors + missing).unwrap()),
                applied_change: None,
                documents: None,
                size_bytes: None,
                last_commit: None,
                error: None,
            },
            logs: LogsHealth {
                ok: true,
                directory: dir.join("logs"),
                error: None,
            },
            crash_reports: CrashReportsHealth {
                ok: true,
                directory: dir.join("crashes"),
                count: 0,
                newest: None,
                error: None,
            },
            ocr: OcrHealth {
                ok: true,
                state: "ready",
                tesseract: Some("5.3.0".into()),
                languages: vec!["eng".into()],
                error: None,
            },
            network: NetworkHealth {
                ok: true,
                state: NetworkState::Blocked,
                wanted: true,
                blocked: Vec::new(),
            },
            llm: Some(ModelHealth {
                ok: true,
                state: "ready".into(),
                ..ModelHealth::default()
            }),
            embedder: Some(ModelHealth {
                ok: true,
                state: "ready".into(),
                vectors: Some(vectors),
                missing_vectors: Some(missing),
                warning: ModelHealth::missing_vectors_warning(vectors, missing),
                ..ModelHealth::default()
            }),
            breakers: vec![BreakerStatus {
                name: "generator",
                state: BreakerState::Closed,
                failures,
                retry_in_secs: None,
            }],
            rate_limit: None,
            resources: ResourcesHealth {
                ok: true,
                rss_bytes: None,
                data_dir_free_bytes: None,
            },
        }
    }

    fn report(components: Components) -> HealthReport {
        HealthReport {
            status: components.status(),
            version: "test",
            timestamp: "2026-11-26T10:00:00Z".into(),
            components,
        }
    }

    fn row<'a>(report: &'a [HealthRow], component: &str) -> &'a HealthRow {
        report.iter().find(|r| r.component == component).unwrap()
    }

    #[test]
    fn most_chunks_without_vectors_degrade_the_embedder_and_say_search_is_keyword_only() {
        let degraded = report(components(383, 14_065, 0));
        assert_eq!(degraded.status, Status::Degraded);
        let rows = rows(&degraded);
        let embedder = row(&rows, "embedder");
        assert_eq!(embedder.status, Status::Degraded);
        assert!(
            embedder.detail.starts_with(
                "search is keyword-only for 98% of chunks (14065 of 14448 have no vector): \
                 run `kodiak reembed`"
            ),
            "{}",
            embedder.detail
        );
        // A few chunks still waiting are no news.
        let healthy = report(components(990, 10, 0));
        assert_eq!(healthy.status, Status::Healthy);
        assert_eq!(
            row(&super::rows(&healthy), "embedder").status,
            Status::Healthy
        );
    }

    #[test]
    fn a_closed_breaker_with_failures_in_a_row_is_degraded_and_says_what_failed() {
        let degraded = report(components(10, 0, 2));
        assert_eq!(degraded.status, Status::Degraded);
        let rows = rows(&degraded);
        let breaker = row(&rows, "breaker generator");
        assert_eq!(breaker.status, Status::Degraded);
        assert!(
            breaker.detail.starts_with("the last 2 answers failed"),
            "{}",
            breaker.detail
        );
        assert_eq!(report(components(10, 0, 0)).status, Status::Healthy);
    }

    #[test]
    fn a_decode_under_a_quarter_of_the_best_since_loading_warns() {
        let warning = ModelHealth::slow_decode_warning(Some(0.5), Some(62.0)).unwrap();
        assert!(warning.contains("0.5 tokens/s"), "{warning}");
        assert!(warning.contains("62.0 tokens/s"), "{warning}");
        assert_eq!(
            ModelHealth::slow_decode_warning(Some(40.0), Some(62.0)),
            None
        );
        assert_eq!(ModelHealth::slow_decode_warning(Some(0.5), None), None);
        let mut slow = components(10, 0, 0);
        if let Some(llm) = &mut slow.llm {
            llm.warning = Some(warning);
        }
        let degraded = report(slow);
        assert_eq!(degraded.status, Status::Degraded);
        assert_eq!(row(&rows(&degraded), "generator").status, Status::Degraded);
    }

    #[test]
    fn a_round_trip_jittering_under_10_ms_shows_one_text_and_slower_ones_are_rounded() {
        for ms in [0.05, 0.4, 1.0, 1.6, 9.9] {
            assert_eq!(coarse_latency(ms), "under 10 ms", "{ms}");
        }
        assert_eq!(coarse_latency(14.0), "about 10 ms");
        assert_eq!(coarse_latency(96.0), "about 100 ms");
        assert_eq!(coarse_latency(250.0), "about 300 ms");
    }
}
