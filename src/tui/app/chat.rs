//! The chat pane: the input, the turns of the conversation, and asking.

use super::*;

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
    /// OCR's confidence on that page, when OCR read it.
    pub ocr_confidence: Option<f32>,
    pub snippet: String,
    /// Where the passage is, to open it.
    pub doc_id: i64,
    pub char_start: usize,
    pub char_end: usize,
}

impl SourceLine {
    pub(super) fn of(source: &Source) -> SourceLine {
        SourceLine {
            n: source.n,
            label: crate::sanitize::line(source.hit.label()).into_owned(),
            page: source.hit.page,
            ocr_confidence: source.hit.ocr_confidence,
            snippet: source.hit.snippet.replace("**", ""),
            doc_id: source.hit.doc_id,
            char_start: source.hit.char_start,
            char_end: source.hit.char_end,
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
    /// Which sentences the passages support (generated answers, once finished).
    pub grounding: Option<kodiak::grounding::Grounding>,
    /// The evidence the answer leads with (`[generator] lead`): the answer is then the
    /// model's draft beneath it.
    pub evidence: Option<String>,
}

impl Turn {
    pub(super) fn asked(question: String) -> Turn {
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
            grounding: None,
            evidence: None,
        }
    }
}

impl Turn {
    /// The answer as `y` copies it: as shown, the evidence first when it leads.
    pub(super) fn as_copied(&self) -> String {
        match &self.evidence {
            Some(evidence) => format!(
                "{evidence}\n\n{}:\n{}",
                kodiak::answer::DRAFT_LABEL,
                self.answer
            ),
            None => self.answer.clone(),
        }
    }
}

/// Where the chat pane's keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatMode {
    /// Keys type the question; bound keys (Enter, Esc, Up…) act.
    Input,
    /// Keys move through the transcript and its citations.
    Transcript,
}

/// The answer being written, as a state machine. Every change goes through its methods:
///
/// ```text
///            ask                 cancel
///   Idle ──────────▶ Streaming ──────────▶ Cancelling
///    ▲                   │                     │
///    └───── finish ──────┴────── finish ───────┘
/// ```
///
/// `finish` is the reply to the request streaming (done, failed, cancelled or panicked:
/// the worker replies in every case); a reply to any other request changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answering {
    Idle,
    Streaming {
        request: u64,
        started: Instant,
    },
    /// The cancel is sent; the answer is being stored as cancelled. A second Ctrl-C quits
    /// (the loop still waits a moment for the answer to be stored).
    Cancelling {
        request: u64,
        started: Instant,
    },
}

impl Answering {
    /// Whether an answer is on its way (streaming or being cancelled).
    pub fn is_active(self) -> bool {
        self != Answering::Idle
    }

    /// The request being answered.
    pub fn request(self) -> Option<u64> {
        match self {
            Answering::Idle => None,
            Answering::Streaming { request, .. } | Answering::Cancelling { request, .. } => {
                Some(request)
            }
        }
    }

    /// When the answer being written was asked for.
    pub fn started(self) -> Option<Instant> {
        match self {
            Answering::Idle => None,
            Answering::Streaming { started, .. } | Answering::Cancelling { started, .. } => {
                Some(started)
            }
        }
    }

    /// Whether `request` is the one being answered.
    pub fn answers(self, request: u64) -> bool {
        self.request() == Some(request)
    }

    /// Idle → Streaming; false (and no change) while another answer is on its way.
    pub(super) fn ask(&mut self, request: u64, now: Instant) -> bool {
        if self.is_active() {
            return false;
        }
        *self = Answering::Streaming {
            request,
            started: now,
        };
        true
    }

    /// Streaming → Cancelling, returning the request to cancel; None when there is nothing
    /// to cancel or the cancel was already sent.
    pub(super) fn cancel(&mut self) -> Option<u64> {
        let Answering::Streaming { request, started } = *self else {
            return None;
        };
        *self = Answering::Cancelling { request, started };
        Some(request)
    }

    /// Streaming or Cancelling → Idle when `request` is the one being answered, returning
    /// when it started.
    pub(super) fn finish(&mut self, request: u64) -> Option<Instant> {
        if !self.answers(request) {
            return None;
        }
        let started = self.started();
        *self = Answering::Idle;
        started
    }
}

