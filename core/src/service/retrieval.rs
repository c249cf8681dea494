//! Searching and the vectors behind it: the query's embedding, hybrid retrieval, embedding
//! what is missing, reindexing.

use super::*;

/// How to search.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// None: hybrid when an embedder is configured, else BM25.
    pub mode: Option<Mode>,
    pub limit: usize,
    /// Only these documents, when not empty.
    pub documents: Vec<i64>,
}

/// Search results, with the mode actually used and why it differs from the one asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutcome {
    pub mode: Mode,
    pub hits: Vec<Hit>,
    /// Why vector search was left out, or what is stale.
    pub notes: Vec<String>,
}

/// Which chunks [`Kodiak::embed_missing`] embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToEmbed {
    /// Chunks with no vector at all: what ingest just stored.
    New,
    /// Also chunks whose vector another embedder made: `kodiak reembed`.
    NotFromCurrent,
}

/// What filling in missing vectors did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmbedReport {
    /// Chunks given fast vectors.
    pub fast: usize,
    /// Chunks given the embedding model's vectors.
    pub embedded: usize,
    /// Chunks still without a vector, because the embedder failed.
    pub error: Option<String>,
    /// Stopped on the reviewer's request.
    pub cancelled: bool,
}

/// Queries on their way to vectors, as the matter's choice asks: the fast model's are
/// made at once, the embedding model's by its worker while the caller ranks by BM25.
pub struct QueryEmbedding<'a> {
    full: Option<WorkerQuery<'a>>,
    fast: Option<Vec<Vec<f32>>>,
}

/// Queries' vectors, per kind; a kind is absent when the matter does not use it or its
/// model failed.
#[derive(Debug, Clone, Default)]
pub struct QueryVectors {
    pub full: Option<Vec<Vec<f32>>>,
    pub fast: Option<Vec<Vec<f32>>>,
}

impl QueryVectors {
    /// Query `i`'s vectors.
    pub(super) fn get(&self, i: usize) -> (Option<&[f32]>, Option<&[f32]>) {
        (nth(&self.full, i), nth(&self.fast, i))
    }
}

fn nth(vectors: &Option<Vec<Vec<f32>>>, i: usize) -> Option<&[f32]> {
    vectors.as_ref().and_then(|v| v.get(i)).map(Vec::as_slice)
}

impl QueryEmbedding<'_> {
    /// The queries' vectors, waited for. The embedding model failing leaves its kind out
    /// when the fast vectors can stand in, and is the error otherwise.
    pub fn wait(mut self) -> Result<QueryVectors, LlmError> {
        let full = match self.full.as_mut().and_then(WorkerQuery::outcome) {
            Some(Ok(vectors)) => Some(vectors),
            Some(Err(e)) if self.fast.is_none() => return Err(e),
            Some(Err(e)) => {
                tracing::warn!(error = %e, "query not embedded by the model; fast vectors only");
                None
            }
            None => None,
        };
        Ok(QueryVectors {
            full,
            fast: self.fast.take(),
        })
    }
}

/// Queries in the embedding worker. The outcome is recorded by the embedder's breaker
/// when it is waited for, or when it is dropped unused (a search that failed first): a
/// half-open breaker's trial must end either way.
struct WorkerQuery<'a> {
    breaker: &'a Breaker,
    pending: Option<PendingEmbedding>,
}

impl WorkerQuery<'_> {
    pub(super) fn outcome(&mut self) -> Option<Result<Vec<Vec<f32>>, LlmError>> {
        let outcome = self.pending.take()?.wait();
        match &outcome {
            Ok(_) => self.breaker.success(),
            Err(_) => self.breaker.failure(),
        }
        Some(outcome)
    }
}

impl Drop for WorkerQuery<'_> {
    fn drop(&mut self) {
        self.outcome();
    }
}

impl Kodiak {
    /// The embedder, started on first use; None when none is configured.
    pub fn embedder(&self) -> Option<Result<&EmbedderWorker, &str>> {
        let path = self.settings.paths.embedder_model.as_ref()?;
        let started = self.embedder.get_or_init(|| {
            let threads = crate::cpu::threads_or_cores(self.settings.config.embedder.threads);
            let priority = self.settings.config.ingest.priority;
            EmbedderWorker::start(self.launch(), path, threads, priority).map_err(|e| {
                tracing::warn!(error = %e, "embedder unavailable");
                e.to_string()
            })
        });
        Some(started.as_ref().map_err(String::as_str))
    }

