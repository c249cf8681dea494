//! The review report: per document its review status, tags, notes and PII counts by type,
//! as CSV (for spreadsheets), JSON (for scripts) or Markdown (for people).

use crate::timestamp::Timestamp;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

pub mod redactions;
pub mod terms;

use crate::review::{Review, ReviewStatus};

/// One document in the review report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRow {
    pub doc_id: i64,
    pub parent_id: Option<i64>,
    pub title: Option<String>,
    pub path: String,
    pub format: Option<String>,
    pub pages: usize,
    /// Ingest status: ingested, failed or needs_ocr.
    pub ingest_status: String,
    /// Why a file failed or needs OCR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub review: Review,
    /// PII spans by type.
    pub pii: std::collections::BTreeMap<String, usize>,
    /// The near-duplicate group it is in (its principal's id) and its similarity to the
    /// principal; none when it is in no group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_dup_group: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_dup_similarity: Option<f64>,
    /// The e-mail thread it is in (its first message's id) and whether it is inclusive;
    /// none for what is not an e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inclusive: Option<bool>,
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Json,
    Md,
}

impl ReportFormat {
    /// Every format, for front ends to offer.
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Csv, ReportFormat::Json, ReportFormat::Md];

    /// The format's name, as the user writes it.
    pub fn as_str(self) -> &'static str {
        self.extension()
    }

    /// The file name extension of a report in this format.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Json => "json",
            ReportFormat::Md => "md",
        }
    }
}

crate::named::parse_by_name!(ReportFormat, "report format");

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the CSV report: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the JSON report: {0}")]
    Json(#[from] serde_json::Error),
}

/// How many documents stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub documents: usize,
    pub reviewed: usize,
    pub flagged: usize,
    pub unreviewed: usize,
    pub with_pii: usize,
}

impl Summary {
    /// The counts of `rows` by review status.
    pub fn of(rows: &[ReportRow]) -> Summary {
        let mut summary = Summary {
            documents: rows.len(),
            ..Summary::default()
        };
        for row in rows {
            match row.review.status {
                ReviewStatus::Reviewed => summary.reviewed += 1,
                ReviewStatus::Unreviewed => summary.unreviewed += 1,
            }
            if row.review.flagged {
                summary.flagged += 1;
            }
            if !row.pii.is_empty() {
                summary.with_pii += 1;
            }
        }
        summary
    }
}

/// The report of `rows`, generated at `generated_at` (RFC 3339).
pub fn render(
    rows: &[ReportRow],
    format: ReportFormat,
    made: &Provenance,
) -> Result<String, ReportError> {
    match format {
        ReportFormat::Csv => csv_report(rows),
        ReportFormat::Json => {
            #[derive(Serialize)]
            struct Report<'a> {
                matter: &'a str,
                generated_at: &'a Timestamp,
                audit_chain_head: &'a AuditHead,
                network: &'a str,
                summary: Summary,
                documents: &'a [ReportRow],
            }
            let mut text = serde_json::to_string_pretty(&Report {
                matter: &made.matter,
                generated_at: &made.generated_at,
                audit_chain_head: &made.audit_head,
                network: &made.network,
                summary: Summary::of(rows),
                documents: rows,
            })?;
            text.push('\n');
            Ok(text)
        }
        ReportFormat::Md => Ok(markdown_report(rows, made)),
    }
}

/// When a report was made, and the audit trail's newest entry then: `kodiak audit verify`
/// later shows whether the trail the report came from is still intact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The matter the report was made in.
    pub matter: String,
    pub generated_at: Timestamp,
    #[serde(rename = "audit_chain_head")]
    pub audit_head: AuditHead,
    /// The air gap when the report was made: `blocked (seccomp)` or `open`.
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl Provenance {
    /// The line a Markdown report carries.
    pub fn line(&self) -> String {
        format!(
            "Matter {}. Generated {}; audit trail head: entry {}, {}; network {}.",
            self.matter, self.generated_at, self.audit_head.seq, self.audit_head.hash, self.network
        )
    }
}

/// One row per document; one `pii_TYPE` column per PII type found anywhere.
fn csv_report(rows: &[ReportRow]) -> Result<String, ReportError> {
    let kinds: BTreeSet<&str> = rows
        .iter()
        .flat_map(|row| row.pii.keys().map(String::as_str))
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "doc_id",
        "parent_id",
        "title",
        "path",
        "format",
        "pages",
        "ingest_status",
        "review_status",
        "flagged",
        "reviewed_at",
        "reviewed_by",
        "tags",
        "notes",
        "pii_total",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(kinds.iter().map(|kind| format!("pii_{kind}")));
    writer.write_record(&header)?;
    for row in rows {
        let notes: Vec<&str> = row.review.notes.iter().map(|n| n.text.as_str()).collect();
        let mut record = vec![
            row.doc_id.to_string(),
            row.parent_id.map(|id| id.to_string()).unwrap_or_default(),
            spreadsheet_safe(row.title.as_deref().unwrap_or_default()),
            spreadsheet_safe(&row.path),
            row.format.clone().unwrap_or_default(),
            row.pages.to_string(),
            row.ingest_status.clone(),
            row.review.status.as_str().to_owned(),
            if row.review.flagged { "yes" } else { "no" }.to_owned(),
            row.review
                .updated_at
                .map(|at| at.to_string())
                .unwrap_or_default(),
            spreadsheet_safe(row.review.updated_by.as_deref().unwrap_or_default()),
            spreadsheet_safe(&row.review.tags.join(", ")),
            spreadsheet_safe(&notes.join("\n---\n")),
            row.pii.values().sum::<usize>().to_string(),
        ];
        record.extend(
            kinds
                .iter()
                .map(|kind| row.pii.get(*kind).copied().unwrap_or(0).to_string()),
        );
        writer.write_record(&record)?;
    }
    csv_text(writer)
}

