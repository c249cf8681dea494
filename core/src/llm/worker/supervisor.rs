//! Kodiak's side of a model worker: starts the process, routes its replies to the requests
//! waiting for them, and notices when it dies. A dead worker fails every request it held
//! with the reason (`the model process crashed (signal 11, SIGSEGV)`), is reported once
//! through the crash hook, and is started again by the next request. A worker that could
//! not load its model is not started again: the file or settings are wrong, and only a
//! change (and a new Kodiak) can fix them.

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
use crate::telemetry::{LogEvent, scrub};

/// Log lines of a worker kept for its crash report.
const LOG_TAIL: usize = 40;

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
    pub at: String,
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrashSummary {
    pub at: String,
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

struct Inner {
    state: WorkerState,
    routes: HashMap<u64, Route>,
    system_info: Option<String>,
}

/// One worker process, running or ended.
pub struct Process {
    pid: u32,
    /// None when it could not be started.
    child: Mutex<Option<Child>>,
    stdin: Mutex<Option<BufWriter<ChildStdin>>>,
    inner: Mutex<Inner>,
    changed: Condvar,
    log_tail: Mutex<VecDeque<LogEvent>>,
    stderr_reader: Mutex<Option<JoinHandle<()>>>,
    /// Set when Kodiak stops the worker itself: its end is not a crash.
    stopping: AtomicBool,
    /// Set when Kodiak killed it for not answering, with why.
    killed_because: Mutex<Option<String>>,
}

impl Process {
    fn new(
        pid: u32,
        child: Option<Child>,
        stdin: Option<BufWriter<ChildStdin>>,
        state: WorkerState,
    ) -> Process {
        Process {
            pid,
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            inner: Mutex::new(Inner {
                state,
                routes: HashMap::new(),
                system_info: None,
            }),
            changed: Condvar::new(),
            log_tail: Mutex::new(VecDeque::with_capacity(LOG_TAIL)),
            stderr_reader: Mutex::new(None),
            stopping: AtomicBool::new(false),
            killed_because: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn send(&self, message: &ToWorker) -> std::io::Result<()> {
        let mut stdin = self.stdin.lock().unwrap_or_else(|p| p.into_inner());
        match stdin.as_mut() {
            Some(stdin) => write_frame(stdin, message),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    fn kill(&self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(child) = child.as_mut() {
            let _ = child.kill();
        }
    }
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

/// Starts a worker process and the threads that read its output. A process that cannot
/// be started is a worker that ended at once, with the reason.
fn spawn(shared: &Arc<Shared>, earlier_starts: u32) -> Arc<Process> {
    let launch = &shared.launch;
    let role = shared.role.name();
    let spawned = Command::new(&launch.program)
        .arg0("kodiak")
        .arg("engine")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: Ctrl-C at a terminal stops Kodiak's answer, not the
        // worker (Kodiak passes the cancel on).
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let reason = format!(
                "cannot start the model process {} engine: {e}",
                launch.program.display()
            );
            tracing::error!(role, "{reason}");
            return Arc::new(Process::new(0, None, None, WorkerState::Failed(reason)));
        }
    };
    let pid = child.id();
    let stdin = child.stdin.take().map(BufWriter::new);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let process = Arc::new(Process::new(pid, Some(child), stdin, WorkerState::Loading));
    tracing::info!(role, pid, "model process started");
    if let Some(stderr) = stderr {
        let reader = Arc::clone(&process);
        let handle = std::thread::Builder::new()
            .name(format!("kodiak-{role}-log"))
            .spawn(move || read_log(&reader, stderr, role));
        if let Ok(handle) = handle {
            *process
                .stderr_reader
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(handle);
        }
    }
    let start = ToWorker::Start(Start {
        role: shared.role.clone(),
        log_filter: launch.log_filter.clone(),
        earlier_starts,
    });
    let _ = process.send(&start);
    let reader = Arc::clone(&process);
    let shared = Arc::clone(shared);
    let spawned = std::thread::Builder::new()
        .name(format!("kodiak-{role}-replies"))
        .spawn(move || {
            if let Some(stdout) = stdout {
                read_replies(&reader, stdout);
            }
            ended(&shared, &reader);
        });
    if spawned.is_err() {
        // Nothing would notice this worker end: stop it now.
        process.lock().state =
            WorkerState::Failed("cannot start a thread to read the model process".into());
        process.kill();
    }
    process
}

/// Routes the worker's replies until its output closes.
fn read_replies(process: &Process, stdout: impl std::io::Read) {
    let mut stdout = BufReader::new(stdout);
    loop {
        let message = match read_frame::<FromWorker>(&mut stdout) {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(pid = process.pid, error = %e, "the model process wrote something unreadable");
                process.kill();
                return;
            }
        };
        match message {
            FromWorker::Loaded { model, system_info } => {
                let mut inner = process.lock();
                inner.state = WorkerState::Ready(model);
                inner.system_info = Some(system_info);
                process.changed.notify_all();
            }
            FromWorker::LoadFailed { reason } => {
                let mut inner = process.lock();
                inner.state = WorkerState::Failed(reason);
                process.changed.notify_all();
            }
            FromWorker::Generation(event) => route_generation(process, event),
            FromWorker::Embedded { id, vectors } => {
                if let Some(Route::Embedding(reply)) = process.lock().routes.remove(&id) {
                    let _ = reply.send(vectors.decode().map_err(LlmError::Embed));
                }
            }
            FromWorker::EmbedFailed { id, error } => {
                if let Some(Route::Embedding(reply)) = process.lock().routes.remove(&id) {
                    let _ = reply.send(Err(LlmError::Embed(error)));
                }
            }
        }
    }
}

fn route_generation(process: &Process, event: GenerationEvent) {
    let id = event_id(&event);
    let mut inner = process.lock();
    if let (GenerationEvent::Done { stats, .. }, WorkerState::Ready(LoadedModel::Generator(info))) =
        (&event, &mut inner.state)
        && stats.completion_tokens > 1
    {
        info.last_decode_tokens_per_s = Some(stats.decode_tokens_per_s);
    }
    if is_end(&event) {
        if let Some(Route::Generation {
            caller_id,
            events,
            done,
        }) = inner.routes.remove(&id)
        {
            done.store(true, Ordering::Relaxed);
            let _ = events.send(with_id(event, caller_id));
        }
    } else if let Some(Route::Generation {
        caller_id, events, ..
    }) = inner.routes.get(&id)
    {
        let _ = events.send(with_id(event, *caller_id));
    }
}

fn event_id(event: &GenerationEvent) -> u64 {
    match event {
        GenerationEvent::Prompt { id, .. }
        | GenerationEvent::Token { id, .. }
        | GenerationEvent::Done { id, .. }
        | GenerationEvent::Failed { id, .. } => *id,
    }
}

fn with_id(mut event: GenerationEvent, caller_id: u64) -> GenerationEvent {
    match &mut event {
        GenerationEvent::Prompt { id, .. }
        | GenerationEvent::Token { id, .. }
        | GenerationEvent::Done { id, .. }
        | GenerationEvent::Failed { id, .. } => *id = caller_id,
    }
    event
}

/// The worker's output has closed: it is ending. Reaps it, and unless Kodiak stopped it
/// or it ended after a load failure it reported, records and reports the crash; then
/// fails whatever it still held.
fn ended(shared: &Shared, process: &Process) {
    // Taken out before waiting, so that `kill` never waits for this lock: from here on
    // there is no process left to kill, and its pid may belong to another.
    let child = process
        .child
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let status = child.and_then(|mut child| child.wait().ok());
    if let Some(handle) = process
        .stderr_reader
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    {
        let _ = handle.join();
    }
    let stopping = process.stopping.load(Ordering::Relaxed);
    let (during, load_failed) = {
        let inner = process.lock();
        let during = match &inner.state {
            WorkerState::Loading => "loading",
            _ if inner
                .routes
                .values()
                .any(|r| matches!(r, Route::Generation { .. })) =>
            {
                "generating"
            }
            _ if !inner.routes.is_empty() => "embedding",
            _ => "idle",
        };
        (during, matches!(inner.state, WorkerState::Failed(_)))
    };
    let killed = process
        .killed_because
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let clean_exit = status.is_some_and(|s| s.success());
    let reason = match (&killed, status) {
        (Some(reason), _) => reason.clone(),
        (None, Some(status)) => describe(status),
        (None, None) => "the model process ended and could not be waited for".to_owned(),
    };
    // A clean exit is expected after a load failure the worker reported, or with nothing
    // under way; any other end is a crash.
    let expected = clean_exit && (load_failed || during == "idle");
    let crashed = !stopping && !expected;
    if crashed {
        let role = shared.role.name();
        tracing::error!(role, pid = process.pid, during, "{reason}");
        let log_tail = process
            .log_tail
            .lock()
            .map(|tail| tail.iter().cloned().collect())
            .unwrap_or_default();
        let crash = WorkerCrash {
            role,
            pid: process.pid,
            model: shared.role.model().clone(),
            reason: reason.clone(),
            signal: status.and_then(|s| s.signal()),
            exit_code: status.and_then(|s| s.code()),
            during,
            at: crate::telemetry::now_rfc3339(),
            log_tail,
        };
        (shared.launch.on_crash)(&crash);
        let mut slot = shared.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.last_crash = Some(CrashSummary {
            at: crash.at,
            reason: reason.clone(),
        });
    }
    let routes: Vec<Route> = {
        let mut inner = process.lock();
        if !matches!(inner.state, WorkerState::Failed(_)) {
            inner.state = WorkerState::Ended(reason.clone());
        }
        process.changed.notify_all();
        inner.routes.drain().map(|(_, route)| route).collect()
    };
    for route in routes {
        end_route(route, &reason);
    }
}

/// How a worker ended, in words for a reviewer.
pub fn describe(status: ExitStatus) -> String {
    match (status.signal(), status.code()) {
        (Some(signal), _) => format!(
            "the model process crashed (signal {signal}{})",
            signal_name(signal)
                .map(|n| format!(", {n}"))
                .unwrap_or_default()
        ),
        (None, Some(code)) => format!("the model process exited unexpectedly (status {code})"),
        (None, None) => "the model process ended unexpectedly".to_owned(),
    }
}

fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL, perhaps out of memory",
        libc::SIGTERM => "SIGTERM",
        _ => return None,
    })
}

