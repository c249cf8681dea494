//! Generation benchmarks with the default model (Gemma 3 270M), side by side in one run:
//!
//! - decode speed inside `Kodiak::ask` (retrieval, masking, the engine thread, streaming)
//!   over a bare llama.cpp greedy loop on the same prompt, model and threads.
//!   Goal: ratio at least 0.95;
//! - time to first token of a conversation's second turn, with the first turn's cache kept
//!   (only the new suffix is decoded) over the same turn after the cache was replaced.
//!
//! Run with `cargo bench --bench generation` after `scripts/fetch-models`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use kodiak::llm::prompt::{Exchange, Passage, PromptParts};
use kodiak::llm::{DefaultModel, Engine, GenerationEvent, GenerationRequest, GenerationStats};
use kodiak::service::AskOptions;
use kodiak::storage::conversations;

const ROUNDS: usize = 5;
const THREADS: usize = 2;
const MAX_TOKENS: u32 = 128;
const QUESTIONS: [&str; 5] = [
    "Describe every obligation of the tenant in the lease, one by one, in detail.",
    "Summarise the employment contract clause by clause.",
    "List every date, amount and party mentioned in the documents and explain each.",
    "Explain the confidentiality obligations and how long they last.",
    "What does the data processing agreement require of the processor?",
];

fn main() {
    let model_path = DefaultModel::Gemma.path();
    assert!(
        model_path.is_file(),
        "{} is missing: run scripts/fetch-models",
        model_path.display()
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut config = Config::default();
    config.generator.temperature = 0.0;
    config.generator.repeat_penalty = 1.0;
    config.generator.max_tokens = MAX_TOKENS;
    config.generator.threads = THREADS;
    config.generator.stop = Vec::new();
    let kodiak = Kodiak::open(Settings::in_dir(work.path(), config.clone())).expect("open");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    kodiak.ingest(&[samples], &Silent).expect("ingest samples");

    let bare = Bare::load(&model_path);
    println!("decode speed, Gemma 3 270M Q4_K_M, {THREADS} threads, greedy, {ROUNDS} rounds");
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        let question = QUESTIONS[round % QUESTIONS.len()];
        let options = AskOptions {
            question: question.into(),
            ..AskOptions::default()
        };
        let answer = kodiak.ask(&options, &mut |_| {}).expect("ask");
        let stats = answer.stats;
        // The same prompt, rendered as the engine rendered it.
        let conn = kodiak.database().conn().expect("conn");
        let messages = conversations::messages(&conn, answer.conversation_id).expect("messages");
        let user = messages[1].details["prompt_user"]
            .as_str()
            .unwrap()
            .to_owned();
        drop(conn);
        let prompt = bare.render(&config.generator.system_prompt, &user);
        let bare_rate = bare.decode_rate(&prompt, stats.completion_tokens);
        let ratio = stats.decode_tokens_per_s / bare_rate;
        ratios.push(ratio);
        println!(
            "  round {}: prompt {} tokens, answer {} tokens: kodiak ask {:.1} tokens/s, bare loop {:.1} tokens/s, ratio {:.3}",
            round + 1,
            stats.prompt_tokens,
            stats.completion_tokens,
            stats.decode_tokens_per_s,
            bare_rate,
            ratio
        );
    }
    let median = median(&mut ratios);
    let verdict = if median >= 0.95 { "met" } else { "MISSED" };
    println!("decode ratio kodiak ask / bare loop, median: {median:.3}; goal >= 0.95: {verdict}");

    let engine = kodiak.start_generator().expect("generator");
    second_turn(engine);
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// A bare llama.cpp loop: its own model and context, no channel, no threads of Kodiak's.
struct Bare {
    model: LlamaModel,
    template: LlamaChatTemplate,
}

impl Bare {
    fn load(path: &Path) -> Bare {
        let backend = kodiak::llm::backend().expect("backend");
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .expect("load model");
        Bare {
            model,
            template: LlamaChatTemplate::new("gemma").expect("template"),
        }
    }

    fn render(&self, system: &str, user: &str) -> String {
        let chat = [
            LlamaChatMessage::new("system".into(), system.into()).unwrap(),
            LlamaChatMessage::new("user".into(), user.into()).unwrap(),
        ];
        self.model
            .apply_chat_template(&self.template, &chat, true)
            .expect("template")
    }

    /// Greedy decode of `tokens` tokens after `prompt`; tokens per second from the first
    /// token on, as Kodiak counts them.
    fn decode_rate(&self, prompt: &str, tokens: usize) -> f64 {
        let backend = kodiak::llm::backend().expect("backend");
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(4096))
            .with_n_batch(512)
            .with_n_ubatch(512)
            .with_n_threads(THREADS as i32)
            .with_n_threads_batch(THREADS as i32);
        let mut ctx = self.model.new_context(backend, params).expect("context");
        let prompt_tokens = self.model.vocab().tokenize(prompt.as_bytes(), false, true);
        let mut batch = LlamaBatch::new(512, 1);
        let mut position = 0;
        for chunk in prompt_tokens.chunks(512) {
            batch.clear();
            for token in chunk {
                let last = position + 1 == prompt_tokens.len();
                batch.add(*token, position as i32, &[0], last).unwrap();
                position += 1;
            }
            ctx.decode(&mut batch).expect("prefill");
        }
        let mut sampler = LlamaSampler::greedy();
        let mut index = batch.n_tokens() - 1;
        let mut started = Instant::now();
        for produced in 0..tokens {
            let token = sampler.sample(&ctx, index);
            if produced == 0 {
                started = Instant::now();
            }
            batch.clear();
            batch.add(token, position as i32, &[0], true).unwrap();
            position += 1;
            ctx.decode(&mut batch).expect("decode");
            index = 0;
        }
        (tokens.saturating_sub(1)) as f64 / started.elapsed().as_secs_f64()
    }
}

