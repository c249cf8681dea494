//! The Kodiak service: the one object front ends talk to. It owns the parts and exposes
//! what a reviewer can do; it knows nothing about terminals.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::Settings;
use crate::health::{self, HealthReport};
use crate::ingest::{self, IngestError, IngestReport, Progress};
use crate::search::{Hit, SearchError, SearchIndex, SyncStats};
use crate::storage::documents::{self, DocumentInfo, PiiSpan};
use crate::storage::{Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("no document with id {0}; `kodiak docs list` shows the ids")]
    NoSuchDocument(i64),
    #[error("the search index is unavailable: {0}")]
    IndexUnavailable(String),
}

impl From<rusqlite::Error> for ServiceError {
    fn from(e: rusqlite::Error) -> ServiceError {
        ServiceError::Storage(StorageError::Sql(e))
    }
}

/// A document's text with its page ranges and PII spans.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentText {
    pub text: String,
    /// Character range of each page.
    pub pages: Vec<(usize, usize)>,
    pub pii: Vec<PiiSpan>,
}

pub struct Kodiak {
    settings: Settings,
    db: Database,
    /// The index is derived data: when it cannot open, everything else still works and
    /// health says what is wrong.
    index: Result<SearchIndex, SearchError>,
}

impl Kodiak {
    /// Opens the data directory: the database is created and migrated if needed, and the
    /// search index catches up with anything SQLite holds that it does not.
    pub fn open(settings: Settings) -> Result<Kodiak, StorageError> {
        let db = Database::open(&settings.paths.database, &settings.config.database)?;
        let index = SearchIndex::open(&settings.paths.index_dir);
        let kodiak = Kodiak {
            settings,
            db,
            index,
        };
        kodiak.catch_up_index();
        Ok(kodiak)
    }

    /// Recovery after a crash between an SQLite commit and the index commit. A writer
    /// running elsewhere holds the lock and will catch up itself.
    fn catch_up_index(&self) {
        let Ok(index) = &self.index else { return };
        let outcome = index.is_behind(&self.db).and_then(|behind| {
            if !behind {
                return Ok(None);
            }
            index.writer()?.sync(&self.db).map(Some)
        });
        match outcome {
            Ok(Some(stats)) => tracing::info!(
                documents = stats.documents,
                chunks = stats.chunks,
                "search index caught up with the database"
            ),
            Ok(None) | Err(SearchError::Locked { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "search index could not catch up"),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn index(&self) -> Result<&SearchIndex, ServiceError> {
        self.index
            .as_ref()
            .map_err(|e| ServiceError::IndexUnavailable(e.to_string()))
    }

    pub fn health(&self) -> HealthReport {
        health::check(&self.settings, Ok(&self.db), Some(self.index.as_ref()))
    }

    /// Ingests files and folders; see [`ingest::run`].
    pub fn ingest(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
    ) -> Result<IngestReport, ServiceError> {
        Ok(ingest::run(
            &self.settings.config,
            &self.db,
            self.index()?,
            roots,
            progress,
        )?)
    }

    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, ServiceError> {
        Ok(self.index()?.search(&self.db, query, limit)?)
    }

    /// Rebuilds the search index from SQLite.
    pub fn reindex(&self) -> Result<SyncStats, ServiceError> {
        Ok(self.index()?.writer()?.rebuild(&self.db)?)
    }

    pub fn documents(&self) -> Result<Vec<DocumentInfo>, ServiceError> {
        Ok(documents::list(&*self.db.conn()?)?)
    }

    pub fn document(&self, id: i64) -> Result<DocumentInfo, ServiceError> {
        documents::get(&*self.db.conn()?, id)?.ok_or(ServiceError::NoSuchDocument(id))
    }

    pub fn pii_counts(&self, id: i64) -> Result<BTreeMap<String, usize>, ServiceError> {
        Ok(documents::pii_counts(&*self.db.conn()?, id)?)
    }

    /// The extracted text; None for a document that has none (failed, needs OCR).
    pub fn document_text(&self, id: i64) -> Result<Option<DocumentText>, ServiceError> {
        let conn = self.db.conn()?;
        if documents::get(&conn, id)?.is_none() {
            return Err(ServiceError::NoSuchDocument(id));
        }
        let Some((text, pages)) = documents::text(&conn, id)? else {
            return Ok(None);
        };
        let pii = documents::pii_spans(&conn, id)?;
        Ok(Some(DocumentText { text, pages, pii }))
    }

    /// Removes a document (and its attachments) from SQLite, then from the index.
    pub fn remove_document(&self, id: i64) -> Result<(), ServiceError> {
        let index = self.index()?;
        // Take the writer first, so a busy index fails the command before anything changes.
        let mut updater = index.writer()?;
        let removed = self
            .db
            .write(|tx| documents::delete(tx, id).map_err(ServiceError::from))?;
        if !removed {
            return Err(ServiceError::NoSuchDocument(id));
        }
        updater.sync(&self.db)?;
        Ok(())
    }
}
