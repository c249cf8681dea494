//! What an audit entry records: one variant per kind of action, each with its details as
//! typed fields. An entry stores the variant's name as its action and the fields as JSON
//! (keys sorted, as every entry has stored them), so the trail reads the same whatever
//! recorded it. Details hold ids, counts and masked questions; never document text.

use serde::Serialize;

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Event {
    /// The settings that matter to what a reviewer sees, when they change.
    Config {
        generator: Option<String>,
        embedder: Option<String>,
        redact_for_llm: bool,
        network: String,
    },
    /// A batch of documents an ingest committed, in the batch's transaction.
    Stored {
        job: i64,
        documents: Vec<i64>,
        ingested: usize,
        duplicates: usize,
        needs_ocr: usize,
        failed: usize,
    },
    /// An ingest run that ended, with its counts.
    Ingest {
        roots: Vec<String>,
        files: usize,
        ingested: usize,
        duplicates: usize,
        unchanged: usize,
        failed: usize,
        needs_ocr: usize,
        cancelled: bool,
    },
    /// A document removed.
    Remove { doc_id: i64 },
    /// A document's status or flag set.
    Review { doc_id: i64, mark: String },
    /// A tag added or removed.
    Tag {
        doc_id: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        added: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        removed: Option<String>,
    },
    /// A note written: its length, not its words.
    Note { doc_id: i64, note_chars: usize },
    /// A question, as the model would see it (personal data masked), and what it cited.
    Ask {
        conversation: i64,
        question: String,
        cited_chunks: Vec<i64>,
    },
    /// A report or list written out, with the trail's head it carries.
    Export {
        what: String,
        format: String,
        rows: usize,
        chain_head: String,
    },
    /// The search-term report.
    TermsReport {
        what: &'static str,
        scope: String,
        terms: Vec<String>,
        documents: usize,
        documents_hit: usize,
    },
    /// The redaction log.
    RedactionLog {
        what: &'static str,
        scope: String,
        with_values: bool,
        documents: usize,
        findings: usize,
    },
    /// A checklist job made.
    ChecklistJob {
        job: i64,
        checklist: String,
        items: usize,
        documents: Vec<i64>,
        use_model: bool,
    },
    /// A checklist run that ended (done, stopped or cut short).
    ChecklistRun {
        job: i64,
        state: String,
        decided: usize,
    },
    /// A reviewer's decision on a checklist cell (`cleared` when withdrawn).
    ChecklistDecision {
        job: i64,
        doc_id: i64,
        item: String,
        decision: String,
    },
    /// A matter made, archived or reopened.
    Matter { op: &'static str, name: String },
    /// The matter's choice of vectors set (`none`, `fast` or `full`).
    Vectors { choice: &'static str },
    /// A document's privilege decision set (`none` when cleared).
    Privilege {
        doc_id: i64,
        treatment: &'static str,
        basis: Option<&'static str>,
    },
    /// A redaction added or removed: what it covers and, when added, why.
    Redaction {
        doc_id: i64,
        number: i64,
        op: &'static str,
        area: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A production set made: its documents, pages and Bates range.
    ProductionSet {
        name: String,
        documents: usize,
        pages: u64,
        first: String,
        last: String,
    },
    /// A production written and verified, with the trail's head at that moment.
    ProductionRun {
        name: String,
        documents: usize,
        pages: u64,
        first: String,
        last: String,
        withheld: usize,
        redactions: usize,
        chain_head: String,
    },
}

impl Event {
    /// The entry's action, as stored and filtered on (`kodiak audit list --action`).
    pub fn action(&self) -> &'static str {
        match self {
            Event::Config { .. } => "config",
            Event::Stored { .. } => "stored",
            Event::Ingest { .. } => "ingest",
            Event::Remove { .. } => "remove",
            Event::Review { .. } => "review",
            Event::Tag { .. } => "tag",
            Event::Note { .. } => "note",
            Event::Ask { .. } => "ask",
            Event::Export { .. } => "export",
            Event::TermsReport { .. } | Event::RedactionLog { .. } => "report",
            Event::ChecklistJob { .. } => "checklist_job",
            Event::ChecklistRun { .. } => "checklist_run",
            Event::ChecklistDecision { .. } => "checklist_decision",
            Event::Matter { .. } => "matter",
            Event::Vectors { .. } => "vectors",
            Event::Privilege { .. } => "privilege",
            Event::Redaction { .. } => "redaction",
            Event::ProductionSet { .. } => "production",
            Event::ProductionRun { .. } => "production_run",
        }
    }

    /// The entry's detail: the fields as a JSON object, keys sorted.
    pub fn detail(&self) -> serde_json::Value {
        // A `Value` keeps its keys sorted; the fields cannot fail to serialize.
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_stored_as_its_action_and_its_fields_with_sorted_keys() {
        let event = Event::Tag {
            doc_id: 3,
            added: Some("lease".into()),
            removed: None,
        };
        assert_eq!(event.action(), "tag");
        assert_eq!(
            event.detail().to_string(),
            r#"{"added":"lease","doc_id":3}"#
        );
        let config = Event::Config {
            generator: None,
            embedder: Some("minilm.gguf".into()),
            redact_for_llm: true,
            network: "blocked (seccomp)".into(),
        };
        assert_eq!(
            config.detail().to_string(),
            r#"{"embedder":"minilm.gguf","generator":null,"network":"blocked (seccomp)","redact_for_llm":true}"#
        );
    }
}
