//! The model worker processes with the real default models: what happens when native code
//! dies. Each test makes a worker crash on demand with the hidden debug switch
//! (`KODIAK_DEBUG_ENGINE_CRASH`), which workers read from the environment they inherit;
//! the tests of this file therefore take turns (see [`switch`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::Duration;

use kodiak::Kodiak;
use kodiak::answer::AnswerMode;
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use kodiak::llm::prompt::{Passage, PromptParts};
use kodiak::llm::worker::CRASH_SWITCH_VARIABLE;
use kodiak::llm::{
    EngineSettings, FetchedModel, GenerationEvent, GenerationRequest, GeneratorState,
    GeneratorWorker, Launch, Sampling, WorkerCrash,
};
use kodiak::search::Mode;
use kodiak::service::{AskOptions, Piece, SearchOptions};
use kodiak::storage::conversations::MessageStatus;

/// Sets the crash switch for the workers this test starts, and holds the other tests of
/// this file off until the test ends (the environment is the process's).
fn switch(value: Option<&str>) -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: the tests of this binary run one at a time under TURN, and nothing else in
    // it reads or writes the environment meanwhile.
    unsafe {
        match value {
            Some(value) => std::env::set_var(CRASH_SWITCH_VARIABLE, value),
            None => std::env::remove_var(CRASH_SWITCH_VARIABLE),
        }
    }
    turn
}

fn require_models() {
    for model in FetchedModel::ALL {
        assert!(
            model.path().is_file(),
            "{} is missing: these tests need the default models; run scripts/fetch-models",
            model.path().display()
        );
    }
}

/// Crashes reported by the supervisor, as the service's crash hook would see them.
type Crashes = Arc<Mutex<Vec<WorkerCrash>>>;

fn launch() -> (Launch, Crashes) {
    let crashes: Crashes = Arc::default();
    let seen = Arc::clone(&crashes);
    let launch = Launch {
        program: PathBuf::from(env!("CARGO_BIN_EXE_kodiak")),
        log_filter: "info".into(),
        on_crash: Arc::new(move |crash: &WorkerCrash| seen.lock().unwrap().push(crash.clone())),
    };
    (launch, crashes)
}

fn generator(launch: Launch, model: &Path) -> GeneratorWorker {
    GeneratorWorker::new(
        launch,
        EngineSettings {
            model: model.to_owned(),
            context_size: 1024,
            threads: 2,
            batch_size: 256,
            gpu_layers: 0,
            chat_template: None,
            sampling: Sampling::GREEDY,
            max_tokens: 40,
            stop: Vec::new(),
            timeout: Duration::from_secs(120),
        },
    )
}

fn request(id: u64) -> GenerationRequest {
    GenerationRequest {
        id,
        parts: PromptParts {
            system: "Answer from the passages.".into(),
            passages: vec![Passage {
                number: 1,
                title: "Lease".into(),
                page: 1,
                text: "The tenant must give ninety days written notice.".into(),
            }],
            history: Vec::new(),
            question: "Write a long story about notice periods.".into(),
            ..PromptParts::default()
        },
        max_tokens: None,
        cancel: Arc::new(AtomicBool::new(false)),
    }
}

/// Every event of the requests sent on `events`, until the channel closes.
fn collect(events: mpsc::Receiver<GenerationEvent>) -> Vec<GenerationEvent> {
    events.iter().collect()
}

fn ends(events: &[GenerationEvent]) -> Vec<&GenerationEvent> {
    events.iter().filter(|e| kodiak::llm::is_end(e)).collect()
}

