//! People's names where contracts and letters put them: after a title ("Ms", "Dr"), a role
//! ("defendant"), and in the blocks that name people in every agreement: signatures
//! ("By: /s/ Jane Q. Public", "Name: JANE PUBLIC", "Signature: …") and addressees
//! ("Attention: Jane Public, General Counsel", "Attn:", "cc:"). What follows such a cue is
//! as often a job title or a firm as a person ("Attention: General Counsel", "Name: Acme
//! Widgets, Inc."): [`block_name`] keeps the words that form a name and drops the rest.
//! A name found once is then found wherever else the document writes it ([`written`]),
//! so that redaction does not leave it readable a line further on.

use std::ops::Range;

use super::validate::Verdict;

/// One word of a name: an initial ("J."), an upper-case word (MCGAH, O'NEILL), a
/// capitalised one (John, O'Neill, McDonald, Zoë, Smith-Jones), or a particle (van, de).
const WORD: &str = r"(?:\p{Lu}\.|\p{Lu}['’]?\p{Lu}+(?:-\p{Lu}+)?|\p{Lu}['’]?\p{Ll}*\p{Lu}?\p{Ll}+(?:-\p{Lu}\p{Ll}+)?|(?:van|von|de|da|del|della|der|den|di|du|la|le|ter|bin|ibn))";

/// Words that name a field of a signature or notice block, a job or a role, or join
/// phrases: a name ends before them.
const ENDS_A_NAME: &[&str] = &[
    "title",
    "its",
    "name",
    "by",
    "date",
    "dated",
    "signature",
    "signed",
    "print",
    "printed",
    "attention",
    "attn",
    "att",
    "cc",
    "per",
    "president",
    "vice",
    "chief",
    "executive",
    "officer",
    "director",
    "manager",
    "counsel",
    "general",
    "secretary",
    "treasurer",
    "chairman",
    "chairperson",
    "chair",
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "vp",
    "svp",
    "evp",
    "head",
    "partner",
    "member",
    "managing",
    "senior",
    "assistant",
    "associate",
    "authorized",
    "authorised",
    "signatory",
    "representative",
    "legal",
    "founder",
    "owner",
    "principal",
    "agent",
    "trustee",
    "attorney",
    "esq",
    "jr",
    "sr",
    "ii",
    "iii",
    "iv",
    "telephone",
    "phone",
    "tel",
    "telefax",
    "fax",
    "facsimile",
    "email",
    "e-mail",
    "mail",
    "address",
    "with",
    "copy",
    "to",
    "and",
    "or",
    "of",
    "for",
    "the",
    "re",
    "room",
    "suite",
    "floor",
    "box",
    "witness",
    "exhibit",
    "schedule",
    "page",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "md",
    "phd",
    "p.c",
];

/// Words of departments and of what firms call themselves, beside [`FIRM_ENDINGS`]: a run
/// of words holding one of either is no person's name ("Attention: Order Fulfillment
/// Services", "Name: Acme Widgets Inc").
const NOT_A_PERSON: &[&str] = &[
    "bank",
    "trust",
    "fund",
    "capital",
    "department",
    "dept",
    "division",
    "services",
    "service",
    "office",
    "team",
    "desk",
    "operations",
    "affairs",
    "relations",
    "administration",
    "compliance",
    "contracts",
    "procurement",
    "purchasing",
    "finance",
    "accounting",
    "accounts",
    "payable",
    "receivable",
    "notices",
    "business",
    "development",
    "marketing",
    "sales",
    "law",
    "university",
    "foundation",
    "association",
    "institute",
    "international",
    "technologies",
    "technology",
    "systems",
    "solutions",
    "industries",
    "pharmaceuticals",
    "network",
    "communications",
    "media",
    "labs",
    "laboratories",
    "healthcare",
    "insurance",
    "investments",
    "management",
    "global",
    "america",
    "usa",
    "fulfillment",
    "support",
    "customer",
    "licensing",
    "products",
];

