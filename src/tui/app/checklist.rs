//! The checklist grid, shown in the Documents pane until closed: a row per document, a
//! cell per item, the cursor on one cell. Enter opens the cell's evidence highlighted in
//! the viewer (whose Esc comes back here); `c`, `e`, `n` and `u` record the reviewer's
//! decision; `f` keeps the rows where the cursor's item is in a given state; `R` runs a
//! shipped checklist or a file in the background while the grid stays usable, `r` resumes the job
//! shown and `x` stops it.

use std::path::PathBuf;

use kodiak::checklist::decide::CellState;
use kodiak::service::{DecisionInput, Grid, GridCell, GridRow, JobCounts, JobInfo, JobOutcome};
use kodiak::storage::checklists::JobState;

use super::*;
use super::{JobError, Reply};

/// A checklist the run dialog offers: a shipped one by name, or a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistChoice {
    /// What `Checklist::find` is given: a shipped checklist's name or a file's path.
    pub spec: PathBuf,
    /// How the dialog names it.
    pub label: String,
}

/// What a background run is started from.
#[derive(Debug, Clone, PartialEq)]
pub enum ChecklistSource {
    /// A new job of the checklist in this file, over `documents` (every ingested document
    /// when empty), asking the generator about the cells the rules leave unsure when
    /// `use_model`.
    File {
        path: PathBuf,
        documents: Vec<i64>,
        use_model: bool,
    },
    /// Go on with this job.
    Resume(i64),
}

/// Which documents a new checklist job covers, as `R` offers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunDocuments {
    All,
    /// The documents the list's filter shows.
    Filtered(Vec<i64>),
    /// The documents marked with Space.
    Selection(Vec<i64>),
}

impl RunDocuments {
    /// The documents named, none for every document.
    pub fn ids(&self) -> Vec<i64> {
        match self {
            RunDocuments::All => Vec::new(),
            RunDocuments::Filtered(ids) | RunDocuments::Selection(ids) => ids.clone(),
        }
    }

    pub fn describe(&self, all: usize) -> String {
        match self {
            RunDocuments::All => format!("all {all} documents"),
            RunDocuments::Filtered(ids) => format!("the filtered list ({})", ids.len()),
            RunDocuments::Selection(ids) => format!("the selection ({})", ids.len()),
        }
    }
}

/// A cell a running job decided, as it was stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DecidedCell {
    pub doc_id: i64,
    pub item: String,
    pub suggestion: kodiak::checklist::decide::Suggestion,
}

/// A job running in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningChecklist {
    pub request: u64,
    /// Known once the job is created.
    pub job: Option<i64>,
    pub counts: JobCounts,
    pub started: Instant,
    /// Cells the job had when this run began (a resumed job has some): the rate counts
    /// only this run's.
    pub start_cells: Option<usize>,
}

/// The grid and where the reviewer is in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistView {
    /// Every job, newest first.
    pub jobs: Vec<JobInfo>,
    /// The job shown.
    pub job: Option<i64>,
    /// None while it loads.
    pub grid: Option<Reply<Grid>>,
    /// Index into the rows shown (after the filter).
    pub row: usize,
    /// The item's column.
    pub col: usize,
    /// Only rows whose cell in this column is in this state.
    pub filter: Option<(usize, CellState)>,
    pub running: Option<RunningChecklist>,
    /// Shown in the Documents pane (a closed grid is kept while its job runs).
    pub open: bool,
    /// Titles two rows of the grid or more have (lower case): those rows are named by file.
    pub shared_titles: std::collections::HashSet<String>,
}

impl ChecklistView {
    pub fn new() -> ChecklistView {
        ChecklistView {
            open: true,
            jobs: Vec::new(),
            job: None,
            grid: None,
            row: 0,
            col: 0,
            filter: None,
            running: None,
            shared_titles: std::collections::HashSet::new(),
        }
    }

    /// The grid, when loaded.
    pub fn loaded(&self) -> Option<&Grid> {
        self.grid.as_ref().and_then(|g| g.as_ref().ok())
    }

