//! The event loop itself, run on a recording terminal with scripted keys against the fake
//! service: it asks, streams and draws, stays usable when a job panics, and when its events
//! end mid-answer it cancels the answer and waits until it is stored.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::Stream;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use kodiak::config::Theme as ThemeName;
use kodiak::llm::Finish;

use super::event_loop::{self, Parts};
use super::fake_service::Fake;
use super::theme::Theme;
use super::worker::Worker;

/// A test terminal that sends the screen's text to a channel at every flush, so a test sees
/// each frame the loop draws.
struct Recording {
    screen: TestBackend,
    frames: UnboundedSender<String>,
}

impl Backend for Recording {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.screen.draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.screen.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.screen.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.screen.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.screen.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.screen.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.screen.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.screen.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.screen.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        let buffer = self.screen.buffer();
        let text: String = buffer
            .content()
            .chunks(usize::from(buffer.area.width))
            .map(|row| row.iter().map(Cell::symbol).collect::<String>() + "\n")
            .collect();
        let _ = self.frames.send(text);
        self.screen.flush()
    }
}

type Events = Pin<Box<dyn Stream<Item = std::io::Result<Event>> + Send>>;

/// Keys the test sends, as the terminal's event stream; it ends when the sender is dropped.
fn scripted() -> (UnboundedSender<Event>, Events) {
    let (keys, inbox) = unbounded_channel::<Event>();
    let events = futures_util::stream::unfold(inbox, |mut inbox| async move {
        inbox.recv().await.map(|event| (Ok(event), inbox))
    });
    (keys, Box::pin(events))
}

fn press(keys: &UnboundedSender<Event>, code: KeyCode, modifiers: KeyModifiers) {
    keys.send(Event::Key(KeyEvent::new(code, modifiers)))
        .unwrap();
}

fn type_text(keys: &UnboundedSender<Event>, text: &str) {
    for c in text.chars() {
        press(keys, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

/// The loop over `fake` on an 80x24 recording terminal, and the frames it draws. (The UI's
/// state is not `Send`, so a test runs the loop beside its script with `join!`.)
fn start(
    fake: Arc<Fake>,
    events: Events,
) -> (
    UnboundedReceiver<String>,
    impl Future<Output = anyhow::Result<Option<String>>>,
) {
    let (frames, drawn) = unbounded_channel();
    let (messages, inbox) = unbounded_channel();
    let parts = Parts {
        app: super::tests::app(80, 24),
        worker: Worker::new(fake, messages, std::env::temp_dir()),
        inbox,
        theme: Theme::new(ThemeName::Dark, false),
        health_refresh: Duration::from_secs(3600),
    };
    let looping = async move {
        let screen = TestBackend::new(80, 24);
        let mut terminal = Terminal::new(Recording { screen, frames })?;
        event_loop::run(parts, &mut terminal, events, std::future::pending(), |_| {}).await
    };
    (drawn, looping)
}

/// Waits for a frame showing `text`; fails after 30 s.
async fn frame_showing(drawn: &mut UnboundedReceiver<String>, text: &str) -> String {
    let wait = async {
        while let Some(frame) = drawn.recv().await {
            if frame.contains(text) {
                return frame;
            }
        }
        panic!("the loop ended without showing {text:?}");
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("no frame showed {text:?} within 30 s"))
}

/// Runs the loop and the test's script side by side, for at most 30 s; the loop's result.
fn run_beside(
    looping: impl Future<Output = anyhow::Result<Option<String>>>,
    script: impl Future<Output = ()>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let both = async { tokio::join!(looping, script).0 };
        tokio::time::timeout(Duration::from_secs(30), both)
            .await
            .expect("the loop did not end within 30 s")
            .unwrap();
    });
}

#[test]
fn the_loop_sends_a_typed_question_draws_the_streamed_answer_quits_on_ctrl_c_and_saves_the_session()
{
    let fake = Arc::new(Fake {
        pieces: vec!["The deposit ", "is returned ", "in 30 days."],
        ..Fake::default()
    });
    let (keys, events) = scripted();
    let (mut drawn, looping) = start(Arc::clone(&fake), events);
    run_beside(looping, async move {
        press(&keys, KeyCode::Char('2'), KeyModifiers::NONE);
        type_text(&keys, "When is the deposit returned?");
        press(&keys, KeyCode::Enter, KeyModifiers::NONE);
        let frame = frame_showing(&mut drawn, "in 30 days.").await;
        assert!(frame.contains("When is the deposit returned?"), "{frame}");
        // Ctrl-C quits once the answer is stored (a second one if it was still ending).
        press(&keys, KeyCode::Char('c'), KeyModifiers::CONTROL);
        press(&keys, KeyCode::Char('c'), KeyModifiers::CONTROL);
    });
    assert_eq!(*fake.finished.lock().unwrap(), [Finish::Stop]);
    let saved = fake
        .session
        .lock()
        .unwrap()
        .clone()
        .expect("a saved session");
    let session: crate::tui::app::Session = serde_json::from_str(&saved).unwrap();
    assert_eq!(session.focus, Some(crate::tui::app::Pane::Chat));
    assert_eq!(session.questions, ["When is the deposit returned?"]);
}

#[test]
fn when_the_events_end_mid_answer_the_loop_cancels_it_and_returns_only_once_it_is_stored() {
    let (started, has_started) = mpsc::channel();
    let fake = Arc::new(Fake {
        pieces: vec!["Partial"],
        started: std::sync::Mutex::new(Some(started)),
        ..Fake::default()
    });
    let (keys, events) = scripted();
    let (_drawn, looping) = start(Arc::clone(&fake), events);
    run_beside(looping, async move {
        press(&keys, KeyCode::Char('2'), KeyModifiers::NONE);
        type_text(&keys, "When is the deposit returned?");
        press(&keys, KeyCode::Enter, KeyModifiers::NONE);
        tokio::task::spawn_blocking(move || has_started.recv_timeout(Duration::from_secs(30)))
            .await
            .unwrap()
            .expect("the answer never started");
        // The terminal goes away (SIGHUP, a closed SSH session): no more events.
        drop(keys);
    });
    // The fake answers only once cancelled, and records it before it replies.
    assert_eq!(*fake.finished.lock().unwrap(), [Finish::Cancelled]);
}

#[test]
fn after_a_job_panics_the_loop_shows_its_failure_and_still_quits_on_q() {
    let fake = Arc::new(Fake {
        panics: true,
        ..Fake::default()
    });
    let (keys, events) = scripted();
    let (mut drawn, looping) = start(fake, events);
    run_beside(looping, async move {
        frame_showing(&mut drawn, "cannot list the documents").await;
        press(&keys, KeyCode::Char('q'), KeyModifiers::NONE);
    });
}
