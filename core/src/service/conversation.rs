//! Conversations as front ends see them: each question with its answer and the answer's
//! record, read through the one place that knows how answers are stored.

use crate::timestamp::Timestamp;
use serde::Serialize;

use super::{Kodiak, ServiceError};
use crate::answer::{AnswerMode, AnswerRecord};
use crate::storage::conversations::{self, Conversation, Message, MessageStatus, Role};

/// A conversation with its turns, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationTurns {
    pub conversation: Conversation,
    pub turns: Vec<Turn>,
}

/// One question and, once one was stored, its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    pub question_id: i64,
    pub question: String,
    pub asked_at: Timestamp,
    pub answer: Option<StoredAnswer>,
}

/// An answer as stored: its text, how it ended, how it was made and its record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAnswer {
    pub id: i64,
    /// What the reviewer reads, with personal data restored.
    pub text: String,
    pub status: MessageStatus,
    pub mode: Option<AnswerMode>,
    pub record: AnswerRecord,
    pub finished_at: Option<Timestamp>,
}

impl StoredAnswer {
    /// Why the answer failed or stopped, for a front end's label: None when it is complete.
    pub fn failure(&self) -> Option<String> {
        match self.status {
            MessageStatus::Complete => None,
            MessageStatus::Cancelled => Some("cancelled".into()),
            MessageStatus::Generating => Some("interrupted".into()),
            MessageStatus::Failed => {
                Some(self.record.error.clone().unwrap_or_else(|| "failed".into()))
            }
        }
    }
}

impl Kodiak {
    /// Every conversation, most recently active first.
    pub fn conversations(&self) -> Result<Vec<Conversation>, ServiceError> {
        Ok(conversations::list(&*self.db.conn()?)?)
    }

    /// A conversation and its turns; None when there is none with this id.
    pub fn conversation(&self, id: i64) -> Result<Option<ConversationTurns>, ServiceError> {
        let conn = self.db.conn()?;
        let Some(conversation) = conversations::get(&conn, id)? else {
            return Ok(None);
        };
        let turns = turns_of(&conversations::messages(&conn, id)?)?;
        Ok(Some(ConversationTurns {
            conversation,
            turns,
        }))
    }
}

/// Stored messages as turns: each answer belongs to the question before it.
pub(super) fn turns_of(messages: &[Message]) -> Result<Vec<Turn>, ServiceError> {
    let mut turns: Vec<Turn> = Vec::new();
    for message in messages {
        match message.role {
            Role::User => turns.push(Turn {
                question_id: message.id,
                question: message.content.clone(),
                asked_at: message.created_at,
                answer: None,
            }),
            Role::Assistant => {
                let record = AnswerRecord::from_stored(message.id, &message.details)
                    .map_err(ServiceError::Record)?;
                // An answer with no question before it cannot be written by `ask`; it is
                // kept out of the turns rather than attached to nothing.
                if let Some(turn) = turns.last_mut() {
                    turn.answer = Some(StoredAnswer {
                        id: message.id,
                        text: message.content.clone(),
                        status: message.status,
                        mode: message.mode,
                        record,
                        finished_at: message.finished_at,
                    });
                }
            }
        }
    }
    Ok(turns)
}
