//! The worker side: `kodiak engine`, a process Kodiak starts with pipes on its standard
//! input and output. It loads one model (generation or embedding), answers framed
//! requests, and writes its log lines to standard error, which Kodiak keeps for crash
//! reports. When its input closes (Kodiak ended), it stops.

use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use super::crash_switch::{self, CrashSwitch};
use super::protocol::{
    FromWorker, LoadedModel, Role, Start, ToWorker, Vectors, read_frame, write_frame,
};
use crate::cpu::{BulkPriority, Crowding};
use crate::llm::{
    Embedder, Engine, EngineSettings, GenerationEvent, GenerationRequest, LlmError, is_end,
};

/// Exit code when the input is not the protocol (someone ran `kodiak engine` by hand).
const EXIT_USAGE: u8 = 2;

/// Serves requests on standard input until it closes. Returns the process's exit code.
pub fn serve() -> u8 {
    let mut input = BufReader::new(io::stdin());
    let start: Start = match read_frame(&mut input) {
        Ok(Some(ToWorker::Start(start))) => start,
        _ => {
            eprintln!(
                "kodiak engine: this is Kodiak's model worker; Kodiak starts it itself and \
                 speaks to it over pipes. Run `kodiak` instead."
            );
            return EXIT_USAGE;
        }
    };
    init_logging(&start.log_filter);
    let crash = match std::env::var(crash_switch::VARIABLE) {
        Ok(value) => match CrashSwitch::parse(&value, &start.role, start.earlier_starts) {
            Ok(crash) => crash,
            Err(reason) => {
                let _ = write_frame(&mut io::stdout().lock(), &FromWorker::LoadFailed { reason });
                return EXIT_USAGE;
            }
        },
        Err(_) => None,
    };
    if let Some(crash) = crash.filter(|c| c.at_load) {
        crash.fire();
    }
    let (out, outgoing) = mpsc::channel();
    let writer = std::thread::Builder::new()
        .name("kodiak-engine-out".into())
        .spawn(move || write_all(outgoing, crash.filter(|c| c.generator)));
    let Ok(writer) = writer else {
        return 1;
    };
    match start.role {
        Role::Generator(settings) => serve_generator(settings, input, &out),
        Role::Embedder {
            model,
            threads,
            bulk_priority,
        } => {
            let role = EmbedderRole {
                model: &model,
                threads,
                bulk_priority,
            };
            serve_embedder(role, input, &out, crash);
        }
    }
    // What is still queued (a load failure, the last events) goes out before the process
    // ends: the writer stops once every sender is gone.
    drop(out);
    let _ = writer.join();
    0
}

/// Logs go to standard error as JSON lines: Kodiak reads them back into its own log.
/// llama.cpp's errors are also kept, whatever the filter, for a load failure to quote.
fn init_logging(filter: &str) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(io::stderr)
        .with_current_span(false)
        .with_filter(filter);
    let llama_errors = crate::llm::llama_errors()
        .layer()
        .with_filter(tracing_subscriber::filter::LevelFilter::ERROR);
    let _ = tracing_subscriber::registry()
        .with(lines)
        .with(llama_errors)
        .try_init();
}

/// The one writer of standard output. A generator's crash switch fires here, after the
/// chosen frame is out, so Kodiak has seen exactly what was streamed before the crash.
fn write_all(outgoing: mpsc::Receiver<FromWorker>, crash: Option<CrashSwitch>) {
    let mut stdout = BufWriter::new(io::stdout().lock());
    let mut tokens = 0;
    for message in outgoing {
        if write_frame(&mut stdout, &message).is_err() {
            // Kodiak has gone: nobody is left to answer.
            std::process::exit(0);
        }
        if let (Some(crash), FromWorker::Generation(event)) = (crash, &message) {
            match event {
                GenerationEvent::Prompt { .. } if crash.after == 0 => crash.fire(),
                GenerationEvent::Token { .. } => {
                    tokens += 1;
                    if tokens == crash.after {
                        crash.fire();
                    }
                }
                _ => {}
            }
        }
    }
}

