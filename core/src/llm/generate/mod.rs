//! The generation engine: one OS thread owns the llama.cpp model and its context (they
//! must stay on one thread). It runs inside the model worker process (see
//! [`super::worker`]), never in the process that holds the terminal and the database.
//! Requests arrive over a channel; each streams back [`GenerationEvent`]s tagged with its
//! id, ending with exactly one `Done` or `Failed`.
//!
//! The context keeps the tokens of the previous prompt and answer. A new prompt that
//! starts the same way (the next turn of a conversation) decodes only its new suffix.

use std::num::NonZeroU32;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use super::prompt::{self, ChatMessage, Dropped, PromptParts};
use super::stream::{StopMatcher, Utf8Stream};
use super::{LlmError, backend, check_model_file};

mod session;
mod template;

use session::Session;
pub use session::sampler;
use template::template_stops;
pub use template::{FALLBACK_TEMPLATE, fallback_template};

/// How the engine runs the model: `[generator]` with paths resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSettings {
    pub model: PathBuf,
    pub context_size: u32,
    pub threads: usize,
    pub batch_size: u32,
    pub gpu_layers: u32,
    /// A llama.cpp template name for models without a template of their own.
    pub chat_template: Option<String>,
    pub sampling: Sampling,
    pub max_tokens: u32,
    pub stop: Vec<String>,
    pub timeout: Duration,
}

/// How the next token is chosen: `[generator]` sampling settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// 0: always the likeliest token.
    pub temperature: f32,
    pub top_k: u32,
    pub top_p: f32,
    pub min_p: f32,
    pub repeat_penalty: f32,
    pub seed: u32,
}

impl Sampling {
    /// Always the likeliest token, no penalty: deterministic, for tests and benchmarks.
    pub const GREEDY: Sampling = Sampling {
        temperature: 0.0,
        top_k: 0,
        top_p: 1.0,
        min_p: 0.0,
        repeat_penalty: 1.0,
        seed: 0,
    };
}

/// The loaded model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub file_name: String,
    pub context_size: u32,
    /// `embedded` (from the GGUF), or a llama.cpp template name and where it came from.
    pub template: String,
    pub parameters: u64,
    /// Decode speed of the latest generation.
    pub last_decode_tokens_per_s: Option<f64>,
    /// The fastest decode since the model loaded: what this machine can do with it, so a
    /// latest speed far below it is news.
    #[serde(default)]
    pub best_decode_tokens_per_s: Option<f64>,
}

/// One generation: the prompt's parts (fitted to the context by the engine), the longest
/// answer, and a flag that stops it.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    pub id: u64,
    pub parts: PromptParts,
    /// At most the configured `max_tokens`; None for that.
    pub max_tokens: Option<u32>,
    pub cancel: Arc<AtomicBool>,
}

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// The model ended its answer.
    Stop,
    /// A configured stop string appeared (it is not part of the answer).
    StopString,
    MaxTokens,
    Cancelled,
    Timeout,
}

/// Figures of one generation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationStats {
    pub prompt_tokens: usize,
    /// Prompt tokens whose cache was kept from the previous generation.
    pub reused_tokens: usize,
    pub completion_tokens: usize,
    /// From the request to the first answer token.
    pub ttft_ms: f64,
    /// Decoding the prompt (the part not reused).
    pub prefill_ms: f64,
    pub decode_tokens_per_s: f64,
}

/// What a generation sends back, in this order: `Prompt`, `Token`s, then `Done` or `Failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GenerationEvent {
    /// The prompt as the model sees it, after fitting.
    Prompt {
        id: u64,
        /// The full text with the template applied.
        text: String,
        /// The final user message (passages and question), for later turns to replay.
        user_message: String,
        tokens: usize,
        /// Passages that made it into the prompt, by number.
        passages: Vec<usize>,
        dropped: Dropped,
    },
    /// More answer text (whole characters only).
    Token {
        id: u64,
        text: String,
    },
    Done {
        id: u64,
        finish: Finish,
        stats: GenerationStats,
    },
    Failed {
        id: u64,
        error: String,
    },
}

