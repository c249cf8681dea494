//! PII quality and speed. Quality: per-type precision, recall and F1 on a labelled set the
//! project generates in the style of Presidio's evaluation data (goal: micro-F1 >= 0.95),
//! and the findings in the sample documents. Speed: scan throughput in MB/s, on one thread
//! and on every core (goal: at least 50 MB/s on 2 cores), on a corpus built from the sample
//! documents' text, PII included, scanned in document-sized pieces as ingest does.
//! Run with `cargo bench --bench pii`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use std::path::Path;
use std::time::Instant;

use kodiak::config::PiiConfig;
use kodiak::extract::{self, DocumentText, Limits};
use kodiak::pii::Detector;

fn main() {
    let detector = Detector::new(&PiiConfig::default()).expect("detector");
    quality(&detector);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    let mut sample = String::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("sample docs")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let bytes = std::fs::read(entry.path()).expect("read sample");
        if let Ok(extracted) = extract::extract(&bytes, &entry.path(), &Limits::default()) {
            sample.push_str(&DocumentText::new(&extracted).text);
            sample.push_str("\n\n");
        }
    }
    // About 16 MB, scanned in document-sized pieces as ingest does.
    let documents: Vec<&str> =
        std::iter::repeat_n(sample.as_str(), 16 * 1024 * 1024 / sample.len()).collect();
    let bytes: usize = documents.iter().map(|d| d.len()).sum();
    println!("\nFindings in the sample documents, by type:");
    let mut by_type = std::collections::BTreeMap::<String, Vec<String>>::new();
    for finding in detector.scan(&sample) {
        by_type
            .entry(finding.kind.to_string())
            .or_default()
            .push(sample[finding.start..finding.end].replace('\n', " "));
    }
    for (kind, values) in &by_type {
        println!("  {kind:<16} {:>3}: {}", values.len(), values.join(" | "));
    }
    println!();

    let mb = support::megabytes(bytes);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rates = Vec::new();
    for threads in [1, cores] {
        let (seconds, findings) = best_of_3(&detector, &documents, threads);
        let rate = mb / seconds;
        println!(
            "PII scan, {threads} thread(s): {mb:.1} MB in {seconds:.3} s (best of 3): {rate:.1} MB/s, {findings} findings"
        );
        rates.push(rate);
    }
    let piece = sample.repeat(4);
    for (pattern, cost) in kodiak::pii::pattern_costs(&detector, &piece).iter() {
        let rate = support::megabytes(piece.len()) / cost.as_secs_f64();
        println!("  {pattern:<16} {rate:>8.1} MB/s alone");
    }
    let rate = rates.last().copied().unwrap_or_default();
    let verdict = if rate >= 50.0 { "met" } else { "MISSED" };
    println!("goal >= 50 MB/s on {cores} cores: {verdict} ({rate:.1} MB/s)");
}

/// Scans the documents on `threads` threads, each taking every `threads`-th document as
/// ingest's workers do; returns the best time of three runs and the findings.
fn best_of_3(detector: &Detector, documents: &[&str], threads: usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..3 {
        let started = Instant::now();
        findings = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|first| {
                    scope.spawn(move || {
                        documents
                            .iter()
                            .skip(first)
                            .step_by(threads)
                            .map(|d| detector.scan(d).len())
                            .sum::<usize>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("scan thread"))
                .sum()
        });
        best = best.min(started.elapsed().as_secs_f64());
    }
    (best, findings)
}

/// Per-type precision, recall and F1 on the generated labelled set, with the misses and
/// false findings of each type.
fn quality(detector: &Detector) {
    let samples = support::pii_set::generate(300);
    let labels: usize = samples.iter().map(|s| s.labels.len()).sum();
    let evaluation = support::pii_set::evaluate(&samples, |text| {
        detector
            .scan(text)
            .into_iter()
            .map(|f| (f.kind.to_string(), f.start..f.end))
            .collect()
    });
    println!(
        "PII quality on {} generated sentences ({labels} labelled values, the rest near misses):",
        samples.len()
    );
    println!(
        "  {:<16} {:>9} {:>7} {:>7} {:>5} {:>5} {:>5}",
        "type", "precision", "recall", "F1", "TP", "FP", "FN"
    );
    let row = |name: &str, c: &support::pii_set::Counts| {
        println!(
            "  {name:<16} {:>9.3} {:>7.3} {:>7.3} {:>5} {:>5} {:>5}",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp,
            c.fp,
            c.fn_
        );
    };
    for (kind, counts) in &evaluation.per_type {
        row(kind, counts);
    }
    row("micro", &evaluation.micro);
    let f1 = evaluation.micro.f1();
    let verdict = if f1 >= 0.95 { "met" } else { "MISSED" };
    println!("goal micro-F1 >= 0.95: {verdict} ({f1:.3})");
    let show = |title: &str, items: &[(String, String, String)]| {
        if items.is_empty() {
            return;
        }
        println!("  {title} (first 40 of {}):", items.len());
        for (kind, value, sentence) in items.iter().take(40) {
            println!("    {kind:<14} {value:<28} in: {sentence}");
        }
    };
    show("missed", &evaluation.missed);
    show("false findings", &evaluation.false_positives);
    println!();
}
