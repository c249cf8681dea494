//! What `kodiak ask` returns: the answer, its citations and sources, and how it was made.
//! Citation markers (`[2]`, `[1, 3]`) in a model's answer are parsed here; each valid one
//! points to a passage and carries a quote from it, and a marker pointing to no passage is
//! flagged.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::checklist::AnswerKind;
use crate::checklist::answers::{answer_from, has_answer};
use crate::checklist::decide::CellState;
pub use crate::citation::{Citation, Source, marker_spans, markers};
use crate::clauses::question::QuestionTypes;
use crate::grounding::Grounding;
use crate::llm::prompt::Dropped;
use crate::llm::{Finish, GenerationStats};
use crate::process::ProcessId;
use crate::text::{Stemmer, is_heading, sentences};

/// Longest quote, in characters.
const MAX_QUOTE_CHARS: usize = 500;

pub use crate::conversation::AnswerMode;

/// An answer to one question, with everything the front ends show beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// What the reviewer reads, with personal data restored.
    pub answer: String,
    pub mode: AnswerMode,
    pub citations: Vec<Citation>,
    /// Markers in the answer that point to no passage, such as `[7]` with five passages.
    pub invalid_citations: Vec<usize>,
    pub sources: Vec<Source>,
    pub dropped: Dropped,
    pub stats: GenerationStats,
    /// How generation ended; None for extractive answers.
    pub finish: Option<Finish>,
    pub conversation_id: i64,
    /// Why the answer is extractive, what search left out, and the like.
    pub notes: Vec<String>,
    /// Why generation failed (a crash of the model process, say): the answer is stored as
    /// failed, with what was written before the failure.
    pub failure: Option<String>,
    /// Which sentences the passages support; None for an extractive answer (its sentences
    /// are the passages'). Serialized as `sentences` and `grounded` beside the answer.
    #[serde(flatten)]
    pub grounding: Option<Grounding>,
    /// The evidence a generated answer leads with (`[generator] lead`); the model's text
    /// in `answer` is then a draft beneath it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The documents the question named, which it was asked of (it was not scoped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asked_of: Vec<String>,
}

/// The heading of the evidence that leads an answer, and of the model's text beneath it.
pub const EVIDENCE_LABEL: &str = "Evidence, quoted from the documents";
pub const DRAFT_LABEL: &str = "Draft by the model, not verified";

/// The checked evidence for a question: each passage's sentence that best answers it,
/// quoted verbatim from the stored text and cited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The value asked for, taken from quote [1], first (`Term: one (1) year [1]`); then
    /// one line per passage: `[n] Title, page p: "quote"`.
    pub text: String,
    pub citations: Vec<Citation>,
    /// The value asked for, as quote [1] writes it ("one (1) year").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Evidence {
    /// The evidence opening with the documents it was asked of, when the question named
    /// them: "Asked of: Inktomi–Microsoft Software Hosting Agreement".
    pub fn asked_of(mut self, documents: &[String]) -> Evidence {
        if !documents.is_empty() {
            self.text = format!("Asked of: {}\n{}", documents.join("; "), self.text);
        }
        self
    }

    /// The evidence in `sources` for `question`; None when there are no passages.
    pub fn for_question(question: &str, sources: &[Source]) -> Option<Evidence> {
        (!sources.is_empty()).then(|| {
            let wanted = Wanted::by(question);
            let citations = citations_for(question, wanted.map(|w| w.kind), sources);
            let mut text = String::new();
            let mut stated = None;
            if let Some(wanted) = &wanted
                && let Some(first) = citations.first()
                && has_answer(wanted.kind, &first.quote)
            {
                let value = stated_value(wanted.kind, &first.quote, question);
                text = format!("{}: {value} [{}]\n\n", wanted.label, first.n);
                stated = Some(value);
            }
            text.push_str(&evidence_lines(sources, &citations));
            Evidence {
                text,
                citations,
                value: stated,
            }
        })
    }
}

/// Words either side of a value that tell what it is ("thirty (30) days' notice of
/// non-renewal").
const VALUE_CONTEXT_WORDS: usize = 6;