/// Where a generation's events go, in order. The worker process frames them onto its
/// output; tests collect them.
pub type EventSink = Box<dyn FnMut(GenerationEvent) + Send>;

/// Every request gets exactly one end event: `Done` or `Failed`.
pub fn is_end(event: &GenerationEvent) -> bool {
    matches!(
        event,
        GenerationEvent::Done { .. } | GenerationEvent::Failed { .. }
    )
}

struct Command {
    request: GenerationRequest,
    events: EventSink,
}

/// The handle to the engine thread, which owns the loaded model and its context. Dropping
/// it stops the thread once the current generation ends (cancel it first to stop at once).
pub struct Engine {
    commands: mpsc::Sender<Command>,
    info: ModelInfo,
}

impl Engine {
    /// Checks and loads the model on a new thread; returns once it is ready.
    pub fn load(settings: EngineSettings) -> Result<Engine, LlmError> {
        let (commands, queue) = mpsc::channel();
        let (ready, loaded) = mpsc::channel();
        std::thread::Builder::new()
            .name("kodiak-generator".into())
            .spawn(move || run(settings, queue, ready))
            .map_err(|e| LlmError::Backend(format!("cannot start the generator thread: {e}")))?;
        let info = loaded.recv().map_err(|_| {
            LlmError::Generate("the generator thread stopped while loading".into())
        })??;
        Ok(Engine { commands, info })
    }

    /// The loaded model's name, template and context size.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Queues a generation; its events go to `events`, ending with `Done` or `Failed`.
    pub fn generate(&self, request: GenerationRequest, events: EventSink) {
        if let Err(mpsc::SendError(Command {
            request,
            mut events,
        })) = self.commands.send(Command { request, events })
        {
            events(GenerationEvent::Failed {
                id: request.id,
                error: "the generator has stopped".into(),
            });
        }
    }
}

