//! Near-duplicates: documents whose words are nearly the same (a draft and its final, a
//! contract and its copy with another party's name, the same memo wrapped differently).
//!
//! Similarity is read on words as a reviewer counts them: the share of the longer
//! document's words the other has too, each occurrence once (`|A ∩ B| / max(|A|, |B|)` over
//! word multisets), so that twenty words changed in a 400-word letter is 0.95, paragraphs
//! in another order or lines wrapped elsewhere is 1.0. Comparing every pair is quadratic;
//! a MinHash [`Signature`] of each document's multiset estimates its Jaccard similarity
//! with any other (from which the share follows, given both lengths), and locality-
//! sensitive hashing over bands of the signature finds the pairs worth estimating without
//! looking at the others: at 100,000 documents, a few hundred thousand candidate pairs
//! instead of five billion.

use std::collections::HashMap;

/// Hash functions in a signature: the Jaccard estimate's standard error is
/// `sqrt(J (1 - J) / 128)`, 0.03 at J = 0.85.
pub const HASHES: usize = 128;
/// Bands of [`ROWS`] hashes each: two documents are compared when all the hashes of one
/// band agree. With 32 bands of 4, a pair of Jaccard 0.6 is compared with probability
/// 0.99, one of 0.3 with 0.23.
const BANDS: usize = 32;
const ROWS: usize = HASHES / BANDS;
/// The default least similarity of a near-duplicate.
pub const DEFAULT_MIN: f64 = 0.8;
/// Fewer words than this and a document is too short to call near anything.
const FEWEST_WORDS: usize = 20;

/// A document's MinHash signature over the multiset of its lower-cased words, and how many
/// words it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub hashes: Vec<u32>,
    pub words: usize,
}

/// The seeds of the hash functions: fixed, so that signatures stored by one run compare
/// with those of the next.
fn seeds() -> impl Iterator<Item = (u64, u64)> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..HASHES).map(move |_| (next() | 1, next()))
}

