//! The health report as people read it: a row per component, its state in words.

use super::*;

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
pub(super) fn coarse_latency(ms: f64) -> String {
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
    if let Some(vectors) = &c.vectors {
        rows.push(row("vectors", true, vectors.words()));
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
        (None, _) if ocr.state == OcrState::Off => {
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
        return format!("{}: {error}{worker}", model.state.words());
    }
    // What the reviewer loses comes first.
    let mut parts: Vec<String> = model.warning.iter().cloned().collect();
    parts.push(format!("{}{worker}", model.state.words()));
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
        parts.push(format!("last crash {}: {}", crash.at, crash.reason));
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
