//! The document text every other part sees: Unicode NFC, one space between words, no
//! trailing spaces, at most one blank line in a row, pages separated by a blank line, and
//! where each page starts (in characters) so any offset maps back to its page.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::Extracted;

/// A document's normalised text with its pages, ready to be chunked and scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentText {
    pub text: String,
    /// Character offset at which each page starts; the first is 0.
    pub page_starts: Vec<usize>,
    /// Characters in `text`.
    pub chars: usize,
}

impl DocumentText {
    /// The extracted pages, each normalised, joined by a blank line, with where each starts.
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
        DocumentText {
            text,
            page_starts,
            chars,
        }
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
    for line in lines(&nfc) {
        let line = line.trim();
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run { "\n\n" } else { "\n" });
        }
        blank_run = false;
        push_collapsed(line, &mut out);
    }
    out
}

/// The lines of `text`, split at line feeds, carriage returns and form feeds.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let ends = memchr::memchr3_iter(b'\n', b'\r', b'\x0C', text.as_bytes()).chain([text.len()]);
    let mut start = 0;
    // The separators are ASCII, so every cut falls between characters.
    ends.map(move |end| {
        let line = text.get(start..end).unwrap_or_default();
        start = end + 1;
        line
    })
}

/// Appends `line` (already trimmed) with each whitespace run inside it as one character: a
/// tab when the run holds one, else a space. The words are copied whole, and the usual
/// single space between two of them is passed over without decoding a character.
fn push_collapsed(line: &str, out: &mut String) {
    // The first byte of every whitespace character but the line separators.
    let may_be_space = |byte: u8| matches!(byte, b'\t' | b'\x0B' | b' ' | 0xC2 | 0xE1..=0xE3);
    let bytes = line.as_bytes();
    let (mut copied, mut at) = (0, 0);
    while let Some(&byte) = bytes.get(at) {
        if !may_be_space(byte)
            || (byte == b' ' && !bytes.get(at + 1).is_some_and(|&next| may_be_space(next)))
        {
            at += 1;
            continue;
        }
        let rest = line.get(at..).unwrap_or_default();
        let after = rest.trim_start();
        let run = &rest[..rest.len() - after.len()];
        if run.is_empty() {
            // A letter that only starts like a space (é, €, —).
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        out.push_str(&line[copied..at]);
        out.push(if run.contains('\t') { '\t' } else { ' ' });
        at += run.len();
        copied = at;
    }
    out.push_str(&line[copied..]);
}

/// The parts of `text` at character ranges `start..end` (the offsets pages, chunks and PII
/// spans are kept in). Ranges in order of their starts, as a document's chunks are (each
/// may overlap the one before), take one walk over the text. A range beyond the text is cut
/// short at its end.
pub fn char_slices(text: &str, ranges: impl IntoIterator<Item = (usize, usize)>) -> Vec<&str> {
    // Where the last range started, in characters and bytes.
    let (mut at_char, mut at_byte) = (0, 0);
    // In ASCII text (most documents) characters are bytes.
    let ascii = text.is_ascii();
    let byte_after = |from_byte: usize, chars: usize| {
        if ascii {
            (from_byte + chars).min(text.len())
        } else {
            byte_after(text, from_byte, chars)
        }
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

/// The byte offset `chars` characters after byte offset `from` (a character boundary), or
/// the text's length when it ends first. It counts the bytes that start a character, a
/// block at a time (which the compiler turns into vector code), then byte by byte in the
/// block where the character is: decoding each character was the cost of cutting chunks.
fn byte_after(text: &str, from: usize, chars: usize) -> usize {
    const BLOCK: usize = 64;
    // Every byte but a UTF-8 continuation byte (0b10xx_xxxx) starts a character.
    let starts_char = |byte: &u8| (*byte as i8) >= -0x40;
    let bytes = text.as_bytes();
    let (mut at, mut left) = (from, chars);
    while let Some(block) = bytes.get(at..at + BLOCK) {
        let starts = block.iter().filter(|b| starts_char(b)).count();
        if starts > left {
            break;
        }
        left -= starts;
        at += BLOCK;
    }
    for (offset, byte) in bytes.get(at..).unwrap_or_default().iter().enumerate() {
        if starts_char(byte) {
            if left == 0 {
                return at + offset;
            }
            left -= 1;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::extract::Format;

    /// What [`normalize`] does after NFC, the slow and obvious way: split at every line
    /// break, find each whitespace character by decoding.
    fn normalize_reference(page: &str) -> String {
        let mut out = String::new();
        let mut blank_run = false;
        for line in page.split(['\n', '\r', '\x0C']) {
            let line = line.trim();
            if line.is_empty() {
                blank_run = !out.is_empty();
                continue;
            }
            if !out.is_empty() {
                out.push_str(if blank_run { "\n\n" } else { "\n" });
            }
            blank_run = false;
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

    proptest! {
        #[test]
        fn whitespace_is_collapsed_as_the_reference_does(
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "word", "é", "€5", "—", "©", "¢", "ả", "\u{3000}", "\u{a0}", "\u{2003}",
                    "\u{1680}", "\u{85}", "\u{2028}", " ", "  ", "\t", "\x0B", "\n", "\r\n",
                    "\x0C", "\n\n\n",
                ]),
                0..40,
            )
        ) {
            let page: String = parts.concat();
            prop_assert_eq!(normalize(&page), normalize_reference(&page), "{:?}", page);
        }
    }

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
        assert_eq!(doc.chars, doc.text.chars().count());
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
        // Long enough for whole blocks, with characters across the blocks' edges.
        let long = mixed.repeat(9);
        for text in [mixed, &long, ascii, ""] {
            let n = text.chars().count();
            let ranges = [
                (0, 4),
                (2, 9),                        // overlaps the one before
                (5, 6),                        // a single character (the house, in the mixed text)
                (1, 3), // starts before the last one: walked again from the start
                (n.saturating_sub(3), n + 10), // runs past the end
                (n + 5, n + 9), // starts past the end
                (7, 7), // empty
                (n / 3, n / 2),
                ((n / 2).saturating_sub(1), n.saturating_sub(2)),
                (n.saturating_sub(1), n),
            ];
            let cut = char_slices(text, ranges);
            let expected: Vec<String> =
                ranges.iter().map(|&(s, e)| reference(text, s, e)).collect();
            assert_eq!(cut, expected, "{text:?}");
        }
    }
}