    /// Gives the chunks `which` names the vectors the matter uses: fast vectors first (a
    /// matter of seconds), then, when it uses full vectors, the embedding model's. Vectors
    /// are stored in batches, so an interruption keeps the work done and the next run goes
    /// on from there.
    pub fn embed_missing(
        &self,
        which: ToEmbed,
        progress: &dyn Progress,
    ) -> Result<EmbedReport, ServiceError> {
        if self.settings.paths.embedder_model.is_none() {
            return Err(ServiceError::Embedder(
                "no embedder is configured: set [embedder] enabled = true".into(),
            ));
        }
        let choice = self.vector_choice()?;
        let mut report = EmbedReport::default();
        if choice == crate::config::VectorChoice::None {
            return Ok(report);
        }
        match self.embed_fast(which, progress) {
            Ok(made) => report.fast = made,
            // Full vectors can still be made; fast-only has nothing else to make.
            Err(ServiceError::Embedder(reason)) => {
                report.error = Some(format!("fast vectors: {reason}"));
                if choice == crate::config::VectorChoice::Fast {
                    return Ok(report);
                }
            }
            Err(e) => return Err(e),
        }
        report.cancelled = progress.cancelled();
        if choice == crate::config::VectorChoice::Full && !report.cancelled {
            self.embed_full(which, progress, &mut report)?;
        }
        Ok(report)
    }

    /// The embedding model's pass of [`Kodiak::embed_missing`].
    fn embed_full(
        &self,
        which: ToEmbed,
        progress: &dyn Progress,
        report: &mut EmbedReport,
    ) -> Result<(), ServiceError> {
        const PAGE: usize = 256;
        let handle = match self.embedder() {
            Some(Ok(handle)) => handle,
            Some(Err(reason)) => {
                report.error = Some(reason.to_owned());
                return Ok(());
            }
            None => return Ok(()),
        };
        let (embedder_id, which) = self.register_embedder(handle.identity(), false, which)?;
        let total = vectors::count_to_embed(&*self.db.conn()?, which)?;
        if total == 0 {
            return Ok(());
        }
        progress.embedding(0, total);
        let mut after = 0;
        loop {
            // Stopped between pages: the vectors stored stay; the rest waits for the next
            // start or `kodiak reembed`.
            if progress.cancelled() {
                report.cancelled = true;
                break;
            }
            let page = vectors::chunks_to_embed(&*self.db.conn()?, which, after, PAGE)?;
            let Some(&(last, _)) = page.last() else { break };
            after = last;
            let (ids, texts): (Vec<i64>, Vec<String>) = page.into_iter().unzip();
            let embedded = match handle.embed(texts) {
                Ok(embedded) => embedded,
                Err(e) => {
                    tracing::warn!(error = %e, "embedding failed; chunks left without vectors");
                    report.error = Some(e.to_string());
                    break;
                }
            };
            let pairs: Vec<(i64, Vec<f32>)> = ids.into_iter().zip(embedded).collect();
            self.db
                .write(|tx| vectors::store(tx, embedder_id, &pairs).map_err(ServiceError::from))?;
            report.embedded += pairs.len();
            progress.embedding(report.embedded.min(total), total);
        }
        Ok(())
    }

