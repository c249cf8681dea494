//! Documents and what is derived from them: paths, text, pages, chunks and PII spans.
//!
//! Every function here runs inside a caller's transaction, so a document and its parts
//! change together or not at all. Each change to a document's chunks also appends its id to
//! `changes`, the log the search index replays to catch up with SQLite.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

pub use crate::pii::PiiSpan;
use crate::text::char_slices;
use crate::timestamp::Timestamp;

mod chunks;

pub use chunks::*;

/// Where a document stands after ingestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    Ingested,
    /// Read but not usable: the reason says why.
    Failed,
    /// A PDF without a text layer: nothing to index until it is OCRed.
    NeedsOcr,
}

impl DocStatus {
    /// Every status.
    pub const ALL: [DocStatus; 3] = [DocStatus::Ingested, DocStatus::Failed, DocStatus::NeedsOcr];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Ingested => "ingested",
            DocStatus::Failed => "failed",
            DocStatus::NeedsOcr => "needs_ocr",
        }
    }
}

crate::named::stored_by_name!(DocStatus);
crate::named::parse_by_name!(DocStatus, "document status");

/// A passage of a document, the unit of search and of a model's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    /// 1-based pages the chunk starts and ends on.
    pub page_start: usize,
    pub page_end: usize,
    /// Character offsets in the document text, end exclusive: the chunk's text is the
    /// document's text between them.
    pub char_start: usize,
    pub char_end: usize,
}

/// Everything ingestion learned about one file (or one email attachment).
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    pub path: String,
    /// None when the file could not even be read.
    pub sha256: Option<String>,
    pub size: u64,
    pub format: Option<&'static str>,
    pub title: Option<String>,
    pub status: DocStatus,
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// The normalised text; empty unless ingested.
    pub text: String,
    /// Character range of each page in `text`.
    pub pages: Vec<(usize, usize)>,
    /// Per page, OCR's mean word confidence (0-100) for a page read by OCR, None for a
    /// page with a text layer; empty when no page was OCR'd.
    pub page_ocr: Vec<Option<f32>>,
    pub chunks: Vec<ChunkRecord>,
    pub pii: Vec<PiiSpan>,
    /// Attachments, stored as documents whose parent is this one.
    pub children: Vec<DocumentRecord>,
}

/// A stored document's metadata, as listed and shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentInfo {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    /// Every path this content was found at, the first one first.
    pub paths: Vec<String>,
    pub sha256: Option<String>,
    pub size: u64,
    pub format: Option<String>,
    pub title: Option<String>,
    pub pages: usize,
    pub chunks: usize,
    pub status: DocStatus,
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The near-duplicate group it is in, named by its principal's id (the principal's
    /// own), and its similarity to the principal.
    pub near_dup_group: Option<i64>,
    pub near_dup_similarity: Option<f64>,
    /// The e-mail thread it is in, named by the thread's first message's id, and whether
    /// no later message of it contains this one (None for what is not an e-mail).
    pub thread_id: Option<i64>,
    pub inclusive: Option<bool>,
}

/// What a path is currently known as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEntry {
    pub document_id: i64,
    pub sha256: Option<String>,
    pub status: DocStatus,
}

/// What is stored for `path`: its document and checksum, if it was seen.
pub fn path_entry(conn: &Connection, path: &str) -> rusqlite::Result<Option<PathEntry>> {
    conn.query_row(
        "SELECT d.id, d.sha256, d.status FROM document_paths p
         JOIN documents d ON d.id = p.document_id WHERE p.path = ?1",
        [path],
        |row| {
            Ok(PathEntry {
                document_id: row.get(0)?,
                sha256: row.get(1)?,
                status: row.get(2)?,
            })
        },
    )
    .optional()
}

/// The top-level document already holding this content, unless it failed or awaits OCR (such
/// a file is tried again, since limits, passwords or OCR may have changed).
pub fn usable_with_sha256(conn: &Connection, sha256: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM documents
         WHERE sha256 = ?1 AND status = 'ingested' AND parent_id IS NULL
         ORDER BY id LIMIT 1",
        [sha256],
        |row| row.get(0),
    )
    .optional()
}

