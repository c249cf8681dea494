//! Sharing the cores: how much of the machine other work is using, and which of Kodiak's
//! own work may wait.
//!
//! llama.cpp's threads meet at a spinning barrier after every operation: when there are
//! more busy threads than cores, a thread waits there, spinning, for one that has lost its
//! core, and work slows many times over (a decode measured at 0.09 of its idle speed beside
//! an ingest on 2 cores). So bulk work (ingest's extraction, bulk embedding) runs at a lower
//! priority, and yields the cores to a question asked meanwhile; and bulk embedding drops
//! to one thread while other work holds the cores ([`Crowding`]).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// `threads` from the config: 0 means one per core.
pub fn threads_or_cores(threads: usize) -> usize {
    if threads > 0 {
        return threads;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How much bulk work (ingest's extraction, bulk embedding) defers to everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkPriority {
    /// Only CPU time nothing else wants (Linux `SCHED_IDLE`): a question asked meanwhile
    /// is answered at nearly full speed. llama.cpp's spinning barriers make even a small
    /// share matter: beside a one-thread bulk embedding at nice 10, decoding ran at 0.45 to
    /// 0.55 of its idle speed; beside the same at `SCHED_IDLE`, 0.65 to 0.75.
    Idle,
    /// Nice 10: about a tenth of a contended core.
    Low,
    /// Like everything else.
    Normal,
}

impl BulkPriority {
    /// Applies this priority to the calling thread. On Linux a thread has its own
    /// scheduling policy and nice value, inherited by the threads it starts (llama.cpp's
    /// compute threads among them), and it cannot raise them again without privileges: so
    /// only threads that exist for bulk work call this. Elsewhere it does nothing.
    pub fn apply_to_this_thread(self) {
        #[cfg(target_os = "linux")]
        // SAFETY: gettid, setpriority and sched_setscheduler only read and set the calling
        // thread's scheduling attributes; `param` outlives the call.
        unsafe {
            let thread = libc::gettid();
            let done = match self {
                BulkPriority::Normal => return,
                BulkPriority::Low => {
                    libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 10)
                }
                BulkPriority::Idle => {
                    let param = libc::sched_param { sched_priority: 0 };
                    libc::sched_setscheduler(thread, libc::SCHED_IDLE, &param)
                }
            };
            if done != 0 {
                tracing::debug!(priority = ?self, "cannot lower this thread's priority");
            }
        }
    }
}

/// Samples closer together than this say little: the kernel counts CPU time in ticks of
/// 10 ms.
const MIN_WINDOW: Duration = Duration::from_millis(250);

/// CPU time counters at one moment, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Busy time of all cores together (user, nice, system, irq, softirq, steal).
    pub busy: u64,
    /// This process's own CPU time (user and system, all threads).
    pub own: u64,
}

impl Counters {
    /// Reads `/proc/stat` and `/proc/self/stat`; None where they do not exist (not Linux)
    /// or cannot be parsed.
    pub fn read() -> Option<Counters> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        Some(Counters {
            busy: parse_busy(&stat)?,
            own: parse_own(&own)?,
        })
    }
}

/// The busy ticks of the first line of `/proc/stat` (`cpu user nice system idle iowait irq
/// softirq steal …`).
fn parse_busy(stat: &str) -> Option<u64> {
    let line = stat.lines().next()?;
    let mut fields = line.split_ascii_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let values: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, _idle, _iowait, irq, softirq, steal] = values.try_into().ok()?;
    Some(user + nice + system + irq + softirq + steal)
}

