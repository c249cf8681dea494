//! Search of every document: the passages that match, grouped by document with their
//! counts, each opening its passage highlighted in the viewer. The queries are kept, newest
//! last, for ↑ in the search prompt.

use kodiak::search::Hit;

use super::Reply;
use super::*;

/// Queries kept for recall.
const HISTORY: usize = 50;

/// One document's matching passages, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct DocHits {
    pub doc_id: i64,
    pub title: String,
    pub hits: Vec<Hit>,
}

impl DocHits {
    /// The document's passages holding the query's terms; the others were found by meaning.
    pub fn exact(&self) -> usize {
        self.hits.iter().filter(|h| h.bm25_rank.is_some()).count()
    }
}

/// A search and its results, shown in the Documents pane until Esc.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusSearch {
    pub query: String,
    /// The mode asked for; None for the configured default.
    pub mode: Option<Mode>,
    /// None while the search runs.
    pub results: Option<Reply<SearchResults>>,
    /// Index of the selected passage, counting across the documents in order.
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub mode: Mode,
    /// In the order of each document's best passage.
    pub documents: Vec<DocHits>,
    /// Why vector search was left out, or what is stale.
    pub notes: Vec<String>,
}

impl SearchResults {
    fn new(outcome: kodiak::service::SearchOutcome) -> SearchResults {
        let mut documents: Vec<DocHits> = Vec::new();
        for hit in outcome.hits {
            match documents.iter_mut().find(|d| d.doc_id == hit.doc_id) {
                Some(doc) => doc.hits.push(hit),
                None => documents.push(DocHits {
                    doc_id: hit.doc_id,
                    title: crate::sanitize::line(hit.label()).into_owned(),
                    hits: vec![hit],
                }),
            }
        }
        SearchResults {
            mode: outcome.mode,
            documents,
            notes: outcome.notes,
        }
    }

    pub fn passages(&self) -> usize {
        self.documents.iter().map(|d| d.hits.len()).sum()
    }

    /// The passages holding the query's terms (found by BM25), of all shown.
    pub fn exact(&self) -> usize {
        self.documents.iter().map(DocHits::exact).sum()
    }

    /// The `n`th passage, counting across the documents in order.
    pub fn passage(&self, n: usize) -> Option<&Hit> {
        self.documents.iter().flat_map(|d| &d.hits).nth(n)
    }
}

impl CorpusSearch {
    pub(crate) fn move_by(&mut self, delta: isize) {
        let count = match &self.results {
            Some(Ok(results)) => results.passages(),
            _ => 0,
        };
        self.selected = self
            .selected
            .saturating_add_signed(delta)
            .min(count.saturating_sub(1));
    }

    pub fn selected_hit(&self) -> Option<&Hit> {
        match &self.results {
            Some(Ok(results)) => results.passage(self.selected),
            _ => None,
        }
    }
}

impl App {
    /// Searches every document for `query`, keeping it in the history.
    pub(super) fn search_corpus(&mut self, query: &str) -> Vec<Effect> {
        let query = query.trim();
        if query.is_empty() {
            return Vec::new();
        }
        self.search_history.retain(|q| q != query);
        self.search_history.push(query.to_owned());
        if self.search_history.len() > HISTORY {
            self.search_history.remove(0);
        }
        self.search = Some(CorpusSearch {
            query: query.to_owned(),
            mode: None,
            results: None,
            selected: 0,
        });
        self.viewer = None;
        self.focus = Pane::Documents;
        if let Some(view) = &mut self.checklist {
            view.open = false;
        }
        let request = self.start_job(|jobs| &mut jobs.search);
        vec![Effect::Job {
            request,
            job: Job::Search {
                query: query.to_owned(),
                mode: None,
            },
        }]
    }

    /// `m` in the results: exact terms only (BM25), or by meaning too (hybrid), whichever
    /// the results shown are not.
    fn switch_search_mode(&mut self) -> Vec<Effect> {
        let Some(search) = &mut self.search else {
            return Vec::new();
        };
        let shown = match &search.results {
            Some(Ok(results)) => Some(results.mode),
            _ => search.mode,
        };
        search.mode = Some(match shown {
            Some(Mode::Bm25) => Mode::Hybrid,
            _ => Mode::Bm25,
        });
        search.results = None;
        search.selected = 0;
        let job = Job::Search {
            query: search.query.clone(),
            mode: search.mode,
        };
        let request = self.start_job(|jobs| &mut jobs.search);
        vec![Effect::Job { request, job }]
    }

    pub(super) fn search_results(
        &mut self,
        request: u64,
        result: Reply<kodiak::service::SearchOutcome>,
    ) {
        if !self.jobs.search.accept_latest(request) {
            return;
        }
        if let Some(search) = &mut self.search {
            // Results read again (the matter changed) keep the selection where it can be.
            let refreshed = search.results.is_some();
            let results = result.map(SearchResults::new);
            search.selected = match (&results, refreshed) {
                (Ok(r), true) => search.selected.min(r.passages().saturating_sub(1)),
                _ => 0,
            };
            search.results = Some(results);
            self.dirty = true;
        }
    }

    /// The search results' actions.
    pub(crate) fn act_search(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Open => {
                let search = self.search.as_ref();
                let target = search.and_then(|s| Some((s.selected_hit()?, s.query.as_str())));
                if let Some((hit, query)) = target {
                    let focus = Focus::about(hit.char_start, hit.char_end, query);
                    return vec![self.open(hit.doc_id, Some(focus))];
                }
            }
            Action::Close => self.search = None,
            Action::SwitchSearch => return self.switch_search_mode(),
            _ => {}
        }
        Vec::new()
    }

    /// ↑ (`older`) or ↓ in the search prompt: an earlier or later query.
    pub(super) fn recall_search(&mut self, older: bool) -> Option<String> {
        let n = self.search_history.len();
        if n == 0 {
            return None;
        }
        let at = match (self.search_recall, older) {
            (None, true) => n - 1,
            (None, false) => return None,
            (Some(i), true) => i.saturating_sub(1),
            (Some(i), false) if i + 1 < n => i + 1,
            (Some(_), false) => {
                self.search_recall = None;
                return Some(String::new());
            }
        };
        self.search_recall = Some(at);
        self.search_history.get(at).cloned()
    }
}
