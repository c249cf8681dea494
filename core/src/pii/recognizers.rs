//! The built-in recognizers. Type names follow Microsoft Presidio's so results compare.
//!
//! Scores: a checksum- or parser-proven match scores 1.0; otherwise the pattern's base score,
//! raised by a context word nearby. A date scores too low to count without context ("born",
//! "DOB"), which is what makes it a date of birth.

use regex::Regex;

use super::validate::{self, Verdict};
use super::{PiiError, PiiKind};

/// One regular expression of a recognizer. `group` is the capture group that is the
/// finding (0: the whole match), so a title can anchor a name without being part of it.
pub(super) struct Pattern {
    pub regex: Regex,
    pub score: f32,
    pub group: usize,
}

pub(super) struct Recognizer {
    pub kind: PiiKind,
    pub patterns: Vec<Pattern>,
    pub validate: fn(&str) -> Verdict,
    /// Lower-case words or phrases that, near a match, raise its score.
    pub context: Vec<String>,
    /// Every match holds an ASCII digit or a colon, so only the text around those needs
    /// scanning (see `digit_zones`).
    pub needs_digit: bool,
}

fn pattern(kind: &PiiKind, regex: &str, score: f32, group: usize) -> Result<Pattern, PiiError> {
    Ok(Pattern {
        regex: Regex::new(regex).map_err(|e| PiiError::Pattern {
            kind: kind.to_string(),
            reason: e.to_string(),
        })?,
        score,
        group,
    })
}

fn recognizer(
    kind: PiiKind,
    patterns: &[(&str, f32, usize)],
    validate: fn(&str) -> Verdict,
    context: &[&str],
) -> Result<Recognizer, PiiError> {
    Ok(Recognizer {
        needs_digit: !matches!(kind, PiiKind::EmailAddress | PiiKind::Person),
        patterns: patterns
            .iter()
            .map(|(regex, score, group)| pattern(&kind, regex, *score, *group))
            .collect::<Result<_, _>>()?,
        kind,
        validate,
        context: context.iter().map(|c| (*c).to_owned()).collect(),
    })
}

/// One capitalised name: John, O'Neill, McDonald, Zoë, Smith-Jones.
const NAME: &str = r"\p{Lu}['’]?\p{Ll}*\p{Lu}?\p{Ll}+(?:-\p{Lu}\p{Ll}+)?";

const MONTHS: &str = "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";

/// Roles that introduce a person in legal text.
const ROLES: [&str; 9] = [
    "plaintiff",
    "defendant",
    "claimant",
    "respondent",
    "appellant",
    "petitioner",
    "witness",
    "deponent",
    "complainant",
];

/// The roles, singular or plural, as written: lower case, capitalised or upper case. Spelt
/// out rather than `(?i)`, as case-insensitive alternatives defeat the regex crate's literal
/// search and cost four times as much time as every other pattern.
fn roles() -> String {
    let mut spellings = Vec::new();
    for role in ROLES {
        let capitalised = format!("{}{}", role[..1].to_uppercase(), &role[1..]);
        spellings.push(format!("{role}(?:s|es)?"));
        spellings.push(format!("{capitalised}(?:s|es)?"));
        spellings.push(format!("{}(?:S|ES)?", role.to_uppercase()));
    }
    format!("(?:{})", spellings.join("|"))
}

