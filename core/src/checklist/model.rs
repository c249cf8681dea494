//! Asking the generator one checklist item over one document's passages, and reading its
//! reply. The passages come first and are the same for every item of a document, so the
//! model's cache of them is reused from one item to the next; only the question differs.
//! The reply's quote is looked up in the passages: a quote that is not there verbatim
//! (spacing aside) is never shown as evidence.

use super::answers::answer_from;
use super::decide::{CellState, Method, Quote, Suggestion, quote_of};
use super::{AnswerKind, Item};
use crate::citation::Source;
use crate::llm::prompt::{Exchange, Passage, user_message};

/// The system prompt of a checklist run.
pub const SYSTEM_PROMPT: &str = "You review one contract at a time for a lawyer. You are given \
passages of the contract and one question about a clause. Answer only from the passages. Reply \
in exactly three lines:\nFOUND: yes or no\nANSWER: a short answer\nQUOTE: the one sentence of \
the passages that shows it, copied exactly\nIf no passage holds the clause, reply FOUND: no, \
ANSWER: none, QUOTE: none.";

/// Worked examples of the reply asked for, over passages that are not the reviewer's: one
/// clause found, one absent. Small models copy an example's shape far better than they
/// follow a description of it; the examples come before the document's passages, so they
/// are part of the prefix every item of a document reuses.
pub fn worked_examples() -> Vec<Exchange> {
    let passages = [
        Passage {
            number: 1,
            title: "Warehouse Services Agreement".into(),
            page: 3,
            text: "7.2 Either party may terminate this Agreement on ninety (90) days' written \
                   notice to the other. 7.3 Termination does not affect accrued rights."
                .into(),
        },
        Passage {
            number: 2,
            title: "Warehouse Services Agreement".into(),
            page: 5,
            text: "11. The Provider shall store the Goods at its premises in Leeds.".into(),
        },
    ];
    let ask = |item: &Item| user_message(&passages, &question(item));
    let notice = Item {
        id: "termination_notice".into(),
        question: "On what notice can a party terminate?".into(),
        terms: Vec::new(),
        answer: AnswerKind::Duration,
        clause: None,
    };
    let law = Item {
        id: "governing_law".into(),
        question: "Which law governs the agreement?".into(),
        terms: Vec::new(),
        answer: AnswerKind::Text,
        clause: None,
    };
    vec![
        Exchange {
            user: ask(&notice),
            assistant: "FOUND: yes\nANSWER: ninety (90) days\nQUOTE: Either party may terminate \
                        this Agreement on ninety (90) days' written notice to the other."
                .into(),
        },
        Exchange {
            user: ask(&law),
            assistant: "FOUND: no\nANSWER: none\nQUOTE: none".into(),
        },
    ]
}

/// The question as the model is asked it: the item's question and the kind of answer.
pub fn question(item: &Item) -> String {
    let kind = match item.answer {
        AnswerKind::YesNo => "yes or no",
        AnswerKind::Text => "a few words",
        AnswerKind::Date => "the date",
        AnswerKind::Party => "which party",
        AnswerKind::Duration => "the period",
        AnswerKind::Amount => "the amount",
        AnswerKind::Jurisdiction => "the country or state",
        AnswerKind::Parties => "the parties' names",
    };
    format!(
        "{} (ANSWER: {kind}.) Reply with FOUND, ANSWER and QUOTE lines.",
        item.question.trim()
    )
}

/// What the model replied, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// None when the reply has no readable FOUND line.
    pub found: Option<bool>,
    pub answer: String,
    pub quote: String,
}

/// Reads `FOUND:`, `ANSWER:` and `QUOTE:` lines (any case, any order; a label may be
/// written in bold); anything else is ignored.
pub fn parse_reply(text: &str) -> Reply {
    let mut reply = Reply::default();
    for line in text.lines() {
        let line = line.trim().trim_start_matches(['*', '-', ' ']);
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        let label = label.trim().trim_matches('*').to_ascii_lowercase();
        let value = value.trim().trim_matches('*').trim();
        match label.as_str() {
            "found" => {
                let lower = value.to_ascii_lowercase();
                reply.found = if lower.starts_with("yes") {
                    Some(true)
                } else if lower.starts_with("no") {
                    Some(false)
                } else {
                    reply.found
                };
            }
            "answer" if reply.answer.is_empty() => reply.answer = value.to_owned(),
            "quote" if reply.quote.is_empty() => {
                reply.quote = value
                    .trim_matches(['"', '“', '”', '\''])
                    .trim_end_matches("...")
                    .trim()
                    .to_owned()
            }
            _ => {}
        }
    }
    reply
}