/// The value of `kind` that `quote` states, as written. Of several ("renews for one (1)
/// year unless notice is given thirty (30) days before"), the one whose neighbouring words
/// share most with `question`; a period given only by the dates it runs between ("begins on
/// 1 April 2026 and ends on 31 March 2027") as "1 April 2026 to 31 March 2027"; else what
/// the checklist's extractor reads.
fn stated_value(kind: AnswerKind, quote: &str, question: &str) -> String {
    use crate::text::{Value, values, words};
    let is = |value: &Value, kind: AnswerKind| match kind {
        AnswerKind::Duration => matches!(value, Value::Period { .. }),
        AnswerKind::Date => matches!(value, Value::Date { .. }),
        AnswerKind::Amount => matches!(value, Value::Money { .. }),
        _ => false,
    };
    let all = values(quote);
    let of_kind: Vec<_> = all.iter().filter(|s| is(&s.value, kind)).collect();
    if of_kind.len() >= 2 {
        let mut stemmer = Stemmer::new();
        let asked = stemmer.content(question);
        // A notice period is written as one ("thirty (30) days prior to", "90 days'
        // notice", "six months in advance"): for a question about notice, its words come
        // first, before those shared with the question, which a renewal term shares too.
        let cues = match asked.iter().any(|stem| stem.starts_with("notic")) {
            true => stemmer.content(NOTICE_CUES),
            false => Default::default(),
        };
        let mut best: Option<((usize, usize), &str)> = None;
        for value in of_kind {
            let before: Vec<&str> = words(&quote[..value.range.start]).collect();
            let after: Vec<&str> = words(&quote[value.range.end..]).collect();
            let near = before[before.len().saturating_sub(VALUE_CONTEXT_WORDS)..]
                .iter()
                .chain(after.iter().take(VALUE_CONTEXT_WORDS))
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            let near = stemmer.content(&near);
            let score = (
                near.intersection(&cues).count(),
                near.intersection(&asked).count(),
            );
            if best.is_none_or(|(top, _)| score > top) {
                best = Some((score, &quote[value.range.clone()]));
            }
        }
        if let Some((_, value)) = best {
            return value.to_owned();
        }
    }
    if kind == AnswerKind::Duration && !all.iter().any(|s| is(&s.value, kind)) {
        let mut dates = all.iter().filter(|s| is(&s.value, AnswerKind::Date));
        if let (Some(first), Some(last)) = (dates.next(), dates.next_back()) {
            return format!(
                "{} to {}",
                &quote[first.range.clone()],
                &quote[last.range.clone()]
            );
        }
    }
    let read = answer_from(kind, CellState::Found, quote);
    // A period, date or amount is stated only as one: never another kind's value.
    let valued = matches!(
        kind,
        AnswerKind::Duration | AnswerKind::Date | AnswerKind::Amount
    );
    if valued && !values(&read).iter().any(|s| is(&s.value, kind)) {
        return String::new();
    }
    read
}

/// Words beside a notice period: "prior", "before", "in advance", "notice", "notify".
const NOTICE_CUES: &str = "prior before advance notice notify";

/// The value a question asks for: what kind it is (a period, a date, a place…) and what
/// an answer calls it ("Term", "Governing law").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub label: &'static str,
    pub kind: AnswerKind,
}

