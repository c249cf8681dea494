//! Finding personal data in text: recognizers (regular expressions from the linear-time
//! `regex` crate, validators and context words), overlap resolution, and redaction with
//! placeholders that stay stable within a document.

mod config;
pub mod mask;
mod names;
pub mod phone;
mod recognizers;
mod redact;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use config::{CustomRecognizer, PiiConfig};
use recognizers::{Pattern, Recognizer};
pub use redact::{Redaction, placeholders, redact};
use validate::Verdict;

/// What a span of personal data is. Built-in names follow Microsoft Presidio's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    EmailAddress,
    PhoneNumber,
    CreditCard,
    IbanCode,
    UsSsn,
    IpAddress,
    UkNino,
    Person,
    DateOfBirth,
    /// A recognizer from `[[pii.custom]]`, by its configured name.
    Custom(String),
}

impl PiiKind {
    /// The kind's name, as in placeholders, reports and the database.
    pub fn as_str(&self) -> &str {
        match self {
            PiiKind::EmailAddress => "EMAIL_ADDRESS",
            PiiKind::PhoneNumber => "PHONE_NUMBER",
            PiiKind::CreditCard => "CREDIT_CARD",
            PiiKind::IbanCode => "IBAN_CODE",
            PiiKind::UsSsn => "US_SSN",
            PiiKind::IpAddress => "IP_ADDRESS",
            PiiKind::UkNino => "UK_NINO",
            PiiKind::Person => "PERSON",
            PiiKind::DateOfBirth => "DATE_OF_BIRTH",
            PiiKind::Custom(name) => name,
        }
    }

    /// The kind with this name: a built-in one, or else a custom one.
    pub fn from_name(name: &str) -> PiiKind {
        const BUILT_IN: [PiiKind; 9] = [
            PiiKind::EmailAddress,
            PiiKind::PhoneNumber,
            PiiKind::CreditCard,
            PiiKind::IbanCode,
            PiiKind::UsSsn,
            PiiKind::IpAddress,
            PiiKind::UkNino,
            PiiKind::Person,
            PiiKind::DateOfBirth,
        ];
        BUILT_IN
            .into_iter()
            .find(|k| k.as_str() == name)
            .unwrap_or_else(|| PiiKind::Custom(name.to_owned()))
    }
}

/// A kind by name: any name Kodiak writes (a custom recognizer's too), never an empty one.
impl std::str::FromStr for PiiKind {
    type Err = String;

    fn from_str(name: &str) -> Result<PiiKind, String> {
        if name.is_empty() {
            return Err("an empty PII kind".into());
        }
        Ok(PiiKind::from_name(name))
    }
}

crate::named::stored_by_name!(PiiKind);

/// One stored span of personal data, in characters of the document text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PiiSpan {
    #[serde(rename = "type")]
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
    pub score: f32,
    /// The placeholder that stands for this value in redacted text, e.g. `[PERSON_2]`.
    pub placeholder: String,
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PiiKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PiiKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PiiKind::from_name(&String::deserialize(d)?))
    }
}

/// One span of personal data. `start`/`end` are byte offsets into the scanned text, end
/// exclusive; [`char_offsets`] converts them for users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    #[serde(rename = "type")]
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
    pub score: f32,
}

/// Why the PII detector could not be built (a bad custom recognizer).
#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("invalid pattern for PII type {kind}: {reason}")]
    Pattern { kind: String, reason: String },
    #[error(
        "unknown region {code:?} in [pii] phone_regions: use two-letter country codes such as \"US\", \"GB\", \"DE\""
    )]
    Region { code: String },
}