    /// The rows shown, in order: all, or those the filter keeps.
    pub fn rows(&self) -> Vec<&GridRow> {
        let Some(grid) = self.loaded() else {
            return Vec::new();
        };
        grid.rows
            .iter()
            .filter(|row| match self.filter {
                None => true,
                Some((col, state)) => row
                    .cells
                    .get(col)
                    .and_then(Option::as_ref)
                    .is_some_and(|cell| cell.state() == state),
            })
            .collect()
    }

    /// The row and cell under the cursor.
    pub fn current(&self) -> Option<(&GridRow, Option<&GridCell>)> {
        let row = *self.rows().get(self.row)?;
        Some((row, row.cells.get(self.col).and_then(Option::as_ref)))
    }

    fn items(&self) -> usize {
        self.loaded().map_or(0, |g| g.checklist.items.len())
    }

    fn clamp(&mut self) {
        self.row = self.row.min(self.rows().len().saturating_sub(1));
        self.col = self.col.min(self.items().saturating_sub(1));
    }

    /// Moves the cursor `delta` rows.
    pub fn move_by(&mut self, delta: isize) {
        let rows = self.rows().len();
        self.row = self
            .row
            .saturating_add_signed(delta)
            .min(rows.saturating_sub(1));
    }

    /// The job shown, as listed.
    pub fn shown_job(&self) -> Option<&JobInfo> {
        self.jobs.iter().find(|j| Some(j.id) == self.job)
    }
}

impl Default for ChecklistView {
    fn default() -> Self {
        ChecklistView::new()
    }
}

/// The next state `f` filters on: not found, uncertain, found, then no filter.
fn next_filter(state: Option<CellState>) -> Option<CellState> {
    match state {
        None => Some(CellState::NotFound),
        Some(CellState::NotFound) => Some(CellState::Uncertain),
        Some(CellState::Uncertain) => Some(CellState::Found),
        Some(CellState::Found) => None,
    }
}

impl App {
    /// Opens the grid (the newest job's), or brings it back.
    pub(super) fn open_checklists(&mut self) -> Vec<Effect> {
        self.search = None;
        self.viewer = None;
        self.focus = Pane::Documents;
        let view = self.checklist.get_or_insert_with(ChecklistView::new);
        view.open = true;
        let job = view.job;
        let mut effects = vec![Effect::Job {
            request: self.start_job(|jobs| &mut jobs.checklists),
            job: Job::LoadChecklists,
        }];
        if let Some(job) = job {
            effects.push(self.load_grid(job));
        }
        effects
    }

    pub(super) fn load_grid(&mut self, job: i64) -> Effect {
        Effect::Job {
            request: self.start_job(|jobs| &mut jobs.grid),
            job: Job::LoadGrid { job },
        }
    }

    /// The jobs, newest first; the newest is shown when none is yet.
    pub(super) fn checklists_loaded(
        &mut self,
        request: u64,
        result: Reply<Vec<JobInfo>>,
    ) -> Vec<Effect> {
        if !self.jobs.checklists.accept_latest(request) {
            return Vec::new();
        }
        let Some(view) = &mut self.checklist else {
            return Vec::new();
        };
        self.dirty = true;
        match result {
            Ok(jobs) => {
                // A job another process started while the grid was open is said once.
                let started_elsewhere = jobs
                    .iter()
                    .filter(|j| !view.jobs.is_empty() && !view.jobs.iter().any(|o| o.id == j.id))
                    .find(|j| view.running.as_ref().is_none_or(|r| r.job != Some(j.id)))
                    .map(|j| (j.id, j.checklist.clone()));
                view.jobs = jobs;
                if let Some((id, checklist)) = started_elsewhere {
                    self.info(format!(
                        "job {id} ({checklist}) started elsewhere; > shows it"
                    ));
                }
                let Some(view) = &mut self.checklist else {
                    return Vec::new();
                };
                if view.job.is_none() {
                    match view.jobs.first().map(|j| j.id) {
                        Some(newest) => {
                            view.job = Some(newest);
                            return vec![self.load_grid(newest)];
                        }
                        None => {
                            view.grid = Some(Err(JobError::Service(
                                "No checklist has been run yet. R runs one: a shipped checklist or a TOML file of questions."
                                    .into(),
                            )));
                        }
                    }
                }
            }
            Err(e) => {
                view.grid = Some(Err(JobError::Service(format!(
                    "cannot list the checklist jobs: {e}"
                ))))
            }
        }
        Vec::new()
    }

