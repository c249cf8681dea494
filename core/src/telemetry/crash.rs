//! Crash reports for air-gapped machines: one JSON file per panic in a capped local folder,
//! in place of a crash-reporting service.
//!
//! The panic hook writes synchronously (the non-blocking log writer may never flush once
//! the process is going down) and atomically, and scrubs the panic message and the recent
//! log events of anything that looks like PII.

use crate::timestamp::Timestamp;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

use super::recent::{LogEvent, RecentEvents};
use crate::scrub;

use crate::config::Settings;
use crate::files;

/// Where reports go and how many are kept.
#[derive(Debug, Clone)]
pub struct CrashSettings {
    pub dir: PathBuf,
    pub max_reports: usize,
    pub max_total_bytes: u64,
}

impl CrashSettings {
    /// Where crash reports go and how many are kept, from the settings.
    pub fn from_settings(settings: &Settings) -> CrashSettings {
        let crash = &settings.config.crash_reports;
        CrashSettings {
            dir: settings.paths.crash_dir.clone(),
            max_reports: crash.max_reports,
            max_total_bytes: crash.max_total_bytes,
        }
    }
}

/// Everything a crash report holds. Serialized as pretty JSON so it reads well in a pager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrashReport {
    pub id: String,
    /// UTC, RFC 3339.
    pub timestamp: Timestamp,
    pub version: String,
    pub os: String,
    pub arch: String,
    pub thread: String,
    pub message: String,
    pub location: Option<String>,
    pub backtrace: Vec<String>,
    pub recent_log_events: Vec<LogEvent>,
}

/// One line of `kodiak crash-reports list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub id: String,
    /// None when the report cannot be read.
    pub timestamp: Option<Timestamp>,
    pub message: String,
    pub path: PathBuf,
}

/// Why a crash report could not be listed, read or written.
#[derive(Debug, thiserror::Error)]
pub enum CrashError {
    #[error("no crash report `{id}` in {}; `kodiak crash-reports list` shows the ids", dir.display())]
    NotFound { id: String, dir: PathBuf },
    #[error("crash report {} is unreadable: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot access crash reports in {}: {source}", dir.display())]
    Io { dir: PathBuf, source: io::Error },
}

const EXTENSION: &str = "json";

/// Installs the panic hook that writes a report and tells the user where it is.
///
/// Front ends that take over the terminal install their own hook on top of this one that
/// restores the terminal first and then calls this one (the pattern of `ratatui::init`), so
/// the message below lands on a usable screen.
pub fn install_panic_hook(settings: CrashSettings, recent: RecentEvents) {
    std::panic::set_hook(Box::new(move |info| {
        if crate::panics::panic_is_expected() {
            return; // caught and reported by `expecting_panics`' caller
        }
        let report = CrashReport::capture(
            info.payload_as_str()
                .unwrap_or("panic with a non-text payload"),
            info.location().map(|l| l.to_string()),
            recent.snapshot(),
        );
        eprintln!("\nKodiak crashed: {}", report.message);
        match write_report(&settings, &report) {
            Ok(path) => eprintln!(
                "A crash report was saved to {}\n(`kodiak crash-reports show {}` displays it). \
                 Your stored work is safe.",
                path.display(),
                report.id
            ),
            Err(e) => eprintln!(
                "The crash report could not be saved in {}: {e}",
                settings.dir.display()
            ),
        }
    }));
}

impl CrashReport {
    /// Builds a report for a panic happening now on this thread. The message and events
    /// are scrubbed here, so nothing unscrubbed is ever written.
    pub fn capture(message: &str, location: Option<String>, events: Vec<LogEvent>) -> CrashReport {
        let backtrace = std::backtrace::Backtrace::force_capture().to_string();
        let thread = std::thread::current()
            .name()
            .unwrap_or("<unnamed>")
            .to_owned();
        let mut report = CrashReport::of_another(&thread, message, events);
        report.location = location;
        report.backtrace = backtrace.lines().map(str::to_owned).collect();
        report
    }

    /// A report of a crash Kodiak saw happen elsewhere (a model worker process): no
    /// location or backtrace of this process, which did not crash. `events` must already
    /// be scrubbed; the message is scrubbed here.
    pub fn of_another(thread: &str, message: &str, events: Vec<LogEvent>) -> CrashReport {
        static SEQUENCE: AtomicU32 = AtomicU32::new(0);
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second][subsecond digits:3]Z"
            ))
            .unwrap_or_else(|_| now.unix_timestamp().to_string());
        let id = format!(
            "{stamp}-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        CrashReport {
            id,
            timestamp: Timestamp::from_datetime(now).whole_second(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            thread: thread.to_owned(),
            message: scrub::mask(message).into_owned(),
            location: None,
            backtrace: Vec::new(),
            recent_log_events: events,
        }
    }
}

/// Writes `report` atomically into the crash folder, then trims the folder to its caps.
pub fn write_report(settings: &CrashSettings, report: &CrashReport) -> io::Result<PathBuf> {
    files::create_private_dir(&settings.dir)?;
    let path = settings.dir.join(format!("{}.{EXTENSION}", report.id));
    let json = serde_json::to_vec_pretty(report).map_err(io::Error::other)?;
    files::write_atomic(&path, &json)?;
    prune(settings)?;
    Ok(path)
}

