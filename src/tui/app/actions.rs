//! Keys to actions, and what each action does.

use super::*;

impl App {
    /// Where the keyboard is: which bindings apply.
    pub fn context(&self) -> KeyContext {
        match self.focus {
            Pane::Documents if self.viewer.is_some() => KeyContext::Viewer,
            Pane::Documents => KeyContext::Documents,
            Pane::Chat if self.chat.mode == ChatMode::Input => KeyContext::ChatInput,
            Pane::Chat => KeyContext::Chat,
            Pane::Health => KeyContext::Health,
        }
    }

    pub(super) fn key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        if key.kind == crossterm::event::KeyEventKind::Release {
            return Vec::new();
        }
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            // Ctrl-C first stops a streaming answer; once that is asked, it quits.
            if let Some(request) = self.chat.answering.cancel() {
                self.info("cancelling the answer; Ctrl-C again quits".into());
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

    pub(super) fn paste(&mut self, text: &str) {
        match &mut self.overlay {
            Some(Overlay::Prompt { text: prompt, .. }) => {
                // One-line prompts take the paste's first line.
                prompt.push_str(text.lines().next().unwrap_or_default());
            }
            Some(_) => {}
            None if self.focus == Pane::Chat => {
                self.chat.mode = ChatMode::Input;
                self.chat.input.insert_str(text.replace("\r\n", "\n"));
            }
            None => {}
        }
    }

    pub(super) fn act(&mut self, action: Action, now: Instant) -> Vec<Effect> {
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
                if let Some(request) = self.chat.answering.cancel() {
                    return vec![Effect::Cancel { request }];
                }
                if matches!(self.chat.answering, Answering::Cancelling { .. }) {
                    self.info("the answer is being cancelled".into());
                } else if action == Action::LeaveInput {
                    self.chat.mode = ChatMode::Transcript;
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
            Action::Type => self.chat.mode = ChatMode::Input,
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
            Action::Conversations => {
                let request = self.start_job(|jobs| &mut jobs.conversations);
                return vec![Effect::LoadConversations { request }];
            }
            Action::Refresh => return vec![self.refresh_health()],
            Action::ShowCrash => {
                let request = self.start_job(|jobs| &mut jobs.crash);
                return vec![Effect::ShowCrash { request }];
            }
        }
        Vec::new()
    }
}
