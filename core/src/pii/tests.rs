use std::sync::LazyLock;

use proptest::prelude::*;

use super::*;
use crate::config::{CustomRecognizer, PiiConfig};

/// Built once: compiling the recognizers per scan would dominate the property tests.
static DETECTOR: LazyLock<Detector> =
    LazyLock::new(|| Detector::new(&PiiConfig::default()).unwrap());

fn detector() -> &'static Detector {
    &DETECTOR
}

/// (type, matched text) of every finding.
fn found(text: &str) -> Vec<(String, String)> {
    detector()
        .scan(text)
        .into_iter()
        .map(|f| (f.kind.to_string(), text[f.start..f.end].to_owned()))
        .collect()
}

fn kinds(text: &str) -> Vec<String> {
    found(text).into_iter().map(|(k, _)| k).collect()
}

fn pair(kind: &str, value: &str) -> (String, String) {
    (kind.to_owned(), value.to_owned())
}

#[test]
fn email_addresses() {
    assert_eq!(
        found("Write to jane.doe+law@firm.example.co.uk today."),
        [pair("EMAIL_ADDRESS", "jane.doe+law@firm.example.co.uk")]
    );
    assert!(kinds("not an address: jane@ or @firm.com or jane@firm").is_empty());
}

#[test]
fn phone_numbers() {
    assert_eq!(
        found("Call (503) 555-0142."),
        [pair("PHONE_NUMBER", "(503) 555-0142")]
    );
    assert_eq!(
        found("mobile +1 541-555-0187"),
        [pair("PHONE_NUMBER", "+1 541-555-0187")]
    );
    assert_eq!(
        found("tel. +44 20 7946 0321"),
        [pair("PHONE_NUMBER", "+44 20 7946 0321")]
    );
    assert_eq!(
        found("503.555.0142"),
        [pair("PHONE_NUMBER", "503.555.0142")]
    );
    // A bare ten-digit number needs context.
    assert!(kinds("reference 5035550142 applies").is_empty());
    assert_eq!(
        found("phone: 5035550142"),
        [pair("PHONE_NUMBER", "5035550142")]
    );
    // North American area codes never start with 0 or 1: without a phone word, this is no
    // number of any plan written as a phone number is.
    assert!(kinds("103-555-0142").is_empty());
}

#[test]
fn phone_numbers_in_national_formats_of_many_regions_are_found_in_context() {
    for number in [
        "(88) 684-334",
        "089 72 63 41",
        "06-24312407",
        "001-748-088-2851x818",
        "833.719.3994x1887",
        "785 8949",
        "+33 (0)1 23 45 67 89",
        "0151 1234567",
        "(11) 98765-4321",
        "+91 98765 43210",
    ] {
        let text = format!("Please call {number} tomorrow.");
        assert_eq!(found(&text), [pair("PHONE_NUMBER", number)], "{text}");
    }
}

#[test]
fn dates_amounts_references_and_sections_in_legal_text_are_no_phone_or_ip_findings() {
    let text = "Invoice INV-2024-00123 of 12-05-2024 for EUR 1 250 000 (ZIP 94107-1234). \
        Clause 6.3.4.1 applies; see also 6.3.4.2, as does 14.2.1.3 of Schedule 3.\n\
        6.3.4.1 The Initial Franchise Fee is payable. Version 2.4.1, build 2024.05.12. \
        The term ran 2015-2016 and 1998 - 2004. Case No. 2:21-cv-01234; \
        ISBN 978-3-16-148410-0; reference 2023/0456/17; 3,500,000 shares; USD 12.500.000.";
    assert_eq!(found(text), []);
}

#[test]
fn credit_cards_are_luhn_checked() {
    assert_eq!(
        found("card 4111 1111 1111 1111 on file"),
        [pair("CREDIT_CARD", "4111 1111 1111 1111")]
    );
    assert_eq!(
        found("5500-0000-0000-0004"),
        [pair("CREDIT_CARD", "5500-0000-0000-0004")]
    );
    // Amex (15) and a 12-digit Maestro-length number.
    assert_eq!(
        found("378282246310005"),
        [pair("CREDIT_CARD", "378282246310005")]
    );
    assert_eq!(found("675964982648"), [pair("CREDIT_CARD", "675964982648")]);
    // One digit changed: no longer a card.
    assert!(!kinds("card 4111 1111 1111 1112").contains(&"CREDIT_CARD".to_owned()));
    assert!(!kinds("378282246310006").contains(&"CREDIT_CARD".to_owned()));
}

