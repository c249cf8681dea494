//! A real matter's size: the same figures at 10,000 and at 100,000 documents (about 100,000
//! and 1,000,000 chunks), side by side, so that growth shows.
//!
//! The documents are generated here (`support::corpus`: the sample documents' words and a
//! Zipf-like tail), with lengths as a matter mixes them: half short notes and e-mails (1-3
//! KB), a third letters and memos (3-13 KB), the rest contracts (25-45 KB). Figures:
//!
//! - ingest: documents/s (text, PII, chunks, index; no vectors);
//! - fast vectors for every chunk: chunks/s, real (the static model); beside it the embedding
//!   model's chunks/s on 256 of the same chunks, through its worker, and the ratio;
//! - search p50/p99 over 200 queries of 2-4 words from stored chunks: BM25; hybrid with the
//!   model's vectors, the query embedded by its worker (the chunks' model vectors are random
//!   unit vectors, said so: embedding a million chunks with the model takes hours; the scan
//!   reads every row whatever it holds); hybrid with the fast vectors (real);
//! - vector recall@10 of the fast-vector search against an exact `f32` scan in this process;
//! - a `kodiak search` process from start to exit, cold (it loads the vectors): wall time and
//!   peak resident memory (its own, by `wait4`), for each kind of vectors;
//! - the document list as the UI and `docs list` read it; opening a document (its text);
//! - the search-term report over every document;
//! - checklist cells/s over 200 of the documents (the shipped checklist, no model), with the
//!   vectors loaded first and that load's time beside it;
//! - the terminal UI in tmux (own socket, 100x30): first frame with the list, then the
//!   list filtered and sorted, each from key to screen.
//!
//! Figures, never assertions. Run with `cargo bench --bench scale` after scripts/setup;
//! `KODIAK_BENCH_SCALE=10000` runs one size; `KODIAK_BENCH_KEEP=1` keeps each matter;
//! `KODIAK_BENCH_SHORT=1` makes every document a short one (1-3 KB) instead of the mix. It
//! needs about 20 GB of disk at 100,000.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kodiak::Kodiak;
use kodiak::checklist::Checklist;
use kodiak::config::{Config, Settings, VectorChoice};
use kodiak::ingest::Silent;
use kodiak::llm::FetchedModel;
use kodiak::search::Mode;
use kodiak::service::{JobScope, SearchOptions, ToEmbed};
use kodiak::storage::{documents, vectors};
use support::Samples;
use support::corpus::{Rng, Vocabulary, query, unit_vector};

const QUERIES: usize = 200;
const RECALL_QUERIES: usize = 50;
const MODEL_CHUNKS: usize = 256;
const CHECKLIST_DOCUMENTS: usize = 200;
const TERMS: &[&str] = &[
    "indemn*",
    "\"hold harmless\"",
    "\"governed by the laws of\"",
    "arbitration OR mediation",
    "confidential*",
    "terminat* convenience",
    "assign*",
    "insurance",
];

/// One size's figures, in the order printed.
#[derive(Default)]
struct Figures {
    documents: usize,
    chunks: usize,
    text_mb: f64,
    rows: Vec<(String, String)>,
}

impl Figures {
    fn add(&mut self, what: &str, figure: String) {
        println!("  {what:<52} {figure}");
        self.rows.push((what.to_owned(), figure));
    }
}

fn main() {
    let model = FetchedModel::MiniLm.path();
    assert!(
        model.is_file(),
        "{} is missing: run scripts/fetch-models",
        model.display()
    );
    let sizes: Vec<usize> = match std::env::var("KODIAK_BENCH_SCALE") {
        Ok(v) => vec![
            v.parse()
                .expect("KODIAK_BENCH_SCALE: a number of documents"),
        ],
        Err(_) => vec![10_000, 100_000],
    };
    let mut rng = Rng(0x5ca1_ab1e);
    let vocabulary = Vocabulary::new(&mut rng);
    let all: Vec<Figures> = sizes
        .iter()
        .map(|&n| measure(n, &vocabulary, &mut rng))
        .collect();
    println!("\nside by side:");
    print!("  {:<52}", "");
    for f in &all {
        print!(
            " {:>26}",
            format!("{} docs / {} chunks", f.documents, f.chunks)
        );
    }
    println!();
    print!("  {:<52}", "text");
    for f in &all {
        print!(" {:>26}", format!("{:.0} MB", f.text_mb));
    }
    println!();
    for (i, (what, _)) in all[0].rows.iter().enumerate() {
        print!("  {what:<52}");
        for f in &all {
            print!(" {:>26}", f.rows.get(i).map_or("", |r| r.1.as_str()));
        }
        println!();
    }
}

