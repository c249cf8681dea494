//! Sentences: where a statement starts and ends in a document's text, which wraps its
//! paragraphs at a fixed width, numbers its sections and lists its items.

/// Sentences of `text` as slices of it, trimmed.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    sentence_ranges(text)
        .into_iter()
        .map(move |(start, end)| &text[start..end])
}

/// The byte ranges of `text`'s sentences, trimmed: a sentence ends at `.`, `?` or `!`
/// before whitespace (not inside a number such as `2.5`, not after an abbreviation such as
/// `Inc.`, not when the text goes on in lower case, as after "Sections 1.3. or 10.2"), or
/// at a line break that ends one ([`line_break_ends_sentence`]).
pub fn sentence_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut push = |from: usize, to: usize| {
        let piece = &text[from..to];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        if from + lead < to - trail {
            ranges.push((from + lead, to - trail));
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        let ends = match b {
            b'\n' => line_break_ends_sentence(text, start, i),
            b'.' | b'?' | b'!' => {
                let abbreviated = b == b'.' && abbreviation(&text[start..i]);
                bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace())
                    && !section_number(&text[start..=i])
                    && !abbreviated
                    && !goes_on_in_lower_case(&text[i + 1..])
            }
            _ => false,
        };
        if ends {
            push(start, i + 1);
            start = i + 1;
        }
    }
    push(start, text.len());
    ranges
}

/// Whether the line break at byte `at` ends the sentence begun at `start`. Documents wrap
/// their paragraphs at a fixed width, so a single break inside a sentence is a space; it
/// ends one after a blank line, a heading, a lead-in ending in `:`, or before a heading or
/// a list item.
fn line_break_ends_sentence(text: &str, start: usize, at: usize) -> bool {
    let before = text[start..at].trim();
    let after = text[at + 1..].trim_start_matches([' ', '\t']);
    before.starts_with('#')
        || before.ends_with(':')
        || after.is_empty()
        || after.starts_with(['\n', '\r', '#', '-', '*', '•', '>', '|'])
        || numbered_item(after)
}

/// Words that end in a full stop without ending a sentence: company forms, titles and the
/// references contracts are full of ("No. 5", "Art. 3"). Compared without case.
const ABBREVIATIONS: [&str; 34] = [
    "inc", "ltd", "co", "corp", "llc", "l.l.c", "plc", "l.p", "n.a", "s.a", "b.v", "n.v", "mr",
    "mrs", "ms", "dr", "st", "jr", "sr", "no", "nos", "art", "sec", "para", "vs", "v", "e.g",
    "i.e", "u.s", "u.k", "cf", "viz", "approx", "p",
];

/// Whether `before`, the text of a sentence up to a full stop, ends in an abbreviation.
fn abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .next()
        .unwrap_or("");
    let initials = word.len() >= 3
        && word
            .split('.')
            .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic));
    !word.is_empty()
        && word.len() <= 7
        && (initials || ABBREVIATIONS.iter().any(|a| word.eq_ignore_ascii_case(a)))
}

/// Whether the text after a full stop continues the sentence: its next word starts in
/// lower case ("Sections 1.3. or 10.2", "etc. and").
fn goes_on_in_lower_case(after: &str) -> bool {
    let next = after.trim_start_matches([' ', '\t']);
    next.chars().next().is_some_and(char::is_lowercase)
}

/// Whether `piece` is only a section number (`4.`, `## 4.1.`), which a title follows.
fn section_number(piece: &str) -> bool {
    let number = piece.trim_start().trim_start_matches(['#', ' ']);
    number.len() <= 8
        && number.ends_with('.')
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && number.bytes().any(|b| b.is_ascii_digit())
}

/// Whether `line` starts as a numbered item does: `4.`, `4.1`, `12)`.
fn numbered_item(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    (1..=3).contains(&digits) && matches!(line.as_bytes().get(digits), Some(b'.' | b')'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paragraph_wrapped_across_lines_is_one_sentence_and_items_and_headings_stay_apart() {
        let text = "## 4. Rent\n\n4.1 The tenant pays rent of USD 2,150.00 on the first day of\n\
                    each month, in advance.\n4.2 Rent is paid by transfer. Late fees:\n\
                    - USD 75.00 after the fifth day\nText ends";
        let got: Vec<&str> = sentences(text).collect();
        assert_eq!(
            got,
            [
                "## 4. Rent",
                "4.1 The tenant pays rent of USD 2,150.00 on the first day of\n\
                 each month, in advance.",
                "4.2 Rent is paid by transfer.",
                "Late fees:",
                "- USD 75.00 after the fifth day\nText ends",
            ]
        );
    }

    #[test]
    fn abbreviations_section_references_and_lower_case_continuations_do_not_end_a_sentence() {
        let text = "Acme Inc. and Widget Co. agree. The term ends under Sections 1.3. or \
                    10.2 of this Agreement. See Exhibit A. Payment is due. Galaxy B.C. Ltd. \
                    signs.";
        let got: Vec<&str> = sentences(text).collect();
        assert_eq!(
            got,
            [
                "Acme Inc. and Widget Co. agree.",
                "The term ends under Sections 1.3. or 10.2 of this Agreement.",
                "See Exhibit A.",
                "Payment is due.",
                "Galaxy B.C. Ltd. signs.",
            ]
        );
    }
}
