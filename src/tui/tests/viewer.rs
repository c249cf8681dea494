//! The document viewer.

use super::*;

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

/// A long contract: `pages` pages, each a heading and one paragraph of 400 numbered words
/// (`w00001.` …), taller than the pane at 80x24 and 120x40; every tenth page has an e-mail
/// address.
/// Returns the document and its text.
const WORDS_PER_PAGE: usize = 400;

pub(super) fn long_contract(pages: usize, focus_page: Option<usize>) -> (PreparedDocument, String) {
    let mut text = String::new();
    let mut page_spans = Vec::new();
    let mut pii = Vec::new();
    let mut focus = None;
    let mut word = 0;
    for page in 1..=pages {
        let start = text.chars().count();
        text.push_str(&format!("Section {page}. Obligations of the Parties\n\n"));
        for _ in 0..WORDS_PER_PAGE {
            word += 1;
            text.push_str(&format!("w{word:05}. "));
        }
        if page % 10 == 0 {
            let at = text.chars().count();
            let email = format!("person{page}@example.com");
            pii.push(PiiSpan {
                kind: PiiKind::from_name("EMAIL_ADDRESS"),
                start: at,
                end: at + email.len(),
                score: 0.9,
                placeholder: format!("[EMAIL_ADDRESS_{}]", page / 10),
            });
            text.push_str(&email);
        }
        if focus_page == Some(page) {
            let at = text.chars().count();
            text.push_str(" The cited passage.");
            focus = Some((at + 1, text.chars().count()));
        }
        text.push_str("\n\n");
        page_spans.push((start, text.chars().count()));
    }
    let doc = PreparedDocument::new(
        1,
        "Franchise agreement".into(),
        text.clone(),
        &page_spans,
        &pii,
        focus
            .map(|(start, end)| Focus::passage(start, end))
            .as_ref(),
    );
    (doc, text)
}

pub(super) fn with_document_open(width: u16, height: u16, doc: PreparedDocument) -> App {
    let mut app = app(width, height);
    show_list(&mut app, rows());
    let request = press(&mut app, [key(KeyCode::Enter)])[0].request().unwrap();
    press(
        &mut app,
        [Msg::Document {
            request,
            result: Ok(Box::new(doc)),
        }],
    );
    app
}

