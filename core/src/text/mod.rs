//! Text as every part of Kodiak reads it, in one place: words (one definition, shared by
//! search's index, the grounding check, checklists and the term report, so that a report
//! counts what search finds), stop words, the stemmer, sentences and headings. A leaf:
//! it imports nothing else of Kodiak.

mod headings;
mod offsets;
mod pages;
mod sentences;
mod stem;
pub mod terms;
mod title;
mod values;
mod words;

use std::collections::HashSet;
use std::sync::LazyLock;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub use headings::{Heading, heading_of, is_heading, outline};
pub use offsets::char_slices;
pub use pages::{printed_page_number, split_pages};
pub use sentences::{sentence_ranges, sentences};
pub use stem::{LONGEST_WORD, RememberingStemmer, Stemmer, analyzer, folded};
pub use title::document_title;
pub use values::{Stated, TimeUnit, Value, values};
pub use words::{Words, words};

/// Whether `c` belongs to a word: a letter or a digit, of any script.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// [`words`] as a Tantivy tokenizer, with positions and byte offsets.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

/// The tokens of one text, from [`WordTokenizer`].
pub struct WordStream<'a> {
    text: &'a str,
    words: Words<'a>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream {
            text,
            words: words(text),
            token: &mut self.token,
        }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        let Some((start, end)) = self.words.next_range() else {
            return false;
        };
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token
            .text
            .push_str(self.text.get(start..end).unwrap_or_default());
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Words that carry no content of their own.
const STOP_WORDS: &str = "\
    a about above after again all also am an and any are as at be been before being both but \
    many much \
    by can could did do does each either for from had has have he her here him his how i if \
    in into is it its may me more most must my no nor not of on one only or other our shall \
    she should so such than that the their them then there these they this those through to \
    under up upon was we were what when where which while who whom why will with within \
    would you your according answer based document documents passage passages source sources \
    states stated says said provided given question";

static STOP_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOP_WORDS.split_whitespace().collect());

/// Whether a lower-cased word is a stop word.
pub fn is_stop_word(lower: &str) -> bool {
    STOP_SET.contains(lower)
}

/// Whether a lower-cased word carries content: it has a letter (numbers are compared as
/// numbers), three characters or more, and is no stop word.
pub fn is_content_word(lower: &str) -> bool {
    lower.chars().any(char::is_alphabetic) && lower.chars().count() >= 3 && !is_stop_word(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_tokenizer_splits_text_into_exactly_its_words() {
        let text = "Clause 4.1: the Tenant's rent (USD 2,150) is due on the 3rd — café, Ωmega.";
        let mut tokenizer = WordTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            let token = stream.token();
            assert_eq!(&text[token.offset_from..token.offset_to], token.text);
            tokens.push(token.text.clone());
        }
        let expected: Vec<&str> = words(text).collect();
        assert_eq!(tokens, expected);
        assert_eq!(
            expected,
            [
                "Clause", "4", "1", "the", "Tenant", "s", "rent", "USD", "2", "150", "is", "due",
                "on", "the", "3rd", "café", "Ωmega"
            ]
        );
    }

    #[test]
    fn a_word_s_key_is_the_form_the_index_gives_it() {
        let mut stemmer = Stemmer::new();
        let mut index = analyzer();
        for word in ["Terminations", "Café", "happy", "3rd", "NOTICES"] {
            let mut stream = index.token_stream(word);
            assert!(stream.advance());
            assert_eq!(stemmer.key(word), stream.token().text, "{word}");
        }
        assert_eq!(stemmer.key("Café"), "cafe");
    }
}
