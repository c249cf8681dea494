//! Productions from the command line, read back as the other side would: documents of every
//! format with known personal data, a privileged e-mail with its attachment withheld, an
//! e-mail family produced, a reviewer's redaction, a whole page redacted, a typed PDF and a
//! scanned page. Checked with Poppler's `pdftotext`, by searching the PDFs' decompressed
//! bytes, and by parsing the DAT and OPT back. Needs poppler-utils and tesseract
//! (scripts/setup installs them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use common::Sandbox;
use kodiak::production::load_files::{DAT_FIELDS, parse_dat, parse_opt};
use serde_json::Value;
use support::corpus::Rng;
use support::scans;

const NOTES: &str = "Project notes\n\nCall Dana Whitfield on +1 415 555 0172 or write to \
dana.whitfield@example.org about the Bluebird acquisition.\nThe board meets on Friday.\n";

/// The phrase a reviewer redacts by hand in NOTES.
const PHRASE: &str = "Bluebird acquisition";

const PAGE_HTML: &str = "<html><head><title>Supplier contacts</title></head><body>\
<h1>Supplier contacts</h1><p>Accounts: Priya Raman, priya.raman@suppliers.example, \
phone (212) 555-0198.</p></body></html>";

const PRIVILEGED: &str = "From: Ann Lee <ann@acme.example>\r\n\
To: Counsel <counsel@lawfirm.example>\r\nSubject: Advice on the indemnity\r\n\
Date: Mon, 3 Feb 2025 09:00:00 +0000\r\nMessage-ID: <adv@acme.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n\
--XX\r\nContent-Type: text/plain\r\n\r\n\
Please advise whether the marigold indemnity survives termination.\r\n\
--XX\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"draft.txt\"\r\n\r\n\
Draft position paper on the marigold indemnity for counsel.\r\n--XX--\r\n";

const FAMILY: &str = "From: Bob Byrne <bob@globex.example>\r\n\
To: Ann Lee <ann@acme.example>\r\nSubject: Delivery schedule\r\n\
Date: Tue, 4 Feb 2025 10:00:00 +0000\r\nMessage-ID: <sched@globex.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"YY\"\r\n\r\n\
--YY\r\nContent-Type: text/plain\r\n\r\nThe schedule is attached.\r\n\
--YY\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"schedule.txt\"\r\n\r\n\
Pumps ship on 10 March from the Harbour Road depot.\r\n--YY--\r\n";

