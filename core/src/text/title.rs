//! A document's title read from its first lines, for documents whose format carries none
//! (plain text, Markdown, a PDF or DOCX without one in its metadata): the agreement's name
//! a contract opens with ("JOINT DEVELOPMENT AGREEMENT", under "EXHIBIT 10.1"), a Markdown
//! document's first heading, or a short first line set as a title.

/// How far into the text a title is looked for, in bytes.
const REACH: usize = 1_500;
/// The longest title taken, in characters.
const LONGEST: usize = 90;
/// The most words a title has.
const MOST_WORDS: usize = 12;

/// Words that name what kind of document it is: a line holding one is the title before
/// any other title-like line.
const KINDS: &[&str] = &[
    "agreement",
    "agreements",
    "contract",
    "lease",
    "license",
    "licence",
    "amendment",
    "addendum",
    "memorandum",
    "deed",
    "policy",
    "terms",
    "plan",
    "minutes",
    "letter",
    "order",
    "statement",
    "notice",
    "report",
    "memo",
    "understanding",
    "charter",
    "bylaws",
    "guarantee",
    "guaranty",
    "note",
    "certificate",
    "resolution",
    "resolutions",
    "protocol",
    "nda",
];

/// Small words a title in title case leaves in lower case.
const SMALL_WORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "between", "by", "for", "in", "of", "on", "or", "the", "to",
    "with", "de", "du", "des", "la", "le", "und", "der",
];

/// The title the text opens with, if it has one; see the module's description. Cells of a
/// line set apart by runs of spaces ("Exhibit 10.34   INTERNET CHANNEL COOPERATION
/// AGREEMENT   Contract Number: …") are read one by one.
pub fn document_title(text: &str) -> Option<String> {
    let mut end = REACH.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut candidates = Vec::new();
    for line in text[..end].lines() {
        let heading = line.trim_start().starts_with('#');
        for cell in line.split('\t').flat_map(|part| part.split("   ")) {
            // Markup and rules around it: "# Title", "**TITLE**", "AGREEMENT ---------".
            let cell = cell.trim().trim_start_matches('#').trim_matches(|c: char| {
                matches!(c, '*' | '_' | '-' | '=' | '~') || c.is_whitespace()
            });
            if cell.is_empty() {
                continue;
            }
            candidates.push((cell, heading));
        }
    }
    let titles: Vec<(usize, &str, bool)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, (cell, heading))| !boilerplate(cell) && (title_like(cell) || *heading))
        .map(|(at, (cell, heading))| (at, *cell, *heading))
        .collect();
    let names_a_kind =
        |cell: &str| crate::text::words(cell).any(|w| KINDS.contains(&w.to_lowercase().as_str()));
    let capitals = |cell: &str| !cell.chars().any(char::is_lowercase);
    titles
        .iter()
        // A name in capitals before one in title case, which is as often a running header
        // ("Acme-Birch Supply Agreement (Execution Copy)" over "SUPPLY AGREEMENT").
        .find(|(_, cell, _)| names_a_kind(cell) && capitals(cell))
        .or_else(|| titles.iter().find(|(_, cell, _)| names_a_kind(cell)))
        .or_else(|| titles.iter().find(|(_, _, heading)| *heading))
        // Else a title-like line among the very first, without figures (not "Effective
        // February 21, 2011"): a memo's or a report's name.
        .or_else(|| {
            titles
                .iter()
                .find(|(at, cell, _)| *at < 2 && !cell.chars().any(|c| c.is_ascii_digit()))
        })
        .map(|(_, cell, _)| cell.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Lines that stand at the top of filed documents without naming them: exhibit and
/// schedule labels, filing stamps, confidentiality legends, draft marks, page numbers.
fn boilerplate(cell: &str) -> bool {
    let lower = cell.to_lowercase();
    let words: Vec<&str> = crate::text::words(&lower).collect();
    let first = words.first().copied().unwrap_or_default();
    let label = matches!(
        first,
        "exhibit" | "schedule" | "annex" | "appendix" | "attachment"
    ) && words.len() <= 3;
    label
        || cell.starts_with('[')
        || lower.starts_with("table of contents")
        || lower.starts_with("effective")
        || lower.starts_with("dated")
        || lower.starts_with("source:")
        || lower.starts_with("confidential")
        || lower.starts_with("execution")
        || lower.starts_with("draft")
        || lower.starts_with("page ")
        || words.iter().all(|w| w.chars().all(|c| c.is_ascii_digit()))
}

/// Whether a cell reads as a title: short, not a sentence, and in capitals or title case.
fn title_like(cell: &str) -> bool {
    let words: Vec<&str> = cell.split_whitespace().collect();
    if cell.chars().count() > LONGEST
        || words.is_empty()
        || words.len() > MOST_WORDS
        || !cell.chars().any(char::is_alphabetic)
        || cell.ends_with(['.', ',', ';', ':'])
        // A field ("Contract No.: 1513", "Address: …"), not a name.
        || cell.contains(':')
        // A numbered clause or a contents line ("2. Contract Identification", "7 General
        // Terms … 12").
        || cell.starts_with(|c: char| c.is_ascii_digit())
        || words
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()) && w.len() < 4)
    {
        return false;
    }
    let first = words[0].trim_matches(|c: char| !c.is_alphanumeric());
    if first.eq_ignore_ascii_case("this") || first.eq_ignore_ascii_case("the") && words.len() > 6 {
        return false;
    }
    let capitals = !cell.chars().any(char::is_lowercase);
    let title_case = words.iter().all(|word| {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        bare.chars().next().is_none_or(|c| !c.is_lowercase())
            || SMALL_WORDS.contains(&bare)
            || bare.contains('-')
    });
    capitals || title_case
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contracts_name_under_its_exhibit_label_is_its_title() {
        let text = "EXHIBIT 10.1\n\nJOINT DEVELOPMENT AGREEMENT\n\nbetween\n\nNORTHWIND ENERGY, \
                    INC.\n\nand\n\nEXAMPLE POWER LTD.\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("JOINT DEVELOPMENT AGREEMENT")
        );
    }

    #[test]
    fn a_title_among_cells_of_a_line_is_found_and_a_filing_legend_is_not_one() {
        let text = "Exhibit 10.34   CHANNEL COOPERATION AGREEMENT   Contract Number: 1810\n  \
                    Party A:\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("CHANNEL COOPERATION AGREEMENT")
        );
        let text = "Exhibit 10.1 [***] = Certain confidential information has been omitted.\n\
                    Acme-Birch Supply Agreement (Execution Copy March 27, 2019)\nSUPPLY AGREEMENT\n";
        assert_eq!(document_title(text).as_deref(), Some("SUPPLY AGREEMENT"));
    }

    #[test]
    fn a_markdown_heading_or_a_short_first_line_is_a_title_and_prose_is_not() {
        assert_eq!(
            document_title("# Employment contract\n\nThe employer, Acme Ltd, …").as_deref(),
            Some("Employment contract")
        );
        assert_eq!(
            document_title("Board Minutes\n\nPresent: the directors.\n").as_deref(),
            Some("Board Minutes")
        );
        assert_eq!(
            document_title(
                "THIS LICENSE AND RESELLER AGREEMENT dated as of October 30, 2018 is made \
                 BETWEEN: ACME, INC., a company incorporated in Ontario.\n"
            ),
            None
        );
        assert_eq!(
            document_title("The tenant pays rent monthly. The landlord repairs the roof.\n"),
            None
        );
        assert_eq!(document_title(""), None);
    }
}
