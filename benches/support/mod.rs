//! Timing helpers shared by Kodiak's benchmarks: they print figures, they never assert.
#![allow(dead_code)]

pub mod clauses;
pub mod contracts;
pub mod corpus;
pub mod mailbox;
pub mod pii_contracts;
pub mod pii_set;
pub mod scans;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where CUAD's train half is: `KODIAK_CUAD_DIR`, else `../shared/data/cuad-train`.
pub fn cuad_dir() -> PathBuf {
    std::env::var_os("KODIAK_CUAD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/cuad-train"))
}

/// Megabytes of 10^6 bytes, the unit the performance goals are stated in.
pub fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

/// Latency samples of one operation.
pub struct Samples {
    pub name: &'static str,
    durations: Vec<Duration>,
}

impl Samples {
    /// Runs `op` `warmup` times unmeasured, then `runs` times measured.
    pub fn measure(
        name: &'static str,
        warmup: usize,
        runs: usize,
        mut op: impl FnMut(),
    ) -> Samples {
        for _ in 0..warmup {
            op();
        }
        let mut durations = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            op();
            durations.push(started.elapsed());
        }
        Samples::from_durations(name, durations)
    }

    /// Samples measured elsewhere, e.g. interleaved with another engine's.
    pub fn from_durations(name: &'static str, mut durations: Vec<Duration>) -> Samples {
        durations.sort();
        Samples { name, durations }
    }

    /// The `p`-th percentile (0-100), nearest rank.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.durations.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.durations.len() as f64).ceil() as usize;
        self.durations[rank.clamp(1, self.durations.len()) - 1]
    }

    pub fn mean(&self) -> Duration {
        let total: Duration = self.durations.iter().sum();
        total / self.durations.len().max(1) as u32
    }

    /// Prints one line: count, p50, p99, mean, and the goal for p50 when there is one.
    pub fn report(&self, goal_p50: Option<Duration>) {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let p50 = self.percentile(50.0);
        let goal = goal_p50
            .map(|g| {
                let verdict = if p50 < g { "met" } else { "MISSED" };
                format!("  goal p50 < {} ms: {verdict}", ms(g))
            })
            .unwrap_or_default();
        println!(
            "{:<28} n={:<6} p50 {:>8.3} ms  p99 {:>8.3} ms  mean {:>8.3} ms{goal}",
            self.name,
            self.durations.len(),
            ms(p50),
            ms(self.percentile(99.0)),
            ms(self.mean()),
        );
    }
}

/// A second connection pool on Kodiak's database, for checks the service does not offer:
/// the service keeps its own to itself.
pub fn database_of(kodiak: &kodiak::Kodiak) -> kodiak::storage::Database {
    let settings = kodiak.settings();
    kodiak::storage::Database::open(&settings.paths.database, &settings.config.database)
        .expect("open the database")
}
