use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::report::{self, ReportFormat};
use kodiak::storage::review::{Review, ReviewMark};

use super::output::deliver;
use crate::sanitize::line;

/// Writes the review report to `output`, or to standard output.
pub(super) fn export(
    settings: Settings,
    format: ReportFormat,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let rows = kodiak.review_report()?;
    let made = kodiak.provenance()?;
    let text = report::render(&rows, format, &made)?;
    let (seq, hash) = kodiak.record_export("review report", format.as_str(), rows.len())?;
    eprintln!("audit trail head at export: entry {seq}, {hash}");
    let what = format!("the review report of {} documents", rows.len());
    deliver(&text, format == ReportFormat::Json, output, &what)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(settings: Settings, id: i64, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    print_review(id, &kodiak.review(id)?, json)
}

pub(super) fn set(settings: Settings, id: i64, mark: ReviewMark) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    print_review(id, &kodiak.mark(id, mark)?, false)
}

pub(super) fn tag(settings: Settings, id: i64, tags: &[String], remove: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let mut review = kodiak.review(id)?;
    for tag in tags {
        review = if remove {
            kodiak.remove_tag(id, tag)?
        } else {
            kodiak.add_tag(id, tag)?
        };
    }
    print_review(id, &review, false)
}

pub(super) fn note(settings: Settings, id: i64, text: &str) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    print_review(id, &kodiak.add_note(id, text)?, false)
}

fn print_review(id: i64, review: &Review, json: bool) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(review)?);
        return Ok(ExitCode::SUCCESS);
    }
    let flag = if review.flagged { ", flagged" } else { "" };
    let by = match (&review.updated_at, &review.updated_by) {
        (Some(at), Some(user)) => format!(" (by {}, {at})", line(user)),
        _ => String::new(),
    };
    println!("document {id}: {}{flag}{by}", review.status.as_str());
    if !review.tags.is_empty() {
        println!("tags: {}", line(&review.tags.join(", ")));
    }
    for note in &review.notes {
        let by = note
            .author
            .as_deref()
            .map(|author| format!(", {}", line(author)))
            .unwrap_or_default();
        println!("note ({}{by}): {}", note.created_at, line(&note.text));
    }
    Ok(ExitCode::SUCCESS)
}
