//! `[keys]`: the terminal UI's keymap as configuration, checked by the terminal UI, which
//! alone knows its actions (the core keeps the table as written). Every action has a name, a line of
//! help and default keys; a user's `[keys]` table replaces the keys of the actions it
//! names. The help overlay is generated from this table, so it never drifts.
//!
//! Key notation: a character (`q`, `G`, `?`), or a name (`enter`, `esc`, `tab`,
//! `backtab`, `up`, `down`, `left`, `right`, `pgup`, `pgdown`, `home`, `end`, `space`,
//! `backspace`, `delete`, `f1`…`f12`), optionally after `ctrl-`, `alt-` or `shift-`.
//! Two keys separated by a space are a sequence: `] p`.

use kodiak::config::{Invalid, KeysConfig};

/// Where an action applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyContext {
    /// Anywhere, unless text is being typed.
    Global,
    /// The document list.
    Documents,
    /// The document viewer.
    Viewer,
    /// The results of a search of every document.
    Search,
    /// The checklist grid.
    Checklist,
    /// The chat pane while its input has the keyboard.
    ChatInput,
    /// The chat pane's transcript (after Esc leaves the input).
    Chat,
    /// The health pane.
    Health,
}

impl KeyContext {
    pub fn title(self) -> &'static str {
        match self {
            KeyContext::Global => "Everywhere",
            KeyContext::Documents => "Documents",
            KeyContext::Viewer => "Document viewer",
            KeyContext::Search => "Search results",
            KeyContext::Checklist => "Checklist grid",
            KeyContext::ChatInput => "Chat input",
            KeyContext::Chat => "Chat transcript",
            KeyContext::Health => "Health",
        }
    }
}

/// One bindable action: its `[keys]` name, context, help line and default keys.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub context: KeyContext,
    pub help: &'static str,
    pub default_keys: &'static [&'static str],
}

const fn spec(
    name: &'static str,
    context: KeyContext,
    help: &'static str,
    default_keys: &'static [&'static str],
) -> ActionSpec {
    ActionSpec {
        name,
        context,
        help,
        default_keys,
    }
}

use KeyContext::{Chat, ChatInput, Checklist, Documents, Global, Health, Search, Viewer};

