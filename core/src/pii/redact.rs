//! Redaction: each distinct value becomes a placeholder such as `[EMAIL_ADDRESS_1]`, numbered
//! per type in order of first appearance, so the same value reads the same everywhere in a
//! document and the reviewer (never the model) can map it back.

use std::collections::{BTreeMap, HashMap};

use super::{Finding, PiiKind};

/// Redacted text and how to undo it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redaction {
    pub text: String,
    /// Placeholder → original value.
    pub originals: BTreeMap<String, String>,
}

/// The placeholder of each finding, in the findings' order. Findings must be in text order.
pub fn placeholders(text: &str, findings: &[Finding]) -> Vec<String> {
    let mut next_number: HashMap<&PiiKind, usize> = HashMap::new();
    let mut assigned: HashMap<(&PiiKind, &str), String> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let value = &text[f.start..f.end];
            assigned
                .entry((&f.kind, value))
                .or_insert_with(|| {
                    let n = next_number.entry(&f.kind).or_insert(0);
                    *n += 1;
                    format!("[{}_{}]", f.kind, n)
                })
                .clone()
        })
        .collect()
}

/// Replaces every finding in `text` by its placeholder.
pub fn redact(text: &str, findings: &[Finding]) -> Redaction {
    let names = placeholders(text, findings);
    let mut redaction = Redaction {
        text: String::with_capacity(text.len()),
        originals: BTreeMap::new(),
    };
    let mut copied = 0;
    for (finding, placeholder) in findings.iter().zip(names) {
        if finding.start < copied {
            continue; // overlapping input: the earlier span already covers it
        }
        redaction.text.push_str(&text[copied..finding.start]);
        redaction.text.push_str(&placeholder);
        redaction
            .originals
            .insert(placeholder, text[finding.start..finding.end].to_owned());
        copied = finding.end;
    }
    redaction.text.push_str(&text[copied..]);
    redaction
}

impl Redaction {
    /// Puts the original values back into text that uses this redaction's placeholders, such
    /// as a model's answer.
    pub fn restore(&self, text: &str) -> String {
        let mut restored = text.to_owned();
        for (placeholder, original) in &self.originals {
            restored = restored.replace(placeholder, original);
        }
        restored
    }
}
