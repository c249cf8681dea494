//! The chat: the transcript (questions, answers with their citations, sources) above the
//! input.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use kodiak::answer::AnswerMode;

use super::super::app::{Chat, ChatMode, Turn, TurnStatus};
use super::super::theme::Theme;
use super::wrap;

/// The chat component: its transcript and input. `open_title` is the open document's, for
/// the scope line.
pub fn draw(
    frame: &mut Frame<'_>,
    chat: &Chat,
    open_title: Option<&str>,
    theme: &Theme,
    area: Rect,
) {
    let input_rows = u16::try_from(chat.input.lines().len().clamp(1, 5)).unwrap_or(1) + 2;
    let [transcript, input] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(input_rows)]).areas(area);
    let width = usize::from(transcript.width).max(1);
    let mut rows = Vec::new();
    if chat.turns.is_empty() {
        rows.push(Line::styled(
            "Ask a question about the documents. Answers cite their passages as [n];",
            theme.dim,
        ));
        rows.push(Line::styled(
            "Esc, then n/N selects a citation and o opens it.",
            theme.dim,
        ));
    }
    // Only the turns that reach the screen are wrapped, newest first: a long
    // conversation costs no more to draw than a short one.
    let height = usize::from(transcript.height);
    let wanted = height + chat.scroll_back;
    let mut newest_first: Vec<Vec<Line<'_>>> = Vec::new();
    let mut count = rows.len();
    for (t, turn) in chat.turns.iter().enumerate().rev() {
        let mut turn_lines = Vec::new();
        if t > 0 {
            turn_lines.push(Line::from(""));
        }
        turn_rows(chat, theme, t, turn, width, &mut turn_lines);
        count += turn_lines.len();
        newest_first.push(turn_lines);
        if count >= wanted {
            break;
        }
    }
    rows.extend(newest_first.into_iter().rev().flatten());
    let scroll_back = chat.scroll_back.min(rows.len().saturating_sub(height));
    let first = rows.len().saturating_sub(height + scroll_back);
    let visible: Vec<Line<'_>> = rows.into_iter().skip(first).take(height).collect();
    frame.render_widget(Paragraph::new(visible), transcript);

    let scope = if chat.scope_document {
        match open_title {
            Some(title) => format!(" asking: {} only ", wrap::truncate(title, 30)),
            None => " asking: open document (none open) ".to_owned(),
        }
    } else {
        " asking: all documents ".to_owned()
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(if chat.mode == ChatMode::Input {
            theme.focused_border
        } else {
            theme.border
        })
        .title(Span::styled(scope, theme.dim));
    let inner = block.inner(input);
    frame.render_widget(block, input);
    frame.render_widget(&chat.input, inner);
}

fn turn_rows<'a>(
    chat: &Chat,
    theme: &Theme,
    t: usize,
    turn: &'a Turn,
    width: usize,
    rows: &mut Vec<Line<'a>>,
) {
    for (i, line) in wrap::wrap(&turn.question, width.saturating_sub(2))
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 { "› " } else { "  " };
        rows.push(Line::styled(format!("{lead}{line}"), theme.title));
    }
    let selected_n = chat
        .selected_citation
        .filter(|(turn_index, _)| *turn_index == t)
        .and_then(|_| chat.selected())
        .map(|c| c.n);
    if turn.mode == Some(AnswerMode::Extractive) {
        rows.push(Line::styled(
            "extractive answer: the best passages, no model",
            theme.warn,
        ));
    }
    for line in wrap::wrap(&turn.answer, width) {
        rows.push(answer_line(line, selected_n, theme));
    }
    let status = match &turn.status {
        TurnStatus::Streaming => Some((
            format!(
                "… {:.1} s · {} tokens{}",
                turn.elapsed.as_secs_f64(),
                turn.tokens,
                rate(turn.tokens, turn.elapsed.as_secs_f64())
            ),
            theme.dim,
        )),
        TurnStatus::Complete => turn.tokens_per_s.map(|r| {
            (
                format!(
                    "{:.1} s · {} tokens · {r:.1} tokens/s",
                    turn.elapsed.as_secs_f64(),
                    turn.tokens
                ),
                theme.dim,
            )
        }),
        TurnStatus::Cancelled => Some(("cancelled".to_owned(), theme.warn)),
        TurnStatus::Failed(reason) => Some((format!("failed: {reason}"), theme.bad)),
    };
    if let Some((text, style)) = status {
        rows.push(Line::styled(wrap::truncate(&text, width), style));
    }
    for note in &turn.notes {
        rows.push(Line::styled(
            wrap::truncate(&format!("note: {note}"), width),
            theme.dim,
        ));
    }
    for source in &turn.sources {
        let style = if selected_n == Some(source.n) {
            theme.selected_citation
        } else {
            theme.dim
        };
        let text = format!(
            "[{}] {}, p. {} — {}",
            source.n, source.label, source.page, source.snippet
        );
        rows.push(Line::styled(wrap::truncate(&text, width), style));
    }
}

fn rate(tokens: usize, secs: f64) -> String {
    if secs < 0.5 || tokens == 0 {
        return String::new();
    }
    format!(" · {:.1} tokens/s", tokens as f64 / secs)
}

/// A row of an answer with its citation markers picked out.
fn answer_line<'a>(line: String, selected: Option<usize>, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    let mut at = 0;
    for (range, numbers) in kodiak::answer::marker_spans(&line) {
        spans.push(Span::styled(line[at..range.start].to_owned(), theme.text));
        let style = if selected.is_some_and(|n| numbers.contains(&n)) {
            theme.selected_citation
        } else {
            theme.citation
        };
        spans.push(Span::styled(line[range.clone()].to_owned(), style));
        at = range.end;
    }
    spans.push(Span::styled(line[at..].to_owned(), theme.text));
    Line::from(spans)
}
