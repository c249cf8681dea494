//! OCR with the real Tesseract and Poppler, on scans made here from known text: image-only
//! PDFs, a PDF of typed and scanned pages, a PNG and a TIFF of two pages; and what becomes
//! of scans when OCR is off. Needs `tesseract-ocr`, `tesseract-ocr-eng` and `poppler-utils`
//! (scripts/setup installs them); without them these tests fail saying so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use common::Sandbox;
use kodiak::Kodiak;
use kodiak::config::{Config, OcrMode, Settings};
use kodiak::ingest::{IngestReport, Silent};
use kodiak::service::SearchOptions;
use support::corpus::Rng;
use support::scans::{self, Page, Raster};

fn lines(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// A page of the lease, rendered at 200 dpi and scanned a little askew (the benchmark
/// measures OCR on dustier, more skewed scans).
fn scanned(text: &[String], rng: &mut Rng) -> Raster {
    let pdf = scans::text_pdf(&[text.to_vec()]);
    scans::render(&pdf, 200).remove(0).scanned(0.7, 0, rng)
}

fn kodiak_in(root: &Path, ocr: OcrMode) -> Kodiak {
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    config.ingest.ocr = ocr;
    Kodiak::open(Settings::in_dir(root, config).with_engine(env!("CARGO_BIN_EXE_kodiak"))).unwrap()
}

fn ingest(kodiak: &Kodiak, path: &Path) -> IngestReport {
    kodiak.ingest(&[path.to_path_buf()], &Silent).unwrap()
}

/// The documents with a hit for `query`, each once.
fn hits(kodiak: &Kodiak, query: &str) -> Vec<i64> {
    let options = SearchOptions {
        limit: 10,
        ..Default::default()
    };
    let mut documents: Vec<i64> = kodiak
        .search(query, &options)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.doc_id)
        .collect();
    documents.dedup();
    documents
}

const PAGE_ONE: [&str; 3] = [
    "RESIDENTIAL LEASE AGREEMENT",
    "The tenant shall pay a security deposit of four thousand dollars.",
    "Questions about the lighthouse property go to the landlord.",
];
const PAGE_TWO: [&str; 2] = [
    "The landlord may inspect the premises with notice.",
    "Call the caretaker on (503) 555-0142 about the marigold garden.",
];

#[test]
fn a_scanned_pdf_is_read_by_ocr_and_its_words_pii_and_pages_are_stored() {
    scans::require_ocr_tools();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(7);
    let pages = [
        scanned(&lines(&PAGE_ONE), &mut rng),
        scanned(&lines(&PAGE_TWO), &mut rng),
    ];
    let scan = scans::put(dir.path(), "scan.pdf", &scans::image_pdf(&pages));
    let kodiak = kodiak_in(dir.path(), OcrMode::Auto);
    let report = ingest(&kodiak, &scan);
    assert_eq!(report.ingested, 1, "{report:?}");
    assert_eq!(report.pages_ocr, 2, "{report:?}");
    let id = report.documents[0].id;
    let text = kodiak.document_text(id).unwrap().unwrap();
    assert_eq!(hits(&kodiak, "lighthouse"), [id], "{}", text.text);
    assert_eq!(hits(&kodiak, "marigold"), [id], "{}", text.text);

    assert_eq!(text.pages.len(), 2);
    let ocr: Vec<usize> = text.ocr_pages.iter().map(|(page, _)| *page).collect();
    assert_eq!(ocr, [1, 2]);
    assert!(
        text.ocr_pages.iter().all(|(_, c)| *c > 50.0 && *c <= 100.0),
        "{:?}",
        text.ocr_pages
    );
    let recall = scans::word_recall(
        &[PAGE_ONE.join(" "), PAGE_TWO.join(" ")].join(" "),
        &text.text,
    );
    assert!(recall >= 0.9, "word recall {recall:.2}: {}", text.text);
    assert!(
        text.pii.iter().any(|p| p.kind.as_str() == "PHONE_NUMBER"),
        "the phone number on the scanned page is found: {:?}",
        text.pii
    );
}

