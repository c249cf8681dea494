//! Which sentences of a generated answer its sources support.
//!
//! Each sentence is checked against the passages it cites, or against every passage given
//! when it cites none. What it states must be found there:
//!
//! - **values** (periods, amounts, percentages, dates) as values, however each side spells
//!   them: "12 months" matches "one (1) year", but "10 years" does not, even in a passage
//!   that mentions section 10; "6 months" does not match "sixty (60) months";
//! - **other numbers** (section numbers, counts) as numbers: `1,200` matches `1200`, but
//!   `30` does not match `300`. A value or number the passages do not hold makes the
//!   sentence unsupported: it is the error a reviewer cannot afford;
//! - **quotations** in quotation marks, verbatim after Unicode (NFKC) and whitespace
//!   normalisation; a quotation that is not there makes the sentence unsupported;
//! - **names and defined terms** (capitalised words after the first): one missing makes the
//!   sentence partly supported;
//! - **content words** (stemmed, stop words left out): at least half of them must be in one
//!   sentence of the passages for the sentence to be supported; at least a quarter, or half
//!   across the passages, makes it partly supported; fewer, unsupported.
//!
//! The check is deterministic and costs well under a millisecond for a typical answer: the
//! passages are read once into sets of numbers, words and stems.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::citation::{Source, marker_spans};
use crate::text::{Stemmer, Value, is_content_word, is_stop_word, sentence_ranges, values, words};

/// How well the passages support one sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// Everything it states is in the passages it cites.
    Supported,
    /// Its numbers and quotations are there, but a name or most of its wording is not.
    PartlySupported,
    /// A number or quotation it states is not there, or little of its wording is.
    Unsupported,
    /// It cites no passage, but the passages given support it.
    Uncited,
}

impl Support {
    /// Whether the passages bear the sentence out (with or without a citation).
    pub fn borne_out(self) -> bool {
        matches!(self, Support::Supported | Support::Uncited)
    }

    /// The name used in JSON and by the front ends.
    pub fn as_str(self) -> &'static str {
        match self {
            Support::Supported => "supported",
            Support::PartlySupported => "partly_supported",
            Support::Unsupported => "unsupported",
            Support::Uncited => "uncited",
        }
    }
}

/// One sentence of an answer and how the passages support it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentenceSupport {
    /// The sentence as the answer has it, markers included.
    pub text: String,
    /// Where it stands in the answer, in bytes.
    pub start: usize,
    pub end: usize,
    /// The passages it cites (markers pointing to no passage left out).
    pub citations: Vec<usize>,
    pub support: Support,
    /// What it states that the passages do not hold: numbers, quotations, names, words.
    pub unsupported_terms: Vec<String>,
    /// The passage whose sentence supports it best, for a jump to the evidence.
    pub evidence: Option<usize>,
}

/// The check of a whole answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grounding {
    pub sentences: Vec<SentenceSupport>,
    /// The share of sentences with something to check that cite a passage bearing them out
    /// (`supported`); 1 when no sentence states anything. An uncited sentence the passages
    /// bear out is true but not grounded: the reader cannot tell where it comes from.
    pub grounded: f64,
    /// The share of those sentences the passages bear out, cited or not; 1 when no sentence
    /// states anything.
    #[serde(default = "all")]
    pub borne_out: f64,
}

/// Every sentence (checks stored before `borne_out` was recorded warn by their sentences).
fn all() -> f64 {
    1.0
}

impl Grounding {
    /// Sentences the passages do not bear out, to mark.
    pub fn unsupported(&self) -> impl Iterator<Item = &SentenceSupport> {
        self.sentences.iter().filter(|s| !s.support.borne_out())
    }

    /// Whether the answer is shown with a warning: a sentence states what its passages do
    /// not hold (a wrong number, a quotation that is not there, wording they lack), or less
    /// than `min_borne_out` of its sentences are borne out. A correct draft that cites
    /// nothing is not warned about: the warning means the check found something.
    pub fn warrants_warning(&self, min_borne_out: f64) -> bool {
        self.sentences
            .iter()
            .any(|s| s.support == Support::Unsupported)
            || self.borne_out < min_borne_out
    }
}

