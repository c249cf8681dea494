//! Measuring the detector's checklist decisions against lawyers' labels. For each item
//! that names a clause type, over annotated contracts: precision, recall and F1 of
//! `found` (an `uncertain` cell counts as not found), how often the quote is the lawyers'
//! clause, how the `uncertain` cells split, and the short answers checked against the
//! set's normalised ones where it has them. [`cross_validate`] measures on contracts the
//! model was not trained on.

use std::fmt::Write as _;

use super::answers::shorten;
use super::decide::{CellState, Suggestion, detected};
use super::grid::Grid;
use super::{AnswerKind, Item};
use crate::clauses::annotated::{AnnotatedSet, Contract, Folded};
use crate::clauses::train::{Corpus, TrainOptions, train};
use crate::clauses::{ClauseModel, Reader};
use crate::text::{Value, values};

/// One item's tally.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemScore {
    pub item: String,
    pub clause: String,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
    /// `uncertain` cells of contracts with the clause, and without.
    pub uncertain_present: usize,
    pub uncertain_absent: usize,
    /// True positives whose quote overlaps the lawyers' clause.
    pub evidence_right: usize,
    /// Found cells whose answer could be checked, and those right.
    pub answers_checked: usize,
    pub answers_right: usize,
    /// Misses and wrong quotes, to read: (contract, what happened).
    pub misses: Vec<(String, String)>,
}

impl ItemScore {
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    pub fn f1(&self) -> f64 {
        ratio(
            2 * self.true_positives,
            2 * self.true_positives + self.false_positives + self.false_negatives,
        )
    }

    /// Share of true positives quoting the lawyers' clause.
    pub fn evidence(&self) -> f64 {
        ratio(self.evidence_right, self.true_positives)
    }

