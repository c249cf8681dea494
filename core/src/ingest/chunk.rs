//! Chunking: document text cut at paragraph, then sentence, then word boundaries into
//! passages of at most `[ingest] chunk_chars` characters, each repeating up to
//! `chunk_overlap` characters of the one before, and each knowing its pages and offsets.

use text_splitter::{ChunkConfig, ChunkConfigError, TextSplitter};

use std::time::Instant;

use crate::extract::DocumentText;
use crate::storage::documents::ChunkRecord;
use crate::text::char_slices;

/// Cuts a document's text into overlapping chunks of about `chunk_chars` characters, at sentence
/// and section boundaries where it can.
pub struct Chunker {
    splitter: TextSplitter<text_splitter::Characters>,
    /// The longest section (in characters) the splitter is given at once.
    section_chars: usize,
}

/// Sections are this many chunks long at most. The splitter looks for sentence boundaries
/// across all the text it is given, for every chunk it cuts: over a long run of text
/// without a blank line its work grows with the square of the length (a one-line file of
/// 8 MB took 506 s). Cutting the text first into sections of bounded length, at the best
/// boundary near the end of each, keeps the whole linear. Measured on 50 MB on one line:
/// 16 chunks a section chunked at 10.6 MB/s, 8 at 26.1 MB/s, for 0.3% more chunks (each
/// section's last one is shorter).
const SECTION_CHUNKS: usize = 8;

/// Chunking took longer than the file's time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfTime;

impl Chunker {
    /// A chunker for chunks of `chunk_chars` characters overlapping by `overlap`; fails when the
    /// overlap is not smaller.
    pub fn new(chunk_chars: usize, overlap: usize) -> Result<Chunker, ChunkConfigError> {
        let config = ChunkConfig::new(chunk_chars).with_overlap(overlap)?;
        Ok(Chunker {
            splitter: TextSplitter::new(config),
            section_chars: chunk_chars.saturating_mul(SECTION_CHUNKS).max(1),
        })
    }

    /// Chunks page by page, so that a citation always points at one page; gives up at
    /// `deadline`.
    pub fn chunks(
        &self,
        document: &DocumentText,
        deadline: Instant,
    ) -> Result<Vec<ChunkRecord>, OutOfTime> {
        let text = &document.text;
        let total_chars = document.chars;
        let starts = &document.page_starts;
        let page_ranges = (0..starts.len()).map(|i| {
            let end = starts.get(i + 1).copied().unwrap_or(total_chars);
            (starts[i], end)
        });
        let mut chunks = Vec::new();
        for (index, (page, &page_start)) in char_slices(text, page_ranges)
            .into_iter()
            .zip(starts)
            .enumerate()
        {
            for (section_start, section) in sections(page, self.section_chars) {
                if Instant::now() >= deadline {
                    return Err(OutOfTime);
                }
                for piece in self.splitter.chunk_char_indices(section) {
                    let start = page_start + section_start + piece.char_offset;
                    chunks.push(ChunkRecord {
                        page_start: index + 1,
                        page_end: index + 1,
                        char_start: start,
                        char_end: (start + piece.chunk.chars().count()).min(total_chars),
                    });
                }
            }
        }
        Ok(chunks)
    }
}

