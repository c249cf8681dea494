//! SQLite, the source of truth: a pool of connections with Kodiak's pragmas, versioned
//! migrations, and a write helper that always takes the write lock up front.

pub mod audit;
pub mod audit_event;
pub mod checklists;
pub mod conversations;
pub mod documents;
pub mod jobs;
mod migrations;
pub mod near_dups;
pub mod production;
pub mod review;
pub mod sessions;
pub mod threads;
pub mod vectors;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use r2d2::{ManageConnection, Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::config::DatabaseConfig;
use crate::files;

pub use migrations::SCHEMA_VERSION;

/// A connection checked out of the pool.
pub type Conn = PooledConnection<SqliteConnectionManager>;

/// Why the database could not be opened, migrated or written; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot prepare the data directory {}: {source}", path.display())]
    Prepare {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot open database {}: {source}; check the file, or move it aside to start afresh", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error("cannot migrate database {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: migrations::MigrationError,
    },

    #[error(
        "database pool exhausted: no connection within {waited_ms} ms \
         ({connections} open, {idle} idle, {max} max); another task holds them all: \
         retry, or raise [database] pool_max_size"
    )]
    PoolTimeout {
        waited_ms: u128,
        connections: u32,
        idle: u32,
        max: u32,
    },

    #[error(
        "the disk is full: the database could not grow ({0}); free space where it lives, then \
         try again (nothing stored before was lost)"
    )]
    DiskFull(rusqlite::Error),

    #[error(
        "the database is locked by another process, still after retrying ({0}); try again when \
         it has finished"
    )]
    Busy(rusqlite::Error),

    #[error("database error: {0}")]
    Sql(rusqlite::Error),

    /// The matter is archived: why, and how to change it again.
    #[error("{0}")]
    ReadOnly(String),

    /// SQLite's integrity check found damage: nothing is written into such a file.
    #[error(
        "the database {} is damaged (quick_check: {problems}); nothing was written. Copy the \
         matter's folder aside, then restore a backup or recover the file (docs/reliability.md: \
         \"When the database is damaged\")",
        path.display()
    )]
    Damaged { path: PathBuf, problems: String },

    #[error(transparent)]
    Matter(#[from] crate::matter::MatterError),
}

/// SQLite's errors, with the two a user can act on (a full disk, a lock held elsewhere)
/// named as such.
impl From<rusqlite::Error> for StorageError {
    fn from(error: rusqlite::Error) -> StorageError {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StorageError::DiskFull(error),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StorageError::Busy(error)
            }
            _ => StorageError::Sql(error),
        }
    }
}

/// How busy the pool is: shown in health and in every exhaustion warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolStatus {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// The database: a pool of connections to one SQLite file. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool<SqliteConnectionManager>,
    path: PathBuf,
    slow_checkout: Duration,
    /// The latest integrity check and when it ran, shared by the clones.
    integrity: Arc<Mutex<Option<(Instant, Integrity)>>>,
    /// How old an integrity check may be before a write runs it again.
    integrity_every: Duration,
    /// Whether this process has checked the database's integrity before its first write.
    checked_for_writes: Arc<AtomicBool>,
    /// Set for an archived matter: why writes are refused.
    read_only: Option<Arc<str>>,
}

/// What SQLite's `PRAGMA quick_check` found: `ok`, or the damage it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Integrity {
    pub ok: bool,
    /// `ok`, or the first problems `quick_check` reports.
    pub result: String,
    /// Seconds since the check ran.
    pub age_secs: u64,
}

