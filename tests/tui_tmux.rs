//! The real binary in a real terminal: tmux runs `kodiak` on the sample documents, a
//! question is typed and answered by the default model, and after quitting (or SIGTERM)
//! the terminal must be back in its normal mode with the main screen showing; a reviewer's
//! coding and checklist corrections typed in it are what is stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::Sandbox;

/// A tmux session running `script` on a tmux server of its own (`tmux -L`, one socket per
/// test), apart from any the user or another test runs; killed when dropped.
struct Session {
    name: String,
    socket: String,
}

impl Session {
    fn start(name: &str, script: &Path) -> Session {
        let session = Session {
            name: name.to_owned(),
            socket: format!("kodiak-{}-{name}", std::process::id()),
        };
        let command = format!("bash {}", script.display());
        let out = session.tmux(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "40",
            &command,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        session
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux is needed for this test: run scripts/setup (or apt-get install tmux)")
    }

    /// The pid of the program the pane runs (the script's shell).
    fn pane_pid(&self) -> u32 {
        let out = self.tmux(&["display-message", "-p", "-t", &self.name, "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", &self.name]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    /// Waits until the screen shows `text`; fails with the screen after `limit`.
    fn wait_for(&self, text: &str, limit: Duration) -> String {
        self.wait_until(&format!("`{text}`"), limit, |screen| screen.contains(text))
    }

    /// Waits until an answer has ended complete: nothing is being answered (the status bar
    /// says `answering` until then) and its figures are under it (`6.3 s · 48 tokens ·
    /// 62.8 tokens/s`; while it streams they start with `…`).
    fn wait_answered(&self, limit: Duration) -> String {
        self.wait_until("the end of the answer", limit, |screen| {
            !screen.contains("│ answering")
                && screen
                    .lines()
                    .any(|line| line.contains(" tokens · ") && !line.contains('…'))
        })
    }

    /// Waits until `done` holds for the screen; fails with `what` and the screen after
    /// `limit`.
    fn wait_until(&self, what: &str, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < limit,
                "{what} did not appear within {limit:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// A sandbox with the samples ingested, and a script that runs the UI in it (with `env`
/// added to its environment), then prints its exit code and the terminal's mode, then waits
/// so the pane stays readable.
fn prepared(sandbox: &Sandbox, env: &str) -> PathBuf {
    let models = kodiak::config::default_models_dir();
    assert!(
        models
            .join(kodiak::config::DEFAULT_GENERATOR_FILE)
            .is_file(),
        "this test needs the default models in {}: run scripts/fetch-models",
        models.display()
    );
    sandbox.write_config("[generator]\nmax_tokens = 48\ntemperature = 0.0\n");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    sandbox
        .kodiak()
        .args(["ingest", samples.to_str().unwrap()])
        .assert()
        .success();
    let binary = assert_cmd::cargo::cargo_bin("kodiak");
    let home = sandbox.path();
    let script = home.join("run-tui.sh");
    std::fs::write(
        &script,
        format!(
            "cd '{home}'\n\
             env -i PATH=\"$PATH\" TERM=\"$TERM\" HOME='{home}' \
             XDG_CONFIG_HOME='{home}/config' XDG_DATA_HOME='{home}/data' \
             XDG_STATE_HOME='{home}/state' KODIAK_MODELS_DIR='{models}' {env} \
             '{binary}' --data-dir '{data}'\n\
             echo \"EXIT=$?\"\n\
             echo \"MODE $(stty -a | tr '\\n' ' ')\"\n\
             sleep 120\n",
            home = home.display(),
            models = models.display(),
            env = env,
            binary = binary.display(),
            data = sandbox.data_dir().display(),
        ),
    )
    .unwrap();
    script
}

/// After the UI ends: exit 0, the main screen back, and the terminal out of raw mode.
fn assert_restored(session: &Session) {
    let screen = session.wait_for("EXIT=", Duration::from_secs(20));
    assert!(screen.contains("EXIT=0"), "{screen}");
    let mode = session.tmux(&[
        "display-message",
        "-p",
        "-t",
        &session.name,
        "#{alternate_on}",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&mode.stdout).trim(),
        "0",
        "still on the alternate screen"
    );
    let screen = session.wait_for("MODE ", Duration::from_secs(5));
    let stty = screen
        .split("MODE ")
        .nth(1)
        .unwrap_or_default()
        .replace('\n', "");
    for flag in ["-icanon", "-echo ", "-isig"] {
        assert!(!stty.contains(flag), "terminal left with {flag}: {stty}");
    }
    assert!(stty.contains("icanon"), "{stty}");
}

#[test]
fn ask_in_the_terminal_ui_copy_the_answer_then_quit_and_the_terminal_is_restored() {
    let sandbox = Sandbox::new();
    let script = prepared(&sandbox, "");
    let session = Session::start("kodiak-e2e-quit", &script);
    session.wait_for("Residential Lease Agreement", Duration::from_secs(30));

    // Once the models are loaded, an idle UI writes nothing at all for 10 s, health
    // checks every 5 s included.
    session.wait_for("model: ready", Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(1));
    let idle_log = sandbox.path().join("idle-output");
    let pipe = format!("cat >> '{}'", idle_log.display());
    assert!(
        session
            .tmux(&["pipe-pane", "-o", "-t", &session.name, &pipe])
            .status
            .success()
    );
    std::thread::sleep(Duration::from_secs(10));
    session.tmux(&["pipe-pane", "-t", &session.name]);
    let idle_output = std::fs::read(&idle_log).unwrap_or_default();
    assert!(
        idle_output.is_empty(),
        "{} bytes written while idle: {:?}",
        idle_output.len(),
        String::from_utf8_lossy(&idle_output)
    );

    session.keys(&["2"]);
    session.keys(&["-l", "When is the security deposit returned?"]);
    session.keys(&["Enter"]);
    let screen = session.wait_answered(Duration::from_secs(180));
    assert!(screen.contains("tokens"), "{screen}");

    // Esc leaves the input for the transcript; y copies the answer through OSC 52, which
    // this tmux server takes into its paste buffer. The test waits for the transcript's key
    // hints first: an Esc and a y read together are one Alt-y.
    session.tmux(&["set", "-g", "set-clipboard", "on"]);
    session.keys(&["Escape"]);
    session.wait_for("y copy", Duration::from_secs(10));
    session.keys(&["y"]);
    session.wait_for("answer copied to the clipboard", Duration::from_secs(10));
    let copied = session.tmux(&["show-buffer"]);
    let copied = String::from_utf8_lossy(&copied.stdout).into_owned();

    // q is typed while the input has the keyboard; in the transcript it quits.
    session.keys(&["q"]);
    assert_restored(&session);

    // The exchange was stored, and what was copied is the stored answer.
    let output = sandbox
        .kodiak()
        .args(["conversations", "list", "--json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list[0]["messages"], 2, "{list}");
    let output = sandbox
        .kodiak()
        .args(["conversations", "export", "1", "--format", "json"])
        .output()
        .unwrap();
    let export: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        export["messages"][0]["content"],
        "When is the security deposit returned?"
    );
    let answer = export["messages"][1]["content"].as_str().unwrap();
    assert!(!answer.is_empty());
    // What was copied is what the pane showed: the evidence, then the model's draft.
    let evidence = export["messages"][1]["evidence"]["text"].as_str().unwrap();
    assert_eq!(
        copied,
        format!("{evidence}\n\nDraft by the model, not verified:\n{answer}")
    );
}

/// The model process dies while an answer streams: the answer ends as failed with the
/// reason and what was written, the UI keeps running, the next question starts a new model
/// process, health shows the restart, and `q` still restores the terminal.
#[test]
fn a_model_crash_while_streaming_fails_the_answer_and_the_ui_stays_up() {
    let sandbox = Sandbox::new();
    let script = prepared(
        &sandbox,
        "KODIAK_DEBUG_ENGINE_CRASH=generator,after=4,times=1",
    );
    let session = Session::start("kodiak-e2e-crash", &script);
    session.wait_for("model: ready", Duration::from_secs(60));
    session.keys(&["2"]);
    session.keys(&["-l", "When is the security deposit returned?"]);
    session.keys(&["Enter"]);
    session.wait_for(
        "failed: the model process crashed",
        Duration::from_secs(120),
    );

    // The UI is up and answers the next question with a new model process.
    session.keys(&["-l", "Who holds the deposit?"]);
    session.keys(&["Enter"]);
    session.wait_for("› Who holds the deposit?", Duration::from_secs(10));
    let screen = session.wait_answered(Duration::from_secs(180));
    assert!(!screen.contains("cancelled"), "{screen}");

    session.keys(&["Escape"]);
    session.wait_for("y copy", Duration::from_secs(10));
    session.keys(&["3"]);
    session.wait_for("last crash", Duration::from_secs(20));
    session.keys(&["q"]);
    assert_restored(&session);

    // Both exchanges were stored: the first as failed, with the reason; one crash report.
    let shown = sandbox.stdout(&["conversations", "show", "1"]);
    assert!(
        shown.contains("## Answer (failed: the model process crashed (signal 11, SIGSEGV))"),
        "{shown}"
    );
    assert_eq!(
        shown.matches("(failed").count(),
        1,
        "only the first failed: {shown}"
    );
    assert!(
        shown.contains("## Draft by the model, not verified\n"),
        "the second is complete: {shown}"
    );
    let reports = sandbox.json(&["crash-reports", "list", "--json"]);
    assert_eq!(reports.as_array().map(Vec::len), Some(1), "{reports}");
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal("TERM");
}

/// SIGHUP is what a dropped SSH connection sends.
#[test]
fn sighup_restores_the_terminal() {
    signal_restores_the_terminal("HUP");
}

fn signal_restores_the_terminal(signal: &str) {
    let sandbox = Sandbox::new();
    let script = prepared(&sandbox, "");
    let session = Session::start(&format!("kodiak-e2e-{signal}"), &script);
    session.wait_for("Residential Lease Agreement", Duration::from_secs(30));
    // The script's shell runs kodiak as its child.
    let children = Command::new("pgrep")
        .args(["-P", &session.pane_pid().to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&children.stdout)
        .trim()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !pid.is_empty(),
        "kodiak is not running: {}",
        session.screen()
    );
    assert!(
        Command::new("kill")
            .args([format!("-{signal}").as_str(), &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_restored(&session);
}

/// `M` then Enter closes the UI on one matter and opens it on the other in the same
/// terminal; the new session takes keys (a second switch comes back), and quitting still
/// restores the terminal.
#[test]
fn switching_matters_in_the_terminal_ui_shows_the_other_matters_documents_and_back() {
    let sandbox = Sandbox::new();
    let script = prepared(&sandbox, "");
    sandbox.stdout(&["matter", "new", "acme", "--description", "Acme v. Beta"]);
    let acme_docs = sandbox.path().join("acme-docs");
    std::fs::create_dir_all(&acme_docs).unwrap();
    std::fs::write(
        acme_docs.join("acme-only-letter.txt"),
        "The Supplier shall indemnify Acme.",
    )
    .unwrap();
    sandbox.stdout(&["--matter", "acme", "ingest", acme_docs.to_str().unwrap()]);

    let session = Session::start("kodiak-e2e-matters", &script);
    session.wait_for("Residential Lease Agreement", Duration::from_secs(30));
    session.keys(&["M"]);
    session.wait_for("Matters (Enter switches", Duration::from_secs(10));
    session.keys(&["j"]);
    session.keys(&["Enter"]);
    let screen = session.wait_for("matter: acme", Duration::from_secs(30));
    session.wait_for("acme-only-letter.txt", Duration::from_secs(10));
    assert!(!screen.contains("Residential Lease Agreement"), "{screen}");

    session.keys(&["M"]);
    session.wait_for("Matters (Enter switches", Duration::from_secs(10));
    session.keys(&["k"]);
    session.keys(&["Enter"]);
    let screen = session.wait_until(
        "the default matter's documents",
        Duration::from_secs(30),
        |screen| screen.contains("Residential Lease Agreement") && !screen.contains("matter:"),
    );
    assert!(!screen.contains("acme-only-letter.txt"), "{screen}");
    session.keys(&["q"]);
    assert_restored(&session);
}

#[test]
fn documents_another_process_ingests_appear_in_the_open_ui_and_its_search_finds_them() {
    let sandbox = Sandbox::new();
    let script = prepared(&sandbox, "");
    let session = Session::start("kodiak-e2e-changes", &script);
    session.wait_for("Residential Lease Agreement", Duration::from_secs(30));
    // The UI is open; a second process ingests 60 files into the same matter.
    let more = sandbox.path().join("more");
    std::fs::create_dir_all(&more).unwrap();
    for i in 0..60 {
        std::fs::write(
            more.join(format!("cli-added-{i:02}.txt")),
            format!("Memorandum {i}. The zanzibarite shipment arrives on day {i}."),
        )
        .unwrap();
    }
    sandbox.stdout(&["ingest", more.to_str().unwrap()]);
    // Within a few seconds the list shows them, without a key pressed.
    session.wait_for("cli-added-00.txt", Duration::from_secs(15));
    // And the search index the UI reads has followed the other process's commit.
    session.keys(&["S"]);
    session.keys(&["-l", "zanzibarite"]);
    session.keys(&["Enter"]);
    // The list names them too, so the search view's own title is waited for: quitting
    // before the results arrive would leave them to be drawn after the Esc below.
    let screen = session.wait_until(
        "the new documents' search results",
        Duration::from_secs(30),
        |screen| screen.contains("Search: zanzibarite") && screen.contains("hit"),
    );
    assert!(!screen.contains("No passage matches"), "{screen}");
    // Esc alone (a key right after it would read as Alt and that key), then quit.
    session.keys(&["Escape"]);
    session.wait_until("the list again", Duration::from_secs(10), |screen| {
        !screen.contains("Search: zanzibarite")
    });
    session.keys(&["q"]);
    assert_restored(&session);
}

/// A sandbox with the samples ingested and the UI's script, models and the embedder off
/// (the checklist and coding tests need neither), plus `extra` text files in `docs`.
fn prepared_without_models(sandbox: &Sandbox, extra: &[(String, String)]) -> PathBuf {
    let script = prepared(sandbox, "");
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    if !extra.is_empty() {
        let docs = sandbox.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        for (name, text) in extra {
            std::fs::write(docs.join(name), text).unwrap();
        }
        sandbox
            .kodiak()
            .args(["ingest", docs.to_str().unwrap()])
            .assert()
            .success();
    }
    script
}

const SUPPLY: &str = "SUPPLY AGREEMENT\n\nThis Supply Agreement is made between Acme Ltd (the \
    Supplier) and Birch plc (the Customer).\n\n21.2 The parties shall save each other harmless \
    from claims.\n\n21.4 Governing law. This Agreement is governed by the laws of the State of \
    South Dakota.\n";

#[test]
fn a_correction_typed_in_the_grid_stores_exactly_the_typed_text_and_no_stale_evidence() {
    let sandbox = Sandbox::new();
    let script = prepared_without_models(
        &sandbox,
        &[("supply-agreement.txt".to_owned(), SUPPLY.to_owned())],
    );
    let checklist = sandbox.path().join("law.toml");
    std::fs::write(
        &checklist,
        "title = \"Law\"\n\n[[item]]\nid = \"governing_law\"\n\
         question = \"Which law governs the agreement?\"\n\
         terms = [\"governed by\", \"save each other\"]\nanswer = \"jurisdiction\"\n",
    )
    .unwrap();
    let run = sandbox.json(&[
        "review",
        "run",
        checklist.to_str().unwrap(),
        "--no-llm",
        "--json",
    ]);
    let job = run["job"]["id"].as_i64().unwrap();
    let supply = run["rows"]
        .as_array()
        .unwrap()
        .iter()
        .position(|row| {
            row["path"]
                .as_str()
                .unwrap()
                .ends_with("supply-agreement.txt")
        })
        .unwrap();
    let doc = run["rows"][supply]["doc_id"].as_i64().unwrap();

    let session = Session::start("kodiak-e2e-correction", &script);
    session.wait_for("Residential Lease Agreement", Duration::from_secs(30));
    session.keys(&["C"]);
    session.wait_for("job 1 · done", Duration::from_secs(10));
    // To the supply agreement's row, then correct its cell.
    for _ in 0..supply {
        session.keys(&["j"]);
    }
    session.keys(&["e"]);
    session.wait_for("The right answer", Duration::from_secs(10));
    session.keys(&["-l", "South Dakota (s. 21.4)"]);
    session.keys(&["Enter"]);
    session.wait_for("saved: governing_law corrected", Duration::from_secs(10));
    session.keys(&["v"]);
    let shown = session.wait_for("Decision: corrected", Duration::from_secs(10));
    assert!(shown.contains("South Dakota (s. 21.4)"), "{shown}");
    session.keys(&["Escape"]);
    session.keys(&["q"]);
    assert_restored(&session);

    let cell = sandbox.json(&[
        "review",
        "cell",
        &job.to_string(),
        &doc.to_string(),
        "governing_law",
        "--json",
    ]);
    assert_eq!(cell["decision"]["decision"], "corrected");
    assert_eq!(cell["decision"]["answer"], "South Dakota (s. 21.4)");
    let export = sandbox.json(&["review", "export", &job.to_string(), "--format", "json"]);
    let exported = &export["rows"][supply]["cells"]["governing_law"];
    assert_eq!(exported["answer"], "South Dakota (s. 21.4)");
    assert_eq!(
        exported["pages"],
        serde_json::json!([]),
        "no quote of the suggestion stands as the evidence of the typed answer: {exported}"
    );
}

#[test]
fn the_grid_shows_cells_as_a_run_decides_them() {
    let sandbox = Sandbox::new();
    // Enough documents that a run without a model takes seconds, not one frame.
    let contracts: Vec<(String, String)> = (0..400)
        .map(|i| {
            (
                format!("supply-{i:03}.txt"),
                SUPPLY.replace("Acme", &format!("Acme {i}")),
            )
        })
        .collect();
    let script = prepared_without_models(&sandbox, &contracts);
    let session = Session::start("kodiak-e2e-grid-fills", &script);
    session.wait_for("Residential Lease Agreement", Duration::from_secs(30));
    session.keys(&["C"]);
    session.wait_for("No checklist has been run yet", Duration::from_secs(10));
    session.keys(&["R"]);
    session.wait_for(
        "checklist (1 of 2): Commercial contract review",
        Duration::from_secs(10),
    );
    session.keys(&["Enter"]);
    // While the job runs, its header counts cells decided and the rows show them.
    let shown = session.wait_until(
        "decided cells in the grid of the running job",
        Duration::from_secs(60),
        |screen| {
            let running = screen.contains("· running ·");
            let decided = screen.lines().any(|l| l.contains('✓') || l.contains('✗'));
            running && decided
        },
    );
    assert!(!shown.contains("interrupted"), "{shown}");
    session.wait_for("· done ·", Duration::from_secs(300));
    session.keys(&["q"]);
    assert_restored(&session);
}

#[test]
fn select_all_then_tag_codes_every_listed_document() {
    let sandbox = Sandbox::new();
    let script = prepared_without_models(&sandbox, &[]);
    let session = Session::start("kodiak-e2e-select-all", &script);
    session.wait_for("Residential Lease Agreement", Duration::from_secs(30));
    session.keys(&["/"]);
    session.keys(&["-l", "type:markdown"]);
    session.keys(&["Enter"]);
    session.wait_for("2 of ", Duration::from_secs(10));
    session.keys(&["*"]);
    session.wait_for("2 documents selected", Duration::from_secs(10));
    session.keys(&["t"]);
    session.keys(&["-l", "hot"]);
    session.keys(&["Enter"]);
    session.wait_for(
        "saved: tag hot added on 2 documents",
        Duration::from_secs(10),
    );
    session.keys(&["q"]);
    assert_restored(&session);
    let report = sandbox.json(&["review", "export", "--format", "json"]);
    for document in report["documents"].as_array().unwrap() {
        let markdown = document["format"] == "markdown";
        let tags = document["tags"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            tags.contains(&serde_json::json!("hot")),
            markdown,
            "{document}"
        );
    }
}