impl Wanted {
    /// By the clause type the question names ("what is the term…" asks for the term, a
    /// period), else by how it asks ("how long", "when", "how much"); None for a question
    /// that wants no value ("is assignment allowed?").
    pub fn by(question: &str) -> Option<Wanted> {
        const BY_TYPE: [(&str, &str, AnswerKind); 9] = [
            ("governing_law", "Governing law", AnswerKind::Jurisdiction),
            ("expiration_date", "Term", AnswerKind::Duration),
            ("renewal_term", "Renewal term", AnswerKind::Duration),
            (
                "notice_period_to_terminate_renewal",
                "Notice to stop renewal",
                AnswerKind::Duration,
            ),
            ("warranty_duration", "Warranty period", AnswerKind::Duration),
            ("effective_date", "Effective date", AnswerKind::Date),
            ("agreement_date", "Date", AnswerKind::Date),
            ("parties", "Parties", AnswerKind::Parties),
            ("cap_on_liability", "Liability cap", AnswerKind::Amount),
        ];
        const BY_ASKING: [(&str, &str, AnswerKind); 10] = [
            ("how long", "Period", AnswerKind::Duration),
            ("how many days", "Period", AnswerKind::Duration),
            ("how many months", "Period", AnswerKind::Duration),
            ("how many years", "Period", AnswerKind::Duration),
            ("how much notice", "Notice", AnswerKind::Duration),
            ("which law", "Governing law", AnswerKind::Jurisdiction),
            ("what law", "Governing law", AnswerKind::Jurisdiction),
            ("what date", "Date", AnswerKind::Date),
            // "When is the deposit returned?": "within 30 days" as often as a date.
            ("when ", "When", AnswerKind::Duration),
            ("how much", "Amount", AnswerKind::Amount),
        ];
        let asked = QuestionTypes::shared().asked(question);
        let by_type = BY_TYPE
            .iter()
            .find(|(id, _, _)| asked.contains(id))
            .map(|&(_, label, kind)| Wanted { label, kind });
        // "When does it commence?" asks for a date, as "when is the deposit returned?"
        // need not.
        const DATED: [&str; 7] = [
            "commence",
            "begin",
            "start",
            "effective",
            "expire",
            "signed",
            "dated",
        ];
        let lower = format!("{} ", question.to_lowercase());
        let dated = lower.contains("when ") && DATED.iter().any(|verb| lower.contains(verb));
        by_type.or_else(|| {
            if dated {
                return Some(Wanted {
                    label: "Date",
                    kind: AnswerKind::Date,
                });
            }
            BY_ASKING
                .iter()
                .find(|(phrase, _, _)| lower.contains(phrase))
                .map(|&(_, label, kind)| Wanted { label, kind })
        })
    }
}

/// What is stored beside an answer's text: all that `kodiak ask` reported about it, and
/// what the model saw and wrote (masked), which later turns replay. Written and read only
/// here, so no front end parses stored JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnswerRecord {
    pub citations: Vec<Citation>,
    pub invalid_citations: Vec<usize>,
    pub sources: Vec<Source>,
    pub dropped: Dropped,
    pub stats: GenerationStats,
    pub finish: Option<Finish>,
    pub notes: Vec<String>,
    /// Why the answer failed.
    pub error: Option<String>,
    /// Which sentences the passages support (generated answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounding: Option<Grounding>,
    /// The evidence the answer led with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The final user message as the model saw it (masked).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prompt_user: String,
    /// The model's own text (masked).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub model_text: String,
    /// The placeholders of the prompt and the values they stand for.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub placeholders: BTreeMap<String, String>,
    /// The process writing the answer while it is `generating`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer: Option<ProcessId>,
}

