//! Exact nearest-neighbour search over chunk embeddings: one contiguous `f32` matrix in
//! memory, scored by dot product (the vectors are L2-normalised, so this is the cosine).
//!
//! The matrix is loaded from SQLite and follows it: [`VectorIndex::sync`] drops the rows of
//! documents changed or removed since the last sync (the `changes` log) and loads vectors
//! written since (the `vector_batches` order).

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use crate::storage::documents;
use crate::storage::vectors::{self, StoredVector};

/// A chunk found by vector search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorHit {
    pub chunk_id: i64,
    pub document_id: i64,
    /// Cosine similarity with the query, -1 to 1.
    pub score: f32,
}

pub struct VectorIndex {
    embedder_id: i64,
    dimensions: usize,
    chunk_ids: Vec<i64>,
    document_ids: Vec<i64>,
    /// Row `i` is `matrix[i * dimensions..(i + 1) * dimensions]`.
    matrix: Vec<f32>,
    row_of_chunk: HashMap<i64, usize>,
    /// The newest vector batch and change-log entry reflected.
    batch: i64,
    change: i64,
}

impl VectorIndex {
    /// Loads every vector `embedder_id` stored.
    pub fn load(
        conn: &Connection,
        embedder_id: i64,
        dimensions: usize,
    ) -> rusqlite::Result<VectorIndex> {
        let mut index = VectorIndex::empty(embedder_id, dimensions);
        index.sync(conn)?;
        Ok(index)
    }

