//! Answers: how good they are, and the cost of checking them.
//!
//! - `quality`: questions over the sample documents (each asked of all documents) and over
//!   generated supply agreements (each asked of its agreement), each with the value a right
//!   answer states (an amount, a date, a period, a party, a state). Asked extractively and
//!   with each generation model (`--model PATH`, else every one `scripts/fetch-models`
//!   fetches): answer accuracy (the value is in the answer), citation accuracy (a cited
//!   passage holds it), the grounded share (generated answers), seconds per answer, decode
//!   tokens/s, time to the first token and the model process's peak memory. Figures to
//!   improve, never assertions; `KODIAK_BENCH_MISSED=1` lists the questions missed.
//! - `prompts` (only when named): the same questions with each way of prompting, one change
//!   at a time.
//! - `grounding`: the cost of checking an answer's sentences against its passages (goal:
//!   under 5 ms p50 for a 512-token answer).
//!
//! Run with `cargo bench --bench answers` (or `-- quality`, `-- prompts`, `-- grounding`).
//! Answers on real contracts (CUAD's lawyers' clauses and normalised values, 1,189
//! questions) are measured by `cargo bench --bench contracts -- answers`, beside the
//! annotated set and the clause models that bench trains; sixty questions whose answers
//! were read in those contracts by hand (`benches/data/cuad-checked.tsv`) by
//! `cargo bench --bench contracts -- answers checked`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kodiak::Kodiak;
use kodiak::answer::Source;
use kodiak::config::{Config, Settings};
use kodiak::extract::{self, DocumentText, Limits};
use kodiak::grounding;
use kodiak::ingest::Silent;
use kodiak::llm::FetchedModel;
use kodiak::search::Hit;
use kodiak::service::AskOptions;
use support::{Samples, contracts};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Section names: arguments that are neither flags nor the value of one.
    let only: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with('-')
                && (*i == 0 || !["--model", "--prompting"].contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    let named = |section: &str| only.iter().any(|o| section.contains(o.as_str()));
    let wanted = |section: &str| only.is_empty() || named(section);
    if wanted("quality") {
        quality();
    }
    // An hour on two cores: only when asked for.
    if named("prompts") {
        prompts();
    }
    if wanted("grounding") {
        grounding_cost();
    }
}

/// A question and the values a right answer states (any one of them).
struct Question {
    question: &'static str,
    expected: &'static [&'static str],
}

