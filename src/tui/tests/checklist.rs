//! The checklist grid.

use kodiak::checklist::decide::{CellState, Method, Quote, Suggestion};
use kodiak::checklist::{AnswerKind, Checklist, Item};
use kodiak::service::{DecisionInput, Grid, GridCell, GridRow, JobCounts, JobInfo, JobOutcome};
use kodiak::storage::checklists::{Decision, DecisionKind, JobState};

use super::super::app::{ChecklistSource, DecidedCell};
use super::*;

fn item(id: &str, question: &str) -> Item {
    Item {
        id: id.into(),
        question: question.into(),
        terms: Vec::new(),
        answer: AnswerKind::Text,
        clause: None,
    }
}

fn cell(state: CellState, answer: &str, at: usize) -> Option<GridCell> {
    let evidence = match state {
        CellState::NotFound => Vec::new(),
        _ => vec![Quote {
            chunk_id: 1,
            page: 2,
            ocr_confidence: None,
            char_start: at,
            char_end: at + 40,
            text: format!("The clause says {answer}."),
        }],
    };
    Some(GridCell {
        suggestion: Suggestion {
            state,
            answer: answer.into(),
            confidence: 0.8,
            evidence,
            method: Method::Extractive,
            note: None,
        },
        decision: None,
    })
}

fn job(id: i64) -> JobInfo {
    JobInfo {
        id,
        checklist: "commercial".into(),
        title: "Commercial contract review".into(),
        scope: "all documents".into(),
        use_model: false,
        state: JobState::Done,
        interrupted: false,
        documents: 3,
        items: 3,
        cells: 9,
        total: 9,
        created_by: "alice".into(),
        created_at: kodiak::timestamp::Timestamp::parse("2026-11-27T10:00:00Z").unwrap(),
        updated_at: kodiak::timestamp::Timestamp::parse("2026-11-27T10:00:05Z").unwrap(),
    }
}

/// Three contracts × three items: the supply agreement has everything, the lease no cap,
/// the NDA its law uncertain.
fn grid() -> Grid {
    let found = CellState::Found;
    let row = |doc_id: i64, title: &str, cells: Vec<Option<GridCell>>| GridRow {
        doc_id,
        title: title.into(),
        path: format!("/cases/{title}.pdf"),
        cells,
    };
    Grid {
        job: job(4),
        checklist: Checklist {
            name: "commercial".into(),
            title: "Commercial contract review".into(),
            description: String::new(),
            items: vec![
                item("governing_law", "Which law governs the agreement?"),
                item("liability_cap", "Is liability capped?"),
                item("term", "How long is the term?"),
            ],
        },
        rows: vec![
            row(
                1,
                "Supply agreement",
                vec![
                    cell(found, "England and Wales", 100),
                    cell(found, "USD 2,000,000", 300),
                    cell(found, "three (3) years", 500),
                ],
            ),
            row(
                2,
                "Office lease",
                vec![
                    cell(found, "Scotland", 120),
                    cell(CellState::NotFound, "", 0),
                    cell(found, "five (5) years", 700),
                ],
            ),
            row(
                3,
                "Mutual NDA",
                vec![
                    cell(CellState::Uncertain, "the laws", 80),
                    cell(CellState::NotFound, "", 0),
                    None,
                ],
            ),
        ],
    }
}

/// The grid opened with `C` and loaded, as the worker replies.
fn opened(app: &mut App) {
    let effects = press(app, [ch('C')]);
    let Some(Effect::Job {
        request,
        job: Job::LoadChecklists,
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}");
    };
    let effects = press(
        app,
        [Msg::Checklists {
            request,
            result: Ok(vec![job(4), job(3)]),
        }],
    );
    let Some(Effect::Job {
        request,
        job: Job::LoadGrid { job: 4 },
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}");
    };
    press(
        app,
        [Msg::Grid {
            request,
            result: Ok(Box::new(grid())),
        }],
    );
}

#[test]
fn the_grid_shows_a_symbol_per_cell_and_the_cursors_cell_in_words_at_80x24_and_120x40() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    let shown = screen(&app);
    assert!(shown.contains("┌ Checklist"), "{shown}");
    assert!(shown.contains("Supply agreement"), "{shown}");
    insta::assert_snapshot!("checklist_80x24", shown);
    let mut wide = super::app(120, 40);
    show_list(&mut wide, rows());
    opened(&mut wide);
    press(&mut wide, [ch('j'), ch('l')]);
    insta::assert_snapshot!("checklist_120x40", screen(&wide));
}

