//! The search-term report: matching, phrases, wildcards, OR, and the counts counsel read.

use super::*;

fn hits(term: &str, text: &str) -> usize {
    let mut stemmer = Stemmer::new();
    let term = Term::parse(term, &mut stemmer).unwrap();
    let terms = Terms::new(std::slice::from_ref(&term));
    Reader::new(&terms).count(text)[0]
}

#[test]
fn words_are_stemmed_and_must_all_appear_in_the_document() {
    assert_eq!(
        hits(
            "terminate",
            "Either party may terminate. Termination is final."
        ),
        2
    );
    assert_eq!(
        hits("liability cap", "The cap applies. Liability is limited."),
        2
    );
    assert_eq!(hits("liability cap", "Liability is limited."), 0);
}

#[test]
fn a_quoted_phrase_must_appear_in_order_and_counts_once_per_place() {
    let text = "governed by the laws of England; the laws of Wales govern";
    assert_eq!(hits("\"governed by the laws\"", text), 1);
    assert_eq!(hits("\"laws governed\"", text), 0);
    assert_eq!(hits("\"the laws of\"", text), 2);
}

#[test]
fn a_trailing_star_matches_words_starting_so_and_or_joins_alternatives() {
    let text = "Supplier shall indemnify Customer; indemnities survive. Hold harmless.";
    assert_eq!(hits("indemn*", text), 2);
    assert_eq!(hits("indemn* OR \"hold harmless\"", text), 3);
    assert_eq!(hits("arbitration OR \"hold harmless\"", text), 1);
    assert_eq!(hits("arbitration OR mediation", text), 0);
    // Lower-case "or" is a word like any other.
    assert_eq!(hits("indemnify or harmless", text), 0);
}

#[test]
fn numbers_are_words_too() {
    assert_eq!(
        hits("\"ISO 27001\"", "certified to ISO 27001 and ISO 9001"),
        1
    );
}

#[test]
fn terms_that_cannot_be_searched_are_errors_naming_them() {
    let mut stemmer = Stemmer::new();
    for (term, why) in [
        ("\"open", "unclosed quote"),
        ("OR contract", "OR without a word"),
        ("contract OR", "ends with OR"),
        ("in*", "wildcard after fewer than three"),
        ("-- ..", "no word"),
    ] {
        let error = Term::parse(term, &mut stemmer).unwrap_err().to_string();
        assert!(error.contains(why), "{term}: {error}");
        assert!(error.contains(&format!("{term:?}")), "{error}");
    }
}

#[test]
fn unique_hits_and_families_are_counted_as_counsel_count_them() {
    let mut stemmer = Stemmer::new();
    let terms = vec![
        Term::parse("indemnify", &mut stemmer).unwrap(),
        Term::parse("arbitration", &mut stemmer).unwrap(),
    ];
    // Documents 1 (email) with attachments 2 and 3; document 4 on its own.
    let searched = [
        Searched {
            doc_id: 1,
            family: 1,
            thread: None,
        },
        Searched {
            doc_id: 2,
            family: 1,
            thread: None,
        },
        Searched {
            doc_id: 3,
            family: 1,
            thread: None,
        },
        Searched {
            doc_id: 4,
            family: 4,
            thread: None,
        },
    ];
    let texts = [
        "please indemnify us",
        "indemnify and indemnify again; arbitration",
        "nothing here",
        "arbitration in London",
    ];
    let compiled = Terms::new(&terms);
    let mut counter = HitCounter::new(&compiled);
    for text in texts {
        counter.add(text);
    }
    let counts = counter.finish();
    let report = TermsReport::count(&terms, &searched, &counts);
    let indemnify = &report.terms[0];
    assert_eq!(
        (
            indemnify.documents,
            indemnify.unique_documents,
            indemnify.hits
        ),
        (2, 1, 3)
    );
    assert_eq!(
        (
            indemnify.families,
            indemnify.family_documents,
            indemnify.unique_families
        ),
        (1, 3, 0)
    );
    assert_eq!(indemnify.doc_ids, [1, 2]);
    let arbitration = &report.terms[1];
    assert_eq!(
        (
            arbitration.documents,
            arbitration.unique_documents,
            arbitration.hits
        ),
        (2, 1, 2)
    );
    assert_eq!(
        (
            arbitration.families,
            arbitration.family_documents,
            arbitration.unique_families
        ),
        (2, 4, 1)
    );
    assert_eq!(
        (
            report.documents_searched,
            report.families_searched,
            report.documents_hit,
            report.families_hit,
            report.family_documents_hit
        ),
        (4, 2, 3, 2, 4)
    );
}

