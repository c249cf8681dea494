//! The air gap from the command line: with the default configuration a connection attempt
//! from inside Kodiak is refused before any packet and health says so; turned off, both
//! say the network is open and the audit log records it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;

fn try_network(sandbox: &Sandbox) -> (Option<i32>, String) {
    let output = sandbox
        .kodiak()
        .args(["debug", "try-network"])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn by_default_a_connection_from_inside_kodiak_is_refused_and_health_says_blocked() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let (code, out) = try_network(&sandbox);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Permission denied"), "{out}");
    assert!(out.contains("air gap up"), "{out}");
    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    let health: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        health["components"]["network"]["state"], "blocked",
        "{health}"
    );
    assert_eq!(health["components"]["network"]["ok"], true);
}

#[test]
fn turned_off_the_network_is_open_and_the_audit_log_records_it() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "[embedder]\nenabled = false\n[generator]\nenabled = false\n\
         [security]\nblock_network = false\n",
    );
    let (code, out) = try_network(&sandbox);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("not blocked"), "{out}");
    let entries = sandbox.json(&["audit", "list", "--json", "--action", "config"]);
    let detail = entries[0]["detail"].as_str().unwrap();
    assert!(detail.contains("\"network\":\"open\""), "{detail}");
}
