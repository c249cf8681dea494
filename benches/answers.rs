//! Answers: how good they are, and the cost of checking them.
//!
//! - `quality`: questions over the sample documents, each with the value a right answer
//!   states (an amount, a date, a period, a party, a state). Asked of every document at
//!   once, extractively and with the configured generator: answer accuracy (the value is in
//!   the answer), citation accuracy (a cited passage holds it), the grounded share (generated
//!   answers) and seconds per answer. Figures to improve, never assertions.
//! - `grounding`: the cost of checking an answer's sentences against its passages (goal:
//!   under 5 ms p50 for a 512-token answer).
//!
//! Run with `cargo bench --bench answers` (or `-- quality`, `-- grounding`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use kodiak::Kodiak;
use kodiak::answer::Source;
use kodiak::config::{Config, Settings};
use kodiak::extract::{self, DocumentText, Limits};
use kodiak::grounding;
use kodiak::ingest::Silent;
use kodiak::search::Hit;
use kodiak::service::AskOptions;
use support::Samples;

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |section: &str| only.is_empty() || only.iter().any(|o| section.contains(o));
    if wanted("quality") {
        quality();
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
fn states(text: &str, expected: &[&str]) -> bool {
    let squeeze = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let text = squeeze(text);
    expected.iter().any(|value| text.contains(&squeeze(value)))
}

/// Every question asked extractively, then with the generator; a line per mode.
fn quality() {
    let model = kodiak::llm::DefaultModel::Gemma.path();
    assert!(
        model.is_file(),
        "{} is missing: run scripts/fetch-models",
        model.display()
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut config = Config::default();
    config.generator.temperature = 0.0;
    config.generator.max_tokens = 256;
    let kodiak = Kodiak::open(Settings::in_dir(work.path(), config)).expect("open");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    kodiak.ingest(&[samples], &Silent).expect("ingest samples");
    println!(
        "answer quality: {} questions over the sample documents, each asked of all of them; \
         generator {}",
        QUESTIONS.len(),
        model.display()
    );
    println!(
        "{:<11} {:>8} {:>9} {:>9} {:>10}",
        "mode", "answer", "citation", "grounded", "s/answer"
    );
    for no_llm in [true, false] {
        let (mut right, mut cited, mut grounded, mut seconds) = (0, 0, 0.0, 0.0);
        let mut wrong = Vec::new();
        for question in QUESTIONS {
            let options = AskOptions {
                question: question.question.into(),
                no_llm,
                ..AskOptions::default()
            };
            let started = Instant::now();
            let answer = kodiak.ask(&options, &mut |_| {}).expect("ask");
            seconds += started.elapsed().as_secs_f64();
            if states(&answer.answer, question.expected) {
                right += 1;
            } else {
                wrong.push(question.question);
            }
            let holds = answer.citations.iter().any(|c| {
                answer
                    .sources
                    .iter()
                    .any(|s| s.n == c.n && states(&s.text, question.expected))
            });
            cited += usize::from(holds);
            grounded += answer.grounding.as_ref().map_or(0.0, |g| g.grounded);
        }
        let n = QUESTIONS.len() as f64;
        println!(
            "{:<11} {:>7.0}% {:>8.0}% {:>9} {:>10.2}",
            if no_llm { "extractive" } else { "generated" },
            100.0 * f64::from(right) / n,
            100.0 * cited as f64 / n,
            if no_llm {
                "-".to_owned()
            } else {
                format!("{:.0}%", 100.0 * grounded / n)
            },
            seconds / n
        );
        for question in wrong {
            println!("    missed: {question}");
        }
    }
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
            char_start: 0,
            char_end: text.chars().count(),
            score: 0.0,
            bm25_rank: None,
            vector_rank: None,
            fused_score: 0.0,
            snippet: String::new(),
        },
        text,
    }
}
