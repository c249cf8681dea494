//! A text-born document (text, DOCX, e-mail, HTML) laid out for production: the text as
//! produced, each redacted range replaced by `[REDACTED: reason]` so that the redacted
//! characters are never written anywhere, then wrapped into the lines and sheets of a
//! letter page in a monospaced font. Each page of the source starts a new sheet, so a
//! source page is never split across two documents' numbering.

use std::ops::Range;

/// Characters per line: US Letter, 0.75 in margins, Courier 10 pt (6 pt a character).
pub const COLUMNS: usize = 84;
/// Lines per sheet: 12 pt leading between the top margin and the stamp's band.
pub const ROWS: usize = 55;
/// Spaces a tab stands for.
const TAB: &str = "    ";

/// A range of the document's text to leave out, by character offsets, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cut {
    pub start: usize,
    pub end: usize,
    pub reason: String,
}

/// A run of a line: text as produced, or the label standing where text was redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub redacted: bool,
}

/// One line of a sheet.
pub type Line = Vec<Segment>;

/// One produced page of lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    pub lines: Vec<Line>,
}

/// A document as it is produced: its sheets, and its text as the TEXT file carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    pub sheets: Vec<Sheet>,
    pub text: String,
}

/// The label that stands for a redaction.
pub fn label(reason: &str) -> String {
    format!("[REDACTED: {reason}]")
}

/// Lays out `text` whose pages are `pages` (character ranges; the whole text as one page
/// when none), with `cuts` left out and the pages of `whole_pages` (1-based, with a
/// reason) replaced by their label alone. Overlapping or touching cuts become one, their
/// reasons joined.
pub fn produce(
    text: &str,
    pages: &[(usize, usize)],
    cuts: &[Cut],
    whole_pages: &[(usize, String)],
) -> Produced {
    let chars: Vec<char> = text.chars().collect();
    let all = [(0, chars.len())];
    let pages = if pages.is_empty() { &all[..] } else { pages };
    let cuts = merged(cuts, chars.len());
    let mut sheets = Vec::new();
    let mut produced_text = String::new();
    for (number, &(start, end)) in pages.iter().enumerate() {
        let range = start.min(chars.len())..end.min(chars.len());
        let marked = match whole_pages.iter().find(|(page, _)| *page == number + 1) {
            Some((_, reason)) => label(reason).chars().map(|c| (c, true)).collect(),
            None => page_chars(&chars, range, &cuts),
        };
        if number > 0 {
            produced_text.push('\u{c}');
        }
        produced_text.extend(marked.iter().map(|(c, _)| *c));
        sheets.extend(sheets_of(&marked));
    }
    Produced {
        sheets,
        text: produced_text,
    }
}

/// The cuts inside the text, sorted, with overlapping or touching ones joined.
fn merged(cuts: &[Cut], len: usize) -> Vec<Cut> {
    let mut sorted: Vec<Cut> = cuts
        .iter()
        .map(|c| Cut {
            start: c.start.min(len),
            end: c.end.min(len),
            reason: c.reason.clone(),
        })
        .filter(|c| c.start < c.end)
        .collect();
    sorted.sort_by_key(|c| (c.start, c.end));
    let mut out: Vec<Cut> = Vec::new();
    for cut in sorted {
        match out.last_mut() {
            Some(last) if cut.start <= last.end => {
                last.end = last.end.max(cut.end);
                if !last.reason.split(", ").any(|r| r == cut.reason) {
                    last.reason = format!("{}, {}", last.reason, cut.reason);
                }
            }
            _ => out.push(cut),
        }
    }
    out
}

/// A page's characters as produced, each marked true when it belongs to a label. A cut
/// that runs over the page's edge is labelled on each page it covers.
fn page_chars(chars: &[char], range: Range<usize>, cuts: &[Cut]) -> Vec<(char, bool)> {
    let mut out = Vec::with_capacity(range.len());
    let mut at = range.start;
    for cut in cuts
        .iter()
        .filter(|c| c.end > range.start && c.start < range.end)
    {
        let start = cut.start.max(range.start);
        out.extend(chars[at..start.max(at)].iter().map(|&c| (clean(c), false)));
        out.extend(label(&cut.reason).chars().map(|c| (c, true)));
        at = cut.end.min(range.end);
    }
    out.extend(
        chars[at.min(range.end)..range.end]
            .iter()
            .map(|&c| (clean(c), false)),
    );
    // Tabs widen to spaces, so that a column is a character.
    let mut widened = Vec::with_capacity(out.len());
    for (c, redacted) in out {
        if c == '\t' {
            widened.extend(TAB.chars().map(|s| (s, redacted)));
        } else if c != '\r' {
            widened.push((c, redacted));
        }
    }
    widened
}

/// Control characters other than line ends and tabs print as spaces.
fn clean(c: char) -> char {
    if c.is_control() && c != '\n' && c != '\t' {
        ' '
    } else {
        c
    }
}

