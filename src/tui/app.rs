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

/// How documents are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Title,
    Format,
    Pages,
    Pii,
    Status,
}

impl SortKey {
    fn next(self) -> SortKey {
        match self {
            SortKey::Id => SortKey::Title,
            SortKey::Title => SortKey::Format,
            SortKey::Format => SortKey::Pages,
            SortKey::Pages => SortKey::Pii,
            SortKey::Pii => SortKey::Status,
            SortKey::Status => SortKey::Id,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Title => "title",
            SortKey::Format => "format",
            SortKey::Pages => "pages",
            SortKey::Pii => "PII",
            SortKey::Status => "review",
        }
    }
}

#[derive(Debug, Default)]
pub struct DocList {
    pub rows: Vec<ReportRow>,
    pub loaded: bool,
    pub filter: String,
    pub sort: Option<SortKey>,
    /// Indexes into `rows` that pass the filter, in display order.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
}

impl DocList {
    pub fn selected_row(&self) -> Option<&ReportRow> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.rows.get(i))
    }

    /// Recomputes `visible` after the rows, filter or order changed, keeping the selected
    /// document selected when it is still shown.
    fn refresh(&mut self) {
        let keep = self.selected_row().map(|r| r.doc_id);
        let needle = self.filter.to_lowercase();
        self.visible = (0..self.rows.len())
            .filter(|&i| needle.is_empty() || matches_filter(&self.rows[i], &needle))
            .collect();
        if let Some(key) = self.sort {
            let rows = &self.rows;
            self.visible.sort_by(|&a, &b| {
                let (a, b) = (&rows[a], &rows[b]);
                match key {
                    SortKey::Id => a.doc_id.cmp(&b.doc_id),
                    SortKey::Title => title_of(a).to_lowercase().cmp(&title_of(b).to_lowercase()),
                    SortKey::Format => a.format.cmp(&b.format),
                    SortKey::Pages => b.pages.cmp(&a.pages),
                    SortKey::Pii => pii_total(b).cmp(&pii_total(a)),
                    SortKey::Status => status_rank(a).cmp(&status_rank(b)),
                }
                .then(a.doc_id.cmp(&b.doc_id))
            });
        }
        self.selected = keep
            .and_then(|id| self.visible.iter().position(|&i| self.rows[i].doc_id == id))
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }
}

pub fn title_of(row: &ReportRow) -> &str {
    row.title
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| row.path.rsplit('/').next().unwrap_or(&row.path))
}

pub fn pii_total(row: &ReportRow) -> usize {
    row.pii.values().sum()
}

fn status_rank(row: &ReportRow) -> u8 {
    match row.review.status {
        ReviewStatus::Flagged => 0,
        ReviewStatus::Unreviewed => 1,
        ReviewStatus::Reviewed => 2,
    }
}

fn matches_filter(row: &ReportRow, needle: &str) -> bool {
    title_of(row).to_lowercase().contains(needle)
        || row.path.to_lowercase().contains(needle)
        || row.format.as_deref().unwrap_or("").contains(needle)
        || row.review.status.as_str().contains(needle)
        || row
            .review
            .tags
            .iter()
            .any(|t| t.to_lowercase().contains(needle))
}

/// The open document.
#[derive(Debug)]
pub struct Viewer {
    pub doc: PreparedDocument,
    pub show_redacted: bool,
    /// First line on screen, in the current rendition.
    pub top: usize,
    pub search: String,
    /// Matches of `search` in the current rendition, in bytes.
    pub matches: Vec<(usize, usize)>,
    pub current_match: Option<usize>,
    /// The PII span last jumped to.
    pub pii_cursor: Option<usize>,
    /// A cited passage, in bytes of the original text.
    pub highlight: Option<(usize, usize)>,
    /// Opened from a citation: closing returns to the chat.
    pub from_chat: bool,
}

impl Viewer {
    pub fn rendition(&self) -> &super::document::Rendition {
        if self.show_redacted {
            &self.doc.redacted
        } else {
            &self.doc.original
        }
    }

    /// Byte offset in the original text of the first line on screen.
    pub fn top_offset_original(&self) -> usize {
        let (start, _) = self.rendition().line(self.top);
        if self.show_redacted {
            self.doc.map_offset(start, false)
        } else {
            start
        }
    }

    pub fn page(&self) -> usize {
        self.doc.page_of(self.top_offset_original())
    }

    /// Scrolls so the line holding `offset` (current rendition) is a third down the screen.
    fn show_offset(&mut self, offset: usize, height: usize) {
        let line = self.rendition().line_of(offset);
        self.top = line.saturating_sub(height / 3);
    }

