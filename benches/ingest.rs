//! Ingest throughput and full-text search latency, printed as figures and ratios.
//!
//! - Ingest: `kodiak ingest` of a generated corpus of 2,400 files (text, Markdown, HTML and
//!   email, about 125 MB, fake PII throughout) into a fresh data directory, with PII detection
//!   and without, best of two rounds. Goal on 2 cores: at least 20 MB/s.
//! - Search: Kodiak's BM25 search over the chunks that ingest produced (at least 100,000),
//!   side by side in one run with SQLite FTS5 over the very same chunks, on the same queries.
//!   Goal: p50 under 5 ms and faster than FTS5.
//!
//! - Chunking: 50 MB of text cut into passages: with paragraph breaks, on one line, and on
//!   one line without a sentence end.
//!   Goal: linear, so both in seconds.
//!
//! Run with `cargo bench --bench ingest` (`-- chunking` for that section alone). The corpus
//! is deterministic (fixed seed); with `KODIAK_BENCH_CORPUS=DIR` it is only written to DIR,
//! to profile `kodiak ingest DIR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::search::Mode;
use kodiak::service::SearchOptions;
use kodiak::storage::documents;
use support::Samples;
use support::corpus::{Rng, Vocabulary};

const FILES: usize = 2_400;
const MEAN_FILE_BYTES: usize = 46 * 1024;
const MIN_CHUNKS: usize = 100_000;
const QUERIES_PER_KIND: usize = 200;

fn main() {
    chunking();
    if std::env::args().skip(1).any(|a| a == "chunking") {
        return;
    }
    let work = tempfile::tempdir().expect("temporary folder");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vocabulary = Vocabulary::new(&mut rng);
    let corpus = work.path().join("corpus");
    if let Some(dir) = std::env::var_os("KODIAK_BENCH_CORPUS") {
        let (files, bytes) = write_corpus(Path::new(&dir), &vocabulary, &mut rng);
        println!(
            "wrote {files} files, {bytes} bytes to {}",
            Path::new(&dir).display()
        );
        return;
    }
    let (files, bytes) = write_corpus(&corpus, &vocabulary, &mut rng);
    // Written back to disk now, so that writeback does not compete with the first ingest.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let mb = support::megabytes(bytes as usize);
    println!(
        "corpus: {files} files, {mb:.1} MB (text, Markdown, HTML, email; fake PII throughout)"
    );
    println!(
        "threads: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // Best of two rounds, with and without PII detection alternating, so that a noisy
    // moment on a shared machine does not decide a figure.
    let mut best: [Option<Duration>; 2] = [None, None];
    let mut searched = None;
    for round in 0..2 {
        for (slot, detect_pii) in [false, true].into_iter().enumerate() {
            let root = work.path().join(format!("run-{round}-{slot}"));
            let run = ingest(&root, &corpus, detect_pii);
            let name = if detect_pii {
                "ingest with PII"
            } else {
                "ingest without PII"
            };
            report_ingest(name, &run, files, mb);
            best[slot] = Some(best[slot].map_or(run.elapsed, |b| b.min(run.elapsed)));
            if detect_pii {
                searched = Some(root);
            } else {
                let _ = std::fs::remove_dir_all(&root);
            }
        }
    }
    let [Some(without_pii), Some(with_pii)] = best else {
        return;
    };
    for (name, elapsed) in [("without PII", without_pii), ("with PII", with_pii)] {
        let rate = mb / elapsed.as_secs_f64();
        let verdict = if rate >= 20.0 { "met" } else { "MISSED" };
        println!("best ingest {name:<12} {rate:>6.1} MB/s; goal >= 20 MB/s: {verdict}");
    }
    let Some(root) = searched else { return };
    // Text search only: embeddings have a benchmark of their own (`cargo bench --bench
    // retrieval`).
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    let kodiak =
        Kodiak::open(Settings::in_dir(&root, config).with_engine(env!("CARGO_BIN_EXE_kodiak")))
            .expect("open kodiak");
    let fts_build = search_side_by_side(&kodiak, work.path(), &mut rng);
    println!(
        "Kodiak's whole ingest without PII (extract, store, index) took {:.2} s; SQLite FTS5 took {:.2} s only to index the same chunks: ratio {:.2}",
        without_pii.as_secs_f64(),
        fts_build.as_secs_f64(),
        fts_build.as_secs_f64() / without_pii.as_secs_f64()
    );
}

/// Chunking speed on 50 MB of text, with blank lines between paragraphs and without any.
fn chunking() {
    const MB: usize = 50;
    let mut rng = Rng(0x0c4a_11e7);
    let vocabulary = Vocabulary::new(&mut rng);
    let mut sentences = String::new();
    while sentences.len() < MB * 1_000_000 {
        for i in 0..(8 + rng.below(12)) {
            if i > 0 {
                sentences.push(' ');
            }
            sentences.push_str(vocabulary.word(&mut rng));
        }
        sentences.push_str(". ");
        if rng.chance(15) {
            sentences.push_str("\n\n");
        }
    }
    let one_line = sentences.replace("\n\n", "");
    let no_sentences = one_line.replace(". ", " ");
    let chunker = kodiak::ingest::Chunker::new(1000, 100).expect("chunker");
    println!("chunking {MB} MB into passages of at most 1,000 characters:");
    for (name, text) in [
        ("with paragraph breaks", sentences),
        ("on one line", one_line),
        ("one line, no sentences", no_sentences),
    ] {
        let document = kodiak::extract::DocumentText::new(&kodiak::extract::Extracted {
            format: kodiak::extract::Format::Text,
            title: None,
            pages: vec![text],
            metadata: Default::default(),
            attachments: Vec::new(),
        });
        let far = Instant::now() + Duration::from_secs(3600);
        let started = Instant::now();
        let chunks = chunker.chunks(&document, far).expect("chunks");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "  {name:<24} {:>6.1} s  {:>6.1} MB/s  {} chunks",
            seconds,
            document.text.len() as f64 / 1e6 / seconds,
            chunks.len()
        );
    }
}

