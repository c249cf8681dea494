//! A worker process: starting it, reading its replies and its log, and noticing its end
//! (with the signal that ended it and a crash report).

use super::*;

/// Log lines of a worker kept for its crash report.
const LOG_TAIL: usize = 40;

pub(super) struct Inner {
    pub(super) state: WorkerState,
    pub(super) routes: HashMap<u64, Route>,
    pub(super) system_info: Option<String>,
}

/// One worker process, running or ended.
pub struct Process {
    pub(super) pid: u32,
    /// None when it could not be started.
    pub(super) child: Mutex<Option<Child>>,
    pub(super) stdin: Mutex<Option<BufWriter<ChildStdin>>>,
    pub(super) inner: Mutex<Inner>,
    pub(super) changed: Condvar,
    pub(super) log_tail: Mutex<VecDeque<LogEvent>>,
    pub(super) stderr_reader: Mutex<Option<JoinHandle<()>>>,
    /// Set when Kodiak stops the worker itself: its end is not a crash.
    pub(super) stopping: AtomicBool,
    /// Set when Kodiak killed it for not answering, with why.
    pub(super) killed_because: Mutex<Option<String>>,
}

impl Process {
    pub(super) fn new(
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

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn send(&self, message: &ToWorker) -> std::io::Result<()> {
        let mut stdin = self.stdin.lock().unwrap_or_else(|p| p.into_inner());
        match stdin.as_mut() {
            Some(stdin) => write_frame(stdin, message),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    pub(super) fn kill(&self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(child) = child.as_mut() {
            let _ = child.kill();
        }
    }
}

/// Starts a worker process and the threads that read its output. A process that cannot
/// be started is a worker that ended at once, with the reason.
pub(super) fn spawn(shared: &Arc<Shared>, earlier_starts: u32) -> Arc<Process> {
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
pub(super) fn read_replies(process: &Process, stdout: impl std::io::Read) {
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

pub(super) fn route_generation(process: &Process, event: GenerationEvent) {
    let id = event_id(&event);
    let mut inner = process.lock();
    if let (GenerationEvent::Done { stats, .. }, WorkerState::Ready(LoadedModel::Generator(info))) =
        (&event, &mut inner.state)
        && stats.completion_tokens > 1
    {
        let rate = stats.decode_tokens_per_s;
        info.last_decode_tokens_per_s = Some(rate);
        info.best_decode_tokens_per_s = Some(
            info.best_decode_tokens_per_s
                .map_or(rate, |best| best.max(rate)),
        );
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

pub(super) fn event_id(event: &GenerationEvent) -> u64 {
    match event {
        GenerationEvent::Prompt { id, .. }
        | GenerationEvent::Token { id, .. }
        | GenerationEvent::Done { id, .. }
        | GenerationEvent::Failed { id, .. } => *id,
    }
}

pub(super) fn with_id(mut event: GenerationEvent, caller_id: u64) -> GenerationEvent {
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
pub(super) fn ended(shared: &Shared, process: &Process) {
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
            at: crate::timestamp::Timestamp::now(),
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

pub(super) fn signal_name(signal: i32) -> Option<&'static str> {
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
pub(super) fn read_log(process: &Process, stderr: impl std::io::Read, role: &'static str) {
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
            timestamp: crate::timestamp::Timestamp::parse(text("timestamp"))
                .unwrap_or_else(|_| crate::timestamp::Timestamp::now()),
            level: text("level").to_owned(),
            target: text("target").to_owned(),
            message,
            fields,
        };
    }
    LogEvent {
        timestamp: crate::timestamp::Timestamp::now(),
        level: "ERROR".into(),
        target: "native".into(),
        message: mask(line.trim_end()),
        fields: Default::default(),
    }
}

pub(super) fn forward(role: &'static str, pid: u32, event: &LogEvent) {
    let (target, message) = (event.target.as_str(), event.message.as_str());
    match event.level.as_str() {
        "TRACE" => tracing::trace!(role, pid, worker_target = target, "{message}"),
        "DEBUG" => tracing::debug!(role, pid, worker_target = target, "{message}"),
        "INFO" => tracing::info!(role, pid, worker_target = target, "{message}"),
        "WARN" => tracing::warn!(role, pid, worker_target = target, "{message}"),
        _ => tracing::error!(role, pid, worker_target = target, "{message}"),
    }
}
