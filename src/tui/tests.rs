//! The UI without a terminal: pure state updates (keys and worker replies in, effects and
//! state out), and panes drawn into ratatui's `TestBackend` and compared with snapshots at
//! 80x24 and 160x48.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use kodiak::answer::{Answer, AnswerMode, Citation, Source};
use kodiak::config::KeysConfig;
use kodiak::config::Theme as ThemeName;
use kodiak::health::HealthRow;
use kodiak::ingest::IngestPhase;
use kodiak::pii::PiiKind;
use kodiak::search::Hit;
use kodiak::service::ReportRow;
use kodiak::storage::documents::PiiSpan;
use kodiak::storage::review::{Review, ReviewStatus};

use super::app::{App, Effect, Msg, Pane, TurnStatus};
use super::document::PreparedDocument;
use super::keymap::Keymap;
use super::theme::Theme;
use super::view;

const LEASE: &str = "Residential Lease\n\nThe tenant, Mr John Smith, pays rent of $1,200 on the first day of each month.\nContact: john.smith@example.com\n\nThe security deposit is returned within 30 days of the lease ending.\nRent is due by bank transfer.";

pub(super) fn app(width: u16, height: u16) -> App {
    App::new(Keymap::new(&KeysConfig::new()).unwrap(), (width, height))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// The document list as the worker sends it, each reply answering a newer request.
pub(super) fn listed(rows: Vec<ReportRow>) -> Msg {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_000);
    Msg::Documents {
        request: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        result: Ok(rows),
    }
}

pub(super) fn press(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let now = Instant::now();
    msgs.into_iter().flat_map(|m| app.update(m, now)).collect()
}

fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(ch).collect()
}

/// `opener` opens a prompt, `text` is typed into it, Enter sends it.
pub(super) fn prompted(opener: char, text: &str) -> Vec<Msg> {
    let mut msgs = vec![ch(opener)];
    msgs.extend(typed(text));
    msgs.push(key(KeyCode::Enter));
    msgs
}

fn row(
    id: i64,
    title: &str,
    format: &str,
    pii: &[(&str, usize)],
    status: ReviewStatus,
) -> ReportRow {
    ReportRow {
        doc_id: id,
        parent_id: None,
        title: Some(title.into()),
        path: format!("/cases/{title}.{format}"),
        format: Some(format.into()),
        pages: 2,
        ingest_status: "ingested".into(),
        review: Review {
            status,
            tags: if id == 1 {
                vec!["lease".into()]
            } else {
                Vec::new()
            },
            notes: Vec::new(),
            updated_at: None,
        },
        pii: pii
            .iter()
            .map(|(k, n)| ((*k).to_owned(), *n))
            .collect::<BTreeMap<_, _>>(),
    }
}

pub(super) fn rows() -> Vec<ReportRow> {
    vec![
        row(
            1,
            "Residential lease",
            "pdf",
            &[("PERSON", 1), ("EMAIL_ADDRESS", 1)],
            ReviewStatus::Flagged,
        ),
        row(2, "Board minutes", "docx", &[], ReviewStatus::Reviewed),
        row(
            3,
            "Audit memo",
            "txt",
            &[("PHONE_NUMBER", 2)],
            ReviewStatus::Unreviewed,
        ),
    ]
}

/// The lease as the worker prepares it; `focus` is a cited passage in characters.
fn lease(focus: Option<(usize, usize)>) -> PreparedDocument {
    let char_of = |needle: &str| LEASE[..LEASE.find(needle).unwrap()].chars().count();
    let span = |kind: &str, value: &str, placeholder: &str| PiiSpan {
        kind: PiiKind::from_name(kind),
        start: char_of(value),
        end: char_of(value) + value.chars().count(),
        score: 0.9,
        placeholder: placeholder.into(),
    };
    let pii = [
        span("PERSON", "Mr John Smith", "[PERSON_1]"),
        span(
            "EMAIL_ADDRESS",
            "john.smith@example.com",
            "[EMAIL_ADDRESS_1]",
        ),
    ];
    let chars = LEASE.chars().count();
    let split = char_of("The security");
    PreparedDocument::new(
        1,
        "Residential lease".into(),
        LEASE.into(),
        &[(0, split), (split, chars)],
        &pii,
        focus,
    )
}