#[test]
fn ibans_are_mod97_checked() {
    assert_eq!(
        found("pay to GB82 WEST 1234 5698 7654 32 by Friday"),
        [pair("IBAN_CODE", "GB82 WEST 1234 5698 7654 32")]
    );
    assert_eq!(
        found("DE89370400440532013000"),
        [pair("IBAN_CODE", "DE89370400440532013000")]
    );
    assert_eq!(
        found("IBAN FR14 2004 1010 0505 0001 3M02 606."),
        [pair("IBAN_CODE", "FR14 2004 1010 0505 0001 3M02 606")]
    );
    assert!(kinds("GB82 WEST 1234 5698 7654 33").is_empty());
    assert!(kinds("DE89370400440532013001").is_empty());
}

#[test]
fn us_ssn_rules() {
    assert_eq!(found("SSN 512-44-3198"), [pair("US_SSN", "512-44-3198")]);
    assert_eq!(
        found("social security number 512 44 3198"),
        [pair("US_SSN", "512 44 3198")]
    );
    assert_eq!(found("SSN: 512443198"), [pair("US_SSN", "512443198")]);
    // A plain nine-digit number without context is not enough.
    assert!(kinds("order 512443198 shipped").is_empty());
    for bad in [
        "SSN 512-44 3198", // mixed delimiters
        "SSN 000-44-3198",
        "SSN 666-44-3198",
        "SSN 912-44-3198",
        "SSN 512-00-3198",
        "SSN 512-44-0000",
        "SSN 222-22-2222",
        "SSN 078-05-1120",
        "SSN 123-45-6789",
    ] {
        assert!(!kinds(bad).contains(&"US_SSN".to_owned()), "{bad}");
    }
}

#[test]
fn ip_addresses() {
    assert_eq!(
        found("server 203.0.113.45 down"),
        [pair("IP_ADDRESS", "203.0.113.45")]
    );
    assert_eq!(
        found("host 2001:db8:4:12::7 up"),
        [pair("IP_ADDRESS", "2001:db8:4:12::7")]
    );
    assert!(kinds("999.1.1.1").is_empty());
    assert!(kinds("at 12:30:45 sharp").is_empty());
}

#[test]
fn section_numbers_of_four_parts_are_not_ip_addresses() {
    for text in [
        "6.3.4.1 The Initial Franchise Fee is due on signing.",
        "training is complete.\n6.3.4.2 Fees are due within ten days.",
        "### 6.3.4.1 Training Costs",
        "  (6.3.4.1) Training costs are borne by the franchisee.",
        "as set out in Section 6.3.4.1 of this Agreement",
        "under § 6.3.4.1 above",
        "subject to clauses 6.3.4.1, 6.3.4.2 and 6.3.4.3",
        "Sections 6.3.4.1 to 6.3.4.9 apply.",
    ] {
        assert!(
            !kinds(text).contains(&"IP_ADDRESS".to_owned()),
            "{text}: {:?}",
            found(text)
        );
    }
    // An address in running text, or named as one at a line's start, is still found.
    for (text, ip) in [
        ("The portal moved to 10.0.0.12 on Monday.", "10.0.0.12"),
        ("Connect to 192.168.1.20 and retry.", "192.168.1.20"),
        (
            "The files are kept at\n203.0.113.45 until June.",
            "203.0.113.45",
        ),
        (
            "192.168.1.20 server refused the connection.",
            "192.168.1.20",
        ),
    ] {
        assert!(
            found(text).contains(&pair("IP_ADDRESS", ip)),
            "{text}: {:?}",
            found(text)
        );
    }
}

#[test]
fn uk_national_insurance_numbers() {
    assert_eq!(
        found("NI number JG 10 37 42 A"),
        [pair("UK_NINO", "JG 10 37 42 A")]
    );
    assert_eq!(found("JG103742A"), [pair("UK_NINO", "JG103742A")]);
    // D, F, I, Q, U, V never start a NINO; GB is never allocated.
    assert!(kinds("QQ 12 34 56 C").is_empty());
    assert!(kinds("GB 10 37 42 A").is_empty());
}

