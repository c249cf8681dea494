//! From what a reviewer typed to a Tantivy query, without a query language: nothing a user
//! types can be a syntax error. Quoted parts are phrases that must appear; other words are
//! matched one by one (BM25), with a bonus when they appear together in the typed order, so
//! a pasted clause ranks its own passage first.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

/// Weight of a title match relative to a text match.
const TITLE_BOOST: f32 = 0.5;
/// Weight of the typed words appearing together, in order.
const PHRASE_BOOST: f32 = 2.0;

/// Whether `text` quotes a phrase, which every passage found must then hold.
pub fn quotes_a_phrase(text: &str) -> bool {
    !split_quoted(text).0.is_empty()
}

/// Splits `text` into quoted phrases and loose words. An unclosed quote runs to the end.
fn split_quoted(text: &str) -> (Vec<&str>, Vec<&str>) {
    let mut phrases = Vec::new();
    let mut loose = Vec::new();
    for (index, part) in text.split('"').enumerate() {
        if part.trim().is_empty() {
            continue;
        }
        if index % 2 == 1 {
            phrases.push(part);
        } else {
            loose.push(part);
        }
    }
    (phrases, loose)
}

fn terms(analyzer: &mut TextAnalyzer, field: Field, text: &str) -> Vec<Term> {
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while let Some(token) = stream.next() {
        terms.push(Term::from_field_text(field, &token.text));
    }
    terms
}

fn term_or_phrase(terms: Vec<Term>) -> Option<Box<dyn Query>> {
    match terms.len() {
        0 => None,
        1 => terms
            .into_iter()
            .next()
            .map(|t| Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)) as Box<dyn Query>),
        _ => Some(Box::new(PhraseQuery::new(terms))),
    }
}

/// The query for `text`, or None when it holds no searchable word.
pub fn build(
    text: &str,
    mut analyzer: TextAnalyzer,
    text_field: Field,
    title_field: Field,
) -> Option<Box<dyn Query>> {
    let (phrases, loose) = split_quoted(text);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for phrase in phrases {
        if let Some(q) = term_or_phrase(terms(&mut analyzer, text_field, phrase)) {
            clauses.push((Occur::Must, q));
        }
    }
    let loose_terms: Vec<Term> = loose
        .iter()
        .flat_map(|part| terms(&mut analyzer, text_field, part))
        .collect();
    for term in &loose_terms {
        clauses.push((
            Occur::Should,
            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
        ));
    }
    for part in &loose {
        for term in terms(&mut analyzer, title_field, part) {
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    TITLE_BOOST,
                )),
            ));
        }
    }
    if loose_terms.len() >= 2 {
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(
                Box::new(PhraseQuery::new(loose_terms)),
                PHRASE_BOOST,
            )),
        ));
    }
    if clauses.is_empty() {
        return None;
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// A snippet fragment with each highlighted range wrapped in `**`, on one line.
pub fn mark(fragment: &str, highlighted: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(fragment.len() + highlighted.len() * 4);
    let mut copied = 0;
    for range in highlighted {
        let (Some(before), Some(term)) = (
            fragment.get(copied..range.start),
            fragment.get(range.start..range.end),
        ) else {
            continue;
        };
        out.push_str(before);
        out.push_str("**");
        out.push_str(term);
        out.push_str("**");
        copied = range.end;
    }
    out.push_str(fragment.get(copied..).unwrap_or_default());
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_split_phrases_from_loose_words() {
        assert_eq!(
            split_quoted(r#"rent "first day" month"#),
            (vec!["first day"], vec!["rent ", " month"])
        );
        assert_eq!(
            split_quoted(r#"an "unclosed quote"#),
            (vec!["unclosed quote"], vec!["an "])
        );
        assert_eq!(split_quoted(r#""""#), (vec![], vec![]));
    }

    #[test]
    fn marks_highlighted_ranges_and_flattens_lines() {
        assert_eq!(
            mark("the rent\nis due", &[4..8, 12..15]),
            "the **rent** is **due**"
        );
        assert_eq!(
            mark("abc", &[5..9, 7..9]),
            "abc",
            "ranges outside are ignored"
        );
    }
}
