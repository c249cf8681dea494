//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry moves the schema one version up and is never edited once released; a change
//! is a new entry. All pending entries run in one `BEGIN IMMEDIATE` transaction, so two
//! processes opening a fresh database at once do not race and a failure leaves the old schema.

use rusqlite::{Connection, TransactionBehavior};

/// Migration `i` (0-based) produces schema version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: facts about the database file itself.
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY,
         value TEXT NOT NULL
     ) STRICT;
     INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));",
];

/// The schema version this build of Kodiak writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the database has schema version {found}, newer than this Kodiak supports ({SCHEMA_VERSION}); \
         use a newer Kodiak"
    )]
    TooNew { found: i64 },
    #[error("migration to schema version {version} failed: {source}")]
    Step {
        version: i64,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the schema to [`SCHEMA_VERSION`]; a no-op when it is already there.
pub fn apply(conn: &mut Connection) -> Result<(), MigrationError> {
    if version(conn)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let current = version(&tx)?;
    if current > SCHEMA_VERSION {
        return Err(MigrationError::TooNew { found: current });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let target = index as i64 + 1;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", target))
            .map_err(|source| MigrationError::Step {
                version: target,
                source,
            })?;
    }
    tx.commit()?;
    Ok(())
}
