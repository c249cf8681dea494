//! Questions that name their documents: "Which law governs the agreement between Inktomi
//! and Microsoft?", "What is the term of the Vitalibis agreement?". A name in the question
//! that few documents hold (in their title, their file name, or their opening, where a
//! contract names its parties) scopes the question to those documents, and the answer
//! says so ("asked of: …"). A question scoped by the reviewer is left as it is.

use std::collections::BTreeSet;

use super::super::{Kodiak, SearchOptions, ServiceError};
use crate::search::Mode;
use crate::text::{is_stop_word, words};

/// Where a contract names its parties: the characters its first passages start within.
const OPENING_CHARS: usize = 2_000;
/// A name held by more documents than this names none of them (a company every contract
/// of the matter mentions, a capitalised defined term such as "Agreement").
const MOST_NAMED: usize = 5;
/// Passages looked at per name.
const NAME_HITS: usize = 200;
/// Shortest name, in characters.
const NAME_CHARS: usize = 3;

/// The documents a question names, with what to call each; empty when it names none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Named {
    pub documents: Vec<i64>,
    pub labels: Vec<String>,
}

/// The capitalised words of a question after its first (which any question capitalises),
/// stop words left out, each once.
fn names(question: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for word in words(question).skip(1) {
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        let lower = word.to_lowercase();
        if capitalised
            && word.chars().count() >= NAME_CHARS
            && !word.chars().all(|c| c.is_ascii_digit())
            && !is_stop_word(&lower)
            && !found.iter().any(|f| f.eq_ignore_ascii_case(word))
        {
            found.push(word);
        }
    }
    found
}

