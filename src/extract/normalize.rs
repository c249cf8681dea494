//! The document text every other part sees: Unicode NFC, one space between words, no
//! trailing spaces, at most one blank line in a row, pages separated by a blank line, and
//! where each page starts (in characters) so any offset maps back to its page.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::Extracted;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentText {
    pub text: String,
    /// Character offset at which each page starts; the first is 0.
    pub page_starts: Vec<usize>,
}

impl DocumentText {
    pub fn new(extracted: &Extracted) -> DocumentText {
        let mut text = String::new();
        let mut page_starts = Vec::with_capacity(extracted.pages.len());
        let mut chars = 0;
        for (index, page) in extracted.pages.iter().enumerate() {
            if index > 0 {
                text.push_str("\n\n");
                chars += 2;
            }
            page_starts.push(chars);
            let normalized = normalize(page);
            chars += normalized.chars().count();
            text.push_str(&normalized);
        }
        DocumentText { text, page_starts }
    }

    /// The 1-based page holding the character at `offset`.
    pub fn page_of(&self, offset: usize) -> usize {
        self.page_starts
            .partition_point(|&start| start <= offset)
            .max(1)
    }
}

/// Normalizes one page: NFC; within a line, a whitespace run becomes one space, or one tab
/// when it holds a tab (tabs separate table cells); lines trimmed; blank-line runs to one;
/// no blank lines at the ends.
pub fn normalize(page: &str) -> String {
    // Most text is already NFC (all ASCII text is): check quickly before recomposing.
    let nfc: Cow<'_, str> = if page.is_ascii() || is_nfc_quick(page.chars()) == IsNormalized::Yes {
        Cow::Borrowed(page)
    } else {
        Cow::Owned(page.nfc().collect())
    };
    let mut out = String::with_capacity(nfc.len());
    let mut blank_run = false;
    for line in nfc.split(['\n', '\r', '\x0C']) {
        let line = line.trim();
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run { "\n\n" } else { "\n" });
        }
        blank_run = false;
        // Copy the words whole; each whitespace run between them becomes one character.
        let mut rest = line;
        while let Some(at) = rest.find(char::is_whitespace) {
            out.push_str(&rest[..at]);
            let after = rest[at..].trim_start();
            let run = &rest[at..rest.len() - after.len()];
            out.push(if run.contains('\t') { '\t' } else { ' ' });
            rest = after;
        }
        out.push_str(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Format;

    #[test]
    fn normalizes_unicode_and_whitespace_and_keeps_page_starts() {
        let extracted = Extracted {
            format: Format::Pdf,
            title: None,
            pages: vec![
                "  Cafe\u{301}\u{a0} corner  \r\n\r\n\r\n\n second   line \n".into(),
                "\n\nPage two".into(),
            ],
            metadata: Default::default(),
            attachments: Vec::new(),
        };
        let doc = DocumentText::new(&extracted);
        assert_eq!(doc.text, "Café corner\n\nsecond line\n\nPage two");
        assert_eq!(doc.page_starts, [0, 26]);
        let page_two = doc.text.chars().skip(26).collect::<String>();
        assert_eq!(page_two, "Page two");
        assert_eq!(
            (
                doc.page_of(0),
                doc.page_of(25),
                doc.page_of(26),
                doc.page_of(99)
            ),
            (1, 1, 2, 2)
        );
    }
}
