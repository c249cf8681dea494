//! The values a text states, read the way contracts write them: periods ("one (1) year",
//! "sixty (60) days", "a 12-month term"), amounts ("$1,500,000", "USD 2 million", "five
//! thousand dollars"), percentages ("5%", "ten percent") and dates ("January 1, 2020",
//! "the 1st day of July, 2020", "2020-07-01", "7/1/2020"). Two texts state the same value
//! however each spells it: "one (1) year" and "12 months" agree, "10 years" and "one (1)
//! year" do not. The grounding check compares an answer's values with its sources' this
//! way, where comparing bare digits let "10 years" pass on a passage that mentions
//! section 10.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// A unit of time a period is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Day,
    Week,
    Month,
    Year,
}

impl TimeUnit {
    fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
        }
    }
}

/// One value a text states.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A count of days, weeks, months or years.
    Period {
        count: f64,
        unit: TimeUnit,
    },
    /// An amount of money; the currency when the text names one (`$` is the dollar).
    Money {
        amount: f64,
        currency: Option<&'static str>,
    },
    Percent(f64),
    /// A calendar date; the day is unknown in "July 2020". Written with slashes, day and
    /// month may be either way round ("7/1/2020").
    Date {
        year: i32,
        month: u32,
        day: Option<u32>,
        either_way: bool,
    },
}

impl Value {
    /// Whether two values are the same, however written: periods in days and weeks, or in
    /// months and years, are compared as one count.
    pub fn agrees(&self, other: &Value) -> bool {
        match (*self, *other) {
            (Value::Period { count: a, unit: u }, Value::Period { count: b, unit: v }) => {
                let ((a, small_a), (b, small_b)) = (in_base(a, u), in_base(b, v));
                small_a == small_b && same_number(a, b)
            }
            (
                Value::Money {
                    amount: a,
                    currency: c,
                },
                Value::Money {
                    amount: b,
                    currency: d,
                },
            ) => same_number(a, b) && (c.is_none() || d.is_none() || c == d),
            (Value::Percent(a), Value::Percent(b)) => same_number(a, b),
            (
                Value::Date {
                    year: y,
                    month: m,
                    day: d,
                    either_way: e,
                },
                Value::Date {
                    year: z,
                    month: n,
                    day: f,
                    either_way: g,
                },
            ) => {
                // Slashed dates may be read month first or day first.
                let readings = |m: u32, d: Option<u32>, either: bool| {
                    let swapped = d.filter(|d| either && *d <= 12).map(|d| (d, Some(m)));
                    [Some((m, d)), swapped]
                };
                let same = |(m, d): (u32, Option<u32>), (n, f): (u32, Option<u32>)| {
                    m == n && (d.is_none() || f.is_none() || d == f)
                };
                y == z
                    && readings(m, d, e)
                        .iter()
                        .flatten()
                        .any(|a| readings(n, f, g).iter().flatten().any(|b| same(*a, *b)))
            }
            _ => false,
        }
    }
}

/// A period as a count of days (days, weeks) or of months (months, years), and which.
fn in_base(count: f64, unit: TimeUnit) -> (f64, bool) {
    match unit {
        TimeUnit::Day => (count, true),
        TimeUnit::Week => (count * 7.0, true),
        TimeUnit::Month => (count, false),
        TimeUnit::Year => (count * 12.0, false),
    }
}

fn same_number(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let number = |n: f64| {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            }
        };
        match *self {
            Value::Period { count, unit } => {
                let plural = if same_number(count, 1.0) { "" } else { "s" };
                write!(f, "{} {}{plural}", number(count), unit.name())
            }
            Value::Money { amount, currency } => match currency {
                Some(c) => write!(f, "{c} {}", number(amount)),
                None => write!(f, "{}", number(amount)),
            },
            Value::Percent(p) => write!(f, "{}%", number(p)),
            Value::Date {
                year, month, day, ..
            } => match day {
                Some(d) => write!(f, "{year:04}-{month:02}-{d:02}"),
                None => write!(f, "{year:04}-{month:02}"),
            },
        }
    }
}

/// A value and where the text states it, in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Stated {
    pub range: Range<usize>,
    pub value: Value,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month a word names, full or abbreviated ("Sept"), 1-based.
fn month_of(word: &str) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    let found = MONTHS
        .iter()
        .position(|m| *m == word || (word.len() <= 4 && m.starts_with(word)))?;
    Some(found as u32 + 1)
}

/// Dates written with digits only: ISO `2020-07-01` and slashed `7/1/2020` or `01/07/20`.
static DIGIT_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b|\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b").ok()
});

