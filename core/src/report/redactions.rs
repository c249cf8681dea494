//! The redaction log: every personal-data finding Kodiak stored, per document, with its
//! type, page, character offsets, score and the placeholder that stands for it in redacted
//! text, plus totals per type. Values are shown as salted hashes, so the log can be handed
//! on without the personal data it describes: the same value hashes the same within a
//! matter (so one can see a person named in forty documents), yet without the matter's
//! salt a guessed value cannot be checked against it.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Provenance, ReportError};
use crate::pii::{PiiKind, PiiSpan};

/// Hex digits of the value hash kept: 64 bits, enough to tell values apart in a matter.
const HASH_HEX_DIGITS: usize = 16;

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub doc_id: i64,
    pub path: String,
    #[serde(rename = "type")]
    pub kind: PiiKind,
    pub page: usize,
    /// Character offsets (Unicode scalar values) in the document's stored text, end
    /// exclusive, as `kodiak pii scan` counts them.
    pub start: usize,
    pub end: usize,
    pub score: f32,
    pub placeholder: String,
    pub value_hash: String,
    /// Only with `--with-values`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Totals for one type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TypeTotal {
    pub findings: usize,
    pub documents: usize,
    pub distinct_values: usize,
}

/// The whole log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedactionLog {
    pub documents: usize,
    pub documents_with_pii: usize,
    pub with_values: bool,
    pub totals: BTreeMap<String, TypeTotal>,
    pub findings: Vec<Finding>,
}

/// A document as the log reads it: its stored text, pages and spans (in characters, as
/// stored; spans in text order).
pub struct Source {
    pub doc_id: i64,
    pub path: String,
    pub text: String,
    pub pages: Vec<(usize, usize)>,
    pub spans: Vec<PiiSpan>,
}

/// The salted hash of a value of `kind`: whitespace runs count as one space, so a name
/// broken over two lines is the same name.
pub fn value_hash(salt: &[u8], kind: &str, value: &str) -> String {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(kind.as_bytes());
    hasher.update([0]);
    hasher.update(value.as_bytes());
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(HASH_HEX_DIGITS);
    for byte in digest.iter().take(HASH_HEX_DIGITS / 2) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

impl RedactionLog {
    /// The log of `sources` (every document in scope, with PII or not), read one at a
    /// time: only the findings are kept, not the texts; the first error stops it.
    pub fn of<E>(
        sources: impl IntoIterator<Item = Result<Source, E>>,
        salt: &[u8],
        with_values: bool,
    ) -> Result<RedactionLog, E> {
        let mut documents = 0;
        let mut findings = Vec::new();
        for source in sources {
            documents += 1;
            findings.extend(document_findings(&source?, salt, with_values));
        }
        let mut totals: BTreeMap<String, TypeTotal> = BTreeMap::new();
        let mut seen: BTreeMap<&str, (HashSet<i64>, HashSet<&str>)> = BTreeMap::new();
        for finding in &findings {
            let kind = finding.kind.as_str();
            totals.entry(kind.to_owned()).or_default().findings += 1;
            let (docs, values) = seen.entry(kind).or_default();
            docs.insert(finding.doc_id);
            values.insert(&finding.value_hash);
        }
        for (kind, (docs, values)) in &seen {
            if let Some(total) = totals.get_mut(*kind) {
                total.documents = docs.len();
                total.distinct_values = values.len();
            }
        }
        let documents_with_pii = findings
            .iter()
            .map(|f| f.doc_id)
            .collect::<HashSet<_>>()
            .len();
        Ok(RedactionLog {
            documents,
            documents_with_pii,
            with_values,
            totals,
            findings,
        })
    }

    pub fn text(&self, made: &Provenance) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", made.line());
        let _ = writeln!(
            out,
            "{} in {} of {}{}.\n",
            super::plural(self.findings.len(), "finding"),
            self.documents_with_pii,
            super::plural(self.documents, "document"),
            if self.with_values {
                "; VALUES SHOWN"
            } else {
                "; values as salted hashes"
            }
        );
        let _ = writeln!(
            out,
            "{:<15} {:>8} {:>9} {:>8}",
            "type", "findings", "documents", "distinct"
        );
        for (kind, total) in &self.totals {
            let _ = writeln!(
                out,
                "{kind:<15} {:>8} {:>9} {:>8}",
                total.findings, total.documents, total.distinct_values
            );
        }
        let mut current = None;
        for f in &self.findings {
            if current != Some(f.doc_id) {
                let _ = writeln!(out, "\n[{}] {}", f.doc_id, f.path);
                current = Some(f.doc_id);
            }
            let _ = write!(
                out,
                "  p.{:<3} {:<15} {:.2} {:>7}-{:<7} {:<20} {}",
                f.page, f.kind, f.score, f.start, f.end, f.placeholder, f.value_hash
            );
            if let Some(value) = &f.value {
                let _ = write!(
                    out,
                    "  {}",
                    value.split_whitespace().collect::<Vec<_>>().join(" ")
                );
            }
            out.push('\n');
        }
        out
    }

    pub fn csv(&self) -> Result<String, ReportError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "doc_id",
            "path",
            "type",
            "page",
            "start",
            "end",
            "score",
            "placeholder",
            "value_hash",
        ];
        if self.with_values {
            header.push("value");
        }
        writer.write_record(&header)?;
        for f in &self.findings {
            let mut record = vec![
                f.doc_id.to_string(),
                super::spreadsheet_safe(&f.path),
                f.kind.to_string(),
                f.page.to_string(),
                f.start.to_string(),
                f.end.to_string(),
                format!("{:.2}", f.score),
                f.placeholder.clone(),
                f.value_hash.clone(),
            ];
            if let Some(value) = &f.value {
                record.push(super::spreadsheet_safe(value));
            }
            writer.write_record(&record)?;
        }
        super::csv_text(writer)
    }

    pub fn json(&self, made: &Provenance) -> Result<String, ReportError> {
        super::json_with(made, self)
    }
}

