//! The prompt for a grounded answer, fitted to the model's context: system prompt, worked
//! examples, the numbered passages, the conversation so far and the question. When it does
//! not fit with room for the answer, the oldest history goes first, then the examples, then
//! the lowest-ranked passages, and as a last resort the question is cut; what was dropped is
//! reported.

use serde::{Deserialize, Serialize};

/// One message for the chat template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: "system",
            content: content.into(),
        }
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: "user",
            content: content.into(),
        }
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: "assistant",
            content: content.into(),
        }
    }
}

/// A retrieved passage as the model sees it, numbered by rank from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    pub number: usize,
    pub title: String,
    pub page: usize,
    pub text: String,
}

/// An earlier exchange of the conversation, as it was sent and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub user: String,
    pub assistant: String,
}

/// Everything a prompt is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptParts {
    pub system: String,
    /// Worked examples of a cited answer, given before the conversation (few-shot).
    #[serde(default)]
    pub examples: Vec<Exchange>,
    pub passages: Vec<Passage>,
    /// Oldest first.
    pub history: Vec<Exchange>,
    pub question: String,
    /// State the question before the passages as well as after them.
    #[serde(default)]
    pub restate_question: bool,
}

/// A worked example of the answer Kodiak asks for: passages that are not the reviewer's,
/// a question, and a short answer that cites the passage holding each fact. Small models
/// copy the shape of an example far better than they follow a description of it.
pub fn worked_example() -> Exchange {
    let passages = [
        Passage {
            number: 1,
            title: "Office Lease".into(),
            page: 2,
            text: "5.2 The deposit is returned to the tenant within twenty-one (21) days after \
                   the end of the lease, less any unpaid rent."
                .into(),
        },
        Passage {
            number: 2,
            title: "Office Lease".into(),
            page: 4,
            text: "9. The tenant may not sublet the premises without the landlord's written \
                   consent."
                .into(),
        },
    ];
    Exchange {
        user: user_message_after(&[], &passages, "When is the deposit returned?", false),
        assistant: "The deposit is returned within twenty-one (21) days after the end of the \
                    lease, less any unpaid rent [1]."
            .into(),
    }
}

/// What had to go for the prompt to fit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// Earlier exchanges left out, oldest first.
    pub history_exchanges: usize,
    /// Numbers of the passages left out.
    pub passages: Vec<usize>,
    /// Whether the question itself had to be cut.
    pub question_truncated: bool,
}

impl Dropped {
    /// Whether nothing had to go.
    pub fn is_empty(&self) -> bool {
        self.history_exchanges == 0 && self.passages.is_empty() && !self.question_truncated
    }
}

/// The prompt that fits: its messages, its size in tokens, and what was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedPrompt {
    pub messages: Vec<ChatMessage>,
    /// The final user message as sent (passages and question): later turns replay it, so
    /// the model's cache of this turn can be reused.
    pub user_message: String,
    pub tokens: usize,
    pub passages: Vec<Passage>,
    pub dropped: Dropped,
}

/// The user message: the passages, each headed by its number, title and page, then the
/// question.
pub fn user_message(passages: &[Passage], question: &str) -> String {
    user_message_after(&[], passages, question, false)
}

/// The user message of a turn that follows `history`. A passage already given word for word
/// in an earlier user message still in the prompt is named, not repeated: the model has read
/// it there, and a follow-up question that retrieves the same passages then costs the tokens
/// of its question rather than a second copy of every passage. With `restate`, the question
/// also comes first, so the model reads the passages knowing what to look for.
pub fn user_message_after(
    history: &[Exchange],
    passages: &[Passage],
    question: &str,
    restate: bool,
) -> String {
    let mut out = String::new();
    if restate && !passages.is_empty() {
        out.push_str(&format!("Question: {}\n\n", question.trim()));
    }
    if passages.is_empty() {
        out.push_str("No passages were found.\n\n");
    } else {
        out.push_str("Passages:\n\n");
        for p in passages {
            let body = passage_body(p);
            let earlier = history
                .iter()
                .rev()
                .find_map(|exchange| number_given_in(&exchange.user, &body));
            match earlier {
                Some(n) => out.push_str(&format!(
                    "[{}] {}, page {}: the text of passage [{n}] of the earlier question.\n\n",
                    p.number, p.title, p.page
                )),
                None => out.push_str(&format!("[{}] {body}\n\n", p.number)),
            }
        }
    }
    out.push_str("Question: ");
    out.push_str(question.trim());
    out
}

