//! Deciding a cell without the generator, in one of two ways. An item that names a clause
//! type is decided by the clause detector over the whole document: its best sentence is
//! the evidence, its score the confidence, and the type's thresholds say `found`,
//! `uncertain` or `not_found` ([`detected`]). Any other item is decided by its terms over
//! the document's best passages ([`extractive`]): a sentence holding one of them is the
//! clause; the question's own words only make a cell `uncertain`. Either way the answer
//! is pulled out of the quote by the item's kind ([`answers`](super::answers)).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::answers::{answer_from, has_answer, party_count};
use super::terms::{Term, TermText};
use super::{AnswerKind, Item};
use crate::citation::Source;
use crate::clauses::{ClauseType, Scores};
use crate::text::{Stemmer, is_heading, sentence_ranges};

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
    /// From the item's terms in the passages, without a model.
    Extractive,
    /// By the clause detector (the item names a clause type), without a model.
    Detector,
    /// By the generator, its quote checked against the text.
    Model,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Extractive, Method::Detector, Method::Model];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Extractive => "extractive",
            Method::Detector => "detector",
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
    terms: Vec<Term>,
    /// Content stems of the question.
    question: HashSet<String>,
}

impl ItemMatcher {
    pub fn new(item: &Item) -> ItemMatcher {
        let mut stemmer = Stemmer::new();
        let terms = item
            .terms
            .iter()
            .filter_map(|t| Term::new(&mut stemmer, t))
            .collect();
        ItemMatcher {
            terms,
            question: stemmer.content(&item.question),
        }
    }
}

