//! What `kodiak ask` returns: the answer, its citations and sources, and how it was made.
//! Citation markers (`[2]`, `[1, 3]`) in a model's answer are parsed here; each valid one
//! points to a passage and carries a quote from it, and a marker pointing to no passage is
//! flagged.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::grounding::Grounding;
use crate::llm::prompt::Dropped;
use crate::llm::{Finish, GenerationStats};
use crate::process::ProcessId;
use crate::search::Hit;

/// `[2]`, `[1, 3]`, `[1][2]` (each bracket on its own).
static MARKER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]").ok());

/// Longest quote, in characters.
const MAX_QUOTE_CHARS: usize = 300;

pub use crate::storage::conversations::AnswerMode;

/// A passage given to the model (or shown, in extractive mode), numbered from 1: the
/// search hit it came from, with the chunk's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub n: usize,
    #[serde(flatten)]
    pub hit: Hit,
    /// Not serialized: the quote and snippet carry what is needed.
    #[serde(skip)]
    pub text: String,
}

/// A passage the answer cites, with the sentence of it that best supports the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    pub n: usize,
    pub doc_id: i64,
    pub chunk_id: i64,
    pub path: String,
    pub title: String,
    pub page: usize,
    pub char_start: usize,
    pub char_end: usize,
    /// Verbatim from the chunk's text.
    pub quote: String,
}

/// An answer to one question, with everything the front ends show beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// What the reviewer reads, with personal data restored.
    pub answer: String,
    pub mode: AnswerMode,
    pub citations: Vec<Citation>,
    /// Markers in the answer that point to no passage, such as `[7]` with five passages.
    pub invalid_citations: Vec<usize>,
    pub sources: Vec<Source>,
    pub dropped: Dropped,
    pub stats: GenerationStats,
    /// How generation ended; None for extractive answers.
    pub finish: Option<Finish>,
    pub conversation_id: i64,
    /// Why the answer is extractive, what search left out, and the like.
    pub notes: Vec<String>,
    /// Why generation failed (a crash of the model process, say): the answer is stored as
    /// failed, with what was written before the failure.
    pub failure: Option<String>,
    /// Which sentences the passages support; None for an extractive answer (its sentences
    /// are the passages'). Serialized as `sentences` and `grounded` beside the answer.
    #[serde(flatten)]
    pub grounding: Option<Grounding>,
}

/// What is stored beside an answer's text: all that `kodiak ask` reported about it, and
/// what the model saw and wrote (masked), which later turns replay. Written and read only
/// here, so no front end parses stored JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnswerRecord {
    pub citations: Vec<Citation>,
    pub invalid_citations: Vec<usize>,
    pub sources: Vec<Source>,
    pub dropped: Dropped,
    pub stats: GenerationStats,
    pub finish: Option<Finish>,
    pub notes: Vec<String>,
    /// Why the answer failed.
    pub error: Option<String>,
    /// Which sentences the passages support (generated answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounding: Option<Grounding>,
    /// The final user message as the model saw it (masked).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prompt_user: String,
    /// The model's own text (masked).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub model_text: String,
    /// The placeholders of the prompt and the values they stand for.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub placeholders: BTreeMap<String, String>,
    /// The process writing the answer while it is `generating`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer: Option<ProcessId>,
}

impl AnswerRecord {
    /// The record as stored.
    pub fn to_stored(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// A stored record; a record that is not valid JSON is an error naming its message.
    pub fn from_stored(message: i64, stored: &str) -> Result<AnswerRecord, String> {
        serde_json::from_str(stored)
            .map_err(|e| format!("the stored details of message {message} are damaged: {e}"))
    }

    /// The record a front end may show or export: without what the model saw and wrote
    /// (masked) and the placeholder table, which exist for later turns only.
    pub fn public(&self) -> AnswerRecord {
        AnswerRecord {
            prompt_user: String::new(),
            model_text: String::new(),
            placeholders: BTreeMap::new(),
            writer: None,
            ..self.clone()
        }
    }
}

/// The numbers cited in `text`, in order of first appearance.
pub fn markers(text: &str) -> Vec<usize> {
    let mut seen = HashSet::new();
    marker_spans(text)
        .into_iter()
        .flat_map(|(_, numbers)| numbers)
        .filter(|n| seen.insert(*n))
        .collect()
}

/// Each citation marker in `text`: where it stands (bytes) and the numbers it cites.
pub fn marker_spans(text: &str) -> Vec<(std::ops::Range<usize>, Vec<usize>)> {
    let Some(pattern) = MARKER.as_ref() else {
        return Vec::new();
    };
    pattern
        .captures_iter(text)
        .filter_map(|caps| {
            let numbers = caps[1]
                .split(',')
                .filter_map(|n| n.trim().parse::<usize>().ok())
                .collect();
            Some((caps.get(0)?.range(), numbers))
        })
        .collect()
}

/// The citations of `answer` against `sources`, and the markers that point nowhere.
pub fn cite(answer: &str, sources: &[Source]) -> (Vec<Citation>, Vec<usize>) {
    let mut citations = Vec::new();
    let mut invalid = Vec::new();
    for n in markers(answer) {
        match sources.iter().find(|s| s.n == n) {
            Some(source) => {
                let claim = sentences_citing(answer, n);
                citations.push(citation(source, &claim));
            }
            None => invalid.push(n),
        }
    }
    (citations, invalid)
}

/// A citation of `source` quoting the sentence that shares most words with `claim`.
pub fn citation(source: &Source, claim: &str) -> Citation {
    let hit = &source.hit;
    Citation {
        n: source.n,
        doc_id: hit.doc_id,
        chunk_id: hit.chunk_id,
        path: hit.path.clone(),
        title: hit.title.clone(),
        page: hit.page,
        char_start: hit.char_start,
        char_end: hit.char_end,
        quote: best_quote(&source.text, claim).to_owned(),
    }
}

/// The answer's sentences that carry marker `n`, joined.
fn sentences_citing(answer: &str, n: usize) -> String {
    sentences(answer)
        .filter(|s| markers(s).contains(&n))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sentences of `text` as slices of it, trimmed.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    sentence_ranges(text)
        .into_iter()
        .map(move |(start, end)| &text[start..end])
}

/// The byte ranges of `text`'s sentences, trimmed: a sentence ends at `.`, `?` or `!`
/// before whitespace (not inside a number such as `2.5`), or at a line break.
pub(crate) fn sentence_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut push = |from: usize, to: usize| {
        let piece = &text[from..to];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        if from + lead < to - trail {
            ranges.push((from + lead, to - trail));
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        let ends = match b {
            b'\n' => true,
            b'.' | b'?' | b'!' => bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()),
            _ => false,
        };
        if ends {
            push(start, i + 1);
            start = i + 1;
        }
    }
    push(start, text.len());
    ranges
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 3)
        .map(str::to_lowercase)
        .collect()
}

