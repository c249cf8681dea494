use proptest::prelude::*;

use super::*;
use crate::answer::tests::source;

fn lease() -> Vec<Source> {
    vec![
        source(
            1,
            "The Tenant pays rent of $1,200 on the first day of each month. \
             The security deposit is returned within 30 days of the lease ending.",
        ),
        source(
            2,
            "This Agreement is governed by the laws of the State of Oregon. \
             Either party may terminate it with ninety (90) days' written notice.",
        ),
    ]
}

fn only(answer: &str, sources: &[Source]) -> SentenceSupport {
    let mut grounding = check(answer, sources);
    assert_eq!(grounding.sentences.len(), 1, "{:?}", grounding.sentences);
    grounding.sentences.remove(0)
}

#[test]
fn a_paraphrase_with_the_passages_numbers_is_supported_and_points_to_its_evidence() {
    let s = only(
        "The deposit is returned within 30 days after the lease ends [1].",
        &lease(),
    );
    assert_eq!(s.support, Support::Supported, "{s:?}");
    assert_eq!(s.citations, [1]);
    assert_eq!(s.evidence, Some(1));
    assert!(s.unsupported_terms.is_empty());
}

#[test]
fn a_number_the_cited_passage_does_not_hold_makes_the_sentence_unsupported() {
    let s = only(
        "The deposit is returned within 45 days after the lease ends [1].",
        &lease(),
    );
    assert_eq!(s.support, Support::Unsupported);
    assert_eq!(s.unsupported_terms, ["45 days"]);
}

#[test]
fn numbers_match_as_numbers_not_as_text() {
    let sources = lease();
    assert_eq!(
        only("The monthly rent is $1200 [1].", &sources).support,
        Support::Supported
    );
    let s = only("The deposit comes back within 300 days [1].", &sources);
    assert_eq!(s.support, Support::Unsupported, "30 is not 300");
    assert_eq!(s.unsupported_terms, ["300 days"]);
}

#[test]
fn a_quotation_must_be_verbatim_after_normalising_quotes_and_spaces() {
    let sources = lease();
    let s = only(
        "The lease says “governed by the  laws of the State of Oregon” [2].",
        &sources,
    );
    assert_eq!(s.support, Support::Supported, "{s:?}");
    let s = only(
        "The lease says \"governed by the laws of Oregon\" [2].",
        &sources,
    );
    assert_eq!(s.support, Support::Unsupported);
    assert_eq!(s.unsupported_terms, ["\"governed by the laws of Oregon\""]);
}

#[test]
fn a_name_the_passages_do_not_hold_makes_the_sentence_partly_supported_naming_it() {
    let s = only(
        "The agreement is governed by the laws of the State of Washington [2].",
        &lease(),
    );
    assert_eq!(s.support, Support::PartlySupported);
    assert_eq!(s.unsupported_terms, ["Washington"]);
}

#[test]
fn a_sentence_is_checked_against_the_passages_it_cites_only() {
    // True of passage 2, but it cites passage 1.
    let s = only(
        "Either party may terminate with ninety days' notice [1].",
        &lease(),
    );
    assert_ne!(s.support, Support::Supported, "{s:?}");
    assert_eq!(s.citations, [1]);
}

#[test]
fn a_sentence_citing_nothing_is_checked_against_every_passage() {
    let sources = lease();
    let s = only("Either party may terminate with 90 days' notice.", &sources);
    assert_eq!(s.support, Support::Uncited);
    assert_eq!(s.evidence, Some(2));
    let s = only(
        "The landlord must repaint the flat every 2 years.",
        &sources,
    );
    assert_eq!(s.support, Support::Unsupported);
    assert!(s.unsupported_terms.contains(&"2 years".to_owned()));
}

#[test]
fn an_uncited_value_must_stand_in_a_passage_saying_what_the_sentence_says() {
    let sources = [
        source(
            1,
            "The initial term of this Agreement is one (1) year from the Effective Date.",
        ),
        source(
            2,
            "The Supplier warrants the equipment for 2 years after delivery.",
        ),
    ];
    let s = only("The initial term of the agreement is 2 years.", &sources);
    assert_eq!(s.support, Support::Unsupported, "{s:?}");
    assert_eq!(s.unsupported_terms, ["2 years"]);
    let s = only("The initial term of the agreement is 12 months.", &sources);
    assert_eq!(s.support, Support::Uncited, "{s:?}");
    // A sentence no passage says: its wording is missing, its values are not.
    let s = only(
        "Pets, parking and gardening are covered for 2 years by the caretaker.",
        &sources,
    );
    assert_eq!(s.support, Support::Unsupported, "{s:?}");
    assert!(
        !s.unsupported_terms.contains(&"2 years".to_owned()),
        "{s:?}"
    );
}

