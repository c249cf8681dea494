use std::process::ExitCode;

use anyhow::Result;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::health::{self, HealthReport};

pub(super) fn run(settings: Settings, json: bool) -> Result<ExitCode> {
    // A database that cannot be opened is reported as unhealthy, not as a failure to run.
    let report = match Kodiak::open(settings.clone()) {
        Ok(kodiak) => kodiak.health(),
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

    println!("{:<15} {:<6} DETAILS", "COMPONENT", "STATE");
    for (name, ok, detail) in [
        ("database", db.ok, db_detail),
        ("search index", index.ok, index_detail),
        ("logs", c.logs.ok, logs_detail),
        ("crash reports", crash.ok, crash_detail),
    ] {
        println!("{name:<15} {:<6} {detail}", if ok { "ok" } else { "FAIL" });
    }
}
