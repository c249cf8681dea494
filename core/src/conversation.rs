//! Conversations with the model, as a reviewer has them: who wrote each message, how an
//! answer ended and how it was made. `storage::conversations` keeps them.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The reviewer's question.
    User,
    /// Kodiak's answer.
    Assistant,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::User, Role::Assistant];

    /// The name stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

crate::named::stored_by_name!(Role);
crate::named::parse_by_name!(Role, "role");

/// How an answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Complete,
    /// Still being written (or the process died while writing it).
    Generating,
    Cancelled,
    Failed,
}

impl MessageStatus {
    /// Every message status.
    pub const ALL: [MessageStatus; 4] = [
        MessageStatus::Complete,
        MessageStatus::Generating,
        MessageStatus::Cancelled,
        MessageStatus::Failed,
    ];

    /// The name stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Complete => "complete",
            MessageStatus::Generating => "generating",
            MessageStatus::Cancelled => "cancelled",
            MessageStatus::Failed => "failed",
        }
    }
}

crate::named::stored_by_name!(MessageStatus);
crate::named::parse_by_name!(MessageStatus, "message status");

/// How an answer was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerMode {
    /// Written by the local model from the passages.
    Generated,
    /// The best passages themselves, without a model.
    Extractive,
}

impl AnswerMode {
    /// Every answer mode.
    pub const ALL: [AnswerMode; 2] = [AnswerMode::Generated, AnswerMode::Extractive];

    /// The name stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerMode::Generated => "generated",
            AnswerMode::Extractive => "extractive",
        }
    }
}

crate::named::stored_by_name!(AnswerMode);
crate::named::parse_by_name!(AnswerMode, "answer mode");

/// A conversation's summary line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub id: i64,
    /// The start of its first question.
    pub title: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Questions and answers stored.
    pub messages: usize,
}

/// One stored message. Its details are the service's record of an answer, as JSON that
/// only the service reads (`AnswerRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: i64,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    /// How an answer was made; None for questions and for answers that failed before.
    pub mode: Option<AnswerMode>,
    pub details: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}
