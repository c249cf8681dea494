//! The document viewer: the open document, its renditions, search matches and PII jumps.

use super::*;

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
    pub fn rendition(&self) -> &crate::tui::document::Rendition {
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
    pub(super) fn show_offset(&mut self, offset: usize, height: usize) {
        let line = self.rendition().line_of(offset);
        self.top = line.saturating_sub(height / 3);
    }

    pub(super) fn scroll(&mut self, delta: isize) {
        let last = self.rendition().line_count().saturating_sub(1);
        self.top = self.top.saturating_add_signed(delta).min(last);
    }

    pub(super) fn find(&mut self) {
        self.matches = self.rendition().find(&self.search);
        self.current_match = None;
    }
}

impl App {
    pub(super) fn show_document(&mut self, doc: PreparedDocument) {
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

    pub(super) fn open(&mut self, doc_id: i64, focus: Option<(usize, usize)>) -> Effect {
        let request = self.start_job(|jobs| &mut jobs.open);
        Effect::OpenDocument {
            request,
            doc_id,
            focus,
        }
    }

    pub(super) fn jump_match(&mut self, forward: bool) {
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

    pub(super) fn jump_pii(&mut self, forward: bool) {
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

    pub(super) fn toggle_redacted(&mut self) {
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

    /// The viewer's actions; review marks act on the open document.
    pub(super) fn act_viewer(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Search => {
                let text = self
                    .viewer
                    .as_ref()
                    .map(|v| v.search.clone())
                    .unwrap_or_default();
                self.overlay = Some(Overlay::prompt(PromptKind::Search, &text, None));
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
            action => return self.act_review(action),
        }
        Vec::new()
    }
}
