//! Checklists from the command line: a bad checklist named by line and key, a run killed
//! with SIGKILL resumed to the end with every cell once, decisions exported with who made
//! them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::Sandbox;
use serde_json::Value;

const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/checklists/commercial-contract.toml"
);

/// A sandbox without models holding `count` short supply agreements.
fn contracts(count: usize) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let docs = sandbox.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for i in 0..count {
        std::fs::write(
            docs.join(format!("supply-{i:03}.txt")),
            format!(
                "SUPPLY AGREEMENT {i}\n\nThis Agreement is made between Acme Ltd (the Supplier) \
                 and Birch plc (the Customer).\n\n1. This Agreement is governed by the laws of \
                 England and Wales.\n\n2. The Supplier's aggregate liability shall not exceed \
                 USD {i},000.\n\n3. The Customer shall pay each invoice within thirty (30) days \
                 of receipt.\n"
            ),
        )
        .unwrap();
    }
    sandbox
        .kodiak()
        .args(["ingest", docs.to_str().unwrap()])
        .assert()
        .success();
    sandbox
}

#[test]
fn checklist_check_names_the_line_and_key_of_a_mistake_and_passes_the_shipped_ones() {
    let sandbox = Sandbox::new();
    let bad = sandbox.path().join("bad.toml");
    std::fs::write(
        &bad,
        "title = \"Mine\"\n\n[[item]]\nid = \"law\"\nquestion = \"Which law?\"\nanswr = \"text\"\n",
    )
    .unwrap();
    let output = sandbox
        .kodiak()
        .args(["checklist", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.toml, line 6: key `item[0].answr`"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown field `answr`"), "{stderr}");
    for shipped in ["commercial-contract.toml", "privacy-dpa.toml"] {
        let path = format!("{}/assets/checklists/{shipped}", env!("CARGO_MANIFEST_DIR"));
        let out = sandbox.stdout(&["checklist", "check", &path]);
        assert!(out.starts_with("checklist OK"), "{out}");
    }
    // A run refuses it too, before touching anything.
    let output = sandbox
        .kodiak()
        .args(["review", "run", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn review_run_takes_a_shipped_checklist_by_name_in_any_directory_and_names_them_when_unknown() {
    let sandbox = contracts(2);
    let elsewhere = tempfile::tempdir().unwrap();
    let output = sandbox
        .kodiak()
        .current_dir(elsewhere.path())
        .args(["review", "run", "privacy-dpa", "--no-llm", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let job = job(&sandbox);
    assert_eq!(job["checklist"], "privacy-dpa");
    assert_eq!(job["state"], "done");
    let output = sandbox
        .kodiak()
        .current_dir(elsewhere.path())
        .args(["review", "run", "leases", "--no-llm"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "no checklist file leases and no shipped checklist of that name: give a TOML file \
             or one of commercial-contract, privacy-dpa"
        ),
        "{stderr}"
    );
}

fn job(sandbox: &Sandbox) -> Value {
    let jobs = sandbox.json(&["review", "jobs", "--json"]);
    jobs.as_array()
        .unwrap()
        .first()
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn a_run_killed_with_sigkill_is_interrupted_and_resumes_to_every_cell_once() {
    // 300 documents × 26 items: seconds of work, so the kill lands mid-run.
    let sandbox = contracts(300);
    let mut child = sandbox
        .plain()
        .args(["review", "run", SHIPPED, "--no-llm"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Waits for cells to be stored (no timing assumed: it polls what is stored).
    common::wait_until("50 cells stored", Duration::from_secs(120), || {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        (job(&sandbox)["cells"].as_u64().unwrap_or(0) >= 50).then_some(())
    });
    child.kill().unwrap();
    common::wait_for_exit(&mut child, "the killed run", Duration::from_secs(30));
    let killed = job(&sandbox);
    let total = killed["total"].as_u64().unwrap();
    assert_eq!(total, 300 * 26);
    let stored = killed["cells"].as_u64().unwrap();
    assert!(stored >= 50 && stored < total, "{killed}");
    assert_eq!(killed["state"], "running");
    assert_eq!(killed["interrupted"], true);
    let id = killed["id"].to_string();
    let grid = sandbox.json(&["review", "resume", &id, "--json"]);
    let resumed = job(&sandbox);
    assert_eq!(resumed["state"], "done");
    assert_eq!(resumed["cells"].as_u64(), Some(total));
    // Every document has every item, once (cells are keyed by job, document and item).
    let rows = grid["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 300);
    for row in rows {
        assert_eq!(row["cells"].as_object().unwrap().len(), 26, "{row}");
        assert_eq!(row["cells"]["governing_law"]["state"], "found");
        let cap = &row["cells"]["liability_cap"];
        assert!(cap["answer"].as_str().unwrap().starts_with("USD "), "{cap}");
    }
}

#[test]
fn a_decision_is_exported_with_who_made_it_and_survives_a_new_run() {
    let sandbox = contracts(2);
    let grid = sandbox.json(&["review", "run", SHIPPED, "--no-llm", "--json"]);
    let id = grid["job"]["id"].to_string();
    let doc_id = grid["rows"][0]["doc_id"].clone();
    let doc = doc_id.to_string();
    let cell = sandbox.stdout(&[
        "review",
        "decide",
        &id,
        &doc,
        "payment_terms",
        "--answer",
        "30 days net",
        "--note",
        "checked against the PO",
    ]);
    assert!(cell.contains("decision  corrected by"), "{cell}");
    let csv = sandbox.stdout(&["review", "export", &id, "--format", "csv"]);
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("doc_id,document,path,parties,"),
        "{header}"
    );
    // The reviewer's answer is their own: no page of the suggestion's quotes is given for it.
    assert!(csv.contains("found: 30 days net (corrected by"), "{csv}");
    let markdown = sandbox.stdout(&["review", "export", &id]);
    assert!(markdown.contains("| Document |"), "{markdown}");
    assert!(
        markdown.contains("note: checked against the PO"),
        "{markdown}"
    );
    // A second run of the same checklist shows the decision beside its own suggestion.
    let again = sandbox.json(&["review", "run", SHIPPED, "--no-llm", "--json"]);
    let row = again["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["doc_id"] == doc_id)
        .unwrap();
    let payment = &row["cells"]["payment_terms"];
    assert_eq!(payment["answer"], "30 days net");
    assert_eq!(payment["decision"]["decision"], "corrected");
    assert_eq!(payment["suggestion"]["answer"], "thirty (30) days");
}
