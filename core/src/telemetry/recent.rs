//! The last few log events, kept in memory so a crash report can say what led up to it.

use crate::timestamp::Timestamp;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, TryLockError};

use serde::{Deserialize, Serialize};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

use crate::scrub;

/// One log event as a crash report shows it. Text is scrubbed of PII when captured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEvent {
    pub timestamp: Timestamp,
    pub level: String,
    pub target: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// A bounded buffer of the newest events, shared by the logging layer that fills it and the
/// panic hook that reads it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RecentEvents {
    inner: Arc<Mutex<VecDeque<LogEvent>>>,
    capacity: usize,
}

impl RecentEvents {
    /// A buffer keeping the newest `capacity` events.
    pub fn new(capacity: usize) -> RecentEvents {
        RecentEvents {
            inner: Arc::new(Mutex::new(VecDeque::with_capacity(capacity))),
            capacity,
        }
    }

    /// The buffered events, oldest first. Never blocks: the panic hook calls it, and the
    /// panicking thread may be the one holding the lock, so a busy buffer yields nothing.
    pub fn snapshot(&self) -> Vec<LogEvent> {
        match self.inner.try_lock() {
            Ok(events) => events.iter().cloned().collect(),
            Err(TryLockError::Poisoned(poisoned)) => {
                poisoned.into_inner().iter().cloned().collect()
            }
            Err(TryLockError::WouldBlock) => Vec::new(),
        }
    }

    /// The buffered events, oldest first, taken out: the buffer is empty after.
    pub fn take(&self) -> Vec<LogEvent> {
        let mut events = match self.inner.lock() {
            Ok(events) => events,
            Err(poisoned) => poisoned.into_inner(),
        };
        events.drain(..).collect()
    }

    fn push(&self, event: LogEvent) {
        if self.capacity == 0 {
            return;
        }
        let mut events = match self.inner.lock() {
            Ok(events) => events,
            Err(poisoned) => poisoned.into_inner(),
        };
        if events.len() == self.capacity {
            events.pop_front();
        }
        events.push_back(event);
    }

    /// A `tracing` layer that records every event it sees into this buffer.
    pub fn layer(&self) -> RecentEventsLayer {
        RecentEventsLayer {
            events: self.clone(),
        }
    }
}

/// The tracing layer that feeds [`RecentEvents`].
pub struct RecentEventsLayer {
    events: RecentEvents,
}

impl<S: Subscriber> Layer<S> for RecentEventsLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = FieldVisitor::default();
        event.record(&mut visitor);
        let meta = event.metadata();
        self.events.push(LogEvent {
            timestamp: Timestamp::now(),
            level: meta.level().to_string(),
            target: meta.target().to_owned(),
            message: scrub::mask(&visitor.message).into_owned(),
            fields: visitor.fields,
        });
    }
}

#[derive(Default)]
struct FieldVisitor {
    message: String,
    fields: BTreeMap<String, String>,
}

impl FieldVisitor {
    fn put(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.fields
                .insert(field.name().to_owned(), scrub::mask(&value).into_owned());
        }
    }
}

impl Visit for FieldVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn keeps_newest_events_with_fields_and_scrubs_them() {
        let recent = RecentEvents::new(3);
        let subscriber = tracing_subscriber::registry().with(recent.layer());
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..5 {
                tracing::info!(attempt = i, "step {i}");
            }
            tracing::warn!(user = "ann@example.com", "sign-in failed");
        });
        let events = recent.snapshot();
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].message, "step 3");
        assert_eq!(events[0].fields["attempt"], "3");
        assert_eq!(events[2].level, "WARN");
        assert_eq!(events[2].fields["user"], "[email]");
        assert!(events[2].target.starts_with("kodiak"));
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let recent = RecentEvents::new(0);
        let subscriber = tracing_subscriber::registry().with(recent.layer());
        tracing::subscriber::with_default(subscriber, || tracing::info!("x"));
        assert!(recent.snapshot().is_empty());
    }
}
