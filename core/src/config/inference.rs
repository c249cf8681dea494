//! `[generator]`, `[embedder]`, `[retrieval]`, `[limits]` and `[breakers]`: the local models,
//! how passages are found for them, and the guards around both.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Invalid, check_range};

/// `[generator]`: the llama.cpp model that writes answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeneratorConfig {
    /// `false` answers every question extractively, without loading a model.
    pub enabled: bool,
    /// A GGUF file. Default: the SmolLM2 135M Instruct file `scripts/fetch-models` fetches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<PathBuf>,
    /// Tokens the model sees at once: prompt, passages, history and answer.
    pub context_size: u32,
    /// CPU threads; 0 means one per core.
    pub threads: usize,
    /// Prompt tokens decoded per llama.cpp batch.
    pub batch_size: u32,
    /// Layers offloaded to a GPU (builds with the `cuda`, `vulkan` or `metal` feature).
    pub gpu_layers: u32,
    /// A llama.cpp template name (`chatml`, `gemma`, `llama3`…) used when the model file
    /// carries no template of its own. Empty: the model family's (`gemma`, `phi3`), else
    /// `chatml`.
    pub chat_template: String,
    /// What the model is told before the passages.
    pub system_prompt: String,
    /// A worked example of a short cited answer comes before the question.
    pub few_shot: bool,
    /// The question is stated before the passages as well as after them.
    pub restate_question: bool,
    /// Which comes first in an answer: the checked evidence or the model's text.
    pub lead: Lead,
    /// 0 picks the likeliest token every time (greedy).
    pub temperature: f32,
    pub top_k: u32,
    pub top_p: f32,
    pub min_p: f32,
    /// Above 1.0 discourages repeating the last 64 tokens.
    pub repeat_penalty: f32,
    /// The same seed, question and passages give the same answer.
    pub seed: u32,
    /// The longest answer, in tokens.
    pub max_tokens: u32,
    /// The longest draft beneath evidence that leads an answer, in tokens (`max_tokens`
    /// when that is lower).
    pub draft_max_tokens: u32,
    /// Generation stops before any of these strings.
    pub stop: Vec<String>,
    /// A generation running longer is stopped and keeps what it produced.
    pub timeout_secs: u64,
    /// Below this share of an answer's statements borne out by its sources (or when one
    /// states what they do not hold), the answer is shown with a warning and the passages
    /// quoted beside it.
    pub min_grounded: f64,
}

/// `[generator] lead`: what a generated answer shows first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lead {
    /// Evidence for the small models `scripts/fetch-models` fetches, whose answers the
    /// answer benchmark measures as less accurate than the quoted passages; the model's
    /// text for any other model.
    #[default]
    Auto,
    /// The passages' sentences that answer the question, quoted and checked, with the
    /// model's text beneath them as a draft.
    Evidence,
    /// The model's text, with the evidence beside it when too little of it is grounded.
    Model,
}

/// The system prompt when `[generator] system_prompt` is not set.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You are Kodiak, an assistant for reviewing documents. \
Answer the question using only the numbered passages below. After each statement, cite the \
passage it comes from as [n]. If the passages do not contain the answer, say so. Placeholders \
such as [PERSON_1] stand for personal data: keep them exactly as written.";

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            enabled: true,
            model: None,
            context_size: 4_096,
            threads: 0,
            batch_size: 512,
            gpu_layers: 0,
            chat_template: String::new(),
            system_prompt: DEFAULT_SYSTEM_PROMPT.to_owned(),
            few_shot: false,
            restate_question: true,
            lead: Lead::Auto,
            temperature: 0.2,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            repeat_penalty: 1.1,
            seed: 42,
            max_tokens: 512,
            draft_max_tokens: 128,
            stop: Vec::new(),
            timeout_secs: 300,
            min_grounded: 0.5,
        }
    }
}

