//! The document list: its rows, filter and order, and the actions on the selected document.

use kodiak::config::ListColumn;

use std::sync::Arc;

use super::list_view::{ListInput, ListQuery, ListView, RowIndex};
use super::*;

/// How documents are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    Id,
    Title,
    Format,
    Pages,
    Pii,
    Status,
}

impl SortKey {
    /// The next column to sort by, among those on screen (the title and the id always).
    pub(super) fn next(self, columns: &[ListColumn]) -> SortKey {
        let next = match self {
            SortKey::Id => SortKey::Title,
            SortKey::Title => SortKey::Format,
            SortKey::Format => SortKey::Pages,
            SortKey::Pages => SortKey::Pii,
            SortKey::Pii => SortKey::Status,
            SortKey::Status => SortKey::Id,
        };
        let shown = match next {
            SortKey::Id | SortKey::Title => true,
            SortKey::Format => columns.contains(&ListColumn::Format),
            SortKey::Pages => columns.contains(&ListColumn::Pages),
            SortKey::Pii => columns.contains(&ListColumn::Pii),
            SortKey::Status => columns.contains(&ListColumn::Review),
        };
        if shown { next } else { next.next(columns) }
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
    /// The rows shown, shared with the view jobs (see [`list_view`](super::list_view)).
    pub rows: Arc<Vec<ReportRow>>,
    /// What is derived from `rows`: documents by id, shared titles, threads, groups.
    pub index: Arc<RowIndex>,
    /// Rows read and not yet shown: their view is being made.
    pub incoming: Option<Arc<Vec<ReportRow>>>,
    /// Whether rows read from the matter are shown yet (before, the list says it loads).
    pub loaded: bool,
    /// The filter as typed; see [`filter`](super::filter) for its language.
    pub filter: String,
    /// Why a term of the filter shown does not parse; the other terms apply.
    pub filter_error: Option<String>,
    pub sort: Option<SortKey>,
    /// Indexes into `rows` that pass the filter, in display order.
    pub visible: Vec<usize>,
    /// The TAGS column's width for the rows shown.
    pub tags_width: usize,
    /// Index into `visible`.
    pub selected: usize,
    /// Documents marked with Space: review keys act on all of them at once.
    pub marked: std::collections::BTreeSet<i64>,
    /// `[tui] list_columns`: the columns beside the title, in order.
    pub columns: Vec<ListColumn>,
    /// Threads folded: a thread shows only its inclusive messages.
    pub fold_threads: bool,
}

impl DocList {
    pub(crate) fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Takes a new list of documents; it is shown once its view is made.
    pub(super) fn receive(&mut self, rows: Vec<ReportRow>) {
        self.incoming = Some(Arc::new(rows));
    }

    /// What a view job needs: the newest rows (with their index when it is made), and the
    /// filter, order and folding asked for.
    pub(super) fn view_input(&self) -> ListInput {
        let (rows, index) = match &self.incoming {
            Some(rows) => (Arc::clone(rows), None),
            None => (Arc::clone(&self.rows), Some(Arc::clone(&self.index))),
        };
        ListInput {
            rows,
            index,
            query: ListQuery {
                filter: self.filter.clone(),
                sort: self.sort,
                fold_threads: self.fold_threads,
            },
        }
    }

    /// Shows `view`, keeping the selected document selected when it is still shown.
    pub(super) fn show(&mut self, view: ListView) {
        let keep = self.selected_row().map(|r| r.doc_id);
        if self
            .incoming
            .as_ref()
            .is_some_and(|rows| Arc::ptr_eq(rows, &view.rows))
        {
            self.incoming = None;
            self.loaded = true;
        }
        self.rows = view.rows;
        self.index = view.index;
        self.visible = view.visible;
        self.filter_error = view.filter_error;
        self.tags_width = view.tags_width;
        self.selected = keep
            .and_then(|id| self.position_of(id))
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }

    /// Where document `doc_id` is in the list as shown, if it is shown.
    pub fn position_of(&self, doc_id: i64) -> Option<usize> {
        let row = *self.index.by_id.get(&doc_id)?;
        self.visible.iter().position(|&i| i == row)
    }

    /// Document `doc_id`'s row, as shown.
    pub fn row(&self, doc_id: i64) -> Option<&ReportRow> {
        let row = self.rows.get(*self.index.by_id.get(&doc_id)?)?;
        (row.doc_id == doc_id).then_some(row)
    }

