//! The document list and the document viewer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, LineGauge, Paragraph, Row, Table, Wrap};

use kodiak::storage::review::ReviewStatus;

use kodiak::config::ListColumn;
use kodiak::storage::review::Review;

use super::super::app::{DocList, IngestState, Viewer, pii_total, review_summary};
use super::super::theme::Theme;
use super::row_style;

/// The document list component, under the ingest's progress while one runs.
pub fn draw_list(
    frame: &mut Frame<'_>,
    docs: &DocList,
    ingest: Option<&IngestState>,
    theme: &Theme,
    area: Rect,
) {
    let area = match ingest {
        Some(ingest) => {
            let [gauge, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
            let ratio = match ingest.total {
                0 => 0.0,
                total => (ingest.done as f64 / total as f64).clamp(0.0, 1.0),
            };
            let widget = LineGauge::default()
                .ratio(ratio)
                .label(ingest.shown.as_str())
                .filled_style(theme.ok)
                .unfilled_style(theme.dim);
            frame.render_widget(widget, gauge);
            rest
        }
        None => area,
    };
    if !docs.loaded {
        frame.render_widget(Paragraph::new("loading…").style(theme.dim), area);
        return;
    }
    if docs.rows.is_empty() {
        let text =
            "No documents yet. Press i to ingest a file or folder, or run\n`kodiak ingest PATH`.";
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim)
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let [header_area, body, coding] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let coding_text = if docs.marked.is_empty() {
        docs.selected_row()
            .map(|row| match &row.reason {
                // In full with v; its start here.
                Some(reason) => format!("{} (v shows all): {reason}", row.ingest_status),
                // Where it stands among near-duplicates first: the list's REVIEW column
                // shows the status already.
                None => match (thread_of(docs, row), near_duplicate_of(docs, row)) {
                    (Some(thread), _) => format!("{thread} · {}", review_summary(&row.review)),
                    (None, Some(near)) => format!("{near} · {}", review_summary(&row.review)),
                    (None, None) => review_summary(&row.review),
                },
            })
            .unwrap_or_default()
    } else {
        format!(
            "{} selected: r f t a code them all, Space unselects",
            docs.marked.len()
        )
    };
    draw_coding(frame, coding_text, theme, coding);
    // Columns by the width there is: the title always takes what the others leave.
    let columns = crate::tui::layout::list_columns(area.width, &docs.columns);
    let mut header = format!("{} of {}", docs.visible.len(), docs.rows.len());
    if let Some(sort) = docs.sort {
        header.push_str(&format!(" · sorted by {}", sort.label()));
    }
    if !docs.filter.is_empty() {
        header.push_str(&format!(" · filter {}", docs.filter));
    }
    if docs.fold_threads {
        header.push_str(" · threads folded");
    }
    let header = match &docs.filter_error {
        Some(error) => Line::from(vec![
            Span::styled(header, theme.dim),
            Span::styled(format!(" · {error}"), theme.warn),
        ]),
        None => Line::styled(header, theme.dim),
    };
    frame.render_widget(Paragraph::new(header), header_area);

    // Measured with the view, off the UI thread: it takes every listed row.
    let tags_width = docs.tags_width;
    let mut widths = vec![Constraint::Fill(1)];
    let mut titles = vec!["TITLE"];
    for column in &columns {
        let (width, title) = match column {
            ListColumn::Format => (6, "FORMAT"),
            ListColumn::Pages => (5, "PAGES"),
            ListColumn::Pii => (4, " PII"),
            ListColumn::Review => (12, "REVIEW"),
            ListColumn::Tags => (u16::try_from(tags_width).unwrap_or(16), "TAGS"),
        };
        widths.push(Constraint::Length(width));
        titles.push(title);
    }
    // The title column's width: what the other columns and their gaps leave. Titles longer
    // are cut in the middle, keeping both ends.
    let others: u16 = widths
        .iter()
        .skip(1)
        .map(|w| match w {
            Constraint::Length(n) => n + 1,
            _ => 0,
        })
        .sum();
    let title_width = usize::from(body.width.saturating_sub(others));
    let height = usize::from(body.height.saturating_sub(1)).max(1);
    let offset = docs.selected.saturating_sub(height - 1);
    let rows = docs
        .visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, &row)| {
            let doc = &docs.rows[row];
            let indent = if doc.parent_id.is_some() {
                "  ▸ "
            } else {
                ""
            };
            // A file that could not be read is no document to review: it says so instead.
            let flag = if doc.review.flagged {
                Span::styled("⚑ ", theme.warn)
            } else {
                Span::raw("  ")
            };
            let status = match (doc.ingest_status.as_str(), doc.review.status) {
                ("failed", _) => Span::styled("✗ failed", theme.bad),
                ("needs_ocr", _) => Span::styled("needs OCR", theme.warn),
                (_, ReviewStatus::Reviewed) => Span::styled("✓ reviewed", theme.ok),
                (_, ReviewStatus::Unreviewed) if doc.review.flagged => {
                    Span::styled("flagged", theme.warn)
                }
                (_, ReviewStatus::Unreviewed) => Span::styled("·", theme.dim),
            };
            let status = Line::from(vec![flag, status]);
            let pii = pii_total(doc);
            let marked = if docs.marked.contains(&doc.doc_id) {
                "● "
            } else {
                ""
            };
            // A near-duplicate of a longer document is marked; the coding line says whose.
            let near = if doc.near_dup_group.is_some_and(|g| g != doc.doc_id) {
                "≈ "
            } else {
                ""
            };
            // An inclusive message of a thread of several: reading it reads what it quotes.
            let inclusive = if doc.inclusive == Some(true) && docs.thread_size(doc).is_some() {
                "✉ "
            } else {
                ""
            };
            let prefix = format!("{marked}{indent}{inclusive}{near}");
            let label = docs.label(
                doc,
                title_width.saturating_sub(crate::tui::wrap::width(&prefix)),
            );
            let mut cells = vec![Cell::from(format!("{prefix}{label}"))];
            for column in &columns {
                cells.push(match column {
                    ListColumn::Format => Cell::from(doc.format.clone().unwrap_or_default()),
                    ListColumn::Pages => Cell::from(format!("{:>5}", doc.pages)),
                    ListColumn::Pii => Cell::from(Span::styled(
                        format!("{pii:>4}"),
                        if pii > 0 { theme.warn } else { theme.dim },
                    )),
                    ListColumn::Review => Cell::from(status.clone()),
                    ListColumn::Tags => Cell::from(doc.review.tags.join(",")),
                });
            }
            Row::new(cells).style(row_style(i == docs.selected, theme))
        });
    let table = Table::new(rows, widths)
        .header(Row::new(titles).style(theme.title))
        .column_spacing(1);
    frame.render_widget(table, body);
}

