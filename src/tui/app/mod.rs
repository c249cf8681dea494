//! The UI's state and its one way of changing: [`App::update`] takes a message (a key, a
//! worker's reply, a tick) and returns the effects to run. No I/O happens here, so every
//! behaviour is testable with plain values; the event loop runs the effects.
//!
//! The state is made of components, one per pane or overlay, each in its own file with its
//! state and its actions: the document list (`documents`, `act_documents`), the viewer
//! (`viewer`, `act_viewer`), the chat (`chat`, `act_chat`, with the answer's state machine
//! [`Answering`]), health (`health`, `act_health`) and the overlays (`overlay`, which take
//! every key while open). Each draws from its own state in the `view` module of the same
//! name. `actions` holds the keys every context shares and hands the rest to the component
//! with the keyboard; `update` applies the workers' replies, each checked against its job
//! slot (`jobs`) so a stale reply is dropped.

pub use reply::{JobError, Reply};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::keys::{KeyChord, KeyContext, KeyName};
use kodiak::answer::{AnswerMode, Citation, Evidence, Source};
use kodiak::health::{HealthReport, HealthRow, Status};
use kodiak::ingest::IngestPhase;
use kodiak::production::{Area, Basis, Treatment};
use kodiak::report::ReportFormat;
use kodiak::search::Mode;
use kodiak::service::ReportRow;
use kodiak::service::Turn as StoredTurn;
use kodiak::storage::conversations::{Conversation, MessageStatus};
use kodiak::storage::review::{Review, ReviewMark, ReviewStatus};

pub use super::document::Focus;
use super::document::PreparedDocument;
use super::keymap::{Action, Keymap, Resolution, chord};
use jobs::Jobs;

mod accountable;
mod actions;
mod changes;
mod chat;
mod checklist;
mod documents;
pub mod filter;
mod health;
mod ingest;
pub mod jobs;
pub mod list_view;
mod overlay;
mod reply;
mod search;
mod session;
mod update;
mod viewer;

pub use chat::*;
pub use checklist::*;
pub use documents::*;
pub use health::*;
pub use ingest::{IngestQueue, IngestState};
pub use overlay::*;
pub use search::*;
pub use session::Session;
pub use viewer::*;

