//! Keys to actions, and what each action does.

use super::*;

impl App {
    /// Where the keyboard is: which bindings apply.
    pub fn context(&self) -> KeyContext {
        match self.focus {
            Pane::Documents if self.viewer.is_some() => KeyContext::Viewer,
            Pane::Documents if self.checklist_shown() => KeyContext::Checklist,
            Pane::Documents if self.search.is_some() => KeyContext::Search,
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
                self.info("cancelling the answer; Ctrl-C again quits");
                return vec![Effect::Cancel { request }];
            }
            self.quit = true;
            return Vec::new();
        }
        self.flash = None;
        if self.overlay.is_some() {
            return self.overlay_key(key, now);
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
            // An Esc and a letter read together arrive as Alt-letter (over SSH, or when
            // typed fast): unbound, it is taken as the two keys it was.
            Resolution::Unbound
                if context == KeyContext::ChatInput
                    && pending.is_empty()
                    && chord.alt
                    && !chord.ctrl
                    && matches!(chord.key, KeyName::Char(_)) =>
            {
                let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
                let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
                let mut effects = self.key(esc, now);
                effects.extend(self.key(plain, now));
                effects
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
            Some(Overlay::Prompt { kind, input, .. }) => {
                input.paste(text);
                let (kind, typed) = (*kind, input.text().to_owned());
                self.prompt_changed(kind, &typed);
            }
            Some(_) => {}
            None if self.focus == Pane::Chat => {
                self.chat.mode = ChatMode::Input;
                self.chat.input.insert_str(text.replace("\r\n", "\n"));
            }
            None => {}
        }
    }

    /// Actions of every context here; the rest go to the component with the keyboard.
    pub(super) fn act(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let page = isize::try_from(self.body_height().saturating_sub(2).max(1)).unwrap_or(1);
        match action {
            Action::Quit => match self.work_in_flight() {
                Some(work) => self.overlay = Some(Overlay::ConfirmQuit { work }),
                None => self.quit = true,
            },
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::NextPane | Action::PrevPane => {
                let at = Pane::ALL.iter().position(|p| *p == self.focus).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { 2 };
                self.focus_pane(Pane::ALL[(at + step) % 3]);
            }
            Action::FocusDocuments => self.focus_pane(Pane::Documents),
            Action::FocusChat => self.focus_pane(Pane::Chat),
            Action::FocusHealth => self.focus_pane(Pane::Health),
            Action::Zoom => self.zoomed = !self.zoomed,
            Action::CancelIngest => return self.cancel_ingest(now),
            Action::Jobs => self.overlay = Some(Overlay::Jobs),
            Action::Checklists => return self.open_checklists(),
            Action::Matters => return self.open_matters(),
            Action::SearchCorpus => {
                self.search_recall = None;
                self.overlay = Some(Overlay::prompt(PromptKind::CorpusSearch, "", Vec::new()));
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_to_end(false),
            Action::Bottom => self.move_to_end(true),
            _ => {
                return match self.context() {
                    KeyContext::Documents => self.act_documents(action),
                    KeyContext::Viewer => self.act_viewer(action),
                    KeyContext::Search => self.act_search(action),
                    KeyContext::Checklist => self.act_checklist(action),
                    KeyContext::Chat | KeyContext::ChatInput => self.act_chat(action, now),
                    KeyContext::Health => self.act_health(action),
                    KeyContext::Global => Vec::new(),
                };
            }
        }
        Vec::new()
    }

    /// Gives `pane` the keyboard. The chat is entered ready to type: what a reviewer types
    /// after focusing it is a question, never a transcript command.
    fn focus_pane(&mut self, pane: Pane) {
        if pane == Pane::Chat && self.focus != Pane::Chat {
            self.chat.mode = ChatMode::Input;
        }
        self.focus = pane;
    }

    /// What `q` would interrupt, if anything: it then asks first.
    pub(super) fn work_in_flight(&self) -> Option<String> {
        if self.chat.answering.is_active() {
            Some("an answer is streaming (it is stored as cancelled)".into())
        } else if let Some(job) = &self.ingest {
            Some(format!("a job is running: {}", job.shown))
        } else {
            let running = self.checklist.as_ref()?.running.as_ref()?;
            Some(format!(
                "a checklist job is running: {} of {} cells (kodiak review resume goes on \
                 with it later)",
                running.counts.cells, running.counts.total
            ))
        }
    }

    /// Moves the focused component's cursor or view to its first or last row.
    fn move_to_end(&mut self, bottom: bool) {
        let size = self.viewer_size();
        match &mut self.viewer {
            Some(viewer) if self.focus == Pane::Documents && bottom => viewer.scroll_to_end(size),
            Some(viewer) if self.focus == Pane::Documents => viewer.top = 0,
            _ => self.move_by(if bottom {
                isize::MAX / 2
            } else {
                isize::MIN / 2
            }),
        }
    }

    /// Moves the focused component's cursor or view by `delta` rows.
    fn move_by(&mut self, delta: isize) {
        let size = self.viewer_size();
        if self.focus == Pane::Documents
            && self.viewer.is_none()
            && let Some(view) = self.checklist.as_mut().filter(|v| v.open)
        {
            view.move_by(delta);
            return;
        }
        match self.focus {
            Pane::Documents => match (&mut self.viewer, &mut self.search) {
                (Some(viewer), _) => viewer.scroll(delta, size),
                (None, Some(search)) => search.move_by(delta),
                (None, None) => self.docs.move_by(delta),
            },
            Pane::Chat => self.chat.scroll(delta),
            Pane::Health => self.health.move_by(delta),
        }
    }
}
