//! The extractive decision: whether a document's best passages for an item hold the clause,
//! read without a model. A sentence counts as the clause when it holds one of the item's
//! terms (as a phrase, stemmed: "governed by" finds "shall be governed by"); the question's
//! own words only make a cell `uncertain`. The answer is pulled out of the quoted sentence
//! by the item's kind (a date, an amount, a duration, a party).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{AnswerKind, Item};
use crate::citation::Source;
use crate::text::{Stemmer, is_heading, sentence_ranges, words};

/// Longest short answer of the `text` kind, in characters.
const MAX_ANSWER_CHARS: usize = 160;

/// What a cell says about its document and item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    Found,
    NotFound,
    Uncertain,
}

impl CellState {
    pub const ALL: [CellState; 3] = [CellState::Found, CellState::NotFound, CellState::Uncertain];

    pub fn as_str(self) -> &'static str {
        match self {
            CellState::Found => "found",
            CellState::NotFound => "not_found",
            CellState::Uncertain => "uncertain",
        }
    }

    /// One character for the grid, readable without colour.
    pub fn symbol(self) -> char {
        match self {
            CellState::Found => '✓',
            CellState::NotFound => '✗',
            CellState::Uncertain => '?',
        }
    }
}

crate::named::stored_by_name!(CellState);
crate::named::parse_by_name!(CellState, "cell state");

/// How a suggestion was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// From the passages' words, without a model.
    Extractive,
    /// By the generator, its quote checked against the text.
    Model,
}

impl Method {
    pub const ALL: [Method; 2] = [Method::Extractive, Method::Model];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Extractive => "extractive",
            Method::Model => "model",
        }
    }
}

crate::named::stored_by_name!(Method);
crate::named::parse_by_name!(Method, "method");

/// A verbatim quote from a document: where it stands (characters of the document's text)
/// and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub chunk_id: i64,
    pub page: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_confidence: Option<f32>,
    pub char_start: usize,
    pub char_end: usize,
    pub text: String,
}

/// The machine's suggestion for one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub state: CellState,
    /// Short: "England and Wales", "USD 2,000,000", "yes".
    pub answer: String,
    /// 0 to 1: how sure the decision is (for `not_found`, that the clause is absent).
    pub confidence: f32,
    /// Verbatim quotes, checked against the stored text before they are kept.
    pub evidence: Vec<Quote>,
    pub method: Method,
    /// Why the suggestion is what it is, when that is not obvious.
    pub note: Option<String>,
}

/// An item's question and terms, stemmed once per job.
pub struct ItemMatcher {
    /// Each term as its stems in order.
    terms: Vec<Vec<String>>,
    /// Content stems of the question.
    question: HashSet<String>,
}

impl ItemMatcher {
    pub fn new(item: &Item) -> ItemMatcher {
        let mut stemmer = Stemmer::new();
        let terms = item
            .terms
            .iter()
            .map(|t| stems(&mut stemmer, t))
            .filter(|t| !t.is_empty())
            .collect();
        ItemMatcher {
            terms,
            question: stemmer.content(&item.question),
        }
    }
}

/// The stems of every word of `text`, in order (stop words kept: "governed by" is a phrase).
fn stems(stemmer: &mut Stemmer, text: &str) -> Vec<String> {
    words(text)
        .map(|w| stemmer.stem(&w.to_lowercase()))
        .collect()
}

/// A sentence of a chunk, read once per document however many items look at it.
struct Sentence {
    /// Byte range in the chunk's text.
    start: usize,
    end: usize,
    stems: Vec<String>,
    content: HashSet<String>,
    heading: bool,
}

/// The sentences of a document's chunks, stemmed on first use: a document's items share
/// most of their passages.
#[derive(Default)]
pub struct SentenceCache {
    chunks: HashMap<i64, Vec<Sentence>>,
}

impl SentenceCache {
    fn sentences(&mut self, source: &Source) -> &[Sentence] {
        self.chunks.entry(source.hit.chunk_id).or_insert_with(|| {
            let mut stemmer = Stemmer::new();
            sentence_ranges(&source.text)
                .into_iter()
                .map(|(start, end)| {
                    let text = &source.text[start..end];
                    Sentence {
                        start,
                        end,
                        stems: stems(&mut stemmer, text),
                        content: stemmer.content(text),
                        heading: is_heading(text),
                    }
                })
                .collect()
        })
    }
}

/// How well one sentence matches an item.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct Score {
    /// A term matched in a statement (not a heading).
    stated: bool,
    /// Distinct terms matched.
    terms: usize,
    /// Share of the question's content words the sentence holds.
    question: f32,
}

fn score(matcher: &ItemMatcher, sentence: &Sentence) -> Score {
    let terms = matcher
        .terms
        .iter()
        .filter(|term| contains_phrase(&sentence.stems, term))
        .count();
    let question = if matcher.question.is_empty() {
        0.0
    } else {
        matcher.question.intersection(&sentence.content).count() as f32
            / matcher.question.len() as f32
    };
    Score {
        stated: terms > 0 && !sentence.heading,
        terms,
        question,
    }
}

