//! A generated corpus that reads like real documents to a search engine: words drawn from
//! the sample documents and made-up ones with a Zipf-like law.

use std::path::Path;

use kodiak::extract::{self, DocumentText, Limits};

/// A small deterministic generator (xorshift*), so every run sees the same corpus.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Words ranked by frequency: the sample documents' words first (real legal English), then
/// made-up words, drawn with a Zipf-like law so that a few words are everywhere and most
/// are rare, as in real text.
pub struct Vocabulary {
    words: Vec<String>,
}

impl Vocabulary {
    pub fn new(rng: &mut Rng) -> Vocabulary {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs");
        let mut counts = std::collections::HashMap::<String, usize>::new();
        for entry in std::fs::read_dir(&samples).expect("sample docs").flatten() {
            let bytes = std::fs::read(entry.path()).expect("read sample");
            if let Ok(extracted) = extract::extract(&bytes, &entry.path(), &Limits::default()) {
                for word in DocumentText::new(&extracted)
                    .text
                    .split(|c: char| !c.is_alphabetic())
                    .filter(|w| w.len() > 1)
                {
                    *counts.entry(word.to_lowercase()).or_default() += 1;
                }
            }
        }
        let mut words: Vec<(String, usize)> = counts.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut words: Vec<String> = words.into_iter().map(|(w, _)| w).collect();
        const SYLLABLES: &[&str] = &[
            "ar", "bel", "cor", "dan", "en", "fel", "gra", "hol", "in", "jor", "kan", "lum", "mar",
            "nor", "ol", "pen", "quo", "ras", "sel", "tor", "ul", "ven", "wes", "yar",
        ];
        while words.len() < 60_000 {
            let mut word = String::new();
            for _ in 0..2 + rng.below(3) {
                word.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
            }
            words.push(word);
        }
        Vocabulary { words }
    }

    /// A word of Zipf-like rank: log-uniform over the vocabulary.
    pub fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.below(1 << 20) as f64 / (1 << 20) as f64;
        let rank = (self.words.len() as f64).powf(u) as usize - 1;
        &self.words[rank.min(self.words.len() - 1)]
    }

    /// A sentence of `words` words of Zipf-like rank, the first capitalised, ending in a
    /// full stop.
    pub fn sentence(&self, rng: &mut Rng, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            let word = self.word(rng);
            if i == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    s.extend(first.to_uppercase());
                    s.push_str(chars.as_str());
                }
            } else {
                s.push(' ');
                s.push_str(word);
            }
        }
        s.push('.');
        s
    }
}

/// A query as a reviewer types one: 2-4 consecutive words of a stored chunk.
pub fn query(chunk: &str, rng: &mut Rng) -> String {
    let words: Vec<&str> = chunk
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let length = 2 + rng.below(3);
    let start = rng.below(words.len().saturating_sub(length).max(1));
    words[start..(start + length).min(words.len())].join(" ")
}

/// A random unit vector, standing in for an embedding where making real ones would take
/// hours.
pub fn unit_vector(rng: &mut Rng, dimensions: usize) -> Vec<f32> {
    let v: Vec<f32> = (0..dimensions)
        .map(|_| rng.below(2_000) as f32 / 1_000.0 - 1.0)
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}
