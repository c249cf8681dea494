//! Short answers pulled out of a clause: the jurisdiction whose law governs, a date, a
//! duration as written ("sixty (60) months"), an amount or a cap, the parties named in the
//! preamble. Each reads the quoted text only, so the answer is always in the evidence.

use std::sync::LazyLock;

use regex::Regex;

use super::AnswerKind;
use super::decide::CellState;

/// Longest short answer of the `text` kind, in characters.
const MAX_ANSWER_CHARS: usize = 160;

const MONTHS: &str = "January|February|March|April|May|June|July|August|September|October|November|December|Jan\\.?|Feb\\.?|Mar\\.?|Apr\\.?|Jun\\.?|Jul\\.?|Aug\\.?|Sept?\\.?|Oct\\.?|Nov\\.?|Dec\\.?";

fn compiled(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(&format!(
        r"(?i)\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?(?:{MONTHS}),?\s+\d{{4}}|(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}})\b"
    ))
});

static AMOUNT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r"(?i)(?:\b(?:USD|EUR|GBP|CHF|CAD|AUD|JPY|RMB|US\$|U\.S\.\s?\$)\s?|[$€£¥])\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|thousand|billion|m|k)\b)?|\b\d[\d,]*(?:\.\d+)?(?:\s?(?:million|thousand|billion))?\s?(?:dollars|euros|pounds|francs)\b|\b(?:\w+\s+\(\d+\)\s+times\s+|one\s+times\s+|twice\s+)?the\s+(?:total\s+|aggregate\s+)?(?:fees|charges|amounts?|price|sums?|consideration|compensation|royalties)\s+(?:actually\s+)?(?:paid|payable|received|due)(?:\s[^\s.;]+){0,12}",
    )
});

/// Numbers as contracts write them: "60", "sixty", "sixty (60)", "thirty-six (36)".
const NUMBER_WORDS: &str = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred";

static DURATION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(&format!(
        r"(?i)\b(?:(?:(?:{NUMBER_WORDS})(?:[- ](?:and[- ])?(?:{NUMBER_WORDS}))*|\d{{1,4}})(?:\s*\(\d{{1,4}}\))?|\(\d{{1,4}}\))\s+(?:full\s+|consecutive\s+|business\s+|calendar\s+|working\s+|contract\s+)?(?:days?|weeks?|months?|years?)\b"
    ))
});

/// A period with no end: what a term without a date or a duration says instead.
static OPEN_ENDED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(r"(?i)\b(?:perpetual(?:ly)?|in perpetuity|indefinite(?:ly)?|until terminated)\b")
});

/// Places whose law governs: after "law(s) of", "law(s) in force in" and the like, or
/// "laws State of New York" (group 1: the place's first word, when "of" is missing).
static LAW_OF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r"(?i)\blaws?\s+(?:and\s+(?:decisions|regulations|rules|statutes)\s+)?(?:(?:of|in\s+force\s+in|applicable\s+in|prevailing\s+in|in\s+effect\s+in)\s+|(?:the\s+)?((?:State|Commonwealth|Province|Republic|Kingdom)\s))",
    )
});

/// A place named as one anywhere in a clause: "the courts of the State of Illinois".
static NAMED_PLACE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r"\b(?:State|STATE|Commonwealth|COMMONWEALTH|Province|PROVINCE|Republic|REPUBLIC)\s+(?:of|OF)\s",
    )
});

/// Most places one governing-law clause names ("the laws of the United States and, where
/// they are silent, of the Commonwealth of Kentucky").
const MAX_PLACES: usize = 3;

/// "English law", "New York law", "Swiss law": a place before "law".
static PLACE_LAW: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r"\b((?:[A-Z][\w'.]*\s+){0,3}[A-Z][\w'.]*)\s+(?:substantive\s+|internal\s+)?[Ll]aws?\b",
    )
});

/// Words a place name is made of besides capitalised ones: "People's Republic of China",
/// "England and Wales".
const PLACE_JOINERS: [&str; 4] = ["of", "and", "the", "de"];

