//! What search reads from the documents: chunks for the index and their texts, cut from
//! the document text, passage details in the order asked, the PII inside a range, and the
//! change log the index follows.

use super::*;

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
    let (places, pages): (Vec<ChunkPlace>, Vec<usize>) =
        places_with_pages(conn, document_id)?.into_iter().unzip();
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

/// A document's chunks in text order, each with the page it starts on.
pub fn places_with_pages(
    conn: &Connection,
    document_id: i64,
) -> rusqlite::Result<Vec<(ChunkPlace, usize)>> {
    conn.prepare_cached(
        "SELECT id, document_id, char_start, char_end, page_start FROM chunks
         WHERE document_id = ?1 ORDER BY ordinal",
    )?
    .query_map([document_id], |row| {
        Ok((ChunkPlace::from_row(row)?, row.get::<_, i64>(4)? as usize))
    })?
    .collect()
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

/// Chunks stored.
pub fn chunk_count(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("SELECT COUNT(*) FROM chunks", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(|n| n as usize)
}

/// Whether any document is stored.
pub fn any(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM documents)", [], |row| {
        row.get(0)
    })
}

/// The sequence number of the newest change, which the index compares with its own.
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
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkDetails {
    pub chunk_id: i64,
    pub document_id: i64,
    pub path: String,
    pub title: String,
    pub page: usize,
    /// OCR's mean word confidence on that page, when OCR read it.
    pub ocr_confidence: Option<f32>,
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
    // The first `limit` ids in one query (a JSON array read by `json_each`); only when
    // some of them are gone (deleted meanwhile) another for as many of the next ones.
    // Retrieval passes several times more ids than it keeps; the rest are never read.
    let mut statement = conn.prepare_cached(
        "SELECT c.id, c.document_id, c.char_start, c.char_end, d.path,
                coalesce(d.title, ''), c.page_start, p.ocr_confidence
         FROM chunks c JOIN documents d ON d.id = c.document_id
         LEFT JOIN pages p ON p.document_id = c.document_id AND p.number = c.page_start
         WHERE c.id IN (SELECT value FROM json_each(?1))",
    )?;
    type Found = (ChunkPlace, String, String, usize, Option<f32>);
    let mut found: Vec<Found> = Vec::new();
    let mut rest = chunk_ids;
    while found.len() < limit && !rest.is_empty() {
        let (batch, tail) = rest.split_at((limit - found.len()).min(rest.len()));
        rest = tail;
        let ids = serde_json::to_string(batch)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let mut by_id: HashMap<i64, Found> = statement
            .query_map([ids], |row| {
                let place = ChunkPlace::from_row(row)?;
                Ok((
                    place.chunk_id,
                    (
                        place,
                        row.get::<_, String>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, i64>(6)? as usize,
                        row.get::<_, Option<f64>>(7)?.map(|c| c as f32),
                    ),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        found.extend(batch.iter().filter_map(|id| by_id.remove(id)));
    }
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
        .map(
            |((place, path, title, page, ocr_confidence), text)| ChunkDetails {
                chunk_id: place.chunk_id,
                document_id: place.document_id,
                path,
                title,
                page,
                ocr_confidence,
                char_start: place.char_start,
                char_end: place.char_end,
                text,
            },
        )
        .collect())
}

impl ChunkDetails {
    /// The chunk as a search hit scored `score`, with its ranks by each retrieval (None
    /// for one that did not find it), and its text.
    pub fn into_hit(
        self,
        score: f32,
        bm25_rank: Option<usize>,
        vector_rank: Option<usize>,
        fused_score: f32,
    ) -> (crate::citation::Hit, String) {
        let hit = crate::citation::Hit {
            doc_id: self.document_id,
            chunk_id: self.chunk_id,
            snippet: String::new(),
            path: self.path,
            title: self.title,
            page: self.page,
            ocr_confidence: self.ocr_confidence,
            char_start: self.char_start,
            char_end: self.char_end,
            score,
            bm25_rank,
            vector_rank,
            clause_rank: None,
            clause_sentence: None,
            fused_score,
        };
        (hit, self.text)
    }
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
            page_ocr: Vec::new(),
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