    /// Sets document `doc_id`'s review in the rows shown and in rows on their way; returns
    /// its row as shown.
    pub(super) fn set_review(&mut self, doc_id: i64, review: &Review) -> Option<&ReportRow> {
        if let Some(incoming) = &mut self.incoming
            && let Some(row) = Arc::make_mut(incoming)
                .iter_mut()
                .find(|r| r.doc_id == doc_id)
        {
            row.review = review.clone();
        }
        let at = *self.index.by_id.get(&doc_id)?;
        let row = Arc::make_mut(&mut self.rows).get_mut(at)?;
        if row.doc_id != doc_id {
            return None;
        }
        row.review = review.clone();
        Some(row)
    }

    /// The messages of `row`'s thread and how many are inclusive, when it is one of several.
    pub fn thread_size(&self, row: &ReportRow) -> Option<(usize, usize)> {
        let counts = *self.index.thread_sizes.get(&row.thread_id?)?;
        (counts.0 > 1).then_some(counts)
    }

    /// The documents coded with `row` as a group: its e-mail thread, its family (the e-mail
    /// and its attachments) and its near-duplicate group, itself included; and what they
    /// are, counted ("thread of 3, family of 2").
    pub fn group_of(&self, row: &ReportRow) -> (std::collections::BTreeSet<i64>, String) {
        let mut ids = std::collections::BTreeSet::from([row.doc_id]);
        let mut parts = Vec::new();
        let mut add = |name: &str, member: &dyn Fn(&ReportRow) -> bool| {
            let members: Vec<i64> = self
                .rows
                .iter()
                .filter(|r| member(r))
                .map(|r| r.doc_id)
                .collect();
            if members.len() > 1 {
                parts.push(format!("{name} of {}", members.len()));
                ids.extend(members);
            }
        };
        let head = row.parent_id.unwrap_or(row.doc_id);
        if row.thread_id.is_some() {
            add("thread", &|r| r.thread_id == row.thread_id);
        }
        add("family", &|r| r.doc_id == head || r.parent_id == Some(head));
        if row.near_dup_group.is_some() {
            add("near-duplicates", &|r| {
                r.near_dup_group == row.near_dup_group
            });
        }
        (ids, parts.join(", "))
    }

    /// How the list names a document in `width` cells: its title, with its file name when
    /// another document has the same title ("SUPPLY AGREEMENT · acme-2019.txt", the title
    /// cut first), its file name when it has none. A title too long is cut at its end, a
    /// file name in the middle, keeping both ends.
    pub fn label(&self, row: &ReportRow, width: usize) -> String {
        use crate::tui::wrap::{truncate, truncate_middle, width as cells};
        let whole = crate::sanitize::line(&kodiak::files::distinct_label(
            row.title.as_deref(),
            &row.path,
            &self.index.shared_titles,
        ))
        .into_owned();
        if cells(&whole) <= width {
            return whole;
        }
        let title = title_of(row);
        let titled = row.title.as_deref().is_some_and(|t| !t.is_empty());
        if !titled || !self.index.shared_titles.contains(&title.to_lowercase()) {
            // A title reads from its start; a file name is told apart by both ends.
            return if titled {
                truncate(&title, width)
            } else {
                truncate_middle(&title, width)
            };
        }
        let file = crate::sanitize::line(kodiak::files::document_label(None, &row.path));
        let file = truncate_middle(&file, cells(&file).min(width * 3 / 5));
        let title = truncate(&title, width.saturating_sub(cells(&file) + 3));
        format!("{title} · {file}")
    }

    /// The rows the filter shows, in display order.
    pub fn listed(&self) -> impl Iterator<Item = &ReportRow> {
        self.visible.iter().filter_map(|&i| self.rows.get(i))
    }

    pub fn selected_row(&self) -> Option<&ReportRow> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.rows.get(i))
    }
}

/// A document's name as the list shows it, on one line: a line break or a terminal
/// sequence in a file name or title is shown escaped (`\n`, `\x1b`), as the command line
/// prints it.
pub fn title_of(row: &ReportRow) -> std::borrow::Cow<'_, str> {
    crate::sanitize::line(kodiak::files::document_label(
        row.title.as_deref(),
        &row.path,
    ))
}

pub fn pii_total(row: &ReportRow) -> usize {
    row.pii.values().sum()
}

/// Flagged first, then unreviewed, then reviewed.
pub(super) fn status_rank(row: &ReportRow) -> (bool, u8) {
    let status = match row.review.status {
        ReviewStatus::Unreviewed => 0,
        ReviewStatus::Reviewed => 1,
    };
    (!row.review.flagged, status)
}

/// A review in a line: `✓ reviewed · ⚑ flagged · tags hot, lease · 2 notes`.
pub fn review_summary(review: &Review) -> String {
    let mut parts = vec![match review.status {
        ReviewStatus::Reviewed => "✓ reviewed".to_owned(),
        ReviewStatus::Unreviewed => "unreviewed".to_owned(),
    }];
    if review.flagged {
        parts.push("⚑ flagged".into());
    }
    if !review.tags.is_empty() {
        parts.push(format!("tags {}", review.tags.join(", ")));
    }
    match review.notes.len() {
        0 => {}
        1 => parts.push("1 note".into()),
        n => parts.push(format!("{n} notes")),
    }
    parts.join(" · ")
}

