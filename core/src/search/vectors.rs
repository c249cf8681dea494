//! Exact nearest-neighbour search over chunk embeddings, scored by dot product (the vectors
//! are L2-normalised, so this is the cosine).
//!
//! Memory holds each vector only in 8-bit codes, a quarter of its `f32` size (384 bytes for
//! all-MiniLM-L6-v2: a million chunks in 384 MB, where their `f32` matrix would take 1.5 GB).
//! Each row keeps how far its code may be from it, which bounds how far the code's score may
//! be from the row's: a search scans the codes, and only rows whose bound reaches the best
//! `limit` are scored again, on their `f32` vectors read from SQLite. The result is the exact
//! top `limit`, the same as scoring every row in `f32`.
//!
//! The codes are loaded from SQLite and follow it: [`VectorIndex::sync`] drops the rows of
//! documents changed or removed since the last sync (the `changes` log) and loads vectors
//! written since (the `vector_batches` order).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

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

/// Every chunk's vector of one embedder in 8-bit codes in memory, searched exactly.
pub struct VectorIndex {
    embedder_id: i64,
    dimensions: usize,
    chunk_ids: Vec<i64>,
    document_ids: Vec<i64>,
    /// The rows in 8-bit codes: row `i` is `codes[i * dimensions..(i + 1) * dimensions]`,
    /// and its vector ≈ `scales[i]` × its codes.
    codes: Vec<i8>,
    scales: Vec<f32>,
    /// Per row, an upper bound of |q·row − scales[i] × q·codes| for a query q of norm 1
    /// (see [`Quantized`]).
    bounds: Vec<f32>,
    row_of_chunk: HashMap<i64, usize>,
    /// Each document's rows, made at the first search of a few documents after the rows
    /// changed: such a search (a checklist's, a document's) then reads only their rows,
    /// not a million.
    rows_of_document: std::sync::OnceLock<HashMap<i64, Vec<u32>>>,
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
            codes: Vec::new(),
            scales: Vec::new(),
            bounds: Vec::new(),
            row_of_chunk: HashMap::new(),
            rows_of_document: std::sync::OnceLock::new(),
            batch: 0,
            change: 0,
        }
    }

    /// Vectors held.
    pub fn len(&self) -> usize {
        self.chunk_ids.len()
    }

    /// Whether it holds no vector.
    pub fn is_empty(&self) -> bool {
        self.chunk_ids.is_empty()
    }

    /// Whether it holds a vector of this chunk.
    pub fn contains(&self, chunk_id: i64) -> bool {
        self.row_of_chunk.contains_key(&chunk_id)
    }

    /// The embedder the vectors come from.
    pub fn embedder_id(&self) -> i64 {
        self.embedder_id
    }

    /// Values per vector.
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
        // Each vector is coded as it is read: a million `f32` vectors are never in memory.
        let (embedder_id, after) = (self.embedder_id, self.batch);
        self.reserve(vectors::count_after(conn, embedder_id, after)?);
        vectors::load(conn, embedder_id, after, &changed, |v| self.put(v))?;
        self.batch = batch;
        self.change = change;
        Ok(true)
    }

    /// Room for `rows` more rows, taken at once: grown by doubling, a million rows' codes
    /// would take up to twice their size.
    fn reserve(&mut self, rows: usize) {
        self.chunk_ids.reserve_exact(rows);
        self.document_ids.reserve_exact(rows);
        self.codes.reserve_exact(rows * self.dimensions);
        self.scales.reserve_exact(rows);
        self.bounds.reserve_exact(rows);
        self.row_of_chunk.reserve(rows);
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
        let quantized = Quantized::new(&stored.vector);
        match self.row_of_chunk.get(&stored.chunk_id) {
            Some(&row) => {
                let d = self.dimensions;
                self.codes[row * d..(row + 1) * d].copy_from_slice(&quantized.codes);
                self.scales[row] = quantized.scale;
                self.bounds[row] = quantized.bound;
                self.document_ids[row] = stored.document_id;
            }
            None => {
                self.rows_of_document.take();
                self.row_of_chunk
                    .insert(stored.chunk_id, self.chunk_ids.len());
                self.chunk_ids.push(stored.chunk_id);
                self.document_ids.push(stored.document_id);
                self.codes.extend_from_slice(&quantized.codes);
                self.scales.push(quantized.scale);
                self.bounds.push(quantized.bound);
            }
        }
    }

    fn remove_documents(&mut self, documents: &HashSet<i64>) {
        if documents.is_empty() {
            return;
        }
        self.rows_of_document.take();
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
                self.codes.copy_within(last * d..(last + 1) * d, row * d);
                self.scales[row] = self.scales[last];
                self.bounds[row] = self.bounds[last];
                self.chunk_ids[row] = self.chunk_ids[last];
                self.document_ids[row] = self.document_ids[last];
                self.row_of_chunk.insert(self.chunk_ids[row], row);
            }
            self.chunk_ids.pop();
            self.document_ids.pop();
            self.scales.pop();
            self.bounds.pop();
            self.codes.truncate(last * d);
        }
    }

    /// The `limit` chunks most similar to `query`, best first; only chunks of `scope`'s
    /// documents when it is given. `full` gives the `f32` vectors of the chunks the codes
    /// cannot rank (SQLite's, through [`vectors::of_chunks`]); a chunk it no longer has was
    /// deleted since the last sync and is left out. A panic in a scanning thread loses its
    /// part only.
    pub fn search<E>(
        &self,
        query: &[f32],
        limit: usize,
        scope: Option<&HashSet<i64>>,
        full: impl FnOnce(&[i64]) -> Result<HashMap<i64, Vec<f32>>, E>,
    ) -> Result<Vec<VectorHit>, E> {
        if query.len() != self.dimensions || limit == 0 {
            return Ok(Vec::new());
        }
        let query_norm = dot(query, query).sqrt();
        let found: Vec<Candidates> = match scope {
            Some(documents) => {
                let by_document = self
                    .rows_of_document
                    .get_or_init(|| self.rows_by_document());
                let rows: Vec<usize> = documents
                    .iter()
                    .filter_map(|d| by_document.get(d))
                    .flatten()
                    .map(|&row| row as usize)
                    .collect();
                in_parts(rows.len(), |part| {
                    let rows = rows[part].iter().copied();
                    self.candidates_in(query, query_norm, rows, limit)
                })
            }
            None => in_parts(self.chunk_ids.len(), |rows| {
                self.candidates_in(query, query_norm, rows, limit)
            }),
        };
        // The `limit`-th best lower bound over all parts: a row whose upper bound is below
        // it has at least `limit` rows surely better than it.
        let mut lower: Vec<f32> = found.iter().flat_map(|c| c.lower.iter().copied()).collect();
        let threshold = if lower.len() >= limit {
            lower.select_nth_unstable_by(limit - 1, |a, b| b.total_cmp(a));
            lower[limit - 1]
        } else {
            f32::NEG_INFINITY
        };
        let rescored: Vec<usize> = found
            .iter()
            .flat_map(|c| c.rows.iter())
            .filter(|(upper, _)| *upper >= threshold)
            .map(|&(_, row)| row)
            .collect();
        let ids: Vec<i64> = rescored.iter().map(|&row| self.chunk_ids[row]).collect();
        let vectors = full(&ids)?;
        let mut best: Vec<(f32, usize)> = rescored
            .into_iter()
            .filter_map(|row| {
                let vector = vectors.get(&self.chunk_ids[row])?;
                (vector.len() == self.dimensions).then(|| (dot(query, vector), row))
            })
            .collect();
        top(&mut best, limit);
        Ok(self.hits(best))
    }

    /// Each document's rows.
    fn rows_by_document(&self) -> HashMap<i64, Vec<u32>> {
        let mut by_document: HashMap<i64, Vec<u32>> = HashMap::new();
        for (row, &document) in self.document_ids.iter().enumerate() {
            by_document.entry(document).or_default().push(row as u32);
        }
        by_document
    }

    /// Scored rows as hits, in the same order.
    fn hits(&self, scored: Vec<(f32, usize)>) -> Vec<VectorHit> {
        scored
            .into_iter()
            .map(|(score, row)| VectorHit {
                chunk_id: self.chunk_ids[row],
                document_id: self.document_ids[row],
                score,
            })
            .collect()
    }

    /// Scores `rows` by their codes, keeping every row that may be among the best `limit`
    /// of them (a superset of those that may be among the best overall).
    fn candidates_in(
        &self,
        query: &[f32],
        query_norm: f32,
        rows_to_score: impl Iterator<Item = usize>,
        limit: usize,
    ) -> Candidates {
        let d = self.dimensions;
        // The best `limit` lower bounds so far, worst on top.
        let mut lower: BinaryHeap<Reverse<Score>> = BinaryHeap::with_capacity(limit + 1);
        let mut rows = Vec::new();
        for row in rows_to_score {
            let row_codes = &self.codes[row * d..(row + 1) * d];
            let estimate = self.scales[row] * dot_codes(query, row_codes);
            let slack = query_norm * self.bounds[row];
            let (low, high) = (estimate - slack, estimate + slack);
            if lower.len() < limit {
                lower.push(Reverse(Score(low)));
            } else if lower.peek().is_some_and(|worst| low > worst.0.0) {
                lower.pop();
                lower.push(Reverse(Score(low)));
            }
            let threshold = match lower.len() == limit {
                true => lower.peek().map_or(f32::NEG_INFINITY, |worst| worst.0.0),
                false => f32::NEG_INFINITY,
            };
            if high >= threshold {
                rows.push((high, row));
            }
        }
        Candidates {
            lower: lower.into_iter().map(|s| s.0.0).collect(),
            rows,
        }
    }
}