/// Every action, in the order the help shows them.
pub const ACTIONS: &[ActionSpec] = &[
    spec(
        "quit",
        Global,
        "quit (Ctrl-C too, after cancelling an answer)",
        &["q"],
    ),
    spec("help", Global, "show or hide this help", &["?", "f1"]),
    spec("next_pane", Global, "focus the next pane", &["tab"]),
    spec("prev_pane", Global, "focus the previous pane", &["backtab"]),
    spec(
        "documents",
        Global,
        "focus Documents (Alt-1 while typing)",
        &["1", "alt-1"],
    ),
    spec(
        "chat",
        Global,
        "focus Chat, ready to type (Alt-2 while typing)",
        &["2", "alt-2"],
    ),
    spec(
        "health",
        Global,
        "focus Health (Alt-3 while typing)",
        &["3", "alt-3"],
    ),
    spec(
        "zoom",
        Global,
        "zoom the focused pane (again: all panes)",
        &["z"],
    ),
    spec(
        "jobs",
        Global,
        "background jobs: running, with rate and time left, and waiting",
        &["J"],
    ),
    spec(
        "cancel_ingest",
        Global,
        "cancel the ingest or embedding (what is stored stays)",
        &["X"],
    ),
    spec(
        "search_corpus",
        Global,
        "search every document (BM25 and vectors)",
        &["S"],
    ),
    spec("matters", Global, "switch to another matter (case)", &["M"]),
    spec(
        "checklists",
        Global,
        "checklist grid: every item of a checklist for every document",
        &["C"],
    ),
    spec("up", Global, "move up", &["k", "up"]),
    spec("down", Global, "move down", &["j", "down"]),
    spec("page_up", Global, "page up", &["pgup", "ctrl-b"]),
    spec("page_down", Global, "page down", &["pgdown", "ctrl-f"]),
    spec("top", Global, "go to the top", &["g", "home"]),
    spec("bottom", Global, "go to the bottom", &["G", "end"]),
    spec("filter", Documents, "filter the list as you type", &["/"]),
    spec("sort", Documents, "sort by the next column", &["s"]),
    spec("open", Documents, "open the document", &["enter"]),
    spec(
        "reviewed",
        Documents,
        "mark reviewed (again: unreviewed)",
        &["r"],
    ),
    spec(
        "flagged",
        Documents,
        "flag (again: unflag); apart from the status",
        &["f"],
    ),
    spec(
        "reviewed_next",
        Documents,
        "mark reviewed, go to the next unreviewed",
        &["x"],
    ),
    spec("tag", Documents, "add a tag (-tag removes it)", &["t"]),
    spec("note", Documents, "add a note", &["a"]),
    spec(
        "show_review",
        Documents,
        "show the review: tags, notes, who and when",
        &["v"],
    ),
    spec(
        "mark",
        Documents,
        "select for coding together (r f t a act on all), and move on",
        &["space"],
    ),
    spec(
        "mark_all",
        Documents,
        "select every listed document (again: none)",
        &["*"],
    ),
    spec(
        "mark_group",
        Documents,
        "select its e-mail thread, family and near-duplicates, after saying how many",
        &["w"],
    ),
    spec(
        "fold_threads",
        Documents,
        "fold threads: show only the inclusive messages (again: all)",
        &["F"],
    ),
    spec(
        "near_dup_difference",
        Documents,
        "show what a near-duplicate (≈) changes of its group's longest",
        &["D"],
    ),
    spec("export", Documents, "export the review report", &["E"]),
    spec(
        "terms_report",
        Documents,
        "count search terms in the listed documents",
        &["T"],
    ),
    spec(
        "ingest",
        Documents,
        "ingest a file or folder (waits for a running one)",
        &["i"],
    ),
    spec(
        "open_hit",
        Search,
        "open the passage highlighted",
        &["enter"],
    ),
    spec(
        "switch_search",
        Search,
        "exact terms only / by meaning too (search again)",
        &["m"],
    ),
    spec(
        "close_search",
        Search,
        "back to the document list",
        &["esc", "backspace"],
    ),
    spec(
        "open_cell",
        Checklist,
        "open the cell's evidence highlighted (Esc comes back)",
        &["enter"],
    ),
    spec("cell_left", Checklist, "previous item", &["h", "left"]),
    spec("cell_right", Checklist, "next item", &["l", "right"]),
    spec(
        "show_cell",
        Checklist,
        "show the cell: question, evidence, why, decision",
        &["v"],
    ),
    spec("confirm", Checklist, "confirm the suggestion", &["c"]),
    spec("correct", Checklist, "correct the answer", &["e"]),
    spec(
        "not_found",
        Checklist,
        "mark: the document has no such clause",
        &["n"],
    ),
    spec(
        "clear_decision",
        Checklist,
        "withdraw your decision (the suggestion counts again)",
        &["u"],
    ),
    spec(
        "filter_cells",
        Checklist,
        "rows where this item is not found / uncertain / found / all",
        &["f"],
    ),
    spec(
        "run_checklist",
        Checklist,
        "run a checklist (a shipped one by name or a file): choose the documents and the model, then it runs in the background",
        &["R"],
    ),
    spec(
        "resume_checklist",
        Checklist,
        "resume the job shown (stopped or cut short)",
        &["r"],
    ),
    spec(
        "cancel_checklist",
        Checklist,
        "stop the running job (what is decided stays)",
        &["x"],
    ),
    spec("older_job", Checklist, "show the older job", &["<"]),
    spec("newer_job", Checklist, "show the newer job", &[">"]),
    spec(
        "close_checklist",
        Checklist,
        "back to the document list",
        &["esc", "backspace"],
    ),
    spec("search", Viewer, "search in the document", &["/"]),
    spec("next_match", Viewer, "next match", &["n"]),
    spec("prev_match", Viewer, "previous match", &["N"]),
    spec("next_pii", Viewer, "next personal data", &["] p"]),
    spec("prev_pii", Viewer, "previous personal data", &["[ p"]),
    spec("redacted", Viewer, "show redacted / original text", &["R"]),
    spec(
        "go_to",
        Viewer,
        "go to a page (12), line (l40) or percent (50%)",
        &[":"],
    ),
    spec("next_heading", Viewer, "next heading", &["] h"]),
    spec("prev_heading", Viewer, "previous heading", &["[ h"]),
    spec(
        "outline",
        Viewer,
        "the outline: headings to jump to",
        &["O"],
    ),
    spec(
        "viewer_reviewed",
        Viewer,
        "mark reviewed (again: unreviewed)",
        &["r"],
    ),
    spec(
        "viewer_flagged",
        Viewer,
        "flag (again: unflag); apart from the status",
        &["f"],
    ),
    spec(
        "viewer_reviewed_next",
        Viewer,
        "mark reviewed, open the next unreviewed",
        &["x"],
    ),
    spec("viewer_tag", Viewer, "add a tag", &["t"]),
    spec("viewer_note", Viewer, "add a note", &["a"]),
    spec(
        "viewer_privilege",
        Viewer,
        "privilege for productions: withhold or redact, with basis and description (none clears)",
        &["P"],
    ),
    spec(
        "viewer_redact",
        Viewer,
        "redact, when produced, the personal data or search match last jumped to",
        &["d"],
    ),
    spec(
        "viewer_redact_lines",
        Viewer,
        "redact, when produced, a range of lines (those on screen offered first)",
        &["V"],
    ),
    spec(
        "viewer_redact_page",
        Viewer,
        "redact, when produced, the page shown, whole",
        &["D"],
    ),
    spec(
        "viewer_show_review",
        Viewer,
        "show the review: tags, notes, who and when",
        &["v"],
    ),
    spec(
        "close",
        Viewer,
        "back to the list, or to the chat after a citation",
        &["esc", "backspace"],
    ),
    spec("send", ChatInput, "ask the question", &["enter"]),
    spec(
        "newline",
        ChatInput,
        "new line in the question",
        &["alt-enter", "ctrl-j"],
    ),
    spec(
        "recall_prev",
        ChatInput,
        "earlier question (on the first line)",
        &["up"],
    ),
    spec(
        "recall_next",
        ChatInput,
        "later question (on the last line)",
        &["down"],
    ),
    spec(
        "leave_input",
        ChatInput,
        "cancel the answer, else leave the input",
        &["esc"],
    ),
    spec(
        "new_conversation",
        ChatInput,
        "start a new conversation",
        &["ctrl-n"],
    ),
    spec(
        "scope",
        ChatInput,
        "ask of: everything / the open / the listed / the selected documents",
        &["ctrl-o"],
    ),
    spec("type", Chat, "back to the input", &["i", "enter"]),
    spec("next_citation", Chat, "select the next citation", &["n"]),
    spec(
        "prev_citation",
        Chat,
        "select the previous citation",
        &["N"],
    ),
    spec(
        "open_citation",
        Chat,
        "open the selected citation's passage",
        &["o"],
    ),
    spec(
        "evidence",
        Chat,
        "open the evidence of the last answer's next supported sentence",
        &["e"],
    ),
    spec("copy", Chat, "copy the last answer (OSC 52)", &["y"]),
    spec("conversations", Chat, "switch conversation", &["c"]),
    spec("cancel", Chat, "cancel the streaming answer", &["esc"]),
    spec("refresh", Health, "refresh now", &["r"]),
    spec(
        "show_crash",
        Health,
        "show the newest crash report",
        &["enter"],
    ),
];

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Backspace,
    Delete,
    F(u8),
}

