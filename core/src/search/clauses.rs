//! The clause detector as a ranking: when a question names a clause type ("which law
//! governs…"), the chunks of the documents in question are ranked by how likely their best
//! sentence is a clause of that type, beside BM25 and vectors. On CUAD's questions the
//! passage holding the lawyers' clause is then far more often among the first five (the
//! README's retrieval table): BM25 finds the question's words, the detector the clause,
//! whatever words it is written in.

use rusqlite::Connection;

use crate::clauses::question::{DOCUMENT_NAME, QuestionTypes};
use crate::clauses::{ClauseModel, Reader, Scores};
use crate::storage::documents::{self, ChunkPlace};
use crate::text::char_slices;

/// Clauses nearly every contract has. The detector's other types also fire on prose that
/// is no contract (a third of scientific abstracts "have" a minimum commitment), so its
/// ranking is used only in documents where it finds one of these: 238 of the 263 CUAD
/// training contracts, 31 of 2,101 SciFact abstracts.
const HALLMARKS: &[&str] = &[
    "governing_law",
    "anti_assignment",
    "license_grant",
    "cap_on_liability",
];

/// Most documents read for one question: reading a contract costs some milliseconds, and a
/// question over a whole matter is ranked within the documents its best candidates are in.
pub const MAX_DOCUMENTS: usize = 24;

/// A chunk the detector ranks, and where in it its most likely sentence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClauseHit {
    pub chunk_id: i64,
    /// That sentence, in characters of the document, within the chunk; None for a
    /// document's first chunk ranked for its name.
    pub sentence: Option<(usize, usize)>,
}

/// Ranks chunks by the clause detector for questions that name a clause type.
pub struct ClauseRanker {
    model: std::sync::Arc<ClauseModel>,
    questions: &'static QuestionTypes,
}

impl ClauseRanker {
    pub fn new(model: std::sync::Arc<ClauseModel>) -> ClauseRanker {
        ClauseRanker {
            model,
            questions: QuestionTypes::shared(),
        }
    }

    /// The clause types `question` names that the model knows (or the document's name);
    /// empty when it names none.
    pub fn asked(&self, question: &str) -> Vec<&'static str> {
        self.questions
            .asked(question)
            .into_iter()
            .filter(|id| *id == DOCUMENT_NAME || self.model.type_index(id).is_some())
            .collect()
    }

    /// The chunks of `documents` (in the order given, at most [`MAX_DOCUMENTS`]) ranked for
    /// `types`, best first, at most `limit`: by the detector's probability of their most
    /// likely sentence, those below the type's `unsure` threshold and documents that do not
    /// read as contracts left out; for the document's name, each document's first chunk.
    pub fn rank(
        &self,
        conn: &Connection,
        types: &[&str],
        documents: &[i64],
        limit: usize,
    ) -> rusqlite::Result<Vec<ClauseHit>> {
        let kinds: Vec<usize> = types
            .iter()
            .filter_map(|id| self.model.type_index(id))
            .collect();
        let wants_name = types.contains(&DOCUMENT_NAME);
        let mut scored: Vec<(f32, usize, ClauseHit)> = Vec::new();
        let mut reader = Reader::new();
        for (order, &document) in documents.iter().take(MAX_DOCUMENTS).enumerate() {
            let places: Vec<ChunkPlace> = documents::places_with_pages(conn, document)?
                .into_iter()
                .map(|(place, _)| place)
                .collect();
            if wants_name && let Some(first) = places.first() {
                let hit = ClauseHit {
                    chunk_id: first.chunk_id,
                    sentence: None,
                };
                scored.push((1.0, order, hit));
            }
            if kinds.is_empty() {
                continue;
            }
            let Some((text, _)) = documents::text(conn, document)? else {
                continue;
            };
            let scores = self.model.read(&mut reader, &text);
            if !self.reads_as_contract(&scores) {
                continue;
            }
            let units = &scores.document.units;
            let slices = char_slices(&text, places.iter().map(|p| (p.char_start, p.char_end)));
            for (place, slice) in places.iter().zip(slices) {
                let start = slice.as_ptr() as usize - text.as_ptr() as usize;
                let end = start + slice.len();
                let mut best: Option<(f32, usize)> = None;
                for (i, unit) in units.iter().enumerate() {
                    if unit.heading || unit.end <= start || end <= unit.start {
                        continue;
                    }
                    for &t in &kinds {
                        let p = scores.probability(i, t);
                        if p >= self.model.types[t].unsure && best.is_none_or(|(b, _)| p > b) {
                            best = Some((p, i));
                        }
                    }
                }
                if let Some((p, i)) = best {
                    // The sentence's part inside the chunk, in the document's characters.
                    let unit = &units[i];
                    let (from, to) = (unit.start.max(start), unit.end.min(end));
                    let at = place.char_start + text[start..from].chars().count();
                    let sentence = Some((at, at + text[from..to].chars().count()));
                    let hit = ClauseHit {
                        chunk_id: place.chunk_id,
                        sentence,
                    };
                    scored.push((p, order, hit));
                }
            }
        }
        // Best first; equal scores in the documents' order, then the chunks'.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut seen = std::collections::HashSet::new();
        Ok(scored
            .into_iter()
            .filter(|(_, _, hit)| seen.insert(hit.chunk_id))
            .map(|(_, _, hit)| hit)
            .take(limit)
            .collect())
    }

    /// Whether the detector finds, with confidence, a clause nearly every contract has.
    fn reads_as_contract(&self, scores: &Scores) -> bool {
        HALLMARKS
            .iter()
            .filter_map(|id| self.model.type_index(id))
            .any(|t| {
                scores.document.units.iter().enumerate().any(|(i, unit)| {
                    !unit.heading && scores.probability(i, t) >= self.model.types[t].found
                })
            })
    }
}
