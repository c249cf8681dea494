use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Map, Value};

use kodiak::config::Settings;
use kodiak::extract::{self, DocumentText, Limits};
use kodiak::pii::{Detector, Finding, char_offsets};

use crate::sanitize::line;

/// A finding as users see it: offsets in characters, end exclusive.
#[derive(Serialize)]
struct Shown {
    #[serde(rename = "type")]
    kind: String,
    start: usize,
    end: usize,
    score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

fn shown(text: &str, findings: &[Finding], with_text: bool) -> Vec<Shown> {
    let offsets = char_offsets(text, findings);
    findings
        .iter()
        .zip(offsets)
        .map(|(f, (start, end))| Shown {
            kind: f.kind.to_string(),
            start,
            end,
            score: (f64::from(f.score) * 100.0).round() / 100.0,
            text: with_text.then(|| text[f.start..f.end].to_owned()),
        })
        .collect()
}

#[derive(Serialize)]
struct FileReport {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    findings: Vec<Shown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(super) fn scan_files(settings: &Settings, files: &[PathBuf], json: bool) -> Result<ExitCode> {
    let detector = Detector::new(&settings.config.pii)?;
    let limits = Limits::from(&settings.config.ingest);
    let mut reports = Vec::new();
    for path in files {
        let label = path.display().to_string();
        match extract::read_file(path, &limits) {
            Ok(bytes) => scan_bytes(&detector, &limits, bytes, &label, path, &mut reports),
            Err(e) => reports.push(FileReport {
                path: label,
                format: None,
                findings: Vec::new(),
                error: Some(e.to_string()),
            }),
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for report in &reports {
            print_report(report);
        }
    }
    let failed = reports.iter().any(|r| r.error.is_some());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Scans one file's text, then its attachments as entries of their own ("mail.eml ▸ a.pdf").
fn scan_bytes(
    detector: &Detector,
    limits: &Limits,
    bytes: Vec<u8>,
    label: &str,
    name: &Path,
    reports: &mut Vec<FileReport>,
) {
    match extract::extract_guarded(bytes, name, limits) {
        Ok(extracted) => {
            let document = DocumentText::new(&extracted);
            let findings = detector.scan(&document.text);
            reports.push(FileReport {
                path: label.to_owned(),
                format: Some(extracted.format.as_str()),
                findings: shown(&document.text, &findings, true),
                error: None,
            });
            for attachment in extracted.attachments {
                let child = format!("{label} ▸ {}", attachment.name);
                scan_bytes(
                    detector,
                    limits,
                    attachment.bytes,
                    &child,
                    Path::new(&attachment.name),
                    reports,
                );
            }
        }
        Err(e) => reports.push(FileReport {
            path: label.to_owned(),
            format: None,
            findings: Vec::new(),
            error: Some(e.to_string()),
        }),
    }
}

fn print_report(report: &FileReport) {
    if let Some(error) = &report.error {
        println!("{}: not scanned: {}", line(&report.path), line(error));
        return;
    }
    println!(
        "{} ({}): {} finding(s)",
        line(&report.path),
        report.format.unwrap_or("?"),
        report.findings.len()
    );
    for f in &report.findings {
        println!(
            "  {:<14} {:.2}  {:>6}-{:<6} {}",
            f.kind,
            f.score,
            f.start,
            f.end,
            line(f.text.as_deref().unwrap_or_default())
        );
    }
}

/// Reads JSON lines `{"text": ..., ...}` and writes, in order, the same object with
/// `findings` added. A line that is not such an object gets `{"error": ...}` instead.
pub(super) fn scan_jsonl(settings: &Settings) -> Result<ExitCode> {
    let detector = Detector::new(&settings.config.pii)?;
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (number, line) in stdin.lines().enumerate() {
        let line = line.context("cannot read standard input")?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(mut record)) => match record.get("text").and_then(Value::as_str) {
                Some(text) => {
                    let findings = shown(text, &detector.scan(text), false);
                    record.insert("findings".into(), serde_json::to_value(findings)?);
                    Value::Object(record)
                }
                None => error_line(number, "no \"text\" string field"),
            },
            Ok(_) => error_line(number, "not a JSON object"),
            Err(e) => error_line(number, &format!("invalid JSON: {e}")),
        };
        serde_json::to_writer(&mut out, &answer)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn error_line(number: usize, message: &str) -> Value {
    let mut object = Map::new();
    object.insert(
        "error".into(),
        Value::String(format!("line {}: {message}", number + 1)),
    );
    Value::Object(object)
}
