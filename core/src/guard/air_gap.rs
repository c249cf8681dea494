//! The air gap: a seccomp filter, installed in Kodiak's own process before any model,
//! parser or other dependency runs, that makes `socket()` fail with EACCES for every
//! address family but AF_UNIX. Without a socket of another family nothing can connect or
//! send anywhere, and the filter cannot be lifted: children (the model worker, OCR) inherit
//! it, and `no_new_privs` keeps them from gaining privileges that would drop it.
//!
//! What it does not do: it does not stop a socket handed to Kodiak already open (by a
//! parent process), and it does not speak for other programs on the machine.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule,
};
use serde::Serialize;

/// Why the filter could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum AirGapError {
    #[error("the network filter is not available on this architecture ({0})")]
    Architecture(String),
    #[error("cannot build the network filter: {0}")]
    Build(String),
    #[error("the kernel refused the network filter: {0}")]
    Install(String),
}

/// Whether this process can open network sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkState {
    /// A seccomp filter refuses every socket but AF_UNIX.
    Blocked,
    /// An AF_INET socket can be opened.
    Open,
}

impl NetworkState {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkState::Blocked => "blocked (seccomp)",
            NetworkState::Open => "open",
        }
    }
}

/// Installs the filter in this process, for its threads to come and its children.
pub fn block_network() -> Result<(), AirGapError> {
    let arch = seccompiler::TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| AirGapError::Architecture(e.to_string()))?;
    let build = |e: seccompiler::BackendError| AirGapError::Build(e.to_string());
    let not_unix = SeccompCondition::new(
        0,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Ne,
        libc::AF_UNIX as u64,
    )
    .map_err(build)?;
    let rules = BTreeMap::from([(
        libc::SYS_socket,
        vec![SeccompRule::new(vec![not_unix]).map_err(build)?],
    )]);
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(build)?;
    let program: BpfProgram = filter.try_into().map_err(build)?;
    seccompiler::apply_filter(&program).map_err(|e| AirGapError::Install(e.to_string()))
}

/// Whether this process can open an AF_INET socket, found by trying (the socket, if it
/// opens, is closed at once; nothing is sent).
pub fn state() -> NetworkState {
    // SAFETY: socket has no memory preconditions; a valid descriptor is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return NetworkState::Blocked;
    }
    // SAFETY: `fd` is the descriptor socket() just returned, closed once.
    unsafe { libc::close(fd) };
    NetworkState::Open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_blocked_a_thread_and_its_children_cannot_open_an_inet_socket_but_unix_sockets_work() {
        // A thread of its own: the filter stays with the thread that installed it and its
        // children, not the test harness's other threads.
        std::thread::spawn(|| {
            block_network().unwrap();
            assert_eq!(state(), NetworkState::Blocked);
            let error = std::net::TcpStream::connect("127.0.0.1:9").unwrap_err();
            assert_eq!(error.raw_os_error(), Some(libc::EACCES));
            let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_err();
            assert_eq!(udp.raw_os_error(), Some(libc::EACCES));
            assert!(std::os::unix::net::UnixStream::pair().is_ok());
            // A child started from here (as the model worker and OCR are) runs filtered.
            let child = std::process::Command::new("cat")
                .arg("/proc/self/status")
                .output()
                .unwrap();
            let status = String::from_utf8_lossy(&child.stdout);
            assert!(status.contains("Seccomp:\t2"), "{status}");
            assert!(status.contains("NoNewPrivs:\t1"), "{status}");
        })
        .join()
        .unwrap();
        // The harness's own thread is untouched.
        assert_eq!(state(), NetworkState::Open);
    }
}
