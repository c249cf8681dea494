//! Where each part of the screen goes, in one place: the view draws into these areas and
//! the app sizes its scrolling by them, so a jump computed by the app lands where the view
//! draws it.

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::Pane;

/// The screen's areas for a terminal of `area`.
pub struct Areas {
    /// The pane tabs of a narrow terminal.
    pub tabs: Option<Rect>,
    /// The panes on screen, each with its area (borders included).
    pub panes: Vec<(Pane, Rect)>,
    pub status: Rect,
}

/// Wide terminals show the three panes side by side; narrower ones the focused pane under
/// tabs.
pub fn areas(area: Rect, wide: bool, focus: Pane) -> Areas {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    if wide {
        let [docs, chat, health] = Layout::horizontal([
            Constraint::Percentage(38),
            Constraint::Percentage(37),
            Constraint::Percentage(25),
        ])
        .areas(main);
        Areas {
            tabs: None,
            panes: vec![
                (Pane::Documents, docs),
                (Pane::Chat, chat),
                (Pane::Health, health),
            ],
            status,
        }
    } else {
        let [tabs, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(main);
        Areas {
            tabs: Some(tabs),
            panes: vec![(focus, body)],
            status,
        }
    }
}

/// Inside a pane's borders.
pub fn inner(pane: Rect) -> Rect {
    pane.inner(ratatui::layout::Margin::new(1, 1))
}

/// The viewer's header line and its text, inside the pane's borders.
pub fn viewer(inner: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner)
}
