//! Training the clause model from an annotated set: every sentence of every contract is an
//! example, labelled per clause type by whether it overlaps the lawyers' clause; a
//! logistic regression per type learns from them (AdaGrad over shuffled sentences, all
//! types in one pass), and each type's two thresholds are set from scores the model gave
//! contracts it was not trained on (an inner cross-validation).

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::annotated::{AnnotatedSet, Contract};
use super::features::{FeatureSink, Reader, key};
use super::model::{ClauseModel, ClauseType, FeatureWeights};

/// How a model is trained.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Passes over the sentences.
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 penalty on the weights, per update.
    pub l2: f32,
    /// A feature is kept when this many training contracts have it: rarer ones are names
    /// and typos, which would be learnt by heart.
    pub min_documents: usize,
    /// Most weight a sentence with the clause gets against one without (they are rare).
    pub positive_weight: f32,
    /// Folds of the inner cross-validation that sets the thresholds.
    pub threshold_folds: usize,
    /// Largest share of contracts with the clause allowed below the `unsure` threshold:
    /// `not_found` should be safe to skip.
    pub missed_below_unsure: f32,
    /// Shuffling's seed: the same set and options give the same model.
    pub seed: u64,
    /// Threads the passes are shared among.
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 6,
            learning_rate: 0.2,
            l2: 1e-5,
            min_documents: 3,
            positive_weight: 2.0,
            threshold_folds: 3,
            missed_below_unsure: 0.05,
            seed: 7,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// A sentence counts for a type when at least this share of the shorter of it and the
/// clause overlaps; a smaller overlap is neither example (the clause starts or ends in it).
const OVERLAP_SHARE: f32 = 0.5;

/// The annotated contracts as examples: each statement's feature ids and labels.
pub struct Corpus {
    /// Clause type ids, the labels' columns.
    pub categories: Vec<String>,
    /// Feature names by id.
    names: Vec<String>,
    /// Per example, its range of `ids`.
    offsets: Vec<usize>,
    ids: Vec<u32>,
    /// Per example, per category: 1 the clause, 0 not, -1 neither.
    labels: Vec<i8>,
    /// Per contract, its range of examples.
    documents: Vec<(usize, usize)>,
    /// Per contract, per category, whether the lawyers found the clause.
    present: Vec<Vec<bool>>,
}

/// Collects a statement's features as ids, naming new ones.
struct Collect<'c> {
    by_key: &'c mut FxHashMap<u64, u32>,
    names: &'c mut Vec<String>,
    ids: &'c mut Vec<u32>,
}

impl FeatureSink for Collect<'_> {
    fn feature(&mut self, parts: &[&str]) {
        let next = self.names.len() as u32;
        let id = *self.by_key.entry(key(parts)).or_insert_with(|| {
            self.names.push(parts.concat());
            next
        });
        self.ids.push(id);
    }
}

impl Corpus {
    /// Reads every contract into examples for `categories`.
    pub fn new(contracts: &[Contract], categories: &[String]) -> Corpus {
        let mut reader = Reader::new();
        let mut by_key = FxHashMap::default();
        let mut corpus = Corpus {
            categories: categories.to_vec(),
            names: Vec::new(),
            offsets: vec![0],
            ids: Vec::new(),
            labels: Vec::new(),
            documents: Vec::new(),
            present: Vec::new(),
        };
        for contract in contracts {
            let document = reader.read(&contract.text);
            let first = corpus.offsets.len() - 1;
            let spans: Vec<Vec<(usize, usize)>> = categories
                .iter()
                .map(|c| contract.spans(c).collect())
                .collect();
            for (i, unit) in document.units.iter().enumerate() {
                if unit.heading {
                    continue;
                }
                let mut collect = Collect {
                    by_key: &mut by_key,
                    names: &mut corpus.names,
                    ids: &mut corpus.ids,
                };
                document.features(i, &mut collect);
                corpus.offsets.push(corpus.ids.len());
                for spans in &spans {
                    corpus.labels.push(label(unit.start, unit.end, spans));
                }
            }
            corpus.documents.push((first, corpus.offsets.len() - 1));
            corpus
                .present
                .push(categories.iter().map(|c| contract.has(c)).collect());
        }
        corpus
    }

