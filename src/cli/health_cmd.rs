use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::health::{self, HealthReport};

/// How long health waits for the generation model to load before reporting `loading`.
const MODEL_LOAD_WAIT: Duration = Duration::from_secs(60);

pub(super) fn run(settings: Settings, json: bool) -> Result<ExitCode> {
    // A database that cannot be opened is reported as unhealthy, not as a failure to run.
    let report = match Kodiak::open(settings.clone()) {
        Ok(kodiak) => {
            // Load the models, so their health is what `ask` and `search` would meet.
            let _ = kodiak.embedder();
            if let Some(engine) = kodiak.start_generator() {
                engine.wait_loaded(MODEL_LOAD_WAIT);
            }
            kodiak.health()
        }
        Err(error) => health::check(&settings, Err(&error), None),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::from(report.status.exit_code()))
}

fn print_table(report: &HealthReport) {
    let c = &report.components;
    println!(
        "Kodiak {}: {} at {}\n",
        report.version, report.status, report.timestamp
    );
    let db = &c.database;
    let db_detail = match (&db.error, db.pool, db.latency_ms) {
        (Some(error), _, _) => error.clone(),
        (None, Some(pool), Some(latency)) => format!(
            "{latency:.2} ms, pool {}/{} ({} idle), schema v{}, {}",
            pool.connections,
            pool.max,
            pool.idle,
            db.schema_version.unwrap_or_default(),
            db.path.display()
        ),
        _ => db.path.display().to_string(),
    };
    let index = &c.search_index;
    let index_detail = index.error.clone().unwrap_or_else(|| {
        format!(
            "{} chunks, {}",
            index.chunks.unwrap_or_default(),
            index.directory.display()
        )
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

    let mut rows = vec![
        ("database", db.ok, db_detail),
        ("search index", index.ok, index_detail),
        ("logs", c.logs.ok, logs_detail),
        ("crash reports", crash.ok, crash_detail),
    ];
    if let Some(llm) = &c.llm {
        rows.push(("generator", llm.ok, model_detail(llm)));
    }
    if let Some(embedder) = &c.embedder {
        rows.push(("embedder", embedder.ok, model_detail(embedder)));
    }
    for breaker in &c.breakers {
        let detail = format!(
            "{:?}, {} failures in a row{}",
            breaker.state,
            breaker.failures,
            breaker
                .retry_in_secs
                .map(|s| format!(", trial in {s:.0} s"))
                .unwrap_or_default()
        )
        .to_lowercase();
        let ok = breaker.state == kodiak::guard::BreakerState::Closed;
        rows.push((breaker_label(breaker.name), ok, detail));
    }
    if let Some(rate) = &c.rate_limit {
        rows.push((
            "rate limit",
            rate.used < rate.limit,
            format!(
                "{} used of {} per {} s by {}",
                rate.used, rate.limit, rate.window_secs, rate.identity
            ),
        ));
    }
    println!("{:<18} {:<6} DETAILS", "COMPONENT", "STATE");
    for (name, ok, detail) in rows {
        println!("{name:<18} {:<6} {detail}", if ok { "ok" } else { "FAIL" });
    }
}

fn breaker_label(name: &str) -> &'static str {
    match name {
        "generator" => "breaker generator",
        "embedder" => "breaker embedder",
        _ => "breaker search",
    }
}

fn model_detail(model: &kodiak::health::ModelHealth) -> String {
    let path = model
        .model
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if let Some(error) = &model.error {
        return format!("{}: {error}", model.state);
    }
    let mut parts = vec![model.state.replace('_', " ")];
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
    if let Some(m) = model.missing_vectors.filter(|m| *m > 0) {
        parts.push(format!("{m} chunks without vectors (kodiak reembed)"));
    }
    if !path.is_empty() {
        parts.push(path);
    }
    parts.join(", ")
}
