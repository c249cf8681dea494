//! The embedder's breaker and a query embedding left unused: a search that fails before it
//! waits for its query's vector drops it, and a half-open breaker's trial must still end.
//! A process of its own, as the crash switch it sets is read from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::guard::BreakerState;
use kodiak::llm::worker::CRASH_SWITCH_VARIABLE;

fn embedder_breaker(kodiak: &Kodiak) -> BreakerState {
    kodiak
        .health()
        .components
        .breakers
        .into_iter()
        .find(|b| b.name == "embedder")
        .expect("an embedder breaker")
        .state
}

#[test]
fn a_query_embedding_left_unused_still_ends_the_embedder_breakers_trial() {
    let models = kodiak::config::default_models_dir();
    assert!(
        models.join(kodiak::config::DEFAULT_EMBEDDER_FILE).is_file(),
        "this test needs the default models in {}: run scripts/fetch-models",
        models.display()
    );
    // The first embedder worker dies at its first request, as native code would; the
    // workers after it answer.
    // SAFETY: this test binary holds this one test; nothing else reads the environment.
    unsafe { std::env::set_var(CRASH_SWITCH_VARIABLE, "embedder,after=0,times=1") };
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.generator.enabled = false;
    config.breakers.failure_threshold = 1;
    config.breakers.reset_timeout_secs = 0;
    let settings =
        Settings::in_dir(dir.path(), config).with_engine(env!("CARGO_BIN_EXE_kodiak-engine"));
    let kodiak = Kodiak::open(settings).unwrap();
    let failed = kodiak.start_query_embedding("deposit").unwrap().wait();
    assert!(failed.is_err(), "the first worker crashed");
    assert_eq!(embedder_breaker(&kodiak), BreakerState::Open);

    // The trial starts when the query is handed over; dropped unused, it still ends.
    let query = kodiak.start_query_embedding("deposit").unwrap();
    assert_eq!(embedder_breaker(&kodiak), BreakerState::HalfOpen);
    drop(query);
    assert_eq!(embedder_breaker(&kodiak), BreakerState::Closed);
    let vector = kodiak
        .start_query_embedding("deposit")
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(vector.full.unwrap()[0].len(), 384);
}