/// The three panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// Everything that can happen to the UI. Every reply from a background job names the
/// request it answers (see [`jobs`]).
#[derive(Debug)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The terminal's new size.
    Resize(u16, u16),
    /// The session saved when the UI last closed, if any, as it was saved.
    Session(Option<String>),
    /// Once a second while an answer streams or an ingest runs: elapsed times move on.
    Tick,
    /// Time to check health again.
    HealthDue,
    /// Time to look for changes other processes made to the matter.
    ChangesDue,
    /// Where the matter's data stands now; when it moved, what is shown is read again.
    DataStamp {
        request: u64,
        result: Reply<kodiak::service::DataStamp>,
    },
    /// The document list, with reviews and PII counts.
    Documents {
        request: u64,
        result: Reply<Vec<ReportRow>>,
    },
    /// The document list's view, made off the UI thread.
    ListView {
        request: u64,
        result: Reply<Box<list_view::ListView>>,
    },
    /// A document for the viewer.
    Document {
        request: u64,
        result: Reply<Box<PreparedDocument>>,
    },
    /// A document's review after a change.
    Reviewed {
        request: u64,
        doc_id: i64,
        result: Reply<Review>,
    },
    /// Where the review report was written.
    Exported {
        request: u64,
        result: Reply<PathBuf>,
    },
    /// Ingest progress: files done of total, then the embedding phase.
    IngestProgress {
        request: u64,
        done: usize,
        total: usize,
        phase: IngestPhase,
    },
    /// A file of the ingest was stored with `pages` read by OCR.
    IngestOcrPages { request: u64, pages: usize },
    /// A file that could not be ingested, with the reason.
    IngestFailed {
        request: u64,
        path: String,
        reason: String,
    },
    /// Ingest finished, with a one-line summary.
    IngestDone { request: u64, result: Reply<String> },
    /// The evidence the answer leads with, before the model writes.
    AskEvidence { request: u64, text: String },
    /// Answer text as it is written.
    AskText { request: u64, text: String },
    /// The answer, finished or failed.
    AskDone {
        request: u64,
        result: Reply<Box<kodiak::answer::Answer>>,
    },
    /// The passages that match a search of every document.
    SearchResults {
        request: u64,
        result: Reply<kodiak::service::SearchOutcome>,
    },
    /// The conversations, most recent first.
    Conversations {
        request: u64,
        result: Reply<Vec<Conversation>>,
    },
    /// A stored conversation's turns.
    ConversationLoaded {
        request: u64,
        id: i64,
        result: Reply<Vec<StoredTurn>>,
    },
    /// A fresh health report.
    Health {
        request: u64,
        report: Box<HealthReport>,
    },
    /// The newest crash report, as text.
    CrashReport { request: u64, result: Reply<String> },
    /// A near-duplicate's difference from its principal: a title and the text.
    Difference {
        request: u64,
        result: Reply<(String, String)>,
    },
    /// The checklist jobs, newest first.
    Checklists {
        request: u64,
        result: Reply<Vec<kodiak::service::JobInfo>>,
    },
    /// A checklist job's grid.
    Grid {
        request: u64,
        result: Reply<Box<kodiak::service::Grid>>,
    },
    /// The job a checklist run created (or resumed).
    ChecklistStarted { request: u64, job: i64 },
    /// Cells and documents a checklist run has decided, with the cells decided since the
    /// last progress: `(document, item, suggestion)`.
    ChecklistProgress {
        request: u64,
        counts: kodiak::service::JobCounts,
        cells: Vec<DecidedCell>,
    },
    /// A checklist run ended: done, stopped or failed.
    ChecklistDone {
        request: u64,
        result: Reply<kodiak::service::JobOutcome>,
    },
    /// A reviewer's decision on a cell, stored: the cell as it now stands. (Decisions on
    /// cells do not supersede one another: each reply is applied.)
    CellDecided {
        doc_id: i64,
        item: String,
        result: Reply<Box<kodiak::service::GridCell>>,
    },
    /// The matters in the data directory.
    Matters {
        request: u64,
        result: Reply<Vec<kodiak::matter::Matter>>,
    },
    /// A search-term report.
    TermsReport {
        request: u64,
        result: Reply<Box<kodiak::report::terms::TermsReport>>,
    },
}

/// Work for the worker, from the event loop.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A background job; its reply is a [`Msg`] naming `request`. What each job does and
    /// what it replies is said once, in the worker.
    Job { request: u64, job: Job },
    /// Read the session saved when the UI last closed (its reply names no request: there
    /// is one session).
    LoadSession,
    /// Stop the job of `request` (an answer, an ingest, a checklist run); what it did so far
    /// is kept, marked cancelled.
    Cancel { request: u64 },
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
}

#[cfg(test)]
impl Effect {
    /// The request whose reply this effect's job sends; None for effects without a reply.
    pub fn request(&self) -> Option<u64> {
        match self {
            Effect::Job { request, .. } => Some(*request),
            Effect::LoadSession | Effect::Cancel { .. } | Effect::Copy(_) => None,
        }
    }
}

