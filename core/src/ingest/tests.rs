//! Ingestion end to end on real SQLite files and a real Tantivy index in temporary folders,
//! with fixtures generated here.

use std::path::{Path, PathBuf};

use crate::config::{Config, Settings};
use crate::extract::tests::{docx, pdf, zip};
use crate::search::SearchError;
use crate::service::{Kodiak, ServiceError};
use crate::storage::documents::{self, DocStatus};

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    docs: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let docs = root.join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        Fixture {
            _dir: dir,
            root,
            docs,
        }
    }

    fn settings(&self) -> Settings {
        Settings::in_dir(&self.root, text_only())
    }

    fn open(&self) -> Kodiak {
        Kodiak::open(self.settings()).unwrap()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.docs.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.canonicalize().unwrap()
    }
}

/// The default configuration without models: these tests are about text and BM25 (the
/// embedding path has tests of its own with the real model).
fn text_only() -> Config {
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    // OCR, with the real Tesseract, has tests of its own (tests/ocr.rs).
    config.ingest.ocr = crate::config::OcrMode::Off;
    config
}

/// BM25 hits for `query`.
fn bm25(kodiak: &Kodiak, query: &str, limit: usize) -> Vec<crate::search::Hit> {
    let options = crate::service::SearchOptions {
        limit,
        ..Default::default()
    };
    kodiak.search(query, &options).unwrap().hits
}

fn ingest(kodiak: &Kodiak, paths: &[&Path]) -> IngestReport {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    kodiak.ingest(&paths, &Silent).unwrap()
}

fn path_str(path: &Path) -> String {
    path.display().to_string()
}

/// Chunks in SQLite and in the index agree, and no chunk is in the index twice.
fn assert_index_matches_database(kodiak: &Kodiak) {
    let conn = kodiak.database().conn().unwrap();
    let stored: u64 = conn
        .query_row("SELECT count(*) FROM chunks", [], |r| r.get::<_, i64>(0))
        .unwrap() as u64;
    assert_eq!(kodiak.index().unwrap().chunk_count(), stored);
}

const EML: &str = "From: \"Ann Lee\" <ann.lee@example.com>\r\nTo: bob@example.com\r\n\
    Subject: Draft lease\r\nDate: Tue, 17 Feb 2026 09:42:15 -0600\r\nMIME-Version: 1.0\r\n\
    Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
    Please review the attached schedule before Friday.\r\n--b1\r\nContent-Type: text/plain; name=\"schedule.txt\"\r\n\
    Content-Disposition: attachment; filename=\"schedule.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
    VGhlIHdpbmRtaWxsIGluc3BlY3Rpb24gaXMgb24gTW9uZGF5Lg==\r\n--b1--\r\n";

fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn every_format_is_ingested_and_every_bad_file_is_recorded_with_its_reason() {
    let f = Fixture::new();
    let two_pages = f.write(
        "report.pdf",
        &pdf(
            &[
                &["Quarterly audit findings for the harbour depot."],
                &["Second page: the auditor recommends stocktaking in March."],
            ],
            None,
        ),
    );
    let minutes = f.write("minutes.docx", &docx());
    let html = f.write(
        "policy.html",
        b"<html><head><title>Privacy notice</title><script>var hidden = 'scriptword';</script>\
          <style>p { color: red }</style></head><body><p>We keep ledgers for seven years.</p></body></html>",
    );
    let email = f.write("thread.eml", EML.as_bytes());
    let memo = f.write(
        "memo.txt",
        &utf16le("Wide character memo about the quarry lease."),
    );
    let kodiak = f.open();
    let good = ingest(&kodiak, &[&f.docs]);
    assert_eq!(good.failed, [], "{good:?}");
    assert_eq!(good.ingested, 5);
    let before = kodiak.documents().unwrap();
    assert_eq!(before.len(), 6, "five files and one attachment");

    // The PDF keeps its pages: each chunk knows its page.
    let hits = bm25(&kodiak, "stocktaking", 5);
    assert_eq!(
        (hits[0].path.as_str(), hits[0].page),
        (path_str(&two_pages).as_str(), 2)
    );
    assert_eq!(bm25(&kodiak, "harbour depot", 5)[0].page, 1);
    // DOCX tables and headers; HTML without its script; UTF-16 text.
    assert_eq!(
        bm25(&kodiak, "Approve budget Carried", 1)[0].path,
        path_str(&minutes)
    );
    assert_eq!(bm25(&kodiak, "CONFIDENTIAL", 1)[0].path, path_str(&minutes));
    assert_eq!(bm25(&kodiak, "ledgers", 1)[0].title, "Privacy notice");
    assert_eq!(bm25(&kodiak, "ledgers", 1)[0].path, path_str(&html));
    assert!(bm25(&kodiak, "scriptword", 5).is_empty());
    assert_eq!(bm25(&kodiak, "quarry", 1)[0].path, path_str(&memo));
    // The email: headers are searchable, and its attachment is a child document.
    let email_doc = before.iter().find(|d| d.path == path_str(&email)).unwrap();
    assert_eq!(email_doc.metadata["Subject"], "Draft lease");
    assert_eq!(bm25(&kodiak, "Draft lease", 1)[0].doc_id, email_doc.id);
    let child = before
        .iter()
        .find(|d| d.parent_id == Some(email_doc.id))
        .unwrap();
    assert_eq!(child.path, format!("{} ▸ schedule.txt", path_str(&email)));
    // The report's figures for the email file count its attachment too.
    let reported = good
        .documents
        .iter()
        .find(|d| d.id == email_doc.id)
        .unwrap();
    assert_eq!(
        (reported.pages, reported.chunks, reported.attachments),
        (2, 2, 1)
    );
    assert_eq!(bm25(&kodiak, "windmill inspection", 1)[0].doc_id, child.id);
    // PII was found and stored with stable placeholders.
    let counts = kodiak.pii_counts(email_doc.id).unwrap();
    assert_eq!(counts["EMAIL_ADDRESS"], 2, "{counts:?}");

    // Now a batch of bad files, beside one more good one.
    let bad = tempfile::tempdir_in(&f.root).unwrap();
    let put = |name: &str, bytes: &[u8]| {
        std::fs::write(bad.path().join(name), bytes).unwrap();
    };
    put(
        "corrupt.pdf",
        b"%PDF-1.5\n1 0 obj << /Type /Catalog >> garbage without xref",
    );
    let whole = docx();
    put("truncated.docx", &whole[..whole.len() / 2]);
    put(
        "bomb.docx",
        &zip(&[("word/document.xml", &vec![b' '; 8 << 20])]),
    );
    put("photo.pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR binary");
    put("empty.txt", b"");
    put("scan.pdf", &pdf(&[&[], &[], &[]], None));
    put("locked.pdf", &pdf(&[&["top secret"]], Some("pw")));
    put(
        "fine.md",
        b"# Fine\n\nA perfectly good note about lighthouses.",
    );
    let report = ingest(&kodiak, &[bad.path()]);
    let reason = |name: &str| {
        let path = path_str(&bad.path().canonicalize().unwrap().join(name));
        report
            .failed
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.reason.clone())
            .unwrap_or_else(|| panic!("{name} not reported as failed: {report:?}"))
    };
    assert!(
        reason("corrupt.pdf").starts_with("corrupt pdf"),
        "{}",
        reason("corrupt.pdf")
    );
    assert!(
        reason("truncated.docx").starts_with("corrupt docx"),
        "{}",
        reason("truncated.docx")
    );
    assert!(
        reason("bomb.docx").contains("compression ratio"),
        "{}",
        reason("bomb.docx")
    );
    assert_eq!(reason("empty.txt"), "empty file");
    assert!(reason("locked.pdf").starts_with("encrypted"));
    assert_eq!(report.failed.len(), 5);
    // An image is read by OCR whatever its name; with OCR off, scans wait for it.
    let needs_ocr = |name: &str| {
        report
            .needs_ocr
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not needing OCR: {report:?}"))
    };
    assert_eq!(needs_ocr("scan.pdf").pages, 3);
    assert_eq!(
        needs_ocr("photo.pdf").reason,
        "needs OCR: 1 page(s) without a text layer; OCR is off ([ingest] ocr = \"off\")"
    );
    assert_eq!(report.needs_ocr.len(), 2);
    assert_eq!(report.ingested, 1);
    assert_eq!(bm25(&kodiak, "lighthouses", 1).len(), 1);

    // Failed and image-only files are recorded, never indexed; earlier documents are intact.
    let after = kodiak.documents().unwrap();
    let status_of = |name: &str| {
        let path = path_str(&bad.path().canonicalize().unwrap().join(name));
        after
            .iter()
            .find(|d| d.path == path)
            .map(|d| (d.status, d.chunks))
    };
    assert_eq!(status_of("scan.pdf"), Some((DocStatus::NeedsOcr, 0)));
    assert_eq!(status_of("locked.pdf"), Some((DocStatus::Failed, 0)));
    for doc in &before {
        assert!(after.contains(doc), "document {} changed", doc.path);
    }
    assert_index_matches_database(&kodiak);
}

