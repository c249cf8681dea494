//! A [`ReviewService`] for tests: it answers from fixed values without models or files, and
//! can stream, panic and hold an answer open until it is cancelled, on cue.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use kodiak::answer::{Answer, AnswerMode};
use kodiak::health::HealthReport;
use kodiak::ingest::{IngestReport, Outcome, Progress};
use kodiak::llm::prompt::Dropped;
use kodiak::llm::{Finish, GenerationStats};
use kodiak::production::{Area, Basis, Treatment};
use kodiak::service::{
    AskOptions, ConversationTurns, DataStamp, DecisionInput, DocumentText, EmbedReport, Grid,
    GridCell, JobCounts, JobInfo, JobOutcome, JobProgress, Piece, ReportRow, SearchOptions,
    SearchOutcome, ServiceError,
};
use kodiak::storage::checklists::JobState;
use kodiak::storage::conversations::Conversation;
use kodiak::storage::documents::{DocStatus, DocumentInfo};
use kodiak::storage::review::{Review, ReviewMark, ReviewStatus};

use super::service::ReviewService;
use super::tests::health_report;

/// A service that answers from fixed values, panics on every call when asked to, and can
/// hold an answer open until it is cancelled.
#[derive(Default)]
pub struct Fake {
    pub panics: bool,
    /// What the answer streams, piece by piece.
    pub pieces: Vec<&'static str>,
    /// Set: the answer says it started here, then waits for its cancel flag.
    pub started: Mutex<Option<mpsc::Sender<()>>>,
    /// How each answer ended, in order, recorded as it returns.
    pub finished: Mutex<Vec<Finish>>,
    /// The UI session saved last.
    pub session: Mutex<Option<String>>,
    /// Chunks without a vector when the UI starts.
    pub unembedded: usize,
    /// The matter open; the default one when unset.
    pub matter: Option<&'static str>,
}

impl Fake {
    fn call(&self) {
        if self.panics {
            panic!("a service call panics, as a bug would make it");
        }
    }
}

fn answer(text: String, finish: Finish) -> Answer {
    Answer {
        answer: text,
        mode: AnswerMode::Generated,
        citations: Vec::new(),
        invalid_citations: Vec::new(),
        sources: Vec::new(),
        dropped: Dropped::default(),
        stats: GenerationStats::default(),
        finish: Some(finish),
        conversation_id: 1,
        notes: Vec::new(),
        failure: None,
        grounding: None,
        evidence: None,
        asked_of: Vec::new(),
    }
}

impl ReviewService for Fake {
    fn warm_up(&self) -> HealthReport {
        self.health()
    }

    fn health(&self) -> HealthReport {
        self.call();
        health_report(10, kodiak::health::ModelState::Ready)
    }

    fn review_report(&self) -> Result<Vec<ReportRow>, ServiceError> {
        self.call();
        Ok(super::tests::rows())
    }

    fn data_stamp(&self) -> Result<DataStamp, ServiceError> {
        self.call();
        Ok(DataStamp::default())
    }

    fn mark(&self, _: i64, mark: ReviewMark) -> Result<Review, ServiceError> {
        self.call();
        let mut review = Review::default();
        match mark {
            ReviewMark::Reviewed => review.status = ReviewStatus::Reviewed,
            ReviewMark::Flagged => review.flagged = true,
            ReviewMark::Unreviewed | ReviewMark::Unflagged => {}
        }
        Ok(review)
    }

    fn add_tag(&self, _: i64, _: &str) -> Result<Review, ServiceError> {
        self.call();
        Ok(Review::default())
    }

    fn remove_tag(&self, _: i64, _: &str) -> Result<Review, ServiceError> {
        self.call();
        Ok(Review::default())
    }

    fn add_note(&self, _: i64, _: &str) -> Result<Review, ServiceError> {
        self.call();
        Ok(Review::default())
    }

    fn review(&self, _: i64) -> Result<Review, ServiceError> {
        self.call();
        Ok(Review::default())
    }

