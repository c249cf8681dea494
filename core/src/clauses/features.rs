//! What the detector sees of a sentence: its words and word pairs (stemmed, numbers as
//! `#`), the words of the heading it stands under, where it stands in the document, and a
//! few shapes (a sum of money, a date, a period, a defined term, capitals). Each feature is
//! a short name ("w:govern", "b:law_of", "h:termin", "pos:0"), hashed to 64 bits.

use std::hash::Hasher;
use std::sync::LazyLock;

use regex::Regex;
use rustc_hash::FxHashMap;

use super::units::{Unit, units};
use crate::text::{Stemmer, words};

/// Receives a sentence's features, each as the pieces its name is made of.
pub trait FeatureSink {
    fn feature(&mut self, parts: &[&str]);
}

/// The 64-bit key of a feature name: FNV-1a of its bytes, stable across machines and
/// versions (the model file is keyed by names; this is only how they are looked up).
pub fn key(parts: &[&str]) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    for part in parts {
        hasher.write(part.as_bytes());
    }
    hasher.finish()
}

/// A document read for the detector: its units and each unit's stems.
pub struct ReadDocument {
    pub units: Vec<Unit>,
    stems: Vec<Vec<String>>,
    /// Shapes of each unit, found once.
    shapes: Vec<Shapes>,
    /// Index of each unit among the statements (the units that are not headings).
    statement_index: Vec<usize>,
    len: usize,
}

#[derive(Default, Clone, Copy)]
struct Shapes {
    money: bool,
    date: bool,
    period: bool,
    percent: bool,
    defined: bool,
    capitals: bool,
}

/// Reads documents, remembering stems across them (a contract's words repeat).
#[derive(Default)]
pub struct Reader {
    stemmer: Stemmer,
    memo: FxHashMap<String, String>,
}

/// Most words remembered before the memo starts afresh.
const MEMO_WORDS: usize = 200_000;

static MONEY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)[$€£]\s?\d|\b(?:usd|eur|gbp|dollars|euros)\b").ok());
static DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:january|february|march|april|may|june|july|august|september|october|november|december)\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    )
    .ok()
});
static PERIOD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:\d+|\(\d+\))\s*(?:days?|months?|years?)\b").ok());

fn matches(pattern: &LazyLock<Option<Regex>>, text: &str) -> bool {
    pattern.as_ref().is_some_and(|p| p.is_match(text))
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    /// The lower-cased stem of `word`, numbers as `#`.
    fn stem(&mut self, word: &str) -> String {
        if word.chars().any(|c| c.is_ascii_digit()) {
            return "#".to_owned();
        }
        if let Some(stem) = self.memo.get(word) {
            return stem.clone();
        }
        let stem = self.stemmer.stem(&word.to_lowercase());
        if self.memo.len() >= MEMO_WORDS {
            self.memo.clear();
        }
        self.memo.insert(word.to_owned(), stem.clone());
        stem
    }

    pub fn read(&mut self, text: &str) -> ReadDocument {
        let units = units(text);
        let mut stems = Vec::with_capacity(units.len());
        let mut shapes = Vec::with_capacity(units.len());
        let mut statement_index = Vec::with_capacity(units.len());
        let mut statements = 0;
        for unit in &units {
            let sentence = &text[unit.start..unit.end];
            stems.push(words(sentence).map(|w| self.stem(w)).collect());
            shapes.push(Shapes {
                money: matches(&MONEY, sentence),
                date: matches(&DATE, sentence),
                period: matches(&PERIOD, sentence),
                percent: sentence.contains('%') || sentence.contains("percent"),
                defined: sentence.contains("(\"")
                    || sentence.contains("(“")
                    || sentence.contains("(the \"")
                    || sentence.contains("(the “"),
                capitals: capitals(sentence),
            });
            statement_index.push(statements);
            if !unit.heading {
                statements += 1;
            }
        }
        ReadDocument {
            units,
            stems,
            shapes,
            statement_index,
            len: text.len().max(1),
        }
    }
}

/// Whether a sentence is written in capitals, as disclaimers and caps often are.
fn capitals(sentence: &str) -> bool {
    let letters = sentence.chars().filter(|c| c.is_alphabetic()).take(200);
    let (mut upper, mut all) = (0, 0);
    for c in letters {
        all += 1;
        upper += usize::from(c.is_uppercase());
    }
    all >= 20 && upper * 10 >= all * 8
}

impl ReadDocument {
    /// Sends unit `i`'s features to `sink`.
    pub fn features(&self, i: usize, sink: &mut impl FeatureSink) {
        let unit = &self.units[i];
        let stems = &self.stems[i];
        for stem in stems {
            sink.feature(&["w:", stem]);
        }
        for pair in stems.windows(2) {
            sink.feature(&["b:", &pair[0], "_", &pair[1]]);
        }
        if let Some(section) = unit.section {
            for stem in &self.stems[section] {
                if stem != "#" {
                    sink.feature(&["h:", stem]);
                }
            }
        } else {
            sink.feature(&["h:none"]);
        }
        let decile = (unit.start * 10 / self.len).min(9);
        sink.feature(&["pos:", DIGITS[decile]]);
        let index = self.statement_index[i].min(5);
        sink.feature(&["idx:", DIGITS[index]]);
        let length = (usize::BITS - stems.len().leading_zeros()) as usize;
        sink.feature(&["len:", DIGITS[length.min(9)]]);
        let shapes = self.shapes[i];
        for (on, name) in [
            (shapes.money, "has:money"),
            (shapes.date, "has:date"),
            (shapes.period, "has:period"),
            (shapes.percent, "has:percent"),
            (shapes.defined, "has:defined"),
            (shapes.capitals, "has:capitals"),
        ] {
            if on {
                sink.feature(&[name]);
            }
        }
        sink.feature(&["bias"]);
    }
}

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

#[cfg(test)]
mod tests {
    use super::*;

    struct Names(Vec<String>);

    impl FeatureSink for Names {
        fn feature(&mut self, parts: &[&str]) {
            self.0.push(parts.concat());
        }
    }

    #[test]
    fn a_sentence_s_features_are_its_stems_pairs_heading_place_and_shapes() {
        let text = "12. Governing Law.\n\nThis Agreement is governed by the laws of Ohio \
                    for 5 years.";
        let document = Reader::new().read(text);
        assert!(document.units[0].heading);
        let mut names = Names(Vec::new());
        document.features(1, &mut names);
        for expected in [
            "w:govern",
            "b:law_of",
            "b:for_#",
            "h:govern",
            "h:law",
            "pos:2",
            "idx:0",
            "has:period",
            "bias",
        ] {
            assert!(
                names.0.iter().any(|n| n == expected),
                "{expected} in {:?}",
                names.0
            );
        }
        assert!(!names.0.iter().any(|n| n == "h:#"));
        assert!(!names.0.iter().any(|n| n == "has:money"));
    }

    #[test]
    fn a_feature_s_key_is_the_key_of_its_name_however_it_is_cut() {
        assert_eq!(key(&["b:", "law", "_", "of"]), key(&["b:law_of"]));
        assert_ne!(key(&["w:law"]), key(&["h:law"]));
    }
}