/// Shortest quote looked up: "yes" or a word proves nothing.
const MIN_QUOTE_CHARS: usize = 12;

/// Where `quote` stands in one of `sources`, spacing aside; the quote returned is the
/// stored text itself, so it is verbatim.
pub fn locate(quote: &str, sources: &[Source]) -> Option<Quote> {
    let wanted: Vec<&str> = quote.split_whitespace().collect();
    if wanted.join(" ").chars().count() < MIN_QUOTE_CHARS || quote.eq_ignore_ascii_case("none") {
        return None;
    }
    sources.iter().find_map(|source| {
        let (start, end) = find_words(&source.text, &wanted)?;
        Some(quote_of(source, start, end))
    })
}

/// The byte range of `text` holding `wanted` as consecutive whitespace-separated words; the
/// first and last may be parts of words (a quote can start or end inside a word's
/// punctuation) only where they end or start.
fn find_words(text: &str, wanted: &[&str]) -> Option<(usize, usize)> {
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let n = wanted.len();
    if n == 0 || words.len() < n {
        return None;
    }
    (0..=words.len() - n).find_map(|i| {
        let window = &words[i..i + n];
        let (first_at, first) = window[0];
        let (last_at, last) = window[n - 1];
        let inner_ok = window[1..n.saturating_sub(1)]
            .iter()
            .zip(&wanted[1..n.saturating_sub(1)])
            .all(|((_, w), q)| w == q);
        if n == 1 {
            let at = first.find(wanted[0])?;
            return Some((first_at + at, first_at + at + wanted[0].len()));
        }
        (inner_ok && first.ends_with(wanted[0]) && last.starts_with(wanted[n - 1])).then(|| {
            (
                first_at + first.len() - wanted[0].len(),
                last_at + wanted[n - 1].len(),
            )
        })
    })
}

