//! Phone numbers, validated with libphonenumber's numbering plans (the `phonenumber` crate)
//! across the regions of `[pii] phone_regions`, as Presidio's phone recognizer does.
//!
//! A pattern finds candidates: digit groups with spaces, dots, dashes or parentheses, a
//! `+` or `00` prefix, an extension (`x818`, `ext. 12`). This module decides what each is:
//! shapes that are something else first (dates, year ranges, amounts, ZIP+4 codes, section
//! numbers), then the numbering plans. How a number is written says how sure a match is:
//! one valid in a region and written as that region writes numbers scores high; one of a
//! possible length in a phone-like shape needs a context word ("phone", "call") to count.

use std::sync::LazyLock;

use phonenumber::country::Id;
use regex::Regex;

use super::validate::Verdict;

/// The default `[pii] phone_regions`: North America, the British Isles, the larger EU
/// members, and the other regions Presidio's recognizer covers by default.
pub const DEFAULT_REGIONS: [&str; 17] = [
    "US", "CA", "GB", "IE", "AU", "NZ", "IN", "DE", "FR", "NL", "BE", "CH", "AT", "IT", "ES", "IL",
    "BR",
];

/// Valid in a region and written in that region's national form, or international.
const VALID: f32 = 0.6;
/// Written as only phone numbers are (`503-555-0142`, `+31 6 1234 5678`, `555-0142 x12`),
/// though no region's plan has it (an unassigned area code, a made-up number).
const SHAPE: f32 = 0.5;
/// Possible, but the shape could be something else: counts only with a context word.
const WEAK: f32 = 0.4;
/// Digits without any separator: counts only with a context word.
const BARE: f32 = 0.3;

/// The regions phone numbers are checked against, parsed from `[pii] phone_regions`.
#[derive(Debug, Clone)]
pub struct Regions(Vec<Id>);

impl Regions {
    /// Parses region codes (ISO 3166 alpha-2; `UK` is taken as `GB`). Returns the first
    /// code that is not a region libphonenumber knows.
    pub fn parse(codes: &[String]) -> Result<Regions, String> {
        codes
            .iter()
            .map(|code| {
                let upper = code.trim().to_ascii_uppercase();
                let upper = if upper == "UK" {
                    "GB".to_owned()
                } else {
                    upper
                };
                upper.parse::<Id>().map_err(|_| code.clone())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Regions)
    }

    fn valid_in_any(&self, number: &str) -> bool {
        self.0
            .iter()
            .any(|region| parses_valid(Some(*region), number))
    }
}

/// Dates (`12-05-2024`, `2024.05.12`), year ranges (`2015-2016`), ZIP+4 codes, US social
/// security numbers (3-2-4), and numbers starting `000`, which no plan has (hex dumps'
/// offsets: `00000010 74 65 78`).
static NOT_PHONES: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:",
        r"\d{1,2}([./\-])\d{1,2}([./\-])\d{2,4}",
        r"|\d{4}([./\-])\d{1,2}([./\-])\d{1,2}",
        r"|(?:1[89]|20)\d{2} ?[\-–/] ?(?:(?:1[89]|20)\d{2}|\d{2})",
        r"|\d{5}-\d{4}|\d{3}([ \-])\d{2}([ \-])\d{4}|\(?000.*",
        r")$"
    ))
    .ok()
});

/// Amounts in groups of three (`1 250 000`, `12.500.000`), written as some regions write
/// phone numbers (`644 795 322` in Spain): a phone number only next to a phone word.
static AMOUNT_SHAPE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[1-9]\d{0,2}(?:(?: \d{3})+|(?:\.\d{3})+)$").ok());

/// An area code in parentheses, then digits with a dash: `(11) 98765-4321`, `(88) 684-334`.
static AREA_CODE_SHAPE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\(\d{2,5}\) ?\d{3,5}-\d{3,4}$").ok());

