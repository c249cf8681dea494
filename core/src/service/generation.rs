//! The generation pipeline that answers and checklists share: the passages and the question
//! masked as the model must see them (`[pii] redact_for_llm`), the request sent to the
//! generator worker, its stream read to its one end event, the breaker told how it ended,
//! and what the model wrote restored for the reviewer.

use std::sync::mpsc;

use super::{Kodiak, ServiceError};
use crate::citation::Source;
use crate::llm::prompt::{Dropped, Passage};
use crate::llm::{Finish, GenerationEvent, GenerationRequest, GenerationStats, GeneratorWorker};
use crate::pii::Detector;
use crate::pii::mask::{MaskSpan, PromptMask};
use crate::storage::documents;

/// What one generation produced: the model's text (masked, as it wrote it) and what its
/// stream said of the prompt and of how it ended.
#[derive(Debug, Default)]
pub(super) struct Generated {
    pub text: String,
    /// The final user message as the model saw it.
    pub prompt_user: String,
    /// The passages the prompt had room for, by number.
    pub kept: Vec<usize>,
    pub dropped: Dropped,
    pub end: Ended,
}

/// How a generation's stream ended.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ended {
    Done {
        finish: Finish,
        stats: GenerationStats,
    },
    /// The worker said it failed, or the stream closed without an end event.
    Failed(String),
}

impl Default for Ended {
    fn default() -> Self {
        Ended::Failed(NO_END.into())
    }
}

/// The failure of a stream that closed without its end event.
const NO_END: &str = "the model stopped without finishing";

impl Kodiak {
    /// The passages as the model sees them, numbered and titled; personal data in them is
    /// masked in `mask` when `[pii] redact_for_llm` is on.
    pub(super) fn prompt_passages(
        &self,
        sources: &[Source],
        mask: &mut PromptMask,
    ) -> Result<Vec<Passage>, ServiceError> {
        let redact = self.settings.config.pii.redact_for_llm;
        let conn = self.db.conn()?;
        let mut passages = Vec::with_capacity(sources.len());
        for source in sources {
            let hit = &source.hit;
            let text = if redact {
                let pii = documents::pii_in_range(&conn, hit.doc_id, hit.char_start, hit.char_end)?;
                mask.mask(
                    &source.text,
                    &chunk_spans(&source.text, hit.char_start, &pii),
                )
            } else {
                source.text.clone()
            };
            passages.push(Passage {
                number: source.n,
                title: hit.label().to_owned(),
                page: hit.page,
                text,
            });
        }
        Ok(passages)
    }

    /// `question` as the model sees it: its personal data masked in `mask` when
    /// `[pii] redact_for_llm` is on, as typed otherwise.
    pub(super) fn prompt_question(
        &self,
        question: &str,
        mask: &mut PromptMask,
    ) -> Result<String, ServiceError> {
        if !self.settings.config.pii.redact_for_llm {
            return Ok(question.to_owned());
        }
        let spans: Vec<MaskSpan> = Detector::new(&self.settings.config.pii)?
            .scan(question)
            .into_iter()
            .map(|f| MaskSpan {
                start: f.start,
                end: f.end,
                kind: f.kind.clone(),
                placeholder: None,
                value: question[f.start..f.end].to_owned(),
            })
            .collect();
        Ok(mask.mask(question, &spans))
    }

    /// Sends `request` to `engine` and reads its stream to the end, handing each piece of
    /// text to `on_text` with all written so far; the breaker hears how it ended (a failure
    /// or a timeout counts against the generator; a cancel does not).
    pub(super) fn generate_stream(
        &self,
        engine: &GeneratorWorker,
        request: GenerationRequest,
        on_text: &mut dyn FnMut(&str, &str),
    ) -> Generated {
        let (events, replies) = mpsc::channel();
        engine.generate(request, events);
        let generated = read_stream(replies, on_text);
        match &generated.end {
            Ended::Failed(error) => self.generation_failed(error),
            Ended::Done {
                finish: Finish::Timeout,
                ..
            } => self.generation_failed("the answer timed out"),
            Ended::Done { .. } => self.breakers.generator.success(),
        }
        generated
    }

    /// Counts a failed generation in the breaker and remembers why, for the note given
    /// while the breaker is open.
    pub(super) fn generation_failed(&self, reason: &str) {
        self.breakers.generator.failure();
        if let Ok(mut last) = self.last_generation_failure.lock() {
            *last = Some(reason.to_owned());
        }
    }
}

/// Reads a generation's events up to its end event. A stream that closes without one is a
/// failure (the worker died), keeping the text it had.
pub(super) fn read_stream(
    events: impl IntoIterator<Item = GenerationEvent>,
    on_text: &mut dyn FnMut(&str, &str),
) -> Generated {
    let mut generated = Generated::default();
    for event in events {
        match event {
            GenerationEvent::Prompt {
                user_message,
                passages,
                dropped,
                ..
            } => {
                generated.prompt_user = user_message;
                generated.kept = passages;
                generated.dropped = dropped;
            }
            GenerationEvent::Token { text, .. } => {
                generated.text.push_str(&text);
                on_text(&text, &generated.text);
            }
            GenerationEvent::Done { finish, stats, .. } => {
                generated.end = Ended::Done { finish, stats };
                return generated;
            }
            GenerationEvent::Failed { error, .. } => {
                generated.end = Ended::Failed(error);
                return generated;
            }
        }
    }
    generated.end = Ended::Failed(NO_END.into());
    generated
}

/// The stored spans overlapping a chunk, as byte ranges of the chunk's text. A span cut
/// by the chunk's edge is masked as far as it reaches.
fn chunk_spans(chunk_text: &str, chunk_start: usize, pii: &[documents::PiiValue]) -> Vec<MaskSpan> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> GenerationEvent {
        GenerationEvent::Token {
            id: 1,
            text: text.into(),
        }
    }

    #[test]
    fn a_stream_that_closes_without_its_end_event_is_a_failure_that_keeps_the_text() {
        let mut seen = Vec::new();
        let generated = read_stream(
            vec![token("The rent "), token("is due")],
            &mut |piece, all| seen.push((piece.to_owned(), all.to_owned())),
        );
        assert_eq!(generated.text, "The rent is due");
        assert_eq!(generated.end, Ended::Failed(NO_END.into()));
        assert_eq!(seen[1], ("is due".to_owned(), "The rent is due".to_owned()));
    }

    #[test]
    fn a_stream_ends_at_its_end_event() {
        let done = GenerationEvent::Done {
            id: 1,
            finish: Finish::Stop,
            stats: GenerationStats::default(),
        };
        let generated = read_stream(
            vec![token("Yes."), done, token("never read")],
            &mut |_, _| {},
        );
        assert_eq!(generated.text, "Yes.");
        assert!(matches!(
            generated.end,
            Ended::Done {
                finish: Finish::Stop,
                ..
            }
        ));
    }
}
