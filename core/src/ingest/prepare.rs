//! The per-file work of an ingest, done in parallel: read, hash, extract under guard,
//! normalise, chunk and find PII. Nothing here writes; the writer decides what to store.

use std::path::Path;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::extract::ocr::{Ocr, OcrError, OcrPage};
use crate::extract::{self, DocumentText, ExtractError, Extracted, Format, Limits};
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
    /// OCR for scanned pages and images, or why there is none (off, not installed).
    pub ocr: &'a Result<Ocr, OcrError>,
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
    failed_because(path, sha256, size, error, error.to_string())
}

/// A record of a file that yielded no text, with `reason` said in full.
fn failed_because(
    path: String,
    sha256: Option<String>,
    size: u64,
    error: &ExtractError,
    reason: String,
) -> DocumentRecord {
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
        reason: Some(reason),
        metadata: Default::default(),
        text: String::new(),
        pages,
        page_ocr: Vec::new(),
        chunks: Vec::new(),
        pii: Vec::new(),
        children: Vec::new(),
    }
}

impl Preparer<'_> {
    /// Reads and hashes a file; `known` says what the store already holds for it, so that
    /// extraction is skipped for content already in. A mailbox (mbox) gives each of its
    /// messages, at `PATH#1`, `PATH#2` …; any other file gives itself. Each comes with
    /// its size.
    pub fn prepare_file(
        &self,
        path: &Path,
        size_hint: u64,
        known: impl Fn(&str, &str) -> Known,
    ) -> Vec<(u64, Prepared)> {
        let display = crate::files::path_text(path);
        let bytes = match extract::read_file(path, self.limits) {
            Ok(bytes) => bytes,
            Err(e) => {
                let failed = failed(display, None, size_hint, &e);
                return vec![(size_hint, Prepared::Record(Box::new(failed)))];
            }
        };
        match extract::mbox::split(&bytes) {
            Some(messages) => messages
                .into_iter()
                .enumerate()
                .map(|(i, message)| {
                    let size = message.len() as u64;
                    let at = format!("{display}#{}", i + 1);
                    (
                        size,
                        self.prepare_bytes(at, message, Path::new("message.eml"), &known),
                    )
                })
                .collect(),
            None => vec![(
                bytes.len() as u64,
                self.prepare_bytes(display, bytes, path, &known),
            )],
        }
    }

    /// [`Preparer::prepare_file`] for one file's (or one message's) bytes, stored at
    /// `display`; `name` hints at the format.
    fn prepare_bytes(
        &self,
        display: String,
        bytes: Vec<u8>,
        name: &Path,
        known: &impl Fn(&str, &str) -> Known,
    ) -> Prepared {
        let sha256 = sha256_hex(&bytes);
        match known(&display, &sha256) {
            Known::SamePath => Prepared::Unchanged { path: display },
            Known::Content => Prepared::KnownContent {
                path: display,
                size: bytes.len() as u64,
                sha256,
            },
            Known::Nothing => Prepared::Record(Box::new(self.record(display, sha256, bytes, name))),
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
        // Scans are read again by OCR, from the same bytes (shared, not copied).
        let bytes = std::sync::Arc::new(bytes);
        let scan_format = match extract::detect(&bytes, name) {
            Ok(format @ (Format::Pdf | Format::Image)) => Some(format),
            _ => None,
        };
        // Extraction and chunking share the file's time limit; OCR has its own per page.
        let deadline = Instant::now() + self.limits.timeout;
        let extracted = extract::extract_guarded(bytes.clone(), name, self.limits);
        let (extracted, page_ocr, deadline) = match (extracted, scan_format, self.ocr) {
            (Ok(extracted), _, Ok(ocr)) if has_blank_page(&extracted) => {
                let blank = extracted
                    .pages
                    .iter()
                    .filter(|p| p.trim().is_empty())
                    .count();
                match read_blank_pages(ocr, &bytes, extracted) {
                    Ok((extracted, page_ocr)) => {
                        (extracted, page_ocr, Instant::now() + self.limits.timeout)
                    }
                    Err(why) => return needs_ocr(display, sha256, size, blank, &why),
                }
            }
            (Ok(extracted), _, _) => (extracted, Vec::new(), deadline),
            (Err(ExtractError::NeedsOcr { pages }), Some(format), Ok(ocr)) => {
                let read = match format {
                    Format::Image => read_image(ocr, &bytes),
                    _ => read_blank_pages(ocr, &bytes, blank_pdf(pages)),
                };
                match read {
                    Ok((extracted, page_ocr)) => {
                        (extracted, page_ocr, Instant::now() + self.limits.timeout)
                    }
                    Err(why) => return needs_ocr(display, sha256, size, pages, &why),
                }
            }
            (Err(ExtractError::NeedsOcr { pages }), _, Err(why)) => {
                return needs_ocr(display, sha256, size, pages, why);
            }
            (Err(e), _, _) => return failed(display, Some(sha256), size, &e),
        };
        let mut record = self.build_record(display, sha256, size, extracted, deadline);
        record.page_ocr = page_ocr;
        record
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
            // A format that names no title (plain text, Markdown, a PDF without one in its
            // metadata): the name the text opens with, if it has one.
            title: extracted
                .title
                .filter(|t| !t.trim().is_empty())
                .or_else(|| crate::text::document_title(&document.text)),
            status,
            reason: chunks
                .is_empty()
                .then(|| "no text: the document is empty once extracted".to_owned()),
            metadata: extracted.metadata,
            text: document.text,
            pages,
            page_ocr: Vec::new(),
            chunks,
            pii,
            children,
        }
    }
}