fn documents(sandbox: &Sandbox) -> Vec<Value> {
    sandbox
        .json(&["docs", "list", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

fn id_of(docs: &[Value], file: &str) -> i64 {
    docs.iter()
        .find(|d| d["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("no document {file}"))["id"]
        .as_i64()
        .unwrap()
}

fn pdftotext(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext is installed (poppler-utils; scripts/setup installs it)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn decompressed(path: &Path) -> Vec<u8> {
    let mut doc = lopdf::Document::load(path).unwrap();
    doc.decompress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn a_production_numbers_every_page_withholds_with_slip_sheets_burns_redactions_in_and_its_load_files_agree()
 {
    scans::require_ocr_tools();
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let root = sandbox.path().join("matter");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a-notes.txt"), NOTES).unwrap();
    std::fs::write(root.join("b-contacts.html"), PAGE_HTML).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs/board-minutes.docx"),
        root.join("c-minutes.docx"),
    )
    .unwrap();
    std::fs::write(root.join("d-advice.eml"), PRIVILEGED).unwrap();
    std::fs::write(root.join("e-schedule.eml"), FAMILY).unwrap();
    let typed = scans::text_pdf(&[
        vec![
            "SERVICES AGREEMENT".to_owned(),
            "Contact: Marcus Oyelaran, marcus.oyelaran@vendor.example".to_owned(),
        ],
        vec!["Schedule 2: fees are set out in the order form.".to_owned()],
    ]);
    scans::put(&root, "f-typed.pdf", &typed);
    let scan_text = vec![
        "CARETAKER NOTICE".to_owned(),
        "Call the caretaker on (503) 555-0142 about the garden.".to_owned(),
    ];
    let raster = scans::render(&scans::text_pdf(&[scan_text]), 200)
        .remove(0)
        .scanned(0.5, 0, &mut Rng(3));
    scans::put(&root, "g-scan.pdf", &scans::image_pdf(&[raster]));
    sandbox.stdout(&["ingest", root.to_str().unwrap()]);

    let docs = documents(&sandbox);
    let notes = id_of(&docs, "a-notes.txt");
    let advice = id_of(&docs, "d-advice.eml");
    let draft = id_of(&docs, "draft.txt");
    let typed_pdf = id_of(&docs, "f-typed.pdf");
    let scan = id_of(&docs, "g-scan.pdf");
    let (notes_s, draft_s, advice_s) = (notes.to_string(), draft.to_string(), advice.to_string());
    for id in [&advice_s, &draft_s] {
        sandbox.stdout(&[
            "review",
            "privilege",
            id,
            "withhold",
            "--basis",
            "attorney-client",
            "--description",
            "Request for legal advice on an indemnity",
        ]);
    }
    let start = NOTES[..NOTES.find(PHRASE).unwrap()].chars().count();
    let span = format!("{start}:{}", start + PHRASE.chars().count());
    sandbox.stdout(&[
        "review",
        "redact",
        &notes_s,
        "--span",
        &span,
        "--reason",
        "Privileged",
    ]);
    sandbox.stdout(&[
        "review",
        "redact",
        &typed_pdf.to_string(),
        "--page",
        "2",
        "--reason",
        "Non-responsive",
    ]);

    // Every value of personal data Kodiak found, to look for afterwards.
    let pii = sandbox.json(&["report", "pii", "--json", "--with-values"]);
    let mut values: Vec<(i64, String)> = pii["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["doc_id"].as_i64().unwrap(),
                f["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        values
            .iter()
            .any(|(d, v)| *d == scan && v.contains("555-0142")),
        "the scanned page's phone number is found by OCR: {values:?}"
    );
    values.push((notes, PHRASE.to_owned()));
    // The withheld e-mail's and attachment's words.
    let withheld_words = ["marigold", "indemnity survives", "position paper"];

    let made = sandbox.json(&[
        "production",
        "new",
        "VOL1",
        "--prefix",
        "ACME",
        "--start",
        "1",
        "--redact-pii",
        "all",
        "--legend",
        "CONFIDENTIAL",
        "--json",
    ]);
    let out = sandbox.path().join("out");
    let run = sandbox.json(&[
        "production",
        "run",
        "VOL1",
        "-o",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(run["documents"], made["documents"]);
    assert_eq!(run["first"], "ACME000001");
    let pages = run["pages"].as_u64().unwrap();
    assert_eq!(run["last"], format!("ACME{pages:06}"));
    assert_eq!(run["withheld"], 2);
    let fallbacks: Vec<&str> = run["whole_page_fallbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        fallbacks.len(),
        1,
        "the scanned page is redacted whole: {run}"
    );

    // The OPT: one line per page, numbered with no gap, each document's first page marked
    // with its page count, which is the PDF's.
    let opt = parse_opt(&std::fs::read_to_string(out.join("DATA/VOL1.opt")).unwrap()).unwrap();
    assert_eq!(opt.len() as u64, pages);
    for (i, line) in opt.iter().enumerate() {
        assert_eq!(line.image_key, format!("ACME{:06}", i + 1));
        assert_eq!(line.volume, "VOL001");
    }
    let (header, rows) =
        parse_dat(&std::fs::read_to_string(out.join("DATA/VOL1.dat")).unwrap()).unwrap();
    assert_eq!(header, DAT_FIELDS.to_vec());
    assert_eq!(rows.len() as u64, made["documents"].as_u64().unwrap());
    let column = |name: &str| DAT_FIELDS.iter().position(|f| *f == name).unwrap();
    for row in &rows {
        let begin = &row[column("BEGBATES")];
        let pdf = out.join(format!("IMAGES/{begin}.pdf"));
        let text = pdftotext(&pdf);
        let page_texts: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        let count: usize = row[column("PAGECOUNT")].parse().unwrap();
        assert_eq!(page_texts.len(), count, "{begin}: {text}");
        let first: usize = begin[4..].parse().unwrap();
        for (p, page) in page_texts.iter().enumerate() {
            assert!(
                page.contains(&format!("ACME{:06}", first + p)),
                "{begin} page {p}"
            );
            assert!(page.contains("CONFIDENTIAL"));
        }
        assert_eq!(
            row[column("ENDBATES")],
            format!("ACME{:06}", first + count - 1)
        );
        let opt_first = opt.iter().find(|l| &l.image_key == begin).unwrap();
        assert_eq!(opt_first.document_pages, Some(count));
        assert_eq!(opt_first.path, format!("IMAGES/{begin}.pdf"));
        assert_eq!(row[column("TEXTPATH")], format!("TEXT/{begin}.txt"));
    }

    // Families: each e-mail's row and its attachment's carry the family's range, the
    // attachment right after its e-mail.
    let shown = sandbox.json(&["production", "show", "VOL1", "--json"]);
    let listed = shown["documents"].as_array().unwrap();
    let row_of = |file: &str| -> usize {
        let id = id_of(&docs, file);
        let begin = listed.iter().find(|d| d["doc_id"] == id).unwrap()["begin"].clone();
        rows.iter()
            .position(|r| r[column("BEGBATES")] == begin.as_str().unwrap())
            .unwrap()
    };
    for (mail, attachment) in [
        ("d-advice.eml", "draft.txt"),
        ("e-schedule.eml", "schedule.txt"),
    ] {
        let (m, a) = (row_of(mail), row_of(attachment));
        assert_eq!(a, m + 1, "{attachment} follows {mail}");
        assert_eq!(rows[m][column("BEGATTACH")], rows[m][column("BEGBATES")]);
        assert_eq!(rows[m][column("ENDATTACH")], rows[a][column("ENDBATES")]);
        assert_eq!(rows[a][column("BEGATTACH")], rows[m][column("BEGBATES")]);
    }
    let schedule = row_of("e-schedule.eml");
    assert_eq!(rows[schedule][column("SUBJECT")], "Delivery schedule");
    assert_eq!(rows[schedule][column("DATE")], "2025-02-04");
    assert_eq!(
        rows[row_of("d-advice.eml")][column("SUBJECT")],
        "",
        "withheld: no metadata"
    );
    let withheld_rows = [row_of("d-advice.eml"), row_of("draft.txt")];

    // Withheld: one slip sheet each, nothing of their text anywhere; in the privilege log.
    let log = std::fs::read_to_string(out.join("privilege-log.csv")).unwrap();
    assert_eq!(log.lines().count(), 3, "{log}");
    assert!(log.contains("Withheld") && log.contains("Attorney-client privilege"));
    let all_files = files(&out);
    for (name, bytes) in &all_files {
        let readable = if name.ends_with(".pdf") {
            let mut text = pdftotext(&out.join(name)).into_bytes();
            text.extend(decompressed(&out.join(name)));
            text
        } else {
            bytes.clone()
        };
        let readable = String::from_utf8_lossy(&readable).to_lowercase();
        let flat = readable.split_whitespace().collect::<Vec<_>>().join(" ");
        for word in withheld_words {
            assert!(!flat.contains(word), "{name} holds withheld text {word:?}");
        }
        // Redacted values: in no PDF's text, no decompressed PDF, no TEXT file, no load file.
        if name.starts_with("privilege-log") {
            continue; // the log names authors and recipients by design
        }
        for (_, value) in &values {
            let value = value.to_lowercase();
            if value.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
                continue;
            }
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(!flat.contains(&value), "{name} leaks {value:?}");
        }
    }
    for row in withheld_rows {
        let begin = &rows[row][column("BEGBATES")];
        let slip = pdftotext(&out.join(format!("IMAGES/{begin}.pdf")));
        assert!(slip.contains("Withheld: privileged"), "{begin}: {slip}");
        assert_eq!(rows[row][column("PAGECOUNT")], "1");
    }
    let produced_notes = all_files
        .iter()
        .find(|(n, b)| {
            n.starts_with("TEXT/") && String::from_utf8_lossy(b).contains("Project notes")
        })
        .unwrap();
    let notes_text = String::from_utf8_lossy(produced_notes.1);
    assert!(
        notes_text.contains("[REDACTED: Privileged]"),
        "{notes_text}"
    );
    assert!(
        notes_text.contains("[REDACTED: PHONE_NUMBER]"),
        "{notes_text}"
    );
    assert!(notes_text.contains("The board meets on Friday."));

    // The same set and decisions give the same files, byte for byte, and a later ingest
    // and later decisions do not renumber or change it.
    let later = sandbox.path().join("later");
    std::fs::create_dir_all(&later).unwrap();
    std::fs::write(
        later.join("0-first.txt"),
        "A document ingested after the set was made.\n",
    )
    .unwrap();
    sandbox.stdout(&["ingest", later.to_str().unwrap()]);
    sandbox.stdout(&[
        "review", "redact", &notes_s, "--span", "0:7", "--reason", "Late",
    ]);
    let again = sandbox.path().join("again");
    sandbox.stdout(&["production", "run", "VOL1", "-o", again.to_str().unwrap()]);
    assert_eq!(files(&again), all_files);

    // The production is in the audit trail with the chain's head.
    let trail = sandbox.stdout(&["audit", "list", "--action", "production_run"]);
    assert_eq!(trail.lines().count(), 2, "{trail}");
    assert!(trail.contains("chain_head"));
}

#[test]
fn production_mistakes_and_a_readable_redacted_value_are_refused_naming_what_to_do_and_nothing_is_written()
 {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let root = sandbox.path().join("matter");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("notes.txt"), NOTES).unwrap();
    sandbox.stdout(&["ingest", root.to_str().unwrap()]);
    let id = documents(&sandbox)[0]["id"].as_i64().unwrap().to_string();

    let fails = |args: &[&str]| -> String {
        let output = sandbox.kodiak().args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(
        fails(&[
            "review", "redact", &id, "--span", "5:99999", "--reason", "x"
        ])
        .contains("characters 5-99999 are not a range")
    );
    assert!(
        fails(&["review", "redact", &id, "--span", "a-b", "--reason", "x"]).contains("START:END")
    );
    assert!(
        fails(&["review", "redact", &id, "--page", "3", "--reason", "x"]).contains("has no page 3")
    );
    assert!(fails(&["review", "privilege", &id, "withhold"]).contains("needs --basis"));
    assert!(
        fails(&[
            "review",
            "privilege",
            &id,
            "withhold",
            "--basis",
            "attorney-client"
        ])
        .contains("needs a description")
    );
    assert!(fails(&["review", "unredact", &id, "4"]).contains("has no redaction 4"));
    sandbox.stdout(&[
        "review",
        "privilege",
        &id,
        "redact",
        "--basis",
        "work-product",
        "--description",
        "Notes",
    ]);
    assert!(fails(&["production", "new", "P", "--prefix", "ACME"]).contains("has no redaction"));
    sandbox.stdout(&["review", "privilege", &id, "none"]);
    assert!(
        fails(&["production", "new", "P", "--prefix", "AC/ME"])
            .contains("cannot be a Bates prefix")
    );
    sandbox.stdout(&["production", "new", "P", "--prefix", "ACME"]);
    assert!(fails(&["production", "new", "P", "--prefix", "ACME"]).contains("exists"));
    assert!(
        fails(&["production", "new", "Q", "--prefix", "ACME", "--start", "1"])
            .contains("already numbered ACME000001-ACME000001")
    );
    // Without --start, numbering goes on after the last set.
    let next = sandbox.json(&["production", "new", "Q", "--prefix", "ACME", "--json"]);
    assert_eq!(next["first"], "ACME000002");
    assert!(fails(&["production", "run", "nope", "-o", "x"]).contains("no production named nope"));
    let busy = sandbox.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "mine").unwrap();
    assert!(
        fails(&["production", "run", "P", "-o", busy.to_str().unwrap()])
            .contains("not an empty folder")
    );
    assert_eq!(
        std::fs::read_to_string(busy.join("keep.txt")).unwrap(),
        "mine"
    );
    // No partial folder is left beside it.
    let leftovers: Vec<String> = std::fs::read_dir(sandbox.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A redacted value the document also writes elsewhere unredacted fails verification,
    // naming the document and page, and leaves nothing behind.
    let twice = sandbox.path().join("twice");
    std::fs::create_dir_all(&twice).unwrap();
    let text = "The Kestrel deal is secret.\nKestrel closes on Friday.\n";
    std::fs::write(twice.join("twice.txt"), text).unwrap();
    sandbox.stdout(&["ingest", twice.to_str().unwrap()]);
    let doc = documents(&sandbox)
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with("twice.txt"))
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    sandbox.stdout(&[
        "review",
        "redact",
        &doc,
        "--span",
        "4:11",
        "--reason",
        "Privileged",
    ]);
    sandbox.stdout(&["production", "new", "LEAK", "--prefix", "LK", "--doc", &doc]);
    let out = sandbox.path().join("leak");
    let error = fails(&["production", "run", "LEAK", "-o", out.to_str().unwrap()]);
    assert!(
        error.contains("failed verification, so nothing was written"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "document {doc} (LK000001): a redacted value (7 characters) can be read on page 1"
        )),
        "{error}"
    );
    assert!(!out.exists());
    let leftovers: Vec<String> = std::fs::read_dir(sandbox.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
