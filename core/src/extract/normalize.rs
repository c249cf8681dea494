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
}