/// Report files, oldest first (ids start with a UTC timestamp, so names sort by time).
fn report_files(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    let mut found = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let is_report = path.extension().is_some_and(|e| e == EXTENSION)
            && !entry.file_name().to_string_lossy().starts_with('.');
        if is_report && entry.file_type()?.is_file() {
            found.push((path, entry.metadata()?.len()));
        }
    }
    found.sort();
    Ok(found)
}

/// Keeps the newest `max_reports` reports within `max_total_bytes`; the newest report is
/// always kept, whatever its size.
fn prune(settings: &CrashSettings) -> io::Result<()> {
    let reports = report_files(&settings.dir)?;
    let mut total: u64 = reports.iter().map(|(_, size)| size).sum();
    let mut count = reports.len();
    for (path, size) in &reports {
        if count <= 1 || (count <= settings.max_reports && total <= settings.max_total_bytes) {
            break;
        }
        fs::remove_file(path)?;
        count -= 1;
        total -= size;
    }
    Ok(())
}

fn io_error(dir: &Path) -> impl FnOnce(io::Error) -> CrashError + '_ {
    move |source| CrashError::Io {
        dir: dir.to_path_buf(),
        source,
    }
}

/// All reports, newest first. An unreadable file is listed with its problem as the message.
pub fn list(dir: &Path) -> Result<Vec<Summary>, CrashError> {
    let mut summaries: Vec<Summary> = report_files(dir)
        .map_err(io_error(dir))?
        .into_iter()
        .map(|(path, _)| match read_file(&path) {
            Ok(report) => Summary {
                id: report.id,
                timestamp: Some(report.timestamp),
                message: report.message,
                path,
            },
            Err(e) => Summary {
                id: id_of(&path),
                timestamp: None,
                message: e.to_string(),
                path,
            },
        })
        .collect();
    summaries.reverse();
    Ok(summaries)
}

fn id_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_file(path: &Path) -> Result<CrashReport, CrashError> {
    let corrupt = |reason: String| CrashError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = fs::read(path).map_err(|e| corrupt(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))
}

/// The report with this id. Ids are file names Kodiak made, so anything with a path
/// separator or a leading dot is simply not found.
pub fn read(dir: &Path, id: &str) -> Result<CrashReport, CrashError> {
    let not_found = || CrashError::NotFound {
        id: id.to_owned(),
        dir: dir.to_path_buf(),
    };
    let valid = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(not_found());
    }
    let path = dir.join(format!("{id}.{EXTENSION}"));
    if !path.is_file() {
        return Err(not_found());
    }
    read_file(&path)
}

/// Deletes every report; returns how many there were.
pub fn clear(dir: &Path) -> Result<usize, CrashError> {
    let reports = report_files(dir).map_err(io_error(dir))?;
    for (path, _) in &reports {
        fs::remove_file(path).map_err(io_error(dir))?;
    }
    Ok(reports.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path, max_reports: usize, max_total_bytes: u64) -> CrashSettings {
        CrashSettings {
            dir: dir.to_path_buf(),
            max_reports,
            max_total_bytes,
        }
    }

    #[test]
    fn report_round_trips_and_is_scrubbed() {
        let dir = tempfile::tempdir().unwrap();
        let report = CrashReport::capture(
            "failed for bob@example.org, account 12345678901",
            Some("src/x.rs:1:2".into()),
            Vec::new(),
        );
        assert_eq!(report.message, "failed for [email], account [number]");
        let path = write_report(&settings(dir.path(), 5, 1 << 20), &report).unwrap();
        assert_eq!(read(dir.path(), &report.id).unwrap(), report);
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].path, path);
        assert!(!fs::read_to_string(path).unwrap().contains("bob@"));
    }

    #[test]
    fn prune_keeps_newest_by_count_and_by_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut ids = Vec::new();
        for i in 0..6 {
            let report = CrashReport::capture(&format!("crash {i}"), None, Vec::new());
            write_report(&settings(dir.path(), 4, 1 << 30), &report).unwrap();
            ids.push(report.id);
        }
        let listed: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        let newest: Vec<String> = ids.iter().rev().take(4).cloned().collect();
        assert_eq!(listed, newest);

        // A byte cap smaller than one report still keeps the newest.
        let report = CrashReport::capture("big", None, Vec::new());
        write_report(&settings(dir.path(), 100, 10), &report).unwrap();
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, report.id);
    }

    #[test]
    fn unknown_ids_and_traversal_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["nope", "../etc/passwd", ".hidden", ""] {
            assert!(
                matches!(read(dir.path(), id), Err(CrashError::NotFound { .. })),
                "{id}"
            );
        }
    }

    #[test]
    fn corrupt_report_is_listed_with_its_problem() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("20260101T000000000Z-1-0.json"),
            b"{ not json",
        )
        .unwrap();
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].message.contains("unreadable"));
        assert_eq!(clear(dir.path()).unwrap(), 1);
        assert!(list(dir.path()).unwrap().is_empty());
    }
}
