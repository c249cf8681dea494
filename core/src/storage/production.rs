//! Production as stored: each document's privilege decision and redactions, written at
//! once like the rest of a review, and production sets with their documents in order.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::production::{
    Area, Basis, Bates, Decisions, Plan, PlannedDocument, Privilege, Redaction, Treatment,
};
use crate::timestamp::Timestamp;

/// A document's privilege decision and redactions, the redactions by number.
pub fn decisions(conn: &Connection, document_id: i64) -> rusqlite::Result<Decisions> {
    let privilege = conn
        .query_row(
            "SELECT treatment, basis, description, decided_by, decided_at FROM privilege
             WHERE document_id = ?1",
            [document_id],
            |row| {
                Ok(Privilege {
                    treatment: row.get(0)?,
                    basis: row.get(1)?,
                    description: row.get(2)?,
                    decided_by: row.get(3)?,
                    decided_at: row.get(4)?,
                })
            },
        )
        .optional()?;
    let redactions = conn
        .prepare(
            "SELECT number, char_start, char_end, page, reason, created_by, created_at
             FROM redactions WHERE document_id = ?1 ORDER BY number",
        )?
        .query_map([document_id], |row| {
            let area = match row.get::<_, Option<i64>>(3)? {
                Some(page) => Area::Page {
                    page: page as usize,
                },
                None => Area::Span {
                    start: row.get::<_, i64>(1)? as usize,
                    end: row.get::<_, i64>(2)? as usize,
                },
            };
            Ok(Redaction {
                number: row.get(0)?,
                area,
                reason: row.get(4)?,
                created_by: row.get(5)?,
                created_at: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Decisions {
        privilege,
        redactions,
    })
}

/// Sets a document's privilege decision, or clears it with `None`.
pub fn set_privilege(
    tx: &Transaction<'_>,
    document_id: i64,
    decision: Option<(Treatment, Basis, &str)>,
    user: &str,
) -> rusqlite::Result<()> {
    match decision {
        None => {
            tx.execute(
                "DELETE FROM privilege WHERE document_id = ?1",
                [document_id],
            )?;
        }
        Some((treatment, basis, description)) => {
            tx.execute(
                "INSERT INTO privilege (document_id, treatment, basis, description, decided_by,
                     decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (document_id) DO UPDATE SET treatment = ?2, basis = ?3,
                     description = ?4, decided_by = ?5, decided_at = ?6",
                params![
                    document_id,
                    treatment,
                    basis,
                    description,
                    user,
                    Timestamp::now()
                ],
            )?;
        }
    }
    Ok(())
}

/// Adds a redaction; returns its number on the document, one more than its highest.
pub fn add_redaction(
    tx: &Transaction<'_>,
    document_id: i64,
    area: Area,
    reason: &str,
    user: &str,
) -> rusqlite::Result<i64> {
    let number: i64 = tx.query_row(
        "SELECT coalesce(max(number), 0) + 1 FROM redactions WHERE document_id = ?1",
        [document_id],
        |row| row.get(0),
    )?;
    let (start, end, page) = match area {
        Area::Span { start, end } => (Some(start as i64), Some(end as i64), None),
        Area::Page { page } => (None, None, Some(page as i64)),
    };
    tx.execute(
        "INSERT INTO redactions (document_id, number, char_start, char_end, page, reason,
             created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            document_id,
            number,
            start,
            end,
            page,
            reason,
            user,
            Timestamp::now()
        ],
    )?;
    Ok(number)
}

/// Removes redaction `number`; false when the document has none of that number.
pub fn remove_redaction(
    tx: &Transaction<'_>,
    document_id: i64,
    number: i64,
) -> rusqlite::Result<bool> {
    Ok(tx.execute(
        "DELETE FROM redactions WHERE document_id = ?1 AND number = ?2",
        params![document_id, number],
    )? > 0)
}

/// A production set as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub start: u64,
    pub digits: usize,
    pub volume: String,
    /// The PII types redacted in every document; `*` for all.
    pub redact_pii: Vec<String>,
    pub legend: Option<String>,
    pub scope: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

impl ProductionRow {
    /// How its Bates numbers are written.
    pub fn bates(&self) -> Bates {
        Bates {
            prefix: self.prefix.clone(),
            digits: self.digits,
        }
    }
}

/// Stores a production set and its documents in order; returns its id.
pub fn create(
    tx: &Transaction<'_>,
    row: &ProductionRow,
    documents: &[PlannedDocument],
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO productions (name, prefix, start, digits, volume, redact_pii, legend,
             scope, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            row.name,
            row.prefix,
            row.start as i64,
            row.digits as i64,
            row.volume,
            to_json(&row.redact_pii)?,
            row.legend,
            row.scope,
            row.created_by,
            row.created_at
        ],
    )?;
    let id = tx.last_insert_rowid();
    let mut insert = tx.prepare(
        "INSERT INTO production_documents (production_id, position, document_id,
             first_number, pages, plan) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (position, doc) in documents.iter().enumerate() {
        insert.execute(params![
            id,
            position as i64,
            doc.document_id,
            doc.first_number as i64,
            doc.pages as i64,
            to_json(&doc.plan)?
        ])?;
    }
    Ok(id)
}

fn to_json(value: &impl serde::Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn production_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ProductionRow> {
    let pii: String = row.get(6)?;
    Ok(ProductionRow {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        start: row.get::<_, i64>(3)? as u64,
        digits: row.get::<_, i64>(4)? as usize,
        volume: row.get(5)?,
        redact_pii: serde_json::from_str(&pii).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
        })?,
        legend: row.get(7)?,
        scope: row.get(8)?,
        created_by: row.get(9)?,
        created_at: row.get(10)?,
    })
}

