//! The chat: the transcript (questions, answers with their citations, sources) above the
//! input.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use std::borrow::Cow;
use std::ops::Range;

use kodiak::answer::AnswerMode;
use kodiak::grounding::{SentenceSupport, Support};

use super::super::app::{Chat, ChatMode, ChatScope, Turn, TurnStatus};
use super::super::theme::Theme;
use crate::tui::wrap;

/// The chat component: its transcript and input. `open_title` is the open document's and
/// `scoped` the number of documents the chat's scope holds, for the scope line; `focused`,
/// whether the chat has the keyboard.
pub fn draw(
    frame: &mut Frame<'_>,
    chat: &Chat,
    focused: bool,
    (open_title, scoped): (Option<&str>, usize),
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

    let scope = match (chat.scope, open_title) {
        (ChatScope::All, _) => "asking: all documents ".to_owned(),
        (ChatScope::Open, Some(title)) => format!("asking: {} only ", wrap::truncate(title, 30)),
        (ChatScope::Open, None) => "asking: open document (none open) ".to_owned(),
        (ChatScope::Listed, _) => format!("asking: the {scoped} listed documents "),
        (ChatScope::Selected, _) => format!("asking: the {scoped} selected documents "),
    };
    // The two modes look different, so a key is never typed into an input the reviewer
    // thought was closed: typing has a bright border and a `›` prompt; the transcript dims
    // the input and says how to get back to it.
    let typing = focused && chat.mode == ChatMode::Input;
    let (mode, border) = match (focused, typing) {
        (true, true) => (" typing · ", theme.focused_border),
        (true, false) => (" reading the transcript · ", theme.border),
        (false, _) => (" ", theme.border),
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(border)
        .title(Line::from(vec![
            Span::styled(mode, if typing { theme.title } else { theme.dim }),
            Span::styled(scope, theme.dim),
        ]));
    let inner = block.inner(input);
    frame.render_widget(block, input);
    let [prompt, field] =
        Layout::horizontal([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    if typing {
        frame.render_widget(Span::styled("› ", theme.title), prompt);
        frame.render_widget(&chat.input, field);
    } else {
        let typed = chat.input.lines().join(" ");
        let text = if !focused {
            "2 or Alt-2: type a question".to_owned()
        } else if typed.trim().is_empty() {
            "i or Enter: type a question".to_owned()
        } else {
            typed
        };
        frame.render_widget(Span::styled(text, theme.dim), field);
    }
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
    if let Some(evidence) = &turn.evidence {
        rows.push(Line::styled(
            "evidence, quoted from the documents:",
            theme.dim,
        ));
        for line in wrap::wrap(evidence, width) {
            rows.push(answer_line(line, 0, &[], selected_n, theme));
        }
        rows.push(Line::styled(
            wrap::truncate("draft by the model, not verified:", width),
            theme.warn,
        ));
    }
    let (shown, flagged) = marked_answer(turn);
    // Each row's place in the shown text, found in order (rows are slices of it, less the
    // spaces a break swallows), so flagged sentences are dimmed across rows.
    let mut at = 0;
    for line in wrap::wrap(&shown, width) {
        let start = shown[at..].find(line.as_str()).map_or(at, |i| at + i);
        at = start + line.len();
        rows.push(answer_line(line, start, &flagged, selected_n, theme));
    }
    if let Some(legend) = grounding_legend(turn, chat.min_grounded) {
        for line in wrap::wrap(&legend, width) {
            rows.push(Line::styled(line, theme.warn));
        }
    }
    let status = match &turn.status {
        // Before its first token the model reads the prompt, which takes seconds on a CPU:
        // say so rather than count zero tokens.
        TurnStatus::Streaming if turn.tokens == 0 => Some((
            format!(
                "… {:.1} s · the model is reading the question and passages",
                turn.elapsed.as_secs_f64()
            ),
            theme.dim,
        )),
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
            // An answer read back from storage has no time: its tokens and rate only.
            let time = match turn.elapsed.is_zero() {
                true => String::new(),
                false => format!("{:.1} s · ", turn.elapsed.as_secs_f64()),
            };
            (
                format!("{time}{} tokens · {r:.1} tokens/s", turn.tokens),
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
        for line in wrap::wrap(&format!("note: {note}"), width) {
            rows.push(Line::styled(line, theme.dim));
        }
    }
    // Evidence that leads the answer already lists each passage with its title and page.
    let sources = match turn.evidence {
        Some(_) => &[][..],
        None => &turn.sources[..],
    };
    for source in sources {
        let style = if selected_n == Some(source.n) {
            theme.selected_citation
        } else {
            theme.dim
        };
        let ocr = source
            .ocr_confidence
            .map(|c| format!(" (OCR {c:.0}%)"))
            .unwrap_or_default();
        let text = format!(
            "[{}] {}, p. {}{ocr} — {}",
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

/// Marks after sentences the sources do not bear out: readable without colour.
const UNSUPPORTED_MARK: &str = " ✗";
const PARTLY_MARK: &str = " ~";

/// The answer as shown: each sentence its sources do not bear out is followed by a mark,
/// and its bytes in the shown text (mark included) are returned, to be dimmed.
fn marked_answer(turn: &Turn) -> (Cow<'_, str>, Vec<Range<usize>>) {
    // Drawn every frame: an answer with nothing to mark is not copied.
    let Some(grounding) = turn
        .grounding
        .as_ref()
        .filter(|g| g.unsupported().next().is_some())
    else {
        return (Cow::Borrowed(&turn.answer), Vec::new());
    };
    let mut shown = String::with_capacity(turn.answer.len() + 16);
    let mut flagged = Vec::new();
    let mut at = 0;
    for sentence in grounding.unsupported() {
        // A stored check belongs to the stored text; never cut a string on a stale range.
        let (Some(before), Some(text)) = (
            turn.answer.get(at..sentence.start),
            turn.answer.get(sentence.start..sentence.end),
        ) else {
            continue;
        };
        shown.push_str(before);
        let start = shown.len();
        shown.push_str(text);
        shown.push_str(match sentence.support {
            Support::PartlySupported => PARTLY_MARK,
            _ => UNSUPPORTED_MARK,
        });
        flagged.push(start..shown.len());
        at = sentence.end;
    }
    shown.push_str(turn.answer.get(at..).unwrap_or_default());
    (Cow::Owned(shown), flagged)
}

/// Under an answer with flagged sentences: what the marks mean and what is missing; and a
/// warning when the check found something wrong, or too little of the answer is borne out
/// (`min_grounded`).
fn grounding_legend(turn: &Turn, min_grounded: f64) -> Option<String> {
    let grounding = turn.grounding.as_ref()?;
    let flagged: Vec<&SentenceSupport> = grounding.unsupported().collect();
    let warning = grounding.warrants_warning(min_grounded).then(|| {
        format!(
            "warning: {:.0}% of this answer is borne out by its sources; {}",
            grounding.borne_out * 100.0,
            match turn.evidence {
                Some(_) => "the evidence above is what the documents say",
                None => "the passages below are the evidence",
            }
        )
    });
    if flagged.is_empty() {
        return warning;
    }
    // Each term once, whatever its case, across the flagged sentences.
    let mut missing: Vec<&str> = Vec::new();
    for term in flagged.iter().flat_map(|s| &s.unsupported_terms) {
        if missing.len() < 6 && !missing.iter().any(|m| m.eq_ignore_ascii_case(term)) {
            missing.push(term);
        }
    }
    let legend = format!(
        "{} of the answer's sentences not in its sources (✗ unsupported, ~ partly){}",
        flagged.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!("; not found: {}", missing.join(", "))
        }
    );
    Some(match warning {
        Some(warning) => format!("{legend}\n{warning}"),
        None => legend,
    })
}

/// A row of an answer, starting at byte `start` of the shown text, with its citation
/// markers picked out and the parts of `flagged` sentences dimmed.
fn answer_line<'a>(
    line: String,
    start: usize,
    flagged: &[Range<usize>],
    selected: Option<usize>,
    theme: &Theme,
) -> Line<'a> {
    let style_at = |offset: usize| {
        let global = start + offset;
        if flagged.iter().any(|r| r.contains(&global)) {
            theme.unsupported
        } else {
            theme.text
        }
    };
    // Cut points: citation markers and the edges of flagged sentences within the row.
    let mut cuts = vec![0, line.len()];
    for range in flagged {
        for edge in [range.start, range.end] {
            if edge > start && edge < start + line.len() && line.is_char_boundary(edge - start) {
                cuts.push(edge - start);
            }
        }
    }
    let markers = kodiak::answer::marker_spans(&line);
    for (range, _) in &markers {
        cuts.push(range.start);
        cuts.push(range.end);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut spans = Vec::new();
    for pair in cuts.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        if from == to {
            continue;
        }
        let marker = markers.iter().find(|(range, _)| range.start == from);
        let style = match marker {
            Some((_, numbers)) if selected.is_some_and(|n| numbers.contains(&n)) => {
                theme.selected_citation
            }
            Some(_) => theme.citation,
            None => style_at(from),
        };
        spans.push(Span::styled(line[from..to].to_owned(), style));
    }
    Line::from(spans)
}