impl Database {
    /// Opens (creating if needed) the database at `path` with mode 0600 in a 0700 directory,
    /// and migrates it to the current schema. A file that is not a database fails here, at
    /// once, rather than on the pool's first checkout after its timeout.
    pub fn open(path: &Path, config: &DatabaseConfig) -> Result<Database, StorageError> {
        if let Some(dir) = path.parent() {
            files::create_private_dir(dir).map_err(|source| StorageError::Prepare {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        files::ensure_private_file(path).map_err(|source| StorageError::Prepare {
            path: path.to_path_buf(),
            source,
        })?;

        let busy_timeout_ms = config.busy_timeout_ms;
        let synchronous = config.synchronous.as_sql();
        let manager = SqliteConnectionManager::file(path).with_init(move |conn| {
            // journal_mode answers with a row, so it is read rather than executed.
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(mode, "SQLite refused WAL journal mode");
            }
            conn.execute_batch(&format!(
                "PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = {busy_timeout_ms};
                 PRAGMA synchronous = {synchronous};"
            ))
        });

        // The same manager opens the first connection, so migrations run with the pool's
        // pragmas and a broken file is reported immediately.
        let mut conn = manager.connect().map_err(|source| StorageError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        migrations::apply(&mut conn).map_err(|source| StorageError::Migrate {
            path: path.to_path_buf(),
            source,
        })?;
        drop(conn);

        let pool = Pool::builder()
            .max_size(config.pool_max_size)
            .min_idle(Some(config.pool_min_idle))
            .connection_timeout(Duration::from_secs(config.connection_timeout_secs))
            .build_unchecked(manager);
        Ok(Database {
            pool,
            path: path.to_path_buf(),
            slow_checkout: Duration::from_millis(config.slow_checkout_ms),
            integrity: Arc::default(),
            integrity_every: Duration::from_secs(config.integrity_check_secs),
            checked_for_writes: Arc::default(),
            read_only: None,
        })
    }

    /// Refuses every later [`Database::write`] with `why` (an archived matter); only
    /// [`Database::write_even_read_only`] still writes, for the audit trail.
    pub fn make_read_only(&mut self, why: String) {
        self.read_only = Some(why.into());
    }

    /// The database's integrity, by SQLite's `quick_check` (pages, records and indexes,
    /// without cross-checking every index entry: seconds on a large file). The result is
    /// kept and the check runs again only once it is older than `max_age`: health asks
    /// every few seconds.
    pub fn integrity(&self, max_age: Duration) -> Result<Integrity, StorageError> {
        let mut cached = self.integrity.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, integrity)) = cached.as_ref()
            && at.elapsed() < max_age
        {
            return Ok(Integrity {
                age_secs: at.elapsed().as_secs(),
                ..integrity.clone()
            });
        }
        let conn = self.conn()?;
        let mut statement = conn.prepare("PRAGMA quick_check(5)")?;
        let lines: Vec<String> = statement
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let result = lines.join("; ");
        let integrity = Integrity {
            ok: result == "ok",
            result,
            age_secs: 0,
        };
        if !integrity.ok {
            tracing::error!(problems = %integrity.result, "the database failed its integrity check");
        }
        *cached = Some((Instant::now(), integrity.clone()));
        let record = IntegrityRecord {
            checked_at: unix_now(),
            ok: integrity.ok,
        };
        if let Err(e) = serde_json::to_vec(&record)
            .map_err(std::io::Error::other)
            .and_then(|bytes| files::write_atomic(&self.integrity_record_path(), &bytes))
        {
            tracing::warn!(error = %e, "the integrity check's result could not be recorded");
        }
        Ok(integrity)
    }

    /// How old an integrity check may be before it runs again (`[database]
    /// integrity_check_secs`).
    pub fn integrity_every(&self) -> Duration {
        self.integrity_every
    }

    /// Where the last integrity check's time and outcome are kept, so that processes that
    /// start one after another do not each read the whole file.
    fn integrity_record_path(&self) -> PathBuf {
        self.path.with_file_name("integrity-check.json")
    }

    /// Before the first write of this process: the integrity check, unless a passing one
    /// (by any process) is younger than `integrity_every`. A failed check is never trusted
    /// from the record: it runs again (the file may have been restored). A damaged database
    /// refuses every write, in this process for good.
    fn check_before_write(&self) -> Result<(), StorageError> {
        let damaged = |integrity: &Integrity| StorageError::Damaged {
            path: self.path.clone(),
            problems: integrity.result.clone(),
        };
        let known = self
            .integrity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(_, integrity)| integrity.clone());
        if let Some(integrity) = known.as_ref().filter(|i| !i.ok) {
            return Err(damaged(integrity));
        }
        if self.checked_for_writes.load(Ordering::Acquire) {
            return Ok(());
        }
        let recent_pass = std::fs::read(self.integrity_record_path())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<IntegrityRecord>(&bytes).ok())
            .is_some_and(|record| {
                record.ok
                    && unix_now().saturating_sub(record.checked_at) < self.integrity_every.as_secs()
            });
        if !recent_pass {
            let integrity = self.integrity(Duration::ZERO)?;
            if !integrity.ok {
                return Err(damaged(&integrity));
            }
        }
        self.checked_for_writes.store(true, Ordering::Release);
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How busy the pool is now.
    pub fn pool_status(&self) -> PoolStatus {
        let state = self.pool.state();
        PoolStatus {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Checks out a connection. A slow checkout logs a warning with the pool's counts; one
    /// that reaches the connection timeout is an error the caller can show, not a hang.
    pub fn conn(&self) -> Result<Conn, StorageError> {
        let started = Instant::now();
        let result = self.pool.get();
        let waited = started.elapsed();
        if result.is_err() || waited >= self.slow_checkout {
            let PoolStatus {
                connections,
                idle,
                max,
            } = self.pool_status();
            tracing::warn!(
                waited_ms = waited.as_millis() as u64,
                connections,
                idle,
                max,
                timed_out = result.is_err(),
                "database pool exhausted"
            );
        }
        result.map_err(|_| {
            let status = self.pool_status();
            StorageError::PoolTimeout {
                waited_ms: waited.as_millis(),
                connections: status.connections,
                idle: status.idle,
                max: status.max,
            }
        })
    }

    /// Runs `f` in a transaction that takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred transaction that later upgrades to a write gets SQLITE_BUSY straight away,
    /// ignoring busy_timeout. Commits when `f` succeeds, rolls back otherwise.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError> + From<rusqlite::Error>,
    {
        if let Some(why) = &self.read_only {
            return Err(StorageError::ReadOnly(why.to_string()).into());
        }
        self.write_even_read_only(f)
    }

    /// [`Database::write`] that also writes to a read-only database: reading an archived
    /// matter (an export, a report) is itself recorded in its audit trail.
    pub fn write_even_read_only<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StorageError> + From<rusqlite::Error>,
    {
        self.check_before_write()?;
        let mut conn = self.conn()?;
        // SQLite itself waits `busy_timeout` for the write lock; when another process still
        // holds it after that, back off and try again a few times before giving up. Only
        // taking the lock is retried: `f` runs once.
        let mut backoff = BUSY_BACKOFF;
        let mut attempts = 0;
        let tx = loop {
            match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
                Ok(tx) => break tx,
                Err(e) if is_busy(&e) && attempts < BUSY_RETRIES => {
                    attempts += 1;
                    tracing::warn!(attempt = attempts, "database busy; retrying");
                    std::thread::sleep(backoff);
                    backoff *= 4;
                }
                Err(e) => return Err(e.into()),
            }
        };
        audit::forget_appended();
        let value = f(&tx).inspect_err(|_| audit::forget_appended())?;
        tx.commit().inspect_err(|_| audit::forget_appended())?;
        // The entry is stored: its head is now recorded where deleting rows cannot reach.
        if let Some(head) = audit::take_appended() {
            audit::record_head(&self.path, &head);
        }
        Ok(value)
    }

    /// The audit trail's head file, beside the database.
    pub fn audit_head_file(&self) -> audit::HeadFile {
        audit::HeadFile::beside(&self.path)
    }

    /// The schema version recorded in the file.
    pub fn schema_version(conn: &Connection) -> Result<i64, StorageError> {
        Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

/// The last integrity check, as kept beside the database.
#[derive(serde::Serialize, serde::Deserialize)]
struct IntegrityRecord {
    /// Seconds since the Unix epoch.
    checked_at: u64,
    ok: bool,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Retries after SQLite's own busy wait, and the first pause between them (each is four
/// times the one before: 0.05, 0.2, 0.8 s).
const BUSY_RETRIES: u32 = 3;
const BUSY_BACKOFF: Duration = Duration::from_millis(50);

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests;
