//! The audit trail: who did what, appended in the same transaction as each change (see
//! `storage::audit`), listed, verified and exported. Entries hold ids, counts and the
//! question as the model saw it (personal data masked); never document text or answers.

use super::*;
use crate::storage::audit::{self, Actor, Entry, Verification};
pub use crate::storage::audit_event::Event;

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Entries at or after it.
    pub since: Option<crate::timestamp::Timestamp>,
    pub user: Option<String>,
    pub action: Option<String>,
}

/// The OS user and machine this process acts as.
pub(super) fn current_actor() -> Actor {
    Actor {
        uid: crate::identity::uid(),
        user: crate::identity::user_name(),
        host: crate::identity::host_name(),
    }
}

impl Kodiak {
    /// Appends an entry inside the caller's write transaction.
    pub(super) fn audit(
        &self,
        tx: &rusqlite::Transaction<'_>,
        event: Event,
    ) -> rusqlite::Result<()> {
        audit::append(
            tx,
            &self.db.audit_head_file(),
            &self.actor,
            &crate::timestamp::Timestamp::now().to_stored(),
            &event,
        )
        .map(drop)
    }

    /// Appends an entry in a transaction of its own, for actions whose change is stored
    /// elsewhere (an export written to a file, an ingest's many transactions).
    pub fn record(&self, event: Event) -> Result<(), ServiceError> {
        self.db
            .write_even_read_only(|tx| self.audit(tx, event).map_err(ServiceError::from))
    }

    /// Records an export: what, in which format, how many rows, and the chain head it
    /// carries; returns that head.
    pub fn record_export(
        &self,
        what: &str,
        format: &str,
        rows: usize,
    ) -> Result<(i64, String), ServiceError> {
        let head = self.audit_head()?;
        self.record(Event::Export {
            what: what.to_owned(),
            format: format.to_owned(),
            rows,
            chain_head: head.1.clone(),
        })?;
        Ok(head)
    }

    /// What a report made now carries: the time and the audit trail's head.
    pub fn provenance(&self) -> Result<crate::report::Provenance, ServiceError> {
        let (seq, hash) = self.audit_head()?;
        Ok(crate::report::Provenance {
            matter: self.matter.name.clone(),
            generated_at: crate::timestamp::Timestamp::now(),
            audit_head: crate::report::AuditHead { seq, hash },
            network: crate::guard::air_gap::state().as_str().to_owned(),
        })
    }

    /// The newest entry's sequence number and hash.
    pub fn audit_head(&self) -> Result<(i64, String), ServiceError> {
        Ok(audit::head(&*self.db.conn()?)?)
    }

    pub fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<Entry>, ServiceError> {
        Ok(audit::list(
            &*self.db.conn()?,
            filter.since,
            filter.user.as_deref(),
            filter.action.as_deref(),
        )?)
    }

    /// Checks the whole chain, and its head against the head file and the log;
    /// `broken` names the first entry at fault.
    pub fn audit_verify(&self) -> Result<Verification, ServiceError> {
        let conn = self.db.conn()?;
        let witnesses = audit::Witnesses {
            file: self.db.audit_head_file().read(),
            logged: audit::logged_head(&self.settings.paths.log_dir, self.db.path()),
        };
        Ok(audit::verify(&conn, &witnesses)?)
    }

    /// Records the settings that matter to what a reviewer sees (the models, whether the
    /// model sees personal data) when they differ from the last recorded.
    pub(super) fn record_config(&self) -> Result<(), ServiceError> {
        let name = |path: &Option<PathBuf>| {
            path.as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        };
        let now = Event::Config {
            generator: name(&self.settings.paths.generator_model),
            embedder: name(&self.settings.paths.embedder_model),
            redact_for_llm: self.settings.config.pii.redact_for_llm,
            network: crate::guard::air_gap::state().as_str().to_owned(),
        };
        let last = audit::last_detail(&*self.db.conn()?, now.action())?;
        if last.as_deref() != Some(now.detail().to_string().as_str()) {
            self.record(now)?;
        }
        Ok(())
    }
}

