//! Overlays: help, one-line prompts, the export and conversation pickers, text; each takes the
//! keyboard while it is open.

use super::*;

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

impl App {
    pub(super) fn overlay_key(&mut self, key: KeyEvent) -> Vec<Effect> {
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
                let Some(format) = format else {
                    return Vec::new();
                };
                let request = self.start_job(|jobs| &mut jobs.export);
                vec![Effect::Export { request, format }]
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
                KeyCode::Enter => match list.get(selected) {
                    Some(conversation) => {
                        let request = self.start_job(|jobs| &mut jobs.conversation);
                        vec![Effect::LoadConversation {
                            request,
                            id: conversation.id,
                        }]
                    }
                    None => Vec::new(),
                },
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
    pub(super) fn prompt_changed(&mut self, kind: PromptKind, text: &str) {
        if kind == PromptKind::Filter {
            self.docs.filter = text.to_owned();
            self.docs.refresh();
        }
    }

    pub(super) fn submit_prompt(
        &mut self,
        kind: PromptKind,
        text: &str,
        doc_id: Option<i64>,
    ) -> Vec<Effect> {
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
            (PromptKind::Tag, Some(doc_id)) if !text.is_empty() => {
                let change = match text.strip_prefix('-') {
                    Some(tag) => ReviewChange::RemoveTag(tag.to_owned()),
                    None => ReviewChange::AddTag(text.to_owned()),
                };
                vec![self.review(doc_id, change)]
            }
            (PromptKind::Note, Some(doc_id)) if !text.is_empty() => {
                vec![self.review(doc_id, ReviewChange::AddNote(text.to_owned()))]
            }
            (PromptKind::IngestPath, _) if !text.is_empty() => {
                let path = expand_home(text);
                let request = self.start_job(|jobs| &mut jobs.ingest);
                self.ingest = Some(IngestState {
                    request,
                    path: path.clone(),
                    done: 0,
                    total: 0,
                    phase: IngestPhase::Reading,
                    failed: Vec::new(),
                });
                vec![Effect::Ingest { request, path }]
            }
            _ => Vec::new(),
        }
    }
}