/// A passage as written after its number: title, page and text.
fn passage_body(p: &Passage) -> String {
    format!("{}, page {}\n{}", p.title, p.page, p.text.trim())
}

/// The number under which an earlier user message gave a passage in full, if it did.
fn number_given_in(earlier: &str, body: &str) -> Option<usize> {
    earlier.match_indices(body).find_map(|(at, _)| {
        let before = earlier[..at].strip_suffix("] ")?;
        let open = before.rfind('[')?;
        // The block must start a line and end at a blank line, as `user_message_after`
        // writes it, or the match is a quotation inside some other text.
        let starts_line = open == 0 || before[..open].ends_with('\n');
        let ends_block = earlier[at + body.len()..].starts_with("\n\n");
        (starts_line && ends_block)
            .then(|| before[open + 1..].parse().ok())
            .flatten()
    })
}

/// Fits `parts` into `budget` tokens. `count` gives the token count of a list of messages
/// as the model will see them (template applied). Fails only when `count` fails or when
/// even the system prompt with an empty question is over budget.
pub fn fit<E>(
    parts: &PromptParts,
    budget: usize,
    mut count: impl FnMut(&[ChatMessage]) -> Result<usize, E>,
) -> Result<Result<FittedPrompt, usize>, E> {
    let mut history = parts.history.as_slice();
    let mut examples = parts.examples.as_slice();
    let mut passages = parts.passages.clone();
    let mut question = parts.question.clone();
    let mut dropped = Dropped::default();
    loop {
        let user = user_message_after(history, &passages, &question, parts.restate_question);
        let messages = assemble(&parts.system, examples, history, &user);
        let tokens = count(&messages)?;
        if tokens <= budget {
            return Ok(Ok(FittedPrompt {
                messages,
                user_message: user,
                tokens,
                passages,
                dropped,
            }));
        }
        if let Some((_, rest)) = history.split_first() {
            history = rest;
            dropped.history_exchanges += 1;
        } else if let Some((_, rest)) = examples.split_first() {
            examples = rest;
        } else if let Some(last) = passages.pop() {
            dropped.passages.insert(0, last.number);
        } else if !question.is_empty() {
            // Cut the question in proportion to the excess, at a character boundary.
            let over = tokens - budget;
            let chars = question.chars().count();
            let keep = chars.saturating_sub((over * 4).max(chars / 8).max(1));
            question = question.chars().take(keep).collect();
            dropped.question_truncated = true;
        } else {
            return Ok(Err(tokens));
        }
    }
}

