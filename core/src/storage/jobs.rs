//! Ingest jobs: one row per `kodiak ingest` run, so an interrupted run is visible later.

use rusqlite::{Transaction, params};
use serde::Serialize;

use crate::timestamp::Timestamp;

/// The counts a job ends with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub files: usize,
    pub ingested: usize,
    pub duplicates: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub needs_ocr: usize,
}

/// Records a job as running. A job still marked running from an earlier process was cut
/// short: it is marked interrupted first.
pub fn start(tx: &Transaction<'_>, roots: &[String]) -> rusqlite::Result<i64> {
    tx.execute(
        "UPDATE ingest_jobs SET status = 'interrupted' WHERE status = 'running'",
        [],
    )?;
    tx.execute(
        "INSERT INTO ingest_jobs (started_at, roots, status) VALUES (?1, ?2, 'running')",
        params![
            Timestamp::now(),
            serde_json::to_string(roots).unwrap_or_else(|_| "[]".into())
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Marks a job finished with its counts.
pub fn finish(tx: &Transaction<'_>, id: i64, counts: &JobCounts) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE ingest_jobs SET status = 'finished', finished_at = ?2, files = ?3, ingested = ?4,
                duplicates = ?5, unchanged = ?6, failed = ?7, needs_ocr = ?8
         WHERE id = ?1",
        params![
            id,
            Timestamp::now(),
            counts.files as i64,
            counts.ingested as i64,
            counts.duplicates as i64,
            counts.unchanged as i64,
            counts.failed as i64,
            counts.needs_ocr as i64
        ],
    )?;
    Ok(())
}