/// Whether a PDF has a page without text: a scanned page among typed ones.
fn has_blank_page(extracted: &Extracted) -> bool {
    extracted.format == Format::Pdf && extracted.pages.iter().any(|p| p.trim().is_empty())
}

/// The bytes in a temporary file, for the OCR tools to read (the file is private to this
/// user and removed when dropped).
fn temporary_copy(bytes: &[u8]) -> Result<tempfile::NamedTempFile, OcrError> {
    use std::io::Write;
    let mut file = tempfile::Builder::new()
        .prefix("kodiak-ocr-")
        .tempfile()
        .map_err(|e| OcrError::Failed(format!("cannot write a temporary copy: {e}")))?;
    file.write_all(bytes)
        .map_err(|e| OcrError::Failed(format!("cannot write a temporary copy: {e}")))?;
    Ok(file)
}

/// A document with pages read by OCR, and per page OCR's confidence (None: text layer).
type OcrRead = (Extracted, Vec<Option<f32>>);

/// A scan that stays `needs_ocr`: its `pages` without text, and why OCR did not read it.
fn needs_ocr(
    display: String,
    sha256: String,
    size: u64,
    pages: usize,
    why: &OcrError,
) -> DocumentRecord {
    let error = ExtractError::NeedsOcr { pages };
    let reason = format!("{error}; {why}");
    failed_because(display, Some(sha256), size, &error, reason)
}

/// A PDF of `pages` pages with no text layer, for OCR to fill.
fn blank_pdf(pages: usize) -> Extracted {
    Extracted {
        format: Format::Pdf,
        title: None,
        pages: vec![String::new(); pages],
        metadata: Default::default(),
        attachments: Vec::new(),
    }
}

/// OCR of a PDF's pages without text; pages with a text layer keep it. A page OCR cannot
/// read stays empty. A document left with no text at all is an error: the last page's,
/// or that OCR found none.
fn read_blank_pages(
    ocr: &Ocr,
    bytes: &[u8],
    mut extracted: Extracted,
) -> Result<OcrRead, OcrError> {
    let copy = temporary_copy(bytes)?;
    let mut page_ocr = vec![None; extracted.pages.len()];
    let numbers: Vec<usize> = (1..=extracted.pages.len())
        .filter(|n| extracted.pages[n - 1].trim().is_empty())
        .collect();
    let mut last_error = None;
    for (number, result) in numbers.iter().zip(ocr.pdf_pages(copy.path(), &numbers)) {
        match result {
            Ok(OcrPage { text, confidence }) => {
                extracted.pages[number - 1] = text;
                page_ocr[number - 1] = Some(confidence);
            }
            Err(e) => {
                tracing::warn!(page = number, error = %e, "a page could not be OCR'd");
                last_error = Some(e);
            }
        }
    }
    if extracted.pages.iter().all(|p| p.trim().is_empty()) {
        return Err(last_error.unwrap_or_else(|| OcrError::Failed("OCR found no text".into())));
    }
    Ok((extracted, page_ocr))
}

/// OCR of an image file, page by page.
fn read_image(ocr: &Ocr, bytes: &[u8]) -> Result<OcrRead, OcrError> {
    let copy = temporary_copy(bytes)?;
    let pages = ocr.image(copy.path(), None)?;
    if pages.iter().all(|p| p.text.trim().is_empty()) {
        return Err(OcrError::Failed("OCR found no text".into()));
    }
    let page_ocr = pages.iter().map(|p| Some(p.confidence)).collect();
    let extracted = Extracted {
        format: Format::Image,
        title: None,
        pages: pages.into_iter().map(|p| p.text).collect(),
        metadata: Default::default(),
        attachments: Vec::new(),
    };
    Ok((extracted, page_ocr))
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