#[test]
fn a_text_file_is_titled_by_the_name_it_opens_with_and_a_formats_own_title_comes_first() {
    let f = Fixture::new();
    f.write(
        "acme-2019.txt",
        b"EXHIBIT 10.1\n\nSUPPLY AGREEMENT\n\nThis Agreement is made between Acme Ltd and Birch plc.\n",
    );
    f.write(
        "notes.txt",
        b"the tenant pays rent monthly and the landlord repairs the roof.\n",
    );
    f.write(
        "policy.html",
        b"<html><head><title>Privacy notice</title></head><body><h1>DATA AGREEMENT</h1></body></html>",
    );
    let kodiak = f.open();
    ingest(&kodiak, &[&f.docs]);
    let title = |name: &str| {
        kodiak
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| d.path.ends_with(name))
            .unwrap()
            .title
    };
    assert_eq!(title("acme-2019.txt").as_deref(), Some("SUPPLY AGREEMENT"));
    assert_eq!(title("notes.txt"), None);
    assert_eq!(title("policy.html").as_deref(), Some("Privacy notice"));
}

#[test]
fn an_encrypted_pdf_fails_as_encrypted_then_a_password_ingests_it_as_one_searchable_document() {
    use crate::extract::Passwords;
    use crate::extract::tests::{Cipher, pdf_encrypted};
    let f = Fixture::new();
    let kodiak = f.open();
    let locked = f.write(
        "locked.pdf",
        &pdf_encrypted(
            &[&["The escrow holdback is lighthouse green."]],
            Some((Cipher::Aes128, "s3cret")),
        ),
    );
    let first = ingest(&kodiak, &[&locked]);
    assert_eq!(first.failed.len(), 1, "{first:?}");
    assert!(
        first.failed[0]
            .reason
            .starts_with("encrypted: needs a password"),
        "{first:?}"
    );

    let passwords = Passwords::new(vec!["wrong".into(), "s3cret".into()]);
    let second = kodiak
        .ingest_with_passwords(std::slice::from_ref(&f.docs), &passwords, &Silent)
        .unwrap();
    assert_eq!(second.ingested, 1, "{second:?}");
    assert!(second.failed.is_empty(), "{second:?}");
    let documents = kodiak.documents().unwrap();
    assert_eq!(documents.len(), 1, "{documents:?}");
    assert_eq!(documents[0].status, DocStatus::Ingested);
    assert_eq!(bm25(&kodiak, "lighthouse", 5).len(), 1);
    assert_index_matches_database(&kodiak);
}

