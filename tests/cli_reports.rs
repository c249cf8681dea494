//! `kodiak report terms` and `kodiak report pii` on real ingested documents: counts that
//! counsel can negotiate with (email families counted together), and a redaction log that
//! names every finding without showing its value.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use serde_json::Value;

/// An email with two attachments, and a letter on its own.
fn sandbox_with_documents() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let docs = sandbox.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let email = "From: \"Ann Lee\" <ann.lee@example.com>\r\nTo: bob@example.com\r\n\
        Subject: Draft MSA\r\nDate: Tue, 17 Feb 2026 09:42:15 -0600\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
        --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Please confirm the Supplier will indemnify us. Write to jane.roe@example.com.\r\n\
        --b1\r\nContent-Type: text/plain; name=\"msa.txt\"\r\n\
        Content-Disposition: attachment; filename=\"msa.txt\"\r\n\r\n\
        The Supplier shall indemnify the Customer and shall indemnify its officers. \
        Disputes go to arbitration.\r\n\
        --b1\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n\
        Content-Disposition: attachment; filename=\"notes.txt\"\r\n\r\n\
        Nothing of note.\r\n--b1--\r\n";
    std::fs::write(docs.join("draft.eml"), email).unwrap();
    std::fs::write(
        docs.join("letter.txt"),
        "Any claim goes to arbitration in London. Copy jane.roe@example.com please.",
    )
    .unwrap();
    sandbox.stdout(&["ingest", docs.to_str().unwrap()]);
    sandbox
}

fn row<'a>(report: &'a Value, term: &str) -> &'a Value {
    report["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["term"] == term)
        .unwrap_or_else(|| panic!("no row for {term}: {report}"))
}

fn counts(row: &Value) -> [u64; 6] {
    [
        "documents",
        "unique_documents",
        "hits",
        "families",
        "family_documents",
        "unique_families",
    ]
    .map(|key| row[key].as_u64().unwrap())
}

#[test]
fn term_counts_are_per_document_and_per_email_family() {
    let sandbox = sandbox_with_documents();
    let report = sandbox.json(&["report", "terms", "indemnify", "arbitration", "--json"]);
    assert_eq!(report["documents_searched"], 4);
    assert_eq!(report["families_searched"], 2);
    // The message and its first attachment; three times; one family of three documents,
    // which arbitration hits too.
    assert_eq!(counts(row(&report, "indemnify")), [2, 1, 3, 1, 3, 0]);
    // The attachment and the letter: two families, the letter's its own.
    assert_eq!(counts(row(&report, "arbitration")), [2, 1, 2, 2, 4, 1]);
    assert_eq!(report["documents_hit"], 3);
    assert_eq!(report["family_documents_hit"], 4);
    assert_eq!(report["matter"], "default");
    assert!(report["audit_chain_head"]["hash"].is_string());
}