impl AnswerRecord {
    /// The record as stored.
    pub fn to_stored(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// A stored record; a record that is not valid JSON is an error naming its message.
    pub fn from_stored(message: i64, stored: &str) -> Result<AnswerRecord, String> {
        serde_json::from_str(stored)
            .map_err(|e| format!("the stored details of message {message} are damaged: {e}"))
    }

    /// The record a front end may show or export: without what the model saw and wrote
    /// (masked) and the placeholder table, which exist for later turns only.
    pub fn public(&self) -> AnswerRecord {
        AnswerRecord {
            prompt_user: String::new(),
            model_text: String::new(),
            placeholders: BTreeMap::new(),
            writer: None,
            ..self.clone()
        }
    }
}

/// The citations of `answer` against `sources`, and the markers that point nowhere.
pub fn cite(answer: &str, sources: &[Source]) -> (Vec<Citation>, Vec<usize>) {
    let mut citations = Vec::new();
    let mut invalid = Vec::new();
    for n in markers(answer) {
        match sources.iter().find(|s| s.n == n) {
            Some(source) => {
                let claim = sentences_citing(answer, n);
                citations.push(citation(source, &claim));
            }
            None => invalid.push(n),
        }
    }
    (citations, invalid)
}

/// A citation of `source` quoting the sentence that shares most words with `claim`.
pub fn citation(source: &Source, claim: &str) -> Citation {
    citation_quoting(source, best_quote(&source.text, claim))
}

/// The citations of an extractive answer: each passage with the quote the answer's text
/// gives of it ([`extractive_text`]).
pub fn extractive_citations(question: &str, sources: &[Source]) -> Vec<Citation> {
    citations_for(question, Wanted::by(question).map(|w| w.kind), sources)
}

/// [`extractive_citations`] for a question wanting a value of `kind`.
fn citations_for(question: &str, kind: Option<AnswerKind>, sources: &[Source]) -> Vec<Citation> {
    let texts: Vec<&str> = sources.iter().map(|s| s.text.as_str()).collect();
    let mut weights = Weights::new(question, &texts);
    weights.kind = kind;
    let mut quoted: Vec<(Citation, Fit)> = sources
        .iter()
        .map(|s| {
            // The clause detector's sentence answers a question naming its clause. Parties
            // and dates excepted: the preamble states them, and the detector takes many a
            // sentence for one, so its sentence must state them too.
            let detected = clause_sentence(s).filter(|sentence| match kind {
                Some(kind @ (AnswerKind::Parties | AnswerKind::Date)) => states(kind, sentence),
                _ => true,
            });
            let (quote, fit) = match detected {
                // A cap wants its amount: the detector's sentence excluding damages ("in
                // no event… consequential damages") gives way to the passage's sentence
                // stating the amount, when it has one.
                Some(sentence)
                    if kind == Some(AnswerKind::Amount)
                        && !states(AnswerKind::Amount, sentence) =>
                {
                    match best_quote_fit(&s.text, &weights) {
                        (quote, fit @ (true, true)) => (quote, fit),
                        _ => (cut_at_word(sentence, MAX_QUOTE_CHARS), (true, true)),
                    }
                }
                Some(sentence) => (cut_at_word(sentence, MAX_QUOTE_CHARS), (true, true)),
                None => best_quote_fit(&s.text, &weights),
            };
            (citation_quoting(s, quote), fit)
        })
        .collect();
    // Sentences that state the value wanted first, then in the passages' order: retrieval
    // (with the clause detector) ranks passages better than the words they share.
    quoted.sort_by_key(|(_, fit)| std::cmp::Reverse(*fit));
    quoted.into_iter().map(|(citation, _)| citation).collect()
}

/// The sentence of `source` the clause detector found for the question's clause type,
/// trimmed; None when it found none there.
fn clause_sentence(source: &Source) -> Option<&str> {
    let (start, end) = source.hit.clause_sentence?;
    let from = start.checked_sub(source.hit.char_start)?;
    let to = end.checked_sub(source.hit.char_start)?;
    let sentence = crate::text::char_slices(&source.text, [(from, to)]).pop()?;
    let sentence = sentence.trim();
    (!sentence.is_empty()).then_some(sentence)
}

/// How well a sentence answers, beyond the words it shares: whether it states something
/// (is no heading), and whether it states the kind of value wanted.
type Fit = (bool, bool);

fn citation_quoting(source: &Source, quote: &str) -> Citation {
    let hit = &source.hit;
    Citation {
        n: source.n,
        doc_id: hit.doc_id,
        chunk_id: hit.chunk_id,
        path: hit.path.clone(),
        title: hit.title.clone(),
        page: hit.page,
        ocr_confidence: hit.ocr_confidence,
        char_start: hit.char_start,
        char_end: hit.char_end,
        quote: quote.to_owned(),
    }
}

/// The answer's sentences that carry marker `n`, joined.
fn sentences_citing(answer: &str, n: usize) -> String {
    sentences(answer)
        .filter(|s| markers(s).contains(&n))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The sentence of `text` that best matches `claim`, cut to [`MAX_QUOTE_CHARS`] at the end
/// of a word; always a slice of `text`. Sentences score the content words they share with
/// `claim` (stemmed, so "monthly" finds "month"), each weighed by how few sentences hold
/// it (see [`Weights`]): in a lease, "rent" tells more than "lease". The first wins a tie.
/// A heading (a line starting with `#`, or of fewer than four words) is never quoted while
/// the text has a sentence: it names a topic, it states nothing.
pub fn best_quote<'t>(text: &'t str, claim: &str) -> &'t str {
    best_quote_weighted(text, &Weights::new(claim, &[text]))
}

