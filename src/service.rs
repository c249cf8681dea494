//! The Kodiak service: the one object front ends talk to. It owns the parts and exposes
//! what a reviewer can do; it knows nothing about terminals.

use crate::config::Settings;
use crate::health::{self, HealthReport};
use crate::storage::{Database, StorageError};

pub struct Kodiak {
    settings: Settings,
    db: Database,
}

impl Kodiak {
    /// Opens the data directory: the database is created and migrated if needed.
    pub fn open(settings: Settings) -> Result<Kodiak, StorageError> {
        let db = Database::open(&settings.paths.database, &settings.config.database)?;
        Ok(Kodiak { settings, db })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn health(&self) -> HealthReport {
        health::check(&self.settings, Ok(&self.db))
    }
}
