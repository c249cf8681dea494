//! Documents and what is derived from them: paths, text, pages, chunks and PII spans.
//!
//! Every function here runs inside a caller's transaction, so a document and its parts
//! change together or not at all. Each change to a document's chunks also appends its id to
//! `changes`, the log the search index replays to catch up with SQLite.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::extract::char_slices;
use crate::pii::PiiKind;
use crate::telemetry;

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

super::stored_by_name!(DocStatus);
super::parse_by_name!(DocStatus, "document status");

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

/// One stored span of personal data, in characters of the document text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PiiSpan {
    #[serde(rename = "type")]
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
    pub score: f32,
    /// The placeholder that stands for this value in redacted text, e.g. `[PERSON_2]`.
    pub placeholder: String,
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
    pub created_at: String,
    pub updated_at: String,
}

/// What a path is currently known as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEntry {
    pub document_id: i64,
    pub sha256: Option<String>,
    pub status: DocStatus,
}

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

/// The top-level document already holding this content, unless it failed (a failed file is
/// tried again, since limits may have changed).
pub fn usable_with_sha256(conn: &Connection, sha256: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM documents
         WHERE sha256 = ?1 AND status != 'failed' AND parent_id IS NULL
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
        params![path, document_id, telemetry::now_rfc3339()],
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
    let now = telemetry::now_rfc3339();
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
            telemetry::now_rfc3339(),
        ],
    )?;
    if record.status == DocStatus::Ingested {
        tx.execute(
            "INSERT INTO document_texts (document_id, text) VALUES (?1, ?2)",
            params![id, record.text],
        )?;
    }
    let mut page = tx.prepare_cached(
        "INSERT INTO pages (document_id, number, char_start, char_end) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (index, (start, end)) in record.pages.iter().enumerate() {
        page.execute(params![id, index as i64 + 1, *start as i64, *end as i64])?;
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
     (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)";

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

/// PII counts by type, for `docs show`.
pub fn pii_counts(conn: &Connection, id: i64) -> rusqlite::Result<BTreeMap<String, usize>> {
    conn.prepare("SELECT kind, count(*) FROM pii_spans WHERE document_id = ?1 GROUP BY kind")?
        .query_map([id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as usize))
        })?
        .collect()
}

/// A chunk as the search index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedChunk {
    pub chunk_id: i64,
    pub document_id: i64,
    pub title: String,
    pub path: String,
    pub page: usize,
    pub text: String,
}

/// The chunks of one document, with what the index stores beside them.
pub fn chunks_for_index(
    conn: &Connection,
    document_id: i64,
) -> rusqlite::Result<Vec<IndexedChunk>> {
    let Some((title, path)) = conn
        .prepare_cached("SELECT coalesce(title, ''), path FROM documents WHERE id = ?1")?
        .query_row([document_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .optional()?
    else {
        return Ok(Vec::new());
    };
    let (places, pages): (Vec<ChunkPlace>, Vec<usize>) = conn
        .prepare_cached(
            "SELECT id, document_id, char_start, char_end, page_start FROM chunks
             WHERE document_id = ?1 ORDER BY ordinal",
        )?
        .query_map([document_id], |row| {
            Ok((ChunkPlace::from_row(row)?, row.get::<_, i64>(4)? as usize))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let texts = texts_of(conn, &places)?;
    Ok(places
        .iter()
        .zip(pages)
        .zip(texts)
        .map(|((place, page), text)| IndexedChunk {
            chunk_id: place.chunk_id,
            document_id,
            title: title.clone(),
            path: path.clone(),
            page,
            text,
        })
        .collect())
}

/// Where a chunk's text lies: characters `char_start..char_end` of its document's text.
/// Chunks store no text of their own; it is cut from the document's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlace {
    pub chunk_id: i64,
    pub document_id: i64,
    pub char_start: usize,
    pub char_end: usize,
}

impl ChunkPlace {
    /// Reads `id, document_id, char_start, char_end` from the first four columns.
    pub fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ChunkPlace> {
        Ok(ChunkPlace {
            chunk_id: row.get(0)?,
            document_id: row.get(1)?,
            char_start: row.get::<_, i64>(2)? as usize,
            char_end: row.get::<_, i64>(3)? as usize,
        })
    }
}

/// The text of each chunk, in the order given. Each run of chunks from one document reads
/// that document's text once.
pub fn texts_of(conn: &Connection, places: &[ChunkPlace]) -> rusqlite::Result<Vec<String>> {
    let mut statement =
        conn.prepare_cached("SELECT text FROM document_texts WHERE document_id = ?1")?;
    let mut texts = Vec::with_capacity(places.len());
    for run in places.chunk_by(|a, b| a.document_id == b.document_id) {
        let ranges = || run.iter().map(|p| (p.char_start, p.char_end));
        // Cut where SQLite holds the text, without copying all of it first.
        let cut = statement
            .query_row([run[0].document_id], |row| {
                let text = row.get_ref(0)?.as_str()?;
                let cut: Vec<String> = char_slices(text, ranges())
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                Ok(cut)
            })
            .optional()?;
        match cut {
            Some(cut) => texts.extend(cut),
            // A document without text has no chunks; one removed meanwhile has none left.
            None => texts.extend(ranges().map(|_| String::new())),
        }
    }
    Ok(texts)
}

/// Each chunk's id with its text, in the order given.
pub fn ids_and_texts(
    conn: &Connection,
    places: &[ChunkPlace],
) -> rusqlite::Result<Vec<(i64, String)>> {
    let texts = texts_of(conn, places)?;
    Ok(places.iter().map(|p| p.chunk_id).zip(texts).collect())
}

/// Every chunk's id and text, in id order.
pub fn chunk_texts(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    let places: Vec<ChunkPlace> = conn
        .prepare("SELECT id, document_id, char_start, char_end FROM chunks ORDER BY id")?
        .query_map([], ChunkPlace::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    ids_and_texts(conn, &places)
}

/// The newest entry of the change log (0 when empty).
/// Whether any document is stored.
pub fn any(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM documents)", [], |row| {
        row.get(0)
    })
}

pub fn last_change(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |row| {
        row.get(0)
    })
}