    fn scroll(&mut self, delta: isize) {
        let last = self.rendition().line_count().saturating_sub(1);
        self.top = self.top.saturating_add_signed(delta).min(last);
    }

    fn find(&mut self) {
        self.matches = self.rendition().find(&self.search);
        self.current_match = None;
    }
}

/// How an answer stands.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnStatus {
    Streaming,
    Complete,
    Cancelled,
    Failed(String),
}

/// A source line under an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceLine {
    pub n: usize,
    pub label: String,
    pub page: usize,
    pub snippet: String,
}

impl SourceLine {
    fn of(source: &Source) -> SourceLine {
        SourceLine {
            n: source.n,
            label: source.hit.label().to_owned(),
            page: source.hit.page,
            snippet: source.hit.snippet.replace("**", ""),
        }
    }
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub question: String,
    pub answer: String,
    pub status: TurnStatus,
    pub mode: Option<AnswerMode>,
    pub citations: Vec<Citation>,
    pub sources: Vec<SourceLine>,
    pub notes: Vec<String>,
    pub elapsed: Duration,
    /// Text pieces received, one per generated token.
    pub tokens: usize,
    pub tokens_per_s: Option<f64>,
}

impl Turn {
    fn asked(question: String) -> Turn {
        Turn {
            question,
            answer: String::new(),
            status: TurnStatus::Streaming,
            mode: None,
            citations: Vec::new(),
            sources: Vec::new(),
            notes: Vec::new(),
            elapsed: Duration::ZERO,
            tokens: 0,
            tokens_per_s: None,
        }
    }
}

pub struct Chat {
    pub input: TextArea<'static>,
    /// Whether the input has the keyboard (else the transcript does).
    pub typing: bool,
    /// Questions asked in this session, oldest first.
    pub history: Vec<String>,
    recall: Option<usize>,
    pub turns: Vec<Turn>,
    pub conversation: Option<i64>,
    /// The request streaming now, and when it started.
    pub streaming: Option<(u64, Instant)>,
    /// Ask about the open document only.
    pub scope_document: bool,
    /// The selected citation: (turn, index in its citations).
    pub selected_citation: Option<(usize, usize)>,
    /// Transcript lines scrolled up from the bottom.
    pub scroll_back: usize,
}

impl Chat {
    fn new() -> Chat {
        let mut input = TextArea::default();
        input.set_placeholder_text("Ask about the documents (Enter sends, Alt-Enter new line)");
        Chat {
            input,
            typing: true,
            history: Vec::new(),
            recall: None,
            turns: Vec::new(),
            conversation: None,
            streaming: None,
            scope_document: false,
            selected_citation: None,
            scroll_back: 0,
        }
    }

    fn set_input(&mut self, text: &str) {
        let mut input = TextArea::from(text.lines().map(str::to_owned).collect::<Vec<_>>());
        input.set_placeholder_text("Ask about the documents (Enter sends, Alt-Enter new line)");
        input.move_cursor(ratatui_textarea::CursorMove::Bottom);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        self.input = input;
    }

    /// Every citation of every turn, in order.
    fn citations(&self) -> Vec<(usize, usize)> {
        self.turns
            .iter()
            .enumerate()
            .flat_map(|(t, turn)| (0..turn.citations.len()).map(move |c| (t, c)))
            .collect()
    }

    pub fn selected(&self) -> Option<&Citation> {
        let (t, c) = self.selected_citation?;
        self.turns.get(t)?.citations.get(c)
    }
}

/// What a one-line prompt is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Filter,
    Search,
    Tag,
    Note,
    IngestPath,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Filter => "Filter",
            PromptKind::Search => "Search",
            PromptKind::Tag => "Tag (-tag removes)",
            PromptKind::Note => "Note",
            PromptKind::IngestPath => "Ingest path",
        }
    }
}

/// Something drawn over the panes that takes the keyboard.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Prompt {
        kind: PromptKind,
        text: String,
        /// The document a tag or note is for.
        doc_id: Option<i64>,
    },
    ExportFormat,
    Conversations {
        list: Vec<Conversation>,
        selected: usize,
    },
    Text {
        title: String,
        text: String,
        scroll: usize,
    },
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

pub struct HealthView {
    pub rows: Vec<HealthRow>,
    pub status: Option<Status>,
    pub selected: usize,
    /// The generator's state, for the status bar.
    pub model: String,
    /// Resident memory and free disk as the shown rows give them.
    pub gauges: Gauges,
}

