//! Character offsets: pages, chunks and PII spans are kept as character ranges of a
//! document's text (stable whatever the encoding), and cut from it here.

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
    use super::*;

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