/// Points `path` at `document_id`. A document left without any path is removed.
pub fn set_path(tx: &Transaction<'_>, path: &str, document_id: i64) -> rusqlite::Result<()> {
    let previous = path_entry(tx, path)?;
    tx.execute(
        "INSERT INTO document_paths (path, document_id, seen_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (path) DO UPDATE SET document_id = excluded.document_id,
                                          seen_at = excluded.seen_at",
        params![path, document_id, Timestamp::now()],
    )?;
    if let Some(previous) = previous
        && previous.document_id != document_id
    {
        let remaining: i64 = tx.query_row(
            "SELECT count(*) FROM document_paths WHERE document_id = ?1",
            [previous.document_id],
            |row| row.get(0),
        )?;
        if remaining == 0 {
            delete(tx, previous.document_id)?;
        } else {
            // The document is now known by its other paths: show the oldest one, and let
            // the index pick the new path up.
            let renamed = tx.execute(
                "UPDATE documents SET path = (SELECT path FROM document_paths
                     WHERE document_id = ?1 ORDER BY seen_at, path LIMIT 1)
                 WHERE id = ?1 AND path = ?2",
                params![previous.document_id, path],
            )?;
            if renamed > 0 {
                log_change(tx, previous.document_id)?;
            }
        }
    }
    Ok(())
}

/// Number of paths pointing at a document.
pub fn path_count(conn: &Connection, document_id: i64) -> rusqlite::Result<usize> {
    conn.query_row(
        "SELECT count(*) FROM document_paths WHERE document_id = ?1",
        [document_id],
        |row| row.get::<_, i64>(0),
    )
    .map(|n| n as usize)
}

/// Stores a new document (and its attachments) and points its path at it.
pub fn insert(
    tx: &Transaction<'_>,
    record: &DocumentRecord,
    parent_id: Option<i64>,
) -> rusqlite::Result<i64> {
    let now = Timestamp::now();
    tx.execute(
        "INSERT INTO documents (parent_id, path, created_at, updated_at, status, size)
         VALUES (?1, ?2, ?3, ?3, 'failed', 0)",
        params![parent_id, record.path, now],
    )?;
    let id = tx.last_insert_rowid();
    write_content(tx, id, record)?;
    set_path(tx, &record.path, id)?;
    Ok(id)
}

/// Replaces a document's content in place, keeping its id: what a changed file at a known
/// path becomes. Old chunks, spans and attachments go in the same transaction.
pub fn replace(tx: &Transaction<'_>, id: i64, record: &DocumentRecord) -> rusqlite::Result<()> {
    for sql in [
        "DELETE FROM document_texts WHERE document_id = ?1",
        "DELETE FROM pages WHERE document_id = ?1",
        "DELETE FROM chunks WHERE document_id = ?1",
        "DELETE FROM pii_spans WHERE document_id = ?1",
    ] {
        tx.execute(sql, [id])?;
    }
    let children: Vec<i64> = tx
        .prepare("SELECT id FROM documents WHERE parent_id = ?1")?
        .query_map([id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for child in children {
        delete(tx, child)?;
    }
    write_content(tx, id, record)
}

fn write_content(tx: &Transaction<'_>, id: i64, record: &DocumentRecord) -> rusqlite::Result<()> {
    let metadata = serde_json::to_string(&record.metadata)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "UPDATE documents SET sha256 = ?2, size = ?3, format = ?4, title = ?5, pages = ?6,
                status = ?7, reason = ?8, metadata = ?9, updated_at = ?10
         WHERE id = ?1",
        params![
            id,
            record.sha256,
            record.size as i64,
            record.format,
            record.title,
            record.pages.len() as i64,
            record.status,
            record.reason,
            metadata,
            Timestamp::now(),
        ],
    )?;
    if record.status == DocStatus::Ingested {
        tx.execute(
            "INSERT INTO document_texts (document_id, text) VALUES (?1, ?2)",
            params![id, record.text],
        )?;
    }
    let mut page = tx.prepare_cached(
        "INSERT INTO pages (document_id, number, char_start, char_end, ocr_confidence)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (index, (start, end)) in record.pages.iter().enumerate() {
        let ocr = record.page_ocr.get(index).copied().flatten().map(f64::from);
        page.execute(params![
            id,
            index as i64 + 1,
            *start as i64,
            *end as i64,
            ocr
        ])?;
    }
    let mut chunk = tx.prepare_cached(
        "INSERT INTO chunks (document_id, ordinal, page_start, page_end, char_start, char_end)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (ordinal, c) in record.chunks.iter().enumerate() {
        chunk.execute(params![
            id,
            ordinal as i64,
            c.page_start as i64,
            c.page_end as i64,
            c.char_start as i64,
            c.char_end as i64,
        ])?;
    }
    let mut span = tx.prepare_cached(
        "INSERT INTO pii_spans (document_id, kind, char_start, char_end, score, placeholder)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for s in &record.pii {
        span.execute(params![
            id,
            s.kind,
            s.start as i64,
            s.end as i64,
            f64::from(s.score),
            s.placeholder
        ])?;
    }
    log_change(tx, id)?;
    let mut used_paths = std::collections::HashSet::new();
    for child in &record.children {
        // Two attachments may share a name; each child needs its own path.
        let mut child_record = child.clone();
        let mut n = 1;
        while !used_paths.insert(child_record.path.clone()) {
            n += 1;
            child_record.path = format!("{} ({n})", child.path);
        }
        insert(tx, &child_record, Some(id))?;
    }
    Ok(())
}

fn log_change(tx: &Transaction<'_>, document_id: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO changes (document_id) VALUES (?1)",
        [document_id],
    )?;
    Ok(())
}

