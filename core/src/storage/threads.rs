//! E-mail threads as stored: a row per e-mail, replaced whole when the threads are
//! computed again (after e-mails arrive or go).

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, Transaction, params};

use crate::threads::{Message, Placement};

/// Whether an ingested e-mail has no thread row yet.
pub fn any_unthreaded(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM documents d WHERE d.format = 'email'
             AND d.status = 'ingested'
             AND NOT EXISTS (SELECT 1 FROM email_threads t WHERE t.document_id = d.id))",
        [],
        |row| row.get(0),
    )
}

/// Whether a document, or an e-mail attached to it, is in a thread.
pub fn in_thread(conn: &Connection, document: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM email_threads WHERE document_id = ?1
             OR document_id IN (SELECT id FROM documents WHERE parent_id = ?1))",
        [document],
        |row| row.get(0),
    )
}

/// Every ingested e-mail as threading reads it: header fields, text and the checksums of
/// its attachments.
pub fn messages(conn: &Connection) -> rusqlite::Result<Vec<Message>> {
    let mut attachments: HashMap<i64, Vec<String>> = HashMap::new();
    let mut statement = conn.prepare(
        "SELECT c.parent_id, c.sha256 FROM documents c JOIN documents d ON d.id = c.parent_id
         WHERE d.format = 'email' AND c.sha256 IS NOT NULL",
    )?;
    for row in statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)))? {
        let (parent, sha256) = row?;
        attachments.entry(parent).or_default().push(sha256);
    }
    let mut statement = conn.prepare(
        "SELECT d.id, d.metadata, t.text FROM documents d
         JOIN document_texts t ON t.document_id = d.id
         WHERE d.format = 'email' AND d.status = 'ingested' ORDER BY d.id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut messages = Vec::new();
    for row in rows {
        let (id, metadata, text) = row?;
        // Metadata Kodiak wrote itself; a row that does not read is threaded on its text.
        let metadata: BTreeMap<String, String> =
            serde_json::from_str(&metadata).unwrap_or_default();
        let attached = attachments.remove(&id).unwrap_or_default();
        messages.push(Message::from_document(id, &metadata, &text, attached));
    }
    Ok(messages)
}

/// Each e-mail's header fields, by document id.
pub fn email_metadata(
    conn: &Connection,
) -> rusqlite::Result<HashMap<i64, BTreeMap<String, String>>> {
    let mut statement =
        conn.prepare("SELECT id, metadata FROM documents WHERE format = 'email'")?;
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (id, metadata) = row?;
        // Metadata Kodiak wrote itself; a row that does not read shows no fields.
        out.insert(id, serde_json::from_str(&metadata).unwrap_or_default());
    }
    Ok(out)
}

/// Replaces the stored threads with `placements`.
pub fn replace(tx: &Transaction<'_>, placements: &[Placement]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM email_threads", [])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO email_threads (document_id, thread_id, parent_id, position, inclusive)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in placements {
        insert.execute(params![
            p.document,
            p.thread,
            p.parent,
            p.position as i64,
            p.inclusive
        ])?;
    }
    Ok(())
}

/// Every stored placement, by thread then position.
pub fn placements(conn: &Connection) -> rusqlite::Result<Vec<Placement>> {
    conn.prepare(
        "SELECT document_id, thread_id, parent_id, position, inclusive FROM email_threads
         ORDER BY thread_id, position",
    )?
    .query_map([], |row| {
        Ok(Placement {
            document: row.get(0)?,
            thread: row.get(1)?,
            parent: row.get(2)?,
            position: row.get::<_, i64>(3)? as usize,
            inclusive: row.get(4)?,
        })
    })?
    .collect()
}