#[test]
fn the_same_content_twice_is_one_document_and_a_changed_file_is_replaced_atomically() {
    let f = Fixture::new();
    let a = f.write(
        "a.txt",
        b"The pipeline easement runs along the northern boundary.",
    );
    let b = f.write(
        "b.txt",
        b"The pipeline easement runs along the northern boundary.",
    );
    let kodiak = f.open();
    let report = ingest(&kodiak, &[&f.docs]);
    assert_eq!((report.ingested, report.duplicates), (1, 1));
    let docs = kodiak.documents().unwrap();
    assert_eq!(docs.len(), 1);
    let mut paths = docs[0].paths.clone();
    paths.sort();
    assert_eq!(paths, [path_str(&a), path_str(&b)]);

    // Ingesting again changes nothing.
    let again = ingest(&kodiak, &[&f.docs]);
    assert_eq!((again.ingested, again.unchanged), (0, 2));

    // `a` changes: it becomes its own document; `b` keeps the old content.
    std::fs::write(
        &a,
        "The drainage easement now runs along the southern boundary.",
    )
    .unwrap();
    let changed = ingest(&kodiak, &[&a]);
    assert_eq!(changed.ingested, 1);
    assert_eq!(kodiak.documents().unwrap().len(), 2);
    assert_eq!(bm25(&kodiak, "drainage", 5)[0].path, path_str(&a));
    assert_eq!(bm25(&kodiak, "pipeline", 5)[0].path, path_str(&b));

    // `a` changes again: its document is updated in place, old chunks gone.
    let id = bm25(&kodiak, "drainage", 1)[0].doc_id;
    std::fs::write(&a, "Revised: the culvert easement is cancelled.").unwrap();
    let replaced = ingest(&kodiak, &[&a]);
    assert_eq!(replaced.documents[0].id, id);
    assert!(bm25(&kodiak, "drainage", 5).is_empty());
    assert_eq!(bm25(&kodiak, "culvert", 5)[0].doc_id, id);
    assert_index_matches_database(&kodiak);

    // A changed file that no longer reads keeps its earlier version.
    std::fs::write(&a, b"").unwrap();
    let broken = ingest(&kodiak, &[&a]);
    assert!(
        broken.failed[0]
            .reason
            .contains("the earlier version stays")
    );
    assert_eq!(bm25(&kodiak, "culvert", 5)[0].doc_id, id);
}

#[test]
fn docs_rm_removes_a_document_and_its_attachments_from_database_and_index() {
    let f = Fixture::new();
    let email = f.write("thread.eml", EML.as_bytes());
    f.write("other.txt", b"Unrelated note on the windmill budget.");
    let kodiak = f.open();
    ingest(&kodiak, &[&f.docs]);
    assert_eq!(bm25(&kodiak, "windmill", 5).len(), 2);
    let id = kodiak
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| d.path == path_str(&email))
        .unwrap()
        .id;
    kodiak.remove_document(id).unwrap();
    let left = kodiak.documents().unwrap();
    assert_eq!(left.len(), 1, "the attachment went with its email");
    let hits = bm25(&kodiak, "windmill", 5);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].doc_id, left[0].id);
    assert_index_matches_database(&kodiak);
    assert!(matches!(
        kodiak.remove_document(id),
        Err(ServiceError::NoSuchDocument(_))
    ));
    // Ingesting the email again brings it back.
    assert_eq!(ingest(&kodiak, &[&email]).ingested, 1);
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/sample-docs")
}

#[test]
fn an_exact_clause_ranks_its_chunk_first() {
    let f = Fixture::new();
    let kodiak = f.open();
    ingest(&kodiak, &[&samples()]);
    let conn = kodiak.database().conn().unwrap();
    // A sentence from the middle of every chunk long enough to have one.
    let chunks = documents::chunk_texts(&conn).unwrap();
    let mut tried = 0;
    for (chunk_id, text) in &chunks {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() < 40 {
            continue;
        }
        let clause = words[15..27].join(" ");
        let hits = bm25(&kodiak, &clause, 3);
        let top = documents::chunk_details(&conn, &[hits[0].chunk_id], 1).unwrap()[0]
            .text
            .clone();
        assert!(
            top.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(&clause),
            "{clause:?} (chunk {chunk_id}) ranked chunk {} first",
            hits[0].chunk_id
        );
        tried += 1;
    }
    assert!(tried >= 10, "only {tried} chunks were long enough");
}