    fn set_privilege(
        &self,
        _: i64,
        _: Option<(Treatment, Basis, &str)>,
    ) -> Result<(), ServiceError> {
        self.call();
        Ok(())
    }

    fn add_redaction(&self, _: i64, _: Area, _: &str) -> Result<(), ServiceError> {
        self.call();
        Ok(())
    }

    fn embed_missing(&self, progress: &dyn Progress) -> Result<EmbedReport, ServiceError> {
        self.call();
        // (The fake's `unembedded` chunks are embedded at once.)
        let left = self.unembedded;
        if left > 0 {
            progress.embedding(0, left);
            progress.embedding(left, left);
        }
        Ok(EmbedReport {
            embedded: left,
            ..EmbedReport::default()
        })
    }

    fn ingest(&self, _: &[PathBuf], progress: &dyn Progress) -> Result<IngestReport, ServiceError> {
        self.call();
        progress.started(2, 100);
        progress.file_done("/cases/a.txt", 50, &Outcome::Unchanged);
        progress.file_done(
            "/cases/b.pdf",
            50,
            &Outcome::Failed {
                reason: "encrypted".into(),
            },
        );
        progress.indexing();
        progress.embedding(0, 3);
        Ok(IngestReport {
            unchanged: 1,
            failed: vec![kodiak::ingest::FailedFile {
                path: "/cases/b.pdf".into(),
                reason: "encrypted".into(),
            }],
            ..IngestReport::default()
        })
    }

