//! What one answer leaves behind for later turns (the record they replay), and the replay
//! of earlier turns.

use super::*;

/// What is stored beside an answer for later turns.
#[derive(Debug, Default)]
pub(super) struct Record {
    /// The final user message as the model saw it (masked).
    pub(super) prompt_user: String,
    /// The model's own text (masked).
    pub(super) model_text: String,
    pub(super) placeholders: BTreeMap<String, String>,
    pub(super) failed: bool,
    pub(super) error: String,
}

/// Earlier generated exchanges as the model saw them, and the placeholders they used.
pub(super) fn replay(history: &[Turn]) -> (Vec<Exchange>, BTreeMap<String, String>) {
    let mut exchanges = Vec::new();
    let mut placeholders = BTreeMap::new();
    for answer in history.iter().filter_map(|turn| turn.answer.as_ref()) {
        let replayable = answer.status == MessageStatus::Complete
            && answer.mode == Some(AnswerMode::Generated)
            && !answer.record.prompt_user.is_empty();
        if !replayable {
            continue;
        }
        placeholders.extend(answer.record.placeholders.clone());
        exchanges.push(Exchange {
            user: answer.record.prompt_user.clone(),
            assistant: answer.record.model_text.clone(),
        });
    }
    (exchanges, placeholders)
}