#[test]
fn a_crash_between_the_sqlite_commit_and_the_index_commit_is_repaired_on_open() {
    let f = Fixture::new();
    f.write("lease.txt", b"The tenant keeps the orchard in good order.");
    {
        let kodiak = f.open();
        ingest(&kodiak, &[&f.docs]);
        // SQLite commits a new document; the process dies before the index commits.
        let record = text_record("/elsewhere/late.txt", "A late note about the vineyard.");
        kodiak
            .database()
            .write(|tx| documents::insert(tx, &record, None).map_err(StorageError::from))
            .unwrap();
        // And the first document's change is replayed as if its index commit was lost
        // after the chunks were written: re-applying must not duplicate them.
        kodiak
            .database()
            .write(|tx| {
                tx.execute(
                    "INSERT INTO changes (document_id) SELECT id FROM documents",
                    [],
                )
                .map_err(StorageError::from)
            })
            .unwrap();
        assert!(bm25(&kodiak, "vineyard", 5).is_empty());
    }
    let kodiak = f.open();
    assert_eq!(bm25(&kodiak, "vineyard", 5).len(), 1);
    assert_eq!(bm25(&kodiak, "orchard", 5).len(), 1);
    assert_index_matches_database(&kodiak);

    // A deleted index folder is rebuilt whole from SQLite.
    drop(kodiak);
    std::fs::remove_dir_all(&f.settings().paths.index_dir).unwrap();
    let kodiak = f.open();
    assert_eq!(bm25(&kodiak, "orchard", 5).len(), 1);
    assert_index_matches_database(&kodiak);
}

/// A one-page, one-chunk text document, as ingest would store it.
fn text_record(path: &str, text: &str) -> documents::DocumentRecord {
    let chars = text.chars().count();
    documents::DocumentRecord {
        path: path.into(),
        sha256: Some(sha256_hex(text.as_bytes())),
        size: text.len() as u64,
        format: Some("text"),
        title: None,
        status: DocStatus::Ingested,
        reason: None,
        metadata: Default::default(),
        text: text.into(),
        pages: vec![(0, chars)],
        page_ocr: Vec::new(),
        chunks: vec![documents::ChunkRecord {
            page_start: 1,
            page_end: 1,
            char_start: 0,
            char_end: chars,
        }],
        pii: Vec::new(),
        children: Vec::new(),
    }
}

#[test]
fn a_document_fed_to_the_index_twice_is_indexed_once_and_uncommitted_feeds_are_caught_up() {
    let f = Fixture::new();
    let path = f.write("lease.txt", b"The tenant keeps the orchard in good order.");
    let kodiak = f.open();
    let id = ingest(&kodiak, &[&f.docs]).documents[0].id;
    let replace = |text: &str| {
        let record = text_record(&path_str(&path), text);
        kodiak
            .database()
            .write(|tx| documents::replace(tx, id, &record).map_err(StorageError::from))
            .unwrap();
    };
    {
        let index = kodiak.index().unwrap();
        let mut updater = index.writer().unwrap();
        replace("The tenant keeps the vineyard.");
        assert_eq!(updater.feed(kodiak.database()).unwrap().chunks, 1);
        replace("The tenant keeps the vineyard and the barn.");
        assert_eq!(updater.feed(kodiak.database()).unwrap().chunks, 1);
        assert_eq!(
            updater.feed(kodiak.database()).unwrap().chunks,
            0,
            "nothing new"
        );
        updater.sync(kodiak.database()).unwrap();
    }
    assert_eq!(bm25(&kodiak, "barn", 5).len(), 1);
    assert!(bm25(&kodiak, "orchard", 5).is_empty());
    assert_index_matches_database(&kodiak);

    // Fed, never committed: the process dies with the writer.
    {
        let index = kodiak.index().unwrap();
        let mut updater = index.writer().unwrap();
        replace("The tenant keeps the stables.");
        updater.feed(kodiak.database()).unwrap();
    }
    drop(kodiak);
    let kodiak = f.open();
    assert_eq!(bm25(&kodiak, "stables", 5).len(), 1);
    assert!(bm25(&kodiak, "barn", 5).is_empty());
    assert_index_matches_database(&kodiak);
}

#[test]
fn an_index_of_another_layout_is_rebuilt_from_sqlite() {
    let f = Fixture::new();
    f.write("lease.txt", b"The tenant keeps the orchard in good order.");
    ingest(&f.open(), &[&f.docs]);
    let dir = f.settings().paths.index_dir;
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let mut other = tantivy::schema::Schema::builder();
    other.add_text_field("body", tantivy::schema::TEXT | tantivy::schema::STORED);
    tantivy::Index::create_in_dir(&dir, other.build()).unwrap();

    let kodiak = f.open();
    assert_eq!(bm25(&kodiak, "orchard", 5).len(), 1);
    assert_index_matches_database(&kodiak);
}

