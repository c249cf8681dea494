//! Health: statuses, warnings and the rows people read.

use super::rows::coarse_latency;
use super::*;

/// Every part well, the embedder with `vectors` and `missing` chunks without, the
/// generator breaker with `failures` in a row.
fn components(vectors: usize, missing: usize, failures: u32) -> Components {
    let dir = PathBuf::from("/data");
    Components {
        database: DatabaseHealth {
            ok: true,
            latency_ms: Some(0.1),
            pool: None,
            path: dir.join("kodiak.db"),
            schema_version: Some(7),
            integrity: None,
            error: None,
        },
        search_index: IndexHealth {
            ok: true,
            directory: dir.join("index"),
            chunks: Some(u64::try_from(vectors + missing).unwrap()),
            applied_change: None,
            documents: None,
            size_bytes: None,
            last_commit: None,
            error: None,
        },
        logs: LogsHealth {
            ok: true,
            directory: dir.join("logs"),
            error: None,
        },
        crash_reports: CrashReportsHealth {
            ok: true,
            directory: dir.join("crashes"),
            count: 0,
            newest: None,
            error: None,
        },
        ocr: OcrHealth {
            ok: true,
            state: OcrState::Ready,
            tesseract: Some("5.3.0".into()),
            languages: vec!["eng".into()],
            error: None,
        },
        network: NetworkHealth {
            ok: true,
            state: NetworkState::Blocked,
            wanted: true,
            blocked: Vec::new(),
        },
        llm: Some(ModelHealth {
            ok: true,
            state: ModelState::Ready,
            ..ModelHealth::default()
        }),
        embedder: Some(ModelHealth {
            ok: true,
            state: ModelState::Ready,
            vectors: Some(vectors),
            missing_vectors: Some(missing),
            warning: ModelHealth::missing_vectors_warning(vectors, missing),
            ..ModelHealth::default()
        }),
        vectors: Some(VectorStatus {
            choice: VectorChoice::Full,
            chosen_here: false,
            fast: Coverage {
                with_vectors: vectors + missing,
                chunks: vectors + missing,
            },
            full: Coverage {
                with_vectors: vectors,
                chunks: vectors + missing,
            },
        }),
        breakers: vec![BreakerStatus {
            name: "generator",
            state: BreakerState::Closed,
            failures,
            retry_in_secs: None,
        }],
        rate_limit: None,
        resources: ResourcesHealth {
            ok: true,
            rss_bytes: None,
            data_dir_free_bytes: None,
        },
    }
}

fn report(components: Components) -> HealthReport {
    HealthReport {
        status: components.status(),
        version: "test",
        timestamp: crate::timestamp::Timestamp::parse("2026-11-26T10:00:00Z").unwrap(),
        components,
    }
}

fn row<'a>(report: &'a [HealthRow], component: &str) -> &'a HealthRow {
    report.iter().find(|r| r.component == component).unwrap()
}

#[test]
fn most_chunks_without_vectors_degrade_the_embedder_and_say_search_is_keyword_only() {
    let degraded = report(components(383, 14_065, 0));
    assert_eq!(degraded.status, Status::Degraded);
    let rows = rows(&degraded);
    let embedder = row(&rows, "embedder");
    assert_eq!(embedder.status, Status::Degraded);
    assert!(
        embedder.detail.starts_with(
            "search is keyword-only for 98% of chunks (14065 of 14448 have no vector): \
             run `kodiak reembed`"
        ),
        "{}",
        embedder.detail
    );
    // A few chunks still waiting are no news.
    let healthy = report(components(990, 10, 0));
    assert_eq!(healthy.status, Status::Healthy);
    assert_eq!(
        row(&super::rows(&healthy), "embedder").status,
        Status::Healthy
    );
}

#[test]
fn a_closed_breaker_with_failures_in_a_row_is_degraded_and_says_what_failed() {
    let degraded = report(components(10, 0, 2));
    assert_eq!(degraded.status, Status::Degraded);
    let rows = rows(&degraded);
    let breaker = row(&rows, "breaker generator");
    assert_eq!(breaker.status, Status::Degraded);
    assert!(
        breaker.detail.starts_with("the last 2 answers failed"),
        "{}",
        breaker.detail
    );
    assert_eq!(report(components(10, 0, 0)).status, Status::Healthy);
}

#[test]
fn a_decode_under_a_quarter_of_the_best_since_loading_warns() {
    let warning = ModelHealth::slow_decode_warning(Some(0.5), Some(62.0)).unwrap();
    assert!(warning.contains("0.5 tokens/s"), "{warning}");
    assert!(warning.contains("62.0 tokens/s"), "{warning}");
    assert_eq!(
        ModelHealth::slow_decode_warning(Some(40.0), Some(62.0)),
        None
    );
    assert_eq!(ModelHealth::slow_decode_warning(Some(0.5), None), None);
    let mut slow = components(10, 0, 0);
    if let Some(llm) = &mut slow.llm {
        llm.warning = Some(warning);
    }
    let degraded = report(slow);
    assert_eq!(degraded.status, Status::Degraded);
    assert_eq!(row(&rows(&degraded), "generator").status, Status::Degraded);
}

#[test]
fn a_round_trip_jittering_under_10_ms_shows_one_text_and_slower_ones_are_rounded() {
    for ms in [0.05, 0.4, 1.0, 1.6, 9.9] {
        assert_eq!(coarse_latency(ms), "under 10 ms", "{ms}");
    }
    assert_eq!(coarse_latency(14.0), "about 10 ms");
    assert_eq!(coarse_latency(96.0), "about 100 ms");
    assert_eq!(coarse_latency(250.0), "about 300 ms");
}

#[test]
fn the_vectors_row_names_the_choice_and_how_far_each_kind_has_come() {
    let status = |choice, fast: (usize, usize), full: (usize, usize)| VectorStatus {
        choice,
        chosen_here: true,
        fast: Coverage {
            with_vectors: fast.0,
            chunks: fast.1,
        },
        full: Coverage {
            with_vectors: full.0,
            chunks: full.1,
        },
    };
    assert_eq!(
        status(VectorChoice::Full, (12_345, 12_345), (1_481, 12_345)).words(),
        "full · fast vectors 100% · full vectors 11% (1481 of 12345)"
    );
    assert_eq!(
        status(VectorChoice::Fast, (9, 10), (0, 10)).words(),
        "fast · fast vectors 90% (9 of 10)"
    );
    assert_eq!(
        status(VectorChoice::None, (0, 10), (0, 10)).words(),
        "none: search by words alone"
    );
    // An empty matter lacks nothing.
    assert_eq!(
        status(VectorChoice::Fast, (0, 0), (0, 0)).fast.percent(),
        100
    );
}