fn measure(documents: usize, vocabulary: &Vocabulary, rng: &mut Rng) -> Figures {
    let work = tempfile::tempdir().unwrap();
    let corpus = work.path().join("corpus");
    let bytes = write_corpus(&corpus, documents, vocabulary, rng);
    let mut figures = Figures {
        documents,
        text_mb: support::megabytes(bytes),
        ..Figures::default()
    };
    println!(
        "\n{documents} documents, {:.0} MB of text:",
        figures.text_mb
    );
    let root = work.path().join("data");
    let kodiak = open(&root, VectorChoice::None);

    // Ingest: text, PII, chunks and index, no vectors.
    let started = Instant::now();
    let report = kodiak
        .ingest(std::slice::from_ref(&corpus), &Silent)
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    assert_eq!(report.ingested, documents, "{:?}", report.failed);
    let db = support::database_of(&kodiak);
    figures.chunks = documents::chunk_count(&db.conn().unwrap()).unwrap();
    figures.add(
        "ingest (no vectors)",
        format!(
            "{:.0} docs/s ({:.1} MB/s)",
            documents as f64 / took,
            figures.text_mb / took
        ),
    );

    // Fast vectors for every chunk, for real. The fast model is made (or loaded) first.
    kodiak.set_vector_choice(VectorChoice::Fast).unwrap();
    let started = Instant::now();
    let options = SearchOptions {
        mode: Some(Mode::Vector),
        limit: 1,
        documents: Vec::new(),
    };
    kodiak.search("warm", &options).unwrap();
    figures.add(
        "fast model distilled or loaded",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    let started = Instant::now();
    let made = kodiak.embed_missing(ToEmbed::New, &Silent).unwrap();
    let fast_rate = made.fast as f64 / started.elapsed().as_secs_f64();
    assert_eq!(made.fast, figures.chunks, "{:?}", made.error);
    // The model on some of the same chunks, through its worker.
    let sample: Vec<String> = {
        let conn = db.conn().unwrap();
        vectors::chunks_to_embed(
            &conn,
            vectors::Missing::Any { fast: false },
            0,
            MODEL_CHUNKS,
        )
        .unwrap()
        .into_iter()
        .map(|(_, text)| text)
        .collect()
    };
    let worker = kodiak.embedder().unwrap().unwrap();
    let started = Instant::now();
    let embedded = worker.embed(sample.clone()).unwrap();
    let model_rate = embedded.len() as f64 / started.elapsed().as_secs_f64();
    figures.add(
        "fast vectors, every chunk",
        format!("{fast_rate:.0} chunks/s"),
    );
    figures.add(
        "model vectors (worker, 256 chunks)",
        format!("{model_rate:.1} chunks/s"),
    );
    figures.add("fast over model", format!("{:.0}x", fast_rate / model_rate));
    figures.add(
        "model vectors for every chunk would take",
        format!("{:.1} h", figures.chunks as f64 / model_rate / 3600.0),
    );

    // The model's vectors, random, for every chunk.
    let identity = worker.identity().clone();
    let started = Instant::now();
    // Every chunk's id, and the texts of some, spread over the matter, for the queries.
    let every = (figures.chunks / QUERIES).max(1);
    let (ids, texts) = {
        let conn = db.conn().unwrap();
        let (mut ids, mut texts) = (Vec::new(), Vec::new());
        let mut after = 0;
        loop {
            let page = vectors::chunks_to_embed(
                &conn,
                vectors::Missing::Any { fast: false },
                after,
                10_000,
            )
            .unwrap();
            let Some(&(last, _)) = page.last() else { break };
            after = last;
            for (id, text) in page {
                if ids.len() % every == 0 {
                    texts.push(text);
                }
                ids.push(id);
            }
        }
        (ids, texts)
    };
    db.write(|tx| {
        let id = vectors::embedder_id(
            tx,
            &identity.file_name,
            &identity.sha256,
            identity.dimensions,
            false,
        )?;
        for page in ids.chunks(10_000) {
            let batch: Vec<(i64, Vec<f32>)> = page
                .iter()
                .map(|&c| (c, unit_vector(rng, identity.dimensions)))
                .collect();
            vectors::store(tx, id, &batch)?;
        }
        Ok::<_, kodiak::storage::StorageError>(())
    })
    .unwrap();
    println!(
        "  (random model vectors stored for {} chunks in {:.0} s)",
        ids.len(),
        started.elapsed().as_secs_f64()
    );

    // Queries: 2-4 consecutive words of stored chunks.
    let queries: Vec<String> = texts.iter().take(QUERIES).map(|t| query(t, rng)).collect();
    let search = |k: &Kodiak, mode, name| {
        let options = SearchOptions {
            mode: Some(mode),
            limit: 10,
            documents: Vec::new(),
        };
        // The first loads the vectors: not counted.
        let first = k.search(&queries[0], &options).unwrap();
        assert_eq!(first.mode, mode, "{:?}", first.notes);
        let mut durations = Vec::new();
        for q in &queries {
            let started = Instant::now();
            std::hint::black_box(k.search(q, &options).unwrap());
            durations.push(started.elapsed());
        }
        Samples::from_durations(name, durations)
    };
    let p50_p99 = |s: &Samples| {
        format!(
            "{:.1} / {:.1} ms",
            s.percentile(50.0).as_secs_f64() * 1e3,
            s.percentile(99.0).as_secs_f64() * 1e3
        )
    };
    drop(kodiak);
    let fast = open(&root, VectorChoice::Fast);
    let bm25 = search(&fast, Mode::Bm25, "bm25");
    figures.add("BM25 p50 / p99", p50_p99(&bm25));
    let hybrid_fast = search(&fast, Mode::Hybrid, "hybrid, fast");
    figures.add("hybrid, fast vectors, p50 / p99", p50_p99(&hybrid_fast));
    figures.add(
        "fast vector recall@10 against an exact f32 scan",
        format!("{:.3}", recall(&fast, &db, &queries)),
    );
    drop(fast);
    let full = open(&root, VectorChoice::Full);
    full.set_vector_choice(VectorChoice::Full).unwrap();
    let hybrid_full = search(&full, Mode::Hybrid, "hybrid, model");
    figures.add(
        "hybrid, model vectors, query embedded, p50 / p99",
        p50_p99(&hybrid_full),
    );
    drop(full);

    for (choice, name) in [
        (VectorChoice::Fast, "`kodiak search`, fast vectors, cold"),
        (VectorChoice::Full, "`kodiak search`, model vectors, cold"),
    ] {
        let (wall, rss) = search_process(&root, choice, &queries[1]);
        figures.add(
            name,
            format!(
                "{:.1} s, {:.0} MB peak",
                wall.as_secs_f64(),
                rss as f64 / 1e6
            ),
        );
    }

    let kodiak = open(&root, VectorChoice::Fast);
    let started = Instant::now();
    let rows = kodiak.review_report().unwrap();
    figures.add(
        "the document list (rows the UI and docs list read)",
        format!("{:.2} s", started.elapsed().as_secs_f64()),
    );
    let open_samples: Vec<Duration> = (0..QUERIES)
        .map(|_| {
            let id = rows[rng.below(rows.len())].doc_id;
            let started = Instant::now();
            std::hint::black_box(kodiak.document_text(id).unwrap());
            started.elapsed()
        })
        .collect();
    figures.add(
        "opening a document p50 / p99",
        p50_p99(&Samples::from_durations("open", open_samples)),
    );
    let terms: Vec<String> = TERMS.iter().map(|t| (*t).to_owned()).collect();
    let started = Instant::now();
    let report = kodiak.terms_report(&terms, &JobScope::default()).unwrap();
    figures.add(
        "search-term report, every document",
        format!(
            "{:.2} s ({} searched)",
            started.elapsed().as_secs_f64(),
            report.documents_searched
        ),
    );
    let checklist = Checklist::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/checklists/commercial-contract.toml"),
    )
    .unwrap();
    let scope = JobScope {
        documents: rows
            .iter()
            .step_by(rows.len() / CHECKLIST_DOCUMENTS)
            .take(CHECKLIST_DOCUMENTS)
            .map(|r| r.doc_id)
            .collect(),
        ..JobScope::default()
    };
    // The vectors are loaded first, as the terminal UI loads them at its start: the figure
    // is the cells' own rate (a cold process's load is the cold search's figure).
    let started = Instant::now();
    let warm = SearchOptions {
        mode: Some(Mode::Hybrid),
        limit: 1,
        documents: vec![rows[0].doc_id],
    };
    kodiak.search("governing law", &warm).unwrap();
    figures.add(
        "checklist: the vectors loaded first",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    let job = kodiak.start_checklist(&checklist, &scope, false).unwrap();
    let outcome = kodiak.run_checklist(job, &()).unwrap();
    figures.add(
        "checklist, 200 documents, no model",
        format!("{:.0} cells/s", outcome.decided as f64 / outcome.seconds),
    );
    drop(kodiak);
    tui(&root, documents, &mut figures);
    if std::env::var_os("KODIAK_BENCH_KEEP").is_some() {
        println!("  (the matter is kept in {})", work.keep().display());
    }
    figures
}

fn open(root: &Path, vectors: VectorChoice) -> Kodiak {
    let mut config = Config::default();
    config.generator.enabled = false;
    config.embedder.vectors = vectors;
    config.limits.requests = 1_000_000;
    Kodiak::open(Settings::in_dir(root, config).with_engine(env!("CARGO_BIN_EXE_kodiak"))).unwrap()
}

/// Writes `count` documents of a matter's mix of lengths; returns their bytes.
fn write_corpus(dir: &Path, count: usize, vocabulary: &Vocabulary, rng: &mut Rng) -> usize {
    let short = std::env::var_os("KODIAK_BENCH_SHORT").is_some();
    let mut bytes = 0;
    for i in 0..count {
        let folder = dir.join(format!("{:03}", i / 1_000));
        if i % 1_000 == 0 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        let size = match rng.below(100) {
            _ if short => 1_000 + rng.below(2_000),
            0..50 => 1_000 + rng.below(2_000),
            50..88 => 3_000 + rng.below(10_000),
            _ => 25_000 + rng.below(20_000),
        };
        let mut text = String::with_capacity(size + 200);
        let mut title = Vec::new();
        for _ in 0..4 {
            title.push(vocabulary.word(rng).to_uppercase());
        }
        text.push_str(&title.join(" "));
        text.push_str("\n\n");
        while text.len() < size {
            let words = 6 + rng.below(20);
            text.push_str(&vocabulary.sentence(rng, words));
            text.push(' ');
            if rng.chance(15) {
                text.push_str("\n\n");
            }
        }
        bytes += text.len();
        std::fs::write(folder.join(format!("doc-{i:06}.txt")), text).unwrap();
    }
    bytes
}

/// The share of the exact top 10 (every fast vector scored in `f32` here) that the fast
/// vector search returns, over the first queries.
fn recall(kodiak: &Kodiak, db: &kodiak::storage::Database, queries: &[String]) -> f64 {
    let conn = db.conn().unwrap();
    let fast_id = vectors::embedders_in_use(&conn)
        .unwrap()
        .into_iter()
        .find(|e| e.fast)
        .unwrap()
        .id;
    let mut all: Vec<(i64, Vec<f32>)> = Vec::new();
    vectors::load(&conn, fast_id, 0, &[], |v| all.push((v.chunk_id, v.vector))).unwrap();
    drop(conn);
    let model = kodiak::llm::StaticEmbedder::load(
        &kodiak::llm::StaticEmbedder::path_for(
            &FetchedModel::MiniLm.path(),
            &kodiak.embedder().unwrap().unwrap().identity().sha256,
        ),
        kodiak.embedder().unwrap().unwrap().identity(),
    )
    .unwrap();
    let (mut found, mut wanted, mut skipped) = (0, 0, 0);
    for q in queries.iter().take(RECALL_QUERIES) {
        let v = model.embed(q);
        let mut exact: Vec<(f32, i64)> = all
            .iter()
            .map(|(id, row)| (row.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>(), *id))
            .collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let exact: std::collections::HashSet<i64> = exact.iter().take(10).map(|e| e.1).collect();
        let options = SearchOptions {
            mode: Some(Mode::Vector),
            limit: 10,
            documents: Vec::new(),
        };
        let hits = kodiak.search(q, &options).unwrap().hits;
        // A query naming a clause type is ranked with the clause detector too: not the
        // vector index alone.
        if hits.iter().any(|h| h.clause_rank.is_some()) {
            skipped += 1;
            continue;
        }
        found += hits.iter().filter(|h| exact.contains(&h.chunk_id)).count();
        wanted += exact.len();
    }
    if skipped > 0 {
        println!("  ({skipped} of {RECALL_QUERIES} recall queries named a clause type: left out)");
    }
    found as f64 / wanted.max(1) as f64
}

/// A `kodiak search` process on the matter, from start to exit: wall time and its peak
/// resident memory, `VmHWM` read from /proc while it runs (`wait4`'s figure would carry this
/// process's own peak across the exec).
fn search_process(root: &Path, choice: VectorChoice, query: &str) -> (Duration, u64) {
    let config = root.join(format!("search-{}.toml", choice.as_str()));
    std::fs::write(
        &config,
        format!(
            "[generator]\nenabled = false\n[embedder]\nvectors = \"{}\"\n",
            choice.as_str()
        ),
    )
    .unwrap();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kodiak"))
        .env("KODIAK_CONFIG", &config)
        // Settings::in_dir keeps the data in `data` under the root given.
        .args([
            "--data-dir",
            root.join("data").to_str().unwrap(),
            "search",
            query,
        ])
        .args(["--mode", "hybrid", "--limit", "10"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    let errors = errors.join().unwrap_or_default();
    assert!(status.success(), "kodiak search failed: {errors}");
    if !errors.trim().is_empty() {
        println!("  (kodiak search said: {})", errors.trim());
    }
    (wall, peak_kb * 1024)
}

const TMUX_SOCKET: &str = "kodiak-bench-scale";

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", TMUX_SOCKET])
        .args(args)
        .output()
        .expect("tmux is needed: run scripts/setup");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// When the screen first satisfied `what`, polling until `limit`.
fn wait_for(limit: Duration, what: impl Fn(&str) -> bool) -> Option<Instant> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if what(&tmux(&["capture-pane", "-p", "-t", "scale"])) {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    println!(
        "  (not seen; the screen was:\n{})",
        tmux(&["capture-pane", "-p", "-t", "scale"])
    );
    None
}

/// The terminal UI on the matter: the list's first frame, then the list filtered and sorted,
/// each from the key to the screen that shows it.
fn tui(root: &Path, documents: usize, figures: &mut Figures) {
    let script = root.join("tui.sh");
    let config = root.join("search-fast.toml");
    std::fs::write(
        &script,
        format!(
            "KODIAK_CONFIG='{}' '{}' --data-dir '{}'\nsleep 60\n",
            config.display(),
            env!("CARGO_BIN_EXE_kodiak"),
            root.join("data").display()
        ),
    )
    .unwrap();
    tmux(&["kill-server"]);
    let started = Instant::now();
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "scale",
        "-x",
        "100",
        "-y",
        "30",
        &format!("bash {}", script.display()),
    ]);
    let all = format!("{documents} of {documents}");
    let listed = wait_for(Duration::from_secs(120), |s| s.contains(&all));
    let ms = |from: Instant, to: Option<Instant>| match to {
        Some(to) => format!("{:.0} ms", (to - from).as_secs_f64() * 1e3),
        None => "not seen".to_owned(),
    };
    figures.add(
        "UI: first frame with the whole list (from start)",
        ms(started, listed),
    );
    // Filter: `/`, a word, Enter; the header says how many are left.
    tmux(&["send-keys", "-t", "scale", "/"]);
    std::thread::sleep(Duration::from_millis(200));
    let typed = Instant::now();
    tmux(&["send-keys", "-t", "scale", "-l", "doc-00001"]);
    let filtered = wait_for(Duration::from_secs(60), |s| {
        s.contains(" of ") && !s.contains(&all) && s.contains("filter doc-00001")
    });
    figures.add("UI: list filtered (key to screen)", ms(typed, filtered));
    tmux(&["send-keys", "-t", "scale", "Escape"]);
    // The header names the filter (`· filter doc-00001`); the key hints say `/ filter`.
    wait_for(Duration::from_secs(60), |s| {
        s.contains(&all) && !s.contains("· filter")
    });
    let pressed = Instant::now();
    tmux(&["send-keys", "-t", "scale", "s"]);
    let sorted = wait_for(Duration::from_secs(60), |s| s.contains("sorted by"));
    figures.add("UI: list sorted (key to screen)", ms(pressed, sorted));
    tmux(&["kill-server"]);
}