/// `body`'s fields after `made`'s, in one JSON object, pretty and ending in a newline.
pub(crate) fn json_with(made: &Provenance, body: &impl Serialize) -> Result<String, ReportError> {
    #[derive(Serialize)]
    struct Json<'a, T: Serialize> {
        #[serde(flatten)]
        made: &'a Provenance,
        #[serde(flatten)]
        body: &'a T,
    }
    let mut text = serde_json::to_string_pretty(&Json { made, body })?;
    text.push('\n');
    Ok(text)
}

/// What a CSV writer wrote, as text.
pub(crate) fn csv_text(writer: csv::Writer<Vec<u8>>) -> Result<String, ReportError> {
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A text cell that a spreadsheet would read as a formula gets a leading apostrophe, so
/// opening the report never runs what a document's title, a note or a term contains.
pub(crate) fn spreadsheet_safe(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// `n` and `what`, in the plural unless `n` is 1: "1 document", "3 documents",
/// "2 families".
pub fn plural(n: usize, what: &str) -> String {
    match (n, what.strip_suffix('y')) {
        (1, _) => format!("1 {what}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {what}s"),
    }
}

/// `text` in at most `width` characters, an ellipsis marking a cut.
pub(crate) fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn markdown_report(rows: &[ReportRow], made: &Provenance) -> String {
    let summary = Summary::of(rows);
    let mut out = String::new();
    let _ = writeln!(out, "# Kodiak review report\n");
    let _ = writeln!(out, "{}\n", made.line());
    let _ = writeln!(
        out,
        "{} documents: {} reviewed, {} unreviewed, {} flagged; {} with personal data.\n",
        summary.documents, summary.reviewed, summary.unreviewed, summary.flagged, summary.with_pii
    );
    for row in rows {
        let title = row.title.as_deref().unwrap_or(&row.path);
        let _ = writeln!(out, "## [{}] {}\n", row.doc_id, inline(title));
        let _ = writeln!(out, "- Path: `{}`", row.path.replace('`', "'"));
        if let Some(parent) = row.parent_id {
            let _ = writeln!(out, "- Attachment of: [{parent}]");
        }
        let _ = writeln!(
            out,
            "- Format: {}, {} pages, {}",
            row.format.as_deref().unwrap_or("unknown"),
            row.pages,
            row.ingest_status
        );
        let review = &row.review;
        let when = match (&review.updated_at, &review.updated_by) {
            (Some(at), Some(by)) => format!(" ({at}, {})", inline(by)),
            (Some(at), None) => format!(" ({at})"),
            _ => String::new(),
        };
        let flag = if review.flagged { ", **flagged**" } else { "" };
        let _ = writeln!(out, "- Review: **{}**{flag}{when}", review.status.as_str());
        if !row.review.tags.is_empty() {
            let tags: Vec<String> = row.review.tags.iter().map(|t| inline(t)).collect();
            let _ = writeln!(out, "- Tags: {}", tags.join(", "));
        }
        if row.pii.is_empty() {
            let _ = writeln!(out, "- Personal data: none found");
        } else {
            let counts: Vec<String> = row
                .pii
                .iter()
                .map(|(kind, count)| format!("{kind} {count}"))
                .collect();
            let _ = writeln!(out, "- Personal data: {}", counts.join(", "));
        }
        if !row.review.notes.is_empty() {
            let _ = writeln!(out, "- Notes:");
            for note in &row.review.notes {
                let by = note
                    .author
                    .as_deref()
                    .map(|author| format!(" {}", inline(author)))
                    .unwrap_or_default();
                let _ = writeln!(out, "  - {}{by}: {}", note.created_at, inline(&note.text));
            }
        }
        out.push('\n');
    }
    out
}

/// Text safe on one Markdown line: line breaks become spaces and markup is escaped.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;

    pub(crate) fn made(at: &str) -> Provenance {
        Provenance {
            matter: "acme".into(),
            generated_at: Timestamp::parse(at).unwrap(),
            audit_head: AuditHead {
                seq: 7,
                hash: "ab12".into(),
            },
            network: "blocked (seccomp)".into(),
        }
    }
    use crate::review::Note;

    fn rows() -> Vec<ReportRow> {
        vec![
            ReportRow {
                doc_id: 1,
                parent_id: None,
                title: Some("=HYPERLINK(\"x\")".into()),
                path: "/docs/lease.pdf".into(),
                format: Some("pdf".into()),
                pages: 3,
                ingest_status: "ingested".into(),
                reason: None,
                review: Review {
                    status: ReviewStatus::Reviewed,
                    flagged: true,
                    tags: vec!["hot".into(), "lease".into()],
                    tagged: Vec::new(),
                    notes: vec![Note {
                        id: 1,
                        text: "check clause 4,\n\"late fees\"".into(),
                        created_at: Timestamp::parse("2026-11-23T10:00:00Z").unwrap(),
                        author: Some("ana".into()),
                    }],
                    updated_at: Some(Timestamp::parse("2026-11-23T10:00:00Z").unwrap()),
                    updated_by: Some("ana".into()),
                },
                pii: BTreeMap::from([("EMAIL_ADDRESS".into(), 2), ("PERSON".into(), 1)]),
                near_dup_group: None,
                near_dup_similarity: None,
                thread_id: None,
                inclusive: None,
            },
            ReportRow {
                doc_id: 2,
                parent_id: Some(1),
                title: None,
                path: "/docs/memo.txt".into(),
                format: Some("text".into()),
                pages: 1,
                ingest_status: "ingested".into(),
                reason: None,
                review: Review::default(),
                pii: BTreeMap::new(),
                near_dup_group: None,
                near_dup_similarity: None,
                thread_id: None,
                inclusive: None,
            },
        ]
    }

    #[test]
    fn csv_has_a_column_per_pii_type_quotes_cells_and_defuses_formulas() {
        let text = render(&rows(), ReportFormat::Csv, &made("2026-11-27T10:00:00Z")).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            &header[7..11],
            ["review_status", "flagged", "reviewed_at", "reviewed_by"]
        );
        assert_eq!(
            &header[13..],
            ["pii_total", "pii_EMAIL_ADDRESS", "pii_PERSON"]
        );
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 2);
        assert_eq!(&records[0][2], "'=HYPERLINK(\"x\")");
        assert_eq!(&records[0][7], "reviewed");
        assert_eq!(
            &records[0][8], "yes",
            "a reviewed document can be flagged too"
        );
        assert_eq!(&records[0][10], "ana");
        assert_eq!(&records[0][11], "hot, lease");
        assert_eq!(&records[0][12], "check clause 4,\n\"late fees\"");
        assert_eq!(&records[0][13], "3");
        assert_eq!(&records[1][1], "1");
        assert_eq!(&records[1][7], "unreviewed");
        assert_eq!(&records[1][8], "no");
        assert_eq!(&records[1][14], "0");
    }

    #[test]
    fn json_carries_summary_and_every_field() {
        let text = render(&rows(), ReportFormat::Json, &made("2026-11-23T10:00:00Z")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["summary"]["documents"], 2);
        assert_eq!(value["summary"]["flagged"], 1);
        assert_eq!(value["summary"]["reviewed"], 1);
        assert_eq!(value["summary"]["with_pii"], 1);
        let first = &value["documents"][0];
        assert_eq!(first["status"], "reviewed");
        assert_eq!(first["flagged"], true);
        assert_eq!(first["notes"][0]["author"], "ana");
        assert_eq!(first["tags"][1], "lease");
        assert_eq!(first["notes"][0]["text"], "check clause 4,\n\"late fees\"");
        assert_eq!(first["pii"]["EMAIL_ADDRESS"], 2);
        assert_eq!(value["matter"], "acme");
        assert_eq!(value["network"], "blocked (seccomp)");
        assert_eq!(value["audit_chain_head"]["hash"], "ab12");
    }

    #[test]
    fn markdown_escapes_markup_and_keeps_notes_on_one_line() {
        let text = render(&rows(), ReportFormat::Md, &made("2026-11-27T10:00:00Z")).unwrap();
        assert!(text.contains(
            "Matter acme. Generated 2026-11-27T10:00:00Z; audit trail head: entry 7, ab12; \
             network blocked (seccomp)."
        ));
        assert!(
            text.contains(
                "2 documents: 1 reviewed, 1 unreviewed, 1 flagged; 1 with personal data."
            )
        );
        assert!(text.contains("## [1] =HYPERLINK(\"x\")"));
        assert!(text.contains("- Personal data: EMAIL_ADDRESS 2, PERSON 1"));
        assert!(text.contains("- Review: **reviewed**, **flagged** (2026-11-23T10:00:00Z, ana)"));
        assert!(text.contains("2026-11-23T10:00:00Z ana: check clause 4, \"late fees\""));
        assert!(text.contains("## [2] /docs/memo.txt"));
        assert!(text.contains("- Attachment of: [1]"));
    }
}