/// Removes a document with its attachments, paths, text, chunks and spans. Returns whether
/// it existed.
pub fn delete(tx: &Transaction<'_>, id: i64) -> rusqlite::Result<bool> {
    // The index keys chunks by document: log every document the cascade will remove.
    let doomed: Vec<i64> = tx
        .prepare(
            "WITH RECURSIVE tree(id) AS (
                 SELECT id FROM documents WHERE id = ?1
                 UNION ALL SELECT d.id FROM documents d JOIN tree ON d.parent_id = tree.id)
             SELECT id FROM tree",
        )?
        .query_map([id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for doc in &doomed {
        log_change(tx, *doc)?;
    }
    Ok(tx.execute("DELETE FROM documents WHERE id = ?1", [id])? > 0)
}

const INFO_COLUMNS: &str = "d.id, d.parent_id, d.path, d.sha256, d.size, d.format, d.title,
     d.pages, d.status, d.reason, d.metadata, d.created_at, d.updated_at,
     (SELECT count(*) FROM chunks c WHERE c.document_id = d.id),
     (SELECT n.principal_id FROM near_dups n WHERE n.document_id = d.id),
     (SELECT n.similarity FROM near_dups n WHERE n.document_id = d.id),
     (SELECT t.thread_id FROM email_threads t WHERE t.document_id = d.id),
     (SELECT t.inclusive FROM email_threads t WHERE t.document_id = d.id)";

fn info_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentInfo> {
    let metadata: String = row.get(10)?;
    Ok(DocumentInfo {
        id: row.get(0)?,
        parent_id: row.get(1)?,
        path: row.get(2)?,
        paths: Vec::new(),
        sha256: row.get(3)?,
        size: row.get::<_, i64>(4)? as u64,
        format: row.get(5)?,
        title: row.get(6)?,
        pages: row.get::<_, i64>(7)? as usize,
        status: row.get(8)?,
        reason: row.get(9)?,
        metadata: serde_json::from_str(&metadata).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, Box::new(e))
        })?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
        chunks: row.get::<_, i64>(13)? as usize,
        near_dup_group: row.get(14)?,
        near_dup_similarity: row.get(15)?,
        thread_id: row.get(16)?,
        inclusive: row.get::<_, Option<i64>>(17)?.map(|i| i != 0),
    })
}