#[test]
fn a_generator_crash_fails_its_requests_once_keeps_the_streamed_tokens_and_the_next_request_restarts_it()
 {
    require_models();
    let _turn = switch(Some("generator,after=3,times=1"));
    let (launch, crashes) = launch();
    let generator = generator(launch, &FetchedModel::Gemma.path());
    assert!(matches!(
        generator.wait_loaded(Duration::from_secs(120)),
        GeneratorState::Ready(_)
    ));
    let first_pid = generator.status().pid.unwrap();

    // Two requests queued back to back: the crash fails both, each exactly once.
    let (tx, rx) = mpsc::channel();
    generator.generate(request(1), tx.clone());
    generator.generate(request(2), tx);
    let events = collect(rx);
    let tokens = events
        .iter()
        .filter(|e| matches!(e, GenerationEvent::Token { id: 1, .. }))
        .count();
    assert_eq!(
        tokens, 3,
        "the tokens written before the crash arrive: {events:?}"
    );
    let failed = ends(&events);
    assert_eq!(failed.len(), 2, "{events:?}");
    for end in failed {
        let GenerationEvent::Failed { error, .. } = end else {
            panic!("{end:?}")
        };
        assert_eq!(error, "the model process crashed (signal 11, SIGSEGV)");
    }

    let crashes = crashes.lock().unwrap().clone();
    assert_eq!(crashes.len(), 1, "{crashes:?}");
    let crash = &crashes[0];
    assert_eq!(
        (crash.role, crash.pid, crash.signal, crash.during),
        ("generator", first_pid, Some(11), "generating")
    );
    assert!(
        !crash.log_tail.is_empty(),
        "the worker's last log lines are kept"
    );
    let status = generator.status();
    assert_eq!((status.pid, status.restarts), (None, 0));
    assert!(status.last_crash.is_some());
    assert!(matches!(generator.state(), GeneratorState::Crashed { .. }));

    // The next request starts a new worker (the switch was for the first one only).
    let (tx, rx) = mpsc::channel();
    generator.generate(request(3), tx);
    let events = collect(rx);
    assert!(
        matches!(ends(&events)[..], [GenerationEvent::Done { id: 3, .. }]),
        "{events:?}"
    );
    let status = generator.status();
    assert_eq!(status.restarts, 1);
    assert!(status.pid.is_some_and(|pid| pid != first_pid));
}

#[test]
fn an_abort_while_loading_is_reported_with_its_signal_and_the_next_wait_loads_a_new_worker() {
    require_models();
    let _turn = switch(Some("generator,at=load,signal=abort,times=1"));
    let (launch, crashes) = launch();
    let generator = generator(launch, &FetchedModel::Gemma.path());
    let state = generator.wait_loaded(Duration::from_secs(120));
    assert_eq!(
        state,
        GeneratorState::Crashed {
            reason: "the model process crashed (signal 6, SIGABRT)".into()
        }
    );
    assert_eq!(crashes.lock().unwrap()[0].during, "loading");
    assert!(matches!(
        generator.wait_loaded(Duration::from_secs(120)),
        GeneratorState::Ready(_)
    ));
}

#[test]
fn a_worker_that_cannot_load_its_model_fails_every_request_with_the_reason_and_is_no_crash() {
    let _turn = switch(None);
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.gguf");
    std::fs::write(&bogus, b"not a model at all").unwrap();
    let (launch, crashes) = launch();
    let generator = generator(launch, &bogus);
    let GeneratorState::Failed { reason } = generator.wait_loaded(Duration::from_secs(60)) else {
        panic!("{:?}", generator.state())
    };
    assert!(reason.contains("not a GGUF model"), "{reason}");
    let (tx, rx) = mpsc::channel();
    generator.generate(request(1), tx);
    let events = collect(rx);
    assert_eq!(
        events,
        vec![GenerationEvent::Failed {
            id: 1,
            error: reason
        }]
    );
    assert!(crashes.lock().unwrap().is_empty());
    assert_eq!(
        generator.status().restarts,
        0,
        "a load failure is not retried"
    );
}

#[test]
fn a_model_file_cut_in_half_is_refused_naming_llama_cpps_reason_not_a_null_result() {
    let _turn = switch(None);
    require_models();
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(FetchedModel::SmolLm2.path()).unwrap();
    let half = dir.path().join("half.gguf");
    std::fs::write(&half, &whole[..whole.len() / 2]).unwrap();
    let (launch, crashes) = launch();
    let generator = generator(launch, &half);
    let GeneratorState::Failed { reason } = generator.wait_loaded(Duration::from_secs(60)) else {
        panic!("{:?}", generator.state())
    };
    // llama.cpp says why in its log only; the reason carries it.
    assert!(
        reason.contains("llama.cpp refused it: tensor '")
            && reason.contains("not within the file bounds"),
        "{reason}"
    );
    assert!(!reason.contains("null result"), "{reason}");
    assert!(crashes.lock().unwrap().is_empty());
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs")
}

