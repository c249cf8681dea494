//! A checklist job as a reviewer sees it: where it stands, its grid of cells (a row per
//! document, a cell per item), and the reviewer's decisions kept apart from the machine's
//! suggestions. `storage::checklists` keeps them; the service fills them in.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use super::Checklist;
use super::decide::{CellState, Quote, Suggestion};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Being run, or cut short (its writer has ended): `kodiak review resume` goes on.
    Running,
    Done,
    /// Stopped on request; resumable.
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 3] = [JobState::Running, JobState::Done, JobState::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Cancelled => "cancelled",
        }
    }
}

crate::named::stored_by_name!(JobState);
crate::named::parse_by_name!(JobState, "job state");

/// A job, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobInfo {
    pub id: i64,
    pub checklist: String,
    pub title: String,
    pub scope: String,
    pub use_model: bool,
    pub state: JobState,
    /// Running, but the process running it has ended (killed, or the machine stopped):
    /// `kodiak review resume` goes on from where it stopped.
    pub interrupted: bool,
    pub documents: usize,
    pub items: usize,
    pub cells: usize,
    pub total: usize,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A job's grid: a row per document, a cell per item (None until decided).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    pub job: JobInfo,
    pub checklist: Checklist,
    pub rows: Vec<GridRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridRow {
    pub doc_id: i64,
    pub title: String,
    pub path: String,
    /// In the checklist's item order.
    pub cells: Vec<Option<GridCell>>,
}

/// One cell: the machine's suggestion and, apart, the reviewer's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCell {
    pub suggestion: Suggestion,
    pub decision: Option<Decision>,
}

impl GridCell {
    /// The state that counts: the reviewer's when they decided, else the suggestion's.
    pub fn state(&self) -> CellState {
        match self.decision.as_ref().map(|d| d.decision) {
            Some(DecisionKind::NotFound) => CellState::NotFound,
            Some(DecisionKind::Confirmed | DecisionKind::Corrected) => CellState::Found,
            None => self.suggestion.state,
        }
    }

    /// The answer that counts.
    pub fn answer(&self) -> &str {
        match &self.decision {
            Some(Decision {
                answer: Some(answer),
                ..
            }) => answer,
            Some(Decision {
                decision: DecisionKind::NotFound,
                ..
            }) => "",
            _ => &self.suggestion.answer,
        }
    }

    /// The quotes behind the answer that counts: the suggestion's, unless a reviewer
    /// corrected the answer (their answer is their own word: the suggestion's quotes do not
    /// bear it out) or found nothing.
    pub fn evidence(&self) -> &[Quote] {
        match self.decision.as_ref().map(|d| d.decision) {
            Some(DecisionKind::Corrected | DecisionKind::NotFound) => &[],
            _ => &self.suggestion.evidence,
        }
    }
}

/// What a reviewer decided about a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// The suggestion is right.
    Confirmed,
    /// The answer is the reviewer's own.
    Corrected,
    /// The document has no such clause.
    NotFound,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 3] = [
        DecisionKind::Confirmed,
        DecisionKind::Corrected,
        DecisionKind::NotFound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Confirmed => "confirmed",
            DecisionKind::Corrected => "corrected",
            DecisionKind::NotFound => "not_found",
        }
    }
}

crate::named::stored_by_name!(DecisionKind);
crate::named::parse_by_name!(DecisionKind, "decision");

/// A reviewer's decision on a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: DecisionKind,
    /// The reviewer's answer (a correction), or the suggestion's answer they confirmed.
    pub answer: Option<String>,
    pub note: Option<String>,
    /// The job whose suggestion was judged.
    pub job_id: Option<i64>,
    pub decided_by: String,
    pub decided_at: Timestamp,
}
