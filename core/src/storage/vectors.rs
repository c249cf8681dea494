//! Chunk embeddings: one vector per chunk, tagged with the embedder that made it.
//!
//! An embedder is a model run per text (full vectors) or the static model distilled from
//! one (fast vectors); chunks are filled in with each kind on its own. The vectors a
//! matter's search uses (none, fast or full) are the matter's choice, kept in `meta`.
//!
//! Vectors are little-endian `f32` blobs. Every write transaction opens a `vector_batches`
//! row and tags its vectors with it, so a reader holding vectors up to batch `n` loads only
//! newer ones. Vectors disappear with their chunk (foreign-key cascade).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::storage::documents::{self, ChunkPlace};
use crate::timestamp::Timestamp;

/// An embedder as the database knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEmbedder {
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub dimensions: usize,
    /// A static model's fast vectors.
    pub fast: bool,
    /// Vectors stored from this embedder.
    pub vectors: usize,
}

/// The id of the embedder with this file name and checksum, registered on first use;
/// `fast` for a static model's vectors.
pub fn embedder_id(
    tx: &Transaction<'_>,
    file_name: &str,
    sha256: &str,
    dimensions: usize,
    fast: bool,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO embedders (file_name, sha256, dimensions, first_used, fast)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (file_name, sha256) DO NOTHING",
        params![file_name, sha256, dimensions as i64, Timestamp::now(), fast],
    )?;
    tx.query_row(
        "SELECT id FROM embedders WHERE file_name = ?1 AND sha256 = ?2",
        params![file_name, sha256],
        |row| row.get(0),
    )
}

/// The id of an already registered embedder.
pub fn find_embedder(
    conn: &Connection,
    file_name: &str,
    sha256: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM embedders WHERE file_name = ?1 AND sha256 = ?2",
        params![file_name, sha256],
        |row| row.get(0),
    )
    .optional()
}

/// Every embedder that has stored vectors, with how many.
pub fn embedders_in_use(conn: &Connection) -> rusqlite::Result<Vec<StoredEmbedder>> {
    conn.prepare(
        "SELECT e.id, e.file_name, e.sha256, e.dimensions, COUNT(*), e.fast
         FROM chunk_vectors v JOIN embedders e ON e.id = v.embedder_id
         GROUP BY e.id ORDER BY e.id",
    )?
    .query_map([], |row| {
        Ok(StoredEmbedder {
            id: row.get(0)?,
            file_name: row.get(1)?,
            sha256: row.get(2)?,
            dimensions: row.get::<_, i64>(3)? as usize,
            vectors: row.get::<_, i64>(4)? as usize,
            fast: row.get(5)?,
        })
    })?
    .collect()
}

/// Which chunks need a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Chunks with no vector from any embedder of the kind (full, or fast when true): new
    /// chunks.
    Any { fast: bool },
    /// Chunks without a vector from this embedder (new ones, and those another embedder made).
    From(i64),
}

impl Missing {
    /// The SQL parameters (embedder id, whether any embedder of the kind counts, the kind).
    fn params(self) -> (i64, bool, bool) {
        match self {
            Missing::Any { fast } => (0, true, fast),
            Missing::From(id) => (id, false, false),
        }
    }
}

/// Whether any chunk has a fast vector.
pub fn any_fast(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM embedders e JOIN chunk_vectors v ON v.embedder_id = e.id
                        WHERE e.fast)",
        [],
        |row| row.get(0),
    )
}

/// The matter's choice of vectors (`none`, `fast` or `full`), when it made one.
pub fn choice(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = 'vectors'", [], |row| {
        row.get(0)
    })
    .optional()
}

/// Records the matter's choice of vectors.
pub fn set_choice(tx: &Transaction<'_>, choice: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('vectors', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [choice],
    )?;
    Ok(())
}

/// Chunks that need a vector, after chunk id `after`, in id order, at most `limit`.
pub fn chunks_to_embed(
    conn: &Connection,
    missing: Missing,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let (embedder_id, any, fast) = missing.params();
    let places: Vec<ChunkPlace> = conn
        .prepare_cached(
            "SELECT c.id, c.document_id, c.char_start, c.char_end FROM chunks c
             WHERE c.id > ?1 AND NOT EXISTS (
                 SELECT 1 FROM chunk_vectors v JOIN embedders e ON e.id = v.embedder_id
                 WHERE v.chunk_id = c.id
                   AND ((?3 AND e.fast = ?5) OR v.embedder_id = ?2))
             ORDER BY c.id LIMIT ?4",
        )?
        .query_map(
            params![after, embedder_id, any, limit as i64, fast],
            ChunkPlace::from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    documents::ids_and_texts(conn, &places)
}

/// How many chunks [`chunks_to_embed`] would give in all.
pub fn count_to_embed(conn: &Connection, missing: Missing) -> rusqlite::Result<usize> {
    let (embedder_id, any, fast) = missing.params();
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM chunks c
         WHERE NOT EXISTS (
             SELECT 1 FROM chunk_vectors v JOIN embedders e ON e.id = v.embedder_id
             WHERE v.chunk_id = c.id AND ((?2 AND e.fast = ?3) OR v.embedder_id = ?1))",
        params![embedder_id, any, fast],
        |row| row.get(0),
    )?;
    Ok(count as usize)
}

