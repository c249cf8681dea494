//! A sliding-window rate limiter keyed by the user's identity. Requests are logged in
//! SQLite, so the limit holds across `kodiak` processes (each CLI command is one).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::params;
use serde::Serialize;

use crate::storage::{Database, StorageError};

/// A refused request: how to say it and when to come back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "rate limit reached: {limit} per {window_secs} s, retry in {retry_in_secs:.0} s \
     ([limits] in the config sets it)"
)]
pub struct RateLimited {
    pub limit: u32,
    pub window_secs: u64,
    pub retry_in_secs: f64,
}

/// The limiter's use, as health shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateUsage {
    pub identity: String,
    pub used: u32,
    pub limit: u32,
    pub window_secs: u64,
}

/// A sliding-window limit on requests per OS user, stored in SQLite so that it holds across
/// processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimiter {
    pub limit: u32,
    pub window: Duration,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl RateLimiter {
    /// Records a request by `identity`, or refuses it when the window is full.
    pub fn acquire(
        &self,
        db: &Database,
        identity: &str,
    ) -> Result<Result<RateUsage, RateLimited>, StorageError> {
        self.acquire_at(db, identity, now_ms())
    }

    fn acquire_at(
        &self,
        db: &Database,
        identity: &str,
        now: i64,
    ) -> Result<Result<RateUsage, RateLimited>, StorageError> {
        let window_ms = self.window.as_millis() as i64;
        // Through the write path every other write takes: a database busy with another
        // process's write is waited for and retried, not an error at once.
        let counted = db.write(|tx| {
            tx.execute(
                "DELETE FROM rate_events WHERE identity = ?1 AND at_ms <= ?2",
                params![identity, now - window_ms],
            )?;
            let (count, oldest): (i64, Option<i64>) = tx.query_row(
                "SELECT COUNT(*), MIN(at_ms) FROM rate_events WHERE identity = ?1",
                [identity],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if count < i64::from(self.limit) {
                tx.execute(
                    "INSERT INTO rate_events (identity, at_ms) VALUES (?1, ?2)",
                    params![identity, now],
                )?;
            }
            Ok::<_, StorageError>((count, oldest))
        })?;
        let (count, oldest) = counted;
        if count >= i64::from(self.limit) {
            let retry_in_ms = oldest.map_or(window_ms, |o| o + window_ms - now).max(0);
            tracing::warn!(
                identity,
                count,
                limit = self.limit,
                window_secs = self.window.as_secs(),
                "rate limit reached"
            );
            return Ok(Err(RateLimited {
                limit: self.limit,
                window_secs: self.window.as_secs(),
                retry_in_secs: (retry_in_ms as f64 / 1e3).ceil(),
            }));
        }
        Ok(Ok(RateUsage {
            identity: identity.to_owned(),
            used: count as u32 + 1,
            limit: self.limit,
            window_secs: self.window.as_secs(),
        }))
    }

    /// Requests by `identity` in the current window.
    pub fn usage(&self, db: &Database, identity: &str) -> Result<RateUsage, StorageError> {
        let since = now_ms() - self.window.as_millis() as i64;
        let used: i64 = db.conn()?.query_row(
            "SELECT COUNT(*) FROM rate_events WHERE identity = ?1 AND at_ms > ?2",
            params![identity, since],
            |row| row.get(0),
        )?;
        Ok(RateUsage {
            identity: identity.to_owned(),
            used: used as u32,
            limit: self.limit,
            window_secs: self.window.as_secs(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseConfig;

    #[test]
    fn request_101_in_a_window_is_refused_with_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("k.db"), &DatabaseConfig::default()).unwrap();
        let limiter = RateLimiter {
            limit: 100,
            window: Duration::from_secs(60),
        };
        let start = 1_000_000;
        for i in 0..100 {
            let usage = limiter
                .acquire_at(&db, "alice", start + i * 10)
                .unwrap()
                .unwrap();
            assert_eq!(usage.used, i as u32 + 1);
        }
        let refused = limiter
            .acquire_at(&db, "alice", start + 1_000)
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.limit, 100);
        assert_eq!(refused.retry_in_secs, 59.0);
        assert_eq!(
            refused.to_string(),
            "rate limit reached: 100 per 60 s, retry in 59 s ([limits] in the config sets it)"
        );
        // Another user has a window of their own; the first request ages out of alice's.
        assert!(
            limiter
                .acquire_at(&db, "bob", start + 1_000)
                .unwrap()
                .is_ok()
        );
        assert!(
            limiter
                .acquire_at(&db, "alice", start + 60_001)
                .unwrap()
                .is_ok()
        );
    }
}
