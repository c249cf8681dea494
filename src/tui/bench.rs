//! `kodiak debug bench-tui`: how long each pane takes to draw at 160x48 with a 1,000-page
//! document and a long chat, how long a jump in that document takes, and how many bytes
//! reach the terminal per streamed token.
//! Frames go through the real crossterm backend into a byte counter, so the figures
//! include ratatui's diffing and the escape codes a terminal (or SSH) would carry.

use kodiak::pii::PiiKind;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use kodiak::config::KeysConfig;
use kodiak::config::Theme as ThemeName;
use kodiak::health::HealthRow;
use kodiak::service::ReportRow;
use kodiak::storage::documents::PiiSpan;
use kodiak::storage::review::{Review, ReviewStatus};

use super::app::{App, Effect, Job, Msg, Pane};
use super::document::PreparedDocument;
use super::keymap::Keymap;
use super::theme::Theme;
use super::view;

const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;
const FRAMES: usize = 400;
/// Goal per frame.
const FRAME_GOAL: Duration = Duration::from_millis(2);
/// Goal per jump in the viewer (key to new position, before drawing).
const JUMP_GOAL: Duration = Duration::from_millis(5);
const JUMPS: usize = 200;

/// Counts what would be written to the terminal; clones share the count.
#[derive(Default, Clone)]
struct Counter(Rc<Cell<usize>>);

