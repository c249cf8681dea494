//! Checklist jobs: every item of a checklist asked of every document in scope, each cell
//! stored as soon as it is decided. A job is resumable from any interruption: it keeps its
//! checklist and documents, and a resumed run decides only the cells it lacks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::generation::Ended;
use super::*;
use crate::checklist::decide::{self, CellState, ItemMatcher, SentenceCache, Suggestion};
use crate::checklist::grid::{Decision, DecisionKind, Grid, GridCell, GridRow, JobInfo, JobState};
use crate::checklist::{Checklist, model};
use crate::citation::Source;
use crate::llm::GenerationRequest;
use crate::llm::prompt::{Passage, PromptParts};
use crate::pii::mask::PromptMask;
use crate::process::ProcessId;
use crate::storage::checklists::{self, JobRow, NewJob};
use crate::storage::review::{ReviewMark, ReviewStatus};

/// Which documents a checklist job or a report covers: those named, with any of the tags,
/// in the review state; every ingested document when nothing is given.
#[derive(Debug, Clone, Default)]
pub struct JobScope {
    pub documents: Vec<i64>,
    pub tags: Vec<String>,
    pub status: Option<ReviewMark>,
}

impl JobScope {
    /// The ingested documents of `rows` (every document, as the review report lists them)
    /// that the scope selects, in their order; none is not an error, but an id that is not
    /// an ingested document is.
    pub(super) fn select<'a>(
        &self,
        rows: &'a [ReportRow],
    ) -> Result<Vec<&'a ReportRow>, ServiceError> {
        let by_id: std::collections::HashMap<i64, &ReportRow> =
            rows.iter().map(|r| (r.doc_id, r)).collect();
        for id in &self.documents {
            match by_id.get(id) {
                None => return Err(ServiceError::NoSuchDocument(*id)),
                Some(row) if row.ingest_status != "ingested" => {
                    return Err(ServiceError::Job(format!(
                        "document {id} cannot be reviewed: its ingest status is {}",
                        row.ingest_status
                    )));
                }
                Some(_) => {}
            }
        }
        let named: std::collections::HashSet<i64> = self.documents.iter().copied().collect();
        Ok(rows
            .iter()
            .filter(|r| r.ingest_status == "ingested")
            .filter(|r| named.is_empty() || named.contains(&r.doc_id))
            .filter(|r| self.tags.is_empty() || self.tags.iter().any(|t| r.review.tags.contains(t)))
            .filter(|r| match self.status {
                None => true,
                Some(ReviewMark::Reviewed) => r.review.status == ReviewStatus::Reviewed,
                Some(ReviewMark::Unreviewed) => r.review.status == ReviewStatus::Unreviewed,
                Some(ReviewMark::Flagged) => r.review.flagged,
                Some(ReviewMark::Unflagged) => !r.review.flagged,
            })
            .collect())
    }

    /// How the scope reads in a job's listing and a report's header.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.documents.is_empty() {
            let ids: Vec<String> = self.documents.iter().map(i64::to_string).collect();
            parts.push(format!("documents {}", ids.join(", ")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tagged {}", self.tags.join(" or ")));
        }
        if let Some(status) = self.status {
            parts.push(status.as_str().to_owned());
        }
        if parts.is_empty() {
            "all documents".into()
        } else {
            parts.join("; ")
        }
    }
}

/// Where a running job stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub cells: usize,
    pub total: usize,
    pub documents: usize,
    pub total_documents: usize,
}

/// What a front end hears of a running job; it may stop the job between cells.
pub trait JobProgress: Sync {
    fn advanced(&self, _counts: JobCounts) {}
    /// A cell decided and stored, with its suggestion as stored (quotes that did not match
    /// the text dropped): a grid on screen shows it at once.
    fn cell(&self, _document: i64, _item: &str, _suggestion: &Suggestion) {}
    fn cancelled(&self) -> bool {
        false
    }
    /// The flag behind `cancelled`, when there is one: a model's answer under way stops
    /// within a few tokens when it is set, rather than at the end of the cell.
    fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        None
    }
}

/// No progress shown.
impl JobProgress for () {}

/// What the model did for a job's cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ModelFigures {
    pub cells: usize,
    pub seconds: f64,
    pub prompt_tokens: usize,
    /// Prompt tokens whose cache was kept from the item before.
    pub reused_tokens: usize,
    pub completion_tokens: usize,
}