#[test]
fn a_correct_draft_citing_nothing_warrants_no_warning() {
    let grounding = check(
        "The rent is $1,200 on the first of each month. \
         Either party may terminate with 90 days' notice.",
        &lease(),
    );
    assert_eq!(grounding.grounded, 0.0, "nothing is cited");
    assert_eq!(grounding.borne_out, 1.0);
    assert!(!grounding.warrants_warning(0.5));
}

#[test]
fn a_wrong_number_warrants_a_warning_however_much_else_is_borne_out() {
    let grounding = check(
        "The rent is $1,200 on the first of each month [1]. \
         Either party may terminate with 90 days' notice [2]. \
         The agreement is governed by Oregon law [2]. \
         The deposit is returned within 45 days [1].",
        &lease(),
    );
    assert_eq!(grounding.borne_out, 0.75);
    assert!(grounding.warrants_warning(0.5));
    let wrong: Vec<&SentenceSupport> = grounding.unsupported().collect();
    assert_eq!(wrong.len(), 1);
    assert_eq!(wrong[0].unsupported_terms, ["45 days"]);
}

#[test]
fn a_partly_supported_answer_warrants_a_warning_only_below_min_grounded() {
    let grounding = check(
        "The rent is $1,200 a month [1]. \
         The agreement is governed by the laws of the State of Washington [2].",
        &lease(),
    );
    let kinds: Vec<Support> = grounding.sentences.iter().map(|s| s.support).collect();
    assert_eq!(kinds, [Support::Supported, Support::PartlySupported]);
    assert_eq!(grounding.borne_out, 0.5);
    assert!(grounding.warrants_warning(0.6));
    assert!(!grounding.warrants_warning(0.5));
}

#[test]
fn little_shared_wording_is_unsupported_even_without_numbers() {
    let s = only(
        "Pets are forbidden and smoking indoors incurs penalties [1].",
        &lease(),
    );
    assert_eq!(s.support, Support::Unsupported, "{s:?}");
    assert!(s.unsupported_terms.contains(&"Pets".to_owned()));
}

#[test]
fn markers_pointing_to_no_passage_are_not_citations() {
    let s = only("The rent is $1,200 a month [1][7].", &lease());
    assert_eq!(s.citations, [1]);
    assert_eq!(s.support, Support::Supported);
}

#[test]
fn the_grounded_ratio_counts_sentences_that_state_something() {
    let answer = "Here it is:\nThe rent is $1,200 a month [1]. \
                  The deposit is returned within 45 days [1].";
    let grounding = check(answer, &lease());
    let kinds: Vec<Support> = grounding.sentences.iter().map(|s| s.support).collect();
    assert_eq!(
        kinds,
        [Support::Uncited, Support::Supported, Support::Unsupported],
        "{:?}",
        grounding.sentences
    );
    // "Here it is:" states nothing, so it counts for neither side.
    assert!(
        (grounding.grounded - 0.5).abs() < 1e-9,
        "{}",
        grounding.grounded
    );
    assert_eq!(grounding.unsupported().count(), 1);
}

#[test]
fn sentence_ranges_cover_the_answer_and_decimals_do_not_end_a_sentence() {
    let answer = "Rent rose 2.5 percent [1]. Notice is 90 days!\nDone";
    let grounding = check(answer, &lease());
    let texts: Vec<&str> = grounding
        .sentences
        .iter()
        .map(|s| &answer[s.start..s.end])
        .collect();
    assert_eq!(
        texts,
        ["Rent rose 2.5 percent [1].", "Notice is 90 days!", "Done"]
    );
    for s in &grounding.sentences {
        assert_eq!(s.text, &answer[s.start..s.end]);
    }
}

