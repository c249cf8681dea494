//! The document list's view, made off the UI thread: which rows the filter shows and in
//! what order, and what the list derives from its rows (documents by id, titles two
//! documents share, thread sizes, near-duplicate groups, the TAGS column's width).
//!
//! At 100,000 documents a filter or a sort takes tens of milliseconds. The UI thread only
//! sends the rows (shared, not copied) with the filter, order and folding asked for, and
//! takes the view that comes back; it never walks the whole list on a key or at a frame.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use kodiak::service::ReportRow;

use super::documents::{SortKey, pii_total, status_rank, title_of};
use super::filter::Filter;
use super::{App, Effect, Job, Msg};

/// What the list derives from its rows alone, made again only when the rows change.
#[derive(Debug, Default)]
pub struct RowIndex {
    /// Each document's place in the rows.
    pub by_id: HashMap<i64, usize>,
    /// Titles two documents or more have (lower case): the list tells them apart by file.
    pub shared_titles: HashSet<String>,
    /// How many messages each e-mail thread has, and how many of them are inclusive, by
    /// thread id.
    pub thread_sizes: HashMap<i64, (usize, usize)>,
    /// How many near-duplicates each group has beside its principal, by group (the
    /// principal's id).
    pub near_duplicates: HashMap<i64, usize>,
    /// E-mails a later message of their thread contains: what folding threads hides.
    pub covered_messages: usize,
}

impl RowIndex {
    pub fn of(rows: &[ReportRow]) -> RowIndex {
        let mut index = RowIndex {
            by_id: HashMap::with_capacity(rows.len()),
            shared_titles: kodiak::files::shared_titles(rows.iter().map(|r| r.title.as_deref())),
            ..RowIndex::default()
        };
        for (i, row) in rows.iter().enumerate() {
            index.by_id.insert(row.doc_id, i);
            if let Some(thread) = row.thread_id {
                let (size, inclusive) = index.thread_sizes.entry(thread).or_default();
                *size += 1;
                *inclusive += usize::from(row.inclusive == Some(true));
            }
            if let Some(group) = row.near_dup_group
                && group != row.doc_id
            {
                *index.near_duplicates.entry(group).or_default() += 1;
            }
            index.covered_messages += usize::from(row.inclusive == Some(false));
        }
        index
    }
}

/// What the reviewer asked the list to show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// The filter as typed; see [`filter`](super::filter) for its language.
    pub filter: String,
    pub sort: Option<SortKey>,
    /// Threads folded: a thread shows only its inclusive messages.
    pub fold_threads: bool,
}

/// A view job's input: the rows, shared with the UI; their index when it was already made
/// for these rows.
#[derive(Clone)]
pub struct ListInput {
    pub rows: Arc<Vec<ReportRow>>,
    pub index: Option<Arc<RowIndex>>,
    pub query: ListQuery,
}

impl std::fmt::Debug for ListInput {
    // The rows are named by count: a debug line must not carry 100,000 titles.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListInput")
            .field("rows", &self.rows.len())
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ListInput {
    fn eq(&self, other: &ListInput) -> bool {
        Arc::ptr_eq(&self.rows, &other.rows) && self.query == other.query
    }
}

/// The list as shown: its rows, their index, and the rows the query shows in order.
pub struct ListView {
    pub rows: Arc<Vec<ReportRow>>,
    pub index: Arc<RowIndex>,
    /// Indexes into `rows` that pass the filter, in display order.
    pub visible: Vec<usize>,
    /// Why a term of the filter does not parse; the other terms apply.
    pub filter_error: Option<String>,
    /// The TAGS column's width: the widest tags of a shown row, 4 to 16 cells.
    pub tags_width: usize,
}

impl std::fmt::Debug for ListView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListView")
            .field("rows", &self.rows.len())
            .field("visible", &self.visible.len())
            .field("filter_error", &self.filter_error)
            .finish_non_exhaustive()
    }
}

