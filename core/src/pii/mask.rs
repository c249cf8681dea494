//! Masking for a prompt: personal data in the passages and the question is replaced by
//! placeholders before anything reaches a model, and the model's answer gets the original
//! values back for the reviewer.
//!
//! Each document's stable placeholders (`[EMAIL_ADDRESS_1]`) are kept where they can be.
//! Two documents may both have a `[PERSON_1]` for different people, so within one prompt a
//! placeholder already standing for another value is renumbered; the same value always gets
//! the same placeholder.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use regex::Regex;

use super::PiiKind;

/// Placeholders look like `[EMAIL_ADDRESS_1]`.
static PLACEHOLDER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\[[A-Z][A-Z0-9_]*_[0-9]+\]").ok());

/// Longest text held back while it may still become a placeholder.
const MAX_PLACEHOLDER: usize = 64;

/// A span of personal data in a text to mask, by byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskSpan {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
    /// The document's own placeholder for this value, when it has one.
    pub placeholder: Option<String>,
    /// The whole original value (a span cut by a chunk boundary still maps to it).
    pub value: String,
}

/// The placeholders of one prompt and the values they stand for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptMask {
    by_value: HashMap<(String, String), String>,
    originals: BTreeMap<String, String>,
}

impl PromptMask {
    /// A mask that goes on from earlier placeholders (of earlier turns of a conversation),
    /// so a value keeps its placeholder from turn to turn.
    pub fn with_originals(originals: BTreeMap<String, String>) -> PromptMask {
        let mut mask = PromptMask::default();
        for (placeholder, value) in originals {
            let kind = placeholder
                .trim_matches(|c| c == '[' || c == ']')
                .rsplit_once('_')
                .map(|(kind, _)| kind.to_owned())
                .unwrap_or_default();
            mask.by_value
                .insert((kind, value.clone()), placeholder.clone());
            mask.originals.insert(placeholder, value);
        }
        mask
    }

    /// The placeholder for `value`: the one it already has in this prompt, else
    /// `preferred` when free, else the next free number of its kind.
    pub fn placeholder_for(&mut self, kind: &str, value: &str, preferred: Option<&str>) -> String {
        let key = (kind.to_owned(), value.to_owned());
        if let Some(existing) = self.by_value.get(&key) {
            return existing.clone();
        }
        let chosen = match preferred.filter(|p| !self.originals.contains_key(*p)) {
            Some(p) => p.to_owned(),
            None => (1..)
                .map(|n| format!("[{kind}_{n}]"))
                .find(|p| !self.originals.contains_key(p))
                .unwrap_or_default(),
        };
        self.by_value.insert(key, chosen.clone());
        self.originals.insert(chosen.clone(), value.to_owned());
        chosen
    }

    /// `text` with every span replaced by its placeholder. Spans must be in order; one
    /// overlapping an earlier span is skipped.
    pub fn mask(&mut self, text: &str, spans: &[MaskSpan]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for span in spans {
            if span.start < copied
                || span.end > text.len()
                || !text.is_char_boundary(span.start)
                || !text.is_char_boundary(span.end)
            {
                continue;
            }
            out.push_str(&text[copied..span.start]);
            out.push_str(&self.placeholder_for(
                span.kind.as_str(),
                &span.value,
                span.placeholder.as_deref(),
            ));
            copied = span.end;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Placeholder → original value.
    pub fn originals(&self) -> &BTreeMap<String, String> {
        &self.originals
    }

    /// `text` with every placeholder of this prompt replaced by its original value;
    /// anything that only looks like a placeholder stays as it is.
    pub fn restore(&self, text: &str) -> String {
        if self.originals.is_empty() {
            return text.to_owned();
        }
        let Some(pattern) = PLACEHOLDER.as_ref() else {
            return text.to_owned();
        };
        pattern
            .replace_all(text, |caps: &regex::Captures<'_>| {
                let found = &caps[0];
                self.originals
                    .get(found)
                    .cloned()
                    .unwrap_or_else(|| found.to_owned())
            })
            .into_owned()
    }
}

/// Restores placeholders in text that arrives in pieces (a streamed answer): a piece
/// ending inside a possible placeholder is held back until it is complete.
pub struct StreamRestorer<'a> {
    mask: &'a PromptMask,
    held: String,
}

impl<'a> StreamRestorer<'a> {
    /// A restorer for the text a model writes with `mask`'s placeholders.
    pub fn new(mask: &'a PromptMask) -> StreamRestorer<'a> {
        StreamRestorer {
            mask,
            held: String::new(),
        }
    }

    /// What can be shown now.
    pub fn push(&mut self, text: &str) -> String {
        self.held.push_str(text);
        let open = self.held.rfind('[').filter(|&at| {
            let tail = &self.held[at + 1..];
            tail.len() < MAX_PLACEHOLDER
                && tail
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        let cut = open.unwrap_or(self.held.len());
        let shown = self.mask.restore(&self.held[..cut]);
        self.held.drain(..cut);
        shown
    }

    /// The rest, at the end of the stream.
    pub fn finish(&mut self) -> String {
        let rest = self.mask.restore(&self.held);
        self.held.clear();
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, value: &str, kind: &str, placeholder: &str) -> MaskSpan {
        let start = text.find(value).unwrap();
        MaskSpan {
            start,
            end: start + value.len(),
            kind: PiiKind::from_name(kind),
            placeholder: Some(placeholder.into()),
            value: value.into(),
        }
    }

    #[test]
    fn placeholders_stay_unique_across_documents_and_values_map_back() {
        let mut mask = PromptMask::default();
        let a = "Write to ann@example.com today.";
        let b = "Bob is bob@example.org; Ann is ann@example.com.";
        let masked_a = mask.mask(
            a,
            &[span(
                a,
                "ann@example.com",
                "EMAIL_ADDRESS",
                "[EMAIL_ADDRESS_1]",
            )],
        );
        // Document b numbered its own emails from 1 too.
        let spans_b = [
            span(b, "bob@example.org", "EMAIL_ADDRESS", "[EMAIL_ADDRESS_1]"),
            span(b, "ann@example.com", "EMAIL_ADDRESS", "[EMAIL_ADDRESS_2]"),
        ];
        let masked_b = mask.mask(b, &spans_b);
        assert_eq!(masked_a, "Write to [EMAIL_ADDRESS_1] today.");
        assert_eq!(
            masked_b,
            "Bob is [EMAIL_ADDRESS_2]; Ann is [EMAIL_ADDRESS_1]."
        );
        assert!(!masked_a.contains('@') && !masked_b.contains('@'));
        assert_eq!(mask.restore(&masked_b), b);
        assert_eq!(
            mask.restore("[EMAIL_ADDRESS_9] and [NOT A PLACEHOLDER]"),
            "[EMAIL_ADDRESS_9] and [NOT A PLACEHOLDER]"
        );
    }

    #[test]
    fn a_streamed_answer_gets_values_back_even_when_a_placeholder_is_split() {
        let mut mask = PromptMask::default();
        mask.placeholder_for("EMAIL_ADDRESS", "ann@example.com", None);
        let answer = "Contact [EMAIL_ADDRESS_1] [1] or [see] [2].";
        for cut in 0..=answer.len() {
            if !answer.is_char_boundary(cut) {
                continue;
            }
            let mut stream = StreamRestorer::new(&mask);
            let mut shown = stream.push(&answer[..cut]);
            shown.push_str(&stream.push(&answer[cut..]));
            shown.push_str(&stream.finish());
            assert_eq!(
                shown, "Contact ann@example.com [1] or [see] [2].",
                "cut at {cut}"
            );
        }
    }
}