    pub fn contracts(&self) -> usize {
        self.documents.len()
    }

    fn example_ids(&self, e: usize) -> &[u32] {
        &self.ids[self.offsets[e]..self.offsets[e + 1]]
    }
}

/// 1 when the sentence `start..end` is (mostly) the clause, 0 when it is none of it, -1
/// when it holds only an edge of it.
fn label(start: usize, end: usize, spans: &[(usize, usize)]) -> i8 {
    let mut best = -1i8;
    let mut touched = false;
    for &(s, e) in spans {
        let overlap = end.min(e).saturating_sub(start.max(s));
        if overlap == 0 {
            continue;
        }
        touched = true;
        let shorter = (end - start).min(e - s).max(1);
        if overlap as f32 >= OVERLAP_SHARE * shorter as f32 {
            best = 1;
        }
    }
    match (best, touched) {
        (1, _) => 1,
        (_, true) => -1,
        _ => 0,
    }
}

/// Weights learnt on some contracts: per category, a weight per feature id, and an
/// intercept. Kept per category so that threads can learn different categories at once.
struct Weights {
    values: Vec<Vec<f32>>,
    bias: Vec<f32>,
}

impl Weights {
    fn logit(&self, ids: &[u32], c: usize) -> f32 {
        let values = &self.values[c];
        self.bias[c] + ids.iter().map(|&f| values[f as usize]).sum::<f32>()
    }
}

/// Feature ids seen in at least `min` of the given contracts.
fn common_features(corpus: &Corpus, contracts: &[usize], min: usize) -> Vec<bool> {
    let mut count = vec![0u32; corpus.names.len()];
    let mut seen = vec![u32::MAX; corpus.names.len()];
    for (n, &d) in contracts.iter().enumerate() {
        let (first, last) = corpus.documents[d];
        for &f in &corpus.ids[corpus.offsets[first]..corpus.offsets[last]] {
            if seen[f as usize] != n as u32 {
                seen[f as usize] = n as u32;
                count[f as usize] += 1;
            }
        }
    }
    count.iter().map(|&c| c as usize >= min).collect()
}

/// One category's regression as it learns: weights, intercept and AdaGrad's sums of
/// squared gradients.
struct Learner {
    values: Vec<f32>,
    squares: Vec<f32>,
    bias: f32,
    bias_square: f32,
    positive_weight: f32,
}

impl Learner {
    /// One AdaGrad step on an example with features `active` and label `y`.
    fn learn(&mut self, active: &[u32], y: i8, options: &TrainOptions) {
        let z = self.bias + active.iter().map(|&f| self.values[f as usize]).sum::<f32>();
        let p = 1.0 / (1.0 + (-z).exp());
        let weight = if y == 1 { self.positive_weight } else { 1.0 };
        let g = (p - f32::from(y)) * weight;
        // Most sentences are plainly not the clause after the first pass: nothing to learn.
        if g.abs() < 1e-4 {
            return;
        }
        self.bias_square += g * g;
        self.bias -= options.learning_rate * g / self.bias_square.sqrt();
        for &f in active {
            let f = f as usize;
            let step = g + options.l2 * self.values[f];
            self.squares[f] += step * step;
            self.values[f] -= options.learning_rate * step / self.squares[f].sqrt();
        }
    }
}

