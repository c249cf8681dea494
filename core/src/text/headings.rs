//! Headings: the lines that name a part of a document (its outline), and the sentences
//! that are only a heading or a label, which state nothing worth quoting.

use std::sync::LazyLock;

use regex::Regex;

/// A heading of the document, for the outline and `] h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// Where its line starts, in bytes of the original text.
    pub offset: usize,
    /// 1 for a top heading (`# Title`, `ARTICLE 6`, `6.`), 2 for `6.2`, and so on.
    pub level: usize,
    pub text: String,
}

/// Longest line taken for a heading, in characters.
const HEADING_CHARS: usize = 100;

/// An article heading inside a line, as contracts flattened to text have them ("…of this
/// Agreement. 17 DEFAULT AND TERMINATION 17.1 If…"): after a sentence's end, a number, a
/// title in capitals, then the article's first section (the same number, then `.1`, which
/// the code checks: the regex crate has no back-references).
static INLINE_ARTICLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[.;:)\]]\s+)((\d{1,2})\.?\s+[A-Z][A-Z0-9,&'’/\- ]{2,80}?[A-Z])\s+(\d{1,2})\.1\b",
    )
    .ok()
});

/// A run-in heading: at a line's start or after a sentence's end, `4.` or `4.1.` and a
/// short title in title case ending in a full stop, the text following on the same line
/// ("1. Appointment. Client appoints…", "…deadline. 4.1. Site Selection. You must…").
static INLINE_SECTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?:^\s*|[.;:)\]]\s+)(\d{1,2}(?:\.\d{1,2})?)\.?\s+([A-Z][\w'’/&\-]*(?:\s+(?:[A-Z][\w'’/&\-]*|of|and|or|the|to|for|in|on|a|an|by|with|upon)){0,7})\.(?:\s|$)",
    )
    .ok()
});

/// The outline of `text`: its heading lines ([`heading_of`]), and the article and section
/// headings inside lines of run-on text, in text order.
pub fn outline(text: &str) -> Vec<Heading> {
    let mut headings = Vec::new();
    let mut above = "";
    let mut offset = 0;
    for line in text.split('\n') {
        let inline = inline_headings(line, offset);
        // A line opening with a run-in heading ("3. Payment Terms. Birch pays…") is titled
        // by it, not by the whole line.
        let run_in = offset + line.len() - line.trim_start().len();
        match heading_of(line, above) {
            Some((level, title)) if inline.first().is_none_or(|h| h.offset != run_in) => {
                headings.push(Heading {
                    offset,
                    level,
                    text: title,
                });
            }
            _ => headings.extend(inline),
        }
        above = line;
        offset += line.len() + 1;
    }
    headings
}