/// FNV-1a of a word and its occurrence number: "the" the first time and "the" the second
/// are two elements of the multiset.
fn element(word: &str, occurrence: u32) -> u64 {
    let mut hash = 0xCBF2_9CE4_8422_2325_u64;
    for byte in word.bytes().chain(occurrence.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

/// The signature of `text`, or `None` when it has fewer than 20 words.
pub fn signature(text: &str) -> Option<Signature> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut elements = Vec::new();
    for word in crate::text::words(text) {
        let word = word.to_lowercase();
        let count = seen.entry(word.clone()).or_default();
        *count += 1;
        elements.push(element(&word, *count));
    }
    if elements.len() < FEWEST_WORDS {
        return None;
    }
    let seeds: Vec<(u64, u64)> = seeds().collect();
    let mut hashes = vec![u32::MAX; HASHES];
    for x in elements.iter().copied() {
        for (slot, (a, b)) in hashes.iter_mut().zip(&seeds) {
            // Multiply-add on 64 bits, the high half kept: a universal family.
            let h = (a.wrapping_mul(x).wrapping_add(*b) >> 32) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    Some(Signature {
        hashes,
        words: elements.len(),
    })
}

/// The estimated similarity of two documents: the share of the longer one's words the
/// other has too (see the module's description).
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    let agree = a
        .hashes
        .iter()
        .zip(&b.hashes)
        .filter(|(x, y)| x == y)
        .count();
    let jaccard = agree as f64 / HASHES as f64;
    // |A ∩ B| = J (|A| + |B|) / (1 + J)
    let common = jaccard * (a.words + b.words) as f64 / (1.0 + jaccard);
    (common / a.words.max(b.words) as f64).min(1.0)
}

/// A group of near-duplicates: its principal (the longest document) and each other member
/// with its similarity to the principal, most similar first.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub principal: i64,
    pub members: Vec<(i64, f64)>,
}

/// The groups of near-duplicates among `documents` (id and signature): pairs at least
/// `min` similar are joined, and a group is what they join, transitively; groups in the
/// order of their principals' ids.
pub fn groups(documents: &[(i64, Signature)], min: f64) -> Vec<Group> {
    let mut parent: Vec<usize> = (0..documents.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for band in 0..BANDS {
        let mut buckets: HashMap<&[u32], Vec<usize>> = HashMap::new();
        for (i, (_, signature)) in documents.iter().enumerate() {
            buckets
                .entry(&signature.hashes[band * ROWS..(band + 1) * ROWS])
                .or_default()
                .push(i);
        }
        for bucket in buckets.values().filter(|b| b.len() > 1) {
            for (k, &i) in bucket.iter().enumerate() {
                for &j in &bucket[k + 1..] {
                    let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                    if ri != rj && similarity(&documents[i].1, &documents[j].1) >= min {
                        parent[ri] = rj;
                    }
                }
            }
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..documents.len() {
        let r = root(&mut parent, i);
        by_root.entry(r).or_default().push(i);
    }
    let mut groups: Vec<Group> = by_root
        .into_values()
        .filter(|members| members.len() > 1)
        .map(|members| {
            let principal = members
                .iter()
                .copied()
                .max_by_key(|&i| (documents[i].1.words, std::cmp::Reverse(documents[i].0)))
                .unwrap_or(members[0]);
            let mut others: Vec<(i64, f64)> = members
                .iter()
                .filter(|&&i| i != principal)
                .map(|&i| {
                    (
                        documents[i].0,
                        similarity(&documents[i].1, &documents[principal].1),
                    )
                })
                .collect();
            others.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            Group {
                principal: documents[principal].0,
                members: others,
            }
        })
        .collect();
    groups.sort_by_key(|g| g.principal);
    groups
}

/// Words of context shown around each difference.
const CONTEXT_WORDS: usize = 6;

/// What `other` changes of `principal`, word by word, as `wdiff` writes it: each stretch
/// that differs with a few words around it, `[-removed-]` and `{+added+}`, stretches apart
/// on lines of their own; "no word differs" when none does.
pub fn difference(principal: &str, other: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .diff_words(principal, other);
    let changes: Vec<(ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), c.value()))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let changed: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].0 != ChangeTag::Equal)
        .collect();
    if changed.is_empty() {
        return "no word differs".to_owned();
    }
    // Stretches: changed words with their context, joined where the contexts meet.
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    for &i in &changed {
        let from = i.saturating_sub(CONTEXT_WORDS);
        let to = (i + CONTEXT_WORDS + 1).min(changes.len());
        match stretches.last_mut() {
            Some(last) if from <= last.1 => last.1 = to,
            _ => stretches.push((from, to)),
        }
    }
    let mut out = Vec::new();
    for (from, to) in stretches {
        // A run of changes is written as wdiff writes it: what it removes, then what it
        // adds, however the words interleave.
        let mut words: Vec<String> = Vec::new();
        let (mut removed, mut added): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        let flush = |words: &mut Vec<String>, removed: &mut Vec<&str>, added: &mut Vec<&str>| {
            if !removed.is_empty() {
                words.push(format!("[-{}-]", removed.join(" ")));
            }
            if !added.is_empty() {
                words.push(format!("{{+{}+}}", added.join(" ")));
            }
            removed.clear();
            added.clear();
        };
        for (tag, word) in &changes[from..to] {
            match tag {
                ChangeTag::Delete => removed.push(word.trim()),
                ChangeTag::Insert => added.push(word.trim()),
                ChangeTag::Equal => {
                    flush(&mut words, &mut removed, &mut added);
                    words.push(word.trim().to_owned());
                }
            }
        }
        flush(&mut words, &mut removed, &mut added);
        out.push(format!("… {} …", words.join(" ")));
    }
    out.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTER: &str = "Dear Ms Holloway, further to our meeting on Tuesday we confirm that the \
        supplier will deliver the replacement pumps to the Harbour Road depot within ten working \
        days of this letter. The invoice for the original order remains on hold until the \
        inspection report is agreed by both engineers. Should the pumps fail the acceptance tests \
        again, the customer may terminate the order and recover the deposit in full. Please \
        confirm that the depot will be open for deliveries between eight and four on weekdays, \
        and tell us whom to call on arrival. We look forward to closing this matter amicably.";

    #[test]
    fn a_few_words_changed_reordered_or_rewrapped_is_near_and_another_letter_is_not() {
        let original = signature(LETTER).unwrap();
        let edited = LETTER
            .replace("ten working", "fifteen working")
            .replace("Tuesday", "Wednesday");
        let edited = signature(&edited).unwrap();
        assert!(similarity(&original, &edited) > 0.9);
        let sentences: Vec<&str> = LETTER.split(". ").collect();
        let reordered = sentences
            .iter()
            .rev()
            .copied()
            .collect::<Vec<_>>()
            .join(". ");
        assert!(similarity(&original, &signature(&reordered).unwrap()) > 0.97);
        let wrapped = LETTER.replace(' ', "\n");
        assert_eq!(similarity(&original, &signature(&wrapped).unwrap()), 1.0);
        let other = signature(
            "The board approved the budget for the coming year, noted the auditor's report and \
             asked the treasurer to present quarterly figures at each meeting. The chair thanked \
             the retiring secretary for ten years of service and the meeting closed at six.",
        )
        .unwrap();
        assert!(similarity(&original, &other) < 0.5);
        assert_eq!(signature("Too short to compare."), None);
    }

    #[test]
    fn the_difference_shows_each_changed_word_with_its_context_removed_and_added() {
        let edited = LETTER.replace("ten working days", "fifteen working days");
        let difference = difference(LETTER, &edited);
        assert_eq!(
            difference,
            "… to the Harbour Road depot within [-ten-] {+fifteen+} working days of this letter. The …"
        );
        assert_eq!(
            super::difference(LETTER, &LETTER.replace(' ', "\n")),
            "no word differs"
        );
    }

    #[test]
    fn groups_join_near_duplicates_under_the_longest_and_leave_the_rest_alone() {
        let longer = format!("{LETTER} Yours sincerely, the engineering team.");
        let documents = vec![
            (1, signature(LETTER).unwrap()),
            (2, signature(&longer).unwrap()),
            (3, signature(&LETTER.replace("Holloway", "Hollis")).unwrap()),
            (
                4,
                signature(
                    "The board approved the budget for the coming year, noted the auditor's \
                     report and asked the treasurer to present quarterly figures at each meeting.",
                )
                .unwrap(),
            ),
        ];
        let found = groups(&documents, DEFAULT_MIN);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].principal, 2);
        let members: Vec<i64> = found[0].members.iter().map(|(id, _)| *id).collect();
        assert_eq!(members.len(), 2);
        assert!(members.contains(&1) && members.contains(&3));
        assert!(found[0].members.iter().all(|(_, s)| *s > 0.9));
    }
}
