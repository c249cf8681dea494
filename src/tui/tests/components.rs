//! What the Documents pane shows is decided in one place, and every part of the UI asks it:
//! the keys, the title and the drawing follow the same view.

use super::*;
use crate::tui::app::ChecklistView;
use crate::tui::components::DocumentsView;
use crate::tui::keys::KeyContext;

fn title(app: &App) -> String {
    app.component(Pane::Documents).title(app)
}

#[test]
fn the_open_document_covers_the_grid_which_covers_a_search_which_covers_the_list() {
    let mut app = with_lease_open(100, 30);
    assert_eq!(app.documents_view(), DocumentsView::Viewer);
    assert_eq!(app.context(), KeyContext::Viewer);
    assert_eq!(title(&app), " Residential lease ");

    app.search = Some(crate::tui::app::CorpusSearch {
        query: "deposit".into(),
        mode: None,
        results: None,
        selected: 0,
    });
    app.checklist = Some(ChecklistView::new());
    assert_eq!(
        app.documents_view(),
        DocumentsView::Viewer,
        "the document is on top"
    );

    app.viewer = None;
    assert_eq!(app.documents_view(), DocumentsView::Checklist);
    assert_eq!(app.context(), KeyContext::Checklist);
    assert_eq!(title(&app), " Checklist ");
    assert!(screen(&app).contains("Checklist"));

    app.checklist.as_mut().unwrap().open = false;
    assert_eq!(
        app.documents_view(),
        DocumentsView::Search,
        "a closed grid is kept, not shown"
    );
    assert_eq!(app.context(), KeyContext::Search);
    assert_eq!(title(&app), " Search: deposit ");
    assert!(screen(&app).contains("Search: deposit"));

    app.search = None;
    assert_eq!(app.documents_view(), DocumentsView::List);
    assert_eq!(app.context(), KeyContext::Documents);
    assert!(title(&app).starts_with(" Documents ("), "{}", title(&app));
}

#[test]
fn the_cursor_keys_move_the_component_shown() {
    let mut app = app(100, 30);
    show_list(&mut app, rows());
    let first = app.docs.selected_row().map(|r| r.doc_id);
    press(&mut app, [ch('j')]);
    assert_ne!(
        app.docs.selected_row().map(|r| r.doc_id),
        first,
        "the list moved"
    );
    // With a search shown, j moves the search's selection, not the list's.
    let before = app.docs.selected_row().map(|r| r.doc_id);
    app.search = Some(crate::tui::app::CorpusSearch {
        query: "deposit".into(),
        mode: None,
        results: None,
        selected: 0,
    });
    press(&mut app, [ch('j')]);
    assert_eq!(app.docs.selected_row().map(|r| r.doc_id), before);
}
