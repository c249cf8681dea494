//! `kodiak ingest`, `search`, `docs` and `reindex`, run as a user would, on the sample
//! documents and on a folder with a bad file in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::Sandbox;
use serde_json::Value;

fn samples() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs")
}

fn json_of(sandbox: &Sandbox, args: &[&str]) -> Value {
    sandbox.json(args)
}

#[test]
fn ingest_the_samples_then_search_show_and_remove() {
    let sandbox = Sandbox::new();
    let samples = samples().display().to_string();
    let report = json_of(&sandbox, &["ingest", "--json", &samples]);
    assert_eq!(report["ingested"], 8);
    assert_eq!(report["duplicates"], 0);
    assert_eq!(report["failed"], serde_json::json!([]));
    assert_eq!(report["needs_ocr"], serde_json::json!([]));
    let documents = report["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 8);
    for doc in documents {
        for key in ["id", "path", "sha256", "pages", "chunks", "pii"] {
            assert!(doc.get(key).is_some(), "{key} missing in {doc}");
        }
        assert!(
            doc["pii"].as_u64().unwrap() > 0,
            "every sample holds fake PII: {doc}"
        );
    }

    // Search: JSON shape, highlighted snippet, the PDF's page.
    let found = json_of(
        &sandbox,
        &[
            "search",
            "--json",
            "--limit",
            "3",
            "total liability is capped",
        ],
    );
    assert_eq!(found["query"], "total liability is capped");
    let hit = &found["hits"][0];
    for key in [
        "doc_id", "chunk_id", "path", "title", "page", "score", "snippet",
    ] {
        assert!(hit.get(key).is_some(), "{key} missing in {hit}");
    }
    assert!(
        hit["path"]
            .as_str()
            .unwrap()
            .ends_with("signed-services-agreement.pdf")
    );
    assert!(
        hit["snippet"].as_str().unwrap().contains("**liability**"),
        "{hit}"
    );

    // Plain output off a terminal keeps the ** marks and has no colour codes.
    let plain = sandbox
        .kodiak()
        .args(["search", "orchard OR \"security deposit"])
        .output()
        .unwrap();
    assert!(plain.status.success());
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(text.contains("**security** **deposit**"), "{text}");
    assert!(!text.contains('\x1b'));

    // Many queries on stdin, answered in order with their ids (exact terms only).
    let output = sandbox
        .kodiak()
        .args(["search", "--stdin", "--limit", "2", "--mode", "bm25"])
        .write_stdin("{\"id\": 7, \"query\": \"rent\"}\nnon-competition\n{\"id\": \"x\"}\n{\"id\": 9, \"query\": \"((( AND\"}\n")
        .output()
        .unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        (lines[0]["id"].clone(), lines[0]["query"].clone()),
        (7.into(), "rent".into())
    );
    assert_eq!(lines[0]["hits"].as_array().unwrap().len(), 2);
    assert_eq!(lines[1]["query"], "non-competition");
    assert!(
        lines[1]["hits"].as_array().unwrap()[0]["path"]
            .as_str()
            .unwrap()
            .contains("employment")
    );
    assert!(lines[2]["error"].is_string());
    assert_eq!(lines[3]["id"], 9, "query syntax is never an error");
    assert!(lines[3]["hits"].is_array());

    // docs show: metadata with PII counts, and the text with page markers.
    let pdf_id = documents
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with(".pdf"))
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let shown = json_of(&sandbox, &["docs", "show", "--json", &pdf_id]);
    assert_eq!(shown["status"], "ingested");
    assert_eq!(shown["pages"], 2);
    assert!(
        shown["pii"]["EMAIL_ADDRESS"].as_u64().unwrap() >= 1,
        "{shown}"
    );
    let text = sandbox
        .kodiak()
        .args(["docs", "show", "--text", &pdf_id])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("──── page 1 ────\n"), "{text}");
    assert!(text.contains("\n──── page 2 ────\n"));

    // docs rm, then reindex: the document stays gone.
    sandbox
        .kodiak()
        .args(["docs", "rm", &pdf_id])
        .assert()
        .success();
    sandbox.kodiak().arg("reindex").assert().success();
    let after = json_of(&sandbox, &["search", "--json", "total liability is capped"]);
    assert!(
        after["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["doc_id"].as_i64() != pdf_id.parse().ok())
    );
    sandbox
        .kodiak()
        .args(["docs", "show", &pdf_id])
        .assert()
        .failure()
        .stderr(predicates::str::contains(format!(
            "no document with id {pdf_id}"
        )));
}

#[test]
fn failed_files_are_reported_and_still_exit_zero() {
    let sandbox = Sandbox::new();
    let folder = sandbox.path().join("inbox");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("good.txt"), "A note on the harbour lease.").unwrap();
    std::fs::write(
        folder.join("broken.pdf"),
        "%PDF-1.7 nothing after the header",
    )
    .unwrap();
    std::fs::write(
        folder.join("scan.pdf"),
        b"\x00\x01\x02 binary garbage \xff\xfe\x00",
    )
    .unwrap();
    let folder = folder.display().to_string();
    let missing = sandbox.path().join("no-such-folder").display().to_string();
    let report = json_of(&sandbox, &["ingest", "--json", &folder, &missing]);
    assert_eq!(report["ingested"], 1);
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 3, "{report}");
    let reason_for = |suffix: &str| {
        failed
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .map(|f| f["reason"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert!(reason_for("broken.pdf").starts_with("corrupt pdf"));
    assert!(reason_for("scan.pdf").contains("binary data"));
    assert_eq!(reason_for("no-such-folder"), "no such file or folder");

    // Plain output names each failure.
    let output = sandbox.kodiak().args(["ingest", &folder]).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("unchanged 1") && stdout.contains("failed 2"),
        "{stdout}"
    );
    assert!(stdout.contains("broken.pdf: corrupt pdf"), "{stdout}");
}

#[test]
fn an_unreadable_password_file_is_named_and_nothing_is_ingested() {
    let sandbox = Sandbox::new();
    let folder = sandbox.path().join("inbox");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("good.txt"), "A note on the harbour lease.").unwrap();
    let missing = sandbox.path().join("passwords.txt");
    let output = sandbox
        .kodiak()
        .args(["ingest", "--password-file"])
        .arg(&missing)
        .arg(&folder)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "cannot read the password file {}",
            missing.display()
        )),
        "{stderr}"
    );
    let documents = json_of(&sandbox, &["docs", "list", "--json"]);
    assert_eq!(documents.as_array().map(Vec::len), Some(0), "{documents}");
}

#[test]
fn vectors_shows_the_choice_and_refuses_an_unknown_one_or_vectors_without_an_embedding_model() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n");
    assert_eq!(
        sandbox.stdout(&["vectors"]).trim(),
        "vectors: none: search by words alone (the default, [embedder] vectors)"
    );
    let unknown = sandbox
        .kodiak()
        .args(["vectors", "sometimes"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        said.contains("\"sometimes\"") && said.contains("none") && said.contains("fast"),
        "{said}"
    );
    let fast = sandbox.kodiak().args(["vectors", "fast"]).output().unwrap();
    assert!(!fast.status.success());
    let said = String::from_utf8_lossy(&fast.stderr);
    assert!(said.contains("[embedder] enabled = true"), "{said}");
}
