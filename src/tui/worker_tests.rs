//! The worker against a fake service: what each job sends back, with its request id, when
//! it streams, is cancelled, reports progress, fails or panics. No model or file is needed.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use kodiak::answer::{Answer, AnswerMode};
use kodiak::health::HealthReport;
use kodiak::ingest::{IngestPhase, IngestReport, Outcome, Progress};
use kodiak::llm::prompt::Dropped;
use kodiak::llm::{Finish, GenerationStats};
use kodiak::report::ReportFormat;
use kodiak::service::{AskOptions, ConversationTurns, DocumentText, ReportRow, ServiceError};
use kodiak::storage::conversations::Conversation;
use kodiak::storage::documents::{DocStatus, DocumentInfo};
use kodiak::storage::review::{Review, ReviewStatus};

use super::app::{Effect, Msg};
use super::service::ReviewService;
use super::tests::health_report;
use super::worker::Worker;

/// A service that answers from fixed values, panics on every call when asked to, and can
/// hold an answer open until it is cancelled.
#[derive(Default)]
struct Fake {
    panics: bool,
    /// What the answer streams, piece by piece.
    pieces: Vec<&'static str>,
    /// Set: the answer says it started here, then waits for its cancel flag.
    started: Mutex<Option<mpsc::Sender<()>>>,
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
    }
}

impl ReviewService for Fake {
    fn warm_up(&self) -> HealthReport {
        self.health()
    }

    fn health(&self) -> HealthReport {
        self.call();
        health_report(10, "ready")
    }

    fn review_report(&self) -> Result<Vec<ReportRow>, ServiceError> {
        self.call();
        Ok(super::tests::rows())
    }

    fn set_review_status(&self, _: i64, status: ReviewStatus) -> Result<Review, ServiceError> {
        self.call();
        Ok(Review {
            status,
            ..Review::default()
        })
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
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Answer, ServiceError> {
        self.call();
        for piece in &self.pieces {
            on_text(piece);
        }
        let waiting = self.started.lock().unwrap().take();
        if let Some(started) = waiting {
            started.send(()).unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while !options.cancel.load(Ordering::Relaxed) {
                assert!(Instant::now() < deadline, "the cancel never came");
                std::thread::sleep(Duration::from_millis(1));
            }
            return Ok(answer(self.pieces.concat(), Finish::Cancelled));
        }
        Ok(answer(self.pieces.concat(), Finish::Stop))
    }

    fn conversations(&self) -> Result<Vec<Conversation>, ServiceError> {
        self.call();
        Ok(Vec::new())
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
            created_at: "2026-11-26T10:00:00Z".into(),
            updated_at: "2026-11-26T10:00:00Z".into(),
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
}

/// Runs `effects` through a worker over `fake` and returns the first `replies` messages.
fn replies(fake: Fake, effects: Vec<Effect>, replies: usize) -> Vec<Msg> {
    replies_with(fake, replies, |worker| {
        for effect in effects {
            worker.run(effect);
        }
    })
}

fn replies_with(fake: Fake, count: usize, drive: impl FnOnce(&mut Worker)) -> Vec<Msg> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (messages, mut inbox) = tokio::sync::mpsc::unbounded_channel();
        let mut worker = Worker::new(Arc::new(fake), messages, std::env::temp_dir());
        drive(&mut worker);
        let mut got = Vec::new();
        while got.len() < count {
            let msg = tokio::time::timeout(Duration::from_secs(30), inbox.recv())
                .await
                .expect("a job never replied")
                .unwrap();
            got.push(msg);
        }
        got
    })
}

fn ask(request: u64) -> Effect {
    Effect::Ask {
        request,
        question: "When is the deposit returned?".into(),
        conversation: None,
        documents: Vec::new(),
    }
}