    fn add(&mut self, other: &ItemScore) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
        self.true_negatives += other.true_negatives;
        self.uncertain_present += other.uncertain_present;
        self.uncertain_absent += other.uncertain_absent;
        self.evidence_right += other.evidence_right;
        self.answers_checked += other.answers_checked;
        self.answers_right += other.answers_right;
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Tallies one decided cell of `contract` into `score`.
pub fn tally(item: &Item, suggestion: &Suggestion, contract: &Contract, score: &mut ItemScore) {
    let Some(clause) = item.clause.as_deref() else {
        return;
    };
    let present = contract.has(clause);
    let found = suggestion.state == CellState::Found;
    match (found, present) {
        (true, true) => score.true_positives += 1,
        (true, false) => {
            score.false_positives += 1;
            let quote = suggestion.evidence.first().map_or("", |q| q.text.as_str());
            score.misses.push((
                contract.name.clone(),
                format!("found where the lawyers marked none: {}", shorten(quote)),
            ));
        }
        (false, true) => {
            score.false_negatives += 1;
            let lawyers = contract
                .clauses
                .get(clause)
                .and_then(|c| c.first())
                .map_or(String::new(), |c| shorten(&c.text));
            let quoted = suggestion.evidence.first().map_or(String::new(), |q| {
                format!(" (quoted: {})", shorten(&q.text))
            });
            score.misses.push((
                contract.name.clone(),
                format!(
                    "{} ({:.2}): {lawyers}{quoted}",
                    suggestion.state.as_str(),
                    suggestion.confidence
                ),
            ));
        }
        (false, false) => score.true_negatives += 1,
    }
    if suggestion.state == CellState::Uncertain {
        if present {
            score.uncertain_present += 1;
        } else {
            score.uncertain_absent += 1;
        }
    }
    if found && present {
        if quotes_the_clause(suggestion, contract, clause) {
            score.evidence_right += 1;
        } else {
            let quote = suggestion.evidence.first().map_or("", |q| q.text.as_str());
            score.misses.push((
                contract.name.clone(),
                format!("quoted another sentence: {}", shorten(quote)),
            ));
        }
        if let Some(right) = answer_right(item.answer, &suggestion.answer, contract, clause) {
            score.answers_checked += 1;
            score.answers_right += usize::from(right);
            if !right {
                score.misses.push((
                    contract.name.clone(),
                    format!(
                        "answered {:?}, the set says {:?}",
                        suggestion.answer,
                        contract.answers.get(clause).map_or("", String::as_str)
                    ),
                ));
            }
        }
    }
}

/// Whether the first quote overlaps one of the lawyers' clauses of type `clause`.
fn quotes_the_clause(suggestion: &Suggestion, contract: &Contract, clause: &str) -> bool {
    let Some(quote) = suggestion.evidence.first() else {
        return false;
    };
    let text = &contract.text;
    let chars = |byte: usize| text[..byte].chars().count();
    if contract
        .spans(clause)
        .any(|(s, e)| chars(s) < quote.char_end && quote.char_start < chars(e))
    {
        return true;
    }
    // A clause not found in the text (its rendering differed): compare the words.
    let folded = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let quoted = folded(&quote.text);
    contract.clauses.get(clause).into_iter().flatten().any(|c| {
        c.spans.is_empty() && {
            let lawyers = folded(&c.text);
            lawyers.contains(&quoted) || quoted.contains(&lawyers)
        }
    })
}

/// Letters and digits of `text`, lower-cased, words joined by one space.
fn loose(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `answer` agrees with the set's normalised answer for `clause`; None when the
/// set has none, or none of a kind that can be compared.
pub fn answer_right(
    kind: AnswerKind,
    answer: &str,
    contract: &Contract,
    clause: &str,
) -> Option<bool> {
    let expected = contract.answers.get(clause)?;
    match kind {
        AnswerKind::Jurisdiction => {
            // The set writes "Ontario, Canada" or "England; Wales"; Kodiak answers with
            // the clause's words ("Province of Ontario", "England and Wales", "PRC").
            let got = place_words(answer);
            Some(
                !got.is_empty()
                    && expected
                        .split(';')
                        .filter_map(|place| place.split(',').next())
                        .map(place_words)
                        .any(|want| !want.is_empty() && got.contains(&want)),
            )
        }
        AnswerKind::Date => {
            let want = slash_date(expected)?;
            let agrees = |got: [Option<u32>; 3]| {
                want.iter()
                    .zip(got.iter())
                    .all(|(w, g)| w.is_none() || w == g)
            };
            // "18/9/2008" is day first.
            Some(
                written_date(answer)
                    .is_some_and(|[m, d, y]| agrees([m, d, y]) || agrees([d, m, y])),
            )
        }
        AnswerKind::Parties => {
            let names: Vec<String> = answer
                .split("; ")
                .filter_map(|p| p.split(" (\"").next())
                .map(loose)
                .filter(|n| !n.is_empty())
                .collect();
            let want = loose(expected);
            Some(
                names.len() >= 2.min(expected.split(';').count())
                    && names.iter().all(|n| want.contains(n.as_str())),
            )
        }
        AnswerKind::Duration => {
            let want = period(expected)?;
            Some(period(answer).is_some_and(|got| got.agrees(&want)))
        }
        _ => None,
    }
}

/// A place's words, loosely, with the names contracts and the set use for the same
/// place made one: "PRC" and "People's Republic of China", "English" and "England".
fn place_words(text: &str) -> String {
    let words = format!(" {} ", loose(text));
    let same = [
        (" prc ", " china "),
        (" people s republic of china ", " china "),
        (" english ", " england "),
        (" u s ", " united states "),
        (" usa ", " united states "),
    ];
    let mut words = words;
    for (from, to) in same {
        words = words.replace(from, to);
    }
    let words = words.trim();
    words.strip_prefix("the ").unwrap_or(words).to_owned()
}

/// `7/1/2020` or `[]/[]/2000` as [month, day, year], unknown parts None.
fn slash_date(text: &str) -> Option<[Option<u32>; 3]> {
    let parts: Vec<&str> = text.trim().split('/').collect();
    let [m, d, y] = parts[..] else {
        return None;
    };
    let part = |p: &str| p.trim().parse::<u32>().ok();
    let year = part(y)?;
    Some([part(m), part(d), Some(year)])
}

/// A date as contracts write it ("July 1, 2020", "1st day of July, 2020", "7/1/2020") as
/// [month, day, year].
fn written_date(text: &str) -> Option<[Option<u32>; 3]> {
    if let Some(date) = slash_date(text).filter(|d| d[0].is_some()) {
        return Some(date);
    }
    values(text)
        .into_iter()
        .find_map(|stated| match stated.value {
            Value::Date {
                year, month, day, ..
            } => Some([Some(month), day, u32::try_from(year).ok()]),
            _ => None,
        })
}

/// The first period `text` states: "successive 1 year" and "one (1) year" are one year.
fn period(text: &str) -> Option<Value> {
    values(text)
        .into_iter()
        .map(|stated| stated.value)
        .find(|value| matches!(value, Value::Period { .. }))
}

/// Each clause item's scores over `contracts`, as `model` decides them.
pub fn measure(items: &[Item], model: &ClauseModel, contracts: &[&Contract]) -> Vec<ItemScore> {
    let known: Vec<(&Item, usize)> = items
        .iter()
        .filter_map(|item| Some((item, model.type_index(item.clause.as_deref()?)?)))
        .collect();
    let mut scores: Vec<ItemScore> = known
        .iter()
        .map(|(item, t)| ItemScore {
            item: item.id.clone(),
            clause: model.types[*t].id.clone(),
            ..ItemScore::default()
        })
        .collect();
    let mut reader = Reader::new();
    for contract in contracts {
        let read = model.read(&mut reader, &contract.text);
        for ((item, t), score) in known.iter().zip(scores.iter_mut()) {
            let suggestion = detected(item, &model.types[*t], *t, &read, &contract.text);
            tally(item, &suggestion, contract, score);
        }
    }
    scores
}

/// Scores from `folds`-fold cross-validation: each fold's contracts decided by a model
/// trained on the others. Contracts go to folds by a seeded shuffle. `categories` are the
/// clause types trained (every item's clause among them).
pub fn cross_validate(
    set: &AnnotatedSet,
    categories: &[String],
    items: &[Item],
    folds: usize,
    options: &TrainOptions,
    progress: &mut dyn FnMut(usize),
) -> Vec<ItemScore> {
    let corpus = Corpus::new(&set.contracts, categories);
    let mut order: Vec<usize> = (0..set.contracts.len()).collect();
    fastrand::Rng::with_seed(options.seed).shuffle(&mut order);
    let folds = folds.max(2);
    let mut total: Vec<ItemScore> = Vec::new();
    for fold in 0..folds {
        let held: Vec<usize> = order.iter().copied().skip(fold).step_by(folds).collect();
        let trained: Vec<usize> = order
            .iter()
            .copied()
            .filter(|d| !held.contains(d))
            .collect();
        let model = train(&corpus, &trained, options, Vec::new());
        let contracts: Vec<&Contract> = held.iter().map(|&d| &set.contracts[d]).collect();
        let scores = measure(items, &model, &contracts);
        if total.is_empty() {
            total = scores;
        } else {
            for (sum, score) in total.iter_mut().zip(&scores) {
                sum.add(score);
                sum.misses.extend(score.misses.iter().cloned());
            }
        }
        progress(fold + 1);
    }
    total
}

/// Scores a checklist job's cells against the annotated contracts its documents are
/// (matched by file name): `rows` gives each document's title and its cells by item id.
/// Each item is scored by the clause type `items` give it, whatever checklist the job ran,
/// so a job of another version of the checklist is scored the same way. A quote is placed
/// by finding its text in the contract, whitespace folded. Also returns how many rows
/// matched no contract.
pub fn score_rows(
    items: &[Item],
    set: &AnnotatedSet,
    rows: impl IntoIterator<Item = (String, Vec<(String, Suggestion)>)>,
) -> (Vec<ItemScore>, usize) {
    let scored: Vec<&Item> = items.iter().filter(|i| i.clause.is_some()).collect();
    let mut scores: Vec<ItemScore> = scored
        .iter()
        .map(|item| ItemScore {
            item: item.id.clone(),
            clause: item.clause.clone().unwrap_or_default(),
            ..ItemScore::default()
        })
        .collect();
    let mut unmatched = 0;
    for (title, cells) in rows {
        let stem = std::path::Path::new(&title)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(contract) = set.contracts.iter().find(|c| c.name == stem) else {
            unmatched += 1;
            continue;
        };
        let folded = Folded::new(&contract.text);
        for (id, mut suggestion) in cells {
            let Some(n) = scored.iter().position(|i| i.id == id) else {
                continue;
            };
            for quote in &mut suggestion.evidence {
                if let Some((start, end)) = folded.find(&quote.text) {
                    quote.char_start = contract.text[..start].chars().count();
                    quote.char_end = quote.char_start + contract.text[start..end].chars().count();
                }
            }
            tally(scored[n], &suggestion, contract, &mut scores[n]);
        }
    }
    (scores, unmatched)
}

/// [`score_rows`] of a job's grid.
pub fn score_grid(items: &[Item], set: &AnnotatedSet, grid: &Grid) -> (Vec<ItemScore>, usize) {
    let rows = grid.rows.iter().map(|row| {
        let cells = grid
            .checklist
            .items
            .iter()
            .zip(&row.cells)
            .filter_map(|(item, cell)| Some((item.id.clone(), cell.as_ref()?.suggestion.clone())))
            .collect();
        (row.title.clone(), cells)
    });
    score_rows(items, set, rows)
}

/// [`score_rows`] of a grid as `kodiak review export JOB --format json` wrote it.
pub fn score_export(
    items: &[Item],
    set: &AnnotatedSet,
    export: &serde_json::Value,
) -> Result<(Vec<ItemScore>, usize), String> {
    let rows = export
        .get("rows")
        .and_then(|r| r.as_array())
        .ok_or("no `rows` in the export: write it with `kodiak review export JOB --format json`")?;
    let mut read = Vec::with_capacity(rows.len());
    for row in rows {
        let title = row
            .get("title")
            .and_then(|t| t.as_str())
            .unwrap_or_default();
        let mut cells = Vec::new();
        if let Some(map) = row.get("cells").and_then(|c| c.as_object()) {
            for (id, cell) in map {
                let Some(suggestion) = cell.get("suggestion") else {
                    continue;
                };
                let suggestion: Suggestion = serde_json::from_value(suggestion.clone())
                    .map_err(|e| format!("cell {title} × {id}: {e}"))?;
                cells.push((id.clone(), suggestion));
            }
        }
        read.push((title.to_owned(), cells));
    }
    Ok(score_rows(items, set, read))
}

/// The scores as a Markdown table, with a micro-averaged line over all items.
pub fn table(scores: &[ItemScore]) -> String {
    let mut out = String::from(
        "| item | clause | present | precision | recall | F1 | evidence | uncertain (with/without) | answers right |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut all = ItemScore {
        item: "all items (micro)".into(),
        ..ItemScore::default()
    };
    for score in scores {
        all.add(score);
        row(&mut out, score);
    }
    row(&mut out, &all);
    out
}

fn row(out: &mut String, s: &ItemScore) {
    let answers = if s.answers_checked == 0 {
        String::from("–")
    } else {
        format!(
            "{}/{} ({:.2})",
            s.answers_right,
            s.answers_checked,
            ratio(s.answers_right, s.answers_checked)
        )
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {}/{} | {answers} |",
        s.item,
        s.clause,
        s.true_positives + s.false_negatives,
        s.precision(),
        s.recall(),
        s.f1(),
        s.evidence(),
        s.uncertain_present,
        s.uncertain_absent,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_and_normalised_answers_compare_by_meaning() {
        assert_eq!(written_date("July 1, 2020"), slash_date("7/1/2020"));
        assert_eq!(
            written_date("1st day of July, 2020"),
            Some([Some(7), Some(1), Some(2020)])
        );
        assert_eq!(slash_date("[]/[]/2000"), Some([None, None, Some(2000)]));
        let one_year = period("one (1) year").unwrap();
        assert!(period("successive 1 year").unwrap().agrees(&one_year));
        assert!(period("twelve (12) months").unwrap().agrees(&one_year));
        assert!(!period("ten (10) years").unwrap().agrees(&one_year));
        assert_eq!(loose("State of New York"), "state of new york");
        assert_eq!(
            place_words("the PRC"),
            place_words("People's Republic of China")
        );
    }
}
