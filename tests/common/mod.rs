//! Shared helpers for tests that run the real `kodiak` binary in a private sandbox.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A throwaway home: config, data and state directories all live in one temp dir, and no
/// KODIAK_* variable from the caller's environment leaks in.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_file(&self) -> PathBuf {
        self.path().join("config/kodiak/config.toml")
    }

    pub fn write_config(&self, text: &str) {
        let file = self.config_file();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data/kodiak")
    }

    pub fn crash_dir(&self) -> PathBuf {
        self.path().join("state/kodiak/crash-reports")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.path().join("state/kodiak/logs")
    }

    /// Runs `kodiak ARGS`, which must succeed, and returns what it printed.
    pub fn stdout(&self, args: &[&str]) -> String {
        let output = self.kodiak().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `kodiak ARGS`, which must succeed and print JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.stdout(args)).unwrap()
    }

    /// The kodiak binary as a plain process in the sandbox's environment, for tests that
    /// signal it or read its output as it comes.
    #[allow(dead_code)] // not every test binary signals Kodiak
    pub fn plain(&self) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("kodiak"));
        command.env_clear();
        for (key, value) in self.kodiak().get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        command
    }

    pub fn kodiak(&self) -> Command {
        let mut cmd = Command::cargo_bin("kodiak").unwrap();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            // The default models, fetched once by the setup, not into every sandbox.
            .env("KODIAK_MODELS_DIR", kodiak::config::default_models_dir())
            .env("RUST_BACKTRACE", "0")
            // A command that hangs is killed and the test fails, instead of waiting forever.
            .timeout(std::time::Duration::from_secs(600));
        cmd
    }
}

/// A second connection pool on Kodiak's database, for checks the service does not offer:
/// the service keeps its own to itself.
pub fn database_of(kodiak: &kodiak::Kodiak) -> kodiak::storage::Database {
    let settings = kodiak.settings();
    kodiak::storage::Database::open(&settings.paths.database, &settings.config.database)
        .expect("open the database")
}

/// Polls `poll` every 20 ms until it gives a value; fails naming `what` after `limit`, so a
/// test never hangs on something that does not come.
pub fn wait_until<T>(
    what: &str,
    limit: std::time::Duration,
    mut poll: impl FnMut() -> Option<T>,
) -> T {
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = poll() {
            return value;
        }
        assert!(
            started.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits for `child` to end; fails (killing it) after `limit`.
pub fn wait_for_exit(
    child: &mut std::process::Child,
    what: &str,
    limit: std::time::Duration,
) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            panic!("{what} did not end within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