fn with_paths(conn: &Connection, mut info: DocumentInfo) -> rusqlite::Result<DocumentInfo> {
    info.paths = conn
        .prepare_cached(
            "SELECT path FROM document_paths WHERE document_id = ?1 ORDER BY seen_at, path",
        )?
        .query_map([info.id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(info)
}

/// Every document, attachments right after their parent.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<DocumentInfo>> {
    let sql = format!(
        "SELECT {INFO_COLUMNS} FROM documents d
         ORDER BY coalesce(d.parent_id, d.id), d.parent_id IS NOT NULL, d.id"
    );
    let mut infos: Vec<DocumentInfo> = conn
        .prepare(&sql)?
        .query_map([], info_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    // Every document's paths in one query, not one per document: the terminal UI lists
    // the documents after every review and every 20 files of an ingest.
    let mut paths: HashMap<i64, Vec<String>> = HashMap::new();
    let mut statement = conn.prepare(
        "SELECT document_id, path FROM document_paths ORDER BY document_id, seen_at, path",
    )?;
    let rows = statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)))?;
    for row in rows {
        let (id, path) = row?;
        paths.entry(id).or_default().push(path);
    }
    for info in &mut infos {
        info.paths = paths.remove(&info.id).unwrap_or_default();
    }
    Ok(infos)
}

/// One document's metadata, with every path it was found at.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<DocumentInfo>> {
    let sql = format!("SELECT {INFO_COLUMNS} FROM documents d WHERE d.id = ?1");
    match conn.query_row(&sql, [id], info_from_row).optional()? {
        Some(info) => with_paths(conn, info).map(Some),
        None => Ok(None),
    }
}

/// Character range of each page, in order.
pub type PageRanges = Vec<(usize, usize)>;

/// The document text and each page's character range.
pub fn text(conn: &Connection, id: i64) -> rusqlite::Result<Option<(String, PageRanges)>> {
    let Some(text) = conn
        .query_row(
            "SELECT text FROM document_texts WHERE document_id = ?1",
            [id],
            |row| row.get::<_, String>(0),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let pages = conn
        .prepare("SELECT char_start, char_end FROM pages WHERE document_id = ?1 ORDER BY number")?
        .query_map([id], |row| {
            Ok((
                row.get::<_, i64>(0)? as usize,
                row.get::<_, i64>(1)? as usize,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some((text, pages)))
}

/// Calls `read` with document `id`'s text as SQLite holds it, without copying it; false (and
/// `read` not called) when the document has no text.
pub fn read_text(conn: &Connection, id: i64, read: impl FnOnce(&str)) -> rusqlite::Result<bool> {
    let mut statement =
        conn.prepare_cached("SELECT text FROM document_texts WHERE document_id = ?1")?;
    let mut rows = statement.query([id])?;
    match rows.next()? {
        Some(row) => {
            read(row.get_ref(0)?.as_str()?);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The pages of a document read by OCR: (1-based number, mean word confidence 0-100).
pub fn ocr_pages(conn: &Connection, id: i64) -> rusqlite::Result<Vec<(usize, f32)>> {
    conn.prepare_cached(
        "SELECT number, ocr_confidence FROM pages
         WHERE document_id = ?1 AND ocr_confidence IS NOT NULL ORDER BY number",
    )?
    .query_map([id], |row| {
        Ok((row.get::<_, i64>(0)? as usize, row.get::<_, f64>(1)? as f32))
    })?
    .collect()
}

/// A document's PII spans in text order.
pub fn pii_spans(conn: &Connection, id: i64) -> rusqlite::Result<Vec<PiiSpan>> {
    conn.prepare(
        "SELECT kind, char_start, char_end, score, placeholder FROM pii_spans
         WHERE document_id = ?1 ORDER BY char_start",
    )?
    .query_map([id], |row| {
        Ok(PiiSpan {
            kind: row.get(0)?,
            start: row.get::<_, i64>(1)? as usize,
            end: row.get::<_, i64>(2)? as usize,
            score: row.get::<_, f64>(3)? as f32,
            placeholder: row.get(4)?,
        })
    })?
    .collect()
}

/// The salt of the redaction log's value hashes, made with the database.
pub fn pii_hash_salt(conn: &Connection) -> rusqlite::Result<Vec<u8>> {
    conn.query_row(
        "SELECT value FROM secrets WHERE name = 'pii_hash_salt'",
        [],
        |row| row.get(0),
    )
}

/// PII counts by type, for `docs show`.
pub fn pii_counts(conn: &Connection, id: i64) -> rusqlite::Result<BTreeMap<String, usize>> {
    conn.prepare("SELECT kind, count(*) FROM pii_spans WHERE document_id = ?1 GROUP BY kind")?
        .query_map([id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as usize))
        })?
        .collect()
}
