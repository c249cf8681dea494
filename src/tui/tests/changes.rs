//! Changes another process makes to the matter: seen by their stamp, reloading what is
//! shown and nothing when the stamp stands still.

use super::*;
use kodiak::service::DataStamp;

/// The document list's request among `effects`.
fn list_request(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Job {
                request,
                job: Job::LoadDocuments,
            } => Some(*request),
            _ => None,
        })
        .unwrap()
}

/// The rows with one more, as after another process added a document.
fn rows_and_one_added_elsewhere() -> Vec<ReportRow> {
    let mut more = rows();
    let mut added = more[0].clone();
    added.doc_id = 99;
    added.path = "/docs/added-elsewhere.txt".into();
    more.push(added);
    more
}

/// The stamp the worker reads for a look the app asked for.
fn stamp_reply(app: &mut App, audit_seq: i64) -> Vec<Effect> {
    let asked = press(app, [Msg::ChangesDue]);
    let request = match asked[..] {
        [
            Effect::Job {
                request,
                job: Job::CheckChanges,
            },
        ] => request,
        _ => panic!("{asked:?}"),
    };
    press(
        app,
        [Msg::DataStamp {
            request,
            result: Ok(DataStamp {
                audit_seq,
                index_change: Some(audit_seq),
                checklist_cells: None,
            }),
        }],
    )
}

#[test]
fn the_first_stamp_and_an_unchanged_one_reload_nothing_and_draw_nothing() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    app.dirty = false;
    assert!(stamp_reply(&mut app, 7).is_empty());
    assert!(stamp_reply(&mut app, 7).is_empty());
    assert!(!app.dirty, "an idle session draws nothing");
}

#[test]
fn a_changed_stamp_reloads_the_list_health_and_the_search_shown() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    stamp_reply(&mut app, 7);
    press(&mut app, prompted('S', "rent"));
    let effects = stamp_reply(&mut app, 9);
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Job {
                job: Job::LoadDocuments,
                ..
            }
        )),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Job {
                job: Job::RefreshHealth,
                ..
            }
        )),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Job { job: Job::Search { query, .. }, .. } if query == "rent")
        ),
        "{effects:?}"
    );
}

#[test]
fn the_list_read_again_keeps_the_cursor_on_its_document() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    press(&mut app, [ch('j')]);
    let selected = app.docs.selected_row().map(|r| r.doc_id);
    assert!(selected.is_some());
    // Another process added a document: the new list holds one more row.
    let more = rows_and_one_added_elsewhere();
    let effects = stamp_reply(&mut app, 1);
    assert!(effects.is_empty());
    let effects = stamp_reply(&mut app, 2);
    let request = list_request(&effects);
    press(
        &mut app,
        [Msg::Documents {
            request,
            result: Ok(more),
        }],
    );
    assert_eq!(app.docs.rows.len(), rows().len() + 1);
    assert_eq!(app.docs.selected_row().map(|r| r.doc_id), selected);
}

#[test]
fn rows_read_while_a_filter_key_waits_for_its_view_are_the_rows_that_view_shows() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    stamp_reply(&mut app, 1);
    let effects = stamp_reply(&mut app, 2);
    let request = list_request(&effects);
    let more = rows_and_one_added_elsewhere();
    let now = Instant::now();
    // The new rows' view is asked for; before it comes, the reviewer types a filter.
    let view_of_new_rows = app.update(
        Msg::Documents {
            request,
            result: Ok(more),
        },
        now,
    );
    app.update(ch('/'), now);
    let view_with_filter = app.update(ch('.'), now);
    assert_eq!(app.docs.rows.len(), 3, "the new rows wait for their view");
    app.run_list_views(view_of_new_rows, now);
    assert_eq!(app.docs.rows.len(), 3, "a superseded view is dropped");
    app.run_list_views(view_with_filter, now);
    assert_eq!(
        app.docs.rows.len(),
        4,
        "the filter's view holds the new rows"
    );
    assert!(app.docs.incoming.is_none());
    assert!(app.docs.listed().any(|r| r.doc_id == 99));
}
