//! Checklist jobs: how fast and how right.
//!
//! - `speed`: 1,000 generated contracts (`KODIAK_BENCH_CONTRACTS`) × the 20 clause types of
//!   the shipped commercial checklist, decided without a model: cells per second (goal
//!   ≥ 200 on 2 cores), with hybrid retrieval (the default) and with BM25 alone.
//! - `quality`: per item, precision and recall of `found` against the labels the
//!   contracts were built with, the share left `uncertain`, and evidence accuracy (the
//!   quote overlaps the planted clause), without a model.
//! - `model`: the same figures with the default generator over a few contracts
//!   (`KODIAK_BENCH_MODEL_CONTRACTS`, default 8), with seconds and tokens per cell and the
//!   share of each prompt reused from the document's previous item.
//!
//! - `real`: real contracts, the annotated CUAD half beside the repository
//!   (`../shared/data/cuad-train`, or `KODIAK_CUAD_DIR`): the clause detector's per-item
//!   precision, recall, F1 and evidence by 5-fold cross-validation (each contract decided by
//!   a model trained on the others); the same contracts ingested and run through Kodiak with
//!   the items' terms alone (no training: the rules without the detector), scored against
//!   the lawyers' labels; and the speed of the shipped checklist with the detector, in
//!   seconds per 1,000 contracts (goal ≤ 60 on 2 cores).
//!
//! Figures to improve, never assertions. Run with `cargo bench --bench checklist` (or
//! `-- speed`, `-- quality`, `-- model`, `-- real`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use kodiak::Kodiak;
use kodiak::checklist::Checklist;
use kodiak::checklist::decide::CellState;
use kodiak::checklist::measure::{cross_validate, score_grid, table};
use kodiak::clauses::annotated::AnnotatedSet;
use kodiak::clauses::train::{TrainOptions, trainable_categories};
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use kodiak::service::{Grid, JobScope};
use support::clauses::{self, ITEMS, LabelledContract};

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |s: &str| only.is_empty() || only.iter().any(|o| s.contains(o.as_str()));
    let dir = tempfile::tempdir().unwrap();
    if wanted("real") {
        real(dir.path());
    }
    if only.iter().all(|o| o == "real") && !only.is_empty() {
        return;
    }
    let count = env_count("KODIAK_BENCH_CONTRACTS", 1000);
    let contracts = clauses::generate(count, 0x5eed_c1a5);
    let docs = dir.path().join("contracts");
    std::fs::create_dir_all(&docs).unwrap();
    for contract in &contracts {
        std::fs::write(docs.join(&contract.file_name), &contract.text).unwrap();
    }
    let checklist = bench_checklist();
    if wanted("speed") || wanted("quality") {
        let root = dir.path().join("hybrid");
        let kodiak = open(&root, true, false);
        let started = Instant::now();
        kodiak.ingest(std::slice::from_ref(&docs), &Silent).unwrap();
        println!(
            "ingested {count} contracts with their vectors in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let grid = run(&kodiak, &checklist, "hybrid (default), no model", false);
        if wanted("quality") {
            quality(
                &kodiak,
                &grid,
                &contracts,
                "without a model (hybrid retrieval)",
            );
        }
        if wanted("speed") {
            drop(kodiak);
            let bm25 = open(&root, false, false);
            run(&bm25, &checklist, "BM25 only, no model", false);
        }
    }
    if wanted("model") {
        let few = env_count("KODIAK_BENCH_MODEL_CONTRACTS", 8);
        let subset = dir.path().join("subset");
        std::fs::create_dir_all(&subset).unwrap();
        for contract in &contracts[..few.min(contracts.len())] {
            std::fs::write(subset.join(&contract.file_name), &contract.text).unwrap();
        }
        let kodiak = open(&dir.path().join("model"), true, true);
        kodiak.ingest(&[subset], &Silent).unwrap();
        let extractive = run(&kodiak, &checklist, "subset, no model", false);
        quality(
            &kodiak,
            &extractive,
            &contracts,
            "the same contracts without a model",
        );
        let grid = run(&kodiak, &checklist, "subset, default generator", true);
        quality(&kodiak, &grid, &contracts, "with the default generator");
    }
}