/// The pattern of a name after a signature or addressee cue: the cue, optional `/s/` and
/// underscores or quotes, then up to six words; the name is group 1.
pub(super) fn block_pattern() -> String {
    let cue = r#"(?:(?-u:\b)(?:By|BY|Name|NAME|Signed|SIGNED|cc|CC|Contacts?|CONTACTS?|contacts?)[ \t]*:|(?-u:\b)(?:Signature|SIGNATURE)[ \t]*:?|(?-u:\b)(?:Attention|ATTENTION|Attn|ATTN|Att|ATT)[ \t]*[:.]?|/[sS]/)"#;
    format!(r#"{cue}[ \t_"]*(?:/[sS]/[ \t_"]*)?({WORD}(?:[ \t]+{WORD}){{1,5}})"#)
}

/// What of a name pattern's match is a name: the words up to the first that ends one (a
/// field, a title), at most three that are not initials or particles, and ending where a
/// name is complete ("Jane Q. Public" before "Jane Q. Public Secretary" repeats it). No
/// name when what is kept holds a firm's word or is followed by one, or when fewer than
/// `min_words` words (or none but initials) are left. A name kept whole or in part scores
/// `score`.
pub(super) fn name_in(candidate: &str, min_words: usize, score: f32) -> Verdict {
    let words: Vec<(usize, &str)> = candidate
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - candidate.as_ptr() as usize, w))
        .collect();
    let bare = |word: &str| word.trim_end_matches('.').to_lowercase();
    let is_initial = |word: &str| word.len() <= 3 && word.ends_with('.');
    let is_particle = |word: &str| word.starts_with(|c: char| c.is_lowercase());
    let upper = |word: &str| !word.chars().any(char::is_lowercase);
    let mut kept = 0;
    let mut full_words = 0;
    let mut after_initial = false;
    // Upper case or not, as the name's first full word: "JOE AQUILANTE Rochester" is two
    // names' worth of words, the second a place.
    let mut style = None;
    for (index, (_, word)) in words.iter().enumerate() {
        let lower = bare(word);
        let full = !is_initial(word) && !is_particle(word);
        if ENDS_A_NAME.contains(&lower.as_str())
            || (index > 0 && *word == words[0].1)
            || full_words == 3
            || (full && style.is_some_and(|upper_case| upper_case != upper(word)))
        {
            break;
        }
        if full {
            style.get_or_insert(upper(word));
        }
        if not_a_person(&lower) {
            return Verdict::Invalid;
        }
        kept = index + 1;
        if is_initial(word) {
            after_initial = full_words > 0;
        } else if full {
            full_words += 1;
            // First, initial, last: the name is whole ("Jane Q. Public").
            if after_initial {
                break;
            }
        }
    }
    // A name ends on a word that is not an initial or a particle.
    while kept > 0 && (is_initial(words[kept - 1].1) || is_particle(words[kept - 1].1)) {
        kept -= 1;
    }
    let next_is_firm = words.get(kept).is_some_and(|(_, w)| not_a_person(&bare(w)));
    let first_is_particle = words.first().is_some_and(|(_, w)| is_particle(w));
    let full = words[..kept]
        .iter()
        .filter(|(_, w)| !is_initial(w) && !is_particle(w))
        .count();
    if kept < min_words || full == 0 || next_is_firm || first_is_particle {
        return Verdict::Invalid;
    }
    let (start, last) = words[kept - 1];
    let len = start + last.len();
    Verdict::PlausiblePrefix(len, score)
}

/// Whether a word (lower case, no final full stop) is a firm's or a department's.
fn not_a_person(word: &str) -> bool {
    FIRM_ENDINGS.contains(&word) || NOT_A_PERSON.contains(&word)
}