    pub(super) fn grid_loaded(&mut self, request: u64, result: Reply<Box<Grid>>) {
        if !self.jobs.grid.accept_latest(request) {
            return;
        }
        if let Some(view) = &mut self.checklist {
            let same_job =
                view.loaded().map(|g| g.job.id) == result.as_ref().ok().map(|g| g.job.id);
            if let Ok(grid) = &result {
                view.shared_titles =
                    kodiak::files::shared_titles(grid.rows.iter().map(|r| Some(r.title.as_str())));
            }
            view.grid = Some(result.map(|g| *g));
            if !same_job {
                view.row = 0;
                view.col = 0;
                view.filter = None;
            }
            view.clamp();
            self.dirty = true;
        }
    }

    /// The grid's actions.
    pub(crate) fn act_checklist(&mut self, action: Action) -> Vec<Effect> {
        let Some(view) = &mut self.checklist else {
            return Vec::new();
        };
        match action {
            Action::Left => view.col = view.col.saturating_sub(1),
            Action::Right => view.col = (view.col + 1).min(view.items().saturating_sub(1)),
            Action::FilterCells => {
                let current = view
                    .filter
                    .filter(|(col, _)| *col == view.col)
                    .map(|(_, s)| s);
                view.filter = next_filter(current).map(|state| (view.col, state));
                view.row = 0;
            }
            Action::Close => {
                view.open = false;
                if view.running.is_none() {
                    self.checklist = None;
                }
            }
            Action::Open => return self.open_cell(),
            Action::ShowCell => self.show_cell(),
            Action::Confirm => return self.decide(DecisionInput::Confirm),
            Action::MarkNotFound => return self.decide(DecisionInput::NotFound),
            Action::ClearDecision => return self.decide(DecisionInput::Clear),
            Action::Correct => {
                // The prompt starts empty, the answer it replaces shown as a hint: what is
                // typed is stored as typed.
                let answer = view
                    .current()
                    .and_then(|(_, cell)| cell)
                    .map(|cell| {
                        cell.answer()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                self.overlay = Some(Overlay::prompt_hinted(PromptKind::CellAnswer, &answer));
            }
            Action::RunChecklist => {
                if view.running.is_some() {
                    self.error("a checklist job is running; x stops it");
                } else {
                    self.overlay = Some(self.run_choices(None));
                }
            }
            Action::ResumeChecklist => {
                let job = view
                    .shown_job()
                    .filter(|j| j.state != JobState::Done)
                    .map(|j| j.id);
                match (job, &view.running) {
                    (_, Some(_)) => self.error("a checklist job is running; x stops it"),
                    (Some(job), None) => return self.run_checklist(ChecklistSource::Resume(job)),
                    (None, None) => self.info("this job is done; R runs a checklist again"),
                }
            }
            Action::CancelChecklist => {
                if let Some(running) = &view.running {
                    let request = running.request;
                    self.info("stopping the checklist job after its current cell…");
                    return vec![Effect::Cancel { request }];
                }
            }
            Action::OlderJob | Action::NewerJob => {
                let at = view
                    .jobs
                    .iter()
                    .position(|j| Some(j.id) == view.job)
                    .unwrap_or(0);
                let to = if action == Action::OlderJob {
                    (at + 1).min(view.jobs.len().saturating_sub(1))
                } else {
                    at.saturating_sub(1)
                };
                if let Some(job) = view.jobs.get(to).map(|j| j.id)
                    && Some(job) != view.job
                {
                    view.job = Some(job);
                    view.grid = None;
                    return vec![self.load_grid(job)];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Opens the document of the cell under the cursor with its first quote highlighted.
    fn open_cell(&mut self) -> Vec<Effect> {
        let target = self.checklist.as_ref().and_then(|view| {
            let (row, cell) = view.current()?;
            let focus = cell
                .and_then(|c| c.evidence().first())
                .map(|q| Focus::passage(q.char_start, q.char_end));
            Some((row.doc_id, focus))
        });
        match target {
            Some((doc_id, focus)) => vec![self.open(doc_id, focus)],
            None => Vec::new(),
        }
    }

    /// The cell under the cursor in full: the question, the suggestion and its evidence,
    /// why, and the reviewer's decision.
    fn show_cell(&mut self) {
        let Some(view) = &self.checklist else { return };
        let (Some(grid), Some((row, cell))) = (view.loaded(), view.current()) else {
            return;
        };
        let Some(item) = grid.checklist.items.get(view.col) else {
            return;
        };
        let mut text = format!("{}\n\n", item.question);
        match cell {
            None => text.push_str("Not decided yet: r resumes the job."),
            Some(cell) => {
                let s = &cell.suggestion;
                text.push_str(&format!(
                    "Suggested: {} ({}, confidence {:.2})\nAnswer: {}\n",
                    s.state.as_str().replace('_', " "),
                    s.method.as_str(),
                    s.confidence,
                    if s.answer.is_empty() { "-" } else { &s.answer }
                ));
                for quote in &s.evidence {
                    text.push_str(&format!(
                        "\n{}: \"{}\"\n",
                        kodiak::search::page_label(quote.page, quote.ocr_confidence),
                        quote.text.split_whitespace().collect::<Vec<_>>().join(" ")
                    ));
                }
                if let Some(note) = &s.note {
                    text.push_str(&format!("\nWhy: {note}\n"));
                }
                match &cell.decision {
                    Some(d) => {
                        text.push_str(&format!(
                            "\nDecision: {}, {}",
                            kodiak::checklist::export::decided(d),
                            d.decided_at.to_minute_in(self.local_offset)
                        ));
                        if let Some(answer) = &d.answer {
                            text.push_str(&format!(": {answer}"));
                        }
                        if let Some(note) = &d.note {
                            text.push_str(&format!("\nNote: {note}"));
                        }
                    }
                    None => text
                        .push_str("\nNo decision yet: c confirms, e corrects, n marks not found."),
                }
            }
        }
        self.overlay = Some(Overlay::Text {
            title: format!("{} · {}", item.id, row.title),
            text,
            scroll: 0,
        });
    }

    /// Records the reviewer's decision on the cell under the cursor.
    pub(super) fn decide(&mut self, input: DecisionInput) -> Vec<Effect> {
        let Some(view) = &self.checklist else {
            return Vec::new();
        };
        let (Some(grid), Some((row, cell))) = (view.loaded(), view.current()) else {
            return Vec::new();
        };
        if cell.is_none() {
            self.error("this cell is not decided yet; r resumes the job");
            return Vec::new();
        }
        let (job, doc_id) = (grid.job.id, row.doc_id);
        let Some(item) = grid.checklist.items.get(view.col).map(|i| i.id.clone()) else {
            return Vec::new();
        };
        vec![Effect::Job {
            request: self.request_id(),
            job: Job::DecideCell {
                job,
                doc_id,
                item,
                input,
            },
        }]
    }

    /// A decision stored: the cell shows it at once.
    pub(super) fn cell_decided(&mut self, doc_id: i64, item: &str, result: Reply<Box<GridCell>>) {
        match result {
            Err(e) => self.error(format!("the decision was not stored: {e}")),
            Ok(cell) => {
                let said = match &cell.decision {
                    Some(d) => format!("saved: {item} {}", kodiak::checklist::export::decided(d)),
                    None => format!("saved: {item} back to the suggestion"),
                };
                if let Some(grid) = self
                    .checklist
                    .as_mut()
                    .and_then(|v| v.grid.as_mut())
                    .and_then(|g| g.as_mut().ok())
                    && let Some(col) = grid.checklist.items.iter().position(|i| i.id == item)
                    && let Some(row) = grid.rows.iter_mut().find(|r| r.doc_id == doc_id)
                {
                    row.cells[col] = Some(*cell);
                }
                self.info(said);
            }
        }
        self.dirty = true;
    }

    /// Whether `request` is the checklist run in progress (its replies count; others are
    /// from a run that ended).
    fn runs(&self, request: u64) -> bool {
        self.checklist
            .as_ref()
            .and_then(|v| v.running.as_ref())
            .is_some_and(|r| r.request == request)
    }

    /// Starts a checklist job in the background.
    pub(super) fn run_checklist(&mut self, source: ChecklistSource) -> Vec<Effect> {
        let request = self.request_id();
        let view = self.checklist.get_or_insert_with(ChecklistView::new);
        let job = match &source {
            ChecklistSource::Resume(job) => Some(*job),
            ChecklistSource::File { .. } => None,
        };
        view.running = Some(RunningChecklist {
            request,
            job,
            counts: JobCounts::default(),
            started: Instant::now(),
            start_cells: None,
        });
        self.dirty = true;
        vec![Effect::Job {
            request,
            job: Job::RunChecklist { source },
        }]
    }

    /// The job the run created: it is shown.
    pub(super) fn checklist_started(&mut self, request: u64, job: i64) -> Vec<Effect> {
        if !self.runs(request) {
            return Vec::new();
        }
        let Some(view) = &mut self.checklist else {
            return Vec::new();
        };
        if let Some(running) = &mut view.running {
            running.job = Some(job);
        }
        view.job = Some(job);
        view.grid = None;
        self.dirty = true;
        let list = Effect::Job {
            request: self.start_job(|jobs| &mut jobs.checklists),
            job: Job::LoadChecklists,
        };
        vec![list, self.load_grid(job)]
    }

    /// Progress of the running job, with the cells it decided since the last: the grid
    /// shown, when it is the job's, shows them at once.
    pub(super) fn checklist_progress(
        &mut self,
        request: u64,
        counts: JobCounts,
        cells: Vec<DecidedCell>,
    ) -> Vec<Effect> {
        if !self.runs(request) {
            return Vec::new();
        }
        let Some(view) = &mut self.checklist else {
            return Vec::new();
        };
        let Some(running) = &mut view.running else {
            return Vec::new();
        };
        running.counts = counts;
        running.start_cells.get_or_insert(counts.cells);
        let job = running.job;
        self.dirty = true;
        if let Some(grid) = view
            .grid
            .as_mut()
            .and_then(|g| g.as_mut().ok())
            .filter(|g| Some(g.job.id) == job)
        {
            grid.job.cells = counts.cells;
            for cell in cells {
                if let Some(col) = grid.checklist.items.iter().position(|i| i.id == cell.item)
                    && let Some(row) = grid.rows.iter_mut().find(|r| r.doc_id == cell.doc_id)
                    && let Some(slot) = row.cells.get_mut(col)
                {
                    *slot = Some(GridCell {
                        suggestion: cell.suggestion,
                        decision: None,
                    });
                }
            }
        }
        Vec::new()
    }

    pub(super) fn checklist_done(
        &mut self,
        request: u64,
        result: Reply<JobOutcome>,
    ) -> Vec<Effect> {
        if !self.runs(request) {
            return Vec::new();
        }
        let job = self
            .checklist
            .as_mut()
            .and_then(|v| v.running.take())
            .and_then(|r| r.job);
        match result {
            Ok(outcome) => {
                let state = match outcome.state {
                    JobState::Done => "done",
                    JobState::Cancelled => "stopped (r resumes it)",
                    JobState::Running => "running",
                };
                self.info(format!(
                    "checklist job {}: {state}, {} of {} cells",
                    outcome.job, outcome.cells, outcome.total
                ));
            }
            Err(e) => self.error(format!("the checklist job failed: {e}")),
        }
        self.dirty = true;
        if self.checklist.is_none() {
            return Vec::new();
        }
        let mut effects = vec![Effect::Job {
            request: self.start_job(|jobs| &mut jobs.checklists),
            job: Job::LoadChecklists,
        }];
        if let Some(job) = job.filter(|j| self.checklist.as_ref().and_then(|v| v.job) == Some(*j)) {
            effects.push(self.load_grid(job));
        }
        effects
    }
}
