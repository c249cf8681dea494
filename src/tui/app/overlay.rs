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
    GoTo,
    CorpusSearch,
    /// A checklist file to run.
    ChecklistFile,
    /// A correction of a checklist cell's answer.
    CellAnswer,
    /// Search terms to count in the listed documents.
    Terms,
    /// A privilege decision on the open document: treatment, basis, description.
    Privilege,
    /// The reason for redacting an area of the open document.
    Redact(Area),
    /// Lines of the open document to redact.
    RedactLines,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Filter => "Filter",
            PromptKind::Search => "Search",
            PromptKind::Tag => "Tag (-tag removes)",
            PromptKind::Note => "Note",
            PromptKind::IngestPath => "Ingest path",
            PromptKind::GoTo => "Go to page (12), line (l40) or percent (50%)",
            PromptKind::ChecklistFile => "Checklist file to run",
            PromptKind::CellAnswer => "The right answer",
            PromptKind::Terms => {
                "Terms to count in the listed documents (a; \"b c\"; d* OR e; or a terms file)"
            }
            PromptKind::CorpusSearch => {
                "Search every document (\"a phrase\", term*, -term; ↑ earlier)"
            }
            PromptKind::Privilege => {
                "Privilege: withhold|redact|none, ac|wp|other, then a description for the log"
            }
            PromptKind::Redact(Area::Page { .. }) => "Reason for redacting this page whole",
            PromptKind::RedactLines => "Lines to redact (12-30, or 12)",
            PromptKind::Redact(Area::Span { .. }) => "Reason for this redaction",
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
        input: PromptInput,
        /// The documents a tag or note is for.
        docs: Vec<i64>,
    },
    ExportFormat,
    /// How to run a checklist: which (a shipped one or a file), on which documents, with
    /// the model or not.
    RunChecklist {
        checklists: Vec<ChecklistChoice>,
        which: usize,
        /// The choices of documents there are (all, the filtered list, the selection) and
        /// the one chosen.
        choices: Vec<RunDocuments>,
        chosen: usize,
        use_model: bool,
    },
    /// The background jobs: the running one, live, and those waiting.
    Jobs,
    /// The open document's headings; Enter goes to the selected one.
    Outline {
        selected: usize,
    },
    /// `w`: select a document's thread, family and near-duplicates, only on `y`.
    ConfirmGroup {
        question: String,
        ids: std::collections::BTreeSet<i64>,
    },
    /// `q` while work is in flight: quit only on `y`.
    ConfirmQuit {
        /// What quitting would interrupt.
        work: String,
    },
    Conversations {
        list: Vec<Conversation>,
        selected: usize,
    },
    Text {
        title: String,
        text: String,
        scroll: usize,
    },
    /// The matters, to switch to another.
    Matters {
        list: Vec<kodiak::matter::Matter>,
        selected: usize,
    },
    /// A search-term report; Enter lists a term's documents.
    Terms {
        report: Box<kodiak::report::terms::TermsReport>,
        selected: usize,
    },
}

impl Overlay {
    /// A prompt for `kind`, holding `text` with the cursor at its end.
    pub(super) fn prompt(kind: PromptKind, text: &str, docs: Vec<i64>) -> Overlay {
        Overlay::Prompt {
            kind,
            input: PromptInput::new(text),
            docs,
        }
    }

    /// An empty prompt showing `hint` (what the typed text replaces) until a key is typed.
    pub(super) fn prompt_hinted(kind: PromptKind, hint: &str) -> Overlay {
        let mut input = PromptInput::new("");
        input.0.set_placeholder_text(hint);
        Overlay::Prompt {
            kind,
            input,
            docs: Vec::new(),
        }
    }
}

