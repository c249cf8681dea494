//! The reviewer's work on each document: a status, a flag, tags and notes, each with who
//! made it and when. Written at once on every action, so nothing is lost whatever happens
//! to the process afterwards.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::timestamp::Timestamp;

pub use crate::review::{Note, Review, ReviewMark, ReviewStatus, Tagged};

/// Sets a document's status or flag, recording `user` as who did it.
pub fn mark(
    tx: &Transaction<'_>,
    document_id: i64,
    mark: ReviewMark,
    user: &str,
) -> rusqlite::Result<()> {
    let now = Timestamp::now();
    let (column, value): (&str, &dyn rusqlite::ToSql) = match mark {
        ReviewMark::Reviewed => ("status", &ReviewStatus::Reviewed),
        ReviewMark::Unreviewed => ("status", &ReviewStatus::Unreviewed),
        ReviewMark::Flagged => ("flagged", &true),
        ReviewMark::Unflagged => ("flagged", &false),
    };
    tx.execute(
        "INSERT INTO reviews (document_id, status, updated_at, updated_by)
         VALUES (?1, 'unreviewed', ?3, ?4)
         ON CONFLICT (document_id) DO NOTHING",
        params![document_id, value, now, user],
    )?;
    tx.execute(
        &format!(
            "UPDATE reviews SET {column} = ?2, updated_at = ?3, updated_by = ?4
             WHERE document_id = ?1"
        ),
        params![document_id, value, now, user],
    )?;
    Ok(())
}

/// Adds `tag`, by `user`; false when the document already had it.
pub fn add_tag(
    tx: &Transaction<'_>,
    document_id: i64,
    tag: &str,
    user: &str,
) -> rusqlite::Result<bool> {
    let added = tx.execute(
        "INSERT OR IGNORE INTO document_tags (document_id, tag, created_at, added_by)
         VALUES (?1, ?2, ?3, ?4)",
        params![document_id, tag, Timestamp::now(), user],
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

/// Adds a note by `author` to a document; returns its id.
pub fn add_note(
    tx: &Transaction<'_>,
    document_id: i64,
    text: &str,
    author: &str,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO document_notes (document_id, text, created_at, author)
         VALUES (?1, ?2, ?3, ?4)",
        params![document_id, text, Timestamp::now(), author],
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
        "SELECT document_id, status, flagged, updated_at, updated_by FROM reviews
         WHERE ?1 IS NULL OR document_id = ?1",
    )?;
    let rows = statement.query_map([only], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            Review {
                status: row.get(1)?,
                flagged: row.get(2)?,
                updated_at: Some(row.get(3)?),
                updated_by: row.get(4)?,
                ..Review::default()
            },
        ))
    })?;
    for row in rows {
        let (id, review) = row?;
        reviews.insert(id, review);
    }
    let mut statement = conn.prepare(
        "SELECT document_id, tag, created_at, added_by FROM document_tags
         WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, tag",
    )?;
    let rows = statement.query_map([only], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            Tagged {
                tag: row.get(1)?,
                added_at: row.get(2)?,
                added_by: row.get(3)?,
            },
        ))
    })?;
    for row in rows {
        let (id, tagged) = row?;
        let review = reviews.entry(id).or_default();
        review.tags.push(tagged.tag.clone());
        review.tagged.push(tagged);
    }
    let mut statement = conn.prepare(
        "SELECT document_id, id, text, created_at, author FROM document_notes
         WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, id",
    )?;
    let rows = statement.query_map([only], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            Note {
                id: row.get(1)?,
                text: row.get(2)?,
                created_at: row.get(3)?,
                author: row.get(4)?,
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
