//! Reciprocal rank fusion: the BM25, vector and clause rankings combined by rank, not by
//! score (their scores are not comparable). A chunk at rank `r` (1-based) in a ranking with
//! weight `w` gains `w / (k + r)`; chunks found by several rankings add each.

use std::collections::HashMap;

/// How to fuse: `[retrieval]` rrf_k, bm25_weight, vector_weight and clause_weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionWeights {
    pub k: f32,
    pub bm25: f32,
    pub vector: f32,
    /// The clause detector's ranking, for a question about a clause type.
    pub clause: f32,
}

impl From<&crate::config::RetrievalConfig> for FusionWeights {
    fn from(retrieval: &crate::config::RetrievalConfig) -> FusionWeights {
        FusionWeights {
            k: retrieval.rrf_k,
            bm25: retrieval.bm25_weight,
            vector: retrieval.vector_weight,
            clause: retrieval.clause_weight,
        }
    }
}

/// A chunk's place in each ranking and its fused score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fused {
    pub chunk_id: i64,
    pub bm25_rank: Option<usize>,
    pub vector_rank: Option<usize>,
    pub clause_rank: Option<usize>,
    pub fused_score: f32,
}

/// The rankings to fuse, each of chunk ids, best first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rankings<'a> {
    pub bm25: &'a [i64],
    pub vector: &'a [i64],
    pub clause: &'a [i64],
}

/// Fuses the rankings and keeps the best `limit`. Ties keep the BM25 order, then the
/// vector order, then the clause order, so results are stable.
pub fn fuse(rankings: Rankings<'_>, weights: FusionWeights, limit: usize) -> Vec<Fused> {
    let mut by_chunk: HashMap<i64, usize> = HashMap::new();
    let mut fused: Vec<Fused> = Vec::new();
    let lists = [
        (rankings.bm25, weights.bm25, 0),
        (rankings.vector, weights.vector, 1),
        (rankings.clause, weights.clause, 2),
    ];
    for (ranking, weight, which) in lists {
        for (index, &chunk_id) in ranking.iter().enumerate() {
            let rank = index + 1;
            let slot = *by_chunk.entry(chunk_id).or_insert_with(|| {
                fused.push(Fused {
                    chunk_id,
                    bm25_rank: None,
                    vector_rank: None,
                    clause_rank: None,
                    fused_score: 0.0,
                });
                fused.len() - 1
            });
            let entry = &mut fused[slot];
            let rank_field = match which {
                0 => &mut entry.bm25_rank,
                1 => &mut entry.vector_rank,
                _ => &mut entry.clause_rank,
            };
            // A chunk listed twice in one ranking counts once, at its best rank.
            if rank_field.is_none() {
                *rank_field = Some(rank);
                entry.fused_score += weight / (weights.k + rank as f32);
            }
        }
    }
    // A stable sort keeps first-seen order among equal scores.
    fused.sort_by(|a, b| b.fused_score.total_cmp(&a.fused_score));
    fused.truncate(limit);
    fused
}

