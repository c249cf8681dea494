//! The fault matrix, for answers: what Kodiak does when `kodiak ask` is killed or stopped
//! mid-answer, runs past its time limit, or is given a model of the wrong kind. These run the
//! real binary with the default models (the README's setup fetches them). The fault-matrix
//! table in docs/reliability.md names the test for each case; the storage and input faults are in
//! `fault_matrix.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Sandbox;
use serde_json::Value;

fn require_models() {
    for model in kodiak::llm::FetchedModel::ALL {
        assert!(
            model.path().is_file(),
            "{} is missing: this test needs the default models; run scripts/fetch-models",
            model.path().display()
        );
    }
}

/// A sandbox with the sample documents ingested (embedded too) and `extra` config.
fn ingested_with_models(extra: &str) -> Sandbox {
    require_models();
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!("[generator]\ntemperature = 0.0\n{extra}"));
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    sandbox.stdout(&["ingest", samples.to_str().unwrap()]);
    sandbox
}

const LONG_QUESTION: &str =
    "Describe every obligation of the tenant in the lease, one by one, in detail.";

/// Above the model's text, after the evidence the default model's answers lead with.
const DRAFT_HEADING: &str = "Draft by the model, not verified";

/// Starts `kodiak ask LONG_QUESTION`, waits until the model's text has streamed for
/// `streaming` (the evidence before it comes at once), sends `signal`, and returns what
/// it printed and how it ended.
fn ask_then_signal(
    sandbox: &Sandbox,
    streaming: Duration,
    signal: i32,
) -> (String, std::process::ExitStatus) {
    use std::io::Read;
    let mut child = sandbox
        .plain()
        .args(["ask", LONG_QUESTION])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (bytes, printed) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 256];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 || bytes.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut text = Vec::new();
    let model_writing = |text: &[u8]| {
        let text = String::from_utf8_lossy(text);
        text.split_once(DRAFT_HEADING)
            .and_then(|(_, draft)| draft.split_once('\n'))
            .is_some_and(|(_, written)| !written.trim().is_empty())
    };
    let asked = Instant::now();
    while !model_writing(&text) {
        assert!(
            asked.elapsed() < Duration::from_secs(180),
            "the model's draft did not start within 180 s"
        );
        text.extend(
            printed
                .recv_timeout(Duration::from_secs(120))
                .expect("the model wrote nothing"),
        );
    }
    let first = Instant::now();
    while first.elapsed() < streaming {
        if let Ok(more) = printed.recv_timeout(Duration::from_millis(100)) {
            text.extend(more);
        }
    }
    // SAFETY: kill only sends a signal to our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = common::wait_for_exit(&mut child, "the signalled ask", Duration::from_secs(60));
    while let Ok(more) = printed.recv_timeout(Duration::from_millis(200)) {
        text.extend(more);
    }
    (String::from_utf8_lossy(&text).into_owned(), status)
}

#[test]
fn an_ask_killed_mid_answer_is_marked_interrupted_with_what_it_had_written() {
    let sandbox = ingested_with_models("max_tokens = 400\ndraft_max_tokens = 400\n");
    let (printed, status) = ask_then_signal(&sandbox, Duration::from_millis(2500), libc::SIGKILL);
    assert!(!status.success());
    // The next Kodiak to open finds the answer's writer gone.
    let shown = sandbox.stdout(&["conversations", "show", "1"]);
    let marker =
        "## Answer (failed: interrupted: the process writing it ended before it finished)\n\n";
    let stored = shown
        .split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("{shown}"));
    let saved: String = stored.chars().take(40).collect();
    assert!(
        saved.trim().len() > 5,
        "nothing of the answer was saved: {shown}"
    );
    assert!(
        printed.contains(saved.trim()),
        "{saved:?} not in {printed:?}"
    );
}

#[test]
fn sigterm_during_an_ask_stores_the_answer_as_cancelled() {
    let sandbox = ingested_with_models("max_tokens = 400\ndraft_max_tokens = 400\n");
    let (_, status) = ask_then_signal(&sandbox, Duration::from_millis(500), libc::SIGTERM);
    assert!(status.success(), "{status:?}");
    let shown = sandbox.stdout(&["conversations", "show", "1"]);
    assert!(shown.contains("## Answer (cancelled)"), "{shown}");
}

#[test]
fn a_timed_out_answer_exits_1_and_is_stored_as_failed() {
    let sandbox =
        ingested_with_models("max_tokens = 400\ndraft_max_tokens = 400\ntimeout_secs = 1\n");
    let output = sandbox
        .kodiak()
        .args(["ask", "--json", LONG_QUESTION])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer["failure"],
        "the answer was cut off after 1 s ([generator] timeout_secs)"
    );
    let shown = sandbox.stdout(&["conversations", "show", "1"]);
    assert!(
        shown.contains("## Answer (failed: the answer was cut off"),
        "{shown}"
    );
}

#[test]
fn a_model_of_the_wrong_kind_is_refused_by_name_instead_of_aborting() {
    require_models();
    let sandbox = Sandbox::new();
    let models = kodiak::config::default_models_dir();
    sandbox.write_config(&format!(
        "[generator]\nmodel = \"{}\"\n[embedder]\nenabled = false\n",
        models.join(kodiak::config::DEFAULT_EMBEDDER_FILE).display()
    ));
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    sandbox.stdout(&["ingest", samples.to_str().unwrap()]);
    let answer = sandbox.json(&["ask", "--json", "Who holds the deposit?"]);
    assert_eq!(answer["mode"], "extractive");
    let notes = answer["notes"].to_string();
    assert!(
        notes.contains("an embedding model (bert) cannot write answers"),
        "{notes}"
    );
    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let health: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(health["components"]["llm"]["state"], "failed");
}
