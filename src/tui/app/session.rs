//! The session a restart resumes: where the reviewer was (focused pane, open document and
//! place in it, list filter, order and selection, conversation and scope) and what they
//! typed before (questions, searches). Saved per OS user in the data directory's database
//! when the UI closes, loaded when it starts; a session that cannot be read is ignored.

use serde::{Deserialize, Serialize};

use super::*;

/// Entries of each history kept.
const HISTORY: usize = 50;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    pub focus: Option<Pane>,
    pub zoomed: bool,
    pub filter: String,
    pub sort: Option<SortKey>,
    /// The document selected in the list.
    pub selected: Option<i64>,
    pub open: Option<OpenDocument>,
    pub conversation: Option<i64>,
    /// Sessions saved before scopes other than the open document.
    pub scope_document: bool,
    pub scope: ChatScope,
    /// Questions asked, oldest first.
    pub questions: Vec<String>,
    /// Searches of every document, oldest first.
    pub searches: Vec<String>,
}

/// The open document and the place in it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OpenDocument {
    pub doc_id: i64,
    /// Byte offset in the original text of the first row on screen.
    pub top: usize,
    pub redacted: bool,
}

/// What is restored once the document list or the document arrives.
#[derive(Debug, Clone, Default)]
pub(super) struct Pending {
    selected: Option<i64>,
    open: Option<OpenDocument>,
}

fn last<T: Clone>(items: &[T]) -> Vec<T> {
    items[items.len().saturating_sub(HISTORY)..].to_vec()
}

impl App {
    /// The session as it stands, to save.
    pub fn session(&self) -> Session {
        Session {
            focus: Some(self.focus),
            zoomed: self.zoomed,
            filter: self.docs.filter.clone(),
            sort: self.docs.sort,
            selected: self.docs.selected_row().map(|row| row.doc_id),
            open: self.viewer.as_ref().map(|viewer| OpenDocument {
                doc_id: viewer.doc.doc_id,
                top: viewer.top_offset_original(),
                redacted: viewer.show_redacted,
            }),
            conversation: self.chat.conversation,
            scope_document: self.chat.scope == ChatScope::Open,
            scope: self.chat.scope,
            questions: last(&self.chat.history),
            searches: last(&self.search_history),
        }
    }

    /// Takes up a saved session: what can be set now is, the rest once the list, the
    /// document or the conversation arrives.
    pub(super) fn restore(&mut self, session: Session) -> Vec<Effect> {
        self.focus = session.focus.unwrap_or(self.focus);
        self.zoomed = session.zoomed;
        self.docs.filter = session.filter;
        self.docs.sort = session.sort;
        let mut effects = vec![self.refresh_list()];
        self.chat.scope = match (session.scope, session.scope_document) {
            (ChatScope::All, true) => ChatScope::Open,
            (scope, _) => scope,
        };
        self.chat.history = session.questions;
        self.search_history = session.searches;
        self.pending = Pending {
            selected: session.selected,
            open: session.open,
        };

        if let Some(open) = session.open {
            effects.push(self.open(open.doc_id, None));
        }
        if let Some(id) = session.conversation {
            let request = self.start_job(|jobs| &mut jobs.conversation);
            effects.push(Effect::Job {
                request,
                job: Job::LoadConversation { id },
            });
        }
        self.dirty = true;
        effects
    }

    /// Selects the restored document once the list is shown.
    pub(super) fn select_pending(&mut self) {
        let Some(id) = self.pending.selected.take() else {
            return;
        };
        if let Some(at) = self.docs.position_of(id) {
            self.docs.selected = at;
        }
    }

    /// Puts the restored place back when its document opens.
    pub(super) fn place_pending(&mut self) {
        let size = self.viewer_size();
        let (Some(open), Some(viewer)) = (self.pending.open, self.viewer.as_mut()) else {
            return;
        };
        if open.doc_id != viewer.doc.doc_id {
            return;
        }
        self.pending.open = None;
        viewer.show_redacted = open.redacted;
        // The document may have been ingested again, shorter, since.
        let top = open.top.min(viewer.doc.original.text.len());
        viewer.place_at(viewer.in_rendition(top), size);
    }
}
