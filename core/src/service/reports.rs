//! The reports counsel and auditors ask for: the search-term report and the redaction log,
//! each over a scope of documents and each recorded in the audit trail.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::report::redactions::{RedactionLog, Source};
use crate::report::terms::{self, HitCounter, Searched, Terms, TermsReport};

/// Threads reading documents for a term report at most.
const MAX_READERS: usize = 8;

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
        // The index's answer does not wait on the list of documents: both are made at once.
        let (rows, may_hit) = std::thread::scope(|scope| {
            let may_hit = scope.spawn(|| self.documents_terms_may_hit(&parsed));
            let rows = self.review_report();
            // A panic while asking the index leaves every document to be read.
            (rows, may_hit.join().ok().flatten())
        });
        let rows = rows?;
        let searched = families(&rows, &scope.select(&rows)?);
        // Only documents the index says a term may hit are read; every other has no hit.
        let hits = self.count_hits(&Terms::new(&parsed), &searched, may_hit.as_ref())?;
        let report = TermsReport::count(&parsed, &searched, &hits);
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

    /// Per term, per document of `searched` in order, its hits. The documents outside
    /// `may_hit` (when the index could say) are not read; the rest are read in as many runs
    /// as there are cores, each run on its own connection and with its own word cache.
    fn count_hits(
        &self,
        terms: &Terms,
        searched: &[Searched],
        may_hit: Option<&HashSet<i64>>,
    ) -> Result<Vec<Vec<usize>>, ServiceError> {
        let runs = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_READERS));
        let per_run = searched.len().div_ceil(runs).max(1);
        let read_run = |docs: &[Searched]| -> Result<Vec<Vec<usize>>, ServiceError> {
            let conn = self.db.conn()?;
            // One read transaction for the run, rather than one per document: the run reads
            // one state of the matter, and SQLite takes its read lock once.
            let conn = conn.unchecked_transaction()?;
            let mut counter = HitCounter::new(terms);
            for doc in docs {
                if may_hit.is_some_and(|d| !d.contains(&doc.doc_id)) {
                    counter.add_unread();
                    continue;
                }
                if !documents::read_text(&conn, doc.doc_id, |text| counter.add(text))? {
                    counter.add("");
                }
            }
            Ok(counter.finish())
        };
        let runs: Vec<Result<Vec<Vec<usize>>, ServiceError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = searched
                .chunks(per_run)
                .map(|docs| scope.spawn(move || read_run(docs)))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(ServiceError::Job(
                            "reading the documents for the term report failed".into(),
                        ))
                    })
                })
                .collect()
        });
        let mut hits = vec![Vec::with_capacity(searched.len()); terms.len()];
        for run in runs {
            for (all, part) in hits.iter_mut().zip(run?) {
                all.extend(part);
            }
        }
        Ok(hits)
    }

    /// The documents any of `terms` may hit, by the search index: for each alternative, those
    /// holding all of its words (a prefix: any word the index holds that a word starting with
    /// it can become). None when the index cannot say (unavailable or behind the database):
    /// then every document is read.
    fn documents_terms_may_hit(&self, terms: &[terms::Term]) -> Option<HashSet<i64>> {
        let index = self.index().ok()?;
        if index.is_behind(&self.db).unwrap_or(true) {
            return None;
        }
        let holding = |word: &terms::Needed| -> Option<HashSet<i64>> {
            let words = match word {
                terms::Needed::Stem(stem) => vec![stem.clone()],
                terms::Needed::Prefix(prefix) => {
                    let start: String = prefix.chars().take(3).collect();
                    let mut words = index.words_starting(&start).ok()?;
                    words.retain(|w| terms::stem_may_come_from_prefix(w, prefix));
                    words
                }
            };
            index.documents_with(&words).ok()
        };
        let mut may_hit = HashSet::new();
        for term in terms {
            for alternative in term.needed() {
                let mut docs: Option<HashSet<i64>> = None;
                for word in &alternative {
                    let holders = holding(word)?;
                    docs = Some(match docs {
                        None => holders,
                        Some(d) => d.intersection(&holders).copied().collect(),
                    });
                }
                may_hit.extend(docs.unwrap_or_default());
            }
        }
        Some(may_hit)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::ingest::Silent;

    #[test]
    fn the_term_report_reads_only_documents_the_index_says_a_term_may_hit_and_counts_as_a_full_read()
     {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        let texts = [
            "The Supplier shall indemnify and hold harmless the Buyer. Indemnities survive.",
            "Dying or lying: the skies over the café were clear, icing on the cake.",
            "Insurance is kept by the Tenant; hold the keys. Confidentiality applies.",
            "Nothing here matters at all, only a note about lunch.",
            &format!("{} and an indemnity", "indemnification".repeat(3)),
        ];
        for (i, text) in texts.iter().enumerate() {
            std::fs::write(docs.join(format!("d{i}.txt")), text).unwrap();
        }
        let mut config = Config::default();
        config.embedder.enabled = false;
        config.generator.enabled = false;
        let kodiak = Kodiak::open(Settings::in_dir(dir.path(), config)).unwrap();
        kodiak.ingest(&[docs], &Silent).unwrap();
        let terms: Vec<String> = [
            "indemn*",
            "\"hold harmless\"",
            "dyi*",
            "sky*",
            "cafe OR insur*",
            "ici*",
            "confidential*",
            "lunch note",
            "absent*",
        ]
        .map(String::from)
        .to_vec();
        let report = kodiak.terms_report(&terms, &JobScope::default()).unwrap();
        // The same counts from reading every document.
        let parsed = terms::parse_all(&terms).unwrap();
        let rows = kodiak.review_report().unwrap();
        let searched = families(&rows, &JobScope::default().select(&rows).unwrap());
        let conn = kodiak.db.conn().unwrap();
        let compiled = Terms::new(&parsed);
        let mut counter = HitCounter::new(&compiled);
        for doc in &searched {
            counter.add(&documents::text(&conn, doc.doc_id).unwrap().unwrap().0);
        }
        let full = TermsReport::count(&parsed, &searched, &counter.finish());
        assert_eq!(report, full);
        let hits: Vec<usize> = report.terms.iter().map(|t| t.documents).collect();
        // "sky*" finds no "skies": a wildcard matches words as written, not their stems.
        assert_eq!(hits, [2, 1, 1, 0, 2, 1, 1, 1, 0]);
        // A phrase's documents are those holding its first word: two of the five are read.
        let phrase = terms::parse_all(&["\"hold harmless\"".to_owned()]).unwrap();
        let may_hit = kodiak.documents_terms_may_hit(&phrase).unwrap();
        assert_eq!(may_hit.len(), 2, "{may_hit:?}");
    }
}