    fn empty(embedder_id: i64, dimensions: usize) -> VectorIndex {
        VectorIndex {
            embedder_id,
            dimensions,
            chunk_ids: Vec::new(),
            document_ids: Vec::new(),
            matrix: Vec::new(),
            row_of_chunk: HashMap::new(),
            batch: 0,
            change: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.chunk_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunk_ids.is_empty()
    }

    pub fn embedder_id(&self) -> i64 {
        self.embedder_id
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// Catches up with SQLite; returns whether anything changed.
    pub fn sync(&mut self, conn: &Connection) -> rusqlite::Result<bool> {
        // Read the positions first: anything written meanwhile is simply loaded next time.
        let batch = vectors::last_batch(conn)?;
        let (changed, change) = if self.change == 0 && self.batch == 0 {
            (Vec::new(), documents::last_change(conn)?)
        } else {
            documents::changed_since(conn, self.change)?
        };
        if batch == self.batch && changed.is_empty() {
            self.change = change;
            return Ok(false);
        }
        self.remove_documents(&changed.iter().copied().collect());
        let mut loaded = Vec::new();
        vectors::load(conn, self.embedder_id, self.batch, &changed, |v| {
            loaded.push(v)
        })?;
        for vector in loaded {
            self.put(vector);
        }
        self.batch = batch;
        self.change = change;
        Ok(true)
    }

    fn put(&mut self, stored: StoredVector) {
        if stored.vector.len() != self.dimensions {
            tracing::warn!(
                chunk = stored.chunk_id,
                dimensions = stored.vector.len(),
                expected = self.dimensions,
                "stored vector has the wrong size; skipped"
            );
            return;
        }
        match self.row_of_chunk.get(&stored.chunk_id) {
            Some(&row) => {
                let d = self.dimensions;
                self.matrix[row * d..(row + 1) * d].copy_from_slice(&stored.vector);
                self.document_ids[row] = stored.document_id;
            }
            None => {
                self.row_of_chunk
                    .insert(stored.chunk_id, self.chunk_ids.len());
                self.chunk_ids.push(stored.chunk_id);
                self.document_ids.push(stored.document_id);
                self.matrix.extend_from_slice(&stored.vector);
            }
        }
    }

    fn remove_documents(&mut self, documents: &HashSet<i64>) {
        if documents.is_empty() {
            return;
        }
        let d = self.dimensions;
        let mut row = 0;
        while row < self.chunk_ids.len() {
            if !documents.contains(&self.document_ids[row]) {
                row += 1;
                continue;
            }
            // Move the last row into this one.
            let last = self.chunk_ids.len() - 1;
            self.row_of_chunk.remove(&self.chunk_ids[row]);
            if row != last {
                self.matrix.copy_within(last * d..(last + 1) * d, row * d);
                self.chunk_ids[row] = self.chunk_ids[last];
                self.document_ids[row] = self.document_ids[last];
                self.row_of_chunk.insert(self.chunk_ids[row], row);
            }
            self.chunk_ids.pop();
            self.document_ids.pop();
            self.matrix.truncate(last * d);
        }
    }

    /// The `limit` chunks most similar to `query`, best first; only chunks of `scope`'s
    /// documents when it is given. A panic in a scanning thread loses its part only.
    pub fn search(
        &self,
        query: &[f32],
        limit: usize,
        scope: Option<&HashSet<i64>>,
    ) -> Vec<VectorHit> {
        if query.len() != self.dimensions || limit == 0 {
            return Vec::new();
        }
        // Scanning is bound by memory bandwidth: large matrices are split across cores.
        let rows = self.chunk_ids.len();
        let parts = if rows >= PARALLEL_ROWS {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_SCAN_THREADS))
        } else {
            1
        };
        let per_part = rows.div_ceil(parts.max(1)).max(1);
        let mut best: Vec<(f32, usize)> = if parts > 1 {
            std::thread::scope(|threads| {
                let handles: Vec<_> = (0..rows)
                    .step_by(per_part)
                    .map(|start| {
                        let end = (start + per_part).min(rows);
                        threads.spawn(move || self.top_in(query, start..end, limit, scope))
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        } else {
            self.top_in(query, 0..rows, limit, scope)
        };
        top(&mut best, limit);
        best.into_iter()
            .map(|(score, row)| VectorHit {
                chunk_id: self.chunk_ids[row],
                document_id: self.document_ids[row],
                score,
            })
            .collect()
    }

    /// The best `limit` rows of `range`, unsorted.
    fn top_in(
        &self,
        query: &[f32],
        range: std::ops::Range<usize>,
        limit: usize,
        scope: Option<&HashSet<i64>>,
    ) -> Vec<(f32, usize)> {
        let d = self.dimensions;
        let mut scored: Vec<(f32, usize)> = self.matrix[range.start * d..range.end * d]
            .chunks_exact(d)
            .zip(range)
            .filter(|(_, row)| scope.is_none_or(|s| s.contains(&self.document_ids[*row])))
            .map(|(vector, row)| (dot(query, vector), row))
            .collect();
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, by_score);
            scored.truncate(limit);
        }
        scored
    }
}

/// Rows at which a search is split across cores; below, threads cost more than they save.
const PARALLEL_ROWS: usize = 32_768;
const MAX_SCAN_THREADS: usize = 4;

/// Best score first; equal scores in row order, so a split scan ranks as a whole one.
fn by_score(a: &(f32, usize), b: &(f32, usize)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Keeps the best `limit` of `scored`, best first.
fn top(scored: &mut Vec<(f32, usize)>, limit: usize) {
    if scored.len() > limit {
        scored.select_nth_unstable_by(limit - 1, by_score);
        scored.truncate(limit);
    }
    scored.sort_unstable_by(by_score);
}

/// Dot product in eight independent lanes, so the compiler can use SIMD registers (a plain
/// sum must be added in order, one lane).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(rows: usize, dimensions: usize) -> VectorIndex {
        let mut index = VectorIndex::empty(1, dimensions);
        for row in 0..rows {
            let vector: Vec<f32> = (0..dimensions)
                .map(|i| ((row * 31 + i * 7) % 97) as f32 / 97.0 - 0.5)
                .collect();
            index.put(StoredVector {
                chunk_id: row as i64 + 100,
                document_id: row as i64 % 50,
                vector,
            });
        }
        index
    }

    #[test]
    fn a_split_scan_finds_what_a_whole_scan_finds() {
        let index = index(PARALLEL_ROWS + 1_001, 16);
        let query: Vec<f32> = (0..16).map(|i| (i as f32 * 0.3).sin()).collect();
        let split = index.search(&query, 25, None);
        let whole = index.top_in(&query, 0..index.len(), 25, None);
        let mut whole = whole;
        top(&mut whole, 25);
        let whole: Vec<i64> = whole.iter().map(|(_, row)| index.chunk_ids[*row]).collect();
        assert_eq!(split.iter().map(|h| h.chunk_id).collect::<Vec<_>>(), whole);
        assert!(split.windows(2).all(|w| w[0].score >= w[1].score));
        // Scoped to some documents, only their chunks come back.
        let docs: HashSet<i64> = [3, 7].into();
        let scoped = index.search(&query, 10, Some(&docs));
        assert_eq!(scoped.len(), 10);
        assert!(scoped.iter().all(|h| docs.contains(&h.document_id)));
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..387).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..387).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
    }
}