/// The text in pieces a value is read from.
static PIECE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\d+(?:,\d{3})*(?:\.\d+)?|[A-Za-z]+|[$€£%()]|[.;:!?]\s|\n\s*\n").ok()
});

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Number(f64),
    Word(String),
    Symbol(char),
    /// The end of a sentence or clause: a value never runs across it.
    Break,
}

/// Words that may stand between a period's count and its unit: "sixty (60) consecutive
/// days", "one (1) additional year".
const PERIOD_WORDS: [&str; 11] = [
    "full",
    "consecutive",
    "business",
    "calendar",
    "working",
    "contract",
    "additional",
    "successive",
    "further",
    "renewal",
    "banking",
];

/// Every value `text` states, in order.
pub fn values(text: &str) -> Vec<Stated> {
    let mut found = Vec::new();
    let mut dated: Vec<Range<usize>> = Vec::new();
    if let Some(pattern) = DIGIT_DATE.as_ref() {
        for caps in pattern.captures_iter(text) {
            let number = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<i32>().ok());
            let value = if let (Some(y), Some(m), Some(d)) = (number(1), number(2), number(3)) {
                date(y, m, Some(d), false)
            } else if let (Some(a), Some(b), Some(y)) = (number(4), number(5), number(6)) {
                let year = if y < 100 { 2000 + y } else { y };
                // Month first as American contracts write it; either way when both fit.
                date(year, a, Some(b), b <= 12).or_else(|| date(year, b, Some(a), false))
            } else {
                None
            };
            if let (Some(value), Some(all)) = (value, caps.get(0)) {
                found.push(Stated {
                    range: all.range(),
                    value,
                });
                dated.push(all.range());
            }
        }
    }
    let Some(piece) = PIECE.as_ref() else {
        return found;
    };
    let pieces: Vec<(Range<usize>, Piece)> = piece
        .find_iter(text)
        .filter(|m| {
            !dated
                .iter()
                .any(|d| d.start <= m.start() && m.end() <= d.end)
        })
        .map(|m| {
            let s = m.as_str();
            let piece = if let Some(first) = s.chars().next()
                && first.is_ascii_digit()
            {
                s.replace(',', "")
                    .parse::<f64>()
                    .map_or(Piece::Break, Piece::Number)
            } else if s.chars().all(|c| c.is_ascii_alphabetic()) {
                Piece::Word(s.to_ascii_lowercase())
            } else if let Some(c) = s.chars().next().filter(|c| "$€£%()".contains(*c)) {
                Piece::Symbol(c)
            } else {
                Piece::Break
            };
            (m.range(), piece)
        })
        .collect();
    let mut i = 0;
    while i < pieces.len() {
        if let Some((value, mut next)) = date_at(&pieces, i).or_else(|| quantity_at(&pieces, i)) {
            // The same value again in brackets is one statement: "ten percent (10%)".
            if matches!(pieces.get(next), Some((_, Piece::Symbol('('))))
                && let Some((again, after)) = quantity_at(&pieces, next + 1)
                && again.agrees(&value)
                && matches!(pieces.get(after), Some((_, Piece::Symbol(')'))))
            {
                next = after + 1;
            }
            let range = pieces[i].0.start..pieces[next - 1].0.end;
            found.push(Stated { range, value });
            i = next;
        } else {
            i += 1;
        }
    }
    found.sort_by_key(|s| s.range.start);
    found
}

fn date(year: i32, month: i32, day: Option<i32>, either_way: bool) -> Option<Value> {
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = match day {
        Some(d) => Some(u32::try_from(d).ok().filter(|d| (1..=31).contains(d))?),
        None => None,
    };
    (1000..=2999).contains(&year).then_some(Value::Date {
        year,
        month,
        day,
        either_way,
    })
}