const fn q(question: &'static str, expected: &'static [&'static str]) -> Question {
    Question { question, expected }
}

/// Questions over the sample documents in `assets/sample-docs`, with the value each
/// document states.
const QUESTIONS: &[Question] = &[
    // The residential lease.
    q(
        "What is the monthly rent under the residential lease?",
        &["2,150", "2150"],
    ),
    q(
        "How large is the security deposit of the lease?",
        &["3,225", "3225"],
    ),
    q(
        "Within how many days after the tenant vacates is the security deposit returned?",
        &["31", "thirty-one"],
    ),
    q(
        "What late fee applies to rent received after the fifth day?",
        &["75"],
    ),
    q("What fee applies to a returned rent payment?", &["35"]),
    q("When does the lease term begin?", &["1 April 2026"]),
    q("When does the lease term end?", &["31 March 2027"]),
    q(
        "How much notice ends the lease at the end of its term?",
        &["60", "sixty"],
    ),
    q(
        "Which state's law governs the residential lease?",
        &["Oregon"],
    ),
    q(
        "How much notice must the landlord give before entering the premises?",
        &["24", "twenty-four"],
    ),
    q(
        "Who is the landlord of the residential lease?",
        &["Harbor View Properties"],
    ),
    q("Which parking space comes with the apartment?", &["17"]),
    q(
        "How many days may another person stay at the premises without the landlord's consent?",
        &["14", "fourteen"],
    ),
    q(
        "Within how many days must the tenant cure a material breach after written notice?",
        &["30", "thirty"],
    ),
    // The employment contract.
    q(
        "What is the employee's gross annual salary?",
        &["84,000", "84000"],
    ),
    q(
        "How long is the probationary period of the employment contract?",
        &["six (6) months", "6 months", "six months"],
    ),
    q(
        "What notice period applies during the probation?",
        &["two (2) weeks", "2 weeks", "two weeks"],
    ),
    q(
        "How many hours a week is the regular working time?",
        &["40", "forty"],
    ),
    q(
        "How many days of paid holiday does the employee get?",
        &["30", "thirty"],
    ),
    q(
        "How long does the employee's non-competition obligation last?",
        &["twelve (12) months", "12 months", "twelve months"],
    ),
    q(
        "What compensation does the employer pay for the non-competition period?",
        &["50%", "50 %"],
    ),
    q("When does the employment start?", &["1 February 2026"]),
    q(
        "What is the largest annual bonus the employee can receive?",
        &["10%", "10 %"],
    ),
    q(
        "Who is the employer in the employment contract?",
        &["Castellan Engineering"],
    ),
    q(
        "From which day of absence must the employee provide a medical certificate?",
        &["third"],
    ),
    // The mutual NDA.
    q(
        "When is the mutual non-disclosure agreement effective?",
        &["9 January 2026"],
    ),
    q(
        "How long does the mutual non-disclosure agreement last?",
        &["two (2) years", "2 years", "two years"],
    ),
    q(
        "How long do the confidentiality obligations survive after the NDA expires?",
        &["five (5) years", "5 years", "five years"],
    ),
    q(
        "What collaboration is the purpose of the NDA?",
        &[
            "route-optimisation",
            "route optimisation",
            "route optimization",
        ],
    ),
    q(
        "Within how many days must Bluefin delete the test data?",
        &["30 days", "thirty days"],
    ),
    q("Who represents Bluefin Logistics?", &["Thomas Keller"]),
    q(
        "Where is Northwind's registered office?",
        &["Farringdon Road"],
    ),
];

/// `text` contains one of `expected`, ignoring case and runs of whitespace.
fn states(text: &str, expected: &[String]) -> bool {
    let squeeze = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let text = squeeze(text);
    expected.iter().any(|value| text.contains(&squeeze(value)))
}

/// A question of the benchmark: asked of every document (the samples') or of one
/// generated agreement, as a reviewer asks a checklist question of each contract.
struct Case {
    question: String,
    expected: Vec<String>,
    documents: Vec<i64>,
}

/// The generated agreements beside the samples.
const CONTRACTS: usize = 10;

/// Ingests the sample documents and the generated agreements into `work`; the benchmark's
/// questions over them.
fn corpus(work: &Path) -> Vec<Case> {
    let kodiak = reopen(work, bench_config());
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    let generated = work.join("contracts");
    std::fs::create_dir_all(&generated).expect("contracts dir");
    let contracts = contracts::generate(CONTRACTS, 0x5eed_c0de);
    for contract in &contracts {
        std::fs::write(generated.join(&contract.file_name), &contract.text).expect("write");
    }
    kodiak
        .ingest(&[samples, generated], &Silent)
        .expect("ingest the corpus");
    let mut cases: Vec<Case> = QUESTIONS
        .iter()
        .map(|q| Case {
            question: q.question.to_owned(),
            expected: q.expected.iter().map(|&e| e.to_owned()).collect(),
            documents: Vec::new(),
        })
        .collect();
    let documents = kodiak.documents().expect("documents");
    for contract in contracts {
        let id = documents
            .iter()
            .find(|d| d.path.ends_with(&contract.file_name))
            .expect("the agreement was ingested")
            .id;
        cases.extend(
            contract
                .questions
                .into_iter()
                .map(|(question, expected)| Case {
                    question,
                    expected,
                    documents: vec![id],
                }),
        );
    }
    cases
}

/// How a generator is asked: a named set of `[generator]` prompting settings.
struct Prompting {
    name: &'static str,
    restate_question: bool,
    few_shot: bool,
    stop: &'static [&'static str],
}

impl Prompting {
    fn apply(&self, g: &mut kodiak::config::GeneratorConfig) {
        g.restate_question = self.restate_question;
        g.few_shot = self.few_shot;
        g.stop = self.stop.iter().map(|s| (*s).to_owned()).collect();
    }
}

/// The prompting the ablation compares, each adding one change to the one before.
const PROMPTINGS: &[Prompting] = &[
    Prompting {
        name: "plain",
        restate_question: false,
        few_shot: false,
        stop: &[],
    },
    Prompting {
        name: "+ question restated",
        restate_question: true,
        few_shot: false,
        stop: &[],
    },
    Prompting {
        name: "+ worked example",
        restate_question: true,
        few_shot: true,
        stop: &[],
    },
    Prompting {
        name: "+ stop at blank line",
        restate_question: true,
        few_shot: true,
        stop: &["\n\n"],
    },
];

/// What one way of answering scored over every case.
#[derive(Default)]
struct Score {
    answered: usize,
    cited: usize,
    grounded: f64,
    seconds: f64,
    decode_tokens_per_s: Vec<f64>,
    ttft_ms: Vec<f64>,
    missed: Vec<String>,
}

