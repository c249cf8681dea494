//! Search on real contracts: the annotated CUAD half beside the repository
//! (`../shared/data/cuad-train`, or `KODIAK_CUAD_DIR`).
//!
//! Each contract is asked, scoped to itself, CUAD's description of every clause category
//! the lawyers marked in it ("Which state/country's law governs the interpretation of the
//! contract?"); a question is answered when one of the first five passages overlaps a
//! marked clause. Printed per category and in all, with BM25 and with BM25 beside the
//! clause detector, over all contracts; and over the first `KODIAK_BENCH_HYBRID_CONTRACTS`
//! (default 60; embedding them takes minutes) with hybrid search too. The detector is
//! cross-validated: five models are trained here, each without a fifth of the contracts,
//! and each contract is asked by a Kodiak whose model never saw it.
//!
//! The hybrid section makes both kinds of vectors, the model's and the fast ones, and asks
//! with each (`KODIAK_BENCH_VECTORS=fast`: the fast ones alone, without running the model;
//! `KODIAK_BENCH_FAST_WEIGHT=W`: the fast vectors' weight in fusion, `[retrieval]
//! fast_vector_weight`).
//!
//! The questions are CUAD's own wording, read from `CUAD_v1_README.txt` in the data folder;
//! the "clause questions" leave out the three that ask for the document's name, its parties
//! and its date. Figures to improve, never assertions. Run with
//! `cargo bench --bench contracts` (or `-- bm25`, `-- answers`, `-- hybrid`, `-- outline`).
//!
//! `outline`: the numbered articles each contract's outline lists, by heading lines alone
//! and with the headings inside run-on lines: contracts whose outline holds articles 1, 2
//! and 3 at least, the articles in such runs, and the other top-level headings beside them
//! (`KODIAK_BENCH_OUTLINE=NAME` prints the outline of the contracts whose name holds NAME);
//! and how many contracts have pages, from page-number lines or form feeds.
//!
//! `checked` (with `answers`): the 60 questions of `benches/data/cuad-checked.tsv`, whose
//! answers were read in the contracts by hand (term, governing law, notice to stop renewal,
//! liability cap, parties, effective date), asked scoped to their contract as in `answers`:
//! whether evidence [1] holds the words of the sentence stating the answer, whether it
//! states the right value, and whether the value the answer leads with is right.
//! `KODIAK_BENCH_QUOTES=FILE` writes each evidence [1]; `KODIAK_BENCH_BEFORE=FILE` scores
//! such a file beside (evidence written by another version of Kodiak).
//!
//! `scope` (with `answers`): each contract asked, unscoped, "Which law governs the agreement
//! between A and B?" with the first two parties the set names for it, as a reviewer would
//! call them (by the name they are defined as when it is their own, else its first word;
//! never by a role such as "Licensee"): how often the
//! question is asked of that contract alone, of it among others, of others only, or of all.
//!
//! `answers`: each contract asked seven reviewers' questions (governing law, term, renewal,
//! notice to stop renewal, effective date, parties, liability cap) for the clauses it has,
//! extractively: whether evidence [1] quotes the lawyers' clause, whether any quote does,
//! and whether the value read from evidence [1] agrees with the set's normalised answer
//! (`KODIAK_BENCH_MISSED=1` prints each evidence [1] that misses).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use kodiak::Kodiak;
use kodiak::answer::Evidence;
use kodiak::checklist::AnswerKind;
use kodiak::checklist::measure::answer_right;
use kodiak::clauses::annotated::{AnnotatedSet, Contract, category_id};
use kodiak::clauses::train::{Corpus, TrainOptions, train, trainable_categories};
use kodiak::config::{Config, Settings, VectorChoice};
use kodiak::ingest::Silent;
use kodiak::search::Mode;
use kodiak::service::{AskOptions, SearchOptions};

