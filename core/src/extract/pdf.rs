//! PDF: the text layer, page by page. A PDF whose pages have no text is scanned images and
//! needs OCR. An encrypted PDF is opened with the empty password (many are encrypted only to
//! restrict printing or copying, and open in any viewer) or one of the reviewer's passwords
//! (RC4, AES-128 and AES-256, as lopdf decrypts them); otherwise it is refused as encrypted.

use lopdf::Document;
use pdf_extract::PlainTextOutput;

use super::{ExtractError, Extracted, Format, Limits};

fn corrupt(reason: impl std::fmt::Display) -> ExtractError {
    ExtractError::Corrupt {
        format: "pdf",
        reason: reason.to_string(),
    }
}

pub fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    // Loading tries the empty password itself, and leaves `Encrypt` in the trailer when
    // it does not open the file.
    let still_encrypted = |document: &Document| document.trailer.get(b"Encrypt").is_ok();
    let mut document = Document::load_mem(bytes).map_err(corrupt)?;
    if still_encrypted(&document) {
        let opened = limits.pdf_passwords.iter().find_map(|password| {
            Document::load_mem_with_options(bytes, lopdf::LoadOptions::with_password(password))
                .ok()
                .filter(|document| !still_encrypted(document))
        });
        document = opened.ok_or(ExtractError::Encrypted {
            tried: limits.pdf_passwords.len(),
        })?;
    }
    let pages = document.get_pages();
    // Checked before any page is parsed, not after.
    super::check_pages(pages.len(), limits)?;
    if pages.is_empty() {
        return Err(corrupt("no pages"));
    }
    let mut texts = Vec::with_capacity(pages.len());
    for number in pages.keys() {
        let mut text = String::new();
        let mut output = PlainTextOutput::new(&mut text);
        pdf_extract::output_doc_page(&document, &mut output, *number)
            .map_err(|e| corrupt(format!("page {number}: {e}")))?;
        texts.push(text);
    }
    if texts.iter().all(|t| t.trim().is_empty()) {
        return Err(ExtractError::NeedsOcr { pages: texts.len() });
    }
    let title = document
        .trailer
        .get(b"Info")
        .and_then(|info| document.dereference(info))
        .ok()
        .and_then(|(_, info)| info.as_dict().ok())
        .and_then(|info| info.get(b"Title").ok())
        .and_then(|title| lopdf::decode_text_string(title).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    Ok(Extracted {
        format: Format::Pdf,
        title,
        pages: texts,
        metadata: Default::default(),
        attachments: Vec::new(),
    })
}