/// Where, in bytes of `text`, the sentence stands that `about` quotes (a citation's quote)
/// or that best matches it (a search, a claim of an answer): what the viewer highlights
/// inside a passage. None when `about` shares no word with the text.
pub fn sentence_about(text: &str, about: &str) -> Option<Range<usize>> {
    let about = about.trim();
    if about.is_empty() {
        return None;
    }
    if let Some(at) = text.find(about) {
        return Some(at..at + about.len());
    }
    let quote = best_quote(text, about);
    let mut stemmer = Stemmer::new();
    if stemmer.content(quote).is_disjoint(&stemmer.content(about)) {
        return None;
    }
    // The quote is a slice of `text`: its place is the distance between their starts.
    let at = (quote.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    Some(at..at + quote.len())
}

/// How much each content word of a claim counts when quoting: one over the number of
/// sentences, among the texts quoted from, that hold it.
pub struct Weights {
    wanted: HashMap<String, f64>,
    /// The kind of value the question wants: a sentence that states one and shares a
    /// word with the question is quoted before those that do not ("what is the term?"
    /// wants the sentence with the period, not the preamble naming the agreement).
    pub kind: Option<AnswerKind>,
}

impl Weights {
    /// The weights of `claim`'s words over the sentences of `texts`.
    pub fn new(claim: &str, texts: &[&str]) -> Weights {
        let mut stemmer = Stemmer::new();
        let mut holding: HashMap<String, usize> =
            stemmer.content(claim).into_iter().map(|s| (s, 0)).collect();
        for text in texts {
            for sentence in sentences(text) {
                for stem in stemmer.content(sentence) {
                    if let Some(count) = holding.get_mut(&stem) {
                        *count += 1;
                    }
                }
            }
        }
        let wanted = holding
            .into_iter()
            .map(|(stem, count)| (stem, 1.0 / count.max(1) as f64))
            .collect();
        Weights { wanted, kind: None }
    }
}

fn best_quote_weighted<'t>(text: &'t str, weights: &Weights) -> &'t str {
    best_quote_fit(text, weights).0
}

fn best_quote_fit<'t>(text: &'t str, weights: &Weights) -> (&'t str, Fit) {
    let mut stemmer = Stemmer::new();
    // The best sentence so far, its fit and the weight of the question's words it holds.
    let mut best: Option<(&str, Fit, f64)> = None;
    for sentence in sentences(text) {
        let score: f64 = stemmer
            .content(sentence)
            .iter()
            .filter_map(|stem| weights.wanted.get(stem))
            .sum();
        let statement = !is_heading(sentence);
        let answers =
            statement && score > 0.0 && weights.kind.is_some_and(|kind| states(kind, sentence));
        let fit = (statement, answers);
        if best.is_none_or(|(_, top_fit, top)| (fit, score) > (top_fit, top)) {
            best = Some((sentence, fit, score));
        }
    }
    best.map_or(("", (false, false)), |(sentence, fit, _)| {
        (cut_at_word(sentence, MAX_QUOTE_CHARS), fit)
    })
}

/// Whether `sentence` states a value of `kind`. A period wants a period: the date that
/// dates a preamble does not say how long a term is.
fn states(kind: AnswerKind, sentence: &str) -> bool {
    match kind {
        AnswerKind::Duration => crate::text::values(sentence)
            .iter()
            .any(|v| matches!(v.value, crate::text::Value::Period { .. })),
        kind => has_answer(kind, sentence),
    }
}

