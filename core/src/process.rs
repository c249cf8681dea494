//! Which process wrote something, and whether it still runs: an answer left `generating`
//! by a process that has ended (killed, out of power) is no longer being written.

use serde::{Deserialize, Serialize};

/// A process, told apart from a later one that reuses its pid by when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessId {
    pub pid: u32,
    /// Clock ticks after boot when it started (`/proc/PID/stat` field 22); 0 where that
    /// cannot be read.
    pub started: u64,
}

impl ProcessId {
    /// This process.
    pub fn current() -> ProcessId {
        let pid = std::process::id();
        ProcessId {
            pid,
            started: start_ticks(pid).unwrap_or(0),
        }
    }

    /// Whether the process still runs (a new process with the same pid does not count).
    pub fn is_alive(self) -> bool {
        match start_ticks(self.pid) {
            Some(started) => self.started == 0 || started == self.started,
            // No /proc entry: ended (or no /proc at all, where kill(pid, 0) tells).
            None if std::path::Path::new("/proc/self/stat").exists() => false,
            None => {
                let Ok(pid) = i32::try_from(self.pid) else {
                    return false;
                };
                // No signal: only whether the process exists.
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
            }
        }
    }
}

/// Field 22 of `/proc/PID/stat`, counted after the command name, which may hold spaces.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_an_ended_one_or_a_reused_pid_is_not() {
        let me = ProcessId::current();
        assert!(me.started > 0);
        assert!(me.is_alive());
        let reused = ProcessId {
            started: me.started + 1,
            ..me
        };
        assert!(!reused.is_alive());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let ended = ProcessId {
            pid: child.id(),
            started: 1,
        };
        child.wait().unwrap();
        assert!(!ended.is_alive());
    }
}
