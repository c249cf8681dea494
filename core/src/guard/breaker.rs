//! A circuit breaker: after `threshold` failures in a row a component is left alone
//! (open) for `reset`; then one trial request is let through (half-open), whose outcome
//! closes the breaker again or reopens it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Where a circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// A breaker as health shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerStatus {
    pub name: &'static str,
    pub state: BreakerState,
    /// Failures in a row.
    pub failures: u32,
    /// Seconds until an open breaker lets a trial through.
    pub retry_in_secs: Option<f64>,
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { since: Instant, failures: u32 },
    HalfOpen { failures: u32, trial_running: bool },
}

/// Where a breaker reads the time: the real clock, or a test's.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// A circuit breaker: after `threshold` failures in a row a part is paused for `reset`, then tried
/// once.
pub struct Breaker {
    name: &'static str,
    threshold: u32,
    reset: Duration,
    inner: Mutex<Inner>,
    now: Clock,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("name", &self.name)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Breaker {
    /// A closed breaker that opens after `threshold` failures in a row and retries after `reset`.
    pub fn new(name: &'static str, threshold: u32, reset: Duration) -> Breaker {
        Breaker::with_clock(name, threshold, reset, Arc::new(Instant::now))
    }

    /// A breaker that reads the time from `now` (tests move it on by hand).
    pub fn with_clock(name: &'static str, threshold: u32, reset: Duration, now: Clock) -> Breaker {
        Breaker {
            name,
            threshold: threshold.max(1),
            reset,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
            now,
        }
    }

    /// Whether a request may go ahead now. An open breaker whose timeout has passed turns
    /// half-open and lets exactly one trial through.
    pub fn allow(&self) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return true;
        };
        match *inner {
            Inner::Closed { .. } => true,
            Inner::Open { since, failures } => {
                if (self.now)().saturating_duration_since(since) >= self.reset {
                    *inner = Inner::HalfOpen {
                        failures,
                        trial_running: true,
                    };
                    true
                } else {
                    false
                }
            }
            Inner::HalfOpen {
                failures,
                trial_running,
            } => {
                if trial_running {
                    false
                } else {
                    *inner = Inner::HalfOpen {
                        failures,
                        trial_running: true,
                    };
                    true
                }
            }
        }
    }

    /// Records a success: the breaker closes and the count of failures starts again.
    pub fn success(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner = Inner::Closed { failures: 0 };
        }
    }

    /// Records a failure; the threshold'th in a row opens the breaker.
    pub fn failure(&self) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let failures = match *inner {
            Inner::Closed { failures } | Inner::Open { failures, .. } => failures + 1,
            Inner::HalfOpen { failures, .. } => failures + 1,
        };
        let trial_failed = matches!(*inner, Inner::HalfOpen { .. });
        *inner = if trial_failed || failures >= self.threshold {
            if !matches!(*inner, Inner::Open { .. }) {
                tracing::warn!(breaker = self.name, failures, "circuit breaker opened");
            }
            Inner::Open {
                since: (self.now)(),
                failures,
            }
        } else {
            Inner::Closed { failures }
        };
    }

    /// Runs `call` when allowed and records its outcome; None when the breaker is open.
    pub fn call<T, E>(&self, call: impl FnOnce() -> Result<T, E>) -> Option<Result<T, E>> {
        if !self.allow() {
            return None;
        }
        let outcome = call();
        match &outcome {
            Ok(_) => self.success(),
            Err(_) => self.failure(),
        }
        Some(outcome)
    }

    /// The breaker's state and counts, for health.
    pub fn status(&self) -> BreakerStatus {
        let (state, failures, retry_in) = match self.inner.lock().as_deref() {
            Ok(Inner::Closed { failures }) => (BreakerState::Closed, *failures, None),
            Ok(Inner::Open { since, failures }) => (
                BreakerState::Open,
                *failures,
                Some(
                    self.reset
                        .saturating_sub((self.now)().saturating_duration_since(*since))
                        .as_secs_f64(),
                ),
            ),
            Ok(Inner::HalfOpen { failures, .. }) => (BreakerState::HalfOpen, *failures, None),
            Err(_) => (BreakerState::Closed, 0, None),
        };
        BreakerStatus {
            name: self.name,
            state,
            failures,
            retry_in_secs: retry_in,
        }
    }

    /// Whether the breaker is open: calls are refused until its reset time has passed.
    pub fn is_open(&self) -> bool {
        self.status().state == BreakerState::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generator that fails while `broken` says so.
    fn generate(broken: bool) -> Result<&'static str, &'static str> {
        if broken {
            Err("model crashed")
        } else {
            Ok("answer")
        }
    }

    #[test]
    fn opens_after_the_threshold_then_half_opens_after_the_timeout() {
        let start = Instant::now();
        let elapsed = Arc::new(Mutex::new(Duration::ZERO));
        let clock = Arc::clone(&elapsed);
        let now: Clock = Arc::new(move || start + *clock.lock().unwrap());
        let wait = |d: u64| *elapsed.lock().unwrap() += Duration::from_millis(d);
        let breaker = Breaker::with_clock("generator", 3, Duration::from_millis(80), now);
        for _ in 0..2 {
            assert_eq!(breaker.call(|| generate(true)), Some(Err("model crashed")));
            assert_eq!(breaker.status().state, BreakerState::Closed);
        }
        assert_eq!(breaker.call(|| generate(true)), Some(Err("model crashed")));
        let status = breaker.status();
        assert_eq!((status.state, status.failures), (BreakerState::Open, 3));
        // Open: requests are refused without calling the generator.
        let mut called = false;
        assert_eq!(
            breaker.call(|| {
                called = true;
                generate(false)
            }),
            None
        );
        assert!(!called);

        wait(79);
        assert_eq!(breaker.status().retry_in_secs, Some(0.001));
        assert!(!breaker.allow(), "still open 1 ms before the timeout");
        wait(1);
        // Half-open: one trial; a failed trial reopens at once.
        assert!(breaker.allow());
        assert_eq!(breaker.status().state, BreakerState::HalfOpen);
        assert!(!breaker.allow(), "only one trial at a time");
        breaker.failure();
        assert_eq!(breaker.status().state, BreakerState::Open);

        wait(80);
        assert_eq!(breaker.call(|| generate(false)), Some(Ok("answer")));
        let status = breaker.status();
        assert_eq!((status.state, status.failures), (BreakerState::Closed, 0));
    }
}