/// Figures that drift a little at every health check (the allocator returns a page, a log
/// line takes some disk). Their rows are redrawn when a figure moves by a tenth, so that an
/// idle session writes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    pub resident_bytes: Option<u64>,
    pub free_disk_bytes: Option<u64>,
}

impl Gauges {
    fn of(report: &HealthReport) -> Gauges {
        let resources = &report.components.resources;
        Gauges {
            resident_bytes: resources.rss_bytes,
            free_disk_bytes: resources.data_dir_free_bytes,
        }
    }
}

/// Whether two readings of a gauge differ by less than a tenth.
fn barely_moved(shown: Option<u64>, now: Option<u64>) -> bool {
    match (shown, now) {
        (Some(shown), Some(now)) => shown.abs_diff(now) * 10 < shown.max(now),
        (shown, now) => shown == now,
    }
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

    pub fn update(&mut self, msg: Msg, now: Instant) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => {
                self.dirty = true;
                self.key(key, now)
            }
            Msg::Paste(text) => {
                self.dirty = true;
                self.paste(&text);
                Vec::new()
            }
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
                Vec::new()
            }
            Msg::Tick => {
                if let Some((_, started)) = self.chat.streaming
                    && let Some(turn) = self.chat.turns.last_mut()
                {
                    turn.elapsed = now.saturating_duration_since(started);
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::HealthDue => vec![Effect::RefreshHealth],
            Msg::Health(report) => {
                self.health(&report);
                Vec::new()
            }
            Msg::Documents { request, result } => {
                if request <= self.docs_current {
                    return Vec::new();
                }
                self.docs_current = request;
                self.dirty = true;
                match result {
                    Ok(rows) => {
                        self.docs.rows = rows;
                        self.docs.loaded = true;
                        self.docs.refresh();
                    }
                    Err(e) => self.error(format!("cannot list the documents: {e}")),
                }
                Vec::new()
            }
            Msg::Document { request, result } => {
                if self.open_request != Some(request) {
                    return Vec::new();
                }
                self.open_request = None;
                self.dirty = true;
                match result {
                    Ok(doc) => self.show_document(*doc),
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::Reviewed { doc_id, result } => {
                self.dirty = true;
                match result {
                    Ok(review) => {
                        if let Some(row) = self.docs.rows.iter_mut().find(|r| r.doc_id == doc_id) {
                            row.review = review;
                        }
                        self.docs.refresh();
                        // A list already on its way may have been read before this review
                        // was written: it must not undo it. It is dropped, and read again.
                        if self.docs_requested > self.docs_current {
                            self.docs_current = self.docs_requested;
                            return vec![self.load_documents()];
                        }
                    }
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::Exported(result) => {
                self.dirty = true;
                match result {
                    Ok(path) => self.info(format!("review report written to {}", path.display())),
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::IngestProgress { done, total, phase } => {
                let Some(ingest) = &mut self.ingest else {
                    return Vec::new();
                };
                let phase_changed = ingest.phase != phase;
                ingest.done = done;
                ingest.total = total;
                ingest.phase = phase;
                self.dirty = true;
                // Documents appear as they land: the list is read again every few files
                // and when indexing starts, not after every file of a large folder.
                if (phase == IngestPhase::Reading && done > 0 && done % INGEST_RELOAD_FILES == 0)
                    || (phase_changed && phase == IngestPhase::Indexing)
                {
                    vec![self.load_documents()]
                } else {
                    Vec::new()
                }
            }
            Msg::IngestFailed { path, reason } => {
                if let Some(ingest) = &mut self.ingest {
                    ingest.failed.push((path, reason));
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::IngestDone(result) => {
                self.dirty = true;
                let failed = self.ingest.take().map(|i| i.failed).unwrap_or_default();
                match result {
                    Ok(summary) if failed.is_empty() => self.info(summary),
                    Ok(summary) => {
                        let mut text = format!("{summary}\n\nNot ingested:\n");
                        for (path, reason) in &failed {
                            text.push_str(&format!("  {path}: {reason}\n"));
                        }
                        self.overlay = Some(Overlay::Text {
                            title: "Ingest".into(),
                            text,
                            scroll: 0,
                        });
                    }
                    Err(e) => self.error(format!("ingest failed: {e}")),
                }
                vec![self.load_documents()]
            }
            Msg::AskText { request, text } => {
                if !self.is_streaming(request) {
                    return Vec::new();
                }
                if let (Some(turn), Some((_, started))) =
                    (self.chat.turns.last_mut(), self.chat.streaming)
                {
                    turn.answer.push_str(&text);
                    turn.tokens += 1;
                    turn.elapsed = now.saturating_duration_since(started);
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::AskDone { request, result } => {
                if !self.is_streaming(request) {
                    return Vec::new();
                }
                let started = self.chat.streaming.take().map(|(_, at)| at);
                self.dirty = true;
                let Some(turn) = self.chat.turns.last_mut() else {
                    return Vec::new();
                };
                if let Some(started) = started {
                    turn.elapsed = now.saturating_duration_since(started);
                }
                match result {
                    Ok(answer) => {
                        self.chat.conversation = Some(answer.conversation_id);
                        finish_turn(turn, *answer);
                    }
                    Err(e) => turn.status = TurnStatus::Failed(e),
                }
                Vec::new()
            }
            Msg::Conversations(result) => {
                self.dirty = true;
                match result {
                    Ok(list) if list.is_empty() => self.info("no conversations yet".into()),
                    Ok(list) => {
                        let selected = self
                            .chat
                            .conversation
                            .and_then(|id| list.iter().position(|c| c.id == id))
                            .unwrap_or(0);
                        self.overlay = Some(Overlay::Conversations { list, selected });
                    }
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::ConversationLoaded { id, result } => {
                self.dirty = true;
                match result {
                    Ok(messages) => {
                        self.chat.conversation = Some(id);
                        self.chat.turns = turns_of(&messages);
                        self.chat.selected_citation = None;
                        self.chat.scroll_back = 0;
                    }
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::CrashReport(result) => {
                self.dirty = true;
                match result {
                    Ok(text) => {
                        self.overlay = Some(Overlay::Text {
                            title: "Newest crash report".into(),
                            text,
                            scroll: 0,
                        });
                    }
                    Err(e) => self.info(e),
                }
                Vec::new()
            }
        }
    }

    fn is_streaming(&self, request: u64) -> bool {
        self.chat.streaming.is_some_and(|(id, _)| id == request)
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

    fn health(&mut self, report: &HealthReport) {
        let mut rows = kodiak::health::rows(report);
        let mut gauges = Gauges::of(report);
        let shown = self.health.gauges;
        for (component, shown, now) in [
            ("memory", shown.resident_bytes, &mut gauges.resident_bytes),
            ("disk", shown.free_disk_bytes, &mut gauges.free_disk_bytes),
        ] {
            let find = |rows: &[HealthRow]| rows.iter().position(|r| r.component == component);
            if let (Some(new), Some(old)) = (find(&rows), find(&self.health.rows))
                && rows[new].ok == self.health.rows[old].ok
                && barely_moved(shown, *now)
            {
                rows[new] = self.health.rows[old].clone();
                *now = shown;
            }
        }
        let model = report
            .components
            .llm
            .as_ref()
            .map_or_else(|| "no generator".to_owned(), |m| m.state.replace('_', " "));
        let pane_changed = rows != self.health.rows || self.health.status != Some(report.status);
        let model_changed = model != self.health.model;
        if pane_changed || model_changed {
            self.health.rows = rows;
            self.health.status = Some(report.status);
            self.health.model = model;
            self.health.gauges = gauges;
            self.health.selected = self
                .health
                .selected
                .min(self.health.rows.len().saturating_sub(1));
            // The model's state is in the status bar; the rest only in the health pane, so
            // a change there draws nothing while the pane is out of sight.
            self.dirty |= model_changed || (pane_changed && self.shows(Pane::Health));
        }
    }

    fn show_document(&mut self, doc: PreparedDocument) {
        let from_chat = doc.focus.is_some() && self.focus == Pane::Chat;
        let mut viewer = Viewer {
            doc,
            show_redacted: false,
            top: 0,
            search: String::new(),
            matches: Vec::new(),
            current_match: None,
            pii_cursor: None,
            highlight: None,
            from_chat,
        };
        if let Some(focus) = viewer.doc.focus {
            viewer.highlight = Some(focus);
            viewer.show_offset(focus.0, self.body_height());
        }
        self.viewer = Some(viewer);
        self.focus = Pane::Documents;
    }

    /// Where the keyboard is: which bindings apply.
    pub fn context(&self) -> KeyContext {
        match self.focus {
            Pane::Documents if self.viewer.is_some() => KeyContext::Viewer,
            Pane::Documents => KeyContext::Documents,
            Pane::Chat if self.chat.typing => KeyContext::ChatInput,
            Pane::Chat => KeyContext::Chat,
            Pane::Health => KeyContext::Health,
        }
    }

    fn key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        if key.kind == crossterm::event::KeyEventKind::Release {
            return Vec::new();
        }
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            // Ctrl-C first stops a streaming answer, then quits.
            if let Some((request, _)) = self.chat.streaming {
                return vec![Effect::Cancel { request }];
            }
            self.quit = true;
            return Vec::new();
        }
        self.flash = None;
        if self.overlay.is_some() {
            return self.overlay_key(key);
        }
        let Some(chord) = chord(&key) else {
            return Vec::new();
        };
        let context = self.context();
        let pending = std::mem::take(&mut self.pending_keys);
        match self.keymap.resolve(context, &pending, chord) {
            Resolution::Action(action) => self.act(action, now),
            Resolution::Pending => {
                self.pending_keys = pending;
                self.pending_keys.push(chord);
                Vec::new()
            }
            Resolution::Unbound if context == KeyContext::ChatInput && pending.is_empty() => {
                self.chat.input.input(key);
                self.chat.recall = None;
                Vec::new()
            }
            Resolution::Unbound => Vec::new(),
        }
    }

    fn paste(&mut self, text: &str) {
        match &mut self.overlay {
            Some(Overlay::Prompt { text: prompt, .. }) => {
                // One-line prompts take the paste's first line.
                prompt.push_str(text.lines().next().unwrap_or_default());
            }
            Some(_) => {}
            None if self.focus == Pane::Chat => {
                self.chat.typing = true;
                self.chat.input.insert_str(text.replace("\r\n", "\n"));
            }
            None => {}
        }
    }

    fn act(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let page = isize::try_from(self.body_height().saturating_sub(2).max(1)).unwrap_or(1);
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::NextPane | Action::PrevPane => {
                let at = Pane::ALL.iter().position(|p| *p == self.focus).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { 2 };
                self.focus = Pane::ALL[(at + step) % 3];
            }
            Action::FocusDocuments => self.focus = Pane::Documents,
            Action::FocusChat => self.focus = Pane::Chat,
            Action::FocusHealth => self.focus = Pane::Health,
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Filter => {
                self.overlay = Some(Overlay::Prompt {
                    kind: PromptKind::Filter,
                    text: self.docs.filter.clone(),
                    doc_id: None,
                });
            }
            Action::Sort => {
                self.docs.sort = Some(self.docs.sort.map_or(SortKey::Title, SortKey::next));
                self.docs.refresh();
            }
            Action::Open => {
                if let Some(row) = self.docs.selected_row() {
                    return vec![self.open(row.doc_id, None)];
                }
            }
            Action::Reviewed => return self.toggle_status(ReviewStatus::Reviewed),
            Action::Flagged => return self.toggle_status(ReviewStatus::Flagged),
            Action::Tag | Action::Note => {
                if let Some(doc_id) = self.current_doc() {
                    let kind = if action == Action::Tag {
                        PromptKind::Tag
                    } else {
                        PromptKind::Note
                    };
                    self.overlay = Some(Overlay::Prompt {
                        kind,
                        text: String::new(),
                        doc_id: Some(doc_id),
                    });
                }
            }
            Action::Export => self.overlay = Some(Overlay::ExportFormat),
            Action::Ingest => {
                if self.ingest.is_some() {
                    self.info("an ingest is already running".into());
                } else {
                    self.overlay = Some(Overlay::Prompt {
                        kind: PromptKind::IngestPath,
                        text: String::new(),
                        doc_id: None,
                    });
                }
            }
            Action::Search => {
                let text = self
                    .viewer
                    .as_ref()
                    .map(|v| v.search.clone())
                    .unwrap_or_default();
                self.overlay = Some(Overlay::Prompt {
                    kind: PromptKind::Search,
                    text,
                    doc_id: None,
                });
            }
            Action::NextMatch | Action::PrevMatch => self.jump_match(action == Action::NextMatch),
            Action::NextPii | Action::PrevPii => self.jump_pii(action == Action::NextPii),
            Action::Redacted => self.toggle_redacted(),
            Action::Close => {
                if let Some(viewer) = self.viewer.take()
                    && viewer.from_chat
                {
                    self.focus = Pane::Chat;
                }
            }
            Action::Send => return self.send(now),
            Action::Newline => self.chat.input.insert_newline(),
            Action::RecallPrev => self.recall(true),
            Action::RecallNext => self.recall(false),
            Action::LeaveInput | Action::Cancel => {
                if let Some((request, _)) = self.chat.streaming {
                    return vec![Effect::Cancel { request }];
                }
                if action == Action::LeaveInput {
                    self.chat.typing = false;
                }
            }
            Action::NewConversation => {
                self.chat.conversation = None;
                self.chat.turns.clear();
                self.chat.selected_citation = None;
                self.chat.scroll_back = 0;
                self.info("new conversation".into());
            }
            Action::Scope => {
                self.chat.scope_document = !self.chat.scope_document;
                if self.chat.scope_document && self.viewer.is_none() {
                    self.info("open a document to ask about it alone".into());
                }
            }
            Action::Type => self.chat.typing = true,
            Action::NextCitation | Action::PrevCitation => {
                let all = self.chat.citations();
                if !all.is_empty() {
                    let at = self
                        .chat
                        .selected_citation
                        .and_then(|s| all.iter().position(|c| *c == s));
                    let next = match (at, action == Action::NextCitation) {
                        (None, true) => 0,
                        (None, false) => all.len() - 1,
                        (Some(i), true) => (i + 1) % all.len(),
                        (Some(i), false) => (i + all.len() - 1) % all.len(),
                    };
                    self.chat.selected_citation = Some(all[next]);
                }
            }
            Action::OpenCitation => {
                if let Some(citation) = self.chat.selected() {
                    let focus = Some((citation.char_start, citation.char_end));
                    let doc_id = citation.doc_id;
                    return vec![self.open(doc_id, focus)];
                }
            }
            Action::Copy => {
                let last = self.chat.turns.iter().rev().find(|t| !t.answer.is_empty());
                if let Some(answer) = last.map(|t| t.answer.clone()) {
                    self.info("answer copied to the clipboard".into());
                    return vec![Effect::Copy(answer)];
                }
            }
            Action::Conversations => return vec![Effect::LoadConversations],
            Action::Refresh => return vec![Effect::RefreshHealth],
            Action::ShowCrash => return vec![Effect::ShowCrash],
        }
        Vec::new()
    }

    fn open(&mut self, doc_id: i64, focus: Option<(usize, usize)>) -> Effect {
        let request = self.request_id();
        self.open_request = Some(request);
        Effect::OpenDocument {
            request,
            doc_id,
            focus,
        }
    }

    /// The document review keys apply to: the open one, else the selected one.
    fn current_doc(&self) -> Option<i64> {
        match &self.viewer {
            Some(viewer) => Some(viewer.doc.doc_id),
            None => self.docs.selected_row().map(|r| r.doc_id),
        }
    }

    fn toggle_status(&mut self, status: ReviewStatus) -> Vec<Effect> {
        let Some(doc_id) = self.current_doc() else {
            return Vec::new();
        };
        let current = self
            .docs
            .rows
            .iter()
            .find(|r| r.doc_id == doc_id)
            .map(|r| r.review.status)
            .unwrap_or_default();
        let status = if current == status {
            ReviewStatus::Unreviewed
        } else {
            status
        };
        vec![Effect::SetStatus { doc_id, status }]
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Pane::Documents => match &mut self.viewer {
                Some(viewer) => viewer.scroll(delta),
                None => {
                    let last = self.docs.visible.len().saturating_sub(1);
                    self.docs.selected = self.docs.selected.saturating_add_signed(delta).min(last);
                }
            },
            Pane::Chat => {
                // Up scrolls back through the transcript.
                self.chat.scroll_back = self.chat.scroll_back.saturating_add_signed(-delta);
            }
            Pane::Health => {
                let last = self.health.rows.len().saturating_sub(1);
                self.health.selected = self.health.selected.saturating_add_signed(delta).min(last);
            }
        }
    }

    fn jump_match(&mut self, forward: bool) {
        let height = self.body_height();
        let Some(viewer) = &mut self.viewer else {
            return;
        };
        if viewer.matches.is_empty() {
            return;
        }
        let n = viewer.matches.len();
        let next = match viewer.current_match {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => {
                // The first match from the top of the screen on.
                let from = viewer.rendition().line(viewer.top).0;
                let after = viewer.matches.partition_point(|m| m.0 < from);
                if forward {
                    after % n
                } else {
                    (after + n - 1) % n
                }
            }
        };
        viewer.current_match = Some(next);
        viewer.show_offset(viewer.matches[next].0, height);
    }

    fn jump_pii(&mut self, forward: bool) {
        let height = self.body_height();
        let Some(viewer) = &mut self.viewer else {
            return;
        };
        let n = viewer.rendition().pii.len();
        if n == 0 {
            self.flash = Some((
                FlashLevel::Info,
                "no personal data found in this document".into(),
            ));
            return;
        }
        let next = match viewer.pii_cursor {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => {
                let from = viewer.rendition().line(viewer.top).0;
                let after = viewer.rendition().pii.partition_point(|s| s.start < from);
                if forward {
                    after % n
                } else {
                    (after + n - 1) % n
                }
            }
        };
        viewer.pii_cursor = Some(next);
        let start = viewer.rendition().pii[next].start;
        viewer.show_offset(start, height);
    }

    fn toggle_redacted(&mut self) {
        let Some(viewer) = &mut self.viewer else {
            return;
        };
        let top = viewer.top_offset_original();
        viewer.show_redacted = !viewer.show_redacted;
        let offset = if viewer.show_redacted {
            viewer.doc.map_offset(top, true)
        } else {
            top
        };
        viewer.top = viewer.rendition().line_of(offset);
        viewer.find();
    }

    fn send(&mut self, now: Instant) -> Vec<Effect> {
        let question = self.chat.input.lines().join("\n").trim().to_owned();
        if question.is_empty() {
            return Vec::new();
        }
        if self.chat.streaming.is_some() {
            self.info("an answer is still being written; Esc cancels it".into());
            return Vec::new();
        }
        let documents = match (&self.viewer, self.chat.scope_document) {
            (Some(viewer), true) => vec![viewer.doc.doc_id],
            _ => Vec::new(),
        };
        let request = self.request_id();
        self.chat.history.push(question.clone());
        self.chat.recall = None;
        self.chat.set_input("");
        self.chat.turns.push(Turn::asked(question.clone()));
        self.chat.streaming = Some((request, now));
        self.chat.scroll_back = 0;
        vec![Effect::Ask {
            request,
            question,
            conversation: self.chat.conversation,
            documents,
        }]
    }

    /// Up on the input's first line (or Down on its last) walks through earlier questions;
    /// elsewhere it moves the cursor.
    fn recall(&mut self, back: bool) {
        let row = self.chat.input.cursor().0;
        let last_row = self.chat.input.lines().len().saturating_sub(1);
        if (back && row > 0) || (!back && row < last_row) {
            let movement = if back {
                ratatui_textarea::CursorMove::Up
            } else {
                ratatui_textarea::CursorMove::Down
            };
            self.chat.input.move_cursor(movement);
            return;
        }
        let n = self.chat.history.len();
        if n == 0 {
            return;
        }
        let next = match (self.chat.recall, back) {
            (None, true) => Some(n - 1),
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < n => Some(i + 1),
            (Some(_), false) => None,
        };
        self.chat.recall = next;
        let text = next
            .map(|i| self.chat.history[i].clone())
            .unwrap_or_default();
        self.chat.set_input(&text);
    }

    fn overlay_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(overlay) = self.overlay.take() else {
            return Vec::new();
        };
        match overlay {
            // Help and text overlays scroll; any other key closes them.
            Overlay::Help { scroll } => {
                if let Some(step) = scroll_step(&key) {
                    let scroll = scroll.saturating_add_signed(step);
                    self.overlay = Some(Overlay::Help { scroll });
                }
                Vec::new()
            }
            Overlay::Text {
                title,
                text,
                scroll,
            } => {
                if let Some(step) = scroll_step(&key) {
                    let scroll = scroll.saturating_add_signed(step);
                    self.overlay = Some(Overlay::Text {
                        title,
                        text,
                        scroll,
                    });
                }
                Vec::new()
            }
            Overlay::ExportFormat => {
                let format = match key.code {
                    KeyCode::Char('c') => Some(ReportFormat::Csv),
                    KeyCode::Char('j') => Some(ReportFormat::Json),
                    KeyCode::Char('m') | KeyCode::Enter => Some(ReportFormat::Md),
                    _ => None,
                };
                format.map(Effect::Export).into_iter().collect()
            }
            Overlay::Conversations { list, selected } => match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    let selected = (selected + 1).min(list.len().saturating_sub(1));
                    self.overlay = Some(Overlay::Conversations { list, selected });
                    Vec::new()
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    let selected = selected.saturating_sub(1);
                    self.overlay = Some(Overlay::Conversations { list, selected });
                    Vec::new()
                }
                KeyCode::Enter => list
                    .get(selected)
                    .map(|c| Effect::LoadConversation { id: c.id })
                    .into_iter()
                    .collect(),
                KeyCode::Esc | KeyCode::Char('q') => Vec::new(),
                _ => {
                    self.overlay = Some(Overlay::Conversations { list, selected });
                    Vec::new()
                }
            },
            Overlay::Prompt {
                kind,
                mut text,
                doc_id,
            } => match key.code {
                KeyCode::Enter => self.submit_prompt(kind, text.trim(), doc_id),
                KeyCode::Esc => {
                    if kind == PromptKind::Filter {
                        self.docs.filter.clear();
                        self.docs.refresh();
                    }
                    Vec::new()
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.prompt_changed(kind, &text);
                    self.overlay = Some(Overlay::Prompt { kind, text, doc_id });
                    Vec::new()
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.push(c);
                    self.prompt_changed(kind, &text);
                    self.overlay = Some(Overlay::Prompt { kind, text, doc_id });
                    Vec::new()
                }
                _ => {
                    self.overlay = Some(Overlay::Prompt { kind, text, doc_id });
                    Vec::new()
                }
            },
        }
    }

    /// Filter as you type.
    fn prompt_changed(&mut self, kind: PromptKind, text: &str) {
        if kind == PromptKind::Filter {
            self.docs.filter = text.to_owned();
            self.docs.refresh();
        }
    }

    fn submit_prompt(&mut self, kind: PromptKind, text: &str, doc_id: Option<i64>) -> Vec<Effect> {
        match (kind, doc_id) {
            (PromptKind::Filter, _) => {
                self.docs.filter = text.to_owned();
                self.docs.refresh();
                Vec::new()
            }
            (PromptKind::Search, _) => {
                if let Some(viewer) = &mut self.viewer {
                    viewer.search = text.to_owned();
                    viewer.find();
                    if viewer.matches.is_empty() && !text.is_empty() {
                        self.flash = Some((FlashLevel::Info, format!("`{text}` not found")));
                    }
                }
                self.jump_match(true);
                Vec::new()
            }
            (PromptKind::Tag, Some(doc_id)) if !text.is_empty() => match text.strip_prefix('-') {
                Some(tag) => vec![Effect::RemoveTag {
                    doc_id,
                    tag: tag.to_owned(),
                }],
                None => vec![Effect::AddTag {
                    doc_id,
                    tag: text.to_owned(),
                }],
            },
            (PromptKind::Note, Some(doc_id)) if !text.is_empty() => vec![Effect::AddNote {
                doc_id,
                text: text.to_owned(),
            }],
            (PromptKind::IngestPath, _) if !text.is_empty() => {
                let path = expand_home(text);
                self.ingest = Some(IngestState {
                    path: path.clone(),
                    done: 0,
                    total: 0,
                    phase: IngestPhase::Reading,
                    failed: Vec::new(),
                });
                vec![Effect::Ingest(path)]
            }
            _ => Vec::new(),
        }
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

fn finish_turn(turn: &mut Turn, answer: kodiak::answer::Answer) {
    turn.status = match answer.finish {
        _ if answer.failure.is_some() => {
            TurnStatus::Failed(answer.failure.clone().unwrap_or_default())
        }
        Some(kodiak::llm::Finish::Cancelled) => TurnStatus::Cancelled,
        Some(kodiak::llm::Finish::Timeout) => TurnStatus::Failed("timed out".into()),
        _ => TurnStatus::Complete,
    };
    // The final text has personal data restored and stop strings cut.
    turn.answer = answer.answer;
    turn.mode = Some(answer.mode);
    turn.citations = answer.citations;
    turn.notes = answer.notes;
    turn.sources = answer.sources.iter().map(SourceLine::of).collect();
    if answer.stats.decode_tokens_per_s > 0.0 {
        turn.tokens_per_s = Some(answer.stats.decode_tokens_per_s);
    }
    if answer.stats.completion_tokens > 0 {
        turn.tokens = answer.stats.completion_tokens;
    }
}

/// A stored conversation as the chat pane's turns.
fn turns_of(stored: &[StoredTurn]) -> Vec<Turn> {
    stored
        .iter()
        .map(|stored| {
            let mut turn = Turn::asked(stored.question.clone());
            turn.status = TurnStatus::Complete;
            let Some(answer) = &stored.answer else {
                return turn;
            };
            turn.answer = answer.text.clone();
            turn.status = match answer.status {
                MessageStatus::Complete => TurnStatus::Complete,
                MessageStatus::Cancelled => TurnStatus::Cancelled,
                MessageStatus::Generating | MessageStatus::Failed => {
                    TurnStatus::Failed(answer.failure().unwrap_or_default())
                }
            };
            turn.mode = answer.mode;
            turn.citations = answer.record.citations.clone();
            turn.notes = answer.record.notes.clone();
            turn.sources = answer.record.sources.iter().map(SourceLine::of).collect();
            turn.tokens_per_s = Some(answer.record.stats.decode_tokens_per_s).filter(|r| *r > 0.0);
            turn
        })
        .collect()
}