#[test]
fn people_introduced_by_title_or_role() {
    assert_eq!(
        found("represented by Dr. Priya Raman, CTO"),
        [pair("PERSON", "Priya Raman")]
    );
    assert_eq!(
        found("Ms Angela Whitfield said"),
        [pair("PERSON", "Angela Whitfield")]
    );
    assert_eq!(
        found("the defendant John O'Neill appeared"),
        [pair("PERSON", "John O'Neill")]
    );
    assert!(kinds("the defendant The Company appeared").is_empty());
    assert_eq!(
        found("Plaintiffs Mary Jones and others; CLAIMANT: Omar Haddad"),
        [pair("PERSON", "Mary Jones"), pair("PERSON", "Omar Haddad")]
    );
    assert!(kinds("Angela Whitfield said").is_empty());
    // A name ends at a table cell; French and German titles count too.
    assert_eq!(
        found("Ms. Eleanor Vance\tCarried"),
        [pair("PERSON", "Eleanor Vance")]
    );
    assert_eq!(
        found("avec Mme Sophie Lefèvre hier"),
        [pair("PERSON", "Sophie Lefèvre")]
    );
}

#[test]
fn dates_of_birth_need_birth_context() {
    assert_eq!(
        found("born 22.09.1991 in Munich"),
        [pair("DATE_OF_BIRTH", "22.09.1991")]
    );
    assert_eq!(
        found("date of birth 14/02/1988"),
        [pair("DATE_OF_BIRTH", "14/02/1988")]
    );
    assert_eq!(
        found("DOB: 3 July 1975"),
        [pair("DATE_OF_BIRTH", "3 July 1975")]
    );
    assert!(kinds("signed on 14/02/1988").is_empty());
    // Only the date next to "born" is a birth date.
    assert_eq!(
        found("born on 03/07/1975, asked on 12 January 2026"),
        [pair("DATE_OF_BIRTH", "03/07/1975")]
    );
    assert!(kinds("born 44/44/1988").is_empty());
}

#[test]
fn overlaps_keep_the_higher_score_then_the_longer_span() {
    let text = "card 4111-1111-1111-1111";
    let findings = detector().scan(text);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, PiiKind::CreditCard);
    assert_eq!(findings[0].score, 1.0);
}

#[test]
fn threshold_drops_weak_findings() {
    let strict = Detector::new(&PiiConfig {
        threshold: 0.9,
        ..PiiConfig::default()
    })
    .unwrap();
    let text = "SSN 512-44-3198, card 4111 1111 1111 1111";
    let kinds: Vec<_> = strict.scan(text).into_iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [PiiKind::CreditCard]);
}

#[test]
fn custom_recognizers_from_config() {
    let detector = Detector::new(&PiiConfig {
        custom: vec![CustomRecognizer {
            name: "EMPLOYEE_ID".into(),
            regex: r"\bEMP-\d{6}\b".into(),
            score: 0.4,
            context: vec!["Employee".into()],
        }],
        ..PiiConfig::default()
    })
    .unwrap();
    // 0.4 alone is under the threshold; the context word lifts it.
    assert!(detector.scan("badge EMP-123456").is_empty());
    let findings = detector.scan("employee EMP-123456");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind.as_str(), "EMPLOYEE_ID");
    assert!((findings[0].score - 0.75).abs() < 1e-6);
}

#[test]
fn char_offsets_count_characters_not_bytes() {
    let text = "Zoë → müller@example.de and ☎ (503) 555-0142";
    let findings = detector().scan(text);
    let offsets = char_offsets(text, &findings);
    let chars: Vec<char> = text.chars().collect();
    let values: Vec<String> = offsets
        .iter()
        .map(|&(s, e)| chars[s..e].iter().collect())
        .collect();
    assert_eq!(values, ["müller@example.de", "(503) 555-0142"]);
}

#[test]
fn placeholders_are_stable_within_a_document() {
    let text = "ann@x.example wrote to bob@y.example; ann@x.example replied. Call (503) 555-0142.";
    let findings = detector().scan(text);
    let redaction = redact(text, &findings);
    assert_eq!(
        redaction.text,
        "[EMAIL_ADDRESS_1] wrote to [EMAIL_ADDRESS_2]; [EMAIL_ADDRESS_1] replied. Call [PHONE_NUMBER_1]."
    );
    assert_eq!(redaction.originals["[EMAIL_ADDRESS_2]"], "bob@y.example");
    assert_eq!(redaction.restore(&redaction.text), text);
}

