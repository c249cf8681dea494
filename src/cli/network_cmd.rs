//! `kodiak debug try-network`: tries every path to a network socket that the air gap
//! closes, each in a child process Kodiak starts (as it starts the model worker and OCR),
//! and prints one line per path. A probe that the filter ends (the i386 ABI) ends only its
//! own process.

use std::process::{Command, ExitCode, Stdio};

/// A way a process could reach the network, tried by `kodiak debug probe-network NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Probe {
    /// socket(AF_INET, SOCK_STREAM)
    SocketInet,
    /// socket(AF_INET6, SOCK_STREAM)
    SocketInet6,
    /// socket(AF_PACKET, SOCK_RAW): raw frames
    SocketPacket,
    /// socketpair(AF_TIPC): a cluster protocol's sockets
    SocketpairTipc,
    /// IORING_OP_SOCKET through an io_uring
    IoUring,
    /// socket() through the i386 ABI (int 0x80)
    I386,
    /// socket() through the x32 ABI
    X32,
    /// a BPF map
    Bpf,
    /// another process's descriptor through pidfd_getfd
    PidfdGetfd,
    /// ptrace, to drive another process
    Ptrace,
    /// process_vm_writev, to write another process's memory
    ProcessVmWritev,
}

impl Probe {
    const ALL: [Probe; 11] = [
        Probe::SocketInet,
        Probe::SocketInet6,
        Probe::SocketPacket,
        Probe::SocketpairTipc,
        Probe::IoUring,
        Probe::I386,
        Probe::X32,
        Probe::Bpf,
        Probe::PidfdGetfd,
        Probe::Ptrace,
        Probe::ProcessVmWritev,
    ];

    fn label(self) -> &'static str {
        match self {
            Probe::SocketInet => "socket AF_INET",
            Probe::SocketInet6 => "socket AF_INET6",
            Probe::SocketPacket => "socket AF_PACKET",
            Probe::SocketpairTipc => "socketpair AF_TIPC",
            Probe::IoUring => "io_uring socket (IORING_OP_SOCKET)",
            Probe::I386 => "i386 ABI socket (int 0x80)",
            Probe::X32 => "x32 ABI socket",
            Probe::Bpf => "bpf",
            Probe::PidfdGetfd => "pidfd_getfd",
            Probe::Ptrace => "ptrace",
            Probe::ProcessVmWritev => "process_vm_writev",
        }
    }

    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// How a probe process says what happened: exit 0 when the path opened, these otherwise
/// (with the errno on standard output).
const EXIT_REFUSED: i32 = 3;
const EXIT_UNAVAILABLE: i32 = 4;

/// `kodiak debug probe-network NAME`: tries one path in this process and exits with what
/// happened. Runs before Kodiak's own start-up, so the filter it meets is the one its
/// parent passed on.
pub(super) fn probe(probe: Probe) -> ExitCode {
    let errno = match attempt(probe) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(errno) => errno,
    };
    println!("{errno}");
    let code = if errno == libc::EACCES {
        EXIT_REFUSED
    } else {
        EXIT_UNAVAILABLE
    };
    ExitCode::from(code as u8)
}

/// `kodiak debug try-network`: every probe in a child process, a line each, then a
/// connection attempt to the loopback discard port (nothing leaves the machine even when
/// it connects). Exit 0 when nothing opened, 1 otherwise.
pub(super) fn try_network() -> ExitCode {
    let mut opened = Vec::new();
    for probe in Probe::ALL {
        let outcome = run_probe(probe);
        if outcome.starts_with("opened") {
            opened.push(probe.label());
        }
        println!("{}: {outcome}", probe.label());
    }
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], 9));
    match std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_secs(2)) {
        Err(e) if e.raw_os_error() == Some(libc::EACCES) => {
            println!("connect {address}: refused before any packet ({e})");
        }
        Err(e) => {
            println!("connect {address}: a socket opened and the connection failed ({e})");
            opened.push("connect");
        }
        Ok(_) => {
            println!("connect {address}: connected");
            opened.push("connect");
        }
    }
    if opened.is_empty() {
        println!("air gap up: every path to the network was refused or is not available here");
        ExitCode::SUCCESS
    } else {
        println!("the network is not blocked: {} opened", opened.join(", "));
        ExitCode::FAILURE
    }
}

/// Runs one probe as a child process and says what happened, in words.
fn run_probe(probe: Probe) -> String {
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(e) => return format!("not tried: this program's path cannot be read ({e})"),
    };
    let output = Command::new(program)
        .args(["debug", "probe-network", &probe.name()])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => return format!("not tried: the probe process did not start ({e})"),
    };
    let errno: i32 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let reason = std::io::Error::from_raw_os_error(errno);
    use std::os::unix::process::ExitStatusExt;
    match (output.status.code(), output.status.signal()) {
        (Some(0), _) => "opened".to_owned(),
        (Some(EXIT_REFUSED), _) => format!("refused ({reason})"),
        (Some(EXIT_UNAVAILABLE), _) => format!("not available here ({reason})"),
        (_, Some(libc::SIGSYS)) => "refused (the filter ended the probe process)".to_owned(),
        (code, signal) => format!("unclear (probe ended with code {code:?}, signal {signal:?})"),
    }
}

