//! The fault matrix: what Kodiak does when the disk fills, another process holds the
//! database, the index is damaged, files have hostile names or contents, or a process is
//! killed mid-answer. Each test reproduces one failure that was seen, against the real
//! binary or the library, with real SQLite files and a real Tantivy index. The fault-matrix
//! table in docs/reliability.md names the test for each case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::Sandbox;
use serde_json::Value;

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::{IngestError, Outcome, Progress};
use kodiak::service::{SearchOptions, ServiceError};
use kodiak::storage::StorageError;

/// `sh -c SCRIPT` with `$0` the kodiak binary, in the sandbox's environment: for what a
/// shell sets up before Kodiak starts (a umask, a file size limit).
fn shell(sandbox: &Sandbox, script: &str) -> Command {
    let kodiak = sandbox.plain();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(script)
        .arg(kodiak.get_program())
        .env_clear()
        .envs(kodiak.get_envs().filter_map(|(k, v)| Some((k, v?))));
    command
}

/// The default configuration without models: these tests are about storage and text.
fn text_only() -> Config {
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    config
}

fn config_without_models() -> &'static str {
    "[generator]\nenabled = false\n[embedder]\nenabled = false\n"
}

/// `count` distinct small text files in `dir`, each about `bytes` long.
fn write_files(dir: &Path, count: usize, bytes: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..count {
        let mut text = format!("Contract {i}.\n\n");
        while text.len() < bytes {
            text.push_str(&format!(
                "Clause {i}-{}: the supplier delivers the goods to the buyer within thirty days.\n\n",
                text.len()
            ));
        }
        std::fs::write(dir.join(format!("contract-{i:04}.txt")), text).unwrap();
    }
}

/// Takes an exclusive lock on the database from a second connection once the first files
/// are stored: the next write of the ingest finds it held.
struct LockAfterFirstFile {
    database: PathBuf,
    held: Mutex<Option<rusqlite::Connection>>,
}

impl Progress for LockAfterFirstFile {
    fn started(&self, _: usize, _: u64) {}
    fn file_done(&self, _: &str, _: u64, _: &Outcome) {
        let mut held = self.held.lock().unwrap();
        if held.is_none() {
            let conn = rusqlite::Connection::open(&self.database).unwrap();
            conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
            *held = Some(conn);
        }
    }
    fn indexing(&self) {}
}