/// Passages a question may look at.
const TOP: usize = 5;
/// The default `[retrieval] clause_weight`.
const CLAUSE_WEIGHT: f32 = 4.0;
/// Folds of the cross-validation: the set's contract `i` is in fold `i % FOLDS`.
const FOLDS: usize = 5;
/// Questions about the document rather than a clause.
const NOT_CLAUSES: [&str; 3] = ["document_name", "parties", "agreement_date"];

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |s: &str| only.is_empty() || only.iter().any(|o| s.contains(o.as_str()));
    let data = support::cuad_dir();
    if !data.join("labels.csv").is_file() {
        println!(
            "no annotated contracts in {} (labels.csv and contracts/; set KODIAK_CUAD_DIR)",
            data.display()
        );
        return;
    }
    let set = AnnotatedSet::load(&data, kodiak::extract::normalize).unwrap();
    if wanted("outline") {
        print_outlines(&set);
    }
    if wanted("titles") {
        print_titles(&set);
    }
    if only.iter().all(|o| o == "outline" || o == "titles") && !only.is_empty() {
        return;
    }
    let questions = questions(&data.join("CUAD_v1_README.txt"));
    print_question_types(&questions);
    let work = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let models = fold_models(&set, work.path());
    println!(
        "{} clause models trained, each without a fifth of the contracts, in {:.1} s\n",
        models.len(),
        started.elapsed().as_secs_f64()
    );
    let all: Vec<(usize, &Contract)> = set.contracts.iter().enumerate().collect();
    if wanted("bm25") {
        let root = work.path().join("bm25");
        let started = Instant::now();
        open(&root, VectorChoice::None, None, 0.0)
            .ingest(&[data.join("contracts")], &Silent)
            .unwrap();
        println!(
            "{} contracts ingested without vectors in {:.1} s\n",
            set.contracts.len(),
            started.elapsed().as_secs_f64()
        );
        let ask = |weight| {
            ask_folds(
                &root,
                VectorChoice::None,
                &models,
                weight,
                &all,
                &questions,
                Mode::Bm25,
            )
        };
        let started = Instant::now();
        let plain = ask(0.0);
        let plain_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let detected = ask(CLAUSE_WEIGHT);
        let detected_secs = started.elapsed().as_secs_f64();
        print_tallies(
            &format!("all {} contracts", all.len()),
            &[("BM25", &plain), ("BM25 + detector", &detected)],
        );
        let asked: usize = plain.values().map(|(a, _)| a).sum();
        println!(
            "time per question: BM25 {:.1} ms, BM25 + detector {:.1} ms\n",
            plain_secs * 1e3 / asked.max(1) as f64,
            detected_secs * 1e3 / asked.max(1) as f64
        );
    }
    if wanted("answers") {
        let root = work.path().join("answers");
        open(&root, VectorChoice::None, None, 0.0)
            .ingest(&[data.join("contracts")], &Silent)
            .unwrap();
        answers(&root, &models, &all);
        if wanted("checked") {
            checked(&root, &models, &all);
        }
        if wanted("scope") {
            scope(&root, &all);
        }
    }
    if wanted("hybrid") {
        let count = std::env::var("KODIAK_BENCH_HYBRID_CONTRACTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60usize);
        let some: Vec<(usize, &Contract)> = all.iter().copied().take(count).collect();
        let subset = work.path().join("subset");
        std::fs::create_dir_all(&subset).unwrap();
        for (_, contract) in &some {
            let name = format!("{}.txt", contract.name);
            std::fs::copy(data.join("contracts").join(&name), subset.join(&name)).unwrap();
        }
        // `KODIAK_BENCH_VECTORS=fast` makes and compares the fast vectors alone (minutes
        // less: the embedding model does not run over the contracts).
        let fast_only = std::env::var("KODIAK_BENCH_VECTORS").is_ok_and(|v| v == "fast");
        let made = if fast_only {
            VectorChoice::Fast
        } else {
            VectorChoice::Full
        };
        let root = work.path().join("hybrid");
        let started = Instant::now();
        open(&root, made, None, 0.0)
            .ingest(&[subset], &Silent)
            .unwrap();
        println!(
            "{} contracts ingested with their vectors in {:.1} s\n",
            some.len(),
            started.elapsed().as_secs_f64()
        );
        // The ingest made both kinds of vectors; each Kodiak searches by the one it chose.
        let ask = |vectors, weight, mode| {
            ask_folds(&root, vectors, &models, weight, &some, &questions, mode)
        };
        let (full, fast) = (VectorChoice::Full, VectorChoice::Fast);
        if fast_only {
            let bm25 = ask(fast, 0.0, Mode::Bm25);
            let vector_fast = ask(fast, 0.0, Mode::Vector);
            let hybrid_fast = ask(fast, 0.0, Mode::Hybrid);
            let hybrid_fast_detected = ask(fast, CLAUSE_WEIGHT, Mode::Hybrid);
            print_tallies(
                &format!("the first {} contracts, fast vectors", some.len()),
                &[
                    ("BM25", &bm25),
                    ("fast vectors", &vector_fast),
                    ("hybrid, fast", &hybrid_fast),
                    ("hybrid, fast + detector", &hybrid_fast_detected),
                ],
            );
            return;
        }
        let bm25 = ask(full, 0.0, Mode::Bm25);
        let vector = ask(full, 0.0, Mode::Vector);
        let vector_fast = ask(fast, 0.0, Mode::Vector);
        let hybrid = ask(full, 0.0, Mode::Hybrid);
        let hybrid_fast = ask(fast, 0.0, Mode::Hybrid);
        let bm25_detected = ask(full, CLAUSE_WEIGHT, Mode::Bm25);
        let hybrid_detected = ask(full, CLAUSE_WEIGHT, Mode::Hybrid);
        let hybrid_fast_detected = ask(fast, CLAUSE_WEIGHT, Mode::Hybrid);
        print_tallies(
            &format!("the first {} contracts", some.len()),
            &[
                ("BM25", &bm25),
                ("vectors", &vector),
                ("fast vectors", &vector_fast),
                ("hybrid", &hybrid),
                ("hybrid, fast", &hybrid_fast),
                ("BM25 + detector", &bm25_detected),
                ("hybrid + detector", &hybrid_detected),
                ("hybrid, fast + detector", &hybrid_fast_detected),
            ],
        );
    }
}

