//! Near-duplicate detection (`kodiak::neardup`): quality and speed on generated documents.
//! Quality: letters of 150 to 450 words drawn from a Zipf-like vocabulary, each with
//! variants as reviewers meet them (one to twenty words changed, paragraphs in another
//! order, lines wrapped elsewhere), among as many unrelated letters; pairs of the same
//! letter are near-duplicates, all others are not. Precision and recall of the pairs the
//! groups make, at the default least similarity and around it, and per kind of variant.
//! Speed: signatures per second and grouping time at 10,000 and 100,000 documents, and
//! the peak memory of the process. Run with `cargo bench --bench neardup`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use kodiak::neardup::{self, DEFAULT_MIN, Signature};
use support::corpus::{Rng, Vocabulary};

/// A letter of `words` words in four paragraphs.
fn letter(vocabulary: &Vocabulary, rng: &mut Rng, words: usize) -> Vec<Vec<String>> {
    let per = words / 4;
    (0..4)
        .map(|_| (0..per).map(|_| vocabulary.word(rng).to_owned()).collect())
        .collect()
}

fn text(paragraphs: &[Vec<String>], width: usize) -> String {
    paragraphs
        .iter()
        .map(|p| {
            let mut out = String::new();
            let mut line = 0;
            for word in p {
                if line + word.len() > width {
                    out.push('\n');
                    line = 0;
                } else if line > 0 {
                    out.push(' ');
                }
                out.push_str(word);
                line += word.len() + 1;
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Variant {
    Changed(usize),
    Reordered,
    Rewrapped,
}

fn main() {
    let mut rng = Rng(0x5EED_1234);
    let vocabulary = Vocabulary::new(&mut rng);
    quality(&vocabulary, &mut rng);
    real_contracts();
    speed(&vocabulary, &mut rng);
    print_peak_memory();
}

fn quality(vocabulary: &Vocabulary, rng: &mut Rng) {
    // (id, letter, variant or none for the original)
    let mut documents: Vec<(i64, usize, Option<Variant>, String)> = Vec::new();
    let letters = 200;
    for l in 0..letters {
        let words = 150 + rng.below(301);
        let original = letter(vocabulary, rng, words);
        documents.push((documents.len() as i64, l, None, text(&original, 72)));
        if l % 2 == 1 {
            // Every other letter is unrelated to the rest: no variants.
            continue;
        }
        let changed = 1 + rng.below(20);
        let mut edited = original.clone();
        for _ in 0..changed {
            let p = rng.below(4);
            let w = rng.below(edited[p].len());
            edited[p][w] = vocabulary.word(rng).to_owned();
        }
        documents.push((
            documents.len() as i64,
            l,
            Some(Variant::Changed(changed)),
            text(&edited, 72),
        ));
        let mut reordered = original.clone();
        reordered.rotate_left(1 + rng.below(3));
        documents.push((
            documents.len() as i64,
            l,
            Some(Variant::Reordered),
            text(&reordered, 72),
        ));
        documents.push((
            documents.len() as i64,
            l,
            Some(Variant::Rewrapped),
            text(&original, 40 + rng.below(40)),
        ));
    }
    let signatures: Vec<(i64, Signature)> = documents
        .iter()
        .filter_map(|(id, _, _, text)| Some((*id, neardup::signature(text)?)))
        .collect();
    let letter_of: HashMap<i64, usize> = documents.iter().map(|d| (d.0, d.1)).collect();
    let variant_of: HashMap<i64, Option<Variant>> = documents.iter().map(|d| (d.0, d.2)).collect();
    let mut truth: HashSet<(i64, i64)> = HashSet::new();
    for a in &documents {
        for b in &documents {
            if a.0 < b.0 && a.1 == b.1 {
                truth.insert((a.0, b.0));
            }
        }
    }
    println!(
        "Near-duplicates among {} generated letters of 150-450 words ({} originals with variants, \
         {} unrelated; {} pairs are near-duplicates):",
        documents.len(),
        letters / 2,
        letters / 2,
        truth.len()
    );
    println!("  least similarity  precision  recall  groups");
    for min in [0.7, 0.75, DEFAULT_MIN, 0.85, 0.9, 0.95] {
        let groups = neardup::groups(&signatures, min);
        let mut found: HashSet<(i64, i64)> = HashSet::new();
        for group in &groups {
            let ids: Vec<i64> = std::iter::once(group.principal)
                .chain(group.members.iter().map(|(id, _)| *id))
                .collect();
            for &a in &ids {
                for &b in &ids {
                    if a < b {
                        found.insert((a, b));
                    }
                }
            }
        }
        let right = found.intersection(&truth).count();
        let precision = right as f64 / found.len().max(1) as f64;
        let recall = right as f64 / truth.len().max(1) as f64;
        let default = if min == DEFAULT_MIN { " (default)" } else { "" };
        println!(
            "  {min:>16.2}  {precision:>9.3}  {recall:>6.3}  {:>6}{default}",
            groups.len()
        );
        if min == DEFAULT_MIN {
            // Recall per kind of variant: is the variant grouped with its original?
            let mut by_kind: std::collections::BTreeMap<String, (usize, usize)> =
                Default::default();
            for (id, variant) in &variant_of {
                let Some(variant) = variant else { continue };
                let kind = match variant {
                    Variant::Changed(n) if *n <= 5 => "1-5 words changed".to_owned(),
                    Variant::Changed(n) if *n <= 10 => "6-10 words changed".to_owned(),
                    Variant::Changed(_) => "11-20 words changed".to_owned(),
                    Variant::Reordered => "paragraphs reordered".to_owned(),
                    Variant::Rewrapped => "lines wrapped elsewhere".to_owned(),
                };
                let original = documents
                    .iter()
                    .find(|d| d.1 == letter_of[id] && d.2.is_none())
                    .map(|d| d.0)
                    .unwrap();
                let pair = (original.min(*id), original.max(*id));
                let entry = by_kind.entry(kind).or_default();
                entry.1 += 1;
                if found.contains(&pair) {
                    entry.0 += 1;
                }
            }
            for (kind, (hit, all)) in by_kind {
                println!("      {kind:<24} {hit:>3} of {all:>3} grouped with their original");
            }
        }
    }
    // Reading saved: documents to read when each group is read once (its principal).
    let groups = neardup::groups(&signatures, DEFAULT_MIN);
    let grouped: usize = groups.iter().map(|g| g.members.len()).sum();
    println!(
        "  reading saved at the default: {} of {} documents left to read ({:.0}%)\n",
        documents.len() - grouped,
        documents.len(),
        100.0 * (documents.len() - grouped) as f64 / documents.len() as f64
    );
}

/// The groups among CUAD's train contracts (real filings: some contracts were filed twice,
/// others are amendments or forms of the same agreement), printed to be read.
fn real_contracts() {
    let dir = support::cuad_dir().join("contracts");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "real contracts: skipped, none in {} (set KODIAK_CUAD_DIR)\n",
            dir.display()
        );
        return;
    };
    let mut names: Vec<String> = Vec::new();
    let mut signatures = Vec::new();
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Some(signature) = neardup::signature(&text) {
            signatures.push((names.len() as i64, signature));
            names.push(
                path.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    let groups = neardup::groups(&signatures, DEFAULT_MIN);
    println!(
        "Near-duplicate groups among {} CUAD train contracts at the default ({DEFAULT_MIN}): {}",
        names.len(),
        groups.len()
    );
    for group in &groups {
        println!("  {}", names[group.principal as usize]);
        for (member, similarity) in &group.members {
            println!("    {similarity:.3} {}", names[*member as usize]);
        }
    }
    println!();
}

fn speed(vocabulary: &Vocabulary, rng: &mut Rng) {
    println!("Speed (one thread; documents of 150-450 words, a tenth near-duplicates of another):");
    for count in [10_000, 100_000] {
        let mut texts: Vec<String> = Vec::with_capacity(count);
        for i in 0..count {
            if i % 10 == 9 {
                let mut copy = texts[i - 1].clone();
                copy.push_str(" addendum");
                texts.push(copy);
            } else {
                let words = 150 + rng.below(301);
                texts.push(text(&letter(vocabulary, rng, words), 72));
            }
        }
        let bytes: usize = texts.iter().map(String::len).sum();
        let started = Instant::now();
        let signatures: Vec<(i64, Signature)> = texts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((i as i64, neardup::signature(t)?)))
            .collect();
        let signing = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let groups = neardup::groups(&signatures, DEFAULT_MIN);
        let grouping = started.elapsed().as_secs_f64();
        println!(
            "  {count:>7} documents ({:.0} MB): signatures {signing:.2} s ({:.0} documents/s, \
             {:.1} MB/s); grouping {grouping:.2} s; {} groups",
            support::megabytes(bytes),
            count as f64 / signing,
            support::megabytes(bytes) / signing,
            groups.len()
        );
    }
}

fn print_peak_memory() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        println!(
            "  peak memory of the benchmark process: {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
}