/// The words `w00001.` … on the screen.
fn words_on(screen: &str) -> Vec<String> {
    screen
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .filter(|w| w.len() == 7 && w.starts_with('w') && w.ends_with('.'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn scrolling_by_row_or_page_shows_every_row_of_paragraphs_taller_than_the_pane() {
    for (width, height) in [(80, 24), (120, 40)] {
        for step in [KeyCode::Char('j'), KeyCode::PageDown] {
            let (doc, _) = long_contract(3, None);
            let mut app = with_document_open(width, height, doc);
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..600 {
                seen.extend(words_on(&screen(&app)));
                press(&mut app, [key(step)]);
            }
            let missing: Vec<usize> = (1..=3 * WORDS_PER_PAGE)
                .filter(|n| !seen.contains(&format!("w{n:05}.")))
                .collect();
            assert!(
                missing.is_empty(),
                "{width}x{height}, {step:?}: words never shown: {missing:?}"
            );
        }
    }
}

#[test]
fn scrolling_stops_with_the_last_row_at_the_bottom_and_up_returns_to_the_top() {
    let (doc, _) = long_contract(2, None);
    let mut app = with_document_open(80, 24, doc);
    press(&mut app, [ch('G')]);
    let bottom = screen(&app);
    assert!(bottom.contains("w00800."), "{bottom}");
    assert!(bottom.contains("100%"), "{bottom}");
    let top = app.viewer.as_ref().unwrap().top;
    press(&mut app, [ch('j')]);
    assert_eq!(
        app.viewer.as_ref().unwrap().top,
        top,
        "no scrolling past the end"
    );
    press(&mut app, [ch('k')]);
    assert!(
        app.viewer.as_ref().unwrap().top < top,
        "k scrolls one row up"
    );
    press(&mut app, [ch('g')]);
    assert!(screen(&app).contains("Section 1. Obligations"));
}

#[test]
fn every_jump_in_a_long_document_puts_its_target_on_screen() {
    for (width, height) in [(80, 24), (120, 40)] {
        // A search hit deep in the document, then the next ones.
        let (doc, _) = long_contract(300, None);
        let mut app = with_document_open(width, height, doc);
        press(&mut app, prompted('/', "w04321."));
        let shown = screen(&app);
        assert!(shown.contains("w04321."), "{width}x{height}:\n{shown}");
        assert!(shown.contains("page 11/300"), "{width}x{height}:\n{shown}");

        // From the top, every finding, one after the other, is on screen and named with
        // its type.
        press(&mut app, [ch('g')]);
        for n in 1..=30 {
            press(&mut app, [ch(']'), ch('p')]);
            let shown = screen(&app);
            let email = format!("person{}@example.com", n * 10);
            let at = find(&buffer(&app), &email);
            assert!(at.is_some(), "{width}x{height}, finding {n}:\n{shown}");
            assert!(
                shown.contains(&format!(" · {n}/30 EMAIL_ADDRESS")),
                "{width}x{height}:\n{shown}"
            );
        }

        // A citation deep in the document opens with its passage on screen, highlighted.
        let (doc, _) = long_contract(300, Some(250));
        let app = with_document_open(width, height, doc);
        let buffer = buffer(&app);
        let shown = screen(&app);
        let (x, y) = find(&buffer, "passage.").expect(&shown);
        let theme = Theme::new(ThemeName::Dark, false);
        assert_eq!(buffer[(x, y)].bg, theme.cited.bg.unwrap());
    }
}

#[test]
fn the_viewer_header_says_when_the_page_shown_was_read_by_ocr_and_how_surely() {
    let (doc, _) = long_contract(3, None);
    let mut app = with_document_open(80, 24, doc.with_ocr_pages(vec![(2, 91.4)]));
    let first = screen(&app);
    assert!(
        first.contains("page 1/3") && !first.contains("OCR"),
        "{first}"
    );
    press(&mut app, prompted(':', "2"));
    let second = screen(&app);
    assert!(second.contains("page 2/3"), "{second}");
    assert!(second.contains("· OCR 91%"), "{second}");
}

#[test]
fn the_viewer_header_gives_the_printed_page_number_where_it_differs_from_the_page() {
    // A text whose cover is unnumbered: its pages as the footers cut them, as ingest does.
    let page = |words: &str| format!("{words} {}\n\n", "lorem ipsum ".repeat(150));
    let text = [
        page("Cover page."),
        page("The first clause."),
        "- 2 -\n\n".to_owned(),
        page("The second clause."),
        "- 3 -".to_owned(),
    ]
    .concat();
    let text = text.as_str();
    let pages = kodiak::text::split_pages(text);
    assert_eq!(pages.len(), 2, "{pages:?}");
    let mut at = 0;
    let spans: Vec<(usize, usize)> = pages
        .iter()
        .map(|page| {
            at += page.chars().count();
            (at - page.chars().count(), at)
        })
        .collect();
    let doc = PreparedDocument::new(1, "Memo".into(), text.into(), &spans, &[], None);
    let mut app = with_document_open(80, 24, doc);
    let first = screen(&app);
    assert!(first.contains("page 1/2 (printed 2)"), "{first}");
    press(&mut app, prompted(':', "2"));
    let second = screen(&app);
    assert!(second.contains("page 2/2 (printed 3)"), "{second}");
    // A page printed as what it is says nothing more.
    let (doc, _) = long_contract(3, None);
    let plain = screen(&with_document_open(80, 24, doc));
    assert!(!plain.contains("printed"), "{plain}");
}

#[test]
fn go_to_puts_a_page_line_or_percent_at_the_top_and_names_what_it_cannot_find() {
    let (doc, _) = long_contract(80, None);
    let mut app = with_document_open(80, 24, doc);
    press(&mut app, prompted(':', "12"));
    let shown = screen(&app);
    assert!(shown.contains("page 12/80"), "{shown}");
    assert!(shown.contains("│Section 12. Obligations"), "{shown}");

    press(&mut app, prompted(':', "l3"));
    assert!(
        screen(&app).contains("│w00001."),
        "line 3 is the first paragraph"
    );

    press(&mut app, prompted(':', "50%"));
    let shown = screen(&app);
    assert!(
        shown.contains("page 40/80") || shown.contains("page 41/80"),
        "{shown}"
    );

    press(&mut app, prompted(':', "81"));
    assert!(
        screen(&app).contains("no page 81: the document has 80"),
        "{}",
        screen(&app)
    );
    press(&mut app, prompted(':', "abc"));
    assert!(screen(&app).contains("cannot go to `abc`"));
}

#[test]
fn a_new_search_prompt_starts_empty_and_ctrl_u_clears_a_prompt() {
    let mut app = with_lease_open(80, 24);
    press(&mut app, prompted('/', "rent"));
    let prompt_text = |app: &App| match &app.overlay {
        Some(crate::tui::app::Overlay::Prompt { input, .. }) => input.text().to_owned(),
        other => panic!("{other:?}"),
    };
    press(&mut app, [ch('/')]);
    assert_eq!(prompt_text(&app), "");
    press(&mut app, typed("deposit"));
    press(&mut app, [ctrl('u')]);
    assert_eq!(prompt_text(&app), "");
    press(&mut app, typed("tenant"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.viewer.as_ref().unwrap().search, "tenant");
}

#[test]
fn help_has_a_legend_of_the_pii_colours_as_the_viewer_draws_them() {
    let mut app = with_lease_open(160, 48);
    press(&mut app, [ch('?')]);
    // To the end of the help, where the legend is.
    for _ in 0..30 {
        press(&mut app, [key(KeyCode::PageDown)]);
    }
    let buffer = buffer(&app);
    let theme = Theme::new(ThemeName::Dark, false);
    for (name, kind) in [
        ("PHONE_NUMBER", PiiKind::PhoneNumber),
        ("PERSON", PiiKind::Person),
        ("IP_ADDRESS", PiiKind::IpAddress),
    ] {
        let (x, y) = find(&buffer, name).unwrap_or_else(|| panic!("{name} in the legend"));
        assert_eq!(buffer[(x, y)].fg, theme.pii(&kind).fg.unwrap(), "{name}");
    }
}

#[test]
fn help_lists_the_filter_language_with_flagged_among_the_statuses() {
    let mut app = with_lease_open(160, 48);
    press(&mut app, [ch('?')]);
    for _ in 0..30 {
        press(&mut app, [key(KeyCode::PageDown)]);
    }
    let shown = screen(&app);
    assert!(shown.contains("Filtering the list (/)"), "{shown}");
    for term in [
        "status:unreviewed",
        "flagged",
        "tag:NAME",
        "pii:phone",
        "id:3,7,12",
    ] {
        assert!(shown.contains(term), "{term} in the help: {shown}");
    }
}

#[test]
fn headings_are_jumped_through_with_bracket_h_and_picked_from_the_outline() {
    let (contract, _) = long_contract(40, None);
    let mut app = with_document_open(80, 24, contract);
    assert_eq!(app.viewer.as_ref().unwrap().doc.headings.len(), 40);
    press(&mut app, [ch(']'), ch('h')]);
    assert!(
        screen(&app).contains("│Section 2. Obligations"),
        "{}",
        screen(&app)
    );
    press(
        &mut app,
        [ch(']'), ch('h'), ch(']'), ch('h'), ch('['), ch('h')],
    );
    assert!(
        screen(&app).contains("│Section 3. Obligations"),
        "{}",
        screen(&app)
    );

    // The outline opens on the heading on screen; Enter goes to the one picked.
    press(&mut app, [ch('O')]);
    let shown = screen(&app);
    assert!(shown.contains("Outline"), "{shown}");
    assert!(shown.contains("p.3    Section 3. Obligations"), "{shown}");
    press(&mut app, (0..30).map(|_| ch('j')));
    press(&mut app, [key(KeyCode::Enter)]);
    let shown = screen(&app);
    assert!(shown.contains("│Section 33. Obligations"), "{shown}");
    assert!(shown.contains("page 33/40"), "{shown}");

    // At the end, the outline still fills its window, the last heading at the bottom.
    press(&mut app, [ch('G'), ch('O')]);
    let shown = screen(&app);
    assert!(shown.contains("Section 40. Obligations"), "{shown}");
    assert!(shown.contains("Section 25. Obligations"), "{shown}");
}

fn chars_of(value: &str) -> kodiak::production::Area {
    let start = LEASE[..LEASE.find(value).unwrap()].chars().count();
    kodiak::production::Area::Span {
        start,
        end: start + value.chars().count(),
    }
}

#[test]
fn d_redacts_the_finding_or_match_last_jumped_to_capital_v_lines_capital_d_the_page_and_capital_p_records_privilege()
 {
    use kodiak::production::{Area, Basis, Treatment};
    for (width, height) in [(80, 24), (120, 40)] {
        let mut app = with_lease_open(width, height);
        // Nothing jumped to yet: d says what to do first.
        assert!(review_changes(&press(&mut app, [ch('d')])).is_empty());
        assert!(
            screen(&app).contains("] p (personal data)"),
            "{}",
            screen(&app)
        );

        // The finding jumped to, its type offered as the reason; in characters.
        press(&mut app, [ch(']'), ch('p')]);
        press(&mut app, [ch('d')]);
        assert!(
            screen(&app).contains("Reason for this redaction"),
            "{}",
            screen(&app)
        );
        let effects = press(&mut app, [key(KeyCode::Enter)]);
        let person = "Mr John Smith";
        assert_eq!(
            review_changes(&effects),
            [(
                1,
                ReviewChange::Redact {
                    area: chars_of(person),
                    reason: "PERSON".into()
                }
            )]
        );
        // Once stored, the message says what was decided.
        press(
            &mut app,
            [Msg::Reviewed {
                request: effects[0].request().unwrap(),
                doc_id: 1,
                result: Ok(Review::default()),
            }],
        );
        let Area::Span { start, end } = chars_of(person) else {
            unreachable!()
        };
        assert!(
            screen(&app).contains(&format!(
                "saved: characters {start}-{end} to be redacted: PERSON · Residential"
            )),
            "{}",
            screen(&app)
        );

        // A search match jumped to after it is what d redacts now, in the redacted
        // rendition too (offsets are the original text's).
        press(&mut app, [ch('R')]);
        press(&mut app, [ch('/')]);
        press(&mut app, typed("security deposit"));
        press(&mut app, [key(KeyCode::Enter)]);
        let mut keys = vec![ch('d')];
        keys.extend((0..10).map(|_| key(KeyCode::Backspace)));
        keys.extend(typed("Non-responsive"));
        keys.push(key(KeyCode::Enter));
        let effects = press(&mut app, keys);
        assert_eq!(
            review_changes(&effects),
            [(
                1,
                ReviewChange::Redact {
                    area: chars_of("security deposit"),
                    reason: "Non-responsive".into()
                }
            )]
        );

        // V: lines, those on screen offered; edited to lines 3-4, then the reason.
        press(&mut app, [ch('V')]);
        assert!(screen(&app).contains("Lines to redact"), "{}", screen(&app));
        let mut keys: Vec<Msg> = (0..10).map(|_| key(KeyCode::Backspace)).collect();
        keys.extend(typed("3-4"));
        keys.push(key(KeyCode::Enter));
        press(&mut app, keys);
        let effects = press(&mut app, [key(KeyCode::Enter)]);
        let third = "The tenant, Mr John Smith";
        let start = LEASE[..LEASE.find(third).unwrap()].chars().count();
        let end = LEASE[..LEASE.find("\n\nThe security").unwrap()]
            .chars()
            .count();
        assert_eq!(
            review_changes(&effects),
            [(
                1,
                ReviewChange::Redact {
                    area: Area::Span { start, end },
                    reason: "Privileged".into()
                }
            )]
        );
        let mut keys = vec![ch('V')];
        keys.extend((0..10).map(|_| key(KeyCode::Backspace)));
        keys.extend(typed("9-2"));
        keys.push(key(KeyCode::Enter));
        assert!(review_changes(&press(&mut app, keys)).is_empty());
        assert!(screen(&app).contains("no lines 9-2"), "{}", screen(&app));

        // D: the page shown, whole.
        let effects = press(&mut app, [ch('D'), key(KeyCode::Enter)]);
        let page = app.viewer.as_ref().unwrap().page();
        assert_eq!(
            review_changes(&effects),
            [(
                1,
                ReviewChange::Redact {
                    area: Area::Page { page },
                    reason: "Privileged".into()
                }
            )]
        );

        // P: treatment, basis, description; a mistake is said and nothing is sent.
        let effects = press(&mut app, prompted('P', "withhold ac Advice on the lease"));
        assert_eq!(
            review_changes(&effects),
            [(
                1,
                ReviewChange::Privilege(Some((
                    Treatment::Withhold,
                    Basis::AttorneyClient,
                    "Advice on the lease".into()
                )))
            )]
        );
        let effects = press(&mut app, prompted('P', "keep ac x"));
        assert!(review_changes(&effects).is_empty());
        assert!(
            screen(&app).contains("not withhold, redact or none"),
            "{}",
            screen(&app)
        );
        let effects = press(&mut app, prompted('P', "none"));
        assert_eq!(
            review_changes(&effects),
            [(1, ReviewChange::Privilege(None))]
        );
    }
}