/// How a run of a job ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobOutcome {
    pub job: i64,
    pub state: JobState,
    /// Cells decided by this run.
    pub decided: usize,
    /// Cells the job holds now, of all it will hold.
    pub cells: usize,
    pub total: usize,
    pub seconds: f64,
    pub model: Option<ModelFigures>,
    /// Quotes dropped because they did not match the stored text (never shown).
    pub quotes_dropped: usize,
    /// Why the model was not used, when it was asked for.
    pub notes: Vec<String>,
}

/// A reviewer's decision as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionInput {
    /// The suggestion is right.
    Confirm,
    /// The right answer is this.
    Correct(String),
    /// The document has no such clause.
    NotFound,
    /// Withdraw the decision: the suggestion counts again.
    Clear,
}

impl Kodiak {
    /// Creates a job of `checklist` over the documents `scope` selects; `use_model` asks
    /// the generator (when one is configured) for each cell. Run it with
    /// [`Kodiak::run_checklist`].
    pub fn start_checklist(
        &self,
        checklist: &Checklist,
        scope: &JobScope,
        use_model: bool,
    ) -> Result<i64, ServiceError> {
        self.check_changeable()?;
        // A clause type the model does not know is refused before a job exists.
        self.clause_detector(checklist)?;
        let documents = self.scope_documents(scope)?;
        let definition = serde_json::to_string(checklist).map_err(super::record_error)?;
        let use_model = use_model && self.settings.paths.generator_model.is_some();
        let user = crate::identity::user_name();
        self.db.write(|tx| {
            let job = checklists::create(
                tx,
                &NewJob {
                    checklist: &checklist.name,
                    definition: &definition,
                    scope: &scope.describe(),
                    use_model,
                    documents: &documents,
                    created_by: &user,
                },
            )?;
            self.audit(
                tx,
                Event::ChecklistJob {
                    job,
                    checklist: checklist.name.clone(),
                    items: checklist.items.len(),
                    documents: documents.clone(),
                    use_model,
                },
            )?;
            Ok::<_, ServiceError>(job)
        })
    }

    /// The ingested documents `scope` selects, attachments after their e-mail.
    pub(super) fn scope_documents(&self, scope: &JobScope) -> Result<Vec<i64>, ServiceError> {
        let rows = self.review_report()?;
        let chosen: Vec<i64> = scope.select(&rows)?.iter().map(|r| r.doc_id).collect();
        if chosen.is_empty() {
            return Err(ServiceError::Job(format!(
                "no ingested document matches the scope ({}); `kodiak docs list` shows them",
                scope.describe()
            )));
        }
        Ok(chosen)
    }

    /// Every checklist job, newest first.
    pub fn checklist_jobs(&self) -> Result<Vec<JobInfo>, ServiceError> {
        let rows = checklists::list(&*self.db.conn()?)?;
        rows.into_iter()
            .map(|row| Ok(job_info(&row, &stored_checklist(&row)?)))
            .collect()
    }

    /// One job.
    pub fn checklist_job(&self, job: i64) -> Result<JobInfo, ServiceError> {
        let row = self.job_row(job)?;
        Ok(job_info(&row, &stored_checklist(&row)?))
    }

    fn job_row(&self, job: i64) -> Result<JobRow, ServiceError> {
        checklists::get(&*self.db.conn()?, job)?.ok_or(ServiceError::NoSuchJob(job))
    }

    /// Asks the job to stop; a run in another process stops before its next cell. The
    /// cells stored stay; `kodiak review resume` goes on.
    pub fn cancel_checklist(&self, job: i64) -> Result<JobInfo, ServiceError> {
        let row = self.job_row(job)?;
        if row.state == JobState::Running {
            self.db.write(|tx| {
                checklists::set_state(tx, job, JobState::Cancelled, None)
                    .map_err(ServiceError::from)
            })?;
        }
        self.checklist_job(job)
    }

