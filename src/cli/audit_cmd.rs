//! `kodiak audit`: the audit trail listed, verified and exported.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::service::AuditFilter;

use super::output::deliver;
use crate::sanitize::line;

pub(super) fn list(settings: Settings, filter: &AuditFilter, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let entries = kodiak.audit_entries(filter)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("no audit entries match");
    }
    for entry in &entries {
        println!(
            "{:>6}  {}  {}@{}  {:<18} {}",
            entry.seq,
            entry.at,
            line(&entry.user),
            line(&entry.host),
            entry.action,
            line(&entry.detail)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit 0 when the chain is intact; 1 naming the first entry at fault.
pub(super) fn verify(settings: Settings, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let verified = kodiak.audit_verify()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&verified)?);
    }
    match &verified.broken {
        None => {
            if !json {
                let places: Vec<&str> = verified
                    .witnesses
                    .iter()
                    .map(|w| w.place.as_str())
                    .collect();
                let agree = match places.as_slice() {
                    [] => String::new(),
                    [one] => format!("; {one} agrees"),
                    [first @ .., last] => format!("; {} and {last} agree", first.join(", ")),
                };
                println!(
                    "audit trail intact: {} entries, head {} {}{agree}",
                    verified.entries, verified.head_seq, verified.head_hash
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            eprintln!("kodiak: audit trail broken: {}", broken.problem);
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Every entry, with the chain head, as JSON or CSV.
pub(super) fn export(settings: Settings, csv: bool, output: Option<&Path>) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let entries = kodiak.audit_entries(&AuditFilter::default())?;
    let verified = kodiak.audit_verify()?;
    kodiak.record_export(
        "audit trail",
        if csv { "csv" } else { "json" },
        entries.len(),
    )?;
    let text = if csv {
        kodiak::service::audit_csv(&entries)?
    } else {
        let document = serde_json::json!({
            "generated_at": kodiak::timestamp::Timestamp::now().to_stored(),
            "verification": verified,
            "entries": entries,
        });
        serde_json::to_string_pretty(&document)? + "\n"
    };
    let what = format!(
        "{} audit entries (head {} {})",
        entries.len(),
        verified.head_seq,
        verified.head_hash
    );
    deliver(&text, !csv, output, &what)?;
    Ok(ExitCode::SUCCESS)
}