/// Learns weights from the examples of `contracts`.
fn fit(corpus: &Corpus, contracts: &[usize], options: &TrainOptions) -> Weights {
    let n = corpus.categories.len();
    let kept = common_features(corpus, contracts, options.min_documents);
    let mut examples: Vec<usize> = contracts
        .iter()
        .flat_map(|&d| corpus.documents[d].0..corpus.documents[d].1)
        .collect();
    let mut positives = vec![0usize; n];
    let mut negatives = vec![0usize; n];
    for &e in &examples {
        for c in 0..n {
            match corpus.labels[e * n + c] {
                1 => positives[c] += 1,
                0 => negatives[c] += 1,
                _ => {}
            }
        }
    }
    let features = corpus.names.len();
    let mut learners: Vec<Learner> = (0..n)
        .map(|c| {
            let p = (positives[c] as f32 + 0.5) / (positives[c] + negatives[c] + 1) as f32;
            let ratio = negatives[c] as f32 / positives[c].max(1) as f32;
            Learner {
                values: vec![0.0; features],
                squares: vec![1e-2; features],
                bias: (p / (1.0 - p)).ln(),
                bias_square: 1e-2,
                // Sentences with a clause are rare; weighing them up keeps the regression
                // from settling on "never".
                positive_weight: ratio.sqrt().clamp(1.0, options.positive_weight),
            }
        })
        .collect();
    let mut rng = fastrand::Rng::with_seed(options.seed);
    let threads = options.threads.clamp(1, n.max(1));
    let per_thread = n.div_ceil(threads).max(1);
    for _ in 0..options.epochs {
        rng.shuffle(&mut examples);
        let examples = &examples;
        let kept = &kept;
        std::thread::scope(|scope| {
            for (part, group) in learners.chunks_mut(per_thread).enumerate() {
                let first = part * per_thread;
                scope.spawn(move || {
                    let mut active: Vec<u32> = Vec::with_capacity(256);
                    for &e in examples {
                        active.clear();
                        active.extend(
                            corpus
                                .example_ids(e)
                                .iter()
                                .copied()
                                .filter(|&f| kept[f as usize]),
                        );
                        for (local, learner) in group.iter_mut().enumerate() {
                            let y = corpus.labels[e * n + first + local];
                            if y >= 0 {
                                learner.learn(&active, y, options);
                            }
                        }
                    }
                });
            }
        });
    }
    Weights {
        bias: learners.iter().map(|l| l.bias).collect(),
        values: learners.into_iter().map(|l| l.values).collect(),
    }
}

/// Per contract and category, the best statement's probability.
fn document_scores(corpus: &Corpus, weights: &Weights, contracts: &[usize]) -> Vec<Vec<f32>> {
    let n = corpus.categories.len();
    contracts
        .iter()
        .map(|&d| {
            let (first, last) = corpus.documents[d];
            (0..n)
                .map(|c| {
                    (first..last)
                        .map(|e| weights.logit(corpus.example_ids(e), c))
                        .fold(f32::NEG_INFINITY, f32::max)
                })
                .map(|z| 1.0 / (1.0 + (-z).exp()))
                .collect()
        })
        .collect()
}

/// Clause types with fewer annotated contracts than this are not trained: too few to
/// learn from or to measure.
pub const MIN_CONTRACTS: usize = 20;

/// Categories of an annotated set that are no clause.
const NOT_CLAUSES: [&str; 1] = ["document_name"];

/// The clause types of `set` worth training: clauses (not the document's name) that at
/// least [`MIN_CONTRACTS`] contracts have.
pub fn trainable_categories(set: &AnnotatedSet) -> Vec<String> {
    set.categories
        .iter()
        .filter(|c| !NOT_CLAUSES.contains(&c.as_str()))
        .filter(|c| set.contracts.iter().filter(|k| k.has(c)).count() >= MIN_CONTRACTS)
        .cloned()
        .collect()
}

