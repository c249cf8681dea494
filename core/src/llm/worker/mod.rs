//! llama.cpp runs in model worker processes, never in the process that holds the terminal
//! and the database: a fault in native code (a segfault in a matrix kernel, an abort from a
//! `GGML_ASSERT`, the out-of-memory killer) ends the worker, not the session. Each worker
//! is the `kodiak` executable itself, started as the hidden `kodiak engine` command, with
//! one model: one worker generates, another embeds.
//!
//! - [`protocol`]: the framed messages on the worker's standard input and output;
//! - [`serve`]: the worker's side;
//! - [`supervisor`]: Kodiak's side, which starts workers, routes replies and notices deaths;
//! - [`GeneratorWorker`] and [`EmbedderWorker`]: what the service calls.

mod crash_switch;
pub mod protocol;
pub mod serve;
pub mod supervisor;

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use serde::Serialize;

use crate::cpu::BulkPriority;

pub use crash_switch::VARIABLE as CRASH_SWITCH_VARIABLE;
use protocol::{LoadedModel, Role, ToWorker};
pub use supervisor::{CrashSummary, Launch, WorkerCrash, WorkerState, WorkerStatus};
use supervisor::{Process, Supervisor};

use super::{
    EmbedderIdentity, EngineSettings, GenerationEvent, GenerationRequest, LlmError, ModelInfo,
};

/// How long a request waits for a worker to load its model (Gemma 3 270M loads in about a
/// second; a large model from a slow disk can take a minute).
pub const LOAD_WAIT: Duration = Duration::from_secs(120);
/// How long past its own timeout a generation may go silent before its worker is
/// considered stuck and killed: reading one batch of a long prompt can take seconds.
const STUCK_GRACE: Duration = Duration::from_secs(30);

/// The generation model's worker, as health shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum GeneratorState {
    /// Nothing has asked for it yet.
    NotStarted,
    Loading,
    Ready(ModelInfo),
    /// It cannot load its model; answers are extractive until that is fixed.
    Failed {
        reason: String,
    },
    /// Its process died; the next question starts another.
    Crashed {
        reason: String,
    },
}

/// Answers are generated in a supervised worker process (see the module docs).
pub struct GeneratorWorker {
    supervisor: Supervisor,
    timeout: Duration,
}

impl GeneratorWorker {
    /// A generator whose worker starts with the first request or [`GeneratorWorker::start`].
    pub fn new(launch: Launch, settings: EngineSettings) -> GeneratorWorker {
        let timeout = settings.timeout;
        GeneratorWorker {
            supervisor: Supervisor::new(launch, Role::Generator(settings)),
            timeout,
        }
    }

    /// Starts the worker, which loads the model in the background.
    pub fn start(&self) {
        self.supervisor.start();
    }

    /// The generation worker's state: not started, loading, ready, failed or restarting.
    pub fn state(&self) -> GeneratorState {
        match self.supervisor.state() {
            None => GeneratorState::NotStarted,
            Some(state) => generator_state(state),
        }
    }

    /// Starts the worker if it is not running (after a crash, say) and waits, at most
    /// `timeout`, for its model to load.
    pub fn wait_loaded(&self, timeout: Duration) -> GeneratorState {
        generator_state(self.supervisor.ready(timeout).1)
    }

    /// The worker process's figures for health: pid, starts, crashes, the last crash.
    pub fn status(&self) -> WorkerStatus {
        self.supervisor.status()
    }

    /// Queues a generation; its events arrive on `events`, ending with exactly one `Done`
    /// or `Failed` (a worker that dies mid-answer fails it with the reason).
    pub fn generate(&self, request: GenerationRequest, events: mpsc::Sender<GenerationEvent>) {
        let (process, state) = self.supervisor.ready(LOAD_WAIT);
        if let GeneratorState::Failed { reason } | GeneratorState::Crashed { reason } =
            generator_state(state.clone())
        {
            let _ = events.send(GenerationEvent::Failed {
                id: request.id,
                error: reason,
            });
            return;
        }
        if state == WorkerState::Loading {
            let _ = events.send(GenerationEvent::Failed {
                id: request.id,
                error: "the model is still loading".into(),
            });
            return;
        }
        let GenerationRequest {
            id,
            parts,
            max_tokens,
            cancel,
        } = request;
        self.supervisor.generate(
            &process,
            id,
            move |wire| ToWorker::Generate {
                id: wire,
                parts,
                max_tokens,
            },
            events,
            cancel,
            self.timeout + STUCK_GRACE,
        );
    }
}