/// `[embedder]`: the model that turns passages and questions into vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedderConfig {
    /// `false` keeps search to BM25 and ingest to text.
    pub enabled: bool,
    /// A GGUF embedding model. Default: the all-MiniLM-L6-v2 file `scripts/fetch-models` makes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<PathBuf>,
    /// CPU threads; 0 means one per core.
    pub threads: usize,
    /// The vectors a new matter's search uses; each matter can choose its own
    /// (`kodiak vectors`).
    pub vectors: VectorChoice,
}

impl Default for EmbedderConfig {
    fn default() -> Self {
        EmbedderConfig {
            enabled: true,
            model: None,
            threads: 0,
            vectors: VectorChoice::Full,
        }
    }
}

/// Which vectors a matter's search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VectorChoice {
    /// None: search by words (BM25) alone, nothing embedded.
    None,
    /// Fast vectors only: a static model distilled from the embedding model, hundreds of
    /// times faster to make, somewhat less apt.
    Fast,
    /// The embedding model's vectors; fast vectors are made first so that search has
    /// vectors for every passage at once, and serve the passages the model has not reached.
    Full,
}

impl VectorChoice {
    pub const ALL: [VectorChoice; 3] = [VectorChoice::None, VectorChoice::Fast, VectorChoice::Full];

    pub fn as_str(self) -> &'static str {
        match self {
            VectorChoice::None => "none",
            VectorChoice::Fast => "fast",
            VectorChoice::Full => "full",
        }
    }
}

crate::named::parse_by_name!(VectorChoice, "vector choice");

/// `[retrieval]`: how BM25 and vector candidates are found and fused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrievalConfig {
    /// Passages given to the model (and shown as sources) per question.
    pub passages: usize,
    /// Candidates each method contributes before fusion.
    pub candidates: usize,
    /// Reciprocal rank fusion: a hit at rank r adds weight / (rrf_k + r).
    pub rrf_k: f32,
    pub bm25_weight: f32,
    pub vector_weight: f32,
    /// The vector ranking's weight in a matter that uses fast vectors alone: they are less
    /// apt than the model's, and at full weight pull good BM25 hits down.
    pub fast_vector_weight: f32,
    /// Weight of the clause detector's ranking, for a question naming a clause type
    /// ("which law governs…"); 0 leaves it out.
    pub clause_weight: f32,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        RetrievalConfig {
            passages: 5,
            candidates: 50,
            rrf_k: 60.0,
            bm25_weight: 1.0,
            vector_weight: 1.0,
            fast_vector_weight: 0.5,
            clause_weight: 4.0,
        }
    }
}

/// `[limits]`: requests (`ask`, `ingest`) one user may make per window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub requests: u32,
    pub window_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            requests: 100,
            window_secs: 60,
        }
    }
}

/// `[breakers]`: after this many failures in a row a component is left alone for a while.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakersConfig {
    pub failure_threshold: u32,
    /// Seconds an open breaker waits before letting one trial request through.
    pub reset_timeout_secs: u64,
}

impl Default for BreakersConfig {
    fn default() -> Self {
        BreakersConfig {
            failure_threshold: 5,
            reset_timeout_secs: 30,
        }
    }
}

/// llama.cpp's built-in template names (`src/llama-chat.cpp` of the bundled llama.cpp),
/// accepted for `generator.chat_template`.
pub const CHAT_TEMPLATES: &[&str] = &[
    "chatml",
    "llama2",
    "llama2-sys",
    "llama2-sys-bos",
    "llama2-sys-strip",
    "mistral-v1",
    "mistral-v3",
    "mistral-v3-tekken",
    "mistral-v7",
    "mistral-v7-tekken",
    "phi3",
    "phi4",
    "falcon3",
    "zephyr",
    "monarch",
    "gemma",
    "orion",
    "openchat",
    "vicuna",
    "vicuna-orca",
    "deepseek",
    "deepseek2",
    "deepseek3",
    "deepseek-ocr",
    "command-r",
    "llama3",
    "chatglm3",
    "chatglm4",
    "glmedge",
    "minicpm",
    "exaone3",
    "exaone4",
    "exaone-moe",
    "rwkv-world",
    "granite",
    "granite-4.0",
    "granite-4.1",
    "gigachat",
    "megrez",
    "yandex",
    "bailing",
    "bailing-think",
    "bailing2",
    "llama4",
    "smolvlm",
    "hunyuan-moe",
    "gpt-oss",
    "hunyuan-dense",
    "hunyuan-vl",
    "kimi-k2",
    "seed_oss",
    "grok-2",
    "pangu-embedded",
    "solar-open",
];

