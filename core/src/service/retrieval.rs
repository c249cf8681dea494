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
    pub embedded: usize,
    /// Chunks still without a vector, because the embedder failed.
    pub error: Option<String>,
    /// Stopped on the reviewer's request.
    pub cancelled: bool,
}

/// A search query on its way through the embedder. Its outcome is recorded by the
/// embedder's breaker when it is waited for, or when it is dropped unused (a search that
/// failed first): a half-open breaker's trial must end either way.
pub struct QueryEmbedding<'a> {
    handle: &'a EmbedderWorker,
    breaker: &'a Breaker,
    pending: Option<PendingEmbedding>,
}

impl QueryEmbedding<'_> {
    pub(super) fn handle(&self) -> &EmbedderWorker {
        self.handle
    }

    /// The query's vector, waited for.
    pub fn wait(mut self) -> Result<Vec<Vec<f32>>, LlmError> {
        self.outcome()
            .unwrap_or_else(|| Err(LlmError::Embed("the query was already embedded".into())))
    }

    pub(super) fn outcome(&mut self) -> Option<Result<Vec<Vec<f32>>, LlmError>> {
        let outcome = self.pending.take()?.wait();
        match &outcome {
            Ok(_) => self.breaker.success(),
            Err(_) => self.breaker.failure(),
        }
        Some(outcome)
    }
}

impl Drop for QueryEmbedding<'_> {
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

    /// Gives a vector from the configured embedder to the chunks `which` names. Vectors are stored in batches, so an interruption keeps the work
    /// done and the next run goes on from there.
    pub fn embed_missing(
        &self,
        which: ToEmbed,
        progress: &dyn Progress,
    ) -> Result<EmbedReport, ServiceError> {
        const PAGE: usize = 256;
        let handle = match self.embedder() {
            None => {
                return Err(ServiceError::Embedder(
                    "no embedder is configured: set [embedder] enabled = true".into(),
                ));
            }
            Some(Err(reason)) => {
                return Ok(EmbedReport {
                    error: Some(reason.to_owned()),
                    ..EmbedReport::default()
                });
            }
            Some(Ok(handle)) => handle,
        };
        let identity = handle.identity();
        let embedder_id = self.db.write(|tx| {
            vectors::embedder_id(
                tx,
                &identity.file_name,
                &identity.sha256,
                identity.dimensions,
            )
            .map_err(ServiceError::from)
        })?;
        let which = match which {
            ToEmbed::New => Missing::Any,
            ToEmbed::NotFromCurrent => Missing::From(embedder_id),
        };
        let total = vectors::count_to_embed(&*self.db.conn()?, which)?;
        let mut report = EmbedReport::default();
        if total == 0 {
            return Ok(report);
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
        Ok(report)
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
        let wanted = options
            .mode
            .unwrap_or(match self.settings.paths.embedder_model {
                Some(_) => Mode::Hybrid,
                None => Mode::Bm25,
            });
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
            weights: FusionWeights::from(retrieval),
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
        let found = self
            .breakers
            .search
            .call(|| crate::search::retrieve(index, &self.db, wanted, &request, nearest))
            .ok_or_else(|| {
                let status = self.breakers.search.status();
                ServiceError::SearchPaused {
                    failures: status.failures,
                    retry_in_secs: status.retry_in_secs.unwrap_or(0.0),
                }
            })??;
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

    /// Hands the query to the embedder (unless its breaker is open) without waiting: the
    /// caller ranks by BM25 meanwhile, then waits for the vector, or drops it unused.
    pub fn start_query_embedding(&self, query: &str) -> Result<QueryEmbedding<'_>, String> {
        self.start_queries_embedding(vec![query.to_owned()])
    }

    /// Hands several queries to the embedder at once (a checklist's items), without
    /// waiting.
    pub(super) fn start_queries_embedding(
        &self,
        queries: Vec<String>,
    ) -> Result<QueryEmbedding<'_>, String> {
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
        Ok(QueryEmbedding {
            handle,
            breaker,
            pending: Some(handle.submit(queries, Urgency::Query)),
        })
    }

    /// The vector candidates for the query being embedded (None when the embedder has no
    /// vectors yet), with the note on chunks that have no vector, once the vector index
    /// has caught up with SQLite.
    pub(super) fn nearest(
        &self,
        query: QueryEmbedding<'_>,
        candidates: usize,
        scope: Option<&HashSet<i64>>,
    ) -> Result<(Option<Vec<VectorHit>>, Option<String>), String> {
        self.sync_vectors(query.handle).map_err(|e| e.to_string())?;
        let vector = query
            .wait()
            .map_err(|e| e.to_string())?
            .pop()
            .ok_or_else(|| "the embedder returned nothing".to_owned())?;
        let vectors = self.vectors.lock().map_err(|_| poisoned().to_string())?;
        let hits = vectors
            .matrix
            .as_ref()
            .map(|matrix| matrix.search(&vector, candidates, scope));
        Ok((hits, vectors.missing_note.clone()))
    }

    /// Loads the embedder's vectors on first use, then follows SQLite. Whenever they
    /// change, counts the chunks still without a vector from this embedder: vector search
    /// cannot find those until `kodiak reembed` (or the next ingest) gives them one.
    pub(super) fn sync_vectors(&self, handle: &EmbedderWorker) -> Result<(), ServiceError> {
        let mut vectors = self.vectors.lock().map_err(|_| poisoned())?;
        let conn = self.db.conn()?;
        let identity = handle.identity();
        let changed = match vectors.matrix.as_mut() {
            Some(matrix) => matrix.sync(&conn)?,
            None => {
                let found = vectors::find_embedder(&conn, &identity.file_name, &identity.sha256)?;
                if let Some(id) = found {
                    vectors.matrix = Some(VectorIndex::load(&conn, id, identity.dimensions)?);
                }
                true
            }
        };
        if changed {
            let current = vectors.matrix.as_ref().map_or(0, VectorIndex::embedder_id);
            let missing = vectors::count_to_embed(&conn, Missing::From(current))?;
            vectors.missing_note = (missing > 0).then(|| {
                format!(
                    "{missing} chunks have no vector from {}; vector search misses them \
                     until `kodiak reembed`",
                    identity.file_name
                )
            });
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
