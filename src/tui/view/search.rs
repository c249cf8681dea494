//! The results of a search of every document: a header with the counts, then each document
//! with its passages, the selected one marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::app::CorpusSearch;
use super::super::theme::Theme;
use crate::tui::wrap;

pub fn draw(frame: &mut Frame<'_>, search: &CorpusSearch, theme: &Theme, area: Rect) {
    let width = usize::from(area.width).max(1);
    let results = match &search.results {
        None => {
            frame.render_widget(Paragraph::new("searching…").style(theme.dim), area);
            return;
        }
        Some(Err(error)) => {
            frame.render_widget(
                Paragraph::new(format!("the search failed: {error}"))
                    .style(theme.bad)
                    .wrap(Wrap { trim: false }),
                area,
            );
            return;
        }
        Some(Ok(results)) => results,
    };
    let mut lines: Vec<Line<'_>> = vec![Line::styled(
        wrap::truncate(
            &format!(
                "{} passages in {} documents · {}",
                results.passages(),
                results.documents.len(),
                results.mode.as_str()
            ),
            width,
        ),
        theme.dim,
    )];
    for note in &results.notes {
        for row in wrap::wrap(note, width) {
            lines.push(Line::styled(row, theme.warn));
        }
    }
    if results.documents.is_empty() {
        lines.push(Line::styled(
            "Nothing matches. S searches again (\"a phrase\", term*).",
            theme.dim,
        ));
    }
    let mut selected_line = 0;
    let mut n = 0;
    for doc in &results.documents {
        let count = match doc.hits.len() {
            1 => "1 hit".to_owned(),
            k => format!("{k} hits"),
        };
        lines.push(Line::from(vec![
            Span::styled(
                wrap::truncate(&doc.title, width.saturating_sub(10)),
                theme.title,
            ),
            Span::styled(format!(" · {count}"), theme.dim),
        ]));
        for hit in &doc.hits {
            let selected = n == search.selected;
            if selected {
                selected_line = lines.len();
            }
            let base = if selected { theme.selected } else { theme.text };
            let mut spans = vec![Span::styled(format!("  p.{:<3} ", hit.page), theme.dim)];
            spans.extend(snippet_spans(
                &hit.snippet,
                width.saturating_sub(8),
                base,
                base.patch(theme.search_match),
            ));
            lines.push(Line::from(spans));
            n += 1;
        }
    }
    // Keep the selected passage on screen.
    let height = usize::from(area.height).max(1);
    let scroll = (selected_line + 2).saturating_sub(height);
    let visible: Vec<Line<'_>> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), area);
}

/// A snippet on one row of `width` cells, its `**matched**` terms in `matched`.
fn snippet_spans(snippet: &str, width: usize, text: Style, matched: Style) -> Vec<Span<'static>> {
    let flat: String = snippet
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, part) in flat.split("**").enumerate() {
        if used >= width {
            break;
        }
        let part = wrap::truncate(part, width - used);
        used += wrap::width(&part);
        spans.push(Span::styled(part, if i % 2 == 1 { matched } else { text }));
    }
    spans
}