/// utime + stime (fields 14 and 15) of `/proc/self/stat`. The command name (field 2) may
/// hold spaces and parentheses, so fields are counted after its last `)`.
fn parse_own(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Whether the cores are crowded, from samples of [`Counters`] at least [`MIN_WINDOW`]
/// apart. The time source is injected so tests need not wait.
#[derive(Debug)]
pub struct Crowding {
    cores: f64,
    /// Threads this process wants to run at once.
    threads: f64,
    clock_ticks_per_s: f64,
    last: Option<(Instant, Counters)>,
    crowded: bool,
}

impl Crowding {
    /// A gauge for a machine with `cores` cores, of which this process uses `threads`.
    pub fn new(cores: usize, threads: usize) -> Crowding {
        // SAFETY: sysconf only reads a system constant.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Crowding {
            cores: cores.max(1) as f64,
            threads: threads.max(1) as f64,
            clock_ticks_per_s: if ticks > 0 { ticks as f64 } else { 100.0 },
            last: None,
            crowded: false,
        }
    }

    /// Whether, over the window that ends `now`, other work left fewer free cores than
    /// this process has threads (by more than half a core). Between samples it keeps its
    /// last answer.
    pub fn update(&mut self, now: Instant, counters: Option<Counters>) -> bool {
        let Some(counters) = counters else {
            return self.crowded;
        };
        match self.last {
            None => self.last = Some((now, counters)),
            Some((then, before)) => {
                let window = now.saturating_duration_since(then);
                if window < MIN_WINDOW {
                    return self.crowded;
                }
                let ticks = window.as_secs_f64() * self.clock_ticks_per_s;
                let busy = counters.busy.saturating_sub(before.busy) as f64;
                let own = counters.own.saturating_sub(before.own) as f64;
                let others = ((busy - own) / ticks).max(0.0);
                self.crowded = self.cores - others < self.threads - 0.5;
                self.last = Some((now, counters));
            }
        }
        self.crowded
    }

    /// Samples the real counters now.
    pub fn sample(&mut self) -> bool {
        self.update(Instant::now(), Counters::read())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This thread's scheduling policy and nice value.
    #[cfg(target_os = "linux")]
    fn this_thread_priority() -> (i32, i32) {
        // SAFETY: both only read the calling thread's attributes.
        unsafe {
            let thread = libc::gettid();
            let policy = libc::sched_getscheduler(thread);
            let nice = libc::getpriority(libc::PRIO_PROCESS, thread as libc::id_t);
            (policy, nice)
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn bulk_priority_changes_only_the_calling_thread() {
        let before = this_thread_priority();
        let in_thread = |priority: BulkPriority| {
            std::thread::spawn(move || {
                priority.apply_to_this_thread();
                this_thread_priority()
            })
            .join()
            .unwrap()
        };
        assert_eq!(in_thread(BulkPriority::Idle).0, libc::SCHED_IDLE);
        assert_eq!(in_thread(BulkPriority::Low), (before.0, before.1.max(10)));
        assert_eq!(in_thread(BulkPriority::Normal), before);
        assert_eq!(this_thread_priority(), before);
    }

    #[test]
    fn proc_stat_lines_parse_into_busy_and_own_ticks() {
        let stat = "cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n";
        assert_eq!(parse_busy(stat), Some(100 + 5 + 50 + 3 + 2 + 1));
        assert_eq!(parse_busy("intr 1 2 3"), None);
        let own = "4242 (kodiak (engine) x) S 1 2 3 4 5 6 7 8 9 10 321 45 0 0 20 0";
        assert_eq!(parse_own(own), Some(321 + 45));
        assert!(
            Counters::read().is_some(),
            "this is Linux: /proc is readable"
        );
    }

    #[test]
    fn crowded_when_other_work_leaves_fewer_cores_than_threads() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let ticks = |busy, own| Some(Counters { busy, own });
        let mut crowding = Crowding::new(2, 2);
        crowding.clock_ticks_per_s = 100.0;
        assert!(!crowding.update(at(0), ticks(0, 0)));
        // 1 s later: 150 busy ticks of which 90 ours: others used 0.6 of a core.
        assert!(crowding.update(at(1000), ticks(150, 90)));
        // Too soon to tell: the last answer stands.
        assert!(crowding.update(at(1100), ticks(150, 150)));
        // Only this process was busy: not crowded.
        assert!(!crowding.update(at(2000), ticks(330, 270)));
        // One thread fits beside a second core's worth of other work.
        let mut single = Crowding::new(2, 1);
        single.clock_ticks_per_s = 100.0;
        single.update(at(0), ticks(0, 0));
        assert!(!single.update(at(1000), ticks(200, 100)));
        // Others take 1.9 cores: not even one is free.
        assert!(single.update(at(2000), ticks(400, 110)));
    }
}
