//! The hidden debug switch that makes a model worker crash on demand, so tests can show
//! what Kodiak does when native code dies. Read by the worker from its environment:
//!
//! ```text
//! KODIAK_DEBUG_ENGINE_CRASH=ROLE[,after=N][,times=N][,signal=segv|abort][,at=load]
//! ```
//!
//! `ROLE` is `generator` or `embedder`. The worker dies by the signal (SIGSEGV by default,
//! SIGABRT as a failed `GGML_ASSERT` does) after writing `after` answer tokens (generator;
//! 0: once the prompt is read) or replying to `after` embedding requests (embedder; 0: on
//! the first request), or while loading with `at=load`. `times` limits it to the first N
//! workers of that role, so the restarted one works (default: every one).

use super::protocol::Role;

/// The environment variable that makes workers crash on purpose (see docs/architecture.md).
pub const VARIABLE: &str = "KODIAK_DEBUG_ENGINE_CRASH";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Segv,
    Abort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashSwitch {
    pub generator: bool,
    pub after: u64,
    pub times: Option<u32>,
    pub signal: Signal,
    pub at_load: bool,
}

impl CrashSwitch {
    /// The switch in `value`, for a worker of `role` started after `earlier_starts`
    /// others; None when it does not apply to this worker.
    pub fn parse(
        value: &str,
        role: &Role,
        earlier_starts: u32,
    ) -> Result<Option<CrashSwitch>, String> {
        let mut parts = value.split(',').map(str::trim);
        let generator = match parts.next() {
            Some("generator") => true,
            Some("embedder") => false,
            other => {
                return Err(format!(
                    "{VARIABLE}: the role must be `generator` or `embedder`, not {:?}",
                    other.unwrap_or_default()
                ));
            }
        };
        let mut switch = CrashSwitch {
            generator,
            after: 0,
            times: None,
            signal: Signal::Segv,
            at_load: false,
        };
        for part in parts {
            let number = |v: &str| {
                v.parse::<u64>()
                    .map_err(|_| format!("{VARIABLE}: {part:?} needs a whole number"))
            };
            match part.split_once('=') {
                Some(("after", v)) => switch.after = number(v)?,
                Some(("times", v)) => {
                    switch.times = Some(u32::try_from(number(v)?).unwrap_or(u32::MAX))
                }
                Some(("signal", "segv")) => switch.signal = Signal::Segv,
                Some(("signal", "abort")) => switch.signal = Signal::Abort,
                Some(("at", "load")) => switch.at_load = true,
                _ => {
                    return Err(format!(
                        "{VARIABLE}: unknown setting {part:?} (after=N, times=N, \
                         signal=segv|abort, at=load)"
                    ));
                }
            }
        }
        let applies = switch.generator == matches!(role, Role::Generator(_))
            && switch.times.is_none_or(|times| earlier_starts < times);
        Ok(applies.then_some(switch))
    }

    /// Ends the process as native code would: by the signal, with no unwinding and no
    /// chance to report.
    pub fn fire(self) -> ! {
        tracing::warn!(signal = ?self.signal, "crashing on purpose ({VARIABLE})");
        match self.signal {
            Signal::Abort => std::process::abort(),
            Signal::Segv => {
                // SAFETY: restores the default action (Rust's own handler only reports
                // stack overflows) and raises the signal, which ends the process.
                unsafe {
                    libc::signal(libc::SIGSEGV, libc::SIG_DFL);
                    libc::raise(libc::SIGSEGV);
                }
                std::process::abort()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn embedder() -> Role {
        Role::Embedder {
            model: PathBuf::from("m.gguf"),
            threads: 1,
            bulk_priority: crate::cpu::BulkPriority::Normal,
        }
    }

    #[test]
    fn the_switch_names_its_role_and_limits_itself_to_the_first_workers() {
        let switch = CrashSwitch::parse("embedder,after=2,times=1,signal=abort", &embedder(), 0)
            .unwrap()
            .unwrap();
        assert_eq!(
            switch,
            CrashSwitch {
                generator: false,
                after: 2,
                times: Some(1),
                signal: Signal::Abort,
                at_load: false
            }
        );
        assert_eq!(
            CrashSwitch::parse("embedder,times=1", &embedder(), 1),
            Ok(None)
        );
        assert_eq!(CrashSwitch::parse("generator", &embedder(), 0), Ok(None));
        let load = CrashSwitch::parse("embedder, at=load", &embedder(), 7)
            .unwrap()
            .unwrap();
        assert!(load.at_load && load.times.is_none());
    }

    #[test]
    fn a_malformed_switch_is_an_error_naming_the_variable() {
        for bad in [
            "",
            "both",
            "embedder,after=x",
            "embedder,signal=kill",
            "embedder,soon",
        ] {
            let error = CrashSwitch::parse(bad, &embedder(), 0).unwrap_err();
            assert!(error.starts_with(VARIABLE), "{bad:?}: {error}");
        }
    }
}
