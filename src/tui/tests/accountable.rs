//! The matter switcher (`M`) and the search-term report over the listed documents (`T`).

use super::*;
use kodiak::matter::Matter;
use kodiak::report::terms::{TermRow, TermsReport};

fn matter(name: &str, archived: bool) -> Matter {
    Matter {
        name: name.into(),
        dir: format!("/data/{name}").into(),
        file: Some(kodiak::matter::MatterFile {
            name: name.into(),
            description: (name == "acme").then(|| "Acme v. Beta".into()),
            archived: archived.then(|| kodiak::matter::Archived {
                at: kodiak::timestamp::Timestamp::parse("2026-11-20T10:00:00Z").unwrap(),
                by: "ann".into(),
            }),
            ..kodiak::matter::MatterFile::default()
        }),
    }
}

fn matters_shown(app: &mut App) {
    let effects = press(app, [ch('M')]);
    let [
        Effect::Job {
            request,
            job: Job::LoadMatters,
        },
    ] = effects[..]
    else {
        panic!("{effects:?}");
    };
    press(
        app,
        [Msg::Matters {
            request,
            result: Ok(vec![
                matter("default", false),
                matter("acme", false),
                matter("old-case", true),
            ]),
        }],
    );
}

#[test]
fn m_lists_the_matters_and_enter_on_another_closes_the_ui_to_open_it() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    matters_shown(&mut app);
    insta::assert_snapshot!("matters_80x24", screen(&app));
    press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    assert_eq!(app.switch_matter.as_deref(), Some("acme"));
    assert!(app.quit);
}

#[test]
fn enter_on_the_matter_open_or_esc_stays_and_a_running_job_holds_the_switch() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    matters_shown(&mut app);
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(!app.quit && app.switch_matter.is_none());
    matters_shown(&mut app);
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.overlay.is_none() && !app.quit);

    // An ingest running: switching would leave it behind.
    let mut app = super::app(80, 24);
    press(&mut app, prompted('i', "/cases/new"));
    assert!(app.ingest.is_some());
    matters_shown(&mut app);
    press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    assert!(!app.quit && app.switch_matter.is_none());
    let (_, flash) = app.flash.clone().unwrap();
    assert!(flash.starts_with("cannot switch matters now"), "{flash}");
}

#[test]
fn a_matter_other_than_the_default_is_named_in_the_status_bar_with_its_state() {
    let mut app = app(100, 24);
    show_list(&mut app, rows());
    assert!(!screen(&app).contains("matter:"));
    app.matter = "acme".into();
    app.dirty = true;
    assert!(screen(&app).contains("matter: acme │"));
    app.matter_archived = true;
    assert!(screen(&app).contains("matter: acme (archived, read-only)"));
}

fn report(terms: &[(&str, &[i64])]) -> TermsReport {
    TermsReport {
        documents_searched: 2,
        families_searched: 2,
        documents_hit: 2,
        families_hit: 2,
        family_documents_hit: 2,
        threads_searched: 0,
        threads_hit: 0,
        terms: terms
            .iter()
            .map(|(term, ids)| TermRow {
                term: (*term).into(),
                documents: ids.len(),
                unique_documents: ids.len(),
                hits: ids.len() * 3,
                families: ids.len(),
                family_documents: ids.len(),
                unique_families: ids.len(),
                threads: 0,
                doc_ids: ids.to_vec(),
            })
            .collect(),
    }
}

#[test]
fn t_counts_terms_in_the_listed_documents_and_enter_lists_a_terms_documents() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    // Only what the filter lists is counted.
    press(&mut app, prompted('/', "-status:reviewed"));
    let effects = press(&mut app, prompted('T', "indemn*; \"hold harmless\" ;"));
    let [
        Effect::Job {
            request,
            job:
                Job::TermsReport {
                    ref terms,
                    ref documents,
                },
        },
    ] = effects[..]
    else {
        panic!("{effects:?}");
    };
    assert_eq!(terms, &["indemn*", "\"hold harmless\""]);
    assert_eq!(documents, &[1, 3]);
    press(
        &mut app,
        [Msg::TermsReport {
            request,
            result: Ok(Box::new(report(&[
                ("indemn*", &[1, 3]),
                ("\"hold harmless\"", &[3]),
            ]))),
        }],
    );
    insta::assert_snapshot!("terms_report_80x24", screen(&app));
    press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    assert!(app.overlay.is_none());
    assert_eq!(app.docs.filter, "id:3");
    let listed: Vec<i64> = app.docs.listed().map(|row| row.doc_id).collect();
    assert_eq!(listed, [3]);
    // T again offers the terms last counted.
    press(&mut app, [ch('T')]);
    let Some(super::super::app::Overlay::Prompt { input, .. }) = &app.overlay else {
        panic!("no prompt");
    };
    assert_eq!(input.text(), "indemn*; \"hold harmless\" ;");
}

#[test]
fn a_failed_term_report_says_why() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    let effects = press(&mut app, prompted('T', "\"open"));
    let request = effects[0].request().unwrap();
    press(
        &mut app,
        [Msg::TermsReport {
            request,
            result: Err(crate::tui::app::JobError::Service(
                "search term \"\\\"open\" has an unclosed quote".into(),
            )),
        }],
    );
    let (_, flash) = app.flash.clone().unwrap();
    assert!(flash.contains("unclosed quote"), "{flash}");
}
