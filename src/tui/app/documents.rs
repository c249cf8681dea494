//! The document list: its rows, filter and order, and the actions on the selected document.

use super::filter::Filter;
use super::*;

/// How documents are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Title,
    Format,
    Pages,
    Pii,
    Status,
}

impl SortKey {
    /// The next column to sort by, among those on screen (format and pages only when the
    /// list is wide enough to show them).
    pub(super) fn next(self, columns: crate::tui::layout::ListColumns) -> SortKey {
        let next = match self {
            SortKey::Id => SortKey::Title,
            SortKey::Title => SortKey::Format,
            SortKey::Format => SortKey::Pages,
            SortKey::Pages => SortKey::Pii,
            SortKey::Pii => SortKey::Status,
            SortKey::Status => SortKey::Id,
        };
        match next {
            SortKey::Format | SortKey::Pages if !columns.format_and_pages => next.next(columns),
            next => next,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Title => "title",
            SortKey::Format => "format",
            SortKey::Pages => "pages",
            SortKey::Pii => "PII",
            SortKey::Status => "review",
        }
    }
}

#[derive(Debug, Default)]
pub struct DocList {
    pub rows: Vec<ReportRow>,
    pub loaded: bool,
    /// The filter as typed; see [`filter`](super::filter) for its language.
    pub filter: String,
    /// Why a term of the filter as typed does not parse; the other terms apply.
    pub filter_error: Option<String>,
    pub sort: Option<SortKey>,
    /// Indexes into `rows` that pass the filter, in display order.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
}

impl DocList {
    pub(super) fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn selected_row(&self) -> Option<&ReportRow> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.rows.get(i))
    }

    /// Recomputes `visible` after the rows, filter or order changed, keeping the selected
    /// document selected when it is still shown.
    pub(super) fn refresh(&mut self) {
        let keep = self.selected_row().map(|r| r.doc_id);
        let (filter, error) = Filter::parse(&self.filter);
        self.filter_error = error;
        self.visible = (0..self.rows.len())
            .filter(|&i| filter.matches(&self.rows[i]))
            .collect();
        if let Some(key) = self.sort {
            // An attachment stays under its e-mail: families sort by their head, and within
            // a family the head comes first, then the attachments in order.
            let rows = &self.rows;
            let by_id: std::collections::HashMap<i64, usize> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.doc_id, i))
                .collect();
            let head = |i: usize| -> &ReportRow {
                let parent = rows[i].parent_id.and_then(|id| by_id.get(&id).copied());
                &rows[parent.unwrap_or(i)]
            };
            let compare = |a: &ReportRow, b: &ReportRow| match key {
                SortKey::Id => a.doc_id.cmp(&b.doc_id),
                SortKey::Title => title_of(a).to_lowercase().cmp(&title_of(b).to_lowercase()),
                SortKey::Format => a.format.cmp(&b.format),
                SortKey::Pages => b.pages.cmp(&a.pages),
                SortKey::Pii => pii_total(b).cmp(&pii_total(a)),
                SortKey::Status => status_rank(a).cmp(&status_rank(b)),
            };
            self.visible.sort_by(|&a, &b| {
                let (head_a, head_b) = (head(a), head(b));
                let (a, b) = (&rows[a], &rows[b]);
                compare(head_a, head_b)
                    .then(head_a.doc_id.cmp(&head_b.doc_id))
                    .then(a.parent_id.is_some().cmp(&b.parent_id.is_some()))
                    .then(a.doc_id.cmp(&b.doc_id))
            });
        }
        self.selected = keep
            .and_then(|id| self.visible.iter().position(|&i| self.rows[i].doc_id == id))
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }
}

pub fn title_of(row: &ReportRow) -> &str {
    row.title
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| row.path.rsplit('/').next().unwrap_or(&row.path))
}

pub fn pii_total(row: &ReportRow) -> usize {
    row.pii.values().sum()
}

pub(super) fn status_rank(row: &ReportRow) -> u8 {
    match row.review.status {
        ReviewStatus::Flagged => 0,
        ReviewStatus::Unreviewed => 1,
        ReviewStatus::Reviewed => 2,
    }
}

impl App {
    /// The list's optional columns as they are on screen.
    fn list_columns(&self) -> crate::tui::layout::ListColumns {
        let areas = self.areas();
        let width = areas
            .panes
            .iter()
            .find(|(pane, _)| *pane == Pane::Documents)
            .map_or(self.size.0, |(_, area)| area.width.saturating_sub(2));
        crate::tui::layout::list_columns(width)
    }

    /// The document review keys apply to: the open one, else the selected one.
    pub(super) fn current_doc(&self) -> Option<i64> {
        match &self.viewer {
            Some(viewer) => Some(viewer.doc.doc_id),
            None => self.docs.selected_row().map(|r| r.doc_id),
        }
    }

    pub(super) fn toggle_status(&mut self, status: ReviewStatus) -> Vec<Effect> {
        let Some(doc_id) = self.current_doc() else {
            return Vec::new();
        };
        let current = self
            .docs
            .rows
            .iter()
            .find(|r| r.doc_id == doc_id)
            .map(|r| r.review.status)
            .unwrap_or_default();
        let status = if current == status {
            ReviewStatus::Unreviewed
        } else {
            status
        };
        vec![self.review(doc_id, ReviewChange::Status(status))]
    }

    /// The document list's actions.
    pub(super) fn act_documents(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Filter => {
                self.overlay = Some(Overlay::prompt(PromptKind::Filter, &self.docs.filter, None));
            }
            Action::Sort => {
                let columns = self.list_columns();
                let next = self
                    .docs
                    .sort
                    .map_or(SortKey::Title, |key| key.next(columns));
                self.docs.sort = Some(next);
                self.docs.refresh();
            }
            Action::Open => {
                if let Some(row) = self.docs.selected_row() {
                    return vec![self.open(row.doc_id, None)];
                }
            }
            Action::Export => self.overlay = Some(Overlay::ExportFormat),
            Action::Ingest => {
                if self.ingest.is_some() {
                    self.info("an ingest is already running".into());
                } else {
                    self.overlay = Some(Overlay::prompt(PromptKind::IngestPath, "", None));
                }
            }
            action => return self.act_review(action),
        }
        Vec::new()
    }

    /// Review marks, tags and notes on the current document, from the list or the viewer.
    pub(super) fn act_review(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Reviewed => self.toggle_status(ReviewStatus::Reviewed),
            Action::Flagged => self.toggle_status(ReviewStatus::Flagged),
            Action::Tag | Action::Note => {
                if let Some(doc_id) = self.current_doc() {
                    let kind = if action == Action::Tag {
                        PromptKind::Tag
                    } else {
                        PromptKind::Note
                    };
                    self.overlay = Some(Overlay::prompt(kind, "", Some(doc_id)));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
