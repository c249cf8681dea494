//! Text extraction: from a file's bytes to its text, page by page, with the format detected
//! from the content (the file name is only a hint).
//!
//! Parsers meet hostile and broken files, and PDF parsers panic on real ones, so
//! [`extract_guarded`] runs a parser on its own thread under `catch_unwind` with size, page,
//! character and time limits: a bad file fails alone, with a reason.

mod docx;
mod email;
mod html;
pub mod mbox;
mod normalize;
pub mod ocr;
mod pdf;
mod text;

pub use normalize::{DocumentText, normalize};

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use serde::Serialize;

use crate::config::IngestConfig;

/// A document format Kodiak reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Markdown,
    Html,
    Pdf,
    Docx,
    Email,
    /// A PNG, JPEG or TIFF image: text only by OCR.
    Image,
}

impl Format {
    /// The format's name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Email => "email",
            Format::Image => "image",
        }
    }
}

/// A file inside another (an email attachment), to be ingested as a child document.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What extraction produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub format: Format,
    pub title: Option<String>,
    /// The text of each page; formats without pages have one.
    pub pages: Vec<String>,
    /// Header fields (emails): From, To, Cc, Date, Subject.
    pub metadata: BTreeMap<String, String>,
    pub attachments: Vec<Attachment>,
}

impl Extracted {
    fn single_page(format: Format, title: Option<String>, text: String) -> Extracted {
        Extracted {
            format,
            title,
            pages: vec![text],
            metadata: BTreeMap::new(),
            attachments: Vec::new(),
        }
    }
}

/// Why a file yielded no text. Each message names what is wrong and, where it helps, what
/// to do; the file's path is added by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("empty file")]
    Empty,
    #[error("cannot read: {0}")]
    Unreadable(String),
    #[error("unsupported content: {0}")]
    Unsupported(String),
    /// A PDF that opens with none of the passwords given (`tried` of them; the empty
    /// password is always tried first).
    #[error("{}", encrypted_message(*.tried))]
    Encrypted { tried: usize },
    /// A PDF with no text layer (scanned pages): a status, not a fault.
    #[error("needs OCR: {pages} page(s) without a text layer")]
    NeedsOcr { pages: usize },
    #[error("corrupt {format}: {reason}")]
    Corrupt {
        format: &'static str,
        reason: String,
    },
    #[error("too large: {what} is {actual}, the limit is {limit} ({setting})")]
    Limit {
        what: &'static str,
        actual: String,
        limit: String,
        setting: &'static str,
    },
    #[error("the parser crashed: {0}")]
    Panicked(String),
    #[error("timed out after {0} s ([ingest] file_timeout_secs)")]
    TimedOut(u64),
}

fn encrypted_message(tried: usize) -> String {
    match tried {
        0 => "encrypted: needs a password; put it in a file, one per line, and run \
              kodiak ingest --password-file FILE"
            .to_owned(),
        n => format!("encrypted: needs a password; none of the {n} in the password file opens it"),
    }
}

/// Passwords to try on encrypted PDFs, in order. Never shown: `Debug` prints how many.
#[derive(Clone, Default, PartialEq)]
pub struct Passwords(std::sync::Arc<Vec<String>>);

impl Passwords {
    pub fn new(passwords: Vec<String>) -> Passwords {
        Passwords(std::sync::Arc::new(passwords))
    }

    /// Reads a password file: one password per line, in order; blank lines are skipped and
    /// line ends (`\n` or `\r\n`) are not part of a password.
    pub fn read(path: &Path) -> Result<Passwords, std::io::Error> {
        let text = std::fs::read_to_string(path)?;
        Ok(Passwords::new(
            text.lines()
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
        ))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Passwords({} hidden)", self.0.len())
    }
}

/// The limits a single file's extraction runs under, and the passwords it may try.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_pages: usize,
    pub max_chars: usize,
    pub timeout: Duration,
    pub zip_max_entries: usize,
    pub zip_max_unpacked_bytes: u64,
    pub zip_max_ratio: u64,
    pub pdf_passwords: Passwords,
}

impl From<&IngestConfig> for Limits {
    fn from(config: &IngestConfig) -> Limits {
        const MB: u64 = 1024 * 1024;
        Limits {
            max_file_bytes: config.max_file_mb.saturating_mul(MB),
            max_pages: config.max_pages,
            max_chars: config.max_chars,
            timeout: Duration::from_secs(config.file_timeout_secs),
            zip_max_entries: config.zip_max_entries,
            zip_max_unpacked_bytes: config.zip_max_unpacked_mb.saturating_mul(MB),
            zip_max_ratio: config.zip_max_ratio,
            pdf_passwords: Passwords::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::from(&IngestConfig::default())
    }
}

/// Images OCR reads: PNG, JPEG, TIFF in either byte order.
const IMAGE_MAGIC: [&[u8]; 4] = [b"\x89PNG", b"\xFF\xD8\xFF", b"II*\0", b"MM\0*"];

/// Magic numbers of common binary formats, to name what a refused file is.
const BINARY_MAGIC: &[(&[u8], &str)] = &[
    (
        b"GIF8",
        "a GIF image; save it as PNG to have it read by OCR",
    ),
    (b"\x7FELF", "an executable"),
    (b"MZ", "a Windows executable"),
    (b"\x1F\x8B", "gzip data"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xBC\xAF", "a 7-Zip archive"),
    (
        b"\xD0\xCF\x11\xE0",
        "a legacy Office document (.doc/.xls); save it as DOCX",
    ),
    (b"SQLite format 3", "an SQLite database"),
];

/// Detects the format from the content; `name` (the file name) only breaks ties between
/// text formats.
pub fn detect(bytes: &[u8], name: &Path) -> Result<Format, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    let head = &bytes[..bytes.len().min(1024)];
    // The PDF header may follow some junk within the first kilobyte.
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if IMAGE_MAGIC.iter().any(|magic| bytes.starts_with(magic)) {
        return Ok(Format::Image);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return if docx::is_docx(bytes) {
            Ok(Format::Docx)
        } else if has_extension(name, "docx") {
            Err(ExtractError::Corrupt {
                format: "docx",
                reason: "not a readable DOCX package (a damaged or truncated ZIP)".into(),
            })
        } else {
            Err(ExtractError::Unsupported(
                "a ZIP archive that is not a DOCX document; unpack it and ingest the folder".into(),
            ))
        };
    }
    if let Some((_, what)) = BINARY_MAGIC
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return Err(ExtractError::Unsupported(format!(
            "{what}{}",
            misnamed(name)
        )));
    }
    let Some(text) = text::decode_head(bytes) else {
        return Err(ExtractError::Unsupported(format!(
            "binary data{}",
            misnamed(name)
        )));
    };
    let head: String = text.chars().take(2048).collect();
    if email::looks_like_email(&head) {
        return Ok(Format::Email);
    }
    let lower = head.to_ascii_lowercase();
    if lower.contains("<!doctype html") || lower.contains("<html") {
        return Ok(Format::Html);
    }
    let extension = name
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    Ok(match extension.as_str() {
        "md" | "markdown" => Format::Markdown,
        "html" | "htm" | "xhtml" => Format::Html,
        "eml" => Format::Email,
        _ => Format::Text,
    })
}