fn contains_phrase(haystack: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && haystack.windows(phrase.len()).any(|w| w == phrase)
}

/// The extractive suggestion for `item` over `sources`, a document's best passages for it.
pub fn extractive(
    item: &Item,
    matcher: &ItemMatcher,
    sources: &[Source],
    cache: &mut SentenceCache,
) -> Suggestion {
    let mut best: Option<(Score, &Source, usize, usize)> = None;
    for source in sources {
        for sentence in cache.sentences(source) {
            let found = score(matcher, sentence);
            let better = best.is_none_or(|(top, ..)| {
                (found.stated, found.terms, found.question) > (top.stated, top.terms, top.question)
            });
            if better {
                best = Some((found, source, sentence.start, sentence.end));
            }
        }
    }
    let has_terms = !matcher.terms.is_empty();
    let Some((top, source, start, end)) = best else {
        return not_found(item, 0.0, "no passage of the document matches the item");
    };
    let (state, confidence) = if top.stated {
        let extra = (top.terms.saturating_sub(1)) as f32 * 0.1;
        (
            CellState::Found,
            (0.6 + extra + 0.2 * top.question).min(0.95),
        )
    } else if !has_terms && top.question >= 0.67 {
        (CellState::Found, 0.5 + 0.3 * top.question)
    } else if top.terms > 0 || top.question >= if has_terms { 0.5 } else { 0.34 } {
        (CellState::Uncertain, 0.3 + 0.2 * top.question)
    } else {
        return not_found(
            item,
            top.question,
            "no sentence of the best passages holds the item's terms",
        );
    };
    let quote = quote_of(source, start, end);
    let note = match (state, top.stated) {
        (CellState::Uncertain, _) if top.terms > 0 => {
            Some("the item's terms appear only in a heading".to_owned())
        }
        (CellState::Uncertain, _) => {
            Some("a sentence shares the question's words but none of its terms".to_owned())
        }
        _ => None,
    };
    Suggestion {
        state,
        answer: answer_from(item.answer, state, &quote.text),
        confidence,
        evidence: vec![quote],
        method: Method::Extractive,
        note,
    }
}

fn not_found(item: &Item, best_question: f32, note: &str) -> Suggestion {
    Suggestion {
        state: CellState::NotFound,
        answer: match item.answer {
            AnswerKind::YesNo => "no".into(),
            _ => String::new(),
        },
        confidence: 0.8 - 0.4 * best_question,
        evidence: Vec::new(),
        method: Method::Extractive,
        note: Some(note.to_owned()),
    }
}

/// The quote of `source.text[start..end]` with its place in the document, in characters.
pub fn quote_of(source: &Source, start: usize, end: usize) -> Quote {
    let hit = &source.hit;
    let char_start = hit.char_start + source.text[..start].chars().count();
    let text = source.text[start..end].to_owned();
    Quote {
        chunk_id: hit.chunk_id,
        page: hit.page,
        ocr_confidence: hit.ocr_confidence,
        char_start,
        char_end: char_start + text.chars().count(),
        text,
    }
}

const MONTHS: &str =
    "January|February|March|April|May|June|July|August|September|October|November|December";

static DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS}),?\s+\d{{4}}|(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b"
    ))
    .ok()
});

static AMOUNT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\b(?:USD|EUR|GBP|CHF|CAD|AUD|JPY)\s?|[$€£])\d[\d,]*(?:\.\d+)?(?:\s?(?:million|thousand|billion|m|k)\b)?|\b\d[\d,]*(?:\.\d+)?(?:\s?(?:million|thousand|billion))?\s?(?:dollars|euros|pounds|francs)\b|\b(?:one|two|three|four|five|ten|twice|three times)?\s?(?:times\s)?the\s(?:total\s)?(?:fees|charges|amounts?|price)\s(?:paid|payable)(?:\s[^\s.;,]+){0,10}",
    )
    .ok()
});

static DURATION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty[- ]five|forty|sixty|ninety|hundred(?: and)? eighty|\d{1,4})(?:\s*\(\d{1,4}\))?)\s+(?:business\s+|calendar\s+|working\s+)?(?:days?|weeks?|months?|years?)\b",
    )
    .ok()
});

/// Roles contracts name their parties by, and how they refer to both.
const PARTIES: [&str; 24] = [
    "either party",
    "each party",
    "neither party",
    "both parties",
    "Supplier",
    "Customer",
    "Buyer",
    "Seller",
    "Licensor",
    "Licensee",
    "Provider",
    "Client",
    "Contractor",
    "Vendor",
    "Purchaser",
    "Company",
    "Landlord",
    "Tenant",
    "Employer",
    "Employee",
    "Processor",
    "Controller",
    "Discloser",
    "Recipient",
];