/// The app with documents listed and the lease open.
fn with_lease_open(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    press(&mut app, [listed(rows())]);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let Some(Effect::OpenDocument {
        request,
        doc_id: 1,
        focus: None,
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}");
    };
    press(
        &mut app,
        [Msg::Document {
            request,
            result: Ok(Box::new(lease(None))),
        }],
    );
    app
}

fn hit(n: usize) -> Hit {
    Hit {
        doc_id: 1,
        chunk_id: 10 + n as i64,
        path: "/cases/Residential lease.pdf".into(),
        title: "Residential lease".into(),
        page: n,
        char_start: 0,
        char_end: 40,
        snippet: "The tenant pays **rent** of $1,200 on the first day".into(),
        score: 0.5,
        bm25_rank: Some(n),
        vector_rank: None,
        fused_score: 0.03,
    }
}

fn answer(conversation: i64) -> Answer {
    let start = LEASE.find("The security").unwrap();
    Answer {
        answer: "The deposit comes back within 30 days [2]; rent is due monthly [1].".into(),
        mode: AnswerMode::Generated,
        citations: vec![
            Citation {
                n: 2,
                doc_id: 1,
                chunk_id: 12,
                path: "/cases/Residential lease.pdf".into(),
                title: "Residential lease".into(),
                page: 2,
                char_start: LEASE[..start].chars().count(),
                char_end: LEASE[..start].chars().count() + 40,
                quote: "The security deposit is returned within 30 days".into(),
            },
            Citation {
                n: 1,
                doc_id: 1,
                chunk_id: 11,
                path: "/cases/Residential lease.pdf".into(),
                title: "Residential lease".into(),
                page: 1,
                char_start: 0,
                char_end: 17,
                quote: "Residential Lease".into(),
            },
        ],
        invalid_citations: Vec::new(),
        sources: vec![
            Source {
                n: 1,
                hit: hit(1),
                text: String::new(),
            },
            Source {
                n: 2,
                hit: hit(2),
                text: String::new(),
            },
        ],
        dropped: Default::default(),
        stats: kodiak::llm::GenerationStats {
            prompt_tokens: 300,
            reused_tokens: 0,
            completion_tokens: 17,
            ttft_ms: 400.0,
            prefill_ms: 300.0,
            decode_tokens_per_s: 52.3,
        },
        finish: Some(kodiak::llm::Finish::Stop),
        conversation_id: conversation,
        notes: Vec::new(),
        failure: None,
    }
}

/// The chat after one question, streamed and finished.
fn with_answer(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    press(&mut app, [listed(rows()), ch('2')]);
    press(&mut app, typed("When is the deposit returned?"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let Some(Effect::Ask { request, .. }) = effects.first().cloned() else {
        panic!("{effects:?}");
    };
    let started = app.chat.streaming.unwrap().1;
    for (i, piece) in ["The deposit", " comes back", " within 30 days [2]"]
        .iter()
        .enumerate()
    {
        app.update(
            Msg::AskText {
                request,
                text: (*piece).into(),
            },
            started + Duration::from_millis(300 * (i as u64 + 1)),
        );
    }
    app.update(
        Msg::AskDone {
            request,
            result: Ok(Box::new(answer(7))),
        },
        started + Duration::from_secs(1),
    );
    app
}

fn health_rows() -> Vec<HealthRow> {
    let row = |component, ok, detail: &str| HealthRow {
        component,
        ok,
        detail: detail.into(),
    };
    vec![
        row(
            "database",
            true,
            "0.08 ms, pool 1/5 (1 idle), schema v4, /data/kodiak.sqlite3",
        ),
        row(
            "search index",
            true,
            "12 chunks, 3 documents, 48 KiB, /data/index",
        ),
        row(
            "generator",
            true,
            "ready, context 4096, template gemma (fallback for gemma3), 54.2 tokens/s",
        ),
        row("embedder", true, "ready, 384 dimensions, 12 vectors"),
        row("breaker generator", true, "closed, 0 failures in a row"),
        row("rate limit", true, "3 used of 100 per 60 s by reviewer"),
        row("memory", true, "412 MiB resident"),
        row("disk", true, "51 GiB free for the data directory"),
        row("logs", true, "/state/kodiak/logs"),
        row(
            "crash reports",
            false,
            "cannot read /state/kodiak/crash-reports",
        ),
    ]
}

fn screen(app: &App) -> String {
    let theme = Theme::new(ThemeName::Dark, false);
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, app, &theme))
        .unwrap();
    terminal.backend().to_string()
}