/// A one-line prompt's text, edited with ratatui-textarea's keys (arrows, Home/End,
/// Ctrl-W, Delete…) on a single line.
/// (Boxed: the editor is large beside the other overlays.)
#[derive(Debug, Clone)]
pub struct PromptInput(Box<TextArea<'static>>);

impl PromptInput {
    fn new(text: &str) -> PromptInput {
        let mut area = TextArea::from([text.to_owned()]);
        area.set_cursor_line_style(ratatui::style::Style::default());
        area.move_cursor(ratatui_textarea::CursorMove::End);
        PromptInput(Box::new(area))
    }

    pub fn text(&self) -> &str {
        self.0.lines().first().map_or("", String::as_str)
    }

    /// The editor, to draw.
    pub fn editor(&self) -> &TextArea<'static> {
        &self.0
    }

    /// Edits with `key`; true if the text changed.
    fn input(&mut self, key: KeyEvent) -> bool {
        self.0.input(key)
    }

    /// Inserts pasted text's first line at the cursor.
    pub(super) fn paste(&mut self, text: &str) {
        self.0.insert_str(text.lines().next().unwrap_or_default());
    }
}

/// Prompts are equal when their text is (the cursor is not compared).
impl PartialEq for PromptInput {
    fn eq(&self, other: &PromptInput) -> bool {
        self.text() == other.text()
    }
}

