//! What the terminal UI asks of Kodiak, as a trait: the real service in the product, a fake
//! in the worker's tests, which can then stream, fail, panic and wait for a cancel on cue
//! without models or files.

use std::path::{Path, PathBuf};

use kodiak::Kodiak;
use kodiak::answer::Answer;
use kodiak::checklist::Checklist;
use kodiak::health::HealthReport;
use kodiak::ingest::{IngestReport, Progress};
use kodiak::matter::Matter;
use kodiak::production::{Area, Basis, Treatment};
use kodiak::report::terms::TermsReport;
use kodiak::service::{
    AskOptions, ConversationTurns, DataStamp, DecisionInput, DocumentText, EmbedReport, Grid,
    GridCell, JobInfo, JobOutcome, JobProgress, JobScope, Piece, ReportRow, SearchOptions,
    SearchOutcome, ServiceError,
};
use kodiak::storage::conversations::Conversation;
use kodiak::storage::documents::DocumentInfo;
use kodiak::storage::review::{Review, ReviewMark};

/// The service calls the UI's background jobs make; each is one of [`Kodiak`]'s methods.
pub trait ReviewService: Send + Sync + 'static {
    /// Starts loading the models in the background, then reports health.
    fn warm_up(&self) -> HealthReport;
    fn health(&self) -> HealthReport;
    fn review_report(&self) -> Result<Vec<ReportRow>, ServiceError>;
    /// Where the matter's data stands, as any process changes it.
    fn data_stamp(&self) -> Result<DataStamp, ServiceError>;
    fn mark(&self, doc_id: i64, mark: ReviewMark) -> Result<Review, ServiceError>;
    fn add_tag(&self, doc_id: i64, tag: &str) -> Result<Review, ServiceError>;
    fn remove_tag(&self, doc_id: i64, tag: &str) -> Result<Review, ServiceError>;
    fn add_note(&self, doc_id: i64, text: &str) -> Result<Review, ServiceError>;
    fn review(&self, doc_id: i64) -> Result<Review, ServiceError>;
    fn set_privilege(
        &self,
        doc_id: i64,
        decision: Option<(Treatment, Basis, &str)>,
    ) -> Result<(), ServiceError>;
    fn add_redaction(&self, doc_id: i64, area: Area, reason: &str) -> Result<(), ServiceError>;
    fn ingest(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
    ) -> Result<IngestReport, ServiceError>;
    /// Embeds the chunks stored without a vector; nothing when no embedder is configured.
    fn embed_missing(&self, progress: &dyn Progress) -> Result<EmbedReport, ServiceError>;
    fn ask(
        &self,
        options: &AskOptions,
        on_text: &mut dyn FnMut(Piece<'_>),
    ) -> Result<Answer, ServiceError>;
    fn conversations(&self) -> Result<Vec<Conversation>, ServiceError>;
    /// The OS user's saved UI session, as saved.
    fn ui_session(&self) -> Result<Option<String>, ServiceError>;
    fn save_ui_session(&self, state: &str) -> Result<(), ServiceError>;
    fn search(&self, query: &str, options: &SearchOptions) -> Result<SearchOutcome, ServiceError>;
    fn conversation(&self, id: i64) -> Result<Option<ConversationTurns>, ServiceError>;
    fn document(&self, id: i64) -> Result<DocumentInfo, ServiceError>;
    fn document_text(&self, id: i64) -> Result<Option<DocumentText>, ServiceError>;
    /// Where crash reports are kept.
    fn crash_dir(&self) -> &Path;
    /// What a report made now carries: the time and the audit trail's head.
    fn provenance(&self) -> Result<kodiak::report::Provenance, ServiceError>;
    /// Records an export in the audit log; returns the chain head it carries.
    fn record_export(
        &self,
        what: &str,
        format: &str,
        rows: usize,
    ) -> Result<(i64, String), ServiceError>;
    fn checklist_jobs(&self) -> Result<Vec<JobInfo>, ServiceError>;
    fn checklist_grid(&self, job: i64) -> Result<Grid, ServiceError>;
    /// A new job of the checklist in `path` over `documents` (every ingested document when
    /// empty), asking the generator about unsure cells when `use_model` and one is
    /// configured.
    fn start_checklist(
        &self,
        path: &Path,
        documents: &[i64],
        use_model: bool,
    ) -> Result<i64, ServiceError>;
    fn run_checklist(
        &self,
        job: i64,
        progress: &dyn JobProgress,
    ) -> Result<JobOutcome, ServiceError>;
    fn decide_cell(
        &self,
        job: i64,
        doc_id: i64,
        item: &str,
        input: DecisionInput,
    ) -> Result<GridCell, ServiceError>;
    /// Every matter in the data directory, the default one first.
    fn matters(&self) -> Result<Vec<Matter>, ServiceError>;
    /// The search-term report of `terms` over `documents`.
    fn terms_report(
        &self,
        terms: &[String],
        documents: &[i64],
    ) -> Result<TermsReport, ServiceError>;
}

impl ReviewService for Kodiak {
    fn warm_up(&self) -> HealthReport {
        self.start_generator();
        let _ = self.embedder();
        Kodiak::health(self)
    }

    fn health(&self) -> HealthReport {
        Kodiak::health(self)
    }

