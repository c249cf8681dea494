//! What answers and checklists cite: a search hit (a chunk of a document, with its place),
//! the numbered passage made of it, the citation that quotes it, and the markers (`[2]`,
//! `[1, 3]`) that point to passages in a model's text. Search produces hits, answers and
//! checklists cite them, grounding checks them: each of those imports this, and this
//! imports none of them.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// `[2]`, `[1, 3]`, `[1][2]` (each bracket on its own).
static MARKER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]").ok());

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub doc_id: i64,
    pub chunk_id: i64,
    pub path: String,
    pub title: String,
    pub page: usize,
    /// OCR's mean word confidence (0-100) on that page, when OCR read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_confidence: Option<f32>,
    /// Where the chunk lies in the document's text, in characters.
    pub char_start: usize,
    pub char_end: usize,
    /// The score of the ranking used: BM25, cosine similarity, or the fused score.
    pub score: f32,
    /// 1-based rank among BM25 candidates; None when BM25 did not find the chunk.
    pub bm25_rank: Option<usize>,
    /// 1-based rank among vector candidates; None when vector search did not find it.
    pub vector_rank: Option<usize>,
    /// 1-based rank by the clause detector, for a question naming a clause type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause_rank: Option<usize>,
    /// The detector's most likely sentence of the clause asked about, in characters of
    /// the document: the evidence to quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause_sentence: Option<(usize, usize)>,
    /// Reciprocal rank fusion of the ranks (see `search::fusion`).
    pub fused_score: f32,
    /// A passage around the best match, matched terms wrapped in `**`.
    pub snippet: String,
}

/// "page 3", or "page 3 (OCR, 91% confidence)" for a page OCR read.
pub fn page_label(page: usize, ocr_confidence: Option<f32>) -> String {
    match ocr_confidence {
        Some(confidence) => format!("page {page} (OCR, {confidence:.0}% confidence)"),
        None => format!("page {page}"),
    }
}

impl Hit {
    /// "page 3", or "page 3 (OCR, 91% confidence)" for a page OCR read.
    pub fn page_label(&self) -> String {
        page_label(self.page, self.ocr_confidence)
    }

    /// What to call the hit's document: its title, else its file name.
    pub fn label(&self) -> &str {
        crate::files::document_label(Some(&self.title), &self.path)
    }
}

/// A passage given to the model (or shown, in extractive mode), numbered from 1: the
/// search hit it came from, with the chunk's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub n: usize,
    #[serde(flatten)]
    pub hit: Hit,
    /// Not serialized: the quote and snippet carry what is needed.
    #[serde(skip)]
    pub text: String,
}

/// A passage the answer cites, with the sentence of it that best supports the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    pub n: usize,
    pub doc_id: i64,
    pub chunk_id: i64,
    pub path: String,
    pub title: String,
    pub page: usize,
    /// OCR's mean word confidence on that page, when OCR read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_confidence: Option<f32>,
    pub char_start: usize,
    pub char_end: usize,
    /// Verbatim from the chunk's text.
    pub quote: String,
}

/// The numbers cited in `text`, in order of first appearance.
pub fn markers(text: &str) -> Vec<usize> {
    let mut seen = HashSet::new();
    marker_spans(text)
        .into_iter()
        .flat_map(|(_, numbers)| numbers)
        .filter(|n| seen.insert(*n))
        .collect()
}

/// Each citation marker in `text`: where it stands (bytes) and the numbers it cites.
pub fn marker_spans(text: &str) -> Vec<(std::ops::Range<usize>, Vec<usize>)> {
    let Some(pattern) = MARKER.as_ref() else {
        return Vec::new();
    };
    pattern
        .captures_iter(text)
        .filter_map(|caps| {
            let numbers = caps[1]
                .split(',')
                .filter_map(|n| n.trim().parse::<usize>().ok())
                .collect();
            Some((caps.get(0)?.range(), numbers))
        })
        .collect()
}