const COLUMNS: &str = "id, name, prefix, start, digits, volume, redact_pii, legend, scope,
     created_by, created_at";

/// The production set named `name`.
pub fn get(conn: &Connection, name: &str) -> rusqlite::Result<Option<ProductionRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM productions WHERE name = ?1"),
        [name],
        production_row,
    )
    .optional()
}

/// Every production set, oldest first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<ProductionRow>> {
    conn.prepare(&format!("SELECT {COLUMNS} FROM productions ORDER BY id"))?
        .query_map([], production_row)?
        .collect()
}

/// A production set's documents in order.
pub fn documents(conn: &Connection, production: i64) -> rusqlite::Result<Vec<PlannedDocument>> {
    conn.prepare(
        "SELECT document_id, first_number, pages, plan FROM production_documents
         WHERE production_id = ?1 ORDER BY position",
    )?
    .query_map([production], |row| {
        let plan: String = row.get(3)?;
        let plan: Plan = serde_json::from_str(&plan).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
        })?;
        Ok(PlannedDocument {
            document_id: row.get(0)?,
            first_number: row.get::<_, i64>(1)? as u64,
            pages: row.get::<_, i64>(2)? as usize,
            plan,
        })
    })?
    .collect()
}

/// The Bates numbers a production set gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbered {
    pub name: String,
    pub digits: usize,
    pub first: u64,
    pub last: u64,
}

/// The numbers each production set under `prefix` gave.
pub fn numbered(conn: &Connection, prefix: &str) -> rusqlite::Result<Vec<Numbered>> {
    conn.prepare(
        "SELECT p.name, p.digits, min(d.first_number), max(d.first_number + d.pages - 1)
         FROM productions p JOIN production_documents d ON d.production_id = p.id
         WHERE p.prefix = ?1 GROUP BY p.id ORDER BY p.id",
    )?
    .query_map([prefix], |row| {
        Ok(Numbered {
            name: row.get(0)?,
            digits: row.get::<_, i64>(1)? as usize,
            first: row.get::<_, i64>(2)? as u64,
            last: row.get::<_, i64>(3)? as u64,
        })
    })?
    .collect()
}
