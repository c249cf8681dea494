//! The matter's vectors: which it uses (none, fast or full), the fast model (distilled once
//! from the embedding model, through its worker, and kept beside it), filling in fast
//! vectors, and how far each kind has come.

use super::*;
use crate::config::VectorChoice;
use crate::health::{Coverage, VectorStatus};
use crate::llm::{StaticEmbedder, gguf_vocabulary};

/// Vocabulary tokens asked of the embedding worker at a time when distilling.
const DISTILL_PAGE: u32 = 2_048;
/// Chunks given fast vectors per transaction.
const FAST_PAGE: usize = 4_096;

impl Kodiak {
    /// Registers the embedder (fast or full) that is to fill in vectors; returns its id and
    /// which chunks `which` means for it.
    pub(super) fn register_embedder(
        &self,
        identity: &crate::llm::EmbedderIdentity,
        fast: bool,
        which: ToEmbed,
    ) -> Result<(i64, Missing), ServiceError> {
        let embedder_id = self.db.write(|tx| {
            vectors::embedder_id(
                tx,
                &identity.file_name,
                &identity.sha256,
                identity.dimensions,
                fast,
            )
            .map_err(ServiceError::from)
        })?;
        let missing = match which {
            ToEmbed::New => Missing::Any { fast },
            ToEmbed::NotFromCurrent => Missing::From(embedder_id),
        };
        Ok((embedder_id, missing))
    }

    /// The vectors this matter's search uses: its own choice, else `[embedder] vectors`;
    /// none when no embedding model is configured.
    pub fn vector_choice(&self) -> Result<VectorChoice, ServiceError> {
        if self.settings.paths.embedder_model.is_none() {
            return Ok(VectorChoice::None);
        }
        Ok(self.chosen_vectors()?.0)
    }

    /// The choice and whether the matter made it.
    fn chosen_vectors(&self) -> Result<(VectorChoice, bool), ServiceError> {
        match vectors::choice(&*self.db.conn()?)? {
            Some(name) => name
                .parse()
                .map(|choice| (choice, true))
                .map_err(|e: String| {
                    ServiceError::Embedder(format!("{e} in this matter's settings"))
                }),
            None => Ok((self.settings.config.embedder.vectors, false)),
        }
    }

    /// Sets the vectors this matter's search uses. The vectors of the new choice are made
    /// by the next ingest or `kodiak reembed`; none already stored is deleted.
    pub fn set_vector_choice(&self, choice: VectorChoice) -> Result<VectorStatus, ServiceError> {
        if choice != VectorChoice::None && self.settings.paths.embedder_model.is_none() {
            return Err(ServiceError::Embedder(
                "no embedding model is configured: set [embedder] enabled = true (and run \
                 scripts/fetch-models) before choosing vectors"
                    .into(),
            ));
        }
        self.db
            .write(|tx| vectors::set_choice(tx, choice.as_str()).map_err(ServiceError::from))?;
        self.record(Event::Vectors {
            choice: choice.as_str(),
        })?;
        self.vector_status()
    }

    /// The matter's choice of vectors and how far each kind has come.
    pub fn vector_status(&self) -> Result<VectorStatus, ServiceError> {
        let (choice, chosen_here) = match self.settings.paths.embedder_model {
            None => (VectorChoice::None, false),
            Some(_) => self.chosen_vectors()?,
        };
        let conn = self.db.conn()?;
        let chunks = documents::chunk_count(&conn)?;
        let coverage = |fast| -> Result<Coverage, ServiceError> {
            let missing = vectors::count_to_embed(&conn, Missing::Any { fast })?;
            Ok(Coverage {
                with_vectors: chunks.saturating_sub(missing),
                chunks,
            })
        };
        Ok(VectorStatus {
            choice,
            chosen_here,
            fast: coverage(true)?,
            full: coverage(false)?,
        })
    }

    /// The fast model, loaded on first use; distilled through the embedding worker first
    /// when it was never made for this embedding model (about half a minute on two cores).
    pub(super) fn fast_embedder(&self) -> Result<&Arc<StaticEmbedder>, String> {
        self.fast
            .get_or_init(|| {
                self.load_or_distill_fast().map_err(|e| {
                    tracing::warn!(error = %e, "fast vectors unavailable");
                    e
                })
            })
            .as_ref()
            .map_err(String::clone)
    }

