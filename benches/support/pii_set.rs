//! A labelled PII set in the style of Presidio's evaluation data: sentences from templates
//! with fake values of each type filled in (phone numbers in the national formats of many
//! regions, with random digits as Faker draws them, so that not every number exists), and
//! near misses with no PII at all (dates, amounts, invoice and case numbers, ZIP codes,
//! deep section numbering, versions) so that false findings count.
//!
//! PERSON is left out: finding bare names is named-entity recognition, which neither Kodiak's
//! recognizers nor Presidio's pattern recognizers do; Kodiak finds names only after a title
//! or a role, and has its own tests for that.

use std::collections::BTreeMap;

use super::contracts::MONTHS;
use super::corpus::Rng;

/// One labelled sentence: its text and the byte span of each PII value in it.
pub struct Sample {
    pub text: String,
    pub labels: Vec<(&'static str, std::ops::Range<usize>)>,
}

/// Phone formats: `#` any digit, `N` a digit from 2 to 9, anything else as written.
const PHONE_FORMATS: &[&str] = &[
    // North America (Faker's en_US formats among them).
    "N##-N##-####",
    "(N##) N##-####",
    "(N##)N##-####",
    "N##.N##.####",
    "###-###-####x###",
    "###.###.####x####",
    "+1-N##-N##-####x####",
    "001-###-###-####x###",
    "1-N##-N##-####",
    "N##-####",
    "N## ####",
    "+1 N## N## ####",
    // United Kingdom.
    "0#### ######",
    "0### ### ####",
    "020 #### ####",
    "07### ######",
    "+44(0)#### ######",
    "+44 20 #### ####",
    "+44 7### ######",
    "(0###) ### ####",
    // Germany.
    "0### #######",
    "0#### ######",
    "(0###) ######",
    "+49 (0)### #######",
    "+49 ### ########",
    "0## ## ## ##",
    "0###-#######",
    "0049 ## #######",
    // France.
    "0N ## ## ## ##",
    "0N.##.##.##.##",
    "+33 (0)N ## ## ## ##",
    "+33 N ## ## ## ##",
    // Netherlands.
    "06-########",
    "0##-#######",
    "+31 6 ########",
    "+31 (0)## #######",
    // Italy and Spain.
    "+39 ### #######",
    "0# ########",
    "3## ### ####",
    "+34 ### ### ###",
    "9## ## ## ##",
    "6## ### ###",
    // India.
    "+91 ##### #####",
    "0##-########",
    // Australia.
    "(0#) #### ####",
    "04## ### ###",
    "+61 # #### ####",
    // Brazil.
    "+55 (##) #####-####",
    "(##) ####-####",
    "(##) #####-####",
    // Israel.
    "0#-#######",
    "05#-###-####",
    "+972-#-###-####",
    // Short forms Faker draws for some locales.
    "(##) ###-###",
];

const PHONE_WITH_CONTEXT: &[&str] = &[
    "You can reach me at {}.",
    "Please call {} to confirm the delivery.",
    "Phone: {}",
    "My phone number is {}, after six.",
    "Contact the site manager on {} between 9 and 5.",
    "Mobile: {} (evenings only)",
    "For urgent matters, ring {}.",
    "The tenant's telephone number is {}.",
    "Tel. {}",
    "Fax {} to the registry.",
    "Her cell is {} and she prefers texts.",
    "Call the hotline at {} if the seal is broken.",
];

const PHONE_WITHOUT_CONTEXT: &[&str] = &[
    "Jane Roe, 14 Mill Lane, Leeds, {}",
    "Send the signed copy to the office or to {}.",
    "{} is on file for the guarantor.",
    "The landlord listed {} as the emergency line.",
];

const FIRST: &[&str] = &[
    "jane", "omar", "li", "maria", "tom", "anke", "raj", "sofia", "pierre", "yusuf",
];
const LAST: &[&str] = &[
    "roe", "haddad", "wei", "garcia", "smith", "meyer", "patel", "rossi", "durand", "kaya",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.org",
    "firm.example.co.uk",
    "example.de",
    "corp.example.net",
];

const EMAIL_TEMPLATES: &[&str] = &[
    "Write to {} with any questions.",
    "Email: {}",
    "The notice was sent to {} on Monday.",
    "cc {}",
];
const CARD_TEMPLATES: &[&str] = &[
    "Charge the deposit to card {}.",
    "Card number {} was declined.",
    "Payment by Visa {} on arrival.",
    "{} is the card on file.",
];
const SSN_TEMPLATES: &[&str] = &[
    "SSN: {}",
    "His social security number is {}.",
    "Employee SSN {} must not be shared.",
    "The form lists {} as her SSN.",
];
const IP_TEMPLATES: &[&str] = &[
    "The login came from IP {}.",
    "Server {} refused the connection.",
    "Requests from {} were blocked by the firewall.",
    "host {} (backup)",
];
const IBAN_TEMPLATES: &[&str] = &[
    "Pay the rent to IBAN {}.",
    "Bank account: {}",
    "Transfer the balance to {} by Friday.",
];
const NINO_TEMPLATES: &[&str] = &[
    "National Insurance number {}.",
    "NI number: {}",
    "Her NINO is {}.",
];
const DOB_TEMPLATES: &[&str] = &[
    "Born on {} in Leeds.",
    "Date of birth: {}",
    "DOB {}",
    "The claimant was born {}.",
];

/// Sentences with no PII that hold numbers a careless recognizer takes for some; each slot
/// gets a fresh random value (see `near_miss_value`).
const NEAR_MISSES: &[&str] = &[
    "Invoice {invoice} totals {amount} and is due on {date}.",
    "The purchase price of {amount} is payable in two instalments.",
    "Ship the samples to Suite 400, San Francisco, CA {zip4}.",
    "Clause {section} applies; see also {section} and {section} of Schedule 3.",
    "{section} The Initial Franchise Fee is payable on signature.",
    "Section {section}(a)(ii) survives termination, as does {section}.",
    "Version {version} of the software, build {date}, is licensed.",
    "The agreement ran from {years} and again from {years}.",
    "Case No. {case} was dismissed on {date}.",
    "Reference {reference} must appear on every payment.",
    "The issuer allotted {shares} shares at 1.25 per share.",
    "Order {order} was delivered on {date} in 12 boxes.",
    "Article {section} and paragraphs 7.2 to 7.9 of Annex II apply.",
    "Payment of {amount} was wired on {date}.",
    "Interest accrues at 4.75% a year from {date}; see {section}.",
    "The premises measure 1 200 square metres over 3 floors.",
];

/// A random value for a near miss's slot.
fn near_miss_value(rng: &mut Rng, slot: &str) -> String {
    let (day, month, year) = (1 + rng.below(28), 1 + rng.below(12), 1990 + rng.below(40));
    match slot {
        "date" => match rng.below(4) {
            0 => format!("{day:02}-{month:02}-{year}"),
            1 => format!("{day:02}.{month:02}.{year}"),
            2 => format!("{year}-{month:02}-{day:02}"),
            _ => format!("{day:02}/{month:02}/{year}"),
        },
        "amount" => {
            let millions = 1 + rng.below(99);
            let thousands = rng.below(1000);
            match rng.below(4) {
                0 => format!("EUR {millions} {thousands:03} 000"),
                1 => format!("${millions},{thousands:03},000.00"),
                2 => format!("USD {millions}.{thousands:03}.000"),
                _ => format!("GBP {thousands},{:03}", rng.below(1000)),
            }
        }
        "section" => {
            let parts = 3 + rng.below(3);
            (0..parts)
                .map(|_| (1 + rng.below(20)).to_string())
                .collect::<Vec<_>>()
                .join(".")
        }
        "zip4" => format!("{:05}-{:04}", 10_000 + rng.below(89_999), rng.below(10_000)),
        "invoice" => format!("INV-{year}-{:05}", rng.below(100_000)),
        "version" => format!("{}.{}.{}", rng.below(10), rng.below(20), rng.below(50)),
        "years" => format!("{year}-{}", year + 1 + rng.below(5)),
        "case" => format!(
            "{}:{:02}-cv-{:05}",
            1 + rng.below(9),
            rng.below(30),
            rng.below(100_000)
        ),
        "reference" => format!("{year}/{:04}/{:02}", rng.below(10_000), rng.below(100)),
        "shares" => format!("{},{:03},000", 1 + rng.below(99), rng.below(1000)),
        "order" => format!("{}-{:04}", 1000 + rng.below(9000), rng.below(10_000)),
        _ => String::new(),
    }
}

fn near_miss(rng: &mut Rng, template: &str) -> String {
    let mut text = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        text.push_str(&near_miss_value(rng, &rest[open + 1..close]));
        rest = &rest[(close + 1).min(rest.len())..];
    }
    text.push_str(rest);
    text
}