/// Numbers: digits with thousands separators and decimals (`1,200.50`, `30`, `2026`).
static NUMBER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\d+(?:[,\u{00a0}]\d{3})*(?:\.\d+)?").ok());
/// Quotations of at least two characters in straight or curly double quotes.
static QUOTATION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"["“]([^"“”]{2,})["”]"#).ok());

/// Share of a sentence's content words that one passage sentence must hold for support.
const SUPPORTED_OVERLAP: f64 = 0.5;
/// Below this share (and half across the passages), the sentence is unsupported.
const PARTLY_OVERLAP: f64 = 0.25;

/// Checks each sentence of `answer` against `sources`.
pub fn check(answer: &str, sources: &[Source]) -> Grounding {
    let passages: Vec<Passage> = sources.iter().map(Passage::read).collect();
    let mut stemmer = Stemmer::new();
    let mut sentences = Vec::new();
    // Per sentence, whether it states anything checkable (a number, quotation, name or
    // content word): only those count in the ratio.
    let mut states = Vec::new();
    for (start, end) in sentence_ranges(answer) {
        let text = &answer[start..end];
        let cited: Vec<usize> = marker_spans(text)
            .into_iter()
            .flat_map(|(_, numbers)| numbers)
            .filter(|n| sources.iter().any(|s| s.n == *n))
            .fold(Vec::new(), |mut all, n| {
                if !all.contains(&n) {
                    all.push(n);
                }
                all
            });
        let claim = Claim::read(&without_markers(text), &mut stemmer);
        states.push(!claim.is_empty());
        let verdict = if cited.is_empty() {
            // Without a citation, a value must stand in a passage saying what the sentence
            // says: "the term is 2 years" is not borne out by another document's
            // "warranty of 2 years" beside a term clause of one year.
            let all: Vec<&Passage> = passages.iter().collect();
            // When none says it, its wording is what is missing, not its values.
            let on_topic: Vec<&Passage> = passages
                .iter()
                .filter(|p| claim.share_in(&p.content) >= SUPPORTED_OVERLAP)
                .collect();
            match on_topic.is_empty() {
                true => claim.against(&all, &all),
                false => claim.against(&all, &on_topic),
            }
        } else {
            let against: Vec<&Passage> = passages.iter().filter(|p| cited.contains(&p.n)).collect();
            claim.against(&against, &against)
        };
        let support = match (verdict.support, cited.is_empty()) {
            (Support::Supported, true) => Support::Uncited,
            (support, _) => support,
        };
        sentences.push(SentenceSupport {
            text: text.to_owned(),
            start,
            end,
            citations: cited,
            support,
            unsupported_terms: verdict.missing,
            evidence: verdict.evidence,
        });
    }
    let checked: Vec<&SentenceSupport> = sentences
        .iter()
        .zip(&states)
        .filter_map(|(sentence, states)| states.then_some(sentence))
        .collect();
    let share = |counts: fn(Support) -> bool| {
        if checked.is_empty() {
            1.0
        } else {
            let counted = checked.iter().filter(|s| counts(s.support)).count();
            counted as f64 / checked.len() as f64
        }
    };
    let grounded = share(|support| support == Support::Supported);
    let borne_out = share(Support::borne_out);
    Grounding {
        sentences,
        grounded,
        borne_out,
    }
}

/// `text` with its citation markers removed (they are not statements).
fn without_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, _) in marker_spans(text) {
        out.push_str(&text[at..range.start]);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Text compared verbatim: NFKC, curly quotes and apostrophes straightened, whitespace
/// runs made one space.
fn normalised(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkc() {
        let c = match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// The numbers of `text`, separators removed (`1,200` → `1200`), with where each is.
fn numbers_at(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let Some(pattern) = NUMBER.as_ref() else {
        return Vec::new();
    };
    pattern
        .find_iter(text)
        .map(|m| {
            let digits = m
                .as_str()
                .chars()
                .filter(|c| *c != ',' && *c != '\u{00a0}')
                .collect();
            (m.range(), digits)
        })
        .collect()
}

/// The numbers of `text`, separators removed.
fn numbers(text: &str) -> Vec<String> {
    numbers_at(text).into_iter().map(|(_, n)| n).collect()
}

/// A passage as the check reads it, once per answer.
struct Passage {
    n: usize,
    /// Normalised text, for quotations.
    text: String,
    numbers: HashSet<String>,
    /// Periods, amounts, percentages and dates, however written.
    values: Vec<Value>,
    /// Lower-cased words, for names and defined terms.
    words: HashSet<String>,
    /// Content stems of each sentence, and of the whole passage.
    sentences: Vec<HashSet<String>>,
    content: HashSet<String>,
}

impl Passage {
    fn read(source: &Source) -> Passage {
        let mut stemmer = Stemmer::new();
        let text = normalised(&source.text);
        let sentences: Vec<HashSet<String>> = sentence_ranges(&source.text)
            .into_iter()
            .map(|(start, end)| stemmer.content(&source.text[start..end]))
            .collect();
        let content = sentences.iter().flatten().cloned().collect();
        Passage {
            n: source.n,
            numbers: numbers(&source.text).into_iter().collect(),
            values: values(&source.text).into_iter().map(|s| s.value).collect(),
            words: words(&source.text).map(str::to_lowercase).collect(),
            text,
            sentences,
            content,
        }
    }
}

/// What a sentence states.
struct Claim {
    /// Values as the sentence writes them ("10 years"), and what they are.
    values: Vec<(String, Value)>,
    /// Numbers that are no part of a value.
    numbers: Vec<String>,
    quotations: Vec<String>,
    /// Capitalised words after the first, lower-cased, with the form to report.
    names: Vec<(String, String)>,
    /// Content stems, with a word of each stem to report.
    content: Vec<(String, String)>,
}

/// What the passages make of a claim.
struct Verdict {
    support: Support,
    missing: Vec<String>,
    evidence: Option<usize>,
}

impl Claim {
    fn read(text: &str, stemmer: &mut Stemmer) -> Claim {
        let stated = values(text);
        // A value's words ("twelve months", "dollars") are checked with the value, not
        // as wording.
        let mut wording = text.to_owned();
        for value in &stated {
            wording.replace_range(value.range.clone(), &" ".repeat(value.range.len()));
        }
        let quotations = QUOTATION
            .as_ref()
            .map(|q| {
                q.captures_iter(text)
                    .map(|c| normalised(&c[1]))
                    .filter(|q| !q.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let names = words(&wording)
            .skip(usize::from(words(text).next() == words(&wording).next()))
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
            .map(|w| (w.to_lowercase(), w.to_owned()))
            .filter(|(lower, _)| !is_stop_word(lower))
            .fold(Vec::new(), |mut all: Vec<(String, String)>, name| {
                if !all.iter().any(|(l, _)| *l == name.0) {
                    all.push(name);
                }
                all
            });
        let mut content: Vec<(String, String)> = Vec::new();
        for word in words(&wording) {
            let lower = word.to_lowercase();
            if !is_content_word(&lower) {
                continue;
            }
            let stem = stemmer.stem(&lower);
            if !content.iter().any(|(s, _)| *s == stem) {
                content.push((stem, word.to_owned()));
            }
        }
        let mut found = Vec::new();
        for (range, number) in numbers_at(text) {
            let in_value = stated
                .iter()
                .any(|v| v.range.start <= range.start && range.end <= v.range.end);
            if !in_value && !found.contains(&number) {
                found.push(number);
            }
        }
        Claim {
            values: stated
                .into_iter()
                .map(|v| (text[v.range].to_owned(), v.value))
                .collect(),
            numbers: found,
            quotations,
            names,
            content,
        }
    }

    fn is_empty(&self) -> bool {
        self.values.is_empty()
            && self.numbers.is_empty()
            && self.quotations.is_empty()
            && self.names.is_empty()
            && self.content.is_empty()
    }

    /// The verdict of `passages` on the claim; its values and numbers must be in one of
    /// `holding_values` (the passages themselves, or those among them on its topic).
    fn against(&self, passages: &[&Passage], holding_values: &[&Passage]) -> Verdict {
        if self.is_empty() {
            return Verdict {
                support: Support::Supported,
                missing: Vec::new(),
                evidence: None,
            };
        }
        let mut hard = Vec::new();
        for (shown, value) in &self.values {
            if !holding_values
                .iter()
                .any(|p| p.values.iter().any(|v| v.agrees(value)))
            {
                hard.push(shown.clone());
            }
        }
        for number in &self.numbers {
            if !holding_values.iter().any(|p| p.numbers.contains(number)) {
                hard.push(number.clone());
            }
        }
        for quotation in &self.quotations {
            if !passages.iter().any(|p| p.text.contains(quotation.as_str())) {
                hard.push(format!("\"{quotation}\""));
            }
        }
        let soft: Vec<String> = self
            .names
            .iter()
            .filter(|(lower, _)| !passages.iter().any(|p| p.words.contains(lower)))
            .map(|(_, shown)| shown.clone())
            .collect();
        // The passage sentence holding most of the content words, and the share of them
        // found anywhere in the passages.
        let mut best = (0.0_f64, None);
        for passage in passages {
            for sentence in &passage.sentences {
                let share = self.share_in(sentence);
                if share > best.0 {
                    best = (share, Some(passage.n));
                }
            }
        }
        let in_passages = |stem: &String| passages.iter().any(|p| p.content.contains(stem));
        let overall = if self.content.is_empty() {
            1.0
        } else {
            let found = self.content.iter().filter(|(s, _)| in_passages(s)).count();
            found as f64 / self.content.len() as f64
        };
        let best_share = if self.content.is_empty() { 1.0 } else { best.0 };
        // With no content word shared, no sentence is evidence; a sentence of numbers or
        // names alone points to the first passage that holds them all.
        let evidence = best.1.or_else(|| {
            passages
                .iter()
                .find(|p| {
                    self.numbers.iter().all(|n| p.numbers.contains(n))
                        && self
                            .values
                            .iter()
                            .all(|(_, v)| p.values.iter().any(|w| w.agrees(v)))
                })
                .filter(|_| self.content.is_empty())
                .map(|p| p.n)
        });
        let words_missing = || -> Vec<String> {
            self.content
                .iter()
                .filter(|(stem, _)| !in_passages(stem))
                .map(|(_, word)| word.clone())
                .collect()
        };
        if !hard.is_empty() {
            let mut missing = hard;
            missing.extend(soft);
            return Verdict {
                support: Support::Unsupported,
                missing,
                evidence,
            };
        }
        if best_share >= SUPPORTED_OVERLAP && soft.is_empty() {
            return Verdict {
                support: Support::Supported,
                missing: Vec::new(),
                evidence,
            };
        }
        let mut missing = soft;
        for word in words_missing() {
            // A name is also a content word: reported once.
            if !missing.iter().any(|m| m.eq_ignore_ascii_case(&word)) {
                missing.push(word);
            }
        }
        let support = if best_share >= PARTLY_OVERLAP || overall >= SUPPORTED_OVERLAP {
            Support::PartlySupported
        } else {
            Support::Unsupported
        };
        Verdict {
            support,
            missing,
            evidence,
        }
    }

    /// The share of the claim's content stems in `stems`.
    fn share_in(&self, stems: &HashSet<String>) -> f64 {
        if self.content.is_empty() {
            return 1.0;
        }
        let shared = self
            .content
            .iter()
            .filter(|(stem, _)| stems.contains(stem))
            .count();
        shared as f64 / self.content.len() as f64
    }
}

#[cfg(test)]
mod tests;