#[test]
fn an_embedder_crash_during_ingest_keeps_every_document_searchable_and_reembed_fills_the_vectors() {
    require_models();
    let _turn = switch(Some("embedder,after=0,times=1"));
    let dir = tempfile::tempdir().unwrap();
    let kodiak = Kodiak::open(
        Settings::in_dir(dir.path(), Config::default()).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .unwrap();
    let report = kodiak.ingest(&[samples()], &Silent).unwrap();
    assert_eq!(report.ingested, 8);
    assert_eq!(report.chunks_embedded, 0);
    let error = report.embedding_error.clone().unwrap_or_default();
    assert!(
        error.contains("the model process crashed (signal 11, SIGSEGV)"),
        "{error}"
    );

    let bm25 = SearchOptions {
        mode: Some(Mode::Bm25),
        limit: 5,
        documents: Vec::new(),
    };
    let found = kodiak.search("security deposit", &bm25).unwrap();
    assert!(
        !found.hits.is_empty(),
        "BM25 indexing is never lost to the embedder"
    );
    let health = kodiak.health();
    let embedder = health.components.embedder.unwrap();
    assert_eq!(embedder.missing_vectors, Some(24));
    assert!(embedder.worker.unwrap().last_crash.is_some());
    let reports = kodiak::telemetry::crash::list(&kodiak.settings().paths.crash_dir).unwrap();
    assert_eq!(reports.len(), 1, "one crash report for one crash");

    // `kodiak reembed` restarts the worker and fills in every vector.
    let filled = kodiak
        .embed_missing(kodiak::service::ToEmbed::NotFromCurrent, &Silent)
        .unwrap();
    assert_eq!((filled.embedded, filled.error), (24, None));
    let hybrid = kodiak.search(
        "when is the deposit paid back",
        &SearchOptions {
            mode: Some(Mode::Hybrid),
            limit: 5,
            documents: Vec::new(),
        },
    );
    assert!(hybrid.unwrap().notes.is_empty());
}

#[test]
fn repeated_generator_crashes_open_the_breaker_and_answers_turn_extractive_with_the_reason() {
    require_models();
    let _turn = switch(Some("generator,after=2"));
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.temperature = 0.0;
    config.generator.max_tokens = 32;
    config.breakers.failure_threshold = 2;
    let kodiak = Kodiak::open(
        Settings::in_dir(dir.path(), config).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .unwrap();
    kodiak.ingest(&[samples()], &Silent).unwrap();
    let ask = |question: &str| {
        let options = AskOptions {
            question: question.into(),
            ..AskOptions::default()
        };
        let mut streamed = String::new();
        let answer = kodiak
            .ask(&options, &mut |piece| {
                if let Piece::Text(text) = piece {
                    streamed.push_str(text);
                }
            })
            .unwrap();
        (answer, streamed)
    };

    for question in ["When is the deposit returned?", "Who holds the deposit?"] {
        let (answer, streamed) = ask(question);
        assert_eq!(answer.mode, AnswerMode::Generated);
        assert_eq!(
            answer.failure.as_deref(),
            Some("the model process crashed (signal 11, SIGSEGV)")
        );
        // What was streamed before the crash is the stored answer.
        assert!(!streamed.is_empty());
        let stored = kodiak
            .conversation(answer.conversation_id)
            .unwrap()
            .unwrap();
        let stored = stored.turns[0].answer.as_ref().unwrap();
        assert_eq!(stored.status, MessageStatus::Failed);
        assert_eq!(stored.text, answer.answer);
    }

    let (third, _) = ask("How much notice must the tenant give?");
    assert_eq!(third.mode, AnswerMode::Extractive);
    let note = third.notes.join("\n");
    assert!(
        note.contains("generation failed 2 times in a row (last: the model process crashed (signal 11, SIGSEGV)) and is paused"),
        "{note}"
    );
    let health = kodiak.health();
    let worker = health.components.llm.unwrap().worker.unwrap();
    assert_eq!(
        worker.restarts, 1,
        "the open breaker started no third worker"
    );
}