/// The verdict on a candidate: the whole of it, or, when a greedy match took a following
/// number too ("555-0142 12"), its longest prefix that is a phone number. The best-scoring
/// of the two wins; on a tie, the longer. `needed` tells the score a finding needs here
/// (lower with a context word near): the numbering plans are consulted only when their
/// answer decides whether the candidate reaches it.
pub fn verdict(candidate: &str, regions: &Regions, needed: &dyn Fn() -> f32) -> Verdict {
    let known = std::cell::OnceCell::new();
    let needed_once = || *known.get_or_init(needed);
    let mut best: Option<(usize, f32)> = None;
    let mut text = without_section_number(candidate);
    loop {
        if let Some(score) = score(text, regions, &needed_once)
            && best.is_none_or(|(_, best)| score > best)
        {
            best = Some((text.len(), score));
            if score >= VALID {
                // No shorter prefix can score higher.
                break;
            }
        }
        // Drop the last group and its separator, while seven digits are left.
        let Some(cut) = text.rfind([' ', '.', '-', '(']) else {
            break;
        };
        text = text[..cut].trim_end_matches([' ', '.', '-']);
        if digit_count(text) < 7 {
            break;
        }
    }
    match best {
        None => Verdict::Invalid,
        Some((len, score)) if len == candidate.len() => Verdict::PlausibleAt(score),
        Some((len, score)) => Verdict::PlausiblePrefix(len, score),
    }
}

/// A section number after a space ends a phone number's candidate: in "+1 484.652.0223
/// 12.2 Assignment" the next section's number is not the phone's last group.
fn without_section_number(candidate: &str) -> &str {
    let Some((number, last)) = candidate.rsplit_once(' ') else {
        return candidate;
    };
    let section = last
        .trim_end_matches('.')
        .split('.')
        .all(|part| (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()));
    let number = number.trim_end();
    if section && last.contains('.') && digit_count(number) >= 7 {
        number
    } else {
        candidate
    }
}

fn digit_count(text: &str) -> usize {
    text.bytes().filter(u8::is_ascii_digit).count()
}

/// `if_valid` when the number is valid (asking `valid` only if that decides whether the
/// finding reaches `needed`), else `otherwise`.
fn valid_or(
    needed: &dyn Fn() -> f32,
    if_valid: f32,
    otherwise: Option<f32>,
    valid: impl FnOnce() -> bool,
) -> Option<f32> {
    let needed = needed();
    if otherwise.is_some_and(|score| score >= needed) || if_valid < needed {
        // Reported (or not) either way: the score that is sure is enough.
        return otherwise;
    }
    if valid() { Some(if_valid) } else { otherwise }
}

/// The score of `text` as a whole phone number, or `None` if it is not one.
fn score(text: &str, regions: &Regions, needed: &dyn Fn() -> f32) -> Option<f32> {
    let (number, extension) = split_extension(text);
    let digits = digit_count(number);
    if !(7..=15).contains(&digits) {
        return None;
    }
    if NOT_PHONES.as_ref().is_some_and(|r| r.is_match(number)) || is_dotted_non_phone(number) {
        return None;
    }
    let international = number.starts_with('+') || number.starts_with("00");
    let separated = number.contains([' ', '.', '-', '(']);
    if !separated {
        // A bare run of digits is an account, order or reference number as often as a
        // phone number: it counts only next to a phone word, and only if valid.
        let from = (!international).then_some(Id::US);
        return valid_or(needed, BARE, None, || match from {
            None => parses_valid(None, number),
            Some(_) => regions.valid_in_any(number),
        });
    }
    if international {
        // "00 44 …" is how most of Europe dials abroad; parse it as dialled from Germany.
        let from = (!number.starts_with('+')).then_some(Id::DE);
        return valid_or(needed, VALID, Some(SHAPE), || parses_valid(from, number));
    }
    if is_nanp_shape(number) {
        return valid_or(needed, VALID, Some(SHAPE), || {
            [Id::US, Id::CA]
                .into_iter()
                .any(|region| regions.0.contains(&region) && parses_valid(Some(region), number))
        });
    }
    if AMOUNT_SHAPE.as_ref().is_some_and(|r| r.is_match(number)) {
        return Some(WEAK);
    }
    // Separated digits, neither international nor North American. Most regions write
    // national numbers with the trunk prefix 0: those are checked against the plans.
    let fallback = if extension || AREA_CODE_SHAPE.as_ref().is_some_and(|r| r.is_match(number)) {
        Some(SHAPE)
    } else if number.contains('(') || looks_grouped(number) {
        Some(WEAK)
    } else {
        None
    };
    if number.trim_start_matches('(').starts_with('0') {
        return valid_or(needed, VALID, fallback, || regions.valid_in_any(number));
    }
    match fallback {
        Some(score) => Some(score),
        None => valid_or(needed, WEAK, None, || regions.valid_in_any(number)),
    }
}

