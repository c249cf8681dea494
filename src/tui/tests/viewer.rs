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
