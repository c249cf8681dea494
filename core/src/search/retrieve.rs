//! One search, by BM25, by vector, or both fused: ranking, then the hits with their
//! passages from SQLite.

use std::collections::HashSet;

use serde::Serialize;

use super::fusion::{self, Fused, FusionWeights, Rankings};
use super::vectors::VectorHit;
use super::{Hit, Retriever, SearchError};
use crate::storage::Database;
use crate::storage::documents::{self, ChunkDetails};

/// How chunks are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Exact terms (Tantivy BM25).
    Bm25,
    /// Meaning (embedding similarity).
    Vector,
    /// Both, fused by reciprocal rank.
    Hybrid,
}

impl Mode {
    /// Every mode, for front ends to offer.
    pub const ALL: [Mode; 3] = [Mode::Bm25, Mode::Vector, Mode::Hybrid];

    /// The mode's name, as the user writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Bm25 => "bm25",
            Mode::Vector => "vector",
            Mode::Hybrid => "hybrid",
        }
    }
}

crate::named::parse_by_name!(Mode, "search mode");

/// What to look for.
#[derive(Debug, Clone, Copy)]
pub struct SearchRequest<'a> {
    pub text: &'a str,
    pub limit: usize,
    /// Candidates each ranking contributes before fusion.
    pub candidates: usize,
    /// Only chunks of these documents, when given.
    pub scope: Option<&'a [i64]>,
    pub weights: FusionWeights,
}

/// The outcome: the mode actually used and the hits, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retrieval {
    pub mode: Mode,
    pub hits: Vec<Hit>,
}

/// Ranks chunks for `request` by `mode`, the words by `index` (the local Tantivy index or
/// another [`Retriever`]), then reads the hits' passages from SQLite. Vector and hybrid modes ask `nearest` for the
/// vector candidates (how many, and the documents in scope) after the BM25 ranking, so
/// that the query can be embedded meanwhile; when it has none (no embedder, no vectors)
/// the search is BM25 alone. `clauses` is then given the documents to rank by the clause
/// detector (the scope, else the documents of the candidates, best first) and returns its
/// ranking, empty when the question names no clause type. A ranked chunk that SQLite no
/// longer holds (the index has yet to catch up) is left out.
pub fn retrieve(
    index: &dyn Retriever,
    db: &Database,
    mode: Mode,
    request: &SearchRequest<'_>,
    nearest: impl FnOnce(usize, Option<&HashSet<i64>>) -> Option<Vec<VectorHit>>,
    clauses: impl FnOnce(&[i64]) -> Vec<super::ClauseHit>,
) -> Result<Retrieval, SearchError> {
    let ranked = rank(index, mode, request, nearest, clauses)?;
    let snippets = index.snippets(request.text)?;
    let ids: Vec<i64> = ranked.fused.iter().map(|f| f.chunk_id).collect();
    let chunks = documents::chunk_details(&*db.conn()?, &ids, request.limit)?;
    let hits = ranked
        .hits(chunks)
        .map(|(mut hit, text)| {
            hit.snippet = snippets.cut(&text);
            hit
        })
        .collect();
    Ok(Retrieval {
        mode: ranked.mode,
        hits,
    })
}

/// Chunks ranked by one search, before their passages are read.
pub struct Ranked {
    /// The mode actually used.
    pub mode: Mode,
    pub fused: Vec<Fused>,
    /// Whether the clause detector ranked chunks too.
    pub by_clause: bool,
    clause_hits: Vec<super::ClauseHit>,
    bm25: Vec<super::RankedChunk>,
    nearest: Vec<VectorHit>,
}

impl Ranked {
    /// The hits for `chunks` (read for `fused`, in its order, less those deleted
    /// meanwhile), each with its chunk's text, without snippets.
    pub fn hits(&self, chunks: Vec<ChunkDetails>) -> impl Iterator<Item = (Hit, String)> + '_ {
        let mut ranked = self.fused.iter();
        chunks.into_iter().filter_map(move |chunk| {
            let f = ranked.find(|f| f.chunk_id == chunk.chunk_id)?;
            let score = match self.mode {
                _ if self.by_clause => f.fused_score,
                Mode::Bm25 => f.bm25_rank.map_or(0.0, |r| self.bm25[r - 1].score),
                Mode::Vector => f.vector_rank.map_or(0.0, |r| self.nearest[r - 1].score),
                Mode::Hybrid => f.fused_score,
            };
            let (mut hit, text) = chunk.into_hit(score, f.bm25_rank, f.vector_rank, f.fused_score);
            hit.clause_rank = f.clause_rank;
            hit.clause_sentence = f
                .clause_rank
                .and_then(|r| self.clause_hits.get(r - 1))
                .and_then(|c| c.sentence);
            Some((hit, text))
        })
    }
}

