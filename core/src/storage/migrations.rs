//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry moves the schema one version up and is never edited once released; a change
//! is a new entry. All pending entries run in one `BEGIN IMMEDIATE` transaction, so two
//! processes opening a fresh database at once do not race and a failure leaves the old schema.

use rusqlite::{Connection, TransactionBehavior};

/// Migration `i` (0-based) produces schema version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: facts about the database file itself.
    "CREATE TABLE meta (
         key   TEXT PRIMARY KEY,
         value TEXT NOT NULL
     ) STRICT;
     INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));",
    // 2: documents and everything derived from them. `changes` is the log the search index
    // replays: every write to a document's chunks appends its id in the same transaction.
    "CREATE TABLE documents (
         id          INTEGER PRIMARY KEY,
         parent_id   INTEGER REFERENCES documents(id) ON DELETE CASCADE,
         path        TEXT NOT NULL,
         sha256      TEXT,
         size        INTEGER NOT NULL,
         format      TEXT,
         title       TEXT,
         pages       INTEGER NOT NULL DEFAULT 0,
         status      TEXT NOT NULL CHECK (status IN ('ingested', 'failed', 'needs_ocr')),
         reason      TEXT,
         metadata    TEXT NOT NULL DEFAULT '{}',
         created_at  TEXT NOT NULL,
         updated_at  TEXT NOT NULL
     ) STRICT;
     CREATE INDEX documents_sha256 ON documents (sha256);
     CREATE INDEX documents_parent ON documents (parent_id);
     CREATE TABLE document_paths (
         path         TEXT PRIMARY KEY,
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         seen_at      TEXT NOT NULL
     ) STRICT;
     CREATE INDEX document_paths_document ON document_paths (document_id);
     CREATE TABLE document_texts (
         document_id  INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
         text         TEXT NOT NULL
     ) STRICT;
     CREATE TABLE pages (
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         number       INTEGER NOT NULL,
         char_start   INTEGER NOT NULL,
         char_end     INTEGER NOT NULL,
         PRIMARY KEY (document_id, number)
     ) STRICT;
     CREATE TABLE chunks (
         id           INTEGER PRIMARY KEY,
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         ordinal      INTEGER NOT NULL,
         page_start   INTEGER NOT NULL,
         page_end     INTEGER NOT NULL,
         char_start   INTEGER NOT NULL,
         char_end     INTEGER NOT NULL,
         text         TEXT NOT NULL
     ) STRICT;
     CREATE INDEX chunks_document ON chunks (document_id, ordinal);
     CREATE TABLE pii_spans (
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         kind         TEXT NOT NULL,
         char_start   INTEGER NOT NULL,
         char_end     INTEGER NOT NULL,
         score        REAL NOT NULL,
         placeholder  TEXT NOT NULL
     ) STRICT;
     CREATE INDEX pii_spans_document ON pii_spans (document_id, char_start);
     CREATE TABLE changes (
         seq          INTEGER PRIMARY KEY AUTOINCREMENT,
         document_id  INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE ingest_jobs (
         id           INTEGER PRIMARY KEY,
         started_at   TEXT NOT NULL,
         finished_at  TEXT,
         roots        TEXT NOT NULL,
         status       TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
         files        INTEGER NOT NULL DEFAULT 0,
         ingested     INTEGER NOT NULL DEFAULT 0,
         duplicates   INTEGER NOT NULL DEFAULT 0,
         unchanged    INTEGER NOT NULL DEFAULT 0,
         failed       INTEGER NOT NULL DEFAULT 0,
         needs_ocr    INTEGER NOT NULL DEFAULT 0
     ) STRICT;",
    // 3: embeddings, conversations and the request log the rate limiter counts. A vector belongs to a chunk and names the embedder
    // that made it (vectors of different models cannot be compared); `vector_batches` orders
    // vector writes so an in-memory matrix can load only what is new.
    "CREATE TABLE embedders (
         id          INTEGER PRIMARY KEY,
         file_name   TEXT NOT NULL,
         sha256      TEXT NOT NULL,
         dimensions  INTEGER NOT NULL,
         first_used  TEXT NOT NULL,
         UNIQUE (file_name, sha256)
     ) STRICT;
     CREATE TABLE vector_batches (
         seq          INTEGER PRIMARY KEY AUTOINCREMENT,
         embedder_id  INTEGER NOT NULL REFERENCES embedders(id)
     ) STRICT;
     CREATE TABLE chunk_vectors (
         chunk_id     INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
         embedder_id  INTEGER NOT NULL REFERENCES embedders(id),
         batch        INTEGER NOT NULL,
         vector       BLOB NOT NULL
     ) STRICT;
     CREATE INDEX chunk_vectors_batch ON chunk_vectors (embedder_id, batch);
     CREATE TABLE conversations (
         id          INTEGER PRIMARY KEY,
         title       TEXT NOT NULL,
         created_at  TEXT NOT NULL,
         updated_at  TEXT NOT NULL
     ) STRICT;
     CREATE TABLE messages (
         id               INTEGER PRIMARY KEY,
         conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
         role             TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
         content          TEXT NOT NULL,
         status           TEXT NOT NULL
                          CHECK (status IN ('complete', 'generating', 'cancelled', 'failed')),
         mode             TEXT,
         details          TEXT NOT NULL DEFAULT '{}',
         created_at       TEXT NOT NULL,
         finished_at      TEXT
     ) STRICT;
     CREATE INDEX messages_conversation ON messages (conversation_id, id);
     CREATE TABLE rate_events (
         identity  TEXT NOT NULL,
         at_ms     INTEGER NOT NULL
     ) STRICT;
     CREATE INDEX rate_events_identity ON rate_events (identity, at_ms);",
    // 4: the reviewer's status, tags and notes per document; they go with the document.
    "CREATE TABLE reviews (
         document_id  INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
         status       TEXT NOT NULL CHECK (status IN ('unreviewed', 'reviewed', 'flagged')),
         updated_at   TEXT NOT NULL
     ) STRICT;
     CREATE TABLE document_tags (
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         tag          TEXT NOT NULL,
         created_at   TEXT NOT NULL,
         PRIMARY KEY (document_id, tag)
     ) STRICT;
     CREATE TABLE document_notes (
         id           INTEGER PRIMARY KEY,
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         text         TEXT NOT NULL,
         created_at   TEXT NOT NULL
     ) STRICT;
     CREATE INDEX document_notes_document ON document_notes (document_id, id);",
    // 5: a chunk's text is its document's text from `char_start` to `char_end`, cut from
    // there when read. Storing it a second time doubled the database and what ingest writes.
    "ALTER TABLE chunks DROP COLUMN text;",
    // 6: paths are stored without loss (`files::path_text`): a backslash is written twice,
    // so that it cannot pass for the escape of a byte that is not UTF-8.
    r"UPDATE document_paths SET path = replace(path, '', '\') WHERE instr(path, '') > 0;
      UPDATE documents SET path = replace(path, '', '\') WHERE instr(path, '') > 0;",
    // 7: an answer that failed before it had a mode has none (it was stored as 'none'), so
    // that every stored mode is one that `AnswerMode` knows.
    "UPDATE messages SET mode = NULL WHERE mode = 'none';",
    // 8: a flag is not a status: a flagged document can be reviewed too. Status and flag
    // record who set them last, a note who wrote it. A document flagged before keeps its
    // flag and counts as unreviewed.
    "ALTER TABLE reviews ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE reviews ADD COLUMN updated_by TEXT;
     UPDATE reviews SET flagged = 1, status = 'unreviewed' WHERE status = 'flagged';
     ALTER TABLE document_notes ADD COLUMN author TEXT;",
    // 9: each OS user's terminal UI session (focus, open document and place, filter,
    // conversation, histories), as the front end serializes it, so a restart resumes it.
    "CREATE TABLE ui_sessions (
         user        TEXT PRIMARY KEY,
         state       TEXT NOT NULL,
         updated_at  TEXT NOT NULL
     ) STRICT;",
    // 10: pages read by OCR carry Tesseract's mean word confidence (0-100); NULL for a
    // page with a text layer.
    "ALTER TABLE pages ADD COLUMN ocr_confidence REAL;",
    // 11: checklist jobs. A job keeps the checklist as it was run and its documents in
    // order, so that it resumes as it began; each cell is stored once as it is decided.
    // Reviewers' decisions are kept apart, per checklist name, document and item: a later
    // run never overwrites them.
    "CREATE TABLE checklist_jobs (
         id          INTEGER PRIMARY KEY,
         checklist   TEXT NOT NULL,
         definition  TEXT NOT NULL,
         scope       TEXT NOT NULL,
         use_model   INTEGER NOT NULL,
         state       TEXT NOT NULL,
         writer      TEXT,
         created_by  TEXT NOT NULL,
         created_at  TEXT NOT NULL,
         updated_at  TEXT NOT NULL
     ) STRICT;
     CREATE TABLE checklist_job_documents (
         job_id       INTEGER NOT NULL REFERENCES checklist_jobs(id) ON DELETE CASCADE,
         position     INTEGER NOT NULL,
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         PRIMARY KEY (job_id, position)
     ) STRICT;
     CREATE TABLE checklist_cells (
         job_id       INTEGER NOT NULL REFERENCES checklist_jobs(id) ON DELETE CASCADE,
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         item         TEXT NOT NULL,
         state        TEXT NOT NULL,
         answer       TEXT NOT NULL,
         confidence   REAL NOT NULL,
         evidence     TEXT NOT NULL,
         method       TEXT NOT NULL,
         note         TEXT,
         created_at   TEXT NOT NULL,
         PRIMARY KEY (job_id, document_id, item)
     ) STRICT;
     CREATE TABLE checklist_decisions (
         checklist    TEXT NOT NULL,
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         item         TEXT NOT NULL,
         decision     TEXT NOT NULL,
         answer       TEXT,
         note         TEXT,
         job_id       INTEGER,
         decided_by   TEXT NOT NULL,
         decided_at   TEXT NOT NULL,
         PRIMARY KEY (checklist, document_id, item)
     ) STRICT;",
    // 12: the audit log, each entry chained to the one before by its hash (`audit`).
    "CREATE TABLE audit_log (
         seq        INTEGER PRIMARY KEY,
         at         TEXT NOT NULL,
         uid        INTEGER NOT NULL,
         user       TEXT NOT NULL,
         host       TEXT NOT NULL,
         action     TEXT NOT NULL,
         detail     TEXT NOT NULL,
         prev_hash  TEXT NOT NULL,
         hash       TEXT NOT NULL
     ) STRICT;
     CREATE INDEX audit_log_action ON audit_log (action, seq);",
    // 13: the matter's secrets, made once: the salt of the redaction log's value hashes
    // (SQLite's randomblob draws on the operating system's randomness).
    "CREATE TABLE secrets (
         name   TEXT PRIMARY KEY,
         value  BLOB NOT NULL
     ) STRICT;
     INSERT INTO secrets (name, value) VALUES ('pii_hash_salt', randomblob(32));",
    // 14: a tag records who added it, as a note records its author (NULL for tags from
    // before).
    "ALTER TABLE document_tags ADD COLUMN added_by TEXT;",
    // 15: near-duplicates (`neardup`): each document's MinHash signature once (no hashes
    // when it is too short to compare), and the groups, a row per member with its group's
    // principal (the principal's own row too, similarity 1).
    "CREATE TABLE near_dup_signatures (
         document_id  INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
         words        INTEGER NOT NULL,
         hashes       BLOB NOT NULL
     ) STRICT;
     CREATE TABLE near_dups (
         document_id   INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
         principal_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         similarity    REAL NOT NULL
     ) STRICT;",
    // 16: e-mail threads (`threads`): a row per e-mail with its thread (named by its first
    // message's id), the message it answers when that is stored, its place by date, and
    // whether it is inclusive; replaced whole when computed again.
    "CREATE TABLE email_threads (
         document_id  INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
         thread_id    INTEGER NOT NULL,
         parent_id    INTEGER,
         position     INTEGER NOT NULL,
         inclusive    INTEGER NOT NULL CHECK (inclusive IN (0, 1))
     ) STRICT;
     CREATE INDEX email_threads_thread ON email_threads (thread_id);",
    // 17: production. A reviewer's privilege decision and redactions per document (a
    // redaction is a character range or a whole page, numbered per document); a production
    // set fixes its documents, their order, Bates numbers and what is done to each (`plan`,
    // JSON) when it is made, so a later ingest or decision never renumbers it.
    "CREATE TABLE privilege (
         document_id  INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
         treatment    TEXT NOT NULL CHECK (treatment IN ('withhold', 'redact')),
         basis        TEXT NOT NULL,
         description  TEXT NOT NULL,
         decided_by   TEXT NOT NULL,
         decided_at   TEXT NOT NULL
     ) STRICT;
     CREATE TABLE redactions (
         document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
         number       INTEGER NOT NULL,
         char_start   INTEGER,
         char_end     INTEGER,
         page         INTEGER,
         reason       TEXT NOT NULL,
         created_by   TEXT NOT NULL,
         created_at   TEXT NOT NULL,
         PRIMARY KEY (document_id, number),
         CHECK ((page IS NULL) = (char_start IS NOT NULL AND char_end IS NOT NULL))
     ) STRICT;
     CREATE TABLE productions (
         id          INTEGER PRIMARY KEY,
         name        TEXT NOT NULL UNIQUE,
         prefix      TEXT NOT NULL,
         start       INTEGER NOT NULL,
         digits      INTEGER NOT NULL,
         volume      TEXT NOT NULL,
         redact_pii  TEXT NOT NULL,
         legend      TEXT,
         scope       TEXT NOT NULL,
         created_by  TEXT NOT NULL,
         created_at  TEXT NOT NULL
     ) STRICT;
     CREATE TABLE production_documents (
         production_id  INTEGER NOT NULL REFERENCES productions(id) ON DELETE CASCADE,
         position       INTEGER NOT NULL,
         document_id    INTEGER NOT NULL,
         first_number   INTEGER NOT NULL,
         pages          INTEGER NOT NULL,
         plan           TEXT NOT NULL,
         PRIMARY KEY (production_id, position)
     ) STRICT;",
    // 18: fast vectors. An embedder is a model run per text (`fast` 0) or the static model
    // distilled from one (`fast` 1); a matter keeps both kinds, each filled in on its own,
    // so a chunk has a vector per embedder, not one in all.
    "ALTER TABLE embedders ADD COLUMN fast INTEGER NOT NULL DEFAULT 0;
     CREATE TABLE chunk_vectors_by_embedder (
         chunk_id     INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
         embedder_id  INTEGER NOT NULL REFERENCES embedders(id),
         batch        INTEGER NOT NULL,
         vector       BLOB NOT NULL,
         PRIMARY KEY (chunk_id, embedder_id)
     ) STRICT;
     INSERT INTO chunk_vectors_by_embedder (chunk_id, embedder_id, batch, vector)
         SELECT chunk_id, embedder_id, batch, vector FROM chunk_vectors;
     DROP TABLE chunk_vectors;
     ALTER TABLE chunk_vectors_by_embedder RENAME TO chunk_vectors;
     CREATE INDEX chunk_vectors_batch ON chunk_vectors (embedder_id, batch);",
];

