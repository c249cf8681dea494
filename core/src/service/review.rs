//! Review: a status, tags and notes per document, each written at once, and the report
//! of them all.

use super::{Event, Kodiak, ServiceError};
use crate::report::ReportRow;
use crate::storage::documents;
use crate::storage::review::{self, Review, ReviewMark};

/// Longest tag, in characters.
const MAX_TAG_CHARS: usize = 64;
/// Longest note, in characters.
const MAX_NOTE_CHARS: usize = 10_000;

/// A review entry that cannot be stored as given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReviewInputError {
    #[error("a tag cannot be empty")]
    EmptyTag,
    #[error("a tag is at most {MAX_TAG_CHARS} characters; this one has {0}")]
    LongTag(usize),
    #[error("a tag cannot contain control characters or commas")]
    TagCharacters,
    #[error("a note cannot be empty")]
    EmptyNote,
    #[error("a note is at most {MAX_NOTE_CHARS} characters; this one has {0}")]
    LongNote(usize),
}

impl Kodiak {
    /// A document's review: status, tags and notes.
    pub fn review(&self, document_id: i64) -> Result<Review, ServiceError> {
        let conn = self.db.conn()?;
        if !review::document_exists(&conn, document_id)? {
            return Err(ServiceError::NoSuchDocument(document_id));
        }
        Ok(review::get(&conn, document_id)?)
    }

    /// Sets a document's review status or flag, as the OS user running Kodiak.
    pub fn mark(&self, document_id: i64, mark: ReviewMark) -> Result<Review, ServiceError> {
        let user = crate::identity::user_name();
        let event = Event::Review {
            doc_id: document_id,
            mark: mark.as_str().to_owned(),
        };
        self.review_write(document_id, event, |tx| {
            review::mark(tx, document_id, mark, &user)
        })
    }

    /// Adds a tag (trimmed); adding one the document has is not an error.
    pub fn add_tag(&self, document_id: i64, tag: &str) -> Result<Review, ServiceError> {
        let tag = valid_tag(tag)?;
        let event = Event::Tag {
            doc_id: document_id,
            added: Some(tag.clone()),
            removed: None,
        };
        let user = crate::identity::user_name();
        self.review_write(document_id, event, |tx| {
            review::add_tag(tx, document_id, &tag, &user).map(drop)
        })
    }

    /// Removes a tag from a document.
    pub fn remove_tag(&self, document_id: i64, tag: &str) -> Result<Review, ServiceError> {
        let tag = tag.trim().to_owned();
        let event = Event::Tag {
            doc_id: document_id,
            added: None,
            removed: Some(tag.clone()),
        };
        self.review_write(document_id, event, |tx| {
            review::remove_tag(tx, document_id, &tag).map(drop)
        })
    }

    /// Adds a note to a document.
    pub fn add_note(&self, document_id: i64, text: &str) -> Result<Review, ServiceError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ReviewInputError::EmptyNote.into());
        }
        let chars = text.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(ReviewInputError::LongNote(chars).into());
        }
        let author = crate::identity::user_name();
        // Who wrote a note on which document, and how long: its words stay in the review.
        let event = Event::Note {
            doc_id: document_id,
            note_chars: chars,
        };
        self.review_write(document_id, event, |tx| {
            review::add_note(tx, document_id, text, &author).map(drop)
        })
    }

    /// The terminal UI session the OS user running Kodiak saved last, as it was saved.
    pub fn ui_session(&self) -> Result<Option<String>, ServiceError> {
        let conn = self.db.conn()?;
        Ok(crate::storage::sessions::load(
            &conn,
            &crate::identity::user_name(),
        )?)
    }

    /// Saves the OS user's terminal UI session, replacing the one before.
    pub fn save_ui_session(&self, state: &str) -> Result<(), ServiceError> {
        let user = crate::identity::user_name();
        self.db
            .write(|tx| Ok(crate::storage::sessions::save(tx, &user, state)?))
    }

    /// Every document with its review and PII counts, in the order `docs list` shows.
    pub fn review_report(&self) -> Result<Vec<ReportRow>, ServiceError> {
        let conn = self.db.conn()?;
        let mut reviews = review::all(&conn)?;
        let mut pii = review::pii_counts_by_document(&conn)?;
        Ok(documents::list(&conn)?
            .into_iter()
            .map(|doc| ReportRow {
                review: reviews.remove(&doc.id).unwrap_or_default(),
                pii: pii.remove(&doc.id).unwrap_or_default(),
                doc_id: doc.id,
                parent_id: doc.parent_id,
                title: doc.title,
                path: doc.path,
                format: doc.format,
                pages: doc.pages,
                ingest_status: doc.status.as_str().to_owned(),
                reason: doc.reason,
                near_dup_group: doc.near_dup_group,
                near_dup_similarity: doc.near_dup_similarity,
                thread_id: doc.thread_id,
                inclusive: doc.inclusive,
            })
            .collect())
    }

    /// Runs `write` for an existing document and returns its review afterwards.
    fn review_write(
        &self,
        document_id: i64,
        event: Event,
        write: impl Fn(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<Review, ServiceError> {
        self.db.write(|tx| {
            if !review::document_exists(tx, document_id)? {
                return Err(ServiceError::NoSuchDocument(document_id));
            }
            write(tx)?;
            self.audit(tx, event.clone())?;
            Ok(review::get(tx, document_id)?)
        })
    }
}

fn valid_tag(tag: &str) -> Result<String, ReviewInputError> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(ReviewInputError::EmptyTag);
    }
    let chars = tag.chars().count();
    if chars > MAX_TAG_CHARS {
        return Err(ReviewInputError::LongTag(chars));
    }
    // Commas separate tags in the CSV report and on the command line.
    if tag.chars().any(|c| c.is_control() || c == ',') {
        return Err(ReviewInputError::TagCharacters);
    }
    Ok(tag.to_owned())
}