#[test]
fn an_answer_streams_each_piece_then_ends_with_its_request_id() {
    let fake = Fake {
        pieces: vec!["The deposit ", "is returned ", "in 30 days."],
        ..Fake::default()
    };
    let got = replies(fake, vec![ask(7)], 4);
    let streamed: Vec<String> = got[..3]
        .iter()
        .map(|msg| match msg {
            Msg::AskText { request: 7, text } => text.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(streamed, ["The deposit ", "is returned ", "in 30 days."]);
    let Msg::AskDone {
        request: 7,
        result: Ok(done),
    } = &got[3]
    else {
        panic!("{:?}", got[3]);
    };
    assert_eq!(done.answer, "The deposit is returned in 30 days.");
    assert_eq!(done.finish, Some(Finish::Stop));
}

#[test]
fn a_cancel_reaches_the_answer_it_names_and_that_answer_ends_cancelled() {
    let (started, has_started) = mpsc::channel();
    let fake = Fake {
        pieces: vec!["Partial"],
        started: Mutex::new(Some(started)),
        ..Fake::default()
    };
    let got = replies_with(fake, 2, |worker| {
        worker.run(ask(3));
        has_started
            .recv_timeout(Duration::from_secs(30))
            .expect("the answer never started");
        worker.run(Effect::Cancel { request: 3 });
    });
    assert!(matches!(&got[0], Msg::AskText { request: 3, .. }));
    let Msg::AskDone {
        request: 3,
        result: Ok(done),
    } = &got[1]
    else {
        panic!("{:?}", got[1]);
    };
    assert_eq!(done.finish, Some(Finish::Cancelled));
    assert_eq!(done.answer, "Partial");
}

#[test]
fn every_job_that_panics_replies_with_the_failure_its_effect_waits_for() {
    let fake = Fake {
        panics: true,
        ..Fake::default()
    };
    let effects = vec![
        Effect::LoadDocuments { request: 11 },
        Effect::OpenDocument {
            request: 12,
            doc_id: 1,
            focus: None,
        },
        Effect::SetStatus {
            doc_id: 13,
            status: ReviewStatus::Reviewed,
        },
        Effect::Ingest("/cases".into()),
        ask(14),
        Effect::Export(ReportFormat::Md),
        Effect::LoadConversations,
        Effect::LoadConversation { id: 15 },
        Effect::ShowCrash,
    ];
    let count = effects.len();
    let got = replies(fake, effects, count);
    let mut seen = Vec::new();
    for msg in &got {
        let (which, error) = match msg {
            Msg::Documents {
                request: 11,
                result: Err(e),
            } => ("documents", e),
            Msg::Document {
                request: 12,
                result: Err(e),
            } => ("document", e),
            Msg::Reviewed {
                doc_id: 13,
                result: Err(e),
            } => ("reviewed", e),
            Msg::IngestDone(Err(e)) => ("ingest", e),
            Msg::AskDone {
                request: 14,
                result: Err(e),
            } => ("ask", e),
            Msg::Exported(Err(e)) => ("export", e),
            Msg::Conversations(Err(e)) => ("conversations", e),
            Msg::ConversationLoaded {
                id: 15,
                result: Err(e),
            } => ("conversation", e),
            Msg::CrashReport(Err(e)) => ("crash", e),
            other => panic!("not the failure its effect waits for: {other:?}"),
        };
        assert!(
            error.contains("an internal error stopped it: a service call panics"),
            "{which}: {error}"
        );
        seen.push(which);
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), count, "one failure per job: {seen:?}");
}

#[test]
fn an_ingest_reports_each_phase_and_failed_file_then_its_summary() {
    let got = replies(Fake::default(), vec![Effect::Ingest("/cases".into())], 7);
    let progress = |msg: &Msg| match msg {
        Msg::IngestProgress { done, total, phase } => Some((*done, *total, *phase)),
        _ => None,
    };
    assert_eq!(progress(&got[0]), Some((0, 2, IngestPhase::Reading)));
    assert_eq!(progress(&got[1]), Some((1, 2, IngestPhase::Reading)));
    assert!(
        matches!(&got[2], Msg::IngestFailed { path, reason } if path == "/cases/b.pdf" && reason == "encrypted"),
        "{:?}",
        got[2]
    );
    assert_eq!(progress(&got[3]), Some((2, 2, IngestPhase::Reading)));
    assert_eq!(progress(&got[4]), Some((2, 2, IngestPhase::Indexing)));
    assert_eq!(progress(&got[5]), Some((0, 3, IngestPhase::Embedding)));
    let Msg::IngestDone(Ok(summary)) = &got[6] else {
        panic!("{:?}", got[6]);
    };
    assert_eq!(
        summary,
        "ingested 0 new, 0 duplicates, 1 unchanged, 1 failed, 0 need OCR"
    );
}

#[test]
fn a_document_without_text_is_an_error_naming_its_status_and_reason() {
    let open = Effect::OpenDocument {
        request: 21,
        doc_id: 4,
        focus: None,
    };
    let got = replies(Fake::default(), vec![open], 1);
    let Msg::Document {
        request: 21,
        result: Err(error),
    } = &got[0]
    else {
        panic!("{:?}", got[0]);
    };
    assert_eq!(error, "document 4 has no text (needs_ocr: no text layer)");
}
