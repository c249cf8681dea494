//! Production speed: pages per second written and verified, for text-born documents
//! (generated contracts with signature blocks, every PII type redacted) and for PDF pages
//! (typed PDFs rendered to images with their redactions burned in), each beside its floor
//! measured in the same run, alternating which goes first: for text, reading the same
//! documents' text from Kodiak and writing nothing; for PDF pages, Poppler's `pdftoppm`
//! rendering the same pages at the same resolution, which every produced PDF page needs.
//! Figures, never assertions. Run with `cargo bench --bench production`
//! (`KODIAK_BENCH_CONTRACTS` sets the number of contracts, 300 by default).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use kodiak::service::{JobScope, NewProduction};
use support::scans;

const ROUNDS: usize = 3;
const PDFS: usize = 20;
const PDF_PAGES: usize = 3;

fn main() {
    let count = std::env::var("KODIAK_BENCH_CONTRACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let texts = dir.path().join("contracts");
    let pdfs = dir.path().join("pdfs");
    std::fs::create_dir_all(&texts).unwrap();
    std::fs::create_dir_all(&pdfs).unwrap();
    for (i, contract) in support::clauses::generate(count, 0x9a9e_5eed)
        .into_iter()
        .enumerate()
    {
        let signature = format!(
            "\n\nFor notices: Mr. Daniel Okafor, daniel.okafor{i}@example.com, \
             +44 20 7946 {:04}.\nBy: /s/ Maria Lindqvist\nName: Maria Lindqvist\n",
            i % 10_000
        );
        std::fs::write(texts.join(&contract.file_name), contract.text + &signature).unwrap();
    }
    for i in 0..PDFS {
        let pages: Vec<Vec<String>> = (0..PDF_PAGES)
            .map(|p| {
                let mut lines = vec![format!("SUPPLY AGREEMENT {i} - PAGE {}", p + 1)];
                lines.extend((0..30).map(|l| {
                    format!("{l}. The Supplier shall deliver the goods described in Schedule {p}.")
                }));
                lines.push(format!(
                    "Contact: Priya Raman, priya.raman{i}@vendor.example, (212) 555-{:04}",
                    1000 + i
                ));
                lines
            })
            .collect();
        scans::put(
            &pdfs,
            &format!("agreement-{i}.pdf"),
            &scans::text_pdf(&pages),
        );
    }
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    let kodiak = Kodiak::open(
        Settings::in_dir(dir.path(), config).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .unwrap();
    kodiak
        .ingest(&[texts.clone(), pdfs.clone()], &Silent)
        .unwrap();
    let documents = kodiak.documents().unwrap();
    for doc in &documents {
        let tag = if doc.format.as_deref() == Some("pdf") {
            "pdf"
        } else {
            "text"
        };
        kodiak.add_tag(doc.id, tag).unwrap();
    }
    let make = |name: &str, tag: &str, prefix: &str| {
        kodiak
            .new_production(NewProduction {
                name: name.into(),
                prefix: prefix.into(),
                start: Some(1),
                digits: 6,
                volume: "VOL001".into(),
                redact_pii: vec!["*".into()],
                legend: Some("CONFIDENTIAL".into()),
                scope: JobScope {
                    tags: vec![tag.into()],
                    ..Default::default()
                },
            })
            .unwrap()
    };
    let text_set = make("text", "text", "TXT");
    let pdf_set = make("pdf", "pdf", "PDF");
    println!(
        "text-born: {} documents, {} pages (one thread); PDF: {} documents, {} pages (a thread a core)",
        text_set.documents, text_set.pages, pdf_set.documents, pdf_set.pages
    );

    let text_ids: Vec<i64> = documents
        .iter()
        .filter(|d| d.format.as_deref() != Some("pdf"))
        .map(|d| d.id)
        .collect();
    let pdf_files: Vec<std::path::PathBuf> = documents
        .iter()
        .filter(|d| d.format.as_deref() == Some("pdf"))
        .map(|d| d.path.clone().into())
        .collect();
    let mut produce_text = Vec::new();
    let mut read_text = Vec::new();
    let mut produce_pdf = Vec::new();
    let mut render_pdf = Vec::new();
    for round in 0..ROUNDS {
        let run = |name: &str| {
            let out = dir.path().join(format!("out-{name}-{round}"));
            let started = Instant::now();
            kodiak.run_production(name, &out, &mut |_, _| {}).unwrap();
            let took = started.elapsed();
            std::fs::remove_dir_all(&out).unwrap();
            took
        };
        let read = || {
            let started = Instant::now();
            for id in &text_ids {
                std::hint::black_box(kodiak.document_text(*id).unwrap());
            }
            started.elapsed()
        };
        let render = || {
            let scratch = tempfile::tempdir().unwrap();
            let started = Instant::now();
            for file in &pdf_files {
                bare_render(file, scratch.path());
            }
            started.elapsed()
        };
        if round % 2 == 0 {
            produce_text.push(run("text"));
            read_text.push(read());
            produce_pdf.push(run("pdf"));
            render_pdf.push(render());
        } else {
            read_text.push(read());
            produce_text.push(run("text"));
            render_pdf.push(render());
            produce_pdf.push(run("pdf"));
        }
    }
    let rate = |pages: u64, d: &Duration| pages as f64 / d.as_secs_f64();
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (pt, rt, pp, rp) = (
        median(&mut produce_text),
        median(&mut read_text),
        median(&mut produce_pdf),
        median(&mut render_pdf),
    );
    println!("\nmedian of {ROUNDS} rounds:");
    println!(
        "  text-born: produced and verified {:.1} pages/s ({:.2} s); reading their text alone {:.2} s",
        rate(text_set.pages, &pt),
        pt.as_secs_f64(),
        rt.as_secs_f64()
    );
    println!(
        "  PDF pages: produced and verified {:.1} pages/s ({:.2} s); pdftoppm alone {:.1} pages/s ({:.2} s); ratio {:.2}",
        rate(pdf_set.pages, &pp),
        pp.as_secs_f64(),
        rate(pdf_set.pages, &rp),
        rp.as_secs_f64(),
        rp.as_secs_f64() / pp.as_secs_f64()
    );
    let goal = rate(text_set.pages, &pt);
    println!(
        "goal >= 20 pages/s for text-born documents: {} ({goal:.1})",
        if goal >= 20.0 { "met" } else { "NOT met" }
    );
}

/// Every page of `pdf` rendered as Kodiak renders it, by `pdftoppm` alone.
fn bare_render(pdf: &Path, scratch: &Path) {
    let status = std::process::Command::new("pdftoppm")
        .args(["-gray", "-r", &kodiak::production::raster::DPI.to_string()])
        .arg(pdf)
        .arg(scratch.join("page"))
        .status()
        .unwrap();
    assert!(status.success());
}