/// Raised by a context word near a match (Presidio's default factor).
const CONTEXT_BOOST: f32 = 0.35;
/// How many words around a match context words count in. Counting words, not bytes, keeps
/// "born 1975, asked on 12 January" from making the second date a birth date.
const CONTEXT_WORDS_BEFORE: usize = 3;
/// Phone numbers follow longer phrases: "contact the site manager on 540-0418".
const PHONE_CONTEXT_WORDS_BEFORE: usize = 5;
const CONTEXT_WORDS_AFTER: usize = 2;
/// How far to look for those words, in bytes.
const CONTEXT_REACH: usize = 80;
/// What stands before an amount.
const CURRENCIES: [&str; 12] = [
    "$", "€", "£", "¥", "USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "INR",
];
/// Capitalised words that start sentences, never names: "defendant The Company".
const NOT_NAMES: [&str; 12] = [
    "The", "This", "That", "These", "Those", "Each", "Any", "All", "Our", "Your", "Their", "Such",
];

/// Finds personal data. Build once, scan many texts; cheap to share between threads.
pub struct Detector {
    recognizers: Vec<Recognizer>,
    threshold: f32,
}

impl Detector {
    /// The detector for `[pii]`: the built-in recognizers that are switched on and the custom ones.
    pub fn new(config: &PiiConfig) -> Result<Detector, PiiError> {
        let regions = phone::Regions::parse(&config.phone_regions)
            .map_err(|code| PiiError::Region { code })?;
        let mut recognizers = recognizers::built_in(regions)?;
        for custom in &config.custom {
            let kind = PiiKind::Custom(custom.name.clone());
            let regex = regex::Regex::new(&custom.regex).map_err(|e| PiiError::Pattern {
                kind: custom.name.clone(),
                reason: e.to_string(),
            })?;
            recognizers.push(Recognizer {
                kind,
                patterns: vec![Pattern {
                    regex,
                    score: custom.score,
                    group: 0,
                }],
                validate: Box::new(|_: &str, _: &dyn Fn() -> f32| Verdict::Plausible),
                context: custom.context.iter().map(|c| c.to_lowercase()).collect(),
                needs_digit: false,
            });
        }
        Ok(Detector {
            recognizers,
            threshold: config.threshold,
        })
    }