/// Documents changed after `seq`, each once, with the newest sequence number seen.
pub fn changed_since(conn: &Connection, seq: i64) -> rusqlite::Result<(Vec<i64>, i64)> {
    let mut newest = seq;
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut statement =
        conn.prepare("SELECT seq, document_id FROM changes WHERE seq > ?1 ORDER BY seq")?;
    let mut rows = statement.query([seq])?;
    while let Some(row) = rows.next()? {
        newest = newest.max(row.get(0)?);
        let id: i64 = row.get(1)?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    Ok((ids, newest))
}

/// Ids of every document that has chunks.
pub fn indexed_document_ids(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    conn.prepare("SELECT DISTINCT document_id FROM chunks ORDER BY document_id")?
        .query_map([], |row| row.get(0))?
        .collect()
}

/// A chunk with where it sits: its document, page and character range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkDetails {
    pub chunk_id: i64,
    pub document_id: i64,
    pub path: String,
    pub title: String,
    pub page: usize,
    pub char_start: usize,
    pub char_end: usize,
    pub text: String,
}

/// The first `limit` of `chunk_ids` that still exist, in the order given, with their
/// documents' paths and titles. Each document's text is read once, however many of its
/// chunks are asked for and in whatever order (search hits often share a document).
pub fn chunk_details(
    conn: &Connection,
    chunk_ids: &[i64],
    limit: usize,
) -> rusqlite::Result<Vec<ChunkDetails>> {
    // One query for all the ids (a JSON array read by `json_each`), then the rows in the
    // order asked, skipping ids that are gone, up to `limit`.
    let ids = serde_json::to_string(chunk_ids)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let mut statement = conn.prepare_cached(
        "SELECT c.id, c.document_id, c.char_start, c.char_end, d.path,
                coalesce(d.title, ''), c.page_start
         FROM chunks c JOIN documents d ON d.id = c.document_id
         WHERE c.id IN (SELECT value FROM json_each(?1))",
    )?;
    let mut by_id: HashMap<i64, (ChunkPlace, String, String, usize)> = statement
        .query_map([ids], |row| {
            let place = ChunkPlace::from_row(row)?;
            Ok((
                place.chunk_id,
                (
                    place,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, i64>(6)? as usize,
                ),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let found: Vec<(ChunkPlace, String, String, usize)> = chunk_ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .take(limit)
        .collect();
    // Texts are cut in document and text order, then put back in the order asked.
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&i| (found[i].0.document_id, found[i].0.char_start));
    let places: Vec<ChunkPlace> = order.iter().map(|&i| found[i].0).collect();
    let mut texts = vec![String::new(); found.len()];
    for (i, text) in order.into_iter().zip(texts_of(conn, &places)?) {
        texts[i] = text;
    }
    Ok(found
        .into_iter()
        .zip(texts)
        .map(|((place, path, title, page), text)| ChunkDetails {
            chunk_id: place.chunk_id,
            document_id: place.document_id,
            path,
            title,
            page,
            char_start: place.char_start,
            char_end: place.char_end,
            text,
        })
        .collect())
}

/// A span of personal data with its original value.
#[derive(Debug, Clone, PartialEq)]
pub struct PiiValue {
    pub span: PiiSpan,
    pub value: String,
}

/// The PII spans of a document that overlap characters `start..end`, with their values.
pub fn pii_in_range(
    conn: &Connection,
    id: i64,
    start: usize,
    end: usize,
) -> rusqlite::Result<Vec<PiiValue>> {
    conn.prepare_cached(
        "SELECT p.kind, p.char_start, p.char_end, p.score, p.placeholder,
                substr(t.text, p.char_start + 1, p.char_end - p.char_start)
         FROM pii_spans p JOIN document_texts t ON t.document_id = p.document_id
         WHERE p.document_id = ?1 AND p.char_start < ?3 AND p.char_end > ?2
         ORDER BY p.char_start",
    )?
    .query_map(params![id, start as i64, end as i64], |row| {
        Ok(PiiValue {
            span: PiiSpan {
                kind: row.get(0)?,
                start: row.get::<_, i64>(1)? as usize,
                end: row.get::<_, i64>(2)? as usize,
                score: row.get::<_, f64>(3)? as f32,
                placeholder: row.get(4)?,
            },
            value: row.get(5)?,
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseConfig;
    use crate::storage::Database;

    #[test]
    fn chunk_texts_come_back_from_the_document_text_wherever_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("k.db"), &DatabaseConfig::default()).unwrap();
        let text = "Première page: le café 🏠 coûte €3.\n\nSecond page, plain ASCII words.";
        let n = text.chars().count();
        let chunks = [(0, 20), (14, 36), (38, n)];
        let record = DocumentRecord {
            path: "/docs/bail.txt".into(),
            sha256: Some("ab".repeat(32)),
            size: text.len() as u64,
            format: Some("text"),
            title: Some("Bail".into()),
            status: DocStatus::Ingested,
            reason: None,
            metadata: Default::default(),
            text: text.into(),
            pages: vec![(0, 36), (38, n)],
            chunks: chunks
                .iter()
                .map(|&(char_start, char_end)| ChunkRecord {
                    page_start: 1 + usize::from(char_start >= 38),
                    page_end: 1 + usize::from(char_start >= 38),
                    char_start,
                    char_end,
                })
                .collect(),
            pii: Vec::new(),
            children: Vec::new(),
        };
        let id = db
            .write(|tx| insert(tx, &record, None).map_err(crate::storage::StorageError::Sql))
            .unwrap();
        let conn = db.conn().unwrap();
        let expected: Vec<String> = chunks
            .iter()
            .map(|&(s, e)| text.chars().skip(s).take(e - s).collect())
            .collect();
        assert!(expected[1].contains('🏠'));

        let indexed = chunks_for_index(&conn, id).unwrap();
        let texts: Vec<String> = indexed.iter().map(|c| c.text.clone()).collect();
        assert_eq!(texts, expected);
        assert_eq!(indexed[2].page, 2);
        let all = chunk_texts(&conn).unwrap();
        assert_eq!(
            all.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(),
            expected
        );
        for ((chunk_id, _), c) in all.iter().zip(&indexed) {
            assert_eq!(*chunk_id, c.chunk_id);
        }
        // Asked out of order, with a chunk that does not exist: each text comes back in
        // the order asked, and `limit` counts only the chunks found.
        let ids = [all[2].0, 999, all[0].0, all[1].0];
        let details = chunk_details(&conn, &ids, 2).unwrap();
        let got: Vec<(i64, &str)> = details
            .iter()
            .map(|d| (d.chunk_id, d.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (all[2].0, expected[2].as_str()),
                (all[0].0, expected[0].as_str())
            ]
        );
        let details = chunk_details(&conn, &ids, 10).unwrap();
        let texts: Vec<&str> = details.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(texts, [&expected[2], &expected[0], &expected[1]]);
        // SQLite's own substr counts characters too, and agrees.
        let by_sqlite: String = conn
            .query_row(
                "SELECT substr(t.text, c.char_start + 1, c.char_end - c.char_start)
                 FROM chunks c JOIN document_texts t ON t.document_id = c.document_id
                 WHERE c.id = ?1",
                [all[1].0],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(by_sqlite, expected[1]);
    }
}