fn serve_generator(settings: EngineSettings, mut input: impl Read, out: &mpsc::Sender<FromWorker>) {
    let engine = match Engine::load(settings) {
        Ok(engine) => engine,
        Err(e) => {
            let _ = out.send(FromWorker::LoadFailed {
                reason: e.to_string(),
            });
            return;
        }
    };
    let _ = out.send(FromWorker::Loaded {
        model: LoadedModel::Generator(engine.info().clone()),
        system_info: crate::llm::system_info(),
    });
    // Cancel flags of the generations under way.
    let cancels: Arc<Mutex<HashMap<u64, Arc<AtomicBool>>>> = Arc::default();
    loop {
        let request = match read_frame(&mut input) {
            Ok(Some(request)) => request,
            Ok(None) => break,
            Err(e) => {
                tracing::error!(error = %e, "unreadable request; stopping");
                break;
            }
        };
        match request {
            ToWorker::Generate {
                id,
                parts,
                max_tokens,
            } => {
                let cancel = Arc::new(AtomicBool::new(false));
                if let Ok(mut map) = cancels.lock() {
                    map.insert(id, Arc::clone(&cancel));
                }
                let (out, cancels) = (out.clone(), Arc::clone(&cancels));
                let sink = Box::new(move |event: GenerationEvent| {
                    if is_end(&event)
                        && let Ok(mut map) = cancels.lock()
                    {
                        map.remove(&id);
                    }
                    let _ = out.send(FromWorker::Generation(event));
                });
                let request = GenerationRequest {
                    id,
                    parts,
                    max_tokens,
                    cancel,
                };
                engine.generate(request, sink);
            }
            ToWorker::Cancel { id } => {
                if let Some(flag) = cancels.lock().ok().and_then(|map| map.get(&id).cloned()) {
                    flag.store(true, Ordering::Relaxed);
                }
            }
            ToWorker::Embed { id, .. } | ToWorker::EmbedVocabulary { id, .. } => {
                let _ = out.send(FromWorker::EmbedFailed {
                    id,
                    error: "this model worker generates; it does not embed".into(),
                });
            }
            ToWorker::Start(_) => tracing::warn!("a second start request was ignored"),
        }
    }
    // Kodiak has gone: stop what is running instead of finishing an answer nobody reads.
    if let Ok(map) = cancels.lock() {
        for flag in map.values() {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// An embedding request as the worker holds it.
struct Job {
    id: u64,
    work: Work,
}

enum Work {
    Texts(Vec<String>),
    /// Vocabulary tokens, each embedded alone.
    Vocabulary {
        first: u32,
        count: u32,
    },
}

/// Two threads embed: one for search queries, at normal priority with a one-thread context
/// of its own, so a query never waits behind bulk work; one for bulk work at the lower
/// priority `[ingest] priority`, which gives way to answers and queries and drops to one llama.cpp
/// thread while other work holds the cores.
fn serve_embedder(
    role: EmbedderRole<'_>,
    mut input: impl Read,
    out: &mpsc::Sender<FromWorker>,
    crash: Option<CrashSwitch>,
) {
    let embedder = match Embedder::load(role.model) {
        Ok(embedder) => embedder,
        Err(e) => {
            let _ = out.send(FromWorker::LoadFailed {
                reason: e.to_string(),
            });
            return;
        }
    };
    let server = EmbedServer {
        embedder: &embedder,
        out,
        crash,
        served: AtomicU64::new(0),
    };
    let (queries, query_jobs) = mpsc::channel::<Job>();
    let (bulk, bulk_jobs) = mpsc::channel::<Job>();
    let (ready, started) = mpsc::channel::<Result<(), LlmError>>();
    std::thread::scope(|scope| {
        let threads = role.threads;
        let (server, ready_query, ready_bulk) = (&server, ready.clone(), ready);
        let query_thread = std::thread::Builder::new()
            .name("kodiak-embed-query".into())
            .spawn_scoped(scope, move || server.run(1, query_jobs, &ready_query, None));
        let bulk_thread = std::thread::Builder::new()
            .name("kodiak-embed-bulk".into())
            .spawn_scoped(scope, move || {
                role.bulk_priority.apply_to_this_thread();
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                let crowding = Crowding::new(cores, threads);
                server.run(threads, bulk_jobs, &ready_bulk, Some(crowding));
            });
        let started = if query_thread.is_err() || bulk_thread.is_err() {
            Err("cannot start the embedding threads".to_owned())
        } else {
            // Both sessions made (or the first failure).
            (0..2).try_for_each(|_| match started.recv() {
                Ok(outcome) => outcome.map_err(|e| e.to_string()),
                Err(_) => Err("an embedding thread stopped while starting".to_owned()),
            })
        };
        match started {
            Ok(()) => {
                let _ = out.send(FromWorker::Loaded {
                    model: LoadedModel::Embedder(embedder.identity().clone()),
                    system_info: crate::llm::system_info(),
                });
                route_jobs(&mut input, queries, bulk);
            }
            Err(reason) => {
                let _ = out.send(FromWorker::LoadFailed { reason });
                // Dropping the queues lets a thread that did start end.
                drop((queries, bulk));
            }
        }
    });
}

/// Reads requests until the input closes, queueing each for its thread. Returning drops
/// the queues, so the threads end after their current job.
fn route_jobs(input: &mut impl Read, queries: mpsc::Sender<Job>, bulk: mpsc::Sender<Job>) {
    loop {
        match read_frame(input) {
            Ok(Some(ToWorker::Embed {
                id,
                texts,
                interactive,
            })) => {
                let queue = if interactive { &queries } else { &bulk };
                let work = Work::Texts(texts);
                if queue.send(Job { id, work }).is_err() {
                    return;
                }
            }
            Ok(Some(ToWorker::EmbedVocabulary { id, first, count })) => {
                let work = Work::Vocabulary { first, count };
                if bulk.send(Job { id, work }).is_err() {
                    return;
                }
            }
            Ok(Some(_)) => tracing::warn!("a request other than embedding was ignored"),
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "unreadable request; stopping");
                return;
            }
        }
    }
}

struct EmbedderRole<'a> {
    model: &'a Path,
    threads: usize,
    bulk_priority: BulkPriority,
}