/// A sentence of a chunk, read once per document however many items look at it.
struct Sentence {
    /// Byte range in the chunk's text.
    start: usize,
    end: usize,
    words: TermText,
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
                        words: TermText::new(&mut stemmer, text),
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
        .filter(|term| term.matches(&sentence.words))
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
        answer: not_found_answer(item),
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

/// How many of the detector's best sentences are looked through for an answer the best
/// one does not hold ("This Agreement takes effect on the Effective Date" has no date).
const ANSWER_CANDIDATES: usize = 4;

/// Sentences at the start of a document that make its preamble: where parties and dates
/// are stated when the clause itself does not state them.
const PREAMBLE_SENTENCES: usize = 3;
/// A detector score at which a date or jurisdiction clause is found even when its answer
/// cannot be read ("the date of the last signature").
const SURE_WITHOUT_ANSWER: f32 = 0.5;

/// The detector's suggestion for `item`, which asks for clause type `kind` (the model's
/// type `t`), over a document's `text` as `scores` read it. The quote is the best
/// statement (never a heading), placed by its characters in `text`; chunk and page are
/// left for the caller to fill in.
pub fn detected(
    item: &Item,
    kind: &ClauseType,
    t: usize,
    scores: &Scores,
    text: &str,
) -> Suggestion {
    let Some((best, score)) = scores.best(t) else {
        return Suggestion {
            state: CellState::NotFound,
            answer: not_found_answer(item),
            confidence: 1.0,
            evidence: Vec::new(),
            method: Method::Detector,
            note: Some("the document has no sentence to read".into()),
        };
    };
    let state = if score >= kind.found {
        CellState::Found
    } else if score >= kind.unsure {
        CellState::Uncertain
    } else {
        return Suggestion {
            state: CellState::NotFound,
            answer: not_found_answer(item),
            confidence: 1.0 - score,
            evidence: Vec::new(),
            method: Method::Detector,
            note: Some(format!(
                "the clause detector's best sentence scores {score:.2}, below the {:.2} it takes to look",
                kind.unsure
            )),
        };
    };
    let units = &scores.document.units;
    let quote = |i: usize| quote_in(text, units[i].start, units[i].end);
    let mut evidence = vec![quote(best)];
    // A preamble often names one party per sentence: the quote runs on while each
    // following sentence names more of them.
    if item.answer == AnswerKind::Parties {
        let mut count = party_count(&evidence[0].text);
        let mut last = best;
        for next in (best + 1..units.len()).take(PREAMBLE_SENTENCES) {
            if units[next].heading {
                break;
            }
            let longer = quote_in(text, units[best].start, units[next].end);
            let more = party_count(&longer.text);
            if more <= count {
                break;
            }
            (count, last) = (more, next);
        }
        evidence[0] = quote_in(text, units[best].start, units[last].end);
    }
    // The answer is in the evidence: from the best sentence, else from the next best or
    // the preamble, which is then quoted too.
    let mut answer_quote = evidence[0].text.clone();
    if !has_answer(item.answer, &answer_quote) {
        let preamble = units
            .iter()
            .enumerate()
            .filter(|(_, u)| !u.heading)
            .take(PREAMBLE_SENTENCES)
            .map(|(i, _)| i);
        let candidates = scores
            .ranked(t, ANSWER_CANDIDATES)
            .into_iter()
            .map(|(i, _)| i)
            .chain(preamble)
            .filter(|&i| i != best);
        for i in candidates {
            let other = quote(i);
            if has_answer(item.answer, &other.text) {
                answer_quote = other.text.clone();
                evidence.push(other);
                break;
            }
        }
    }
    let mut note = (state == CellState::Uncertain).then(|| {
        format!(
            "the clause detector is unsure: its best sentence scores {score:.2}, below the {:.2} it takes to find the clause",
            kind.found
        )
    });
    // Every contract the detector learnt from names its parties, so it finds a "preamble"
    // in any document; one that names no party in a contract's words (a memo, minutes)
    // is left for the reviewer.
    let mut state = state;
    if state == CellState::Found
        && item.answer == AnswerKind::Parties
        && party_count(&evidence[0].text) == 0
        && !names_contracting_parties(&evidence[0].text)
    {
        state = CellState::Uncertain;
        note = Some(format!(
            "the clause detector's best sentence scores {score:.2}, but it names no party \
             as a contract does (\"between\", \"party\", a defined name)"
        ));
    }
    // A date or a place is the clause: a weakly scored sentence that holds none (nor does
    // the next best, nor the preamble) is not it.
    if state == CellState::Found
        && matches!(item.answer, AnswerKind::Date | AnswerKind::Jurisdiction)
        && score < SURE_WITHOUT_ANSWER
        && !has_answer(item.answer, &answer_quote)
    {
        state = CellState::Uncertain;
        note = Some(format!(
            "the clause detector's best sentence scores {score:.2}, and no {} can be read \
             from it, the next best or the preamble",
            item.answer.as_str()
        ));
    }
    Suggestion {
        state,
        answer: answer_from(item.answer, state, &answer_quote),
        confidence: score,
        evidence,
        method: Method::Detector,
        note,
    }
}

/// Whether `text` speaks of contracting parties: "between", "party", "agreement",
/// "hereinafter", "incorporated", or a defined name in brackets.
fn names_contracting_parties(text: &str) -> bool {
    const MARKERS: [&str; 12] = [
        "between",
        "among",
        "amongst",
        "party",
        "parties",
        "agreement",
        "hereinafter",
        "undersigned",
        "incorporated",
        "organized",
        "organised",
        "registered",
    ];
    text.contains("(\"")
        || text.contains("(“")
        || crate::text::words(text).any(|w| MARKERS.iter().any(|m| w.eq_ignore_ascii_case(m)))
}

fn not_found_answer(item: &Item) -> String {
    match item.answer {
        AnswerKind::YesNo => "no".into(),
        _ => String::new(),
    }
}

/// The quote of bytes `start..end` of a document's `text`, placed by its characters; its
/// chunk and page are for the caller to fill in.
pub fn quote_in(text: &str, start: usize, end: usize) -> Quote {
    let char_start = text[..start].chars().count();
    let quoted = text[start..end].to_owned();
    Quote {
        chunk_id: 0,
        page: 0,
        ocr_confidence: None,
        char_start,
        char_end: char_start + quoted.chars().count(),
        text: quoted,
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
            clause: None,
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
}
