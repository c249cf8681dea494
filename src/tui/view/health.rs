//! The health pane: every component of `kodiak health`, its state and details.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use kodiak::health::Status;

use super::super::app::HealthView;
use super::super::theme::Theme;
use super::wrap;

/// The health component; the selected row is marked while it has the keyboard.
pub fn draw(frame: &mut Frame<'_>, health: &HealthView, focused: bool, theme: &Theme, area: Rect) {
    let width = usize::from(area.width).max(1);
    let mut lines = Vec::new();
    let (overall, style) = match health.status {
        None => ("checking…", theme.dim),
        Some(Status::Healthy) => ("healthy", theme.ok),
        Some(Status::Degraded) => ("degraded", theme.warn),
        Some(Status::Unhealthy) => ("unhealthy", theme.bad),
    };
    lines.push(Line::from(vec![
        Span::styled("Kodiak is ", theme.text),
        Span::styled(overall, style),
    ]));
    let mut selected_line = 0;
    for (i, row) in health.rows.iter().enumerate() {
        let (mark, mark_style) = if row.ok {
            ("✓", theme.ok)
        } else {
            ("✗", theme.bad)
        };
        let name_style = if i == health.selected && focused {
            theme.selected
        } else {
            theme.title
        };
        if i == health.selected {
            selected_line = lines.len();
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), mark_style),
            Span::styled(row.component, name_style),
        ]));
        for detail in wrap::wrap(&row.detail, width.saturating_sub(2)) {
            lines.push(Line::styled(format!("  {detail}"), theme.dim));
        }
    }
    // Keep the selected component on screen.
    let height = usize::from(area.height).max(1);
    let scroll = (selected_line + 3).saturating_sub(height);
    let visible: Vec<Line<'_>> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), area);
}