/// A key with its modifiers. Characters carry their case, so `G` needs no `shift-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub key: KeyName,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl KeyChord {
    pub const fn plain(key: KeyName) -> KeyChord {
        KeyChord {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// Parses one key of the notation above.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut chord = KeyChord::plain(KeyName::Enter);
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                chord.ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                chord.alt = true;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                chord.shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        chord.key = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyName::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyName::Enter,
                "esc" | "escape" => KeyName::Esc,
                "tab" => KeyName::Tab,
                "backtab" => KeyName::BackTab,
                "up" => KeyName::Up,
                "down" => KeyName::Down,
                "left" => KeyName::Left,
                "right" => KeyName::Right,
                "pgup" | "pageup" => KeyName::PageUp,
                "pgdown" | "pagedown" => KeyName::PageDown,
                "home" => KeyName::Home,
                "end" => KeyName::End,
                "space" => KeyName::Char(' '),
                "backspace" => KeyName::Backspace,
                "delete" | "del" => KeyName::Delete,
                name => match name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n @ 1..=12) => KeyName::F(n),
                    _ => return Err(format!("`{text}` is not a key")),
                },
            },
        };
        if chord.shift && chord.key == KeyName::Tab {
            chord = KeyChord::plain(KeyName::BackTab);
        }
        Ok(chord)
    }

    /// The notation for this chord, as the help shows it.
    pub fn label(&self) -> String {
        let mut label = String::new();
        if self.ctrl {
            label.push_str("Ctrl-");
        }
        if self.alt {
            label.push_str("Alt-");
        }
        if self.shift {
            label.push_str("Shift-");
        }
        match self.key {
            KeyName::Char(' ') => label.push_str("Space"),
            KeyName::Char(c) => label.push(c),
            KeyName::Enter => label.push_str("Enter"),
            KeyName::Esc => label.push_str("Esc"),
            KeyName::Tab => label.push_str("Tab"),
            KeyName::BackTab => label.push_str("Shift-Tab"),
            KeyName::Up => label.push('↑'),
            KeyName::Down => label.push('↓'),
            KeyName::Left => label.push('←'),
            KeyName::Right => label.push('→'),
            KeyName::PageUp => label.push_str("PgUp"),
            KeyName::PageDown => label.push_str("PgDn"),
            KeyName::Home => label.push_str("Home"),
            KeyName::End => label.push_str("End"),
            KeyName::Backspace => label.push_str("Backspace"),
            KeyName::Delete => label.push_str("Delete"),
            KeyName::F(n) => label.push_str(&format!("F{n}")),
        }
        label
    }
}