#[test]
fn a_database_locked_mid_ingest_ends_it_promptly_naming_the_lock_and_the_next_ingest_completes() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    write_files(&docs, 300, 2_000);
    let mut config = text_only();
    config.database.busy_timeout_ms = 50;
    config.ingest.workers = 2;
    let settings = Settings::in_dir(dir.path(), config).with_engine(env!("CARGO_BIN_EXE_kodiak"));
    let database = settings.paths.database.clone();
    let kodiak = Arc::new(Kodiak::open(settings).unwrap());
    let progress = Arc::new(LockAfterFirstFile {
        database,
        held: Mutex::new(None),
    });

    // On a thread of its own, so that a hang fails the test instead of stalling it.
    let (done, outcome) = mpsc::channel();
    let (k, p, d) = (Arc::clone(&kodiak), Arc::clone(&progress), docs.clone());
    std::thread::spawn(move || {
        let _ = done.send(k.ingest(&[d], &*p).map(|r| r.ingested));
    });
    let outcome = outcome
        .recv_timeout(Duration::from_secs(120))
        .expect("the ingest hung after its database write failed");
    let error = outcome.unwrap_err();
    assert!(
        matches!(
            error,
            ServiceError::Ingest(IngestError::Storage(StorageError::Busy(_)))
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("the database is locked by another process"),
        "{error}"
    );

    // The lock is released: the index's writer is free again, and the next ingest stores
    // every file exactly once, the index agreeing with the database.
    progress.held.lock().unwrap().take();
    drop(kodiak.index().unwrap().writer().unwrap());
    let report = kodiak.ingest(&[docs], &kodiak::ingest::Silent).unwrap();
    assert_eq!(report.ingested + report.unchanged, 300);
    assert_eq!(kodiak.documents().unwrap().len(), 300);
    let conn = common::database_of(&kodiak).conn().unwrap();
    let chunks: i64 = conn
        .query_row("SELECT count(*) FROM chunks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kodiak.index().unwrap().chunk_count(), chunks as u64);
}

/// A 3 MB tmpfs for the data directory, unmounted when dropped; None where this process may
/// not mount one (then the test limits file sizes instead).
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| SmallDisk {
            dir: dir.to_owned(),
        })
    }

    fn grow(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,size=256m"])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

#[test]
fn a_full_disk_mid_ingest_ends_it_with_an_error_naming_it_and_the_next_ingest_completes() {
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    let docs = sandbox.path().join("docs");
    write_files(&docs, 60, 60_000);
    let data = sandbox.path().join("small");
    let disk = SmallDisk::mount(&data);
    let data_dir = data.join("kodiak");
    let data_arg = data_dir.to_str().unwrap();
    // Without a tmpfs, a process whose files may not grow past 3 MB (RLIMIT_FSIZE, with
    // SIGXFSZ ignored) meets the same kind of failure: its writes fail (EFBIG).
    let ingest = |limit_size: bool| {
        let limit = if limit_size { "ulimit -f 3072; " } else { "" };
        let script = format!(
            "trap '' XFSZ; {limit}exec \"$0\" --data-dir '{data_arg}' ingest '{}'",
            docs.display()
        );
        assert_cmd::Command::from_std(shell(&sandbox, &script))
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    };
    let started = Instant::now();
    let output = ingest(disk.is_none());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(100),
        "the ingest did not end promptly"
    );
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the disk is full") || stderr.contains("File too large"),
        "{stderr}"
    );

    // Space is freed: the next ingest completes exactly, and the index is in step.
    let output = match &disk {
        Some(disk) => {
            disk.grow();
            ingest(false)
        }
        None => ingest(false),
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = sandbox.json(&["--data-dir", data_arg, "docs", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 60);
    let found = sandbox.json(&[
        "--data-dir",
        data_arg,
        "search",
        "--json",
        "--limit",
        "100",
        "supplier delivers",
    ]);
    assert!(found["notes"].as_array().unwrap().is_empty(), "{found}");
    assert_eq!(found["hits"].as_array().unwrap().len(), 100);
}

#[test]
fn files_whose_names_differ_only_in_bytes_that_are_not_utf8_stay_two_documents() {
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    let docs = sandbox.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let name = |byte: u8| docs.join(OsStr::from_bytes(&[b'x', byte, b'.', b't', b'x', b't']));
    std::fs::write(name(0xff), "The first file speaks of ferries.").unwrap();
    std::fs::write(name(0xfe), "The second file speaks of lighthouses.").unwrap();
    for _ in 0..2 {
        sandbox.stdout(&["ingest", docs.to_str().unwrap()]);
    }
    let listed = sandbox.json(&["docs", "list", "--json"]);
    let mut paths: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    paths.sort();
    assert_eq!(paths, ["x\\xFE.txt", "x\\xFF.txt"]);
    for word in ["ferries", "lighthouses"] {
        let found = sandbox.json(&["search", "--json", word]);
        assert_eq!(found["hits"].as_array().unwrap().len(), 1, "{word}");
    }
}

#[test]
fn reindex_rebuilds_an_index_with_a_removed_segment_or_a_garbled_meta_file() {
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    sandbox.stdout(&["ingest", samples.to_str().unwrap()]);
    let index = sandbox.data_dir().join("index");
    let damage: [&dyn Fn(); 3] = [
        &|| {
            let segment = std::fs::read_dir(&index)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension() == Some(OsStr::new("idx")))
                .unwrap();
            std::fs::remove_file(segment).unwrap();
        },
        &|| std::fs::write(index.join("meta.json"), b"{ not json").unwrap(),
        // A real meta file (kilobytes of segment records) garbled in the middle.
        &|| {
            let meta = index.join("meta.json");
            let mut text = std::fs::read_to_string(&meta).unwrap();
            assert!(text.len() > 500, "{}", text.len());
            let middle = text.len() / 2;
            text.replace_range(middle..middle + 1, "\u{0}");
            std::fs::write(meta, text).unwrap();
        },
    ];
    for damage in damage {
        damage();
        let broken = sandbox
            .kodiak()
            .args(["search", "deposit"])
            .output()
            .unwrap();
        assert!(!broken.status.success());
        let stderr = String::from_utf8_lossy(&broken.stderr);
        assert!(stderr.contains("kodiak reindex"), "{stderr}");
        // The error names the index and the way out; it does not paste the file.
        assert!(stderr.len() < 600, "{} bytes: {stderr}", stderr.len());
        let reindexed = sandbox.stdout(&["reindex"]);
        assert!(reindexed.starts_with("reindexed 24 chunks"), "{reindexed}");
        let found = sandbox.json(&["search", "--json", "security deposit"]);
        assert!(!found["hits"].as_array().unwrap().is_empty());
    }
}