#[test]
fn a_missing_terms_file_is_an_error_naming_it_not_a_term() {
    let error = terms_from(&["indemn*".into(), "agreed-terms.txt".into()])
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("cannot read the terms file agreed-terms.txt: no such file"),
        "{error}"
    );
}

#[test]
fn the_table_lines_are_the_term_width_and_the_counts_width_long() {
    let mut stemmer = Stemmer::new();
    let terms = vec![Term::parse("indemnification", &mut stemmer).unwrap()];
    let searched = [Searched {
        doc_id: 1,
        family: 1,
        thread: None,
    }];
    let report = TermsReport::count(&terms, &searched, &[vec![2]]);
    let (header, rows) = report.table(10);
    for line in std::iter::once(&header).chain(&rows) {
        assert_eq!(
            line.chars().count(),
            10 + TermsReport::COUNTS_WIDTH,
            "{line}"
        );
    }
    assert!(rows[0].starts_with("indemnifi…"), "{}", rows[0]);
}

#[test]
fn a_terms_file_skips_blank_lines_and_comments() {
    assert_eq!(
        terms_of_file("# agreed 2026-11-20\nindemn*\n\n  \"hold harmless\"  \n"),
        ["indemn*", "\"hold harmless\""]
    );
}

#[test]
fn threads_are_counted_once_however_many_of_their_messages_a_term_hits() {
    let mut stemmer = Stemmer::new();
    let terms = vec![
        Term::parse("indemnify", &mut stemmer).unwrap(),
        Term::parse("arbitration", &mut stemmer).unwrap(),
    ];
    // Messages 1 and 4 of thread 1 (1 with attachment 2); message 5 of thread 5; 6 no e-mail.
    let doc = |doc_id, family, thread| Searched {
        doc_id,
        family,
        thread,
    };
    let searched = [
        doc(1, 1, Some(1)),
        doc(2, 1, Some(1)),
        doc(4, 4, Some(1)),
        doc(5, 5, Some(5)),
        doc(6, 6, None),
    ];
    let texts = [
        "please indemnify us",
        "indemnify again",
        "we indemnify",
        "arbitration only",
        "indemnify and arbitration",
    ];
    let compiled = Terms::new(&terms);
    let mut counter = HitCounter::new(&compiled);
    for text in texts {
        counter.add(text);
    }
    let report = TermsReport::count(&terms, &searched, &counter.finish());
    let (indemnify, arbitration) = (&report.terms[0], &report.terms[1]);
    assert_eq!((indemnify.documents, indemnify.threads), (4, 1));
    assert_eq!((arbitration.documents, arbitration.threads), (2, 1));
    assert_eq!((report.threads_searched, report.threads_hit), (2, 2));
    assert!(
        report
            .text(&crate::report::tests::made("2026-12-05T10:00:00Z"))
            .contains("E-mail threads: 2 of 2 hit by any term."),
        "{}",
        report.text(&crate::report::tests::made("2026-12-05T10:00:00Z"))
    );
}

/// The CUAD contracts beside the repository (or in `KODIAK_CUAD_DIR`): real text the project
/// did not write.
pub(super) fn cuad_contracts() -> Vec<String> {
    let dir = std::env::var_os("KODIAK_CUAD_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/cuad-train")
        })
        .join("contracts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{} is needed (the CUAD contracts beside the repository, or KODIAK_CUAD_DIR): {e}",
                dir.display()
            )
        })
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap_or_default())
        .collect()
}