/// Capitalised words that are no place: "the Laws of the State", "conflict of Laws
/// provisions".
const NOT_PLACES: [&str; 13] = [
    "Agreement",
    "Laws",
    "Law",
    "Contract",
    "Conflict",
    "Conflicts",
    "Section",
    "Article",
    "Governing",
    "GOVERNING",
    "Applicable",
    "APPLICABLE",
    "This",
];

/// The short answer of kind `kind` in `quote`; the quote itself, shortened, when nothing
/// of that kind is in it.
pub fn answer_from(kind: AnswerKind, state: CellState, quote: &str) -> String {
    let flat = quote.split_whitespace().collect::<Vec<_>>().join(" ");
    let found = match kind {
        AnswerKind::YesNo => {
            return match state {
                CellState::Found => "yes",
                CellState::NotFound => "no",
                CellState::Uncertain => "unclear",
            }
            .into();
        }
        AnswerKind::Text => None,
        AnswerKind::Date => date(&flat),
        AnswerKind::Amount => first(&AMOUNT, &flat),
        AnswerKind::Duration => duration(&flat),
        AnswerKind::Party => first_party(&flat),
        AnswerKind::Jurisdiction => jurisdiction(&flat),
        AnswerKind::Parties => parties(&flat),
    };
    found.unwrap_or_else(|| shorten(&flat))
}

/// Whether `kind` found its kind of answer in `quote` (not only the quote, shortened).
pub fn has_answer(kind: AnswerKind, quote: &str) -> bool {
    let flat = quote.split_whitespace().collect::<Vec<_>>().join(" ");
    match kind {
        AnswerKind::YesNo | AnswerKind::Text => true,
        AnswerKind::Date => date(&flat).is_some(),
        AnswerKind::Amount => first(&AMOUNT, &flat).is_some(),
        AnswerKind::Duration => duration(&flat).is_some(),
        AnswerKind::Party => first_party(&flat).is_some(),
        AnswerKind::Jurisdiction => jurisdiction(&flat).is_some(),
        AnswerKind::Parties => parties(&flat).is_some(),
    }
}

fn first(pattern: &LazyLock<Option<Regex>>, text: &str) -> Option<String> {
    pattern
        .as_ref()
        .and_then(|p| p.find(text))
        .map(|m| m.as_str().trim().trim_end_matches([',', ';']).to_owned())
}

/// The date a clause states: the first after "effective" or "commence" where it has one
/// ("dated June 1, 2020, effective as of July 1, 2020" takes effect on July 1), else its
/// first.
fn date(text: &str) -> Option<String> {
    let pattern = DATE.as_ref()?;
    let lower = text.to_lowercase();
    let anchor = ["effective", "commenc", "take effect", "begin"]
        .iter()
        .filter_map(|a| lower.find(a))
        .min();
    if let Some(at) = anchor
        && let Some(found) = pattern.find_at(text, at)
    {
        return Some(found.as_str().to_owned());
    }
    pattern.find(text).map(|m| m.as_str().to_owned())
}

/// A period as written ("sixty (60) months"); else a date it runs to; else that it has no
/// end.
fn duration(text: &str) -> Option<String> {
    first(&DURATION, text)
        .or_else(|| date(text))
        .or_else(|| first(&OPEN_ENDED, text).map(|w| w.to_lowercase()))
}

/// The places whose law governs: "State of New York", "Province of Ontario", "England and
/// Wales", "PRC", "English"; several joined by "; ".
fn jurisdiction(text: &str) -> Option<String> {
    let law_of = LAW_OF.as_ref()?;
    let mut places: Vec<String> = Vec::new();
    for caps in law_of.captures_iter(text) {
        let Some(at) = caps
            .get(1)
            .map(|m| m.start())
            .or(caps.get(0).map(|m| m.end()))
        else {
            continue;
        };
        if let Some(place) = place_at(&text[at..])
            && !places.contains(&place)
            && places.len() < MAX_PLACES
        {
            places.push(place);
        }
    }
    if places.is_empty()
        && let Some(named) = NAMED_PLACE.as_ref().and_then(|p| p.find(text))
    {
        places.extend(place_at(&text[named.start()..]));
    }
    if !places.is_empty() {
        return Some(places.join("; "));
    }
    let place_law = PLACE_LAW.as_ref()?;
    place_law
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| trim_place(m.as_str()))
        .find(|p| {
            !p.is_empty()
                && !NOT_PLACES
                    .iter()
                    .any(|n| p.split_whitespace().any(|w| w == *n))
        })
}

