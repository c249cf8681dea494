//! Personal data in real contracts: the hand-labelled windows of `benches/data/cuad-pii.tsv`
//! (notice and signature blocks of CUAD contracts) scored strictly, and every dotted number
//! of the contracts checked against the IP address finder.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use super::pii_set::Counts;

/// One labelled window of a contract's text.
pub struct Window {
    pub contract: String,
    /// The contract's whole text; the window is `span` of it.
    pub text: String,
    pub span: Range<usize>,
    pub kind: String,
    pub labels: Vec<(String, Range<usize>)>,
}

/// The windows of the labelled file, their texts read from `contracts` (CUAD's `contracts/`).
pub fn load(labels: &Path, contracts: &Path) -> Result<Vec<Window>, String> {
    let file = std::fs::read_to_string(labels).map_err(|e| format!("{}: {e}", labels.display()))?;
    let mut windows: Vec<(Window, Vec<(String, String)>)> = Vec::new();
    for line in file
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["window", contract, start, end, kind] => {
                let path = contracts.join(format!("{contract}.txt"));
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let span = start.parse().map_err(|e| format!("{line}: {e}"))?
                    ..end.parse().map_err(|e| format!("{line}: {e}"))?;
                if text.get(span.clone()).is_none() {
                    return Err(format!("{line}: not a span of {}", path.display()));
                }
                windows.push((
                    Window {
                        contract: (*contract).to_owned(),
                        text,
                        span,
                        kind: (*kind).to_owned(),
                        labels: Vec::new(),
                    },
                    Vec::new(),
                ));
            }
            [kind, value] => windows
                .last_mut()
                .ok_or_else(|| format!("{line}: a label before any window"))?
                .1
                .push(((*kind).to_owned(), (*value).to_owned())),
            _ => return Err(format!("not a window or a label: {line}")),
        }
    }
    windows
        .into_iter()
        .map(|(mut window, mut values)| {
            values.sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
            for (kind, value) in values {
                let inside = &window.text[window.span.clone()];
                let before = window.labels.len();
                for (at, _) in inside.match_indices(value.as_str()) {
                    let span = window.span.start + at..window.span.start + at + value.len();
                    if window
                        .labels
                        .iter()
                        .all(|(_, l)| l.end <= span.start || span.end <= l.start)
                    {
                        window.labels.push((kind.clone(), span));
                    }
                }
                if window.labels.len() == before {
                    return Err(format!(
                        "{}: {value:?} is not in its window",
                        window.contract
                    ));
                }
            }
            window.labels.sort_by_key(|(_, span)| span.start);
            Ok(window)
        })
        .collect()
}

/// Words a finding may hold beyond a labelled name.
const SUFFIXES: [&str; 9] = ["Jr", "Sr", "II", "III", "IV", "Esq", "MD", "PhD", "P.C"];

/// Whether `found` is the labelled value: it covers every letter and digit of the label and
/// adds none outside it but a suffix ("Jr.", "Esq.").
fn exact(text: &str, found: &Range<usize>, label: &Range<usize>) -> bool {
    let letters = |s: &str| s.chars().any(char::is_alphanumeric);
    let missed_before = &text[label.start..found.start.clamp(label.start, label.end)];
    let missed_after = &text[found.end.clamp(label.start, label.end)..label.end];
    let added_before = &text[found.start.min(label.start)..label.start.min(found.end)];
    let added_after = &text[label.end.max(found.start)..found.end.max(label.end)];
    let suffix_only = added_after
        .split(|c: char| !c.is_alphanumeric() && c != '.')
        .map(|w| w.trim_end_matches('.'))
        .all(|w| w.is_empty() || SUFFIXES.contains(&w));
    found.start < label.end
        && label.start < found.end
        && !letters(missed_before)
        && !letters(missed_after)
        && !letters(added_before)
        && suffix_only
}

/// The score of one type, and what went wrong: `(type, text, contract)`.
#[derive(Default)]
pub struct Evaluation {
    pub per_type: BTreeMap<String, Counts>,
    pub micro: Counts,
    pub missed: Vec<(String, String, String)>,
    pub false_findings: Vec<(String, String, String)>,
    /// Findings that overlap a label of their type but not exactly: `(type, found, label)`.
    pub boundaries: Vec<(String, String, String)>,
}

/// Scores `scan` (type and byte span of each finding in a whole text) on the windows: a
/// finding counts where it starts inside a window, and is right only when it is exactly a
/// label of its type (see [`exact`]); a wrong boundary is a false finding and a miss.
pub fn evaluate(
    windows: &[Window],
    mut scan: impl FnMut(&str) -> Vec<(String, Range<usize>)>,
) -> Evaluation {
    let mut evaluation = Evaluation::default();
    let mut scanned: BTreeMap<&str, Vec<(String, Range<usize>)>> = BTreeMap::new();
    for window in windows {
        let findings = scanned
            .entry(window.contract.as_str())
            .or_insert_with(|| scan(&window.text));
        let mut matched = vec![false; window.labels.len()];
        for (kind, found) in findings
            .iter()
            .filter(|(_, f)| window.span.contains(&f.start))
        {
            let counts = evaluation.per_type.entry(kind.clone()).or_default();
            let hit =
                window.labels.iter().enumerate().position(|(i, (k, l))| {
                    !matched[i] && k == kind && exact(&window.text, found, l)
                });
            if let Some(i) = hit {
                matched[i] = true;
                counts.tp += 1;
                continue;
            }
            counts.fp += 1;
            let shown = window.text[found.clone()].replace('\n', " ");
            if let Some((_, l)) = window
                .labels
                .iter()
                .find(|(k, l)| k == kind && l.start < found.end && found.start < l.end)
            {
                evaluation.boundaries.push((
                    kind.clone(),
                    shown,
                    window.text[l.clone()].to_owned(),
                ));
            } else {
                evaluation
                    .false_findings
                    .push((kind.clone(), shown, window.contract.clone()));
            }
        }
        for (i, (kind, label)) in window.labels.iter().enumerate() {
            if !matched[i] {
                evaluation.per_type.entry(kind.clone()).or_default().fn_ += 1;
                evaluation.missed.push((
                    kind.clone(),
                    window.text[label.clone()].to_owned(),
                    window.contract.clone(),
                ));
            }
        }
    }
    evaluation.micro = evaluation
        .per_type
        .values()
        .fold(Counts::default(), |a, c| Counts {
            tp: a.tp + c.tp,
            fp: a.fp + c.fp,
            fn_: a.fn_ + c.fn_,
        });
    evaluation
}

/// Every dotted number of four or more parts ("9.2.7.3", "8.1.2.1.4") in the texts, and
/// those of them that `ip_findings` (byte spans of IP address findings per text) report:
/// `(dotted numbers, reported as IP addresses with their contracts)`.
pub fn dotted_numbers_as_ip(
    texts: &[(String, String)],
    mut ip_findings: impl FnMut(&str) -> Vec<Range<usize>>,
) -> (usize, Vec<(String, String)>) {
    let dotted = regex::Regex::new(r"\b\d{1,3}(?:\.\d{1,3}){3,}\b").expect("pattern");
    let mut count = 0;
    let mut reported = Vec::new();
    for (name, text) in texts {
        let found = ip_findings(text);
        for m in dotted.find_iter(text) {
            count += 1;
            if found.iter().any(|f| f.start < m.end() && m.start() < f.end) {
                reported.push((m.as_str().to_owned(), name.clone()));
            }
        }
    }
    (count, reported)
}
