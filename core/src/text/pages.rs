//! Pages of plain text: a contract saved as text keeps its printed page numbers as lines
//! ("Page 3 of 80", "- 3 -", a bare "3") or its page breaks as form feeds. Those lines
//! give a text file the pages its reader cites, and a page's own number line tells its
//! printed number where it differs from its place (a PDF whose first pages are unnumbered).

use std::sync::LazyLock;

use regex::Regex;

/// A line holding only a page number: `Page 3`, `Page 3 of 80`, `- 3 -`, `-3-`, or a bare
/// `3` (group 2).
static PAGE_LINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:(?i:page)\s+(\d{1,4})(?:\s+of\s+\d{1,4})?|-\s*(\d{1,4})\s*-|(\d{1,4}))\s*$")
        .ok()
});

/// Most page-number lines weighed when looking for the run of pages (bare numbers are
/// common in tables).
const MOST_CANDIDATES: usize = 20_000;

/// The page number `line` holds alone, and whether it is a bare number (which counts only
/// between blank lines).
fn page_number(line: &str) -> Option<(u32, bool)> {
    let caps = PAGE_LINE.as_ref()?.captures(line)?;
    let (number, bare) = match (caps.get(1).or(caps.get(2)), caps.get(3)) {
        (Some(number), _) => (number, false),
        (None, Some(number)) => (number, true),
        (None, None) => return None,
    };
    Some((number.as_str().parse().ok()?, bare))
}

/// The printed number of a page, from a number line among its first or last two lines
/// with text.
pub fn printed_page_number(page: &str) -> Option<u32> {
    let lines: Vec<&str> = page.lines().filter(|l| !l.trim().is_empty()).collect();
    let ends = lines.iter().take(2).chain(lines.iter().rev().take(2));
    ends.filter_map(|line| page_number(line))
        .map(|(n, _)| n)
        .next()
}

/// A page-number line of the text: where it starts and ends (after its line break).
#[derive(Debug, Clone, Copy)]
struct NumberLine {
    start: usize,
    end: usize,
    number: u32,
}

/// `text` cut into its pages: at form feeds when it has them; else at its page-number
/// lines when at least two of them count up one by one (1, 2, 3… or from a later page). A
/// number line ends its page (a footer) unless the text before the first one is too short
/// to be the pages it numbers before it, then it starts its page (a header). Text without
/// either is one page.
pub fn split_pages(text: &str) -> Vec<&str> {
    if text.contains('\u{c}') {
        let mut pages: Vec<&str> = text.split('\u{c}').collect();
        if pages.len() > 1 && pages.last().is_some_and(|p| p.trim().is_empty()) {
            pages.pop();
        }
        return pages;
    }
    let run = numbered_run(&number_lines(text));
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return vec![text];
    };
    // The pages' mean length, and where the first number line would be as a footer (after
    // its own page) or as a header (after the pages before it).
    let pages_between = (last.number - first.number) as usize;
    let length = (last.start - first.start) / pages_between.max(1);
    let pages_before = first.number.saturating_sub(1) as usize;
    let as_footer = (pages_before + 1) * length;
    let as_header = pages_before * length;
    let footer = first.start.abs_diff(as_footer) <= first.start.abs_diff(as_header);
    let mut pages = Vec::with_capacity(run.len() + 1);
    let mut at = 0;
    for line in &run {
        let cut = if footer { line.end } else { line.start };
        if cut > at {
            pages.push(&text[at..cut]);
            at = cut;
        }
    }
    match pages.last_mut() {
        // Blank lines after the last footer belong to its page.
        Some(page) if text[at..].trim().is_empty() => *page = &text[at - page.len()..],
        _ => pages.push(&text[at..]),
    }
    pages
}

/// The page-number lines of `text`; a bare number counts only between blank lines (or the
/// text's ends).
fn number_lines(text: &str) -> Vec<NumberLine> {
    let mut found = Vec::new();
    let mut start = 0;
    let mut above_blank = true;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let below_blank = lines.get(i + 1).is_none_or(|l| l.trim().is_empty());
        if let Some((number, bare)) = page_number(line)
            && (!bare || (above_blank && below_blank))
            && found.len() < MOST_CANDIDATES
        {
            found.push(NumberLine {
                start,
                end: start + line.len(),
                number,
            });
        }
        above_blank = line.trim().is_empty();
        start += line.len();
    }
    found
}

