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

    /// Chunks page by page, so that a citation always points at one page.
    pub fn chunks(&self, document: &DocumentText) -> Vec<ChunkRecord> {
        let text = &document.text;
        let total_chars = text.chars().count();
        // Byte offset of each page start (page starts are kept in characters).
        let mut byte_starts = Vec::with_capacity(document.page_starts.len());
        let mut starts = document.page_starts.iter().peekable();
        for (char_index, (byte_index, _)) in text.char_indices().enumerate() {
            while starts.next_if(|&&start| start <= char_index).is_some() {
                byte_starts.push(byte_index);
            }
        }
        byte_starts.resize(document.page_starts.len(), text.len());
        let mut chunks = Vec::new();
        for (index, (&byte_start, &char_start)) in
            byte_starts.iter().zip(&document.page_starts).enumerate()
        {
            let byte_end = byte_starts.get(index + 1).copied().unwrap_or(text.len());
            let page = text.get(byte_start..byte_end).unwrap_or_default();
            for piece in self.splitter.chunk_char_indices(page) {
                let start = char_start + piece.char_offset;
                chunks.push(ChunkRecord {
                    page_start: index + 1,
                    page_end: index + 1,
                    char_start: start,
                    char_end: (start + piece.chunk.chars().count()).min(total_chars),
                    text: piece.chunk.to_owned(),
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
        let sentence = "The tenant shall pay the rent on the first day of each month. ";
        let page = sentence.repeat(12);
        let doc = document(&[&page, &page, "Signed by both parties."]);
        let chunker = Chunker::new(300, 100).unwrap();
        let chunks = chunker.chunks(&doc);
        assert!(chunks.len() >= 6, "{}", chunks.len());
        let chars: Vec<char> = doc.text.chars().collect();
        for chunk in &chunks {
            assert!(chunk.text.chars().count() <= 300);
            let slice: String = chars[chunk.char_start..chunk.char_end].iter().collect();
            assert_eq!(slice, chunk.text, "offsets point at the chunk's own text");
            assert_eq!(chunk.page_start, doc.page_of(chunk.char_start));
            assert_eq!(
                chunk.page_end,
                doc.page_of(chunk.char_end - 1),
                "one page each"
            );
        }
        // Every page is covered, and a chunk never splits a sentence when one fits.
        assert_eq!(chunks.last().unwrap().page_end, 3);
        assert!(chunks.iter().all(|c| c.text.ends_with('.')));
        // Overlap: consecutive chunks on the same page share text.
        assert!(chunks[1].char_start < chunks[0].char_end);
    }
}