/// A background job.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Start loading the models in the background, then report health.
    WarmUp,
    /// The document list, with reviews and PII counts.
    LoadDocuments,
    /// The list's view: the rows its filter shows, in order.
    ListView(list_view::ListInput),
    /// A document for the viewer, scrolled to `focus` when given.
    OpenDocument { doc_id: i64, focus: Option<Focus> },
    /// A change to a document's review.
    Review { doc_id: i64, change: ReviewChange },
    /// The review report written to the export folder.
    Export { format: ReportFormat },
    /// Files and folders ingested; cancellable.
    Ingest { path: PathBuf },
    /// Embed the chunks an earlier session left without vectors; cancellable.
    ResumeEmbedding,
    /// A question answered, streamed; cancellable.
    Ask {
        question: String,
        conversation: Option<i64>,
        documents: Vec<i64>,
    },
    /// The conversations, most recent first.
    LoadConversations,
    /// Search every document for `query`.
    /// `mode`: None for the configured default (hybrid with an embedder).
    Search { query: String, mode: Option<Mode> },
    /// A stored conversation's turns.
    LoadConversation { id: i64 },
    /// A fresh health report.
    RefreshHealth,
    /// Where the matter's data stands (and let the search index follow commits another
    /// process made).
    CheckChanges,
    /// The newest crash report.
    ShowCrash,
    /// What a near-duplicate changes of its group's principal.
    NearDupDifference { doc_id: i64, principal: i64 },
    /// The checklist jobs.
    LoadChecklists,
    /// A checklist job's grid.
    LoadGrid { job: i64 },
    /// Run a checklist job in the background; cancellable.
    RunChecklist { source: ChecklistSource },
    /// Store the reviewer's decision on a cell.
    DecideCell {
        job: i64,
        doc_id: i64,
        item: String,
        input: kodiak::service::DecisionInput,
    },
    /// The matters in the data directory.
    LoadMatters,
    /// Count `terms` (or the terms in files they name) in `documents`.
    TermsReport {
        terms: Vec<String>,
        documents: Vec<i64>,
    },
}

/// What a review change does.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewChange {
    Mark(ReviewMark),
    AddTag(String),
    RemoveTag(String),
    AddNote(String),
    /// A privilege decision for productions; `None` clears it.
    Privilege(Option<(Treatment, Basis, String)>),
    /// A redaction for productions, with its reason.
    Redact {
        area: Area,
        reason: String,
    },
}

impl ReviewChange {
    /// What the change did, for the message that says it was saved.
    pub fn describe(&self) -> String {
        match self {
            ReviewChange::Mark(mark) => format!("marked {}", mark.as_str()),
            ReviewChange::AddTag(tag) => format!("tag {tag} added"),
            ReviewChange::RemoveTag(tag) => format!("tag {tag} removed"),
            ReviewChange::AddNote(_) => "note added".into(),
            ReviewChange::Privilege(None) => "privilege cleared".into(),
            ReviewChange::Privilege(Some((treatment, basis, _))) => {
                format!("privilege: {} ({})", treatment.as_str(), basis.as_str())
            }
            ReviewChange::Redact { area, reason } => format!("{area} to be redacted: {reason}"),
        }
    }
}

/// One change sent for several documents at once: its saves are said together when the
/// last is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CodingBatch {
    pub what: String,
    pub waiting: std::collections::HashSet<i64>,
    pub total: usize,
    /// The documents it failed on, and the last reason.
    pub failed: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashLevel {
    Info,
    Error,
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
    /// The focused pane takes the whole screen (`z`).
    pub zoomed: bool,
    /// A search of every document, shown in the Documents pane until closed.
    pub search: Option<CorpusSearch>,
    /// The checklist grid, shown in the Documents pane until closed; kept (with a job
    /// running) while closed.
    pub checklist: Option<ChecklistView>,
    /// Searches of every document, oldest first.
    pub search_history: Vec<String>,
    /// Where ↑ and ↓ are in `search_history` while the search prompt is open.
    search_recall: Option<usize>,
    /// Parts of a restored session waiting for the list or the document.
    pending: session::Pending,
    /// Ingests waiting for the running job.
    pub ingest_queue: IngestQueue,
    /// The request resuming embedding left from before, until it ends.
    resuming: Option<u64>,
    /// Set by every change that shows; the loop draws and clears it.
    pub dirty: bool,
    pub quit: bool,
    /// The matter open, and whether it is archived (read-only).
    pub matter: String,
    pub matter_archived: bool,
    /// Set with `quit` when the reviewer chose another matter: the UI opens again on it.
    pub switch_matter: Option<String>,
    /// The terms last counted, offered again by `T`.
    pub last_terms: String,
    /// Where the matter's data stood when last looked at; a change reloads what is shown.
    data_stamp: Option<kodiak::service::DataStamp>,
    next_request: u64,
    /// The background jobs' requests, to tell a reply worth applying from a stale one.
    pub jobs: Jobs,
    /// Review changes per document: each reply is the review after its change.
    review_jobs: std::collections::HashMap<i64, jobs::JobSlot>,
    /// A change sent for several documents, until the last is saved.
    pub coding: Option<CodingBatch>,
    /// What to say with a document's save ("no unreviewed document after this one"), so
    /// that the save's message does not hide it.
    pub after_save: std::collections::HashMap<i64, String>,
    /// A production decision sent for a document: what its save says, as the review's
    /// status and tags (what a save says otherwise) did not change.
    pub decision_sent: std::collections::HashMap<i64, String>,
    pending_keys: Vec<KeyChord>,
    /// The local time zone's offset, for the times shown (UTC in tests).
    pub local_offset: time::UtcOffset,
}