fn word(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<&str> {
    match pieces.get(i) {
        Some((_, Piece::Word(w))) => Some(w.as_str()),
        _ => None,
    }
}

fn number(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<f64> {
    match pieces.get(i) {
        Some((_, Piece::Number(n))) => Some(*n),
        _ => None,
    }
}

/// A whole number that can be a day of the month, and the piece after it (an ordinal
/// suffix, "1st", skipped).
fn day_at(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<(i32, usize)> {
    let n = number(pieces, i)?;
    let day = (n.fract() == 0.0 && (1.0..=31.0).contains(&n)).then_some(n as i32)?;
    let next = if matches!(word(pieces, i + 1), Some("st" | "nd" | "rd" | "th")) {
        i + 2
    } else {
        i + 1
    };
    Some((day, next))
}

fn year_at(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<i32> {
    let n = number(pieces, i)?;
    (n.fract() == 0.0 && (1000.0..=2999.0).contains(&n)).then_some(n as i32)
}

/// "July 1, 2020", "July 2020", "1 July 2020", "1st day of July, 2020" at piece `i`.
fn date_at(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<(Value, usize)> {
    // An abbreviated month may end with a full stop ("Sept. 1, 2020").
    let after_month = |at: usize| {
        if matches!(pieces.get(at), Some((_, Piece::Break))) {
            at + 1
        } else {
            at
        }
    };
    if let Some(month) = word(pieces, i).and_then(month_of) {
        let at = after_month(i + 1);
        if let Some((day, next)) = day_at(pieces, at)
            && let Some(year) = year_at(pieces, next)
        {
            return Some((date(year, month as i32, Some(day), false)?, next + 1));
        }
        // A month and a year only with the month in full ("July 2020", not "Jul 2020").
        if let Some(year) = year_at(pieces, at)
            && word(pieces, i).is_some_and(|w| MONTHS.contains(&w))
        {
            return Some((date(year, month as i32, None, false)?, at + 1));
        }
        return None;
    }
    let (day, mut at) = day_at(pieces, i)?;
    if word(pieces, at) == Some("day") && word(pieces, at + 1) == Some("of") {
        at += 2;
    }
    let month = word(pieces, at).and_then(month_of)?;
    let at = after_month(at + 1);
    let year = year_at(pieces, at)?;
    Some((date(year, month as i32, Some(day), false)?, at + 1))
}

/// A count written in figures or words at piece `i`, with a figure in brackets after words
/// taking precedence ("sixty (60)"), and the piece after it.
fn count_at(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<(f64, usize)> {
    let (mut count, mut next) = match number(pieces, i) {
        Some(n) => (n, i + 1),
        None => spelled_at(pieces, i)?,
    };
    // "sixty (60)", "(60)".
    if matches!(pieces.get(next), Some((_, Piece::Symbol('('))))
        && let Some(n) = number(pieces, next + 1)
        && matches!(pieces.get(next + 2), Some((_, Piece::Symbol(')'))))
    {
        count = n;
        next += 3;
    }
    match word(pieces, next) {
        Some("thousand") => Some((count * 1e3, next + 1)),
        Some("million" | "m" | "mm") => Some((count * 1e6, next + 1)),
        Some("billion" | "bn") => Some((count * 1e9, next + 1)),
        _ => Some((count, next)),
    }
}

/// Numbers under twenty, and the tens, in words.
const SMALL: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// A number in words ("thirty-six", "one hundred and twenty", "two thousand").
fn spelled_at(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<(f64, usize)> {
    let mut total = 0.0;
    let mut current = 0.0;
    let mut at = i;
    let mut any = false;
    while let Some(w) = word(pieces, at) {
        if let Some(n) = SMALL.iter().position(|s| *s == w) {
            current += n as f64;
        } else if let Some(n) = TENS.iter().position(|t| *t == w) {
            current += (n as f64 + 2.0) * 10.0;
        } else if w == "hundred" && any {
            current *= 100.0;
        } else if w == "thousand" && any && word(pieces, at + 1).is_some_and(is_number_word) {
            total += current * 1e3;
            current = 0.0;
        } else if w == "and" && any && word(pieces, at + 1).is_some_and(is_number_word) {
        } else {
            break;
        }
        any = true;
        at += 1;
    }
    any.then_some((total + current, at))
}

fn is_number_word(w: &str) -> bool {
    w == "hundred" || SMALL[1..].contains(&w) || TENS.contains(&w)
}

/// The currency a symbol or word names.
fn currency_of(piece: &Piece) -> Option<&'static str> {
    match piece {
        Piece::Symbol('$') => Some("USD"),
        Piece::Symbol('€') => Some("EUR"),
        Piece::Symbol('£') => Some("GBP"),
        Piece::Word(w) => match w.as_str() {
            "usd" | "dollars" | "dollar" => Some("USD"),
            "eur" | "euros" | "euro" => Some("EUR"),
            "gbp" | "pounds" => Some("GBP"),
            "chf" | "francs" => Some("CHF"),
            "cad" => Some("CAD"),
            "aud" => Some("AUD"),
            "jpy" | "yen" => Some("JPY"),
            "rmb" | "cny" => Some("CNY"),
            _ => None,
        },
        _ => None,
    }
}

/// A period, amount or percentage at piece `i`, and the piece after it.
fn quantity_at(pieces: &[(Range<usize>, Piece)], i: usize) -> Option<(Value, usize)> {
    // A currency before the amount: "$5", "USD 5", "US$ 5".
    let mut start = i;
    let mut before = currency_of(&pieces[i].1);
    if word(pieces, i) == Some("us") && matches!(pieces.get(i + 1), Some((_, Piece::Symbol('$')))) {
        before = Some("USD");
        start = i + 1;
    }
    if before.is_some() {
        let (amount, next) = count_at(pieces, start + 1)?;
        return Some((
            Value::Money {
                amount,
                currency: before,
            },
            next,
        ));
    }
    let (count, next) = count_at(pieces, i)?;
    if let Some((_, after)) = pieces.get(next) {
        if let Some(currency) = currency_of(after).filter(|_| !matches!(after, Piece::Symbol(_))) {
            return Some((
                Value::Money {
                    amount: count,
                    currency: Some(currency),
                },
                next + 1,
            ));
        }
        if *after == Piece::Symbol('%') || word(pieces, next) == Some("percent") {
            return Some((Value::Percent(count), next + 1));
        }
        if word(pieces, next) == Some("per") && word(pieces, next + 1) == Some("cent") {
            return Some((Value::Percent(count), next + 2));
        }
    }
    let mut at = next;
    while word(pieces, at).is_some_and(|w| PERIOD_WORDS.contains(&w)) && at < next + 2 {
        at += 1;
    }
    let unit = match word(pieces, at)? {
        "day" | "days" => TimeUnit::Day,
        "week" | "weeks" => TimeUnit::Week,
        "month" | "months" => TimeUnit::Month,
        "year" | "years" => TimeUnit::Year,
        _ => return None,
    };
    Some((Value::Period { count, unit }, at + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<String> {
        values(text).iter().map(|s| s.value.to_string()).collect()
    }

    #[test]
    fn periods_are_read_from_words_figures_and_both() {
        assert_eq!(read("for a period of one (1) year"), ["1 year"]);
        assert_eq!(read("sixty (60) consecutive months"), ["60 months"]);
        assert_eq!(read("thirty-six months"), ["36 months"]);
        assert_eq!(
            read("a 12-month term and 90 days' notice"),
            ["12 months", "90 days"]
        );
        assert_eq!(read("one hundred and twenty (120) days"), ["120 days"]);
        assert_eq!(read("ten years"), ["10 years"]);
    }

    #[test]
    fn amounts_and_percentages_are_read_with_their_currency() {
        assert_eq!(read("a fee of $1,500,000.00"), ["USD 1500000"]);
        assert_eq!(read("USD 2 million"), ["USD 2000000"]);
        assert_eq!(read("five thousand dollars"), ["USD 5000"]);
        assert_eq!(read("€250"), ["EUR 250"]);
        assert_eq!(read("ten percent (10%) of revenue"), ["10%"]);
        assert_eq!(read("5 per cent"), ["5%"]);
    }

    #[test]
    fn dates_are_read_as_contracts_write_them() {
        assert_eq!(read("dated January 1, 2020"), ["2020-01-01"]);
        assert_eq!(read("the 1st day of July, 2020"), ["2020-07-01"]);
        assert_eq!(read("on 3 Sept. 2019"), ["2019-09-03"]);
        assert_eq!(read("2021-03-04"), ["2021-03-04"]);
        assert_eq!(read("as of July 2020"), ["2020-07"]);
        assert_eq!(read("7/1/2020"), ["2020-07-01"]);
    }

    #[test]
    fn plain_numbers_and_section_numbers_state_no_value() {
        assert!(read("Section 10. Years later the parties").is_empty());
        assert!(read("clause 12.3 applies").is_empty());
        assert!(read("the parties may agree").is_empty());
    }

    #[test]
    fn the_same_value_agrees_however_it_is_written() {
        let one = |t: &str| values(t)[0].value;
        assert!(one("one (1) year").agrees(&one("12 months")));
        assert!(one("2 weeks").agrees(&one("fourteen days")));
        assert!(!one("10 years").agrees(&one("one (1) year")));
        assert!(!one("6 months").agrees(&one("sixty (60) months")));
        assert!(!one("30 days").agrees(&one("30 months")));
        assert!(one("$5 million").agrees(&one("USD 5,000,000")));
        assert!(!one("$5,000").agrees(&one("€5,000")));
        assert!(one("July 1, 2020").agrees(&one("1st day of July, 2020")));
        assert!(one("1/7/2020").agrees(&one("January 7, 2020")));
        assert!(one("1/7/2020").agrees(&one("July 1, 2020")));
        assert!(!one("July 1, 2020").agrees(&one("July 2, 2020")));
        assert!(one("July 2020").agrees(&one("July 2, 2020")));
    }
}
