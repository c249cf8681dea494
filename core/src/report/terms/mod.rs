//! The search-term report: for each term, the documents it hits, the documents only it hits,
//! how often it occurs, and the same with email families (a message and its attachments)
//! counted together. It is what counsel negotiate search terms with, so every count is
//! exact: each document in scope is read whole, not ranked.
//!
//! A term is written as in the search box, with two additions counsel expect:
//! - words must all appear in the document (stemmed: `terminate` finds "termination");
//! - `"quoted words"` must appear together, in order;
//! - `word*` matches any word starting with `word` (`indemn*`: "indemnify", "indemnities");
//! - `A OR B` hits a document that either side hits.
//!
//! Words the search index leaves out (40 bytes or longer: base64 and run-together noise) are
//! not counted either, so that the report counts what search finds, and so that the index
//! can tell which documents a term may hit: only those are read (see [`Term::needed`]).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::{Provenance, ReportError};
use crate::text::{Stemmer, words};

mod count;
pub use count::{Reader, Terms};

/// A term that cannot be searched for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("search term {term:?} {why}")]
pub struct TermError {
    pub term: String,
    pub why: &'static str,
}

/// One word of a term: its stem, or a prefix of the word as written (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
enum WordMatch {
    Stem(String),
    Prefix(String),
}

/// A term parsed: alternatives (`OR`), each a list of parts that must all occur, each part
/// a word or a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    alternatives: Vec<Vec<Vec<WordMatch>>>,
}

impl Term {
    pub(crate) fn parse(text: &str, stemmer: &mut Stemmer) -> Result<Term, TermError> {
        let error = |why| TermError {
            term: text.to_owned(),
            why,
        };
        if text.matches('"').count() % 2 == 1 {
            return Err(error("has an unclosed quote"));
        }
        let mut alternatives = Vec::new();
        let mut parts: Vec<Vec<WordMatch>> = Vec::new();
        for (index, piece) in text.split('"').enumerate() {
            if index % 2 == 1 {
                let phrase: Vec<WordMatch> = words(piece)
                    .map(|w| WordMatch::Stem(stemmer.key(w)))
                    .collect();
                if !phrase.is_empty() {
                    parts.push(phrase);
                }
                continue;
            }
            for token in piece.split_whitespace() {
                if token == "OR" {
                    if parts.is_empty() {
                        return Err(error("has OR without a word before it"));
                    }
                    alternatives.push(std::mem::take(&mut parts));
                    continue;
                }
                if let Some(prefix) = token.strip_suffix('*') {
                    let prefix = prefix.to_lowercase();
                    if prefix.chars().count() < 3 || words(&prefix).count() != 1 {
                        return Err(error(
                            "has a wildcard after fewer than three letters or digits",
                        ));
                    }
                    parts.push(vec![WordMatch::Prefix(prefix)]);
                    continue;
                }
                parts.extend(words(token).map(|w| vec![WordMatch::Stem(stemmer.key(w))]));
            }
        }
        if parts.is_empty() {
            return Err(error(if alternatives.is_empty() {
                "has no word to search for"
            } else {
                "ends with OR"
            }));
        }
        alternatives.push(parts);
        Ok(Term {
            text: text.to_owned(),
            alternatives,
        })
    }
}

/// A word a document must hold for a term to hit it, as the search index can look it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needed {
    /// This stem.
    Stem(String),
    /// A word starting with this (lower-cased, folded to ASCII): any stem for which
    /// [`stem_may_come_from_prefix`] holds.
    Prefix(String),
}

impl Term {
    /// Per alternative, the words a document must hold for it to hit: every part's first
    /// word (a phrase's other words are checked when the document is read). A document
    /// that holds none of the alternatives' words cannot be hit and need not be read.
    pub fn needed(&self) -> Vec<Vec<Needed>> {
        self.alternatives
            .iter()
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|part| part.first())
                    .map(|word| match word {
                        WordMatch::Stem(stem) => Needed::Stem(stem.clone()),
                        WordMatch::Prefix(prefix) => Needed::Prefix(crate::text::folded(prefix)),
                    })
                    .collect()
            })
            .collect()
    }
}

/// Whether a word starting with `prefix` (at least three characters, lower-cased and folded)
/// can have the stem `stem`. Snowball's English stemmer keeps a word's start and changes at
/// most its last few letters: it removes suffixes only past the word's first syllable
/// (three letters or more kept), and what it writes in their place ("y" to "i", "biliti" to
/// "ble", an "e" after "at", "bl", "iz") adds at most two letters to what it kept. So the
/// stem either starts with the prefix (it kept all of it), or shares all but its last two
/// letters with it, and at least three (all of a shorter stem: "ubs" is "ub"). `the_prefix_rule_holds_for_every_word_of_the_cuad_contracts`
/// checks it against the stemmer itself.
pub fn stem_may_come_from_prefix(stem: &str, prefix: &str) -> bool {
    // Snowball's forms whose stem is no such start of the word: "skies" is "sky", and a
    // letter before "ying" takes "ie" ("dying", "lying", "tying", "fying").
    if stem == "sky" && "skies".starts_with(prefix) {
        return true;
    }
    let mut letters = stem.chars();
    if let (Some(first), Some('i'), Some('e'), None) = (
        letters.next(),
        letters.next(),
        letters.next(),
        letters.next(),
    ) && format!("{first}ying").starts_with(prefix)
    {
        return true;
    }
    let shared = stem
        .chars()
        .zip(prefix.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let (stem_len, prefix_len) = (stem.chars().count(), prefix.chars().count());
    shared >= prefix_len || (shared >= stem_len.min(2) && shared + 2 >= stem_len)
}

/// A document in the report's scope: its id and its family (the id of the message it
/// belongs to, its own id when it is not an attachment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Searched {
    pub doc_id: i64,
    pub family: i64,
    /// The e-mail thread its family's message is in, if any.
    pub thread: Option<i64>,
}

