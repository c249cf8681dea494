//! Answers: the cost of checking an answer's sentences against its passages (goal: under
//! 5 ms p50 for a 512-token answer). Run with `cargo bench --bench answers`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use kodiak::answer::Source;
use kodiak::extract::{self, DocumentText, Limits};
use kodiak::grounding;
use kodiak::search::Hit;
use support::Samples;

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |section: &str| only.is_empty() || only.iter().any(|o| section.contains(o));
    if wanted("grounding") {
        grounding_cost();
    }
}

/// Five passages of about 1,000 characters from the sample documents, and an answer of
/// about 512 tokens made of their sentences: copied, with a number changed, and uncited.
fn grounding_cost() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
    let mut text = String::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let bytes = std::fs::read(entry.path()).unwrap();
        if let Ok(extracted) = extract::extract(&bytes, &entry.path(), &Limits::default()) {
            text.push_str(&DocumentText::new(&extracted).text);
            text.push('\n');
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let sources: Vec<Source> = (0..5)
        .map(|i| {
            let piece: String = chars[i * 1_500..i * 1_500 + 1_000].iter().collect();
            source(i + 1, piece)
        })
        .collect();
    let mut answer = String::new();
    let mut round = 0;
    // About four characters a token.
    while answer.len() < 512 * 4 {
        let passage = &sources[round % sources.len()];
        for sentence in passage.text.split(". ").take(3) {
            let sentence = sentence.trim().replace('\n', " ");
            let sentence = match round % 3 {
                0 => format!("{sentence} [{}]. ", passage.n),
                1 => format!("{} [{}]. ", sentence.replace('1', "7"), passage.n),
                _ => format!("{sentence}. "),
            };
            answer.push_str(&sentence);
        }
        round += 1;
    }
    let grounding = grounding::check(&answer, &sources);
    println!(
        "answer of {} characters, {} sentences, {:.0}% grounded; passages of 1,000 characters",
        answer.len(),
        grounding.sentences.len(),
        grounding.grounded * 100.0
    );
    Samples::measure("grounding check", 20, 500, || {
        std::hint::black_box(grounding::check(&answer, &sources));
    })
    .report(Some(Duration::from_millis(5)));
}

fn source(n: usize, text: String) -> Source {
    Source {
        n,
        hit: Hit {
            doc_id: n as i64,
            chunk_id: n as i64,
            path: format!("/docs/{n}.txt"),
            title: format!("Doc {n}"),
            page: 1,
            char_start: 0,
            char_end: text.chars().count(),
            score: 0.0,
            bm25_rank: None,
            vector_rank: None,
            fused_score: 0.0,
            snippet: String::new(),
        },
        text,
    }
}