/// The schema version this build of Kodiak writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the database has schema version {found}, newer than this Kodiak supports ({SCHEMA_VERSION}); \
         use a newer Kodiak"
    )]
    TooNew { found: i64 },
    #[error("migration to schema version {version} failed: {source}")]
    Step {
        version: i64,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the schema to [`SCHEMA_VERSION`]; a no-op when it is already there.
pub fn apply(conn: &mut Connection) -> Result<(), MigrationError> {
    if version(conn)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let current = version(&tx)?;
    if current > SCHEMA_VERSION {
        return Err(MigrationError::TooNew { found: current });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let target = index as i64 + 1;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", target))
            .map_err(|source| MigrationError::Step {
                version: target,
                source,
            })?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_stored_with_mode_none_by_schema_6_has_no_mode_after_migrating() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("old.db")).unwrap();
        for sql in &MIGRATIONS[..6] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations (id, title, created_at, updated_at)
                 VALUES (1, 't', 'x', 'x');
             INSERT INTO messages (conversation_id, role, content, status, mode, created_at)
                 VALUES (1, 'assistant', '', 'failed', 'none', 'x'),
                        (1, 'assistant', 'a', 'complete', 'extractive', 'x');",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let modes: Vec<Option<String>> = conn
            .prepare("SELECT mode FROM messages ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(modes, [None, Some("extractive".to_owned())]);
    }

    #[test]
    fn a_document_flagged_by_schema_7_keeps_its_flag_as_unreviewed_and_notes_keep_their_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("old.db")).unwrap();
        for sql in &MIGRATIONS[..7] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 7).unwrap();
        conn.execute_batch(
            "INSERT INTO documents (id, path, size, status, created_at, updated_at)
                 VALUES (1, '/a', 1, 'ingested', 'x', 'x'), (2, '/b', 1, 'ingested', 'x', 'x');
             INSERT INTO reviews (document_id, status, updated_at)
                 VALUES (1, 'flagged', 't1'), (2, 'reviewed', 't2');
             INSERT INTO document_notes (document_id, text, created_at)
                 VALUES (1, 'ask Legal', 't3');",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let reviews: Vec<(String, bool, Option<String>)> = conn
            .prepare("SELECT status, flagged, updated_by FROM reviews ORDER BY document_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            reviews,
            [
                ("unreviewed".to_owned(), true, None),
                ("reviewed".to_owned(), false, None)
            ]
        );
        let note: (String, Option<String>) = conn
            .query_row("SELECT text, author FROM document_notes", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(note, ("ask Legal".to_owned(), None));
    }

    #[test]
    fn chunks_stored_with_their_own_text_keep_it_once_the_copy_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("old.db")).unwrap();
        // A database as schema version 4 left it: chunks held a copy of their text.
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO documents (id, path, size, status, created_at, updated_at)
                 VALUES (1, '/docs/a.txt', 20, 'ingested', 'now', 'now');
             INSERT INTO document_texts VALUES (1, 'Café rent is due. Pay it.');
             INSERT INTO chunks (document_id, ordinal, page_start, page_end, char_start,
                                 char_end, text)
                 VALUES (1, 0, 1, 1, 0, 17, 'Café rent is due.'),
                        (1, 1, 1, 1, 18, 25, 'Pay it.');",
        )
        .unwrap();

        apply(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), SCHEMA_VERSION);
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('chunks')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!columns.contains(&"text".to_owned()), "{columns:?}");
        let texts: Vec<String> = crate::storage::documents::chunk_texts(&conn)
            .unwrap()
            .into_iter()
            .map(|(_, text)| text)
            .collect();
        assert_eq!(texts, ["Café rent is due.", "Pay it."]);
    }
}