    /// Searches by BM25, vector or both (see [`SearchOptions`]). When vector search is
    /// asked for but unavailable, the search is BM25 alone and a note says why.
    pub fn search(
        &self,
        query: &str,
        options: &SearchOptions,
    ) -> Result<SearchOutcome, ServiceError> {
        let index = self.index()?;
        let mut notes = Vec::new();
        let wanted = match options.mode {
            Some(mode) => mode,
            None => match self.vector_choice()? {
                crate::config::VectorChoice::None => Mode::Bm25,
                _ => Mode::Hybrid,
            },
        };
        // The query is embedded by the embedding worker while this thread ranks by BM25.
        let pending = match wanted {
            Mode::Bm25 => None,
            _ => Some(self.start_query_embedding(query)),
        };
        let retrieval = &self.settings.config.retrieval;
        let scope = (!options.documents.is_empty()).then_some(options.documents.as_slice());
        let request = SearchRequest {
            text: query,
            limit: options.limit,
            candidates: retrieval.candidates,
            scope,
            weights: self.fusion_weights(),
        };
        let nearest = |candidates: usize, scope: Option<&HashSet<i64>>| {
            let found = pending?.and_then(|pending| self.nearest(pending, candidates, scope));
            match found {
                Ok((hits, missing_note)) => {
                    notes.extend(missing_note);
                    hits
                }
                Err(reason) => {
                    notes.push(format!("vector search unavailable ({reason}); BM25 only"));
                    None
                }
            }
        };
        let mut clause_notes = Vec::new();
        let clauses = |documents: &[i64]| self.clause_ranking(query, documents, &mut clause_notes);
        let found = self
            .breakers
            .search
            .call(|| crate::search::retrieve(index, &self.db, wanted, &request, nearest, clauses))
            .ok_or_else(|| {
                let status = self.breakers.search.status();
                ServiceError::SearchPaused {
                    failures: status.failures,
                    retry_in_secs: status.retry_in_secs.unwrap_or(0.0),
                }
            })??;
        notes.extend(clause_notes);
        // A full disk can leave the index behind the database; say so rather than let
        // "no matches" pass for the truth. (During an ingest it lags until its next commit.)
        if index.is_behind(&self.db).unwrap_or(false) {
            notes.push(
                "the search index is behind the database: documents stored since its last \
                 commit are not found yet; `kodiak reindex` brings it up to date"
                    .into(),
            );
        }
        Ok(SearchOutcome {
            mode: found.mode,
            hits: found.hits,
            notes,
        })
    }

    /// How rankings are fused: `[retrieval]`, with the fast vectors' weight when the
    /// matter uses them alone.
    pub(super) fn fusion_weights(&self) -> FusionWeights {
        let retrieval = &self.settings.config.retrieval;
        let mut weights = FusionWeights::from(retrieval);
        if self.vector_choice().ok() == Some(crate::config::VectorChoice::Fast) {
            weights.vector = retrieval.fast_vector_weight;
        }
        weights
    }

    /// The clause model, loaded once: `[checklist] clause_model`, else the built-in one.
    pub(super) fn clause_model(&self) -> Result<Arc<crate::clauses::ClauseModel>, String> {
        let path = self.settings.config.checklist.clause_model.as_deref();
        let expanded = path.map(crate::config::expand_home);
        crate::clauses::clause_model(expanded.as_deref()).map_err(|e| {
            format!("{e}; fix or remove `[checklist] clause_model` in the configuration")
        })
    }

    /// The chunks of `documents` ranked by the clause detector for `query`; empty when it
    /// names no clause type, or when the model cannot be used (a note says why).
    fn clause_ranking(
        &self,
        query: &str,
        documents: &[i64],
        notes: &mut Vec<String>,
    ) -> Vec<crate::search::ClauseHit> {
        let ranker = self
            .clause_ranker
            .get_or_init(|| self.clause_model().map(crate::search::ClauseRanker::new));
        let ranker = match ranker {
            Ok(ranker) => ranker,
            Err(e) => {
                notes.push(format!("passages not ranked by the clause detector: {e}"));
                return Vec::new();
            }
        };
        let types = ranker.asked(query);
        if types.is_empty() {
            return Vec::new();
        }
        let limit = self.settings.config.retrieval.candidates;
        let ranked = self.db.conn().map_err(|e| e.to_string()).and_then(|conn| {
            ranker
                .rank(&conn, &types, documents, limit)
                .map_err(|e| e.to_string())
        });
        ranked.unwrap_or_else(|e| {
            notes.push(format!("passages not ranked by the clause detector: {e}"));
            Vec::new()
        })
    }

