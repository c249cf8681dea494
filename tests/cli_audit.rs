//! `kodiak audit`: every action recorded with who and where, the question masked and no
//! answer text, and an entry edited, deleted or reordered with the sqlite3 shell named by
//! `audit verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use serde_json::Value;

/// A sandbox without models where a document was ingested, reviewed, tagged, noted, asked
/// about and exported.
fn audited() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let docs = sandbox.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(
        docs.join("lease.txt"),
        "The tenant pays rent of USD 1,200 on the first day of each month.",
    )
    .unwrap();
    sandbox.stdout(&["ingest", docs.to_str().unwrap()]);
    sandbox.stdout(&["review", "set", "1", "reviewed"]);
    sandbox.stdout(&["review", "tag", "1", "lease"]);
    sandbox.stdout(&["review", "note", "1", "rent looks high"]);
    sandbox.stdout(&[
        "ask",
        "--no-llm",
        "What rent does jane.roe@example.com pay?",
    ]);
    sandbox.stdout(&["review", "export", "--format", "csv"]);
    sandbox
}

/// Runs SQL on the sandbox's database with the sqlite3 shell.
fn sqlite3(sandbox: &Sandbox, sql: &str) {
    let db = sandbox.data_dir().join("kodiak.db");
    let status = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(sql)
        .status()
        .unwrap_or_else(|e| {
            panic!("these tests need the sqlite3 shell ({e}): run scripts/setup or apt-get install sqlite3")
        });
    assert!(status.success(), "sqlite3 {sql}");
}

fn verify(sandbox: &Sandbox) -> (Option<i32>, String) {
    let output = sandbox.kodiak().args(["audit", "verify"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), text)
}

#[test]
fn every_action_is_recorded_with_who_and_where_and_the_question_masked_without_the_answer() {
    let sandbox = audited();
    let entries: Value = sandbox.json(&["audit", "list", "--json"]);
    let entries = entries.as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "config", "stored", "ingest", "review", "tag", "note", "ask", "export"
        ]
    );
    for entry in entries {
        assert!(!entry["user"].as_str().unwrap().is_empty());
        assert!(!entry["host"].as_str().unwrap().is_empty());
        assert!(entry["uid"].is_u64());
    }
    let stored: Value = serde_json::from_str(entries[1]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(stored["documents"], serde_json::json!([1]));
    let ask: Value = serde_json::from_str(entries[6]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(ask["question"], "What rent does <EMAIL_ADDRESS> pay?");
    assert_eq!(ask["cited_chunks"].as_array().unwrap().len(), 1);
    let all = serde_json::to_string(entries).unwrap();
    assert!(!all.contains("jane.roe"), "{all}");
    assert!(!all.contains("first day of each month"), "{all}");
    assert!(!all.contains("rent looks high"), "{all}");
    let filtered = sandbox.json(&["audit", "list", "--json", "--action", "tag"]);
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let (code, text) = verify(&sandbox);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("audit trail intact: 8 entries"), "{text}");
    // A report carries the head it was made at; its export entry records the same head.
    let report = sandbox.json(&["review", "export", "--format", "json"]);
    let head = &report["audit_chain_head"];
    assert_eq!(head["seq"], 8);
    assert_eq!(head["hash"], entries[7]["hash"]);
    let exports = sandbox.json(&["audit", "list", "--json", "--action", "export"]);
    let last: Value = serde_json::from_str(exports[1]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(last["chain_head"], entries[7]["hash"]);
    let markdown = sandbox.stdout(&["review", "export"]);
    assert!(
        markdown.contains("audit trail head: entry 9, "),
        "{markdown}"
    );
}

#[test]
fn an_entry_edited_with_the_sqlite3_shell_is_named_by_verify() {
    let sandbox = audited();
    sqlite3(
        &sandbox,
        "UPDATE audit_log SET user = 'mallory' WHERE seq = 4;",
    );
    let (code, text) = verify(&sandbox);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("entry 4 was changed after it was written"),
        "{text}"
    );
}

#[test]
fn an_entry_deleted_with_the_sqlite3_shell_is_named_as_missing() {
    let sandbox = audited();
    sqlite3(&sandbox, "DELETE FROM audit_log WHERE seq = 3;");
    let (code, text) = verify(&sandbox);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("entry 3 is missing"), "{text}");
}

#[test]
fn entries_reordered_with_the_sqlite3_shell_are_named() {
    let sandbox = audited();
    sqlite3(
        &sandbox,
        "UPDATE audit_log SET seq = 100 WHERE seq = 5; \
         UPDATE audit_log SET seq = 5 WHERE seq = 6; \
         UPDATE audit_log SET seq = 6 WHERE seq = 100;",
    );
    let (code, text) = verify(&sandbox);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("entry 5 does not follow entry 4"), "{text}");
}

#[test]
fn the_newest_entries_deleted_with_the_sqlite3_shell_are_reported_missing_against_the_head_file() {
    let sandbox = audited();
    sqlite3(&sandbox, "DELETE FROM audit_log WHERE seq > 5;");
    let (code, text) = verify(&sandbox);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("the newest entries after 5 are missing: the head file records entry 8"),
        "{text}"
    );
}

#[test]
fn a_wiped_trail_is_reported_and_the_next_entry_goes_on_from_the_recorded_head() {
    let sandbox = audited();
    sqlite3(&sandbox, "DELETE FROM audit_log;");
    // Opening records the settings again (the trail has no config entry now): the entry
    // does not start a new chain at 1 that would verify, it follows the recorded head, so
    // the gap stays in the trail.
    let (code, text) = verify(&sandbox);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("entries 1 to 8 are missing (the next is 9)"),
        "{text}"
    );
    let entries = sandbox.json(&["audit", "list", "--json"]);
    assert_eq!(entries[0]["seq"], 9, "{entries}");
    assert_eq!(entries[0]["action"], "config", "{entries}");
}

#[test]
fn a_trail_restarted_after_its_head_records_were_deleted_too_is_reported_from_the_log() {
    let sandbox = audited();
    sqlite3(
        &sandbox,
        "DELETE FROM audit_log; DELETE FROM meta WHERE key = 'audit_head';",
    );
    std::fs::remove_file(sandbox.data_dir().join("audit-head.json")).unwrap();
    let (code, text) = verify(&sandbox);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("the newest entries after 1 are missing: the log records entry 8"),
        "{text}"
    );
}
