//! Near-duplicates from the command line: found at ingest, listed with their similarity,
//! carried in `docs list --json`, unchanged by an ingest of the same files, grouped again
//! when a document is removed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use serde_json::Value;

const LETTER: &str = "Dear Ms Holloway, further to our meeting on Tuesday we confirm that the \
    supplier will deliver the replacement pumps to the Harbour Road depot within ten working days \
    of this letter. The invoice for the original order remains on hold until the inspection \
    report is agreed by both engineers. Should the pumps fail the acceptance tests again, the \
    customer may terminate the order and recover the deposit in full. Please confirm that the \
    depot will be open for deliveries between eight and four on weekdays, and tell us whom to call \
    on arrival. We look forward to closing this matter amicably.";

const MINUTES: &str = "The board approved the budget for the coming year, noted the auditor's \
    report and asked the treasurer to present quarterly figures at each meeting. The chair thanked \
    the retiring secretary for ten years of service, welcomed two new directors and the meeting \
    closed at six after a vote of thanks to the staff of the Harbour Road depot.";

#[test]
fn near_duplicates_are_grouped_at_ingest_listed_with_similarity_kept_by_a_second_ingest_and_regrouped_after_a_removal()
 {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let docs = sandbox.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("letter-draft.txt"), LETTER).unwrap();
    std::fs::write(
        docs.join("letter-final.txt"),
        format!(
            "{}\n\nYours sincerely,\nthe engineering team",
            LETTER.replace("ten", "fifteen")
        ),
    )
    .unwrap();
    // The same letter wrapped at another width.
    std::fs::write(docs.join("letter-wrapped.txt"), LETTER.replace(". ", ".\n")).unwrap();
    std::fs::write(docs.join("minutes.txt"), MINUTES).unwrap();
    let ingest = |sandbox: &Sandbox| {
        sandbox
            .kodiak()
            .args(["ingest", docs.to_str().unwrap()])
            .assert()
            .success();
    };
    ingest(&sandbox);
    let groups = sandbox.json(&["docs", "near-dups", "--json"]);
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let principal = &groups[0]["principal"];
    assert!(
        principal["path"]
            .as_str()
            .unwrap()
            .ends_with("letter-final.txt"),
        "the longest leads: {principal}"
    );
    let mut members: Vec<&str> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    members.sort_unstable();
    assert_eq!(members, ["letter-draft.txt", "letter-wrapped.txt"]);
    assert!(
        groups[0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["similarity"].as_f64().unwrap() >= 0.8)
    );
    let listed = |sandbox: &Sandbox| -> Vec<(String, Value, Value)> {
        let documents = sandbox.json(&["docs", "list", "--json"]);
        documents
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["path"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_owned(),
                    d["near_dup_group"].clone(),
                    d["near_dup_similarity"].clone(),
                )
            })
            .collect()
    };
    let before = listed(&sandbox);
    let minutes = before.iter().find(|(p, _, _)| p == "minutes.txt").unwrap();
    assert_eq!((&minutes.1, &minutes.2), (&Value::Null, &Value::Null));
    let principal_id = principal["id"].clone();
    assert!(
        before
            .iter()
            .filter(|(p, _, _)| p.starts_with("letter-"))
            .all(|(_, group, _)| *group == principal_id),
        "{before:?}"
    );
    // A second ingest of the same files changes nothing.
    ingest(&sandbox);
    assert_eq!(listed(&sandbox), before);
    // Removing the group's principal groups the rest again without it.
    sandbox
        .kodiak()
        .args(["docs", "rm", &principal_id.to_string()])
        .assert()
        .success();
    let after = listed(&sandbox);
    let letters: Vec<&(String, Value, Value)> = after
        .iter()
        .filter(|(p, _, _)| p.starts_with("letter-"))
        .collect();
    assert_eq!(letters.len(), 2, "{after:?}");
    assert!(
        letters
            .iter()
            .all(|(_, group, _)| !group.is_null() && *group != principal_id),
        "the draft and the wrapped copy stay a group under one of them: {after:?}"
    );
    assert_eq!(letters[0].1, letters[1].1);
    // Stricter, the draft with a word changed stays; a least similarity out of range is
    // refused naming the range.
    let strict = sandbox.json(&["docs", "near-dups", "--min", "0.99", "--json"]);
    assert_eq!(strict.as_array().unwrap().len(), 1, "{strict}");
    let output = sandbox
        .kodiak()
        .args(["docs", "near-dups", "--min", "1.5"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("outside 0.5-1.0"));
}