/// `score` run over `0..rows`, split in parts across cores when there are many. A panic in
/// a part loses that part only.
fn in_parts(
    rows: usize,
    score: impl Fn(std::ops::Range<usize>) -> Candidates + Sync,
) -> Vec<Candidates> {
    let parts = if rows >= PARALLEL_ROWS {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_SCAN_THREADS))
    } else {
        1
    };
    if parts <= 1 {
        return vec![score(0..rows)];
    }
    let per_part = rows.div_ceil(parts);
    let score = &score;
    std::thread::scope(|threads| {
        let handles: Vec<_> = (0..rows)
            .step_by(per_part)
            .map(|start| threads.spawn(move || score(start..(start + per_part).min(rows))))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// What one part of a scan found: its best `limit` lower bounds, and the rows that may
/// belong to the best with their upper bounds.
struct Candidates {
    lower: Vec<f32>,
    rows: Vec<(f32, usize)>,
}

/// A score ordered by `total_cmp`, for the heap.
#[derive(PartialEq)]
struct Score(f32);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A row in 8-bit codes: `row ≈ scale × codes`, with `scale` the largest magnitude over
/// 127. For any query q, |q·row − scale × q·codes| ≤ |q| × |row − scale × codes|
/// (Cauchy–Schwarz); `bound` is that residual norm plus a margin for the rounding of both
/// dot products in `f32`, so the bound holds for the computed scores too.
struct Quantized {
    codes: Vec<i8>,
    scale: f32,
    bound: f32,
}

impl Quantized {
    fn new(row: &[f32]) -> Quantized {
        let largest = row.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        if largest == 0.0 || !largest.is_finite() {
            // Nothing to scale (a zero vector), or nothing to trust (a non-finite value):
            // the code scores 0 and the bound lets the row through to exact scoring.
            let bound = if largest == 0.0 { 0.0 } else { f32::INFINITY };
            return Quantized {
                codes: vec![0; row.len()],
                scale: 0.0,
                bound,
            };
        }
        let scale = largest / 127.0;
        let codes: Vec<i8> = row
            .iter()
            .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
            .collect();
        let residual = row
            .iter()
            .zip(&codes)
            .map(|(x, &c)| {
                let r = f64::from(*x) - f64::from(scale) * f64::from(c);
                r * r
            })
            .sum::<f64>()
            .sqrt();
        let norm = row
            .iter()
            .map(|x| f64::from(*x).powi(2))
            .sum::<f64>()
            .sqrt();
        // A sum of n products in f32 is off by at most about n × epsilon of the sum of
        // their magnitudes (at most |q| × |row|), whatever the order of the additions;
        // four times that covers both sums.
        let rounding = 4.0 * (row.len() as f64 + 8.0) * f64::from(f32::EPSILON) * norm;
        Quantized {
            codes,
            scale,
            bound: (residual + rounding) as f32,
        }
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

/// Independent sums in a dot product, so that the compiler can keep them in SIMD registers
/// (a plain `sum()` must be added in order, one lane). Four registers' worth let each
/// addition start before the last one ends; on this machine the scan measured about the
/// same with 8 lanes, as it mostly waits on memory.
const LANES: usize = 32;

/// The dot product of two vectors, in [`LANES`] lanes.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanes_dot(a, b, |y| y)
}

/// The dot product of a query with a row's codes, in [`LANES`] lanes.
fn dot_codes(query: &[f32], codes: &[i8]) -> f32 {
    lanes_dot(query, codes, f32::from)
}

fn lanes_dot<T: Copy>(a: &[f32], b: &[T], value: impl Fn(T) -> f32) -> f32 {
    let mut lanes = [0.0f32; LANES];
    let (a_lanes, b_lanes) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_lanes
        .remainder()
        .iter()
        .zip(b_lanes.remainder())
        .map(|(x, &y)| x * value(y))
        .sum();
    for (x, y) in a_lanes.zip(b_lanes) {
        for i in 0..LANES {
            lanes[i] += x[i] * value(y[i]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index and the `f32` vectors it was given, as SQLite would hold them.
    struct Stored {
        index: VectorIndex,
        vectors: HashMap<i64, Vec<f32>>,
    }

    impl Stored {
        fn new(dimensions: usize) -> Stored {
            Stored {
                index: VectorIndex::empty(1, dimensions),
                vectors: HashMap::new(),
            }
        }

        fn put(&mut self, chunk_id: i64, document_id: i64, vector: Vec<f32>) {
            self.vectors.insert(chunk_id, vector.clone());
            self.index.put(StoredVector {
                chunk_id,
                document_id,
                vector,
            });
        }

        fn remove_documents(&mut self, documents: &HashSet<i64>) {
            self.index.remove_documents(documents);
            let index = &self.index;
            self.vectors
                .retain(|chunk, _| index.row_of_chunk.contains_key(chunk));
        }

        /// A search reading the `f32` vectors it asks for from the map.
        fn search(
            &self,
            query: &[f32],
            limit: usize,
            scope: Option<&HashSet<i64>>,
        ) -> Vec<VectorHit> {
            let full = |ids: &[i64]| -> Result<HashMap<i64, Vec<f32>>, ()> {
                Ok(ids
                    .iter()
                    .filter_map(|id| Some((*id, self.vectors.get(id)?.clone())))
                    .collect())
            };
            self.index.search(query, limit, scope, full).unwrap()
        }

        /// What a search must return: every row scored in `f32`, the best `limit`.
        fn exact(
            &self,
            query: &[f32],
            limit: usize,
            scope: Option<&HashSet<i64>>,
        ) -> Vec<VectorHit> {
            let index = &self.index;
            let mut scored: Vec<(f32, usize)> = (0..index.len())
                .filter(|row| scope.is_none_or(|s| s.contains(&index.document_ids[*row])))
                .map(|row| (dot(query, &self.vectors[&index.chunk_ids[row]]), row))
                .collect();
            top(&mut scored, limit);
            index.hits(scored)
        }
    }

    fn index(rows: usize, dimensions: usize) -> Stored {
        let mut stored = Stored::new(dimensions);
        for row in 0..rows {
            let vector: Vec<f32> = (0..dimensions)
                .map(|i| ((row * 31 + i * 7) % 97) as f32 / 97.0 - 0.5)
                .collect();
            stored.put(row as i64 + 100, row as i64 % 50, vector);
        }
        stored
    }

    /// A pseudo-random unit vector (xorshift), as an embedder's are.
    fn unit(seed: &mut u64, dimensions: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dimensions)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                (*seed % 20_001) as f32 / 10_000.0 - 1.0
            })
            .collect();
        let norm = dot(&v, &v).sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    #[test]
    fn a_split_scan_finds_what_a_whole_scan_finds() {
        let index = index(PARALLEL_ROWS + 1_001, 16);
        let query: Vec<f32> = (0..16).map(|i| (i as f32 * 0.3).sin()).collect();
        let split = index.search(&query, 25, None);
        assert_eq!(split, index.exact(&query, 25, None));
        assert!(split.windows(2).all(|w| w[0].score >= w[1].score));
        // Scoped to some documents, only their chunks come back.
        let docs: HashSet<i64> = [3, 7].into();
        let scoped = index.search(&query, 10, Some(&docs));
        assert_eq!(scoped.len(), 10);
        assert!(scoped.iter().all(|h| docs.contains(&h.document_id)));
        assert_eq!(scoped, index.exact(&query, 10, Some(&docs)));
    }

    #[test]
    fn a_search_of_some_documents_follows_their_rows_as_they_change() {
        let mut index = index(PARALLEL_ROWS + 1_001, 16);
        let query: Vec<f32> = (0..16).map(|i| (i as f32 * 0.7).cos()).collect();
        let docs: HashSet<i64> = [3, 7].into();
        assert_eq!(
            index.search(&query, 10, Some(&docs)),
            index.exact(&query, 10, Some(&docs))
        );
        // Document 7 goes (its rows' places are taken by others), document 3 gains a row
        // closer to the query than any.
        index.remove_documents(&[7].into());
        index.put(999_999, 3, query.clone());
        let scoped = index.search(&query, 10, Some(&docs));
        assert_eq!(scoped, index.exact(&query, 10, Some(&docs)));
        assert_eq!(scoped[0].chunk_id, 999_999);
        assert!(scoped.iter().all(|h| h.document_id == 3));
        // A scope of every document is the whole scan.
        let all: HashSet<i64> = (0..50).collect();
        assert_eq!(
            index.search(&query, 25, Some(&all)),
            index.exact(&query, 25, None)
        );
    }

    #[test]
    fn the_coded_scan_returns_the_exact_top_scores() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        let mut index = Stored::new(384);
        for row in 0..5_000 {
            index.put(row, row % 40, unit(&mut seed, 384));
        }
        // Near ties: copies of one row, and copies nudged by less than a code step.
        let twin = unit(&mut seed, 384);
        for (i, nudge) in [0.0, 0.0, 1e-6, -1e-6, 1e-4].into_iter().enumerate() {
            let mut vector = twin.clone();
            vector[0] += nudge;
            index.put(10_000 + i as i64, 99, vector);
        }
        let scope: HashSet<i64> = [1, 2, 99].into();
        let mut queries: Vec<Vec<f32>> = (0..30).map(|_| unit(&mut seed, 384)).collect();
        queries.push(twin.clone());
        queries.push(twin.iter().map(|x| x * 3.0).collect()); // not normalised
        for query in &queries {
            for limit in [1, 3, 10, 50, 6_000] {
                assert_eq!(
                    index.search(query, limit, None),
                    index.exact(query, limit, None)
                );
                assert_eq!(
                    index.search(query, limit, Some(&scope)),
                    index.exact(query, limit, Some(&scope))
                );
            }
        }
        // The codes do the sifting: few rows are scored again in f32.
        let sifted = (index.index).candidates_in(&queries[0], 1.0, 0..index.index.len(), 10);
        assert!(
            sifted.rows.len() < index.index.len() / 20,
            "{} rows",
            sifted.rows.len()
        );
        // Replacing and removing rows keeps the codes in step with the vectors.
        for row in 0..300 {
            index.put(row, row % 40, unit(&mut seed, 384));
        }
        index.remove_documents(&[5, 6, 99].into());
        let rows = index.index.len();
        assert_eq!(rows, index.vectors.len());
        assert_eq!(index.index.codes.len(), rows * 384);
        assert_eq!(index.index.scales.len(), rows);
        for query in &queries {
            assert_eq!(index.search(query, 20, None), index.exact(query, 20, None));
        }
        // A chunk deleted from SQLite since the last sync is left out, not scored as zero.
        let best = index.search(&queries[0], 1, None)[0];
        index.vectors.remove(&best.chunk_id);
        let after = index.search(&queries[0], 5, None);
        assert!(after.iter().all(|h| h.chunk_id != best.chunk_id));
        assert!(after.len() >= 4, "{after:?}");
    }

    #[test]
    fn codes_stay_within_their_bound() {
        let mut seed = 42;
        for _ in 0..200 {
            let row = unit(&mut seed, 384);
            let query = unit(&mut seed, 384);
            let coded = Quantized::new(&row);
            let estimate = coded.scale * dot_codes(&query, &coded.codes);
            assert!((dot(&query, &row) - estimate).abs() <= coded.bound);
            assert!(
                coded.bound < 0.02,
                "a loose bound lets too many rows through"
            );
        }
        let zero = Quantized::new(&[0.0; 8]);
        assert_eq!((zero.scale, zero.bound), (0.0, 0.0));
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..387).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..387).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
    }
}
