//! PII quality and speed. Quality: per-type precision, recall and F1 on a labelled set the
//! project generates in the style of Presidio's evaluation data (goal: micro-F1 >= 0.95);
//! on real contract text, notice and signature blocks of CUAD contracts labelled by hand
//! (`benches/data/cuad-pii.tsv`, scored strictly: a finding must be the whole value and no
//! more), with every dotted section number of the contracts checked against the IP address
//! finder; and the findings in the sample documents. Speed: scan throughput in MB/s, on one thread
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
    real_contracts(&detector);
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

/// Per-type precision, recall and F1 on the hand-labelled windows of real contracts, the
/// misses, false findings and wrong boundaries listed; and the section numbers of every
/// contract that the IP address finder reports (there should be none).
fn real_contracts(detector: &Detector) {
    let data = support::cuad_dir();
    let sets = [
        (
            "cuad-pii.tsv",
            "the set the name recognizers were written against",
        ),
        (
            "cuad-pii-check.tsv",
            "a second set, labelled after them, never tuned on",
        ),
    ];
    for (file, role) in sets {
        let labels = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/data")
            .join(file);
        match support::pii_contracts::load(&labels, &data.join("contracts")) {
            Ok(windows) => contract_quality(detector, &windows, file, role),
            Err(e) => {
                println!(
                    "real contracts: skipped, CUAD's contracts are not in {} (set KODIAK_CUAD_DIR): {e}\n",
                    data.display()
                );
                return;
            }
        }
    }
    let mut texts = Vec::new();
    if let Ok(entries) = std::fs::read_dir(data.join("contracts")) {
        for entry in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                texts.push((entry.file_name().to_string_lossy().into_owned(), text));
            }
        }
    }
    let (dotted, as_ip) = support::pii_contracts::dotted_numbers_as_ip(&texts, |text| {
        detector
            .scan(text)
            .into_iter()
            .filter(|f| f.kind == kodiak::pii::PiiKind::IpAddress)
            .map(|f| f.start..f.end)
            .collect()
    });
    println!(
        "  dotted numbers of four parts or more in all {} contracts: {dotted}, reported as IP addresses: {}",
        texts.len(),
        as_ip.len()
    );
    for (number, contract) in as_ip.iter().take(20) {
        println!("    {number} in {contract}");
    }
    println!();
}

/// Per-type precision, recall and F1 on one file of hand-labelled windows, with the misses,
/// false findings and wrong boundaries.
fn contract_quality(
    detector: &Detector,
    windows: &[support::pii_contracts::Window],
    file: &str,
    role: &str,
) {
    let scan = |text: &str| {
        detector
            .scan(text)
            .into_iter()
            .map(|f| (f.kind.to_string(), f.start..f.end))
            .collect()
    };
    let evaluation = support::pii_contracts::evaluate(windows, scan);
    let labels: usize = windows.iter().map(|w| w.labels.len()).sum();
    let kinds = |kind: &str| windows.iter().filter(|w| w.kind == kind).count();
    println!(
        "PII quality on real contracts, {file} ({role}): {} hand-labelled windows of CUAD contracts \
         ({} notice blocks, {} signature blocks; {labels} labelled values), a finding right only if \
         it is the whole value:",
        windows.len(),
        kinds("notice"),
        kinds("signature")
    );
    print_counts(&evaluation.per_type, &evaluation.micro);
    let show = |title: &str, items: &[(String, String, String)], joiner: &str| {
        if items.is_empty() {
            return;
        }
        println!("  {title} ({}):", items.len());
        for (kind, value, other) in items {
            println!("    {kind:<14} {value:<36} {joiner} {other}");
        }
    };
    show("missed", &evaluation.missed, "in");
    show("false findings", &evaluation.false_findings, "in");
    show("wrong boundaries", &evaluation.boundaries, "for");
    println!();
}

fn print_counts(
    per_type: &std::collections::BTreeMap<String, support::pii_set::Counts>,
    micro: &support::pii_set::Counts,
) {
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
    for (kind, counts) in per_type {
        row(kind, counts);
    }
    row("micro", micro);
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
    print_counts(&evaluation.per_type, &evaluation.micro);
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