/// The number without a trailing extension (`x818`, ` ext. 12`), and whether there was one.
fn split_extension(text: &str) -> (&str, bool) {
    let lower = text.to_ascii_lowercase();
    for marker in ["extension", "ext.", "ext", "x", "#"] {
        if let Some(at) = lower.rfind(marker) {
            let tail = lower[at + marker.len()..].trim_start();
            if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
                return (text[..at].trim_end(), true);
            }
        }
    }
    (text, false)
}

/// `503-555-0142`, `503.555.0142`, `(503) 555-0142`, `+1 503 555 0142`, `1-503-555-0142`:
/// ten digits in 3-3-4 groups, area code and exchange not starting with 0 or 1.
fn is_nanp_shape(number: &str) -> bool {
    let groups: Vec<&str> = number
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let groups = match groups.as_slice() {
        ["1", rest @ ..] | ["001", rest @ ..] => rest,
        all => all,
    };
    match groups {
        [area, exchange, line] => {
            area.len() == 3
                && exchange.len() == 3
                && line.len() == 4
                && !area.starts_with(['0', '1'])
                && !exchange.starts_with(['0', '1'])
        }
        _ => false,
    }
}

/// Groups of two to five digits after the first, as numbers are grouped for reading
/// (`089 72 63 41`, `0151 1234 567`), and not a single digit between separators.
fn looks_grouped(number: &str) -> bool {
    let groups: Vec<&str> = number
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    groups.len() >= 2 && groups[1..].iter().all(|g| (2..=5).contains(&g.len()))
}

/// Dotted numbers that are no phone numbers: sections (`6.3.4.1.2`, `10.2.14`) and IP
/// addresses (`203.0.113.45`, `203.0.113`), which have a group of one digit or are four
/// groups of up to three. Phone numbers written with dots group digits in twos to fours
/// (`06.12.34.56.78`, `503.555.0142`).
fn is_dotted_non_phone(number: &str) -> bool {
    if !number.contains('.') {
        return false;
    }
    let groups: Vec<&str> = number.split(['.', ' ', '-']).collect();
    let all_digits = groups
        .iter()
        .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()));
    let single_digit = groups.iter().any(|g| g.len() == 1);
    let ip_like = groups.len() == 4 && groups.iter().all(|g| g.len() <= 3);
    all_digits && (single_digit || ip_like) && !number.starts_with('0')
}

/// Whether libphonenumber parses `number` (as dialled from `region`) into a valid number.
/// The parser is third-party code meeting document text: a panic in it is a "no".
fn parses_valid(region: Option<Id>, number: &str) -> bool {
    widen_regex_cache();
    crate::panics::expecting_panics(|| {
        phonenumber::parse(region, number).is_ok_and(|parsed| phonenumber::is_valid(&parsed))
    })
    .unwrap_or(false)
}

