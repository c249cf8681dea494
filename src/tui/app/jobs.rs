//! Job slots: every background job the UI starts has a request id, and every reply names
//! the request it answers. A slot holds one kind of job (gitui's `AsyncSingleJob`): a new
//! request supersedes the ones before it, and a reply that arrives after a newer one was
//! sent, or was applied, is dropped, so a slow old reply never replaces a newer one.

/// The requests of one kind of job: the newest sent and the newest applied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JobSlot {
    requested: u64,
    applied: u64,
}

impl JobSlot {
    /// Records `request` as the newest of this kind and returns it.
    pub fn start(&mut self, request: u64) -> u64 {
        self.requested = self.requested.max(request);
        request
    }

    /// Whether the reply to `request` is applied: only the newest request's counts, once.
    /// For jobs whose old replies are worthless once a newer request went out (opening a
    /// document, then another).
    pub fn accept_latest(&mut self, request: u64) -> bool {
        if request != self.requested || request <= self.applied {
            return false;
        }
        self.applied = request;
        true
    }

    /// Whether the reply to `request` is applied: any reply newer than the one shown counts.
    /// For jobs that refresh the same view while newer requests are on their way (the
    /// document list read again during an ingest: each list is newer than the last).
    pub fn accept_newer(&mut self, request: u64) -> bool {
        if request <= self.applied || request > self.requested {
            return false;
        }
        self.applied = request;
        true
    }

    /// Whether a request is on its way and not yet answered.
    pub fn pending(&self) -> bool {
        self.requested > self.applied
    }

    /// Drops the replies on their way, for when something changed after they started (a
    /// review written after a list was read); returns whether there were any.
    pub fn drop_pending(&mut self) -> bool {
        let pending = self.pending();
        self.applied = self.requested;
        pending
    }
}

/// The UI's job slots, one per kind of job that replies. (Review changes have one slot per
/// document, in the app: changes to different documents do not supersede each other.)
#[derive(Debug, Default, Clone)]
pub struct Jobs {
    /// The document list.
    pub documents: JobSlot,
    /// The document list's view (filtered, sorted, folded).
    pub list: JobSlot,
    /// The document being opened in the viewer.
    pub open: JobSlot,
    pub export: JobSlot,
    pub ingest: JobSlot,
    /// The list of conversations.
    pub conversations: JobSlot,
    /// A search of every document.
    pub search: JobSlot,
    /// A stored conversation being loaded into the chat.
    pub conversation: JobSlot,
    pub health: JobSlot,
    pub crash: JobSlot,
    /// A near-duplicate's difference from its principal.
    pub difference: JobSlot,
    /// The list of checklist jobs.
    pub checklists: JobSlot,
    /// The checklist grid shown.
    pub grid: JobSlot,
    /// The list of matters, for the switcher.
    pub matters: JobSlot,
    /// A search-term report.
    pub terms: JobSlot,
    /// A look for changes other processes made.
    pub changes: JobSlot,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_latest_takes_only_the_newest_request_and_only_once() {
        let mut slot = JobSlot::default();
        slot.start(1);
        slot.start(2);
        assert!(!slot.accept_latest(1), "an older request's reply");
        assert!(slot.pending());
        assert!(slot.accept_latest(2));
        assert!(!slot.accept_latest(2), "the same reply twice");
        assert!(!slot.pending());
    }

    #[test]
    fn accept_newer_takes_each_reply_newer_than_the_applied_one() {
        let mut slot = JobSlot::default();
        slot.start(1);
        slot.start(2);
        slot.start(3);
        assert!(slot.accept_newer(2));
        assert!(!slot.accept_newer(1), "older than the one shown");
        assert!(slot.pending(), "3 is still on its way");
        assert!(slot.accept_newer(3));
        assert!(!slot.accept_newer(4), "never requested");
    }

    #[test]
    fn drop_pending_makes_the_replies_on_their_way_stale() {
        let mut slot = JobSlot::default();
        slot.start(5);
        assert!(slot.drop_pending());
        assert!(!slot.accept_newer(5));
        assert!(!slot.accept_latest(5));
        assert!(!slot.drop_pending(), "nothing on its way any more");
    }
}
