//! E-mail threads from the command line: found at ingest (by headers, and by quoted text for
//! a reply exported without them), listed with the inclusive messages marked, carried in
//! `docs list --json`, unchanged by an ingest of the same files, threaded again when a
//! message is removed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use serde_json::Value;

const ROOT: &str = "From: Ann Lee <ann@acme.example>\r\nTo: Bob Byrne <bob@globex.example>\r\n\
    Subject: Pump delivery\r\nDate: Mon, 3 Feb 2025 09:00:00 +0000\r\n\
    Message-ID: <root@acme.example>\r\n\r\n\
    Please confirm the replacement pumps reach the Harbour Road depot within ten working days.\r\n";

const REPLY: &str = "From: Bob Byrne <bob@globex.example>\r\nTo: Ann Lee <ann@acme.example>\r\n\
    Subject: RE: Pump delivery\r\nDate: Mon, 3 Feb 2025 11:00:00 +0000\r\n\
    Message-ID: <reply@globex.example>\r\nIn-Reply-To: <root@acme.example>\r\n\
    References: <root@acme.example>\r\n\r\n\
    Confirmed for Thursday morning.\r\n\r\nOn Mon, 3 Feb 2025, Ann Lee wrote:\r\n\
    > Please confirm the replacement pumps reach the Harbour Road depot\r\n\
    > within ten working days.\r\n";

/// A reply exported without threading headers: it joins by its subject and quote.
const HEADERLESS: &str = "From: Ann Lee <ann@acme.example>\r\nTo: Bob Byrne <bob@globex.example>\r\n\
    Subject: Re: Re: Pump delivery\r\nDate: Tue, 4 Feb 2025 08:00:00 +0000\r\n\r\n\
    Thank you, the depot opens at eight.\r\n\r\n\
    > Confirmed for Thursday morning.\r\n> On Mon, 3 Feb 2025, Ann Lee wrote:\r\n\
    > > Please confirm the replacement pumps reach the Harbour Road depot within ten\r\n\
    > > working days.\r\n";

const OTHER: &str = "From: Cy Rao <cy@initech.example>\r\nTo: Ann Lee <ann@acme.example>\r\n\
    Subject: Board minutes\r\nDate: Wed, 5 Feb 2025 10:00:00 +0000\r\n\
    Message-ID: <minutes@initech.example>\r\n\r\nThe minutes are attached.\r\n";