#[test]
fn a_held_index_lock_is_a_clear_error_and_nothing_is_written() {
    let f = Fixture::new();
    f.write("a.txt", b"Some text about ferries.");
    let first = f.open();
    let _held = first.index().unwrap().writer().unwrap();
    let second = f.open();
    let err = second
        .ingest(std::slice::from_ref(&f.docs), &Silent)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Ingest(IngestError::Search(SearchError::Locked { .. }))
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("another kodiak is writing to "),
        "{err}"
    );
    assert!(second.documents().unwrap().is_empty());
}

#[test]
fn excluded_globs_and_pii_detection_switch_are_honoured() {
    let f = Fixture::new();
    f.write(
        "keep.txt",
        b"Call Dr. Alice Moreau on +44 20 7946 0958 about the ferry.",
    );
    f.write("draft.tmp", b"Temporary ferry notes.");
    let mut config = text_only();
    config.ingest.exclude = vec!["*.tmp".into()];
    config.pii.detect = false;
    let kodiak = Kodiak::open(Settings::in_dir(&f.root, config)).unwrap();
    let report = ingest(&kodiak, &[&f.docs]);
    assert_eq!(report.files, 1);
    assert_eq!(report.documents[0].pii, 0);
    drop(kodiak);

    // With detection on (the default), the same text yields spans with placeholders.
    let g = Fixture::new();
    g.write(
        "keep.txt",
        b"Call Dr. Alice Moreau on +44 20 7946 0958 about the ferry.",
    );
    let kodiak = g.open();
    let report = ingest(&kodiak, &[&g.docs]);
    let id = report.documents[0].id;
    let text = kodiak.document_text(id).unwrap().unwrap();
    let placeholders: Vec<&str> = text.pii.iter().map(|s| s.placeholder.as_str()).collect();
    assert_eq!(placeholders, ["[PERSON_1]", "[PHONE_NUMBER_1]"]);
    let chars: Vec<char> = text.text.chars().collect();
    let person: String = chars[text.pii[0].start..text.pii[0].end].iter().collect();
    assert_eq!(person, "Alice Moreau");
}

/// Asks to stop once `after` files are done.
struct StopAfter {
    after: usize,
    done: std::cell::Cell<usize>,
}

impl Progress for StopAfter {
    fn started(&self, _: usize, _: u64) {}
    fn file_done(&self, _: &str, _: u64, _: &Outcome) {
        self.done.set(self.done.get() + 1);
    }
    fn indexing(&self) {}
    fn cancelled(&self) -> bool {
        self.done.get() >= self.after
    }
}

#[test]
fn a_cancelled_ingest_keeps_what_it_stored_indexed_and_the_next_one_reads_the_rest() {
    let fixture = Fixture::new();
    for n in 0..300 {
        fixture.write(
            &format!("memo-{n:03}.txt"),
            format!("Memo {n}: the quarterly audit of site {n} is due.").as_bytes(),
        );
    }
    let kodiak = fixture.open();
    let stop = StopAfter {
        after: 1,
        done: std::cell::Cell::new(0),
    };
    let report = kodiak
        .ingest(std::slice::from_ref(&fixture.docs), &stop)
        .unwrap();
    assert!(report.cancelled);
    assert!(
        report.ingested >= 1 && report.ingested < 300,
        "stopped early: {} ingested",
        report.ingested
    );
    let stored = documents::list(&kodiak.database().conn().unwrap())
        .unwrap()
        .len();
    assert_eq!(stored, report.ingested, "every file read was stored");
    assert_index_matches_database(&kodiak);

    let rest = ingest(&kodiak, &[&fixture.docs]);
    assert!(!rest.cancelled);
    assert_eq!(rest.ingested + rest.unchanged, 300);
    assert_eq!(rest.unchanged, report.ingested, "nothing read twice");
    assert_index_matches_database(&kodiak);
}
