//! Conversations with the model: every question is stored before it is answered, and every
//! answer when it ends, complete or not.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::timestamp::Timestamp;

pub use crate::conversation::{AnswerMode, Conversation, Message, MessageStatus, Role};

/// Starts a conversation titled `title`; returns its id.
pub fn create(tx: &Transaction<'_>, title: &str) -> rusqlite::Result<i64> {
    let now = Timestamp::now();
    tx.execute(
        "INSERT INTO conversations (title, created_at, updated_at) VALUES (?1, ?2, ?2)",
        params![title, now],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Whether a conversation with this id exists.
pub fn exists(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM conversations WHERE id = ?1",
        [id],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// Adds a message; an answer starts as `generating` and is finished by [`finish`].
pub fn add_message(
    tx: &Transaction<'_>,
    conversation: i64,
    role: Role,
    content: &str,
    status: MessageStatus,
) -> rusqlite::Result<i64> {
    let now = Timestamp::now();
    let finished = (status != MessageStatus::Generating).then_some(now);
    tx.execute(
        "INSERT INTO messages (conversation_id, role, content, status, created_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![conversation, role, content, status, now, finished],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE conversations SET updated_at = ?2 WHERE id = ?1",
        params![conversation, now],
    )?;
    Ok(id)
}

/// Records how an answer ended, with what was produced.
pub fn finish(
    tx: &Transaction<'_>,
    message: i64,
    content: &str,
    status: MessageStatus,
    mode: Option<AnswerMode>,
    details: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE messages SET content = ?2, status = ?3, mode = ?4, details = ?5, finished_at = ?6
         WHERE id = ?1",
        params![message, content, status, mode, details, Timestamp::now()],
    )?;
    Ok(())
}

/// Updates a message's details (such as what was sent to the model) without finishing it.
pub fn set_details(tx: &Transaction<'_>, message: i64, details: &str) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE messages SET details = ?2 WHERE id = ?1",
        params![message, details],
    )?;
    Ok(())
}

/// Saves what an answer still being written holds so far, so that a process killed
/// mid-answer loses at most the last moments of it.
pub fn save_partial(tx: &Transaction<'_>, message: i64, content: &str) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE messages SET content = ?2 WHERE id = ?1 AND status = 'generating'",
        params![message, content],
    )?;
    Ok(())
}

/// Answers still marked `generating`, with their details (which say who writes them).
pub fn generating(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    conn.prepare(
        "SELECT id, details FROM messages WHERE status = 'generating' AND role = 'assistant'",
    )?
    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
    .collect()
}

/// Ends an answer whose writer is gone: failed, with what it had written and the details
/// that say why.
pub fn interrupt(tx: &Transaction<'_>, message: i64, details: &str) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE messages SET status = 'failed', details = ?2, finished_at = ?3
         WHERE id = ?1 AND status = 'generating'",
        params![message, details, Timestamp::now()],
    )?;
    Ok(())
}

/// Every conversation, most recently active first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Conversation>> {
    conn.prepare(
        "SELECT c.id, c.title, c.created_at, c.updated_at,
                (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)
         FROM conversations c ORDER BY c.updated_at DESC, c.id DESC",
    )?
    .query_map([], conversation)?
    .collect()
}

/// One conversation's summary line.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Conversation>> {
    conn.query_row(
        "SELECT c.id, c.title, c.created_at, c.updated_at,
                (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)
         FROM conversations c WHERE c.id = ?1",
        [id],
        conversation,
    )
    .optional()
}

fn conversation(row: &rusqlite::Row<'_>) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: row.get(0)?,
        title: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        messages: row.get::<_, i64>(4)? as usize,
    })
}

/// A conversation's messages, oldest first.
pub fn messages(conn: &Connection, conversation: i64) -> rusqlite::Result<Vec<Message>> {
    conn.prepare(
        "SELECT id, role, content, status, mode, details, created_at, finished_at
         FROM messages WHERE conversation_id = ?1 ORDER BY id",
    )?
    .query_map([conversation], |row| {
        Ok(Message {
            id: row.get(0)?,
            role: row.get(1)?,
            content: row.get(2)?,
            status: row.get(3)?,
            mode: row.get(4)?,
            details: row.get(5)?,
            created_at: row.get(6)?,
            finished_at: row.get(7)?,
        })
    })?
    .collect()
}