fn fill(rng: &mut Rng, format: &str) -> String {
    format
        .chars()
        .map(|c| match c {
            '#' => char::from(b'0' + rng.below(10) as u8),
            'N' => char::from(b'2' + rng.below(8) as u8),
            other => other,
        })
        .collect()
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

fn luhn_complete(rng: &mut Rng, prefix: &str, len: usize) -> String {
    let mut digits: Vec<u32> = prefix.bytes().map(|b| u32::from(b - b'0')).collect();
    while digits.len() < len - 1 {
        digits.push(rng.below(10) as u32);
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits.iter().map(|d| char::from(b'0' + *d as u8)).collect()
}

fn card(rng: &mut Rng) -> String {
    let (prefix, len) = *[("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16)]
        .get(rng.below(5))
        .unwrap_or(&("4", 16));
    let number = luhn_complete(rng, prefix, len);
    match (rng.below(3), len) {
        (0, 16) => number
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        (1, 16) => number
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-"),
        _ => number,
    }
}

fn ssn(rng: &mut Rng) -> String {
    let area = loop {
        let area = 1 + rng.below(899);
        if area != 666 {
            break area;
        }
    };
    format!(
        "{area:03}-{:02}-{:04}",
        1 + rng.below(99),
        1 + rng.below(9999)
    )
}

fn ip(rng: &mut Rng) -> String {
    if rng.chance(80) {
        format!(
            "{}.{}.{}.{}",
            1 + rng.below(223),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        )
    } else {
        format!(
            "2001:db8:{:x}:{:x}::{:x}",
            rng.below(0xffff),
            rng.below(0xffff),
            1 + rng.below(0xfff)
        )
    }
}

/// An IBAN with correct check digits: the country's length, a random BBAN.
fn iban(rng: &mut Rng) -> String {
    let (country, len) = *[("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18), ("ES", 24)]
        .get(rng.below(5))
        .unwrap_or(&("DE", 22));
    let bban: String = if country == "GB" || country == "NL" {
        let bank: String = (0..4)
            .map(|_| char::from(b'A' + rng.below(26) as u8))
            .collect();
        let rest: String = (0..len - 8)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        bank + &rest
    } else {
        (0..len - 4)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    let rearranged = format!("{bban}{country}00");
    let mut remainder = 0u32;
    for c in rearranged.chars() {
        let value = c.to_digit(36).unwrap_or(0);
        for digit in value.to_string().bytes() {
            remainder = (remainder * 10 + u32::from(digit - b'0')) % 97;
        }
    }
    let plain = format!("{country}{:02}{bban}", 98 - remainder);
    if rng.chance(50) {
        plain
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        plain
    }
}

fn nino(rng: &mut Rng) -> String {
    const FIRST: &[u8] = b"ABCEHJKLMPRSTWXY";
    const SECOND: &[u8] = b"ABCEHJKLMPRSTWXY";
    format!(
        "{}{} {:02} {:02} {:02} {}",
        char::from(FIRST[rng.below(FIRST.len())]),
        char::from(SECOND[rng.below(SECOND.len())]),
        rng.below(100),
        rng.below(100),
        rng.below(100),
        char::from(b'A' + rng.below(4) as u8)
    )
}

fn date_of_birth(rng: &mut Rng) -> String {
    let (day, month, year) = (1 + rng.below(28), 1 + rng.below(12), 1940 + rng.below(65));
    match rng.below(3) {
        0 => format!("{day} {} {year}", MONTHS[month - 1]),
        1 => format!("{day:02}/{month:02}/{year}"),
        _ => format!("{year}-{month:02}-{day:02}"),
    }
}

fn email(rng: &mut Rng) -> String {
    let separator = pick(rng, &[".", "_", ""]);
    format!(
        "{}{separator}{}@{}",
        pick(rng, FIRST),
        pick(rng, LAST),
        pick(rng, DOMAINS)
    )
}

/// Draws a fake value of one type.
type Generator = fn(&mut Rng) -> String;

/// A sentence from `template` with `value` in place of `{}`, labelled.
fn labelled(template: &str, kind: &'static str, value: &str) -> Sample {
    let at = template.find("{}").unwrap_or(template.len());
    let text = template.replacen("{}", value, 1);
    Sample {
        text,
        labels: vec![(kind, at..at + value.len())],
    }
}

/// The set: `per_type` sentences of each type (phone numbers twice as many, as they come in
/// many formats), a quarter of the phone sentences without a context word, and the near
/// misses, mixed in a fixed order.
pub fn generate(per_type: usize) -> Vec<Sample> {
    let mut rng = Rng(0x005E_ED0F_F1CE);
    let mut samples = Vec::new();
    for i in 0..per_type * 2 {
        let number = fill(&mut rng, PHONE_FORMATS[i % PHONE_FORMATS.len()]);
        let template = if rng.chance(75) {
            pick(&mut rng, PHONE_WITH_CONTEXT)
        } else {
            pick(&mut rng, PHONE_WITHOUT_CONTEXT)
        };
        samples.push(labelled(template, "PHONE_NUMBER", &number));
    }
    // Each type's value generator and templates, in the order they are drawn.
    let types: [(&'static str, Generator, &[&str]); 7] = [
        ("EMAIL_ADDRESS", email, EMAIL_TEMPLATES),
        ("CREDIT_CARD", card, CARD_TEMPLATES),
        ("US_SSN", ssn, SSN_TEMPLATES),
        ("IP_ADDRESS", ip, IP_TEMPLATES),
        ("IBAN_CODE", iban, IBAN_TEMPLATES),
        ("UK_NINO", nino, NINO_TEMPLATES),
        ("DATE_OF_BIRTH", date_of_birth, DOB_TEMPLATES),
    ];
    for _ in 0..per_type {
        for (kind, value_of, templates) in &types {
            let value = value_of(&mut rng);
            samples.push(labelled(pick(&mut rng, templates), kind, &value));
        }
    }
    for i in 0..per_type * 2 {
        samples.push(Sample {
            text: near_miss(&mut rng, NEAR_MISSES[i % NEAR_MISSES.len()]),
            labels: Vec::new(),
        });
    }
    // A fixed shuffle, so that types are interleaved as in a real set.
    for i in (1..samples.len()).rev() {
        samples.swap(i, rng.below(i + 1));
    }
    samples
}

/// True and false positives and false negatives of one type.
#[derive(Default, Clone, Copy)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The evaluation: per type and micro-averaged, with the findings that were wrong (type,
/// found text, sentence) and the labels that were missed.
pub struct Evaluation {
    pub per_type: BTreeMap<String, Counts>,
    pub micro: Counts,
    pub false_positives: Vec<(String, String, String)>,
    pub missed: Vec<(String, String, String)>,
}

/// Scores findings against labels: a finding is right when it has the label's type and
/// overlaps its span (each label matched once), as span-level evaluations of Presidio do.
pub fn evaluate(
    samples: &[Sample],
    mut scan: impl FnMut(&str) -> Vec<(String, std::ops::Range<usize>)>,
) -> Evaluation {
    let mut per_type: BTreeMap<String, Counts> = BTreeMap::new();
    let mut false_positives = Vec::new();
    let mut missed = Vec::new();
    for sample in samples {
        let findings = scan(&sample.text);
        let mut matched = vec![false; sample.labels.len()];
        for (kind, span) in &findings {
            let hit = sample.labels.iter().enumerate().position(|(i, (k, l))| {
                !matched[i] && k == kind && l.start < span.end && span.start < l.end
            });
            let counts = per_type.entry(kind.clone()).or_default();
            match hit {
                Some(i) => {
                    matched[i] = true;
                    counts.tp += 1;
                }
                None => {
                    counts.fp += 1;
                    false_positives.push((
                        kind.clone(),
                        sample.text[span.clone()].to_owned(),
                        sample.text.clone(),
                    ));
                }
            }
        }
        for (i, (kind, span)) in sample.labels.iter().enumerate() {
            if !matched[i] {
                per_type.entry((*kind).to_owned()).or_default().fn_ += 1;
                missed.push((
                    (*kind).to_owned(),
                    sample.text[span.clone()].to_owned(),
                    sample.text.clone(),
                ));
            }
        }
    }
    let micro = per_type.values().fold(Counts::default(), |a, c| Counts {
        tp: a.tp + c.tp,
        fp: a.fp + c.fp,
        fn_: a.fn_ + c.fn_,
    });
    Evaluation {
        per_type,
        micro,
        false_positives,
        missed,
    }
}