/// `ESC ] 0 ; … BEL` retitles a terminal; `ESC [ 2 J` clears it.
const OSC_TITLE: &str = "\u{1b}]0;owned\u{7}";
const CLEAR: &str = "\u{1b}[2J";

#[test]
fn escape_sequences_in_titles_text_and_file_names_never_reach_the_terminal() {
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    let docs = sandbox.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(
        docs.join("page.html"),
        format!(
            "<html><head><title>Invoice {OSC_TITLE}</title></head><body><p>Harbour dues \
             {CLEAR} are payable monthly.</p></body></html>"
        ),
    )
    .unwrap();
    std::fs::write(
        docs.join(format!("evil{OSC_TITLE}\nname.txt")),
        "Harbour dues are reviewed yearly.",
    )
    .unwrap();
    let runs = [
        vec!["ingest", docs.to_str().unwrap()],
        vec!["docs", "list"],
        vec!["search", "harbour dues"],
        vec!["docs", "show", "1"],
        vec!["docs", "show", "1", "--text"],
        vec!["ask", "--no-llm", "harbour dues"],
    ];
    for args in runs {
        let output = sandbox.kodiak().args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            assert!(
                !bytes.iter().any(|b| *b == 0x1b || *b == 0x07),
                "{args:?} wrote a control character to {stream}: {}",
                String::from_utf8_lossy(bytes)
            );
        }
        if args[0] == "ingest" {
            // One line per file: the newline in the name is shown escaped.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let line = stderr.lines().find(|l| l.contains("evil")).unwrap();
            assert!(
                line.ends_with("evil\\x1b]0;owned\\x07\\nname.txt"),
                "{line}"
            );
        }
    }
    // Reports written to a file are read in terminals too: no raw control character
    // there either (JSON escapes them itself).
    let exports = [
        ("review.md", vec!["review", "export"]),
        ("review.csv", vec!["review", "export", "--format", "csv"]),
        ("review.json", vec!["review", "export", "--format", "json"]),
        ("terms.txt", vec!["report", "terms", "harbour"]),
        ("terms.csv", vec!["report", "terms", "--csv", "harbour"]),
    ];
    for (name, args) in exports {
        let file = sandbox.path().join(name);
        let mut args = args.clone();
        args.extend(["-o", file.to_str().unwrap()]);
        sandbox.stdout(&args);
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.iter().any(|b| *b == 0x1b || *b == 0x07),
            "{name} holds a control character: {}",
            String::from_utf8_lossy(&bytes)
        );
        if name.starts_with("review") {
            assert!(
                String::from_utf8_lossy(&bytes).contains("Invoice"),
                "{name}"
            );
        }
    }
}

#[test]
fn a_four_megabyte_text_without_blank_lines_is_ingested_within_the_file_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    // 4 MB of words on one line, without a single sentence end: before chunking was
    // linear, 1 MB of this took 3.9 s and the time grew with the square of the length.
    let words = [
        "supplier", "deliver", "goods", "notice", "term", "price", "buyer",
    ];
    let text: Vec<&str> = (0..600_000usize)
        .map(|i| words[(i * 7 + i / 3) % words.len()])
        .collect();
    std::fs::write(docs.join("one-line.txt"), text.join(" ")).unwrap();
    let mut config = text_only();
    config.ingest.file_timeout_secs = 60;
    let kodiak = Kodiak::open(
        Settings::in_dir(dir.path(), config).with_engine(env!("CARGO_BIN_EXE_kodiak")),
    )
    .unwrap();
    let report = kodiak.ingest(&[docs], &kodiak::ingest::Silent).unwrap();
    assert_eq!(report.ingested, 1, "{:?}", report.failed);
    assert!(report.documents[0].chunks > 4_000);
}

