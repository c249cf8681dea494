//! The reviewer's work on each document: a status, tags and notes. Written at once on
//! every action, so nothing is lost whatever happens to the process afterwards.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::telemetry;

/// Where a document stands in review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewStatus {
    #[default]
    Unreviewed,
    Reviewed,
    /// Needs a second look or escalation.
    Flagged,
}

impl ReviewStatus {
    /// Every status, for front ends to offer.
    pub const ALL: [ReviewStatus; 3] = [
        ReviewStatus::Unreviewed,
        ReviewStatus::Reviewed,
        ReviewStatus::Flagged,
    ];

    /// The status's name, stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Unreviewed => "unreviewed",
            ReviewStatus::Reviewed => "reviewed",
            ReviewStatus::Flagged => "flagged",
        }
    }
}

super::stored_by_name!(ReviewStatus);
super::parse_by_name!(ReviewStatus, "review status");

/// A note on a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub text: String,
    pub created_at: String,
}

/// One document's review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Review {
    pub status: ReviewStatus,
    /// Sorted, each once.
    pub tags: Vec<String>,
    /// Oldest first.
    pub notes: Vec<Note>,
    /// When the status was last set; None while never reviewed.
    pub updated_at: Option<String>,
}

/// Sets a document's review status.
pub fn set_status(
    tx: &Transaction<'_>,
    document_id: i64,
    status: ReviewStatus,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO reviews (document_id, status, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (document_id) DO UPDATE SET status = ?2, updated_at = ?3",
        params![document_id, status, telemetry::now_rfc3339()],
    )?;
    Ok(())
}

/// Adds `tag`; false when the document already had it.
pub fn add_tag(tx: &Transaction<'_>, document_id: i64, tag: &str) -> rusqlite::Result<bool> {
    let added = tx.execute(
        "INSERT OR IGNORE INTO document_tags (document_id, tag, created_at) VALUES (?1, ?2, ?3)",
        params![document_id, tag, telemetry::now_rfc3339()],
    )?;
    Ok(added > 0)
}

/// Removes `tag`; false when the document did not have it.
pub fn remove_tag(tx: &Transaction<'_>, document_id: i64, tag: &str) -> rusqlite::Result<bool> {
    let removed = tx.execute(
        "DELETE FROM document_tags WHERE document_id = ?1 AND tag = ?2",
        params![document_id, tag],
    )?;
    Ok(removed > 0)
}

/// Adds a note to a document; returns its id.
pub fn add_note(tx: &Transaction<'_>, document_id: i64, text: &str) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO document_notes (document_id, text, created_at) VALUES (?1, ?2, ?3)",
        params![document_id, text, telemetry::now_rfc3339()],
    )?;
    Ok(tx.last_insert_rowid())
}

/// One document's review (the default when it has none yet).
pub fn get(conn: &Connection, document_id: i64) -> rusqlite::Result<Review> {
    let mut all = load(conn, Some(document_id))?;
    Ok(all.remove(&document_id).unwrap_or_default())
}

/// Every reviewed, tagged or annotated document's review, by document id.
pub fn all(conn: &Connection) -> rusqlite::Result<HashMap<i64, Review>> {
    load(conn, None)
}

fn load(conn: &Connection, only: Option<i64>) -> rusqlite::Result<HashMap<i64, Review>> {
    // `?1 IS NULL` selects every document; a single query per table either way.
    let mut reviews: HashMap<i64, Review> = HashMap::new();
    let mut statement = conn.prepare(
        "SELECT document_id, status, updated_at FROM reviews
         WHERE ?1 IS NULL OR document_id = ?1",
    )?;
    let rows = statement.query_map([only], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, ReviewStatus>(1)?,
            row.get(2)?,
        ))
    })?;
    for row in rows {
        let (id, status, updated_at) = row?;
        let review = reviews.entry(id).or_default();
        review.status = status;
        review.updated_at = Some(updated_at);
    }
    let mut statement = conn.prepare(
        "SELECT document_id, tag FROM document_tags
         WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, tag",
    )?;
    let rows = statement.query_map([only], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)))?;
    for row in rows {
        let (id, tag) = row?;
        reviews.entry(id).or_default().tags.push(tag);
    }
    let mut statement = conn.prepare(
        "SELECT document_id, id, text, created_at FROM document_notes
         WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, id",
    )?;
    let rows = statement.query_map([only], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            Note {
                id: row.get(1)?,
                text: row.get(2)?,
                created_at: row.get(3)?,
            },
        ))
    })?;
    for row in rows {
        let (id, note) = row?;
        reviews.entry(id).or_default().notes.push(note);
    }
    Ok(reviews)
}

/// PII span counts by type for every document that has any.
pub fn pii_counts_by_document(
    conn: &Connection,
) -> rusqlite::Result<HashMap<i64, BTreeMap<String, usize>>> {
    let mut counts: HashMap<i64, BTreeMap<String, usize>> = HashMap::new();
    let mut statement = conn
        .prepare("SELECT document_id, kind, count(*) FROM pii_spans GROUP BY document_id, kind")?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (id, kind, count) = row?;
        counts
            .entry(id)
            .or_default()
            .insert(kind, usize::try_from(count).unwrap_or(0));
    }
    Ok(counts)
}

/// Whether the document exists, for a clear error before a review write.
pub fn document_exists(conn: &Connection, document_id: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM documents WHERE id = ?1",
        [document_id],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}