#[test]
fn a_pdf_of_typed_and_scanned_pages_keeps_the_text_layer_and_reads_only_the_scan() {
    scans::require_ocr_tools();
    let dir = tempfile::tempdir().unwrap();
    let typed = lines(&PAGE_ONE);
    let page_two = scanned(&lines(&PAGE_TWO), &mut Rng(11));
    let pdf = scans::pdf(&[Page::Text(&typed), Page::Scan(&page_two)]);
    let path = scans::put(dir.path(), "mixed.pdf", &pdf);
    let kodiak = kodiak_in(dir.path(), OcrMode::Auto);
    let report = ingest(&kodiak, &path);
    assert_eq!(report.pages_ocr, 1, "{report:?}");
    let text = kodiak
        .document_text(report.documents[0].id)
        .unwrap()
        .unwrap();
    let ocr: Vec<usize> = text.ocr_pages.iter().map(|(page, _)| *page).collect();
    assert_eq!(ocr, [2]);
    let chars: Vec<char> = text.text.chars().collect();
    let page = |n: usize| -> String { chars[text.pages[n].0..text.pages[n].1].iter().collect() };
    assert!(
        page(0).contains("security deposit of four thousand dollars"),
        "{}",
        page(0)
    );
    assert!(page(1).to_lowercase().contains("marigold"), "{}", page(1));
}

#[test]
fn png_and_multi_page_tiff_images_are_read_page_by_page() {
    scans::require_ocr_tools();
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let mut rng = Rng(3);
    let one = scanned(&lines(&PAGE_ONE), &mut rng);
    let two = scanned(&lines(&PAGE_TWO), &mut rng);
    let png = scans::put(&inbox, "page.png", &one.png(200));
    let tiff = scans::put(&inbox, "pages.tiff", &scans::tiff(&[one, two], 200));
    let kodiak = kodiak_in(dir.path(), OcrMode::Auto);
    let report = ingest(&kodiak, &inbox);
    assert_eq!(report.ingested, 2, "{report:?}");
    let pages_of = |path: &PathBuf| {
        let path = path.canonicalize().unwrap().display().to_string();
        let doc = report.documents.iter().find(|d| d.path == path).unwrap();
        (doc.pages, doc.pages_ocr)
    };
    assert_eq!(pages_of(&png), (1, 1));
    assert_eq!(pages_of(&tiff), (2, 2));
    assert_eq!(hits(&kodiak, "marigold").len(), 1);
    assert_eq!(hits(&kodiak, "lighthouse").len(), 2);
}

#[test]
fn with_ocr_off_a_scan_needs_ocr_saying_so_and_a_later_ingest_with_ocr_reads_it() {
    scans::require_ocr_tools();
    let dir = tempfile::tempdir().unwrap();
    let page = scanned(&lines(&PAGE_ONE), &mut Rng(5));
    let scan = scans::put(dir.path(), "scan.pdf", &scans::image_pdf(&[page]));
    let off = kodiak_in(dir.path(), OcrMode::Off);
    let report = ingest(&off, &scan);
    assert_eq!(report.needs_ocr.len(), 1, "{report:?}");
    assert_eq!(
        report.needs_ocr[0].reason,
        "needs OCR: 1 page(s) without a text layer; OCR is off ([ingest] ocr = \"off\")"
    );
    drop(off);

    let on = kodiak_in(dir.path(), OcrMode::Auto);
    let report = ingest(&on, &scan);
    assert_eq!(report.ingested, 1, "{report:?}");
    let documents = on.documents().unwrap();
    assert_eq!(documents.len(), 1, "one document, not two: {documents:?}");
    assert_eq!(hits(&on, "lighthouse").len(), 1);
}

#[test]
fn docs_show_marks_the_pages_ocr_read_with_their_confidence() {
    scans::require_ocr_tools();
    let sandbox = Sandbox::new();
    let page = scanned(&lines(&PAGE_ONE), &mut Rng(9));
    let scan = scans::put(sandbox.path(), "scan.pdf", &scans::image_pdf(&[page]));
    let report = sandbox.json(&["ingest", "--json", &scan.display().to_string()]);
    assert_eq!(report["pages_ocr"], 1, "{report}");
    let id = report["documents"][0]["id"].to_string();
    let shown = sandbox.stdout(&["docs", "show", &id]);
    assert!(
        shown.contains("ocr        page 1 read by OCR (mean "),
        "{shown}"
    );
    let text = sandbox.stdout(&["docs", "show", "--text", &id]);
    assert!(text.contains("──── page 1 (OCR, "), "{text}");
    let json = sandbox.json(&["docs", "show", "--json", &id]);
    assert_eq!(json["ocr_pages"][0]["page"], 1, "{json}");
}