/// The place name `text` starts with: capitalised words and the words that join them,
/// "the" and trailing joiners left off.
fn place_at(text: &str) -> Option<String> {
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        let bare = word.trim_end_matches([',', ';', '.', ')', ':']);
        let capitalised = bare.chars().next().is_some_and(char::is_uppercase);
        let joiner = PLACE_JOINERS.contains(&bare.to_lowercase().as_str());
        if !(capitalised || joiner) || word.starts_with('(') {
            break;
        }
        words.push(bare);
        if bare.len() != word.len() && !bare.ends_with('.') {
            break;
        }
    }
    let place = trim_place(&words.join(" "));
    let is_place = !place.is_empty()
        && !NOT_PLACES.contains(&place.as_str())
        && place.chars().any(char::is_uppercase);
    is_place.then_some(place)
}

/// A place without a leading "the" or trailing joiners ("New York and the" is "New York").
fn trim_place(place: &str) -> String {
    let mut words: Vec<&str> = place.split_whitespace().collect();
    while words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("the") || NOT_PLACES.contains(w))
    {
        words.remove(0);
        if words.first().is_some_and(|w| w.eq_ignore_ascii_case("of")) {
            words.remove(0);
        }
    }
    while words
        .last()
        .is_some_and(|w| PLACE_JOINERS.contains(&w.to_lowercase().as_str()))
    {
        words.pop();
    }
    words.join(" ")
}

/// A defined name in brackets: `("Supplier")`, `(the "Company")`, `(hereinafter "Buyer")`,
/// with straight or curly quotes; or without quotes after "the" or "hereinafter":
/// `(the Supplier)`.
static DEFINED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r#"\((?:[^()"“”]{0,40}?)["“]([^"”]{1,40})["”][^()]{0,60}\)|\((?:the|hereinafter(?:\s+(?:referred\s+to\s+as|called))?(?:\s+the)?)\s+([A-Z][A-Za-z-]{1,30})\)"#,
    )
});

/// Where the first party's name starts: after the last of these words (or the start).
static FIRST_NAME_START: LazyLock<Option<Regex>> =
    LazyLock::new(|| compiled(r"(?i)\b(?:between|among|by)\b[\s:,]*(?:\((?:\d{1,2}|[a-z])\)\s*)?"));

/// Where a later party's name starts: after the last "and" before its bracket (", a
/// Delaware corporation with offices at …, and HSW International, Inc.").
static AND_NAME_START: LazyLock<Option<Regex>> =
    LazyLock::new(|| compiled(r"(?i)(?:^|[\s,;])(?:and|&)\s+(?:\((?:\d{1,2}|[a-z])\)\s*)?"));

/// What comes between one party's bracket and the next party's name: ", ".
static NEXT_NAME_START: LazyLock<Option<Regex>> =
    LazyLock::new(|| compiled(r"(?i)^[\s,;:]*(?:and\s+|&\s+)?(?:\((?:\d{1,2}|[a-z])\)\s*)?"));

/// Names a preamble defines that are no party: the agreement itself, its date.
const NOT_PARTIES: [&str; 9] = [
    "agreement",
    "amendment",
    "addendum",
    "effective date",
    "contract",
    "schedule",
    "exhibit",
    "products",
    "territory",
];

/// Where a party's description starts, after its name: ", a Delaware corporation".
static NAME_END: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compiled(
        r#",?\s+(?i:an?\s|the\s|having\s|with\s|whose\s|located\s|organi[sz]ed\s|incorporated\s|existing\s|of\s\d|at\s\d|residing\s|\()|,\s*(?:\d|[a-z])"#,
    )
});

/// The parties a preamble names, each with the name it is defined as:
/// `Aduro Biotech, Inc. ("Aduro"); IREYA B.V ("Consultant")`.
fn parties(text: &str) -> Option<String> {
    let found = party_names(text);
    (!found.is_empty()).then(|| found.join("; "))
}