#[test]
fn enter_opens_the_cells_evidence_highlighted_and_the_viewers_esc_comes_back_to_the_grid() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    // The lease's term: row 2, item 3.
    let effects = press(&mut app, [ch('j'), ch('l'), ch('l'), key(KeyCode::Enter)]);
    let [
        Effect::Job {
            request,
            job:
                Job::OpenDocument {
                    doc_id: 2,
                    focus:
                        Some(Focus {
                            passage: (700, 740),
                            about: None,
                        }),
                },
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    press(
        &mut app,
        [Msg::Document {
            request: *request,
            result: Ok(Box::new(lease(Some(Focus::passage(0, 10))))),
        }],
    );
    assert!(app.viewer.is_some());
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app).contains("┌ Checklist"), "{}", screen(&app));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app).contains("Documents (3)"), "{}", screen(&app));
}

#[test]
fn decisions_are_sent_for_the_cursors_cell_and_a_correction_stores_the_typed_text_without_the_old_quote()
 {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    let effects = press(&mut app, [ch('c')]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Job { job: Job::DecideCell { job: 4, doc_id: 1, item, input: DecisionInput::Confirm, .. }, .. }]
                if item == "governing_law"
        ),
        "{effects:?}"
    );
    // `e` opens an empty prompt showing the answer it replaces; Enter sends exactly what
    // was typed.
    press(&mut app, [ch('l'), ch('e')]);
    let typed_so_far = match &app.overlay {
        Some(crate::tui::app::Overlay::Prompt { input, .. }) => input.text().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(typed_so_far, "", "the prompt starts empty");
    let prompt_row = screen(&app)
        .lines()
        .find(|l| l.contains("The right answer"))
        .map(str::to_owned);
    let hinted = screen(&app)
        .lines()
        .skip_while(|l| !l.contains("The right answer"))
        .take(3)
        .any(|l| l.contains("USD 2,000,000"));
    assert!(
        hinted,
        "the answer it replaces is the hint: {prompt_row:?}\n{}",
        screen(&app)
    );
    let mut keys: Vec<Msg> = "USD 2.5m".chars().map(ch).collect();
    keys.push(key(KeyCode::Enter));
    let effects = press(&mut app, keys);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Job { job: Job::DecideCell { doc_id: 1, item, input: DecisionInput::Correct(answer), .. }, .. }]
                if item == "liability_cap" && answer == "USD 2.5m"
        ),
        "{effects:?}"
    );
    let mut stored = cell(CellState::Found, "USD 2,000,000", 300).unwrap();
    stored.decision = Some(Decision {
        decision: DecisionKind::Corrected,
        answer: Some("USD 2.5m".into()),
        note: None,
        job_id: Some(4),
        decided_by: "alice".into(),
        decided_at: kodiak::timestamp::Timestamp::parse("2026-11-27T10:01:00Z").unwrap(),
    });
    press(
        &mut app,
        [Msg::CellDecided {
            doc_id: 1,
            item: "liability_cap".into(),
            result: Ok(Box::new(stored)),
        }],
    );
    let shown = screen(&app);
    assert!(shown.contains("✓*"), "{shown}");
    // The suggestion's quote does not bear out the reviewer's answer: it is not shown as
    // its evidence.
    assert!(
        shown.contains("found: USD 2.5m (corrected by alice)"),
        "{shown}"
    );
    assert!(!shown.contains("The clause says USD 2,000,000"), "{shown}");
    // A pending cell cannot be decided.
    let effects = press(&mut app, [ch('j'), ch('j'), ch('l'), ch('n')]);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(screen(&app).contains("not decided yet"), "{}", screen(&app));
}

#[test]
fn f_keeps_the_rows_where_the_cursors_item_is_not_found_then_uncertain_then_found() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    press(&mut app, [ch('l'), ch('f')]);
    let shown = screen(&app);
    assert!(
        shown.contains("2 of 3 documents where liability_cap is not found"),
        "{shown}"
    );
    assert!(!shown.contains("Supply agreement"), "{shown}");
    press(&mut app, [ch('f')]);
    assert!(screen(&app).contains("0 of 3 documents where liability_cap is uncertain"));
    press(&mut app, [ch('f')]);
    let shown = screen(&app);
    assert!(
        shown.contains("1 of 3 documents where liability_cap is found"),
        "{shown}"
    );
    assert!(shown.contains("Supply agreement"), "{shown}");
    press(&mut app, [ch('f')]);
    assert!(screen(&app).contains("3 documents · f filters"));
}

