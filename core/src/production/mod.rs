//! Production: what leaves the matter and in what form. A reviewer's decisions on a
//! document (withheld or redacted for privilege, with a basis and a description; ranges
//! or pages redacted, each with a reason), a production set's Bates numbering, and the
//! parts a production is written from: the layout of text-born documents, the PDF
//! writer, the load files and the privilege log. `service::production` makes and verifies
//! productions from them.

pub mod layout;
pub mod load_files;
pub mod pdf;
pub mod privilege_log;
pub mod raster;
pub mod verify;

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

pub use layout::Cut;

/// What privilege does to a document in a production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Treatment {
    /// Not produced: a slip sheet stands in its place.
    Withhold,
    /// Produced with its privileged parts redacted.
    Redact,
}

impl Treatment {
    pub const ALL: [Treatment; 2] = [Treatment::Withhold, Treatment::Redact];

    pub fn as_str(self) -> &'static str {
        match self {
            Treatment::Withhold => "withhold",
            Treatment::Redact => "redact",
        }
    }
}

crate::named::stored_by_name!(Treatment);
crate::named::parse_by_name!(Treatment, "privilege treatment");

/// The ground privilege is claimed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    AttorneyClient,
    WorkProduct,
    Other,
}

impl Basis {
    pub const ALL: [Basis; 3] = [Basis::AttorneyClient, Basis::WorkProduct, Basis::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::AttorneyClient => "attorney-client",
            Basis::WorkProduct => "work-product",
            Basis::Other => "other",
        }
    }

    /// As a privilege log says it.
    pub fn describe(self) -> &'static str {
        match self {
            Basis::AttorneyClient => "Attorney-client privilege",
            Basis::WorkProduct => "Attorney work product",
            Basis::Other => "Other privilege",
        }
    }
}

crate::named::stored_by_name!(Basis);
crate::named::parse_by_name!(Basis, "privilege basis");

/// A privilege decision on a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Privilege {
    pub treatment: Treatment,
    pub basis: Basis,
    pub description: String,
    pub decided_by: String,
    pub decided_at: Timestamp,
}

/// What a redaction covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Area {
    /// Characters `start..end` of the document's text.
    Span { start: usize, end: usize },
    /// A whole page, 1-based.
    Page { page: usize },
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Area::Span { start, end } => write!(f, "characters {start}-{end}"),
            Area::Page { page } => write!(f, "page {page}"),
        }
    }
}

/// A reviewer's redaction: its number on the document, what it covers and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Redaction {
    pub number: i64,
    pub area: Area,
    pub reason: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// A document's production decisions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Decisions {
    pub privilege: Option<Privilege>,
    pub redactions: Vec<Redaction>,
}

/// How Bates numbers are written: a prefix and the number padded to `digits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bates {
    pub prefix: String,
    pub digits: usize,
}

impl Bates {
    /// Page number `n` as stamped.
    pub fn number(&self, n: u64) -> String {
        format!("{}{:0width$}", self.prefix, n, width = self.digits)
    }
}

/// The privilege claimed over a produced or withheld document, as its log says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub treatment: Treatment,
    pub basis: Basis,
    pub description: String,
}

/// What a production does to one document, fixed when the set is made: the document as
/// it was then (checksum, format), whether it is withheld, and what is redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub sha256: Option<String>,
    pub format: String,
    /// The e-mail or container it is attached to.
    pub parent_id: Option<i64>,
    /// Produced as images of its PDF's pages rather than as laid-out text.
    pub pdf_pages: bool,
    pub claim: Option<Claim>,
    pub cuts: Vec<Cut>,
    /// Whole pages redacted: 1-based page and reason.
    pub whole_pages: Vec<(usize, String)>,
}

impl Plan {
    /// Whether anything of the document is redacted.
    pub fn redacts(&self) -> bool {
        !(self.cuts.is_empty() && self.whole_pages.is_empty())
    }

    pub fn withheld(&self) -> bool {
        self.claim
            .as_ref()
            .is_some_and(|c| c.treatment == Treatment::Withhold)
    }
}

/// One document of a production set: its place, first Bates number and pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDocument {
    pub document_id: i64,
    pub first_number: u64,
    pub pages: usize,
    pub plan: Plan,
}

/// Longest reason or privilege description, in characters.
pub const MAX_REASON_CHARS: usize = 60;
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Whether a Bates prefix can name files and load-file keys on any system: letters,
/// digits, `-` and `_`, at most 20 characters.
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 20
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bates_number_is_the_prefix_and_the_padded_number() {
        let bates = Bates {
            prefix: "ACME".into(),
            digits: 6,
        };
        assert_eq!(bates.number(1), "ACME000001");
        assert_eq!(bates.number(1234567), "ACME1234567");
    }

    #[test]
    fn a_prefix_is_letters_digits_dashes_and_underscores() {
        assert!(valid_prefix("ACME_PROD-1"));
        assert!(!valid_prefix("ACME/.."));
        assert!(!valid_prefix("A B"));
        assert!(!valid_prefix(""));
    }

    #[test]
    fn treatments_and_bases_parse_by_name() {
        assert_eq!("withhold".parse::<Treatment>(), Ok(Treatment::Withhold));
        assert_eq!("work-product".parse::<Basis>(), Ok(Basis::WorkProduct));
        assert!(
            "secret"
                .parse::<Basis>()
                .unwrap_err()
                .contains("attorney-client")
        );
    }
}