impl Score {
    fn header() {
        println!(
            "{:<34} {:>7} {:>8} {:>8} {:>9} {:>7} {:>8} {:>7}",
            "mode", "answer", "citation", "grounded", "s/answer", "tok/s", "ttft ms", "RAM MB"
        );
    }

    fn print(&self, name: &str, cases: usize, generated: bool, ram: Option<u64>) {
        let n = cases as f64;
        let median = |values: &[f64]| {
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            match sorted.is_empty() {
                true => "-".to_owned(),
                false => format!("{:.0}", sorted[sorted.len() / 2]),
            }
        };
        println!(
            "{:<34} {:>6.0}% {:>7.0}% {:>8} {:>9.2} {:>7} {:>8} {:>7}",
            name,
            100.0 * self.answered as f64 / n,
            100.0 * self.cited as f64 / n,
            match generated {
                true => format!("{:.0}%", 100.0 * self.grounded / n),
                false => "-".to_owned(),
            },
            self.seconds / n,
            median(&self.decode_tokens_per_s),
            median(&self.ttft_ms),
            ram.map_or("-".to_owned(), |b| format!("{:.0}", b as f64 / 1e6)),
        );
        if std::env::var_os("KODIAK_BENCH_MISSED").is_some() {
            for question in &self.missed {
                println!("    missed: {question}");
            }
        }
    }
}

/// Asks every case, extractively or with the generator, and scores the answers.
fn score(kodiak: &Kodiak, cases: &[Case], no_llm: bool) -> Score {
    let mut score = Score::default();
    for case in cases {
        let options = AskOptions {
            question: case.question.clone(),
            documents: case.documents.clone(),
            no_llm,
            ..AskOptions::default()
        };
        let started = Instant::now();
        let answer = kodiak.ask(&options, &mut |_| {}).expect("ask");
        score.seconds += started.elapsed().as_secs_f64();
        if states(&answer.answer, &case.expected) {
            score.answered += 1;
        } else {
            score.missed.push(case.question.clone());
        }
        let holds = answer.citations.iter().any(|c| {
            answer
                .sources
                .iter()
                .any(|s| s.n == c.n && states(&s.text, &case.expected))
        });
        score.cited += usize::from(holds);
        if let Some(grounding) = &answer.grounding {
            score.grounded += grounding.grounded;
        }
        if !no_llm {
            score
                .decode_tokens_per_s
                .push(answer.stats.decode_tokens_per_s);
            score.ttft_ms.push(answer.stats.ttft_ms);
        }
    }
    score
}

/// The peak resident memory of the largest of this process's children: the generation
/// worker (the embedding worker, all-MiniLM-L6-v2, peaks under 100 MB).
fn generator_peak_rss() -> Option<u64> {
    let me = std::process::id().to_string();
    let mut largest = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        if field("PPid:") != Some(me.as_str()) {
            continue;
        }
        let kb: u64 = field("VmHWM:")
            .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        largest = largest.max(Some(kb * 1024));
    }
    largest
}

/// The generation models to compare: `--model PATH` arguments, else every one
/// `scripts/fetch-models` fetches.
fn models() -> Vec<(String, PathBuf)> {
    let args: Vec<String> = std::env::args().collect();
    let given: Vec<(String, PathBuf)> = args
        .windows(2)
        .filter(|pair| pair[0] == "--model")
        .map(|pair| {
            let path = PathBuf::from(&pair[1]);
            let name = FetchedModel::named(&path).map_or_else(
                || path.file_name().unwrap().to_string_lossy().into_owned(),
                |m| m.display_name().to_owned(),
            );
            (name, path)
        })
        .collect();
    let models = match given.is_empty() {
        true => FetchedModel::GENERATORS
            .iter()
            .map(|m| (m.display_name().to_owned(), m.path()))
            .collect(),
        false => given,
    };
    for (_, path) in &models {
        assert!(
            path.is_file(),
            "{} is missing: run scripts/fetch-models",
            path.display()
        );
    }
    models
}

fn bench_config() -> Config {
    let mut config = Config::default();
    config.generator.temperature = 0.0;
    config.generator.max_tokens = 256;
    // Extractive answers come faster than the default limit of 100 a minute.
    config.limits.requests = 1_000_000;
    // The model's text is measured as an answer in its own right, at full length, not as a
    // draft beneath the evidence (which is measured as the extractive answer).
    config.generator.lead = kodiak::config::Lead::Model;
    config
}

