//! `kodiak report`: the search-term report and the redaction log.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::report::terms::terms_from;
use kodiak::service::JobScope;

use super::output::deliver;

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Text,
    Json,
    Csv,
}

impl Style {
    pub(super) fn of(json: bool, csv: bool) -> Style {
        match (json, csv) {
            (true, _) => Style::Json,
            (false, true) => Style::Csv,
            (false, false) => Style::Text,
        }
    }
}

pub(super) fn terms(
    settings: Settings,
    args: &[String],
    scope: &JobScope,
    style: Style,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let terms = terms_from(args)?;
    let kodiak = Kodiak::open(settings)?;
    let report = kodiak.terms_report(&terms, scope)?;
    let made = kodiak.provenance()?;
    let text = match style {
        Style::Text => report.text(&made),
        Style::Json => report.json(&made)?,
        Style::Csv => report.csv()?,
    };
    let what = format!(
        "the search-term report of {} terms over {} documents",
        report.terms.len(),
        report.documents_searched
    );
    deliver(&text, style == Style::Json, output, &what)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn pii(
    settings: Settings,
    scope: &JobScope,
    with_values: bool,
    style: Style,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let log = kodiak.redaction_log(scope, with_values)?;
    let made = kodiak.provenance()?;
    let text = match style {
        Style::Text => log.text(&made),
        Style::Json => log.json(&made)?,
        Style::Csv => log.csv()?,
    };
    if with_values {
        eprintln!("kodiak: the log shows personal data itself (--with-values); handle it so");
    }
    let what = format!(
        "the redaction log of {} findings in {} documents",
        log.findings.len(),
        log.documents
    );
    deliver(&text, style == Style::Json, output, &what)?;
    Ok(ExitCode::SUCCESS)
}