/// A reviewer's question about a clause CUAD labels, and the kind of value that answers it.
struct Ask {
    clause: &'static str,
    question: &'static str,
    kind: AnswerKind,
}

/// Questions as reviewers put them (not CUAD's descriptions), one per clause whose value a
/// checklist extracts.
const ASKS: [Ask; 7] = [
    Ask {
        clause: "governing_law",
        question: "Which law governs this agreement?",
        kind: AnswerKind::Jurisdiction,
    },
    Ask {
        clause: "expiration_date",
        question: "What is the term of this agreement?",
        kind: AnswerKind::Duration,
    },
    Ask {
        clause: "renewal_term",
        question: "How long is each renewal term?",
        kind: AnswerKind::Duration,
    },
    Ask {
        clause: "notice_period_to_terminate_renewal",
        question: "How much notice is needed to stop the agreement from renewing?",
        kind: AnswerKind::Duration,
    },
    Ask {
        clause: "effective_date",
        question: "When does this agreement take effect?",
        kind: AnswerKind::Date,
    },
    Ask {
        clause: "parties",
        question: "Who are the parties to this agreement?",
        kind: AnswerKind::Parties,
    },
    Ask {
        clause: "cap_on_liability",
        question: "Is liability capped, and at what amount?",
        kind: AnswerKind::Amount,
    },
];

/// Per question: asked; evidence [1] quotes the lawyers' clause; one of the quotes does;
/// the value read from evidence [1] agrees with the set's normalised answer, of those the
/// set gives one for.
#[derive(Default)]
struct AnswerTally {
    asked: usize,
    first: usize,
    any: usize,
    valued: usize,
    value_right: usize,
    seconds: f64,
}

/// Every contract asked [`ASKS`] for the clauses it has, extractively (the evidence an
/// answer leads with), scoped to itself, by a Kodiak whose clause model never saw it.
fn answers(root: &Path, models: &[PathBuf], contracts: &[(usize, &Contract)]) {
    let mut tallies: Vec<AnswerTally> = ASKS.iter().map(|_| AnswerTally::default()).collect();
    let missed = std::env::var_os("KODIAK_BENCH_MISSED").is_some();
    for (fold, model) in models.iter().enumerate() {
        let kodiak = open(root, VectorChoice::None, Some(model), CLAUSE_WEIGHT);
        let by_name = documents_by_name(&kodiak);
        for (_, contract) in contracts.iter().filter(|(i, _)| i % FOLDS == fold) {
            let Some(&doc) = by_name.get(&contract.name) else {
                continue;
            };
            let char_at = char_offsets(&contract.text);
            for (ask, tally) in ASKS.iter().zip(&mut tallies) {
                let spans: Vec<(usize, usize)> = contract
                    .spans(ask.clause)
                    .map(|(s, e)| (char_at[s], char_at[e]))
                    .collect();
                if spans.is_empty() {
                    continue;
                }
                let options = AskOptions {
                    question: ask.question.into(),
                    documents: vec![doc],
                    no_llm: true,
                    ..AskOptions::default()
                };
                let started = Instant::now();
                let answer = kodiak.ask(&options, &mut |_| {}).unwrap();
                tally.seconds += started.elapsed().as_secs_f64();
                // Where each quote stands in the contract, in characters.
                let quoted: Vec<(usize, usize)> = answer
                    .citations
                    .iter()
                    .filter_map(|c| {
                        let source = answer.sources.iter().find(|s| s.n == c.n)?;
                        let at = source.text.find(c.quote.as_str())?;
                        let start = c.char_start + source.text[..at].chars().count();
                        Some((start, start + c.quote.chars().count()))
                    })
                    .collect();
                let holds =
                    |&(qs, qe): &(usize, usize)| spans.iter().any(|&(s, e)| qs < e && s < qe);
                let first = quoted.first().is_some_and(holds);
                tally.asked += 1;
                tally.first += usize::from(first);
                tally.any += usize::from(quoted.iter().any(holds));
                let quote = answer.citations.first().map_or("", |c| c.quote.as_str());
                // The value the answer leads with, as `Evidence` gives it.
                let evidence = Evidence::for_question(ask.question, &answer.sources);
                let value = evidence.and_then(|e| e.value).unwrap_or_default();
                if let Some(right) = answer_right(ask.kind, &value, contract, ask.clause) {
                    tally.valued += 1;
                    tally.value_right += usize::from(right);
                    if missed && !right {
                        println!(
                            "  wrong value {} / {}: {value:?}, the set says {:?}",
                            contract.name,
                            ask.clause,
                            contract.answers.get(ask.clause).map_or("", String::as_str)
                        );
                    }
                }
                if missed && !first {
                    println!(
                        "  missed {} / {}: [1] \"{}\"",
                        contract.name,
                        ask.clause,
                        quote.split_whitespace().collect::<Vec<_>>().join(" ")
                    );
                }
            }
        }
    }
    println!("answers on contracts: evidence [1] (the first quote) is the lawyers' clause");
    println!(
        "  {:<36} {:>16} {:>16} {:>16} {:>8}",
        "", "evidence [1]", "any quote", "value [1]", "ms"
    );
    let mut all = AnswerTally::default();
    for (ask, t) in ASKS.iter().zip(&tallies) {
        println!(
            "  {:<36} {:>16} {:>16} {:>16} {:>8.1}",
            ask.clause,
            share((t.asked, t.first)),
            share((t.asked, t.any)),
            share((t.valued, t.value_right)),
            t.seconds * 1e3 / t.asked.max(1) as f64
        );
        all.asked += t.asked;
        all.first += t.first;
        all.any += t.any;
        all.valued += t.valued;
        all.value_right += t.value_right;
    }
    println!(
        "  {:<36} {:>16} {:>16} {:>16}\n",
        "all",
        share((all.asked, all.first)),
        share((all.asked, all.any)),
        share((all.valued, all.value_right)),
    );
}