/// What one `kodiak ingest` run did.
struct IngestRun {
    elapsed: Duration,
    documents: u64,
    chunks: u64,
    pii: u64,
}

/// Runs `kodiak ingest --json` on `corpus` into a fresh data directory under `root`, as a
/// user would: in its own process, so that nothing one run leaves behind (such as index
/// merges still going on) is counted in the next.
fn ingest(root: &Path, corpus: &Path, detect_pii: bool) -> IngestRun {
    std::fs::create_dir_all(root).expect("data folder");
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[logging]\ndirectory = {:?}\n[crash_reports]\ndirectory = {:?}\n[pii]\ndetect = {detect_pii}\n\
             [embedder]\nenabled = false\n[generator]\nenabled = false\n",
            root.join("logs"),
            root.join("crash-reports"),
        ),
    )
    .expect("config file");
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kodiak"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(root.join("data"))
        .args(["ingest", "--json"])
        .arg(corpus)
        .output()
        .expect("run kodiak ingest");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(
        report["failed"],
        serde_json::json!([]),
        "{}",
        report["failed"]
    );
    let documents = report["documents"].as_array().cloned().unwrap_or_default();
    let sum = |key: &str| documents.iter().filter_map(|d| d[key].as_u64()).sum();
    IngestRun {
        elapsed,
        documents: report["ingested"].as_u64().unwrap_or(0),
        chunks: sum("chunks"),
        pii: sum("pii"),
    }
}

fn report_ingest(name: &str, run: &IngestRun, files: usize, mb: f64) {
    let seconds = run.elapsed.as_secs_f64();
    println!(
        "{name:<20} {seconds:>6.2} s  {:>6.1} MB/s  {:>6.0} files/s  {} documents, {} chunks, {} PII findings",
        mb / seconds,
        files as f64 / seconds,
        run.documents,
        run.chunks,
        run.pii,
    );
}