/// `quote` cut to at most `max` characters at the end of a word (mid-word only when its
/// first word alone is longer).
fn cut_at_word(quote: &str, max: usize) -> &str {
    let Some((limit, _)) = quote.char_indices().nth(max) else {
        return quote;
    };
    let head = &quote[..limit];
    // Cut before the word the limit falls in, unless the limit falls between words.
    let in_word = quote[limit..].starts_with(|c: char| !c.is_whitespace());
    let cut = if in_word {
        head.rfind(char::is_whitespace).unwrap_or(limit)
    } else {
        limit
    };
    quote[..cut].trim_end_matches([' ', ',', ';', ':', '(', '\n', '\t'])
}

/// The text of an extractive answer: each passage's best sentence for the question,
/// cited, under a label that says no model wrote it.
pub fn extractive_text(question: &str, sources: &[Source], reason: &str) -> String {
    labelled_evidence(Evidence::for_question(question, sources).as_ref(), reason)
}

/// `evidence` under the label of an extractive answer, which says why no model wrote it.
pub fn labelled_evidence(evidence: Option<&Evidence>, reason: &str) -> String {
    let mut out = format!("Extractive answer ({reason}): the most relevant passages, quoted.\n");
    match evidence {
        Some(evidence) => {
            out.push('\n');
            out.push_str(&evidence.text);
        }
        None => out.push_str("No passage matches the question."),
    }
    out
}