pub struct Chat {
    pub input: TextArea<'static>,
    pub mode: ChatMode,
    /// Questions asked in this session, oldest first.
    pub history: Vec<String>,
    pub(super) recall: Option<usize>,
    pub turns: Vec<Turn>,
    pub conversation: Option<i64>,
    pub answering: Answering,
    /// What questions are asked of (Ctrl-O changes it).
    pub scope: ChatScope,
    /// The selected citation: (turn, index in its citations).
    pub selected_citation: Option<(usize, usize)>,
    /// Transcript lines scrolled up from the bottom.
    pub scroll_back: usize,
    /// The sentence of the last answer whose evidence was opened last.
    pub evidence: Option<usize>,
    /// `[generator] min_grounded`: under it, an answer is shown with a warning.
    pub min_grounded: f64,
}

impl Chat {
    pub(super) fn new() -> Chat {
        let mut input = TextArea::default();
        input.set_placeholder_text("Ask about the documents (Enter sends, Alt-Enter new line)");
        Chat {
            input,
            mode: ChatMode::Input,
            history: Vec::new(),
            recall: None,
            turns: Vec::new(),
            conversation: None,
            answering: Answering::Idle,
            scope: ChatScope::All,
            selected_citation: None,
            scroll_back: 0,
            evidence: None,
            min_grounded: kodiak::config::GeneratorConfig::default().min_grounded,
        }
    }

    pub(super) fn set_input(&mut self, text: &str) {
        let mut input = TextArea::from(text.lines().map(str::to_owned).collect::<Vec<_>>());
        input.set_placeholder_text("Ask about the documents (Enter sends, Alt-Enter new line)");
        input.move_cursor(ratatui_textarea::CursorMove::Bottom);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        self.input = input;
    }

    /// Every citation of every turn, in order.
    pub(super) fn citations(&self) -> Vec<(usize, usize)> {
        self.turns
            .iter()
            .enumerate()
            .flat_map(|(t, turn)| (0..turn.citations.len()).map(move |c| (t, c)))
            .collect()
    }

    /// Selects the next (or previous) citation of any turn, wrapping around.
    pub(super) fn select_citation(&mut self, forward: bool) {
        let all = self.citations();
        if all.is_empty() {
            return;
        }
        let at = self
            .selected_citation
            .and_then(|s| all.iter().position(|c| *c == s));
        let next = match (at, forward) {
            (None, true) => 0,
            (None, false) => all.len() - 1,
            (Some(i), true) => (i + 1) % all.len(),
            (Some(i), false) => (i + all.len() - 1) % all.len(),
        };
        self.selected_citation = Some(all[next]);
    }

    /// Up scrolls back through the transcript.
    pub(crate) fn scroll(&mut self, delta: isize) {
        self.scroll_back = self.scroll_back.saturating_add_signed(-delta);
    }

    pub fn selected(&self) -> Option<&Citation> {
        let (t, c) = self.selected_citation?;
        self.turns.get(t)?.citations.get(c)
    }
}

pub(super) fn finish_turn(turn: &mut Turn, answer: kodiak::answer::Answer) {
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
    turn.citations = with_evidence(answer.evidence.as_ref(), answer.citations);
    turn.evidence = answer.evidence.map(|e| e.text);
    turn.notes = answer.notes;
    turn.sources = answer.sources.iter().map(SourceLine::of).collect();
    turn.grounding = answer.grounding;
    if answer.stats.decode_tokens_per_s > 0.0 {
        turn.tokens_per_s = Some(answer.stats.decode_tokens_per_s);
    }
    if answer.stats.completion_tokens > 0 {
        turn.tokens = answer.stats.completion_tokens;
    }
}

/// The citations a reviewer moves through: the evidence's first, as it is shown first,
/// then the model's to passages the evidence does not quote.
fn with_evidence(evidence: Option<&Evidence>, model: Vec<Citation>) -> Vec<Citation> {
    let Some(evidence) = evidence else {
        return model;
    };
    let mut all = evidence.citations.clone();
    all.extend(
        model
            .into_iter()
            .filter(|c| !evidence.citations.iter().any(|e| e.n == c.n)),
    );
    all
}