impl ListInput {
    /// The view: the rows that pass the filter (and are not folded away), in order.
    pub fn run(self) -> ListView {
        let ListInput { rows, index, query } = self;
        let index = index.unwrap_or_else(|| Arc::new(RowIndex::of(&rows)));
        let (filter, filter_error) = Filter::parse(&query.filter);
        // Folded, a message a later one contains goes, and its attachments with it.
        let covered: HashSet<i64> = rows
            .iter()
            .filter(|r| query.fold_threads && r.inclusive == Some(false))
            .map(|r| r.doc_id)
            .collect();
        let folded = |row: &ReportRow| {
            covered.contains(&row.doc_id) || row.parent_id.is_some_and(|p| covered.contains(&p))
        };
        let mut visible: Vec<usize> = (0..rows.len())
            .filter(|&i| filter.matches(&rows[i]) && !folded(&rows[i]))
            .collect();
        if let Some(key) = query.sort {
            sort(&rows, &index, key, &mut visible);
        }
        let tags_width = visible
            .iter()
            .map(|&row| {
                let tags = &rows[row].review.tags;
                tags.iter().map(|t| t.chars().count()).sum::<usize>() + tags.len().saturating_sub(1)
            })
            .max()
            .unwrap_or(0)
            .clamp(4, 16);
        ListView {
            rows,
            index,
            visible,
            filter_error,
            tags_width,
        }
    }
}

/// Orders `visible` by `key`. An attachment stays under its e-mail: families sort by their
/// head, and within a family the head comes first, then the attachments in order.
fn sort(rows: &[ReportRow], index: &RowIndex, key: SortKey, visible: &mut [usize]) {
    let head = |i: usize| -> usize {
        rows[i]
            .parent_id
            .and_then(|id| index.by_id.get(&id).copied())
            .unwrap_or(i)
    };
    // Titles are lower-cased once, not at each of the sort's comparisons (a 100,000-row
    // list makes some 3 million).
    let titles: Vec<String> = match key {
        SortKey::Title => rows.iter().map(|r| title_of(r).to_lowercase()).collect(),
        _ => Vec::new(),
    };
    let compare = |a: usize, b: usize| {
        let (ra, rb) = (&rows[a], &rows[b]);
        match key {
            SortKey::Id => ra.doc_id.cmp(&rb.doc_id),
            SortKey::Title => titles[a].cmp(&titles[b]),
            SortKey::Format => ra.format.cmp(&rb.format),
            SortKey::Pages => rb.pages.cmp(&ra.pages),
            SortKey::Pii => pii_total(rb).cmp(&pii_total(ra)),
            SortKey::Status => status_rank(ra).cmp(&status_rank(rb)),
        }
    };
    visible.sort_by(|&a, &b| {
        let (head_a, head_b) = (head(a), head(b));
        let (ra, rb) = (&rows[a], &rows[b]);
        compare(head_a, head_b)
            .then(rows[head_a].doc_id.cmp(&rows[head_b].doc_id))
            .then(ra.parent_id.is_some().cmp(&rb.parent_id.is_some()))
            .then(ra.doc_id.cmp(&rb.doc_id))
    });
}

impl App {
    /// Asks for the list's view again, after its rows, filter, order or folding changed.
    /// Until it comes, the list shows what it showed.
    pub(super) fn refresh_list(&mut self) -> Effect {
        let request = self.start_job(|jobs| &mut jobs.list);
        Effect::Job {
            request,
            job: Job::ListView(self.docs.view_input()),
        }
    }

    /// Runs the list-view jobs among `effects` here and now, applying their views, and
    /// returns the other effects: for the UI's tests and its drawing benchmark, which have
    /// no worker.
    pub fn run_list_views(&mut self, effects: Vec<Effect>, now: Instant) -> Vec<Effect> {
        let mut others = Vec::new();
        let mut queue = effects;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for effect in queue {
                match effect {
                    Effect::Job {
                        request,
                        job: Job::ListView(input),
                    } => next.extend(self.update(
                        Msg::ListView {
                            request,
                            result: Ok(Box::new(input.run())),
                        },
                        now,
                    )),
                    other => others.push(other),
                }
            }
            queue = next;
        }
        others
    }
}
