//! The health pane: every component of `kodiak health`, its state and details.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use kodiak::health::Status;

use super::super::app::HealthView;
use super::super::theme::Theme;
use crate::tui::wrap;

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
        let (mark, mark_style) = match row.status {
            Status::Healthy => ("✓", theme.ok),
            Status::Degraded => ("⚠", theme.warn),
            Status::Unhealthy => ("✗", theme.bad),
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
        // Paths break after a `/`, not in the middle of a name.
        let detail_width = width.saturating_sub(2);
        for (start, end) in wrap::wrap_rows_at(&row.detail, detail_width, |c| c == '/') {
            let text = row.detail[start..end].trim_end();
            lines.push(Line::styled(format!("  {text}"), theme.dim));
        }
    }
    // Keep the selected component on screen.
    let height = usize::from(area.height).max(1);
    let scroll = (selected_line + 3).saturating_sub(height);
    let visible: Vec<Line<'_>> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), area);
}