#[test]
fn the_prefix_rule_holds_for_every_word_of_the_cuad_contracts() {
    // Real words the project did not write: every start of three letters or more of each
    // must admit the word's stem, or the report would skip a document it hits.
    let mut seen = HashSet::new();
    for text in &cuad_contracts() {
        for word in words(text).filter(|w| w.len() < crate::text::LONGEST_WORD) {
            seen.insert(crate::text::folded(word));
        }
    }
    // Snowball's irregular forms, whatever the contracts hold.
    seen.extend(["dying", "lying", "tying", "skies", "ugly", "early"].map(String::from));
    assert!(seen.len() > 20_000, "{} words", seen.len());
    let mut stemmer = Stemmer::new();
    let (mut checked, mut missed) = (0, Vec::new());
    for word in &seen {
        let stem = stemmer.key(word);
        let chars: Vec<char> = word.chars().collect();
        for end in 3..=chars.len() {
            let prefix: String = chars[..end].iter().collect();
            if !stem_may_come_from_prefix(&stem, &prefix) {
                missed.push(format!("{word:?} (stem {stem:?}) starts with {prefix:?}"));
            }
            checked += 1;
        }
    }
    assert!(
        missed.is_empty(),
        "{} missed: {:?}",
        missed.len(),
        &missed[..missed.len().min(40)]
    );
    assert!(checked > 100_000);
    // And it is a filter: most stems are ruled out.
    assert!(!stem_may_come_from_prefix("indemn", "insur"));
    assert!(!stem_may_come_from_prefix("confidenti", "conf0"));
}

#[test]
fn a_terms_needed_words_are_each_alternatives_first_words_with_prefixes_folded() {
    let mut stemmer = Stemmer::new();
    let term = Term::parse("\"hold harmless\" Café* OR indemnities", &mut stemmer).unwrap();
    assert_eq!(
        term.needed(),
        vec![
            vec![Needed::Stem("hold".into()), Needed::Prefix("cafe".into())],
            vec![Needed::Stem("indemn".into())],
        ]
    );
}

#[test]
fn words_the_index_leaves_out_are_not_counted() {
    let long = "indemnification".repeat(3);
    assert_eq!(hits("indemn*", &format!("{long} indemnity")), 1);
}

/// Hits of `term` in `text` read the plain way: every word lower-cased and stemmed, every
/// position of the text tried for every part.
fn plain_hits(term: &Term, text: &str, stemmer: &mut Stemmer) -> usize {
    let lower: Vec<String> = words(text)
        .filter(|w| w.len() < crate::text::LONGEST_WORD)
        .map(|w| w.chars().flat_map(char::to_lowercase).collect())
        .collect();
    let stems: Vec<String> = lower.iter().map(|w| stemmer.key(w)).collect();
    let matches = |at: usize, word: &WordMatch| match word {
        WordMatch::Stem(stem) => stems.get(at) == Some(stem),
        WordMatch::Prefix(prefix) => lower
            .get(at)
            .is_some_and(|w| w.starts_with(prefix.as_str())),
    };
    let mut places = HashSet::new();
    for parts in &term.alternatives {
        let found: Vec<Vec<usize>> = parts
            .iter()
            .map(|part| {
                (0..lower.len())
                    .filter(|&at| part.iter().enumerate().all(|(i, w)| matches(at + i, w)))
                    .collect()
            })
            .collect();
        if found.iter().all(|starts| !starts.is_empty()) {
            places.extend(found.into_iter().flatten());
        }
    }
    places.len()
}

#[test]
fn the_counter_counts_what_a_plain_reading_counts_in_the_cuad_contracts() {
    let texts = cuad_contracts();
    let terms = parse_all(
        &[
            "indemn*",
            "\"hold harmless\"",
            "\"governed by the laws of\"",
            "arbitration OR mediation",
            "confidential*",
            "terminat* convenience",
            "assign* \"prior written consent\"",
            "insurance",
            "Licen* OR licensing",
            "\"non-compete\" OR noncompet*",
            "audit* records",
            "liabilit* \"in no event\"",
        ]
        .map(String::from),
    )
    .unwrap();
    let compiled = Terms::new(&terms);
    let mut reader = Reader::new(&compiled);
    let mut stemmer = Stemmer::new();
    let (mut documents_hit, mut hits) = (0, 0);
    for text in texts.iter().take(80) {
        let counted = reader.count(text);
        let plain: Vec<usize> = terms
            .iter()
            .map(|term| plain_hits(term, text, &mut stemmer))
            .collect();
        assert_eq!(counted, plain, "in {:?}…", &text[..text.len().min(60)]);
        documents_hit += usize::from(plain.iter().any(|&n| n > 0));
        hits += plain.iter().sum::<usize>();
    }
    // The terms hit real clauses: the comparison is not of zeros.
    assert!(
        documents_hit > 70 && hits > 5_000,
        "{documents_hit} documents, {hits} hits"
    );
}
