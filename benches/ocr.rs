//! OCR speed and accuracy on scans made here: generated agreements typeset, rendered at
//! 300 dpi, and scanned clean, or skewed with dust. Prints pages per minute through
//! `kodiak ingest` (all workers) beside bare `pdftoppm` and `tesseract` on the same pages,
//! as many at once as Kodiak reads (its upper bound), alternating which runs first; and the word
//! recall of the OCR'd text against the text typeset. Run with `cargo bench --bench ocr`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use support::corpus::Rng;
use support::scans::{self, Raster};

const PAGES: usize = 12;
const LINES_PER_PAGE: usize = 40;
const DPI: u32 = 300;

fn main() {
    scans::require_ocr_tools();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pages = typeset_pages();
    let reference: Vec<String> = pages.iter().map(|lines| lines.join("\n")).collect();
    let rendered = scans::render(&scans::text_pdf(&pages), DPI);
    let mut rng = Rng(42);
    println!(
        "OCR of {PAGES} generated pages at {DPI} dpi, {workers} workers ({} lines, ~{} words a page)",
        LINES_PER_PAGE,
        reference[0].split_whitespace().count()
    );
    println!(
        "{:<28} {:>14} {:>16} {:>8} {:>12} {:>10}",
        "scan", "Kodiak pages/min", "bare pages/min", "ratio", "word recall", "confidence"
    );
    for (name, degrees, dust) in [("clean", 0.0, 0), ("skewed 1.5°, 0.3% dust", 1.5, 3)] {
        let scanned: Vec<Raster> = rendered
            .iter()
            .map(|r| r.scanned(degrees, dust, &mut rng))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let pdf = scans::put(dir.path(), "scan.pdf", &scans::image_pdf(&scanned));
        // Three rounds, alternating which side runs first; the best of each side counts.
        let (mut kodiak, mut bare) = (0.0f64, 0.0f64);
        let (mut text, mut confidence) = (String::new(), 0.0);
        for round in 0..3 {
            let mut run_kodiak = || {
                let (rate, read, sure) = kodiak_rate(&pdf);
                kodiak = kodiak.max(rate);
                (text, confidence) = (read, sure);
            };
            if round % 2 == 0 {
                run_kodiak();
                bare = bare.max(bare_rate(&pdf, workers));
            } else {
                bare = bare.max(bare_rate(&pdf, workers));
                run_kodiak();
            }
        }
        let recall = scans::word_recall(&reference.join("\n"), &text);
        println!(
            "{name:<28} {kodiak:>14.1} {bare:>16.1} {:>8.2} {:>12.3} {:>9.1}%",
            kodiak / bare,
            recall,
            confidence
        );
    }
    println!(
        "(ratio: Kodiak over bare pdftoppm + tesseract, best of three each; above 1 is noise or a measuring fault)"
    );
}

/// Pages of an agreement, `LINES_PER_PAGE` lines of at most 85 characters each.
fn typeset_pages() -> Vec<Vec<String>> {
    let text: String = support::contracts::generate(10, 7)
        .iter()
        .map(|c| c.text.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if line.len() + word.len() + 1 > 85 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
        .chunks(LINES_PER_PAGE)
        .take(PAGES)
        .map(<[String]>::to_vec)
        .collect()
}

/// Pages per minute of `kodiak ingest` on the scan, its OCR'd text and mean confidence.
fn kodiak_rate(pdf: &Path) -> (f64, String, f32) {
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    config.pii.detect = false;
    config.ingest.ocr_dpi = DPI;
    let kodiak = Kodiak::open(
        Settings::in_dir(data.path(), config).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .unwrap();
    let started = Instant::now();
    let report = kodiak.ingest(&[pdf.to_path_buf()], &Silent).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.pages_ocr, PAGES, "{report:?}");
    let id = report.documents[0].id;
    let text = kodiak.document_text(id).unwrap().unwrap();
    let confidence = text.ocr_pages.iter().map(|(_, c)| c).sum::<f32>() / PAGES as f32;
    (PAGES as f64 * 60.0 / seconds, text.text, confidence)
}

/// Pages per minute of bare `pdftoppm` and `tesseract`, page by page as Kodiak reads a
/// scan, `parallel` pages at a time.
fn bare_rate(pdf: &Path, parallel: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // A queue the threads take pages from, as Kodiak's readers do (not groups that wait for
    // their slowest page).
    let next = std::sync::atomic::AtomicUsize::new(1);
    std::thread::scope(|scope| {
        for _ in 0..parallel {
            let (dir, next) = (dir.path(), &next);
            scope.spawn(move || {
                loop {
                    let page = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if page > PAGES {
                        break;
                    }
                    let prefix = dir.join(format!("p{page}"));
                    let n = page.to_string();
                    let rendered = Command::new("pdftoppm")
                        .args(["-r", &DPI.to_string(), "-gray", "-singlefile"])
                        .args(["-f", &n, "-l", &n])
                        .arg(pdf)
                        .arg(&prefix)
                        .status()
                        .expect("pdftoppm");
                    assert!(rendered.success());
                    Command::new("tesseract")
                        .arg(prefix.with_extension("pgm"))
                        .arg("stdout")
                        .args(["-l", "eng", "--dpi", &DPI.to_string(), "tsv"])
                        .env("OMP_THREAD_LIMIT", "1")
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .status()
                        .expect("tesseract");
                }
            });
        }
    });
    PAGES as f64 * 60.0 / started.elapsed().as_secs_f64()
}
