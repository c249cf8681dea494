use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use tracing_subscriber::layer::SubscriberExt;

use super::*;
use crate::config::{DatabaseConfig, Synchronous};
use crate::telemetry::RecentEvents;

fn config(max: u32, timeout_secs: u64) -> DatabaseConfig {
    DatabaseConfig {
        pool_max_size: max,
        pool_min_idle: 1,
        connection_timeout_secs: timeout_secs,
        busy_timeout_ms: 5_000,
        synchronous: Synchronous::Full,
        slow_checkout_ms: 200,
        integrity_check_secs: 600,
    }
}

fn open(dir: &tempfile::TempDir, max: u32, timeout_secs: u64) -> Database {
    Database::open(
        &dir.path().join("data/kodiak.db"),
        &config(max, timeout_secs),
    )
    .unwrap()
}

#[test]
fn open_sets_pragmas_and_private_modes() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, 3, 5);
    let conn = db.conn().unwrap();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    let busy: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!((journal.as_str(), fk, busy, sync), ("wal", 1, 5_000, 2));

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(db.path()), 0o600);
    drop(conn);
    let status = db.pool_status();
    assert_eq!(status.max, 3);
    assert!(
        status.connections >= 1 && status.connections <= 3,
        "{status:?}"
    );
    assert!(status.idle <= status.connections, "{status:?}");
}

#[test]
fn migrations_applied_twice_are_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(&dir, 2, 5);
    let created: String = first
        .conn()
        .unwrap()
        .query_row("SELECT value FROM meta WHERE key = 'created_at'", [], |r| {
            r.get(0)
        })
        .unwrap();
    drop(first);

    let again = open(&dir, 2, 5);
    let mut conn = again.conn().unwrap();
    migrations::apply(&mut conn).unwrap();
    assert_eq!(Database::schema_version(&conn).unwrap(), SCHEMA_VERSION);
    let rows: Vec<String> = conn
        .prepare("SELECT value FROM meta WHERE key = 'created_at'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, vec![created]);
}

#[test]
fn database_from_a_newer_kodiak_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, 2, 5);
    db.conn()
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 5)
        .unwrap();
    drop(db);
    let err = Database::open(&dir.path().join("data/kodiak.db"), &config(2, 5))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("newer than this Kodiak supports"), "{err}");
}

#[test]
fn not_a_database_fails_at_once_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kodiak.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let started = Instant::now();
    let err = Database::open(&path, &config(2, 30))
        .err()
        .unwrap()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("not a database"), "{err}");
    // The file is left as it was: nothing stored is destroyed.
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x5a; 8192]);
}

#[test]
fn concurrent_checkouts_from_many_threads_all_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, 3, 30);
    db.write(|tx| {
        tx.execute_batch("CREATE TABLE hits (thread INTEGER, n INTEGER)")
            .map_err(StorageError::from)
    })
    .unwrap();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let db = db.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for n in 0..25 {
                    db.write(|tx| {
                        tx.execute("INSERT INTO hits VALUES (?1, ?2)", (t as i64, n))
                            .map_err(StorageError::from)
                    })
                    .unwrap();
                    let count: i64 = db
                        .conn()
                        .unwrap()
                        .query_row("SELECT count(*) FROM hits", [], |r| r.get(0))
                        .unwrap();
                    assert!(count > 0);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let total: i64 = db
        .conn()
        .unwrap()
        .query_row("SELECT count(*) FROM hits", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total, (threads * 25) as i64);
    assert!(db.pool_status().connections <= 3);
}

