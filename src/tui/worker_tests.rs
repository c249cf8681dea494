//! The worker against a fake service: what each job sends back, with its request id, when
//! it streams, is cancelled, reports progress, fails or panics. No model or file is needed.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use kodiak::ingest::IngestPhase;
use kodiak::llm::Finish;
use kodiak::report::ReportFormat;
use kodiak::storage::review::ReviewMark;

use super::app::{Effect, Job, JobError, Msg, ReviewChange};
use super::fake_service::Fake;
use super::worker::Worker;

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
    Effect::Job {
        request,
        job: Job::Ask {
            question: "When is the deposit returned?".into(),
            conversation: None,
            documents: Vec::new(),
        },
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
        Effect::Job {
            request: 11,
            job: Job::LoadDocuments,
        },
        Effect::Job {
            request: 12,
            job: Job::OpenDocument {
                doc_id: 1,
                focus: None,
            },
        },
        Effect::Job {
            request: 13,
            job: Job::Review {
                doc_id: 4,
                change: ReviewChange::Mark(ReviewMark::Reviewed),
            },
        },
        Effect::Job {
            request: 14,
            job: Job::Ingest {
                path: "/cases".into(),
            },
        },
        ask(15),
        Effect::Job {
            request: 16,
            job: Job::Export {
                format: ReportFormat::Md,
            },
        },
        Effect::Job {
            request: 17,
            job: Job::LoadConversations,
        },
        Effect::Job {
            request: 18,
            job: Job::LoadConversation { id: 40 },
        },
        Effect::Job {
            request: 19,
            job: Job::ShowCrash,
        },
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
                request: 13,
                doc_id: 4,
                result: Err(e),
            } => ("reviewed", e),
            Msg::IngestDone {
                request: 14,
                result: Err(e),
            } => ("ingest", e),
            Msg::AskDone {
                request: 15,
                result: Err(e),
            } => ("ask", e),
            Msg::Exported {
                request: 16,
                result: Err(e),
            } => ("export", e),
            Msg::Conversations {
                request: 17,
                result: Err(e),
            } => ("conversations", e),
            Msg::ConversationLoaded {
                request: 18,
                id: 40,
                result: Err(e),
            } => ("conversation", e),
            Msg::CrashReport {
                request: 19,
                result: Err(e),
            } => ("crash", e),
            other => panic!("not the failure its effect waits for: {other:?}"),
        };
        assert!(
            matches!(error, JobError::Internal(panic) if panic.contains("a service call panics")),
            "{which}: {error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("an internal error stopped it: a service call panics"),
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
    let ingest = Effect::Job {
        request: 9,
        job: Job::Ingest {
            path: "/cases".into(),
        },
    };
    let got = replies(Fake::default(), vec![ingest], 7);
    let progress = |msg: &Msg| match msg {
        Msg::IngestProgress {
            request: 9,
            done,
            total,
            phase,
        } => Some((*done, *total, *phase)),
        _ => None,
    };
    assert_eq!(progress(&got[0]), Some((0, 2, IngestPhase::Reading)));
    assert_eq!(progress(&got[1]), Some((1, 2, IngestPhase::Reading)));
    assert!(
        matches!(&got[2], Msg::IngestFailed { request: 9, path, reason } if path == "/cases/b.pdf" && reason == "encrypted"),
        "{:?}",
        got[2]
    );
    assert_eq!(progress(&got[3]), Some((2, 2, IngestPhase::Reading)));
    assert_eq!(progress(&got[4]), Some((2, 2, IngestPhase::Indexing)));
    assert_eq!(progress(&got[5]), Some((0, 3, IngestPhase::Embedding)));
    let Msg::IngestDone {
        request: 9,
        result: Ok(summary),
    } = &got[6]
    else {
        panic!("{:?}", got[6]);
    };
    assert_eq!(
        summary,
        "ingested 0 new, 0 duplicates, 1 unchanged, 1 failed, 0 need OCR"
    );
}

