//! Local models through llama.cpp (`llama-cpp-2`): the process-wide backend, checks on model
//! files before they are loaded, and embeddings.

mod embed;
mod generate;
mod model_file;
pub mod prompt;
mod stream;

use std::path::PathBuf;
use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;

pub use embed::{
    Embedder, EmbedderHandle, EmbedderIdentity, EmbeddingSession, PendingEmbedding, cosine,
};
pub use generate::{
    Engine, EngineSettings, EngineState, FALLBACK_TEMPLATE, Finish, GenerationEvent,
    GenerationRequest, GenerationStats, ModelInfo, Sampling, sampler,
};
pub use model_file::{DefaultModel, ModelFile, check_model_file, sha256_of};

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
