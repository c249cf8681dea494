//! The event loop: it waits on terminal events, the worker's replies, timers and a shutdown
//! signal; applies each to the UI state, whose effects go to the worker; and draws at most
//! once per frame, only when something changed, so an idle session writes nothing.
//!
//! It is generic over the terminal's backend and the source of events, so tests run it on a
//! recording backend with scripted keys against a fake service.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;

use super::app::{App, Effect, Msg};
use super::theme::Theme;
use super::view;
use super::worker::Worker;

/// Shortest time between two frames: streamed tokens arriving faster are drawn together.
const FRAME: Duration = Duration::from_millis(33);
/// How often the matter is looked at for changes other processes made (one small query and
/// the index's meta file; nothing is drawn unless something changed).
const CHANGES_EVERY: Duration = Duration::from_secs(2);
/// How long quitting waits for a cancelled answer to be stored.
const CANCEL_WAIT: Duration = Duration::from_secs(3);

/// What the loop runs: the UI's state, the worker that runs its effects and the inbox of
/// the worker's replies.
pub struct Parts {
    pub app: App,
    pub worker: Worker,
    pub inbox: UnboundedReceiver<Msg>,
    pub theme: Theme,
    /// How often health is checked.
    pub health_refresh: Duration,
}

/// Runs until the user quits, the events end or `shutdown` completes; then an answer still
/// being written is cancelled and waited for, so it is stored as cancelled. `copy` puts
/// text on the clipboard (it writes to the terminal beside the backend).
pub async fn run<B, E>(
    parts: Parts,
    terminal: &mut Terminal<B>,
    mut events: E,
    shutdown: impl Future<Output = ()>,
    mut copy: impl FnMut(&str),
) -> Result<Option<String>>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let Parts {
        mut app,
        mut worker,
        mut inbox,
        theme,
        health_refresh,
    } = parts;
    let mut apply = |app: &mut App, worker: &mut Worker, msg: Msg| {
        for effect in app.update(msg, Instant::now()) {
            match effect {
                Effect::Copy(text) => copy(&text),
                effect => worker.run(effect),
            }
        }
    };
    for effect in app.start() {
        worker.run(effect);
    }
    let mut health_timer =
        tokio::time::interval_at(tokio::time::Instant::now() + health_refresh, health_refresh);
    health_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut changes_timer = tokio::time::interval(CHANGES_EVERY);
    changes_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_draw = Instant::now();
    let mut shutdown = std::pin::pin!(shutdown);

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
                        apply(&mut app, &mut worker, msg);
                    }
                }
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => break,
            },
            Some(msg) = inbox.recv() => {
                apply(&mut app, &mut worker, msg);
                // Everything already waiting is applied before the next frame.
                while let Ok(msg) = inbox.try_recv() {
                    apply(&mut app, &mut worker, msg);
                }
            }
            _ = health_timer.tick() => apply(&mut app, &mut worker, Msg::HealthDue),
            _ = changes_timer.tick() => apply(&mut app, &mut worker, Msg::ChangesDue),
            _ = ticker.tick(), if app.needs_ticks() => apply(&mut app, &mut worker, Msg::Tick),
            () = tokio::time::sleep_until(frame_due), if app.dirty => {}
            () = &mut shutdown => break,
        }
    }
    finish_answering(&app, &mut worker, &mut inbox).await;
    match serde_json::to_string(&app.session()) {
        Ok(state) => worker.save_session(state).await,
        Err(e) => tracing::warn!("the UI session cannot be written down: {e}"),
    }
    Ok(app.switch_matter.take())
}

/// An answer still being written is cancelled and waited for, so it is stored as cancelled.
async fn finish_answering(app: &App, worker: &mut Worker, inbox: &mut UnboundedReceiver<Msg>) {
    let Some(request) = app.chat.answering.request() else {
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
