//! The panes' contents as components: each says which keys it takes, what it does with an
//! action, how its cursor moves, its title, and how it is drawn, behind one trait. What the
//! Documents pane shows is decided in one place ([`App::documents_view`]); the event loop,
//! the key dispatch and the drawing all ask the component.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::app::{App, ChatMode, Effect, Pane};
use super::keymap::Action;
use super::keys::KeyContext;
use super::theme::Theme;
use super::view;
use super::wrap;

/// What the Documents pane shows: the list, or a view on top of it. The open document
/// covers the grid, the grid covers a search, a search covers the list; closing one shows
/// the one under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentsView {
    List,
    Search,
    Checklist,
    Viewer,
}

/// How far a cursor or view moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    By(isize),
    Top,
    Bottom,
}

/// A pane's content.
pub trait Component: Sync {
    /// Where its keys are resolved while it has the keyboard.
    fn context(&self, app: &App) -> KeyContext;
    /// The pane's title while it shows this.
    fn title(&self, app: &App) -> String;
    /// What `action` does here (the actions every pane shares are handled before); the
    /// work it starts.
    fn act(&self, app: &mut App, action: Action, now: Instant) -> Vec<Effect>;
    /// Moves its cursor or view.
    fn move_cursor(&self, app: &mut App, movement: Movement);
    /// Draws it inside the pane's border.
    fn draw(&self, frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect, focused: bool);
}

impl App {
    /// What the Documents pane shows now: the one place that decides it.
    pub fn documents_view(&self) -> DocumentsView {
        if self.viewer.is_some() {
            DocumentsView::Viewer
        } else if self.checklist.as_ref().is_some_and(|view| view.open) {
            DocumentsView::Checklist
        } else if self.search.is_some() {
            DocumentsView::Search
        } else {
            DocumentsView::List
        }
    }

    /// The component `pane` shows.
    pub fn component(&self, pane: Pane) -> &'static dyn Component {
        match pane {
            Pane::Documents => match self.documents_view() {
                DocumentsView::List => &DocumentList,
                DocumentsView::Search => &SearchResults,
                DocumentsView::Checklist => &ChecklistGrid,
                DocumentsView::Viewer => &DocumentViewer,
            },
            Pane::Chat => &ChatPane,
            Pane::Health => &HealthPane,
        }
    }
}

/// The rows a step of `movement` moves a list by: the ends as far as can be.
fn delta(movement: Movement) -> isize {
    match movement {
        Movement::By(delta) => delta,
        Movement::Top => isize::MIN / 2,
        Movement::Bottom => isize::MAX / 2,
    }
}

/// The document list, with the ingest's progress above it while one runs.
struct DocumentList;

impl Component for DocumentList {
    fn context(&self, _: &App) -> KeyContext {
        KeyContext::Documents
    }

    fn title(&self, app: &App) -> String {
        format!(" Documents ({}) ", app.docs.visible.len())
    }

    fn act(&self, app: &mut App, action: Action, _: Instant) -> Vec<Effect> {
        app.act_documents(action)
    }

    fn move_cursor(&self, app: &mut App, movement: Movement) {
        app.docs.move_by(delta(movement));
    }

    fn draw(&self, frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect, _: bool) {
        view::documents::draw_list(frame, &app.docs, app.ingest.as_ref(), theme, area);
    }
}

/// The open document.
struct DocumentViewer;

impl Component for DocumentViewer {
    fn context(&self, _: &App) -> KeyContext {
        KeyContext::Viewer
    }

    fn title(&self, app: &App) -> String {
        app.viewer
            .as_ref()
            .map(|viewer| format!(" {} ", viewer.doc.title))
            .unwrap_or_default()
    }

    fn act(&self, app: &mut App, action: Action, _: Instant) -> Vec<Effect> {
        app.act_viewer(action)
    }

    fn move_cursor(&self, app: &mut App, movement: Movement) {
        let size = app.viewer_size();
        if let Some(viewer) = &mut app.viewer {
            match movement {
                Movement::By(delta) => viewer.scroll(delta, size),
                Movement::Top => viewer.top = 0,
                Movement::Bottom => viewer.scroll_to_end(size),
            }
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect, _: bool) {
        let Some(viewer) = &app.viewer else { return };
        let review = app
            .docs
            .rows
            .iter()
            .find(|row| row.doc_id == viewer.doc.doc_id)
            .map(|row| &row.review);
        view::documents::draw_viewer(frame, viewer, review, theme, area);
    }
}

/// A search of every document.
struct SearchResults;

impl Component for SearchResults {
    fn context(&self, _: &App) -> KeyContext {
        KeyContext::Search
    }

    fn title(&self, app: &App) -> String {
        app.search
            .as_ref()
            .map(|search| format!(" Search: {} ", wrap::truncate(&search.query, 40)))
            .unwrap_or_default()
    }

    fn act(&self, app: &mut App, action: Action, _: Instant) -> Vec<Effect> {
        app.act_search(action)
    }

    fn move_cursor(&self, app: &mut App, movement: Movement) {
        if let Some(search) = &mut app.search {
            search.move_by(delta(movement));
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect, _: bool) {
        if let Some(search) = &app.search {
            view::search::draw(frame, search, theme, area);
        }
    }
}

/// A checklist job's grid.
struct ChecklistGrid;

impl Component for ChecklistGrid {
    fn context(&self, _: &App) -> KeyContext {
        KeyContext::Checklist
    }

    fn title(&self, _: &App) -> String {
        " Checklist ".to_owned()
    }

    fn act(&self, app: &mut App, action: Action, _: Instant) -> Vec<Effect> {
        app.act_checklist(action)
    }

    fn move_cursor(&self, app: &mut App, movement: Movement) {
        if let Some(view) = &mut app.checklist {
            view.move_by(delta(movement));
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect, _: bool) {
        if let Some(view) = &app.checklist {
            view::checklist::draw(frame, view, theme, area);
        }
    }
}

/// The chat: the question being typed, or the transcript.
struct ChatPane;

impl Component for ChatPane {
    fn context(&self, app: &App) -> KeyContext {
        match app.chat.mode {
            ChatMode::Input => KeyContext::ChatInput,
            _ => KeyContext::Chat,
        }
    }

    fn title(&self, app: &App) -> String {
        match app.chat.conversation {
            Some(id) => format!(" Chat · conversation {id} "),
            None => " Chat ".to_owned(),
        }
    }

    fn act(&self, app: &mut App, action: Action, now: Instant) -> Vec<Effect> {
        app.act_chat(action, now)
    }

    fn move_cursor(&self, app: &mut App, movement: Movement) {
        app.chat.scroll(delta(movement));
    }

    fn draw(&self, frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect, focused: bool) {
        let open_title = app.viewer.as_ref().map(|v| v.doc.title.as_str());
        let scoped = app.scoped_documents(app.chat.scope).len();
        let scope = (open_title, scoped);
        view::chat::draw(frame, &app.chat, focused, scope, theme, area);
    }
}

/// Every part's health.
struct HealthPane;

impl Component for HealthPane {
    fn context(&self, _: &App) -> KeyContext {
        KeyContext::Health
    }

    fn title(&self, _: &App) -> String {
        " Health ".to_owned()
    }

    fn act(&self, app: &mut App, action: Action, _: Instant) -> Vec<Effect> {
        app.act_health(action)
    }

    fn move_cursor(&self, app: &mut App, movement: Movement) {
        app.health.move_by(delta(movement));
    }

    fn draw(&self, frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect, focused: bool) {
        view::health::draw(frame, &app.health, focused, theme, area);
    }
}