/// Each stored document's id by its file name without the extension.
fn documents_by_name(kodiak: &Kodiak) -> HashMap<String, i64> {
    kodiak
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| {
            let name = Path::new(&d.path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, d.id)
        })
        .collect()
}

/// Which clause type Kodiak reads each of CUAD's questions as asking about.
fn print_question_types(questions: &BTreeMap<String, String>) {
    let types = kodiak::clauses::question::QuestionTypes::new();
    let mut own = 0;
    let mut others = Vec::new();
    for (category, question) in questions {
        let asked = types.asked(question);
        if asked == [category.as_str()] {
            own += 1;
        } else {
            others.push(format!("  {category:<36} read as {asked:?}"));
        }
    }
    println!(
        "CUAD's questions read as asking about their own clause type: {own} of {}",
        questions.len()
    );
    for line in others {
        println!("{line}");
    }
    println!();
}

/// One clause model per fold, trained on the other folds' contracts, written to `dir`.
fn fold_models(set: &AnnotatedSet, dir: &Path) -> Vec<PathBuf> {
    let categories = trainable_categories(set);
    let corpus = Corpus::new(&set.contracts, &categories);
    (0..FOLDS)
        .map(|fold| {
            let trained: Vec<usize> = (0..set.contracts.len())
                .filter(|i| i % FOLDS != fold)
                .collect();
            let model = train(&corpus, &trained, &TrainOptions::default(), Vec::new());
            let path = dir.join(format!("clause-model-fold{fold}.txt"));
            std::fs::write(&path, model.to_text()).unwrap();
            path
        })
        .collect()
}

/// Asks every contract (with its index in the set) its questions, each by a Kodiak whose
/// clause model did not learn from it.
fn ask_folds(
    root: &Path,
    vectors: VectorChoice,
    models: &[PathBuf],
    clause_weight: f32,
    contracts: &[(usize, &Contract)],
    questions: &BTreeMap<String, String>,
    mode: Mode,
) -> Tally {
    let mut tally = Tally::new();
    for (fold, model) in models.iter().enumerate() {
        let kodiak = open(root, vectors, Some(model), clause_weight);
        let held: Vec<&Contract> = contracts
            .iter()
            .filter(|(i, _)| i % FOLDS == fold)
            .map(|(_, c)| *c)
            .collect();
        for (category, (asked, answered)) in ask_all(&kodiak, &held, questions, mode) {
            let entry = tally.entry(category).or_default();
            entry.0 += asked;
            entry.1 += answered;
        }
    }
    tally
}