/// Reads the worker's log lines (JSON from its `tracing`, or raw text from native code)
/// into Kodiak's log and the crash-report tail.
fn read_log(process: &Process, stderr: impl std::io::Read, role: &'static str) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { return };
        if line.trim().is_empty() {
            continue;
        }
        let event = parse_log_line(&line);
        forward(role, process.pid, &event);
        let mut tail = process.log_tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.len() == LOG_TAIL {
            tail.pop_front();
        }
        tail.push_back(event);
    }
}

/// One line of a worker's standard error as a log event, scrubbed of anything that looks
/// like personal data.
pub fn parse_log_line(line: &str) -> LogEvent {
    let mask = |text: &str| scrub::mask(text).into_owned();
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_str(line) {
        let text = |key: &str| object.get(key).and_then(|v| v.as_str()).unwrap_or_default();
        let mut fields = std::collections::BTreeMap::new();
        let mut message = String::new();
        if let Some(serde_json::Value::Object(map)) = object.get("fields") {
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if key == "message" {
                    message = mask(&value);
                } else {
                    fields.insert(key.clone(), mask(&value));
                }
            }
        }
        return LogEvent {
            timestamp: text("timestamp").to_owned(),
            level: text("level").to_owned(),
            target: text("target").to_owned(),
            message,
            fields,
        };
    }
    LogEvent {
        timestamp: crate::telemetry::now_rfc3339(),
        level: "ERROR".into(),
        target: "native".into(),
        message: mask(line.trim_end()),
        fields: Default::default(),
    }
}

fn forward(role: &'static str, pid: u32, event: &LogEvent) {
    let (target, message) = (event.target.as_str(), event.message.as_str());
    match event.level.as_str() {
        "TRACE" => tracing::trace!(role, pid, worker_target = target, "{message}"),
        "DEBUG" => tracing::debug!(role, pid, worker_target = target, "{message}"),
        "INFO" => tracing::info!(role, pid, worker_target = target, "{message}"),
        "WARN" => tracing::warn!(role, pid, worker_target = target, "{message}"),
        _ => tracing::error!(role, pid, worker_target = target, "{message}"),
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