fn file_name(document: &Value) -> String {
    document["path"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn threads_are_found_at_ingest_listed_with_inclusive_messages_kept_by_a_second_ingest_and_redone_after_a_removal()
 {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let mail = sandbox.path().join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    for (name, text) in [
        ("1-root.eml", ROOT),
        ("2-reply.eml", REPLY),
        ("3-headerless.eml", HEADERLESS),
        ("4-other.eml", OTHER),
    ] {
        std::fs::write(mail.join(name), text).unwrap();
    }
    std::fs::write(mail.join("notes.txt"), "Not an e-mail.").unwrap();
    let ingest = |sandbox: &Sandbox| {
        sandbox
            .kodiak()
            .args(["ingest", mail.to_str().unwrap()])
            .assert()
            .success();
    };
    ingest(&sandbox);
    let documents = sandbox.json(&["docs", "list", "--json"]);
    let id_of = |name: &str| -> i64 {
        documents
            .as_array()
            .unwrap()
            .iter()
            .find(|d| file_name(d) == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (root, reply, headerless) = (
        id_of("1-root.eml"),
        id_of("2-reply.eml"),
        id_of("3-headerless.eml"),
    );

    let threads = sandbox.json(&["docs", "threads", "--json"]);
    let threads = threads.as_array().unwrap();
    assert_eq!(threads.len(), 2, "{threads:?}");
    let conversation = &threads[0];
    assert_eq!(conversation["id"], root, "named by its first message");
    let messages: Vec<(i64, i64, Value, bool)> = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_i64().unwrap(),
                m["position"].as_i64().unwrap(),
                m["parent"].clone(),
                m["inclusive"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            (root, 1, Value::Null, false),
            (reply, 2, Value::from(root), false),
            (headerless, 3, Value::from(reply), true),
        ]
    );
    assert_eq!(conversation["inclusive"], 1);
    assert_eq!(conversation["messages"][1]["subject"], "RE: Pump delivery");

    let listed = |sandbox: &Sandbox| -> Vec<(String, Value, Value)> {
        sandbox
            .json(&["docs", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (file_name(d), d["thread_id"].clone(), d["inclusive"].clone()))
            .collect()
    };
    let before = listed(&sandbox);
    let row = |rows: &[(String, Value, Value)], name: &str| {
        rows.iter().find(|(n, _, _)| n == name).unwrap().clone()
    };
    assert_eq!(
        row(&before, "2-reply.eml"),
        ("2-reply.eml".into(), Value::from(root), Value::from(false))
    );
    assert_eq!(
        row(&before, "4-other.eml").2,
        Value::from(true),
        "a message alone is inclusive"
    );
    assert_eq!(
        row(&before, "notes.txt"),
        ("notes.txt".into(), Value::Null, Value::Null)
    );

    let text = sandbox.kodiak().args(["docs", "threads"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.starts_with("2 threads, 4 messages, 2 inclusive"),
        "{text}"
    );
    assert!(
        text.contains("inclusive") && text.contains("Pump delivery"),
        "{text}"
    );
    let at_least_two = sandbox.json(&["docs", "threads", "--min", "2", "--json"]);
    assert_eq!(at_least_two.as_array().unwrap().len(), 1);

    // A second ingest of the same files changes nothing.
    ingest(&sandbox);
    assert_eq!(listed(&sandbox), before);

    // Without the last message, the reply is what nothing later contains.
    sandbox
        .kodiak()
        .args(["docs", "rm", &headerless.to_string()])
        .assert()
        .success();
    let after = listed(&sandbox);
    assert_eq!(row(&after, "2-reply.eml").2, Value::from(true), "{after:?}");
    assert_eq!(row(&after, "1-root.eml").2, Value::from(false));
}

#[test]
fn an_mbox_is_ingested_as_one_email_per_message_threaded_together_and_unchanged_when_ingested_again()
 {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let mail = sandbox.path().join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    // Exported without threading headers: the reply joins by its subject and its quote.
    let mbox = format!(
        "From ann@acme.example Mon Feb  3 09:00:00 2025\n{}\nFrom bob@globex.example Mon Feb  3 11:00:00 2025\n{}\nFrom cy@initech.example Wed Feb  5 10:00:00 2025\n{}",
        ROOT.replace("Message-ID: <root@acme.example>\r\n", "")
            .replace("\r\n", "\n"),
        HEADERLESS.replace("\r\n", "\n"),
        OTHER.replace("\r\n", "\n"),
    );
    std::fs::write(mail.join("export.mbox"), mbox).unwrap();
    let ingest = || {
        sandbox
            .kodiak()
            .args(["ingest", mail.to_str().unwrap()])
            .assert()
            .success();
    };
    ingest();
    let documents = sandbox.json(&["docs", "list", "--json"]);
    let mut paths: Vec<String> = documents
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["format"], "email", "{d}");
            file_name(d)
        })
        .collect();
    paths.sort();
    assert_eq!(paths, ["export.mbox#1", "export.mbox#2", "export.mbox#3"]);
    let threads = sandbox.json(&["docs", "threads", "--min", "2", "--json"]);
    let threads = threads.as_array().unwrap();
    assert_eq!(threads.len(), 1, "{threads:?}");
    assert_eq!(threads[0]["messages"].as_array().unwrap().len(), 2);
    assert_eq!(threads[0]["inclusive"], 1);

    ingest();
    assert_eq!(sandbox.json(&["docs", "list", "--json"]), documents);
}
