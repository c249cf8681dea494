//! A document prepared for the viewer: its text as stored and as redacted, each with line
//! starts and PII spans in byte offsets, and the page ranges. Prepared once, off the UI
//! thread, so scrolling a large document only ever touches the lines on screen.
//!
//! The viewer scrolls by display row, not by line: a paragraph taller than the pane is read
//! row by row. Rows come from one function, `wrap::wrap_rows`, so the screen and every jump
//! agree on where a row starts.

use super::wrap::wrap_rows;
use kodiak::pii::PiiKind;
use kodiak::storage::documents::PiiSpan;
pub use kodiak::text::Heading;

/// Where a document opens: a passage (in characters, as stored) and what in it to single
/// out, when known: a citation's quote, a search, an answer's sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    pub passage: (usize, usize),
    pub about: Option<String>,
}

impl Focus {
    /// The passage alone, highlighted whole (a checklist's quote is its own sentence).
    pub fn passage(start: usize, end: usize) -> Focus {
        Focus {
            passage: (start, end),
            about: None,
        }
    }

    /// The passage, with the sentence of it that `about` quotes or matches singled out.
    pub fn about(start: usize, end: usize, about: &str) -> Focus {
        Focus {
            passage: (start, end),
            about: Some(about.to_owned()),
        }
    }
}

/// A highlighted stretch of one rendition, in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    /// The PII type, e.g. `EMAIL_ADDRESS`.
    pub kind: PiiKind,
}

/// One way of showing the text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendition {
    pub text: String,
    /// Byte offset where each line starts; the first is 0.
    pub line_starts: Vec<usize>,
    /// PII in text order.
    pub pii: Vec<Span>,
}