// Patterns of one recognizer that can share a score share one expression: each pattern is
// a pass over the whole text, and passes are what scanning costs.
//
// Word boundaries are ASCII, `(?-u:\b)`: a Unicode `\b` makes the regex crate's fast DFA give
// up on any non-ASCII text and fall back to a slower engine (10x slower here).
pub(super) fn built_in() -> Result<Vec<Recognizer>, PiiError> {
    // Numeric (day first or month first), ISO, "5th March 2026" and "March 5, 2026", as
    // one expression: one pass over the text instead of four.
    let dates = [
        r"(?-u:\b)\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})(?-u:\b)".to_owned(),
        r"(?-u:\b)\d{4}-\d{2}-\d{2}(?-u:\b)".to_owned(),
        format!(r"(?-u:\b)\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{MONTHS}\.?,?\s+\d{{4}}(?-u:\b)"),
        format!(r"(?-u:\b){MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}(?-u:\b)"),
    ]
    .join("|");
    let roles = roles();
    Ok(vec![
        recognizer(
            PiiKind::EmailAddress,
            &[(
                r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}(?-u:\b)",
                0.5,
                0,
            )],
            validate::email,
            &["email", "e-mail", "mail"],
        )?,
        recognizer(
            PiiKind::PhoneNumber,
            &[
                // North American, with separators or parentheses: (503) 555-0142, 503.555.0142.
                (
                    r"(?:\+?1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|(?-u:\b)\d{3}[ .\-])\d{3}[ .\-]\d{4}(?-u:\b)",
                    0.6,
                    0,
                ),
                // International, written with a country code: +44 20 7946 0321.
                (
                    r"\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,5}\)?){2,5}(?-u:\b)",
                    0.6,
                    0,
                ),
                // Ten bare digits: weak without context.
                (r"(?-u:\b)[2-9]\d{9}(?-u:\b)", 0.3, 0),
            ],
            validate::phone,
            &[
                "phone",
                "telephone",
                "tel",
                "mobile",
                "cell",
                "call",
                "fax",
                "contact",
                "reach",
            ],
        )?,
        recognizer(
            PiiKind::CreditCard,
            &[(r"(?-u:\b)\d(?:[ \-]?\d){11,18}(?-u:\b)", 0.3, 0)],
            validate::credit_card,
            &[
                "card",
                "credit",
                "debit",
                "visa",
                "mastercard",
                "amex",
                "payment",
            ],
        )?,
        recognizer(
            PiiKind::IbanCode,
            &[(
                r"(?-u:\b)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?-u:\b)",
                0.3,
                0,
            )],
            validate::iban,
            &["iban", "account", "bank", "transfer"],
        )?,
        recognizer(
            PiiKind::UsSsn,
            // Dashed, spaced or plain; the validator scores each form.
            &[(
                r"(?-u:\b)(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})(?-u:\b)",
                0.5,
                0,
            )],
            validate::us_ssn,
            &["ssn", "social security", "social sec", "ss#", "ss #"],
        )?,
        recognizer(
            PiiKind::IpAddress,
            // IPv4, or IPv6 with the longest alternatives first: the leftmost-first engine
            // takes the first that fits.
            &[(
                r"(?-u:\b)(?:\d{1,3}\.){3}\d{1,3}(?-u:\b)|(?:[0-9A-Fa-f]{1,4}:){1,7}(?:(?::[0-9A-Fa-f]{1,4}){1,7}|[0-9A-Fa-f]{1,4}|:)",
                0.6,
                0,
            )],
            validate::ip_address,
            &["ip", "address", "server", "host", "portal"],
        )?,
        recognizer(
            PiiKind::UkNino,
            &[(
                r"(?-u:\b)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?-u:\b)",
                0.5,
                0,
            )],
            validate::uk_nino,
            &[
                "national insurance",
                "nino",
                "ni number",
                "insurance number",
            ],
        )?,
        recognizer(
            PiiKind::Person,
            &[
                (
                    &format!(
                        r"(?-u:\b)(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Judge|Justice|Hon|Sir|Dame|Mme|Mlle|Herr|Frau)\.?(?:[ \t]+|[ \t]*\n[ \t]*)({NAME}(?: +\p{{Lu}}\.)?(?: +{NAME}){{0,2}})"
                    ),
                    0.7,
                    1,
                ),
                (
                    &format!(r"(?-u:\b){roles}[,:]?[ \t]+({NAME}(?: +{NAME}){{1,2}})"),
                    0.6,
                    1,
                ),
            ],
            validate::any,
            &[],
        )?,
        recognizer(
            PiiKind::DateOfBirth,
            &[(&dates, 0.2, 0)],
            validate::date,
            &[
                "born",
                "dob",
                "d.o.b",
                "date of birth",
                "birth date",
                "birthdate",
                "birthday",
                "geboren",
            ],
        )?,
    ])
}