/// One term's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermRow {
    pub term: String,
    /// Documents with at least one hit.
    pub documents: usize,
    /// Documents hit by this term and by no other.
    pub unique_documents: usize,
    /// Occurrences in all documents.
    pub hits: usize,
    /// Families (a message with its attachments) with a hit in any member.
    pub families: usize,
    /// Documents in those families: what producing the hits with their families means.
    pub family_documents: usize,
    /// Families hit by this term and by no other.
    pub unique_families: usize,
    /// E-mail threads with a hit in any message or attachment.
    pub threads: usize,
    /// The documents hit, by id.
    pub doc_ids: Vec<i64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermsReport {
    pub documents_searched: usize,
    pub families_searched: usize,
    /// Documents and families hit by any term.
    pub documents_hit: usize,
    pub families_hit: usize,
    pub family_documents_hit: usize,
    /// E-mail threads searched (a message or attachment of them in scope), and hit by any
    /// term.
    pub threads_searched: usize,
    pub threads_hit: usize,
    pub terms: Vec<TermRow>,
}

impl TermsReport {
    /// Counts from `hits[t][d]`: the hits of term `t` in document `searched[d]`.
    pub fn count(terms: &[Term], searched: &[Searched], hits: &[Vec<usize>]) -> TermsReport {
        let family_size: HashMap<i64, usize> =
            searched.iter().fold(HashMap::new(), |mut sizes, doc| {
                *sizes.entry(doc.family).or_default() += 1;
                sizes
            });
        let hit_docs: Vec<Vec<usize>> = hits
            .iter()
            .map(|per_doc| (0..searched.len()).filter(|&d| per_doc[d] > 0).collect())
            .collect();
        let hit_families: Vec<HashSet<i64>> = hit_docs
            .iter()
            .map(|docs| docs.iter().map(|&d| searched[d].family).collect())
            .collect();
        // How many terms hit each document and each family.
        let mut terms_per_doc = vec![0usize; searched.len()];
        let mut terms_per_family: HashMap<i64, usize> = HashMap::new();
        for (docs, families) in hit_docs.iter().zip(&hit_families) {
            for &d in docs {
                terms_per_doc[d] += 1;
            }
            for family in families {
                *terms_per_family.entry(*family).or_default() += 1;
            }
        }
        let rows = terms
            .iter()
            .zip(hits)
            .zip(hit_docs.iter().zip(&hit_families))
            .map(|((term, per_doc), (docs, families))| TermRow {
                term: term.text.clone(),
                documents: docs.len(),
                unique_documents: docs.iter().filter(|&&d| terms_per_doc[d] == 1).count(),
                hits: per_doc.iter().sum(),
                families: families.len(),
                family_documents: families.iter().map(|f| family_size[f]).sum(),
                unique_families: families
                    .iter()
                    .filter(|f| terms_per_family[*f] == 1)
                    .count(),
                threads: docs
                    .iter()
                    .filter_map(|&d| searched[d].thread)
                    .collect::<HashSet<i64>>()
                    .len(),
                doc_ids: docs.iter().map(|&d| searched[d].doc_id).collect(),
            })
            .collect();
        let threads_hit = (0..searched.len())
            .filter(|&d| terms_per_doc[d] > 0)
            .filter_map(|d| searched[d].thread)
            .collect::<HashSet<i64>>()
            .len();
        TermsReport {
            documents_searched: searched.len(),
            families_searched: family_size.len(),
            documents_hit: terms_per_doc.iter().filter(|&&n| n > 0).count(),
            families_hit: terms_per_family.len(),
            family_documents_hit: terms_per_family.keys().map(|f| family_size[f]).sum(),
            threads_searched: searched
                .iter()
                .filter_map(|d| d.thread)
                .collect::<HashSet<i64>>()
                .len(),
            threads_hit,
            terms: rows,
        }
    }

    /// Cells the table's count columns take after the term (see [`TermsReport::table`]).
    pub const COUNTS_WIDTH: usize = 2 + 6 + 1 + 6 + 1 + 7 + 1 + 6 + 1 + 6 + 1 + 6;