fn has_extension(name: &Path, wanted: &str) -> bool {
    name.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(wanted))
}

/// ", though it is named .pdf": when the extension promised a format the content is not.
fn misnamed(name: &Path) -> String {
    name.extension()
        .map(|e| format!(", though it is named .{}", e.to_string_lossy()))
        .unwrap_or_default()
}

fn file_too_large(size: u64, limits: &Limits) -> ExtractError {
    ExtractError::Limit {
        what: "the file",
        actual: format!("{size} bytes"),
        limit: format!("{} bytes", limits.max_file_bytes),
        setting: "[ingest] max_file_mb",
    }
}

/// Reads a file for extraction, refusing one over `[ingest] max_file_mb` before reading it.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, ExtractError> {
    let unreadable = |e: std::io::Error| ExtractError::Unreadable(e.to_string());
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > limits.max_file_bytes {
        return Err(file_too_large(size, limits));
    }
    std::fs::read(path).map_err(unreadable)
}

/// Extracts text from `bytes` on the calling thread. Prefer [`extract_guarded`] for files
/// from outside.
pub fn extract(bytes: &[u8], name: &Path, limits: &Limits) -> Result<Extracted, ExtractError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(file_too_large(bytes.len() as u64, limits));
    }
    let extracted = match detect(bytes, name)? {
        Format::Pdf => pdf::extract(bytes, limits)?,
        Format::Docx => docx::extract(bytes, limits)?,
        Format::Email => email::extract(bytes)?,
        // An image has no text but what OCR reads: ingest does that (see `ocr`).
        Format::Image => {
            return Err(ExtractError::NeedsOcr {
                pages: ocr::tiff_pages(bytes).unwrap_or(1),
            });
        }
        Format::Html => html::extract(bytes)?,
        format @ (Format::Text | Format::Markdown) => text::extract(bytes, name, format)?,
    };
    check_text_limits(&extracted, limits)?;
    Ok(extracted)
}

/// Refuses a document with more pages than `[ingest] max_pages`.
fn check_pages(pages: usize, limits: &Limits) -> Result<(), ExtractError> {
    if pages > limits.max_pages {
        return Err(ExtractError::Limit {
            what: "the page count",
            actual: pages.to_string(),
            limit: limits.max_pages.to_string(),
            setting: "[ingest] max_pages",
        });
    }
    Ok(())
}

fn check_text_limits(extracted: &Extracted, limits: &Limits) -> Result<(), ExtractError> {
    check_pages(extracted.pages.len(), limits)?;
    let chars: usize = extracted.pages.iter().map(|p| p.chars().count()).sum();
    if chars > limits.max_chars {
        return Err(ExtractError::Limit {
            what: "the extracted text",
            actual: format!("{chars} characters"),
            limit: format!("{} characters", limits.max_chars),
            setting: "[ingest] max_chars",
        });
    }
    Ok(())
}

/// Runs [`extract`] on its own thread, so that a parser that panics or runs away fails
/// this file only. A parser past its time budget is left to finish in the background (a
/// thread cannot be killed) and its result discarded. The bytes may be shared (an `Arc`),
/// so that a caller can keep them without a copy.
pub fn extract_guarded(
    bytes: impl Into<std::sync::Arc<Vec<u8>>>,
    name: &Path,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let bytes = bytes.into();
    let (sender, receiver) = mpsc::sync_channel(1);
    let name = name.to_path_buf();
    let thread_limits = limits.clone();
    let spawned = std::thread::Builder::new()
        .name("kodiak-extract".into())
        .spawn(move || {
            let outcome =
                crate::panics::expecting_panics(|| extract(&bytes, &name, &thread_limits));
            let _ = sender.send(outcome);
        });
    if let Err(e) = spawned {
        return Err(ExtractError::Corrupt {
            format: "file",
            reason: format!("cannot start a parser thread: {e}"),
        });
    }
    match receiver.recv_timeout(limits.timeout) {
        Ok(Ok(result)) => result,
        Ok(Err(message)) => Err(ExtractError::Panicked(message)),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(ExtractError::TimedOut(limits.timeout.as_secs()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(ExtractError::Panicked(
            "the parser thread ended without an answer".into(),
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests;
