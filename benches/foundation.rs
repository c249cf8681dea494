//! Foundation benchmarks: the health check (goal: p50 under 10 ms) and one crash-report
//! write. Run with `cargo bench --bench foundation`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::telemetry::LogEvent;
use kodiak::telemetry::crash::{self, CrashReport, CrashSettings};
use support::Samples;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings =
        Settings::in_dir(dir.path(), Config::default()).with_engine(env!("CARGO_BIN_EXE_kodiak"));
    kodiak::files::create_private_dir(&settings.paths.log_dir).expect("log dir");
    let kodiak = Kodiak::open(settings.clone()).expect("open data dir");

    println!(
        "Kodiak foundation benchmarks ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    Samples::measure("health check", 50, 2_000, || {
        std::hint::black_box(kodiak.health());
    })
    .report(Some(Duration::from_millis(10)));

    // An audit entry: read the head, hash, insert, commit (WAL, synchronous = NORMAL).
    let mut n = 0u64;
    Samples::measure("audit log append", 50, 2_000, || {
        n += 1;
        kodiak
            .record(kodiak::service::Event::Review {
                doc_id: n as i64,
                mark: "reviewed".into(),
            })
            .unwrap();
    })
    .report(Some(Duration::from_millis(1)));

    let crash_settings = CrashSettings {
        dir: settings.paths.crash_dir.clone(),
        max_reports: 20,
        max_total_bytes: 10 * 1024 * 1024,
    };
    let events: Vec<LogEvent> = (0..50)
        .map(|i| LogEvent {
            timestamp: kodiak::timestamp::Timestamp::parse("2026-11-22T11:00:00Z").unwrap(),
            level: "INFO".into(),
            target: "kodiak::bench".into(),
            message: format!("event {i}"),
            fields: [("n".to_owned(), i.to_string())].into(),
        })
        .collect();
    Samples::measure("crash report capture", 5, 100, || {
        std::hint::black_box(CrashReport::capture("bench panic", None, events.clone()));
    })
    .report(None);
    let report = CrashReport::capture("bench panic", None, events);
    Samples::measure("crash report write+prune", 5, 200, || {
        let mut report = report.clone();
        report.id = format!("{}-{}", report.id, rand_suffix());
        crash::write_report(&crash_settings, &report).unwrap();
    })
    .report(None);
}

/// A distinct id per write, so each one creates a file and pruning has work to do.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
