//! `kodiak pii scan`, run as a user would: files in any format, and JSON lines on stdin.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use serde_json::{Value, json};

fn sample(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/sample-docs")
        .join(name)
}

#[test]
fn jsonl_keeps_order_and_fields_and_counts_characters() {
    let input = [
        json!({"id": 1, "text": "Zoë → write to müller@example.de", "lang": "de"}),
        json!({"id": "b", "text": "nothing personal here"}),
        json!({"id": 3, "text": "SSN 512-44-3198 and card 4111-1111-1111-1111"}),
    ];
    let mut stdin: String = input.iter().map(|v| format!("{v}\n")).collect();
    stdin.push_str("not json\n\n{\"id\": 5}\n");
    let output = Sandbox::new()
        .kodiak()
        .args(["pii", "scan", "--jsonl"])
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);

    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["lang"], "de");
    assert_eq!(lines[0]["text"], input[0]["text"]);
    assert_eq!(
        lines[0]["findings"],
        json!([{"type": "EMAIL_ADDRESS", "start": 15, "end": 32, "score": 1.0}])
    );
    assert_eq!(
        lines[1],
        json!({"id": "b", "text": "nothing personal here", "findings": []})
    );
    let kinds: Vec<&str> = lines[2]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["US_SSN", "CREDIT_CARD"]);
    assert_eq!(lines[2]["findings"][0]["start"], 4);
    assert_eq!(lines[2]["findings"][0]["end"], 15);
    assert_eq!(
        lines[3]["error"],
        "line 4: invalid JSON: expected ident at line 1 column 2"
    );
    assert_eq!(lines[4]["error"], "line 6: no \"text\" string field");
}

#[test]
fn files_are_scanned_with_attachments_and_failures_reported() {
    let sandbox = Sandbox::new();
    let fake_pdf = sandbox.path().join("contract.pdf");
    std::fs::write(
        &fake_pdf,
        (0..3000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let output = sandbox
        .kodiak()
        .args(["pii", "scan", "--json"])
        .arg(sample("residential-lease.md"))
        .arg(sample("supplier-dispute.eml"))
        .arg(&fake_pdf)
        .arg(sandbox.path().join("missing.txt"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let reports: Value = serde_json::from_slice(&output.stdout).unwrap();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 5);

    let lease = &reports[0];
    assert_eq!(lease["format"], "markdown");
    let findings = lease["findings"].as_array().unwrap();
    let has = |kind: &str, text: &str| {
        findings
            .iter()
            .any(|f| f["type"] == kind && f["text"] == text)
    };
    assert!(has("CREDIT_CARD", "4111 1111 1111 1111"));
    assert!(has("IBAN_CODE", "GB82 WEST 1234 5698 7654 32"));
    assert!(has("US_SSN", "512-44-3198"));
    assert!(has("DATE_OF_BIRTH", "14/02/1988"));
    assert!(has("PERSON", "Daniel Okafor"));
    assert!(has("IP_ADDRESS", "203.0.113.45"));

    assert_eq!(reports[1]["format"], "email");
    assert!(
        reports[2]["path"]
            .as_str()
            .unwrap()
            .ends_with("supplier-dispute.eml ▸ chronology.txt")
    );
    assert!(
        reports[2]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["text"] == "Jamal Reed")
    );
    assert_eq!(
        reports[3]["error"],
        "unsupported content: binary data, though it is named .pdf"
    );
    assert!(
        reports[4]["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot read: ")
    );
}

#[test]
fn every_sample_document_extracts_and_carries_pii() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!((8..=12).contains(&files.len()), "{files:?}");
    let output = Sandbox::new()
        .kodiak()
        .args(["pii", "scan", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let reports: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut formats = std::collections::BTreeSet::new();
    for report in reports.as_array().unwrap() {
        assert!(report["error"].is_null(), "{report}");
        assert!(
            report["findings"].as_array().unwrap().len() >= 2,
            "{report}"
        );
        formats.insert(report["format"].as_str().unwrap().to_owned());
    }
    assert_eq!(formats.len(), 6, "{formats:?}");
}
