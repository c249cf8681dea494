//! The document list: filtering, sorting, review marks, replies and ingest progress.

use super::*;

#[test]
fn the_list_filters_as_you_type_sorts_and_marks_review_at_once() {
    let mut app = app(80, 24);
    assert!(matches!(
        app.start()[..],
        [
            Effect::Job {
                job: Job::LoadDocuments,
                ..
            },
            Effect::Job {
                job: Job::WarmUp,
                ..
            },
            Effect::LoadSession,
            Effect::Job {
                job: Job::ResumeEmbedding,
                ..
            }
        ]
    ));
    show_list(&mut app, rows());
    assert_eq!(app.docs.visible.len(), 3);

    press(&mut app, [ch('/')]);
    press(&mut app, typed("memo"));
    assert_eq!(app.docs.visible.len(), 1, "filtered while typing");
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.docs.visible.len(), 3, "Esc clears the filter");

    press(&mut app, [ch('s')]);
    let titles: Vec<&str> = app
        .docs
        .visible
        .iter()
        .map(|&i| app.docs.rows[i].title.as_deref().unwrap())
        .collect();
    assert_eq!(titles, ["Audit memo", "Board minutes", "Residential lease"]);

    // r on the selected document (Audit memo): stored first, then shown.
    let effects = press(&mut app, [ch('r')]);
    assert_eq!(
        review_changes(&effects),
        [(3, ReviewChange::Mark(ReviewMark::Reviewed))]
    );
    let review = Review {
        status: ReviewStatus::Reviewed,
        ..Review::default()
    };
    press(
        &mut app,
        [Msg::Reviewed {
            request: effects[0].request().unwrap(),
            doc_id: 3,
            result: Ok(review),
        }],
    );
    // The cursor went on to the next document, and the coding is said once stored.
    assert_eq!(app.docs.selected_row().unwrap().doc_id, 2);
    assert!(
        screen(&app).contains("saved: Audit memo: ✓ reviewed"),
        "{}",
        screen(&app)
    );
    // Back on it, again: back to unreviewed.
    press(&mut app, [ch('k')]);
    assert_eq!(
        app.docs.selected_row().unwrap().review.status,
        ReviewStatus::Reviewed
    );
    let effects = press(&mut app, [ch('r')]);
    assert_eq!(
        review_changes(&effects),
        [(3, ReviewChange::Mark(ReviewMark::Unreviewed))]
    );
    press(&mut app, [ch('k')]);

    // Tags and notes go through a prompt; `-tag` removes.
    let effects = press(&mut app, prompted('t', "hot"));
    assert_eq!(
        review_changes(&effects),
        [(3, ReviewChange::AddTag("hot".into()))]
    );
    let effects = press(&mut app, prompted('t', "-hot"));
    assert_eq!(
        review_changes(&effects),
        [(3, ReviewChange::RemoveTag("hot".into()))]
    );
    let effects = press(&mut app, prompted('a', "call back"));
    assert_eq!(
        review_changes(&effects),
        [(3, ReviewChange::AddNote("call back".into()))]
    );
    let effects = press(&mut app, [ch('E'), ch('c')]);
    assert!(matches!(
        effects[..],
        [Effect::Job {
            job: Job::Export {
                format: kodiak::report::ReportFormat::Csv,
                ..
            },
            ..
        }]
    ));
}

#[test]
fn a_stale_document_reply_is_ignored() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    let first = press(&mut app, [key(KeyCode::Enter)]);
    let second = press(&mut app, [key(KeyCode::Enter)]);
    let (
        Effect::Job {
            request: old,
            job: Job::OpenDocument { .. },
        },
        Effect::Job {
            request: new,
            job: Job::OpenDocument { .. },
        },
    ) = (&first[0], &second[0])
    else {
        panic!()
    };
    press(
        &mut app,
        [Msg::Document {
            request: *old,
            result: Ok(Box::new(lease(None))),
        }],
    );
    assert!(app.viewer.is_none(), "the older request's reply is dropped");
    press(
        &mut app,
        [Msg::Document {
            request: *new,
            result: Ok(Box::new(lease(None))),
        }],
    );
    assert!(app.viewer.is_some());
}