    fn ask(
        &self,
        options: &AskOptions,
        on_text: &mut dyn FnMut(Piece<'_>),
    ) -> Result<Answer, ServiceError> {
        self.call();
        for piece in &self.pieces {
            on_text(Piece::Text(piece));
        }
        let waiting = self.started.lock().unwrap().take();
        if let Some(started) = waiting {
            started.send(()).unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while !options.cancel.load(Ordering::Relaxed) {
                assert!(Instant::now() < deadline, "the cancel never came");
                std::thread::sleep(Duration::from_millis(1));
            }
            self.finished.lock().unwrap().push(Finish::Cancelled);
            return Ok(answer(self.pieces.concat(), Finish::Cancelled));
        }
        self.finished.lock().unwrap().push(Finish::Stop);
        Ok(answer(self.pieces.concat(), Finish::Stop))
    }

    fn conversations(&self) -> Result<Vec<Conversation>, ServiceError> {
        self.call();
        Ok(Vec::new())
    }

    fn ui_session(&self) -> Result<Option<String>, ServiceError> {
        Ok(self.session.lock().map_or(None, |s| s.clone()))
    }

    fn save_ui_session(&self, state: &str) -> Result<(), ServiceError> {
        if let Ok(mut session) = self.session.lock() {
            *session = Some(state.to_owned());
        }
        Ok(())
    }

    fn search(&self, _: &str, _: &SearchOptions) -> Result<SearchOutcome, ServiceError> {
        self.call();
        Ok(SearchOutcome {
            mode: kodiak::search::Mode::Bm25,
            hits: Vec::new(),
            notes: Vec::new(),
        })
    }

    fn conversation(&self, _: i64) -> Result<Option<ConversationTurns>, ServiceError> {
        self.call();
        Ok(None)
    }

    fn document(&self, id: i64) -> Result<DocumentInfo, ServiceError> {
        self.call();
        Ok(DocumentInfo {
            id,
            parent_id: None,
            path: "/cases/scan.pdf".into(),
            paths: vec!["/cases/scan.pdf".into()],
            sha256: None,
            size: 10,
            format: Some("pdf".into()),
            title: None,
            pages: 1,
            chunks: 0,
            status: DocStatus::NeedsOcr,
            reason: Some("no text layer".into()),
            metadata: Default::default(),
            created_at: kodiak::timestamp::Timestamp::parse("2026-11-26T10:00:00Z").unwrap(),
            updated_at: kodiak::timestamp::Timestamp::parse("2026-11-26T10:00:00Z").unwrap(),
            near_dup_group: None,
            near_dup_similarity: None,
            thread_id: None,
            inclusive: None,
        })
    }

    fn document_text(&self, _: i64) -> Result<Option<DocumentText>, ServiceError> {
        self.call();
        Ok(None)
    }

    fn crash_dir(&self) -> &Path {
        self.call();
        Path::new("/nonexistent/kodiak-crash-reports")
    }

    fn provenance(&self) -> Result<kodiak::report::Provenance, ServiceError> {
        self.call();
        Ok(kodiak::report::Provenance {
            matter: self.matter.unwrap_or(kodiak::matter::DEFAULT).into(),
            generated_at: kodiak::timestamp::Timestamp::parse("2026-11-27T10:00:00Z").unwrap(),
            audit_head: kodiak::report::AuditHead {
                seq: 0,
                hash: String::new(),
            },
            network: "open".into(),
        })
    }

    fn record_export(
        &self,
        _what: &str,
        _format: &str,
        _rows: usize,
    ) -> Result<(i64, String), ServiceError> {
        self.call();
        Ok((0, String::new()))
    }

    fn checklist_jobs(&self) -> Result<Vec<JobInfo>, ServiceError> {
        self.call();
        Ok(Vec::new())
    }

    fn checklist_grid(&self, job: i64) -> Result<Grid, ServiceError> {
        self.call();
        Err(ServiceError::NoSuchJob(job))
    }

    fn start_checklist(
        &self,
        _path: &Path,
        _documents: &[i64],
        _use_model: bool,
    ) -> Result<i64, ServiceError> {
        self.call();
        Ok(7)
    }

    /// Decides four cells of two documents, one at a time, stopping when cancelled.
    fn run_checklist(
        &self,
        job: i64,
        progress: &dyn JobProgress,
    ) -> Result<JobOutcome, ServiceError> {
        self.call();
        let total = 4;
        let mut cells = 0;
        while cells < total && !progress.cancelled() {
            cells += 1;
            progress.advanced(JobCounts {
                cells,
                total,
                documents: cells / 2,
                total_documents: 2,
            });
        }
        Ok(JobOutcome {
            job,
            state: if cells == total {
                JobState::Done
            } else {
                JobState::Cancelled
            },
            decided: cells,
            cells,
            total,
            seconds: 0.0,
            model: None,
            quotes_dropped: 0,
            notes: Vec::new(),
        })
    }

    fn decide_cell(
        &self,
        job: i64,
        _doc_id: i64,
        _item: &str,
        _input: DecisionInput,
    ) -> Result<GridCell, ServiceError> {
        self.call();
        Err(ServiceError::NoSuchJob(job))
    }

    fn matters(&self) -> Result<Vec<kodiak::matter::Matter>, ServiceError> {
        self.call();
        Ok(["default", "acme"]
            .map(|name| kodiak::matter::Matter {
                name: name.into(),
                dir: format!("/data/{name}").into(),
                file: None,
            })
            .to_vec())
    }

    /// Each term hits every document asked about, once.
    fn terms_report(
        &self,
        terms: &[String],
        documents: &[i64],
    ) -> Result<kodiak::report::terms::TermsReport, ServiceError> {
        self.call();
        let rows = terms
            .iter()
            .map(|term| kodiak::report::terms::TermRow {
                term: term.clone(),
                documents: documents.len(),
                unique_documents: 0,
                hits: documents.len(),
                families: documents.len(),
                family_documents: documents.len(),
                unique_families: 0,
                threads: 0,
                doc_ids: documents.to_vec(),
            })
            .collect();
        Ok(kodiak::report::terms::TermsReport {
            documents_searched: documents.len(),
            families_searched: documents.len(),
            documents_hit: documents.len(),
            families_hit: documents.len(),
            family_documents_hit: documents.len(),
            threads_searched: 0,
            threads_hit: 0,
            terms: rows,
        })
    }
}
