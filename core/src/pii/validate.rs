//! Checks that turn a pattern match into a finding, or drop it: checksums, number-plan rules,
//! parsers. Each returns the verdict for the matched text.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// What a validator concluded about a candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Not PII of this type: drop it.
    Invalid,
    /// Plausible: keep the pattern's score.
    Plausible,
    /// Plausible, with this score instead of the pattern's: the form of the match says
    /// how likely it is.
    PlausibleAt(f32),
    /// Proven by a checksum or parser: score 1.0.
    Certain,
    /// The first `n` bytes form a proven match (a greedy pattern took too much).
    CertainPrefix(usize),
    /// The first `n` bytes form a plausible match, with this score.
    PlausiblePrefix(usize, f32),
}

fn digits(text: &str) -> Vec<u8> {
    text.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

fn all_same(digits: &[u8]) -> bool {
    digits.windows(2).all(|w| w[0] == w[1])
}

/// The Luhn (mod 10) checksum used by payment cards.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// 12 to 19 digits, one kind of separator at most, grouped as cards print them, not all the
/// same digit, Luhn-valid.
pub fn credit_card(text: &str) -> Verdict {
    let has_space = text.contains(' ');
    let has_dash = text.contains('-');
    let d = digits(text);
    if (has_space && has_dash) || !(12..=19).contains(&d.len()) || all_same(&d) || !luhn(&d) {
        return Verdict::Invalid;
    }
    let groups: Vec<usize> = text
        .split([' ', '-'])
        .map(str::len)
        .filter(|len| *len > 0)
        .collect();
    // 4-4-4-4 (and 4-4-4-4-3 for 19 digits), 4-6-5 (Amex), 4-6-4 (Diners), or no groups.
    let card_groups = match groups.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [first @ .., last] => first.iter().all(|g| *g == 4) && (1..=4).contains(last),
        [] => false,
    };
    if !card_groups {
        return Verdict::Invalid;
    }
    Verdict::Certain
}

/// An IBAN with a valid country length, format and mod-97 check. A greedy match that took
/// a following word is retried without its trailing groups.
pub fn iban(text: &str) -> Verdict {
    let mut candidate = text.trim_end();
    loop {
        if iban::Iban::from_str(candidate).is_ok() {
            return if candidate.len() == text.len() {
                Verdict::Certain
            } else {
                Verdict::CertainPrefix(candidate.len())
            };
        }
        match candidate.rfind(' ') {
            Some(cut) if cut >= 15 => candidate = &candidate[..cut],
            _ => return Verdict::Invalid,
        }
    }
}

/// US Social Security numbers: the pattern already refuses mixed delimiters; this refuses
/// numbers never issued (area 000, 666, 9xx; group 00; serial 0000), all-same digits, and
/// numbers known to be invalid because they were published.
pub fn us_ssn(text: &str) -> Verdict {
    const PUBLISHED: [&str; 3] = ["078051120", "123456789", "219099999"];
    let d = digits(text);
    if d.len() != 9 || all_same(&d) {
        return Verdict::Invalid;
    }
    let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    let group = u32::from(d[3]) * 10 + u32::from(d[4]);
    let serial = d[5..].iter().fold(0u32, |acc, &x| acc * 10 + u32::from(x));
    let plain: String = d.iter().map(|x| char::from(b'0' + x)).collect();
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return Verdict::Invalid;
    }
    if PUBLISHED.contains(&plain.as_str()) {
        return Verdict::Invalid;
    }
    // Dashes are how SSNs are written; spaces less so; nine bare digits could be anything.
    Verdict::PlausibleAt(if text.contains('-') {
        0.5
    } else if text.contains(' ') {
        0.4
    } else {
        0.3
    })
}

pub fn ip_address(text: &str) -> Verdict {
    if Ipv4Addr::from_str(text).is_ok() {
        // `10.2.14.3` is as likely a section of a contract as a host: with no part of three
        // digits, an address needs a context word ("server", "IP") to count.
        return if text.split('.').all(|part| part.len() <= 2) {
            Verdict::PlausibleAt(0.4)
        } else {
            Verdict::Plausible
        };
    }
    // A bare "::" or a clock time such as 12:30:45 is not worth flagging.
    match Ipv6Addr::from_str(text) {
        Ok(addr) if !addr.is_unspecified() && text.matches(':').count() >= 2 => Verdict::Plausible,
        _ => Verdict::Invalid,
    }
}

/// UK National Insurance numbers: prefixes that HMRC never allocates are refused.
pub fn uk_nino(text: &str) -> Verdict {
    const NEVER_ALLOCATED: [&str; 7] = ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"];
    let prefix: String = text
        .chars()
        .take(2)
        .collect::<String>()
        .to_ascii_uppercase();
    if NEVER_ALLOCATED.contains(&prefix.as_str()) {
        Verdict::Invalid
    } else {
        Verdict::Plausible
    }
}