/// A line per passage, `[n] Title, page p: "quote"` (`page p (OCR, 91% confidence)` for a
/// page OCR read), with the quote its citation holds.
/// The quote's line breaks (a paragraph wrapped in its source) are shown as spaces, so each
/// passage is one line to wrap; the citation keeps the verbatim quote.
fn evidence_lines(sources: &[Source], citations: &[Citation]) -> String {
    citations
        .iter()
        .filter_map(|citation| Some((sources.iter().find(|s| s.n == citation.n)?, citation)))
        .map(|(source, citation)| {
            format!(
                "[{}] {}, {}: \"{}\"",
                source.n,
                source.hit.label(),
                source.hit.page_label(),
                citation
                    .quote
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::citation::Hit;

    /// A passage numbered `n` holding `text`, for tests.
    pub(crate) fn source(n: usize, text: &str) -> Source {
        Source {
            n,
            hit: Hit {
                doc_id: n as i64,
                chunk_id: 10 + n as i64,
                path: format!("/docs/{n}.txt"),
                title: format!("Doc {n}"),
                page: 1,
                ocr_confidence: None,
                char_start: 0,
                char_end: text.chars().count(),
                score: 0.0,
                bm25_rank: Some(n),
                vector_rank: None,
                clause_rank: None,
                clause_sentence: None,
                fused_score: 0.0,
                snippet: String::new(),
            },
            text: text.into(),
        }
    }

    #[test]
    fn the_best_quote_of_a_wrapped_paragraph_is_its_whole_sentence() {
        let text = "## 4. Rent\n\n4.1 The tenant pays rent of USD 2,150.00 on the first day of\n\
                    each month, in advance.\n4.2 Rent is paid by transfer. Late fees:\n\
                    - USD 75.00 after the fifth day\nText ends";
        assert_eq!(
            best_quote(text, "What is the monthly rent?"),
            "4.1 The tenant pays rent of USD 2,150.00 on the first day of\n\
             each month, in advance."
        );
    }

    #[test]
    fn a_question_wanting_a_period_quotes_the_sentence_stating_one_not_the_preamble() {
        let text = "This Consulting Agreement is made as of May 1, 2018 between Vitalibis, \
                    Inc. and the Consultant.\n\n2. Term.\n\nThis Agreement shall have a term \
                    of one (1) year from the Effective Date.";
        let sources = [source(1, text)];
        let question = "What is the term of the Vitalibis agreement?";
        let evidence = Evidence::for_question(question, &sources).unwrap();
        assert_eq!(
            evidence.citations[0].quote,
            "This Agreement shall have a term of one (1) year from the Effective Date."
        );
        assert_eq!(
            evidence.text.lines().next(),
            Some("Term: one (1) year [1]"),
            "the value first, taken from the quote"
        );
    }

    #[test]
    fn a_term_given_by_its_dates_is_stated_as_the_dates_it_runs_between() {
        let sources = [source(
            1,
            "The term begins on 1 April 2026 and ends on 31 March 2027.",
        )];
        let evidence = Evidence::for_question("What is the term of the lease?", &sources);
        assert_eq!(
            evidence.and_then(|e| e.value).as_deref(),
            Some("1 April 2026 to 31 March 2027")
        );
    }

    #[test]
    fn a_heading_is_never_quoted_while_the_passage_has_a_sentence() {
        let text = "7. TERM AND RETURN\n\nThe lessee keeps the equipment in good repair and \
                    insures it.";
        assert_eq!(
            best_quote(text, "When does the term end and the equipment return?"),
            "The lessee keeps the equipment in good repair and insures it."
        );
        assert_eq!(
            best_quote("## 9. Termination", "termination"),
            "## 9. Termination"
        );
    }

    #[test]
    fn a_long_quote_is_cut_at_the_end_of_a_word() {
        let long = format!("{}then-current Renewal Term ends.", "word ".repeat(97));
        let quote = best_quote(&long, "renewal term");
        assert!(quote.chars().count() <= MAX_QUOTE_CHARS, "{quote}");
        assert!(quote.ends_with("then-current"), "{quote}");
        assert!(long.starts_with(quote));
    }

    #[test]
    fn the_value_a_question_wants_is_read_from_the_type_it_names_or_how_it_asks() {
        let kind = |q: &str| Wanted::by(q).map(|w| (w.label, w.kind));
        assert_eq!(
            kind("Which law governs the agreement between Inktomi and Microsoft?"),
            Some(("Governing law", AnswerKind::Jurisdiction))
        );
        assert_eq!(
            kind("What is the initial term?"),
            Some(("Term", AnswerKind::Duration))
        );
        assert_eq!(
            kind("How long does the warranty last?"),
            Some(("Warranty period", AnswerKind::Duration))
        );
        assert_eq!(
            kind("How long may the licensee keep the samples?"),
            Some(("Period", AnswerKind::Duration))
        );
        assert_eq!(kind("Is assignment allowed?"), None);
    }

    #[test]
    fn markers_are_parsed_in_order_once_each() {
        assert_eq!(
            markers("A [2]. B [1, 3] and [2][4]. See [ 5 ]."),
            [2, 1, 3, 4, 5]
        );
        assert!(markers("No markers [a] or [] here.").is_empty());
    }

    #[test]
    fn citations_quote_the_supporting_sentence_and_flag_unknown_markers() {
        let sources = [
            source(1, "The rent is USD 2,450 per month. Pets are not allowed."),
            source(
                2,
                "Either party may terminate with ninety days notice. Notices are written.",
            ),
        ];
        let answer =
            "Termination needs ninety days notice [2]. Pets are not allowed [1]. Also [7].";
        let (citations, invalid) = cite(answer, &sources);
        assert_eq!(invalid, [7]);
        assert_eq!(citations.len(), 2);
        assert_eq!(citations[0].n, 2);
        assert_eq!(
            citations[0].quote,
            "Either party may terminate with ninety days notice."
        );
        assert_eq!(citations[1].quote, "Pets are not allowed.");
        for c in &citations {
            let text = &sources[c.n - 1].text;
            assert!(text.contains(&c.quote));
        }
    }

    #[test]
    fn extractive_answers_are_labelled_and_cite_each_passage() {
        let sources = [source(1, "Intro. The deposit is returned within 31 days.")];
        let text = extractive_text(
            "When is the deposit returned?",
            &sources,
            "no model configured",
        );
        assert!(text.starts_with("Extractive answer (no model configured)"));
        assert!(text.contains("[1] Doc 1, page 1: \"The deposit is returned within 31 days.\""));
        assert_eq!(markers(&text), [1]);
    }

    #[test]
    fn evidence_shows_a_wrapped_quote_on_one_line_and_cites_it_verbatim() {
        let sources = [
            source(
                1,
                "The deposit is returned\nwithin 31 days\nafter the tenant leaves.",
            ),
            source(2, "Pets need consent."),
        ];
        let evidence = Evidence::for_question("When is the deposit returned?", &sources).unwrap();
        let lines: Vec<&str> = evidence.text.lines().collect();
        assert_eq!(
            lines,
            [
                "When: 31 days [1]",
                "",
                "[1] Doc 1, page 1: \"The deposit is returned within 31 days after the tenant leaves.\"",
                "[2] Doc 2, page 1: \"Pets need consent.\""
            ]
        );
        assert_eq!(
            evidence.citations[0].quote,
            "The deposit is returned\nwithin 31 days\nafter the tenant leaves."
        );
        assert_eq!(Evidence::for_question("Anything?", &[]), None);
    }

    #[test]
    fn evidence_and_citations_from_a_page_ocr_read_say_so_with_its_confidence() {
        let mut scanned = source(1, "Liability is capped at two hundred thousand euros.");
        scanned.hit.ocr_confidence = Some(93.6);
        let evidence = Evidence::for_question("What is the liability cap?", &[scanned]).unwrap();
        assert_eq!(
            evidence.text,
            "[1] Doc 1, page 1 (OCR, 94% confidence): \"Liability is capped at two hundred thousand euros.\""
        );
        assert_eq!(evidence.citations[0].ocr_confidence, Some(93.6));
    }

    #[test]
    fn the_sentence_about_a_quote_or_a_search_is_found_in_its_passage() {
        let text = "## 4. Deposit\n\nThe Tenant pays a deposit of USD 2,000. The deposit is \
                    returned within 30 days of the end of the lease. Pets are not allowed.";
        let quoted = "The deposit is returned within 30 days";
        let range = sentence_about(text, quoted).expect("a quote is found verbatim");
        assert_eq!(&text[range], quoted);
        let range = sentence_about(text, "when is the deposit returned").expect("a search");
        assert_eq!(
            &text[range],
            "The deposit is returned within 30 days of the end of the lease."
        );
        assert_eq!(sentence_about(text, "governing law of Oregon"), None);
        assert_eq!(sentence_about(text, "  "), None);
    }

    #[test]
    fn a_notice_question_states_the_period_written_as_notice_not_the_renewal_term() {
        let sources = [source(
            1,
            "The Agreement shall automatically renew for successive one year terms unless \
             terminated by either party at least six months prior to the expiration of the \
             then-current term.",
        )];
        let evidence = Evidence::for_question(
            "How much notice stops the agreement from renewing?",
            &sources,
        )
        .unwrap();
        assert_eq!(evidence.value.as_deref(), Some("six months"));
    }

    #[test]
    fn a_question_asking_when_something_commences_wants_a_date() {
        let wanted = Wanted::by("When does the joint venture commence?").unwrap();
        assert_eq!(wanted.kind, AnswerKind::Date);
        let wanted = Wanted::by("When is the deposit returned?").unwrap();
        assert_eq!(wanted.kind, AnswerKind::Duration);
    }

    #[test]
    fn a_cap_question_quotes_the_sentence_stating_the_amount_over_the_detectors_exclusion() {
        let text = "In no event shall either party be liable for any consequential damages. \
                    Each party's liability under this Agreement shall not exceed $1,000,000.";
        let mut capped = source(1, text);
        capped.hit.clause_sentence = Some((0, text.find(" Each").unwrap()));
        let evidence = Evidence::for_question("What is the cap on liability?", &[capped]).unwrap();
        assert!(
            evidence.citations[0]
                .quote
                .starts_with("Each party's liability"),
            "{:?}",
            evidence.citations[0].quote
        );
        assert_eq!(evidence.value.as_deref(), Some("$1,000,000"));
    }
}