/// Every case asked extractively, then with each model and Kodiak's default prompting.
fn quality() {
    let work = tempfile::tempdir().expect("temp dir");
    let cases = corpus(work.path());
    println!(
        "answer quality: {} questions, {} over the sample documents (each asked of all \
         documents) and {} over {CONTRACTS} generated supply agreements (each asked of its \
         agreement); greedy decoding, at most 256 tokens",
        cases.len(),
        QUESTIONS.len(),
        cases.len() - QUESTIONS.len(),
    );
    Score::header();
    let kodiak = reopen(work.path(), bench_config());
    score(&kodiak, &cases, true).print(
        "extractive (the quoted evidence)",
        cases.len(),
        false,
        None,
    );
    drop(kodiak);
    for (name, path) in models() {
        let mut config = bench_config();
        config.generator.model = Some(path);
        let kodiak = reopen(work.path(), config);
        let result = score(&kodiak, &cases, false);
        result.print(&name, cases.len(), true, generator_peak_rss());
    }
}

/// Each prompting of [`PROMPTINGS`] (or those named by `--prompting NAME`) with each model
/// (`--model`, else every fetched one).
fn prompts() {
    let args: Vec<String> = std::env::args().collect();
    let named: Vec<&str> = args
        .windows(2)
        .filter(|pair| pair[0] == "--prompting")
        .map(|pair| pair[1].as_str())
        .collect();
    let work = tempfile::tempdir().expect("temp dir");
    let cases = corpus(work.path());
    println!(
        "prompting: {} questions (as in `quality`), each prompting adding one change",
        cases.len()
    );
    for (name, path) in models() {
        println!("{name}:");
        Score::header();
        for prompting in PROMPTINGS
            .iter()
            .filter(|p| named.is_empty() || named.contains(&p.name))
        {
            let mut config = bench_config();
            config.generator.model = Some(path.clone());
            prompting.apply(&mut config.generator);
            let kodiak = reopen(work.path(), config);
            let result = score(&kodiak, &cases, false);
            result.print(prompting.name, cases.len(), true, generator_peak_rss());
        }
    }
}

/// The corpus already ingested in `work`, opened with `config`.
fn reopen(work: &Path, config: Config) -> Kodiak {
    Kodiak::open(Settings::in_dir(work, config).with_engine(env!("CARGO_BIN_EXE_kodiak")))
        .expect("open")
}

/// Five passages of about 1,000 characters from the sample documents, and an answer of
/// about 512 tokens made of their sentences: copied, with a number changed, and uncited.
fn grounding_cost() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    let mut text = String::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let bytes = std::fs::read(entry.path()).unwrap();
        if let Ok(extracted) = extract::extract(&bytes, &entry.path(), &Limits::default()) {
            text.push_str(&DocumentText::new(&extracted).text);
            text.push('\n');
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let sources: Vec<Source> = (0..5)
        .map(|i| {
            let piece: String = chars[i * 1_500..i * 1_500 + 1_000].iter().collect();
            source(i + 1, piece)
        })
        .collect();
    let mut answer = String::new();
    let mut round = 0;
    // About four characters a token.
    while answer.len() < 512 * 4 {
        let passage = &sources[round % sources.len()];
        for sentence in passage.text.split(". ").take(3) {
            let sentence = sentence.trim().replace('\n', " ");
            let sentence = match round % 3 {
                0 => format!("{sentence} [{}]. ", passage.n),
                1 => format!("{} [{}]. ", sentence.replace('1', "7"), passage.n),
                _ => format!("{sentence}. "),
            };
            answer.push_str(&sentence);
        }
        round += 1;
    }
    let grounding = grounding::check(&answer, &sources);
    println!(
        "answer of {} characters, {} sentences, {:.0}% grounded; passages of 1,000 characters",
        answer.len(),
        grounding.sentences.len(),
        grounding.grounded * 100.0
    );
    Samples::measure("grounding check", 20, 500, || {
        std::hint::black_box(grounding::check(&answer, &sources));
    })
    .report(Some(Duration::from_millis(5)));
}

fn source(n: usize, text: String) -> Source {
    Source {
        n,
        hit: Hit {
            doc_id: n as i64,
            chunk_id: n as i64,
            path: format!("/docs/{n}.txt"),
            title: format!("Doc {n}"),
            page: 1,
            ocr_confidence: None,
            char_start: 0,
            char_end: text.chars().count(),
            score: 0.0,
            bm25_rank: None,
            vector_rank: None,
            clause_rank: None,
            clause_sentence: None,
            fused_score: 0.0,
            snippet: String::new(),
        },
        text,
    }
}
