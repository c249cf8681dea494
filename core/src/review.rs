//! A reviewer's coding of a document: its status, a flag, tags and notes, each with who
//! made it and when. `storage::review` keeps them; reports and front ends read them.

use crate::timestamp::Timestamp;
use serde::Serialize;

/// Whether a document has been reviewed. A flag is separate: see [`Review::flagged`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewStatus {
    #[default]
    Unreviewed,
    Reviewed,
}

impl ReviewStatus {
    /// Every status, for front ends to offer.
    pub const ALL: [ReviewStatus; 2] = [ReviewStatus::Unreviewed, ReviewStatus::Reviewed];

    /// The status's name, stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Unreviewed => "unreviewed",
            ReviewStatus::Reviewed => "reviewed",
        }
    }
}

crate::named::stored_by_name!(ReviewStatus);
crate::named::parse_by_name!(ReviewStatus, "review status");

/// One change a reviewer makes to a document's status or flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewMark {
    Reviewed,
    Unreviewed,
    /// Needs a second look or escalation, whatever the status.
    Flagged,
    Unflagged,
}

impl ReviewMark {
    pub const ALL: [ReviewMark; 4] = [
        ReviewMark::Reviewed,
        ReviewMark::Unreviewed,
        ReviewMark::Flagged,
        ReviewMark::Unflagged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewMark::Reviewed => "reviewed",
            ReviewMark::Unreviewed => "unreviewed",
            ReviewMark::Flagged => "flagged",
            ReviewMark::Unflagged => "unflagged",
        }
    }
}

crate::named::parse_by_name!(ReviewMark, "review mark");

/// A note on a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub text: String,
    pub created_at: Timestamp,
    /// The OS user who wrote it; None for notes from before authors were kept.
    pub author: Option<String>,
}

/// A tag on a document, with who added it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tagged {
    pub tag: String,
    pub added_at: Timestamp,
    /// The OS user who added it; None for tags from before who was kept.
    pub added_by: Option<String>,
}

/// One document's review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Review {
    pub status: ReviewStatus,
    pub flagged: bool,
    /// Sorted, each once.
    pub tags: Vec<String>,
    /// Who added each tag and when, in the order of `tags`.
    pub tagged: Vec<Tagged>,
    /// Oldest first.
    pub notes: Vec<Note>,
    /// When the status or flag was last set; None while never marked.
    pub updated_at: Option<Timestamp>,
    /// The OS user who last set them.
    pub updated_by: Option<String>,
}
