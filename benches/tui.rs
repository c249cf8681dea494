//! The terminal UI as a user meets it: the release binary in tmux on the sample documents.
//!
//! - time to the first frame: from starting `kodiak` to its first screen showing;
//! - bytes written to the terminal while idle for 10 s (goal: none);
//! - key-to-frame latency while an answer streams: Tab pressed, until the screen shows the
//!   next pane (the screen is polled with `tmux capture-pane`, every 2 ms at best, so the
//!   figures include tmux's own latency and are an upper bound). Goal: under 50 ms.
//!
//! Draw time per pane and bytes per streamed token are measured in-process by
//! `kodiak debug bench-tui`, which this benchmark also runs.
//!
//! Run with `cargo bench --bench tui` after `scripts/setup` (tmux, the default models).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::Samples;

const SESSION: &str = "kodiak-bench-tui";
const KEY_PRESSES: usize = 20;

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is needed: run scripts/setup");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screen() -> String {
    tmux(&["capture-pane", "-p", "-t", SESSION])
}

/// When the screen first satisfied `what`, polling until `limit`.
fn wait_for(limit: Duration, what: impl Fn(&str) -> bool) -> Option<Instant> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if what(&screen()) {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

fn main() {
    let binary = env!("CARGO_BIN_EXE_kodiak");
    let models = kodiak::config::default_models_dir();
    assert!(
        models
            .join(kodiak::config::DEFAULT_GENERATOR_FILE)
            .is_file(),
        "the default models are missing: run scripts/fetch-models"
    );
    let work = tempfile::tempdir().unwrap();
    let home = work.path();
    let config = home.join("config.toml");
    // Long answers, so keys are pressed while tokens stream.
    std::fs::write(&config, "[generator]\nmax_tokens = 400\n").unwrap();
    let data = home.join("data");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    let ingest = Command::new(binary)
        .env("KODIAK_CONFIG", &config)
        .env("KODIAK_MODELS_DIR", &models)
        .env("XDG_STATE_HOME", home.join("state"))
        .args(["--data-dir", data.to_str().unwrap(), "ingest"])
        .arg(&samples)
        .output()
        .unwrap();
    assert!(
        ingest.status.success(),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );

    let script = home.join("run.sh");
    std::fs::write(
        &script,
        format!(
            "KODIAK_CONFIG='{}' KODIAK_MODELS_DIR='{}' XDG_STATE_HOME='{}' '{binary}' --data-dir '{}'\nsleep 60\n",
            config.display(),
            models.display(),
            home.join("state").display(),
            data.display()
        ),
    )
    .unwrap();
    tmux(&["kill-session", "-t", SESSION]);
    // 100x30: one pane at a time, so Tab changes the whole screen.
    let started = Instant::now();
    tmux(&[
        "new-session",
        "-d",
        "-s",
        SESSION,
        "-x",
        "100",
        "-y",
        "30",
        &format!("bash {}", script.display()),
    ]);
    let first = wait_for(Duration::from_secs(10), |s| s.contains("1 Documents"));
    let listed = wait_for(Duration::from_secs(30), |s| {
        s.contains("Residential Lease Agreement")
    });
    println!("terminal UI in tmux at 100x30 on the sample documents (release build):");
    let since_start = |at: Option<Instant>| match at {
        Some(at) => format!("{:>7.1} ms", (at - started).as_secs_f64() * 1e3),
        None => "not seen".to_owned(),
    };
    println!(
        "  first frame after start    {}  (goal: under 100 ms; includes starting tmux and the process)",
        since_start(first)
    );
    println!("  document list shown        {}", since_start(listed));
    wait_for(Duration::from_secs(60), |s| s.contains("model: ready"));

    // Idle: everything the terminal receives for 10 s, health checks every 5 s included.
    std::thread::sleep(Duration::from_secs(1));
    let idle_log = home.join("idle-output");
    tmux(&[
        "pipe-pane",
        "-o",
        "-t",
        SESSION,
        &format!("cat >> '{}'", idle_log.display()),
    ]);
    std::thread::sleep(Duration::from_secs(10));
    tmux(&["pipe-pane", "-t", SESSION]);
    let idle = std::fs::metadata(&idle_log).map_or(0, |m| m.len());
    println!("  bytes written while idle for 10 s: {idle} (goal: 0)");

    tmux(&["send-keys", "-t", SESSION, "2"]);
    tmux(&[
        "send-keys",
        "-t",
        SESSION,
        "-l",
        "Summarise the residential lease and its deposit terms.",
    ]);
    tmux(&["send-keys", "-t", SESSION, "Enter"]);
    wait_for(Duration::from_secs(120), |s| s.contains(" tokens"));

    let mut latencies = Vec::new();
    let mut streaming = 0;
    for _ in 0..KEY_PRESSES {
        let before = screen();
        if before.contains("answering") {
            streaming += 1;
        }
        let title = |s: &str| s.lines().nth(1).unwrap_or_default().to_owned();
        let old = title(&before);
        let pressed = Instant::now();
        tmux(&["send-keys", "-t", SESSION, "Tab"]);
        if wait_for(Duration::from_secs(2), |s| title(s) != old).is_some() {
            latencies.push(pressed.elapsed());
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    tmux(&["kill-session", "-t", SESSION]);
    println!("  {streaming} of {KEY_PRESSES} Tab presses made while the answer was streaming");
    Samples::from_durations("key to frame (Tab)", latencies)
        .report(Some(Duration::from_millis(50)));

    println!();
    let status = Command::new(binary)
        .args(["debug", "bench-tui"])
        .status()
        .unwrap();
    assert!(status.success());
}
