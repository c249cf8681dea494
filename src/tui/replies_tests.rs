//! Replies that come late, out of order, or never: each test reproduces a way the UI was
//! left wrong by its background jobs.

use kodiak::ingest::IngestPhase;
use kodiak::storage::review::{Review, ReviewStatus};

use super::app::{Effect, Job, Msg};
use super::tests::{app, ch, press, prompted, rows};

/// The request of the one `LoadDocuments` in `effects`.
fn load_request(effects: &[Effect]) -> u64 {
    match effects {
        [
            Effect::Job {
                request,
                job: Job::LoadDocuments,
            },
        ] => *request,
        other => panic!("{other:?}"),
    }
}

fn documents(request: u64, titles: &[&str]) -> Msg {
    let mut rows = rows();
    rows.truncate(titles.len());
    for (row, title) in rows.iter_mut().zip(titles) {
        row.title = Some((*title).to_owned());
    }
    Msg::Documents {
        request,
        result: Ok(rows),
    }
}

fn titles(app: &super::app::App) -> Vec<String> {
    app.docs
        .rows
        .iter()
        .filter_map(|r| r.title.clone())
        .collect()
}

/// Shows the first list (with nothing left to embed from before), starts an ingest and
/// reads as far as its first list reload; returns the ingest's request and that reload's.
fn ingesting(app: &mut super::app::App) -> (u64, u64) {
    let started = app.start();
    let first = load_request(&started[..1]);
    let Some(Effect::Job {
        request: resume,
        job: Job::ResumeEmbedding,
    }) = started.last().cloned()
    else {
        panic!("{started:?}");
    };
    press(
        app,
        [
            Msg::Documents {
                request: first,
                result: Ok(rows()),
            },
            Msg::IngestDone {
                request: resume,
                result: Ok("embedded 0 chunks left from before".into()),
            },
        ],
    );
    let ingest = press(app, prompted('i', "/cases"))[0].request().unwrap();
    let progress = |done| Msg::IngestProgress {
        request: ingest,
        done,
        total: 40,
        phase: IngestPhase::Reading,
    };
    (ingest, load_request(&press(app, [progress(20)])))
}

#[test]
fn an_older_document_list_arriving_last_never_replaces_a_newer_one() {
    let mut app = app(120, 40);
    let (ingest, older) = ingesting(&mut app);
    let newer = load_request(&press(
        &mut app,
        [Msg::IngestProgress {
            request: ingest,
            done: 40,
            total: 40,
            phase: IngestPhase::Indexing,
        }],
    ));
    assert!(newer > older);
    press(&mut app, [documents(newer, &["one", "two", "three"])]);
    press(&mut app, [documents(older, &["one"])]);
    assert_eq!(titles(&app), ["one", "two", "three"]);
}

#[test]
fn a_list_read_before_a_review_was_written_cannot_undo_the_review() {
    let mut app = app(120, 40);
    let (_, before_review) = ingesting(&mut app);
    let review = press(&mut app, [ch('r')])[0].request().unwrap();
    let flagged = Review {
        status: ReviewStatus::Reviewed,
        ..rows()[0].review.clone()
    };
    let effects = press(
        &mut app,
        [Msg::Reviewed {
            request: review,
            doc_id: 1,
            result: Ok(flagged),
        }],
    );
    // The list on its way is stale now: it is read again.
    let again = load_request(&effects);
    assert!(again > before_review);
    press(&mut app, [documents(before_review, &["stale"])]);
    assert_eq!(app.docs.rows[0].review.status, ReviewStatus::Reviewed);
    press(&mut app, [documents(again, &["fresh"])]);
    assert_eq!(titles(&app), ["fresh"]);
}

#[test]
fn only_a_panic_that_ends_the_process_restores_the_terminal() {
    assert!(super::restores_terminal());
    let caught = kodiak::panics::expecting_panics(super::restores_terminal).unwrap();
    assert!(!caught, "a caught panic leaves the terminal to the UI");
}
