//! `kodiak review`: status, tags and notes stored at once, bad input refused with nothing
//! changed, and the report in its three formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use serde_json::Value;

/// A sandbox with two plain-text documents, the lease holding fake PII, and their ids
/// (lease, memo); no models are needed for review.
fn reviewed_sandbox() -> (Sandbox, String, String) {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let docs = sandbox.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(
        docs.join("a-lease.txt"),
        "Lease between the parties. Contact jane.roe@example.com or Mr John Smith.",
    )
    .unwrap();
    std::fs::write(docs.join("b-memo.txt"), "A memo about the quarterly audit.").unwrap();
    sandbox
        .kodiak()
        .args(["ingest", docs.to_str().unwrap()])
        .assert()
        .success();
    let listed: Value = serde_json::from_str(&run(&sandbox, &["docs", "list", "--json"])).unwrap();
    let id_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"].as_str().unwrap().ends_with(name))
            .map(|d| d["id"].to_string())
            .unwrap()
    };
    let (lease, memo) = (id_of("a-lease.txt"), id_of("b-memo.txt"));
    (sandbox, lease, memo)
}

fn run(sandbox: &Sandbox, args: &[&str]) -> String {
    sandbox.stdout(args)
}

fn review_json(sandbox: &Sandbox, id: &str) -> Value {
    serde_json::from_str(&run(sandbox, &["review", "show", id, "--json"])).unwrap()
}

#[test]
fn status_flag_tags_and_notes_are_stored_with_who_and_reported() {
    let (sandbox, lease, memo) = reviewed_sandbox();
    let (lease, memo) = (lease.as_str(), memo.as_str());
    assert_eq!(review_json(&sandbox, lease)["status"], "unreviewed");

    run(&sandbox, &["review", "set", lease, "flagged"]);
    run(
        &sandbox,
        &["review", "tag", lease, "hot", " privileged ", "hot"],
    );
    run(
        &sandbox,
        &[
            "review",
            "note",
            lease,
            "Check the renewal clause, then ask Legal.",
        ],
    );
    run(&sandbox, &["review", "set", memo, "reviewed"]);
    // A flag is apart from the status: the memo is reviewed and flagged, then unflagged.
    run(&sandbox, &["review", "set", memo, "flagged"]);
    let memo_review = review_json(&sandbox, memo);
    assert_eq!(memo_review["status"], "reviewed");
    assert_eq!(memo_review["flagged"], true);
    run(&sandbox, &["review", "set", memo, "unflagged"]);
    assert_eq!(review_json(&sandbox, memo)["flagged"], false);
    run(&sandbox, &["review", "tag", memo, "routine", "drop-me"]);
    run(&sandbox, &["review", "untag", memo, "drop-me"]);

    let first = review_json(&sandbox, lease);
    assert_eq!(first["status"], "unreviewed");
    assert_eq!(first["flagged"], true);
    // Who did it: the OS user running Kodiak.
    let user = first["updated_by"].as_str().unwrap().to_owned();
    assert!(!user.is_empty());
    assert_eq!(first["notes"][0]["author"], user.as_str());
    assert_eq!(first["tags"], serde_json::json!(["hot", "privileged"]));
    assert_eq!(
        first["notes"][0]["text"],
        "Check the renewal clause, then ask Legal."
    );
    assert!(first["updated_at"].is_string());
    assert_eq!(
        review_json(&sandbox, memo)["tags"],
        serde_json::json!(["routine"])
    );

    let report: Value =
        serde_json::from_str(&run(&sandbox, &["review", "export", "--format", "json"])).unwrap();
    assert_eq!(report["summary"]["documents"], 2);
    assert_eq!(report["summary"]["reviewed"], 1);
    assert_eq!(report["summary"]["flagged"], 1);
    let documents = report["documents"].as_array().unwrap();
    let lease_row = documents
        .iter()
        .find(|d| d["doc_id"].as_i64() == lease.parse().ok())
        .unwrap();
    assert!(lease_row["path"].as_str().unwrap().ends_with("a-lease.txt"));
    assert_eq!(lease_row["status"], "unreviewed");
    assert_eq!(lease_row["flagged"], true);
    assert_eq!(lease_row["pii"]["EMAIL_ADDRESS"], 1);
    assert_eq!(lease_row["pii"]["PERSON"], 1);

    let csv = run(&sandbox, &["review", "export", "--format", "csv"]);
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.contains("review_status,flagged,reviewed_at,reviewed_by,tags,notes,pii_total"),
        "{header}"
    );
    assert!(header.ends_with("pii_EMAIL_ADDRESS,pii_PERSON"), "{header}");
    assert!(csv.contains(",unreviewed,yes,"), "{csv}");
    assert!(csv.contains("\"hot, privileged\""));

    // To a file, replaced atomically.
    let out = sandbox.path().join("report.md");
    run(
        &sandbox,
        &[
            "review",
            "export",
            "--format",
            "md",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(
        md.contains("2 documents: 1 reviewed, 1 unreviewed, 1 flagged"),
        "{md}"
    );
    assert!(md.contains("- Tags: hot, privileged"));
    assert!(md.contains("- Personal data: EMAIL_ADDRESS 1, PERSON 1"));
}

#[test]
fn bad_review_input_is_refused_and_nothing_changes() {
    let (sandbox, lease, _) = reviewed_sandbox();
    let lease = lease.as_str();
    run(&sandbox, &["review", "tag", lease, "kept"]);
    let before = review_json(&sandbox, lease);

    for (args, message) in [
        (
            vec!["review", "set", "99", "reviewed"],
            "no document with id 99",
        ),
        (vec!["review", "tag", lease, "   "], "a tag cannot be empty"),
        (
            vec!["review", "tag", lease, "a,b"],
            "control characters or commas",
        ),
        (vec!["review", "note", lease, ""], "a note cannot be empty"),
    ] {
        let output = sandbox.kodiak().args(&args).output().unwrap();
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let long = "x".repeat(65);
    let output = sandbox
        .kodiak()
        .args(["review", "tag", lease, &long])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("at most 64 characters"));
    let output = sandbox
        .kodiak()
        .args(["review", "set", lease, "done"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "clap names the valid values");
    assert_eq!(review_json(&sandbox, lease), before);

    // Removing a document removes its review with it.
    run(&sandbox, &["docs", "rm", lease]);
    let report: Value =
        serde_json::from_str(&run(&sandbox, &["review", "export", "--format", "json"])).unwrap();
    assert_eq!(report["summary"]["documents"], 1);
}