/// A key or a sequence of keys (`] p`).
pub type KeySequence = Vec<KeyChord>;

pub fn parse_sequence(text: &str) -> Result<KeySequence, String> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    match parts.len() {
        0 if text == " " => Ok(vec![KeyChord::plain(KeyName::Char(' '))]),
        0 => Err("an empty key".to_owned()),
        1 | 2 => parts.into_iter().map(KeyChord::parse).collect(),
        _ => Err(format!("`{text}`: a sequence is at most two keys")),
    }
}

/// The check of `[keys]` that every command runs when it loads the configuration, so a
/// wrong key is reported with its file and line before the terminal UI is ever started.
pub fn check(config: &kodiak::config::Config) -> Result<(), Invalid> {
    resolve(&config.keys).map(|_| ())
}

/// Each action's keys after the user's `[keys]`, in [`ACTIONS`] order.
pub fn resolve(user: &KeysConfig) -> Result<Vec<(ActionSpec, Vec<KeySequence>)>, Invalid> {
    for name in user.keys() {
        if !ACTIONS.iter().any(|a| a.name == name) {
            return Err(Invalid {
                key: format!("keys.{name}"),
                message: format!(
                    "no such action; the actions are: {}",
                    ACTIONS
                        .iter()
                        .map(|a| a.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    let mut resolved = Vec::with_capacity(ACTIONS.len());
    for action in ACTIONS {
        let keys: Vec<&str> = match user.get(action.name) {
            Some(list) => list.keys(),
            None => action.default_keys.to_vec(),
        };
        let sequences = keys
            .into_iter()
            .map(parse_sequence)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| Invalid {
                key: format!("keys.{}", action.name),
                message,
            })?;
        resolved.push((*action, sequences));
    }
    // Two actions that can be active at once must not share a key.
    for (i, (a, a_keys)) in resolved.iter().enumerate() {
        for (b, b_keys) in &resolved[i + 1..] {
            let overlapping = a.context == b.context
                || (a.context == KeyContext::Global && b.context != KeyContext::ChatInput)
                || (b.context == KeyContext::Global && a.context != KeyContext::ChatInput);
            if !overlapping {
                continue;
            }
            if let Some(key) = a_keys.iter().find(|k| b_keys.contains(k)) {
                let user_named = if user.contains_key(b.name) { b } else { a };
                return Err(Invalid {
                    key: format!("keys.{}", user_named.name),
                    message: format!(
                        "`{}` is already bound to `{}`",
                        key.iter()
                            .map(KeyChord::label)
                            .collect::<Vec<_>>()
                            .join(" "),
                        if user_named.name == a.name {
                            b.name
                        } else {
                            a.name
                        }
                    ),
                });
            }
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kodiak::config::KeyList;

    #[test]
    fn the_default_keymap_is_valid_and_has_no_clashes() {
        let resolved = resolve(&KeysConfig::new()).unwrap();
        assert_eq!(resolved.len(), ACTIONS.len());
    }

    #[test]
    fn notation_parses_modifiers_names_and_sequences() {
        let chord = KeyChord::parse("ctrl-n").unwrap();
        assert!(chord.ctrl && chord.key == KeyName::Char('n'));
        assert_eq!(KeyChord::parse("G").unwrap().key, KeyName::Char('G'));
        assert_eq!(KeyChord::parse("-").unwrap().key, KeyName::Char('-'));
        assert_eq!(KeyChord::parse("shift-tab").unwrap().key, KeyName::BackTab);
        assert_eq!(KeyChord::parse("F5").unwrap().key, KeyName::F(5));
        assert_eq!(parse_sequence("] p").unwrap().len(), 2);
        assert!(KeyChord::parse("f13").is_err());
        assert!(KeyChord::parse("hyper-x").is_err());
        assert!(parse_sequence("a b c").is_err());
        assert_eq!(KeyChord::parse("alt-enter").unwrap().label(), "Alt-Enter");
    }

    #[test]
    fn user_keys_replace_defaults_and_errors_name_the_key() {
        let mut user = KeysConfig::new();
        user.insert(
            "quit".into(),
            KeyList::Many(vec!["ctrl-q".into(), "Q".into()]),
        );
        let resolved = resolve(&user).unwrap();
        let quit = resolved.iter().find(|(a, _)| a.name == "quit").unwrap();
        assert_eq!(quit.1.len(), 2);

        let mut unknown = KeysConfig::new();
        unknown.insert("explode".into(), KeyList::One("x".into()));
        assert_eq!(resolve(&unknown).unwrap_err().key, "keys.explode");

        let mut bad = KeysConfig::new();
        bad.insert("sort".into(), KeyList::One("ctrl-".into()));
        assert_eq!(resolve(&bad).unwrap_err().key, "keys.sort");

        let mut clash = KeysConfig::new();
        clash.insert("sort".into(), KeyList::One("r".into()));
        let error = resolve(&clash).unwrap_err();
        assert_eq!(error.key, "keys.sort");
        assert!(
            error.message.contains("`r` is already bound to `reviewed`"),
            "{}",
            error.message
        );
    }

    /// The reviewer's guide's key table lists every action of the terminal UI's keymap,
    /// with its help.
    #[test]
    fn the_reviewers_guide_lists_every_key_action() {
        let guide = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/reviewers-guide.md"
        ))
        .unwrap();
        for action in ACTIONS {
            let row = guide
                .lines()
                .find(|line| line.ends_with(&format!("| `{}` |", action.name)))
                .unwrap_or_else(|| {
                    panic!("the guide's key table has no row for `{}`", action.name)
                });
            assert!(
                row.contains(action.help),
                "the guide's row for `{}` does not say: {}",
                action.name,
                action.help
            );
        }
    }
}
