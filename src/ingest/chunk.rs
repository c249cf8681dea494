//! Chunking: document text cut at paragraph, then sentence, then word boundaries into
//! passages of at most `[ingest] chunk_chars` characters, each repeating up to
//! `chunk_overlap` characters of the one before, and each knowing its pages and offsets.

use text_splitter::{ChunkConfig, ChunkConfigError, TextSplitter};

use crate::extract::{DocumentText, char_slices};
use crate::storage::documents::ChunkRecord;

pub struct Chunker {
    splitter: TextSplitter<text_splitter::Characters>,
}

impl Chunker {
    pub fn new(chunk_chars: usize, overlap: usize) -> Result<Chunker, ChunkConfigError> {
        let config = ChunkConfig::new(chunk_chars).with_overlap(overlap)?;
        Ok(Chunker {
            splitter: TextSplitter::new(config),
        })
    }

    /// Chunks page by page, so that a citation always points at one page.
    pub fn chunks(&self, document: &DocumentText) -> Vec<ChunkRecord> {
        let text = &document.text;
        let total_chars = document.chars;
        let starts = &document.page_starts;
        let page_ranges = (0..starts.len()).map(|i| {
            let end = starts.get(i + 1).copied().unwrap_or(total_chars);
            (starts[i], end)
        });
        let mut chunks = Vec::new();
        for (index, (page, &char_start)) in char_slices(text, page_ranges)
            .into_iter()
            .zip(starts)
            .enumerate()
        {
            for piece in self.splitter.chunk_char_indices(page) {
                let start = char_start + piece.char_offset;
                chunks.push(ChunkRecord {
                    page_start: index + 1,
                    page_end: index + 1,
                    char_start: start,
                    char_end: (start + piece.chunk.chars().count()).min(total_chars),
                });
            }
        }
        chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let chunks = chunker.chunks(&doc);
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