    /// A job's grid, with reviewers' decisions beside the suggestions.
    pub fn checklist_grid(&self, job: i64) -> Result<Grid, ServiceError> {
        let row = self.job_row(job)?;
        let checklist = stored_checklist(&row)?;
        let info = job_info(&row, &checklist);
        let conn = self.db.conn()?;
        let order = checklists::documents(&conn, job)?;
        let mut decisions = checklists::decisions(&conn, &checklist.name)?;
        let column: HashMap<&str, usize> = checklist
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.as_str(), i))
            .collect();
        let mut rows: Vec<GridRow> = Vec::with_capacity(order.len());
        let mut place: HashMap<i64, usize> = HashMap::new();
        for id in order {
            let Some(doc) = documents::get(&conn, id)? else {
                continue;
            };
            place.insert(id, rows.len());
            rows.push(GridRow {
                doc_id: id,
                title: crate::files::document_label(doc.title.as_deref(), &doc.path).to_owned(),
                path: doc.path.clone(),
                cells: vec![None; checklist.items.len()],
            });
        }
        for cell in checklists::cells(&conn, job)? {
            let (Some(&r), Some(&c)) =
                (place.get(&cell.document_id), column.get(cell.item.as_str()))
            else {
                continue;
            };
            rows[r].cells[c] = Some(GridCell {
                decision: decisions.remove(&(cell.document_id, cell.item.clone())),
                suggestion: cell.suggestion,
            });
        }
        Ok(Grid {
            job: info,
            checklist,
            rows,
        })
    }

    /// Records a reviewer's decision on a cell of `job` (kept per checklist, document and
    /// item: no run overwrites it); returns the cell as it now stands.
    pub fn decide_cell(
        &self,
        job: i64,
        document: i64,
        item: &str,
        input: DecisionInput,
        note: Option<&str>,
    ) -> Result<GridCell, ServiceError> {
        // The one cell, not the job's grid: a decision is a keypress in the terminal UI.
        let checklist = stored_checklist(&self.job_row(job)?)?;
        if checklist.item(item).is_none() {
            let ids: Vec<&str> = checklist.items.iter().map(|i| i.id.as_str()).collect();
            return Err(ServiceError::Job(format!(
                "checklist {} has no item {item:?}; its items: {}",
                checklist.name,
                ids.join(", ")
            )));
        }
        let conn = self.db.conn()?;
        if !checklists::documents(&conn, job)?.contains(&document) {
            return Err(ServiceError::Job(format!(
                "document {document} is not in job {job}"
            )));
        }
        let Some(stored) = checklists::cell(&conn, job, document, item)? else {
            return Err(ServiceError::Job(format!(
                "job {job} has not decided {item:?} for document {document} yet; \
                 `kodiak review resume {job}` decides it"
            )));
        };
        drop(conn);
        let cell = GridCell {
            suggestion: stored.suggestion,
            decision: None,
        };
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let decision = match input {
            DecisionInput::Clear => {
                self.db.write(|tx| {
                    checklists::undecide(tx, &checklist.name, document, item)?;
                    self.audit(
                        tx,
                        Event::ChecklistDecision {
                            job,
                            doc_id: document,
                            item: item.to_owned(),
                            decision: "cleared".into(),
                        },
                    )
                    .map_err(ServiceError::from)
                })?;
                return Ok(GridCell {
                    decision: None,
                    ..cell
                });
            }
            DecisionInput::Confirm => (
                DecisionKind::Confirmed,
                Some(cell.suggestion.answer.clone()),
            ),
            DecisionInput::Correct(answer) => {
                let answer = answer.trim().to_owned();
                if answer.is_empty() {
                    return Err(ServiceError::Job(
                        "a correction needs the right answer".into(),
                    ));
                }
                (DecisionKind::Corrected, Some(answer))
            }
            DecisionInput::NotFound => (DecisionKind::NotFound, None),
        };
        let decision = Decision {
            decision: decision.0,
            answer: decision.1,
            note,
            job_id: Some(job),
            decided_by: crate::identity::user_name(),
            decided_at: crate::timestamp::Timestamp::now(),
        };
        self.db.write(|tx| {
            checklists::decide(tx, &checklist.name, document, item, &decision)?;
            self.audit(
                tx,
                Event::ChecklistDecision {
                    job,
                    doc_id: document,
                    item: item.to_owned(),
                    decision: decision.decision.as_str().to_owned(),
                },
            )
            .map_err(ServiceError::from)
        })?;
        Ok(GridCell {
            decision: Some(decision),
            ..cell
        })
    }
}

/// The checklist a job was run with, as it stored it.
fn stored_checklist(row: &JobRow) -> Result<Checklist, ServiceError> {
    serde_json::from_str(&row.definition).map_err(|e| {
        ServiceError::Record(format!(
            "the stored checklist of job {} is damaged: {e}",
            row.id
        ))
    })
}

fn job_info(row: &JobRow, checklist: &Checklist) -> JobInfo {
    let interrupted =
        row.state == JobState::Running && row.writer.is_none_or(|writer| !writer.is_alive());
    JobInfo {
        id: row.id,
        checklist: row.checklist.clone(),
        title: checklist.title.clone(),
        scope: row.scope.clone(),
        use_model: row.use_model,
        state: row.state,
        interrupted,
        documents: row.documents,
        items: checklist.items.len(),
        cells: row.cells,
        total: row.documents * checklist.items.len(),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

mod run;

#[cfg(test)]
mod tests;
