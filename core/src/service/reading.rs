//! The documents as front ends read and remove them.

use super::*;

/// A document's text with its page ranges and PII spans.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentText {
    pub text: String,
    /// Character range of each page.
    pub pages: Vec<(usize, usize)>,
    pub pii: Vec<PiiSpan>,
    /// Pages read by OCR: (1-based number, mean word confidence 0-100).
    pub ocr_pages: Vec<(usize, f32)>,
}

impl Kodiak {
    /// Every document, attachments right after their parent.
    pub fn documents(&self) -> Result<Vec<DocumentInfo>, ServiceError> {
        Ok(documents::list(&*self.db.conn()?)?)
    }

    /// One document's metadata.
    pub fn document(&self, id: i64) -> Result<DocumentInfo, ServiceError> {
        documents::get(&*self.db.conn()?, id)?.ok_or(ServiceError::NoSuchDocument(id))
    }

    /// A document's PII findings counted by kind.
    pub fn pii_counts(&self, id: i64) -> Result<BTreeMap<String, usize>, ServiceError> {
        Ok(documents::pii_counts(&*self.db.conn()?, id)?)
    }

    /// The pages of a document read by OCR: (1-based number, mean word confidence 0-100).
    pub fn ocr_pages(&self, id: i64) -> Result<Vec<(usize, f32)>, ServiceError> {
        Ok(documents::ocr_pages(&*self.db.conn()?, id)?)
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
        let ocr_pages = documents::ocr_pages(&conn, id)?;
        Ok(Some(DocumentText {
            text,
            pages,
            pii,
            ocr_pages,
        }))
    }

    /// Removes a document (and its attachments) from SQLite, then from the index.
    pub fn remove_document(&self, id: i64) -> Result<(), ServiceError> {
        let index = self.index()?;
        // Take the writer first, so a busy index fails the command before anything changes.
        let mut updater = index.writer()?;
        let (removed, threaded) = self.db.write(|tx| {
            let threaded = crate::storage::threads::in_thread(tx, id)?;
            let removed = documents::delete(tx, id)?;
            if removed {
                self.audit(tx, Event::Remove { doc_id: id })?;
            }
            Ok::<_, ServiceError>((removed, threaded))
        })?;
        if !removed {
            return Err(ServiceError::NoSuchDocument(id));
        }
        updater.sync(&self.db)?;
        // The group it led, or was in, is told again without it.
        if let Err(e) = self.regroup_near_duplicates() {
            tracing::warn!("near-duplicates not updated: {e}");
        }
        // A thread it was in, or led, is threaded again without it.
        if threaded && let Err(e) = self.rethread() {
            tracing::warn!("e-mail threads not updated: {e}");
        }
        Ok(())
    }
}