fn buffer(app: &App) -> ratatui::buffer::Buffer {
    let theme = Theme::new(ThemeName::Dark, false);
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, app, &theme))
        .unwrap();
    terminal.backend().buffer().clone()
}

// ---- state ----------------------------------------------------------------------------

#[test]
fn the_list_filters_as_you_type_sorts_and_marks_review_at_once() {
    let mut app = app(80, 24);
    assert!(matches!(
        app.start()[..],
        [Effect::LoadDocuments { .. }, Effect::RefreshHealth]
    ));
    press(&mut app, [listed(rows())]);
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
        effects,
        [Effect::SetStatus {
            doc_id: 3,
            status: ReviewStatus::Reviewed
        }]
    );
    let review = Review {
        status: ReviewStatus::Reviewed,
        ..Review::default()
    };
    press(
        &mut app,
        [Msg::Reviewed {
            doc_id: 3,
            result: Ok(review),
        }],
    );
    assert_eq!(
        app.docs.selected_row().unwrap().review.status,
        ReviewStatus::Reviewed
    );
    // Again: back to unreviewed.
    let effects = press(&mut app, [ch('r')]);
    assert_eq!(
        effects,
        [Effect::SetStatus {
            doc_id: 3,
            status: ReviewStatus::Unreviewed
        }]
    );

    // Tags and notes go through a prompt; `-tag` removes.
    let effects = press(&mut app, prompted('t', "hot"));
    assert_eq!(
        effects,
        [Effect::AddTag {
            doc_id: 3,
            tag: "hot".into()
        }]
    );
    let effects = press(&mut app, prompted('t', "-hot"));
    assert_eq!(
        effects,
        [Effect::RemoveTag {
            doc_id: 3,
            tag: "hot".into()
        }]
    );
    let effects = press(&mut app, prompted('a', "call back"));
    assert_eq!(
        effects,
        [Effect::AddNote {
            doc_id: 3,
            text: "call back".into()
        }]
    );
    let effects = press(&mut app, [ch('E'), ch('c')]);
    assert_eq!(effects, [Effect::Export(kodiak::report::ReportFormat::Csv)]);
}