/// `text` cut into sections of at most `max_chars` characters, each with its character
/// offset in `text`. A section ends at the last paragraph break in the second half of its
/// allowance, else the last line break, sentence end or space there, else at the limit.
/// Each step reads only its own section, so the whole is linear in the text's length.
fn sections(text: &str, max_chars: usize) -> Vec<(usize, &str)> {
    let mut sections = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    loop {
        let Some((limit, _)) = rest.char_indices().nth(max_chars) else {
            if !rest.is_empty() {
                sections.push((offset, rest));
            }
            return sections;
        };
        let window = &rest[..limit];
        let half = window.floor_char_boundary(limit / 2);
        let cut = ["\n\n", "\n", ". ", " "]
            .iter()
            .find_map(|boundary| {
                window[half..]
                    .rfind(boundary)
                    .map(|at| half + at + boundary.len())
            })
            .unwrap_or(limit);
        let (section, after) = rest.split_at(cut);
        sections.push((offset, section));
        offset += section.chars().count();
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn far_future() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    fn document(pages: &[&str]) -> DocumentText {
        DocumentText::new(&crate::extract::Extracted {
            format: crate::extract::Format::Text,
            title: None,
            pages: pages.iter().map(|p| p.to_string()).collect(),
            metadata: Default::default(),
            attachments: Vec::new(),
        })
    }

    #[test]
    fn chunks_map_back_to_their_text_and_pages() {
        // Accents and a symbol outside the BMP: offsets count characters, not bytes.
        let sentence = "The tenant shall pay the rent (€950, café 🏠 included) each month. ";
        let page = sentence.repeat(12);
        let pages = [page.trim_end(), page.trim_end(), "Signed by both parties."];
        let doc = document(&pages);
        let chunker = Chunker::new(300, 100).unwrap();
        let chunks = chunker.chunks(&doc, far_future()).unwrap();
        assert!(chunks.len() >= 6, "{}", chunks.len());
        let chars: Vec<char> = doc.text.chars().collect();
        let text = |chunk: &ChunkRecord| -> String {
            chars[chunk.char_start..chunk.char_end].iter().collect()
        };
        // The offsets point at exactly the passages the splitter cut, page by page.
        let passages: Vec<&str> = pages
            .iter()
            .flat_map(|page| chunker.splitter.chunks(page))
            .collect();
        let cut: Vec<String> = chunks.iter().map(text).collect();
        assert_eq!(cut, passages);
        for chunk in &chunks {
            assert!(chunk.char_end - chunk.char_start <= 300);
            assert_eq!(chunk.page_start, doc.page_of(chunk.char_start));
            assert_eq!(
                chunk.page_end,
                doc.page_of(chunk.char_end - 1),
                "one page each"
            );
        }
        // Every page is covered, and a chunk never splits a sentence when one fits.
        assert_eq!(chunks.last().unwrap().page_end, 3);
        assert!(chunks.iter().all(|c| text(c).ends_with('.')));
        // Overlap: consecutive chunks on the same page share text.
        assert!(chunks[1].char_start < chunks[0].char_end);
    }
}

#[cfg(test)]
mod section_tests {
    use super::*;
    use std::time::Duration;

    /// `count` words from a small vocabulary, in a fixed pseudo-random order, separated by
    /// single spaces: no sentence or line ends anywhere.
    pub fn words(count: usize) -> String {
        const WORDS: [&str; 10] = [
            "supplier", "deliver", "goods", "time", "full", "buyer", "price", "clause", "notice",
            "term",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut text = String::with_capacity(count * 7);
        for i in 0..count {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            if i > 0 {
                text.push(' ');
            }
            text.push_str(WORDS[(state >> 33) as usize % WORDS.len()]);
        }
        text
    }

    #[test]
    fn sections_cover_the_text_exactly_and_end_at_the_best_boundary() {
        let text = "One sentence here. Another one follows.\n\nA new paragraph starts. ".repeat(40);
        let parts = sections(&text, 200);
        assert!(parts.len() > 10);
        let joined: String = parts.iter().map(|(_, s)| *s).collect();
        assert_eq!(joined, text);
        let mut offset = 0;
        for (start, section) in &parts {
            assert_eq!(*start, offset);
            assert!(section.chars().count() <= 200);
            offset += section.chars().count();
        }
        // Paragraph breaks win where there is one in reach.
        assert!(
            parts[..parts.len() - 1]
                .iter()
                .all(|(_, s)| s.ends_with("\n\n"))
        );
        // Without any boundary, the cut falls at the limit, between characters.
        let dense = "é".repeat(1000);
        let parts = sections(&dense, 300);
        assert_eq!(
            parts
                .iter()
                .map(|(_, s)| s.chars().count())
                .collect::<Vec<_>>(),
            [300, 300, 300, 100]
        );
    }

    #[test]
    fn a_four_megabyte_text_without_blank_lines_is_chunked_and_a_passed_deadline_stops_chunking() {
        // 4 MB of words on one line, without a sentence end: the splitter alone took
        // minutes on this (1 MB: 3.9 s; its time grew with the square of the length).
        let text = words(600_000);
        let document = DocumentText::new(&crate::extract::Extracted {
            format: crate::extract::Format::Text,
            title: None,
            pages: vec![text],
            metadata: Default::default(),
            attachments: Vec::new(),
        });
        let chunker = Chunker::new(1000, 100).unwrap();
        let far = Instant::now() + Duration::from_secs(3600);
        let chunks = chunker.chunks(&document, far).unwrap();
        assert!(chunks.len() > 4000, "{}", chunks.len());
        assert!(chunks.windows(2).all(|w| w[0].char_start < w[1].char_start));
        assert_eq!(chunks.last().unwrap().char_end, document.chars);
        assert_eq!(chunker.chunks(&document, Instant::now()), Err(OutOfTime));
    }
}
