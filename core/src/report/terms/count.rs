//! Counting terms in documents, fast enough to read a 100,000-document matter in seconds.
//!
//! The terms are compiled once into the distinct words they look for ([`Terms`]). Reading a
//! document then costs at most one hash lookup per word: each distinct word of the matter is
//! lower-cased, stemmed and compared with the words looked for once, the first time it is
//! seen, and a document keeps only the positions of the words some term looks for. A
//! phrase is its first word's positions followed, one position on, by each next word's.
//!
//! Most words are short and ASCII: those are looked up by their lower-cased bytes packed in a
//! `u128`, with no string built or compared. Most of those are not looked up at all: a table
//! of 65,536 bits says which first two letters a word some term looks for can start with.
//! The table of words seen is far larger than the processor's nearest caches, so a word
//! found not to match by its first two letters saves a read that waits on memory (in a
//! profile of a 100,000-document report, most of the time was such waits).

use rustc_hash::FxHashMap;

use super::{Term, WordMatch};
use crate::text::{LONGEST_WORD, Stemmer, words};

/// Words of at most this many bytes, all ASCII, are looked up packed in a `u128`.
const PACKED: usize = 16;

/// Where a word's keys start and end in [`Reader`]'s `word_keys`.
type KeyRange = (u32, u32);

/// Terms compiled: the distinct words they look for, and each term as those words' numbers.
pub struct Terms {
    /// The words looked for, each once.
    keys: Vec<WordMatch>,
    /// Per term, per alternative, per part: the keys of its words, in order.
    terms: Vec<Vec<Vec<Vec<u32>>>>,
    /// Stem keys by stem.
    stems: FxHashMap<String, Vec<u32>>,
    /// Prefix keys.
    prefixes: Vec<(String, u32)>,
    /// One bit per first two bytes (lower-cased): whether a word starting with them may
    /// match a key.
    openings: Box<[u64]>,
}

