//! The search of every document.

use super::*;

/// Passages from the lease (two) and the board minutes (one), best first.
fn outcome() -> kodiak::service::SearchOutcome {
    let mut minutes = hit(3);
    minutes.doc_id = 2;
    minutes.title = "Board minutes".into();
    minutes.char_start = 100;
    minutes.char_end = 180;
    minutes.snippet = "the **rent** review was postponed".into();
    kodiak::service::SearchOutcome {
        mode: kodiak::search::Mode::Hybrid,
        hits: vec![hit(1), minutes, hit(2)],
        notes: Vec::new(),
    }
}

fn searched(app: &mut App, query: &str) -> u64 {
    let effects = press(app, prompted('S', query));
    match effects.as_slice() {
        [
            Effect::Job {
                request,
                job:
                    Job::Search {
                        query: q,
                        mode: None,
                    },
            },
        ] if q == query => *request,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_search_of_every_document_groups_passages_by_document_and_enter_opens_one_highlighted() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    let request = searched(&mut app, "rent");
    assert!(screen(&app).contains("searching…"));
    press(
        &mut app,
        [Msg::SearchResults {
            request,
            result: Ok(outcome()),
        }],
    );
    let shown = screen(&app);
    assert!(shown.contains("┌ Search: rent"), "{shown}");
    assert!(
        shown.contains("3 passages in 2 documents · 3 with the terms · m: exact only"),
        "{shown}"
    );
    assert!(shown.contains("Residential lease · 2 hits"), "{shown}");
    assert!(shown.contains("Board minutes · 1 hit"), "{shown}");
    // The lease's two passages come first, then the minutes'.
    press(&mut app, [ch('j'), ch('j')]);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Job {
                job: Job::OpenDocument {
                    doc_id: 2,
                    focus: Some(Focus {
                        passage: (100, 180),
                        about: Some(about),
                    }),
                },
                ..
            }] if about == "rent"
        ),
        "{effects:?}"
    );
    // The viewer's Esc comes back to the results, theirs to the list.
    press(
        &mut app,
        [Msg::Document {
            request: effects[0].request().unwrap(),
            result: Ok(Box::new(lease(Some(Focus::passage(0, 10))))),
        }],
    );
    assert!(app.viewer.is_some());
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app).contains("Board minutes · 1 hit"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app).contains("Documents (3)"), "{}", screen(&app));
}

#[test]
fn the_search_prompt_recalls_earlier_queries_with_up() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    searched(&mut app, "rent");
    searched(&mut app, "\"security deposit\"");
    press(&mut app, [ch('S'), key(KeyCode::Up)]);
    let text = |app: &App| match &app.overlay {
        Some(crate::tui::app::Overlay::Prompt { input, .. }) => input.text().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(text(&app), "\"security deposit\"");
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(text(&app), "rent");
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    assert_eq!(text(&app), "");
}

#[test]
fn a_reply_to_an_older_search_is_dropped() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    let old = searched(&mut app, "rent");
    let _new = searched(&mut app, "deposit");
    press(
        &mut app,
        [Msg::SearchResults {
            request: old,
            result: Ok(outcome()),
        }],
    );
    assert!(screen(&app).contains("searching…"), "{}", screen(&app));
}

#[test]
fn passages_found_by_meaning_are_counted_apart_and_m_switches_to_exact_terms_and_back() {
    let mut app = app(100, 30);
    show_list(&mut app, rows());
    let request = searched(&mut app, "rent");
    // The minutes' passage was found by meaning alone.
    let mut found = outcome();
    found.hits[1].bm25_rank = None;
    found.hits[1].vector_rank = Some(1);
    press(
        &mut app,
        [Msg::SearchResults {
            request,
            result: Ok(found),
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("3 passages in 2 documents · 2 with the terms · m: exact only"),
        "{shown}"
    );
    assert!(shown.contains("Residential lease · 2 hits"), "{shown}");
    assert!(shown.contains("Board minutes · 1 by meaning"), "{shown}");
    assert!(shown.contains("≈p.3"), "{shown}");
    // m: exact terms only.
    let effects = press(&mut app, [ch('m')]);
    let [
        Effect::Job {
            request,
            job: Job::Search { query, mode },
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!((query.as_str(), *mode), ("rent", Some(Mode::Bm25)));
    let mut exact = outcome();
    exact.mode = Mode::Bm25;
    exact.hits.remove(1);
    press(
        &mut app,
        [Msg::SearchResults {
            request: *request,
            result: Ok(exact),
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("2 passages in 1 document · exact terms · m: by meaning too"),
        "{shown}"
    );
    // m again: by meaning too.
    let effects = press(&mut app, [ch('m')]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Job {
                job: Job::Search {
                    mode: Some(Mode::Hybrid),
                    ..
                },
                ..
            }]
        ),
        "{effects:?}"
    );
}
