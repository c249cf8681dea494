//! The UI without a terminal: pure state updates (keys and worker replies in, effects and
//! state out), and panes drawn into ratatui's `TestBackend` and compared with snapshots at
//! 80x24 and 160x48.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use kodiak::answer::{Answer, AnswerMode, Citation, Source};
use kodiak::config::Theme as ThemeName;
use kodiak::config::{KeysConfig, ListColumn};
use kodiak::health::HealthRow;
use kodiak::ingest::IngestPhase;
use kodiak::pii::PiiKind;
use kodiak::search::{Hit, Mode};
use kodiak::service::ReportRow;
use kodiak::storage::documents::PiiSpan;
use kodiak::storage::review::{Review, ReviewMark, ReviewStatus};

use super::app::{App, ChatScope, Effect, Job, Msg, Pane, ReviewChange, TurnStatus};
use super::document::{Focus, PreparedDocument};
use super::keymap::Keymap;
use super::theme::Theme;
use super::view;

mod accountable;
mod changes;
mod chat;
mod checklist;
mod components;
mod documents;
mod health;
mod search;
mod session;
mod viewer;

const LEASE: &str = "Residential Lease\n\nThe tenant, Mr John Smith, pays rent of $1,200 on the first day of each month.\nContact: john.smith@example.com\n\nThe security deposit is returned within 30 days of the lease ending.\nRent is due by bank transfer.";

pub(super) fn app(width: u16, height: u16) -> App {
    App::new(Keymap::new(&KeysConfig::new()).unwrap(), (width, height))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub(super) fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// The document list asked for (as at start) and received, as the worker sends it.
pub(super) fn show_list(app: &mut App, rows: Vec<ReportRow>) {
    let request = app.start()[0].request().unwrap();
    press(
        app,
        [Msg::Documents {
            request,
            result: Ok(rows),
        }],
    );
}

/// `msgs` applied in turn, each list view asked for made at once (as the worker would);
/// the other effects are returned.
pub(super) fn press(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let now = Instant::now();
    let mut effects = Vec::new();
    for msg in msgs {
        let asked = app.update(msg, now);
        effects.extend(app.run_list_views(asked, now));
    }
    effects
}

fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(ch).collect()
}

/// The review changes in `effects`, by document.
pub(super) fn review_changes(effects: &[Effect]) -> Vec<(i64, ReviewChange)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Job {
                job: Job::Review { doc_id, change, .. },
                ..
            } => Some((*doc_id, change.clone())),
            _ => None,
        })
        .collect()
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
        reason: None,
        review: Review {
            status,
            // The lease is flagged and tagged.
            flagged: id == 1,
            tags: if id == 1 {
                vec!["lease".into()]
            } else {
                Vec::new()
            },
            ..Review::default()
        },
        pii: pii
            .iter()
            .map(|(k, n)| ((*k).to_owned(), *n))
            .collect::<BTreeMap<_, _>>(),
        near_dup_group: None,
        near_dup_similarity: None,
        thread_id: None,
        inclusive: None,
    }
}

