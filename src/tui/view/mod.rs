//! Drawing: every function here borrows the state and draws it; nothing changes state.
//! Wide terminals show the three panes side by side; narrower ones one pane under tabs.

mod accountable;
pub(crate) mod chat;
pub(crate) mod checklist;
pub(crate) mod documents;
pub(crate) mod health;
pub(crate) mod search;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::{App, Overlay, Pane, PromptKind};
use super::layout;
use super::theme::Theme;
use crate::tui::keys::KeyContext;

use crate::tui::wrap;

pub fn draw(frame: &mut Frame<'_>, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < 20 || area.height < 5 {
        frame.render_widget(Paragraph::new("Kodiak: enlarge the terminal"), area);
        return;
    }
    let areas = app.areas();
    if let Some(tabs) = areas.tabs {
        draw_tabs(frame, app, theme, tabs);
    }
    for &(pane, pane_area) in &areas.panes {
        draw_pane(frame, app, theme, pane, pane_area);
    }
    draw_status(frame, app, theme, areas.status);
    let main = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    draw_overlay(frame, app, theme, main);
}

fn draw_pane(frame: &mut Frame<'_>, app: &App, theme: &Theme, pane: Pane, area: Rect) {
    let focused = app.focus == pane;
    let component = app.component(pane);
    let title = component.title(app);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.focused_border
        } else {
            theme.border
        })
        .title(Span::styled(
            title,
            if focused { theme.title } else { theme.text },
        ));
    let inner = layout::inner(area);
    frame.render_widget(block, area);
    component.draw(frame, app, theme, inner, focused);
}

