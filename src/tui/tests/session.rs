//! The session a restart resumes.

use super::*;

use crate::tui::app::Session;

/// A new app, started, given `session` as the worker reads it; its effects.
fn restarted(session: Option<String>) -> (App, Vec<Effect>) {
    let mut app = app(80, 24);
    let started = app.start();
    let list = started[0].request().unwrap();
    let effects = press(&mut app, [Msg::Session(session)]);
    press(
        &mut app,
        [Msg::Documents {
            request: list,
            result: Ok(rows()),
        }],
    );
    (app, effects)
}

#[test]
fn a_restart_brings_back_the_pane_list_open_document_and_place_conversation_and_histories() {
    // A session: the list filtered and sorted, the audit memo selected, the lease open and
    // scrolled to its second paragraph, redacted, conversation 7, two questions asked.
    let (contract, _) = super::viewer::long_contract(5, None);
    let mut app = super::viewer::with_document_open(80, 24, contract);
    press(&mut app, [ch('R'), ch('j'), ch('j')]);
    let top = app.viewer.as_ref().unwrap().top_offset_original();
    assert!(top > 0);
    app.docs.filter = "-status:reviewed".into();
    app.chat.conversation = Some(7);
    app.chat.scope = ChatScope::Listed;
    app.chat.history = vec!["Who pays rent?".into(), "When is it due?".into()];
    app.search_history = vec!["deposit".into()];
    let saved = serde_json::to_string(&app.session()).unwrap();

    let (mut app, effects) = restarted(Some(saved));
    let open = effects
        .iter()
        .find_map(|e| match e {
            Effect::Job {
                request,
                job: Job::OpenDocument { doc_id: 1, .. },
            } => Some(*request),
            _ => None,
        })
        .expect("the lease is opened again");
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Job {
                job: Job::LoadConversation { id: 7, .. },
                ..
            }
        )),
        "{effects:?}"
    );
    assert_eq!(app.docs.filter, "-status:reviewed");
    assert_eq!(app.docs.visible.len(), 2, "the filter applies to the list");
    assert_eq!(app.chat.scope, ChatScope::Listed);
    // A session saved before scopes beyond the open document asks of the open document.
    let (old, _) = restarted(Some(r#"{"scope_document": true}"#.into()));
    assert_eq!(old.chat.scope, ChatScope::Open);
    assert_eq!(app.chat.history, ["Who pays rent?", "When is it due?"]);
    assert_eq!(app.search_history, ["deposit"]);
    press(
        &mut app,
        [Msg::Document {
            request: open,
            result: Ok(Box::new(super::viewer::long_contract(5, None).0)),
        }],
    );
    let viewer = app.viewer.as_ref().unwrap();
    assert!(viewer.show_redacted);
    assert_eq!(viewer.top_offset_original(), top, "the same place");
    assert_eq!(app.focus, Pane::Documents);
}

#[test]
fn the_list_selection_comes_back_and_an_unreadable_session_is_ignored() {
    let session = Session {
        selected: Some(3),
        focus: Some(Pane::Health),
        ..Session::default()
    };
    let (app, _) = restarted(Some(serde_json::to_string(&session).unwrap()));
    assert_eq!(app.docs.selected_row().unwrap().doc_id, 3);
    assert_eq!(app.focus, Pane::Health);

    let (app, effects) = restarted(Some("{not json".into()));
    assert!(effects.is_empty());
    assert_eq!(app.focus, Pane::Documents);
    assert_eq!(app.docs.visible.len(), 3);
    let (app, _) = restarted(None);
    assert_eq!(app.docs.selected, 0);
}
