//! The reports counsel and auditors ask for: the search-term report and the redaction log,
//! each over a scope of documents and each recorded in the audit trail.

use std::collections::HashMap;

use super::*;
use crate::report::redactions::{RedactionLog, Source};
use crate::report::terms::{self, HitCounter, Searched, TermsReport};

impl Kodiak {
    /// The search-term report of `terms` over the documents `scope` selects.
    pub fn terms_report(
        &self,
        terms: &[String],
        scope: &JobScope,
    ) -> Result<TermsReport, ServiceError> {
        let parsed = terms::parse_all(terms)?;
        if parsed.is_empty() {
            return Err(ServiceError::Job(
                "no search terms: give terms or a file of them, a term per line".into(),
            ));
        }
        let rows = self.review_report()?;
        let searched = families(&rows, &scope.select(&rows)?);
        let conn = self.db.conn()?;
        let mut counter = HitCounter::new(&parsed);
        for doc in &searched {
            let text = documents::text(&conn, doc.doc_id)?.map(|(text, _)| text);
            counter.add(text.as_deref().unwrap_or_default());
        }
        drop(conn);
        let report = TermsReport::count(&parsed, &searched, &counter.finish());
        let detector = crate::pii::Detector::new(&self.settings.config.pii)?;
        let masked: Vec<String> = terms.iter().map(|t| audit::masked(&detector, t)).collect();
        self.record(Event::TermsReport {
            what: "search terms",
            scope: scope.describe(),
            terms: masked,
            documents: report.documents_searched,
            documents_hit: report.documents_hit,
        })?;
        Ok(report)
    }

    /// The redaction log of the documents `scope` selects; values only `with_values`.
    pub fn redaction_log(
        &self,
        scope: &JobScope,
        with_values: bool,
    ) -> Result<RedactionLog, ServiceError> {
        let rows = self.review_report()?;
        let chosen = scope.select(&rows)?;
        let conn = self.db.conn()?;
        let salt = documents::pii_hash_salt(&conn)?;
        let read = |row: &&ReportRow| -> Result<Source, ServiceError> {
            let (text, pages) = documents::text(&conn, row.doc_id)?.unwrap_or_default();
            Ok(Source {
                doc_id: row.doc_id,
                path: row.path.clone(),
                text,
                pages,
                spans: documents::pii_spans(&conn, row.doc_id)?,
            })
        };
        let log = RedactionLog::of(chosen.iter().map(read), &salt, with_values)?;
        drop(conn);
        self.record(Event::RedactionLog {
            what: "redaction log",
            scope: scope.describe(),
            with_values,
            documents: log.documents,
            findings: log.findings.len(),
        })?;
        Ok(log)
    }
}

/// `chosen` with each document's family, the top of its chain of parents among `all`, and
/// that family's e-mail thread.
fn families(all: &[ReportRow], chosen: &[&ReportRow]) -> Vec<Searched> {
    let parents: HashMap<i64, Option<i64>> =
        all.iter().map(|row| (row.doc_id, row.parent_id)).collect();
    let threads: HashMap<i64, i64> = all
        .iter()
        .filter_map(|row| Some((row.doc_id, row.thread_id?)))
        .collect();
    chosen
        .iter()
        .map(|row| {
            let mut family = row.doc_id;
            // Bounded: a damaged database with a cycle of parents must not hang a report.
            for _ in 0..parents.len() {
                match parents.get(&family).copied().flatten() {
                    Some(parent) => family = parent,
                    None => break,
                }
            }
            Searched {
                doc_id: row.doc_id,
                family,
                thread: threads.get(&family).copied(),
            }
        })
        .collect()
}