fn assemble(
    system: &str,
    examples: &[Exchange],
    history: &[Exchange],
    user: &str,
) -> Vec<ChatMessage> {
    let mut messages = Vec::with_capacity(2 + (examples.len() + history.len()) * 2);
    if !system.trim().is_empty() {
        messages.push(ChatMessage::system(system));
    }
    for exchange in examples.iter().chain(history) {
        messages.push(ChatMessage::user(exchange.user.clone()));
        messages.push(ChatMessage::assistant(exchange.assistant.clone()));
    }
    messages.push(ChatMessage::user(user));
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One token per four bytes, roughly what a BPE tokenizer gives English.
    fn count(messages: &[ChatMessage]) -> Result<usize, ()> {
        Ok(messages
            .iter()
            .map(|m| m.content.len().div_ceil(4) + 4)
            .sum())
    }

    fn parts(history: usize, passages: usize) -> PromptParts {
        PromptParts {
            system: "Answer from the passages.".into(),
            passages: (1..=passages)
                .map(|n| Passage {
                    number: n,
                    title: format!("Doc {n}"),
                    page: n,
                    text: "word ".repeat(100),
                })
                .collect(),
            history: (0..history)
                .map(|i| Exchange {
                    user: format!("question {i} {}", "x".repeat(400)),
                    assistant: format!("answer {i} {}", "y".repeat(400)),
                })
                .collect(),
            question: "What is the notice period?".into(),
            ..PromptParts::default()
        }
    }

    #[test]
    fn everything_fits_in_a_large_budget() {
        let fitted = fit(&parts(2, 3), 10_000, count).unwrap().unwrap();
        assert!(fitted.dropped.is_empty());
        assert_eq!(fitted.messages.len(), 1 + 4 + 1);
        assert!(fitted.user_message.contains("[3] Doc 3, page 3"));
        assert!(
            fitted
                .user_message
                .ends_with("Question: What is the notice period?")
        );
    }

    #[test]
    fn oldest_history_goes_first_then_the_lowest_passages() {
        let all = count(&fit(&parts(3, 3), 100_000, count).unwrap().unwrap().messages).unwrap();
        // Room for everything but about one exchange.
        let fitted = fit(&parts(3, 3), all - 100, count).unwrap().unwrap();
        assert_eq!(fitted.dropped.history_exchanges, 1);
        assert!(fitted.dropped.passages.is_empty());
        assert!(fitted.messages[1].content.starts_with("question 1"));

        // Room for the system prompt, one passage and the question only.
        let fitted = fit(&parts(3, 3), 220, count).unwrap().unwrap();
        assert_eq!(fitted.dropped.history_exchanges, 3);
        assert_eq!(fitted.dropped.passages, vec![2, 3]);
        assert_eq!(fitted.passages.len(), 1);
        assert!(fitted.tokens <= 220);
    }

    #[test]
    fn a_huge_question_is_cut_rather_than_failing() {
        let mut p = parts(0, 1);
        p.question = "why ".repeat(5_000);
        let fitted = fit(&p, 300, count).unwrap().unwrap();
        assert!(fitted.dropped.question_truncated);
        assert_eq!(fitted.dropped.passages, vec![1]);
        assert!(fitted.tokens <= 300);
        // A budget below the bare system prompt cannot be met.
        assert!(fit(&p, 5, count).unwrap().is_err());
    }

    #[test]
    fn a_passage_given_in_an_earlier_turn_is_named_not_repeated() {
        let mut p = parts(0, 3);
        let first = fit(&p, 100_000, count).unwrap().unwrap();
        p.history = vec![Exchange {
            user: first.user_message.clone(),
            assistant: "Sixty days [1].".into(),
        }];
        // The second turn retrieves passage 2 of the first at rank 1, and a new passage.
        let earlier_two = p.passages[1].clone();
        p.passages = vec![
            Passage {
                number: 1,
                ..earlier_two
            },
            Passage {
                number: 2,
                title: "Doc 9".into(),
                page: 9,
                text: "fresh text".into(),
            },
        ];
        let second = fit(&p, 100_000, count).unwrap().unwrap();
        assert!(
            second
                .user_message
                .contains("[1] Doc 2, page 2: the text of passage [2] of the earlier question.\n")
        );
        assert!(!second.user_message.contains("word word"));
        assert!(
            second
                .user_message
                .contains("[2] Doc 9, page 9\nfresh text\n")
        );
    }

    #[test]
    fn a_passage_whose_earlier_turn_was_dropped_is_given_in_full() {
        let mut p = parts(0, 1);
        let first = fit(&p, 100_000, count).unwrap().unwrap();
        p.history = vec![Exchange {
            user: first.user_message.clone(),
            assistant: "y".repeat(4_000),
        }];
        let full = fit(&parts(0, 1), 100_000, count).unwrap().unwrap();
        // Room for the passage in full, but not beside the earlier exchange.
        let fitted = fit(&p, full.tokens + 10, count).unwrap().unwrap();
        assert_eq!(fitted.dropped.history_exchanges, 1);
        assert_eq!(fitted.user_message, full.user_message);
    }

    #[test]
    fn text_quoted_inside_an_earlier_answer_or_question_is_not_taken_for_a_passage() {
        let passage = Passage {
            number: 1,
            title: "Doc".into(),
            page: 1,
            text: "the deposit".into(),
        };
        let quoted = Exchange {
            user: "Question: what does it say about Doc, page 1\nthe deposit\n\n?".into(),
            assistant: String::new(),
        };
        let message = user_message_after(&[quoted], &[passage], "And now?", false);
        assert!(message.contains("[1] Doc, page 1\nthe deposit\n"));
    }
}