    /// The fast model if it is loaded or made already: a search never waits for a
    /// distillation.
    pub(super) fn fast_embedder_if_made(&self) -> Option<&Arc<StaticEmbedder>> {
        if let Some(loaded) = self.fast.get() {
            return loaded.as_ref().ok();
        }
        let model = self.settings.paths.embedder_model.as_ref()?;
        let handle = self.embedder()?.ok()?;
        let path = StaticEmbedder::path_for(model, &handle.identity().sha256);
        path.is_file().then(|| self.fast_embedder().ok()).flatten()
    }

    fn load_or_distill_fast(&self) -> Result<Arc<StaticEmbedder>, String> {
        let model = self
            .settings
            .paths
            .embedder_model
            .as_ref()
            .ok_or("no embedding model is configured")?;
        let handle = match self.embedder() {
            Some(Ok(handle)) => handle,
            Some(Err(reason)) => return Err(reason.to_owned()),
            None => return Err("no embedding model is configured".into()),
        };
        let source = handle.identity();
        let path = StaticEmbedder::path_for(model, &source.sha256);
        if path.is_file() {
            match StaticEmbedder::load(&path, source) {
                Ok(loaded) => return Ok(Arc::new(loaded)),
                // Made again below, over the damaged file.
                Err(e) => {
                    tracing::warn!(error = %e, "fast vector model unreadable; making it again")
                }
            }
        }
        let started = std::time::Instant::now();
        let vocabulary = gguf_vocabulary(model).map_err(|e| e.to_string())?;
        let size = u32::try_from(vocabulary.len()).map_err(|_| "the vocabulary is too big")?;
        let mut vectors = Vec::with_capacity(vocabulary.len());
        for first in (0..size).step_by(DISTILL_PAGE as usize) {
            let count = DISTILL_PAGE.min(size - first);
            let page = handle
                .embed_vocabulary(first, count)
                .map_err(|e| format!("cannot make fast vectors: {e}"))?;
            vectors.extend(page);
        }
        let fast =
            StaticEmbedder::distill(&vocabulary, &vectors, source).map_err(|e| e.to_string())?;
        tracing::info!(
            tokens = fast.tokens(),
            seconds = started.elapsed().as_secs_f64(),
            "fast vector model made"
        );
        // Kept beside the embedding model for every matter; where that folder cannot be
        // written, the model serves this session only.
        if let Err(e) = fast.write(&path) {
            tracing::warn!(error = %e, "fast vector model not kept");
        }
        Ok(Arc::new(fast))
    }

    /// Gives fast vectors to the chunks `which` names, in pages (an interruption keeps
    /// what is stored). Returns how many were made.
    pub(super) fn embed_fast(
        &self,
        which: ToEmbed,
        progress: &dyn Progress,
    ) -> Result<usize, ServiceError> {
        let fast = self.fast_embedder().map_err(ServiceError::Embedder)?;
        let (embedder_id, which) = self.register_embedder(fast.identity(), true, which)?;
        let total = vectors::count_to_embed(&*self.db.conn()?, which)?;
        if total == 0 {
            return Ok(0);
        }
        progress.fast_vectors(0, total);
        let (mut done, mut after) = (0, 0);
        while !progress.cancelled() {
            let page = vectors::chunks_to_embed(&*self.db.conn()?, which, after, FAST_PAGE)?;
            let Some(&(last, _)) = page.last() else { break };
            after = last;
            let pairs = embed_in_parallel(fast, page);
            self.db
                .write(|tx| vectors::store(tx, embedder_id, &pairs).map_err(ServiceError::from))?;
            done += pairs.len();
            progress.fast_vectors(done.min(total), total);
        }
        Ok(done)
    }
}

/// Fast vectors for a page of chunks, the page split across the cores.
fn embed_in_parallel(fast: &StaticEmbedder, page: Vec<(i64, String)>) -> Vec<(i64, Vec<f32>)> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_core = page.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = page
            .chunks(per_core)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(id, text)| (*id, fast.embed(text)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // A part whose thread panicked is left out: its chunks stay without fast vectors
        // and are tried again by the next pass.
        parts
            .into_iter()
            .filter_map(|p| p.join().ok())
            .flatten()
            .collect()
    })
}