/// The sentence of `text` sharing most words with `claim` (the first on a tie), cut to
/// [`MAX_QUOTE_CHARS`] at a character boundary; always a slice of `text`.
pub fn best_quote<'t>(text: &'t str, claim: &str) -> &'t str {
    let wanted = words(claim);
    let mut best = ("", 0);
    for sentence in sentences(text) {
        let shared = words(sentence).intersection(&wanted).count();
        if best.0.is_empty() || shared > best.1 {
            best = (sentence, shared);
        }
    }
    let quote = best.0;
    match quote.char_indices().nth(MAX_QUOTE_CHARS) {
        Some((cut, _)) => &quote[..cut],
        None => quote,
    }
}

/// The text of an extractive answer: each passage's best sentence for the question,
/// cited, under a label that says no model wrote it.
pub fn extractive_text(question: &str, sources: &[Source], reason: &str) -> String {
    let mut out = format!("Extractive answer ({reason}): the most relevant passages, quoted.\n");
    if sources.is_empty() {
        out.push_str("No passage matches the question.");
        return out;
    }
    for source in sources {
        out.push_str(&format!(
            "\n[{}] {}, page {}: \"{}\"",
            source.n,
            source.hit.label(),
            source.hit.page,
            best_quote(&source.text, question)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(n: usize, text: &str) -> Source {
        Source {
            n,
            hit: Hit {
                doc_id: n as i64,
                chunk_id: 10 + n as i64,
                path: format!("/docs/{n}.txt"),
                title: format!("Doc {n}"),
                page: 1,
                char_start: 0,
                char_end: text.chars().count(),
                score: 0.0,
                bm25_rank: Some(n),
                vector_rank: None,
                fused_score: 0.0,
                snippet: String::new(),
            },
            text: text.into(),
        }
    }

    #[test]
    fn markers_are_parsed_in_order_once_each() {
        assert_eq!(
            markers("A [2]. B [1, 3] and [2][4]. See [ 5 ]."),
            [2, 1, 3, 4, 5]
        );
        assert!(markers("No markers [a] or [] here.").is_empty());
    }

    #[test]
    fn citations_quote_the_supporting_sentence_and_flag_unknown_markers() {
        let sources = [
            source(1, "The rent is USD 2,450 per month. Pets are not allowed."),
            source(
                2,
                "Either party may terminate with ninety days notice. Notices are written.",
            ),
        ];
        let answer =
            "Termination needs ninety days notice [2]. Pets are not allowed [1]. Also [7].";
        let (citations, invalid) = cite(answer, &sources);
        assert_eq!(invalid, [7]);
        assert_eq!(citations.len(), 2);
        assert_eq!(citations[0].n, 2);
        assert_eq!(
            citations[0].quote,
            "Either party may terminate with ninety days notice."
        );
        assert_eq!(citations[1].quote, "Pets are not allowed.");
        for c in &citations {
            let text = &sources[c.n - 1].text;
            assert!(text.contains(&c.quote));
        }
    }

    #[test]
    fn extractive_answers_are_labelled_and_cite_each_passage() {
        let sources = [source(1, "Intro. The deposit is returned within 31 days.")];
        let text = extractive_text(
            "When is the deposit returned?",
            &sources,
            "no model configured",
        );
        assert!(text.starts_with("Extractive answer (no model configured)"));
        assert!(text.contains("[1] Doc 1, page 1: \"The deposit is returned within 31 days.\""));
        assert_eq!(markers(&text), [1]);
    }
}