/// The article and section headings inside `line`, which starts at byte `offset`.
fn inline_headings(line: &str, offset: usize) -> Vec<Heading> {
    let mut found: Vec<Heading> = Vec::new();
    // A section heading follows a sentence's end, or its article's title.
    let section_at = |from: usize, found: &mut Vec<Heading>| {
        let Some(sections) = INLINE_SECTION.as_ref() else {
            return;
        };
        for caps in sections.captures_iter(&line[from..]) {
            let (Some(number), Some(title)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            if from > 0 && number.start() > 0 {
                break;
            }
            found.push(Heading {
                offset: offset + from + number.start(),
                level: 1 + number.as_str().matches('.').count(),
                text: line[from + number.start()..from + title.end()]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            });
            if from > 0 {
                break;
            }
        }
    };
    section_at(0, &mut found);
    if let Some(articles) = INLINE_ARTICLE.as_ref() {
        for caps in articles.captures_iter(line) {
            let (Some(heading), Some(number), Some(first)) =
                (caps.get(1), caps.get(2), caps.get(3))
            else {
                continue;
            };
            let title = heading.as_str()[number.len()..]
                .trim_start_matches('.')
                .trim();
            let letters = title.chars().filter(|c| c.is_alphabetic()).count();
            if number.as_str() == first.as_str() && letters >= 4 {
                found.push(Heading {
                    offset: offset + heading.start(),
                    level: 1,
                    text: heading.as_str().to_owned(),
                });
                section_at(first.start(), &mut found);
            }
        }
    }
    found.sort_by_key(|h| h.offset);
    found.dedup_by_key(|h| h.offset);
    found
}

/// The heading `line` is, if it looks like one: a Markdown heading; a line opening with
/// Article, Section, Schedule, Exhibit or Appendix and a number; a short numbered line that
/// is no sentence (`6.2 Training Costs and Expenses`); a short line in capitals. Except
/// for Markdown, a heading follows a blank line or one that ends a sentence: in text
/// wrapped by hand, a line of a paragraph may start with `7. This requirement…` or
/// `section 13, concerning…` and is no heading.
pub fn heading_of(line: &str, above: &str) -> Option<(usize, String)> {
    static NUMBERED: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"^(\d+(?:\.\d+)*)\.?\s+\p{Lu}").ok());
    static NAMED: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(
            r"^(?:Article|ARTICLE|Section|SECTION|Schedule|SCHEDULE|Exhibit|EXHIBIT|Appendix|APPENDIX|Annex|ANNEX)\s+([0-9]+|[IVXLC]+|[A-Z])\b",
        )
        .ok()
    });
    let text = line.trim();
    if text.is_empty() || text.chars().count() > HEADING_CHARS {
        return None;
    }
    // `# Title`: the hashes, then a space (`#ifdef` or `#1` starting a line of plain text
    // is no heading).
    let hashes = text.chars().take_while(|&c| c == '#').count();
    if hashes > 0 {
        let title = text[hashes..].strip_prefix(' ').map(str::trim);
        return title
            .filter(|t| !t.is_empty())
            .map(|t| (hashes, t.to_owned()));
    }
    let above = above.trim_end();
    let starts_a_block = above.trim().is_empty() || above.ends_with(['.', ':', ';', '?', '!', ')']);
    if !starts_a_block {
        return None;
    }
    let words = text.split_whitespace().count();
    let sentence = text.ends_with('.') && words > 12;
    if NAMED.as_ref().is_some_and(|re| re.is_match(text)) && !sentence {
        return Some((1, text.to_owned()));
    }
    // A numbered statement ("4. The Supplier shall deliver the goods.") is an item, not a
    // title.
    let statement =
        text.ends_with('.') && !titled(&text.split_whitespace().skip(1).collect::<Vec<_>>());
    if let Some(caps) = NUMBERED.as_ref().and_then(|re| re.captures(text))
        && !sentence
        && !statement
        && words <= 12
    {
        let level = caps.get(1).map_or(1, |m| m.as_str().split('.').count());
        return Some((level, text.to_owned()));
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let capitals = letters >= 4 && !text.chars().any(char::is_lowercase) && words <= 10;
    capitals.then(|| (1, text.to_owned()))
}

/// Longest title a sentence can be, in words: "Section 9.5 Dispute Resolution: Governing
/// Law." is one; a statement in capitals is longer.
const TITLE_WORDS: usize = 12;

/// Small words a title keeps in lower case: "Limitation of Liability".
const TITLE_SMALL_WORDS: [&str; 12] = [
    "of", "and", "or", "the", "to", "for", "in", "on", "a", "an", "by", "with",
];

/// A heading or a label rather than a statement: `# Rent`, `**Date:** 1 March 2026`,
/// `10.5 Governing Law.`, `Section 9.5 Dispute Resolution: Governing Law.`.
pub fn is_heading(sentence: &str) -> bool {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    sentence.starts_with('#')
        || words.len() < 4
        || (words.len() <= TITLE_WORDS && titled(&words))
        || (words.len() <= LABEL_WORDS && !sentence.trim_end().ends_with(STATEMENT_ENDS))
}

/// Longest line without a closing mark that is taken for a label ("MÉMO INTERNE — Service
/// juridique"): a statement ends in one.
const LABEL_WORDS: usize = 6;
const STATEMENT_ENDS: [char; 8] = ['.', '?', '!', ':', ';', ')', '"', '”'];