struct EmbedServer<'a> {
    embedder: &'a Embedder,
    out: &'a mpsc::Sender<FromWorker>,
    crash: Option<CrashSwitch>,
    /// Requests answered so far, for the crash switch.
    served: AtomicU64,
}

impl EmbedServer<'_> {
    /// Serves `jobs` in order on this thread with a session of `threads` threads.
    fn run(
        &self,
        threads: usize,
        jobs: mpsc::Receiver<Job>,
        ready: &mpsc::Sender<Result<(), LlmError>>,
        mut crowding: Option<Crowding>,
    ) {
        let mut session = match self.embedder.session(threads) {
            Ok(session) => session,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        for job in jobs {
            if let Some(crash) = self.crash
                && crash.after == self.served.load(Ordering::Relaxed)
            {
                crash.fire();
            }
            let outcome = match &job.work {
                Work::Texts(texts) => {
                    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                    session.embed_yielding(&texts, &mut |session| {
                        if let Some(crowding) = crowding.as_mut() {
                            session.set_crowded(crowding.sample());
                        }
                    })
                }
                Work::Vocabulary { first, count } => {
                    session.embed_vocabulary(*first..first.saturating_add(*count))
                }
            };
            let reply = match outcome {
                Ok(vectors) => FromWorker::Embedded {
                    id: job.id,
                    vectors: Vectors::encode(&vectors, self.embedder.identity().dimensions),
                },
                Err(e) => FromWorker::EmbedFailed {
                    id: job.id,
                    error: e.to_string(),
                },
            };
            let _ = self.out.send(reply);
            self.served.fetch_add(1, Ordering::Relaxed);
        }
    }
}
