//! The audit log: every action that changes or reveals review data, appended in the same
//! transaction as the change, each entry chained to the one before by a SHA-256 over the
//! entry in canonical form and the previous hash. Editing, deleting or reordering an entry
//! breaks the chain at that entry, and `verify` names it.
//!
//! Rows cut off the end of the table leave a shorter chain that is whole, so the newest
//! head is also kept where deleting rows does not reach: in the `meta` table, in the same
//! transaction; in a head file beside the database, rewritten after each commit that
//! appended (and never moved back); and in a log line per append. `verify` compares the
//! table with all three. A chain whose rows were deleted continues from the newest head
//! recorded, so the gap stays in the chain for `verify` to name.

use std::cell::RefCell;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
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
    /// When, as the text written then: the hash covers this text, so it is kept as it
    /// was (RFC 3339; `Timestamp::parse` reads it).
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

/// A head kept outside the table: the newest entry's number and hash, and when it was
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    pub at: String,
}

/// The head file: `audit-head.json` beside the database.
#[derive(Debug, Clone)]
pub struct HeadFile {
    path: PathBuf,
}

impl HeadFile {
    /// The head file of the database at `database`.
    pub fn beside(database: &Path) -> HeadFile {
        HeadFile {
            path: database.with_file_name("audit-head.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded head; None when no head was recorded yet (a new matter, or one made
    /// before heads were kept), an error naming the file when it cannot be read.
    pub fn read(&self) -> Result<Option<Head>, String> {
        match std::fs::read(&self.path) {
            Ok(bytes) if bytes.is_empty() => Ok(None),
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{} cannot be read: {e}", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{} cannot be read: {e}", self.path.display())),
        }
    }

    /// Records `head` unless the file already holds a later one: two processes that commit
    /// one after the other may write their heads in the other order. The file is locked
    /// while it is compared and replaced; the new content is written whole, then synced.
    pub fn advance(&self, head: &Head) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&self.path)?;
        // Held until the file is closed at the end of this call.
        file.lock()?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let recorded: Option<Head> = serde_json::from_str(&text).ok();
        if recorded.is_some_and(|r| r.seq >= head.seq) {
            return Ok(());
        }
        let bytes = serde_json::to_vec(head).map_err(std::io::Error::other)?;
        // Rewritten in place under the lock: a rename would swap the locked file for
        // another one. The content is short and written in one call; a torn write reads as
        // unreadable, which `verify` reports.
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(&bytes)?;
        file.sync_data()
    }
}

thread_local! {
    /// The newest entry appended by this thread's open write transaction, recorded outside
    /// the table once the transaction commits.
    static APPENDED: RefCell<Option<Head>> = const { RefCell::new(None) };
}

/// Forgets what this thread appended (a transaction starts, or rolled back).
pub(crate) fn forget_appended() {
    APPENDED.with(|a| a.borrow_mut().take());
}

/// What this thread's committed transaction appended, taken.
pub(crate) fn take_appended() -> Option<Head> {
    APPENDED.with(|a| a.borrow_mut().take())
}

/// Records a committed head outside the table: in the head file and in the log. A failure
/// is logged; the change itself is stored.
pub(crate) fn record_head(database: &Path, head: &Head) {
    tracing::info!(
        database = %database.display(),
        seq = head.seq,
        hash = %head.hash,
        "{LOGGED_APPEND}"
    );
    if let Err(e) = HeadFile::beside(database).advance(head) {
        tracing::warn!(error = %e, "the audit trail's head file could not be written");
    }
}

/// The message of the log line that records an append.
const LOGGED_APPEND: &str = "audit entry appended";

/// The newest head the log files in `dir` record for `database`, read line by line (text
/// or JSON lines): `seq=N … hash=H` or `"seq":N … "hash":"H"`.
pub fn logged_head(dir: &Path, database: &Path) -> Option<Head> {
    let database = database.display().to_string();
    let mut newest: Option<Head> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for line in text.lines() {
            if !line.contains(LOGGED_APPEND) || !line.contains(&database) {
                continue;
            }
            let field = |name: &str| -> Option<String> {
                let start = line
                    .find(&format!("{name}="))
                    .map(|i| i + name.len() + 1)
                    .or_else(|| {
                        line.find(&format!("\"{name}\":"))
                            .map(|i| i + name.len() + 3)
                    })?;
                let rest = line[start..].trim_start_matches('"');
                Some(
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect(),
                )
            };
            let (Some(seq), Some(hash)) = (field("seq"), field("hash")) else {
                continue;
            };
            let Ok(seq) = seq.parse::<i64>() else {
                continue;
            };
            if newest.as_ref().is_none_or(|n| seq > n.seq) {
                let at = line
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                newest = Some(Head { seq, hash, at });
            }
        }
    }
    newest
}

