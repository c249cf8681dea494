//! The built-in recognizers. Type names follow Microsoft Presidio's so results compare.
//!
//! Scores: a checksum- or parser-proven match scores 1.0; otherwise the pattern's base score,
//! raised by a context word nearby. A date scores too low to count without context ("born",
//! "DOB"), which is what makes it a date of birth.

use regex::Regex;

use super::names;
use super::phone;
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
    /// The verdict on a match. The second argument tells, when called, the score a match
    /// needs to be reported (the threshold, less the context boost when a context word is
    /// near): a validator whose check is costly skips it when the answer cannot change that.
    pub validate: Box<Validator>,
    /// Lower-case words or phrases that, near a match, raise its score.
    pub context: Vec<String>,
    /// Every match holds an ASCII digit or a colon, so only the text around those needs
    /// scanning (see `digit_zones`).
    pub needs_digit: bool,
}

pub(super) type Validator = dyn Fn(&str, &dyn Fn() -> f32) -> Verdict + Send + Sync;

/// A validator that needs nothing but the match.
fn only(check: fn(&str) -> Verdict) -> impl Fn(&str, &dyn Fn() -> f32) -> Verdict {
    move |matched, _| check(matched)
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
    validate: impl Fn(&str, &dyn Fn() -> f32) -> Verdict + Send + Sync + 'static,
    context: &[&str],
) -> Result<Recognizer, PiiError> {
    Ok(Recognizer {
        needs_digit: !matches!(kind, PiiKind::EmailAddress | PiiKind::Person),
        patterns: patterns
            .iter()
            .map(|(regex, score, group)| pattern(&kind, regex, *score, *group))
            .collect::<Result<_, _>>()?,
        kind,
        validate: Box::new(validate),
        context: context.iter().map(|c| (*c).to_owned()).collect(),
    })
}

/// A name after a title ("Ms", "Dr"); after a role ("defendant"); in a signature or
/// addressee block ("By: /s/", "Attention:"). Each is reported without a context word.
const TITLED_NAME: f32 = 0.7;
const NAME_IN_ROLE: f32 = 0.6;
const NAME_IN_BLOCK: f32 = 0.6;

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
pub(super) fn built_in(regions: phone::Regions) -> Result<Vec<Recognizer>, PiiError> {
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
            only(validate::email),
            &["email", "e-mail", "mail"],
        )?,
        recognizer(
            PiiKind::PhoneNumber,
            // Candidates only: a `+` and country code or a first group (in parentheses or
            // not), more groups with up to two separators between them, and an extension.
            // `phone::verdict` decides with the numbering plans.
            &[(
                r"(?:\+\d{1,3}|\(\d{1,5}\)|(?-u:\b)\d{1,5})(?:[ .\-]{0,2}(?:\(\d{1,5}\)|\d{1,5})){1,6}(?:[ ]?(?:x|ext\.?|extension|#)[ ]?\d{1,6})?(?-u:\b)",
                0.5,
                0,
            )],
            move |candidate: &str, needed: &dyn Fn() -> f32| {
                phone::verdict(candidate, &regions, needed)
            },
            &[
                "phone",
                "telephone",
                "tel",
                "mobile",
                "cell",
                "cellphone",
                "call",
                "fax",
                "contact",
                "reach",
                "my number",
                "dial",
                "landline",
                "hotline",
                "ring",
                "whatsapp",
                "sms",
            ],
        )?,
        recognizer(
            PiiKind::CreditCard,
            &[(r"(?-u:\b)\d(?:[ \-]?\d){11,18}(?-u:\b)", 0.3, 0)],
            only(validate::credit_card),
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
            only(validate::iban),
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
            only(validate::us_ssn),
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
            only(validate::ip_address),
            &[
                "ip",
                "ipv4",
                "ipv6",
                "address",
                "server",
                "host",
                "portal",
                "firewall",
                "login",
                "logged",
                "router",
                "gateway",
                "vpn",
                "requests from",
                "connection",
            ],
        )?,
        recognizer(
            PiiKind::UkNino,
            &[(
                r"(?-u:\b)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?-u:\b)",
                0.5,
                0,
            )],
            only(validate::uk_nino),
            &[
                "national insurance",
                "nino",
                "ni number",
                "insurance number",
            ],
        )?,
        recognizer(
            PiiKind::Person,
            &[(
                &format!(
                    r"(?-u:\b)(?:Mr|Mrs|Ms|Miss|Mx|Dr|Doctor|Professor|Prof|Judge|Justice|Hon|Sir|Dame|Mme|Mlle|Herr|Frau)\.?(?:[ \t]+|[ \t]*\n[ \t]*)({NAME}(?: +\p{{Lu}}\.)?(?: +{NAME}){{0,2}})"
                ),
                TITLED_NAME,
                1,
            )],
            |matched: &str, _: &dyn Fn() -> f32| names::name_in(matched, 1, TITLED_NAME),
            &[],
        )?,
        recognizer(
            PiiKind::Person,
            &[(
                &format!(r"(?-u:\b){roles}[,:]?[ \t]+({NAME}(?: +{NAME}){{1,2}})"),
                NAME_IN_ROLE,
                1,
            )],
            |matched: &str, _: &dyn Fn() -> f32| names::name_in(matched, 2, NAME_IN_ROLE),
            &[],
        )?,
        recognizer(
            PiiKind::Person,
            &[(&names::block_pattern(), NAME_IN_BLOCK, 1)],
            |matched: &str, _: &dyn Fn() -> f32| names::name_in(matched, 2, NAME_IN_BLOCK),
            &[],
        )?,
        recognizer(
            PiiKind::DateOfBirth,
            &[(&dates, 0.2, 0)],
            only(validate::date),
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
