//! Near-duplicates as stored: each document's signature, computed once, and the groups,
//! replaced whole when they are computed again.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, params};

use crate::neardup::{Group, HASHES, Signature};

/// Ingested documents with text and no signature yet, by id.
pub fn unsigned(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    conn.prepare(
        "SELECT d.id FROM documents d JOIN document_texts t ON t.document_id = d.id
         WHERE NOT EXISTS (SELECT 1 FROM near_dup_signatures s WHERE s.document_id = d.id)
         ORDER BY d.id",
    )?
    .query_map([], |row| row.get(0))?
    .collect()
}

/// Stores a document's signature; `None` for a text too short to compare (kept, so that it
/// is not read again).
pub fn store(
    tx: &Transaction<'_>,
    document: i64,
    signature: Option<&Signature>,
) -> rusqlite::Result<()> {
    let (words, hashes) = match signature {
        Some(s) => (
            s.words as i64,
            s.hashes
                .iter()
                .flat_map(|h| h.to_le_bytes())
                .collect::<Vec<u8>>(),
        ),
        None => (0, Vec::new()),
    };
    tx.execute(
        "INSERT OR REPLACE INTO near_dup_signatures (document_id, words, hashes) VALUES (?1, ?2, ?3)",
        params![document, words, hashes],
    )?;
    Ok(())
}

/// Every document's signature that can be compared.
pub fn signatures(conn: &Connection) -> rusqlite::Result<Vec<(i64, Signature)>> {
    let mut statement = conn.prepare(
        "SELECT document_id, words, hashes FROM near_dup_signatures WHERE words > 0 ORDER BY document_id",
    )?;
    let rows = statement.query_map([], |row| {
        let bytes: Vec<u8> = row.get(2)?;
        Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, bytes))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, words, bytes) = row?;
        if bytes.len() != HASHES * 4 {
            continue;
        }
        let hashes = bytes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        out.push((
            id,
            Signature {
                hashes,
                words: words as usize,
            },
        ));
    }
    Ok(out)
}

/// Replaces the stored groups with `groups`.
pub fn replace_groups(tx: &Transaction<'_>, groups: &[Group]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM near_dups", [])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO near_dups (document_id, principal_id, similarity) VALUES (?1, ?2, ?3)",
    )?;
    for group in groups {
        insert.execute(params![group.principal, group.principal, 1.0])?;
        for (member, similarity) in &group.members {
            insert.execute(params![member, group.principal, similarity])?;
        }
    }
    Ok(())
}

/// Each grouped document's principal and its similarity to it, by document id.
pub fn memberships(conn: &Connection) -> rusqlite::Result<HashMap<i64, (i64, f64)>> {
    conn.prepare("SELECT document_id, principal_id, similarity FROM near_dups")?
        .query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))?
        .collect()
}