/// Panes side by side from this width; narrower terminals show one pane with tabs.
pub const WIDE: u16 = 120;

/// During an ingest, the document list is read again after this many files.
const INGEST_RELOAD_FILES: usize = 20;

impl App {
    pub fn new(keymap: Keymap, size: (u16, u16)) -> App {
        App {
            local_offset: time::UtcOffset::UTC,
            keymap,
            focus: Pane::Documents,
            size,
            docs: DocList {
                columns: kodiak::config::ListColumn::ALL.to_vec(),
                ..DocList::default()
            },
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
            zoomed: false,
            search: None,
            checklist: None,
            search_history: Vec::new(),
            search_recall: None,
            pending: session::Pending::default(),
            ingest_queue: IngestQueue::default(),
            resuming: None,
            dirty: true,
            quit: false,
            matter: kodiak::matter::DEFAULT.to_owned(),
            matter_archived: false,
            switch_matter: None,
            last_terms: String::new(),
            data_stamp: None,
            next_request: 0,
            jobs: Jobs::default(),
            review_jobs: std::collections::HashMap::new(),
            coding: None,
            after_save: std::collections::HashMap::new(),
            decision_sent: std::collections::HashMap::new(),
            pending_keys: Vec::new(),
        }
    }

    /// The effects to run when the UI starts.
    pub fn start(&mut self) -> Vec<Effect> {
        let warm_up = Effect::Job {
            request: self.start_job(|jobs| &mut jobs.health),
            job: Job::WarmUp,
        };
        let resume = self.resume_embedding();
        vec![self.load_documents(), warm_up, Effect::LoadSession, resume]
    }

    /// A request for the document list, newer than every one before.
    fn load_documents(&mut self) -> Effect {
        Effect::Job {
            request: self.start_job(|jobs| &mut jobs.documents),
            job: Job::LoadDocuments,
        }
    }

    /// A health check, newer than every one before.
    fn refresh_health(&mut self) -> Effect {
        Effect::Job {
            request: self.start_job(|jobs| &mut jobs.health),
            job: Job::RefreshHealth,
        }
    }

    /// A change to `doc_id`'s review.
    /// Sends `change` for each of `docs`; the saves of several are said once, together.
    fn code(&mut self, docs: &[i64], change: &ReviewChange) -> Vec<Effect> {
        self.coding = (docs.len() > 1).then(|| CodingBatch {
            what: change.describe(),
            waiting: docs.iter().copied().collect(),
            total: docs.len(),
            failed: 0,
            error: None,
        });
        docs.iter()
            .map(|&doc_id| self.review(doc_id, change.clone()))
            .collect()
    }

