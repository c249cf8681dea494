//! A front end's session per OS user: stored as the front end serializes it (the core does
//! not read it), replaced whole on every save.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::timestamp::Timestamp;

/// `user`'s saved session, if any.
pub fn load(conn: &Connection, user: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT state FROM ui_sessions WHERE user = ?1",
        [user],
        |row| row.get(0),
    )
    .optional()
}

/// Replaces `user`'s saved session with `state`.
pub fn save(tx: &Transaction<'_>, user: &str, state: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO ui_sessions (user, state, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user) DO UPDATE SET state = ?2, updated_at = ?3",
        params![user, state, Timestamp::now()],
    )?;
    Ok(())
}