    /// Hands the query to the embedder (unless its breaker is open) without waiting: the
    /// caller ranks by BM25 meanwhile, then waits for the vector, or drops it unused.
    pub fn start_query_embedding(&self, query: &str) -> Result<QueryEmbedding<'_>, String> {
        self.start_queries_embedding(vec![query.to_owned()])
    }

    /// Hands several queries to the embedder at once (a checklist's items), without
    /// waiting; the fast model, when the matter uses it, embeds them at once.
    pub(super) fn start_queries_embedding(
        &self,
        queries: Vec<String>,
    ) -> Result<QueryEmbedding<'_>, String> {
        use crate::config::VectorChoice;
        if self.settings.paths.embedder_model.is_none() {
            return Err("no embedder is configured".into());
        }
        let choice = self.vector_choice().map_err(|e| e.to_string())?;
        let fast_model = match choice {
            VectorChoice::None => {
                return Err(
                    "this matter searches by words alone (`kodiak vectors` changes it)".into(),
                );
            }
            VectorChoice::Fast => Some(self.fast_embedder()?),
            // Fast vectors stand in for the passages the model has not reached, once made.
            VectorChoice::Full => {
                let conn = self.db.conn().map_err(|e| e.to_string())?;
                match vectors::any_fast(&conn).map_err(|e| e.to_string())? {
                    true => self.fast_embedder_if_made(),
                    false => None,
                }
            }
        };
        let fast = fast_model.map(|model| queries.iter().map(|q| model.embed(q)).collect());
        let full = match choice {
            VectorChoice::Full => match self.start_worker_query(queries) {
                Ok(query) => Some(query),
                Err(reason) if fast.is_none() => return Err(reason),
                Err(reason) => {
                    tracing::warn!(%reason, "query not embedded by the model; fast vectors only");
                    None
                }
            },
            _ => None,
        };
        Ok(QueryEmbedding { full, fast })
    }

    fn start_worker_query(&self, queries: Vec<String>) -> Result<WorkerQuery<'_>, String> {
        let handle = match self.embedder() {
            None => return Err("no embedder is configured".into()),
            Some(Err(reason)) => return Err(reason.to_owned()),
            Some(Ok(handle)) => handle,
        };
        let breaker = &self.breakers.embedder;
        if !breaker.allow() {
            return Err(format!(
                "the embedder failed {} times in a row and is paused",
                breaker.status().failures
            ));
        }
        Ok(WorkerQuery {
            breaker,
            pending: Some(handle.submit(queries, Urgency::Query)),
        })
    }

    /// The vector candidates for the query being embedded (None when no vectors are
    /// stored yet), with the note on chunks that have no vector, once the vectors have
    /// caught up with SQLite.
    pub(super) fn nearest(
        &self,
        query: QueryEmbedding<'_>,
        candidates: usize,
        scope: Option<&HashSet<i64>>,
    ) -> Result<(Option<Vec<VectorHit>>, Option<String>), String> {
        let vectors = query.wait().map_err(|e| e.to_string())?;
        let (full, fast) = vectors.get(0);
        if full.is_none() && fast.is_none() {
            return Err("the embedder returned nothing".into());
        }
        self.nearest_to(full, fast, candidates, scope)
    }

    /// The chunks nearest a query by its full and fast vectors. The model's vectors rank
    /// alone once every chunk has one; until then the fast vectors rank the chunks it has
    /// not reached, interleaved with its ranking by rank.
    pub(super) fn nearest_to(
        &self,
        full: Option<&[f32]>,
        fast: Option<&[f32]>,
        candidates: usize,
        scope: Option<&HashSet<i64>>,
    ) -> Result<(Option<Vec<VectorHit>>, Option<String>), String> {
        self.sync_vectors().map_err(|e| e.to_string())?;
        let state = self.vectors.lock().map_err(|_| poisoned().to_string())?;
        let full_hits = match (full, state.full.as_ref()) {
            (Some(vector), Some(index)) => {
                Some(self.vector_search(index, vector, candidates, scope)?)
            }
            _ => None,
        };
        let fast_needed = full_hits.is_none() || state.full_missing > 0;
        let fast_hits = match (fast, state.fast.as_ref()) {
            (Some(vector), Some(index)) if fast_needed => {
                Some(self.vector_search(index, vector, candidates, scope)?)
            }
            _ => None,
        };
        let note = match fast_hits.is_some() {
            true => state.fast_note.clone(),
            false => state.full_note.clone(),
        };
        let hits = match (full_hits, fast_hits, state.full.as_ref()) {
            (Some(full), Some(fast), Some(index)) => Some(crate::search::fuse_vector_rankings(
                &full,
                &fast,
                |chunk| index.contains(chunk),
                candidates,
            )),
            (full, fast, _) => full.or(fast),
        };
        Ok((hits, note))
    }

    /// The exact nearest chunks to `vector`, rescored on SQLite's `f32` vectors.
    pub(super) fn vector_search(
        &self,
        index: &VectorIndex,
        vector: &[f32],
        candidates: usize,
        scope: Option<&HashSet<i64>>,
    ) -> Result<Vec<VectorHit>, String> {
        let conn = self.db.conn().map_err(|e| e.to_string())?;
        index
            .search(vector, candidates, scope, |ids| {
                vectors::of_chunks(&conn, index.embedder_id(), ids)
            })
            .map_err(|e| e.to_string())
    }

    /// Loads the vectors of the models in use on first use, then follows SQLite. Whenever
    /// they change, counts the chunks still without a vector of each kind: vector search
    /// cannot find those until the next ingest or `kodiak reembed` gives them one.
    pub(super) fn sync_vectors(&self) -> Result<(), ServiceError> {
        let choice = self.vector_choice()?;
        let full = match (choice, self.embedder.get()) {
            (crate::config::VectorChoice::Full, Some(Ok(handle))) => {
                Some(handle.identity().clone())
            }
            _ => None,
        };
        let fast = match self.fast.get() {
            Some(Ok(model)) => Some(model.identity().clone()),
            _ => None,
        };
        let mut state = self.vectors.lock().map_err(|_| poisoned())?;
        let conn = self.db.conn()?;
        let state = &mut *state;
        if let Some(identity) = &full
            && sync_one(&conn, &mut state.full, identity)?
        {
            let id = state.full.as_ref().map_or(0, VectorIndex::embedder_id);
            state.full_missing = vectors::count_to_embed(&conn, Missing::From(id))?;
            state.full_note = missing_note(state.full_missing, &identity.file_name);
        }
        if full.is_none() {
            state.full = None;
        }
        // Fast vectors are held only while they serve: a full matter's are dropped once the
        // model has reached every chunk.
        let fast = fast.filter(|_| state.full.is_none() || state.full_missing > 0);
        if fast.is_none() {
            state.fast = None;
        }
        if let Some(identity) = &fast
            && sync_one(&conn, &mut state.fast, identity)?
        {
            let id = state.fast.as_ref().map_or(0, VectorIndex::embedder_id);
            let missing = vectors::count_to_embed(&conn, Missing::From(id))?;
            state.fast_note = missing_note(missing, "the fast model");
        }
        Ok(())
    }

    /// Rebuilds the search index from SQLite.
    /// Rebuilds the search index from SQLite. An index that cannot even be opened or read
    /// (damaged files) is started afresh first, so the advised repair always repairs.
    pub fn reindex(&self) -> Result<SyncStats, ServiceError> {
        match &self.index {
            Ok(index) => match index
                .writer()
                .and_then(|mut writer| writer.rebuild(&self.db))
            {
                Err(SearchError::Index { .. }) => {}
                other => return Ok(other?),
            },
            Err(SearchError::Index { .. }) => {}
            Err(other) => return Err(ServiceError::IndexUnavailable(other.to_string())),
        }
        let fresh = SearchIndex::recreate(&self.settings.paths.index_dir)?;
        Ok(fresh.writer()?.rebuild(&self.db)?)
    }
}