/// The two thresholds for scores (each a contract's best statement's probability, with
/// whether it has the clause): `found` where F1 is highest, `unsure` the highest below it
/// that leaves at most `missed` of the contracts with the clause under it.
pub fn thresholds(scored: &[(f32, bool)], missed: f32) -> (f32, f32) {
    let mut sorted: Vec<(f32, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = sorted.iter().filter(|(_, p)| *p).count();
    if positives == 0 {
        return (1.0, 1.0);
    }
    let (mut best_f1, mut found) = (-1.0f32, 1.0f32);
    let mut true_positives = 0;
    for (i, &(score, present)) in sorted.iter().enumerate() {
        true_positives += usize::from(present);
        // A threshold between this score and the next lower one.
        if sorted.get(i + 1).is_some_and(|next| next.0 == score) {
            continue;
        }
        let f1 = 2.0 * true_positives as f32 / ((i + 1) + positives) as f32;
        if f1 > best_f1 {
            best_f1 = f1;
            let next = sorted.get(i + 1).map_or(0.0, |n| n.0);
            found = (score + next) / 2.0;
        }
    }
    // From the bottom up: the highest threshold that leaves few clauses below it.
    let allowed = (missed * positives as f32).floor() as usize;
    let mut below = 0;
    let mut unsure = 0.0f32;
    for (i, &(score, present)) in sorted.iter().enumerate().rev() {
        if score >= found {
            break;
        }
        below += usize::from(present);
        if below > allowed {
            break;
        }
        if sorted
            .get(i.wrapping_sub(1))
            .is_none_or(|prev| prev.0 != score)
        {
            let prev = if i == 0 {
                found
            } else {
                sorted[i - 1].0.min(found)
            };
            unsure = (score + prev) / 2.0;
        }
    }
    (found, unsure.min(found))
}

/// Trains a model on `contracts` of the corpus.
pub fn train(
    corpus: &Corpus,
    contracts: &[usize],
    options: &TrainOptions,
    provenance: Vec<String>,
) -> ClauseModel {
    let n = corpus.categories.len();
    // Thresholds from scores of contracts each inner model did not see.
    let mut scored: Vec<Vec<(f32, bool)>> = vec![Vec::new(); n];
    let folds = options.threshold_folds.max(2);
    for fold in 0..folds {
        let in_fold = |(i, _): &(usize, &usize)| i % folds == fold;
        let held: Vec<usize> = contracts
            .iter()
            .enumerate()
            .filter(in_fold)
            .map(|(_, &d)| d)
            .collect();
        let rest: Vec<usize> = contracts
            .iter()
            .enumerate()
            .filter(|e| !in_fold(e))
            .map(|(_, &d)| d)
            .collect();
        let weights = fit(corpus, &rest, options);
        for (d, scores) in held.iter().zip(document_scores(corpus, &weights, &held)) {
            for c in 0..n {
                scored[c].push((scores[c], corpus.present[*d][c]));
            }
        }
    }
    let weights = fit(corpus, contracts, options);
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for &d in contracts {
        for c in 0..n {
            if corpus.present[d][c] {
                *counts.entry(c).or_default() += 1;
            }
        }
    }
    let types = (0..n)
        .map(|c| {
            let (found, unsure) = thresholds(&scored[c], options.missed_below_unsure);
            ClauseType {
                id: corpus.categories[c].clone(),
                bias: weights.bias[c],
                scale: 1.0,
                found,
                unsure,
                trained_on: contracts.len(),
                positives: counts.get(&c).copied().unwrap_or(0),
            }
        })
        .collect();
    let features = corpus
        .names
        .iter()
        .enumerate()
        .filter_map(|(f, name)| {
            let row: FeatureWeights = (0..n)
                .map(|c| (c, weights.values[c][f]))
                .filter(|(_, w)| *w != 0.0)
                .collect();
            (!row.is_empty()).then(|| (name.clone(), row))
        })
        .collect();
    ClauseModel::quantized(types, features, provenance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_is_the_clause_when_most_of_the_shorter_overlaps() {
        assert_eq!(
            label(0, 100, &[(10, 30)]),
            1,
            "the clause inside the sentence"
        );
        assert_eq!(
            label(10, 30, &[(0, 100)]),
            1,
            "the sentence inside the clause"
        );
        assert_eq!(label(0, 100, &[(95, 300)]), -1, "only an edge");
        assert_eq!(label(0, 100, &[(200, 300)]), 0);
    }

    #[test]
    fn found_is_where_f1_peaks_and_unsure_leaves_few_clauses_below_it() {
        let scored = [
            (0.9, true),
            (0.8, true),
            (0.7, false),
            (0.6, true),
            (0.3, false),
            (0.2, false),
            (0.1, true),
            (0.05, false),
        ];
        let (found, unsure) = thresholds(&scored, 0.0);
        assert!((found - 0.45).abs() < 1e-6, "{found}");
        assert!((unsure - 0.075).abs() < 1e-6, "{unsure}");
        let (_, lenient) = thresholds(&scored, 0.25);
        assert!((lenient - 0.375).abs() < 1e-6, "{lenient}");
        assert_eq!(thresholds(&[(0.4, false)], 0.05), (1.0, 1.0));
    }
}