/// The engine thread: load, then serve requests until the handle is dropped. A request
/// that cannot be served (the context could not be made) still gets its end event.
fn run(
    settings: EngineSettings,
    queue: mpsc::Receiver<Command>,
    ready: mpsc::Sender<Result<ModelInfo, LlmError>>,
) {
    let (model, template, template_name, template_stops) = match load(&settings) {
        Ok(loaded) => loaded,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let mut settings = settings;
    settings.stop.extend(template_stops);
    let mut session = match Session::new(&model, &settings, template) {
        Ok(session) => session,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let info = ModelInfo {
        file_name: file_name(&settings.model),
        context_size: session.context.n_ctx(),
        template: template_name,
        parameters: model.n_params(),
        last_decode_tokens_per_s: None,
        best_decode_tokens_per_s: None,
    };
    tracing::info!(model = %info.file_name, template = %info.template, "generator ready");
    if ready.send(Ok(info)).is_err() {
        return;
    }
    for Command {
        request,
        mut events,
    } in queue
    {
        let id = request.id;
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| session.generate(&request, &mut events)));
        let error = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the generator panicked".to_owned(),
        };
        session.forget();
        events(GenerationEvent::Failed { id, error });
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Checks and loads the model; picks its chat template, and the stop strings that template
/// needs when it is not the model's own.
fn load(
    settings: &EngineSettings,
) -> Result<(LlamaModel, LlamaChatTemplate, String, Vec<String>), LlmError> {
    check_model_file(&settings.model)?;
    let params = super::model_params(&super::system_info(), settings.gpu_layers);
    let model = super::load_model(&settings.model, &params)?;
    super::check_kind(&model, &settings.model, super::ModelKind::Generation)?;
    let mut stops = Vec::new();
    let (template, name) = match model.chat_template(None) {
        Ok(embedded) => (embedded, "embedded".to_owned()),
        Err(_) => {
            let architecture = model
                .meta_val_str("general.architecture")
                .unwrap_or_default();
            let (name, origin) = match &settings.chat_template {
                Some(name) => (name.as_str(), "configured".to_owned()),
                None => (
                    fallback_template(&architecture),
                    format!("fallback for {architecture}"),
                ),
            };
            let template = LlamaChatTemplate::new(name).map_err(|e| LlmError::Load {
                path: settings.model.clone(),
                reason: format!("bad template name {name:?}: {e}"),
            })?;
            stops.extend(template_stops(name).iter().map(|s| (*s).to_owned()));
            (template, format!("{name} ({origin})"))
        }
    };
    Ok((model, template, name, stops))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::FetchedModel;
    use crate::llm::prompt::{Exchange, Passage};

    /// Greedy settings for Gemma 3 270M, with the template Kodiak picks for it.
    fn settings(context_size: u32, max_tokens: u32) -> EngineSettings {
        EngineSettings {
            model: FetchedModel::Gemma.path(),
            context_size,
            threads: 2,
            batch_size: 256,
            gpu_layers: 0,
            chat_template: None,
            sampling: Sampling::GREEDY,
            max_tokens,
            stop: Vec::new(),
            timeout: Duration::from_secs(120),
        }
    }

    /// The engine on Gemma 3 270M, loaded, or a failure saying how to get it.
    fn engine(settings: EngineSettings) -> Engine {
        Engine::load(settings).unwrap_or_else(|e| {
            panic!("{e}\nthe generation tests need the default models: run scripts/fetch-models")
        })
    }

    /// A sink that sends every event to a channel.
    fn channel() -> (EventSink, mpsc::Receiver<GenerationEvent>) {
        let (tx, rx) = mpsc::channel();
        let sink: EventSink = Box::new(move |event| {
            let _ = tx.send(event);
        });
        (sink, rx)
    }

    fn parts(question: &str) -> PromptParts {
        PromptParts {
            system: "Answer from the passages and cite them as [n].".into(),
            passages: vec![Passage {
                number: 1,
                title: "Lease".into(),
                page: 2,
                text: "The tenant must give ninety days written notice before leaving.".into(),
            }],
            history: Vec::new(),
            question: question.into(),
            ..PromptParts::default()
        }
    }

    fn request(id: u64, parts: PromptParts, cancel: Arc<AtomicBool>) -> GenerationRequest {
        GenerationRequest {
            id,
            parts,
            max_tokens: None,
            cancel,
        }
    }

    /// Runs one request to its end; returns the events.
    fn run(engine: &Engine, request: GenerationRequest) -> Vec<GenerationEvent> {
        let (sink, rx) = channel();
        engine.generate(request, sink);
        let mut events = Vec::new();
        for event in rx.iter() {
            let last = is_end(&event);
            events.push(event);
            if last {
                break;
            }
        }
        events
    }

    fn done(events: &[GenerationEvent]) -> (Finish, GenerationStats) {
        match events.last() {
            Some(GenerationEvent::Done { finish, stats, .. }) => (*finish, *stats),
            other => panic!("no Done event: {other:?}"),
        }
    }

    #[test]
    fn generation_streams_tokens_and_stops_at_max_tokens_then_reuses_the_prefix() {
        let engine = engine(settings(2048, 12));
        let info = engine.info();
        // Gemma 3 270M (the base model) carries no template: its family's is used.
        assert_eq!(info.template, "gemma (fallback for gemma3)");
        let never = Arc::new(AtomicBool::new(false));
        let events = run(
            &engine,
            request(1, parts("How much notice?"), never.clone()),
        );
        let GenerationEvent::Prompt { text, tokens, .. } = &events[0] else {
            panic!("{:?}", events[0])
        };
        assert!(text.contains("<start_of_turn>user") && text.contains("ninety days"));
        let streamed: String = events
            .iter()
            .filter_map(|e| match e {
                GenerationEvent::Token { id: 1, text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let (finish, stats) = done(&events);
        assert!(
            matches!(finish, Finish::MaxTokens | Finish::Stop),
            "{finish:?}"
        );
        if finish == Finish::MaxTokens {
            assert_eq!(stats.completion_tokens, 12);
        }
        assert!(stats.completion_tokens > 0 && !streamed.is_empty());
        assert_eq!(stats.prompt_tokens, *tokens);
        assert_eq!(stats.reused_tokens, 0);
        assert!(stats.ttft_ms > 0.0);

        // The next turn replays this one: only the new part is decoded.
        let mut next = parts("And who receives it?");
        next.history.push(Exchange {
            user: crate::llm::prompt::user_message(
                &parts("How much notice?").passages,
                "How much notice?",
            ),
            assistant: streamed,
        });
        let events = run(&engine, request(2, next, never));
        let (_, second) = done(&events);
        assert!(
            second.reused_tokens > stats.prompt_tokens / 2,
            "reused {} of {}",
            second.reused_tokens,
            second.prompt_tokens
        );
    }

    #[test]
    fn a_cancel_stops_within_two_tokens() {
        let engine = engine(settings(1024, 200));
        let cancel = Arc::new(AtomicBool::new(false));
        let (sink, rx) = channel();
        engine.generate(
            request(7, parts("Write a long story."), cancel.clone()),
            sink,
        );
        let mut after_cancel = 0;
        for event in rx.iter() {
            match event {
                GenerationEvent::Token { .. } if cancel.load(Ordering::Relaxed) => {
                    after_cancel += 1
                }
                GenerationEvent::Token { .. } => cancel.store(true, Ordering::Relaxed),
                GenerationEvent::Done { finish, stats, .. } => {
                    if finish == Finish::Stop {
                        // The model ended on its own first: nothing to check.
                        assert!(stats.completion_tokens < 3);
                        return;
                    }
                    assert_eq!(finish, Finish::Cancelled);
                    assert!(stats.completion_tokens <= 3, "{}", stats.completion_tokens);
                    break;
                }
                GenerationEvent::Failed { error, .. } => panic!("{error}"),
                GenerationEvent::Prompt { .. } => {}
            }
        }
        assert!(after_cancel <= 2, "{after_cancel} tokens after the cancel");
    }

    #[test]
    fn a_prompt_larger_than_the_context_is_trimmed_not_failed() {
        let mut chatml = settings(512, 64);
        chatml.chat_template = Some("chatml".into());
        let engine = engine(chatml);
        let info = engine.info();
        assert_eq!(info.template, "chatml (configured)");
        let mut big = parts("What notice is needed?");
        big.passages = (1..=12)
            .map(|n| Passage {
                number: n,
                title: format!("Exhibit {n}"),
                page: n,
                text: "The landlord may inspect the premises with notice. ".repeat(12),
            })
            .collect();
        big.history = (0..4)
            .map(|i| Exchange {
                user: format!("Earlier question {i}: {}", "detail ".repeat(80)),
                assistant: "An earlier answer.".into(),
            })
            .collect();
        let events = run(&engine, request(3, big, Arc::new(AtomicBool::new(false))));
        let GenerationEvent::Prompt {
            tokens,
            dropped,
            passages,
            ..
        } = &events[0]
        else {
            panic!("{:?}", events[0])
        };
        assert_eq!(dropped.history_exchanges, 4);
        assert!(!dropped.passages.is_empty() && !passages.is_empty());
        assert!(*tokens + 64 <= 512, "{tokens}");
        let (finish, _) = done(&events);
        // The chatml turn markers stop a model that does not know them.
        assert!(
            matches!(
                finish,
                Finish::StopString | Finish::MaxTokens | Finish::Stop
            ),
            "{finish:?}"
        );
    }
}