/// A page's marked characters wrapped into sheets: lines of at most [`COLUMNS`] broken at
/// a space outside a label where there is one, [`ROWS`] lines a sheet, one sheet at least.
fn sheets_of(marked: &[(char, bool)]) -> Vec<Sheet> {
    let mut lines: Vec<Line> = Vec::new();
    for logical in marked.split(|(c, _)| *c == '\n') {
        let mut rest = logical;
        loop {
            if rest.len() <= COLUMNS {
                lines.push(segments(rest));
                break;
            }
            let window = &rest[..=COLUMNS];
            let cut = window
                .iter()
                .rposition(|(c, redacted)| *c == ' ' && !redacted)
                .filter(|&at| at > 0);
            match cut {
                Some(at) => {
                    lines.push(segments(&rest[..at]));
                    rest = &rest[at + 1..];
                }
                None => {
                    lines.push(segments(&rest[..COLUMNS]));
                    rest = &rest[COLUMNS..];
                }
            }
        }
    }
    // Trailing empty lines make no sheet of their own.
    while lines.len() > 1 && lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    let sheets: Vec<Sheet> = lines
        .chunks(ROWS)
        .map(|chunk| Sheet {
            lines: chunk.to_vec(),
        })
        .collect();
    if sheets.is_empty() {
        vec![Sheet::default()]
    } else {
        sheets
    }
}

/// A line's runs: consecutive characters alike in being a label or not.
fn segments(line: &[(char, bool)]) -> Line {
    let mut out: Line = Vec::new();
    for &(c, redacted) in line {
        match out.last_mut() {
            Some(last) if last.redacted == redacted => last.text.push(c),
            _ => out.push(Segment {
                text: c.to_string(),
                redacted,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(start: usize, end: usize, reason: &str) -> Cut {
        Cut {
            start,
            end,
            reason: reason.into(),
        }
    }

    fn all_text(produced: &Produced) -> String {
        produced
            .sheets
            .iter()
            .flat_map(|s| s.lines.iter())
            .flat_map(|l| l.iter().map(|s| s.text.as_str()))
            .collect()
    }

    #[test]
    fn a_cut_is_replaced_by_its_label_in_the_sheets_and_the_text() {
        let text = "Call Jane Roe on 555-0100 today.";
        let produced = produce(text, &[], &[cut(17, 25, "PHONE_NUMBER")], &[]);
        assert_eq!(
            produced.text,
            "Call Jane Roe on [REDACTED: PHONE_NUMBER] today."
        );
        assert!(!all_text(&produced).contains("555"));
        let line = &produced.sheets[0].lines[0];
        assert_eq!(line[1].text, "[REDACTED: PHONE_NUMBER]");
        assert!(line[1].redacted);
        assert!(!line[0].redacted && !line[2].redacted);
    }

    #[test]
    fn overlapping_cuts_become_one_label_with_both_reasons() {
        let text = "abcdefghij";
        let produced = produce(
            text,
            &[],
            &[
                cut(2, 5, "PERSON"),
                cut(4, 8, "privilege"),
                cut(3, 4, "PERSON"),
            ],
            &[],
        );
        assert_eq!(produced.text, "ab[REDACTED: PERSON, privilege]ij");
    }

    #[test]
    fn lines_wrap_at_a_space_and_never_inside_a_label() {
        let words = "word ".repeat(30);
        let text = format!("{words}secret value here");
        let at = words.chars().count();
        let produced = produce(&text, &[], &[cut(at, at + 12, "privilege")], &[]);
        for line in &produced.sheets[0].lines {
            let width: usize = line.iter().map(|s| s.text.chars().count()).sum();
            assert!(width <= COLUMNS, "line of {width}");
        }
        let labels: Vec<&Segment> = produced.sheets[0]
            .lines
            .iter()
            .flatten()
            .filter(|s| s.redacted)
            .collect();
        assert_eq!(labels.len(), 1);
        assert_eq!(labels[0].text, "[REDACTED: privilege]");
    }

    #[test]
    fn each_source_page_starts_a_sheet_and_a_long_page_takes_several() {
        let long = "line\n".repeat(ROWS + 3);
        let text = format!("{long}second page");
        let split = long.chars().count();
        let produced = produce(
            &text,
            &[(0, split), (split, text.chars().count())],
            &[],
            &[],
        );
        assert_eq!(produced.sheets.len(), 3);
        assert_eq!(produced.sheets[0].lines.len(), ROWS);
        assert_eq!(produced.sheets[2].lines[0][0].text, "second page");
        assert!(produced.text.contains("\u{c}second page"));
    }

    #[test]
    fn a_whole_page_redacted_keeps_only_its_label() {
        let text = "first page secrets\nmore";
        let produced = produce(text, &[(0, 11), (11, 23)], &[], &[(2, "privilege".into())]);
        assert_eq!(produced.sheets.len(), 2);
        assert_eq!(produced.text, "first page \u{c}[REDACTED: privilege]");
        assert!(!all_text(&produced).contains("secrets"));
    }

    #[test]
    fn a_cut_across_a_page_edge_is_labelled_on_both_pages() {
        let text = "aaaa bbbb cccc";
        let produced = produce(text, &[(0, 7), (7, 14)], &[cut(5, 9, "x")], &[]);
        assert_eq!(produced.text, "aaaa [REDACTED: x]\u{c}[REDACTED: x] cccc");
    }

    #[test]
    fn an_empty_document_is_one_empty_sheet() {
        let produced = produce("", &[], &[], &[]);
        assert_eq!(produced.sheets.len(), 1);
    }

    #[test]
    fn a_word_longer_than_a_line_is_cut_at_the_column() {
        let text = "x".repeat(COLUMNS * 2 + 5);
        let produced = produce(&text, &[], &[], &[]);
        let widths: Vec<usize> = produced.sheets[0]
            .lines
            .iter()
            .map(|l| l.iter().map(|s| s.text.chars().count()).sum())
            .collect();
        assert_eq!(widths, vec![COLUMNS, COLUMNS, 5]);
    }
}