pub(super) fn validate(
    generator: &GeneratorConfig,
    embedder: &EmbedderConfig,
    retrieval: &RetrievalConfig,
    limits: &LimitsConfig,
    breakers: &BreakersConfig,
) -> Result<(), Invalid> {
    let g = generator;
    check_range("generator.context_size", g.context_size, 256, 1 << 20)?;
    check_range("generator.threads", g.threads, 0, 256)?;
    check_range("generator.batch_size", g.batch_size, 16, 1 << 16)?;
    check_range("generator.gpu_layers", g.gpu_layers, 0, 10_000)?;
    if !g.chat_template.is_empty() && !CHAT_TEMPLATES.contains(&g.chat_template.as_str()) {
        return Err(Invalid {
            key: "generator.chat_template".to_owned(),
            message: format!(
                "`{}` is not a llama.cpp template name; use one of {}",
                g.chat_template,
                CHAT_TEMPLATES.join(", ")
            ),
        });
    }
    check_range("generator.temperature", g.temperature, 0.0, 5.0)?;
    check_range("generator.top_k", g.top_k, 0, 100_000)?;
    check_range("generator.top_p", g.top_p, 0.0, 1.0)?;
    check_range("generator.min_p", g.min_p, 0.0, 1.0)?;
    check_range("generator.repeat_penalty", g.repeat_penalty, 0.5, 5.0)?;
    check_range("generator.max_tokens", g.max_tokens, 1, g.context_size / 2)?;
    check_range(
        "generator.draft_max_tokens",
        g.draft_max_tokens,
        1,
        g.context_size / 2,
    )?;
    if let Some(i) = g.stop.iter().position(String::is_empty) {
        return Err(Invalid {
            key: format!("generator.stop[{i}]"),
            message: "an empty stop string would stop every answer at once".to_owned(),
        });
    }
    check_range("generator.timeout_secs", g.timeout_secs, 1, 86_400)?;
    check_range("generator.min_grounded", g.min_grounded, 0.0, 1.0)?;
    check_range("embedder.threads", embedder.threads, 0, 256)?;

    let r = retrieval;
    check_range("retrieval.passages", r.passages, 1, 100)?;
    check_range("retrieval.candidates", r.candidates, r.passages, 10_000)?;
    check_range("retrieval.rrf_k", r.rrf_k, 0.0, 10_000.0)?;
    check_range("retrieval.bm25_weight", r.bm25_weight, 0.0, 100.0)?;
    check_range("retrieval.vector_weight", r.vector_weight, 0.0, 100.0)?;
    check_range(
        "retrieval.fast_vector_weight",
        r.fast_vector_weight,
        0.0,
        100.0,
    )?;
    check_range("retrieval.clause_weight", r.clause_weight, 0.0, 100.0)?;
    if r.bm25_weight + r.vector_weight <= 0.0 {
        return Err(Invalid {
            key: "retrieval.vector_weight".to_owned(),
            message: "bm25_weight and vector_weight cannot both be 0".to_owned(),
        });
    }
    check_range("limits.requests", limits.requests, 1, 1_000_000)?;
    check_range("limits.window_secs", limits.window_secs, 1, 86_400)?;
    check_range(
        "breakers.failure_threshold",
        breakers.failure_threshold,
        1,
        1_000,
    )?;
    check_range(
        "breakers.reset_timeout_secs",
        breakers.reset_timeout_secs,
        1,
        86_400,
    )?;
    Ok(())
}
