//! Embedding and hybrid retrieval benchmarks with the default embedder (all-MiniLM-L6-v2),
//! side by side in one run:
//!
//! - embedding throughput during `kodiak ingest` (SQLite reads and writes, the embedding
//!   worker process and the pipes to it) over a bare llama.cpp embedding loop on the same chunks, model and threads;
//!   and batched embedding over one text at a time, for chunks and for single sentences;
//! - hybrid query latency (BM25 + exact vector search + fusion + snippets) at 10,000,
//!   100,000 and 300,000 chunks, with the query's embedding (made in the model worker
//!   process) and without it (vector given). Goal: p50 under 20 ms including the query
//!   embedding at 100,000 chunks; the largest size shows how far past it exact search
//!   stays within the goal;
//! - a query's embedding through the worker process over the same in this process (one
//!   thread each, taking turns to go first). Goal: p50 at most 1 ms more.
//!
//! The text is generated with a Zipf-like vocabulary (`support::corpus`), and queries are
//! 2-4 consecutive words of a stored chunk. For the latency corpora the chunk vectors are
//! random unit vectors (embedding 100,000 real chunks would take half an hour): the scan
//! reads every row whatever they hold, and only the few rows rescored after it depend on
//! them. The query embedding is real.
//!
//! Run with `cargo bench --bench retrieval` after `scripts/fetch-models`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::cell::Cell;
use std::collections::HashSet;
use std::num::NonZeroU32;
use std::path::Path;
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::{Outcome, Progress, Silent};
use kodiak::llm::{Embedder, FetchedModel, Urgency};
use kodiak::search::{FusionWeights, Mode, SearchRequest, VectorIndex};
use kodiak::service::SearchOptions;
use kodiak::storage::{documents, vectors};
use support::Samples;
use support::corpus::{Rng, Vocabulary, query, unit_vector};

const THREADS: usize = 2;
const EMBED_CHUNKS: usize = 600;
const QUERIES: usize = 200;

fn main() {
    let model = FetchedModel::MiniLm.path();
    assert!(
        model.is_file(),
        "{} is missing: run scripts/fetch-models",
        model.display()
    );
    // `cargo bench --bench retrieval -- latency` runs only the sections named.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |section: &str| only.is_empty() || only.iter().any(|o| section.contains(o));
    let mut rng = Rng(0x5eed_cafe);
    let vocabulary = Vocabulary::new(&mut rng);
    if wanted("embedding") {
        embedding_throughput(&vocabulary, &mut rng);
    }
    if wanted("latency") {
        for chunks in [10_000, 100_000, 300_000] {
            hybrid_latency(chunks, &vocabulary, &mut rng);
        }
    }
}

/// Records when embedding started and ended.
#[derive(Default)]
struct EmbedTimer {
    started: Cell<Option<Instant>>,
    finished: Cell<Option<Instant>>,
}

impl Progress for EmbedTimer {
    fn started(&self, _: usize, _: u64) {}
    fn file_done(&self, _: &str, _: u64, _: &Outcome) {}
    fn indexing(&self) {}
    fn embedding(&self, done: usize, total: usize) {
        if done == 0 {
            self.started.set(Some(Instant::now()));
        }
        if done >= total {
            self.finished.set(Some(Instant::now()));
        }
    }
}

fn config(embedder: bool) -> Config {
    let mut config = Config::default();
    config.pii.detect = false;
    config.generator.enabled = false;
    config.embedder.enabled = embedder;
    config.embedder.threads = THREADS;
    config
}

