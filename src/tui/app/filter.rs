//! The document list's filter: a small query language, every term of which must hold.
//!
//! ```text
//! status:unreviewed tag:hot pii>0 type:email failed -tag:done lease
//! ```
//!
//! - `status:reviewed|unreviewed`, `tag:NAME`, `type:FORMAT` (or `format:`): exact,
//!   case-insensitive; `flagged` (or `status:flagged`): flagged, whatever the status;
//! - `pii>N`, `pii<N`, `pii=N`, `pages>N`…: counts; `pii:PHONE_NUMBER` (or `pii:phone`): has
//!   findings of that type;
//! - `failed`, `needs_ocr`, `ingested`: how the file's ingest went;
//! - `near-dup`: in a group of near-duplicates; `near-dup:principal`: the longest of one;
//! - `inclusive`: e-mails no later message of their thread contains; `thread:N`: the
//!   messages of thread N (named by its first message's id);
//! - `id:3,7,12`: those documents (what the search-term report's Enter sets);
//! - `-TERM`: not;
//! - any other word: part of the title or path.

use std::str::FromStr;

use kodiak::service::ReportRow;
use kodiak::storage::review::ReviewStatus;

use super::documents::{pii_total, title_of};

/// A parsed filter; the empty filter lets every document through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    terms: Vec<(bool, Term)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Text(String),
    Status(ReviewStatus),
    Flagged,
    Tag(String),
    Format(String),
    Ingest(&'static str),
    PiiKind(String),
    Count(Counted, Comparison, usize),
    Ids(Vec<i64>),
    /// In a group of near-duplicates; only its principal when true.
    NearDup {
        principal: bool,
    },
    /// An e-mail no later message of its thread contains.
    Inclusive,
    /// A message of this thread.
    Thread(i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Counted {
    Pii,
    Pages,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Less,
    Equal,
    Greater,
}

/// The ingest outcomes a bare word names.
const INGEST_STATES: [&str; 3] = ["failed", "needs_ocr", "ingested"];

const SYNTAX: &str = "status:, tag:, type:, pii>N, pii:TYPE, pages>N, id:N,N, near-dup, \
     near-dup:principal, inclusive, thread:N, flagged, failed, needs_ocr, -TERM";

/// The language in the help (`?`): each term, and what it keeps.
pub const HELP: [(&str, &str); 11] = [
    (
        "status:unreviewed",
        "by review status (reviewed, unreviewed, flagged)",
    ),
    ("flagged", "flagged, whatever the status"),
    ("tag:NAME", "tagged NAME"),
    (
        "type:FORMAT",
        "by format (pdf, docx, email, html, markdown, text)",
    ),
    (
        "pii>N  pages>N",
        "counts: > < = with a number (pii<3, pages=1)",
    ),
    ("pii:phone", "with findings of that type"),
    ("failed  needs_ocr", "by how the file's ingest went"),
    ("id:3,7,12", "those documents"),
    (
        "near-dup",
        "in a group of near-duplicates (near-dup:principal: its longest)",
    ),
    (
        "inclusive  thread:N",
        "e-mails no later message contains; thread N's messages",
    ),
    (
        "-TERM  word",
        "not TERM; a word of the title or path. All terms must hold",
    ),
];

impl Filter {
    /// Parses `text`: the filter of the terms that parse, and the first error, which names
    /// its term and what would be understood. A term half typed (`status:`) is left out
    /// while the rest apply.
    pub fn parse(text: &str) -> (Filter, Option<String>) {
        let mut terms = Vec::new();
        let mut error = None;
        for word in text.split_whitespace() {
            let (negated, body) = match word.strip_prefix('-') {
                Some(body) if !body.is_empty() => (true, body),
                _ => (false, word),
            };
            match Term::parse(body) {
                Ok(term) => terms.push((negated, term)),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        (Filter { terms }, error)
    }

    pub fn matches(&self, row: &ReportRow) -> bool {
        self.terms
            .iter()
            .all(|(negated, term)| term.matches(row) != *negated)
    }
}

impl Term {
    fn parse(word: &str) -> Result<Term, String> {
        let lower = word.to_lowercase();
        for (name, counted) in [("pii", Counted::Pii), ("pages", Counted::Pages)] {
            let Some(rest) = lower.strip_prefix(name) else {
                continue;
            };
            let comparison = match rest.chars().next() {
                Some('<') => Comparison::Less,
                Some('=') => Comparison::Equal,
                Some('>') => Comparison::Greater,
                _ => continue,
            };
            let number = rest[1..]
                .parse::<usize>()
                .map_err(|_| format!("`{word}`: {name} needs a number, as in {name}>0"))?;
            return Ok(Term::Count(counted, comparison, number));
        }
        if let Some((field, value)) = lower.split_once(':') {
            if value.is_empty() {
                return Err(format!("`{word}` needs a value after the colon"));
            }
            return match field {
                "status" if value == "flagged" => Ok(Term::Flagged),
                // The filter's own status, flagged, is named beside the stored ones.
                "status" => ReviewStatus::from_str(value)
                    .map(Term::Status)
                    .map_err(|e| format!("`{word}`: {e}, or flagged")),
                "tag" => Ok(Term::Tag(value.to_owned())),
                "type" | "format" => Ok(Term::Format(value.to_owned())),
                "pii" => Ok(Term::PiiKind(value.to_uppercase())),
                "near-dup" if value == "principal" => Ok(Term::NearDup { principal: true }),
                "near-dup" => Err(format!("`{word}`: near-dup or near-dup:principal")),
                "thread" => value.parse::<i64>().map(Term::Thread).map_err(|_| {
                    format!("`{word}`: thread needs the thread's number, as in thread:12")
                }),
                "id" => value
                    .split(',')
                    .map(|id| id.trim().parse::<i64>())
                    .collect::<Result<Vec<i64>, _>>()
                    .map(Term::Ids)
                    .map_err(|_| format!("`{word}`: id needs document numbers, as in id:3,7")),
                _ => Err(format!("unknown filter `{field}:`; one of {SYNTAX}")),
            };
        }
        if lower == "flagged" {
            return Ok(Term::Flagged);
        }
        if lower == "near-dup" {
            return Ok(Term::NearDup { principal: false });
        }
        if lower == "inclusive" {
            return Ok(Term::Inclusive);
        }
        if let Some(state) = INGEST_STATES.iter().find(|s| **s == lower) {
            return Ok(Term::Ingest(state));
        }
        Ok(Term::Text(lower))
    }

    fn matches(&self, row: &ReportRow) -> bool {
        match self {
            Term::Text(text) => {
                title_of(row).to_lowercase().contains(text)
                    || row.path.to_lowercase().contains(text)
            }
            Term::Status(status) => row.review.status == *status,
            Term::Ids(ids) => ids.contains(&row.doc_id),
            Term::NearDup { principal } => row
                .near_dup_group
                .is_some_and(|group| !principal || group == row.doc_id),
            Term::Inclusive => row.inclusive == Some(true),
            Term::Thread(thread) => row.thread_id == Some(*thread),
            Term::Flagged => row.review.flagged,
            Term::Tag(tag) => row.review.tags.iter().any(|t| t.to_lowercase() == *tag),
            Term::Format(format) => row
                .format
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case(format)),
            Term::Ingest(state) => row.ingest_status == *state,
            // `pii:phone` finds PHONE_NUMBER: a type's name or its first word.
            Term::PiiKind(kind) => row.pii.iter().any(|(name, count)| {
                *count > 0 && (name == kind || name.split('_').next() == Some(kind.as_str()))
            }),
            Term::Count(counted, comparison, number) => {
                let value = match counted {
                    Counted::Pii => pii_total(row),
                    Counted::Pages => row.pages,
                };
                match comparison {
                    Comparison::Less => value < *number,
                    Comparison::Equal => value == *number,
                    Comparison::Greater => value > *number,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use kodiak::storage::review::Review;

    fn doc(title: &str, status: ReviewStatus, tags: &[&str], pii: &[(&str, usize)]) -> ReportRow {
        ReportRow {
            doc_id: 1,
            parent_id: None,
            title: Some(title.into()),
            path: format!("/cases/{title}.eml"),
            format: Some("email".into()),
            pages: 3,
            ingest_status: "ingested".into(),
            reason: None,
            review: Review {
                status,
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                ..Review::default()
            },
            pii: pii
                .iter()
                .map(|(k, n)| ((*k).to_owned(), *n))
                .collect::<BTreeMap<_, _>>(),
            near_dup_group: None,
            near_dup_similarity: None,
            thread_id: None,
            inclusive: None,
        }
    }

    fn passes(filter: &str, row: &ReportRow) -> bool {
        let (parsed, error) = Filter::parse(filter);
        assert_eq!(error, None);
        parsed.matches(row)
    }

    fn error(filter: &str) -> String {
        Filter::parse(filter).1.unwrap()
    }

    #[test]
    fn status_is_exact_so_reviewed_does_not_find_unreviewed() {
        let unreviewed = doc("Lease", ReviewStatus::Unreviewed, &[], &[]);
        let reviewed = doc("Lease", ReviewStatus::Reviewed, &[], &[]);
        assert!(!passes("status:reviewed", &unreviewed));
        assert!(passes("status:reviewed", &reviewed));
        assert!(passes("status:unreviewed", &unreviewed));
        assert!(
            !passes("reviewed", &unreviewed),
            "a bare word is title or path"
        );
    }

    #[test]
    fn terms_combine_and_negate() {
        let hot = doc(
            "Supplier dispute",
            ReviewStatus::Unreviewed,
            &["Hot"],
            &[("PHONE_NUMBER", 2)],
        );
        assert!(passes("status:unreviewed tag:hot pii>0 type:email", &hot));
        assert!(passes("pii:phone", &hot));
        assert!(passes("pii:PHONE_NUMBER pages=3 dispute", &hot));
        assert!(!passes("pii:email", &hot));
        assert!(!passes("-tag:hot", &hot));
        assert!(passes("-status:reviewed pii<3", &hot));
        assert!(!passes("pii>2", &hot));
        assert!(!passes("failed", &hot));
        assert!(passes("ingested", &hot));
        let mut failed = hot.clone();
        failed.ingest_status = "failed".into();
        assert!(passes("failed", &failed));
        assert!(passes("", &failed), "the empty filter lets all through");
    }

    #[test]
    fn an_id_list_lets_through_exactly_those_documents() {
        let mut row = doc("Lease", ReviewStatus::Unreviewed, &[], &[]);
        row.doc_id = 7;
        assert!(passes("id:3,7,12", &row));
        assert!(!passes("id:3,12", &row));
        assert!(passes("-id:3", &row));
        assert!(error("id:3,x").contains("id needs document numbers"));
    }

    #[test]
    fn a_malformed_term_is_an_error_naming_it() {
        let e = error("status:done");
        assert!(e.contains("status:done"), "{e}");
        assert!(e.contains("unreviewed"), "{e}");
        assert!(
            e.contains("flagged"),
            "the error lists every status the filter takes: {e}"
        );
        let e = error("pii>many");
        assert!(e.contains("pii>many"), "{e}");
        let e = error("owner:me");
        assert!(e.contains("unknown filter `owner:`"), "{e}");
        assert!(error("tag:").contains("needs a value"));
        // The terms that parse still apply.
        let (partial, _) = Filter::parse("status:flagged tag:");
        let mut flagged = doc("Lease", ReviewStatus::Reviewed, &[], &[]);
        flagged.review.flagged = true;
        let reviewed = doc("Lease", ReviewStatus::Reviewed, &[], &[]);
        assert!(partial.matches(&flagged) && !partial.matches(&reviewed));
        assert!(passes("flagged status:reviewed", &flagged), "both at once");
    }
}
