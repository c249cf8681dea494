//! The UI's state and its one way of changing: [`App::update`] takes a message (a key, a
//! worker's reply, a tick) and returns the effects to run. No I/O happens here, so every
//! behaviour is testable with plain values; the event loop runs the effects.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::keys::{KeyChord, KeyContext};
use kodiak::answer::{AnswerMode, Citation, Source};
use kodiak::health::{HealthReport, HealthRow, Status};
use kodiak::ingest::IngestPhase;
use kodiak::report::ReportFormat;
use kodiak::service::ReportRow;
use kodiak::service::Turn as StoredTurn;
use kodiak::storage::conversations::{Conversation, MessageStatus};
use kodiak::storage::review::{Review, ReviewStatus};

use super::document::PreparedDocument;
use super::keymap::{Action, Keymap, Resolution, chord};

mod actions;
mod chat;
mod documents;
mod health;
mod overlay;
mod update;
mod viewer;

pub use chat::*;
pub use documents::*;
pub use health::*;
pub use overlay::*;
pub use viewer::*;

/// The three panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Documents,
    Chat,
    Health,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Documents, Pane::Chat, Pane::Health];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Documents => "Documents",
            Pane::Chat => "Chat",
            Pane::Health => "Health",
        }
    }
}

/// Everything that can happen to the UI.
#[derive(Debug)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The terminal's new size.
    Resize(u16, u16),
    /// Once a second while an answer streams or an ingest runs: elapsed times move on.
    Tick,
    /// Time to check health again.
    HealthDue,
    /// The document list, with reviews and PII counts (`request` is the load it answers:
    /// several can be in flight during an ingest, and an older one must not replace a newer).
    Documents {
        request: u64,
        result: Result<Vec<ReportRow>, String>,
    },
    /// A document for the viewer (`request` is the open request it answers).
    Document {
        request: u64,
        result: Result<Box<PreparedDocument>, String>,
    },
    /// A document's review after a change.
    Reviewed {
        doc_id: i64,
        result: Result<Review, String>,
    },
    /// Where the review report was written.
    Exported(Result<PathBuf, String>),
    /// Ingest progress: files done of total, then the embedding phase.
    IngestProgress {
        done: usize,
        total: usize,
        phase: IngestPhase,
    },
    /// A file that could not be ingested, with the reason.
    IngestFailed { path: String, reason: String },
    /// Ingest finished, with a one-line summary.
    IngestDone(Result<String, String>),
    /// Answer text as it is written.
    AskText { request: u64, text: String },
    /// The answer, finished or failed.
    AskDone {
        request: u64,
        result: Result<Box<kodiak::answer::Answer>, String>,
    },
    /// The conversations, most recent first.
    Conversations(Result<Vec<Conversation>, String>),
    /// A stored conversation's turns.
    ConversationLoaded {
        id: i64,
        result: Result<Vec<StoredTurn>, String>,
    },
    /// A fresh health report.
    Health(Box<HealthReport>),
    /// The newest crash report, as text.
    CrashReport(Result<String, String>),
}

/// Work for the event loop to do; each result comes back as a [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadDocuments {
        request: u64,
    },
    OpenDocument {
        request: u64,
        doc_id: i64,
        focus: Option<(usize, usize)>,
    },
    SetStatus {
        doc_id: i64,
        status: ReviewStatus,
    },
    AddTag {
        doc_id: i64,
        tag: String,
    },
    RemoveTag {
        doc_id: i64,
        tag: String,
    },
    AddNote {
        doc_id: i64,
        text: String,
    },
    Export(ReportFormat),
    Ingest(PathBuf),
    Ask {
        request: u64,
        question: String,
        conversation: Option<i64>,
        documents: Vec<i64>,
    },
    /// Stop the answer of `request`; it is kept, marked cancelled.
    Cancel {
        request: u64,
    },
    LoadConversations,
    LoadConversation {
        id: i64,
    },
    RefreshHealth,
    ShowCrash,
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashLevel {
    Info,
    Error,
}

/// Ingest running in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestState {
    pub path: PathBuf,
    pub done: usize,
    pub total: usize,
    pub phase: IngestPhase,
    pub failed: Vec<(String, String)>,
}

pub struct App {
    pub keymap: Keymap,
    pub focus: Pane,
    pub size: (u16, u16),
    pub docs: DocList,
    pub viewer: Option<Viewer>,
    pub chat: Chat,
    pub health: HealthView,
    pub overlay: Option<Overlay>,
    pub flash: Option<(FlashLevel, String)>,
    pub ingest: Option<IngestState>,
    /// Set by every change that shows; the loop draws and clears it.
    pub dirty: bool,
    pub quit: bool,
    next_request: u64,
    /// The latest document open request: older replies are dropped.
    open_request: Option<u64>,
    /// The newest document list request sent, and the newest whose reply is shown (or
    /// that a review written since has made stale): a reply no newer is dropped.
    docs_requested: u64,
    docs_current: u64,
    pending_keys: Vec<KeyChord>,
}

/// Panes side by side from this width; narrower terminals show one pane with tabs.
pub const WIDE: u16 = 120;

/// During an ingest, the document list is read again after this many files.
const INGEST_RELOAD_FILES: usize = 20;

impl App {
    pub fn new(keymap: Keymap, size: (u16, u16)) -> App {
        App {
            keymap,
            focus: Pane::Documents,
            size,
            docs: DocList::default(),
            viewer: None,
            chat: Chat::new(),
            health: HealthView {
                rows: Vec::new(),
                status: None,
                selected: 0,
                model: "starting".into(),
                gauges: Gauges::default(),
            },
            overlay: None,
            flash: None,
            ingest: None,
            dirty: true,
            quit: false,
            next_request: 0,
            open_request: None,
            docs_requested: 0,
            docs_current: 0,
            pending_keys: Vec::new(),
        }
    }

    /// The effects to run when the UI starts.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.load_documents(), Effect::RefreshHealth]
    }

    /// A request for the document list, newer than every one before.
    fn load_documents(&mut self) -> Effect {
        let request = self.request_id();
        self.docs_requested = request;
        Effect::LoadDocuments { request }
    }

    pub fn wide(&self) -> bool {
        self.size.0 >= WIDE
    }

    /// Whether `pane` is on screen: every pane is when the terminal is wide, else only the
    /// focused one.
    pub fn shows(&self, pane: Pane) -> bool {
        self.wide() || self.focus == pane
    }

    /// Rows of text a pane's body has, for paging and for keeping the cursor in view.
    pub fn body_height(&self) -> usize {
        // Borders, tab or status bars, headers.
        usize::from(self.size.1.saturating_sub(if self.wide() { 5 } else { 6 })).max(1)
    }

    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// Whether a timer tick is needed (something shows elapsed time).
    pub fn needs_ticks(&self) -> bool {
        self.chat.streaming.is_some() || self.ingest.is_some()
    }

    fn info(&mut self, text: String) {
        self.flash = Some((FlashLevel::Info, text));
    }

    fn error(&mut self, text: String) {
        self.flash = Some((FlashLevel::Error, text));
    }
}

/// How far a key scrolls a help or text overlay; None for keys that close it.
fn scroll_step(key: &KeyEvent) -> Option<isize> {
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => Some(1),
        KeyCode::Up | KeyCode::Char('k') => Some(-1),
        KeyCode::PageDown | KeyCode::Char(' ') => Some(10),
        KeyCode::PageUp => Some(-10),
        _ => None,
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