/// The embedding model's vector ranking with the fast model's standing in for the chunks
/// the model has not reached (`has_full` says which it has): each chunk counts once, at its
/// rank by the best model that has its vector, and the rankings interleave by rank (equal
/// ranks: the model's first), the best `limit`. A fast-only chunk keeps its fast score:
/// scores of the two models are not comparable, ranks are.
pub fn fuse_vector_rankings(
    full: &[super::VectorHit],
    fast: &[super::VectorHit],
    has_full: impl Fn(i64) -> bool,
    limit: usize,
) -> Vec<super::VectorHit> {
    let stand_ins = fast
        .iter()
        .enumerate()
        .filter(|(_, hit)| !has_full(hit.chunk_id));
    let mut ranked: Vec<(usize, u8, super::VectorHit)> = full
        .iter()
        .enumerate()
        .map(|(rank, hit)| (rank, 0, *hit))
        .chain(stand_ins.map(|(rank, hit)| (rank, 1, *hit)))
        .collect();
    ranked.sort_by_key(|(rank, kind, _)| (*rank, *kind));
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, _, hit)| hit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVEN: FusionWeights = FusionWeights {
        k: 60.0,
        bm25: 1.0,
        vector: 1.0,
        clause: 1.0,
    };

    fn two(bm25: &[i64], vector: &[i64]) -> Rankings<'static> {
        Rankings {
            bm25: bm25.to_vec().leak(),
            vector: vector.to_vec().leak(),
            clause: &[],
        }
    }

    #[test]
    fn a_chunk_both_rankings_find_beats_one_found_once_higher() {
        let fused = fuse(two(&[1, 2, 3], &[3, 4, 1]), EVEN, 10);
        let order: Vec<i64> = fused.iter().map(|f| f.chunk_id).collect();
        assert_eq!(order, [1, 3, 2, 4]);
        assert_eq!(fused[0].bm25_rank, Some(1));
        assert_eq!(fused[0].vector_rank, Some(3));
        assert!((fused[0].fused_score - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-6);
        assert_eq!(fused[2].vector_rank, None);
        assert_eq!(fused[3].bm25_rank, None);
    }

    #[test]
    fn weights_and_limit_apply() {
        let vector_only = FusionWeights { bm25: 0.0, ..EVEN };
        let fused = fuse(two(&[1, 2], &[2, 9]), vector_only, 1);
        assert_eq!(fused.len(), 1);
        assert_eq!(fused[0].chunk_id, 2);
        // Equal scores keep the BM25 order.
        let fused = fuse(two(&[5, 6], &[]), EVEN, 10);
        assert_eq!(fused[0].chunk_id, 5);
        assert!(fuse(Rankings::default(), EVEN, 10).is_empty());
        // A duplicate in one ranking counts once.
        let fused = fuse(two(&[7, 7], &[]), EVEN, 10);
        assert_eq!(fused.len(), 1);
        assert!((fused[0].fused_score - 1.0 / 61.0).abs() < 1e-6);
    }

    #[test]
    fn a_clause_ranking_weighed_above_bm25_leads_the_fusion() {
        let weights = FusionWeights {
            clause: 4.0,
            ..EVEN
        };
        let rankings = Rankings {
            bm25: &[1, 2, 3],
            vector: &[],
            clause: &[3, 9],
        };
        let fused = fuse(rankings, weights, 10);
        let order: Vec<i64> = fused.iter().map(|f| f.chunk_id).collect();
        assert_eq!(order, [3, 9, 1, 2]);
        assert_eq!(fused[0].clause_rank, Some(1));
        assert_eq!(fused[0].bm25_rank, Some(3));
        assert_eq!(fused[2].clause_rank, None);
    }

    #[test]
    fn the_fast_ranking_stands_in_only_for_chunks_without_a_full_vector_interleaved_by_rank() {
        let hit = |chunk_id, score| crate::search::VectorHit {
            chunk_id,
            document_id: 1,
            score,
        };
        // Chunk 4 has no vector from the model; the others have one.
        let full = [hit(1, 0.9), hit(2, 0.8), hit(3, 0.7)];
        let fast = [hit(2, 0.5), hit(4, 0.4), hit(1, 0.3)];
        let fused = super::fuse_vector_rankings(&full, &fast, |c| c != 4, 3);
        let ids: Vec<i64> = fused.iter().map(|h| h.chunk_id).collect();
        // Rank 1: the model's 1; rank 2: the model's 2, then the stand-in 4.
        assert_eq!(ids, [1, 2, 4]);
        assert_eq!(
            fused[1].score, 0.8,
            "a chunk the model has keeps the model's score"
        );
        assert_eq!(fused[2].score, 0.4, "a stand-in keeps its own");
        let all = super::fuse_vector_rankings(&full, &fast, |c| c != 4, 10);
        assert_eq!(all.len(), 4, "each chunk once");
    }
}
