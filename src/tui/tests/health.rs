//! The health pane and when it is redrawn.

use super::*;

#[test]
fn a_health_report_older_than_the_one_shown_is_dropped() {
    let mut app = app_wide();
    let older = press(&mut app, [Msg::HealthDue])[0].request().unwrap();
    let newer = press(&mut app, [Msg::HealthDue])[0].request().unwrap();
    let msg = |request, chunks| Msg::Health {
        request,
        report: Box::new(health_report(chunks, kodiak::health::ModelState::Ready)),
    };
    press(&mut app, [msg(newer, 25), msg(older, 24)]);
    let shows = |chunks: &str| app.health.rows.iter().any(|r| r.detail.contains(chunks));
    assert!(
        shows("25 chunks") && !shows("24 chunks"),
        "{:?}",
        app.health.rows
    );
}

#[test]
fn asking_for_health_draws_nothing_and_an_idle_app_needs_no_ticks() {
    let mut app = app(80, 24);
    app.dirty = false;
    assert!(matches!(
        press(&mut app, [Msg::HealthDue])[..],
        [Effect::Job {
            job: Job::RefreshHealth,
            ..
        }]
    ));
    assert!(!app.dirty, "asking for health draws nothing");
    app.health.rows = health_rows();
    app.health.status = Some(kodiak::health::Status::Degraded);
    assert!(!app.needs_ticks(), "nothing ticks while idle");
}

#[test]
fn a_health_change_out_of_sight_draws_nothing() {
    // 80 columns: one pane at a time, the documents showing.
    let mut app = app(80, 24);
    report_health(
        &mut app,
        health_report(24, kodiak::health::ModelState::Ready),
    );
    assert!(app.dirty, "the first report shows the model's state");
    app.dirty = false;
    report_health(
        &mut app,
        health_report(25, kodiak::health::ModelState::Ready),
    );
    assert!(!app.dirty, "the health pane is not on screen");
    assert!(
        app.health
            .rows
            .iter()
            .any(|r| r.detail.contains("25 chunks"))
    );
    report_health(
        &mut app,
        health_report(25, kodiak::health::ModelState::Loading),
    );
    assert!(app.dirty, "the model's state is in the status bar");

    // With the health pane on screen, the same change is drawn.
    app.focus = Pane::Health;
    app.dirty = false;
    report_health(
        &mut app,
        health_report(26, kodiak::health::ModelState::Loading),
    );
    assert!(app.dirty);
    // A wide terminal folds a healthy Health pane into the status bar, and shows it again
    // when something degrades.
    let mut wide = app_wide();
    report_health(
        &mut wide,
        health_report(24, kodiak::health::ModelState::Ready),
    );
    assert!(!wide.shows(Pane::Health));
    assert!(screen(&wide).contains("✓ healthy"));
    wide.dirty = false;
    report_health(
        &mut wide,
        health_report(25, kodiak::health::ModelState::Ready),
    );
    assert!(!wide.dirty, "folded away while healthy");
    let mut degraded = health_report(25, kodiak::health::ModelState::Ready);
    degraded.status = kodiak::health::Status::Degraded;
    degraded.components.search_index.ok = false;
    report_health(&mut wide, degraded);
    assert!(wide.dirty && wide.shows(Pane::Health));
    assert!(screen(&wide).contains("⚠ degraded: search index"));
}

#[test]
fn memory_and_disk_drifting_a_little_draw_nothing_even_on_screen() {
    let with = |resident_mib: u64, free_gib: u64| {
        let mut report = health_report(24, kodiak::health::ModelState::Ready);
        report.components.resources.rss_bytes = Some(resident_mib << 20);
        report.components.resources.data_dir_free_bytes = Some(free_gib << 30);
        report
    };
    let mut app = app_wide();
    app.focus = Pane::Health;
    report_health(&mut app, with(484, 13));
    app.dirty = false;
    for report in [with(483, 13), with(490, 12), with(470, 13)] {
        report_health(&mut app, report);
    }
    assert!(!app.dirty, "moves under a tenth are not news");
    let memory = |app: &App| {
        let row = app.health.rows.iter().find(|r| r.component == "memory");
        row.map(|r| r.detail.clone()).unwrap_or_default()
    };
    assert_eq!(memory(&app), "484 MiB resident");
    report_health(&mut app, with(600, 13));
    assert!(app.dirty);
    assert_eq!(memory(&app), "600 MiB resident");
    // Drift is measured from what is shown, so a slow climb is shown once it adds up.
    app.dirty = false;
    for report in [with(630, 13), with(659, 13)] {
        report_health(&mut app, report);
    }
    assert!(!app.dirty);
    report_health(&mut app, with(671, 13));
    assert!(app.dirty);
    assert_eq!(memory(&app), "671 MiB resident");
}

#[test]
fn z_gives_the_focused_pane_the_whole_width_and_z_again_brings_the_others_back() {
    let mut app = app_wide();
    press(&mut app, [ch('2')]);
    press(&mut app, [key(KeyCode::Esc), ch('z')]);
    assert_eq!(app.side_by_side(), [Pane::Chat]);
    let shown = screen(&app);
    assert!(!shown.contains("Documents ("), "{shown}");
    assert!(shown.starts_with("\"┌ Chat"), "{shown}");
    press(&mut app, [ch('z')]);
    assert!(app.shows(Pane::Documents) && app.shows(Pane::Chat));
    // While typing, z is a letter.
    press(&mut app, [ch('i'), ch('z')]);
    assert_eq!(app.chat.input.lines().join(""), "z");
    assert!(app.shows(Pane::Documents));
}