/// Whether every word with letters starts with a capital, small words aside, as the words
/// of a title do.
fn titled(words: &[&str]) -> bool {
    words.iter().all(|word| {
        let letters = word.trim_matches(|c: char| !c.is_alphanumeric());
        match letters.chars().next() {
            None => true,
            Some(first) if !first.is_alphabetic() => true,
            Some(first) => {
                first.is_uppercase()
                    || TITLE_SMALL_WORDS
                        .iter()
                        .any(|small| letters.eq_ignore_ascii_case(small))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_markdown_named_numbered_or_capital_lines_and_sentences_are_not() {
        let heading = |line: &str| heading_of(line, "").map(|(level, _)| level);
        assert_eq!(heading("# Residential Lease"), Some(1));
        assert_eq!(heading("### 4.2 Deposit"), Some(3));
        assert_eq!(heading("ARTICLE 6 FEES"), Some(1));
        assert_eq!(heading("Section 7. Training"), Some(1));
        assert_eq!(heading("6. Training Costs and Expenses"), Some(1));
        assert_eq!(heading("6.2 Training Costs and Expenses"), Some(2));
        assert_eq!(heading("6.3.4.1 Initial Training"), Some(4));
        assert_eq!(heading("MASTER SERVICES AGREEMENT"), Some(1));
        assert_eq!(
            heading(
                "6.2.1 The Franchisee shall pay the Initial Franchise Fee in full when this \
                 Agreement is signed."
            ),
            None,
            "a numbered sentence is a clause, not a heading"
        );
        assert_eq!(heading("The tenant pays rent monthly."), None);
        assert_eq!(heading("12 months"), None, "no capital after the number");
        assert_eq!(heading("NDA"), None, "too short to tell");
        assert_eq!(heading(""), None);
        assert_eq!(
            heading("13. Use with the GNU Affero General Public License."),
            Some(1)
        );
        assert_eq!(
            heading("section 13, concerning interaction through a network"),
            None,
            "a Section heading starts with a capital"
        );
        // In text wrapped by hand, a line inside a paragraph is no heading.
        let inside = |line: &str, above: &str| heading_of(line, above).is_some();
        assert!(!inside(
            "7. This requirement modifies the requirement in section 4 to",
            "    b) The work must carry prominent notices stating that it is"
        ));
        assert!(inside("7. Additional Terms.", "  "));
        assert!(inside("7. Additional Terms.", "of the license."));
        assert!(
            inside("## 4. Rent", "and then the rent"),
            "Markdown is a heading anywhere"
        );
        assert_eq!(
            heading("#ifdefs in the source code."),
            None,
            "no space: no Markdown"
        );
    }

    #[test]
    fn a_short_titled_sentence_is_a_heading_and_a_statement_is_not() {
        assert!(is_heading("10.5 Governing Law."));
        assert!(is_heading("Section 9.5 Dispute Resolution: Governing Law."));
        assert!(is_heading("ARTICLE 12 LIMITATION OF LIABILITY"));
        assert!(!is_heading(
            "This Agreement is governed by the laws of Ohio."
        ));
        assert!(!is_heading(
            "THIS AGREEMENT WILL BE GOVERNED IN ALL RESPECTS BY THE LAWS OF THE STATE OF DELAWARE."
        ));
        // A short line with no closing mark is a label; a short statement ends in one.
        assert!(is_heading("MÉMO INTERNE — Service juridique"));
        assert!(!is_heading("The tenant pays rent monthly."));
    }

    #[test]
    fn the_outline_finds_article_and_section_headings_inside_run_on_lines() {
        let text = "DISTRIBUTION AGREEMENT\n\n\
            This Agreement is made between Alder Ltd and Birch Inc. 1. DEFINITIONS 1.1 In this \
            Agreement the following words have these meanings. 2. APPOINTMENT AND TERRITORY 2.1. \
            Grant of Rights. Alder appoints Birch as its distributor. 2.2. Exclusivity. Alder \
            shall not appoint another distributor. 2.3 We have the right to sell directly. See \
            section 4 of Schedule 2. 17 DEFAULT AND TERMINATION 17.1 Either party may end this \
            Agreement. 18 NOTICES 19.1 This is no heading: the section is not the article's.\n\
            \n   3. Payment Terms.  Birch pays within thirty days.\n\
            4. The Supplier shall deliver the goods.\n";
        let found: Vec<(usize, &str)> = outline(text)
            .iter()
            .map(|h| (h.level, &text[h.offset..]))
            .collect();
        let titles: Vec<(usize, String)> = outline(text)
            .into_iter()
            .map(|h| (h.level, h.text))
            .collect();
        assert_eq!(
            titles,
            [
                (1, "DISTRIBUTION AGREEMENT".to_owned()),
                (1, "1. DEFINITIONS".to_owned()),
                (1, "2. APPOINTMENT AND TERRITORY".to_owned()),
                (2, "2.1. Grant of Rights".to_owned()),
                (2, "2.2. Exclusivity".to_owned()),
                (1, "17 DEFAULT AND TERMINATION".to_owned()),
                (1, "3. Payment Terms".to_owned()),
            ]
        );
        // Each heading's offset is where it starts in the text.
        assert!(found[1].1.starts_with("1. DEFINITIONS 1.1"));
        assert!(found[4].1.starts_with("2.2. Exclusivity."));
        assert!(found[5].1.starts_with("17 DEFAULT"));
    }
}
