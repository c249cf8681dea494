//! The foundation commands, run as a user would: the real binary against temp directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Sandbox;
use predicates::prelude::*;
use serde_json::Value;

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(output)))
}

#[test]
fn version_flag_prints_the_version() {
    Sandbox::new()
        .kodiak()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("kodiak {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn config_check_accepts_a_valid_file() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[database]\npool_max_size = 8\n[logging]\nformat = \"json\"\n");
    sandbox
        .kodiak()
        .args(["config", "check"])
        .assert()
        .success()
        .stdout(format!(
            "configuration OK: {}\n",
            sandbox.config_file().display()
        ));
    sandbox
        .kodiak()
        .args(["config", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains("pool_max_size = 8"))
        .stdout(predicate::str::contains("format = \"json\""));
}

#[test]
fn config_errors_name_file_line_and_key_with_exit_code_2() {
    let cases = [
        (
            "[database]\npool_max_sizes = 3\n",
            "line 2: key `database.pool_max_sizes`: unknown field `pool_max_sizes`",
        ),
        (
            "[crash_reports]\nmax_reports = \"many\"\n",
            "line 2: key `crash_reports.max_reports`: invalid type: string \"many\", expected usize",
        ),
        (
            "[database]\nbusy_timeout_ms = 10\n\nconnection_timeout_secs = 0\n",
            "line 4: key `database.connection_timeout_secs`: must be between 1 and 600, got 0",
        ),
        // `[keys]` is the terminal UI's to check, and still named with its line.
        (
            "[tui]\ntheme = \"dark\"\n\n[keys]\nexplode = \"x\"\n",
            "line 5: key `keys.explode`: no such action; the actions are: quit,",
        ),
    ];
    for (text, expected) in cases {
        let sandbox = Sandbox::new();
        sandbox.write_config(text);
        let prefix = format!(
            "kodiak: error: invalid configuration in {}, ",
            sandbox.config_file().display()
        );
        // Every command refuses a bad configuration the same way, never with a panic.
        for args in [&["config", "check"][..], &["health"][..]] {
            sandbox
                .kodiak()
                .args(args)
                .assert()
                .code(2)
                .stderr(predicate::str::starts_with(format!("{prefix}{expected}")))
                .stderr(predicate::str::contains("panicked").not());
        }
    }
}

#[test]
fn config_path_and_environment_overrides() {
    let sandbox = Sandbox::new();
    let custom = sandbox.path().join("elsewhere.toml");
    std::fs::write(&custom, "[logging]\nlevel = \"warn\"\n").unwrap();
    let data = sandbox.path().join("case-data");
    sandbox
        .kodiak()
        .args(["config", "path"])
        .env("KODIAK_CONFIG", &custom)
        .env("KODIAK_DATA_DIR", &data)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "config file     {} (read)",
            custom.display()
        )))
        .stdout(predicate::str::contains(format!(
            "database        {}/kodiak.db",
            data.display()
        )));
    // A matter's database lives in its own folder under the data directory.
    sandbox
        .kodiak()
        .args(["config", "path", "--matter", "acme"])
        .env("KODIAK_DATA_DIR", &data)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "matter          acme ({}/matters/acme)",
            data.display()
        )))
        .stdout(predicate::str::contains(format!(
            "database        {}/matters/acme/kodiak.db",
            data.display()
        )));
    sandbox
        .kodiak()
        .args(["config", "show"])
        .env("KODIAK_CONFIG", &custom)
        .env("KODIAK_LOG", "debug")
        .assert()
        .success()
        .stdout(predicate::str::contains("level = \"debug\""));
    sandbox
        .kodiak()
        .args(["config", "check", "--config"])
        .arg(sandbox.path().join("missing.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml not found"));
    sandbox
        .kodiak()
        .args(["health", "--log-level", "noisy"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "command-line flag --log-level: unknown log level `noisy`",
        ));
}

#[test]
fn health_json_is_healthy_on_a_fresh_data_dir() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output.stdout);
    assert_eq!(report["status"], "healthy");
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        time::OffsetDateTime::parse(
            report["timestamp"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    let db = &report["components"]["database"];
    assert_eq!(db["ok"], true);
    assert!(db["latency_ms"].as_f64().unwrap() >= 0.0);
    let pool = &db["pool"];
    assert_eq!(pool["max"], 5);
    assert!(pool["connections"].as_u64().unwrap() >= 1);
    assert!(pool["idle"].as_u64().unwrap() <= pool["connections"].as_u64().unwrap());
    assert_eq!(report["components"]["logs"]["ok"], true);
    assert_eq!(report["components"]["crash_reports"]["count"], 0);

    // The database and its folder are private to the user.
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&sandbox.data_dir()), 0o700);
    assert_eq!(mode(&sandbox.data_dir().join("kodiak.db")), 0o600);

    sandbox
        .kodiak()
        .arg("health")
        .assert()
        .success()
        .stdout(predicate::str::contains("healthy"))
        .stdout(predicate::str::is_match(r"database\s+ok\s").unwrap());
}