/// Appends the Luhn check digit to `body`.
fn with_luhn_digit(body: &[u8]) -> Vec<u8> {
    let check = (0..10u8)
        .find(|d| {
            let mut all = body.to_vec();
            all.push(*d);
            validate::luhn(&all)
        })
        .unwrap();
    let mut all = body.to_vec();
    all.push(check);
    all
}

/// Computes an IBAN's check digits for `country` and `bban` (ISO 13616 mod 97).
fn iban_with_check(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let remainder = rearranged.chars().fold(0u64, |acc, c| {
        let value = c.to_digit(36).unwrap() as u64;
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    });
    format!("{country}{:02}{bban}", 98 - remainder)
}

fn grouped(digits: &str) -> String {
    digits
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z]{1,9}", 0..12).prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn generated_cards_are_found_and_mutated_ones_are_not(
        body in prop::collection::vec(0u8..10, 15),
        before in words(),
        after in words(),
        position in 0usize..16,
        delta in 1u8..10,
    ) {
        let mut digits = vec![4u8];
        digits.extend_from_slice(&body[..14]);
        let digits = with_luhn_digit(&digits);
        let number: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        prop_assume!(!digits.windows(2).all(|w| w[0] == w[1]));
        let card = grouped(&number);
        let text = format!("{before} {card} {after}");
        let findings = detector().scan(&text);
        prop_assert!(
            findings.iter().any(|f| f.kind == PiiKind::CreditCard && text[f.start..f.end] == card),
            "{text}"
        );

        let mut mutated = digits.clone();
        mutated[position] = (mutated[position] + delta) % 10;
        let number: String = mutated.iter().map(|d| char::from(b'0' + d)).collect();
        let text = format!("{before} {} {after}", grouped(&number));
        prop_assert!(!detector().scan(&text).iter().any(|f| f.kind == PiiKind::CreditCard), "{text}");
    }

    #[test]
    fn generated_ibans_are_found_and_mutated_ones_are_not(
        account in "[0-9]{14}",
        before in words(),
        after in words(),
        position in 4usize..22,
        delta in 1u32..10,
    ) {
        let iban = iban_with_check("GB", &format!("WEST{account}"));
        let printed = grouped(&iban);
        let text = format!("{before} {printed} {after}");
        let findings = detector().scan(&text);
        prop_assert!(
            findings.iter().any(|f| f.kind == PiiKind::IbanCode && text[f.start..f.end] == printed),
            "{text}"
        );

        // Change one digit (positions 4..8 are the bank code letters: skip them).
        prop_assume!(!(4..8).contains(&position));
        let mut chars: Vec<char> = iban.chars().collect();
        let digit = chars[position].to_digit(10).unwrap();
        chars[position] = char::from_digit((digit + delta) % 10, 10).unwrap();
        let mutated: String = chars.into_iter().collect();
        let text = format!("{before} {} {after}", grouped(&mutated));
        prop_assert!(!detector().scan(&text).iter().any(|f| f.kind == PiiKind::IbanCode), "{text}");
    }
}

/// Pieces of text that make recognizers fire, half-fire or stop: PII in every format,
/// digits, colons, words of several scripts, and whitespace of every kind.
fn mixed_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("512-44-3198".to_owned()),
        Just("512 44 3198".to_owned()),
        Just("4111 1111 1111 1111".to_owned()),
        Just("GB82 WEST 1234 5698 7654 32".to_owned()),
        Just("+44 20 7946 0958".to_owned()),
        Just("(503) 555-0142".to_owned()),
        Just("192.168.40.17".to_owned()),
        Just("dead:beef::cafe".to_owned()),
        Just("QQ 12 34 56 C".to_owned()),
        Just("born".to_owned()),
        Just("September".to_owned()),
        Just("12th".to_owned()),
        Just("2020,".to_owned()),
        Just("14/03/1981".to_owned()),
        Just("Mr Jonah Whitfield".to_owned()),
        Just("ann.lee@example.com".to_owned()),
        Just("Zoë".to_owned()),
        Just("ссылка".to_owned()),
        "[a-zA-Z]{1,12}",
        "[0-9]{1,12}",
        "[0-9:.\\-/ ]{1,8}",
        "[ \t\n]{1,20}",
        // Birth dates spread out by whitespace, within the reach the zones allow.
        ("[ \t\n]{1,20}", "[ \t\n]{1,20}", "[ \t\n]{1,20}")
            .prop_map(|(a, b, c)| { format!("born{a}12th{b}September{c}1981") }),
        ("[ \t\n]{1,20}", "[ \t\n]{1,20}")
            .prop_map(|(a, b)| format!("DOB: September{a}12,{b}1981")),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn scanning_only_around_digits_finds_what_scanning_everything_finds(text in mixed_text()) {
        let everything = detector().scan_in(&text, std::slice::from_ref(&(0..text.len())));
        prop_assert_eq!(detector().scan(&text), everything, "{:?}", text);
    }
}