#[test]
fn exhausted_pool_times_out_with_an_error_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, 2, 1);
    let recent = RecentEvents::new(10);
    let subscriber = tracing_subscriber::registry().with(recent.layer());
    let held = (db.conn().unwrap(), db.conn().unwrap());

    let started = Instant::now();
    let err = tracing::subscriber::with_default(subscriber, || db.conn().err().unwrap());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(10));
    match &err {
        StorageError::PoolTimeout {
            connections,
            idle,
            max,
            ..
        } => assert_eq!((*connections, *idle, *max), (2, 0, 2)),
        other => panic!("expected a pool timeout, got {other}"),
    }
    assert!(err.to_string().starts_with("database pool exhausted"));

    let warnings = recent.snapshot();
    assert_eq!(warnings.len(), 1);
    let warning = &warnings[0];
    assert_eq!(
        (warning.level.as_str(), warning.message.as_str()),
        ("WARN", "database pool exhausted")
    );
    assert_eq!(warning.fields["connections"], "2");
    assert_eq!(warning.fields["idle"], "0");
    assert_eq!(warning.fields["max"], "2");
    assert_eq!(warning.fields["timed_out"], "true");

    // Once a connection is returned, checkouts work again.
    drop(held);
    assert!(db.conn().is_ok());
}

#[test]
fn failed_write_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, 2, 5);
    let result: Result<(), StorageError> = db.write(|tx| {
        tx.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')", [])?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('k', 'again')", [])?;
        Ok(())
    });
    assert!(result.is_err());
    let count: i64 = db
        .conn()
        .unwrap()
        .query_row("SELECT count(*) FROM meta WHERE key = 'k'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
fn a_write_lock_held_past_busy_timeout_is_waited_out_with_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let mut short = config(3, 5);
    short.busy_timeout_ms = 20;
    let path = dir.path().join("data/kodiak.db");
    let db = Database::open(&path, &short).unwrap();
    // Another process holds the write lock for longer than SQLite's own wait.
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        holder.execute_batch("COMMIT").unwrap();
    });
    let started = Instant::now();
    let written: Result<(), StorageError> = db.write(|tx| {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('retried', 'yes')",
            [],
        )?;
        Ok(())
    });
    release.join().unwrap();
    written.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    let value: String = db
        .conn()
        .unwrap()
        .query_row("SELECT value FROM meta WHERE key = 'retried'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(value, "yes");
}

#[test]
fn a_stored_status_role_or_mode_that_no_enum_knows_is_an_error_naming_it() {
    use conversations::{MessageStatus, Role};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, 2, 5);
    let id = db
        .write(|tx| {
            let id = conversations::create(tx, "t")?;
            conversations::add_message(tx, id, Role::User, "q", MessageStatus::Complete)?;
            Ok::<_, StorageError>(id)
        })
        .unwrap();
    let read = |db: &Database| conversations::messages(&db.conn().unwrap(), id);
    assert_eq!(read(&db).unwrap()[0].role, Role::User);
    for (column, value, named) in [
        ("status", "archived", "unknown MessageStatus \"archived\""),
        ("role", "system", "unknown Role \"system\""),
        ("mode", "none", "unknown AnswerMode \"none\""),
    ] {
        let conn = db.conn().unwrap();
        // As a later schema might allow.
        conn.pragma_update(None, "ignore_check_constraints", true)
            .unwrap();
        let original: rusqlite::types::Value = conn
            .query_row(&format!("SELECT {column} FROM messages"), [], |r| r.get(0))
            .unwrap();
        conn.execute(&format!("UPDATE messages SET {column} = ?1"), [value])
            .unwrap();
        let error = read(&db).unwrap_err().to_string();
        assert!(error.contains(named), "{column}: {error}");
        conn.execute(&format!("UPDATE messages SET {column} = ?1"), [original])
            .unwrap();
    }
    assert!(read(&db).is_ok());
}

#[test]
fn each_user_has_one_session_and_a_save_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, 3, 5);
    db.write(|tx| {
        sessions::save(tx, "ana", r#"{"focus":"chat"}"#)?;
        sessions::save(tx, "ben", r#"{"focus":"health"}"#)?;
        sessions::save(tx, "ana", r#"{"focus":"documents"}"#)?;
        Ok::<_, StorageError>(())
    })
    .unwrap();
    let conn = db.conn().unwrap();
    assert_eq!(
        sessions::load(&conn, "ana").unwrap().as_deref(),
        Some(r#"{"focus":"documents"}"#)
    );
    assert_eq!(
        sessions::load(&conn, "ben").unwrap().as_deref(),
        Some(r#"{"focus":"health"}"#)
    );
    assert_eq!(sessions::load(&conn, "cy").unwrap(), None);
}