    /// Every finding at or above the threshold, without overlaps, in text order.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        self.scan_in(text, &digit_zones(text))
    }

    /// Like [`Detector::scan`], with the recognizers that need a digit run only over
    /// `digit_zones`, byte ranges that start and end at whitespace or the text's ends.
    fn scan_in(&self, text: &str, digit_zones: &[Range<usize>]) -> Vec<Finding> {
        let whole = 0..text.len();
        let mut candidates = Vec::new();
        for recognizer in &self.recognizers {
            let zones = if recognizer.needs_digit {
                digit_zones
            } else {
                std::slice::from_ref(&whole)
            };
            for pattern in &recognizer.patterns {
                for zone in zones {
                    let part = &text[zone.clone()];
                    if pattern.group == 0 {
                        for m in pattern.regex.find_iter(part) {
                            let span = zone.start + m.start()..zone.start + m.end();
                            self.consider(recognizer, pattern, text, span, &mut candidates);
                        }
                        continue;
                    }
                    // A name pattern takes words up to a field or a title that the validator
                    // drops ("Michael Lerner   Attention: Joseph Wyatt"): the search goes on
                    // after the name kept, or after the first word taken when none was, so
                    // that the next cue's name is found too. (Capture groups cost a slower
                    // engine; only patterns that need one use it.)
                    let mut at = 0;
                    while let Some(m) = pattern
                        .regex
                        .captures_at(part, at)
                        .and_then(|caps| caps.get(pattern.group))
                    {
                        let span = zone.start + m.start()..zone.start + m.end();
                        let kept = self.consider(recognizer, pattern, text, span, &mut candidates);
                        let first_word = m
                            .as_str()
                            .find(char::is_whitespace)
                            .unwrap_or(m.len())
                            .max(1);
                        at = kept.map_or(m.start() + first_word, |end| end - zone.start);
                        at = ceil_char_boundary(part, at.max(m.start() + 1));
                    }
                }
            }
        }
        let mut findings = resolve_overlaps(candidates);
        self.add_mentions(text, &mut findings);
        findings
    }

    /// Drops the names the text also writes as a firm's ("Name: Dialog Semiconductor" where
    /// "Dialog Semiconductor (UK) Ltd" is a party), ends a name where another found name
    /// begins, then adds the other places the text writes a name found in it (see
    /// [`names::written`]).
    fn add_mentions(&self, text: &str, findings: &mut Vec<Finding>) {
        let people = |findings: &[Finding]| -> Vec<(String, Range<usize>)> {
            let names: Vec<&str> = findings
                .iter()
                .filter(|f| f.kind == PiiKind::Person)
                .map(|f| &text[f.start..f.end])
                .collect();
            if names.is_empty() {
                return Vec::new();
            }
            names::written(text, &names)
        };
        let mut written = people(findings);
        let firms: std::collections::HashSet<String> = written
            .iter()
            .filter(|(_, span)| names::firm_follows(text, span.end))
            .map(|(name, _)| name.clone())
            .collect();
        if !firms.is_empty() {
            findings.retain(|f| {
                f.kind != PiiKind::Person || !firms.contains(&names::folded(&text[f.start..f.end]))
            });
            written.retain(|(name, _)| !firms.contains(name));
        }
        let spans: Vec<Range<usize>> = written.iter().map(|(_, span)| span.clone()).collect();
        let mut cut = false;
        for finding in findings.iter_mut().filter(|f| f.kind == PiiKind::Person) {
            let span = finding.start..finding.end;
            finding.end = names::cut_before_other(text, &span, &spans);
            cut |= finding.end != span.end;
        }
        if cut {
            written = people(findings);
        }
        let Some(score) = findings
            .iter()
            .filter(|f| f.kind == PiiKind::Person)
            .map(|f| f.score)
            .reduce(f32::min)
        else {
            return;
        };
        let taken: Vec<Range<usize>> = findings.iter().map(|f| f.start..f.end).collect();
        let mentions: Vec<Finding> = written
            .into_iter()
            .map(|(_, span)| span)
            .filter(|m| taken.iter().all(|t| t.end <= m.start || m.end <= t.start))
            .map(|span| Finding {
                kind: PiiKind::Person,
                start: span.start,
                end: span.end,
                score,
            })
            .collect();
        if !mentions.is_empty() {
            findings.extend(mentions);
            findings.sort_by_key(|f| f.start);
        }
    }

    /// Judges one match: a finding goes to `out` if it scores enough. Returns where the
    /// finding ends (a validator may keep only the start of the match), `None` if the
    /// match is no finding of this kind at all.
    fn consider(
        &self,
        recognizer: &Recognizer,
        pattern: &Pattern,
        text: &str,
        span: Range<usize>,
        out: &mut Vec<Finding>,
    ) -> Option<usize> {
        let Range { start, mut end } = span;
        let matched = &text[start..end];
        // "INV-2024-0012", "No/4471-2231": a number joined to what comes before is a
        // reference, not a phone number; "EUR 1 250 000", "$ 3 500 000" are amounts.
        if recognizer.kind == PiiKind::PhoneNumber {
            let before = &text[..start];
            let joined = before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '#' | '_'));
            let amount = before
                .split_whitespace()
                .next_back()
                .is_some_and(|word| CURRENCIES.contains(&word.to_ascii_uppercase().as_str()));
            if joined || amount {
                return None;
            }
        }
        if recognizer.kind == PiiKind::Person {
            let first = matched.split_whitespace().next().unwrap_or_default();
            if NOT_NAMES.contains(&first) {
                return None;
            }
        }
        let words_before = if recognizer.kind == PiiKind::PhoneNumber {
            PHONE_CONTEXT_WORDS_BEFORE
        } else {
            CONTEXT_WORDS_BEFORE
        };
        let needed = || {
            if has_context(text, start, end, &recognizer.context, words_before) {
                self.threshold - CONTEXT_BOOST
            } else {
                self.threshold
            }
        };
        let mut score = match (recognizer.validate)(matched, &needed) {
            Verdict::Invalid => return None,
            Verdict::Plausible => pattern.score,
            Verdict::PlausibleAt(score) => score,
            Verdict::Certain => 1.0,
            Verdict::CertainPrefix(len) => {
                end = start + len;
                1.0
            }
            Verdict::PlausiblePrefix(len, score) => {
                end = start + len;
                score
            }
        };
        let context =
            score < 1.0 && has_context(text, start, end, &recognizer.context, words_before);
        if context {
            score = (score + CONTEXT_BOOST).min(1.0);
        }
        // `6.3.4.1` in a contract is a section, not a host: without a word such as "server"
        // or "IP" nearby, a dotted quad where a section number stands is no finding.
        if recognizer.kind == PiiKind::IpAddress
            && !context
            && matched.contains('.')
            && stands_as_section_number(text, start)
        {
            return None;
        }
        if score >= self.threshold {
            out.push(Finding {
                kind: recognizer.kind.clone(),
                start,
                end,
                score,
            });
        }
        Some(end)
    }
}