/// Entries as CSV, a row each, in the order given.
pub fn audit_csv(entries: &[Entry]) -> Result<String, crate::report::ReportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "seq",
        "at",
        "uid",
        "user",
        "host",
        "action",
        "detail",
        "prev_hash",
        "hash",
    ])?;
    for e in entries {
        writer.write_record([
            e.seq.to_string(),
            e.at.clone(),
            e.uid.to_string(),
            e.user.clone(),
            e.host.clone(),
            e.action.clone(),
            e.detail.clone(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ])?;
    }
    crate::report::csv_text(writer)
}

/// `question` with its personal data replaced by `<KIND>`, as the audit log keeps it.
pub(super) fn masked(detector: &crate::pii::Detector, question: &str) -> String {
    let mut out = String::with_capacity(question.len());
    let mut at = 0;
    for finding in detector.scan(question) {
        if finding.start < at {
            continue;
        }
        out.push_str(&question[at..finding.start]);
        out.push_str(&format!("<{}>", finding.kind));
        at = finding.end;
    }
    out.push_str(&question[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn open(dir: &std::path::Path) -> Kodiak {
        let mut config = Config::default();
        config.embedder.enabled = false;
        config.generator.enabled = false;
        Kodiak::open(Settings::in_dir(dir, config)).unwrap()
    }

    fn with_entries() -> (tempfile::TempDir, Kodiak) {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("a.txt"), "The rent is paid monthly.").unwrap();
        let kodiak = open(dir.path());
        kodiak.ingest(&[docs], &crate::ingest::Silent).unwrap();
        let id = kodiak.documents().unwrap()[0].id;
        kodiak.mark(id, ReviewMark::Reviewed).unwrap();
        kodiak.add_tag(id, "lease").unwrap();
        kodiak.add_note(id, "check the rent").unwrap();
        (dir, kodiak)
    }

    use crate::storage::review::ReviewMark;

    #[test]
    fn each_change_appends_an_entry_chained_to_the_last_and_the_chain_verifies() {
        let (_dir, kodiak) = with_entries();
        let entries = kodiak.audit_entries(&AuditFilter::default()).unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["config", "stored", "ingest", "review", "tag", "note"]
        );
        assert_eq!(entries[0].prev_hash, audit::GENESIS);
        for pair in entries.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
            assert_eq!(pair[1].seq, pair[0].seq + 1);
        }
        // The note's text is not in the log: who, when and which document only.
        assert!(entries.iter().all(|e| !e.detail.contains("check the rent")));
        let verified = kodiak.audit_verify().unwrap();
        assert_eq!((verified.entries, verified.head_seq), (6, 6));
        assert_eq!(verified.broken, None);
        // The head is kept beside the table's rows, and each place agrees.
        let places: Vec<(&str, i64)> = verified
            .witnesses
            .iter()
            .map(|w| (w.place.as_str(), w.head.seq))
            .collect();
        assert_eq!(
            places,
            [("the head file", 6), ("the database's meta table", 6)]
        );
        // Opening again with the same settings records no new config entry.
        drop(kodiak);
        let again = open(_dir.path());
        assert_eq!(again.audit_verify().unwrap().entries, 6);
    }

    #[test]
    fn a_tag_records_who_added_it_as_the_audit_trail_does() {
        let (_dir, kodiak) = with_entries();
        let id = kodiak.documents().unwrap()[0].id;
        let review = kodiak.review(id).unwrap();
        let tag = kodiak
            .audit_entries(&AuditFilter::default())
            .unwrap()
            .into_iter()
            .find(|e| e.action == "tag")
            .unwrap();
        assert_eq!(review.tagged.len(), 1);
        assert_eq!(review.tagged[0].tag, "lease");
        assert_eq!(
            review.tagged[0].added_by.as_deref(),
            Some(tag.user.as_str())
        );
    }

    fn tamper(kodiak: &Kodiak, sql: &str) -> Option<crate::storage::audit::Break> {
        kodiak.db.conn().unwrap().execute_batch(sql).unwrap();
        kodiak.audit_verify().unwrap().broken
    }

    #[test]
    fn an_edited_entry_is_named() {
        let (_dir, kodiak) = with_entries();
        let broken = tamper(
            &kodiak,
            "UPDATE audit_log SET user = 'mallory' WHERE seq = 3",
        )
        .unwrap();
        assert_eq!(broken.seq, 3);
        assert!(broken.problem.contains("changed after it was written"));
    }

    #[test]
    fn a_deleted_entry_is_named_as_missing() {
        let (_dir, kodiak) = with_entries();
        let broken = tamper(&kodiak, "DELETE FROM audit_log WHERE seq = 2").unwrap();
        assert_eq!(broken.seq, 2);
        assert!(broken.problem.contains("entry 2 is missing"), "{broken:?}");
    }

    #[test]
    fn the_newest_entries_cut_off_are_named_from_the_head_kept_elsewhere() {
        let (_dir, kodiak) = with_entries();
        let broken = tamper(&kodiak, "DELETE FROM audit_log WHERE seq > 3").unwrap();
        assert_eq!(broken.seq, 4);
        assert!(
            broken.problem.starts_with(
                "the newest entries after 3 are missing: the head file records entry 6"
            ),
            "{broken:?}"
        );
    }

    #[test]
    fn an_entry_after_rows_were_cut_off_follows_the_recorded_head_leaving_the_gap() {
        let (_dir, kodiak) = with_entries();
        tamper(&kodiak, "DELETE FROM audit_log WHERE seq > 3");
        let id = kodiak.documents().unwrap()[0].id;
        kodiak.add_tag(id, "later").unwrap();
        let entries = kodiak.audit_entries(&AuditFilter::default()).unwrap();
        assert_eq!(entries.last().map(|e| e.seq), Some(7));
        let broken = kodiak.audit_verify().unwrap().broken.unwrap();
        assert_eq!(broken.seq, 4);
        assert!(
            broken.problem.contains("entries 4 to 6 are missing"),
            "{broken:?}"
        );
    }

    #[test]
    fn a_head_file_that_holds_another_hash_for_an_entry_says_the_trail_was_rewritten() {
        let (_dir, kodiak) = with_entries();
        let file = kodiak.database().audit_head_file();
        let mut head = file.read().unwrap().unwrap();
        head.hash = "f".repeat(64);
        std::fs::write(file.path(), serde_json::to_vec(&head).unwrap()).unwrap();
        let broken = kodiak.audit_verify().unwrap().broken.unwrap();
        assert_eq!(broken.seq, 6);
        assert!(
            broken
                .problem
                .contains("entry 6 is not the one the head file records"),
            "{broken:?}"
        );
    }

    #[test]
    fn reordered_entries_are_named() {
        let (_dir, kodiak) = with_entries();
        let broken = tamper(
            &kodiak,
            "UPDATE audit_log SET seq = 100 WHERE seq = 3;
             UPDATE audit_log SET seq = 3 WHERE seq = 4;
             UPDATE audit_log SET seq = 4 WHERE seq = 100;",
        )
        .unwrap();
        assert_eq!(broken.seq, 3);
        assert!(
            broken.problem.contains("does not follow entry 2"),
            "{broken:?}"
        );
    }

    #[test]
    fn a_question_is_kept_with_its_personal_data_masked() {
        let detector = crate::pii::Detector::new(&Config::default().pii).unwrap();
        assert_eq!(
            masked(&detector, "What did jane.roe@example.com agree to?"),
            "What did <EMAIL_ADDRESS> agree to?"
        );
    }
}
