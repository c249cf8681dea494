//! Keys to actions, per context, from the `[keys]` configuration (defaults in
//! `keys::ACTIONS`). Sequences such as `] p` wait for their second key.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keys::{self, ActionSpec, KeyChord, KeyContext, KeyName, KeySequence};
use kodiak::config::Invalid;
use kodiak::config::KeysConfig;

/// Everything a key can ask for. The names are the `[keys]` names in
/// `keys::ACTIONS`; see there for what each does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    NextPane,
    PrevPane,
    FocusDocuments,
    FocusChat,
    FocusHealth,
    Zoom,
    CancelIngest,
    Jobs,
    SearchCorpus,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    Sort,
    Open,
    Reviewed,
    Flagged,
    ReviewedNext,
    ShowReview,
    Mark,
    MarkAll,
    MarkGroup,
    FoldThreads,
    NearDupDifference,
    Tag,
    Note,
    Export,
    TermsReport,
    Matters,
    Ingest,
    Search,
    NextMatch,
    PrevMatch,
    NextPii,
    PrevPii,
    Redacted,
    Privilege,
    Redact,
    RedactLines,
    RedactPage,
    GoTo,
    NextHeading,
    PrevHeading,
    Outline,
    Close,
    Send,
    Newline,
    RecallPrev,
    RecallNext,
    LeaveInput,
    NewConversation,
    Scope,
    SwitchSearch,
    Type,
    NextCitation,
    PrevCitation,
    OpenCitation,
    Evidence,
    Copy,
    Conversations,
    Cancel,
    Refresh,
    ShowCrash,
    Checklists,
    Left,
    Right,
    FilterCells,
    ShowCell,
    Confirm,
    Correct,
    MarkNotFound,
    ClearDecision,
    RunChecklist,
    ResumeChecklist,
    CancelChecklist,
    OlderJob,
    NewerJob,
}

impl Action {
    /// The action a `[keys]` name stands for.
    pub fn from_name(name: &str) -> Option<Action> {
        Some(match name {
            "quit" => Action::Quit,
            "help" => Action::Help,
            "next_pane" => Action::NextPane,
            "prev_pane" => Action::PrevPane,
            "documents" => Action::FocusDocuments,
            "chat" => Action::FocusChat,
            "health" => Action::FocusHealth,
            "zoom" => Action::Zoom,
            "cancel_ingest" => Action::CancelIngest,
            "jobs" => Action::Jobs,
            "search_corpus" => Action::SearchCorpus,
            "open_hit" => Action::Open,
            "close_search" => Action::Close,
            "switch_search" => Action::SwitchSearch,
            "up" => Action::Up,
            "down" => Action::Down,
            "page_up" => Action::PageUp,
            "page_down" => Action::PageDown,
            "top" => Action::Top,
            "bottom" => Action::Bottom,
            "filter" => Action::Filter,
            "sort" => Action::Sort,
            "open" => Action::Open,
            "go_to" => Action::GoTo,
            "next_heading" => Action::NextHeading,
            "prev_heading" => Action::PrevHeading,
            "outline" => Action::Outline,
            "reviewed" | "viewer_reviewed" => Action::Reviewed,
            "flagged" | "viewer_flagged" => Action::Flagged,
            "reviewed_next" | "viewer_reviewed_next" => Action::ReviewedNext,
            "show_review" | "viewer_show_review" => Action::ShowReview,
            "mark" => Action::Mark,
            "mark_all" => Action::MarkAll,
            "mark_group" => Action::MarkGroup,
            "fold_threads" => Action::FoldThreads,
            "near_dup_difference" => Action::NearDupDifference,
            "tag" | "viewer_tag" => Action::Tag,
            "note" | "viewer_note" => Action::Note,
            "export" => Action::Export,
            "terms_report" => Action::TermsReport,
            "matters" => Action::Matters,
            "ingest" => Action::Ingest,
            "search" => Action::Search,
            "next_match" => Action::NextMatch,
            "prev_match" => Action::PrevMatch,
            "next_pii" => Action::NextPii,
            "prev_pii" => Action::PrevPii,
            "redacted" => Action::Redacted,
            "viewer_privilege" => Action::Privilege,
            "viewer_redact" => Action::Redact,
            "viewer_redact_page" => Action::RedactPage,
            "viewer_redact_lines" => Action::RedactLines,
            "close" => Action::Close,
            "send" => Action::Send,
            "newline" => Action::Newline,
            "recall_prev" => Action::RecallPrev,
            "recall_next" => Action::RecallNext,
            "leave_input" => Action::LeaveInput,
            "new_conversation" => Action::NewConversation,
            "scope" => Action::Scope,
            "type" => Action::Type,
            "next_citation" => Action::NextCitation,
            "prev_citation" => Action::PrevCitation,
            "open_citation" => Action::OpenCitation,
            "evidence" => Action::Evidence,
            "copy" => Action::Copy,
            "conversations" => Action::Conversations,
            "cancel" => Action::Cancel,
            "refresh" => Action::Refresh,
            "show_crash" => Action::ShowCrash,
            "checklists" => Action::Checklists,
            "open_cell" => Action::Open,
            "close_checklist" => Action::Close,
            "cell_left" => Action::Left,
            "cell_right" => Action::Right,
            "filter_cells" => Action::FilterCells,
            "show_cell" => Action::ShowCell,
            "confirm" => Action::Confirm,
            "correct" => Action::Correct,
            "not_found" => Action::MarkNotFound,
            "clear_decision" => Action::ClearDecision,
            "run_checklist" => Action::RunChecklist,
            "resume_checklist" => Action::ResumeChecklist,
            "cancel_checklist" => Action::CancelChecklist,
            "older_job" => Action::OlderJob,
            "newer_job" => Action::NewerJob,
            _ => return None,
        })
    }
}