#[test]
fn ingest_and_ask_wait_out_a_lock_another_process_holds_for_seconds() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "{}[database]\nbusy_timeout_ms = 1000\n",
        config_without_models()
    ));
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    sandbox.stdout(&["ingest", samples.to_str().unwrap()]);
    let database = sandbox.data_dir().join("kodiak.db");
    for args in [
        vec!["ingest", samples.to_str().unwrap()],
        vec!["ask", "--no-llm", "who holds the deposit"],
        vec!["review", "set", "1", "reviewed"],
    ] {
        let conn = rusqlite::Connection::open(&database).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            conn.execute_batch("COMMIT").unwrap();
        });
        let output = sandbox.kodiak().args(&args).output().unwrap();
        release.join().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_rate_limit_counts_the_os_user_whatever_user_says() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "{}[limits]\nrequests = 2\nwindow_secs = 600\n",
        config_without_models()
    ));
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    sandbox.stdout(&["ingest", samples.to_str().unwrap()]);
    sandbox.stdout(&["ask", "--no-llm", "rent"]);
    for user in ["mallory", "root", ""] {
        let output = sandbox
            .kodiak()
            .env("USER", user)
            .env("LOGNAME", user)
            .args(["ask", "--no-llm", "rent"])
            .output()
            .unwrap();
        assert!(!output.status.success(), "USER={user} went past the limit");
        assert!(String::from_utf8_lossy(&output.stderr).contains("rate limit reached"));
    }
}

#[test]
fn search_says_when_the_index_is_behind_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    write_files(&docs, 2, 500);
    let settings =
        Settings::in_dir(dir.path(), text_only()).with_engine(env!("CARGO_BIN_EXE_kodiak"));
    let kodiak = Kodiak::open(settings.clone()).unwrap();
    kodiak.ingest(&[docs], &kodiak::ingest::Silent).unwrap();
    let options = SearchOptions {
        limit: 5,
        ..SearchOptions::default()
    };
    assert!(
        kodiak
            .search("supplier", &options)
            .unwrap()
            .notes
            .is_empty()
    );
    // A document stored while the index could not follow (a full disk, say).
    common::database_of(&kodiak)
        .write(|tx| {
            tx.execute("INSERT INTO changes (document_id) VALUES (1)", [])
                .map(|_| ())
                .map_err(StorageError::from)
        })
        .unwrap();
    let notes = kodiak.search("supplier", &options).unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("the search index is behind the database")),
        "{notes:?}"
    );
}

/// Overwrites the start of a page in the middle of the sandbox's database, as a failing
/// disk would: the first page of the documents' texts, which opening the database does not
/// read.
fn damage_a_page(sandbox: &Sandbox) {
    let database = sandbox.data_dir().join("kodiak.db");
    let (page, page_size): (i64, i64) = {
        let conn = rusqlite::Connection::open(&database).unwrap();
        // Everything in the write-ahead log goes into the file first.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let page = conn
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'document_texts'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (
            page,
            conn.query_row("PRAGMA page_size", [], |r| r.get(0))
                .unwrap(),
        )
    };
    let mut bytes = std::fs::read(&database).unwrap();
    let start = ((page - 1) * page_size) as usize;
    for byte in &mut bytes[start..start + 64] {
        *byte = 0x5a;
    }
    std::fs::write(&database, bytes).unwrap();
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs")
}

/// Documents of a few words each, to ingest into a damaged database.
fn more_documents(sandbox: &Sandbox) -> PathBuf {
    let more = sandbox.path().join("more");
    write_files(&more, 11, 300);
    more
}

#[test]
fn health_runs_an_integrity_check_and_fails_a_damaged_database() {
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    sandbox.stdout(&["ingest", samples().to_str().unwrap()]);
    let healthy = sandbox.json(&["health", "--json"]);
    assert_eq!(healthy["components"]["database"]["integrity"]["ok"], true);
    damage_a_page(&sandbox);
    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "a damaged database is unhealthy"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let database = &report["components"]["database"];
    assert_eq!(database["integrity"]["ok"], false, "{database}");
    assert!(
        database["error"]
            .as_str()
            .unwrap()
            .contains("the database is damaged"),
        "{database}"
    );
}

