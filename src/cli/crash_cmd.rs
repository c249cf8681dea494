use std::process::ExitCode;

use anyhow::Result;

use kodiak::config::Settings;
use kodiak::telemetry::crash::{self, CrashReport};

use super::CrashCommand;
use crate::sanitize::line;

pub(super) fn run(command: &CrashCommand, settings: &Settings) -> Result<ExitCode> {
    let dir = &settings.paths.crash_dir;
    match command {
        CrashCommand::List { json } => {
            let reports = crash::list(dir)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else if reports.is_empty() {
                println!("no crash reports in {}", dir.display());
            } else {
                for report in &reports {
                    println!(
                        "{}  {}  {}",
                        line(&report.id),
                        report
                            .timestamp
                            .map_or_else(|| "(unreadable)".to_owned(), |t| t.to_string()),
                        line(&report.message)
                    );
                }
            }
        }
        CrashCommand::Show { id } => print_report(&crash::read(dir, id)?),
        CrashCommand::Clear => {
            let removed = crash::clear(dir)?;
            println!("removed {removed} crash report(s) from {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &CrashReport) {
    println!("Crash report {}", report.id);
    println!("time       {}", report.timestamp);
    println!(
        "version    {} ({}/{})",
        report.version, report.os, report.arch
    );
    println!("thread     {}", line(&report.thread));
    println!("message    {}", line(&report.message));
    if let Some(location) = &report.location {
        println!("location   {}", line(location));
    }
    println!("\nRecent log events ({}):", report.recent_log_events.len());
    for event in &report.recent_log_events {
        let fields: Vec<String> = event
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "  {} {:5} {}: {} {}",
            event.timestamp,
            line(&event.level),
            line(&event.target),
            line(&event.message),
            line(&fields.join(" "))
        );
    }
    println!("\nBacktrace:");
    for frame in &report.backtrace {
        println!("  {}", line(frame));
    }
}