/// Where a message stands in its thread: "✉ thread #3 of 5, 2 inclusive · inclusive" or
/// "… · a later message contains it".
fn thread_of(docs: &DocList, row: &kodiak::service::ReportRow) -> Option<String> {
    let (size, inclusive) = docs.thread_size(row)?;
    let thread = row.thread_id?;
    let this = if row.inclusive == Some(true) {
        "inclusive"
    } else {
        "a later message contains it"
    };
    Some(format!(
        "✉ thread #{thread} of {size}, {inclusive} inclusive · {this}"
    ))
}

/// Where a document stands among near-duplicates: "≈ 0.95 of #3 SUPPLY AGREEMENT" for a
/// member, "≈ principal of 2 near-duplicates" for the longest of a group.
fn near_duplicate_of(docs: &DocList, row: &kodiak::service::ReportRow) -> Option<String> {
    let group = row.near_dup_group?;
    if group == row.doc_id {
        let members = docs.index.near_duplicates.get(&group).copied().unwrap_or(0);
        return Some(format!("≈ principal of {members} near-duplicates"));
    }
    let similarity = row.near_dup_similarity.unwrap_or_default();
    let principal = docs
        .row(group)
        .map(|r| super::super::app::title_of(r).into_owned())
        .unwrap_or_default();
    Some(format!("≈ {similarity:.2} of #{group} {principal}"))
}

/// The coding line: the review of the document the keys act on, as stored.
fn draw_coding(frame: &mut Frame<'_>, text: String, theme: &Theme, area: Rect) {
    let width = usize::from(area.width);
    frame.render_widget(
        Paragraph::new(Line::styled(
            crate::tui::wrap::truncate(&text, width),
            theme.dim,
        )),
        area,
    );
}