/// A stored conversation as the chat pane's turns.
pub(super) fn turns_of(stored: &[StoredTurn]) -> Vec<Turn> {
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
            turn.citations = with_evidence(
                answer.record.evidence.as_ref(),
                answer.record.citations.clone(),
            );
            turn.evidence = answer.record.evidence.as_ref().map(|e| e.text.clone());
            turn.notes = answer.record.notes.clone();
            turn.sources = answer.record.sources.iter().map(SourceLine::of).collect();
            turn.grounding = answer.record.grounding.clone();
            turn.tokens_per_s = Some(answer.record.stats.decode_tokens_per_s).filter(|r| *r > 0.0);
            // How long it took is not stored: a stored answer gives its tokens and rate only
            // (its `elapsed` stays zero, which the footer leaves out).
            turn.tokens = answer.record.stats.completion_tokens;
            turn
        })
        .collect()
}

impl App {
    pub(super) fn send(&mut self, now: Instant) -> Vec<Effect> {
        let question = self.chat.input.lines().join("\n").trim().to_owned();
        if question.is_empty() {
            return Vec::new();
        }
        let request = self.request_id();
        if !self.chat.answering.ask(request, now) {
            self.info("an answer is still being written; Esc cancels it");
            return Vec::new();
        }
        let documents = match self.chat.scope {
            ChatScope::All => Vec::new(),
            scope => {
                let documents = self.scoped_documents(scope);
                if documents.is_empty() {
                    self.info(format!(
                        "no {} to ask of: Ctrl-O changes what questions are asked of",
                        scope.noun()
                    ));
                    return Vec::new();
                }
                documents
            }
        };
        self.chat.history.push(question.clone());
        self.chat.recall = None;
        self.chat.set_input("");
        self.chat.evidence = None;
        self.chat.turns.push(Turn::asked(question.clone()));
        self.chat.scroll_back = 0;
        vec![Effect::Job {
            request,
            job: Job::Ask {
                question,
                conversation: self.chat.conversation,
                documents,
            },
        }]
    }

    /// Opens the passage that bears out the last answer's next supported sentence (after
    /// the one opened last), and says which sentence it is.
    fn open_evidence(&mut self) -> Vec<Effect> {
        let Some(turn) = self.chat.turns.last() else {
            return Vec::new();
        };
        let Some(grounding) = &turn.grounding else {
            self.info("only a generated answer has its sentences checked");
            return Vec::new();
        };
        let supported: Vec<(usize, usize)> = grounding
            .sentences
            .iter()
            .enumerate()
            .filter(|(_, s)| s.support.borne_out())
            .filter_map(|(i, s)| Some((i, s.evidence?)))
            .collect();
        let next = self
            .chat
            .evidence
            .and_then(|last| supported.iter().find(|(i, _)| *i > last))
            .or(supported.first())
            .copied();
        let Some((sentence, n)) = next else {
            self.info("no sentence of the last answer is borne out by a passage");
            return Vec::new();
        };
        let Some(source) = turn.sources.iter().find(|s| s.n == n) else {
            return Vec::new();
        };
        let text = grounding.sentences[sentence].text.clone();
        let focus = Focus::about(source.char_start, source.char_end, &text);
        let doc_id = source.doc_id;
        self.chat.evidence = Some(sentence);
        self.info(format!("evidence [{n}] for: {text}"));
        vec![self.open(doc_id, Some(focus))]
    }

