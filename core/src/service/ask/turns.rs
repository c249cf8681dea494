//! What one answer's stream leaves behind (the record later turns replay), the replay of
//! earlier turns, and the masks of a chunk's personal data.

use super::*;

/// Reads one generation's events into `answer` and the record, passing the model's text
/// to `on_model_text` as it comes (each piece, and all of it so far); returns the record and the numbers of the passages the
/// prompt kept. A stream that closes without its end event is a failure, never a finished
/// answer.
pub(super) fn read_stream(
    events: impl IntoIterator<Item = GenerationEvent>,
    answer: &mut Answer,
    on_model_text: &mut dyn FnMut(&str, &str),
) -> (Record, Vec<usize>) {
    let mut record = Record::default();
    let mut kept = Vec::new();
    for event in events {
        match event {
            GenerationEvent::Prompt {
                user_message,
                passages,
                dropped,
                ..
            } => {
                record.prompt_user = user_message;
                kept = passages;
                answer.dropped = dropped;
            }
            GenerationEvent::Token { text, .. } => {
                record.model_text.push_str(&text);
                on_model_text(&text, &record.model_text);
            }
            GenerationEvent::Done { finish, stats, .. } => {
                answer.finish = Some(finish);
                answer.stats = stats;
                return (record, kept);
            }
            GenerationEvent::Failed { error, .. } => {
                record.failed = true;
                record.error = error;
                return (record, kept);
            }
        }
    }
    record.failed = true;
    record.error = "the model stopped without finishing the answer".into();
    (record, kept)
}

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

/// The stored spans overlapping a chunk, as byte ranges of the chunk's text. A span cut
/// by the chunk's edge is masked as far as it reaches.
pub(in crate::service) fn chunk_spans(
    chunk_text: &str,
    chunk_start: usize,
    pii: &[documents::PiiValue],
) -> Vec<MaskSpan> {
    // Byte offset of each character, and of the end.
    let mut offsets: Vec<usize> = chunk_text.char_indices().map(|(i, _)| i).collect();
    offsets.push(chunk_text.len());
    let chars = offsets.len() - 1;
    pii.iter()
        .map(|p| {
            let start = p.span.start.saturating_sub(chunk_start).min(chars);
            let end = (p.span.end.saturating_sub(chunk_start)).min(chars);
            MaskSpan {
                start: offsets[start],
                end: offsets[end],
                kind: p.span.kind.clone(),
                placeholder: Some(p.span.placeholder.clone()),
                value: p.value.clone(),
            }
        })
        .filter(|s| s.end > s.start)
        .collect()
}
