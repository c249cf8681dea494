//! The matter switcher and the search-term report, drawn over the panes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use kodiak::matter::Matter;
use kodiak::report::plural;
use kodiak::report::terms::TermsReport;

use super::super::theme::Theme;
use super::centered;
use crate::tui::wrap;

/// The rows of a list of `len` that show in `rows` lines with `selected` in view.
fn window(len: usize, selected: usize, rows: usize) -> std::ops::Range<usize> {
    let start = selected.saturating_sub(rows.saturating_sub(1));
    start..len.min(start + rows)
}

pub fn matters(
    frame: &mut Frame<'_>,
    (list, selected, current): (&[Matter], usize, &str),
    theme: &Theme,
    area: Rect,
    block: Block<'_>,
) {
    let height = u16::try_from(list.len() + 2).unwrap_or(u16::MAX).max(3);
    let rect = centered(area, 70, height.min(area.height.saturating_sub(2)));
    let rows = usize::from(rect.height.saturating_sub(2)).max(1);
    let width = usize::from(rect.width.saturating_sub(2));
    let lines: Vec<Line<'_>> = window(list.len(), selected, rows)
        .map(|i| {
            let m = &list[i];
            let mark = if m.name == current { "*" } else { " " };
            let state = if m.archived().is_some() {
                "archived"
            } else {
                ""
            };
            let description = m
                .file
                .as_ref()
                .and_then(|f| f.description.as_deref())
                .unwrap_or_default();
            let text = format!("{mark} {:<24} {state:<9}{description}", m.name);
            let style = if i == selected {
                theme.selected
            } else {
                theme.text
            };
            Line::styled(wrap::truncate(&text, width), style)
        })
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn terms(
    frame: &mut Frame<'_>,
    (report, selected): (&TermsReport, usize),
    theme: &Theme,
    area: Rect,
    block: Block<'_>,
) {
    let height = u16::try_from(report.terms.len() + 6).unwrap_or(u16::MAX);
    let rect = centered(area, 100, height.min(area.height.saturating_sub(2)));
    let width = usize::from(rect.width.saturating_sub(2));
    let term_width = width.saturating_sub(TermsReport::COUNTS_WIDTH).max(8);
    let (header, rows) = report.table(term_width);
    let mut lines = vec![
        Line::styled(
            wrap::truncate(
                &format!(
                    "{} in {}; any term: {} in {}",
                    plural(report.documents_searched, "document"),
                    plural(report.families_searched, "family"),
                    plural(report.documents_hit, "document"),
                    plural(report.families_hit, "family"),
                ),
                width,
            ),
            theme.dim,
        ),
        Line::styled(wrap::truncate(&header, width), theme.title),
    ];
    let shown = usize::from(rect.height.saturating_sub(4)).max(1);
    for i in window(rows.len(), selected, shown) {
        let style = if i == selected {
            theme.selected
        } else {
            theme.text
        };
        lines.push(Line::styled(wrap::truncate(&rows[i], width), style));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
