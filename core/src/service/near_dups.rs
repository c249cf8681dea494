//! Near-duplicates kept current: signatures for documents that have none, after each
//! ingest, then the groups computed again over every signature when one was added; after a
//! removal, the groups alone.

use crate::neardup::{self, Group};
use crate::storage::{documents, near_dups};

use super::{Kodiak, ServiceError};

/// Signatures stored per transaction: a crash loses at most this many to compute again.
const BATCH: usize = 200;

impl Kodiak {
    /// Signs the documents that have no signature yet and, when there were any, stores the
    /// groups again at the default least similarity; returns how many were signed.
    pub fn update_near_duplicates(&self) -> Result<usize, ServiceError> {
        let unsigned = near_dups::unsigned(&*self.db.conn()?)?;
        if unsigned.is_empty() {
            return Ok(0);
        }
        for batch in unsigned.chunks(BATCH) {
            let mut signed = Vec::with_capacity(batch.len());
            {
                let conn = self.db.conn()?;
                for &id in batch {
                    let signature =
                        documents::text(&conn, id)?.and_then(|(text, _)| neardup::signature(&text));
                    signed.push((id, signature));
                }
            }
            self.db.write(|tx| {
                for (id, signature) in &signed {
                    near_dups::store(tx, *id, signature.as_ref())?;
                }
                Ok::<_, ServiceError>(())
            })?;
        }
        self.regroup_near_duplicates()?;
        Ok(unsigned.len())
    }

    /// Stores the groups of the stored signatures at the default least similarity: after
    /// documents were signed, or removed (their signatures and rows go with them).
    pub(super) fn regroup_near_duplicates(&self) -> Result<(), ServiceError> {
        let groups = self.near_duplicates(neardup::DEFAULT_MIN)?;
        self.db
            .write(|tx| near_dups::replace_groups(tx, &groups).map_err(ServiceError::from))
    }

    /// The groups of near-duplicates at least `min` similar, from the stored signatures.
    pub fn near_duplicates(&self, min: f64) -> Result<Vec<Group>, ServiceError> {
        let signatures = near_dups::signatures(&*self.db.conn()?)?;
        Ok(neardup::groups(&signatures, min))
    }
}