/// Kodiak's search and FTS5 over the same chunks and queries, interleaved so that both
/// see the same machine load.
fn search_side_by_side(kodiak: &Kodiak, work: &Path, rng: &mut Rng) -> Duration {
    let conn = support::database_of(kodiak).conn().expect("database");
    let chunks = documents::chunk_texts(&conn).expect("chunk texts");
    drop(conn);
    assert!(
        chunks.len() >= MIN_CHUNKS,
        "only {} chunks; the corpus must give at least {MIN_CHUNKS}",
        chunks.len()
    );

    let (fts, fts_build) = build_fts5(&work.join("fts5.sqlite"), &chunks);
    let queries = queries(&chunks, rng);
    let options = SearchOptions {
        mode: Some(Mode::Bm25),
        limit: 10,
        documents: Vec::new(),
    };
    let kodiak_search = |q: &Query| {
        kodiak
            .search(&q.kodiak, &options)
            .expect("search")
            .hits
            .len()
    };
    let fts_search = |q: &Query| fts.search(&q.fts5);

    // Warm both: page cache, tantivy's mmaps, SQLite's cache.
    for q in queries.iter().take(50) {
        kodiak_search(q);
        fts_search(q);
    }
    println!("search over {} chunks, top 10 with snippets:", chunks.len());
    let mut kodiak_all = Vec::new();
    let mut fts_all = Vec::new();
    for kind in [Kind::Word, Kind::Words, Kind::Phrase] {
        let mut kodiak_times = Vec::new();
        let mut fts_times = Vec::new();
        let mut kodiak_hits = 0;
        let mut fts_hits = 0;
        for (i, q) in queries.iter().filter(|q| q.kind == kind).enumerate() {
            // Alternate which engine goes first, so neither always gets a warmer cache.
            let mut run_kodiak = || {
                let started = Instant::now();
                kodiak_hits += kodiak_search(q);
                kodiak_times.push(started.elapsed());
            };
            let mut run_fts = || {
                let started = Instant::now();
                fts_hits += fts_search(q);
                fts_times.push(started.elapsed());
            };
            if i % 2 == 0 {
                run_kodiak();
                run_fts();
            } else {
                run_fts();
                run_kodiak();
            }
        }
        let kodiak_samples = Samples::from_durations(kind.kodiak_name(), kodiak_times.clone());
        let fts_samples = Samples::from_durations(kind.fts_name(), fts_times.clone());
        kodiak_samples.report(None);
        fts_samples.report(None);
        println!(
            "  hits returned: Kodiak {kodiak_hits}, FTS5 {fts_hits}; FTS5 p50 / Kodiak p50 = {:.2}",
            ratio(&fts_samples, &kodiak_samples)
        );
        kodiak_all.extend(kodiak_times);
        fts_all.extend(fts_times);
    }
    let kodiak_all = Samples::from_durations("Kodiak BM25, all queries", kodiak_all);
    let fts_all = Samples::from_durations("SQLite FTS5, all queries", fts_all);
    kodiak_all.report(Some(Duration::from_millis(5)));
    fts_all.report(None);
    let speedup = ratio(&fts_all, &kodiak_all);
    let verdict = if speedup > 1.0 { "met" } else { "MISSED" };
    println!("FTS5 p50 / Kodiak p50 = {speedup:.2} (goal > 1: {verdict})");
    fts_build
}

fn ratio(slow: &Samples, fast: &Samples) -> f64 {
    slow.percentile(50.0).as_secs_f64() / fast.percentile(50.0).as_secs_f64().max(1e-9)
}

/// SQLite FTS5 over the chunks, with the stemming tokenizer closest to Kodiak's analyser.
struct Fts5 {
    conn: rusqlite::Connection,
}

impl Fts5 {
    fn search(&self, query: &str) -> usize {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT rowid, bm25(fts), snippet(fts, 0, '**', '**', '…', 32) \
                 FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 10",
            )
            .unwrap();
        let rows = statement
            .query_map([query], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, f64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .unwrap();
        rows.collect::<Result<Vec<_>, _>>().unwrap().len()
    }
}