/// A document's review in full for `v` (`label` names the document): status and flag with
/// who set them, each tag with
/// who added it, each note with its author; times local, to the minute.
pub fn review_text(row: &ReportRow, label: &str, offset: time::UtcOffset) -> String {
    let review = &row.review;
    let when = |at: &kodiak::timestamp::Timestamp| at.to_minute_in(offset);
    let mut text = format!("{label}\n\n");
    if let Some(reason) = &row.reason {
        text.push_str(&format!("{}: {reason}\n\n", row.ingest_status));
    }
    text.push_str(&format!("{}\n", review_summary(review)));
    if let Some(at) = &review.updated_at {
        let by = review.updated_by.as_deref().unwrap_or("someone");
        text.push_str(&format!("last marked by {by}, {}\n", when(at)));
    }
    if !review.tagged.is_empty() {
        text.push_str("\nTags:\n");
    }
    for tagged in &review.tagged {
        let by = tagged.added_by.as_deref().unwrap_or("someone");
        text.push_str(&format!(
            "  {} · added by {by}, {}\n",
            tagged.tag,
            when(&tagged.added_at)
        ));
    }
    if review.notes.is_empty() {
        text.push_str("\nNo notes. a adds one.\n");
    }
    for note in &review.notes {
        let by = note.author.as_deref().unwrap_or("someone");
        text.push_str(&format!(
            "\n{by}, {}:\n{}\n",
            when(&note.created_at),
            note.text
        ));
    }
    text
}

impl App {
    /// The list's columns beside the title as they are on screen.
    fn list_columns(&self) -> Vec<ListColumn> {
        let width = self.documents_inner().width;
        crate::tui::layout::list_columns(width, &self.docs.columns)
    }

    /// The document review keys apply to: the open one, else the selected one.
    pub(super) fn current_doc(&self) -> Option<i64> {
        match (&self.viewer, &self.search) {
            (Some(viewer), _) => Some(viewer.doc.doc_id),
            (None, Some(search)) => search.selected_hit().map(|hit| hit.doc_id),
            (None, None) => self.docs.selected_row().map(|r| r.doc_id),
        }
    }

    /// The documents review keys act on: those marked with Space in the list, else the
    /// current one.
    fn coding_targets(&self) -> Vec<i64> {
        if self.viewer.is_none() && !self.docs.marked.is_empty() {
            return self.docs.marked.iter().copied().collect();
        }
        self.current_doc().into_iter().collect()
    }

    fn row_of(&self, doc_id: i64) -> Option<&ReportRow> {
        self.docs.row(doc_id)
    }

    /// Marks the targets `on`, or `off` when all of them already are; in the list, a single
    /// document coded moves the cursor on to the next, so coding goes row after row.
    fn toggle_mark(
        &mut self,
        on: ReviewMark,
        off: ReviewMark,
        is_on: fn(&Review) -> bool,
    ) -> Vec<Effect> {
        let targets = self.coding_targets();
        let all_on = targets
            .iter()
            .all(|&id| self.row_of(id).is_some_and(|row| is_on(&row.review)));
        let mark = if all_on { off } else { on };
        let effects = self.code(&targets, &ReviewChange::Mark(mark));
        if self.viewer.is_none() && self.docs.marked.is_empty() {
            self.docs.move_by(1);
        }
        self.docs.marked.clear();
        effects
    }

    /// Marks the current document reviewed and goes to the next unreviewed one after it in
    /// the list: selected there, or opened when coding in the viewer.
    fn reviewed_and_next(&mut self) -> Vec<Effect> {
        let Some(doc_id) = self.current_doc() else {
            return Vec::new();
        };
        let mut effects = vec![self.review(doc_id, ReviewChange::Mark(ReviewMark::Reviewed))];
        let at = self.docs.position_of(doc_id).unwrap_or(0);
        let rows = &self.docs.rows;
        let next = (at + 1..self.docs.visible.len()).find(|&v| {
            let row = &rows[self.docs.visible[v]];
            row.review.status == ReviewStatus::Unreviewed && row.ingest_status == "ingested"
        });
        match next {
            Some(v) => {
                self.docs.selected = v;
                if self.viewer.is_some() {
                    let next_id = rows[self.docs.visible[v]].doc_id;
                    effects.push(self.open(next_id, None));
                }
            }
            None => {
                let notice = "no unreviewed document after this one";
                self.after_save.insert(doc_id, notice.to_owned());
                self.info(notice);
            }
        }
        effects
    }