fn open(
    root: &Path,
    vectors: VectorChoice,
    clause_model: Option<&Path>,
    clause_weight: f32,
) -> Kodiak {
    let embedder = vectors != VectorChoice::None;
    let mut config = Config::default();
    config.generator.enabled = false;
    config.embedder.enabled = embedder;
    config.embedder.vectors = vectors;
    if let Ok(weight) = std::env::var("KODIAK_BENCH_FAST_WEIGHT") {
        config.retrieval.fast_vector_weight = weight.parse().unwrap();
    }
    config.checklist.clause_model = clause_model.map(Path::to_path_buf);
    config.retrieval.clause_weight = clause_weight;
    // Questions come faster than a reviewer's 100 a minute.
    config.limits.requests = 1_000_000;
    if embedder {
        let model = kodiak::llm::FetchedModel::MiniLm.path();
        assert!(
            model.is_file(),
            "{} is missing: run scripts/fetch-models",
            model.display()
        );
    }
    Kodiak::open(Settings::in_dir(root, config).with_engine(env!("CARGO_BIN_EXE_kodiak"))).unwrap()
}

/// CUAD's description of each category, by category id.
fn questions(readme: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(readme).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (CUAD's README holds the questions)",
            readme.display()
        )
    });
    let mut questions = BTreeMap::new();
    let mut category = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("Category:") {
            let name = name.trim();
            // The README names a few categories otherwise than the labels' columns.
            let column = match name {
                "Notice to Terminate Renewal" => "Notice Period to Terminate Renewal",
                "Right of First Refusal, Offer or Negotiation (ROFR/ROFO/ROFN)" => "Rofr/Rofo/Rofn",
                "Price Restriction" => "Price Restrictions",
                "Affiliate IP License-Licensor" => "Affiliate License-Licensor",
                "Affiliate IP License-Licensee" => "Affiliate License-Licensee",
                other => other,
            };
            category = Some(category_id(column));
        } else if let Some(description) = line.strip_prefix("Description:")
            && let Some(id) = category.take()
        {
            questions.insert(
                id,
                description.split_whitespace().collect::<Vec<_>>().join(" "),
            );
        }
    }
    questions
}

/// Per category: questions asked and answered in the top [`TOP`].
type Tally = BTreeMap<String, (usize, usize)>;