/// How far around a digit or colon a match of a recognizer that needs one can reach: the
/// longest stretch without either inside a match is a month name with its spaces, or an
/// IBAN's letter group.
const ZONE_REACH: usize = 64;

/// The parts of `text` where a recognizer that needs a digit can match: every ASCII digit
/// or colon with [`ZONE_REACH`] bytes either side, widened to whitespace so that word
/// boundaries at the edges are the text's own, overlaps merged. Prose holds few digits,
/// and scanning only these parts is several times faster than scanning everything; the
/// findings are the same, unless the parts of one date lie further apart than the reach.
fn digit_zones(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut zones: Vec<Range<usize>> = Vec::new();
    for (at, byte) in bytes.iter().enumerate() {
        if !(byte.is_ascii_digit() || *byte == b':') {
            continue;
        }
        let end = (at + 1 + ZONE_REACH).min(bytes.len());
        match zones.last_mut() {
            Some(zone) if at.saturating_sub(ZONE_REACH) <= zone.end => zone.end = end,
            _ => zones.push(at.saturating_sub(ZONE_REACH)..end),
        }
    }
    // Whitespace is ASCII, so the widened edges are character boundaries.
    let mut widened: Vec<Range<usize>> = Vec::with_capacity(zones.len());
    for zone in zones {
        let start = bytes[..zone.start]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(0, |at| at + 1);
        let end = bytes[zone.end..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(bytes.len(), |at| zone.end + at);
        match widened.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => widened.push(start..end),
        }
    }
    widened
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Whether a context phrase occurs as whole words just before or after the match.
/// Words after which a number names a part of a document.
const SECTION_WORDS: [&str; 14] = [
    "section",
    "sections",
    "§",
    "§§",
    "clause",
    "clauses",
    "article",
    "articles",
    "paragraph",
    "paragraphs",
    "para",
    "schedule",
    "annex",
    "item",
];

/// Whether the number at byte `start` stands where a section number does: first on its
/// line (after heading or list markup) where the line before ends a sentence or a block,
/// after a word such as "Section" or "§", or after another dotted number in a list
/// ("6.3.4.1, 6.3.4.2 and 6.3.4.3").
fn stands_as_section_number(text: &str, start: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let mut before = &text[line_start..start];
    let markup = |c: char| c.is_whitespace() || matches!(c, '#' | '*' | '_' | '(' | '[' | '>');
    if before.chars().all(markup) {
        let earlier = text[..line_start].trim_end();
        if earlier.is_empty() || earlier.ends_with(['.', ':', ';', '!', '?', ')', '#']) {
            return true;
        }
        // A paragraph wrapped mid-sentence: the words before are the line above's.
        before = earlier;
    }
    let mut words = before.split_whitespace().rev();
    let Some(previous) = words.next() else {
        return true;
    };
    let bare = |word: &str| {
        word.trim_matches(|c: char| !c.is_alphanumeric() && c != '§' && c != '.')
            .trim_end_matches('.')
            .to_lowercase()
    };
    let previous = bare(previous);
    if SECTION_WORDS.contains(&previous.as_str()) {
        return true;
    }
    let dotted = |word: &str| {
        word.split('.').count() >= 3
            && word
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    match previous.as_str() {
        // "… 6.3.4.1 and 6.3.4.2", "… 6.3.4.1 to 6.3.4.9"
        "and" | "or" | "to" | "through" => words.next().map(bare).is_some_and(|w| dotted(&w)),
        // "6.3.4.1, 6.3.4.2"
        word => dotted(word),
    }
}

fn has_context(
    text: &str,
    start: usize,
    end: usize,
    context: &[String],
    words_before: usize,
) -> bool {
    if context.is_empty() {
        return false;
    }
    let before = &text[floor_char_boundary(text, start.saturating_sub(CONTEXT_REACH))..start];
    let after = &text[end..ceil_char_boundary(text, (end + CONTEXT_REACH).min(text.len()))];
    let mut words_before: Vec<&str> = before.split_whitespace().rev().take(words_before).collect();
    words_before.reverse();
    let words_after: Vec<&str> = after.split_whitespace().take(CONTEXT_WORDS_AFTER).collect();
    [words_before.join(" "), words_after.join(" ")]
        .iter()
        .any(|window| {
            let window = window.to_lowercase();
            context.iter().any(|phrase| contains_words(&window, phrase))
        })
}

fn contains_words(haystack: &str, phrase: &str) -> bool {
    haystack.match_indices(phrase).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Keeps the best of overlapping candidates: higher score first, then the longer span.
fn resolve_overlaps(mut candidates: Vec<Finding>) -> Vec<Finding> {
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    // Accepted spans by start; neighbours are enough to test for overlap.
    let mut accepted: BTreeMap<usize, Finding> = BTreeMap::new();
    for candidate in candidates {
        let clashes_before = accepted
            .range(..candidate.end)
            .next_back()
            .is_some_and(|(_, f)| f.end > candidate.start);
        if !clashes_before {
            accepted.insert(candidate.start, candidate);
        }
    }
    accepted.into_values().collect()
}

/// Converts findings' byte offsets into offsets in Unicode scalar values (characters), in
/// one pass over the text. Findings must be in text order, as [`Detector::scan`] returns them.
pub fn char_offsets(text: &str, findings: &[Finding]) -> Vec<(usize, usize)> {
    let mut result = Vec::with_capacity(findings.len());
    let mut byte = 0;
    let mut chars = 0;
    let mut advance = |to: usize| {
        if to < byte {
            // Out of order: count again from the start rather than slice backwards.
            (byte, chars) = (0, 0);
        }
        chars += text[byte..to].chars().count();
        byte = to;
        chars
    };
    for finding in findings {
        let start = advance(finding.start);
        let end = advance(finding.end);
        result.push((start, end));
    }
    result
}

/// Time each pattern takes over `text`, slowest first (for `cargo bench --bench pii`).
pub fn pattern_costs(detector: &Detector, text: &str) -> Vec<(String, std::time::Duration)> {
    let mut costs = Vec::new();
    for recognizer in &detector.recognizers {
        for (index, pattern) in recognizer.patterns.iter().enumerate() {
            let started = std::time::Instant::now();
            if pattern.group == 0 {
                std::hint::black_box(pattern.regex.find_iter(text).count());
            } else {
                std::hint::black_box(pattern.regex.captures_iter(text).count());
            }
            costs.push((format!("{}#{index}", recognizer.kind), started.elapsed()));
        }
    }
    costs.sort_by_key(|c| std::cmp::Reverse(c.1));
    costs
}

#[cfg(test)]
mod tests;