#[test]
fn ingest_shows_progress_reloads_the_list_as_files_land_and_lists_failures() {
    let mut app = app(80, 24);
    let effects = press(&mut app, prompted('i', "/cases"));
    let [
        Effect::Job {
            request,
            job: Job::Ingest { path },
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}");
    };
    assert_eq!(path.to_str(), Some("/cases"));
    let request = *request;
    assert!(app.needs_ticks());
    let progress = |done| Msg::IngestProgress {
        request,
        done,
        total: 40,
        phase: IngestPhase::Reading,
    };
    assert!(press(&mut app, [progress(1)]).is_empty());
    assert!(matches!(
        press(&mut app, [progress(20)])[..],
        [Effect::Job {
            job: Job::LoadDocuments,
            ..
        }]
    ));
    press(
        &mut app,
        [Msg::IngestFailed {
            request,
            path: "/cases/bad.pdf".into(),
            reason: "encrypted".into(),
        }],
    );
    assert!(matches!(
        press(
            &mut app,
            [Msg::IngestProgress {
                request,
                done: 40,
                total: 40,
                phase: IngestPhase::Indexing
            }]
        )[..],
        [Effect::Job {
            job: Job::LoadDocuments,
            ..
        }]
    ));
    insta::assert_snapshot!("documents_ingesting_80x24", screen(&app));
    let effects = press(
        &mut app,
        [Msg::IngestDone {
            request,
            result: Ok("ingested 39 new".into()),
        }],
    );
    assert!(matches!(
        effects[..],
        [Effect::Job {
            job: Job::LoadDocuments,
            ..
        }]
    ));
    assert!(app.ingest.is_none());
    let Some(crate::tui::app::Overlay::Text { text, .. }) = &app.overlay else {
        panic!("failures are listed");
    };
    assert!(text.contains("/cases/bad.pdf\n    encrypted"), "{text}");
}

#[test]
fn a_second_ingest_waits_for_the_running_one_and_x_cancels_a_job() {
    let mut app = app(80, 24);
    let first = press(&mut app, prompted('i', "/cases"))[0]
        .request()
        .unwrap();
    assert!(
        press(&mut app, prompted('i', "/more")).is_empty(),
        "it waits"
    );
    assert!(screen(&app).contains("(+1 waiting)"), "{}", screen(&app));

    // X asks the running job to stop; it says so until it has.
    let effects = press(&mut app, [ch('X')]);
    assert_eq!(effects, [Effect::Cancel { request: first }]);
    assert!(screen(&app).contains("cancelling"), "{}", screen(&app));

    // When it ends, the waiting one starts.
    let effects = press(
        &mut app,
        [Msg::IngestDone {
            request: first,
            result: Ok("cancelled: ingested 3 new".into()),
        }],
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Job { job: Job::Ingest { path, .. }, .. } if path.to_str() == Some("/more"))),
        "{effects:?}"
    );
    assert_eq!(app.ingest_queue.len(), 0);
}

#[test]
fn the_gauge_gives_the_rate_and_time_left() {
    let mut app = app(80, 24);
    let request = press(&mut app, prompted('i', "/cases"))[0]
        .request()
        .unwrap();
    let start = Instant::now();
    let embedding = |done| Msg::IngestProgress {
        request,
        done,
        total: 14_448,
        phase: IngestPhase::Embedding,
    };
    app.update(embedding(0), start);
    app.update(embedding(2_300), start + Duration::from_secs(60));
    let shown = screen(&app);
    assert!(
        shown.contains("embedding 2300/14448 · 38 chunks/s · 6 min left"),
        "{shown}"
    );
}

#[test]
fn the_gauge_counts_the_pages_read_by_ocr() {
    let mut app = app(100, 24);
    let request = press(&mut app, prompted('i', "/scans"))[0]
        .request()
        .unwrap();
    let start = Instant::now();
    let reading = |done| Msg::IngestProgress {
        request,
        done,
        total: 10,
        phase: IngestPhase::Reading,
    };
    app.update(reading(0), start);
    app.update(Msg::IngestOcrPages { request, pages: 3 }, start);
    app.update(Msg::IngestOcrPages { request, pages: 9 }, start);
    app.update(reading(2), start + Duration::from_secs(4));
    let shown = screen(&app);
    assert!(
        shown.contains("reading 2/10") && shown.contains("12 pages OCR'd"),
        "{shown}"
    );
}

#[test]
fn embedding_left_from_before_resumes_at_start_and_says_so() {
    let mut app = app(160, 48);
    let effects = app.start();
    let Some(Effect::Job {
        request,
        job: Job::ResumeEmbedding,
    }) = effects.last().cloned()
    else {
        panic!("{effects:?}");
    };
    press(
        &mut app,
        [Msg::IngestProgress {
            request,
            done: 0,
            total: 300,
            phase: IngestPhase::Embedding,
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("resuming the embedding of 300 chunks left from before"),
        "{shown}"
    );
    assert!(
        shown.contains("embedding left from before 0/300"),
        "{shown}"
    );
    press(
        &mut app,
        [Msg::IngestDone {
            request,
            result: Ok("embedded 300 chunks left from before".into()),
        }],
    );
    assert!(app.ingest.is_none());
    assert!(screen(&app).contains("embedded 300 chunks left from before"));

    // With nothing left to embed, nothing shows; an ingest asked for while that is still
    // being found out waits for it, so two jobs never embed the same chunks.
    let mut app = app_at_start();
    let request = match app.start().last() {
        Some(Effect::Job {
            request,
            job: Job::ResumeEmbedding,
        }) => *request,
        other => panic!("{other:?}"),
    };
    assert!(
        press(&mut app, prompted('i', "/cases")).is_empty(),
        "it waits"
    );
    app.flash = None;
    let effects = press(
        &mut app,
        [Msg::IngestDone {
            request,
            result: Ok("embedded 0 chunks left from before".into()),
        }],
    );
    assert!(app.flash.is_none(), "nothing said of an empty resume");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Job { job: Job::Ingest { path, .. }, .. } if path.to_str() == Some("/cases"))),
        "{effects:?}"
    );
}

