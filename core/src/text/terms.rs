//! An item's terms, matched the way contracts vary their wording: each term's words in
//! order, stemmed ("governed" finds "govern", "governs"), with up to [`MAX_GAP`] other
//! words between two of them ("governed by the laws of" finds "governed in all respects
//! by the laws of"); a word written with a trailing `*` matches every word it starts
//! ("indemnif*" finds "indemnification").

use super::{Stemmer, words};

/// Most other words between two words of a term.
pub const MAX_GAP: usize = 3;

/// One word of a term.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TermWord {
    /// Matches a word with this stem.
    Stem(String),
    /// Matches a word (lower-cased) starting with this.
    Prefix(String),
}

/// A term, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term(Vec<TermWord>);

/// A sentence's words as terms read them: lower-cased and stemmed.
#[derive(Debug, Clone, Default)]
pub struct TermText {
    lower: Vec<String>,
    stems: Vec<String>,
}

impl TermText {
    pub fn new(stemmer: &mut Stemmer, text: &str) -> TermText {
        let lower: Vec<String> = words(text).map(str::to_lowercase).collect();
        let stems = lower.iter().map(|w| stemmer.stem(w)).collect();
        TermText { lower, stems }
    }
}

impl Term {
    /// The term written `text`; None when it has no words.
    pub fn new(stemmer: &mut Stemmer, text: &str) -> Option<Term> {
        let mut parts = Vec::new();
        for raw in text.split_whitespace() {
            let prefix = raw.ends_with('*');
            let found: Vec<String> = words(raw).map(str::to_lowercase).collect();
            let last = found.len().saturating_sub(1);
            for (n, word) in found.into_iter().enumerate() {
                parts.push(if prefix && n == last {
                    TermWord::Prefix(word)
                } else {
                    TermWord::Stem(stemmer.stem(&word))
                });
            }
        }
        (!parts.is_empty()).then_some(Term(parts))
    }

    fn word_matches(&self, k: usize, text: &TermText, at: usize) -> bool {
        match &self.0[k] {
            TermWord::Stem(stem) => text.stems[at] == *stem,
            TermWord::Prefix(prefix) => text.lower[at].starts_with(prefix.as_str()),
        }
    }

    /// Whether the term's words stand in `text` in order, close together.
    pub fn matches(&self, text: &TermText) -> bool {
        self.find(text, MAX_GAP).is_some()
    }

    /// The word of `text` where the term's words first stand in order, with at most `gap`
    /// other words between two of them.
    pub fn find(&self, text: &TermText, gap: usize) -> Option<usize> {
        (0..text.stems.len()).find(|&at| self.matches_from(0, text, at, gap))
    }

    /// The term's length in words.
    pub fn word_count(&self) -> usize {
        self.0.len()
    }

    /// Whether words `k..` of the term match from word `at` of the text on.
    fn matches_from(&self, k: usize, text: &TermText, at: usize, gap: usize) -> bool {
        if !self.word_matches(k, text, at) {
            return false;
        }
        if k + 1 == self.0.len() {
            return true;
        }
        let last = (at + 1 + gap).min(text.stems.len().saturating_sub(1));
        (at + 1..=last).any(|next| self.matches_from(k + 1, text, next, gap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(term: &str, text: &str) -> bool {
        let mut stemmer = Stemmer::new();
        let term = Term::new(&mut stemmer, term).unwrap();
        term.matches(&TermText::new(&mut stemmer, text))
    }

    #[test]
    fn a_term_matches_its_words_in_order_inflected_with_a_few_words_between() {
        assert!(matches(
            "governed by the laws of",
            "It is governed by the laws of Ohio."
        ));
        assert!(matches(
            "governed by the laws of",
            "WILL BE GOVERNED IN ALL RESPECTS BY THE LAWS OF THE STATE OF DELAWARE"
        ));
        assert!(matches(
            "govern* laws of",
            "interpreted and governed under the laws of Nevada"
        ));
        assert!(matches(
            "terminate for convenience",
            "may terminated it for its convenience"
        ));
        assert!(
            !matches("governed by the laws of", "the laws of Ohio govern it"),
            "out of order"
        );
        assert!(
            !matches(
                "governed by",
                "governed, as the parties agree and accept, by"
            ),
            "too far apart"
        );
        assert!(matches("indemnif*", "the Indemnification obligations"));
        assert!(!matches("indemnif*", "an indemnity"));
        assert!(Term::new(&mut Stemmer::new(), " * ").is_none());
    }
}