fn generator_state(state: WorkerState) -> GeneratorState {
    match state {
        WorkerState::Loading => GeneratorState::Loading,
        WorkerState::Ready(LoadedModel::Generator(info)) => GeneratorState::Ready(info),
        WorkerState::Ready(LoadedModel::Embedder(_)) => GeneratorState::Failed {
            reason: "the worker loaded an embedding model".into(),
        },
        WorkerState::Failed(reason) => GeneratorState::Failed { reason },
        WorkerState::Ended(reason) => GeneratorState::Crashed { reason },
    }
}

/// Whether an embedding is waited on by a person (a search query) or is bulk work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Served before the rest of any bulk request under way.
    Query,
    Bulk,
}

/// Embeddings are made in a supervised worker process (see the module docs). The worker
/// is started again after a crash by the next request, and must load the same model.
pub struct EmbedderWorker {
    supervisor: Supervisor,
    identity: EmbedderIdentity,
}

impl EmbedderWorker {
    /// Starts the worker and waits until it has loaded the model at `path`. Bulk work
    /// runs on `threads` threads at `bulk_priority`; queries on one thread at normal
    /// priority.
    pub fn start(
        launch: Launch,
        path: &Path,
        threads: usize,
        bulk_priority: BulkPriority,
    ) -> Result<EmbedderWorker, LlmError> {
        let supervisor = Supervisor::new(
            launch,
            Role::Embedder {
                model: path.to_owned(),
                threads,
                bulk_priority,
            },
        );
        match supervisor.ready(LOAD_WAIT).1 {
            WorkerState::Ready(LoadedModel::Embedder(identity)) => Ok(EmbedderWorker {
                supervisor,
                identity,
            }),
            WorkerState::Ready(LoadedModel::Generator(_)) => Err(LlmError::Embed(
                "the worker loaded a generation model".into(),
            )),
            WorkerState::Loading => Err(LlmError::Embed(format!(
                "the embedding model did not load within {} s",
                LOAD_WAIT.as_secs()
            ))),
            WorkerState::Failed(reason) | WorkerState::Ended(reason) => {
                Err(LlmError::Embed(reason))
            }
        }
    }

    /// Which model makes the vectors.
    pub fn identity(&self) -> &EmbedderIdentity {
        &self.identity
    }

    /// The worker process's figures for health: pid, starts, crashes, the last crash.
    pub fn status(&self) -> WorkerStatus {
        self.supervisor.status()
    }

    /// One L2-normalised vector per text, in order (see
    /// [`crate::llm::EmbeddingSession::embed`]), as bulk work.
    pub fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, LlmError> {
        self.submit(texts, Urgency::Bulk).wait()
    }

    /// The model's vector for each of `count` vocabulary tokens from `first`, each embedded
    /// alone: what fast vectors are distilled from (see [`crate::llm::StaticEmbedder`]).
    pub fn embed_vocabulary(&self, first: u32, count: u32) -> Result<Vec<Vec<f32>>, LlmError> {
        let process = self.ready_process()?;
        PendingEmbedding {
            answer: self.supervisor.embed_vocabulary(&process, first, count),
        }
        .wait()
    }

    /// Queues `texts` and returns at once: the caller can do other work meanwhile.
    pub fn submit(&self, texts: Vec<String>, urgency: Urgency) -> PendingEmbedding {
        let process = match self.ready_process() {
            Ok(process) => process,
            Err(e) => {
                let (reply, answer) = mpsc::channel();
                let _ = reply.send(Err(e));
                return PendingEmbedding { answer };
            }
        };
        PendingEmbedding {
            answer: self
                .supervisor
                .embed(&process, texts, urgency == Urgency::Query),
        }
    }

    /// The worker process once it is ready with this model, else why not.
    fn ready_process(&self) -> Result<Arc<Process>, LlmError> {
        let (process, state) = self.supervisor.ready(LOAD_WAIT);
        let refused = match state {
            WorkerState::Ready(LoadedModel::Embedder(identity)) if identity == self.identity => {
                None
            }
            WorkerState::Ready(_) => Some(format!(
                "the embedding model {} changed on disk; restart Kodiak to use it",
                self.identity.file_name
            )),
            WorkerState::Loading => Some("the embedding model is still loading".into()),
            WorkerState::Failed(reason) | WorkerState::Ended(reason) => Some(reason),
        };
        match refused {
            Some(reason) => Err(LlmError::Embed(reason)),
            None => Ok(process),
        }
    }
}

/// Vectors being made by the embedding worker.
pub struct PendingEmbedding {
    answer: mpsc::Receiver<Result<Vec<Vec<f32>>, LlmError>>,
}

impl PendingEmbedding {
    /// Waits for the vectors.
    pub fn wait(self) -> Result<Vec<Vec<f32>>, LlmError> {
        self.answer
            .recv()
            .map_err(|_| LlmError::Embed("the embedding request was lost".into()))?
    }
}
