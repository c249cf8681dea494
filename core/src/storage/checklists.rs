//! Checklist jobs, their cells and reviewers' decisions. A cell is inserted once (a second
//! insert of the same job, document and item is ignored), so a resumed job never stores a
//! cell twice; decisions live in their own table, which no run writes.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::checklist::decide::{CellState, Method, Quote, Suggestion};
pub use crate::checklist::grid::{Decision, DecisionKind, JobState};
use crate::process::ProcessId;
use crate::timestamp::Timestamp;

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: i64,
    pub checklist: String,
    /// The checklist as run, as JSON.
    pub definition: String,
    /// How the documents were chosen, as the reviewer gave it.
    pub scope: String,
    pub use_model: bool,
    pub state: JobState,
    /// The process running it, while it runs.
    pub writer: Option<ProcessId>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub documents: usize,
    pub cells: usize,
}

const JOB_COLUMNS: &str = "j.id, j.checklist, j.definition, j.scope, j.use_model, j.state, \
    j.writer, j.created_by, j.created_at, j.updated_at, \
    (SELECT count(*) FROM checklist_job_documents d WHERE d.job_id = j.id), \
    (SELECT count(*) FROM checklist_cells c WHERE c.job_id = j.id)";

fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    let writer: Option<String> = row.get(6)?;
    Ok(JobRow {
        id: row.get(0)?,
        checklist: row.get(1)?,
        definition: row.get(2)?,
        scope: row.get(3)?,
        use_model: row.get(4)?,
        state: row.get(5)?,
        writer: writer.and_then(|w| serde_json::from_str(&w).ok()),
        created_by: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        documents: row.get::<_, i64>(10)? as usize,
        cells: row.get::<_, i64>(11)? as usize,
    })
}

/// What a new job is.
pub struct NewJob<'a> {
    pub checklist: &'a str,
    pub definition: &'a str,
    pub scope: &'a str,
    pub use_model: bool,
    pub documents: &'a [i64],
    pub created_by: &'a str,
}

/// Stores a new job, running, with no cells yet, written by this process: its creator runs
/// it next, and a grid read in between shows it running, not interrupted.
pub fn create(tx: &Transaction<'_>, job: &NewJob<'_>) -> rusqlite::Result<i64> {
    let now = Timestamp::now();
    let writer = serde_json::to_string(&ProcessId::current()).ok();
    tx.execute(
        "INSERT INTO checklist_jobs
             (checklist, definition, scope, use_model, state, writer, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?7)",
        params![
            job.checklist,
            job.definition,
            job.scope,
            job.use_model,
            writer,
            job.created_by,
            now
        ],
    )?;
    let id = tx.last_insert_rowid();
    let mut insert = tx.prepare_cached(
        "INSERT INTO checklist_job_documents (job_id, position, document_id) VALUES (?1, ?2, ?3)",
    )?;
    for (position, document) in job.documents.iter().enumerate() {
        insert.execute(params![id, position as i64, document])?;
    }
    Ok(id)
}

/// The newest cell of any job (its row id), `None` before the first: a stamp of where
/// the checklist runs stand.
pub fn last_cell(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT max(rowid) FROM checklist_cells", [], |row| {
        row.get(0)
    })
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<JobRow>> {
    conn.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM checklist_jobs j WHERE j.id = ?1"),
        [id],
        job_from_row,
    )
    .optional()
}

/// Every job, newest first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<JobRow>> {
    conn.prepare(&format!(
        "SELECT {JOB_COLUMNS} FROM checklist_jobs j ORDER BY j.id DESC"
    ))?
    .query_map([], job_from_row)?
    .collect()
}

/// The job's documents, in the order they are run.
pub fn documents(conn: &Connection, job: i64) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached(
        "SELECT document_id FROM checklist_job_documents WHERE job_id = ?1 ORDER BY position",
    )?
    .query_map([job], |row| row.get(0))?
    .collect()
}

/// Sets a job's state and who runs it.
pub fn set_state(
    tx: &Transaction<'_>,
    job: i64,
    state: JobState,
    writer: Option<ProcessId>,
) -> rusqlite::Result<()> {
    let writer = writer.and_then(|w| serde_json::to_string(&w).ok());
    tx.execute(
        "UPDATE checklist_jobs SET state = ?2, writer = ?3, updated_at = ?4 WHERE id = ?1",
        params![job, state, writer, Timestamp::now()],
    )?;
    Ok(())
}

/// The job's state now (another process may have cancelled it).
pub fn state(conn: &Connection, job: i64) -> rusqlite::Result<Option<JobState>> {
    conn.prepare_cached("SELECT state FROM checklist_jobs WHERE id = ?1")?
        .query_row([job], |row| row.get(0))
        .optional()
}