/// The longest run of number lines counting up by one, at least two long; empty when
/// there is none.
fn numbered_run(lines: &[NumberLine]) -> Vec<NumberLine> {
    // For each line, the longest run ending there: (its length, the line before it).
    let mut best: Vec<(usize, Option<usize>)> = Vec::with_capacity(lines.len());
    // The latest line holding each number, so each step looks back once.
    let mut latest: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for (i, line) in lines.iter().enumerate() {
        let before = line
            .number
            .checked_sub(1)
            .and_then(|n| latest.get(&n).copied());
        let length = before.map_or(1, |b| best[b].0 + 1);
        best.push((length, before));
        latest.insert(line.number, i);
    }
    let Some(end) = (0..best.len()).max_by_key(|&i| (best[i].0, std::cmp::Reverse(i))) else {
        return Vec::new();
    };
    if best[end].0 < 2 {
        return Vec::new();
    }
    let mut run = Vec::with_capacity(best[end].0);
    let mut at = Some(end);
    while let Some(i) = at {
        run.push(lines[i]);
        at = best[i].1;
    }
    run.reverse();
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str, footer: &str) -> String {
        format!(
            "{body} Lorem ipsum dolor sit amet.\n{}\n\n   {footer}\n\n",
            "x ".repeat(60)
        )
    }

    #[test]
    fn footers_end_their_pages_and_each_page_keeps_its_number_line() {
        let text = [
            page("First", "Page 1 of 3"),
            page("Second", "Page 2 of 3"),
            page("Third", "Page 3 of 3"),
        ]
        .concat();
        let pages = split_pages(&text);
        assert_eq!(pages.len(), 3, "{pages:?}");
        assert!(
            pages[1].trim_start().starts_with("Second"),
            "{:?}",
            pages[1]
        );
        assert_eq!(pages.concat(), text, "nothing lost or repeated");
        let printed: Vec<Option<u32>> = pages.iter().map(|p| printed_page_number(p)).collect();
        assert_eq!(printed, [Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn an_unnumbered_first_page_and_dash_footers_from_two() {
        let text = [
            page("Cover", "").trim_end().to_owned() + "\n\n",
            page("Second", "-2-"),
            page("Third", "- 3 -"),
            page("Fourth", "-4-"),
            "IN WITNESS WHEREOF the parties sign.\n".to_owned(),
        ]
        .concat();
        let pages = split_pages(&text);
        // The cover and page 2 end at the first footer; the signature page has none.
        assert_eq!(pages.len(), 4, "{pages:?}");
        assert!(pages[0].starts_with("Cover") && pages[0].contains("Second"));
        assert!(pages[3].trim_start().starts_with("IN WITNESS"));
        assert_eq!(pages.concat(), text);
        assert_eq!(printed_page_number(pages[0]), Some(2));
    }

    #[test]
    fn headers_start_their_pages() {
        let text = format!(
            "Page 1\n\nOpening text {x}\n\nPage 2\n\nMiddle text {x}\n\nPage 3\n\nClosing {x}\n",
            x = "word ".repeat(40)
        );
        let pages = split_pages(&text);
        assert_eq!(pages.len(), 3, "{pages:?}");
        assert!(pages[1].starts_with("Page 2"));
        assert!(pages[2].starts_with("Page 3"));
    }

    #[test]
    fn form_feeds_are_page_breaks() {
        let pages = split_pages("one\n\u{c}two\n\u{c}three\n\u{c}");
        assert_eq!(pages, ["one\n", "two\n", "three\n"]);
    }

    #[test]
    fn numbers_that_do_not_count_up_or_sit_in_text_make_no_pages() {
        // A bare number inside a table, a quantity line, one lone page line.
        let text = "Item\n12\nunits\n\n7\n\nPage 4\n\nThe end.\n";
        assert_eq!(split_pages(text), [text]);
        let counted = "Qty\n\n3\n\nmore\n\n4\n\nend";
        assert_eq!(
            split_pages(counted),
            ["Qty\n\n", "3\n\nmore\n\n", "4\n\nend"],
            "bare numbers between blank lines count (as headers: too little text before 3 \
             for it to end the third page)"
        );
    }
}
