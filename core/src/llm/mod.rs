//! Local models through llama.cpp (`llama-cpp-2`): the process-wide backend, checks on model
//! files before they are loaded, generation and embeddings, and the worker processes they
//! run in (see [`worker`]).

mod embed;
mod generate;
mod model_file;
pub mod prompt;
mod static_embed;
mod stream;
pub mod worker;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{LazyLock, OnceLock};

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;

pub use embed::{Embedder, EmbedderIdentity, EmbeddingSession, cosine};
pub use generate::{
    Engine, EngineSettings, EventSink, FALLBACK_TEMPLATE, Finish, GenerationEvent,
    GenerationRequest, GenerationStats, ModelInfo, Sampling, is_end, sampler,
};
pub use model_file::{FetchedModel, ModelFile, check_model_file, sha256_of};
pub use static_embed::{StaticEmbedder, VocabularyToken, gguf_vocabulary};
pub use worker::{
    EmbedderWorker, GeneratorState, GeneratorWorker, Launch, PendingEmbedding, Urgency,
    WorkerCrash, WorkerStatus,
};

/// Why a model could not be loaded or used; each names the file or setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("model file {path}: {reason}")]
    ModelFile { path: PathBuf, reason: String },
    #[error("cannot start llama.cpp: {0}")]
    Backend(String),
    #[error("cannot load model {path}: {reason}")]
    Load { path: PathBuf, reason: String },
    #[error("cannot create a llama.cpp context for {path}: {reason}")]
    Context { path: PathBuf, reason: String },
    #[error("embedding failed: {0}")]
    Embed(String),
    #[error("generation failed: {0}")]
    Generate(String),
}

/// llama.cpp's error lines in this process. Its loader says why it refuses a file (a tensor
/// "not within the file bounds" of a truncated GGUF) only in its log, while the call
/// returns a bare null; the model worker's logging keeps those lines here so that the
/// error can say it.
pub fn llama_errors() -> &'static crate::telemetry::RecentEvents {
    static ERRORS: LazyLock<crate::telemetry::RecentEvents> =
        LazyLock::new(|| crate::telemetry::RecentEvents::new(16));
    &ERRORS
}

/// Loads a model, and when llama.cpp refuses it, says why in llama.cpp's own words when it
/// logged them.
fn load_model(
    path: &Path,
    params: &LlamaModelParams,
) -> Result<llama_cpp_2::model::LlamaModel, LlmError> {
    // Only what this load logs.
    llama_errors().take();
    llama_cpp_2::model::LlamaModel::load_from_file(backend()?, path, params).map_err(|e| {
        let logged = llama_errors().take();
        let errors: Vec<&str> = logged
            .iter()
            .filter(|event| event.level == "ERROR")
            .map(|event| event.message.trim())
            .collect();
        // "llama_model_load: error loading model: <why>" comes first; the lines after it
        // only say that loading failed.
        let why = errors
            .iter()
            .find_map(|m| m.split_once("error loading model: ").map(|(_, why)| why))
            .or(errors.first().copied());
        LlmError::Load {
            path: path.to_owned(),
            reason: match why {
                Some(why) => format!("llama.cpp refused it: {why}"),
                None => e.to_string(),
            },
        }
    })
}

/// llama.cpp's backend, started once per process (it may not be started twice). Its log
/// lines go to Kodiak's log through `tracing`, never to the terminal.
pub fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Backend(e.clone()))
}

/// What llama.cpp reports it was built with, as `llama_print_system_info` prints it:
/// `CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | … |`. Only features compiled in are listed.
pub fn system_info() -> String {
    // SAFETY: llama_print_system_info returns a NUL-terminated string in static storage,
    // which stays valid until the next call; it is copied at once.
    unsafe {
        let text = llama_cpp_sys_2::llama_print_system_info();
        if text.is_null() {
            return String::new();
        }
        std::ffi::CStr::from_ptr(text)
            .to_string_lossy()
            .into_owned()
    }
}

/// Model parameters for a llama.cpp whose [`system_info`] is `system_info`. The build
/// keeps AMX out (see `.cargo/config.toml`); should a build have it after all, every weight
/// is kept in plain CPU buffers, which the AMX kernels never touch, at the cost of the
/// repacked layouts of the fast kernels.
pub fn model_params(system_info: &str, gpu_layers: u32) -> Pin<Box<LlamaModelParams>> {
    let mut params = Box::pin(LlamaModelParams::default().with_n_gpu_layers(gpu_layers));
    if features_on(system_info)
        .iter()
        .any(|f| f.starts_with("AMX"))
    {
        tracing::warn!("llama.cpp was built with AMX, whose kernels crash on Q4_K; not using them");
        params.as_mut().add_cpu_buft_override(c".*");
    }
    params
}

/// What a loaded model is for, from its GGUF metadata: an embedding model declares how it
/// pools token vectors (`ARCH.pooling_type`) or that its attention is not causal (BERT);
/// any other model generates. llama.cpp aborts the process when asked to generate with an
/// embedding model, so each role checks the kind before use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Generation,
    Embedding,
}

impl ModelKind {
    /// The model's kind (generator or embedder) and its architecture, from its metadata.
    pub fn of(model: &llama_cpp_2::model::LlamaModel) -> (ModelKind, String) {
        let architecture = model
            .meta_val_str("general.architecture")
            .unwrap_or_default();
        let pools = model
            .meta_val_str(&format!("{architecture}.pooling_type"))
            .is_ok();
        let not_causal = model
            .meta_val_str(&format!("{architecture}.attention.causal"))
            .is_ok_and(|causal| causal == "false");
        let kind = match pools || not_causal {
            true => ModelKind::Embedding,
            false => ModelKind::Generation,
        };
        (kind, architecture)
    }
}

/// An error for a model of the wrong kind for `wanted`, saying which setting to change.
pub fn check_kind(
    model: &llama_cpp_2::model::LlamaModel,
    path: &std::path::Path,
    wanted: ModelKind,
) -> Result<(), LlmError> {
    let (kind, architecture) = ModelKind::of(model);
    if kind == wanted {
        return Ok(());
    }
    let reason = match wanted {
        ModelKind::Generation => format!(
            "an embedding model ({architecture}) cannot write answers; set [generator] model \
             to a generation model"
        ),
        ModelKind::Embedding => format!(
            "a generation model ({architecture}) cannot embed; set [embedder] model to an \
             embedding model such as all-MiniLM-L6-v2"
        ),
    };
    Err(LlmError::Load {
        path: path.to_owned(),
        reason,
    })
}

/// The features a [`system_info`] report says are on, e.g. `["SSE3", "AVX2", …]`.
pub fn features_on(system_info: &str) -> Vec<&str> {
    system_info
        .split('|')
        .filter_map(|part| {
            // The first feature of a backend follows its name: `CPU : SSE3 = 1`.
            let part = part.rsplit(" : ").next().unwrap_or(part);
            let (name, value) = part.split_once('=')?;
            (value.trim() == "1").then_some(name.trim())
        })
        .collect()
}

#[cfg(test)]
mod tests;
