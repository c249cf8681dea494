//! `[pii]` of the configuration: the pii module's own settings, read and validated with
//! the rest of the configuration.

use serde::{Deserialize, Serialize};

/// `[pii]`: finding personal data in documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PiiConfig {
    /// Whether ingest looks for personal data (`kodiak pii scan` always does).
    pub detect: bool,
    /// Findings scoring below this (0.0-1.0) are dropped.
    pub threshold: f32,
    /// Whether passages and questions are masked with placeholders before they reach a
    /// model (the answer shown gets the original values back).
    pub redact_for_llm: bool,
    /// Regions whose numbering plans phone numbers are checked against (ISO 3166 codes).
    pub phone_regions: Vec<String>,
    /// Extra recognizers: `[[pii.custom]]` tables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomRecognizer>,
}

/// A user-defined recognizer: a regular expression whose matches are PII of type `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRecognizer {
    /// Type name, in upper snake case like the built-in ones (e.g. `EMPLOYEE_ID`).
    pub name: String,
    pub regex: String,
    pub score: f32,
    /// Words that, near a match, raise its score.
    #[serde(default)]
    pub context: Vec<String>,
}

impl Default for PiiConfig {
    fn default() -> Self {
        PiiConfig {
            detect: true,
            threshold: 0.5,
            redact_for_llm: true,
            phone_regions: super::phone::DEFAULT_REGIONS
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            custom: Vec::new(),
        }
    }
}
