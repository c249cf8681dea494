//! Where each part of the screen goes, in one place: the view draws into these areas and
//! the app sizes its scrolling by them, so a jump computed by the app lands where the view
//! draws it.

use ratatui::layout::{Constraint, Layout, Rect};

use kodiak::config::ListColumn;

use super::app::Pane;

/// The screen's areas for a terminal of `area`.
pub struct Areas {
    /// The pane tabs of a narrow terminal.
    pub tabs: Option<Rect>,
    /// The panes on screen, each with its area (borders included).
    pub panes: Vec<(Pane, Rect)>,
    pub status: Rect,
}

/// Wide terminals show `side_by_side` (the three panes, two when Health is folded into the
/// status bar, or the zoomed one); narrower ones the focused pane under tabs.
pub fn areas(area: Rect, wide: bool, focus: Pane, side_by_side: &[Pane]) -> Areas {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    if wide {
        let share = |pane: &Pane| match (pane, side_by_side.len()) {
            (_, 1) => 100,
            (_, 2) => 50,
            (Pane::Documents, _) => 38,
            (Pane::Chat, _) => 37,
            (Pane::Health, _) => 25,
        };
        let rects = Layout::horizontal(
            side_by_side
                .iter()
                .map(|p| Constraint::Percentage(share(p))),
        )
        .split(main);
        Areas {
            tabs: None,
            panes: side_by_side
                .iter()
                .copied()
                .zip(rects.iter().copied())
                .collect(),
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

/// The configured document list columns that fit a list `width` cells wide, in their
/// order: format and pages need 70, tags 50. The title takes the width they leave.
pub fn list_columns(width: u16, configured: &[ListColumn]) -> Vec<ListColumn> {
    configured
        .iter()
        .copied()
        .filter(|column| match column {
            ListColumn::Format | ListColumn::Pages => width >= 70,
            ListColumn::Tags => width >= 50,
            ListColumn::Pii | ListColumn::Review => true,
        })
        .collect()
}

/// Inside a pane's borders.
pub fn inner(pane: Rect) -> Rect {
    pane.inner(ratatui::layout::Margin::new(1, 1))
}

/// The viewer's header line, its text and its coding line (the open document's review),
/// inside the pane's borders.
pub fn viewer(inner: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner)
}
