//! E-mail threads kept current: computed again over every e-mail when one arrives that has
//! no thread yet, and after a removal; read back for `docs threads`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::storage::threads as stored;
use crate::threads;

use super::{Kodiak, ServiceError};

/// One message of a thread as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadMessage {
    pub id: i64,
    pub position: usize,
    /// The message it answers or forwards, when that is stored.
    pub parent: Option<i64>,
    /// As the message gives it, in RFC 3339.
    pub date: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub inclusive: bool,
}

/// One conversation, its messages in date order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thread {
    /// The thread's id: its first message's document id.
    pub id: i64,
    pub messages: Vec<ThreadMessage>,
    /// How many of its messages are inclusive: reading those reads the thread.
    pub inclusive: usize,
}

impl Kodiak {
    /// Threads the e-mails again when one has no thread yet; says whether it did.
    pub fn update_threads(&self) -> Result<bool, ServiceError> {
        if !stored::any_unthreaded(&*self.db.conn()?)? {
            return Ok(false);
        }
        self.rethread()?;
        Ok(true)
    }

    /// Threads every stored e-mail and stores the result in place of the last.
    pub(super) fn rethread(&self) -> Result<(), ServiceError> {
        let messages = stored::messages(&*self.db.conn()?)?;
        let placements = threads::thread(&messages);
        self.db
            .write(|tx| stored::replace(tx, &placements).map_err(ServiceError::from))
    }

    /// Every thread of more than `min_messages` messages, largest first, then by id.
    pub fn threads(&self, min_messages: usize) -> Result<Vec<Thread>, ServiceError> {
        let conn = self.db.conn()?;
        let placements = stored::placements(&conn)?;
        let metadata = stored::email_metadata(&conn)?;
        let mut by_thread: BTreeMap<i64, Vec<ThreadMessage>> = BTreeMap::new();
        for p in placements {
            let fields = metadata.get(&p.document);
            let field = |name: &str| fields.and_then(|m| m.get(name)).cloned();
            by_thread.entry(p.thread).or_default().push(ThreadMessage {
                id: p.document,
                position: p.position,
                parent: p.parent,
                date: field("Date"),
                from: field("From"),
                subject: field("Subject"),
                inclusive: p.inclusive,
            });
        }
        let mut threads: Vec<Thread> = by_thread
            .into_iter()
            .filter(|(_, messages)| messages.len() >= min_messages)
            .map(|(id, messages)| Thread {
                id,
                inclusive: messages.iter().filter(|m| m.inclusive).count(),
                messages,
            })
            .collect();
        threads.sort_by_key(|t| (std::cmp::Reverse(t.messages.len()), t.id));
        Ok(threads)
    }
}