fn ask_all(
    kodiak: &Kodiak,
    contracts: &[&Contract],
    questions: &BTreeMap<String, String>,
    mode: Mode,
) -> Tally {
    let by_name = documents_by_name(kodiak);
    let mut tally = Tally::new();
    let mut differing = 0;
    for contract in contracts {
        let Some(&doc) = by_name.get(&contract.name) else {
            continue;
        };
        let stored = kodiak.document_text(doc).unwrap().map(|t| t.text);
        if stored.as_deref() != Some(contract.text.as_str()) {
            differing += 1;
            continue;
        }
        // Byte offsets of the labels to the characters chunks are measured in.
        let char_at = char_offsets(&contract.text);
        for (category, clauses) in &contract.clauses {
            let Some(question) = questions.get(category) else {
                continue;
            };
            let spans: Vec<(usize, usize)> = clauses
                .iter()
                .flat_map(|c| c.spans.iter())
                .map(|&(s, e)| (char_at[s], char_at[e]))
                .collect();
            if spans.is_empty() {
                continue;
            }
            let options = SearchOptions {
                mode: Some(mode),
                limit: TOP,
                documents: vec![doc],
            };
            let hits = kodiak.search(question, &options).unwrap().hits;
            let answered = hits.iter().any(|h| {
                spans
                    .iter()
                    .any(|&(s, e)| h.char_start < e && s < h.char_end)
            });
            let entry = tally.entry(category.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(answered);
        }
    }
    if differing > 0 {
        println!("({differing} contracts left out: their stored text differs from the labels')");
    }
    tally
}

/// For each byte offset of `text` (and its end), the character offset.
fn char_offsets(text: &str) -> Vec<usize> {
    let mut at = vec![0; text.len() + 1];
    let mut chars = 0;
    for (byte, c) in text.char_indices() {
        for slot in &mut at[byte..byte + c.len_utf8()] {
            *slot = chars;
        }
        chars += 1;
    }
    at[text.len()] = chars;
    at
}

/// Answered over asked, with the share.
fn share((asked, answered): (usize, usize)) -> String {
    format!(
        "{answered:>4}/{asked:<4} {:.3}",
        answered as f64 / asked.max(1) as f64
    )
}

fn total(tally: &Tally, clauses_only: bool) -> (usize, usize) {
    tally
        .iter()
        .filter(|(c, _)| !clauses_only || !NOT_CLAUSES.contains(&c.as_str()))
        .fold((0, 0), |(a, b), (_, (x, y))| (a + x, b + y))
}

/// The share of questions with the clause in the top [`TOP`], per category and in all,
/// a column per way of searching.
fn print_tallies(label: &str, columns: &[(&str, &Tally)]) {
    println!("{label}: the clause in the first {TOP} passages");
    print!("  {:<36}", "");
    for (name, _) in columns {
        print!(" {name:>18}");
    }
    println!();
    let categories: Vec<&String> = columns[0].1.keys().collect();
    for category in categories {
        print!("  {category:<36}");
        for (_, tally) in columns {
            print!(
                " {:>18}",
                share(tally.get(category).copied().unwrap_or_default())
            );
        }
        println!();
    }
    for (name, clauses_only) in [("all questions", false), ("clause questions", true)] {
        print!("  {name:<36}");
        for (_, tally) in columns {
            print!(" {:>18}", share(total(tally, clauses_only)));
        }
        println!();
    }
    println!();
}

/// A way to find a text's headings.
type Outliner = dyn Fn(&str) -> Vec<kodiak::text::Heading>;

/// The articles the outlines list, by heading lines alone and with inline headings.
/// Titles read from the contracts' first lines (`text::document_title`, what a text file
/// gets as its title at ingest) against the name CUAD's lawyers marked ("Document Name"):
/// how many contracts get one, how many of those are a name marked (spacing and case
/// aside, or one within the other), and how many titles two contracts share.
fn print_titles(set: &AnnotatedSet) {
    let fold = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut found = 0;
    let mut right = 0;
    let mut labelled = 0;
    let mut wrong = Vec::new();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for contract in &set.contracts {
        let names: Vec<String> = contract
            .clauses
            .get("document_name")
            .map(|c| c.iter().map(|c| fold(&c.text)).collect())
            .unwrap_or_default();
        if !names.is_empty() {
            labelled += 1;
        }
        let Some(title) = kodiak::text::document_title(&contract.text) else {
            continue;
        };
        found += 1;
        *seen.entry(fold(&title)).or_default() += 1;
        let title = fold(&title);
        if names
            .iter()
            .any(|n| *n == title || n.contains(&title) || title.contains(n.as_str()))
        {
            right += 1;
        } else if !names.is_empty() {
            wrong.push((title, names.join(" | ")));
        }
    }
    let shared: usize = seen.values().filter(|&&n| n > 1).sum();
    println!(
        "Titles from the first lines: {found} of {} contracts ({labelled} with a document name \
         marked); {right} of the {found} are a name marked; {shared} titles shared by two \
         contracts or more",
        set.contracts.len()
    );
    for (title, names) in wrong.iter().take(25) {
        println!("  title {title:?}, marked {names:?}");
    }
    println!();
}

fn print_outlines(set: &AnnotatedSet) {
    let by_lines = |text: &str| -> Vec<kodiak::text::Heading> {
        let mut above = "";
        let mut offset = 0;
        let mut found = Vec::new();
        for line in text.split('\n') {
            if let Some((level, title)) = kodiak::text::heading_of(line, above) {
                found.push(kodiak::text::Heading {
                    offset,
                    level,
                    text: title,
                });
            }
            above = line;
            offset += line.len() + 1;
        }
        found
    };
    if let Ok(name) = std::env::var("KODIAK_BENCH_OUTLINE") {
        for contract in set.contracts.iter().filter(|c| c.name.contains(&name)) {
            println!("{}:", contract.name);
            for heading in kodiak::text::outline(&contract.text) {
                println!("{}{}", "  ".repeat(heading.level), heading.text);
            }
        }
    }
    let paged: Vec<usize> = set
        .contracts
        .iter()
        .map(|c| kodiak::text::split_pages(&c.text).len())
        .filter(|&pages| pages > 1)
        .collect();
    println!(
        "pages: {} of {} contracts have page lines or form feeds, {} pages in all\n",
        paged.len(),
        set.contracts.len(),
        paged.iter().sum::<usize>()
    );
    println!(
        "outline: numbered articles listed, of {} contracts",
        set.contracts.len()
    );
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>8}",
        "", "contracts", "articles", "other top", "ms"
    );
    let outlines: [(&str, &Outliner); 2] = [
        ("heading lines", &by_lines),
        ("with inline headings", &kodiak::text::outline),
    ];
    for (label, outline) in outlines {
        let started = Instant::now();
        let (mut contracts, mut articles, mut other) = (0, 0, 0);
        for contract in &set.contracts {
            let top: Vec<kodiak::text::Heading> = outline(&contract.text)
                .into_iter()
                .filter(|h| h.level == 1)
                .collect();
            let numbers: std::collections::BTreeSet<u32> =
                top.iter().filter_map(|h| article_number(&h.text)).collect();
            let run = (1..).take_while(|n| numbers.contains(n)).count();
            if run >= 3 {
                contracts += 1;
                articles += run;
                other += top.len().saturating_sub(run);
            }
        }
        println!(
            "{label:<28} {contracts:>10} {articles:>10} {other:>10} {:>8.0}",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    println!();
}

/// The number a top-level heading gives its article: `12.`, `12 TERM`, `ARTICLE 12`.
fn article_number(heading: &str) -> Option<u32> {
    let words: Vec<&str> = heading.split_whitespace().take(2).collect();
    let number = match words.as_slice() {
        [first, second, ..] if first.eq_ignore_ascii_case("article") => *second,
        [first, ..] => *first,
        [] => return None,
    };
    number.trim_end_matches(['.', ':']).parse().ok()
}

/// Questions naming a contract's parties, unscoped: which documents they are asked of.
fn scope(root: &Path, contracts: &[(usize, &Contract)]) {
    let kodiak = open(root, VectorChoice::None, None, 0.0);
    let by_name = documents_by_name(&kodiak);
    let (mut alone, mut among, mut elsewhere, mut unscoped, mut asked) = (0, 0, 0, 0, 0);
    let mut missed = Vec::new();
    let started = Instant::now();
    for (_, contract) in contracts {
        let Some(&doc) = by_name.get(&contract.name) else {
            continue;
        };
        let parties: Vec<String> = contract
            .answers
            .get("parties")
            .map(|p| p.split(';').filter_map(short_name).take(2).collect())
            .unwrap_or_default();
        let [a, b] = parties.as_slice() else {
            continue;
        };
        let question = format!("Which law governs the agreement between {a} and {b}?");
        let options = AskOptions {
            question: question.clone(),
            no_llm: true,
            ..AskOptions::default()
        };
        let answer = kodiak.ask(&options, &mut |_| {}).unwrap();
        asked += 1;
        let docs: std::collections::BTreeSet<i64> =
            answer.sources.iter().map(|s| s.hit.doc_id).collect();
        match (answer.asked_of.len(), docs.contains(&doc)) {
            (0, _) => {
                unscoped += 1;
                missed.push(question);
            }
            (1, true) => alone += 1,
            (_, true) => among += 1,
            (_, false) => {
                elsewhere += 1;
                missed.push(question);
            }
        }
    }
    let share = |n: usize| n as f64 / asked.max(1) as f64;
    println!("questions naming a contract's parties, unscoped ({asked} contracts):");
    println!(
        "  asked of that contract alone       {alone:>4}  {:.3}",
        share(alone)
    );
    println!(
        "  asked of it among others           {among:>4}  {:.3}",
        share(among)
    );
    println!(
        "  asked of other documents only      {elsewhere:>4}  {:.3}",
        share(elsewhere)
    );
    println!(
        "  asked of every document            {unscoped:>4}  {:.3}",
        share(unscoped)
    );
    println!(
        "  {:.1} ms per question\n",
        started.elapsed().as_secs_f64() * 1e3 / asked.max(1) as f64
    );
    if std::env::var_os("KODIAK_BENCH_MISSED").is_some() {
        for question in missed {
            println!("  missed: {question}");
        }
    }
}

/// What a reviewer calls a party the set lists as `ACCURAY INCORPORATED ("Accuray")`: the
/// name it is defined as when that is its own name, else the first word of its name (a
/// party defined by its role, `("Licensee")`, is called by its name).
fn short_name(party: &str) -> Option<String> {
    let legal = party.split(['(', '"']).next().unwrap_or_default();
    let first = legal
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .find(|w| w.chars().any(char::is_alphabetic) && !w.eq_ignore_ascii_case("the"))?;
    let defined = party
        .split('"')
        .nth(1)
        .map(str::trim)
        .filter(|d| !d.is_empty() && legal.to_lowercase().contains(&d.to_lowercase()));
    Some(defined.unwrap_or(first).to_owned())
}

/// A question of `benches/data/cuad-checked.tsv`, its answer read in the contract by hand.
struct Checked {
    kind: String,
    contract: String,
    question: String,
    value: String,
    evidence: String,
}

fn checked_questions() -> Vec<Checked> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/cuad-checked.tsv");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Checked {
                kind: f[0].into(),
                contract: f[1].into(),
                question: f[2].into(),
                value: f[3].into(),
                evidence: f[4].into(),
            }
        })
        .collect()
}