#[test]
fn names_in_signature_and_notice_blocks_are_found_but_not_titles_or_firms() {
    assert_eq!(
        found("Attn: Peter Stanway\nName: Barry Canton\nBy: /s/ Jane Q. Public"),
        [
            pair("PERSON", "Peter Stanway"),
            pair("PERSON", "Barry Canton"),
            pair("PERSON", "Jane Q. Public")
        ]
    );
    assert_eq!(
        found("BY:   /S/ KATHLEEN A. MCGAH     TITLE:   VICE PRESIDENT"),
        [pair("PERSON", "KATHLEEN A. MCGAH")]
    );
    assert_eq!(
        found("Signature \"/s/ Duncan Nightingale\" Name: Rafael Espinosa Rozo Vertex Energy"),
        [
            pair("PERSON", "Duncan Nightingale"),
            pair("PERSON", "Rafael Espinosa Rozo")
        ]
    );
    assert_eq!(
        found("Attention: Professor Mervyn Humphreys, Director"),
        [pair("PERSON", "Mervyn Humphreys")]
    );
    assert!(kinds("Attention: General Counsel Facsimile: (none)").is_empty());
    assert!(kinds("Attn: Accounts Payable. Name: Title: Date:").is_empty());
    assert!(kinds("Licensee Name: Acme Widgets Inc, a Delaware corporation").is_empty());
    assert!(kinds("Attention: Order Fulfillment Services").is_empty());
}

#[test]
fn the_cue_after_a_name_is_read_again_for_the_next_name() {
    assert_eq!(
        found("Attention:   Michael J. Lerner   Attention:   Joseph K. Wyatt"),
        [
            pair("PERSON", "Michael J. Lerner"),
            pair("PERSON", "Joseph K. Wyatt")
        ]
    );
    assert_eq!(
        found("Name: Irwin Schneidmill          Name: Rakesh K. Kaul   Title: President"),
        [
            pair("PERSON", "Irwin Schneidmill"),
            pair("PERSON", "Rakesh K. Kaul")
        ]
    );
}

#[test]
fn a_name_found_once_is_found_wherever_the_document_writes_it() {
    let text = "By: /s/ Timothy Hassett___ printed: ___TIMOTHY HASSETT__ and Timothy\n  Hassett \
                signed; Timothy Hassetts is not him.";
    assert_eq!(
        found(text),
        [
            pair("PERSON", "Timothy Hassett"),
            pair("PERSON", "TIMOTHY HASSETT"),
            pair("PERSON", "Timothy\n  Hassett")
        ]
    );
    // Two signatures side by side: the first name ends where the second, written
    // elsewhere, begins.
    assert_eq!(
        found("By: /s/George Bogle By: /s/Fred Zolla George Bogle, CEO"),
        [
            pair("PERSON", "George Bogle"),
            pair("PERSON", "Fred Zolla"),
            pair("PERSON", "George Bogle")
        ]
    );
}

#[test]
fn a_name_the_document_also_writes_as_a_firms_is_no_person() {
    let text = "Dialog Semiconductor (UK) Ltd, a company … Third Party's Name: Dialog \
                Semiconductor [entity]";
    assert!(kinds(text).is_empty());
}

#[test]
fn a_section_number_after_a_phone_number_is_not_part_of_it() {
    assert_eq!(
        found("Telephone: +1 484.652.0223 12.2 Assignment. Neither party may assign"),
        [pair("PHONE_NUMBER", "+1 484.652.0223")]
    );
    assert!(kinds("as required by 9.2.7.3 of the Agreement and 10.1.2.4").is_empty());
}