#[test]
fn a_run_started_from_the_grid_shows_its_progress_q_asks_first_and_x_stops_it() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    // R offers the shipped checklists by name; Enter runs the first over every document
    // without the model.
    press(&mut app, [ch('R')]);
    let shown = screen(&app);
    assert!(
        shown.contains("checklist (1 of 2): Commercial contract review (commercial-contract,"),
        "{shown}"
    );
    assert!(shown.contains("documents: all 3 documents"), "{shown}");
    assert!(shown.contains("without the model"), "{shown}");
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [
        Effect::Job {
            request,
            job: Job::RunChecklist { source },
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(
        *source,
        ChecklistSource::File {
            path: "commercial-contract".into(),
            documents: Vec::new(),
            use_model: false,
        }
    );
    let request = *request;
    // The new job's grid, read before its first cell: no cell decided, and running here
    // whatever the job's row says of its writer.
    let effects = press(&mut app, [Msg::ChecklistStarted { request, job: 5 }]);
    let Some(grid_request) = effects.iter().find_map(|e| match e {
        Effect::Job {
            request,
            job: Job::LoadGrid { job: 5 },
        } => Some(*request),
        _ => None,
    }) else {
        panic!("{effects:?}");
    };
    let mut empty = grid();
    empty.job = JobInfo {
        state: JobState::Running,
        interrupted: true,
        cells: 0,
        ..job(5)
    };
    for row in &mut empty.rows {
        row.cells = vec![None, None, None];
    }
    press(
        &mut app,
        [Msg::Grid {
            request: grid_request,
            result: Ok(Box::new(empty)),
        }],
    );
    let shown = screen(&app);
    assert!(shown.contains("job 5 · running · 0/9 cells"), "{shown}");
    assert!(!shown.contains("interrupted"), "{shown}");
    let decided = |doc_id: i64, item: &str, answer: &str| DecidedCell {
        doc_id,
        item: item.into(),
        suggestion: cell(CellState::Found, answer, 10)
            .map(|c| c.suggestion)
            .unwrap(),
    };
    press(
        &mut app,
        [Msg::ChecklistProgress {
            request,
            counts: JobCounts {
                cells: 30,
                total: 90,
                documents: 1,
                total_documents: 3,
            },
            cells: vec![
                decided(1, "governing_law", "England and Wales"),
                decided(1, "liability_cap", "USD 2,000,000"),
            ],
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("running job 5: 30/90 cells · 1/3 documents"),
        "{shown}"
    );
    // The cells decided show in the grid as they come, before the document is done.
    let supply = shown
        .lines()
        .find(|l| l.contains("Supply agreement"))
        .unwrap_or_default();
    assert!(supply.contains("✓  ✓  ·"), "{shown}");
    assert!(shown.contains("England and Wales"), "{shown}");
    assert!(app.needs_ticks());
    // q asks first while a job runs; any key but y keeps the UI.
    press(&mut app, [ch('q')]);
    assert!(screen(&app).contains("a checklist job is running: 30 of 90 cells"));
    press(&mut app, [ch('n')]);
    assert!(!app.quit);
    let effects = press(&mut app, [ch('x')]);
    assert_eq!(effects, [Effect::Cancel { request }]);
    press(
        &mut app,
        [Msg::ChecklistDone {
            request,
            result: Ok(JobOutcome {
                job: 5,
                state: JobState::Cancelled,
                decided: 31,
                cells: 31,
                total: 90,
                seconds: 1.0,
                model: None,
                quotes_dropped: 0,
                notes: Vec::new(),
            }),
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("checklist job 5: stopped (r resumes it)"),
        "{shown}"
    );
    assert!(!app.needs_ticks());
}

#[test]
fn r_offers_the_selection_all_and_the_filtered_list_and_the_model_only_when_asked() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    // Documents 1 and 3 are unreviewed: the filter shows them; Space selects the first.
    press(&mut app, prompted('/', "status:unreviewed"));
    press(&mut app, [key(KeyCode::Char(' '))]);
    opened(&mut app);
    press(&mut app, [ch('R')]);
    let shown = screen(&app);
    assert!(shown.contains("documents: the selection (1)"), "{shown}");
    assert!(shown.contains("without the model"), "{shown}");
    press(&mut app, [ch('d')]);
    assert!(screen(&app).contains("documents: all 3 documents"));
    press(&mut app, [ch('d'), ch('m')]);
    let shown = screen(&app);
    assert!(
        shown.contains("documents: the filtered list (2)"),
        "{shown}"
    );
    assert!(shown.contains("with the model"), "{shown}");
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [
        Effect::Job {
            job: Job::RunChecklist { source },
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(
        *source,
        ChecklistSource::File {
            path: "commercial-contract".into(),
            documents: vec![1, 3],
            use_model: true,
        }
    );
    // Esc leaves the dialog without running anything.
    let mut app = super::app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    let effects = press(&mut app, [ch('R'), key(KeyCode::Esc)]);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(!screen(&app).contains("a checklist file of your own"));
}

#[test]
fn r_picks_a_shipped_checklist_by_name_with_c_or_a_file_with_f() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    press(&mut app, [ch('R'), ch('c')]);
    let shown = screen(&app);
    assert!(
        shown.contains("checklist (2 of 2): Data processing agreement"),
        "{shown}"
    );
    let run = |effects: Vec<Effect>| match effects.as_slice() {
        [
            Effect::Job {
                job: Job::RunChecklist { source },
                ..
            },
        ] => source.clone(),
        _ => panic!("{effects:?}"),
    };
    let source = run(press(&mut app, [key(KeyCode::Enter)]));
    assert_eq!(
        source,
        ChecklistSource::File {
            path: "privacy-dpa".into(),
            documents: Vec::new(),
            use_model: false,
        }
    );
    // f asks for a file of one's own; it joins the shipped ones, chosen.
    let mut app = super::app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    press(&mut app, [ch('R'), ch('f')]);
    assert!(screen(&app).contains("Checklist file to run"));
    press(&mut app, typed("/lists/leases.toml"));
    press(&mut app, [key(KeyCode::Enter)]);
    let shown = screen(&app);
    assert!(
        shown.contains("checklist (3 of 3): /lists/leases.toml"),
        "{shown}"
    );
    let source = run(press(&mut app, [key(KeyCode::Enter)]));
    assert_eq!(
        source,
        ChecklistSource::File {
            path: "/lists/leases.toml".into(),
            documents: Vec::new(),
            use_model: false,
        }
    );
}

#[test]
fn a_job_started_elsewhere_is_listed_and_said_when_the_data_changes() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    opened(&mut app);
    let effects = press(&mut app, [Msg::ChangesDue]);
    let [Effect::Job { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let stamp = |audit_seq, cells| kodiak::service::DataStamp {
        audit_seq,
        index_change: None,
        checklist_cells: cells,
    };
    press(
        &mut app,
        [Msg::DataStamp {
            request: *request,
            result: Ok(stamp(7, None)),
        }],
    );
    // Another process runs a checklist: its cells move the stamp.
    let effects = press(&mut app, [Msg::ChangesDue]);
    let [Effect::Job { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let effects = press(
        &mut app,
        [Msg::DataStamp {
            request: *request,
            result: Ok(stamp(8, Some(40))),
        }],
    );
    let Some(list) = effects.iter().find_map(|e| match e {
        Effect::Job {
            request,
            job: Job::LoadChecklists,
        } => Some(*request),
        _ => None,
    }) else {
        panic!("{effects:?}");
    };
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Job {
                job: Job::LoadGrid { job: 4 },
                ..
            }
        )),
        "the grid shown is read again: {effects:?}"
    );
    press(
        &mut app,
        [Msg::Checklists {
            request: list,
            result: Ok(vec![job(6), job(4), job(3)]),
        }],
    );
    let shown = screen(&app);
    assert!(
        shown.contains("job 6 (commercial) started elsewhere; > shows it"),
        "{shown}"
    );
    // > goes to it.
    let effects = press(&mut app, [ch('>')]);
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Job {
                job: Job::LoadGrid { job: 6 },
                ..
            }
        )),
        "{effects:?}"
    );
}

#[test]
fn grid_rows_of_documents_sharing_a_title_are_named_by_their_files() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    let effects = press(&mut app, [ch('C')]);
    let Some(Effect::Job { request, .. }) = effects.first().cloned() else {
        panic!("{effects:?}");
    };
    let effects = press(
        &mut app,
        [Msg::Checklists {
            request,
            result: Ok(vec![job(4)]),
        }],
    );
    let Some(Effect::Job { request, .. }) = effects.first().cloned() else {
        panic!("{effects:?}");
    };
    let mut shared = grid();
    for (row, file) in shared
        .rows
        .iter_mut()
        .zip(["acme-2019.txt", "birch-2021.txt"])
    {
        row.title = "STRATEGIC ALLIANCE AGREEMENT".into();
        row.path = format!("/cases/{file}");
    }
    press(
        &mut app,
        [Msg::Grid {
            request,
            result: Ok(Box::new(shared)),
        }],
    );
    let shown = screen(&app);
    assert!(shown.contains("│acme-2019.txt "), "{shown}");
    assert!(shown.contains("│birch-2021.txt "), "{shown}");
    assert!(shown.contains("Mutual NDA"), "{shown}");
}
