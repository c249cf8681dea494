//! The search-term report and the redaction log over 1,000 generated contracts
//! (`KODIAK_BENCH_CONTRACTS`), BM25 only.
//!
//! Each contract gets a signature block with a name, an email address and a phone number.
//! The term report reads every document in scope whole, so its floor is reading their text
//! from SQLite as it does (one connection, the stored text of each): each report is timed
//! beside that read, alternating which runs first, and the ratio says what matching the
//! terms (or placing the findings) adds. Figures, never assertions. Run with
//! `cargo bench --bench reports`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use kodiak::service::JobScope;
use kodiak::storage::{Database, documents};

const ROUNDS: usize = 4;

/// Terms as counsel write them: words, phrases, wildcards, alternatives.
const TERMS: &[&str] = &[
    "indemn*",
    "\"hold harmless\"",
    "\"governed by the laws of\"",
    "arbitration OR mediation",
    "\"limitation of liability\"",
    "confidential*",
    "terminat* convenience",
    "\"force majeure\"",
    "assign*",
    "insurance",
    "\"change of control\"",
    "audit*",
];

fn main() {
    let count = std::env::var("KODIAK_BENCH_CONTRACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("contracts");
    std::fs::create_dir_all(&docs).unwrap();
    for (i, contract) in support::clauses::generate(count, 0x5eed_c1a5)
        .into_iter()
        .enumerate()
    {
        let signature = format!(
            "\n\nFor notices: Mr. Daniel Okafor, daniel.okafor{i}@example.com, \
             +44 20 7946 {:04}.\n",
            i % 10_000
        );
        std::fs::write(docs.join(&contract.file_name), contract.text + &signature).unwrap();
    }
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    let kodiak = Kodiak::open(
        Settings::in_dir(dir.path(), config).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .unwrap();
    kodiak.ingest(&[docs], &Silent).unwrap();
    let ids: Vec<i64> = kodiak.documents().unwrap().iter().map(|d| d.id).collect();
    let bytes: usize = ids
        .iter()
        .map(|&id| {
            kodiak
                .document_text(id)
                .unwrap()
                .map_or(0, |t| t.text.len())
        })
        .sum();
    println!(
        "{} contracts, {:.1} MB of text, {} terms",
        ids.len(),
        bytes as f64 / 1e6,
        TERMS.len()
    );

    let terms: Vec<String> = TERMS.iter().map(|t| (*t).to_owned()).collect();
    let paths = &kodiak.settings().paths;
    let db = Database::open(&paths.database, &kodiak.settings().config.database).unwrap();
    let read = || {
        let started = Instant::now();
        let conn = db.conn().unwrap();
        for &id in &ids {
            std::hint::black_box(documents::text(&conn, id).unwrap());
        }
        started.elapsed()
    };
    let report = || {
        let started = Instant::now();
        let report = kodiak.terms_report(&terms, &JobScope::default()).unwrap();
        std::hint::black_box(report);
        started.elapsed()
    };
    let log = || {
        let started = Instant::now();
        let log = kodiak.redaction_log(&JobScope::default(), false).unwrap();
        std::hint::black_box(log);
        started.elapsed()
    };
    let (mut reads, mut reports, mut logs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            reads.push(read());
            reports.push(report());
            logs.push(log());
        } else {
            logs.push(log());
            reports.push(report());
            reads.push(read());
        }
    }
    let (read, report, log) = (median(reads), median(reports), median(logs));
    // What a report costs however few documents it reads: one document in scope.
    let one = JobScope {
        documents: vec![ids[0]],
        ..JobScope::default()
    };
    let fixed = median(
        (0..ROUNDS)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(kodiak.terms_report(&terms, &one).unwrap());
                started.elapsed()
            })
            .collect(),
    );
    let findings = kodiak
        .redaction_log(&JobScope::default(), false)
        .unwrap()
        .findings
        .len();
    println!("read every document's text     {:>8.1} ms", ms(read));
    println!(
        "search-term report, {} terms    {:>8.1} ms  {:>6.0} documents/s  {:.1}x the read",
        TERMS.len(),
        ms(report),
        ids.len() as f64 / report.as_secs_f64(),
        report.as_secs_f64() / read.as_secs_f64()
    );
    println!(
        "redaction log, {findings} findings {:>8.1} ms  {:>6.0} documents/s  {:.1}x the read",
        ms(log),
        ids.len() as f64 / log.as_secs_f64(),
        log.as_secs_f64() / read.as_secs_f64()
    );
    println!(
        "search-term report of 1 document  {:>8.1} ms  (the part that does not grow with the documents)",
        ms(fixed)
    );
    println!("(medians of {ROUNDS} rounds, alternating order)");
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