pub(super) fn rows() -> Vec<ReportRow> {
    vec![
        row(
            1,
            "Residential lease",
            "pdf",
            &[("PERSON", 1), ("EMAIL_ADDRESS", 1)],
            ReviewStatus::Unreviewed,
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
fn lease(focus: Option<Focus>) -> PreparedDocument {
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
        focus.as_ref(),
    )
}

/// The app with documents listed and the lease open.
fn with_lease_open(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    show_list(&mut app, rows());
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let Some(Effect::Job {
        request,
        job: Job::OpenDocument {
            doc_id: 1,
            focus: None,
        },
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
        ocr_confidence: None,
        char_start: 0,
        char_end: 40,
        snippet: "The tenant pays **rent** of $1,200 on the first day".into(),
        score: 0.5,
        bm25_rank: Some(n),
        vector_rank: None,
        clause_rank: None,
        clause_sentence: None,
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
                ocr_confidence: None,
                // The passage runs to the end; the quote is its first sentence.
                char_start: LEASE[..start].chars().count(),
                char_end: LEASE.chars().count(),
                quote: "The security deposit is returned within 30 days".into(),
            },
            Citation {
                n: 1,
                doc_id: 1,
                chunk_id: 11,
                path: "/cases/Residential lease.pdf".into(),
                title: "Residential lease".into(),
                page: 1,
                ocr_confidence: None,
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
        grounding: None,
        evidence: None,
        asked_of: Vec::new(),
    }
}

/// The chat with the list shown and "When is the deposit returned?" asked; the request.
fn asking(app: &mut App) -> u64 {
    show_list(app, rows());
    press(app, [ch('2')]);
    press(app, typed("When is the deposit returned?"));
    let effects = press(app, [key(KeyCode::Enter)]);
    let Some(Effect::Job {
        request,
        job: Job::Ask { .. },
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}");
    };
    request
}

/// The chat after one question, streamed and finished.
fn with_answer(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    let request = asking(&mut app);
    let started = app.chat.answering.started().unwrap();
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
        status: if ok {
            kodiak::health::Status::Healthy
        } else {
            kodiak::health::Status::Unhealthy
        },
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
    buffer_with(app, &Theme::new(ThemeName::Dark, false))
}

fn buffer_with(app: &App, theme: &Theme) -> ratatui::buffer::Buffer {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, app, theme))
        .unwrap();
    terminal.backend().buffer().clone()
}

#[test]
fn document_list_snapshots() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    app.health.model = "ready".into();
    insta::assert_snapshot!("documents_80x24", screen(&app));
    let mut app = app_wide();
    show_list(&mut app, rows());
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
    let text: Vec<String> = view::help_lines(&app, &theme, 200)
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
fn a_help_description_too_long_for_the_width_wraps_under_itself_not_to_column_0() {
    let app = app(80, 24);
    let theme = Theme::new(ThemeName::Mono, false);
    let text: Vec<String> = view::help_lines(&app, &theme, 50)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let longest = super::keys::ACTIONS
        .iter()
        .max_by_key(|spec| spec.help.len())
        .unwrap();
    let first_word = longest.help.split_whitespace().next().unwrap();
    let at = text
        .iter()
        .position(|l| l.trim_start().contains(first_word) && l.starts_with("  "))
        .unwrap();
    let next = &text[at + 1];
    assert!(
        next.starts_with(&" ".repeat(24)),
        "{next:?} after {:?}",
        text[at]
    );
    // Every key's row fits; titles and the closing sentence wrap as paragraphs.
    let keyed = text.iter().filter(|l| l.starts_with("  "));
    assert!(keyed.clone().all(|l| l.chars().count() <= 50), "{text:#?}");
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

/// A health check asked for and its report received, as the timer and the worker do.
pub(super) fn report_health(app: &mut App, report: kodiak::health::HealthReport) {
    let asked = press(app, [Msg::HealthDue]);
    let request = asked[0].request().unwrap();
    press(
        app,
        [Msg::Health {
            request,
            report: Box::new(report),
        }],
    );
}

/// A health report whose index holds `chunks` chunks, with the generator in `model_state`.
pub(super) fn health_report(
    chunks: u64,
    model_state: kodiak::health::ModelState,
) -> kodiak::health::HealthReport {
    use kodiak::health::*;
    HealthReport {
        status: Status::Healthy,
        version: "test",
        timestamp: kodiak::timestamp::Timestamp::parse("2026-11-23T10:00:00Z").unwrap(),
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
            ocr: OcrHealth {
                ok: true,
                state: OcrState::Ready,
                tesseract: Some("5.3.0".into()),
                languages: vec!["eng".into()],
                error: None,
            },
            network: kodiak::health::NetworkHealth {
                ok: true,
                state: kodiak::guard::air_gap::NetworkState::Blocked,
                wanted: true,
                blocked: Vec::new(),
            },
            llm: Some(ModelHealth {
                ok: true,
                state: model_state,
                ..Default::default()
            }),
            embedder: None,
            vectors: None,
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