impl Counter {
    fn bytes(&self) -> usize {
        self.0.get()
    }
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn run() -> Result<ExitCode> {
    let theme = Theme::new(ThemeName::Dark, false);
    println!(
        "terminal UI at {WIDTH}x{HEIGHT}, {FRAMES} frames per pane, crossterm backend into a byte counter"
    );
    println!("{:<34} {:>9} {:>9} {:>9}", "frame", "p50", "p99", "goal");

    let document = large_document();
    println!(
        "(large document: {:.1} MB, {} pages, {} lines, {} PII spans; chat: {} turns)",
        document.original.text.len() as f64 / 1e6,
        document.pages.len(),
        document.original.line_count(),
        document.original.pii.len(),
        CHAT_TURNS
    );
    let mut app = base_app()?;
    report(
        "document list (5,000 documents)",
        &theme,
        &mut app,
        |app, i| {
            let key = if i % 100 < 50 {
                KeyCode::Down
            } else {
                KeyCode::Up
            };
            press(app, key);
        },
    )?;
    // A real matter's size, scrolled as a held key and a page key would.
    let mut app = app_with_documents(100_000)?;
    report(
        "document list (100,000 documents)",
        &theme,
        &mut app,
        |app, i| {
            let key = match i % 100 {
                0..40 => KeyCode::Down,
                40..50 => KeyCode::PageDown,
                50..90 => KeyCode::Up,
                _ => KeyCode::PageUp,
            };
            press(app, key);
        },
    )?;

    let mut app = base_app()?;
    open(&mut app, document)?;
    for c in "/the".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    report(
        "viewer (search hits and PII shown)",
        &theme,
        &mut app,
        |app, i| {
            let key = if i % 2 == 0 {
                KeyCode::PageDown
            } else {
                KeyCode::Char('j')
            };
            press(app, key);
        },
    )?;

    jumps(&mut app)?;

    let mut app = long_chat()?;
    report(
        "chat (long conversation, streaming)",
        &theme,
        &mut app,
        |app, _| {
            let request = app.chat.answering.request().unwrap_or(0);
            app.update(
                Msg::AskText {
                    request,
                    text: " word".into(),
                },
                Instant::now(),
            );
        },
    )?;

    let mut app = base_app()?;
    app.health.rows = health_rows();
    app.focus = Pane::Health;
    report("health", &theme, &mut app, |app, i| {
        let key = if i % 20 < 10 {
            KeyCode::Down
        } else {
            KeyCode::Up
        };
        press(app, key);
    })?;

    streamed_bytes(&theme)?;
    Ok(ExitCode::SUCCESS)
}

fn report(
    name: &str,
    theme: &Theme,
    app: &mut App,
    mut change: impl FnMut(&mut App, usize),
) -> Result<()> {
    let mut terminal = counting_terminal(Counter::default())?;
    let mut times = Vec::with_capacity(FRAMES);
    for i in 0..FRAMES {
        change(app, i);
        let started = Instant::now();
        terminal.draw(|frame| view::draw(frame, app, theme))?;
        times.push(started.elapsed());
    }
    times.sort();
    let p50 = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    let verdict = if p50 < FRAME_GOAL { "met" } else { "MISSED" };
    println!(
        "{name:<34} {:>7.3} ms {:>7.3} ms  < 2 ms: {verdict}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Jumps through the open document: to the next search hit, to the next PII finding, to
/// a page with `:`, and to the end and back; each timed from key to new position.
fn jumps(app: &mut App) -> Result<()> {
    let mut times = Vec::with_capacity(JUMPS);
    // Where each jump left the viewer: its top line and the match and finding it is on (a
    // match already on screen moves the cursor, not the top).
    let mut places = std::collections::BTreeSet::new();
    let mut keys = |app: &mut App, keys: &[KeyCode]| {
        let started = Instant::now();
        for key in keys {
            press(app, *key);
        }
        times.push(started.elapsed());
        places.insert(
            app.viewer
                .as_ref()
                .map(|viewer| (viewer.top, viewer.current_match, viewer.pii_cursor)),
        );
    };
    for i in 0..JUMPS {
        match i % 5 {
            0 => keys(app, &[KeyCode::Char('n')]),
            1 => keys(app, &[KeyCode::Char(']'), KeyCode::Char('p')]),
            2 => keys(app, &[KeyCode::Char('G')]),
            3 => keys(app, &[KeyCode::Char('g')]),
            _ => {
                // The prompt is opened and typed untimed; Enter makes the jump.
                press(app, KeyCode::Char(':'));
                for c in format!("{}", (i * 37) % 1_000 + 1).chars() {
                    press(app, KeyCode::Char(c));
                }
                keys(app, &[KeyCode::Enter]);
            }
        }
    }
    // Jumps that went nowhere would time nothing.
    anyhow::ensure!(
        places.len() > JUMPS / 4,
        "the benchmark's jumps reached only {} places",
        places.len()
    );
    times.sort();
    let p50 = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    let verdict = if p50 < JUMP_GOAL { "met" } else { "MISSED" };
    println!(
        "{:<34} {:>7.3} ms {:>7.3} ms  < 5 ms: {verdict}",
        "viewer jump (n, ] p, :page, G, g)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Bytes sent per streamed token against a full redraw of the same screen.
fn streamed_bytes(theme: &Theme) -> Result<()> {
    let mut app = long_chat()?;
    let counter = Counter::default();
    let mut terminal = counting_terminal(counter.clone())?;
    terminal.draw(|frame| view::draw(frame, &app, theme))?;
    let full = counter.bytes();
    let request = app.chat.answering.request().unwrap_or(0);
    let tokens = 300;
    let before = counter.bytes();
    for _ in 0..tokens {
        app.update(
            Msg::AskText {
                request,
                text: " token".into(),
            },
            Instant::now(),
        );
        terminal.draw(|frame| view::draw(frame, &app, theme))?;
    }
    let per_token = (counter.bytes() - before) as f64 / f64::from(tokens);
    let before = counter.bytes();
    terminal.draw(|frame| view::draw(frame, &app, theme))?;
    let unchanged = counter.bytes() - before;
    println!("\nbytes to the terminal while an answer streams ({tokens} tokens, one frame each):");
    println!("  first full frame           {full:>7} bytes");
    println!(
        "  per streamed token         {per_token:>7.0} bytes  ({:.1}% of a full frame)",
        per_token * 100.0 / full as f64
    );
    println!("  a frame with nothing new   {unchanged:>7} bytes  (goal: only changed cells)");
    println!("  (frames are coalesced: tokens arriving within 33 ms share one frame)");
    Ok(())
}

fn press(app: &mut App, key: KeyCode) -> Vec<Effect> {
    app.update(
        Msg::Key(KeyEvent::new(key, KeyModifiers::NONE)),
        Instant::now(),
    )
}

/// A terminal of the benchmark's size whose output is only counted.
fn counting_terminal(counter: Counter) -> Result<Terminal<CrosstermBackend<Counter>>> {
    let options = ratatui::TerminalOptions {
        viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, WIDTH, HEIGHT)),
    };
    Ok(Terminal::with_options(
        CrosstermBackend::new(counter),
        options,
    )?)
}

const CHAT_TURNS: usize = 200;

fn base_app() -> Result<App> {
    app_with_documents(5_000)
}

fn app_with_documents(count: i64) -> Result<App> {
    let keymap = Keymap::new(&KeysConfig::new())?;
    let mut app = App::new(keymap, (WIDTH, HEIGHT));
    let rows = (1..=count).map(document_row).collect();
    // The list answers the app's own first request, as the worker's reply would.
    let request = app
        .start()
        .iter()
        .find_map(|effect| match effect {
            Effect::Job {
                request,
                job: Job::LoadDocuments,
            } => Some(*request),
            _ => None,
        })
        .context("the app asked for no document list")?;
    let view = app.update(
        Msg::Documents {
            request,
            result: Ok(rows),
        },
        Instant::now(),
    );
    app.run_list_views(view, Instant::now());
    // A harness that drew an empty list would measure the wrong thing.
    anyhow::ensure!(
        app.docs.visible.len() == usize::try_from(count)?,
        "the benchmark's document list was not applied ({} shown)",
        app.docs.visible.len()
    );
    app.health.model = "ready".into();
    Ok(app)
}

fn open(app: &mut App, document: PreparedDocument) -> Result<()> {
    let effects = press(app, KeyCode::Enter);
    if let Some(Effect::Job {
        request,
        job: Job::OpenDocument { .. },
    }) = effects.first()
    {
        app.update(
            Msg::Document {
                request: *request,
                result: Ok(Box::new(document)),
            },
            Instant::now(),
        );
    }
    anyhow::ensure!(
        app.viewer.is_some(),
        "the benchmark's document did not open"
    );
    Ok(())
}

fn document_row(id: i64) -> ReportRow {
    ReportRow {
        doc_id: id,
        parent_id: None,
        title: Some(format!("Supplier agreement {id} with Northwind Traders")),
        path: format!("/cases/2026/agreements/agreement-{id}.pdf"),
        format: Some("pdf".into()),
        pages: usize::try_from(id % 40 + 1).unwrap_or(1),
        ingest_status: "ingested".into(),
        reason: None,
        review: Review {
            status: match id % 3 {
                0 => ReviewStatus::Reviewed,
                _ => ReviewStatus::Unreviewed,
            },
            flagged: id % 5 == 0,
            tags: vec!["contract".into()],
            ..Review::default()
        },
        pii: BTreeMap::from([("PERSON".to_owned(), usize::try_from(id % 7).unwrap_or(0))]),
        near_dup_group: None,
        near_dup_similarity: None,
        thread_id: None,
        inclusive: None,
    }
}

/// About 5 MB of contract text in 1,000 pages of 20 paragraphs, each several rows tall, a
/// name or email in each.
fn large_document() -> PreparedDocument {
    let mut text = String::new();
    let mut pii = Vec::new();
    let mut chars = 0;
    let mut pages = Vec::new();
    let mut page_start = 0;
    for line in 0..20_000 {
        let clause = " The obligations in this clause survive the end of the agreement.".repeat(2);
        text.push_str(&clause);
        chars += clause.chars().count();
        let body = format!(
            "{line:>5}. The supplier shall deliver the goods described in schedule {} within thirty days, and the buyer shall pay ",
            line % 17
        );
        text.push_str(&body);
        chars += body.chars().count();
        let value = if line % 3 == 0 {
            format!("Ms Jane Roe{line}")
        } else {
            format!("jane.roe{line}@example.com")
        };
        let kind = if line % 3 == 0 {
            PiiKind::Person
        } else {
            PiiKind::EmailAddress
        };
        pii.push(PiiSpan {
            placeholder: format!("[{kind}_{line}]"),
            kind,
            start: chars,
            end: chars + value.chars().count(),
            score: 0.9,
        });
        chars += value.chars().count();
        text.push_str(&value);
        text.push_str(" on receipt.\n");
        chars += 13;
        if line % 20 == 19 {
            pages.push((page_start, chars));
            page_start = chars;
        }
    }
    PreparedDocument::new(
        1,
        "Master supply agreement".into(),
        text,
        &pages,
        &pii,
        None,
    )
}

/// A conversation of many turns, the last one streaming.
fn long_chat() -> Result<App> {
    let mut app = base_app()?;
    app.focus = Pane::Chat;
    for turn in 0..CHAT_TURNS {
        for c in format!("Question {turn}: when must the supplier deliver?").chars() {
            press(&mut app, KeyCode::Char(c));
        }
        let effects = press(&mut app, KeyCode::Enter);
        let Some(Effect::Job {
            request,
            job: Job::Ask { .. },
        }) = effects.first().cloned()
        else {
            continue;
        };
        let answer =
            "The supplier must deliver within thirty days [1], and the buyer pays on receipt [2]. "
                .repeat(8);
        app.update(
            Msg::AskText {
                request,
                text: answer,
            },
            Instant::now(),
        );
        if turn + 1 < CHAT_TURNS {
            app.update(
                Msg::AskDone {
                    request,
                    result: Err(crate::tui::app::JobError::Service(
                        "kept short for the benchmark".into(),
                    )),
                },
                Instant::now(),
            );
        }
    }
    Ok(app)
}

fn health_rows() -> Vec<HealthRow> {
    (0..14)
        .map(|i| HealthRow {
            component: "component",
            status: if i % 5 == 0 {
                kodiak::health::Status::Unhealthy
            } else {
                kodiak::health::Status::Healthy
            },
            detail: format!("detail {i}: ready, context 4096, template gemma, 54.2 tokens/s, /var/lib/kodiak/models/model-{i}.gguf"),
        })
        .collect()
}