/// How many parties `text` names, as [`parties`] reads them.
pub fn party_count(text: &str) -> usize {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    party_names(&flat).len()
}

fn party_names(text: &str) -> Vec<String> {
    let (Some(defined), Some(first_start), Some(and_start), Some(next_start), Some(ends)) = (
        DEFINED.as_ref(),
        FIRST_NAME_START.as_ref(),
        AND_NAME_START.as_ref(),
        NEXT_NAME_START.as_ref(),
        NAME_END.as_ref(),
    ) else {
        return Vec::new();
    };
    let mut found: Vec<String> = Vec::new();
    let mut from = 0;
    for caps in defined.captures_iter(text) {
        // The defined name, in quotes or, as in "(the Supplier)", without.
        let (Some(whole), Some(short)) = (caps.get(0), caps.get(1).or(caps.get(2))) else {
            continue;
        };
        let before = &text[from..whole.start()];
        from = whole.end();
        let short = short.as_str().trim();
        let lower = short.to_lowercase();
        if NOT_PARTIES.iter().any(|n| lower.contains(n)) {
            continue;
        }
        // The first name follows "between" (or opens the text); the next ones follow the
        // bracket before them. Each ends where its description starts.
        let start = if found.is_empty() {
            first_start.find_iter(before).last().map_or(0, |m| m.end())
        } else {
            match and_start.find_iter(before).last() {
                Some(m) => m.end(),
                None => next_start.find(before).map_or(0, |m| m.end()),
            }
        };
        let candidate = &before[start..];
        let name = match ends.find(candidate) {
            Some(m) if m.start() > 0 => &candidate[..m.start()],
            _ => candidate,
        };
        let name = name
            .trim()
            .trim_matches(|c: char| c == ',' || c == '"' || c == '“' || c == '”')
            .trim();
        let capitalised = name.chars().next().is_some_and(char::is_uppercase);
        let sentence_like = ["This ", "THIS ", "The undersigned"]
            .iter()
            .any(|opening| name.starts_with(opening))
            || name.to_lowercase().contains("agreement");
        if capitalised && !sentence_like && name.split_whitespace().count() <= 12 {
            found.push(format!("{name} (\"{short}\")"));
        }
    }
    found
}

/// Roles contracts name their parties by, and how they refer to both.
const ROLES: [&str; 24] = [
    "either party",
    "each party",
    "neither party",
    "both parties",
    "Supplier",
    "Customer",
    "Buyer",
    "Seller",
    "Licensor",
    "Licensee",
    "Provider",
    "Client",
    "Contractor",
    "Vendor",
    "Purchaser",
    "Company",
    "Landlord",
    "Tenant",
    "Employer",
    "Employee",
    "Processor",
    "Controller",
    "Discloser",
    "Recipient",
];

/// The party a clause is about, by its role.
fn first_party(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    ROLES
        .iter()
        .filter_map(|party| {
            let at = if party.starts_with(char::is_lowercase) {
                lower.find(party)
            } else {
                text.match_indices(party)
                    .find(|(at, _)| {
                        let after = text[at + party.len()..].chars().next();
                        after.is_none_or(|c| !c.is_alphanumeric())
                    })
                    .map(|(at, _)| at)
            }?;
            Some((at, party))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, party)| (*party).to_owned())
}

