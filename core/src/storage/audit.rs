//! The audit log: every action that changes or reveals review data, appended in the same
//! transaction as the change, each entry chained to the one before by a SHA-256 over the
//! entry in canonical form and the previous hash. Editing, deleting or reordering an entry
//! breaks the chain at that entry, and `verify` names it.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The previous hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted: the OS user and the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub uid: u32,
    pub user: String,
    pub host: String,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub uid: u32,
    pub user: String,
    pub host: String,
    pub action: String,
    /// What was done, as JSON (ids, counts, the masked question; never document text).
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash the entry must carry: SHA-256, in hex, over the canonical form of every
    /// field but the hash (a JSON array, so no field can run into the next) followed by the
    /// previous hash.
    pub fn expected_hash(&self) -> String {
        let canonical = serde_json::to_string(&(
            self.seq,
            &self.at,
            self.uid,
            &self.user,
            &self.host,
            &self.action,
            &self.detail,
        ))
        .unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(canonical.as_bytes());
        hasher.update(self.prev_hash.as_bytes());
        hex(&hasher.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The newest entry's sequence number and hash; (0, GENESIS) when the log is empty.
pub fn head(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .unwrap_or((0, GENESIS.to_owned())))
}

/// Appends an entry after the newest one, chained to it; returns its sequence number.
/// Runs inside the caller's write transaction, so the entry and the change it records are
/// stored together or not at all.
pub fn append(
    tx: &Transaction<'_>,
    actor: &Actor,
    at: &str,
    action: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<i64> {
    let (last, prev_hash) = head(tx)?;
    let mut entry = Entry {
        seq: last + 1,
        at: at.to_owned(),
        uid: actor.uid,
        user: actor.user.clone(),
        host: actor.host.clone(),
        action: action.to_owned(),
        detail: detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    tx.prepare_cached(
        "INSERT INTO audit_log (seq, at, uid, user, host, action, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        entry.seq,
        entry.at,
        entry.uid,
        entry.user,
        entry.host,
        entry.action,
        entry.detail,
        entry.prev_hash,
        entry.hash
    ])?;
    Ok(entry.seq)
}

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: row.get(0)?,
        at: row.get(1)?,
        uid: row.get(2)?,
        user: row.get(3)?,
        host: row.get(4)?,
        action: row.get(5)?,
        detail: row.get(6)?,
        prev_hash: row.get(7)?,
        hash: row.get(8)?,
    })
}

const COLUMNS: &str = "seq, at, uid, user, host, action, detail, prev_hash, hash";

/// Entries in order, those at or after `since` (RFC 3339, compared as text), of `user` and
/// of `action` when given.
pub fn list(
    conn: &Connection,
    since: Option<&str>,
    user: Option<&str>,
    action: Option<&str>,
) -> rusqlite::Result<Vec<Entry>> {
    conn.prepare(&format!(
        "SELECT {COLUMNS} FROM audit_log
         WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR user = ?2) AND (?3 IS NULL OR action = ?3)
         ORDER BY seq"
    ))?
    .query_map(params![since, user, action], entry_from_row)?
    .collect()
}

/// Where the chain first breaks, if it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The entry at fault (for a missing entry, the one that should be there).
    pub seq: i64,
    pub problem: String,
}

/// What verifying found: how many entries were checked, the head, and the first break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: usize,
    pub head_seq: i64,
    pub head_hash: String,
    pub broken: Option<Break>,
}

/// Walks the chain from the first entry: sequence numbers must run 1, 2, 3… without a gap,
/// each entry's `prev_hash` must be the hash of the one before, and each hash must be the
/// one its content gives.
pub fn verify(conn: &Connection) -> rusqlite::Result<Verification> {
    let mut statement = conn.prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"))?;
    let rows = statement.query_map([], entry_from_row)?;
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_owned();
    let mut entries = 0;
    let mut broken = None;
    for row in rows {
        let entry = row?;
        entries += 1;
        if broken.is_none() {
            broken = if entry.seq != expected_seq {
                Some(Break {
                    seq: expected_seq,
                    problem: format!(
                        "entry {expected_seq} is missing (the next is {})",
                        entry.seq
                    ),
                })
            } else if entry.prev_hash != prev {
                Some(Break {
                    seq: entry.seq,
                    problem: format!(
                        "entry {} does not follow entry {}: its previous hash differs \
                         (entries removed, inserted or reordered)",
                        entry.seq,
                        entry.seq - 1
                    ),
                })
            } else if entry.hash != entry.expected_hash() {
                Some(Break {
                    seq: entry.seq,
                    problem: format!(
                        "entry {} was changed after it was written: its content does not \
                         give its hash",
                        entry.seq
                    ),
                })
            } else {
                None
            };
        }
        expected_seq = entry.seq + 1;
        prev = entry.hash;
    }
    let (head_seq, head_hash) = head(conn)?;
    Ok(Verification {
        entries,
        head_seq,
        head_hash,
        broken,
    })
}

/// The detail of the newest entry of `action`, if any.
pub fn last_detail(conn: &Connection, action: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT detail FROM audit_log WHERE action = ?1 ORDER BY seq DESC LIMIT 1",
        [action],
        |row| row.get(0),
    )
    .optional()
}
