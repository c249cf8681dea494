//! A contract read as units: its sentences, which of them are headings, and the heading
//! each sentence stands under. A heading is never a clause; its words tell what the
//! sentences below it are about.

use crate::text::{is_heading, sentence_ranges, words};

/// One sentence of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// Byte range in the document's text.
    pub start: usize,
    pub end: usize,
    /// A heading or a label ("10.5 Governing Law."): context for what follows, never a
    /// quote.
    pub heading: bool,
    /// The heading this sentence stands under: the nearest heading above it that names
    /// something (a bare number or "Page 5" does not).
    pub section: Option<usize>,
}

/// The units of `text`, in order.
pub fn units(text: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut section = None;
    for (start, end) in sentence_ranges(text) {
        let sentence = &text[start..end];
        let heading = is_heading(sentence);
        units.push(Unit {
            start,
            end,
            heading,
            section,
        });
        if heading && names_something(sentence) {
            section = Some(units.len() - 1);
        }
    }
    units
}

/// Whether a heading has a word of three letters or more that is not a page label.
fn names_something(heading: &str) -> bool {
    words(heading).any(|w| {
        w.chars().filter(|c| c.is_alphabetic()).count() >= 3 && !w.eq_ignore_ascii_case("page")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_stands_under_the_last_heading_that_names_something() {
        let text = "10.5 Governing Law. This Agreement is governed by the laws of Ohio.\n\n\
                    Page 7\n\nThe courts of Ohio have jurisdiction.";
        let got = units(text);
        let shown: Vec<(&str, bool, Option<usize>)> = got
            .iter()
            .map(|u| (&text[u.start..u.end], u.heading, u.section))
            .collect();
        assert_eq!(
            shown,
            [
                ("10.5 Governing Law.", true, None),
                (
                    "This Agreement is governed by the laws of Ohio.",
                    false,
                    Some(0)
                ),
                ("Page 7", true, Some(0)),
                ("The courts of Ohio have jurisdiction.", false, Some(0)),
            ]
        );
    }
}