impl Rendition {
    fn new(text: String, pii: Vec<Span>) -> Rendition {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Rendition {
            text,
            line_starts,
            pii,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of line `index`, without its line break.
    pub fn line(&self, index: usize) -> (usize, usize) {
        let start = self
            .line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        (start, end.max(start))
    }

    /// The display rows of line `index` at `width` cells, as byte ranges of the text.
    pub fn rows(&self, index: usize, width: usize) -> Vec<(usize, usize)> {
        let (start, end) = self.line(index);
        wrap_rows(&self.text[start..end], width)
            .into_iter()
            .map(|(s, e)| (start + s, start + e))
            .collect()
    }

    /// The line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// Every case-insensitive occurrence of `query`, as byte ranges.
    pub fn find(&self, query: &str) -> Vec<(usize, usize)> {
        if query.is_empty() {
            return Vec::new();
        }
        let pattern = regex::RegexBuilder::new(&regex::escape(query))
            .case_insensitive(true)
            .build();
        match pattern {
            Ok(pattern) => pattern
                .find_iter(&self.text)
                .map(|m| (m.start(), m.end()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// A document as the viewer shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedDocument {
    pub doc_id: i64,
    pub title: String,
    pub original: Rendition,
    pub redacted: Rendition,
    /// Byte range of each page in the original text.
    pub pages: Vec<(usize, usize)>,
    /// The number printed on each page (its "- 3 -" or "Page 3 of 80" line), when it has
    /// one.
    pub printed_pages: Vec<Option<u32>>,
    /// A passage to show highlighted (a cited one), in bytes of the original text.
    pub focus: Option<(usize, usize)>,
    /// The sentence of that passage the focus is about, in bytes of the original text.
    pub focus_sentence: Option<(usize, usize)>,
    /// The headings, in text order.
    pub headings: Vec<Heading>,
    /// Pages read by OCR: (1-based number, mean word confidence 0-100).
    pub ocr_pages: Vec<(usize, f32)>,
}

impl PreparedDocument {
    /// `pages`, `pii` and `focus` are in characters, as stored.
    pub fn new(
        doc_id: i64,
        title: String,
        text: String,
        pages: &[(usize, usize)],
        pii: &[PiiSpan],
        focus: Option<&Focus>,
    ) -> PreparedDocument {
        let bytes = CharToByte::new(&text);
        let passage = focus.map(|f| {
            let (start, end) = f.passage;
            (bytes.at(start), bytes.at(end).max(bytes.at(start)))
        });
        let about = focus.and_then(|f| f.about.as_deref());
        let focus_sentence = passage.zip(about).and_then(|((start, end), about)| {
            let sentence = kodiak::answer::sentence_about(text.get(start..end)?, about)?;
            Some((start + sentence.start, start + sentence.end))
        });
        let pages: Vec<(usize, usize)> = pages
            .iter()
            .map(|&(start, end)| (bytes.at(start), bytes.at(end)))
            .collect();
        // Stored spans do not overlap; keep them in order and skip any that would.
        let mut original_pii: Vec<(Span, &str)> = Vec::with_capacity(pii.len());
        for span in pii {
            let (start, end) = (bytes.at(span.start), bytes.at(span.end));
            if start >= end
                || original_pii
                    .last()
                    .is_some_and(|(last, _)| last.end > start)
            {
                continue;
            }
            let kind = span.kind.clone();
            original_pii.push((Span { start, end, kind }, span.placeholder.as_str()));
        }
        let mut redacted_text = String::with_capacity(text.len());
        let mut redacted_pii = Vec::with_capacity(original_pii.len());
        let mut at = 0;
        for (span, placeholder) in &original_pii {
            redacted_text.push_str(&text[at..span.start]);
            let start = redacted_text.len();
            redacted_text.push_str(placeholder);
            redacted_pii.push(Span {
                start,
                end: redacted_text.len(),
                kind: span.kind.clone(),
            });
            at = span.end;
        }
        redacted_text.push_str(&text[at..]);
        let original_pii = original_pii.into_iter().map(|(span, _)| span).collect();
        let original = Rendition::new(text, original_pii);
        let headings = kodiak::text::outline(&original.text);
        let printed_pages = pages
            .iter()
            .map(|&(start, end)| {
                let page = original.text.get(start..end).unwrap_or_default();
                kodiak::text::printed_page_number(page)
            })
            .collect();
        PreparedDocument {
            doc_id,
            // Shown on one line, as a pane title: control characters escaped.
            title: crate::sanitize::line(&title).into_owned(),
            original,
            redacted: Rendition::new(redacted_text, redacted_pii),
            pages,
            printed_pages,
            focus: passage,
            focus_sentence,
            headings,
            ocr_pages: Vec::new(),
        }
    }

    /// The same, knowing which pages OCR read and how sure it was.
    pub fn with_ocr_pages(mut self, ocr_pages: Vec<(usize, f32)>) -> PreparedDocument {
        self.ocr_pages = ocr_pages;
        self
    }

    /// OCR's confidence on `page` (1-based), when OCR read it.
    pub fn ocr_confidence(&self, page: usize) -> Option<f32> {
        self.ocr_pages
            .iter()
            .find(|(number, _)| *number == page)
            .map(|(_, confidence)| *confidence)
    }

    /// The byte offset in the redacted text of `offset` in the original (or back, with
    /// `to_redacted` false). An offset inside a span maps to the span's start.
    pub fn map_offset(&self, offset: usize, to_redacted: bool) -> usize {
        let (from, to) = if to_redacted {
            (&self.original.pii, &self.redacted.pii)
        } else {
            (&self.redacted.pii, &self.original.pii)
        };
        let before = from.partition_point(|span| span.end <= offset);
        if let Some(span) = from.get(before)
            && span.start <= offset
        {
            return to[before].start;
        }
        match before.checked_sub(1) {
            None => offset,
            Some(last) => offset - from[last].end + to[last].end,
        }
    }

    /// The number printed on 1-based `page`, when it differs from its place.
    pub fn printed_page(&self, page: usize) -> Option<u32> {
        let printed = (*self.printed_pages.get(page.checked_sub(1)?)?)?;
        (usize::try_from(printed).ok() != Some(page)).then_some(printed)
    }

    /// The 1-based page holding byte `offset` of the original text.
    pub fn page_of(&self, offset: usize) -> usize {
        self.pages
            .partition_point(|&(start, _)| start <= offset)
            .max(1)
    }
}

/// Character offsets to byte offsets in one pass over the text.
struct CharToByte {
    /// Byte offset of every character, plus the text's length at the end.
    offsets: Vec<usize>,
}

impl CharToByte {
    fn new(text: &str) -> CharToByte {
        let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        offsets.push(text.len());
        CharToByte { offsets }
    }

    fn at(&self, char_offset: usize) -> usize {
        self.offsets
            .get(char_offset)
            .or(self.offsets.last())
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(kind: &str, start: usize, end: usize, placeholder: &str) -> PiiSpan {
        PiiSpan {
            kind: PiiKind::from_name(kind),
            start,
            end,
            score: 0.9,
            placeholder: placeholder.into(),
        }
    }

    #[test]
    fn renditions_keep_spans_lines_and_pages_in_bytes() {
        // "é" is two bytes: character offsets and byte offsets differ after it.
        let text = "Café with ann@example.com\nCall Mr Bob Ray.\n\nPage two.".to_owned();
        let pii = [
            span("EMAIL_ADDRESS", 10, 25, "[EMAIL_ADDRESS_1]"),
            span("PERSON", 31, 41, "[PERSON_1]"),
        ];
        let doc = PreparedDocument::new(
            7,
            "t".into(),
            text,
            &[(0, 44), (44, 53)],
            &pii,
            Some(&Focus::passage(31, 41)),
        );
        let o = &doc.original;
        assert_eq!(&o.text[o.pii[0].start..o.pii[0].end], "ann@example.com");
        assert_eq!(&o.text[o.pii[1].start..o.pii[1].end], "Mr Bob Ray");
        let (start, end) = doc.focus.unwrap();
        assert_eq!(
            &o.text[start..end],
            "Mr Bob Ray",
            "the focus is in bytes too"
        );
        assert_eq!(o.line_count(), 4);
        assert_eq!(&o.text[o.line(1).0..o.line(1).1], "Call Mr Bob Ray.");
        let r = &doc.redacted;
        assert_eq!(
            r.text,
            "Café with [EMAIL_ADDRESS_1]\nCall [PERSON_1].\n\nPage two."
        );
        assert_eq!(&r.text[r.pii[1].start..r.pii[1].end], "[PERSON_1]");
        assert_eq!(doc.page_of(o.line(3).0), 2);
        assert_eq!(doc.page_of(0), 1);

        // Offsets map across the renditions, before, inside and after spans.
        let after = o.text.find("Page").unwrap();
        let mapped = doc.map_offset(after, true);
        assert_eq!(&r.text[mapped..mapped + 4], "Page");
        assert_eq!(doc.map_offset(mapped, false), after);
        assert_eq!(doc.map_offset(o.pii[0].start + 3, true), r.pii[0].start);
        assert_eq!(doc.map_offset(2, true), 2);

        assert_eq!(o.find("CALL").len(), 1);
        assert_eq!(o.find("a.b").len(), 0, "the query is literal text");
        assert_eq!(o.line_of(o.find("Page")[0].0), 3);
    }
}