fn embedding_throughput(vocabulary: &Vocabulary, rng: &mut Rng) {
    let work = tempfile::tempdir().expect("temp dir");
    let docs = work.path().join("docs");
    write_corpus(&docs, EMBED_CHUNKS, vocabulary, rng);
    let kodiak = Kodiak::open(
        Settings::in_dir(work.path(), config(true)).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .expect("open");
    let timer = EmbedTimer::default();
    let report = kodiak.ingest(&[docs], &timer).expect("ingest");
    let during_ingest = timer.finished.get().unwrap() - timer.started.get().unwrap();
    let texts: Vec<String> = {
        let conn = support::database_of(&kodiak).conn().unwrap();
        let chunks = documents::chunk_texts(&conn).unwrap();
        chunks.into_iter().map(|(_, text)| text).collect()
    };
    drop(kodiak);

    let path = FetchedModel::MiniLm.path();
    let backend = kodiak::llm::backend().unwrap();
    let model = LlamaModel::load_from_file(backend, &path, &LlamaModelParams::default()).unwrap();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens = embedded_tokens(&model, &refs);
    let bare = bare_embedding_loop(&model, &texts);

    let embedder = Embedder::load(&path).unwrap();
    let mut session = embedder.session(THREADS).unwrap();
    let started = Instant::now();
    session.embed(&refs).unwrap();
    let batched = started.elapsed();
    let sample = &refs[..200.min(refs.len())];
    let sample_tokens = embedded_tokens(&model, sample);
    let started = Instant::now();
    for text in sample {
        session.embed(&[text]).unwrap();
    }
    let single = started.elapsed();
    let started = Instant::now();
    session.embed(sample).unwrap();
    let sample_batched = started.elapsed();
    // Short texts, where batching matters: single sentences, as questions and titles are.
    let sentences: Vec<String> = (0..200).map(|_| sentence(vocabulary, rng)).collect();
    let sentences: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let sentence_tokens = embedded_tokens(&model, &sentences);
    let started = Instant::now();
    for text in &sentences {
        session.embed(&[text]).unwrap();
    }
    let sentences_single = started.elapsed();
    let started = Instant::now();
    session.embed(&sentences).unwrap();
    let sentences_batched = started.elapsed();

    let rate = |tokens: usize, d: Duration| tokens as f64 / d.as_secs_f64();
    println!(
        "embedding {} chunks ({} tokens), all-MiniLM-L6-v2 F16, {THREADS} threads:",
        report.chunks_embedded, tokens
    );
    println!(
        "  during kodiak ingest   {:>7.0} tokens/s  {:>6.1} chunks/s",
        rate(tokens, during_ingest),
        texts.len() as f64 / during_ingest.as_secs_f64()
    );
    println!(
        "  bare llama.cpp loop    {:>7.0} tokens/s  {:>6.1} chunks/s",
        rate(tokens, bare),
        texts.len() as f64 / bare.as_secs_f64()
    );
    println!(
        "  Kodiak's session alone {:>7.0} tokens/s",
        rate(tokens, batched)
    );
    println!(
        "  ratio during ingest / bare loop: {:.3}",
        bare.as_secs_f64() / during_ingest.as_secs_f64()
    );
    println!(
        "  {} chunks one at a time {:.0} tokens/s, batched {:.0} tokens/s: batched / one at a time {:.2}",
        sample.len(),
        rate(sample_tokens, single),
        rate(sample_tokens, sample_batched),
        single.as_secs_f64() / sample_batched.as_secs_f64()
    );
    println!(
        "  {} sentences ({} tokens) one at a time {:.0} tokens/s, batched {:.0} tokens/s: batched / one at a time {:.2}",
        sentences.len(),
        sentence_tokens,
        rate(sentence_tokens, sentences_single),
        rate(sentence_tokens, sentences_batched),
        sentences_single.as_secs_f64() / sentences_batched.as_secs_f64()
    );
}

/// Tokens the embedder reads for `texts` (each cut at the model's 512).
fn embedded_tokens(model: &LlamaModel, texts: &[&str]) -> usize {
    texts
        .iter()
        .map(|t| {
            model
                .vocab()
                .tokenize(t.as_bytes(), true, false)
                .len()
                .min(512)
        })
        .sum()
}

/// The plainest batched embedding loop llama-cpp-2 allows, packing as Kodiak does: texts
/// together up to 256 tokens (a longer one alone, up to 512) and 32 sequences,
/// mean-pooled by the model.
fn bare_embedding_loop(model: &LlamaModel, texts: &[String]) -> Duration {
    let backend = kodiak::llm::backend().unwrap();
    let params = LlamaContextParams::default()
        .with_embeddings(true)
        .with_n_ctx(NonZeroU32::new(512))
        .with_n_batch(512)
        .with_n_ubatch(512)
        .with_n_seq_max(32)
        .with_n_threads(THREADS as i32)
        .with_n_threads_batch(THREADS as i32);
    let mut ctx = model.new_context(backend, params).unwrap();
    let tokenized: Vec<_> = texts
        .iter()
        .map(|t| {
            let mut tokens = model.vocab().tokenize(t.as_bytes(), true, false);
            tokens.truncate(512);
            tokens
        })
        .collect();
    let mut batch = LlamaBatch::new(512, 32);
    let started = Instant::now();
    let mut i = 0;
    while i < tokenized.len() {
        batch.clear();
        ctx.clear_kv_cache();
        let mut seqs = 0;
        let mut used = 0;
        while i < tokenized.len() && seqs < 32 && (seqs == 0 || used + tokenized[i].len() <= 256) {
            batch.add_sequence(&tokenized[i], seqs, false).unwrap();
            used += tokenized[i].len();
            seqs += 1;
            i += 1;
        }
        ctx.decode(&mut batch).unwrap();
        for seq in 0..seqs {
            std::hint::black_box(ctx.embeddings_seq_ith(seq).unwrap());
        }
    }
    started.elapsed()
}

fn hybrid_latency(target_chunks: usize, vocabulary: &Vocabulary, rng: &mut Rng) {
    let work = tempfile::tempdir().expect("temp dir");
    let docs = work.path().join("docs");
    write_corpus(&docs, target_chunks, vocabulary, rng);
    let settings =
        Settings::in_dir(work.path(), config(false)).with_engine(env!("CARGO_BIN_EXE_kodiak"));
    let kodiak = Kodiak::open(settings).expect("open");
    kodiak.ingest(&[docs], &Silent).expect("ingest");
    drop(kodiak);

    // Random unit vectors for every chunk, stored as the default embedder's.
    let kodiak = Kodiak::open(
        Settings::in_dir(work.path(), config(true)).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .expect("open");
    let identity = kodiak.embedder().unwrap().unwrap().identity().clone();
    let (ids, texts): (Vec<i64>, Vec<String>) = {
        let conn = support::database_of(&kodiak).conn().unwrap();
        documents::chunk_texts(&conn).unwrap().into_iter().unzip()
    };
    let embedder_id = support::database_of(&kodiak)
        .write(|tx| {
            let id = vectors::embedder_id(tx, &identity.file_name, &identity.sha256, 384, false)?;
            for page in ids.chunks(5_000) {
                let batch: Vec<(i64, Vec<f32>)> =
                    page.iter().map(|&c| (c, unit_vector(rng, 384))).collect();
                vectors::store(tx, id, &batch)?;
            }
            Ok::<_, kodiak::storage::StorageError>(id)
        })
        .unwrap();

    let queries: Vec<String> = (0..QUERIES)
        .map(|_| query(&texts[rng.below(texts.len())], rng))
        .collect();
    let hybrid = SearchOptions {
        mode: Some(Mode::Hybrid),
        limit: 10,
        documents: Vec::new(),
    };
    // Loads the matrix and warms the caches.
    for q in queries.iter().take(20) {
        let outcome = kodiak.search(q, &hybrid).unwrap();
        assert_eq!(outcome.mode, Mode::Hybrid, "{:?}", outcome.notes);
    }
    let database = support::database_of(&kodiak);
    let conn = database.conn().unwrap();
    let matrix = VectorIndex::load(&conn, embedder_id, 384).unwrap();
    let nearest = |v: &[f32], candidates: usize, scope: Option<&HashSet<i64>>| {
        matrix
            .search(v, candidates, scope, |ids| {
                vectors::of_chunks(&conn, embedder_id, ids)
            })
            .unwrap()
    };
    let embedder = kodiak.embedder().unwrap().unwrap();
    let embed_query = |q: &str| {
        embedder
            .submit(vec![q.to_owned()], Urgency::Query)
            .wait()
            .unwrap()
            .remove(0)
    };
    let query_vectors: Vec<Vec<f32>> = queries.iter().map(|q| embed_query(q)).collect();
    // The same model in this process, one thread, as the worker embeds queries.
    let local = Embedder::load(&FetchedModel::MiniLm.path()).unwrap();
    let mut local = local.session(1).unwrap();
    let config = &kodiak.settings().config.retrieval;
    let weights = FusionWeights {
        k: config.rrf_k,
        bm25: config.bm25_weight,
        vector: config.vector_weight,
        // The clause detector ranks contracts' clauses; this corpus has none.
        clause: 0.0,
    };

    let mut with_embedding = Vec::new();
    let mut without_embedding = Vec::new();
    let mut vector_only = Vec::new();
    let mut embedding_only = Vec::new();
    let mut embedding_here = Vec::new();
    for (i, (q, v)) in queries.iter().zip(&query_vectors).enumerate() {
        for turn in 0..2 {
            let started = Instant::now();
            if (turn == 0) == (i % 2 == 0) {
                std::hint::black_box(embed_query(q));
                embedding_only.push(started.elapsed());
            } else {
                std::hint::black_box(local.embed(&[q.as_str()]).unwrap());
                embedding_here.push(started.elapsed());
            }
        }
        let started = Instant::now();
        std::hint::black_box(kodiak.search(q, &hybrid).unwrap());
        with_embedding.push(started.elapsed());
        let request = SearchRequest {
            text: q,
            limit: 10,
            candidates: config.candidates,
            scope: None,
            weights,
        };
        let started = Instant::now();
        std::hint::black_box(
            kodiak::search::retrieve(
                kodiak.index().unwrap(),
                &database,
                Mode::Hybrid,
                &request,
                |candidates, scope| Some(nearest(v, candidates, scope)),
                |_| Vec::new(),
            )
            .unwrap(),
        );
        without_embedding.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(nearest(v, config.candidates, None));
        vector_only.push(started.elapsed());
    }
    println!(
        "\nhybrid search over {} chunks ({} queries, top 10):",
        ids.len(),
        QUERIES
    );
    let goal = (target_chunks == 100_000).then_some(Duration::from_millis(20));
    Samples::from_durations("with query embedding", with_embedding).report(goal);
    Samples::from_durations("query vector given", without_embedding).report(None);
    let through_worker = Samples::from_durations("query embedding, worker", embedding_only);
    through_worker.report(None);
    let in_process = Samples::from_durations("query embedding, in process", embedding_here);
    in_process.report(None);
    let extra =
        through_worker.percentile(50.0).as_secs_f64() - in_process.percentile(50.0).as_secs_f64();
    let verdict = if extra <= 1e-3 { "met" } else { "MISSED" };
    println!(
        "  the worker process adds {:.3} ms to a query embedding (p50); goal <= 1 ms: {verdict}",
        extra * 1e3
    );
    let exact = Samples::from_durations("exact vector top-50 alone", vector_only);
    exact.report(None);
    println!(
        "  exact vector search: {:.2} us per 1,000 chunks (p50)",
        exact.percentile(50.0).as_secs_f64() * 1e6 / (ids.len() as f64 / 1e3)
    );
}

/// Writes text files that chunk into about `chunks` chunks of about 1,000 characters.
fn write_corpus(dir: &Path, chunks: usize, vocabulary: &Vocabulary, rng: &mut Rng) {
    std::fs::create_dir_all(dir).unwrap();
    const CHUNKS_PER_FILE: usize = 25;
    for file in 0..chunks.div_ceil(CHUNKS_PER_FILE) {
        let mut text = String::new();
        for _ in 0..CHUNKS_PER_FILE {
            // A paragraph of about 900 characters; chunks break between paragraphs.
            let mut paragraph = String::new();
            while paragraph.len() < 900 {
                paragraph.push_str(&sentence(vocabulary, rng));
                paragraph.push(' ');
            }
            text.push_str(paragraph.trim_end());
            text.push_str("\n\n");
        }
        std::fs::write(dir.join(format!("doc-{file:05}.txt")), text).unwrap();
    }
}

/// A sentence of 8 to 20 words of Zipf-like rank.
fn sentence(vocabulary: &Vocabulary, rng: &mut Rng) -> String {
    let words = 8 + rng.below(13);
    vocabulary.sentence(rng, words)
}