/// A date whose day and month are possible in either order, with a four-digit year in a
/// plausible range (two-digit years pass).
pub fn date(text: &str) -> Verdict {
    let numbers: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    let year_ok = |y: u32| y < 100 || (1880..=2100).contains(&y);
    let day_month_ok = |a: u32, b: u32| (1..=31).contains(&a) && (1..=12).contains(&b);
    let ok = match numbers.as_slice() {
        // Textual month: day and year only.
        [day, year] => (1..=31).contains(day) && year_ok(*year),
        [y, m, d] if *y >= 1000 => year_ok(*y) && day_month_ok(*d, *m),
        [a, b, y] => year_ok(*y) && (day_month_ok(*a, *b) || day_month_ok(*b, *a)),
        _ => false,
    };
    if ok {
        Verdict::Plausible
    } else {
        Verdict::Invalid
    }
}

/// Email addresses: the pattern is strict already; refuse dots at the ends of the local part
/// or doubled, and hyphens at the ends of a domain label.
pub fn email(text: &str) -> Verdict {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Verdict::Invalid;
    };
    let bad_local = local.starts_with('.') || local.ends_with('.') || local.contains("..");
    let bad_domain = domain
        .split('.')
        .any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-'));
    if bad_local || bad_domain {
        Verdict::Invalid
    } else {
        Verdict::Certain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_known_numbers_and_rejects_one_digit_changes() {
        for card in [
            "4111 1111 1111 1111",
            "5500-0000-0000-0004",
            "378282246310005",
            "6759649826438453",
        ] {
            assert_eq!(credit_card(card), Verdict::Certain, "{card}");
        }
        for card in [
            "4111 1111 1111 1112",
            "5500-0000-0000-0005",
            "378282246310006",
        ] {
            assert_eq!(credit_card(card), Verdict::Invalid, "{card}");
        }
        // Mixed separators, too short, all-same digits.
        assert_eq!(credit_card("4111 1111-1111 1111"), Verdict::Invalid);
        assert_eq!(credit_card("42424242424"), Verdict::Invalid);
        assert_eq!(credit_card("0000 0000 0000 0000"), Verdict::Invalid);
    }

    #[test]
    fn ssn_rules() {
        assert_eq!(us_ssn("512-44-3198"), Verdict::PlausibleAt(0.5));
        assert_eq!(us_ssn("512 44 3198"), Verdict::PlausibleAt(0.4));
        assert_eq!(us_ssn("512443198"), Verdict::PlausibleAt(0.3));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-12-3456",
            "512-00-3198",
            "512-44-0000",
            "111-11-1111",
            "078-05-1120",
            "123-45-6789",
        ] {
            assert_eq!(us_ssn(bad), Verdict::Invalid, "{bad}");
        }
    }

    #[test]
    fn iban_checks_and_trims_a_greedy_tail() {
        assert_eq!(iban("GB82 WEST 1234 5698 7654 32"), Verdict::Certain);
        assert_eq!(iban("DE89370400440532013000"), Verdict::Certain);
        assert_eq!(iban("GB82 WEST 1234 5698 7654 33"), Verdict::Invalid);
        assert_eq!(
            iban("GB82 WEST 1234 5698 7654 32 BY"),
            Verdict::CertainPrefix("GB82 WEST 1234 5698 7654 32".len())
        );
    }

    #[test]
    fn ip_nino_date_email() {
        assert_eq!(ip_address("203.0.113.45"), Verdict::Plausible);
        assert_eq!(ip_address("2001:db8:4:12::7"), Verdict::Plausible);
        assert_eq!(ip_address("256.1.1.1"), Verdict::Invalid);
        assert_eq!(ip_address("12:30:45"), Verdict::Invalid);
        assert_eq!(uk_nino("JG 10 37 42 A"), Verdict::Plausible);
        assert_eq!(uk_nino("GB 10 37 42 A"), Verdict::Invalid);
        assert_eq!(date("14/02/1988"), Verdict::Plausible);
        assert_eq!(date("1988-02-14"), Verdict::Plausible);
        assert_eq!(date("22 September 1991"), Verdict::Plausible);
        assert_eq!(date("44/44/1988"), Verdict::Invalid);
        assert_eq!(email("a.b@example.com"), Verdict::Certain);
        assert_eq!(email("a..b@example.com"), Verdict::Invalid);
        assert_eq!(email("ab@-example.com"), Verdict::Invalid);
    }
}