    /// The document list's actions.
    pub(crate) fn act_documents(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Filter => {
                self.overlay = Some(Overlay::prompt(
                    PromptKind::Filter,
                    &self.docs.filter,
                    Vec::new(),
                ));
            }
            Action::Sort => {
                let columns = self.list_columns();
                let next = self
                    .docs
                    .sort
                    .map_or(SortKey::Title, |key| key.next(&columns));
                self.docs.sort = Some(next);
                return vec![self.refresh_list()];
            }
            Action::Open => {
                if let Some(row) = self.docs.selected_row() {
                    return vec![self.open(row.doc_id, None)];
                }
            }
            Action::Export => self.overlay = Some(Overlay::ExportFormat),
            Action::TermsReport => self.ask_terms(),
            // While a job runs, the next ingest waits for it.
            Action::Ingest => {
                self.overlay = Some(Overlay::prompt(PromptKind::IngestPath, "", Vec::new()));
            }
            action => return self.act_review(action),
        }
        Vec::new()
    }

    /// Review marks, tags and notes on the current document, from the list or the viewer.
    pub(super) fn act_review(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Reviewed => {
                self.toggle_mark(ReviewMark::Reviewed, ReviewMark::Unreviewed, |review| {
                    review.status == ReviewStatus::Reviewed
                })
            }
            Action::Flagged => {
                self.toggle_mark(ReviewMark::Flagged, ReviewMark::Unflagged, |review| {
                    review.flagged
                })
            }
            Action::ReviewedNext => self.reviewed_and_next(),
            Action::Tag | Action::Note => {
                let targets = self.coding_targets();
                if !targets.is_empty() {
                    let kind = if action == Action::Tag {
                        PromptKind::Tag
                    } else {
                        PromptKind::Note
                    };
                    // The selection stays: a tag, then a note or a mark, for the same documents.
                    self.overlay = Some(Overlay::prompt(kind, "", targets));
                }
                Vec::new()
            }
            Action::ShowReview => {
                if let Some(row) = self.current_doc().and_then(|id| self.row_of(id)) {
                    self.overlay = Some(Overlay::Text {
                        title: "Review".into(),
                        text: review_text(
                            row,
                            &self.docs.label(row, usize::MAX),
                            self.local_offset,
                        ),
                        scroll: 0,
                    });
                }
                Vec::new()
            }
            Action::Mark => {
                if let Some(row) = self.docs.selected_row() {
                    let id = row.doc_id;
                    if !self.docs.marked.remove(&id) {
                        self.docs.marked.insert(id);
                    }
                    self.docs.move_by(1);
                }
                Vec::new()
            }
            Action::NearDupDifference => {
                let Some(row) = self.docs.selected_row() else {
                    return Vec::new();
                };
                match row.near_dup_group {
                    Some(principal) if principal != row.doc_id => {
                        let doc_id = row.doc_id;
                        return vec![Effect::Job {
                            request: self.start_job(|jobs| &mut jobs.difference),
                            job: Job::NearDupDifference { doc_id, principal },
                        }];
                    }
                    Some(_) => self.info("the longest of its group: D on another (≈) compares"),
                    None => self.info("not a near-duplicate of another document"),
                }
                Vec::new()
            }
            Action::MarkGroup => {
                let Some(row) = self.docs.selected_row() else {
                    return Vec::new();
                };
                let (ids, what) = self.docs.group_of(row);
                if ids.len() < 2 {
                    self.info(format!(
                        "#{} is in no thread, family or group of near-duplicates",
                        row.doc_id
                    ));
                } else {
                    self.overlay = Some(Overlay::ConfirmGroup {
                        question: format!(
                            "Select the {} documents of #{} ({what})?",
                            ids.len(),
                            row.doc_id
                        ),
                        ids,
                    });
                }
                Vec::new()
            }
            Action::FoldThreads => {
                self.docs.fold_threads = !self.docs.fold_threads;
                let hidden = self.docs.index.covered_messages;
                self.info(if self.docs.fold_threads {
                    format!("threads folded: {hidden} covered messages hidden (F shows all)")
                } else {
                    "threads unfolded: every message is listed".to_owned()
                });
                vec![self.refresh_list()]
            }
            Action::MarkAll => {
                let listed: Vec<i64> = self.docs.listed().map(|row| row.doc_id).collect();
                if listed.iter().all(|id| self.docs.marked.contains(id)) {
                    for id in &listed {
                        self.docs.marked.remove(id);
                    }
                    self.info("no document selected");
                } else {
                    self.docs.marked.extend(listed.iter().copied());
                    self.info(format!(
                        "{} documents selected: r f t a code them all; * again selects none",
                        self.docs.marked.len()
                    ));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