/// Builds the FTS5 index; returns it and the time it took.
fn build_fts5(path: &Path, chunks: &[(i64, String)]) -> (Fts5, Duration) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE VIRTUAL TABLE fts USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2');",
    )
    .expect("this SQLite has FTS5");
    let started = Instant::now();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO fts (rowid, text) VALUES (?1, ?2)")
            .unwrap();
        for (id, text) in chunks {
            insert.execute(rusqlite::params![id, text]).unwrap();
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("INSERT INTO fts (fts) VALUES ('optimize');")
        .unwrap();
    let elapsed = started.elapsed();
    println!(
        "FTS5 index of the same chunks built in {:.2} s",
        elapsed.as_secs_f64()
    );
    (Fts5 { conn }, elapsed)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Word,
    Words,
    Phrase,
}

impl Kind {
    fn kodiak_name(self) -> &'static str {
        match self {
            Kind::Word => "Kodiak BM25, one word",
            Kind::Words => "Kodiak BM25, 2-3 words",
            Kind::Phrase => "Kodiak BM25, quoted phrase",
        }
    }

    fn fts_name(self) -> &'static str {
        match self {
            Kind::Word => "SQLite FTS5, one word",
            Kind::Words => "SQLite FTS5, 2-3 words",
            Kind::Phrase => "SQLite FTS5, quoted phrase",
        }
    }
}

/// One query, as typed into Kodiak and as the equivalent FTS5 MATCH expression.
struct Query {
    kind: Kind,
    kodiak: String,
    fts5: String,
}

/// Words and phrases drawn from the chunks themselves, so that every query finds something:
/// single words, loose 2-3 word queries (any of the words), and quoted 2-3 word phrases.
fn queries(chunks: &[(i64, String)], rng: &mut Rng) -> Vec<Query> {
    let mut queries = Vec::new();
    let words_of = |rng: &mut Rng| -> Vec<String> {
        loop {
            let (_, text) = &chunks[rng.below(chunks.len())];
            let words: Vec<&str> = text
                .split(|c: char| !c.is_alphabetic())
                .filter(|w| w.len() >= 4)
                .collect();
            if words.len() >= 10 {
                let at = rng.below(words.len() - 3);
                return words[at..at + 3].iter().map(|w| w.to_lowercase()).collect();
            }
        }
    };
    for _ in 0..QUERIES_PER_KIND {
        let words = words_of(rng);
        queries.push(Query {
            kind: Kind::Word,
            kodiak: words[0].clone(),
            fts5: format!("\"{}\"", words[0]),
        });
        let take = 2 + rng.below(2);
        let loose = &words[..take];
        queries.push(Query {
            kind: Kind::Words,
            kodiak: loose.join(" "),
            fts5: loose
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" OR "),
        });
        let phrase = words_of(rng)[..take].join(" ");
        queries.push(Query {
            kind: Kind::Phrase,
            kodiak: format!("\"{phrase}\""),
            fts5: format!("\"{phrase}\""),
        });
    }
    queries
}

/// A small deterministic generator (xorshift64*): the corpus is the same on every run.
/// Fake PII of every kind Kodiak detects, valid where validation applies.
const PII: &[&str] = &[
    "Contact Mr Jonah Whitfield at jonah.whitfield@example.org or +1 (503) 555-0142.",
    "Payments go to IBAN GB82 WEST 1234 5698 7654 32 (Harbour Bank).",
    "The card on file is 4111 1111 1111 1111, expiring 09/29.",
    "Employee SSN 536-22-8714, date of birth 14 March 1981.",
    "Access was logged from 192.168.40.17 and 2001:db8::8a2e:370:7334.",
    "National Insurance number QQ 12 34 56 C; defendant Ms Carla Ruiz appeared.",
    "Dr Amara Osei (amara.osei@clinic.example) confirmed by phone on 020 7946 0958.",
    "Refunds to DE89 3704 0044 0532 0130 00 within thirty days.",
];