    /// Up on the input's first line (or Down on its last) walks through earlier questions;
    /// elsewhere it moves the cursor.
    pub(super) fn recall(&mut self, back: bool) {
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

    /// The chat's actions, in the input and in the transcript.
    pub(crate) fn act_chat(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        match action {
            Action::Send => return self.send(now),
            Action::Newline => self.chat.input.insert_newline(),
            Action::RecallPrev => self.recall(true),
            Action::RecallNext => self.recall(false),
            Action::LeaveInput | Action::Cancel => {
                if let Some(request) = self.chat.answering.cancel() {
                    return vec![Effect::Cancel { request }];
                }
                if matches!(self.chat.answering, Answering::Cancelling { .. }) {
                    self.info("the answer is being cancelled");
                } else if action == Action::LeaveInput {
                    self.chat.mode = ChatMode::Transcript;
                }
            }
            Action::NewConversation => {
                self.chat.conversation = None;
                self.chat.turns.clear();
                self.chat.selected_citation = None;
                self.chat.scroll_back = 0;
                self.info("new conversation");
            }
            Action::Scope => self.next_scope(),
            Action::Type => self.chat.mode = ChatMode::Input,
            Action::NextCitation | Action::PrevCitation => {
                self.chat.select_citation(action == Action::NextCitation);
            }
            Action::OpenCitation => {
                if let Some(citation) = self.chat.selected() {
                    let focus =
                        Focus::about(citation.char_start, citation.char_end, &citation.quote);
                    let (doc_id, focus) = (citation.doc_id, Some(focus));
                    return vec![self.open(doc_id, focus)];
                }
            }
            Action::Evidence => return self.open_evidence(),
            Action::Copy => {
                let last = self.chat.turns.iter().rev().find(|t| !t.answer.is_empty());
                if let Some(answer) = last.map(Turn::as_copied) {
                    self.info("answer copied to the clipboard");
                    return vec![Effect::Copy(answer)];
                }
            }
            Action::Conversations => {
                let request = self.start_job(|jobs| &mut jobs.conversations);
                return vec![Effect::Job {
                    request,
                    job: Job::LoadConversations,
                }];
            }
            _ => {}
        }
        Vec::new()
    }
}

/// What the chat's questions are asked of: every document, or the reviewer's scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatScope {
    #[default]
    All,
    /// The document open in the viewer.
    Open,
    /// The documents the list's filter shows.
    Listed,
    /// The documents selected with Space.
    Selected,
}

impl ChatScope {
    /// The order Ctrl-O goes through them.
    const CYCLE: [ChatScope; 4] = [
        ChatScope::All,
        ChatScope::Open,
        ChatScope::Listed,
        ChatScope::Selected,
    ];

    /// What an empty scope lacks, for the message saying so.
    fn noun(self) -> &'static str {
        match self {
            ChatScope::All => "document",
            ChatScope::Open => "open document",
            ChatScope::Listed => "listed document",
            ChatScope::Selected => "selected document",
        }
    }
}

impl App {
    /// The documents `scope` holds now (none for every document).
    pub(crate) fn scoped_documents(&self, scope: ChatScope) -> Vec<i64> {
        match scope {
            ChatScope::All => Vec::new(),
            ChatScope::Open => self.viewer.iter().map(|v| v.doc.doc_id).collect(),
            ChatScope::Listed => self.docs.listed().map(|row| row.doc_id).collect(),
            ChatScope::Selected => self.docs.marked.iter().copied().collect(),
        }
    }

    /// Ctrl-O: the next scope that holds documents now (the list's only when filtered),
    /// back to every document after the last.
    fn next_scope(&mut self) {
        let at = ChatScope::CYCLE
            .iter()
            .position(|s| *s == self.chat.scope)
            .unwrap_or(0);
        let available = |scope: ChatScope| match scope {
            ChatScope::All => true,
            ChatScope::Listed => {
                !self.docs.filter.trim().is_empty() && !self.scoped_documents(scope).is_empty()
            }
            scope => !self.scoped_documents(scope).is_empty(),
        };
        self.chat.scope = (1..=ChatScope::CYCLE.len())
            .map(|step| ChatScope::CYCLE[(at + step) % ChatScope::CYCLE.len()])
            .find(|scope| available(*scope))
            .unwrap_or(ChatScope::All);
        let said = match self.chat.scope {
            ChatScope::All => "questions are asked of every document".to_owned(),
            scope => {
                let n = self.scoped_documents(scope).len();
                format!(
                    "questions are asked of the {}{} ({n}); Ctrl-O again for the next scope",
                    scope.noun(),
                    if n == 1 { "" } else { "s" }
                )
            }
        };
        self.info(said);
    }
}