    fn review_report(&self) -> Result<Vec<ReportRow>, ServiceError> {
        Kodiak::review_report(self)
    }

    fn data_stamp(&self) -> Result<DataStamp, ServiceError> {
        Kodiak::data_stamp(self)
    }

    fn mark(&self, doc_id: i64, mark: ReviewMark) -> Result<Review, ServiceError> {
        Kodiak::mark(self, doc_id, mark)
    }

    fn add_tag(&self, doc_id: i64, tag: &str) -> Result<Review, ServiceError> {
        Kodiak::add_tag(self, doc_id, tag)
    }

    fn remove_tag(&self, doc_id: i64, tag: &str) -> Result<Review, ServiceError> {
        Kodiak::remove_tag(self, doc_id, tag)
    }

    fn add_note(&self, doc_id: i64, text: &str) -> Result<Review, ServiceError> {
        Kodiak::add_note(self, doc_id, text)
    }

    fn review(&self, doc_id: i64) -> Result<Review, ServiceError> {
        Kodiak::review(self, doc_id)
    }

    fn set_privilege(
        &self,
        doc_id: i64,
        decision: Option<(Treatment, Basis, &str)>,
    ) -> Result<(), ServiceError> {
        Kodiak::set_privilege(self, doc_id, decision).map(drop)
    }

    fn add_redaction(&self, doc_id: i64, area: Area, reason: &str) -> Result<(), ServiceError> {
        Kodiak::add_redaction(self, doc_id, area, reason).map(drop)
    }

    fn ingest(
        &self,
        roots: &[PathBuf],
        progress: &dyn Progress,
    ) -> Result<IngestReport, ServiceError> {
        Kodiak::ingest(self, roots, progress)
    }

    fn embed_missing(&self, progress: &dyn Progress) -> Result<EmbedReport, ServiceError> {
        if self.settings().paths.embedder_model.is_none() {
            return Ok(EmbedReport::default());
        }
        Kodiak::embed_missing(self, kodiak::service::ToEmbed::New, progress)
    }

    fn ask(
        &self,
        options: &AskOptions,
        on_text: &mut dyn FnMut(Piece<'_>),
    ) -> Result<Answer, ServiceError> {
        Kodiak::ask(self, options, on_text)
    }

    fn conversations(&self) -> Result<Vec<Conversation>, ServiceError> {
        Kodiak::conversations(self)
    }

    fn ui_session(&self) -> Result<Option<String>, ServiceError> {
        Kodiak::ui_session(self)
    }

    fn save_ui_session(&self, state: &str) -> Result<(), ServiceError> {
        Kodiak::save_ui_session(self, state)
    }

    fn search(&self, query: &str, options: &SearchOptions) -> Result<SearchOutcome, ServiceError> {
        Kodiak::search(self, query, options)
    }

    fn conversation(&self, id: i64) -> Result<Option<ConversationTurns>, ServiceError> {
        Kodiak::conversation(self, id)
    }

    fn document(&self, id: i64) -> Result<DocumentInfo, ServiceError> {
        Kodiak::document(self, id)
    }

    fn document_text(&self, id: i64) -> Result<Option<DocumentText>, ServiceError> {
        Kodiak::document_text(self, id)
    }

    fn crash_dir(&self) -> &Path {
        &self.settings().paths.crash_dir
    }

    fn provenance(&self) -> Result<kodiak::report::Provenance, ServiceError> {
        Kodiak::provenance(self)
    }

    fn record_export(
        &self,
        what: &str,
        format: &str,
        rows: usize,
    ) -> Result<(i64, String), ServiceError> {
        Kodiak::record_export(self, what, format, rows)
    }

    fn checklist_jobs(&self) -> Result<Vec<JobInfo>, ServiceError> {
        Kodiak::checklist_jobs(self)
    }

    fn checklist_grid(&self, job: i64) -> Result<Grid, ServiceError> {
        Kodiak::checklist_grid(self, job)
    }

    fn start_checklist(
        &self,
        path: &Path,
        documents: &[i64],
        use_model: bool,
    ) -> Result<i64, ServiceError> {
        let checklist = Checklist::find(path).map_err(|e| ServiceError::Job(e.to_string()))?;
        let scope = JobScope {
            documents: documents.to_vec(),
            ..JobScope::default()
        };
        Kodiak::start_checklist(self, &checklist, &scope, use_model)
    }

    fn run_checklist(
        &self,
        job: i64,
        progress: &dyn JobProgress,
    ) -> Result<JobOutcome, ServiceError> {
        Kodiak::run_checklist(self, job, progress)
    }

    fn decide_cell(
        &self,
        job: i64,
        doc_id: i64,
        item: &str,
        input: DecisionInput,
    ) -> Result<GridCell, ServiceError> {
        Kodiak::decide_cell(self, job, doc_id, item, input, None)
    }

    fn matters(&self) -> Result<Vec<Matter>, ServiceError> {
        kodiak::matter::list(&self.settings().paths.data_dir)
            .map_err(|e| ServiceError::Storage(e.into()))
    }

    fn terms_report(
        &self,
        terms: &[String],
        documents: &[i64],
    ) -> Result<TermsReport, ServiceError> {
        let scope = JobScope {
            documents: documents.to_vec(),
            ..JobScope::default()
        };
        Kodiak::terms_report(self, terms, &scope)
    }
}
