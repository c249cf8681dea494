//! The results of a search of every document: a header with the counts, then each document
//! with its passages, the selected one marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use kodiak::search::Mode;

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
    // Whether the passages hold the terms or were found by meaning, and how to switch.
    let how = match results.mode {
        Mode::Bm25 => "exact terms · m: by meaning too".to_owned(),
        Mode::Vector => "by meaning · m: exact terms".to_owned(),
        Mode::Hybrid => format!("{} with the terms · m: exact only", results.exact()),
    };
    let mut lines: Vec<Line<'_>> = vec![Line::styled(
        wrap::truncate(
            &format!(
                "{} in {} · {how}",
                counted(results.passages(), "passage"),
                counted(results.documents.len(), "document"),
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
        // Hits are passages holding the terms; those found by meaning are counted apart.
        let exact = doc.exact();
        let count = match (exact, doc.hits.len() - exact) {
            (1, 0) => "1 hit".to_owned(),
            (k, 0) => format!("{k} hits"),
            (0, m) => format!("{m} by meaning"),
            (1, m) => format!("1 hit, {m} more by meaning"),
            (k, m) => format!("{k} hits, {m} more by meaning"),
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
            // A passage found by meaning alone is marked: it may hold none of the terms.
            let mark = match hit.bm25_rank {
                Some(_) => ' ',
                None => '≈',
            };
            let mut spans = vec![Span::styled(
                format!(" {mark}p.{:<3} ", hit.page),
                theme.dim,
            )];
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

/// "1 passage", "3 passages".
fn counted(n: usize, thing: &str) -> String {
    match n {
        1 => format!("1 {thing}"),
        n => format!("{n} {thing}s"),
    }
}