/// The suggestion from the model's `reply`, checked: its quote must be in the passages;
/// `extractive` (the decision without a model over the same passages) stands in for
/// evidence the model did not give verbatim, and for a reply that cannot be read.
pub fn suggestion(
    item: &Item,
    reply: &Reply,
    sources: &[Source],
    extractive: Suggestion,
) -> Suggestion {
    let Some(found) = reply.found else {
        return Suggestion {
            note: Some("the model's reply could not be read; decided without it".into()),
            ..extractive
        };
    };
    let located = locate(&reply.quote, sources);
    let answer = |state: CellState, quote: &str| match item.answer {
        AnswerKind::YesNo => answer_from(AnswerKind::YesNo, state, quote),
        _ if reply.answer.is_empty() || reply.answer.eq_ignore_ascii_case("none") => {
            answer_from(item.answer, state, quote)
        }
        _ => reply.answer.clone(),
    };
    match (found, located) {
        (true, Some(quote)) => {
            let agrees = extractive.state == CellState::Found;
            Suggestion {
                state: CellState::Found,
                answer: answer(CellState::Found, &quote.text),
                confidence: if agrees { 0.9 } else { 0.75 },
                evidence: vec![quote],
                method: Method::Model,
                note: None,
            }
        }
        // Both find the clause: the sentence holding the item's terms is the evidence.
        (true, None) if extractive.state == CellState::Found => Suggestion {
            answer: match item.answer {
                AnswerKind::YesNo => "yes".into(),
                _ => extractive.answer,
            },
            confidence: 0.7,
            method: Method::Model,
            note: Some(
                "the model found the clause but quoted nothing from the document; the evidence \
                 is the sentence holding the item's terms"
                    .into(),
            ),
            ..extractive
        },
        (true, None) => Suggestion {
            state: CellState::Uncertain,
            answer: answer(CellState::Uncertain, ""),
            confidence: 0.4,
            evidence: extractive.evidence,
            method: Method::Model,
            note: Some(
                "the model found the clause but its quote is not in the document; the \
                 evidence shown is the best matching sentence"
                    .into(),
            ),
        },
        (false, _) if extractive.state == CellState::Found => Suggestion {
            state: CellState::Uncertain,
            answer: extractive.answer,
            confidence: 0.4,
            evidence: extractive.evidence,
            method: Method::Model,
            note: Some(
                "the model found no such clause, but the quoted sentence holds the item's terms"
                    .into(),
            ),
        },
        (false, _) if extractive.state == CellState::NotFound => Suggestion {
            state: CellState::NotFound,
            answer: answer(CellState::NotFound, ""),
            confidence: 0.8,
            evidence: Vec::new(),
            method: Method::Model,
            note: None,
        },
        // The rules were unsure: `not_found` promises the clause is absent (at most 5% of
        // contracts with it score that low), a promise a model's "no" cannot keep. The cell
        // stays for the reviewer, with the model's view.
        (false, _) => Suggestion {
            note: Some(
                "the model found no such clause; left uncertain, as the rules were unsure".into(),
            ),
            ..extractive
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::tests::source;
    use crate::checklist::decide::{ItemMatcher, SentenceCache, extractive};

    #[test]
    fn replies_are_read_line_by_line_whatever_the_case_and_bold() {
        let reply = parse_reply(
            "**FOUND:** Yes\nAnswer: England and Wales\nquote: \"This Agreement is governed by \
             the laws of England and Wales.\"\nExtra words.",
        );
        assert_eq!(reply.found, Some(true));
        assert_eq!(reply.answer, "England and Wales");
        assert_eq!(
            reply.quote,
            "This Agreement is governed by the laws of England and Wales."
        );
        assert_eq!(parse_reply("I think so.").found, None);
    }

    #[test]
    fn a_quote_is_located_across_line_breaks_and_returned_as_the_stored_text() {
        let sources = [source(
            1,
            "Intro.\nThis Agreement is governed by\nthe laws of England. Other text.",
        )];
        let quote = locate(
            "This Agreement is governed by the laws of England.",
            &sources,
        )
        .unwrap();
        assert_eq!(
            quote.text,
            "This Agreement is governed by\nthe laws of England."
        );
        assert_eq!(quote.char_start, 7);
        assert_eq!(locate("governed by the laws of France.", &sources), None);
        assert_eq!(locate("none", &sources), None);
    }

    #[test]
    fn a_model_quote_not_in_the_document_is_never_evidence() {
        let item = Item {
            id: "law".into(),
            question: "Which law governs?".into(),
            terms: vec!["governed by".into()],
            answer: AnswerKind::Text,
            clause: None,
        };
        let sources = [source(1, "This Agreement is governed by the laws of Ohio.")];
        let fallback = extractive(
            &item,
            &ItemMatcher::new(&item),
            &sources,
            &mut SentenceCache::default(),
        );
        let reply = Reply {
            found: Some(true),
            answer: "Texas".into(),
            quote: "This Agreement is governed by the laws of Texas.".into(),
        };
        let got = suggestion(&item, &reply, &sources, fallback);
        // Both find a clause: the evidence is the document's sentence holding the item's
        // terms, and the answer is drawn from it, not from the model's invention.
        assert_eq!(got.state, CellState::Found);
        assert_eq!(
            got.evidence[0].text,
            "This Agreement is governed by the laws of Ohio."
        );
        assert!(!got.answer.contains("Texas"));
        // Where nothing holds the terms, an unverifiable claim stays uncertain, unquoted.
        let elsewhere = [source(1, "Rent is paid monthly.")];
        let none = extractive(
            &item,
            &ItemMatcher::new(&item),
            &elsewhere,
            &mut SentenceCache::default(),
        );
        let got = suggestion(&item, &reply, &elsewhere, none);
        assert_eq!(got.state, CellState::Uncertain);
        assert!(got.evidence.is_empty());
    }

    #[test]
    fn a_models_no_leaves_an_unsure_cell_uncertain_and_its_quoted_yes_finds_it() {
        let item = Item {
            id: "non_compete".into(),
            question: "Is there a non-compete?".into(),
            terms: vec!["shall not compete".into()],
            answer: AnswerKind::YesNo,
            clause: None,
        };
        let text = "During the term the Supplier will not sell similar goods to rivals.";
        let sources = [source(1, text)];
        let unsure = Suggestion {
            state: CellState::Uncertain,
            answer: String::new(),
            confidence: 0.2,
            evidence: Vec::new(),
            method: Method::Detector,
            note: None,
        };
        let no = Reply {
            found: Some(false),
            answer: String::new(),
            quote: String::new(),
        };
        let got = suggestion(&item, &no, &sources, unsure.clone());
        assert_eq!(got.state, CellState::Uncertain);
        assert!(
            got.note
                .is_some_and(|n| n.contains("model found no such clause"))
        );
        let yes = Reply {
            found: Some(true),
            answer: "yes".into(),
            quote: text.into(),
        };
        let got = suggestion(&item, &yes, &sources, unsure);
        assert_eq!(got.state, CellState::Found);
        assert_eq!(got.evidence[0].text, text);
    }
}