fn run(engine: &Engine, parts: PromptParts) -> (String, GenerationStats) {
    let (tx, rx) = mpsc::channel();
    engine.generate(
        GenerationRequest {
            id: 1,
            parts,
            max_tokens: Some(64),
            cancel: Arc::new(AtomicBool::new(false)),
        },
        tx,
    );
    let mut text = String::new();
    for event in rx {
        match event {
            GenerationEvent::Token { text: t, .. } => text.push_str(&t),
            GenerationEvent::Done { stats, .. } => return (text, stats),
            GenerationEvent::Failed { error, .. } => panic!("{error}"),
            GenerationEvent::Prompt { .. } => {}
        }
    }
    panic!("the engine stopped")
}

/// Second-turn time to first token with the first turn's cache, and after the cache was
/// replaced by an unrelated prompt, alternating.
fn second_turn(engine: &Engine) {
    let passage = |n: usize, text: &str| Passage {
        number: n,
        title: format!("Exhibit {n}"),
        page: n,
        text: text.repeat(6),
    };
    let first = PromptParts {
        system: "Answer from the passages and cite them as [n].".into(),
        passages: vec![
            passage(
                1,
                "The tenant must give sixty days written notice before the term ends. ",
            ),
            passage(
                2,
                "The deposit is returned within thirty-one days after the tenant leaves. ",
            ),
            passage(
                3,
                "Pets are allowed only with the landlord's written consent. ",
            ),
        ],
        history: Vec::new(),
        question: "How much notice must the tenant give?".into(),
    };
    let unrelated = PromptParts {
        system: "You summarise weather reports.".into(),
        passages: vec![passage(1, "Rain is expected in the afternoon. ")],
        history: Vec::new(),
        question: "Will it rain?".into(),
    };
    let mut with_reuse = Vec::new();
    let mut without = Vec::new();
    let mut reused = Vec::new();
    for _ in 0..ROUNDS {
        let (answer, _) = run(engine, first.clone());
        let user = kodiak::llm::prompt::user_message(&first.passages, &first.question);
        let mut second = first.clone();
        second.question = "And how is the deposit returned?".into();
        second.history = vec![Exchange {
            user,
            assistant: answer,
        }];
        let (_, warm) = run(engine, second.clone());
        with_reuse.push(Duration::from_secs_f64(warm.ttft_ms / 1e3));
        reused.push(warm.reused_tokens as f64 / warm.prompt_tokens as f64);
        run(engine, unrelated.clone());
        let (_, cold) = run(engine, second);
        without.push(Duration::from_secs_f64(cold.ttft_ms / 1e3));
    }
    let with_reuse = support::Samples::from_durations("second turn, prefix reused", with_reuse);
    let without = support::Samples::from_durations("second turn, cache replaced", without);
    println!("\nsecond-turn time to first token, {ROUNDS} rounds alternating:");
    with_reuse.report(None);
    without.report(None);
    println!(
        "  prompt share reused: median {:.0}%; time to first token without reuse / with: {:.2}",
        median(&mut reused) * 100.0,
        without.percentile(50.0).as_secs_f64() / with_reuse.percentile(50.0).as_secs_f64()
    );
}