/// Appends an entry after the newest one, chained to it; returns its sequence number.
/// Runs inside the caller's write transaction, so the entry and the change it records are
/// stored together or not at all. The newest one is the table's, or the head file's when
/// that is later (rows were cut off the end): the chain goes on from where it really was.
pub fn append(
    tx: &Transaction<'_>,
    head_file: &HeadFile,
    actor: &Actor,
    at: &str,
    event: &super::audit_event::Event,
) -> rusqlite::Result<i64> {
    let (mut last, mut prev_hash) = head(tx)?;
    for recorded in [meta_head(tx)?, head_file.read().ok().flatten()]
        .into_iter()
        .flatten()
    {
        if recorded.seq > last {
            (last, prev_hash) = (recorded.seq, recorded.hash);
        }
    }
    let mut entry = Entry {
        seq: last + 1,
        at: at.to_owned(),
        uid: actor.uid,
        user: actor.user.clone(),
        host: actor.host.clone(),
        action: event.action().to_owned(),
        detail: event.detail().to_string(),
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
    let appended = Head {
        seq: entry.seq,
        hash: entry.hash,
        at: entry.at,
    };
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('audit_head', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([serde_json::to_string(&appended).unwrap_or_default()])?;
    APPENDED.with(|a| *a.borrow_mut() = Some(appended));
    Ok(entry.seq)
}

/// The head recorded in the `meta` table with the last append; None before the first.
pub fn meta_head(conn: &Connection) -> rusqlite::Result<Option<Head>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'audit_head'")?
        .query_row([], |row| row.get(0))
        .optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
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

/// Entries in order, those at or after `since` (stored times compared as text), of `user` and
/// of `action` when given.
pub fn list(
    conn: &Connection,
    since: Option<crate::timestamp::Timestamp>,
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

/// What verifying found: how many entries were checked, the head, what else recorded the
/// head, and the first break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: usize,
    pub head_seq: i64,
    pub head_hash: String,
    /// The heads kept outside the table's rows, by where they were found.
    pub witnesses: Vec<Witness>,
    pub broken: Option<Break>,
}

/// A head kept outside the table's rows, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Witness {
    /// "the head file", "the database's meta table", "the log".
    pub place: String,
    pub head: Head,
}

/// What the table is checked against beyond itself.
#[derive(Debug, Clone)]
pub struct Witnesses {
    /// The head file's head, or why it cannot be read.
    pub file: Result<Option<Head>, String>,
    /// The newest head in the log files.
    pub logged: Option<Head>,
}

/// Walks the chain from the first entry: sequence numbers must run 1, 2, 3… without a gap,
/// each entry's `prev_hash` must be the hash of the one before, and each hash must be the
/// one its content gives. Then the newest entry is compared with the heads recorded outside
/// the table: a later head there means entries were cut off the end, another hash for the
/// same entry that the chain was rewritten.
pub fn verify(conn: &Connection, witnesses: &Witnesses) -> rusqlite::Result<Verification> {
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
                    problem: if entry.seq == expected_seq + 1 {
                        format!(
                            "entry {expected_seq} is missing (the next is {})",
                            entry.seq
                        )
                    } else {
                        format!(
                            "entries {expected_seq} to {} are missing (the next is {})",
                            entry.seq - 1,
                            entry.seq
                        )
                    },
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
    drop(statement);
    let (head_seq, head_hash) = head(conn)?;
    let found = [
        (THE_HEAD_FILE, witnesses.file.clone().unwrap_or(None)),
        ("the database's meta table", meta_head(conn)?),
        ("the log", witnesses.logged.clone()),
    ];
    let found: Vec<Witness> = found
        .into_iter()
        .filter_map(|(place, head)| {
            head.map(|head| Witness {
                place: place.to_owned(),
                head,
            })
        })
        .collect();
    if broken.is_none() {
        broken = match &witnesses.file {
            Err(why) => Some(Break {
                seq: head_seq + 1,
                problem: format!("the trail's head file was damaged: {why}"),
            }),
            Ok(_) => compare_heads(conn, head_seq, &found)?,
        };
    }
    Ok(Verification {
        entries,
        head_seq,
        head_hash,
        witnesses: found,
        broken,
    })
}

const THE_HEAD_FILE: &str = "the head file";

/// The table's newest entry against the heads kept elsewhere: a later head means the
/// newest entries were cut off; another hash for an entry that the chain was rewritten.
fn compare_heads(
    conn: &Connection,
    head_seq: i64,
    witnesses: &[Witness],
) -> rusqlite::Result<Option<Break>> {
    for Witness { place, head } in witnesses {
        if head.seq > head_seq {
            let newest = if head_seq == 0 {
                "every entry is missing".to_owned()
            } else {
                format!("the newest entries after {head_seq} are missing")
            };
            return Ok(Some(Break {
                seq: head_seq + 1,
                problem: format!(
                    "{newest}: {place} records entry {} ({}), hash {}",
                    head.seq, head.at, head.hash
                ),
            }));
        }
        let stored: Option<String> = conn
            .query_row(
                "SELECT hash FROM audit_log WHERE seq = ?1",
                [head.seq],
                |row| row.get(0),
            )
            .optional()?;
        if stored.as_deref() != Some(head.hash.as_str()) {
            return Ok(Some(Break {
                seq: head.seq,
                problem: format!(
                    "entry {} is not the one {place} records (hash {}): the trail was \
                     rewritten from there",
                    head.seq, head.hash
                ),
            }));
        }
    }
    Ok(None)
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
