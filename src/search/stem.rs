//! English stemming that remembers the words it has stemmed.
//!
//! Snowball stemming is the most expensive step of indexing a chunk, and text repeats its
//! words: most tokens of a document are words already seen. This filter gives exactly the
//! stems of Tantivy's `Stemmer` (the same Snowball algorithm), looked up in a per-analyser
//! table before they are computed.

use frostem::Algorithm;
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered per analyser before the table starts afresh; each analyser clone (one
/// per indexing thread) keeps its own, so there is no locking.
const MAX_REMEMBERED: usize = 100_000;
/// Longer words are rare enough that remembering them does not pay.
const MAX_REMEMBERED_LEN: usize = 24;

/// A remembered word, in a fixed-size key: comparing two is a few machine words, where
/// comparing strings calls out to `memcmp` for every lookup.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Word {
    len: u8,
    bytes: [u8; MAX_REMEMBERED_LEN],
}

/// A remembered stem. Most stems are the word itself or the word cut short ("terminated"
/// to "termin"): those are applied by truncating the token in place, with no copying.
#[derive(Clone)]
enum Stem {
    Prefix(usize),
    Other(Box<str>),
}

impl Word {
    fn of(text: &str) -> Option<Word> {
        let mut bytes = [0; MAX_REMEMBERED_LEN];
        bytes
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        Some(Word {
            len: text.len() as u8,
            bytes,
        })
    }
}

/// A token filter: English Snowball stems, remembered.
#[derive(Clone, Copy, Default)]
pub struct RememberingStemmer;

impl TokenFilter for RememberingStemmer {
    type Tokenizer<T: Tokenizer> = RememberingStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> RememberingStemmerFilter<T> {
        RememberingStemmerFilter {
            inner: tokenizer,
            stems: FxHashMap::default(),
        }
    }
}

#[derive(Clone)]
pub struct RememberingStemmerFilter<T> {
    inner: T,
    /// Word to stem; Fx hashing, as the keys are short words and not adversarial in cost.
    stems: FxHashMap<Word, Stem>,
}

impl<T: Tokenizer> Tokenizer for RememberingStemmerFilter<T> {
    type TokenStream<'a> = RememberingStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.stems.len() >= MAX_REMEMBERED {
            self.stems.clear();
        }
        RememberingStemmerStream {
            tail: self.inner.token_stream(text),
            stems: &mut self.stems,
            stemmer: frostem::Stemmer::new(Algorithm::English),
        }
    }
}

pub struct RememberingStemmerStream<'a, T> {
    tail: T,
    stems: &'a mut FxHashMap<Word, Stem>,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for RememberingStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        // Snowball leaves words of one or two letters as they are ("a", "of", "to").
        if token.text.len() <= 2 && token.text.is_ascii() {
            return true;
        }
        let word = Word::of(&token.text);
        if let Some(stem) = word.and_then(|w| self.stems.get(&w)) {
            match stem {
                Stem::Prefix(len) => token.text.truncate(*len),
                Stem::Other(stem) => {
                    token.text.clear();
                    token.text.push_str(stem);
                }
            }
            return true;
        }
        let stem = self.stemmer.stem(&token.text).into_owned();
        if let Some(word) = word {
            let remembered = if token.text.starts_with(&stem) {
                Stem::Prefix(stem.len())
            } else {
                Stem::Other(stem.as_str().into())
            };
            self.stems.insert(word, remembered);
        }
        token.text = stem;
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn gives_the_same_stems_as_tantivys_stemmer_seen_or_not() {
        let text = "Terminations terminated; the terminating party terminates. Is as us ös às \
                    A happy tenant, happy landlords: happy. \
                    Running runners ran; the runner's running costs. Terminations again, \
                    and a remarkablyunusuallylongcompoundedword twice: \
                    remarkablyunusuallylongcompoundedword.";
        let mut remembering = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(RememberingStemmer)
            .build();
        let mut plain = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::default())
            .build();
        let expected = tokens(&mut plain, text);
        assert!(expected.contains(&"termin".to_owned()));
        assert!(
            expected.contains(&"happi".to_owned()),
            "a stem that is not a prefix"
        );
        // Twice through the same analyser: the second pass is served from its table.
        assert_eq!(tokens(&mut remembering, text), expected);
        assert_eq!(tokens(&mut remembering, text), expected);
    }
}
