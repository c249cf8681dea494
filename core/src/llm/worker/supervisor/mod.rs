//! Kodiak's side of a model worker: starts the process, routes its replies to the requests
//! waiting for them, and notices when it dies. A dead worker fails every request it held
//! with the reason (`the model process crashed (signal 11, SIGSEGV)`), is reported once
//! through the crash hook, and is started again by the next request. A worker that could
//! not load its model is not started again: the file or settings are wrong, and only a
//! change (and a new Kodiak) can fix them.

use crate::timestamp::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, BufWriter};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::protocol::{FromWorker, LoadedModel, Role, Start, ToWorker, read_frame, write_frame};
use crate::llm::{GenerationEvent, LlmError, is_end};
use crate::scrub;
use crate::telemetry::LogEvent;

mod child;

use child::*;
pub use child::{Process, describe, parse_log_line};

/// How Kodiak starts its workers, whatever their role.
#[derive(Clone)]
pub struct Launch {
    /// The Kodiak executable, run as `PROGRAM engine`.
    pub program: PathBuf,
    /// The `tracing` filter the worker logs with.
    pub log_filter: String,
    /// Told of every crash, on the thread that saw it (the service writes a crash report).
    pub on_crash: Arc<dyn Fn(&WorkerCrash) + Send + Sync>,
}

/// A worker that died without being asked to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerCrash {
    /// `generator` or `embedder`.
    pub role: &'static str,
    pub pid: u32,
    pub model: PathBuf,
    /// For the reviewer: `the model process crashed (signal 11, SIGSEGV)`.
    pub reason: String,
    pub signal: Option<i32>,
    pub exit_code: Option<i32>,
    /// `loading`, `generating`, `embedding` or `idle`.
    pub during: &'static str,
    /// UTC, RFC 3339.
    pub at: Timestamp,
    /// The worker's last log lines, scrubbed.
    pub log_tail: Vec<LogEvent>,
}

/// The worker as health shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkerStatus {
    /// The running process, if any.
    pub pid: Option<u32>,
    /// Processes started after the first.
    pub restarts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_crash: Option<CrashSummary>,
    /// What llama.cpp in the worker reports it was built with (`AVX2 = 1 | …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_info: Option<String>,
}

/// The last crash of a worker, for health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrashSummary {
    pub at: Timestamp,
    pub reason: String,
}

/// Where the current worker is.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerState {
    Loading,
    Ready(LoadedModel),
    /// It could not load its model; it is not started again.
    Failed(String),
    /// It ended (crashed); the next request starts another.
    Ended(String),
}

/// A route from a request id on the wire to whoever waits for the reply.
enum Route {
    Generation {
        caller_id: u64,
        events: mpsc::Sender<GenerationEvent>,
        done: Arc<AtomicBool>,
    },
    Embedding(mpsc::Sender<Result<Vec<Vec<f32>>, LlmError>>),
}

struct Slot {
    current: Option<Arc<Process>>,
    starts: u32,
    last_crash: Option<CrashSummary>,
}

struct Shared {
    launch: Launch,
    role: Role,
    slot: Mutex<Slot>,
    next_id: AtomicU64,
}

/// A supervised worker of one role. Dropping it stops the worker.
pub struct Supervisor {
    shared: Arc<Shared>,
}