impl App {
    pub(super) fn overlay_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        let Some(overlay) = self.overlay.take() else {
            return Vec::new();
        };
        match overlay {
            // The cancel key cancels the running job from here too; any other key closes.
            Overlay::Jobs => {
                let cancel = chord(&key).is_some_and(|chord| {
                    self.keymap.resolve(KeyContext::Global, &[], chord)
                        == Resolution::Action(Action::CancelIngest)
                });
                if cancel {
                    self.overlay = Some(Overlay::Jobs);
                    return self.cancel_ingest(now);
                }
                Vec::new()
            }
            Overlay::ConfirmGroup { ids, .. } => {
                if matches!(key.code, KeyCode::Char('y' | 'Y')) {
                    let count = ids.len();
                    self.docs.marked = ids;
                    self.info(format!(
                        "{count} documents selected: r f t a code them all, Space unselects"
                    ));
                }
                Vec::new()
            }
            Overlay::ConfirmQuit { .. } => {
                if matches!(key.code, KeyCode::Char('y' | 'Y')) {
                    self.quit = true;
                }
                Vec::new()
            }
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
            Overlay::Outline { selected } => {
                let count = self.viewer.as_ref().map_or(0, |v| v.doc.headings.len());
                let selected = match key.code {
                    KeyCode::Down | KeyCode::Char('j') => {
                        (selected + 1).min(count.saturating_sub(1))
                    }
                    KeyCode::Up | KeyCode::Char('k') => selected.saturating_sub(1),
                    KeyCode::PageDown => (selected + 10).min(count.saturating_sub(1)),
                    KeyCode::PageUp => selected.saturating_sub(10),
                    KeyCode::Enter => {
                        self.go_to_heading(selected);
                        return Vec::new();
                    }
                    _ => return Vec::new(),
                };
                self.overlay = Some(Overlay::Outline { selected });
                Vec::new()
            }
            Overlay::RunChecklist {
                checklists,
                mut which,
                choices,
                mut chosen,
                mut use_model,
            } => {
                match key.code {
                    KeyCode::Char('c') => which = (which + 1) % checklists.len().max(1),
                    KeyCode::Char('f') => {
                        self.overlay = Some(Overlay::prompt_hinted(
                            PromptKind::ChecklistFile,
                            "a checklist TOML file, e.g. ~/checklists/leases.toml",
                        ));
                        return Vec::new();
                    }
                    KeyCode::Char('d') => chosen = (chosen + 1) % choices.len().max(1),
                    KeyCode::Char('m') => use_model = !use_model,
                    KeyCode::Enter => {
                        let Some(checklist) = checklists.get(which) else {
                            return Vec::new();
                        };
                        let documents = choices.get(chosen).map_or(Vec::new(), RunDocuments::ids);
                        return self.run_checklist(ChecklistSource::File {
                            path: checklist.spec.clone(),
                            documents,
                            use_model,
                        });
                    }
                    KeyCode::Esc | KeyCode::Char('q') => return Vec::new(),
                    _ => {}
                }
                self.overlay = Some(Overlay::RunChecklist {
                    checklists,
                    which,
                    choices,
                    chosen,
                    use_model,
                });
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
                vec![Effect::Job {
                    request,
                    job: Job::Export { format },
                }]
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
                        vec![Effect::Job {
                            request,
                            job: Job::LoadConversation {
                                id: conversation.id,
                            },
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
            Overlay::Matters { list, selected } => {
                self.matters_key(key, list, selected);
                Vec::new()
            }
            Overlay::Terms { report, selected } => self.terms_key(key, report, selected),
            Overlay::Prompt {
                kind,
                mut input,
                docs,
            } => match key.code {
                KeyCode::Enter => self.submit_prompt(kind, input.text().trim(), docs, now),
                KeyCode::Esc => {
                    if kind == PromptKind::Filter {
                        self.docs.filter.clear();
                        return vec![self.refresh_list()];
                    }
                    Vec::new()
                }
                // ↑ and ↓ recall earlier searches of every document.
                KeyCode::Up | KeyCode::Down if kind == PromptKind::CorpusSearch => {
                    if let Some(text) = self.recall_search(key.code == KeyCode::Up) {
                        input = PromptInput::new(&text);
                    }
                    self.overlay = Some(Overlay::Prompt { kind, input, docs });
                    Vec::new()
                }
                // Ctrl-U clears the line, as in a shell.
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    input = PromptInput::new("");
                    let effects = self.prompt_changed(kind, "");
                    self.overlay = Some(Overlay::Prompt { kind, input, docs });
                    effects
                }
                _ => {
                    let effects = if input.input(key) {
                        self.prompt_changed(kind, input.text())
                    } else {
                        Vec::new()
                    };
                    self.overlay = Some(Overlay::Prompt { kind, input, docs });
                    effects
                }
            },
        }
    }

    /// Filter as you type.
    pub(super) fn prompt_changed(&mut self, kind: PromptKind, text: &str) -> Vec<Effect> {
        if kind != PromptKind::Filter {
            return Vec::new();
        }
        self.docs.filter = text.to_owned();
        vec![self.refresh_list()]
    }

    pub(super) fn submit_prompt(
        &mut self,
        kind: PromptKind,
        text: &str,
        docs: Vec<i64>,
        now: Instant,
    ) -> Vec<Effect> {
        match (kind, docs.is_empty()) {
            (PromptKind::Filter, _) => {
                self.docs.filter = text.to_owned();
                vec![self.refresh_list()]
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
            (PromptKind::Tag, false) if !text.is_empty() => {
                let change = match text.strip_prefix('-') {
                    Some(tag) => ReviewChange::RemoveTag(tag.to_owned()),
                    None => ReviewChange::AddTag(text.to_owned()),
                };
                self.code(&docs, &change)
            }
            (PromptKind::Note, false) if !text.is_empty() => {
                self.code(&docs, &ReviewChange::AddNote(text.to_owned()))
            }
            (PromptKind::GoTo, _) if !text.is_empty() => {
                let size = self.viewer_size();
                if let Some(viewer) = &mut self.viewer
                    && let Err(e) = viewer.go_to(text, size)
                {
                    self.error(e);
                }
                Vec::new()
            }
            (PromptKind::CorpusSearch, _) => self.search_corpus(text),
            (PromptKind::Privilege, false) if !text.trim().is_empty() => {
                match parse_privilege(text) {
                    Ok(decision) => self.code(&docs, &ReviewChange::Privilege(decision)),
                    Err(e) => {
                        self.error(e);
                        Vec::new()
                    }
                }
            }
            (PromptKind::RedactLines, false) => {
                match self.viewer.as_ref().map(|v| v.lines_area(text)) {
                    Some(Ok(area)) => {
                        self.overlay = Some(Overlay::prompt(
                            PromptKind::Redact(area),
                            "Privileged",
                            docs,
                        ));
                    }
                    Some(Err(e)) => self.error(e),
                    None => {}
                }
                Vec::new()
            }
            (PromptKind::Redact(area), false) if !text.trim().is_empty() => self.code(
                &docs,
                &ReviewChange::Redact {
                    area,
                    reason: text.trim().to_owned(),
                },
            ),
            (PromptKind::Terms, false) => self.run_terms(text, docs),
            (PromptKind::ChecklistFile, _) if !text.is_empty() => {
                let path = kodiak::config::expand_home(std::path::Path::new(text));
                self.overlay = Some(self.run_choices(Some(path)));
                Vec::new()
            }
            (PromptKind::CellAnswer, _) if !text.trim().is_empty() => self.decide(
                kodiak::service::DecisionInput::Correct(text.trim().to_owned()),
            ),
            (PromptKind::IngestPath, _) if !text.is_empty() => {
                let path = kodiak::config::expand_home(std::path::Path::new(text));
                self.start_ingest(path, now)
            }
            _ => Vec::new(),
        }
    }
}

impl App {
    /// The run dialog: the shipped checklists, and `file` (chosen) when one was typed; the
    /// documents it may cover (the selection first when there is one, then all, then the
    /// filtered list when a filter hides some), without the model by default.
    pub(super) fn run_choices(&self, file: Option<std::path::PathBuf>) -> Overlay {
        let mut checklists: Vec<ChecklistChoice> = kodiak::checklist::Checklist::shipped()
            .into_iter()
            .map(|c| ChecklistChoice {
                label: format!("{} ({}, {} items)", c.title, c.name, c.items.len()),
                spec: std::path::PathBuf::from(c.name),
            })
            .collect();
        let mut which = 0;
        if let Some(path) = file {
            which = checklists.len();
            checklists.push(ChecklistChoice {
                label: path.display().to_string(),
                spec: path,
            });
        }
        let mut choices = Vec::new();
        if !self.docs.marked.is_empty() {
            choices.push(RunDocuments::Selection(
                self.docs.marked.iter().copied().collect(),
            ));
        }
        choices.push(RunDocuments::All);
        if self.docs.visible.len() < self.docs.rows.len() && !self.docs.visible.is_empty() {
            choices.push(RunDocuments::Filtered(
                self.docs.listed().map(|r| r.doc_id).collect(),
            ));
        }
        Overlay::RunChecklist {
            checklists,
            which,
            choices,
            chosen: 0,
            use_model: false,
        }
    }
}

/// A privilege decision as typed: `withhold ac Advice on the indemnity`, `redact wp …`,
/// `none`. The basis may be written whole (attorney-client, work-product, other).
pub(super) fn parse_privilege(text: &str) -> Result<Option<(Treatment, Basis, String)>, String> {
    let mut words = text.split_whitespace();
    let treatment = match words.next().unwrap_or_default() {
        "none" => return Ok(None),
        "withhold" | "w" => Treatment::Withhold,
        "redact" | "r" => Treatment::Redact,
        other => {
            return Err(format!(
                "{other:?} is not withhold, redact or none (e.g. withhold ac Advice on the lease)"
            ));
        }
    };
    let basis = match words.next().unwrap_or_default() {
        "ac" | "attorney-client" => Basis::AttorneyClient,
        "wp" | "work-product" => Basis::WorkProduct,
        "other" => Basis::Other,
        other => {
            return Err(format!(
                "{other:?} is not a basis: ac (attorney-client), wp (work-product) or other"
            ));
        }
    };
    let description = words.collect::<Vec<_>>().join(" ");
    if description.is_empty() {
        return Err("add a description for the privilege log after the basis".into());
    }
    Ok(Some((treatment, basis, description)))
}