#[test]
fn a_stale_document_reply_is_ignored() {
    let mut app = app(80, 24);
    press(&mut app, [listed(rows())]);
    let first = press(&mut app, [key(KeyCode::Enter)]);
    let second = press(&mut app, [key(KeyCode::Enter)]);
    let (Effect::OpenDocument { request: old, .. }, Effect::OpenDocument { request: new, .. }) =
        (&first[0], &second[0])
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
fn the_viewer_searches_jumps_between_pii_and_shows_the_redacted_text() {
    let mut app = with_lease_open(80, 24);
    press(&mut app, [ch('/')]);
    press(&mut app, typed("rent"));
    press(&mut app, [key(KeyCode::Enter)]);
    let viewer = app.viewer.as_ref().unwrap();
    assert_eq!(viewer.matches.len(), 2, "case-insensitive");
    assert_eq!(viewer.current_match, Some(0));
    press(&mut app, [ch('n')]);
    assert_eq!(app.viewer.as_ref().unwrap().current_match, Some(1));
    press(&mut app, [ch('N')]);
    assert_eq!(app.viewer.as_ref().unwrap().current_match, Some(0));

    press(&mut app, [ch(']'), ch('p')]);
    assert_eq!(app.viewer.as_ref().unwrap().pii_cursor, Some(0));
    press(&mut app, [ch(']'), ch('p')]);
    assert_eq!(app.viewer.as_ref().unwrap().pii_cursor, Some(1));
    press(&mut app, [ch('['), ch('p')]);
    assert_eq!(app.viewer.as_ref().unwrap().pii_cursor, Some(0));

    press(&mut app, [ch('R')]);
    let viewer = app.viewer.as_ref().unwrap();
    assert!(viewer.show_redacted);
    assert!(viewer.rendition().text.contains("[PERSON_1]"));
    assert!(!viewer.rendition().text.contains("john.smith"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.viewer.is_none(), "Esc closes the viewer");
}

#[test]
fn asking_streams_the_answer_ignores_stale_replies_and_esc_cancels() {
    let mut app = app(80, 24);
    press(&mut app, [ch('2')]);
    assert_eq!(app.focus, Pane::Chat);
    press(&mut app, typed("q and 1 are typed, not keys"));
    assert!(!app.quit);
    assert_eq!(app.focus, Pane::Chat);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [
        Effect::Ask {
            request,
            question,
            conversation: None,
            documents,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(question, "q and 1 are typed, not keys");
    assert!(documents.is_empty());
    assert!(
        app.chat.input.lines().join("").is_empty(),
        "the input is cleared"
    );

    press(
        &mut app,
        [Msg::AskText {
            request: request + 100,
            text: "stale".into(),
        }],
    );
    press(
        &mut app,
        [Msg::AskText {
            request: *request,
            text: "Partial".into(),
        }],
    );
    assert_eq!(app.chat.turns[0].answer, "Partial");
    assert_eq!(
        press(&mut app, [key(KeyCode::Esc)]),
        [Effect::Cancel { request: *request }]
    );
    assert_eq!(
        press(&mut app, [ctrl('c')]),
        [Effect::Cancel { request: *request }]
    );
    assert!(!app.quit, "Ctrl-C first cancels the answer");

    let mut cancelled = answer(4);
    cancelled.answer = "Partial".into();
    cancelled.finish = Some(kodiak::llm::Finish::Cancelled);
    press(
        &mut app,
        [Msg::AskDone {
            request: *request,
            result: Ok(Box::new(cancelled)),
        }],
    );
    assert_eq!(app.chat.turns[0].status, TurnStatus::Cancelled);
    assert_eq!(
        app.chat.conversation,
        Some(4),
        "the next question continues the conversation"
    );

    // Up recalls the question; Ctrl-N starts afresh.
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(
        app.chat.input.lines().join("\n"),
        "q and 1 are typed, not keys"
    );
    press(&mut app, [ctrl('n')]);
    assert_eq!(app.chat.conversation, None);
    press(&mut app, [ctrl('c')]);
    assert!(app.quit, "with nothing streaming Ctrl-C quits");
}

#[test]
fn a_citation_opens_its_passage_and_esc_returns_to_the_chat() {
    let mut app = with_answer(80, 24);
    assert_eq!(app.chat.turns[0].status, TurnStatus::Complete);
    assert_eq!(app.chat.turns[0].sources.len(), 2);
    press(&mut app, [key(KeyCode::Esc), ch('n')]);
    assert_eq!(app.chat.selected().unwrap().n, 2);
    let effects = press(&mut app, [ch('o')]);
    let [
        Effect::OpenDocument {
            request,
            doc_id: 1,
            focus: Some(focus),
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    press(
        &mut app,
        [Msg::Document {
            request: *request,
            result: Ok(Box::new(lease(Some(*focus)))),
        }],
    );
    let viewer = app.viewer.as_ref().unwrap();
    let (start, end) = viewer.highlight.unwrap();
    assert!(viewer.doc.original.text[start..end].starts_with("The security deposit"));
    assert_eq!(app.focus, Pane::Documents);
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.focus, Pane::Chat, "back where the citation was opened");

    assert_eq!(press(&mut app, [ch('y')]), [Effect::Copy(answer(7).answer)]);
    press(&mut app, [ch('q')]);
    assert!(app.quit);
}

#[test]
fn health_redraws_only_when_something_changed() {
    let mut app = app(80, 24);
    app.dirty = false;
    assert_eq!(press(&mut app, [Msg::HealthDue]), [Effect::RefreshHealth]);
    assert!(!app.dirty, "asking for health draws nothing");
    app.health.rows = health_rows();
    app.health.status = Some(kodiak::health::Status::Degraded);
    assert!(!app.needs_ticks(), "nothing ticks while idle");
}

// ---- panes ----------------------------------------------------------------------------

#[test]
fn document_list_snapshots() {
    let mut app = app(80, 24);
    press(&mut app, [listed(rows())]);
    app.health.model = "ready".into();
    insta::assert_snapshot!("documents_80x24", screen(&app));
    let mut app = app_wide();
    press(&mut app, [listed(rows())]);
    app.health.rows = health_rows();
    app.health.status = Some(kodiak::health::Status::Degraded);
    insta::assert_snapshot!("documents_160x48", screen(&app));
}

fn app_wide() -> App {
    app(160, 48)
}

#[test]
fn viewer_snapshots_with_pii_highlighted() {
    let mut app = with_lease_open(80, 24);
    press(&mut app, [ch(']'), ch('p')]);
    insta::assert_snapshot!("viewer_80x24", screen(&app));
    // The name is drawn in the PERSON style.
    let theme = Theme::new(ThemeName::Dark, false);
    let buffer = buffer(&app);
    let (x, y) = find(&buffer, "John").unwrap();
    assert_eq!(buffer[(x, y)].fg, theme.pii(&PiiKind::Person).fg.unwrap());
    let mut app = with_lease_open(160, 48);
    press(&mut app, [ch('R')]);
    insta::assert_snapshot!("viewer_redacted_160x48", screen(&app));
}

#[test]
fn chat_snapshots_with_a_streamed_answer_and_citations() {
    let mut app = with_answer(80, 24);
    press(&mut app, [key(KeyCode::Esc), ch('n')]);
    insta::assert_snapshot!("chat_80x24", screen(&app));
    let mut app = with_answer(160, 48);
    press(&mut app, [key(KeyCode::Esc)]);
    insta::assert_snapshot!("chat_160x48", screen(&app));
}

#[test]
fn health_and_help_snapshots() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut app = app(width, height);
        app.health.rows = health_rows();
        app.health.status = Some(kodiak::health::Status::Degraded);
        press(&mut app, [ch('3')]);
        insta::assert_snapshot!(format!("health_{width}x{height}"), screen(&app));
        press(&mut app, [ch('?')]);
        insta::assert_snapshot!(format!("help_{width}x{height}"), screen(&app));
    }
}

#[test]
fn help_lists_every_action_of_the_keymap() {
    let app = app(160, 48);
    let theme = Theme::new(ThemeName::Mono, false);
    let text: Vec<String> = view::help_lines(&app, &theme)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    for spec in super::keys::ACTIONS {
        assert!(
            text.iter().any(|l| l.contains(spec.help)),
            "{} missing",
            spec.name
        );
    }
}

#[test]
fn no_color_draws_without_colours() {
    let mut app = with_lease_open(80, 24);
    press(&mut app, [ch(']'), ch('p')]);
    let theme = Theme::new(ThemeName::Dark, true);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, &app, &theme))
        .unwrap();
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

fn find(buffer: &ratatui::buffer::Buffer, text: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        if let Some(i) = line.find(text) {
            return Some((u16::try_from(line[..i].chars().count()).ok()?, y));
        }
    }
    None
}

#[test]
fn ingest_shows_progress_reloads_the_list_as_files_land_and_lists_failures() {
    let mut app = app(80, 24);
    let effects = press(&mut app, prompted('i', "/cases"));
    assert_eq!(effects, [Effect::Ingest("/cases".into())]);
    assert!(app.needs_ticks());
    let progress = |done| Msg::IngestProgress {
        done,
        total: 40,
        phase: IngestPhase::Reading,
    };
    assert!(press(&mut app, [progress(1)]).is_empty());
    assert!(matches!(
        press(&mut app, [progress(20)])[..],
        [Effect::LoadDocuments { .. }]
    ));
    press(
        &mut app,
        [Msg::IngestFailed {
            path: "/cases/bad.pdf".into(),
            reason: "encrypted".into(),
        }],
    );
    assert!(matches!(
        press(
            &mut app,
            [Msg::IngestProgress {
                done: 40,
                total: 40,
                phase: IngestPhase::Indexing
            }]
        )[..],
        [Effect::LoadDocuments { .. }]
    ));
    insta::assert_snapshot!("documents_ingesting_80x24", screen(&app));
    let effects = press(&mut app, [Msg::IngestDone(Ok("ingested 39 new".into()))]);
    assert!(matches!(effects[..], [Effect::LoadDocuments { .. }]));
    assert!(app.ingest.is_none());
    let Some(super::app::Overlay::Text { text, .. }) = &app.overlay else {
        panic!("failures are listed");
    };
    assert!(text.contains("/cases/bad.pdf: encrypted"), "{text}");
}

#[test]
fn a_stored_conversation_loads_with_its_sources_and_citations() {
    let answer = answer(7);
    // As `Kodiak::conversation` returns it.
    let turns = vec![kodiak::service::Turn {
        question_id: 1,
        question: "When is the deposit returned?".into(),
        asked_at: "2026-11-23T10:00:00Z".into(),
        answer: Some(kodiak::service::StoredAnswer {
            id: 2,
            text: answer.answer.clone(),
            status: kodiak::storage::conversations::MessageStatus::Complete,
            mode: Some(AnswerMode::Generated),
            record: kodiak::answer::AnswerRecord {
                citations: answer.citations.clone(),
                sources: answer.sources.clone(),
                stats: answer.stats,
                ..Default::default()
            },
            finished_at: None,
        }),
    }];
    let mut app = app(80, 24);
    press(
        &mut app,
        [Msg::ConversationLoaded {
            id: 7,
            result: Ok(turns),
        }],
    );
    assert_eq!(app.chat.conversation, Some(7));
    let turn = &app.chat.turns[0];
    assert_eq!(turn.question, "When is the deposit returned?");
    assert_eq!(turn.answer, answer.answer);
    assert_eq!(turn.mode, Some(AnswerMode::Generated));
    assert_eq!(turn.citations, answer.citations);
    assert_eq!(turn.sources.len(), 2);
    assert_eq!(turn.sources[1].label, "Residential lease");
    assert_eq!(turn.sources[1].page, 2);
    assert!(!turn.sources[1].snippet.contains("**"));
    assert_eq!(turn.tokens_per_s, Some(52.3));
}

/// A health report whose index holds `chunks` chunks, with the generator in `model_state`.
fn health_report(chunks: u64, model_state: &str) -> kodiak::health::HealthReport {
    use kodiak::health::*;
    HealthReport {
        status: Status::Healthy,
        version: "test",
        timestamp: "2026-11-23T10:00:00Z".into(),
        components: Components {
            database: DatabaseHealth {
                ok: true,
                latency_ms: Some(0.2),
                pool: None,
                path: "/data/kodiak.db".into(),
                schema_version: Some(5),
                integrity: None,
                error: None,
            },
            search_index: IndexHealth {
                ok: true,
                directory: "/data/index".into(),
                chunks: Some(chunks),
                applied_change: Some(9),
                documents: Some(8),
                size_bytes: None,
                last_commit: None,
                error: None,
            },
            logs: LogsHealth {
                ok: true,
                directory: "/data/logs".into(),
                error: None,
            },
            crash_reports: CrashReportsHealth {
                ok: true,
                directory: "/data/crashes".into(),
                count: 0,
                newest: None,
                error: None,
            },
            llm: Some(ModelHealth {
                ok: true,
                state: model_state.into(),
                ..Default::default()
            }),
            embedder: None,
            breakers: Vec::new(),
            rate_limit: None,
            resources: ResourcesHealth {
                ok: true,
                rss_bytes: None,
                data_dir_free_bytes: None,
            },
        },
    }
}

#[test]
fn a_health_change_out_of_sight_draws_nothing() {
    // 80 columns: one pane at a time, the documents showing.
    let mut app = app(80, 24);
    press(
        &mut app,
        [Msg::Health(Box::new(health_report(24, "ready")))],
    );
    assert!(app.dirty, "the first report shows the model's state");
    app.dirty = false;
    press(
        &mut app,
        [Msg::Health(Box::new(health_report(25, "ready")))],
    );
    assert!(!app.dirty, "the health pane is not on screen");
    assert!(
        app.health
            .rows
            .iter()
            .any(|r| r.detail.contains("25 chunks"))
    );
    press(
        &mut app,
        [Msg::Health(Box::new(health_report(25, "loading")))],
    );
    assert!(app.dirty, "the model's state is in the status bar");

    // With the health pane on screen, the same change is drawn.
    app.focus = Pane::Health;
    app.dirty = false;
    press(
        &mut app,
        [Msg::Health(Box::new(health_report(26, "loading")))],
    );
    assert!(app.dirty);
    let mut wide = app_wide();
    press(
        &mut wide,
        [Msg::Health(Box::new(health_report(24, "ready")))],
    );
    wide.dirty = false;
    press(
        &mut wide,
        [Msg::Health(Box::new(health_report(25, "ready")))],
    );
    assert!(wide.dirty, "a wide terminal shows every pane");
}

#[test]
fn memory_and_disk_drifting_a_little_draw_nothing_even_on_screen() {
    let with = |resident_mib: u64, free_gib: u64| {
        let mut report = health_report(24, "ready");
        report.components.resources.rss_bytes = Some(resident_mib << 20);
        report.components.resources.data_dir_free_bytes = Some(free_gib << 30);
        Msg::Health(Box::new(report))
    };
    let mut app = app_wide();
    press(&mut app, [with(484, 13)]);
    app.dirty = false;
    press(&mut app, [with(483, 13), with(490, 12), with(470, 13)]);
    assert!(!app.dirty, "moves under a tenth are not news");
    let memory = |app: &App| {
        let row = app.health.rows.iter().find(|r| r.component == "memory");
        row.map(|r| r.detail.clone()).unwrap_or_default()
    };
    assert_eq!(memory(&app), "484 MiB resident");
    press(&mut app, [with(600, 13)]);
    assert!(app.dirty);
    assert_eq!(memory(&app), "600 MiB resident");
    // Drift is measured from what is shown, so a slow climb is shown once it adds up.
    app.dirty = false;
    press(&mut app, [with(630, 13), with(659, 13)]);
    assert!(!app.dirty);
    press(&mut app, [with(671, 13)]);
    assert!(app.dirty);
    assert_eq!(memory(&app), "671 MiB resident");
}