impl Supervisor {
    /// A supervisor; the worker starts with the first request (or [`Supervisor::start`]).
    pub fn new(launch: Launch, role: Role) -> Supervisor {
        Supervisor {
            shared: Arc::new(Shared {
                launch,
                role,
                slot: Mutex::new(Slot {
                    current: None,
                    starts: 0,
                    last_crash: None,
                }),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.shared.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a worker unless one is running or has failed to load; returns it.
    pub fn start(&self) -> Arc<Process> {
        let mut slot = self.slot();
        if let Some(current) = &slot.current
            && !matches!(current.lock().state, WorkerState::Ended(_))
        {
            return Arc::clone(current);
        }
        let process = spawn(&self.shared, slot.starts);
        slot.starts += 1;
        slot.current = Some(Arc::clone(&process));
        process
    }

    /// The current worker's state; None before the first start.
    pub fn state(&self) -> Option<WorkerState> {
        let current = self.slot().current.clone()?;
        let state = current.lock().state.clone();
        Some(state)
    }

    /// The worker's figures for health: pid, starts, crashes, the last crash.
    pub fn status(&self) -> WorkerStatus {
        let slot = self.slot();
        let current = slot.current.as_ref();
        let inner = current.map(|p| (p.pid, p.lock()));
        WorkerStatus {
            pid: inner.as_ref().and_then(|(pid, inner)| {
                (!matches!(inner.state, WorkerState::Ended(_) | WorkerState::Failed(_)))
                    .then_some(*pid)
            }),
            restarts: slot.starts.saturating_sub(1),
            last_crash: slot.last_crash.clone(),
            system_info: inner.and_then(|(_, inner)| inner.system_info.clone()),
        }
    }

    /// Starts the worker if needed and waits, at most `timeout`, until it has loaded its
    /// model or failed. Returns the worker and its state then.
    pub fn ready(&self, timeout: Duration) -> (Arc<Process>, WorkerState) {
        let process = self.start();
        let deadline = Instant::now() + timeout;
        let mut inner = process.lock();
        while inner.state == WorkerState::Loading {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            inner = process
                .changed
                .wait_timeout(inner, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        let state = inner.state.clone();
        drop(inner);
        (process, state)
    }

    fn next_id(&self) -> u64 {
        self.shared.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends a generation to a ready worker; its events (with the caller's id) go to
    /// `events`, ending with exactly one `Done` or `Failed`. `cancel` is watched and
    /// passed on; a worker silent past `deadline` is killed.
    pub fn generate(
        &self,
        process: &Arc<Process>,
        caller_id: u64,
        message: impl FnOnce(u64) -> ToWorker,
        events: mpsc::Sender<GenerationEvent>,
        cancel: Arc<AtomicBool>,
        deadline: Duration,
    ) {
        let id = self.next_id();
        let done = Arc::new(AtomicBool::new(false));
        let route = Route::Generation {
            caller_id,
            events,
            done: Arc::clone(&done),
        };
        if !register(process, id, route) {
            return;
        }
        if let Err(e) = process.send(&message(id)) {
            fail_route(process, id, &format!("cannot reach the model process: {e}"));
            return;
        }
        let process = Arc::clone(process);
        let watcher = std::thread::Builder::new()
            .name("kodiak-generation-watch".into())
            .spawn(move || watch(&process, id, &done, &cancel, deadline));
        if let Err(e) = watcher {
            tracing::warn!(error = %e, "cannot watch a generation; Esc will not stop it early");
        }
    }

    /// Sends texts to embed to a ready worker; returns where the vectors will arrive.
    pub fn embed(
        &self,
        process: &Arc<Process>,
        texts: Vec<String>,
        interactive: bool,
    ) -> mpsc::Receiver<Result<Vec<Vec<f32>>, LlmError>> {
        let (reply, answer) = mpsc::channel();
        let id = self.next_id();
        if register(process, id, Route::Embedding(reply)) {
            let message = ToWorker::Embed {
                id,
                texts,
                interactive,
            };
            if let Err(e) = process.send(&message) {
                fail_route(process, id, &format!("cannot reach the model process: {e}"));
            }
        }
        answer
    }

    /// Asks a ready worker for the vectors of `count` vocabulary tokens from `first` (see
    /// [`ToWorker::EmbedVocabulary`]); returns where they will arrive.
    pub fn embed_vocabulary(
        &self,
        process: &Arc<Process>,
        first: u32,
        count: u32,
    ) -> mpsc::Receiver<Result<Vec<Vec<f32>>, LlmError>> {
        let (reply, answer) = mpsc::channel();
        let id = self.next_id();
        if register(process, id, Route::Embedding(reply)) {
            let message = ToWorker::EmbedVocabulary { id, first, count };
            if let Err(e) = process.send(&message) {
                fail_route(process, id, &format!("cannot reach the model process: {e}"));
            }
        }
        answer
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        if let Some(process) = self.slot().current.take() {
            process.stopping.store(true, Ordering::Relaxed);
            // Nothing in a worker needs saving: it holds a model and a cache, no work.
            process.kill();
        }
    }
}

/// Adds a route unless the worker has ended, in which case the caller is told at once.
fn register(process: &Process, id: u64, route: Route) -> bool {
    let mut inner = process.lock();
    let ended = match &inner.state {
        WorkerState::Ended(reason) | WorkerState::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    match ended {
        Some(reason) => {
            drop(inner);
            end_route(route, &reason);
            false
        }
        None => {
            inner.routes.insert(id, route);
            true
        }
    }
}

/// Fails route `id` if it is still waiting: each request ends exactly once.
fn fail_route(process: &Process, id: u64, reason: &str) {
    let route = process.lock().routes.remove(&id);
    if let Some(route) = route {
        end_route(route, reason);
    }
}

fn end_route(route: Route, reason: &str) {
    match route {
        Route::Generation {
            caller_id,
            events,
            done,
        } => {
            done.store(true, Ordering::Relaxed);
            let _ = events.send(GenerationEvent::Failed {
                id: caller_id,
                error: reason.to_owned(),
            });
        }
        Route::Embedding(reply) => {
            let _ = reply.send(Err(LlmError::Embed(reason.to_owned())));
        }
    }
}

/// How often a generation's cancel flag is looked at: within one token at 50 tokens/s.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// Passes a cancel on to the worker, and kills a worker that goes silent: the worker
/// enforces the generation's own timeout, so one still busy long after it is stuck.
fn watch(process: &Process, id: u64, done: &AtomicBool, cancel: &AtomicBool, deadline: Duration) {
    let started = Instant::now();
    let mut cancelled = false;
    while !done.load(Ordering::Relaxed) {
        if !cancelled && cancel.load(Ordering::Relaxed) {
            cancelled = true;
            let _ = process.send(&ToWorker::Cancel { id });
        }
        if started.elapsed() > deadline {
            let reason = format!(
                "the model process did not finish within {} s and was stopped",
                deadline.as_secs()
            );
            tracing::error!(pid = process.pid, "{reason}");
            *process
                .killed_because
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(reason);
            process.kill();
            return;
        }
        std::thread::sleep(CANCEL_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_log_line_becomes_a_scrubbed_event_and_raw_text_is_kept_as_native() {
        let line = r#"{"timestamp":"2026-11-26T10:00:00Z","level":"INFO","fields":{"message":"ready for jane.doe@example.com","model":"m.gguf","tokens":12},"target":"kodiak::llm"}"#;
        let event = parse_log_line(line);
        assert_eq!(event.level, "INFO");
        assert_eq!(event.target, "kodiak::llm");
        assert!(!event.message.contains("jane.doe"), "{}", event.message);
        assert_eq!(event.fields["tokens"], "12");
        let native = parse_log_line("GGML_ASSERT(n > 0) failed\n");
        assert_eq!(
            (native.level.as_str(), native.target.as_str()),
            ("ERROR", "native")
        );
        assert_eq!(native.message, "GGML_ASSERT(n > 0) failed");
    }

    #[test]
    fn exit_statuses_are_described_with_the_signal_name() {
        let segv = ExitStatus::from_raw(libc::SIGSEGV);
        assert_eq!(
            describe(segv),
            "the model process crashed (signal 11, SIGSEGV)"
        );
        let abort = ExitStatus::from_raw(libc::SIGABRT);
        assert_eq!(
            describe(abort),
            "the model process crashed (signal 6, SIGABRT)"
        );
        let code = ExitStatus::from_raw(3 << 8);
        assert_eq!(
            describe(code),
            "the model process exited unexpectedly (status 3)"
        );
    }
}