/// libphonenumber compiles its numbering plans' patterns on first use and keeps the last
/// 100 in a cache shared by every region. Checking one number against the default regions
/// uses several hundred, so a cache that small recompiles on nearly every number (scanning
/// ran at 1.4 MB/s). Give it room for every region's patterns, once.
fn widen_regex_cache() {
    static WIDENED: std::sync::Once = std::sync::Once::new();
    WIDENED.call_once(|| {
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
            *cache = regex_cache::RegexCache::new(20_000);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Regions {
        Regions::parse(&DEFAULT_REGIONS.map(String::from)).unwrap()
    }

    /// The score where the numbering plans decide: between a shape's score and a valid
    /// number's.
    fn score_of(text: &str) -> Option<f32> {
        score_needing(text, 0.55)
    }

    fn score_needing(text: &str, needed: f32) -> Option<f32> {
        match verdict(text, &regions(), &|| needed) {
            Verdict::PlausibleAt(score) => Some(score),
            Verdict::PlausiblePrefix(_, score) => Some(score),
            _ => None,
        }
    }

    #[test]
    fn national_and_international_forms_of_many_regions_score_as_phone_numbers() {
        for number in [
            "(503) 555-0142",
            "503.555.0142",
            "833.719.3994x1887",
            "001-748-088-2851x818",
            "+44 20 7946 0321",
            "+44(0)20 7946 0321",
            "020 7946 0958",
            "06-24312407",
            "+49 30 1234567",
            "0049 30 1234567",
            "01 23 45 67 89",
            "089 72 63 41",
            "(02) 9876 5432",
            "+1-541-555-0187x123",
            "(88) 684-334",
            "(11) 98765-4321",
        ] {
            assert!(
                score_of(number).is_some_and(|s| s >= 0.5),
                "{number}: {:?}",
                score_of(number)
            );
        }
    }

    #[test]
    fn short_or_unusual_forms_need_a_context_word() {
        for number in ["785 8949", "644 795 322"] {
            assert_eq!(score_of(number), Some(WEAK), "{number}");
        }
        // Bare digits count only next to a phone word (which lowers the score needed), and
        // only if valid.
        assert_eq!(score_needing("5035550142", 0.15), Some(BARE));
        assert_eq!(score_needing("5035550142", 0.5), None);
        assert_eq!(score_needing("0000000000", 0.15), None);
    }

    #[test]
    fn the_plans_are_consulted_only_when_their_answer_decides_the_finding() {
        let asked = std::cell::Cell::new(false);
        let ask = || {
            asked.set(true);
            true
        };
        // A shape that is reported anyway, and one that cannot be: not asked.
        assert_eq!(valid_or(&|| 0.5, VALID, Some(SHAPE), ask), Some(SHAPE));
        assert_eq!(valid_or(&|| 0.5, BARE, None, ask), None);
        assert!(!asked.get());
        // Valid or not decides: asked.
        assert_eq!(valid_or(&|| 0.5, VALID, Some(WEAK), ask), Some(VALID));
        assert!(asked.get());
    }

    #[test]
    fn dates_years_amounts_zip_codes_and_sections_are_no_phone_numbers() {
        for text in [
            "12-05-2024",
            "2024.05.12",
            "2015-2016",
            "1998 - 2004",
            "94107-1234",
            "6.3.4.1.2",
            "10.12.14.2",
            "00000010 74 65 78",
        ] {
            assert_eq!(score_of(text), None, "{text}");
        }
    }

    #[test]
    fn a_following_number_taken_by_the_pattern_is_left_out() {
        assert_eq!(
            verdict("503-555-0142 12", &regions(), &|| 0.55),
            Verdict::PlausiblePrefix("503-555-0142".len(), VALID)
        );
    }

    #[test]
    fn regions_are_parsed_with_uk_as_gb_and_unknown_codes_named() {
        assert!(Regions::parse(&["uk".into(), "US".into()]).is_ok());
        assert_eq!(
            Regions::parse(&["US".into(), "XX".into()]).unwrap_err(),
            "XX"
        );
    }
}