/// What a key means now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Action(Action),
    /// The first key of a sequence: wait for the next.
    Pending,
    /// Not bound here.
    Unbound,
}

pub struct Keymap {
    bindings: HashMap<(KeyContext, KeySequence), Action>,
    /// For the help overlay: each action with its keys, in the table's order.
    pub help: Vec<(ActionSpec, Vec<String>)>,
}

impl Keymap {
    pub fn new(user: &KeysConfig) -> Result<Keymap, Invalid> {
        let resolved = keys::resolve(user)?;
        let mut bindings = HashMap::new();
        let mut help = Vec::new();
        for (spec, sequences) in resolved {
            let Some(action) = Action::from_name(spec.name) else {
                continue;
            };
            let labels = sequences
                .iter()
                .map(|s| s.iter().map(KeyChord::label).collect::<Vec<_>>().join(" "))
                .collect();
            for sequence in sequences {
                bindings.insert((spec.context, sequence), action);
            }
            help.push((spec, labels));
        }
        Ok(Keymap { bindings, help })
    }

    /// The action for `pending` followed by `chord` in `context`. Global bindings apply
    /// everywhere except to printable keys while typing.
    pub fn resolve(
        &self,
        context: KeyContext,
        pending: &[KeyChord],
        chord: KeyChord,
    ) -> Resolution {
        let mut sequence = pending.to_vec();
        sequence.push(chord);
        let typing = context == KeyContext::ChatInput;
        let contexts: &[KeyContext] = if context == KeyContext::Global {
            &[KeyContext::Global]
        } else {
            &[context, KeyContext::Global]
        };
        for &ctx in contexts {
            if ctx == KeyContext::Global && typing && is_printable(&sequence) {
                continue;
            }
            if let Some(action) = self.bindings.get(&(ctx, sequence.clone())) {
                return Resolution::Action(*action);
            }
        }
        let prefix = self.bindings.keys().any(|(ctx, keys)| {
            contexts.contains(ctx) && keys.len() > sequence.len() && keys.starts_with(&sequence)
        });
        if prefix && !(typing && is_printable(&sequence)) {
            Resolution::Pending
        } else {
            Resolution::Unbound
        }
    }
}

fn is_printable(sequence: &[KeyChord]) -> bool {
    sequence
        .iter()
        .all(|c| matches!(c.key, KeyName::Char(_)) && !c.ctrl && !c.alt)
}

/// The chord for a terminal key event; None for keys Kodiak never binds.
pub fn chord(event: &KeyEvent) -> Option<KeyChord> {
    let key = match event.code {
        KeyCode::Char(c) => KeyName::Char(c),
        KeyCode::Enter => KeyName::Enter,
        KeyCode::Esc => KeyName::Esc,
        KeyCode::Tab => KeyName::Tab,
        KeyCode::BackTab => KeyName::BackTab,
        KeyCode::Up => KeyName::Up,
        KeyCode::Down => KeyName::Down,
        KeyCode::Left => KeyName::Left,
        KeyCode::Right => KeyName::Right,
        KeyCode::PageUp => KeyName::PageUp,
        KeyCode::PageDown => KeyName::PageDown,
        KeyCode::Home => KeyName::Home,
        KeyCode::End => KeyName::End,
        KeyCode::Backspace => KeyName::Backspace,
        KeyCode::Delete => KeyName::Delete,
        KeyCode::F(n) => KeyName::F(n),
        _ => return None,
    };
    let m = event.modifiers;
    // A character carries its case, and BackTab is Shift-Tab already.
    let shift =
        m.contains(KeyModifiers::SHIFT) && !matches!(key, KeyName::Char(_) | KeyName::BackTab);
    Some(KeyChord {
        key,
        ctrl: m.contains(KeyModifiers::CONTROL),
        alt: m.contains(KeyModifiers::ALT),
        shift,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configurable_action_has_a_meaning() {
        for spec in keys::ACTIONS {
            assert!(Action::from_name(spec.name).is_some(), "{}", spec.name);
        }
    }

    #[test]
    fn sequences_wait_and_typing_keeps_printable_keys() {
        let keymap = Keymap::new(&KeysConfig::new()).unwrap();
        let key = |c| KeyChord::plain(KeyName::Char(c));
        assert_eq!(
            keymap.resolve(KeyContext::Viewer, &[], key(']')),
            Resolution::Pending
        );
        assert_eq!(
            keymap.resolve(KeyContext::Viewer, &[key(']')], key('p')),
            Resolution::Action(Action::NextPii)
        );
        assert_eq!(
            keymap.resolve(KeyContext::Viewer, &[], key('q')),
            Resolution::Action(Action::Quit)
        );
        assert_eq!(
            keymap.resolve(KeyContext::ChatInput, &[], key('q')),
            Resolution::Unbound
        );
        assert_eq!(
            keymap.resolve(KeyContext::ChatInput, &[], KeyChord::plain(KeyName::Tab)),
            Resolution::Action(Action::NextPane)
        );
        assert_eq!(
            keymap.resolve(KeyContext::Documents, &[], key('r')),
            Resolution::Action(Action::Reviewed)
        );
    }
}