/// Tries the path; Ok when it opened (whatever it opened is closed), the errno otherwise.
fn attempt(probe: Probe) -> Result<(), i32> {
    match probe {
        Probe::SocketInet => socket(libc::AF_INET, libc::SOCK_STREAM),
        Probe::SocketInet6 => socket(libc::AF_INET6, libc::SOCK_STREAM),
        Probe::SocketPacket => socket(libc::AF_PACKET, libc::SOCK_RAW),
        Probe::SocketpairTipc => {
            let mut pair = [0; 2];
            // SAFETY: socketpair writes two descriptors into `pair`, closed below.
            let status =
                unsafe { libc::socketpair(libc::AF_TIPC, libc::SOCK_STREAM, 0, pair.as_mut_ptr()) };
            checked(status as libc::c_long).map(|_| pair.iter().for_each(|&fd| close(fd)))
        }
        Probe::IoUring => io_uring_socket(),
        Probe::I386 => i386_socket(),
        Probe::X32 => {
            // SAFETY: a plain system call with integer arguments.
            let fd = unsafe {
                libc::syscall(
                    0x4000_0000 | libc::SYS_socket,
                    libc::AF_INET,
                    libc::SOCK_STREAM,
                    0,
                )
            };
            checked(fd).map(|fd| close(fd as i32))
        }
        Probe::Bpf => {
            // union bpf_attr for BPF_MAP_CREATE: map_type, key_size, value_size,
            // max_entries (u32 each), zero after; the kernel wants the rest zeroed.
            let mut attr = [0u32; 32];
            attr[..4].copy_from_slice(&[2 /* BPF_MAP_TYPE_ARRAY */, 4, 4, 1]);
            // SAFETY: bpf reads `size` bytes of `attr`, which it has.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_bpf,
                    0, /* BPF_MAP_CREATE */
                    attr.as_mut_ptr(),
                    std::mem::size_of_val(&attr),
                )
            };
            checked(fd).map(|fd| close(fd as i32))
        }
        Probe::PidfdGetfd => {
            // SAFETY: plain system calls with integer arguments; descriptors are closed.
            let pidfd = checked(unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) })?;
            let taken = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, 1, 0) };
            close(pidfd as i32);
            checked(taken).map(|fd| close(fd as i32))
        }
        Probe::Ptrace => {
            // Asking to be traced by the parent changes nothing here: this process exits
            // without a signal or exec that would stop it.
            // SAFETY: PTRACE_TRACEME takes no pointers.
            let status = unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) };
            checked(status).map(drop)
        }
        Probe::ProcessVmWritev => {
            let mut target = [0u8; 1];
            let source = [1u8; 1];
            let local = libc::iovec {
                iov_base: source.as_ptr() as *mut libc::c_void,
                iov_len: 1,
            };
            let remote = libc::iovec {
                iov_base: target.as_mut_ptr().cast(),
                iov_len: 1,
            };
            // SAFETY: both vectors name one byte of this process's own live buffers.
            let written =
                unsafe { libc::process_vm_writev(libc::getpid(), &local, 1, &remote, 1, 0) };
            checked(written as libc::c_long).map(drop)
        }
    }
}

fn socket(family: i32, kind: i32) -> Result<(), i32> {
    // SAFETY: socket takes no pointers; the descriptor is closed.
    let fd = unsafe { libc::socket(family, kind | libc::SOCK_CLOEXEC, 0) };
    checked(fd as libc::c_long).map(|fd| close(fd as i32))
}

fn io_uring_socket() -> Result<(), i32> {
    let errno = |e: std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    let mut ring = io_uring::IoUring::new(2).map_err(errno)?;
    let entry =
        io_uring::opcode::Socket::new(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0)
            .build();
    // SAFETY: the entry holds no buffers; the ring copies it.
    unsafe { ring.submission().push(&entry) }.map_err(|_| libc::EBUSY)?;
    ring.submit_and_wait(1).map_err(errno)?;
    let result = ring
        .completion()
        .next()
        .map_or(-libc::EIO, |cqe| cqe.result());
    raw(result).map(|fd| close(fd as i32))
}

#[cfg(target_arch = "x86_64")]
fn i386_socket() -> Result<(), i32> {
    // i386's socket(2) is call 359, its arguments in ebx, ecx, edx. rbx is reserved by the
    // compiler, so the family is swapped into it around the call.
    let result: i32;
    // SAFETY: a system call through the 32-bit entry with integer arguments; rbx is
    // restored before the block ends.
    unsafe {
        std::arch::asm!(
            "xchg {family:r}, rbx",
            "int 0x80",
            "xchg {family:r}, rbx",
            family = inout(reg) libc::AF_INET as u64 => _,
            inlateout("eax") 359i32 => result,
            in("ecx") libc::SOCK_STREAM,
            in("edx") 0,
        );
    }
    raw(result).map(|fd| close(fd as i32))
}

#[cfg(not(target_arch = "x86_64"))]
fn i386_socket() -> Result<(), i32> {
    Err(libc::ENOSYS)
}

/// A libc call's result: -1 with errno set, or the value.
fn checked(result: libc::c_long) -> Result<libc::c_long, i32> {
    if result < 0 {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Ok(result)
    }
}

/// A raw kernel result (io_uring's completion, `int 0x80`): the negated errno, or the value.
fn raw(result: i32) -> Result<libc::c_long, i32> {
    if result < 0 {
        Err(-result)
    } else {
        Ok(result.into())
    }
}

fn close(fd: i32) {
    // SAFETY: `fd` is a descriptor this probe opened, closed once.
    unsafe { libc::close(fd) };
}