/// `review` is the open document's, as the list last read it.
pub fn draw_viewer(
    frame: &mut Frame<'_>,
    viewer: &Viewer,
    review: Option<&Review>,
    theme: &Theme,
    area: Rect,
) {
    let [header_area, body, coding] = crate::tui::layout::viewer(area);
    let rendition = viewer.rendition();
    let size = (usize::from(body.width).max(1), usize::from(body.height));
    let rows = viewer.visible_rows(size);
    // How far through the text the screen's last row reaches, as `less` counts.
    let seen = rows.last().map_or(0, |&(_, end)| end);
    let percent = if seen >= rendition.text.len() {
        100
    } else {
        seen * 100 / rendition.text.len().max(1)
    };
    let mut header = vec![Span::styled(
        format!("page {}/{}", viewer.page(), viewer.doc.pages.len().max(1)),
        theme.text,
    )];
    // A page numbered otherwise in print ("- 3 -" on the second page) says so.
    if let Some(printed) = viewer.doc.printed_page(viewer.page()) {
        header.push(Span::styled(format!(" (printed {printed})"), theme.dim));
    }
    header.push(Span::styled(format!(" · {percent}%"), theme.dim));
    if let Some(confidence) = viewer.doc.ocr_confidence(viewer.page()) {
        header.push(Span::styled(format!(" · OCR {confidence:.0}%"), theme.dim));
    }
    // The finding last jumped to, with its type, as its highlight on screen is coloured.
    let pii = match viewer
        .pii_cursor
        .and_then(|i| Some((i, rendition.pii.get(i)?)))
    {
        Some((i, span)) => Span::styled(
            format!(" · {}/{} {}", i + 1, rendition.pii.len(), span.kind),
            theme.pii(&span.kind),
        ),
        None => Span::styled(format!(" · {} PII", rendition.pii.len()), theme.dim),
    };
    header.push(pii);
    if viewer.show_redacted {
        header.push(Span::styled(" · REDACTED", theme.warn));
    }
    if !viewer.search.is_empty() {
        let at = viewer.current_match.map_or(0, |i| i + 1);
        header.push(Span::styled(
            format!(" · \"{}\" {at}/{}", viewer.search, viewer.matches.len()),
            theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(header)), header_area);

    let lines: Vec<Line<'_>> = rows
        .iter()
        .map(|&(start, end)| styled_line(viewer, theme, start, end))
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    let coding_text = review.map_or_else(|| "unreviewed".to_owned(), review_summary);
    draw_coding(frame, coding_text, theme, coding);
}

/// One row of the current rendition with its highlights: the current match over other
/// matches over a cited sentence over the rest of its passage over personal data.
fn styled_line<'a>(viewer: &'a Viewer, theme: &Theme, start: usize, end: usize) -> Line<'a> {
    let rendition = viewer.rendition();
    let text = &rendition.text;
    let mut marks: Vec<(usize, usize, Style, u8)> = Vec::new();
    let first_pii = rendition.pii.partition_point(|s| s.end <= start);
    for (i, span) in rendition.pii[first_pii..].iter().enumerate() {
        if span.start >= end {
            break;
        }
        let mut style = theme.pii(&span.kind);
        if viewer.pii_cursor == Some(first_pii + i) {
            style = style.patch(theme.selected);
        }
        marks.push((span.start, span.end, style, 1));
    }
    // With its sentence known, the passage is shaded lighter and the sentence stands out.
    let passage_style = match viewer.highlight_sentence {
        Some(_) => theme.cited_passage,
        None => theme.cited,
    };
    let cited = [
        viewer.highlight.map(|range| (range, passage_style, 2)),
        viewer
            .highlight_sentence
            .map(|range| (range, theme.cited, 3)),
    ];
    for ((s, e), style, rank) in cited.into_iter().flatten() {
        let (s, e) = (viewer.in_rendition(s), viewer.in_rendition(e));
        if s < end && e > start {
            marks.push((s, e, style, rank));
        }
    }
    let first_match = viewer.matches.partition_point(|m| m.1 <= start);
    for (i, &(s, e)) in viewer.matches[first_match..].iter().enumerate() {
        if s >= end {
            break;
        }
        let current = viewer.current_match == Some(first_match + i);
        let style = if current {
            theme.current_match
        } else {
            theme.search_match
        };
        marks.push((s, e, style, if current { 5 } else { 4 }));
    }
    let display = |from: usize, to: usize| -> String {
        // Tabs and other control characters would upset the cell count.
        text[from..to]
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    if marks.is_empty() {
        return Line::styled(display(start, end), theme.text);
    }
    let mut bounds: Vec<usize> = vec![start, end];
    for (s, e, _, _) in &marks {
        bounds.push((*s).clamp(start, end));
        bounds.push((*e).clamp(start, end));
    }
    bounds.sort_unstable();
    bounds.dedup();
    let spans = bounds
        .windows(2)
        .filter(|w| w[0] < w[1])
        .filter(|w| text.is_char_boundary(w[0]) && text.is_char_boundary(w[1]))
        .map(|w| {
            let style = marks
                .iter()
                .filter(|(s, e, _, _)| *s <= w[0] && *e >= w[1])
                .max_by_key(|(_, _, _, rank)| *rank)
                .map_or(theme.text, |(_, _, style, _)| *style);
            Span::styled(display(w[0], w[1]), style)
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}