/// The detector on real contracts: its accuracy by cross-validation, the terms alone run
/// through Kodiak beside it, and the speed of a run with it.
fn real(dir: &Path) {
    let data = support::cuad_dir();
    if !data.join("labels.csv").is_file() {
        println!(
            "real: no annotated contracts in {} (labels.csv and contracts/; set \
             KODIAK_CUAD_DIR); this section is skipped",
            data.display()
        );
        return;
    }
    let set = AnnotatedSet::load(&data, kodiak::extract::normalize).unwrap();
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/checklists/commercial-contract.toml");
    let checklist = Checklist::load(&path).unwrap();
    let categories = trainable_categories(&set);
    let items: Vec<_> = checklist
        .items
        .iter()
        .filter(|i| i.clause.as_ref().is_some_and(|c| categories.contains(c)))
        .cloned()
        .collect();

    let started = Instant::now();
    let scores = cross_validate(
        &set,
        &categories,
        &items,
        5,
        &TrainOptions::default(),
        &mut |_| {},
    );
    println!(
        "real contracts ({} of {}): the clause detector by 5-fold cross-validation, {:.0} s\n",
        set.contracts.len(),
        data.display(),
        started.elapsed().as_secs_f64()
    );
    println!("{}", table(&scores));

    let kodiak = open(&dir.join("real"), false, false);
    let started = Instant::now();
    kodiak.ingest(&[data.join("contracts")], &Silent).unwrap();
    println!(
        "ingested them without vectors in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut by_terms = checklist.clone();
    by_terms.name = format!("{}-terms", checklist.name);
    for item in &mut by_terms.items {
        item.clause = None;
    }
    let grid = run(&kodiak, &by_terms, "real, terms alone, no model", false);
    let (scores, _) = score_grid(&items, &set, &grid);
    println!("\nthe same items decided by their terms alone (nothing trained):\n");
    println!("{}", table(&scores));

    let started = Instant::now();
    let grid = run(
        &kodiak,
        &checklist,
        "real, detector + terms, no model",
        false,
    );
    let seconds = started.elapsed().as_secs_f64();
    let per_thousand = seconds * 1000.0 / grid.rows.len().max(1) as f64;
    println!(
        "  {} contracts × {} items in {seconds:.1} s: {per_thousand:.0} s per 1,000 contracts \
         (goal ≤ 60: {})",
        grid.rows.len(),
        checklist.items.len(),
        if per_thousand <= 60.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "  (its accuracy is the cross-validation above: the shipped model was trained on these \
         contracts)\n"
    );
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The shipped commercial checklist, cut to the 20 clause types the contracts plant.
fn bench_checklist() -> Checklist {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/checklists/commercial-contract.toml");
    let mut checklist = Checklist::load(&path).unwrap();
    checklist.items.retain(|i| ITEMS.contains(&i.id.as_str()));
    assert_eq!(checklist.items.len(), ITEMS.len());
    checklist
}

fn open(root: &Path, embedder: bool, generator: bool) -> Kodiak {
    let mut config = Config::default();
    config.embedder.enabled = embedder;
    config.generator.enabled = generator;
    let kodiak =
        Kodiak::open(Settings::in_dir(root, config).with_engine(env!("CARGO_BIN_EXE_kodiak")))
            .unwrap();
    if generator {
        let models = kodiak::config::default_models_dir();
        assert!(
            models
                .join(kodiak::config::DEFAULT_GENERATOR_FILE)
                .is_file(),
            "the model section needs the default models in {}: run scripts/fetch-models",
            models.display()
        );
    }
    kodiak
}

fn run(kodiak: &Kodiak, checklist: &Checklist, label: &str, use_model: bool) -> Grid {
    let job = kodiak
        .start_checklist(checklist, &JobScope::default(), use_model)
        .unwrap();
    let outcome = kodiak.run_checklist(job, &()).unwrap();
    let rate = outcome.decided as f64 / outcome.seconds;
    print!(
        "{label:<34} {:>6} cells in {:>7.1} s: {rate:>7.1} cells/s",
        outcome.decided, outcome.seconds
    );
    if !use_model {
        print!(
            "  goal ≥ 200: {}",
            if rate >= 200.0 { "met" } else { "MISSED" }
        );
    }
    println!();
    if let Some(model) = outcome.model.filter(|m| m.cells > 0) {
        let cells = model.cells as f64;
        println!(
            "  model: {:.2} s/cell, {:.0} prompt + {:.0} written tokens/cell, {:.0}% of prompt tokens reused",
            model.seconds / cells,
            model.prompt_tokens as f64 / cells,
            model.completion_tokens as f64 / cells,
            100.0 * model.reused_tokens as f64 / model.prompt_tokens.max(1) as f64
        );
    }
    for note in &outcome.notes {
        println!("  note: {note}");
    }
    kodiak.checklist_grid(job).unwrap()
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    uncertain: usize,
    /// Planted clauses left `uncertain`: not found, but put before the reviewer.
    flagged: usize,
    cells: usize,
    evidence_right: usize,
}

fn quality(kodiak: &Kodiak, grid: &Grid, contracts: &[LabelledContract], label: &str) {
    let by_name: HashMap<&str, &LabelledContract> = contracts
        .iter()
        .map(|c| (c.file_name.as_str(), c))
        .collect();
    // `KODIAK_BENCH_MISSED=1` lists the cells found where no clause was planted.
    let list_misses = std::env::var_os("KODIAK_BENCH_MISSED").is_some();
    let mut per_item: Vec<Counts> = grid
        .checklist
        .items
        .iter()
        .map(|_| Counts::default())
        .collect();
    for row in &grid.rows {
        let name = Path::new(&row.path).file_name().unwrap().to_str().unwrap();
        let contract = by_name[name];
        let text = kodiak.document_text(row.doc_id).unwrap().unwrap().text;
        for ((item, cell), counts) in grid
            .checklist
            .items
            .iter()
            .zip(&row.cells)
            .zip(&mut per_item)
        {
            let Some(cell) = cell else { continue };
            let planted = contract
                .present
                .iter()
                .find(|(id, _)| *id == item.id)
                .map(|(_, clause)| clause);
            counts.cells += 1;
            let state = cell.suggestion.state;
            if state == CellState::Uncertain {
                counts.uncertain += 1;
            }
            match (state == CellState::Found, planted) {
                (true, Some(clause)) => {
                    counts.tp += 1;
                    if overlaps(&text, clause, &cell.suggestion.evidence) {
                        counts.evidence_right += 1;
                    }
                }
                (true, None) => {
                    counts.fp += 1;
                    if list_misses {
                        let quote = cell
                            .suggestion
                            .evidence
                            .first()
                            .map_or("", |q| q.text.as_str());
                        println!("false found {} in {name}: {quote:?}", item.id);
                    }
                }
                (false, Some(_)) => {
                    counts.fn_ += 1;
                    if state == CellState::Uncertain {
                        counts.flagged += 1;
                    }
                }
                (false, None) => {}
            }
        }
    }
    println!("\nquality {label} ({} documents):", grid.rows.len());
    // `+uncertain`: recall counting the planted clauses left uncertain, which a reviewer
    // sees marked `?` rather than missed.
    println!(
        "{:<26} {:>9} {:>7} {:>11} {:>9} {:>9}",
        "item", "precision", "recall", "+uncertain", "uncertain", "evidence"
    );
    let mut all = Counts::default();
    for (item, c) in grid.checklist.items.iter().zip(&per_item) {
        println!(
            "{:<26} {:>9.3} {:>7.3} {:>11.3} {:>8.1}% {:>9.3}",
            item.id,
            ratio(c.tp, c.tp + c.fp),
            ratio(c.tp, c.tp + c.fn_),
            ratio(c.tp + c.flagged, c.tp + c.fn_),
            100.0 * ratio(c.uncertain, c.cells),
            ratio(c.evidence_right, c.tp)
        );
        all.tp += c.tp;
        all.fp += c.fp;
        all.fn_ += c.fn_;
        all.uncertain += c.uncertain;
        all.flagged += c.flagged;
        all.cells += c.cells;
        all.evidence_right += c.evidence_right;
    }
    println!(
        "{:<26} {:>9.3} {:>7.3} {:>11.3} {:>8.1}% {:>9.3}",
        "all (micro)",
        ratio(all.tp, all.tp + all.fp),
        ratio(all.tp, all.tp + all.fn_),
        ratio(all.tp + all.flagged, all.tp + all.fn_),
        100.0 * ratio(all.uncertain, all.cells),
        ratio(all.evidence_right, all.tp)
    );
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Whether a quote of `evidence` overlaps where `clause` stands in `text`.
fn overlaps(text: &str, clause: &str, evidence: &[kodiak::checklist::decide::Quote]) -> bool {
    let Some(at) = text.find(clause) else {
        return false;
    };
    let start = text[..at].chars().count();
    let end = start + clause.chars().count();
    evidence
        .iter()
        .any(|q| q.char_start < end && start < q.char_end)
}