/// The short answer of kind `kind` in `quote`; the quote itself, shortened, when nothing
/// of that kind is in it.
pub fn answer_from(kind: AnswerKind, state: CellState, quote: &str) -> String {
    let flat = quote.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = |pattern: &LazyLock<Option<Regex>>| {
        pattern
            .as_ref()
            .and_then(|p| p.find(&flat))
            .map(|m| m.as_str().trim().to_owned())
    };
    let found = match kind {
        AnswerKind::YesNo => {
            return match state {
                CellState::Found => "yes",
                CellState::NotFound => "no",
                CellState::Uncertain => "unclear",
            }
            .into();
        }
        AnswerKind::Text => None,
        AnswerKind::Date => first(&DATE),
        AnswerKind::Amount => first(&AMOUNT),
        AnswerKind::Duration => first(&DURATION),
        AnswerKind::Party => first_party(&flat),
    };
    found.unwrap_or_else(|| shorten(&flat))
}

fn first_party(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    PARTIES
        .iter()
        .filter_map(|party| {
            let at = if party.starts_with(char::is_lowercase) {
                lower.find(party)
            } else {
                text.match_indices(party)
                    .find(|(at, _)| {
                        let after = text[at + party.len()..].chars().next();
                        after.is_none_or(|c| !c.is_alphanumeric())
                    })
                    .map(|(at, _)| at)
            }?;
            Some((at, party))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, party)| (*party).to_owned())
}

/// `text` cut to [`MAX_ANSWER_CHARS`] at a word, with an ellipsis when cut.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ANSWER_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let head = &text[..cut];
            let head = head.rsplit_once(' ').map_or(head, |(h, _)| h);
            format!("{head}…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::tests::source;

    fn item(id: &str, question: &str, terms: &[&str], answer: AnswerKind) -> Item {
        Item {
            id: id.into(),
            question: question.into(),
            terms: terms.iter().map(|t| (*t).to_owned()).collect(),
            answer,
        }
    }

    fn decide(item: &Item, texts: &[&str]) -> Suggestion {
        let sources: Vec<Source> = texts
            .iter()
            .enumerate()
            .map(|(n, t)| source(n + 1, t))
            .collect();
        extractive(
            item,
            &ItemMatcher::new(item),
            &sources,
            &mut SentenceCache::default(),
        )
    }

    #[test]
    fn a_sentence_holding_a_term_is_found_and_quoted_with_its_place() {
        let law = item(
            "governing_law",
            "Which law governs the agreement?",
            &["governed by", "governing law"],
            AnswerKind::Text,
        );
        let text = "Payment is due in 30 days. This Agreement shall be governed by the laws of \
                    England and Wales. Notices are written.";
        let got = decide(&law, &[text]);
        assert_eq!(got.state, CellState::Found);
        assert_eq!(
            got.evidence[0].text,
            "This Agreement shall be governed by the laws of England and Wales."
        );
        let q = &got.evidence[0];
        let chars: Vec<char> = text.chars().collect();
        let at: String = chars[q.char_start..q.char_end].iter().collect();
        assert_eq!(at, q.text);
        assert!(got.confidence >= 0.6);
    }

    #[test]
    fn without_its_terms_a_clause_is_not_found_and_question_words_alone_make_it_uncertain() {
        let cap = item(
            "liability_cap",
            "Is liability capped at an amount?",
            &["aggregate liability", "liability shall not exceed"],
            AnswerKind::Amount,
        );
        let absent = decide(&cap, &["Rent is paid monthly. Pets need consent."]);
        assert_eq!(absent.state, CellState::NotFound);
        assert!(absent.evidence.is_empty());
        let vague = decide(
            &cap,
            &["The supplier accepts liability for its staff, which is capped by law."],
        );
        assert_eq!(vague.state, CellState::Uncertain);
        assert_eq!(vague.evidence.len(), 1);
    }

    #[test]
    fn answers_are_pulled_out_by_kind() {
        let s = CellState::Found;
        assert_eq!(
            answer_from(
                AnswerKind::Amount,
                s,
                "The Supplier's aggregate liability shall not exceed USD 2,500,000 in any year."
            ),
            "USD 2,500,000"
        );
        assert_eq!(
            answer_from(
                AnswerKind::Duration,
                s,
                "Either party may terminate on ninety (90) days' written notice."
            ),
            "ninety (90) days"
        );
        assert_eq!(
            answer_from(
                AnswerKind::Date,
                s,
                "This Agreement takes effect on 1 March 2026."
            ),
            "1 March 2026"
        );
        assert_eq!(
            answer_from(
                AnswerKind::Party,
                s,
                "The Customer may not assign this Agreement without the Supplier's consent."
            ),
            "Customer"
        );
        assert_eq!(answer_from(AnswerKind::YesNo, s, "anything"), "yes");
        assert_eq!(
            answer_from(AnswerKind::Date, s, "No date here."),
            "No date here."
        );
    }
}
