//! Keys to actions, and what each action does.

use super::*;
use crate::tui::components::Movement;

impl App {
    /// Where the keyboard is: which bindings apply.
    pub fn context(&self) -> KeyContext {
        self.component(self.focus).context(self)
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

    pub(super) fn paste(&mut self, text: &str) -> Vec<Effect> {
        match &mut self.overlay {
            Some(Overlay::Prompt { kind, input, .. }) => {
                input.paste(text);
                let (kind, typed) = (*kind, input.text().to_owned());
                return self.prompt_changed(kind, &typed);
            }
            Some(_) => {}
            None if self.focus == Pane::Chat => {
                self.chat.mode = ChatMode::Input;
                self.chat.input.insert_str(text.replace("\r\n", "\n"));
            }
            None => {}
        }
        Vec::new()
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
            Action::Up => self.move_cursor(Movement::By(-1)),
            Action::Down => self.move_cursor(Movement::By(1)),
            Action::PageUp => self.move_cursor(Movement::By(-page)),
            Action::PageDown => self.move_cursor(Movement::By(page)),
            Action::Top => self.move_cursor(Movement::Top),
            Action::Bottom => self.move_cursor(Movement::Bottom),
            _ => return self.component(self.focus).act(self, action, now),
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

    /// Moves the focused component's cursor or view.
    pub(crate) fn move_cursor(&mut self, movement: Movement) {
        self.component(self.focus).move_cursor(self, movement);
    }
}
