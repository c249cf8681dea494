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

/// The parts of `text` at character ranges `start..end` (the offsets pages, chunks and
/// PII spans are kept in), in one walk over the text
/// when the ranges come in order of their starts (as a document's chunks do; each may
/// overlap the one before). A range beyond the text is cut short at its end.
pub fn char_slices(text: &str, ranges: impl IntoIterator<Item = (usize, usize)>) -> Vec<&str> {
    // Where the last range started, in characters and bytes.
    let (mut at_char, mut at_byte) = (0, 0);
    // In ASCII text (most documents) characters are bytes.
    let ascii = text.is_ascii();
    let byte_after = |from_byte: usize, chars: usize| {
        if ascii {
            return (from_byte + chars).min(text.len());
        }
        text[from_byte..]
            .char_indices()
            .nth(chars)
            .map_or(text.len(), |(offset, _)| from_byte + offset)
    };
    ranges
        .into_iter()
        .map(|(start, end)| {
            if start < at_char {
                (at_char, at_byte) = (0, 0);
            }
            at_byte = byte_after(at_byte, start - at_char);
            at_char = start;
            &text[at_byte..byte_after(at_byte, end.saturating_sub(start))]
        })
        .collect()
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

    /// Characters `start..end` of `text`, the slow and obvious way.
    fn reference(text: &str, start: usize, end: usize) -> String {
        text.chars()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect()
    }

    #[test]
    fn cutting_counts_characters_in_order_overlapping_out_of_order_and_past_the_end() {
        let mixed = "Café 🏠 naïve — deposit €950. Plain words follow here.";
        let ascii = "The tenant shall pay the rent on the first day of each month.";
        for text in [mixed, ascii, ""] {
            let n = text.chars().count();
            let ranges = [
                (0, 4),
                (2, 9),                        // overlaps the one before
                (5, 6),                        // a single character (the house, in the mixed text)
                (1, 3), // starts before the last one: walked again from the start
                (n.saturating_sub(3), n + 10), // runs past the end
                (n + 5, n + 9), // starts past the end
                (7, 7), // empty
            ];
            let cut = char_slices(text, ranges);
            let expected: Vec<String> =
                ranges.iter().map(|&(s, e)| reference(text, s, e)).collect();
            assert_eq!(cut, expected, "{text:?}");
        }
    }
}
