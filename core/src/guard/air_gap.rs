//! The air gap: a seccomp filter, installed in Kodiak's own process before any model,
//! parser or other dependency runs, that refuses every system call that opens a network
//! socket or reaches one some other way: `socket()` and `socketpair()` for every address
//! family but AF_UNIX, io_uring (whose `IORING_OP_SOCKET` opens sockets without calling
//! `socket()`), `bpf`, taking another process's descriptors (`pidfd_getfd`) or taking
//! control of another process (`ptrace`, `process_vm_writev`), and the x86-64 system call
//! conventions a filter keyed on native numbers would not see: the x32 ABI is refused, and
//! the i386 ABI (`int 0x80`, with `socketcall`) ends the process. Children (the model
//! worker, OCR) inherit the filter, and `no_new_privs` keeps them from gaining privileges
//! that would drop it.
//!
//! What it does not do: it does not stop a socket handed to Kodiak already open (by a
//! parent process, or over a UNIX socket), nor another program on the machine that Kodiak
//! asks to act for it (a service reached over a UNIX socket, such as D-Bus), and it does
//! not speak for other programs.

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
    /// A seccomp filter refuses every path to a socket but AF_UNIX.
    Blocked,
    /// An AF_INET socket can be opened, or an io_uring set up.
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

/// The paths to a socket the filter closes, as health and `kodiak debug try-network` name
/// them.
pub const BLOCKED_PATHS: &[&str] = &[
    "socket (all but AF_UNIX)",
    "socketpair (all but AF_UNIX)",
    "io_uring",
    "bpf",
    "pidfd_getfd",
    "ptrace",
    "process_vm_writev",
    #[cfg(target_arch = "x86_64")]
    "x32 ABI",
    "32-bit ABI (socketcall)",
];

/// The errno a refused call gets: "permission denied", which callers already handle.
const REFUSED: u32 = libc::EACCES as u32;

/// Installs the filter in this process, for its threads to come and its children.
pub fn block_network() -> Result<(), AirGapError> {
    let program = filter()?;
    seccompiler::apply_filter(&program).map_err(|e| AirGapError::Install(e.to_string()))
}

/// The filter as a BPF program.
fn filter() -> Result<BpfProgram, AirGapError> {
    let arch = seccompiler::TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| AirGapError::Architecture(e.to_string()))?;
    let build = |e: seccompiler::BackendError| AirGapError::Build(e.to_string());
    // The first argument of socket() and socketpair() is the address family.
    let not_unix = || {
        SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Ne,
            libc::AF_UNIX as u64,
        )
        .and_then(|condition| SeccompRule::new(vec![condition]))
        .map_err(build)
    };
    let mut rules = BTreeMap::from([
        (libc::SYS_socket, vec![not_unix()?]),
        (libc::SYS_socketpair, vec![not_unix()?]),
    ]);
    // An empty rule list matches every call of the syscall.
    for always in [
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_bpf,
        libc::SYS_pidfd_getfd,
        libc::SYS_ptrace,
        libc::SYS_process_vm_writev,
    ] {
        rules.insert(always, Vec::new());
    }
    // seccompiler's program starts by checking the calling convention's architecture and
    // ends the process on any other (the i386 ABI's `int 0x80`, and with it socketcall).
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(REFUSED),
        arch,
    )
    .map_err(build)?;
    let mut program: BpfProgram = filter.try_into().map_err(build)?;
    refuse_x32(&mut program);
    Ok(program)
}

/// The x32 ABI shares x86-64's architecture value but numbers its calls from bit 30 up,
/// so a rule for `socket` (41) does not see x32's `socket` (0x4000_0029). Right after the
/// architecture check, every call numbered that high is refused: no native call is.
#[cfg(target_arch = "x86_64")]
fn refuse_x32(program: &mut BpfProgram) {
    const ARCH_CHECK: usize = 3;
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    // `seccomp_data.nr` is its first field.
    const NR_OFFSET: u32 = 0;
    let statement = |code: u32, k: u32| seccompiler::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let x32 = [
        statement(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, NR_OFFSET),
        // At or above the x32 bit: fall through to the refusal; below: skip it.
        seccompiler::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: X32_SYSCALL_BIT,
        },
        statement(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | REFUSED,
        ),
    ];
    // seccompiler's jumps are relative and none crosses from the architecture check into
    // the rules, so instructions put between the two leave both intact.
    let at = ARCH_CHECK.min(program.len());
    program.splice(at..at, x32);
}

#[cfg(not(target_arch = "x86_64"))]
fn refuse_x32(_: &mut BpfProgram) {}

/// Whether this process can reach the network, found by trying the two paths any program
/// would take: an AF_INET socket, and an io_uring (which can open one). Whatever opens is
/// closed at once; nothing is sent.
pub fn state() -> NetworkState {
    // SAFETY: socket has no memory preconditions; a valid descriptor is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd >= 0 {
        // SAFETY: `fd` is the descriptor socket() just returned, closed once.
        unsafe { libc::close(fd) };
        return NetworkState::Open;
    }
    match io_uring_setup() {
        Ok(fd) => {
            // SAFETY: `fd` is the ring io_uring_setup just returned, closed once.
            unsafe { libc::close(fd) };
            NetworkState::Open
        }
        Err(_) => NetworkState::Blocked,
    }
}

/// Sets up a one-entry io_uring and returns its descriptor, or the errno.
pub fn io_uring_setup() -> Result<i32, i32> {
    // struct io_uring_params is 120 bytes; zeroed asks for the defaults.
    let mut params = [0u8; 120];
    // SAFETY: io_uring_setup writes at most sizeof(struct io_uring_params) into `params`.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1u32, params.as_mut_ptr()) };
    if fd < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(fd as i32)
    }
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

    #[test]
    fn once_blocked_io_uring_x32_calls_and_a_socketpair_of_another_family_are_refused() {
        std::thread::spawn(|| {
            block_network().unwrap();
            assert_eq!(io_uring_setup(), Err(libc::EACCES));
            // SAFETY: plain system calls with integer arguments; a descriptor is closed.
            let x32 = unsafe {
                libc::syscall(
                    0x4000_0000 | libc::SYS_socket,
                    libc::AF_INET,
                    libc::SOCK_STREAM,
                    0,
                )
            };
            assert_eq!(x32, -1);
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EACCES)
            );
            let mut pair = [0; 2];
            // SAFETY: socketpair writes two descriptors into `pair`.
            let status =
                unsafe { libc::socketpair(libc::AF_INET, libc::SOCK_STREAM, 0, pair.as_mut_ptr()) };
            assert_eq!(status, -1);
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EACCES)
            );
        })
        .join()
        .unwrap();
    }

    #[test]
    fn the_x32_refusal_sits_between_the_architecture_check_and_the_rules() {
        let program = filter().unwrap();
        // seccompiler's architecture check: load arch, compare, kill.
        assert_eq!(program[2].k, libc::SECCOMP_RET_KILL_PROCESS);
        if cfg!(target_arch = "x86_64") {
            assert_eq!(program[4].k, 0x4000_0000);
            assert_eq!(program[5].k, libc::SECCOMP_RET_ERRNO | REFUSED);
        }
    }
}