/// The findings of one document, with their pages and values.
fn document_findings(source: &Source, salt: &[u8], with_values: bool) -> Vec<Finding> {
    let mut out = Vec::with_capacity(source.spans.len());
    let mut bytes = ByteOffsets::new(&source.text);
    for span in &source.spans {
        let value = bytes
            .at(span.start)
            .zip(bytes.at(span.end))
            .and_then(|(start, end)| source.text.get(start..end));
        let Some(value) = value.filter(|_| span.start < span.end) else {
            tracing::warn!(
                doc_id = source.doc_id,
                start = span.start,
                "a stored PII span lies outside its document's text; left out of the log"
            );
            continue;
        };
        let page = source
            .pages
            .partition_point(|&(page_start, _)| page_start <= span.start)
            .max(1);
        out.push(Finding {
            doc_id: source.doc_id,
            path: source.path.clone(),
            kind: span.kind.clone(),
            page,
            start: span.start,
            end: span.end,
            score: span.score,
            placeholder: span.placeholder.clone(),
            value_hash: value_hash(salt, span.kind.as_str(), value),
            value: with_values.then(|| value.to_owned()),
        });
    }
    out
}

/// Byte offsets of character offsets in one text, asked in (mostly) rising order: the text
/// is walked once, not from its start for every span.
struct ByteOffsets<'a> {
    text: &'a str,
    chars: usize,
    byte: usize,
}