impl Terms {
    pub fn new(terms: &[Term]) -> Terms {
        let mut keys: Vec<WordMatch> = Vec::new();
        let mut key_of = |word: &WordMatch| -> u32 {
            match keys.iter().position(|k| k == word) {
                Some(at) => at as u32,
                None => {
                    keys.push(word.clone());
                    (keys.len() - 1) as u32
                }
            }
        };
        let terms: Vec<Vec<Vec<Vec<u32>>>> = terms
            .iter()
            .map(|term| {
                term.alternatives
                    .iter()
                    .map(|parts| {
                        parts
                            .iter()
                            .map(|part| part.iter().map(&mut key_of).collect())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut stems: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        let mut prefixes = Vec::new();
        for (key, word) in keys.iter().enumerate() {
            match word {
                WordMatch::Stem(stem) => stems.entry(stem.clone()).or_default().push(key as u32),
                WordMatch::Prefix(prefix) => prefixes.push((prefix.clone(), key as u32)),
            }
        }
        let openings = openings(&keys);
        Terms {
            keys,
            terms,
            stems,
            prefixes,
            openings,
        }
    }

    /// Whether a lower-cased ASCII word starting with `first` and `second` (0 for a word of
    /// one letter) may match a key.
    fn may_open(&self, first: u8, second: u8) -> bool {
        let bit = usize::from(first) << 8 | usize::from(second);
        self.openings[bit / 64] & (1 << (bit % 64)) != 0
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// The first two bytes a word matching one of `keys` can start with, one bit per pair.
fn openings(keys: &[WordMatch]) -> Box<[u64]> {
    let mut bits = vec![0u64; (1 << 16) / 64].into_boxed_slice();
    for (first, second) in keys.iter().flat_map(opening) {
        let seconds = match second {
            Some(second) => second..=second,
            None => 0..=u8::MAX,
        };
        for second in seconds {
            let bit = usize::from(first) << 8 | usize::from(second);
            bits[bit / 64] |= 1 << (bit % 64);
        }
    }
    bits
}

/// The first byte, and the second when it is known, that a lower-cased word matching `key`
/// can start with (a word of one letter has 0 for its second).
///
/// Snowball's English stemmer never changes a word's first letter, and changes its second
/// only in a letter followed by "ying" ("dying" is "die"): a stem of two letters or more
/// opens with the word's own first two, and one like "die" with "dy" too; a stem of one
/// letter, with that letter.
/// `snowball_keeps_the_opening_letters_the_report_skips_by` tests this over every word of
/// up to four letters and the CUAD contracts' words.
fn opening(key: &WordMatch) -> Vec<(u8, Option<u8>)> {
    let word = match key {
        WordMatch::Stem(stem) => stem.as_bytes(),
        WordMatch::Prefix(prefix) => prefix.as_bytes(),
    };
    match word {
        [first, b'i', b'e'] if matches!(key, WordMatch::Stem(_)) => {
            vec![(*first, Some(b'i')), (*first, Some(b'y'))]
        }
        [first, second, ..] => vec![(*first, Some(*second))],
        [first] => vec![(*first, None)],
        [] => (0..=u8::MAX).map(|first| (first, None)).collect(),
    }
}

/// Reads documents one after another for one set of [`Terms`]; one per thread.
pub struct Reader<'a> {
    terms: &'a Terms,
    stemmer: Stemmer,
    /// Every short ASCII word seen, lower-cased and packed, and where its keys are in
    /// `word_keys` (held with the word: one memory access per word read).
    packed_keys: FxHashMap<u128, KeyRange>,
    /// Every other word seen (lower-cased), and where its keys are.
    other_keys: FxHashMap<Box<str>, KeyRange>,
    /// The keys each word seen matches, word after word.
    word_keys: Vec<u32>,
    /// Per key, its positions in the document being read.
    positions: Vec<Vec<u32>>,
    /// Keys with positions in the document being read.
    touched: Vec<u32>,
    lower: String,
}

impl<'a> Reader<'a> {
    pub fn new(terms: &'a Terms) -> Reader<'a> {
        Reader {
            terms,
            stemmer: Stemmer::new(),
            packed_keys: FxHashMap::default(),
            other_keys: FxHashMap::default(),
            word_keys: Vec::new(),
            positions: vec![Vec::new(); terms.keys.len()],
            touched: Vec::new(),
            lower: String::new(),
        }
    }

    /// Per term, its hits in `text`: 0 when no alternative has all its parts there; else
    /// the distinct places where a part of an alternative that does starts.
    pub fn count(&mut self, text: &str) -> Vec<usize> {
        for key in self.touched.drain(..) {
            self.positions[key as usize].clear();
        }
        let mut position = 0u32;
        // As the index's analyser drops them, long words take no position.
        for word in words(text) {
            if word.len() >= LONGEST_WORD {
                continue;
            }
            let (first, last) = self.keys_of(word);
            for &key in &self.word_keys[first as usize..last as usize] {
                let at = &mut self.positions[key as usize];
                if at.is_empty() {
                    self.touched.push(key);
                }
                at.push(position);
            }
            position += 1;
        }
        let mut places = Vec::new();
        self.terms
            .terms
            .iter()
            .map(|alternatives| {
                places.clear();
                for parts in alternatives {
                    let before = places.len();
                    let mut every_part = true;
                    for part in parts {
                        let found = places.len();
                        self.starts(part, &mut places);
                        if places.len() == found {
                            every_part = false;
                            break;
                        }
                    }
                    if !every_part {
                        places.truncate(before);
                    }
                }
                places.sort_unstable();
                places.dedup();
                places.len()
            })
            .collect()
    }

    /// Adds where `part` (its words' keys, in order) starts in the document.
    fn starts(&self, part: &[u32], out: &mut Vec<u32>) {
        let Some((&first, rest)) = part.split_first() else {
            return;
        };
        for &start in &self.positions[first as usize] {
            let follows = rest.iter().enumerate().all(|(i, &key)| {
                self.positions[key as usize]
                    .binary_search(&(start + 1 + i as u32))
                    .is_ok()
            });
            if follows {
                out.push(start);
            }
        }
    }

    /// Where the keys `word` matches are in `word_keys`, found the first time it is seen.
    fn keys_of(&mut self, word: &str) -> KeyRange {
        if word.len() <= PACKED && word.is_ascii() {
            let opening = word.as_bytes();
            if !self.terms.may_open(
                opening[0].to_ascii_lowercase(),
                opening.get(1).map_or(0, u8::to_ascii_lowercase),
            ) {
                return (0, 0);
            }
            let mut bytes = [0u8; PACKED];
            for (packed, byte) in bytes.iter_mut().zip(word.bytes()) {
                *packed = byte.to_ascii_lowercase();
            }
            // Word characters are never 0, so zeros after the word cannot be confused
            // with it.
            let packed = u128::from_le_bytes(bytes);
            if let Some(&keys) = self.packed_keys.get(&packed) {
                return keys;
            }
            let lower = String::from_utf8_lossy(&bytes[..word.len()]).into_owned();
            let keys = self.new_word(&lower);
            self.packed_keys.insert(packed, keys);
            return keys;
        }
        // Most words are ASCII: those are lower-cased only when they have a capital.
        let lowers = !word.is_ascii() || word.bytes().any(|b| b.is_ascii_uppercase());
        let lower: &str = if lowers {
            self.lower.clear();
            self.lower.extend(word.chars().flat_map(char::to_lowercase));
            &self.lower
        } else {
            word
        };
        if let Some(&keys) = self.other_keys.get(lower) {
            return keys;
        }
        let lower: Box<str> = lower.into();
        let keys = self.new_word(&lower);
        self.other_keys.insert(lower, keys);
        keys
    }

    /// The keys `lower`, a word seen for the first time, matches, added to `word_keys`.
    fn new_word(&mut self, lower: &str) -> KeyRange {
        let start = self.word_keys.len() as u32;
        if !self.terms.stems.is_empty() {
            // The word's form in the search index, so that the report counts what search
            // finds.
            if let Some(keys) = self.terms.stems.get(&self.stemmer.key(lower)) {
                self.word_keys.extend(keys);
            }
        }
        for (prefix, key) in &self.terms.prefixes {
            if lower.starts_with(prefix.as_str()) {
                self.word_keys.push(*key);
            }
        }
        (start, self.word_keys.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_one_word_in_any_case_packed_or_not() {
        let mut stemmer = Stemmer::new();
        let terms = [
            Term::parse("licence", &mut stemmer).unwrap(),
            Term::parse("straße*", &mut stemmer).unwrap(),
            Term::parse(
                "\"international business machines corporation\"",
                &mut stemmer,
            )
            .unwrap(),
        ];
        let compiled = Terms::new(&terms);
        let mut reader = Reader::new(&compiled);
        let text = "LICENCE Licence licences. STRASSE Straße straßenbahn \
                    International Business Machines Corporation; INTERNATIONAL BUSINESS \
                    MACHINES CORPORATION";
        assert_eq!(reader.count(text), [3, 2, 2]);
        // The same words again, read from the cache.
        assert_eq!(reader.count(text), [3, 2, 2]);
    }

    #[test]
    fn snowball_keeps_the_opening_letters_the_report_skips_by() {
        // Every ASCII word of the CUAD contracts (real text the project did not write),
        // their first four letters with the suffixes Snowball removes or rewrites, every
        // word of up to four letters, and one or two letters before each suffix.
        let mut seen = std::collections::HashSet::new();
        for text in &crate::report::terms::tests::cuad_contracts() {
            for word in words(text).filter(|w| w.len() < LONGEST_WORD && w.is_ascii()) {
                seen.insert(word.to_ascii_lowercase());
            }
        }
        assert!(seen.len() > 20_000, "{} words", seen.len());
        const SUFFIXES: &[&str] = &[
            "s", "es", "ies", "ied", "ed", "eed", "ing", "ingly", "edly", "ly", "y", "ying",
            "ational", "ization", "fulness", "iveness", "biliti", "logi", "ement", "e",
        ];
        let contract_words: Vec<String> = seen.iter().cloned().collect();
        for word in &contract_words {
            let root = &word[..word.len().min(4)];
            seen.extend(SUFFIXES.iter().map(|suffix| format!("{root}{suffix}")));
        }
        let letters = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for &a in letters {
            seen.insert(String::from(a as char));
            for &b in letters {
                seen.insert(format!("{}{}", a as char, b as char));
                for &c in letters {
                    seen.insert(format!("{}{}{}", a as char, b as char, c as char));
                    for &d in &letters[..26] {
                        seen.insert(format!(
                            "{}{}{}{}",
                            a as char, b as char, c as char, d as char
                        ));
                    }
                }
            }
        }
        // A root of one or two letters before each suffix.
        for &a in &letters[..26] {
            for &b in &letters[..26] {
                for suffix in SUFFIXES {
                    seen.insert(format!("{}{suffix}", a as char));
                    seen.insert(format!("{}{}{suffix}", a as char, b as char));
                }
            }
        }
        seen.extend(
            [
                "dying", "lying", "tying", "skies", "skis", "news", "idly", "ugly",
            ]
            .map(String::from),
        );
        let mut stemmer = Stemmer::new();
        let mut wrong = Vec::new();
        for word in &seen {
            let stem = stemmer.key(word);
            let bytes = word.as_bytes();
            let second = bytes.get(1).copied().unwrap_or(0);
            let opens = opening(&WordMatch::Stem(stem.clone()))
                .iter()
                .any(|&(first, known)| first == bytes[0] && known.is_none_or(|s| s == second));
            if !opens {
                wrong.push(format!("{word:?} (stem {stem:?})"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} words open otherwise than their stems: {:?}",
            wrong.len(),
            seen.len(),
            &wrong[..wrong.len().min(20)]
        );
    }

    #[test]
    fn a_word_whose_opening_no_term_has_is_skipped_and_one_that_has_is_read() {
        let mut stemmer = Stemmer::new();
        let terms = [
            Term::parse("governing", &mut stemmer).unwrap(),
            Term::parse("\"by the\"", &mut stemmer).unwrap(),
            Term::parse("xyl*", &mut stemmer).unwrap(),
        ];
        let compiled = Terms::new(&terms);
        assert!(compiled.may_open(b'g', b'o'));
        assert!(!compiled.may_open(b'g', b'a'));
        // A word opens with its stem's first two letters.
        assert!(compiled.may_open(b't', b'h') && !compiled.may_open(b't', b'z'));
        assert!(compiled.may_open(b'b', b'y') && !compiled.may_open(b'b', 0));
        assert!(compiled.may_open(b'x', b'y') && !compiled.may_open(b'x', b'q'));
        assert!(!compiled.may_open(b'a', b'b'));
        let mut reader = Reader::new(&compiled);
        assert_eq!(
            reader.count("Governed by THE law; governance, garden, X-ray, xylophone."),
            [2, 1, 1]
        );
    }
}
