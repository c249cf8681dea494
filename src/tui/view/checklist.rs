//! The checklist grid: a header (job, progress of a running one, the filter), the items'
//! numbers over their columns, a line per document with a symbol per cell (readable
//! without colour: ✓ found, ✗ not found, ? uncertain, · pending; a person's decision
//! underlined and marked `*`), and the cursor's cell in words at the bottom.

use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use kodiak::checklist::decide::CellState;
use kodiak::service::GridCell;

use super::super::app::{ChecklistView, RunningChecklist};
use super::super::theme::Theme;
use crate::tui::wrap;

/// Columns each cell takes: its symbol, the decision mark, a space.
const CELL: usize = 3;
/// Rows under the grid for the cursor's cell.
const DETAIL_ROWS: usize = 3;

pub fn draw(frame: &mut Frame<'_>, view: &ChecklistView, theme: &Theme, area: Rect) {
    let width = usize::from(area.width).max(1);
    let height = usize::from(area.height);
    let mut lines: Vec<Line<'_>> = Vec::new();
    if let Some(running) = &view.running {
        lines.push(Line::styled(
            wrap::truncate(&format!("running {} · x stops", progress(running)), width),
            theme.warn,
        ));
    }
    let grid = match &view.grid {
        None => {
            lines.push(Line::styled("loading…", theme.dim));
            frame.render_widget(Paragraph::new(lines), area);
            return;
        }
        Some(Err(message)) => {
            lines.push(Line::styled(message.to_string(), theme.dim));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            return;
        }
        Some(Ok(grid)) => grid,
    };
    let job = &grid.job;
    let runs_here = view.running.as_ref().is_some_and(|r| r.job == Some(job.id));
    let state = if runs_here {
        "running".to_owned()
    } else if job.interrupted {
        "interrupted (r resumes)".to_owned()
    } else {
        job.state.as_str().to_owned()
    };
    lines.push(Line::from(vec![
        Span::styled(
            wrap::truncate(&grid.checklist.title, width.saturating_sub(30)),
            theme.title,
        ),
        Span::styled(
            format!(
                " · job {} · {state} · {}/{} cells",
                job.id, job.cells, job.total
            ),
            theme.dim,
        ),
    ]));
    let items = &grid.checklist.items;
    let rows = view.rows();
    let filter = match view.filter {
        Some((col, state)) => format!(
            "{} of {} documents where {} is {}",
            rows.len(),
            grid.rows.len(),
            items.get(col).map_or("?", |i| i.id.as_str()),
            state.as_str().replace('_', " ")
        ),
        None => format!("{} documents · f filters on the item", grid.rows.len()),
    };
    lines.push(Line::styled(wrap::truncate(&filter, width), theme.dim));

    // The title column takes what the cells leave, at least 12 columns.
    let title_width = width.saturating_sub(CELL * items.len()).clamp(12, 32);
    let fit = (width.saturating_sub(title_width) / CELL).max(1);
    // Columns scroll to keep the cursor's in view.
    let first_col = view.col.saturating_sub(fit.saturating_sub(1));
    let shown: Vec<usize> = (first_col..items.len()).take(fit).collect();
    let mut header = vec![Span::raw(" ".repeat(title_width))];
    for &c in &shown {
        let style = if c == view.col {
            theme.selected
        } else {
            theme.dim
        };
        header.push(Span::styled(format!("{:<3}", c + 1), style));
    }
    lines.push(Line::from(header));

    let room = height.saturating_sub(lines.len() + DETAIL_ROWS).max(1);
    let first_row = view.row.saturating_sub(room.saturating_sub(1));
    // Rows whose documents share a title are named by their files here (the cursor's
    // row has its title in full below), cut in the middle to keep both ends.
    let name = |row: &kodiak::service::GridRow| {
        let room = title_width.saturating_sub(1);
        if view.shared_titles.contains(&row.title.to_lowercase()) {
            let file = kodiak::files::document_label(None, &row.path);
            wrap::truncate_middle(&sanitize::line(file), room)
        } else {
            wrap::truncate(&sanitize::line(&row.title), room)
        }
    };
    for (r, row) in rows.iter().enumerate().skip(first_row).take(room) {
        let current_row = r == view.row;
        let title_style = if current_row {
            theme.selected
        } else {
            theme.text
        };
        let mut spans = vec![Span::styled(
            format!("{:<w$}", name(row), w = title_width),
            title_style,
        )];
        for &c in &shown {
            let cell = row.cells.get(c).and_then(Option::as_ref);
            let mut style = cell_style(cell, theme);
            if current_row && c == view.col {
                style = style.patch(theme.selected);
            }
            spans.push(Span::styled(cell_text(cell), style));
        }
        lines.push(Line::from(spans));
    }
    while lines.len() < height.saturating_sub(DETAIL_ROWS) {
        lines.push(Line::raw(""));
    }
    // The cursor's cell in words.
    if let (Some(item), Some((row, cell))) = (items.get(view.col), view.current()) {
        let what = match cell {
            None => "pending".to_owned(),
            Some(cell) => {
                let mut what = kodiak::checklist::export::cell_text(cell);
                if let Some(quote) = cell.evidence().first()
                    && cell.state() != CellState::NotFound
                {
                    let quote = quote.text.split_whitespace().collect::<Vec<_>>().join(" ");
                    // A text answer is the quote itself: said once.
                    let answer = cell.answer().trim_end_matches('…');
                    if answer.is_empty() || !quote.starts_with(answer) {
                        what.push_str(&format!(" · \"{quote}\""));
                    }
                }
                what
            }
        };
        let head = format!(
            "{} {} · {} · ",
            view.col + 1,
            item.id,
            sanitize::line(&row.title)
        );
        lines.push(Line::from(vec![
            Span::styled(wrap::truncate(&head, width), theme.title),
            Span::styled(
                wrap::truncate(&item.question, width.saturating_sub(wrap::width(&head))),
                theme.dim,
            ),
        ]));
        for line in wrap::wrap(&what, width).into_iter().take(DETAIL_ROWS - 1) {
            lines.push(Line::styled(line, theme.text));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// A running job's progress: `job 5: 30/90 cells · 1/3 documents · 40 cells/s · 2 s left`.
pub fn progress(running: &RunningChecklist) -> String {
    let c = running.counts;
    let decided = c.cells.saturating_sub(running.start_cells.unwrap_or(0));
    let rate = decided as f64 / running.started.elapsed().as_secs_f64().max(0.001);
    let left = match c.total.saturating_sub(c.cells) {
        0 => String::new(),
        rest if rate > 0.0 => format!(" · {} left", eta(rest as f64 / rate)),
        _ => String::new(),
    };
    let job = running.job.map_or(String::new(), |j| format!("job {j}: "));
    // A model decides a cell a second or two: a rate under ten keeps its decimal.
    let rate = if rate < 10.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.0}")
    };
    format!(
        "{job}{}/{} cells · {}/{} documents · {rate} cells/s{left}",
        c.cells, c.total, c.documents, c.total_documents
    )
}

/// A cell's symbol and the mark of a person's decision.
fn cell_text(cell: Option<&GridCell>) -> String {
    match cell {
        None => "·  ".to_owned(),
        Some(cell) => format!(
            "{}{} ",
            cell.state().symbol(),
            if cell.decision.is_some() { '*' } else { ' ' }
        ),
    }
}

fn cell_style(cell: Option<&GridCell>, theme: &Theme) -> Style {
    let Some(cell) = cell else {
        return theme.dim;
    };
    let style = match cell.state() {
        CellState::Found => theme.ok,
        CellState::NotFound => theme.dim,
        CellState::Uncertain => theme.warn,
    };
    if cell.decision.is_some() {
        style.add_modifier(Modifier::BOLD)
    } else {
        style
    }
}

/// "40 s", "3 min".
fn eta(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{:.0} min", seconds / 60.0)
    }
}