/// Passages of ordinary words and numbers, one sentence picked from them.
fn passage_and_sentence() -> impl Strategy<Value = (Vec<String>, usize)> {
    let word = prop::sample::select(vec![
        "tenant",
        "landlord",
        "deposit",
        "returned",
        "notice",
        "written",
        "agreement",
        "terminate",
        "payment",
        "monthly",
        "supplier",
        "delivers",
        "goods",
        "buyer",
        "invoice",
        "Oregon",
        "Acme",
        "Section",
        "insurance",
        "liability",
    ]);
    let token = prop_oneof![
        4 => word.prop_map(str::to_owned),
        1 => (1u32..100_000).prop_map(|n| n.to_string()),
    ];
    let sentence = prop::collection::vec(token, 3..14).prop_map(|tokens| {
        let mut text = tokens.join(" ");
        if let Some(first) = text.get(..1) {
            text = first.to_uppercase() + &text[1..];
        }
        text + "."
    });
    prop::collection::vec(sentence, 1..6).prop_flat_map(|sentences| {
        let n = sentences.len();
        (Just(sentences), 0..n)
    })
}

proptest! {
    #[test]
    fn a_sentence_copied_from_its_cited_passage_is_always_supported(
        (sentences, pick) in passage_and_sentence()
    ) {
        let passage = sentences.join(" ");
        let copied = format!("{} [1]", sentences[pick].trim_end_matches('.'));
        let s = only(&(copied + "."), &[source(1, &passage)]);
        prop_assert_eq!(s.support, Support::Supported, "{:?}", s);
    }

    #[test]
    fn changing_one_number_of_a_copied_sentence_makes_it_unsupported(
        (sentences, pick) in passage_and_sentence(),
        bump in 1u64..1000,
    ) {
        let passage = sentences.join(" ");
        let sentence = sentences[pick].trim_end_matches('.');
        let in_passage: HashSet<String> = numbers(&passage).into_iter().collect();
        let Some(old) = numbers(sentence).into_iter().next() else {
            return Ok(()); // no number to change
        };
        let mut new = old.parse::<u64>().unwrap_or(0) + bump;
        while in_passage.contains(&new.to_string()) {
            new += 1;
        }
        let changed = sentence
            .split(' ')
            .map(|t| if t == old { new.to_string() } else { t.to_owned() })
            .collect::<Vec<_>>()
            .join(" ");
        let s = only(&format!("{changed} [1]."), &[source(1, &passage)]);
        prop_assert_eq!(s.support, Support::Unsupported, "{:?}", s);
        prop_assert!(s.unsupported_terms.contains(&new.to_string()));
    }
}

#[test]
fn a_period_is_checked_as_a_period_not_as_the_digits_around_it() {
    let term = [source(
        1,
        "10. TERM. This Agreement shall continue for a period of one (1) year from the \
         Effective Date, as set out in Section 10.",
    )];
    let wrong = only("The agreement runs for 10 years [1].", &term);
    assert_eq!(wrong.support, Support::Unsupported, "{wrong:?}");
    assert_eq!(wrong.unsupported_terms, ["10 years"]);
    let right = only("The agreement runs for twelve months [1].", &term);
    assert_eq!(right.support, Support::Supported, "{right:?}");
}

#[test]
fn a_period_spelled_in_words_is_compared_with_its_figure() {
    let term = [source(
        1,
        "6.1 The initial term is sixty (60) months. Either party may extend it by notice \
         given six months before the term ends.",
    )];
    let wrong = only("The initial term is 6 years [1].", &term);
    assert_eq!(wrong.support, Support::Unsupported, "{wrong:?}");
    assert_eq!(
        only("The initial term is 60 months [1].", &term).support,
        Support::Supported
    );
    assert_eq!(
        only("The initial term is five years [1].", &term).support,
        Support::Supported,
        "five years are sixty months"
    );
}

#[test]
fn amounts_and_dates_are_compared_however_they_are_written() {
    let cap = [source(
        1,
        "Liability is capped at five million dollars ($5,000,000). This Agreement is dated \
         the 1st day of July, 2020.",
    )];
    assert_eq!(
        only("Liability is capped at USD 5 million [1].", &cap).support,
        Support::Supported
    );
    assert_eq!(
        only("Liability is capped at $500,000 [1].", &cap).support,
        Support::Unsupported
    );
    assert_eq!(
        only("The agreement is dated July 1, 2020 [1].", &cap).support,
        Support::Supported
    );
    assert_eq!(
        only("The agreement is dated July 10, 2020 [1].", &cap).support,
        Support::Unsupported
    );
}