/// Loads one model's vectors on first use, then follows SQLite; whether they changed.
fn sync_one(
    conn: &rusqlite::Connection,
    slot: &mut Option<VectorIndex>,
    identity: &crate::llm::EmbedderIdentity,
) -> Result<bool, ServiceError> {
    if let Some(index) = slot.as_mut() {
        return Ok(index.sync(conn)?);
    }
    if let Some(id) = vectors::find_embedder(conn, &identity.file_name, &identity.sha256)? {
        *slot = Some(VectorIndex::load(conn, id, identity.dimensions)?);
    }
    Ok(true)
}

/// The note on chunks a model's vectors miss.
fn missing_note(missing: usize, model: &str) -> Option<String> {
    (missing > 0).then(|| {
        format!(
            "{missing} chunks have no vector from {model}; vector search misses them until \
             `kodiak reembed`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use crate::config::Config;
    use crate::ingest::Silent;

    /// A contract whose assignment clause never says "assign": BM25 finds the question's
    /// words in the recitals and the notices; the detector finds the clause.
    const CONTRACT: &str = "DISTRIBUTION AGREEMENT\n\n\
        This Distribution Agreement is made between Acme Ltd (the Supplier) and Birch plc \
        (the Distributor). The Supplier may assign territories to the Distributor from time \
        to time, and each territory assigned is listed in Schedule 1 of this agreement.\n\n\
        1. Notices. Notices under this agreement are given in writing to the address of the \
        party set out above, and a notice assigned a reference number is deemed received on \
        the second business day after it is sent by courier to that address.\n\n\
        2. Transfer. Neither party may transfer, delegate or otherwise dispose of its rights or \
        obligations hereunder, in whole or in part, by operation of law or otherwise, without \
        the prior written consent of the other party, and any purported transfer without such \
        consent is void.\n\n\
        3. Governing law. This Agreement shall be governed by and construed in accordance with \
        the laws of the State of New York, without regard to its conflict of laws rules.\n";

    /// Prose that is no contract, where the detector's other types also fire.
    const STUDY: &str = "Randomised trial of exercise therapy\n\n\
        Patients were assigned at random to exercise therapy or to usual care from the date \
        of enrolment, and patients who withdrew were followed for twelve months. Exercise \
        therapy became effective after six weeks and was more effective than usual care in \
        reducing pain.\n";

    fn kodiak(dir: &Path, clause_weight: f32) -> (Kodiak, i64, i64) {
        let docs = dir.join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("distribution.txt"), CONTRACT).unwrap();
        std::fs::write(docs.join("study.txt"), STUDY).unwrap();
        let mut config = Config::default();
        config.embedder.enabled = false;
        config.generator.enabled = false;
        config.ingest.chunk_chars = 300;
        config.ingest.chunk_overlap = 0;
        config.retrieval.clause_weight = clause_weight;
        let kodiak = Kodiak::open(Settings::in_dir(&dir.join("data"), config)).unwrap();
        kodiak.ingest(&[docs], &Silent).unwrap();
        let id = |name: &str| {
            let documents = kodiak.documents().unwrap();
            documents
                .iter()
                .find(|d| d.path.ends_with(name))
                .unwrap()
                .id
        };
        let (contract, study) = (id("distribution.txt"), id("study.txt"));
        (kodiak, contract, study)
    }

    fn first_hit(kodiak: &Kodiak, question: &str, documents: Vec<i64>) -> Hit {
        let options = SearchOptions {
            mode: Some(Mode::Bm25),
            limit: 5,
            documents,
        };
        let outcome = kodiak.search(question, &options).unwrap();
        assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
        outcome.hits.into_iter().next().unwrap()
    }

    /// Whether `hit` holds the contract's transfer clause.
    fn holds_the_transfer_clause(hit: &Hit) -> bool {
        let byte = CONTRACT.find("Neither party may transfer").unwrap();
        let at = CONTRACT[..byte].chars().count();
        hit.char_start <= at && at < hit.char_end
    }

    #[test]
    fn a_question_naming_a_clause_type_finds_the_clause_bm25_alone_misses() {
        let question = "Can the agreement be assigned?";
        let dir = tempfile::tempdir().unwrap();
        let (with_detector, contract, _) = kodiak(dir.path(), 4.0);
        let hit = first_hit(&with_detector, question, vec![contract]);
        assert!(holds_the_transfer_clause(&hit), "{hit:?}");
        assert!(hit.clause_rank.is_some());
        let dir = tempfile::tempdir().unwrap();
        let (bm25_only, contract, _) = kodiak(dir.path(), 0.0);
        let hit = first_hit(&bm25_only, question, vec![contract]);
        assert!(!holds_the_transfer_clause(&hit), "{hit:?}");
    }

    #[test]
    fn the_detector_ranks_nothing_in_a_document_that_does_not_read_as_a_contract() {
        let dir = tempfile::tempdir().unwrap();
        let (kodiak, contract, study) = kodiak(dir.path(), 4.0);
        let model = kodiak.clause_model().unwrap();
        let ranker = crate::search::ClauseRanker::new(model.clone());
        let types = ranker.asked("When does the agreement become effective?");
        assert_eq!(types, ["effective_date"]);
        // Read alone, the study has sentences the detector takes for an effective date.
        let t = model.type_index("effective_date").unwrap();
        let scores = model.read(&mut crate::clauses::Reader::new(), STUDY);
        let fires = (0..scores.document.units.len())
            .any(|i| scores.probability(i, t) >= model.types[t].unsure);
        assert!(fires);
        let conn = kodiak.db.conn().unwrap();
        assert!(ranker.rank(&conn, &types, &[study], 10).unwrap().is_empty());
        assert!(
            !ranker
                .rank(&conn, &types, &[contract], 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_quoted_phrase_is_exact_in_hybrid_search_vectors_only_reorder() {
        let dir = tempfile::tempdir().unwrap();
        let (kodiak, contract, study) = kodiak(dir.path(), 4.0);
        let conn = kodiak.db.conn().unwrap();
        let chunks = |doc: i64| -> Vec<i64> {
            crate::storage::documents::places_with_pages(&conn, doc)
                .unwrap()
                .into_iter()
                .map(|(place, _)| place.chunk_id)
                .collect()
        };
        let (in_contract, in_study) = (chunks(contract), chunks(study));
        // The vectors' nearest: the study first, then every chunk of the contract.
        let nearest: Vec<crate::search::VectorHit> = in_study
            .iter()
            .map(|&chunk_id| (chunk_id, study))
            .chain(in_contract.iter().map(|&chunk_id| (chunk_id, contract)))
            .map(|(chunk_id, document_id)| crate::search::VectorHit {
                chunk_id,
                document_id,
                score: 0.9,
            })
            .collect();
        let config = &kodiak.settings.config.retrieval;
        let search = |text: &str| {
            let request = crate::search::SearchRequest {
                text,
                limit: 10,
                candidates: config.candidates,
                scope: None,
                weights: crate::search::FusionWeights {
                    k: config.rrf_k,
                    bm25: config.bm25_weight,
                    vector: config.vector_weight,
                    clause: 0.0,
                },
            };
            crate::search::retrieve(
                kodiak.index().unwrap(),
                &kodiak.db,
                Mode::Hybrid,
                &request,
                |_, _| Some(nearest.clone()),
                |_| Vec::new(),
            )
            .unwrap()
            .hits
        };
        let hits = search("\"governed by and construed\" law");
        assert!(!hits.is_empty());
        for hit in &hits {
            assert_eq!(hit.doc_id, contract, "{hit:?}");
            let text = crate::storage::documents::text(&conn, contract)
                .unwrap()
                .unwrap()
                .0;
            let chunk: String = text
                .chars()
                .skip(hit.char_start)
                .take(hit.char_end - hit.char_start)
                .collect();
            assert!(chunk.contains("governed by and construed"), "{chunk}");
        }
        // Unquoted, the vectors' neighbours join the fusion.
        let loose = search("governed by and construed law");
        assert!(loose.iter().any(|h| h.doc_id == study), "{loose:?}");
    }

    /// A second engine behind [`crate::search::Retriever`]: it is fed each document's
    /// chunks as the local index is, and ranks them by how many of the query's words they
    /// hold. It also names a chunk the database does not hold, as an engine lagging behind
    /// a deletion would.
    struct WordCounter {
        chunks: Vec<crate::storage::documents::IndexedChunk>,
        lagging: Option<crate::search::RankedChunk>,
    }

    impl WordCounter {
        fn fed_from(kodiak: &Kodiak) -> WordCounter {
            let conn = kodiak.db.conn().unwrap();
            let chunks = crate::storage::documents::indexed_document_ids(&conn)
                .unwrap()
                .into_iter()
                .flat_map(|id| crate::storage::documents::chunks_for_index(&conn, id).unwrap())
                .collect();
            WordCounter {
                chunks,
                lagging: None,
            }
        }
    }

    impl crate::search::Retriever for WordCounter {
        fn rank(
            &self,
            text: &str,
            limit: usize,
            scope: Option<&[i64]>,
        ) -> Result<Vec<crate::search::RankedChunk>, SearchError> {
            let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
            let mut ranked: Vec<crate::search::RankedChunk> = self
                .chunks
                .iter()
                .filter(|c| scope.is_none_or(|s| s.contains(&c.document_id)))
                .map(|c| {
                    let lower = c.text.to_lowercase();
                    let held = words.iter().filter(|w| lower.contains(w.as_str())).count();
                    crate::search::RankedChunk {
                        chunk_id: c.chunk_id,
                        doc_id: c.document_id,
                        score: held as f32,
                    }
                })
                .filter(|r| r.score > 0.0)
                .chain(self.lagging)
                .collect();
            ranked.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then(a.chunk_id.cmp(&b.chunk_id))
            });
            ranked.truncate(limit);
            Ok(ranked)
        }

        fn snippets(&self, _text: &str) -> Result<crate::search::Snippets, SearchError> {
            Ok(crate::search::Snippets::openings())
        }
    }

    #[test]
    fn a_second_retriever_plugs_into_retrieval_its_ranking_read_from_sqlite_fused_with_vectors_and_a_chunk_sqlite_lacks_left_out()
     {
        let dir = tempfile::tempdir().unwrap();
        let (kodiak, contract, study) = kodiak(dir.path(), 0.0);
        let mut double = WordCounter::fed_from(&kodiak);
        double.lagging = Some(crate::search::RankedChunk {
            chunk_id: 999_999,
            doc_id: contract,
            score: 99.0,
        });
        let request = |text| crate::search::SearchRequest {
            text,
            limit: 3,
            candidates: 10,
            scope: None,
            weights: crate::search::FusionWeights {
                k: 60.0,
                bm25: 1.0,
                vector: 1.0,
                clause: 0.0,
            },
        };
        let question = "construed laws State York";
        let bm25 = |index: &dyn crate::search::Retriever| {
            crate::search::retrieve(
                index,
                &kodiak.db,
                Mode::Bm25,
                &request(question),
                |_, _| None,
                |_| Vec::new(),
            )
            .unwrap()
            .hits
        };
        // The double's first hit is the one the local index ranks first: the governing-law
        // passage, its place and text read from SQLite; the chunk SQLite lacks is gone.
        let local = bm25(kodiak.index().unwrap());
        let doubled = bm25(&double);
        assert_eq!(doubled[0].chunk_id, local[0].chunk_id);
        assert!(doubled.iter().all(|h| h.chunk_id != 999_999), "{doubled:?}");
        let law = CONTRACT.find("the laws of the State of New York").unwrap();
        let law = CONTRACT[..law].chars().count();
        assert!(doubled[0].char_start <= law && law < doubled[0].char_end);
        assert_eq!(doubled[0].doc_id, contract);
        assert!(
            doubled[0].snippet.starts_with("3. Governing law."),
            "{:?}",
            doubled[0].snippet
        );
        // In hybrid mode the vectors' candidate joins the double's ranking.
        let conn = kodiak.db.conn().unwrap();
        let study_chunk = crate::storage::documents::places_with_pages(&conn, study).unwrap()[0]
            .0
            .chunk_id;
        let nearest = vec![crate::search::VectorHit {
            chunk_id: study_chunk,
            document_id: study,
            score: 0.9,
        }];
        let hybrid = crate::search::retrieve(
            &double,
            &kodiak.db,
            Mode::Hybrid,
            &request(question),
            |_, _| Some(nearest),
            |_| Vec::new(),
        )
        .unwrap();
        assert_eq!(hybrid.mode, Mode::Hybrid);
        let fused = hybrid
            .hits
            .iter()
            .find(|h| h.chunk_id == study_chunk)
            .unwrap();
        assert_eq!(fused.vector_rank, Some(1));
    }
}
