//! The viewer's redacted view and the redaction log (`kodiak report pii`) agree: every
//! finding in the log is a placeholder in the view, at the same place and in the same
//! order, and nothing the log lists is left readable in the view. Run on a real database.

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::service::JobScope;

use super::worker::open_document;

#[test]
fn the_viewers_redacted_view_shows_exactly_the_findings_of_the_redaction_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    let kodiak = Kodiak::open(Settings::in_dir(dir.path(), config)).unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    // Letters outside ASCII before the findings: offsets in characters and bytes differ.
    std::fs::write(
        docs.join("résumé.txt"),
        "Café Zürich — Mr. Jürgen Müller, jurgen.muller@example.com, +44 20 7946 0321.\n\n\
         Ünterschrift: Ms. Ana Pérez (ana.perez@example.com); IBAN GB82 WEST 1234 5698 7654 32.",
    )
    .unwrap();
    std::fs::write(
        docs.join("memo.txt"),
        "Memo: write to ana.perez@example.com or call the site manager on 540-0418.",
    )
    .unwrap();
    std::fs::write(docs.join("plain.txt"), "Nothing personal in here at all.").unwrap();
    kodiak.ingest(&[docs], &kodiak::ingest::Silent).unwrap();

    let log = kodiak.redaction_log(&JobScope::default(), true).unwrap();
    assert_eq!(log.documents, 3);
    assert!(log.findings.len() >= 6, "{:?}", log.findings);
    for doc in kodiak.documents().unwrap() {
        let view = open_document(&kodiak, doc.id, None).unwrap();
        let findings: Vec<_> = log.findings.iter().filter(|f| f.doc_id == doc.id).collect();
        let shown: Vec<&str> = view
            .redacted
            .pii
            .iter()
            .map(|span| &view.redacted.text[span.start..span.end])
            .collect();
        let logged: Vec<&str> = findings.iter().map(|f| f.placeholder.as_str()).collect();
        assert_eq!(shown, logged, "document {}", doc.id);
        let original: Vec<char> = view.original.text.chars().collect();
        for finding in &findings {
            let value: String = original[finding.start..finding.end].iter().collect();
            assert_eq!(Some(value.as_str()), finding.value.as_deref());
            assert!(
                !view.redacted.text.contains(&value),
                "{value} is readable in the redacted view"
            );
        }
    }
}