/// A name with its spacing folded and in lower case: the same name however written.
pub(super) fn folded(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Every place `text` writes one of `names` of two words or more, with the name (folded):
/// in any letter case (ASCII letters), with any spacing between the words, not inside a
/// longer word (an underscore is no letter: "___Timothy Hassett__" is a signature line).
/// The first words are found all at once (Aho-Corasick), the rest compared after each.
pub(super) fn written(text: &str, names: &[&str]) -> Vec<(String, Range<usize>)> {
    let mut names: Vec<String> = names
        .iter()
        .map(|n| folded(n))
        .filter(|n| n.contains(' '))
        .collect();
    names.sort();
    names.dedup();
    // Longer names first, so that "jane q. public" is tried before "jane q".
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut firsts: Vec<&str> = names.iter().filter_map(|n| n.split(' ').next()).collect();
    firsts.sort_unstable();
    firsts.dedup();
    let Ok(finder) = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(&firsts)
    else {
        return Vec::new();
    };
    let letter_before = |at: usize| {
        text[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
    };
    let letter_after = |at: usize| text[at..].chars().next().is_some_and(char::is_alphanumeric);
    let mut found = Vec::new();
    for first in finder.find_iter(text) {
        if letter_before(first.start()) {
            continue;
        }
        let word = firsts[first.pattern().as_usize()];
        let whole = names.iter().find_map(|name| {
            let mut words = name.split(' ');
            (words.next() == Some(word))
                .then(|| rest_of_name(text, first.end(), words))
                .flatten()
                .filter(|end| !letter_after(*end))
                .map(|end| (name.clone(), first.start()..end))
        });
        found.extend(whole);
    }
    found
}

/// Where the name's remaining `words` end if the text goes on with them from `at`, each
/// after spacing, compared without regard to ASCII case.
fn rest_of_name<'a>(
    text: &str,
    mut at: usize,
    words: impl Iterator<Item = &'a str>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    for word in words {
        let spaced = bytes[at..]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .count();
        if spaced == 0 {
            return None;
        }
        at += spaced;
        let next = bytes.get(at..at + word.len())?;
        if !next.eq_ignore_ascii_case(word.as_bytes()) {
            return None;
        }
        at += word.len();
    }
    Some(at)
}

/// Words that end a firm's name: a name the document also writes before one of them
/// ("Dialog Semiconductor (UK) Ltd") is a firm's.
const FIRM_ENDINGS: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "l.l.c",
    "ltd",
    "limited",
    "lp",
    "l.p",
    "llp",
    "plc",
    "corp",
    "corporation",
    "company",
    "co",
    "gmbh",
    "ag",
    "sa",
    "s.a",
    "bv",
    "b.v",
    "nv",
    "n.v",
    "group",
    "holdings",
    "partners",
    "enterprises",
];

/// Whether what follows byte `end` makes the words before it a firm's name: a firm's word
/// such as "Inc" or "Ltd", after a comma or a short parenthesis ("(UK)").
pub(super) fn firm_follows(text: &str, end: usize) -> bool {
    let spacing = |c: char| c.is_whitespace() || c == ',';
    let mut rest = text[end..].trim_start_matches(spacing);
    if let Some(inside) = rest.strip_prefix('(') {
        match inside.find(')') {
            Some(close) if close <= 12 => rest = inside[close + 1..].trim_start_matches(spacing),
            _ => return false,
        }
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<String>()
        .trim_end_matches('.')
        .to_lowercase();
    FIRM_ENDINGS.contains(&word.as_str())
}

/// The end of a name that runs into another name written in the text: "Fred Zolla
/// George", where "George Bogle" is written at its end ("/s/Fred Zolla George Bogle", two
/// signatures side by side), ends before "George" if two words are left.
pub(super) fn cut_before_other(text: &str, name: &Range<usize>, others: &[Range<usize>]) -> usize {
    others
        .iter()
        .filter(|o| name.start < o.start && o.start < name.end && name.end < o.end)
        .map(|o| name.start + text[name.start..o.start].trim_end().len())
        .filter(|end| text[name.start..*end].split_whitespace().count() >= 2)
        .min()
        .unwrap_or(name.end)
}
