//! Plain text and Markdown: Unicode with or without a byte-order mark, or a legacy 8-bit
//! encoding guessed from the bytes.

use std::path::Path;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

use super::{ExtractError, Extracted, Format};

/// Decodes bytes that are text; `None` for binary data. A byte-order mark decides the
/// encoding; otherwise UTF-16 without a mark is recognised by its zero bytes, valid UTF-8 is
/// taken as such, and anything else is guessed (Windows-1252, ISO-8859-x, Shift_JIS…).
pub fn decode(bytes: &[u8]) -> Option<String> {
    let encoding = match Encoding::for_bom(bytes) {
        Some((encoding, _)) => encoding,
        None => match utf16_without_bom(bytes) {
            Some(encoding) => encoding,
            None if bytes.contains(&0) => return None,
            None => {
                // Most text is UTF-8: validated once, and taken as it is.
                if let Ok(text) = std::str::from_utf8(bytes) {
                    return (!looks_binary(text)).then(|| text.to_owned());
                }
                let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
                detector.feed(bytes, true);
                detector.guess(None, Utf8Detection::Allow)
            }
        },
    };
    let (text, _, _) = encoding.decode(bytes);
    (!looks_binary(&text)).then(|| text.into_owned())
}

/// The start of `bytes` decoded as [`decode`] decodes the whole, for telling formats apart
/// without decoding a large file twice; `None` when that start is binary.
pub fn decode_head(bytes: &[u8]) -> Option<String> {
    const HEAD_BYTES: usize = 16 * 1024;
    let Some(mut head) = bytes.get(..HEAD_BYTES) else {
        return decode(bytes);
    };
    // A UTF-8 character cut in two at the end is left out, not taken for another encoding.
    if let Err(e) = std::str::from_utf8(head)
        && e.error_len().is_none()
    {
        head = &head[..e.valid_up_to()];
    }
    decode(head)
}

/// UTF-16 text of mostly ASCII characters has a zero in every other byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zeros_at = |offset: usize| {
        sample
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    if odd * 10 >= pairs * 7 && even * 20 <= pairs {
        Some(UTF_16LE)
    } else if even * 10 >= pairs * 7 && odd * 20 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// More than 1 in 20 control characters or replacement characters means the bytes were
/// not text. Tab, line breaks and form feed are text's own; escape, bell and backspace are
/// what terminal transcripts and logs hold (colour codes, window titles), so they count
/// as text too: bytes that are not text have every other control character as well.
fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut odd = 0usize;
    for c in text.chars().take(65_536) {
        total += 1;
        let control =
            c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C' | '\x1B' | '\x07' | '\x08');
        if control || c == '\u{FFFD}' {
            odd += 1;
        }
    }
    odd * 20 > total
}

pub fn extract(bytes: &[u8], _name: &Path, format: Format) -> Result<Extracted, ExtractError> {
    let text = decode(bytes).ok_or_else(|| ExtractError::Unsupported("binary data".into()))?;
    let title = match format {
        Format::Markdown => text
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().to_owned()),
        _ => None,
    };
    // A text file's printed page numbers (or form feeds) give it pages.
    let pages = match format {
        Format::Text => crate::text::split_pages(&text)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        _ => vec![text],
    };
    Ok(Extracted {
        pages,
        ..Extracted::single_page(format, title, String::new())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_with_terminal_escape_sequences_is_text_and_random_bytes_are_not() {
        // 170 bytes, 9 escape sequences: colours, and a window title ended by a bell.
        let transcript = "\x1b[1mBuild log\x1b[0m for the quarterly release\n\x1b]0;deploy\x07\
                          step 1 ok \x1b[32mpassed\x1b[0m\nstep 2 \x1b[31mfailed\x1b[0m: disk \
                          full\nretry at 10:40, then \x1b[33mwarned\x1b[0m about the quota!!\n";
        assert_eq!(transcript.len(), 170);
        assert_eq!(transcript.matches('\x1b').count(), 9);
        assert_eq!(decode(transcript.as_bytes()).as_deref(), Some(transcript));
        let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert_eq!(decode(&noise), None);
    }

    #[test]
    fn the_head_of_a_long_text_decodes_as_the_whole_does() {
        // "é" is two bytes in UTF-8; place one across the 16 KiB mark.
        let mut text = "a".repeat(16 * 1024 - 1);
        text.push_str("é and more text after the cut");
        let head = decode_head(text.as_bytes()).unwrap();
        assert!(
            head.starts_with("aaa") && head.ends_with('a'),
            "{:?}",
            &head[head.len() - 3..]
        );
        assert_eq!(head.len(), 16 * 1024 - 1);
        // Binary at the start is binary in the head too; a short text is decoded whole.
        assert_eq!(decode_head(&[0x00, 0x01, 0x02, 0xFF].repeat(8192)), None);
        assert_eq!(
            decode_head("short é".as_bytes()).as_deref(),
            Some("short é")
        );
    }

    #[test]
    fn a_text_file_with_page_lines_has_those_pages_and_markdown_keeps_one() {
        let page = |n: usize| {
            format!(
                "Clause {n}. The parties agree to the terms set out here.\n{}\n\n- {n} -\n\n",
                "filler words ".repeat(30)
            )
        };
        let text: String = (1..=3).map(page).collect();
        let extracted = extract(text.as_bytes(), Path::new("c.txt"), Format::Text).unwrap();
        assert_eq!(extracted.pages.len(), 3);
        assert!(extracted.pages[2].contains("Clause 3"));
        let markdown = extract(text.as_bytes(), Path::new("c.md"), Format::Markdown).unwrap();
        assert_eq!(markdown.pages, [text]);
    }
}