    /// Says a document's change was stored, or why not: alone, or with the others of its
    /// batch once the last is in.
    fn say_saved(&mut self, doc_id: i64, saved: Result<String, String>) {
        if let Some(batch) = &mut self.coding
            && batch.waiting.remove(&doc_id)
        {
            if let Err(e) = saved {
                batch.failed += 1;
                batch.error = Some(e);
            }
            if batch.waiting.is_empty()
                && let Some(batch) = self.coding.take()
            {
                match batch.error {
                    None => self.info(format!(
                        "saved: {} on {} documents",
                        batch.what, batch.total
                    )),
                    Some(e) => self.error(format!(
                        "{} on {} of {} documents; {} failed: {e}",
                        batch.what,
                        batch.total - batch.failed,
                        batch.total,
                        batch.failed
                    )),
                }
            }
            return;
        }
        let notice = self.after_save.remove(&doc_id);
        match (saved, notice) {
            (Ok(said), Some(notice)) => self.info(format!("{notice}; saved: {said}")),
            (Ok(said), None) => self.info(format!("saved: {said}")),
            (Err(e), _) => self.error(e),
        }
    }

    fn review(&mut self, doc_id: i64, change: ReviewChange) -> Effect {
        if matches!(
            change,
            ReviewChange::Privilege(_) | ReviewChange::Redact { .. }
        ) {
            self.decision_sent.insert(doc_id, change.describe());
        }
        let request = self.request_id();
        self.review_jobs.entry(doc_id).or_default().start(request);
        Effect::Job {
            request,
            job: Job::Review { doc_id, change },
        }
    }

    pub fn wide(&self) -> bool {
        self.size.0 >= WIDE
    }

    /// The panes a wide terminal shows side by side: the focused one when zoomed; Documents
    /// and Chat while every part is healthy (Health is then a word in the status bar, and
    /// comes back by itself when something degrades); else all three.
    pub fn side_by_side(&self) -> Vec<Pane> {
        if self.zoomed {
            vec![self.focus]
        } else if self.health.status == Some(Status::Healthy) && self.focus != Pane::Health {
            vec![Pane::Documents, Pane::Chat]
        } else {
            Pane::ALL.to_vec()
        }
    }

    /// Where everything goes on this terminal.
    pub fn areas(&self) -> crate::tui::layout::Areas {
        let screen = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        crate::tui::layout::areas(screen, self.wide(), self.focus, &self.side_by_side())
    }

    /// Whether `pane` is on screen.
    pub fn shows(&self, pane: Pane) -> bool {
        self.areas().panes.iter().any(|(shown, _)| *shown == pane)
    }

    /// Rows of text a pane's body has, for paging and for keeping the cursor in view.
    pub fn body_height(&self) -> usize {
        // Borders, tab or status bars, headers.
        usize::from(self.size.1.saturating_sub(if self.wide() { 5 } else { 6 })).max(1)
    }

    /// Inside the Documents pane's borders, as laid out now; out of sight (another pane
    /// focused on a narrow terminal), as it would be when focused.
    fn documents_inner(&self) -> ratatui::layout::Rect {
        let screen = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        let areas = self.areas();
        let pane = areas
            .panes
            .iter()
            .find(|(pane, _)| *pane == Pane::Documents)
            .or_else(|| areas.panes.first())
            .map_or(screen, |(_, area)| *area);
        crate::tui::layout::inner(pane)
    }

    /// The viewer's text area in cells: (width, height).
    pub fn viewer_size(&self) -> (usize, usize) {
        let [_, text, _] = crate::tui::layout::viewer(self.documents_inner());
        (
            usize::from(text.width).max(1),
            usize::from(text.height).max(1),
        )
    }

    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// A new request id, recorded as the newest in the slot `slot` picks.
    fn start_job(&mut self, slot: fn(&mut Jobs) -> &mut jobs::JobSlot) -> u64 {
        let request = self.request_id();
        slot(&mut self.jobs).start(request)
    }

    /// Whether a timer tick is needed (something shows elapsed time).
    pub fn needs_ticks(&self) -> bool {
        self.chat.answering.is_active()
            || self.ingest.is_some()
            || self.checklist.as_ref().is_some_and(|v| v.running.is_some())
    }

    fn info(&mut self, text: impl ToString) {
        self.flash = Some((FlashLevel::Info, text.to_string()));
    }

    fn error(&mut self, text: impl ToString) {
        self.flash = Some((FlashLevel::Error, text.to_string()));
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
