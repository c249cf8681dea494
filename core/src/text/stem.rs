//! Stems: the Snowball English stemmer, as a word's key everywhere Kodiak matches words
//! (search's index, the term report, grounding, checklists), and as the index's token
//! filter, which remembers the words it has stemmed.
//!
//! Snowball stemming is the most expensive step of indexing a chunk, and text repeats its
//! words: most tokens of a document are words already seen. The filter gives exactly the
//! stems of Tantivy's `Stemmer` (the same Snowball algorithm), looked up in a per-analyser
//! table before they are computed.

use std::collections::HashSet;

use frostem::Algorithm;
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

use super::{WordTokenizer, is_content_word, words};

/// Words longer than this (in bytes) are left out of the index: no one searches for them,
/// and they are mostly base64 or run-together noise.
pub const LONGEST_WORD: usize = 40;

/// The analyser of the search index: [`words`], lower-cased, folded to ASCII
/// ("café" is "cafe"), stemmed. [`Stemmer::key`] gives one word the same form.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(RememberingStemmer)
        .build()
}

/// A word lower-cased and folded to ASCII as the index's analyser does before it stems.
pub fn folded(word: &str) -> String {
    let mut fold = TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = fold.token_stream(word);
    if stream.advance() {
        std::mem::take(&mut stream.token_mut().text)
    } else {
        String::new()
    }
}

/// The Snowball English stemmer, so that "terminates" in an answer finds "terminate".
pub struct Stemmer {
    snowball: frostem::Stemmer,
    /// A word as the index reads it: lower-cased, folded, stemmed.
    keys: TextAnalyzer,
}

impl Default for Stemmer {
    fn default() -> Self {
        Stemmer::new()
    }
}

impl Stemmer {
    pub fn new() -> Stemmer {
        Stemmer {
            snowball: frostem::Stemmer::new(Algorithm::English),
            keys: TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .filter(RememberingStemmer)
                .build(),
        }
    }

    /// The stem of a lower-cased word.
    pub fn stem(&mut self, lower: &str) -> String {
        self.snowball.stem(lower).into_owned()
    }

    /// A word as the search index holds it (lower-cased, folded to ASCII, stemmed): what
    /// the term report counts, so that it counts what search finds.
    pub fn key(&mut self, word: &str) -> String {
        let mut stream = self.keys.token_stream(word);
        if stream.advance() {
            std::mem::take(&mut stream.token_mut().text)
        } else {
            String::new()
        }
    }

    /// The stems of `text`'s content words (see [`is_content_word`]).
    pub fn content(&mut self, text: &str) -> HashSet<String> {
        words(text)
            .map(str::to_lowercase)
            .filter(|w| is_content_word(w))
            .map(|w| self.stem(&w))
            .collect()
    }
}

/// Words remembered per analyser before the table starts afresh; each analyser clone (one
/// per indexing thread) keeps its own, so there is no locking.
const MAX_REMEMBERED: usize = 100_000;
/// Longer words are rare enough that remembering them does not pay.
const MAX_REMEMBERED_LEN: usize = 16;

/// A remembered word, zero-padded into two machine words. The table is read for every
/// token and is larger than the CPU's nearer caches, so what a lookup costs is mostly
/// fetching its entry: small entries (24 bytes with the stem) fit more of them per cache.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Word([u64; 2]);

impl Word {
    /// None for words too long to remember, or holding a NUL byte (which the padding
    /// could not tell apart).
    fn of(text: &str) -> Option<Word> {
        let mut bytes = [0; MAX_REMEMBERED_LEN];
        bytes
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        if text.as_bytes().contains(&0) {
            return None;
        }
        let word = u128::from_le_bytes(bytes);
        Some(Word([word as u64, (word >> 64) as u64]))
    }
}

/// A remembered stem. Most stems are the word itself or the word cut short ("terminated"
/// to "termin"): those are applied by truncating the token in place, with no copying.
/// The others ("happy" to "happi") are kept aside, by index.
#[derive(Clone, Copy)]
enum Stem {
    Prefix(u8),
    Other(u16),
}

/// A token filter: English Snowball stems, remembered.
#[derive(Clone, Copy, Default)]
pub struct RememberingStemmer;

impl TokenFilter for RememberingStemmer {
    type Tokenizer<T: Tokenizer> = RememberingStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> RememberingStemmerFilter<T> {
        RememberingStemmerFilter {
            inner: tokenizer,
            table: Remembered::default(),
        }
    }
}

#[derive(Clone)]
pub struct RememberingStemmerFilter<T> {
    inner: T,
    table: Remembered,
}

/// Word to stem; Fx hashing, as the keys are short words and not adversarial in cost.
#[derive(Clone, Default)]
struct Remembered {
    stems: FxHashMap<Word, Stem>,
    /// The stems that are not a prefix of their word.
    others: Vec<Box<str>>,
}

impl<T: Tokenizer> Tokenizer for RememberingStemmerFilter<T> {
    type TokenStream<'a> = RememberingStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.table.stems.len() >= MAX_REMEMBERED {
            self.table.stems.clear();
            self.table.others.clear();
        }
        RememberingStemmerStream {
            tail: self.inner.token_stream(text),
            table: &mut self.table,
            stemmer: frostem::Stemmer::new(Algorithm::English),
        }
    }
}

pub struct RememberingStemmerStream<'a, T> {
    tail: T,
    table: &'a mut Remembered,
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
        if let Some(stem) = word.and_then(|w| self.table.stems.get(&w)) {
            match *stem {
                Stem::Prefix(len) => token.text.truncate(usize::from(len)),
                Stem::Other(index) => {
                    token.text.clear();
                    token.text.push_str(&self.table.others[usize::from(index)]);
                }
            }
            return true;
        }
        let stem = self.stemmer.stem(&token.text).into_owned();
        if let Some(word) = word {
            let remembered = if token.text.starts_with(&stem) {
                u8::try_from(stem.len()).ok().map(Stem::Prefix)
            } else {
                let index = u16::try_from(self.table.others.len()).ok();
                if index.is_some() {
                    self.table.others.push(stem.as_str().into());
                }
                index.map(Stem::Other)
            };
            if let Some(remembered) = remembered {
                self.table.stems.insert(word, remembered);
            }
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
                    remarkablyunusuallylongcompoundedword. At the edge of what is \
                    remembered: indemnifications (16 letters), confidentialities (17), \
                    indemnifications, confidentialities.";
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