impl<'a> ByteOffsets<'a> {
    fn new(text: &'a str) -> ByteOffsets<'a> {
        ByteOffsets {
            text,
            chars: 0,
            byte: 0,
        }
    }

    /// The byte offset of character `target`; `None` past the end of the text.
    fn at(&mut self, target: usize) -> Option<usize> {
        if target < self.chars {
            (self.chars, self.byte) = (0, 0);
        }
        let mut rest = self.text.get(self.byte..)?.char_indices();
        while self.chars < target {
            let (_, c) = rest.next()?;
            self.byte += c.len_utf8();
            self.chars += 1;
        }
        Some(self.byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::PiiKind;

    /// The span of the first `value` in `text`, in characters as stored.
    fn span(kind: PiiKind, text: &str, value: &str, placeholder: &str) -> PiiSpan {
        let start = text[..text.find(value).unwrap()].chars().count();
        PiiSpan {
            kind,
            start,
            end: start + value.chars().count(),
            score: 0.9,
            placeholder: placeholder.into(),
        }
    }

    #[test]
    fn offsets_are_characters_pages_follow_the_page_ranges_and_values_stay_hidden() {
        let text = "Café owner: Zoë Adams.\u{c}Write to zoe@example.com or zoe@example.com.";
        let chars = |bytes: usize| text[..bytes].chars().count();
        let page_two = chars(text.find('\u{c}').unwrap() + 1);
        let last = chars(text.rfind("zoe@").unwrap());
        let spans = [
            span(PiiKind::Person, text, "Zoë Adams", "[PERSON_1]"),
            span(
                PiiKind::EmailAddress,
                text,
                "zoe@example.com",
                "[EMAIL_ADDRESS_1]",
            ),
            PiiSpan {
                start: last,
                end: last + "zoe@example.com".len(),
                ..span(
                    PiiKind::EmailAddress,
                    text,
                    "zoe@example.com",
                    "[EMAIL_ADDRESS_1]",
                )
            },
        ];
        let source = Source {
            doc_id: 7,
            path: "/docs/a.txt".into(),
            text: text.into(),
            pages: vec![(0, page_two - 1), (page_two, text.chars().count())],
            spans: spans.to_vec(),
        };
        let log = RedactionLog::of([Ok::<_, ()>(source)], b"salt", false).unwrap();
        let person = &log.findings[0];
        assert_eq!((person.start, person.end, person.page), (12, 21, 1));
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(chars[12..21].iter().collect::<String>(), "Zoë Adams");
        assert_eq!(log.findings[1].page, 2);
        assert!(log.findings.iter().all(|f| f.value.is_none()));
        assert_eq!(log.totals["EMAIL_ADDRESS"].findings, 2);
        assert_eq!(log.totals["EMAIL_ADDRESS"].distinct_values, 1);
        assert_eq!(log.totals["PERSON"].documents, 1);
        let json = log
            .json(&crate::report::tests::made("2026-11-27T10:00:00Z"))
            .unwrap();
        let csv = log.csv().unwrap();
        for out in [
            &json,
            &csv,
            &log.text(&crate::report::tests::made("2026-11-27T10:00:00Z")),
        ] {
            assert!(!out.contains("Zoë"), "{out}");
            assert!(!out.contains("zoe@"), "{out}");
        }
    }

    #[test]
    fn with_values_the_value_is_shown_beside_its_hash() {
        let text = "Call Ann Lee.";
        let spans = [span(PiiKind::Person, text, "Ann Lee", "[PERSON_1]")];
        let source = Source {
            doc_id: 1,
            path: "a".into(),
            text: text.into(),
            pages: vec![(0, text.chars().count())],
            spans: spans.to_vec(),
        };
        let log = RedactionLog::of([Ok::<_, ()>(source)], b"salt", true).unwrap();
        assert_eq!(log.findings[0].value.as_deref(), Some("Ann Lee"));
        assert!(
            log.csv()
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .ends_with(",value")
        );
    }

    #[test]
    fn the_hash_depends_on_the_salt_and_type_but_not_on_line_breaks() {
        let a = value_hash(b"one", "PERSON", "Ann Lee");
        assert_eq!(a.len(), 16);
        assert_eq!(a, value_hash(b"one", "PERSON", "Ann\n  Lee"));
        assert_ne!(a, value_hash(b"two", "PERSON", "Ann Lee"));
        assert_ne!(a, value_hash(b"one", "UK_NINO", "Ann Lee"));
    }
}