    /// The table's header and a line per term, the term cut to `term_width` characters:
    /// the same columns in the text report and in the terminal UI.
    pub fn table(&self, term_width: usize) -> (String, Vec<String>) {
        let header = format!(
            "{:<term_width$}  {:>6} {:>6} {:>7} {:>6} {:>6} {:>6}",
            "term", "docs", "unique", "hits", "fams", "f-docs", "f-uniq"
        );
        let rows = self
            .terms
            .iter()
            .map(|row| {
                format!(
                    "{:<term_width$}  {:>6} {:>6} {:>7} {:>6} {:>6} {:>6}",
                    super::cut(&row.term, term_width),
                    row.documents,
                    row.unique_documents,
                    row.hits,
                    row.families,
                    row.family_documents,
                    row.unique_families
                )
            })
            .collect();
        (header, rows)
    }

    /// A table for the terminal.
    pub fn text(&self, made: &Provenance) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", made.line());
        let _ = writeln!(
            out,
            "{} in {} searched; {} ({}, {} with their families) hit by any term.\n",
            super::plural(self.documents_searched, "document"),
            super::plural(self.families_searched, "family"),
            super::plural(self.documents_hit, "document"),
            super::plural(self.families_hit, "family"),
            super::plural(self.family_documents_hit, "document"),
        );
        if self.threads_searched > 0 {
            let _ = writeln!(
                out,
                "E-mail threads: {} of {} hit by any term.\n",
                self.threads_hit, self.threads_searched
            );
        }
        let width = self
            .terms
            .iter()
            .map(|t| t.term.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 40);
        let (header, rows) = self.table(width);
        let _ = writeln!(out, "{header}");
        for row in rows {
            let _ = writeln!(out, "{row}");
        }
        out
    }

    pub fn csv(&self) -> Result<String, ReportError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record([
            "term",
            "documents_with_hits",
            "unique_documents",
            "total_hits",
            "families_with_hits",
            "documents_in_families_with_hits",
            "unique_families",
            "threads_with_hits",
        ])?;
        for row in &self.terms {
            writer.write_record([
                super::spreadsheet_safe(&row.term),
                row.documents.to_string(),
                row.unique_documents.to_string(),
                row.hits.to_string(),
                row.families.to_string(),
                row.family_documents.to_string(),
                row.unique_families.to_string(),
                row.threads.to_string(),
            ])?;
        }
        writer.write_record([
            "(any term)".to_owned(),
            self.documents_hit.to_string(),
            String::new(),
            String::new(),
            self.families_hit.to_string(),
            self.family_documents_hit.to_string(),
            String::new(),
            self.threads_hit.to_string(),
        ])?;
        super::csv_text(writer)
    }

    pub fn json(&self, made: &Provenance) -> Result<String, ReportError> {
        super::json_with(made, self)
    }
}

/// Counts the hits of every term in one document after another.
pub struct HitCounter<'a> {
    reader: Reader<'a>,
    /// Per term, per document added.
    hits: Vec<Vec<usize>>,
}

impl<'a> HitCounter<'a> {
    pub fn new(terms: &'a Terms) -> HitCounter<'a> {
        HitCounter {
            reader: Reader::new(terms),
            hits: vec![Vec::new(); terms.len()],
        }
    }

    /// The next document, which the index says no term can hit: no hits, nothing read.
    pub fn add_unread(&mut self) {
        for per_doc in &mut self.hits {
            per_doc.push(0);
        }
    }

    /// Reads the next document's text.
    pub fn add(&mut self, text: &str) {
        for (per_doc, hits) in self.hits.iter_mut().zip(self.reader.count(text)) {
            per_doc.push(hits);
        }
    }

    /// Per term, per document in the order added.
    pub fn finish(self) -> Vec<Vec<usize>> {
        self.hits
    }
}

/// A terms file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the terms file {}: {reason}", path.display())]
pub struct TermsFileError {
    pub path: std::path::PathBuf,
    /// Not a `source`: the message says it already, and error chains would say it twice.
    pub reason: std::io::Error,
}

/// The terms `args` give: an argument that names a file is a file of terms (see
/// [`terms_of_file`]), any other is a term. A `.txt` name with no file behind it is a
/// mistyped terms file, not a term.
pub fn terms_from(args: &[String]) -> Result<Vec<String>, TermsFileError> {
    let mut terms = Vec::new();
    for arg in args {
        let path = std::path::Path::new(arg);
        let looks_like_a_file = arg.ends_with(".txt") && !arg.contains([' ', '"']);
        if looks_like_a_file && !path.is_file() {
            return Err(TermsFileError {
                path: path.to_path_buf(),
                reason: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file (a term ending in .txt is read as a terms file)",
                ),
            });
        }
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|reason| TermsFileError {
                path: path.to_path_buf(),
                reason,
            })?;
            terms.extend(terms_of_file(&text));
        } else {
            terms.push(arg.clone());
        }
    }
    Ok(terms)
}

/// The terms of a terms file: a term per line; blank lines and lines starting with `#`
/// are skipped.
pub fn terms_of_file(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Every term parsed, in the order given; the first that cannot be searched is the error.
pub fn parse_all(texts: &[String]) -> Result<Vec<Term>, TermError> {
    let mut stemmer = Stemmer::new();
    texts.iter().map(|t| Term::parse(t, &mut stemmer)).collect()
}

#[cfg(test)]
mod tests;