fn draw_tabs(frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect) {
    let mut spans = Vec::new();
    for (i, pane) in Pane::ALL.iter().enumerate() {
        let style = if *pane == app.focus {
            theme.selected
        } else {
            theme.dim
        };
        spans.push(Span::styled(format!(" {} {} ", i + 1, pane.title()), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect) {
    // (part, whether it may give way to a message or the help key on a narrow terminal)
    let mut parts = vec![(
        match app.context() {
            KeyContext::ChatInput => " Chat: typing ".to_owned(),
            KeyContext::Chat => " Chat: transcript ".to_owned(),
            KeyContext::Viewer => " Viewer ".to_owned(),
            KeyContext::Checklist => " Checklist ".to_owned(),
            _ => format!(" {} ", app.focus.title()),
        },
        false,
    )];
    // The matter, unless it is the only one a reviewer may ever use.
    match (app.matter.as_str(), app.matter_archived) {
        (kodiak::matter::DEFAULT, false) => {}
        (matter, false) => parts.push((format!("matter: {matter}"), false)),
        (matter, true) => parts.push((format!("matter: {matter} (archived, read-only)"), false)),
    }
    parts.push((format!("model: {}", app.health.model), true));
    parts.extend(app.health.summary().into_iter().map(|s| (s, true)));
    if let Some(ingest) = &app.ingest {
        let queued = match app.ingest_queue.len() {
            0 => String::new(),
            n => format!(" (+{n} waiting)"),
        };
        parts.push((format!("{}{queued}", ingest.shown), false));
    }
    if let Some(running) = app.checklist.as_ref().and_then(|v| v.running.as_ref()) {
        let c = running.counts;
        parts.push((format!("checklist {}/{}", c.cells, c.total), false));
    }
    if let (true, Some(turn)) = (app.chat.answering.is_active(), app.chat.turns.last()) {
        parts.push((
            format!("answering {:.1} s", turn.elapsed.as_secs_f64()),
            false,
        ));
    }
    let width = usize::from(area.width);
    let left_width = |parts: &[(String, bool)]| {
        wrap::width(
            &parts
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join(" │ "),
        )
    };
    let (right, right_style) = match &app.flash {
        Some((level, text)) => {
            // A message is read whole: the model and health words give way to it.
            while left_width(&parts) + wrap::width(text) + 3 > width
                && let Some(at) = parts.iter().rposition(|(_, yields)| *yields)
            {
                parts.remove(at);
            }
            let style = match level {
                super::app::FlashLevel::Error => theme.status_bar.patch(theme.bad),
                super::app::FlashLevel::Info => theme.status_bar,
            };
            (text.clone(), style)
        }
        None => {
            let hints = hints(app);
            // The help key shows whatever else must go.
            let help = hints
                .iter()
                .find(|h| h.is_help)
                .map_or(0, |h| wrap::width(&h.text));
            while left_width(&parts) + help + 3 > width
                && let Some(at) = parts.iter().rposition(|(_, yields)| *yields)
            {
                parts.remove(at);
            }
            let room = width.saturating_sub(left_width(&parts) + 3);
            (fit_hints(&hints, room), theme.status_bar)
        }
    };
    let left = parts
        .iter()
        .map(|(p, _)| p.as_str())
        .collect::<Vec<_>>()
        .join(" │ ");
    let left_width = wrap::width(&left);
    let room = width.saturating_sub(left_width + 3);
    let right = wrap::truncate(&right, room);
    let pad = width.saturating_sub(left_width + wrap::width(&right) + 1);
    let line = Line::from(vec![
        Span::styled(left, theme.status_bar),
        Span::styled(" ".repeat(pad), theme.status_bar),
        Span::styled(right, right_style),
        Span::styled(" ", theme.status_bar),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.status_bar), area);
}

/// A key hint of the status bar.
struct Hint {
    text: String,
    is_help: bool,
}

/// The hints that fit in `room` columns, whole, in their order: the help key first of all,
/// then the others as listed.
fn fit_hints(hints: &[Hint], room: usize) -> String {
    const GAP: usize = 2;
    let mut kept = vec![false; hints.len()];
    let mut used = 0;
    let order = hints
        .iter()
        .enumerate()
        .filter(|(_, h)| h.is_help)
        .chain(hints.iter().enumerate().filter(|(_, h)| !h.is_help));
    for (i, hint) in order {
        let needed = wrap::width(&hint.text) + if used == 0 { 0 } else { GAP };
        if used + needed <= room {
            kept[i] = true;
            used += needed;
        }
    }
    hints
        .iter()
        .zip(kept)
        .filter(|(_, kept)| *kept)
        .map(|(h, _)| h.text.as_str())
        .collect::<Vec<_>>()
        .join("  ")
}

/// The most useful keys for where the keyboard is.
fn hints(app: &App) -> Vec<Hint> {
    let context = app.context();
    // (action, what the hint calls it)
    let wanted: &[(&str, &str)] = match context {
        KeyContext::Documents => &[
            ("open", "open"),
            ("filter", "filter"),
            ("reviewed", "reviewed"),
            ("flagged", "flag"),
        ],
        KeyContext::Search => &[
            ("open_hit", "open"),
            ("search_corpus", "new search"),
            ("close_search", "back"),
        ],
        KeyContext::Checklist => &[
            ("open_cell", "evidence"),
            ("confirm", "confirm"),
            ("correct", "correct"),
            ("not_found", "not found"),
            ("filter_cells", "filter"),
        ],
        KeyContext::Viewer => &[
            ("close", "back"),
            ("search", "search"),
            ("next_pii", "next PII"),
            ("redacted", "redact"),
        ],
        KeyContext::ChatInput => &[
            ("send", "send"),
            ("leave_input", "transcript"),
            ("new_conversation", "new"),
        ],
        KeyContext::Chat => &[
            ("next_citation", "citation"),
            ("open_citation", "open"),
            ("copy", "copy"),
            ("type", "type"),
        ],
        KeyContext::Health | KeyContext::Global => {
            &[("refresh", "refresh"), ("show_crash", "crash report")]
        }
    };
    let key_of = |name: &str| {
        app.keymap
            .help
            .iter()
            .find(|(spec, _)| spec.name == name)
            .and_then(|(_, keys)| keys.first().cloned())
    };
    let hint = |text: String| Hint {
        text,
        is_help: false,
    };
    let mut hints: Vec<Hint> = wanted
        .iter()
        .filter_map(|(name, label)| Some(hint(format!("{} {label}", key_of(name)?))))
        .collect();
    if let Some(key) = key_of("help") {
        hints.push(Hint {
            text: format!("{key} help"),
            is_help: true,
        });
    }
    if context != KeyContext::ChatInput
        && let Some(key) = key_of("quit")
    {
        hints.push(hint(format!("{key} quit")));
    }
    hints
}

/// A rectangle of at most `width` x `height` centred in `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn draw_overlay(frame: &mut Frame<'_>, app: &App, theme: &Theme, area: Rect) {
    let Some(overlay) = &app.overlay else {
        return;
    };
    let boxed = |title: &str| {
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.focused_border)
            .title(Span::styled(format!(" {title} "), theme.title))
    };
    match overlay {
        Overlay::Help { scroll } => {
            let rect = centered(area, 76, area.height.saturating_sub(2));
            let width = usize::from(rect.width.saturating_sub(2)).max(1);
            let lines = help_lines(app, theme, width);
            // Scrolled no further than the last line at the bottom, counting the rows that
            // long lines wrap to.
            let rows: usize = lines
                .iter()
                .map(|line| {
                    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                    wrap::wrap(&text, width).len().max(1)
                })
                .sum();
            let last = rows.saturating_sub(usize::from(rect.height.saturating_sub(2)));
            let scroll = (*scroll).min(last);
            let text = Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(boxed("Keys (j/k scroll, any other key closes)"))
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0));
            frame.render_widget(Clear, rect);
            frame.render_widget(text, rect);
        }
        Overlay::Prompt { kind, input, .. } => {
            let rect = Rect {
                x: area.x,
                y: area.y + area.height.saturating_sub(3),
                width: area.width,
                height: 3.min(area.height),
            };
            let hint = match kind {
                PromptKind::Filter => "Enter keeps, Esc clears",
                _ => "Enter, Esc cancels",
            };
            let block =
                boxed(kind.label()).title_bottom(Span::styled(format!(" {hint} "), theme.dim));
            let inner = block.inner(rect);
            frame.render_widget(Clear, rect);
            frame.render_widget(block, rect);
            frame.render_widget(input.editor(), inner);
        }
        Overlay::Jobs => {
            let mut lines = Vec::new();
            if let Some(job) = &app.ingest {
                let what = job.path.as_ref().map_or_else(
                    || "chunks left without vectors from before".to_owned(),
                    |path| format!("ingest {}", path.display()),
                );
                lines.push(Line::styled(format!("Running: {what}"), theme.title));
                lines.push(Line::styled(format!("  {}", job.shown), theme.text));
                lines.push(Line::styled(
                    "  X cancels it; what is stored stays",
                    theme.dim,
                ));
            }
            let checklist = app.checklist.as_ref().and_then(|v| v.running.as_ref());
            if let Some(running) = checklist {
                lines.push(Line::styled("Running: a checklist", theme.title));
                lines.push(Line::styled(
                    format!("  {}", checklist::progress(running)),
                    theme.text,
                ));
                lines.push(Line::styled(
                    "  x in the checklist grid (C) stops it; what is decided stays",
                    theme.dim,
                ));
            }
            if app.ingest.is_none() && checklist.is_none() {
                lines.push(Line::styled("Nothing is running.", theme.dim));
            }
            if app.ingest_queue.len() > 0 {
                lines.push(Line::from(""));
                lines.push(Line::styled("Waiting, in order:", theme.title));
                for path in app.ingest_queue.iter() {
                    lines.push(Line::styled(
                        format!("  ingest {}", path.display()),
                        theme.text,
                    ));
                }
            }
            let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
            let rect = centered(area, 80, height);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(boxed("Jobs (any key closes)")),
                rect,
            );
        }
        Overlay::Outline { selected } => {
            let Some(viewer) = &app.viewer else {
                return;
            };
            let rect = centered(area, 80, area.height.saturating_sub(2));
            let rows = usize::from(rect.height.saturating_sub(2)).max(1);
            let width = usize::from(rect.width.saturating_sub(2));
            // The selected heading in the middle, the window full to the end of the list.
            let count = viewer.doc.headings.len();
            let offset = selected
                .saturating_sub(rows / 2)
                .min(count.saturating_sub(rows));
            let lines: Vec<Line<'_>> = viewer
                .doc
                .headings
                .iter()
                .enumerate()
                .skip(offset)
                .take(rows)
                .map(|(i, heading)| {
                    let indent = "  ".repeat(heading.level.saturating_sub(1).min(4));
                    let page = viewer.doc.page_of(heading.offset);
                    let text = wrap::truncate(
                        &format!("{indent}{}", heading.text),
                        width.saturating_sub(8),
                    );
                    let style = if i == *selected {
                        theme.selected
                    } else {
                        theme.text
                    };
                    Line::from(vec![
                        Span::styled(format!("p.{page:<4} "), theme.dim),
                        Span::styled(text, style),
                    ])
                })
                .collect();
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines).block(boxed("Outline (Enter goes there, Esc closes)")),
                rect,
            );
        }
        Overlay::ConfirmGroup { question, .. } => confirm(
            frame,
            theme,
            centered(area, 64, 6),
            boxed("Select a group"),
            question,
            ("select them, then r f t a code them all", "no"),
        ),
        Overlay::ConfirmQuit { work } => confirm(
            frame,
            theme,
            centered(area, 60, 5),
            boxed("Quit"),
            &format!("Quit? {work}."),
            ("quit", "stay"),
        ),
        Overlay::RunChecklist {
            checklists,
            which,
            choices,
            chosen,
            use_model,
        } => {
            let rect = centered(area, 76, 9);
            let name = checklists.get(*which).map_or_else(String::new, |c| {
                crate::sanitize::line(&c.label).into_owned()
            });
            let documents = choices
                .get(*chosen)
                .map_or_else(String::new, |c| c.describe(app.docs.rows.len()));
            let model = if *use_model {
                "with the model: it settles the cells the detector is unsure of (slow)"
            } else {
                "without the model: the clause detector and the terms decide"
            };
            let others = if checklists.len() > 1 {
                format!(" ({} of {})", which + 1, checklists.len())
            } else {
                String::new()
            };
            let text = vec![
                Line::from(vec![
                    Span::styled("c", theme.key),
                    Span::raw(format!(" checklist{others}: {name}")),
                ]),
                Line::from(vec![
                    Span::styled("f", theme.key),
                    Span::raw(" a checklist file of your own…"),
                ]),
                Line::from(vec![
                    Span::styled("d", theme.key),
                    Span::raw(format!(" documents: {documents}")),
                ]),
                Line::from(vec![
                    Span::styled("m", theme.key),
                    Span::raw(format!(" {model}")),
                ]),
                Line::from(""),
                Line::from(vec![
                    Span::styled("Enter", theme.key),
                    Span::raw(" run   "),
                    Span::styled("Esc", theme.key),
                    Span::raw(" cancel"),
                ]),
            ];
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(boxed("Run a checklist")),
                rect,
            );
        }
        Overlay::ExportFormat => {
            let rect = centered(area, 60, 5);
            let text = vec![
                Line::from("Write the review report to the current folder as"),
                Line::from(vec![
                    Span::styled("m", theme.key),
                    Span::raw(" Markdown   "),
                    Span::styled("c", theme.key),
                    Span::raw(" CSV   "),
                    Span::styled("j", theme.key),
                    Span::raw(" JSON   "),
                    Span::styled("Esc", theme.key),
                    Span::raw(" cancel"),
                ]),
            ];
            frame.render_widget(Clear, rect);
            frame.render_widget(Paragraph::new(text).block(boxed("Export")), rect);
        }
        Overlay::Conversations { list, selected } => {
            let rect = centered(area, 80, area.height.saturating_sub(4));
            let rows = usize::from(rect.height.saturating_sub(2)).max(1);
            let offset = selected.saturating_sub(rows - 1);
            let lines: Vec<Line<'_>> = list
                .iter()
                .enumerate()
                .skip(offset)
                .take(rows)
                .map(|(i, c)| {
                    let style = if i == *selected {
                        theme.selected
                    } else {
                        theme.text
                    };
                    let when = c.updated_at.to_minute_in(app.local_offset);
                    Line::styled(
                        format!("{:>4}  {when}  {:>3} msgs  {}", c.id, c.messages, c.title),
                        style,
                    )
                })
                .collect();
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines).block(boxed("Conversations (Enter opens, Esc closes)")),
                rect,
            );
        }
        Overlay::Matters { list, selected } => accountable::matters(
            frame,
            (list, *selected, &app.matter),
            theme,
            area,
            boxed("Matters (Enter switches, Esc closes)"),
        ),
        Overlay::Terms { report, selected } => accountable::terms(
            frame,
            (report, *selected),
            theme,
            area,
            boxed("Search terms (Enter lists a term's documents, Esc closes)"),
        ),
        Overlay::Text {
            title,
            text,
            scroll,
        } => {
            let rect = centered(area, 100, area.height.saturating_sub(2));
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(text.as_str())
                    .style(theme.text)
                    .wrap(Wrap { trim: false })
                    .scroll((u16::try_from(*scroll).unwrap_or(u16::MAX), 0))
                    .block(boxed(title)),
                rect,
            );
        }
    }
}

