//! The terminal application: a ratatui event loop over the Kodiak service.
//!
//! The loop owns the UI state ([`app::App`]). It waits on terminal events, worker
//! messages, timers and signals; applies each to the state, which answers with effects
//! for the [`worker::Worker`]; and draws at most once per frame, only when something
//! changed, so an idle session writes nothing to the terminal.

pub mod app;
pub mod bench;
pub mod document;
pub mod keymap;
pub mod keys;
pub mod service;
pub mod theme;
pub mod view;
pub mod worker;

#[cfg(test)]
mod replies_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod worker_tests;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event, EventStream};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::telemetry::crash;

use app::{App, Effect, Msg};
use keymap::Keymap;
use theme::Theme;
use worker::Worker;

/// Shortest time between two frames: streamed tokens arriving faster are drawn together.
const FRAME: Duration = Duration::from_millis(33);
/// How long quitting waits for a cancelled answer to be stored.
const CANCEL_WAIT: Duration = Duration::from_secs(3);

pub fn run(settings: Settings) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal; in scripts use the commands (`kodiak --help`)"
        );
    }
    let keymap = Keymap::new(&settings.config.keys)?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::new(settings.config.tui.theme, no_color);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("kodiak-tui")
        .enable_all()
        .build()
        .context("cannot start the UI's runtime")?;
    runtime.block_on(run_loop(settings, keymap, theme))?;
    // Blocking tasks still running (an ingest, say) hold the database; their work so far
    // is committed, so there is nothing to wait for.
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(ExitCode::SUCCESS)
}

type Backend = CrosstermBackend<std::io::Stdout>;

/// Raw mode, the alternate screen and bracketed paste, undone when dropped, on a panic
/// (before the crash report is written) and on SIGTERM or SIGHUP.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<(TerminalGuard, Terminal<Backend>)> {
        install_restoring_panic_hook();
        crossterm::terminal::enable_raw_mode().context("cannot switch the terminal to raw mode")?;
        let guard = TerminalGuard;
        crossterm::execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste
        )
        .context("cannot set up the terminal")?;
        let terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        Ok((guard, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Puts the terminal back as the shell expects it. Errors are ignored: after SIGHUP there
/// may be no terminal left to write to.
fn restore_terminal() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = crossterm::terminal::disable_raw_mode();
}

/// The terminal is restored first, so the crash hook's message is readable and the shell
/// usable, then the crash report is written by the hook installed at start. Only for a
/// panic that ends the process: one caught and handled (a parser's during an ingest, a
/// background job's) leaves the UI drawing, and must leave the terminal as the UI needs it.
fn install_restoring_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if restores_terminal() {
            restore_terminal();
        }
        previous(info);
    }));
}

/// Whether a panic now on this thread ends the process, so the terminal is restored first.
fn restores_terminal() -> bool {
    !crash::panic_is_expected()
}

async fn run_loop(settings: Settings, keymap: Keymap, theme: Theme) -> Result<()> {
    let (_guard, mut terminal) = TerminalGuard::enter()?;
    let size = terminal.size()?;
    let mut app = App::new(keymap, (size.width, size.height));
    // The first frame goes out before anything slow happens.
    terminal.draw(|frame| view::draw(frame, &app, &theme))?;
    app.dirty = false;

    let refresh = Duration::from_secs(settings.config.tui.health_refresh_secs);
    let kodiak = tokio::task::spawn_blocking(move || Kodiak::open(settings))
        .await
        .context("opening Kodiak stopped")??;
    let (messages, mut inbox) = mpsc::unbounded_channel();
    let mut worker = Worker::new(
        Arc::new(kodiak),
        messages,
        std::env::current_dir().unwrap_or_default(),
    );
    worker.warm_up();
    for effect in app.start() {
        worker.run(effect);
    }

    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut health_timer = tokio::time::interval_at(tokio::time::Instant::now() + refresh, refresh);
    health_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_draw = Instant::now();

    loop {
        if app.quit {
            break;
        }
        if app.dirty && last_draw.elapsed() >= FRAME {
            terminal.draw(|frame| view::draw(frame, &app, &theme))?;
            app.dirty = false;
            last_draw = Instant::now();
        }
        let frame_due = tokio::time::Instant::from_std(last_draw + FRAME);
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    if let Some(msg) = message_of(event) {
                        apply(&mut app, &mut worker, &mut terminal, msg);
                    }
                }
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => break,
            },
            Some(msg) = inbox.recv() => {
                apply(&mut app, &mut worker, &mut terminal, msg);
                // Everything already waiting is applied before the next frame.
                while let Ok(msg) = inbox.try_recv() {
                    apply(&mut app, &mut worker, &mut terminal, msg);
                }
            }
            _ = health_timer.tick() => apply(&mut app, &mut worker, &mut terminal, Msg::HealthDue),
            _ = ticker.tick(), if app.needs_ticks() => {
                apply(&mut app, &mut worker, &mut terminal, Msg::Tick);
            }
            () = tokio::time::sleep_until(frame_due), if app.dirty => {}
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM: closing the terminal UI");
                break;
            }
            _ = sighup.recv() => {
                tracing::info!("SIGHUP (terminal gone): closing the terminal UI");
                break;
            }
        }
    }
    finish_streaming(&mut app, &mut worker, &mut inbox).await;
    Ok(())
}

/// A streaming answer is cancelled and waited for, so it is stored as cancelled.
async fn finish_streaming(
    app: &mut App,
    worker: &mut Worker,
    inbox: &mut mpsc::UnboundedReceiver<Msg>,
) {
    let Some((request, _)) = app.chat.streaming else {
        return;
    };
    worker.run(Effect::Cancel { request });
    let wait = async {
        while let Some(msg) = inbox.recv().await {
            if matches!(&msg, Msg::AskDone { request: r, .. } if *r == request) {
                break;
            }
        }
    };
    if tokio::time::timeout(CANCEL_WAIT, wait).await.is_err() {
        tracing::warn!("the answer being written did not stop in time; it stays marked unfinished");
    }
}

fn message_of(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(width, height) => Some(Msg::Resize(width, height)),
        _ => None,
    }
}

fn apply(app: &mut App, worker: &mut Worker, terminal: &mut Terminal<Backend>, msg: Msg) {
    for effect in app.update(msg, Instant::now()) {
        match effect {
            Effect::Copy(text) => copy_to_clipboard(terminal, &text),
            effect => worker.run(effect),
        }
    }
}

/// OSC 52 (crossterm's `CopyToClipboard`): the terminal puts the text on the clipboard,
/// also over SSH and in tmux (with `set -g set-clipboard on`). A terminal without it
/// ignores the sequence.
fn copy_to_clipboard(terminal: &mut Terminal<Backend>, text: &str) {
    let copy = crossterm::clipboard::CopyToClipboard::to_clipboard_from(text);
    let _ = crossterm::execute!(terminal.backend_mut(), copy);
}
