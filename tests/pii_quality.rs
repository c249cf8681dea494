//! PII detection quality on the labelled set `cargo bench --bench pii` prints figures for:
//! sentences in the style of Presidio's evaluation data and legal near misses, generated
//! with a fixed seed, so the figures are the same on every run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/mod.rs"]
mod support;

use kodiak::config::PiiConfig;
use kodiak::pii::Detector;
use support::pii_set;

fn evaluation() -> pii_set::Evaluation {
    let detector = Detector::new(&PiiConfig::default()).unwrap();
    pii_set::evaluate(&pii_set::generate(100), |text| {
        detector
            .scan(text)
            .into_iter()
            .map(|f| (f.kind.to_string(), f.start..f.end))
            .collect()
    })
}

#[test]
fn the_generated_labelled_set_scores_a_micro_f1_of_at_least_0_95_and_phone_recall_of_0_9() {
    let evaluation = evaluation();
    let micro = evaluation.micro.f1();
    assert!(
        micro >= 0.95,
        "micro-F1 {micro:.3}; missed {:?}; false {:?}",
        evaluation.missed,
        evaluation.false_positives
    );
    let phone = evaluation.per_type["PHONE_NUMBER"];
    assert!(
        phone.recall() >= 0.9,
        "phone recall {:.3}: {:?}",
        phone.recall(),
        evaluation.missed
    );
}

#[test]
fn no_near_miss_of_the_generated_set_is_reported_as_pii() {
    let evaluation = evaluation();
    let near_misses: Vec<_> = evaluation
        .false_positives
        .iter()
        .filter(|(_, _, sentence)| {
            pii_set::generate(100)
                .iter()
                .any(|s| s.labels.is_empty() && &s.text == sentence)
        })
        .collect();
    assert!(near_misses.is_empty(), "{near_misses:?}");
}