/// Ranks chunks for `request` by `mode` (see [`retrieve`]), without reading them.
pub fn rank(
    index: &dyn Retriever,
    mode: Mode,
    request: &SearchRequest<'_>,
    nearest: impl FnOnce(usize, Option<&HashSet<i64>>) -> Option<Vec<VectorHit>>,
    clauses: impl FnOnce(&[i64]) -> Vec<super::ClauseHit>,
) -> Result<Ranked, SearchError> {
    let candidates = |mode| match mode {
        Mode::Hybrid => request.candidates.max(request.limit),
        _ => request.limit,
    };
    let mut bm25 = match mode {
        Mode::Vector => Vec::new(),
        _ => index.rank(request.text, candidates(mode), request.scope)?,
    };
    let vector_side = match mode {
        Mode::Bm25 => None,
        _ => {
            let scope: Option<HashSet<i64>> = request.scope.map(|s| s.iter().copied().collect());
            nearest(candidates(mode), scope.as_ref())
        }
    };
    let (mode, nearest) = match (mode, vector_side) {
        (Mode::Bm25, _) => (Mode::Bm25, Vec::new()),
        (mode, Some(nearest)) => (mode, nearest),
        (Mode::Vector, None) => {
            bm25 = index.rank(request.text, candidates(Mode::Bm25), request.scope)?;
            (Mode::Bm25, Vec::new())
        }
        (Mode::Hybrid, None) => (Mode::Bm25, Vec::new()),
    };
    let candidates = candidates(mode);
    // A quoted phrase is exact in every mode: BM25 finds only passages holding it, and
    // vectors (and the detector) may reorder those but add none.
    let exact: Option<HashSet<i64>> = if super::query::quotes_a_phrase(request.text) {
        if bm25.is_empty() {
            bm25 = index.rank(request.text, candidates, request.scope)?;
        }
        Some(bm25.iter().map(|r| r.chunk_id).collect())
    } else {
        None
    };
    let holds_phrases = |chunk: &i64| exact.as_ref().is_none_or(|e| e.contains(chunk));
    let bm25_ids: Vec<i64> = bm25.iter().map(|r| r.chunk_id).collect();
    let vector_ids: Vec<i64> = nearest
        .iter()
        .map(|v| v.chunk_id)
        .filter(holds_phrases)
        .collect();
    let documents: Vec<i64> = match request.scope {
        Some(scope) => {
            // The scope's documents the candidates are in first, best first.
            let mut documents = candidate_documents(&bm25, &nearest);
            let listed: HashSet<i64> = scope.iter().copied().collect();
            documents.retain(|d| listed.contains(d));
            let found: HashSet<i64> = documents.iter().copied().collect();
            documents.extend(scope.iter().filter(|d| !found.contains(d)));
            documents
        }
        None => candidate_documents(&bm25, &nearest),
    };
    let mut clause_hits = if request.weights.clause > 0.0 {
        clauses(&documents)
    } else {
        Vec::new()
    };
    clause_hits.retain(|c| holds_phrases(&c.chunk_id));
    let clause_ids: Vec<i64> = clause_hits.iter().map(|c| c.chunk_id).collect();
    let rankings = Rankings {
        bm25: &bm25_ids,
        vector: &vector_ids,
        clause: &clause_ids,
    };
    // Ranking a few more than asked leaves room for chunks deleted meanwhile.
    let fused = fusion::fuse(rankings, request.weights, candidates);
    Ok(Ranked {
        mode,
        fused,
        by_clause: !clause_ids.is_empty(),
        clause_hits,
        bm25,
        nearest,
    })
}

/// The documents of BM25's and the vectors' candidates, in the order their best chunks
/// rank (the two rankings taken in turns), each once.
fn candidate_documents(bm25: &[super::RankedChunk], nearest: &[VectorHit]) -> Vec<i64> {
    let mut seen = HashSet::new();
    let mut documents = Vec::new();
    for i in 0..bm25.len().max(nearest.len()) {
        let pair = [
            bm25.get(i).map(|r| r.doc_id),
            nearest.get(i).map(|v| v.document_id),
        ];
        for document in pair.into_iter().flatten() {
            if seen.insert(document) {
                documents.push(document);
            }
        }
    }
    documents
}