fn app_at_start() -> App {
    app(80, 24)
}

#[test]
fn the_filter_prompt_edits_at_the_cursor_and_ctrl_w_deletes_a_word() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    press(&mut app, [ch('/')]);
    press(&mut app, typed("board memo"));
    press(&mut app, [key(KeyCode::Left), key(KeyCode::Left), ch('x')]);
    assert_eq!(app.docs.filter, "board mexmo", "typed at the cursor");
    press(&mut app, [key(KeyCode::End), ctrl('w')]);
    assert_eq!(
        app.docs.filter, "board ",
        "Ctrl-W deletes the word before the cursor"
    );
    press(&mut app, [Msg::Paste("minutes\nsecond line".into())]);
    assert_eq!(app.docs.filter, "board minutes", "a paste's first line");
    assert_eq!(app.docs.visible.len(), 1);
    insta::assert_snapshot!("documents_filter_prompt_80x24", screen(&app));
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.overlay.is_none());
    assert_eq!(app.docs.filter, "board minutes", "Enter keeps the filter");
}

#[test]
fn titles_take_the_width_the_other_columns_leave_and_tags_show_at_120_columns() {
    let long = "Franchise Agreement between Northwind Traders and Contoso Pharmaceuticals, 2026";
    let mut rows = rows();
    rows[0].title = Some(long.into());
    rows[0].review.tags = vec!["hot".into(), "privileged".into()];
    // The list's pane is half the width while Health is folded away.
    for (width, height, shown) in [(120, 40, &long[..24]), (200, 50, &long[..50])] {
        let mut app = app(width, height);
        show_list(&mut app, rows.clone());
        report_health(
            &mut app,
            health_report(10, kodiak::health::ModelState::Ready),
        );
        let screen = screen(&app);
        assert!(screen.contains(shown), "{width}x{height}:\n{screen}");
        assert!(screen.contains("TAGS"), "{width}x{height}:\n{screen}");
        assert!(
            screen.contains("hot,privileged"),
            "{width}x{height}:\n{screen}"
        );
    }
    // Zoomed, the whole title.
    let mut app = app(200, 50);
    show_list(&mut app, rows);
    press(&mut app, [ch('z')]);
    assert!(screen(&app).contains(long), "{}", screen(&app));
}

/// The samples plus an e-mail (4) with an attachment (5) and a file that failed (6).
fn rows_with_a_family() -> Vec<ReportRow> {
    let mut rows = rows();
    rows.push(row(
        4,
        "Zebra supplies invoice",
        "email",
        &[],
        ReviewStatus::Unreviewed,
    ));
    let mut attachment = row(5, "Aardvark schedule", "pdf", &[], ReviewStatus::Unreviewed);
    attachment.parent_id = Some(4);
    rows.push(attachment);
    let mut failed = row(6, "empty", "pdf", &[], ReviewStatus::Unreviewed);
    failed.ingest_status = "failed".into();
    failed.reason = Some(
        "corrupt pdf: the cross-reference table at byte 18,244 points past the end of the \
         file; re-export it from the source application"
            .into(),
    );
    rows.push(failed);
    rows
}

fn visible_ids(app: &App) -> Vec<i64> {
    app.docs
        .visible
        .iter()
        .map(|&i| app.docs.rows[i].doc_id)
        .collect()
}

