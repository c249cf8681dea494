//! The per-file work of an ingest, done in parallel: read, hash, extract under guard,
//! normalise, chunk and find PII. Nothing here writes; the writer decides what to store.

use std::path::Path;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::extract::{self, DocumentText, ExtractError, Extracted, Limits};
use crate::pii::{self, Detector};
use crate::storage::documents::{DocStatus, DocumentRecord, PiiSpan};

use super::chunk::Chunker;

/// What a worker hands the writer for one file.
#[derive(Debug)]
pub enum Prepared {
    /// The file read, with everything derived from it.
    Record(Box<DocumentRecord>),
    /// The content is already stored (same sha256): only the path needs recording.
    KnownContent {
        path: String,
        sha256: String,
        size: u64,
    },
    /// The path is already stored with this very content.
    Unchanged { path: String },
}

/// What every worker shares.
pub struct Preparer<'a> {
    pub limits: &'a Limits,
    pub chunker: &'a Chunker,
    /// None when `[pii] detect` is off.
    pub detector: Option<&'a Detector>,
}

/// The SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// A record of a file that yielded no text.
fn failed(path: String, sha256: Option<String>, size: u64, error: &ExtractError) -> DocumentRecord {
    let (status, pages) = match error {
        ExtractError::NeedsOcr { pages } => (DocStatus::NeedsOcr, vec![(0, 0); *pages]),
        _ => (DocStatus::Failed, Vec::new()),
    };
    DocumentRecord {
        path,
        sha256,
        size,
        format: None,
        title: None,
        status,
        reason: Some(error.to_string()),
        metadata: Default::default(),
        text: String::new(),
        pages,
        chunks: Vec::new(),
        pii: Vec::new(),
        children: Vec::new(),
    }
}

impl Preparer<'_> {
    /// Reads and hashes a file; `known` says what the store already holds for it, so that
    /// extraction is skipped for content already in.
    pub fn prepare_file(
        &self,
        path: &Path,
        size_hint: u64,
        known: impl FnOnce(&str, &str) -> Known,
    ) -> Prepared {
        let display = crate::files::path_text(path);
        let bytes = match extract::read_file(path, self.limits) {
            Ok(bytes) => bytes,
            Err(e) => return Prepared::Record(Box::new(failed(display, None, size_hint, &e))),
        };
        let sha256 = sha256_hex(&bytes);
        match known(&display, &sha256) {
            Known::SamePath => Prepared::Unchanged { path: display },
            Known::Content => Prepared::KnownContent {
                path: display,
                size: bytes.len() as u64,
                sha256,
            },
            Known::Nothing => Prepared::Record(Box::new(self.record(display, sha256, bytes, path))),
        }
    }

    /// Extracts, normalises, chunks and scans one file's bytes (or an attachment's).
    pub fn record(
        &self,
        display: String,
        sha256: String,
        bytes: Vec<u8>,
        name: &Path,
    ) -> DocumentRecord {
        let size = bytes.len() as u64;
        // Extraction and chunking share the file's time limit.
        let deadline = Instant::now() + self.limits.timeout;
        match extract::extract_guarded(bytes, name, self.limits) {
            Ok(extracted) => self.build_record(display, sha256, size, extracted, deadline),
            Err(e) => failed(display, Some(sha256), size, &e),
        }
    }

    fn build_record(
        &self,
        display: String,
        sha256: String,
        size: u64,
        extracted: Extracted,
        deadline: Instant,
    ) -> DocumentRecord {
        let document = DocumentText::new(&extracted);
        let total = document.chars;
        let pages = document
            .page_starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                // A page ends where the blank line before the next one starts.
                let end = document
                    .page_starts
                    .get(i + 1)
                    .map_or(total, |next| next.saturating_sub(2));
                (start, end.max(start))
            })
            .collect();
        let pii = match self.detector {
            Some(detector) => spans(detector, &document.text),
            None => Vec::new(),
        };
        let Ok(chunks) = self.chunker.chunks(&document, deadline) else {
            let timed_out = ExtractError::TimedOut(self.limits.timeout.as_secs());
            return failed(display, Some(sha256), size, &timed_out);
        };
        let children = extracted
            .attachments
            .into_iter()
            .map(|attachment| {
                let child_path = format!("{display} ▸ {}", attachment.name);
                let child_sha = sha256_hex(&attachment.bytes);
                self.record(
                    child_path,
                    child_sha,
                    attachment.bytes,
                    Path::new(&attachment.name),
                )
            })
            .collect();
        let status = if chunks.is_empty() {
            DocStatus::Failed
        } else {
            DocStatus::Ingested
        };
        DocumentRecord {
            path: display,
            sha256: Some(sha256),
            size,
            format: Some(extracted.format.as_str()),
            title: extracted.title,
            status,
            reason: chunks
                .is_empty()
                .then(|| "no text: the document is empty once extracted".to_owned()),
            metadata: extracted.metadata,
            text: document.text,
            pages,
            chunks,
            pii,
            children,
        }
    }
}

/// What the store already holds for a path and its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    SamePath,
    Content,
    Nothing,
}

/// PII spans in character offsets, with their stable placeholders.
fn spans(detector: &Detector, text: &str) -> Vec<PiiSpan> {
    let findings = detector.scan(text);
    let names = pii::placeholders(text, &findings);
    let offsets = pii::char_offsets(text, &findings);
    findings
        .into_iter()
        .zip(names)
        .zip(offsets)
        .map(|((finding, placeholder), (start, end))| PiiSpan {
            kind: finding.kind.clone(),
            start,
            end,
            score: finding.score,
            placeholder,
        })
        .collect()
}