/// The (document, item) pairs the job has decided.
pub fn done(conn: &Connection, job: i64) -> rusqlite::Result<HashSet<(i64, String)>> {
    conn.prepare("SELECT document_id, item FROM checklist_cells WHERE job_id = ?1")?
        .query_map([job], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect()
}

/// Stores a cell unless the job has it already; true when it was stored.
pub fn insert_cell(
    tx: &Transaction<'_>,
    job: i64,
    document: i64,
    item: &str,
    suggestion: &Suggestion,
) -> rusqlite::Result<bool> {
    let evidence = serde_json::to_string(&suggestion.evidence)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let inserted = tx.prepare_cached(
        "INSERT INTO checklist_cells
             (job_id, document_id, item, state, answer, confidence, evidence, method, note, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (job_id, document_id, item) DO NOTHING",
    )?
    .execute(params![
        job,
        document,
        item,
        suggestion.state,
        suggestion.answer,
        f64::from(suggestion.confidence),
        evidence,
        suggestion.method,
        suggestion.note,
        Timestamp::now()
    ])?;
    Ok(inserted == 1)
}

/// A stored cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CellRow {
    pub document_id: i64,
    pub item: String,
    pub suggestion: Suggestion,
}

/// The job's cells.
pub fn cells(conn: &Connection, job: i64) -> rusqlite::Result<Vec<CellRow>> {
    conn.prepare(&format!(
        "SELECT {CELL_COLUMNS} FROM checklist_cells WHERE job_id = ?1"
    ))?
    .query_map([job], cell_from_row)?
    .collect()
}

/// One cell of the job, if it is decided.
pub fn cell(
    conn: &Connection,
    job: i64,
    document: i64,
    item: &str,
) -> rusqlite::Result<Option<CellRow>> {
    conn.query_row(
        &format!(
            "SELECT {CELL_COLUMNS} FROM checklist_cells
             WHERE job_id = ?1 AND document_id = ?2 AND item = ?3"
        ),
        params![job, document, item],
        cell_from_row,
    )
    .optional()
}

const CELL_COLUMNS: &str = "document_id, item, state, answer, confidence, evidence, method, note";

fn cell_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CellRow> {
    let evidence: String = row.get(5)?;
    let evidence: Vec<Quote> = serde_json::from_str(&evidence).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(CellRow {
        document_id: row.get(0)?,
        item: row.get(1)?,
        suggestion: Suggestion {
            state: row.get::<_, CellState>(2)?,
            answer: row.get(3)?,
            confidence: row.get::<_, f64>(4)? as f32,
            evidence,
            method: row.get::<_, Method>(6)?,
            note: row.get(7)?,
        },
    })
}

/// Records (or replaces) the reviewer's decision on a checklist's item for a document.
pub fn decide(
    tx: &Transaction<'_>,
    checklist: &str,
    document: i64,
    item: &str,
    decision: &Decision,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO checklist_decisions
             (checklist, document_id, item, decision, answer, note, job_id, decided_by, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (checklist, document_id, item) DO UPDATE SET
             decision = excluded.decision, answer = excluded.answer, note = excluded.note,
             job_id = excluded.job_id, decided_by = excluded.decided_by,
             decided_at = excluded.decided_at",
        params![
            checklist,
            document,
            item,
            decision.decision,
            decision.answer,
            decision.note,
            decision.job_id,
            decision.decided_by,
            decision.decided_at
        ],
    )?;
    Ok(())
}

/// Withdraws a decision; true when there was one.
pub fn undecide(
    tx: &Transaction<'_>,
    checklist: &str,
    document: i64,
    item: &str,
) -> rusqlite::Result<bool> {
    Ok(tx.execute(
        "DELETE FROM checklist_decisions WHERE checklist = ?1 AND document_id = ?2 AND item = ?3",
        params![checklist, document, item],
    )? == 1)
}

/// Every decision on a checklist, by (document, item).
pub fn decisions(
    conn: &Connection,
    checklist: &str,
) -> rusqlite::Result<HashMap<(i64, String), Decision>> {
    conn.prepare(
        "SELECT document_id, item, decision, answer, note, job_id, decided_by, decided_at
         FROM checklist_decisions WHERE checklist = ?1",
    )?
    .query_map([checklist], |row| {
        Ok((
            (row.get(0)?, row.get(1)?),
            Decision {
                decision: row.get(2)?,
                answer: row.get(3)?,
                note: row.get(4)?,
                job_id: row.get(5)?,
                decided_by: row.get(6)?,
                decided_at: row.get(7)?,
            },
        ))
    })?
    .collect()
}
