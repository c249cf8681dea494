//! The terminal application: a ratatui event loop over the Kodiak service.
//!
//! [`event_loop`] owns the UI state ([`app::App`]). It waits on terminal events, worker
//! messages, timers and signals; applies each to the state, which answers with effects
//! for the [`worker::Worker`]; and draws at most once per frame, only when something
//! changed, so an idle session writes nothing to the terminal. This module sets up and
//! restores the terminal around it.

pub mod app;
pub mod bench;
pub mod components;
pub mod document;
mod event_loop;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod service;
pub mod theme;
pub mod view;
pub mod worker;
pub mod wrap;

#[cfg(test)]
mod event_loop_tests;
#[cfg(test)]
mod fake_service;
#[cfg(test)]
mod redaction_tests;
#[cfg(test)]
mod replies_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod worker_tests;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, EventStream};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use kodiak::Kodiak;
use kodiak::config::Settings;

use app::App;
use keymap::Keymap;
use theme::Theme;
use worker::Worker;

/// The local time zone's offset from UTC, as it was at start.
static LOCAL_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// Reads the local offset for the UI's times; to be called while the process has a single
/// thread (the time crate refuses to ask later, as reading the zone races with threads
/// that change the environment). UTC when it cannot be read.
pub fn remember_local_offset() {
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let _ = LOCAL_OFFSET.set(offset);
}

pub fn run(settings: Settings) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal; in scripts use the commands (`kodiak --help`)"
        );
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::new(settings.config.tui.theme, no_color);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("kodiak-tui")
        .enable_all()
        .build()
        .context("cannot start the UI's runtime")?;
    let (_guard, mut terminal) = TerminalGuard::enter()?;
    // Switching matters closes the UI on one matter and opens it on the other, in the
    // same terminal: nothing of one matter's state carries over to the other.
    let mut settings = settings;
    let mut switched = false;
    loop {
        let keymap = Keymap::new(&settings.config.keys)?;
        let next = runtime.block_on(run_loop(
            settings.clone(),
            keymap,
            theme,
            &mut terminal,
            switched,
        ))?;
        match next {
            Some(matter) => {
                tracing::info!(matter, "switching matters");
                settings = settings.for_matter(&matter);
                switched = true;
            }
            None => break,
        }
    }
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
    !kodiak::panics::panic_is_expected()
}

/// The UI on one matter until it quits; returns the matter to open next, if the reviewer
/// chose one.
async fn run_loop(
    settings: Settings,
    keymap: Keymap,
    theme: Theme,
    terminal: &mut Terminal<Backend>,
    switched: bool,
) -> Result<Option<String>> {
    // No clear (it would ask the terminal where the cursor is, and the old session's
    // reader could take the answer): the first frame is drawn over the last one, as a diff.
    let size = terminal.size()?;
    let mut app = App::new(keymap, (size.width, size.height));
    app.matter = settings.paths.matter.clone();
    app.local_offset = LOCAL_OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC);
    // The first frame goes out before anything slow happens.
    terminal.draw(|frame| view::draw(frame, &app, &theme))?;
    app.dirty = false;

    let refresh = Duration::from_secs(settings.config.tui.health_refresh_secs);
    app.chat.min_grounded = settings.config.generator.min_grounded;
    app.docs.columns = settings.config.tui.list_columns.clone();
    let kodiak = tokio::task::spawn_blocking(move || Kodiak::open(settings))
        .await
        .context("opening Kodiak stopped")??;
    app.matter_archived = kodiak.matter().archived().is_some();
    if switched {
        app.flash = Some((app::FlashLevel::Info, format!("matter {}", app.matter)));
    }
    let (messages, inbox) = mpsc::unbounded_channel();
    let worker = Worker::new(
        Arc::new(kodiak),
        messages,
        std::env::current_dir().unwrap_or_default(),
    );
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let shutdown = async move {
        tokio::select! {
            _ = sigterm.recv() => tracing::info!("SIGTERM: closing the terminal UI"),
            _ = sighup.recv() => {
                tracing::info!("SIGHUP (terminal gone): closing the terminal UI");
            }
        }
    };
    let parts = event_loop::Parts {
        app,
        worker,
        inbox,
        theme,
        health_refresh: refresh,
    };
    event_loop::run(
        parts,
        terminal,
        EventStream::new(),
        shutdown,
        copy_to_clipboard,
    )
    .await
}

/// OSC 52 (crossterm's `CopyToClipboard`): the terminal puts the text on the clipboard,
/// also over SSH and in tmux (with `set -g set-clipboard on`). A terminal without it
/// ignores the sequence.
fn copy_to_clipboard(text: &str) {
    let copy = crossterm::clipboard::CopyToClipboard::to_clipboard_from(text);
    let _ = crossterm::execute!(std::io::stdout(), copy);
}