#[test]
fn terms_come_from_files_and_arguments_and_a_scope_limits_the_documents() {
    let sandbox = sandbox_with_documents();
    let file = sandbox.path().join("terms.txt");
    std::fs::write(
        &file,
        "# agreed with opposing counsel\nindemn*\n\n\"shall indemnify\"\n",
    )
    .unwrap();
    let csv = sandbox.stdout(&[
        "report",
        "terms",
        file.to_str().unwrap(),
        "arbitrat*",
        "--csv",
    ]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "term,documents_with_hits,unique_documents,total_hits,families_with_hits,\
         documents_in_families_with_hits,unique_families,threads_with_hits"
    );
    // The message says "will indemnify": only indemn* hits it.
    // The e-mail is a thread of its own: a hit in it or its attachments is one thread.
    assert_eq!(lines[1], "indemn*,2,1,3,1,3,0,1");
    assert_eq!(lines[2], "\"\"\"shall indemnify\"\"\",1,0,2,1,3,0,1");
    assert_eq!(lines[3], "arbitrat*,2,1,2,2,4,1,1");
    assert_eq!(lines[4], "(any term),3,,,2,4,,1");

    let letter = sandbox
        .json(&["docs", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with("letter.txt"))
        .unwrap()["id"]
        .to_string();
    sandbox.stdout(&["review", "tag", &letter, "hot"]);
    let scoped = sandbox.json(&["report", "terms", "arbitration", "--tag", "hot", "--json"]);
    assert_eq!(scoped["documents_searched"], 1);
    assert_eq!(counts(row(&scoped, "arbitration")), [1, 1, 1, 1, 1, 1]);
}

#[test]
fn a_term_that_cannot_be_searched_is_refused_naming_it_and_terms_are_audited_masked() {
    let sandbox = sandbox_with_documents();
    let output = sandbox
        .kodiak()
        .args(["report", "terms", "indemnify", "\"open"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("search term \"\\\"open\" has an unclosed quote"),
        "{error}"
    );

    sandbox.stdout(&["report", "terms", "jane.roe@example.com", "arbitration"]);
    let trail = sandbox.json(&["audit", "list", "--json", "--action", "report"]);
    let detail = trail.as_array().unwrap().last().unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("<EMAIL_ADDRESS>"), "{detail}");
    assert!(!detail.contains("jane.roe"), "{detail}");
}

#[test]
fn the_redaction_log_lists_each_finding_with_a_salted_hash_and_never_the_value_unasked() {
    let sandbox = sandbox_with_documents();
    let text = sandbox.stdout(&["report", "pii"]);
    let json_text = sandbox.stdout(&["report", "pii", "--json"]);
    let csv = sandbox.stdout(&["report", "pii", "--csv"]);
    for out in [&text, &json_text, &csv] {
        assert!(!out.contains("jane.roe@example.com"), "{out}");
        assert!(!out.contains("ann.lee@example.com"), "{out}");
    }
    let log: Value = serde_json::from_str(&json_text).unwrap();
    let findings = log["findings"].as_array().unwrap();
    let emails = findings
        .iter()
        .filter(|f| f["type"] == "EMAIL_ADDRESS" && f["placeholder"].is_string())
        .count();
    assert!(emails >= 3, "{log}");
    for finding in findings {
        for key in [
            "doc_id",
            "path",
            "type",
            "page",
            "start",
            "end",
            "score",
            "placeholder",
        ] {
            assert!(!finding[key].is_null(), "{key} missing: {finding}");
        }
        assert_eq!(finding["value_hash"].as_str().unwrap().len(), 16);
    }
    let total: u64 = log["totals"]
        .as_object()
        .unwrap()
        .values()
        .map(|t| t["findings"].as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, findings.len());
    assert_eq!(csv.lines().count(), findings.len() + 1);

    // The same address in the email and the letter hashes the same.
    let with_values = sandbox.json(&["report", "pii", "--json", "--with-values"]);
    let hashes_of = |value: &str| -> Vec<String> {
        with_values["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["value"] == value)
            .map(|f| f["value_hash"].as_str().unwrap().to_owned())
            .collect()
    };
    let jane = hashes_of("jane.roe@example.com");
    assert_eq!(jane.len(), 2, "{with_values}");
    assert_eq!(jane[0], jane[1]);
    assert_eq!(
        with_values["totals"]["EMAIL_ADDRESS"]["distinct_values"]
            .as_u64()
            .unwrap() as usize,
        with_values["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["type"] == "EMAIL_ADDRESS")
            .map(|f| f["value"].as_str().unwrap())
            .collect::<std::collections::HashSet<_>>()
            .len()
    );

    let trail = sandbox.json(&["audit", "list", "--json", "--action", "report"]);
    let last: Value = serde_json::from_str(
        trail.as_array().unwrap().last().unwrap()["detail"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(last["what"], "redaction log");
    assert_eq!(last["with_values"], true);

    // Another matter has its own salt: the same value hashes differently there.
    sandbox.stdout(&["matter", "new", "other"]);
    let docs = sandbox.path().join("docs");
    sandbox.stdout(&["--matter", "other", "ingest", docs.to_str().unwrap()]);
    let other = sandbox.json(&[
        "--matter",
        "other",
        "report",
        "pii",
        "--json",
        "--with-values",
    ]);
    let there: Vec<&str> = other["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["value"] == "jane.roe@example.com")
        .map(|f| f["value_hash"].as_str().unwrap())
        .collect();
    assert_eq!(there.len(), 2);
    assert_ne!(there[0], jane[0]);
}
