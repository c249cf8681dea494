//! The air gap from the command line: with the default configuration every path to a
//! socket (socket families, io_uring, the 32-bit system call conventions, bpf, other
//! processes) is refused in the processes Kodiak starts, and health names them; turned
//! off, they open, and the audit log records it.
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

/// Every path `kodiak debug try-network` tries, as it names them.
const PATHS: [&str; 11] = [
    "socket AF_INET",
    "socket AF_INET6",
    "socket AF_PACKET",
    "socketpair AF_TIPC",
    "io_uring socket (IORING_OP_SOCKET)",
    "i386 ABI socket (int 0x80)",
    "x32 ABI socket",
    "bpf",
    "pidfd_getfd",
    "ptrace",
    "process_vm_writev",
];

fn line_of<'a>(out: &'a str, path: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{path}: ")))
        .unwrap_or_else(|| panic!("no line for {path} in:\n{out}"))
}

#[test]
fn by_default_every_path_to_a_socket_is_refused_in_a_child_kodiak_starts_and_health_names_them() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[embedder]\nenabled = false\n[generator]\nenabled = false\n");
    let (code, out) = try_network(&sandbox);
    assert_eq!(code, Some(0), "{out}");
    // Each probe runs in a process Kodiak starts, under the filter it inherits: io_uring's
    // IORING_OP_SOCKET included, which opens a socket without calling socket().
    for path in PATHS {
        assert!(
            line_of(&out, path).starts_with(&format!("{path}: refused")),
            "{out}"
        );
    }
    assert!(
        out.contains("connect 127.0.0.1:9: refused before any packet"),
        "{out}"
    );
    assert!(out.contains("air gap up"), "{out}");
    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    let health: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let network = &health["components"]["network"];
    assert_eq!(network["state"], "blocked", "{health}");
    assert_eq!(network["ok"], true);
    let blocked: Vec<&str> = network["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for path in ["socket (all but AF_UNIX)", "io_uring", "bpf", "ptrace"] {
        assert!(blocked.contains(&path), "{blocked:?}");
    }
    let text = sandbox.kodiak().arg("health").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("blocked (seccomp): socket (all but AF_UNIX)"),
        "{text}"
    );
    assert!(text.contains("io_uring"), "{text}");
}

#[test]
fn turned_off_an_inet_socket_and_an_io_uring_socket_open_and_try_network_exits_1() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "[embedder]\nenabled = false\n[generator]\nenabled = false\n\
         [security]\nblock_network = false\n",
    );
    let (code, out) = try_network(&sandbox);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(line_of(&out, "socket AF_INET"), "socket AF_INET: opened");
    // The probe's io_uring path really opens a socket when nothing stops it (this needs
    // a kernel of 5.19 or later with io_uring enabled, as the test machines have).
    assert_eq!(
        line_of(&out, "io_uring socket (IORING_OP_SOCKET)"),
        "io_uring socket (IORING_OP_SOCKET): opened",
        "io_uring is off or too old on this kernel: {out}"
    );
    assert!(out.contains("the network is not blocked"), "{out}");
    let entries = sandbox.json(&["audit", "list", "--json", "--action", "config"]);
    let detail = entries[0]["detail"].as_str().unwrap();
    assert!(detail.contains("\"network\":\"open\""), "{detail}");
}
