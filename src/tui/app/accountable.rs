//! The matter switcher (`M`) and the search-term report over the listed documents (`T`).

use super::Reply;
use super::*;
use kodiak::matter::Matter;
use kodiak::report::terms::TermsReport;

impl App {
    /// `M`: the matters, to switch to another.
    pub(super) fn open_matters(&mut self) -> Vec<Effect> {
        vec![Effect::Job {
            request: self.start_job(|jobs| &mut jobs.matters),
            job: Job::LoadMatters,
        }]
    }

    pub(super) fn matters_loaded(&mut self, request: u64, result: Reply<Vec<Matter>>) {
        if !self.jobs.matters.accept_latest(request) {
            return;
        }
        self.dirty = true;
        match result {
            Ok(list) => {
                let selected = list.iter().position(|m| m.name == self.matter).unwrap_or(0);
                self.overlay = Some(Overlay::Matters { list, selected });
            }
            Err(e) => self.error(e),
        }
    }

    /// Keys while the matter switcher is open: Enter switches (the UI closes and opens
    /// again on that matter), Esc closes.
    pub(super) fn matters_key(&mut self, key: KeyEvent, list: Vec<Matter>, selected: usize) {
        let selected = match key.code {
            KeyCode::Down | KeyCode::Char('j') => (selected + 1).min(list.len().saturating_sub(1)),
            KeyCode::Up | KeyCode::Char('k') => selected.saturating_sub(1),
            KeyCode::Enter => {
                let Some(chosen) = list.get(selected) else {
                    return;
                };
                if chosen.name == self.matter {
                    return;
                }
                if let Some(work) = self.work_in_flight() {
                    self.error(format!("cannot switch matters now: {work}"));
                    return;
                }
                self.switch_matter = Some(chosen.name.clone());
                self.quit = true;
                return;
            }
            KeyCode::Esc | KeyCode::Char('q') => return,
            _ => selected,
        };
        self.overlay = Some(Overlay::Matters { list, selected });
    }

    /// `T`: asks for the terms, to count over the documents listed now.
    pub(super) fn ask_terms(&mut self) {
        let docs: Vec<i64> = self
            .docs
            .listed()
            .filter(|row| row.ingest_status == "ingested")
            .map(|row| row.doc_id)
            .collect();
        if docs.is_empty() {
            self.error("no ingested document is listed: change the filter first");
            return;
        }
        self.overlay = Some(Overlay::prompt(PromptKind::Terms, &self.last_terms, docs));
    }

    /// The terms typed (separated by `;`, or a file of terms), counted over `docs`.
    pub(super) fn run_terms(&mut self, text: &str, docs: Vec<i64>) -> Vec<Effect> {
        let terms: Vec<String> = text
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if terms.is_empty() {
            return Vec::new();
        }
        self.last_terms = text.to_owned();
        self.info(format!(
            "counting {} in {}…",
            kodiak::report::plural(terms.len(), "term"),
            kodiak::report::plural(docs.len(), "document")
        ));
        vec![Effect::Job {
            request: self.start_job(|jobs| &mut jobs.terms),
            job: Job::TermsReport {
                terms,
                documents: docs,
            },
        }]
    }

    pub(super) fn terms_counted(&mut self, request: u64, result: Reply<Box<TermsReport>>) {
        if !self.jobs.terms.accept_latest(request) {
            return;
        }
        self.dirty = true;
        match result {
            Ok(report) => {
                self.flash = None;
                self.overlay = Some(Overlay::Terms {
                    report,
                    selected: 0,
                });
            }
            Err(e) => self.error(e),
        }
    }

    /// Keys while the term report is open: Enter lists the selected term's documents (a
    /// filter by their ids), Esc closes.
    pub(super) fn terms_key(
        &mut self,
        key: KeyEvent,
        report: Box<TermsReport>,
        selected: usize,
    ) -> Vec<Effect> {
        let last = report.terms.len().saturating_sub(1);
        let selected = match key.code {
            KeyCode::Down | KeyCode::Char('j') => (selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => selected.saturating_sub(1),
            KeyCode::Enter => {
                let Some(row) = report.terms.get(selected) else {
                    return Vec::new();
                };
                if row.doc_ids.is_empty() {
                    self.info(format!("{} hits no document", row.term));
                } else {
                    let ids: Vec<String> = row.doc_ids.iter().map(i64::to_string).collect();
                    self.docs.filter = format!("id:{}", ids.join(","));
                    self.focus = Pane::Documents;
                    self.info(format!(
                        "{} hit by {} (/ then Esc clears the filter)",
                        kodiak::report::plural(row.doc_ids.len(), "document"),
                        row.term
                    ));
                    return vec![self.refresh_list()];
                }
                return Vec::new();
            }
            KeyCode::Esc | KeyCode::Char('q') => return Vec::new(),
            _ => selected,
        };
        self.overlay = Some(Overlay::Terms { report, selected });
        Vec::new()
    }
}