/// `text` cut to [`MAX_ANSWER_CHARS`] at a word, with an ellipsis when cut.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ANSWER_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let head = &text[..cut];
            let head = head.rsplit_once(' ').map_or(head, |(h, _)| h);
            format!("{head}…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(kind: AnswerKind, quote: &str) -> String {
        answer_from(kind, CellState::Found, quote)
    }

    #[test]
    fn answers_are_pulled_out_by_kind() {
        assert_eq!(
            answer(
                AnswerKind::Amount,
                "The Supplier's aggregate liability shall not exceed USD 2,500,000 in any year."
            ),
            "USD 2,500,000"
        );
        assert_eq!(
            answer(
                AnswerKind::Duration,
                "Either party may terminate on ninety (90) days' written notice."
            ),
            "ninety (90) days"
        );
        assert_eq!(
            answer(
                AnswerKind::Date,
                "This Agreement takes effect on 1 March 2026."
            ),
            "1 March 2026"
        );
        assert_eq!(
            answer(
                AnswerKind::Party,
                "The Customer may not assign this Agreement without the Supplier's consent."
            ),
            "Customer"
        );
        assert_eq!(answer(AnswerKind::YesNo, "anything"), "yes");
        assert_eq!(answer(AnswerKind::Date, "No date here."), "No date here.");
        assert!(!has_answer(AnswerKind::Date, "No date here."));
    }

    #[test]
    fn durations_are_taken_as_written_and_a_term_without_one_gives_its_end() {
        for (quote, expected) in [
            (
                "The initial term is sixty (60) months from the Effective Date.",
                "sixty (60) months",
            ),
            (
                "It continues for thirty-six (36) months.",
                "thirty-six (36) months",
            ),
            ("It continues for a period of 5 years.", "5 years"),
            (
                "It renews for successive one (1) year periods.",
                "one (1) year",
            ),
            (
                "It runs until December 31, 2020, unless extended.",
                "December 31, 2020",
            ),
            ("The licence is perpetual and irrevocable.", "perpetual"),
        ] {
            assert_eq!(answer(AnswerKind::Duration, quote), expected, "{quote}");
        }
    }

    #[test]
    fn the_effective_date_is_the_one_after_effective_and_day_of_dates_are_read() {
        assert_eq!(
            answer(
                AnswerKind::Date,
                "this Consulting Agreement dated June 1, 2020, effective as of July 1, 2020."
            ),
            "July 1, 2020"
        );
        assert_eq!(
            answer(
                AnswerKind::Date,
                "made and entered into this 15th day of March, 2005 by and between"
            ),
            "15th day of March, 2005"
        );
    }

    #[test]
    fn the_jurisdiction_is_the_place_whose_law_governs() {
        for (quote, expected) in [
            (
                "This Agreement shall be construed and enforced in accordance with the laws of \
                 the State of California, without regard to conflicts of laws.",
                "State of California",
            ),
            (
                "governed by and construed under the Laws of the Republic of South Africa.",
                "Republic of South Africa",
            ),
            (
                "THIS AGREEMENT WILL BE GOVERNED IN ALL RESPECTS BY THE LAWS OF THE STATE OF \
                 DELAWARE.",
                "STATE OF DELAWARE",
            ),
            (
                "governed by the laws of the Province of Ontario and the federal laws of Canada \
                 applicable therein.",
                "Province of Ontario; Canada",
            ),
            ("This Agreement is governed by the laws of the PRC.", "PRC"),
            (
                "governed by the laws of England and Wales, and the courts of London",
                "England and Wales",
            ),
            ("This Agreement is governed by English law.", "English"),
            (
                "without regard to its conflict of laws principles, the laws of the State of \
                 New York govern.",
                "State of New York",
            ),
            (
                "governed by the internal laws State of New York.",
                "State of New York",
            ),
        ] {
            assert_eq!(answer(AnswerKind::Jurisdiction, quote), expected, "{quote}");
        }
    }

    #[test]
    fn the_parties_are_the_names_the_preamble_defines() {
        assert_eq!(
            answer(
                AnswerKind::Parties,
                "Aduro Biotech, Inc., with a place of business at 740 Heinz Avenue, Berkeley, \
                 CA 94710 (\"Aduro\") and IREYA B.V having an address at Staalwijkstraat 16, \
                 Leiden, represented by Andrea van Elsas, (\"Consultant\") agree to all terms \
                 of this Consulting Agreement (\"Agreement\")"
            ),
            "Aduro Biotech, Inc. (\"Aduro\"); IREYA B.V (\"Consultant\")"
        );
        assert_eq!(
            answer(
                AnswerKind::Parties,
                "This Agreement is made by and between Acme Holdings, LLC, a Delaware limited \
                 liability company (the “Company”), and Widget Corp. (“Distributor”)."
            ),
            "Acme Holdings, LLC (\"Company\"); Widget Corp. (\"Distributor\")"
        );
    }
}