/// Stores vectors from `embedder_id`, replacing any earlier vector of the same chunks. A
/// chunk deleted since it was read is skipped. Returns the batch number.
pub fn store(
    tx: &Transaction<'_>,
    embedder_id: i64,
    vectors: &[(i64, Vec<f32>)],
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO vector_batches (embedder_id) VALUES (?1)",
        [embedder_id],
    )?;
    let batch = tx.last_insert_rowid();
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO chunk_vectors (chunk_id, embedder_id, batch, vector)
         SELECT id, ?2, ?3, ?4 FROM chunks WHERE id = ?1",
    )?;
    let mut blob = Vec::new();
    for (chunk_id, vector) in vectors {
        blob.clear();
        blob.extend(vector.iter().flat_map(|x| x.to_le_bytes()));
        insert.execute(params![chunk_id, embedder_id, batch, blob])?;
    }
    Ok(batch)
}

/// The newest vector batch written, 0 when none.
pub fn last_batch(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM vector_batches",
        [],
        |row| row.get(0),
    )
}

/// How many vectors `embedder_id` wrote in batches after `after` (from the batch index, not
/// the vectors).
pub fn count_after(conn: &Connection, embedder_id: i64, after: i64) -> rusqlite::Result<usize> {
    conn.query_row(
        "SELECT COUNT(*) FROM chunk_vectors WHERE embedder_id = ?1 AND batch > ?2",
        params![embedder_id, after],
        |row| row.get::<_, i64>(0),
    )
    .map(|n| usize::try_from(n).unwrap_or(0))
}

/// A stored vector with where it belongs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
    pub chunk_id: i64,
    pub document_id: i64,
    pub vector: Vec<f32>,
}

/// Vectors of `embedder_id` written after batch `after`, or belonging to one of
/// `documents`, in the order stored; `visit` sees each one. Put in chunk order, a million
/// vectors (1.5 GB) went through SQLite's sorter and its temporary files: 9 s of a cold
/// search's 10.
pub fn load(
    conn: &Connection,
    embedder_id: i64,
    after: i64,
    documents: &[i64],
    mut visit: impl FnMut(StoredVector),
) -> rusqlite::Result<()> {
    let documents = serde_json::to_string(documents).unwrap_or_else(|_| "[]".into());
    let mut statement = conn.prepare_cached(
        "SELECT v.chunk_id, c.document_id, v.vector FROM chunk_vectors v
         JOIN chunks c ON c.id = v.chunk_id
         WHERE v.embedder_id = ?1
           AND (v.batch > ?2 OR c.document_id IN (SELECT value FROM json_each(?3)))",
    )?;
    let mut rows = statement.query(params![embedder_id, after, documents])?;
    while let Some(row) = rows.next()? {
        let blob = row.get_ref(2)?.as_blob()?;
        visit(StoredVector {
            chunk_id: row.get(0)?,
            document_id: row.get(1)?,
            vector: floats(blob),
        });
    }
    Ok(())
}

/// The vectors `embedder_id` stored for these chunks, by chunk id; chunks without one are
/// absent.
pub fn of_chunks(
    conn: &Connection,
    embedder_id: i64,
    chunk_ids: &[i64],
) -> rusqlite::Result<std::collections::HashMap<i64, Vec<f32>>> {
    let ids = serde_json::to_string(chunk_ids).unwrap_or_else(|_| "[]".into());
    let mut statement = conn.prepare_cached(
        "SELECT chunk_id, vector FROM chunk_vectors
         WHERE embedder_id = ?1 AND chunk_id IN (SELECT value FROM json_each(?2))",
    )?;
    let mut rows = statement.query(params![embedder_id, ids])?;
    let mut found = std::collections::HashMap::with_capacity(chunk_ids.len());
    while let Some(row) = rows.next()? {
        found.insert(row.get(0)?, floats(row.get_ref(1)?.as_blob()?));
    }
    Ok(found)
}

/// A stored blob's little-endian `f32` values.
fn floats(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
