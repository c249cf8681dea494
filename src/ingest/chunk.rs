//! Chunking: document text cut at paragraph, then sentence, then word boundaries into
//! passages of at most `[ingest] chunk_chars` characters, each repeating up to
//! `chunk_overlap` characters of the one before, and each knowing its pages and offsets.

use text_splitter::{ChunkConfig, ChunkConfigError, TextSplitter};

use crate::extract::DocumentText;
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

    pub fn chunks(&self, document: &DocumentText) -> Vec<ChunkRecord> {
        self.splitter
            .chunk_char_indices(&document.text)
            .map(|piece| {
                let char_start = piece.char_offset;
                let char_end = char_start + piece.chunk.chars().count();
                ChunkRecord {
                    page_start: document.page_of(char_start),
                    page_end: document.page_of(char_end.saturating_sub(1).max(char_start)),
                    char_start,
                    char_end,
                    text: piece.chunk.to_owned(),
                }
            })
            .collect()
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
        let sentence = "The tenant shall pay the rent on the first day of each month. ";
        let page = sentence.repeat(12);
        let doc = document(&[&page, &page, "Signed by both parties."]);
        let chunker = Chunker::new(300, 60).unwrap();
        let chunks = chunker.chunks(&doc);
        assert!(chunks.len() > 6);
        let chars: Vec<char> = doc.text.chars().collect();
        for chunk in &chunks {
            assert!(chunk.text.chars().count() <= 300);
            let slice: String = chars[chunk.char_start..chunk.char_end].iter().collect();
            assert_eq!(slice, chunk.text, "offsets point at the chunk's own text");
            assert_eq!(chunk.page_start, doc.page_of(chunk.char_start));
            assert!(chunk.page_start <= chunk.page_end);
        }
        // Every page is covered, and a chunk never splits a sentence when one fits.
        assert_eq!(chunks.last().unwrap().page_end, 3);
        assert!(chunks.iter().all(|c| c.text.ends_with('.')));
        // Overlap: consecutive chunks on the same page share text.
        assert!(chunks[1].char_start < chunks[0].char_end);
    }
}