#[test]
fn unreadable_database_is_unhealthy_with_exit_code_2_and_left_intact() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.data_dir()).unwrap();
    let db = sandbox.data_dir().join("kodiak.db");
    let garbage = b"this is not an SQLite database, it is a reviewer's note".repeat(200);
    std::fs::write(&db, &garbage).unwrap();

    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output.stdout);
    assert_eq!(report["status"], "unhealthy");
    let component = &report["components"]["database"];
    assert_eq!(component["ok"], false);
    assert!(component["pool"].is_null());
    let error = component["error"].as_str().unwrap();
    assert!(error.contains("not a database"), "{error}");
    assert!(error.contains(&db.display().to_string()), "{error}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage);

    sandbox
        .kodiak()
        .arg("health")
        .assert()
        .code(2)
        .stdout(predicate::str::is_match(r"database\s+FAIL\s").unwrap());
}

#[test]
fn unwritable_log_directory_is_a_warning_and_degraded_health() {
    let sandbox = Sandbox::new();
    // A regular file where the log folder should be: nothing can be created inside it.
    let blocker = sandbox.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    sandbox.write_config(&format!(
        "[logging]\ndirectory = \"{}/logs\"\n",
        blocker.display()
    ));
    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kodiak: warning: cannot write log files"),
        "{stderr}"
    );
    let report = json(&output.stdout);
    assert_eq!(report["status"], "degraded");
    assert_eq!(report["components"]["logs"]["ok"], false);
    assert_eq!(report["components"]["database"]["ok"], true);
}

#[test]
fn debug_panic_leaves_one_well_formed_scrubbed_report() {
    let sandbox = Sandbox::new();
    let planted = "reviewer jane.roe@firm-example.com card 4111 1111 1111 1111";
    let output = sandbox
        .kodiak()
        .args(["debug", "panic", "--message", planted])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(101));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("A crash report was saved to"), "{stderr}");
    assert!(!stderr.contains("jane.roe"), "{stderr}");

    let files: Vec<_> = std::fs::read_dir(sandbox.crash_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        !text.contains("jane.roe") && !text.contains("4111"),
        "{text}"
    );
    let report = json(text.as_bytes());
    assert_eq!(report["message"], "reviewer [email] card [number]");
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["os"], std::env::consts::OS);
    assert_eq!(report["arch"], std::env::consts::ARCH);
    assert_eq!(report["thread"], "main");
    assert!(report["location"].as_str().unwrap().starts_with("src/cli/"));
    assert!(!report["backtrace"].as_array().unwrap().is_empty());
    let events = report["recent_log_events"].as_array().unwrap();
    let last = events.last().unwrap();
    assert_eq!(last["message"], "panicking on request");
    assert_eq!(last["level"], "INFO");
    let id = report["id"].as_str().unwrap();
    assert_eq!(files[0].file_stem().unwrap().to_str().unwrap(), id);

    // list --json gives id, timestamp, message and path.
    let output = sandbox
        .kodiak()
        .args(["crash-reports", "list", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let listed = json(&output.stdout);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let entry = &listed[0];
    assert_eq!(entry["id"], id);
    assert_eq!(entry["timestamp"], report["timestamp"]);
    assert_eq!(entry["message"], report["message"]);
    assert_eq!(entry["path"], files[0].display().to_string());

    sandbox
        .kodiak()
        .args(["crash-reports", "show", id])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "message    reviewer [email] card [number]",
        ));
    sandbox
        .kodiak()
        .args(["crash-reports", "show", "no-such-report"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no crash report `no-such-report`"));

    // Health counts it.
    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    let health = json(&output.stdout);
    assert_eq!(health["components"]["crash_reports"]["count"], 1);
    assert_eq!(
        health["components"]["crash_reports"]["newest"],
        report["timestamp"]
    );

    sandbox
        .kodiak()
        .args(["crash-reports", "clear"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("removed 1 crash report(s)"));
    assert_eq!(std::fs::read_dir(sandbox.crash_dir()).unwrap().count(), 0);
}

#[test]
fn crash_folder_is_capped_at_max_reports() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[crash_reports]\nmax_reports = 3\n");
    for i in 0..5 {
        sandbox
            .kodiak()
            .args(["debug", "panic", "--message", &format!("crash number {i}")])
            .assert()
            .code(101);
    }
    let output = sandbox
        .kodiak()
        .args(["crash-reports", "list", "--json"])
        .output()
        .unwrap();
    let listed = json(&output.stdout);
    let messages: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["crash number 4", "crash number 3", "crash number 2"]
    );
    assert_eq!(std::fs::read_dir(sandbox.crash_dir()).unwrap().count(), 3);
}

#[test]
fn logs_are_written_to_rolling_files_as_json_lines() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[logging]\nformat = \"json\"\nlevel = \"debug\"\n");
    sandbox.kodiak().arg("health").assert().success();
    let files: Vec<_> = std::fs::read_dir(sandbox.log_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("kodiak.") && name.ends_with(".log"),
        "{name}"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let line = text
        .lines()
        .map(|l| json(l.as_bytes()))
        .find(|v| v["message"] == "kodiak started")
        .unwrap_or_else(|| panic!("no start event in {text}"));
    assert_eq!(line["level"], "DEBUG");
    assert_eq!(line["version"], env!("CARGO_PKG_VERSION"));
}