/// Runs `kodiak ingest DIR`, which must fail naming the damage, and returns what it said.
fn ingest_refused(sandbox: &Sandbox, dir: &Path) -> String {
    let output = sandbox
        .kodiak()
        .args(["ingest", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "the ingest wrote: {stderr}");
    assert!(stderr.contains("is damaged (quick_check: "), "{stderr}");
    assert!(stderr.contains("restore a backup"), "{stderr}");
    stderr
}

#[test]
fn a_write_refuses_a_database_whose_last_integrity_check_failed() {
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    sandbox.stdout(&["ingest", samples().to_str().unwrap()]);
    let before = sandbox.json(&["docs", "list", "--json"]);
    damage_a_page(&sandbox);
    // Health finds the damage and records it: every later write refuses, whatever the
    // interval, until a check passes again.
    let health = sandbox.kodiak().args(["health"]).output().unwrap();
    assert_eq!(health.status.code(), Some(2));
    ingest_refused(&sandbox, &more_documents(&sandbox));
    let tag = sandbox
        .kodiak()
        .args(["review", "tag", "1", "late"])
        .output()
        .unwrap();
    assert!(!tag.status.success());
    assert!(String::from_utf8_lossy(&tag.stderr).contains("is damaged"));
    // Nothing was added: the documents are the ones stored before.
    assert_eq!(sandbox.json(&["docs", "list", "--json"]), before);
}

#[test]
fn a_write_checks_integrity_first_when_the_last_check_is_older_than_the_interval() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "{}[database]\nintegrity_check_secs = 0\n",
        config_without_models()
    ));
    sandbox.stdout(&["ingest", samples().to_str().unwrap()]);
    let before = sandbox.json(&["docs", "list", "--json"]);
    damage_a_page(&sandbox);
    // No health in between: the ingest's own check before its first write finds it.
    ingest_refused(&sandbox, &more_documents(&sandbox));
    assert_eq!(sandbox.json(&["docs", "list", "--json"]), before);
}

#[test]
fn files_and_folders_kodiak_writes_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    // A data folder someone made open beforehand.
    std::fs::create_dir_all(sandbox.data_dir()).unwrap();
    std::fs::set_permissions(sandbox.data_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = format!("umask 000; exec \"$0\" ingest '{}'", samples.display());
    let mut shell = shell(&sandbox, &script);
    assert!(shell.status().unwrap().success());
    let mut checked = 0;
    for root in [sandbox.data_dir(), sandbox.log_dir()] {
        for entry in walkdir::WalkDir::new(&root) {
            let entry = entry.unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            let wanted = if entry.file_type().is_dir() {
                0o700
            } else {
                0o600
            };
            assert_eq!(mode, wanted, "{} is {mode:o}", entry.path().display());
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked}");
}

#[test]
fn documents_stored_by_an_ingest_killed_midway_are_in_the_audit_trail() {
    let sandbox = Sandbox::new();
    sandbox.write_config(config_without_models());
    let docs = sandbox.path().join("docs");
    write_files(&docs, 2_000, 20_000);
    let mut ingest = sandbox
        .plain()
        .args(["ingest", docs.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed as soon as the first documents are committed.
    let database = sandbox.data_dir().join("kodiak.db");
    let deadline = Instant::now() + Duration::from_secs(120);
    let stored = loop {
        assert!(Instant::now() < deadline, "no document was stored in 120 s");
        let count = rusqlite::Connection::open(&database)
            .and_then(|conn| conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0)))
            .unwrap_or(0i64);
        if count > 0 {
            break count;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    ingest.kill().unwrap();
    common::wait_for_exit(&mut ingest, "the killed ingest", Duration::from_secs(30));
    assert!(stored < 2_000, "the ingest finished before it was killed");

    // Every document the killed run committed is named by a `stored` entry, and the run
    // itself never recorded its end.
    let listed = sandbox.json(&["docs", "list", "--json"]);
    let mut present: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert!(
        !present.is_empty() && present.len() < 2_000,
        "{}",
        present.len()
    );
    let entries = sandbox.json(&["audit", "list", "--json", "--action", "stored"]);
    let mut recorded: Vec<i64> = entries
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let detail: Value = serde_json::from_str(e["detail"].as_str().unwrap()).unwrap();
            detail["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_i64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    present.sort_unstable();
    recorded.sort_unstable();
    assert_eq!(recorded, present);
    let ended = sandbox.json(&["audit", "list", "--json", "--action", "ingest"]);
    assert_eq!(ended.as_array().unwrap().len(), 0, "{ended}");
}