#[test]
fn filter_terms_narrow_the_list_and_a_half_typed_term_is_left_out_with_a_word_why() {
    let mut app = app(80, 24);
    show_list(&mut app, rows_with_a_family());
    press(&mut app, prompted('/', "status:flagged"));
    assert_eq!(visible_ids(&app), [1]);
    assert!(screen(&app).contains("1 of 6 · filter status:flagged"));

    press(&mut app, [ch('/'), ctrl('u')]);
    press(&mut app, typed("type:pdf -failed status:"));
    assert_eq!(visible_ids(&app), [1, 5], "the terms that parse apply");
    assert!(screen(&app).contains("needs a value"), "{}", screen(&app));
    press(&mut app, typed("unreviewed"));
    assert_eq!(
        visible_ids(&app),
        [1, 5],
        "the lease is flagged, and unreviewed"
    );
    press(&mut app, typed(" -flagged"));
    assert_eq!(visible_ids(&app), [5]);

    press(&mut app, [ctrl('u')]);
    press(&mut app, typed("failed"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(visible_ids(&app), [6]);
    assert!(screen(&app).contains("✗ failed"), "{}", screen(&app));
    assert!(screen(&app).contains("failed (v shows all): corrupt pdf"));
    // The reason in full, however long.
    press(&mut app, [ch('v')]);
    let shown = screen(&app);
    assert!(
        shown.contains("re-export it from the source application"),
        "{shown}"
    );
}

#[test]
fn sorting_steps_through_the_columns_on_screen_and_keeps_attachments_under_their_email() {
    // 60 columns: no FORMAT or PAGES column to sort by.
    let mut app = app(60, 24);
    show_list(&mut app, rows_with_a_family());
    let mut labels = Vec::new();
    for _ in 0..4 {
        press(&mut app, [ch('s')]);
        labels.push(app.docs.sort.unwrap().label());
    }
    assert_eq!(labels, ["title", "PII", "review", "id"]);

    press(&mut app, [ch('s')]);
    assert_eq!(app.docs.sort.unwrap().label(), "title");
    let order = visible_ids(&app);
    let email = order.iter().position(|&id| id == 4).unwrap();
    assert_eq!(
        order[email + 1],
        5,
        "the attachment follows its e-mail: {order:?}"
    );
    assert_eq!(
        *order.last().unwrap(),
        5,
        "Zebra sorts last, Aardvark with it"
    );
}

#[test]
fn space_selects_documents_and_r_t_code_them_all_at_once() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    // Space selects and moves on, as in yazi.
    press(
        &mut app,
        [key(KeyCode::Char(' ')), ch('j'), key(KeyCode::Char(' '))],
    );
    assert_eq!(app.docs.marked.len(), 2, "the lease and the audit memo");
    assert!(
        screen(&app).contains("● Residential lease"),
        "{}",
        screen(&app)
    );
    assert!(screen(&app).contains("2 selected"));
    // The lease is unreviewed: r marks both reviewed.
    let effects = press(&mut app, [ch('r')]);
    assert_eq!(
        review_changes(&effects),
        [
            (1, ReviewChange::Mark(ReviewMark::Reviewed)),
            (3, ReviewChange::Mark(ReviewMark::Reviewed))
        ]
    );
    assert!(app.docs.marked.is_empty(), "a coding clears the selection");
    press(
        &mut app,
        [ch('g'), key(KeyCode::Char(' ')), key(KeyCode::Char(' '))],
    );
    let effects = press(&mut app, prompted('t', "hot"));
    assert_eq!(
        review_changes(&effects),
        [
            (1, ReviewChange::AddTag("hot".into())),
            (2, ReviewChange::AddTag("hot".into()))
        ]
    );
}

#[test]
fn select_all_then_tag_codes_every_listed_document_and_the_selection_stays_for_a_note() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    // The list filtered to two of its three documents.
    press(&mut app, prompted('/', "-status:reviewed"));
    let listed: Vec<i64> = app.docs.listed().map(|row| row.doc_id).collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    press(&mut app, [ch('*')]);
    assert_eq!(app.docs.marked.iter().copied().collect::<Vec<_>>(), listed);
    assert!(screen(&app).contains("2 selected"), "{}", screen(&app));
    let effects = press(&mut app, prompted('t', "hot"));
    let tagged: Vec<i64> = review_changes(&effects).iter().map(|(id, _)| *id).collect();
    assert_eq!(tagged, listed);
    // The same documents get a note next.
    let effects = press(&mut app, prompted('a', "seen"));
    let noted: Vec<i64> = review_changes(&effects).iter().map(|(id, _)| *id).collect();
    assert_eq!(noted, listed);
    // `*` again selects none.
    press(&mut app, [ch('*')]);
    assert!(app.docs.marked.is_empty());
}

#[test]
fn x_marks_reviewed_and_goes_to_the_next_unreviewed_in_the_list_and_in_the_viewer() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    // From the lease (1), past the reviewed board minutes (2), to the audit memo (3).
    let effects = press(&mut app, [ch('x')]);
    assert_eq!(
        review_changes(&effects),
        [(1, ReviewChange::Mark(ReviewMark::Reviewed))]
    );
    assert_eq!(app.docs.selected_row().unwrap().doc_id, 3);

    let mut app = with_lease_open(80, 24);
    let effects = press(&mut app, [ch('x')]);
    assert_eq!(
        review_changes(&effects),
        [(1, ReviewChange::Mark(ReviewMark::Reviewed))]
    );
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Job {
                job: Job::OpenDocument { doc_id: 3, .. },
                ..
            }
        )),
        "{effects:?}"
    );
}

