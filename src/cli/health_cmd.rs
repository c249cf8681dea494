use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::health::{self, HealthReport};

use crate::sanitize::line;

/// How long health waits for the generation model to load before reporting `loading`.
const MODEL_LOAD_WAIT: Duration = Duration::from_secs(60);

pub(super) fn run(settings: Settings, json: bool) -> Result<ExitCode> {
    // A database that cannot be opened is reported as unhealthy, not as a failure to run.
    let report = match Kodiak::open(settings.clone()) {
        Ok(kodiak) => {
            // Load the models, so their health is what `ask` and `search` would meet.
            let _ = kodiak.embedder();
            if let Some(generator) = kodiak.start_generator() {
                generator.wait_loaded(MODEL_LOAD_WAIT);
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
    println!(
        "Kodiak {}: {} at {}\n",
        report.version, report.status, report.timestamp
    );
    println!("{:<18} {:<6} DETAILS", "COMPONENT", "STATE");
    for row in health::rows(report) {
        let state = match row.status {
            health::Status::Healthy => "ok",
            health::Status::Degraded => "WARN",
            health::Status::Unhealthy => "FAIL",
        };
        println!("{:<18} {state:<6} {}", row.component, line(&row.detail));
    }
}