/// Lower case, whitespace folded, for comparing words as written.
fn folded(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether `text` states `want`: a period, amount, percentage or date as a value, however
/// written; a place or the parties by their words.
fn states_value(text: &str, want: &str) -> bool {
    let wanted: Vec<kodiak::text::Value> = kodiak::text::values(want)
        .into_iter()
        .map(|s| s.value)
        .collect();
    if wanted.is_empty() {
        let text = folded(text);
        return want.split(';').all(|part| text.contains(&folded(part)));
    }
    let stated = kodiak::text::values(text);
    wanted
        .iter()
        .all(|w| stated.iter().any(|s| s.value.agrees(w)))
}

/// Per kind: asked, evidence [1] holds the sentence's words, states the value; the value
/// the answer leads with is right.
#[derive(Default, Clone, Copy)]
struct CheckedTally {
    asked: usize,
    words: usize,
    quote_value: usize,
    stated: usize,
}

fn checked(root: &Path, models: &[PathBuf], contracts: &[(usize, &Contract)]) {
    let questions = checked_questions();
    let before: HashMap<(String, String), String> = std::env::var_os("KODIAK_BENCH_BEFORE")
        .map(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .filter_map(|l| {
                    let mut f = l.splitn(3, '\t');
                    Some(((f.next()?.into(), f.next()?.into()), f.next()?.into()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut quotes = String::new();
    let mut after: BTreeMap<String, CheckedTally> = BTreeMap::new();
    let mut earlier: BTreeMap<String, CheckedTally> = BTreeMap::new();
    let missed = std::env::var_os("KODIAK_BENCH_MISSED").is_some();
    for (fold, model) in models.iter().enumerate() {
        let kodiak = open(root, VectorChoice::None, Some(model), CLAUSE_WEIGHT);
        let by_name = documents_by_name(&kodiak);
        let in_fold: Vec<&Contract> = contracts
            .iter()
            .filter(|(i, _)| i % FOLDS == fold)
            .map(|(_, c)| *c)
            .collect();
        for q in &questions {
            if !in_fold.iter().any(|c| c.name == q.contract) {
                continue;
            }
            let doc = *by_name.get(&q.contract).expect("the contract is ingested");
            let options = AskOptions {
                question: q.question.clone(),
                documents: vec![doc],
                no_llm: true,
                ..AskOptions::default()
            };
            let answer = kodiak.ask(&options, &mut |_| {}).unwrap();
            let quote = answer
                .citations
                .first()
                .map_or(String::new(), |c| c.quote.clone());
            let value = Evidence::for_question(&q.question, &answer.sources)
                .and_then(|e| e.value)
                .unwrap_or_default();
            let tally = after.entry(q.kind.clone()).or_default();
            tally.asked += 1;
            let words = folded(&quote).contains(&folded(&q.evidence));
            tally.words += usize::from(words);
            tally.quote_value += usize::from(states_value(&quote, &q.value));
            let right = !value.is_empty() && states_value(&value, &q.value);
            tally.stated += usize::from(right);
            if missed && !(words && right) {
                println!(
                    "  {} / {}: [1] {:?}; stated {value:?}, want {:?}",
                    q.kind,
                    q.contract,
                    quote.chars().take(160).collect::<String>(),
                    q.value
                );
            }
            quotes.push_str(&format!(
                "{}\t{}\t{}\n",
                q.contract,
                q.question,
                folded(&quote)
            ));
            if let Some(old) = before.get(&(q.contract.clone(), q.question.clone())) {
                let tally = earlier.entry(q.kind.clone()).or_default();
                tally.asked += 1;
                tally.words += usize::from(folded(old).contains(&folded(&q.evidence)));
                tally.quote_value += usize::from(states_value(old, &q.value));
            }
        }
    }
    if let Some(path) = std::env::var_os("KODIAK_BENCH_QUOTES") {
        std::fs::write(path, quotes).unwrap();
    }
    println!(
        "questions answered by hand in {} contracts (benches/data/cuad-checked.tsv)",
        {
            let names: std::collections::BTreeSet<&str> =
                questions.iter().map(|q| q.contract.as_str()).collect();
            names.len()
        }
    );
    let with_before = !earlier.is_empty();
    println!(
        "{:<16} {:>6} {:>14} {:>14} {:>14}{}",
        "",
        "asked",
        "[1] sentence",
        "[1] value",
        "value stated",
        if with_before {
            "   before: [1] sentence  [1] value"
        } else {
            ""
        }
    );
    let share = |n: usize, of: usize| format!("{n:>3} {:.2}", n as f64 / of.max(1) as f64);
    let mut total = CheckedTally::default();
    let mut total_before = CheckedTally::default();
    let kinds: Vec<String> = after.keys().cloned().chain(["all".to_owned()]).collect();
    for kind in kinds {
        let (t, b) = match kind.as_str() {
            "all" => (total, total_before),
            _ => {
                let t = after[&kind];
                let b = earlier.get(&kind).copied().unwrap_or_default();
                for (sum, one) in [(&mut total, t), (&mut total_before, b)] {
                    sum.asked += one.asked;
                    sum.words += one.words;
                    sum.quote_value += one.quote_value;
                    sum.stated += one.stated;
                }
                (t, b)
            }
        };
        let before_columns = match with_before {
            true => format!(
                "          {:>10} {:>10}",
                share(b.words, b.asked),
                share(b.quote_value, b.asked)
            ),
            false => String::new(),
        };
        println!(
            "{kind:<16} {:>6} {:>14} {:>14} {:>14}{before_columns}",
            t.asked,
            share(t.words, t.asked),
            share(t.quote_value, t.asked),
            share(t.stated, t.asked),
        );
    }
    println!();
}