#[test]
fn coding_in_the_viewer_is_confirmed_once_stored_and_v_shows_tags_and_notes_with_who_and_local_time()
 {
    let mut app = with_lease_open(80, 24);
    // The reviewer's zone is an hour east of UTC: times are shown in it, to the minute.
    app.local_offset = time::UtcOffset::from_hms(1, 0, 0).unwrap();
    assert!(screen(&app).contains("│unreviewed · ⚑ flagged · tags lease"));
    let effects = press(&mut app, [ch('r')]);
    let review = Review {
        status: ReviewStatus::Reviewed,
        flagged: true,
        tags: vec!["lease".into()],
        tagged: vec![kodiak::review::Tagged {
            tag: "lease".into(),
            added_at: kodiak::timestamp::Timestamp::parse("2026-11-26T10:01:30.123456789Z")
                .unwrap(),
            added_by: Some("ben".into()),
        }],
        notes: vec![kodiak::storage::review::Note {
            id: 1,
            text: "Check the renewal clause.".into(),
            created_at: kodiak::timestamp::Timestamp::parse("2026-11-26T10:02:00Z").unwrap(),
            author: Some("ana".into()),
        }],
        updated_at: Some(kodiak::timestamp::Timestamp::parse("2026-11-26T10:03:00Z").unwrap()),
        updated_by: Some("ana".into()),
    };
    press(
        &mut app,
        [Msg::Reviewed {
            request: effects[0].request().unwrap(),
            doc_id: 1,
            result: Ok(review),
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("saved: Residential lease: ✓ reviewed · ⚑ flagged"),
        "{shown}"
    );
    assert!(
        shown.contains("│✓ reviewed · ⚑ flagged · tags lease · 1 note"),
        "{shown}"
    );
    press(&mut app, [ch('v')]);
    let shown = screen(&app);
    assert!(
        shown.contains("last marked by ana, 2026-11-26 11:03"),
        "{shown}"
    );
    assert!(
        shown.contains("lease · added by ben, 2026-11-26 11:01"),
        "{shown}"
    );
    assert!(shown.contains("ana, 2026-11-26 11:02:"), "{shown}");
    assert!(shown.contains("Check the renewal clause."), "{shown}");
    assert!(!shown.contains("T10:"), "no raw UTC time: {shown}");
}

#[test]
fn a_change_to_two_documents_is_said_once_for_both_when_both_are_saved() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    press(&mut app, [ch(' '), ch(' ')]);
    let effects = press(&mut app, prompted('t', "hot"));
    let sent = review_changes(&effects);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let saved = |doc_id: i64| Review {
        tags: vec!["hot".into()],
        ..app
            .docs
            .rows
            .iter()
            .find(|r| r.doc_id == doc_id)
            .unwrap()
            .review
            .clone()
    };
    let replies: Vec<Msg> = effects
        .iter()
        .zip(&sent)
        .map(|(effect, (doc_id, _))| Msg::Reviewed {
            request: effect.request().unwrap(),
            doc_id: *doc_id,
            result: Ok(saved(*doc_id)),
        })
        .collect();
    let mut replies = replies.into_iter();
    press(&mut app, [replies.next().unwrap()]);
    assert!(!screen(&app).contains("saved:"), "{}", screen(&app));
    press(&mut app, [replies.next().unwrap()]);
    let shown = screen(&app);
    assert!(
        shown.contains("saved: tag hot added on 2 documents"),
        "{shown}"
    );
}

#[test]
fn x_on_the_last_unreviewed_document_says_so_with_the_save_not_under_it() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    // The audit memo (3) is the last unreviewed document in the list.
    press(&mut app, [ch('G')]);
    assert_eq!(app.docs.selected_row().unwrap().doc_id, 3);
    let effects = press(&mut app, [ch('x')]);
    assert!(screen(&app).contains("no unreviewed document after this one"));
    let review = Review {
        status: ReviewStatus::Reviewed,
        ..Review::default()
    };
    press(
        &mut app,
        [Msg::Reviewed {
            request: effects[0].request().unwrap(),
            doc_id: 3,
            result: Ok(review),
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("no unreviewed document after this one; saved:"),
        "{shown}"
    );
}

#[test]
fn the_list_shows_the_configured_columns_in_their_order_and_sorts_only_by_those() {
    let mut app = app(80, 24);
    app.docs.columns = vec![ListColumn::Review, ListColumn::Pii];
    show_list(&mut app, rows());
    let shown = screen(&app);
    let header = shown.lines().find(|l| l.contains("TITLE")).unwrap();
    assert!(header.contains("REVIEW        PII"), "{header}");
    assert!(
        !header.contains("FORMAT") && !header.contains("TAGS"),
        "{header}"
    );
    let mut labels = Vec::new();
    for _ in 0..4 {
        press(&mut app, [ch('s')]);
        labels.push(app.docs.sort.unwrap().label());
    }
    assert_eq!(labels, ["title", "PII", "review", "id"]);
}

#[test]
fn j_lists_the_running_job_live_and_those_waiting() {
    let mut app = app(80, 24);
    press(&mut app, [ch('J')]);
    assert!(screen(&app).contains("Nothing is running."));
    press(&mut app, [key(KeyCode::Esc)]);
    let request = press(&mut app, prompted('i', "/cases"))[0]
        .request()
        .unwrap();
    press(&mut app, prompted('i', "/more"));
    press(&mut app, [ch('J')]);
    press(
        &mut app,
        [Msg::IngestProgress {
            request,
            done: 3,
            total: 40,
            phase: IngestPhase::Reading,
        }],
    );
    let shown = screen(&app);
    assert!(shown.contains("Running: ingest /cases"), "{shown}");
    assert!(shown.contains("reading 3/40"), "{shown}");
    assert!(shown.contains("Waiting, in order:"), "{shown}");
    assert!(shown.contains("ingest /more"), "{shown}");
    assert_eq!(press(&mut app, [ch('X')]), [Effect::Cancel { request }]);
}

#[test]
fn a_file_name_with_a_line_break_or_an_escape_sequence_is_listed_escaped_on_one_line() {
    let mut app = app(100, 24);
    let mut list = rows();
    list[0].title = None;
    list[0].path = "/cases/evil\u{1b}]0;owned\u{7}\nname.txt".into();
    show_list(&mut app, list);
    let shown = screen(&app);
    let line = shown
        .lines()
        .find(|l| l.contains("evil"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(line.contains("evil\\x1b]0;owned\\x07\\nname.txt"), "{line}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown}"
    );
}

#[test]
fn a_status_message_shows_whole_at_80_columns_and_the_help_key_always_shows() {
    let mut app = with_lease_open(80, 24);
    let last = |app: &App| screen(app).lines().last().unwrap_or_default().to_owned();
    assert!(last(&app).contains("Esc back"), "{}", last(&app));
    assert!(last(&app).contains("? help"), "{}", last(&app));
    // Going to a page the document lacks: the message is read whole.
    press(&mut app, prompted(':', "5"));
    let shown = last(&app);
    assert!(shown.contains("no page 5: the document has 2"), "{shown}");
}

#[test]
fn documents_sharing_a_title_are_told_apart_by_file_and_a_long_file_name_keeps_both_ends() {
    let mut documents = rows();
    documents[0].title = Some("SUPPLY AGREEMENT".into());
    documents[0].path = "/cases/acme-2019.txt".into();
    documents[1].title = Some("Supply Agreement".into());
    documents[1].path = "/cases/birch-2021.txt".into();
    documents[2].title = None;
    documents[2].path =
        "/cuad/GOOSEHEADINSURANCE,INC_04_02_2018-EX-10.6-FRANCHISE AGREEMENT.txt".into();
    for (width, height) in [(80, 24), (120, 40)] {
        let mut app = app(width, height);
        show_list(&mut app, documents.clone());
        let shown = screen(&app);
        if width == 80 {
            assert!(
                shown.contains("SUPPLY AGREEMENT · acme-2019.txt"),
                "{shown}"
            );
            assert!(
                shown.contains("Supply Agreement · birch-2021.txt"),
                "{shown}"
            );
        }
        // Narrower, the title gives way to the file that tells the two apart.
        assert!(shown.contains("SUPPLY AG"), "{shown}");
        assert!(shown.contains(" · acme-2019.txt"), "{shown}");
        assert!(shown.contains(" · birch-2021.txt"), "{shown}");
        let goose = shown
            .lines()
            .find(|l| l.contains("GOOSEHEAD"))
            .unwrap_or_default();
        assert!(goose.contains('…'), "{shown}");
        assert!(goose.contains("GREEMENT.txt"), "the end is kept: {shown}");
    }
}

#[test]
fn a_near_duplicate_is_marked_says_whose_and_the_filter_near_dup_keeps_its_group() {
    let mut documents = rows();
    // The audit memo (3) is a near-duplicate of the lease (1), its group's longest.
    documents[0].near_dup_group = Some(1);
    documents[0].near_dup_similarity = Some(1.0);
    documents[2].near_dup_group = Some(1);
    documents[2].near_dup_similarity = Some(0.93);
    for (width, height) in [(80, 24), (120, 40)] {
        let mut app = app(width, height);
        show_list(&mut app, documents.clone());
        let shown = screen(&app);
        let memo = shown.lines().find(|l| l.contains("Audit memo")).unwrap();
        assert!(memo.contains("≈ Audit memo"), "{shown}");
        let lease = shown
            .lines()
            .find(|l| l.contains("Residential lease"))
            .unwrap();
        assert!(!lease.contains('≈'), "{shown}");
        assert!(
            shown.contains("principal of 1 near-duplicates"),
            "the lease is selected: {shown}"
        );
        // D on the longest says so; on the near-duplicate it asks for the difference.
        press(&mut app, [ch('D')]);
        assert!(screen(&app).contains("the longest of its group"));
        press(&mut app, [ch('G')]);
        assert!(
            screen(&app).contains("≈ 0.93 of #1 Residential lease"),
            "{}",
            screen(&app)
        );
        let effects = press(&mut app, [ch('D')]);
        let [
            Effect::Job {
                request,
                job:
                    Job::NearDupDifference {
                        doc_id: 3,
                        principal: 1,
                    },
            },
        ] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        press(
            &mut app,
            [Msg::Difference {
                request: *request,
                result: Ok((
                    "What #3 changes of #1: [-removed-] {+added+}".into(),
                    "… within [-ten-] {+fifteen+} working days …".into(),
                )),
            }],
        );
        let shown = screen(&app);
        assert!(shown.contains("What #3 changes of #1"), "{shown}");
        assert!(
            shown.contains("within [-ten-] {+fifteen+} working days"),
            "{shown}"
        );
        press(&mut app, [key(KeyCode::Esc)]);
        press(&mut app, prompted('/', "near-dup"));
        let listed: Vec<i64> = app.docs.listed().map(|r| r.doc_id).collect();
        assert_eq!(listed, [1, 3]);
        // The prompt opens on the filter as it stands: cleared first.
        press(&mut app, [ch('/'), ctrl('u')]);
        press(&mut app, typed("near-dup:principal"));
        press(&mut app, [key(KeyCode::Enter)]);
        let listed: Vec<i64> = app.docs.listed().map(|r| r.doc_id).collect();
        assert_eq!(listed, [1]);
    }
}

#[test]
fn inclusive_messages_are_marked_f_folds_threads_and_w_selects_a_thread_and_family_after_naming_how_many()
 {
    let mut documents = rows();
    let email = |id: i64, title: &str, inclusive: bool| {
        let mut r = row(id, title, "email", &[], ReviewStatus::Unreviewed);
        r.thread_id = Some(4);
        r.inclusive = Some(inclusive);
        r
    };
    documents.push(email(4, "Pump delivery", false));
    documents.push(email(5, "RE: Pump delivery", true));
    let mut attachment = row(6, "schedule.txt", "text", &[], ReviewStatus::Unreviewed);
    attachment.parent_id = Some(5);
    documents.push(attachment);
    // The covered message's attachment folds with it.
    let mut earlier = row(7, "draft.txt", "text", &[], ReviewStatus::Unreviewed);
    earlier.parent_id = Some(4);
    documents.push(earlier);
    for (width, height) in [(80, 24), (120, 40)] {
        let mut app = app(width, height);
        show_list(&mut app, documents.clone());
        let shown = screen(&app);
        let line_of = |shown: &str, title: &str| {
            shown
                .lines()
                .find(|l| l.contains(title))
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            line_of(&shown, "RE: Pump").contains("✉ RE: Pump delivery"),
            "{shown}"
        );
        assert!(!line_of(&shown, "  Pump delivery").contains('✉'), "{shown}");
        press(&mut app, [ch('j'), ch('j'), ch('j'), ch('j')]);
        let shown = screen(&app);
        assert!(
            shown.contains("✉ thread #4 of 2, 1 inclusive · inclusive"),
            "{shown}"
        );

        // F folds: the message the reply quotes is hidden, the reply stays selected.
        press(&mut app, [ch('F')]);
        let listed: Vec<i64> = app.docs.listed().map(|r| r.doc_id).collect();
        assert_eq!(listed, [1, 2, 3, 5, 6]);
        assert!(
            screen(&app).contains("threads folded: 1 covered messages hidden (F shows all)"),
            "{}",
            screen(&app)
        );
        assert_eq!(app.docs.selected_row().map(|r| r.doc_id), Some(5));
        assert!(screen(&app).contains("threads folded"), "{}", screen(&app));
        press(&mut app, [ch('F')]);
        assert_eq!(app.docs.listed().count(), 7);

        // w names the group and how many, and selects it only on y.
        press(&mut app, [ch('w')]);
        let shown = screen(&app);
        assert!(
            shown.contains("Select the 3 documents of #5 (thread of 2, family of 2)?"),
            "{shown}"
        );
        press(&mut app, [ch('n')]);
        assert!(app.docs.marked.is_empty());
        press(&mut app, [ch('w'), ch('y')]);
        assert_eq!(
            app.docs.marked.iter().copied().collect::<Vec<_>>(),
            [4, 5, 6]
        );
        assert!(
            screen(&app).contains("3 selected: r f t a code them all"),
            "{}",
            screen(&app)
        );
        // A document in no group says so and selects nothing.
        press(&mut app, [ch('*'), ch('*'), ch('g'), ch('w')]);
        assert!(app.docs.marked.is_empty());
        assert!(
            screen(&app).contains("#1 is in no thread, family or group of near-duplicates"),
            "{}",
            screen(&app)
        );

        // The filter keeps the inclusive messages, or one thread.
        press(&mut app, prompted('/', "inclusive"));
        let listed: Vec<i64> = app.docs.listed().map(|r| r.doc_id).collect();
        assert_eq!(listed, [5]);
        press(&mut app, [ch('/'), ctrl('u')]);
        press(&mut app, typed("thread:4"));
        press(&mut app, [key(KeyCode::Enter)]);
        let listed: Vec<i64> = app.docs.listed().map(|r| r.doc_id).collect();
        assert_eq!(listed, [4, 5]);
    }
}

/// A matter's size: 100,000 documents, titled by number so that order is known.
fn hundred_thousand() -> Vec<ReportRow> {
    (1..=100_000)
        .map(|id| {
            let status = if id % 3 == 0 {
                ReviewStatus::Reviewed
            } else {
                ReviewStatus::Unreviewed
            };
            row(id, &format!("contract {id:06}"), "pdf", &[], status)
        })
        .collect()
}

/// The list views `effects` ask for.
fn list_views(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| {
            matches!(
                e,
                Effect::Job {
                    job: Job::ListView(_),
                    ..
                }
            )
        })
        .count()
}

#[test]
fn filtering_and_sorting_100000_rows_leave_the_ui_thread_and_show_the_view_made() {
    let mut app = app(80, 24);
    // Titles run the other way from ids, so that sorting by title turns the list over.
    let mut rows = hundred_thousand();
    for row in &mut rows {
        row.title = Some(format!("contract {:06}", 100_001 - row.doc_id));
    }
    show_list(&mut app, rows);
    assert_eq!(app.docs.visible.len(), 100_000);
    let now = Instant::now();

    // Each key of the filter asks for a view; the key itself walks no row.
    app.update(ch('/'), now);
    let mut asked = Vec::new();
    for c in "status:reviewed".chars() {
        let effects = app.update(ch(c), now);
        assert_eq!(list_views(&effects), 1, "after {c}");
        asked = effects;
    }
    assert_eq!(
        app.docs.visible.len(),
        100_000,
        "not filtered on the UI thread"
    );
    // Only the newest view is shown: views of the filter half typed come too late.
    app.run_list_views(asked, now);
    assert_eq!(app.docs.visible.len(), 33_333);
    assert!(screen(&app).contains("33333 of 100000"));

    press(&mut app, [key(KeyCode::Esc)]);
    let sorted = app.update(ch('s'), now);
    assert_eq!(list_views(&sorted), 1);
    assert_eq!(app.docs.sort, Some(super::super::app::SortKey::Title));
    let first = app.docs.listed().next().unwrap().doc_id;
    assert_eq!(first, 1, "not sorted on the UI thread");
    app.run_list_views(sorted, now);
    assert_eq!(app.docs.visible.len(), 100_000);
    let ids: Vec<i64> = app.docs.listed().map(|r| r.doc_id).collect();
    assert_eq!(ids[..3], [100_000, 99_999, 99_998], "title order");
    assert_eq!(ids[99_999], 1);
}

#[test]
fn a_100000_row_list_scrolls_to_the_end_and_back_without_making_its_view_again() {
    let mut app = app(80, 24);
    show_list(&mut app, hundred_thousand());
    let now = Instant::now();
    let mut effects = Vec::new();
    for _ in 0..500 {
        effects.extend(app.update(ch('j'), now));
    }
    effects.extend(app.update(key(KeyCode::PageDown), now));
    assert_eq!(list_views(&effects), 0, "a move remakes no view");
    let after_page = app.docs.selected;
    assert!(after_page > 500, "PageDown moved on from row 500");
    let id = app.docs.selected_row().unwrap().doc_id;
    assert!(screen(&app).contains(&format!("contract {id:06}")));

    effects.extend(app.update(ch('G'), now));
    assert_eq!(app.docs.selected_row().unwrap().doc_id, 100_000);
    let drawn = screen(&app);
    assert!(drawn.contains("contract 100000"), "{drawn}");
    assert!(
        drawn.contains("contract 099990"),
        "the rows above the last: {drawn}"
    );
    effects.extend(app.update(ch('k'), now));
    assert_eq!(app.docs.selected_row().unwrap().doc_id, 99_999);
    effects.extend(app.update(ch('g'), now));
    assert_eq!(app.docs.selected_row().unwrap().doc_id, 1);
    assert!(screen(&app).contains("contract 000001"));
    assert_eq!(list_views(&effects), 0);
}