impl Kodiak {
    /// The documents `question` names: those holding every distinctive name it gives (a
    /// name few documents hold), else those holding any of them.
    pub(in crate::service) fn documents_named(
        &self,
        question: &str,
    ) -> Result<Named, ServiceError> {
        let names = names(question);
        if names.is_empty() {
            return Ok(Named::default());
        }
        let documents: Vec<_> = self
            .documents()?
            .into_iter()
            .filter(|d| d.chunks > 0)
            .collect();
        // In a matter of a few documents every name is rare: a name must single out a
        // few of them.
        let most = MOST_NAMED.min(documents.len() / 3);
        if most == 0 {
            return Ok(Named::default());
        }
        let mut held: Vec<BTreeSet<i64>> = Vec::new();
        for name in names {
            let lower = name.to_lowercase();
            let mut holding: BTreeSet<i64> = documents
                .iter()
                .filter(|d| {
                    let label = crate::files::document_label(d.title.as_deref(), &d.path);
                    let file = d.path.rsplit('/').next().unwrap_or_default();
                    label.to_lowercase().contains(&lower) || file.to_lowercase().contains(&lower)
                })
                .map(|d| d.id)
                .collect();
            let found = self.search(
                name,
                &SearchOptions {
                    mode: Some(Mode::Bm25),
                    limit: NAME_HITS,
                    documents: Vec::new(),
                },
            )?;
            holding.extend(
                found
                    .hits
                    .iter()
                    .filter(|h| h.char_start < OPENING_CHARS)
                    .map(|h| h.doc_id),
            );
            if !holding.is_empty() && holding.len() <= most {
                held.push(holding);
            }
        }
        let Some(first) = held.first() else {
            return Ok(Named::default());
        };
        let every: BTreeSet<i64> = held
            .iter()
            .skip(1)
            .fold(first.clone(), |all, set| &all & set);
        let chosen = match every.is_empty() {
            true => held.iter().flatten().copied().collect(),
            false => every,
        };
        // Named so that the reviewer can tell which: a title another document has too
        // comes with the file's name.
        let shared = crate::files::shared_titles(documents.iter().map(|d| d.title.as_deref()));
        let labels = chosen
            .iter()
            .filter_map(|id| documents.iter().find(|d| d.id == *id))
            .map(|d| crate::files::distinct_label(d.title.as_deref(), &d.path, &shared))
            .collect();
        Ok(Named {
            documents: chosen.into_iter().collect(),
            labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_questions_names_are_its_capitalised_words_after_the_first() {
        assert_eq!(
            names("Which law governs the agreement between Inktomi and Microsoft?"),
            ["Inktomi", "Microsoft"]
        );
        assert_eq!(
            names("What is the term of the Vitalibis agreement?"),
            ["Vitalibis"]
        );
        assert_eq!(names("When is the deposit returned?"), Vec::<&str>::new());
        assert_eq!(
            names("Is The 2019 Plan by ACME and Acme?"),
            ["Plan", "ACME"]
        );
    }

    use crate::config::{Config, Settings};
    use crate::ingest::Silent;
    use crate::service::AskOptions;

    /// Two hosting agreements naming Microsoft, one of them Inktomi, and memos: the matter
    /// of the questions below.
    fn matter(dir: &std::path::Path) -> Kodiak {
        let docs = dir.join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        let agreement = |parties: &str, law: &str| {
            format!(
                "SOFTWARE HOSTING AGREEMENT\n\nThis Software Hosting Agreement is made \
                 between {parties}.\n\n1. Services. The host runs the software for the \
                 customer.\n\n12. Governing law. This agreement is governed by the laws of \
                 the State of {law}.\n"
            )
        };
        std::fs::write(
            docs.join("inktomi-hosting.txt"),
            agreement(
                "Inktomi Corporation and Microsoft Corporation",
                "Washington",
            ),
        )
        .unwrap();
        std::fs::write(
            docs.join("zeta-hosting.txt"),
            agreement("Zeta Systems Inc and Microsoft Corporation", "New York"),
        )
        .unwrap();
        for n in 0..5 {
            std::fs::write(
                docs.join(format!("memo-{n}.txt")),
                format!("Memo {n}. The law that governs each agreement is in its last clause."),
            )
            .unwrap();
        }
        let mut config = Config::default();
        config.embedder.enabled = false;
        config.generator.enabled = false;
        let kodiak = Kodiak::open(Settings::in_dir(&dir.join("data"), config)).unwrap();
        kodiak.ingest(&[docs], &Silent).unwrap();
        kodiak
    }

    fn ask(kodiak: &Kodiak, question: &str, documents: Vec<i64>) -> crate::answer::Answer {
        let options = AskOptions {
            question: question.into(),
            documents,
            no_llm: true,
            ..AskOptions::default()
        };
        kodiak.ask(&options, &mut |_| {}).unwrap()
    }

    #[test]
    fn a_question_naming_parties_is_asked_of_the_document_naming_them_all_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let kodiak = matter(dir.path());
        let answer = ask(
            &kodiak,
            "Which law governs the agreement between Inktomi and Microsoft?",
            Vec::new(),
        );
        // Both hosting agreements open with the same title: the file tells them apart.
        assert_eq!(
            answer.asked_of,
            ["SOFTWARE HOSTING AGREEMENT · inktomi-hosting.txt"]
        );
        assert!(!answer.sources.is_empty());
        assert!(
            answer
                .sources
                .iter()
                .all(|s| s.hit.path.ends_with("inktomi-hosting.txt")),
            "{:?}",
            answer.sources
        );
        assert!(
            answer
                .answer
                .contains("Asked of: SOFTWARE HOSTING AGREEMENT · inktomi-hosting.txt\n"),
            "{}",
            answer.answer
        );
        assert!(
            answer.answer.contains("State of Washington"),
            "{}",
            answer.answer
        );
        assert!(
            answer.notes.iter().any(
                |n| n.starts_with("asked of: SOFTWARE HOSTING AGREEMENT · inktomi-hosting.txt")
            )
        );
    }

    #[test]
    fn a_name_many_documents_hold_scopes_nothing_and_a_reviewers_scope_stands() {
        let dir = tempfile::tempdir().unwrap();
        let kodiak = matter(dir.path());
        // Two documents of seven name Microsoft: the question is asked of both.
        let answer = ask(
            &kodiak,
            "Which law governs the Microsoft agreements?",
            Vec::new(),
        );
        assert_eq!(
            answer.asked_of,
            [
                "SOFTWARE HOSTING AGREEMENT · inktomi-hosting.txt",
                "SOFTWARE HOSTING AGREEMENT · zeta-hosting.txt"
            ]
        );
        // Five name a Memo: too many to single out.
        let answer = ask(&kodiak, "What does each Memo say about law?", Vec::new());
        assert!(answer.asked_of.is_empty(), "{:?}", answer.asked_of);
        let zeta = kodiak
            .documents()
            .unwrap()
            .into_iter()
            .find(|d| d.path.ends_with("zeta-hosting.txt"))
            .unwrap()
            .id;
        let answer = ask(
            &kodiak,
            "Which law governs the Inktomi agreement?",
            vec![zeta],
        );
        assert!(answer.asked_of.is_empty());
        assert!(answer.sources.iter().all(|s| s.hit.doc_id == zeta));
    }
}
