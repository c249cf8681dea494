//! `kodiak matter`: separate workspaces. Search, ask and checklists in one matter never see
//! another's documents; a data directory from before matters opens as the default matter;
//! an archived matter is read-only; a mistyped matter is refused, never made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use serde_json::Value;

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    sandbox
}

/// Writes `text` to `name` in a folder of its own and ingests it into `matter`.
fn ingest(sandbox: &Sandbox, matter: &str, name: &str, text: &str) {
    let dir = sandbox.path().join("docs").join(matter);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
    sandbox.stdout(&["--matter", matter, "ingest", dir.to_str().unwrap()]);
}

fn paths_in(values: &[Value]) -> Vec<String> {
    let mut paths: Vec<String> = values
        .iter()
        .map(|v| v["path"].as_str().unwrap().to_owned())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn search_ask_and_checklists_in_one_matter_never_see_another_matters_documents() {
    let sandbox = sandbox();
    sandbox.stdout(&["matter", "new", "acme"]);
    sandbox.stdout(&["matter", "new", "beta"]);
    ingest(
        &sandbox,
        "acme",
        "acme-msa.txt",
        "The Supplier shall indemnify the Customer. This Agreement is governed by the laws \
         of England.",
    );
    ingest(
        &sandbox,
        "beta",
        "beta-lease.txt",
        "The Tenant shall indemnify the Landlord. This Lease is governed by the laws of \
         Scotland.",
    );

    let hits = sandbox.json(&["--matter", "acme", "search", "--json", "indemnify governed"]);
    let hits = paths_in(hits["hits"].as_array().unwrap());
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].ends_with("acme-msa.txt"), "{hits:?}");

    let answer = sandbox.json(&[
        "--matter",
        "beta",
        "ask",
        "--no-llm",
        "--json",
        "Who shall indemnify whom, and under which laws?",
    ]);
    let cited = paths_in(answer["citations"].as_array().unwrap());
    assert!(!cited.is_empty());
    assert!(
        cited.iter().all(|p| p.ends_with("beta-lease.txt")),
        "{cited:?}"
    );

    let checklist = sandbox.path().join("law.toml");
    std::fs::write(
        &checklist,
        "title = \"Law\"\n[[item]]\nid = \"law\"\nquestion = \"Which law governs?\"\n\
         terms = [\"governed by the laws of\"]\nanswer = \"text\"\n",
    )
    .unwrap();
    let grid = sandbox.json(&[
        "--matter",
        "acme",
        "review",
        "run",
        checklist.to_str().unwrap(),
        "--json",
    ]);
    let rows = paths_in(grid["rows"].as_array().unwrap());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].ends_with("acme-msa.txt"));

    // Each matter's audit trail holds its own actions only.
    let beta_trail = sandbox.json(&["--matter", "beta", "audit", "list", "--json"]);
    let actions: Vec<&str> = beta_trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"ask"), "{actions:?}");
    assert!(
        !actions.iter().any(|a| a.starts_with("checklist")),
        "{actions:?}"
    );
    // And the default matter has seen none of it.
    let default = sandbox.json(&["docs", "list", "--json"]);
    assert_eq!(default.as_array().unwrap().len(), 0);
}

#[test]
fn a_data_directory_from_before_matters_opens_as_the_default_matter() {
    let sandbox = sandbox();
    // Ingested with no matter named: the layout Kodiak always had.
    let dir = sandbox.path().join("docs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("memo.txt"), "A memo about the quarterly audit.").unwrap();
    sandbox.stdout(&["ingest", dir.to_str().unwrap()]);
    sandbox.stdout(&["review", "set", "1", "reviewed"]);
    assert!(sandbox.data_dir().join("kodiak.db").is_file());

    sandbox.stdout(&["matter", "new", "acme"]);
    let listed = sandbox.json(&["matter", "list", "--json"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed[0]["name"], "default");
    assert_eq!(listed[0]["documents"], 1);
    assert_eq!(listed[0]["current"], true);
    assert_eq!(listed[1]["name"], "acme");

    let shown = sandbox.json(&["--matter", "default", "matter", "show", "--json"]);
    assert_eq!(shown["documents"], 1);
    assert_eq!(shown["reviewed"], 1);
    assert!(shown["audit"]["broken"].is_null());
    let review = sandbox.json(&["review", "show", "1", "--json"]);
    assert_eq!(review["status"], "reviewed");
}

#[test]
fn an_archived_matter_is_reported_on_but_not_changed_until_reopened() {
    let sandbox = sandbox();
    sandbox.stdout(&["matter", "new", "acme", "--description", "Acme v. Beta"]);
    ingest(
        &sandbox,
        "acme",
        "a.txt",
        "The Supplier shall indemnify the Customer.",
    );
    sandbox.stdout(&["matter", "archive", "acme"]);

    let refused = sandbox
        .kodiak()
        .args(["--matter", "acme", "review", "set", "1", "reviewed"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("matter \"acme\" is archived"), "{error}");
    assert!(error.contains("kodiak matter reopen acme"), "{error}");
    let refused = sandbox
        .kodiak()
        .args([
            "--matter",
            "acme",
            "ingest",
            sandbox.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is archived"));

    // Reading, searching and reporting go on, and are recorded.
    let report = sandbox.json(&["--matter", "acme", "review", "export", "--format", "json"]);
    assert_eq!(report["matter"], "acme");
    assert_eq!(report["documents"].as_array().unwrap().len(), 1);
    sandbox.stdout(&["--matter", "acme", "search", "indemnify"]);

    sandbox.stdout(&["matter", "reopen", "acme"]);
    sandbox.stdout(&["--matter", "acme", "review", "set", "1", "reviewed"]);
    let trail = sandbox.json(&[
        "--matter", "acme", "audit", "list", "--json", "--action", "matter",
    ]);
    let ops: Vec<String> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let detail: Value = serde_json::from_str(e["detail"].as_str().unwrap()).unwrap();
            detail["op"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ops, ["new", "archive", "reopen"]);
    sandbox.stdout(&["--matter", "acme", "audit", "verify"]);
}

#[test]
fn a_mistyped_or_invalid_matter_is_refused_with_exit_2_and_nothing_is_made() {
    let sandbox = sandbox();
    sandbox.stdout(&["matter", "new", "acme"]);
    for (args, says) in [
        (
            vec!["--matter", "acne", "docs", "list"],
            "no matter named \"acne\" (there are: default, acme)",
        ),
        (
            vec!["--matter", "../etc", "docs", "list"],
            "invalid matter name \"../etc\"",
        ),
        (vec!["matter", "new", "a/b"], "invalid matter name \"a/b\""),
        (
            vec!["matter", "new", "acme"],
            "a matter named \"acme\" exists already",
        ),
    ] {
        let output = sandbox.kodiak().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains(says), "{args:?}: {error}");
    }
    assert!(!sandbox.data_dir().join("matters").join("acne").exists());
}