fn paragraph(vocabulary: &Vocabulary, rng: &mut Rng) -> String {
    let mut text = String::new();
    for _ in 0..3 + rng.below(5) {
        let length = 6 + rng.below(17);
        for i in 0..length {
            let word = vocabulary.word(rng);
            if i == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push(' ');
                text.push_str(word);
                if rng.chance(6) {
                    text.push(',');
                }
            }
        }
        text.push_str(". ");
        if rng.chance(12) {
            text.push_str(PII[rng.below(PII.len())]);
            text.push(' ');
        }
    }
    text.pop();
    text
}

/// Paragraphs under numbered headings, about `bytes` long.
fn body(vocabulary: &Vocabulary, rng: &mut Rng, bytes: usize) -> Vec<(String, String)> {
    let mut sections = Vec::new();
    let mut length = 0;
    let mut number = 1;
    while length < bytes {
        let heading = format!("{number}. {}", vocabulary.word(rng).to_uppercase());
        let mut paragraphs = String::new();
        for _ in 0..1 + rng.below(4) {
            paragraphs.push_str(&paragraph(vocabulary, rng));
            paragraphs.push_str("\n\n");
        }
        length += heading.len() + paragraphs.len();
        sections.push((heading, paragraphs));
        number += 1;
    }
    sections
}

/// Writes the corpus: 55% plain text, 20% Markdown, 15% HTML, 10% email, sizes from a
/// quarter to twice the mean. Returns the file count and total bytes.
fn write_corpus(dir: &Path, vocabulary: &Vocabulary, rng: &mut Rng) -> (usize, u64) {
    let mut total = 0;
    for i in 0..FILES {
        let folder: PathBuf = dir.join(format!("matter-{:03}", i / 100));
        std::fs::create_dir_all(&folder).unwrap();
        let size = MEAN_FILE_BYTES / 4 + rng.below(MEAN_FILE_BYTES * 7 / 4);
        let sections = body(vocabulary, rng, size);
        let title = format!("Agreement {i} on {}", vocabulary.word(rng));
        let (name, content) = match rng.below(20) {
            0..=10 => {
                let mut text = format!("{}\n\n", title.to_uppercase());
                for (heading, paragraphs) in &sections {
                    let _ = write!(text, "{heading}\n\n{paragraphs}");
                }
                (format!("doc-{i}.txt"), text)
            }
            11..=14 => {
                let mut text = format!("# {title}\n\n");
                for (heading, paragraphs) in &sections {
                    let _ = write!(text, "## {heading}\n\n{paragraphs}");
                }
                (format!("doc-{i}.md"), text)
            }
            15..=17 => {
                let mut html = format!(
                    "<!DOCTYPE html>\n<html><head><title>{title}</title>\
                     <style>body {{ font-family: serif; }}</style>\
                     <script>window.analytics = [];</script></head><body>\n<h1>{title}</h1>\n"
                );
                for (heading, paragraphs) in &sections {
                    let _ = writeln!(html, "<h2>{heading}</h2>");
                    for p in paragraphs.split("\n\n").filter(|p| !p.is_empty()) {
                        let _ = writeln!(html, "<p>{p}</p>");
                    }
                }
                html.push_str("</body></html>\n");
                (format!("doc-{i}.html"), html)
            }
            _ => {
                let mut mail = format!(
                    "From: Priya Natarajan <priya.natarajan@example.com>\r\n\
                     To: Legal Team <legal@example.com>\r\n\
                     Date: Tue, 3 Mar 2026 09:{:02}:00 +0000\r\n\
                     Subject: {title}\r\nMIME-Version: 1.0\r\n\
                     Content-Type: text/plain; charset=utf-8\r\n\r\n",
                    i % 60
                );
                for (heading, paragraphs) in &sections {
                    let _ = write!(
                        mail,
                        "{heading}\r\n\r\n{}",
                        paragraphs.replace('\n', "\r\n")
                    );
                }
                (format!("mail-{i}.eml"), mail)
            }
        };
        std::fs::write(folder.join(name), &content).unwrap();
        total += content.len() as u64;
    }
    (FILES, total)
}