#[test]
fn a_document_without_text_is_an_error_naming_its_status_and_reason() {
    let open = Effect::Job {
        request: 21,
        job: Job::OpenDocument {
            doc_id: 4,
            focus: None,
        },
    };
    let got = replies(Fake::default(), vec![open], 1);
    let Msg::Document {
        request: 21,
        result: Err(error),
    } = &got[0]
    else {
        panic!("{:?}", got[0]);
    };
    assert_eq!(
        error,
        &JobError::Service("document 4 has no text (needs_ocr: no text layer)".into())
    );
}

#[test]
fn a_term_report_reads_terms_files_and_counts_over_the_documents_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("terms.txt");
    std::fs::write(&file, "# agreed\nindemn*\n\"hold harmless\"\n").unwrap();
    let effect = Effect::Job {
        request: 4,
        job: Job::TermsReport {
            terms: vec![file.display().to_string(), "arbitration".into()],
            documents: vec![2, 5],
        },
    };
    let got = replies(Fake::default(), vec![effect], 1);
    let Msg::TermsReport {
        request: 4,
        result: Ok(report),
    } = &got[0]
    else {
        panic!("{:?}", got[0]);
    };
    let terms: Vec<&str> = report.terms.iter().map(|t| t.term.as_str()).collect();
    assert_eq!(terms, ["indemn*", "\"hold harmless\"", "arbitration"]);
    assert_eq!(report.terms[0].doc_ids, [2, 5]);
}

#[test]
fn the_matters_are_listed_for_the_switcher() {
    let got = replies(
        Fake::default(),
        vec![Effect::Job {
            request: 9,
            job: Job::LoadMatters,
        }],
        1,
    );
    let Msg::Matters {
        request: 9,
        result: Ok(list),
    } = &got[0]
    else {
        panic!("{:?}", got[0]);
    };
    let names: Vec<&str> = list.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["default", "acme"]);
}

#[test]
fn an_export_in_a_matter_other_than_the_default_names_it_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let written = |matter: Option<&'static str>| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (messages, mut inbox) = tokio::sync::mpsc::unbounded_channel();
            let fake = Fake {
                matter,
                ..Fake::default()
            };
            let mut worker = Worker::new(Arc::new(fake), messages, dir.path().to_path_buf());
            worker.run(Effect::Job {
                request: 1,
                job: Job::Export {
                    format: ReportFormat::Md,
                },
            });
            let reply = tokio::time::timeout(Duration::from_secs(30), inbox.recv())
                .await
                .expect("the export did not reply within 30 s");
            match reply.unwrap() {
                Msg::Exported {
                    result: Ok(path), ..
                } => path.file_name().unwrap().to_string_lossy().into_owned(),
                other => panic!("{other:?}"),
            }
        })
    };
    let in_acme = written(Some("acme"));
    assert!(in_acme.starts_with("kodiak-review-acme-2026"), "{in_acme}");
    let in_default = written(None);
    assert!(in_default.starts_with("kodiak-review-2026"), "{in_default}");
}

#[test]
fn a_list_view_job_replies_with_the_rows_its_filter_shows_in_order() {
    use super::app::SortKey;
    use super::app::list_view::{ListInput, ListQuery};
    let rows = Arc::new(super::tests::rows());
    let got = replies(
        Fake::default(),
        vec![Effect::Job {
            request: 4,
            job: Job::ListView(ListInput {
                rows: Arc::clone(&rows),
                index: None,
                query: ListQuery {
                    filter: "-memo".into(),
                    sort: Some(SortKey::Title),
                    fold_threads: false,
                },
            }),
        }],
        1,
    );
    let Msg::ListView {
        request: 4,
        result: Ok(view),
    } = &got[0]
    else {
        panic!("{:?}", got[0]);
    };
    assert!(
        Arc::ptr_eq(&view.rows, &rows),
        "the rows are shared, not copied"
    );
    let titles: Vec<&str> = view
        .visible
        .iter()
        .map(|&i| rows[i].title.as_deref().unwrap())
        .collect();
    assert_eq!(titles, ["Board minutes", "Residential lease"]);
    assert_eq!(view.index.by_id.len(), 3);
}
