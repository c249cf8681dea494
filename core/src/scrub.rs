//! Masks what looks like personal data in text bound for logs and crash reports.
//!
//! This is the one place telemetry asks "could this be PII?"; it stays deliberately broad
//! (any email address, any long run of digits) because a crash report leaves the reviewer's
//! hands. The full PII recognisers in `pii` are for documents, where precision matters.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// An email address: anything@domain.tld.
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}").ok()
});

/// Seven or more digits, possibly split by single spaces, dots or dashes: phone, card,
/// account and identity numbers, dates of birth.
static DIGITS: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\d(?:[ .\-]?\d){6,}").ok());

/// Returns `text` with email addresses replaced by `[email]` and long digit runs by
/// `[number]`. Borrowed when nothing matched.
pub fn mask(text: &str) -> Cow<'_, str> {
    let (Some(email), Some(digits)) = (EMAIL.as_ref(), DIGITS.as_ref()) else {
        // Unreachable with the patterns above (a unit test compiles them); if it ever
        // happened, hiding everything is the safe failure.
        return Cow::Borrowed("[redacted]");
    };
    match email.replace_all(text, "[email]") {
        Cow::Borrowed(_) => digits.replace_all(text, "[number]"),
        Cow::Owned(masked) => Cow::Owned(digits.replace_all(&masked, "[number]").into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_emails_and_long_digit_runs() {
        assert!(EMAIL.is_some() && DIGITS.is_some());
        assert_eq!(
            mask("mail jane.doe+law@firm.example.co.uk or call 415-555-0199"),
            "mail [email] or call [number]"
        );
        assert_eq!(mask("card 4111 1111 1111 1111."), "card [number].");
        assert_eq!(mask("ssn 078-05-1120"), "ssn [number]");
    }

    #[test]
    fn leaves_ordinary_text_borrowed() {
        let text = "index out of bounds: the len is 3 but the index is 12 at src/x.rs:120:5";
        assert!(matches!(mask(text), Cow::Borrowed(_)));
    }
}
