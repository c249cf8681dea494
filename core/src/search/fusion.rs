//! Reciprocal rank fusion: BM25 and vector rankings combined by rank, not by score (their
//! scores are not comparable). A chunk at rank `r` (1-based) in a ranking with weight `w`
//! gains `w / (k + r)`; chunks found by both rankings add both.

use std::collections::HashMap;

/// How to fuse: `[retrieval]` rrf_k, bm25_weight and vector_weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionWeights {
    pub k: f32,
    pub bm25: f32,
    pub vector: f32,
}

impl From<&crate::config::RetrievalConfig> for FusionWeights {
    fn from(retrieval: &crate::config::RetrievalConfig) -> FusionWeights {
        FusionWeights {
            k: retrieval.rrf_k,
            bm25: retrieval.bm25_weight,
            vector: retrieval.vector_weight,
        }
    }
}

/// A chunk's place in each ranking and its fused score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fused {
    pub chunk_id: i64,
    pub bm25_rank: Option<usize>,
    pub vector_rank: Option<usize>,
    pub fused_score: f32,
}

/// Fuses two rankings of chunk ids (best first) and keeps the best `limit`. Ties keep the
/// BM25 order, then the vector order, so results are stable.
pub fn fuse(bm25: &[i64], vector: &[i64], weights: FusionWeights, limit: usize) -> Vec<Fused> {
    let mut by_chunk: HashMap<i64, usize> = HashMap::new();
    let mut fused: Vec<Fused> = Vec::new();
    let rankings = [(bm25, weights.bm25, true), (vector, weights.vector, false)];
    for (ranking, weight, is_bm25) in rankings {
        for (index, &chunk_id) in ranking.iter().enumerate() {
            let rank = index + 1;
            let slot = *by_chunk.entry(chunk_id).or_insert_with(|| {
                fused.push(Fused {
                    chunk_id,
                    bm25_rank: None,
                    vector_rank: None,
                    fused_score: 0.0,
                });
                fused.len() - 1
            });
            let entry = &mut fused[slot];
            let rank_field = if is_bm25 {
                &mut entry.bm25_rank
            } else {
                &mut entry.vector_rank
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

#[cfg(test)]
mod tests {
    use super::*;

    const EVEN: FusionWeights = FusionWeights {
        k: 60.0,
        bm25: 1.0,
        vector: 1.0,
    };

    #[test]
    fn a_chunk_both_rankings_find_beats_one_found_once_higher() {
        let fused = fuse(&[1, 2, 3], &[3, 4, 1], EVEN, 10);
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
        let fused = fuse(&[1, 2], &[2, 9], vector_only, 1);
        assert_eq!(fused.len(), 1);
        assert_eq!(fused[0].chunk_id, 2);
        // Equal scores keep the BM25 order.
        let fused = fuse(&[5, 6], &[], EVEN, 10);
        assert_eq!(fused[0].chunk_id, 5);
        assert!(fuse(&[], &[], EVEN, 10).is_empty());
        // A duplicate in one ranking counts once.
        let fused = fuse(&[7, 7], &[], EVEN, 10);
        assert_eq!(fused.len(), 1);
        assert!((fused[0].fused_score - 1.0 / 61.0).abs() < 1e-6);
    }
}