/// Keys and what they do on rows of `width`, the description wrapped under itself rather
/// than back to the first column.
fn keyed_rows(keys: &str, what: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let head = format!("  {keys:<22}");
    let indent = wrap::width(&head);
    let room = width.saturating_sub(indent).max(20);
    let mut rows = Vec::new();
    for (i, part) in wrap::wrap(what, room).into_iter().enumerate() {
        let lead = match i {
            0 => Span::styled(head.clone(), theme.key),
            _ => Span::raw(" ".repeat(indent)),
        };
        rows.push(Line::from(vec![lead, Span::styled(part, theme.text)]));
    }
    rows
}

/// The help, generated from the keymap: every action with its keys, by context, on rows of
/// `width`.
pub fn help_lines<'a>(app: &'a App, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let mut context = None;
    for (spec, keys) in &app.keymap.help {
        if context != Some(spec.context) {
            if context.is_some() {
                lines.push(Line::from(""));
            }
            lines.push(Line::styled(spec.context.title(), theme.title));
            context = Some(spec.context);
        }
        lines.extend(keyed_rows(&keys.join(", "), spec.help, width, theme));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Filtering the list (/)", theme.title));
    for (term, what) in crate::tui::app::filter::HELP {
        lines.extend(keyed_rows(term, what, width, theme));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Personal data in the viewer (underlined, coloured by type)",
        theme.title,
    ));
    // Each type shown as the viewer shows it; without colour they are all underlined and
    // the header names the finding jumped to.
    for kinds in PII_LEGEND.chunks(3) {
        let mut spans = vec![Span::raw("  ")];
        for kind in kinds {
            let kind = kodiak::pii::PiiKind::from_name(kind);
            spans.push(Span::styled(kind.to_string(), theme.pii(&kind)));
            spans.push(Span::raw("   "));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Ctrl-C cancels a streaming answer, else quits. Keys are set in [keys] of the config.",
        theme.dim,
    ));
    lines
}

/// The PII types the help's legend shows, in the order a reviewer meets them most.
const PII_LEGEND: [&str; 9] = [
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "DATE_OF_BIRTH",
    "IP_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "UK_NINO",
];

/// The style of a list row, selected or not.
fn row_style(selected: bool, theme: &Theme) -> Style {
    if selected { theme.selected } else { theme.text }
}

/// A question answered by `y` (what `answers.0` does) or any other key (`answers.1`).
fn confirm(
    frame: &mut Frame<'_>,
    theme: &Theme,
    rect: Rect,
    block: Block<'_>,
    question: &str,
    answers: (&str, &str),
) {
    let text = vec![
        Line::from(question.to_owned()),
        Line::from(vec![
            Span::styled("y", theme.key),
            Span::raw(format!(" {}   ", answers.0)),
            Span::styled("any other key", theme.key),
            Span::raw(format!(" {}", answers.1)),
        ]),
    ];
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
        rect,
    );
}
