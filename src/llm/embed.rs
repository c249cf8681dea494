//! Sentence embeddings from a GGUF embedding model (the default is all-MiniLM-L6-v2): the
//! model's own pooling, several texts per batch, L2-normalised vectors.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::token::LlamaToken;

use super::{LlmError, backend, check_model_file};

/// Tokens in one batch at most: the longest text the model reads.
const BATCH_TOKENS: usize = 512;
/// Texts are packed together up to this many tokens; a longer text goes alone. BERT-style
/// models attend over the whole batch, so packing long texts together wastes quadratic
/// work: two chunks of about 250 tokens embedded together ran at 3,135 to 3,490 tokens/s,
/// one at a time at 3,318 to 4,111.
const PACK_TOKENS: usize = 256;
/// Texts in one batch at most (each is a sequence of its own).
const BATCH_TEXTS: usize = 32;
/// Batches of at most this many tokens (a search query) are embedded on one thread. Their
/// work is too small to share: llama.cpp's threads meet at a spinning barrier after every
/// operation, and when the second core has gone idle waking it costs more than the whole
/// embedding (measured on 2 cores: 20 ms with two threads after a 5 ms pause, 9 ms with
/// one).
const SMALL_BATCH_TOKENS: usize = 64;

/// Which embedder made a vector: vectors from different models cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmbedderIdentity {
    pub file_name: String,
    pub sha256: String,
    pub dimensions: usize,
}

/// A loaded embedding model. Embedding needs an [`EmbeddingSession`], which holds the
/// llama.cpp context and its buffers.
pub struct Embedder {
    path: PathBuf,
    model: LlamaModel,
    identity: EmbedderIdentity,
    /// The longest text the model takes, in tokens.
    max_tokens: usize,
}

impl Embedder {
    /// Checks and loads the model at `path`.
    pub fn load(path: &Path) -> Result<Embedder, LlmError> {
        let file = check_model_file(path)?;
        let model = LlamaModel::load_from_file(backend()?, path, &LlamaModelParams::default())
            .map_err(|e| LlmError::Load {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let dimensions = usize::try_from(model.n_embd()).unwrap_or(0);
        let max_tokens = usize::try_from(model.n_ctx_train())
            .unwrap_or(BATCH_TOKENS)
            .clamp(1, BATCH_TOKENS);
        // The pinned checksum of a default model, else the file's own (embedding models
        // are small enough to hash at start).
        let sha256 = match file.sha256 {
            Some(sum) => sum,
            None => {
                super::model_file::sha256_remembered(path).map_err(|e| LlmError::ModelFile {
                    path: path.to_owned(),
                    reason: format!("cannot read it: {e}"),
                })?
            }
        };
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Embedder {
            path: path.to_owned(),
            model,
            identity: EmbedderIdentity {
                file_name,
                sha256,
                dimensions,
            },
            max_tokens,
        })
    }

    pub fn identity(&self) -> &EmbedderIdentity {
        &self.identity
    }

    /// A context to embed with, using `threads` threads for batches (and one for small
    /// ones, see [`SMALL_BATCH_TOKENS`]).
    pub fn session(&self, threads: usize) -> Result<EmbeddingSession<'_>, LlmError> {
        let context = self.context(BATCH_TOKENS, BATCH_TEXTS, threads)?;
        let small = match threads > 1 {
            true => Some(self.context(SMALL_BATCH_TOKENS, BATCH_TEXTS, 1)?),
            false => None,
        };
        Ok(EmbeddingSession {
            embedder: self,
            context,
            small,
            batch: LlamaBatch::new(BATCH_TOKENS, i32::try_from(BATCH_TEXTS).unwrap_or(1)),
        })
    }

    fn context(
        &self,
        tokens: usize,
        texts: usize,
        threads: usize,
    ) -> Result<LlamaContext<'_>, LlmError> {
        let threads = i32::try_from(threads.max(1)).unwrap_or(1);
        let tokens = u32::try_from(tokens).unwrap_or(512);
        let params = LlamaContextParams::default()
            .with_embeddings(true)
            .with_n_ctx(NonZeroU32::new(tokens))
            .with_n_batch(tokens)
            .with_n_ubatch(tokens)
            .with_n_seq_max(u32::try_from(texts).unwrap_or(1))
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        self.model
            .new_context(backend()?, params)
            .map_err(|e| LlmError::Context {
                path: self.path.clone(),
                reason: e.to_string(),
            })
    }
}

/// An embedding context: reuse it for many texts.
pub struct EmbeddingSession<'a> {
    embedder: &'a Embedder,
    context: LlamaContext<'a>,
    /// A one-thread context for small batches, when `context` has more threads.
    small: Option<LlamaContext<'a>>,
    batch: LlamaBatch<'static>,
}

impl EmbeddingSession<'_> {
    /// One L2-normalised vector per text, in order. Texts longer than the model takes are
    /// cut to its limit; an empty text gives a zero vector.
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError> {
        let vocab = self.embedder.model.vocab();
        let tokenized: Vec<Vec<LlamaToken>> = texts
            .iter()
            .map(|text| {
                if text.trim().is_empty() {
                    // Nothing to mean: a zero vector, similar to nothing.
                    return Vec::new();
                }
                let mut tokens = vocab.tokenize(text.as_bytes(), true, false);
                let max = self.embedder.max_tokens;
                if let Some(&last) = tokens.last()
                    && tokens.len() > max
                {
                    // Cut the text, keeping the closing special token ([SEP]).
                    tokens.truncate(max);
                    if vocab.is_control(last) {
                        tokens[max - 1] = last;
                    }
                }
                tokens
            })
            .collect();
        let mut vectors = vec![Vec::new(); texts.len()];
        // Batches of whole texts, in order, each within the token and text limits.
        let mut start = 0;
        while start < tokenized.len() {
            let mut end = start;
            let mut tokens = 0;
            while end < tokenized.len()
                && end - start < BATCH_TEXTS
                && (end == start || tokens + tokenized[end].len() <= PACK_TOKENS)
            {
                tokens += tokenized[end].len();
                end += 1;
            }
            self.embed_batch(&tokenized[start..end], &mut vectors[start..end])?;
            start = end;
        }
        Ok(vectors)
    }

    fn embed_batch(
        &mut self,
        sequences: &[Vec<LlamaToken>],
        out: &mut [Vec<f32>],
    ) -> Result<(), LlmError> {
        let dimensions = self.embedder.identity.dimensions;
        let tokens: usize = sequences.iter().map(Vec::len).sum();
        let context = match self.small.as_mut() {
            Some(small) if tokens <= SMALL_BATCH_TOKENS => small,
            _ => &mut self.context,
        };
        self.batch.clear();
        context.clear_kv_cache();
        let mut in_batch = Vec::new();
        for (index, tokens) in sequences.iter().enumerate() {
            if tokens.is_empty() {
                out[index] = vec![0.0; dimensions];
                continue;
            }
            let seq = i32::try_from(in_batch.len()).unwrap_or(0);
            self.batch
                .add_sequence(tokens, seq, false)
                .map_err(|e| LlmError::Embed(e.to_string()))?;
            in_batch.push(index);
        }
        if in_batch.is_empty() {
            return Ok(());
        }
        context
            .decode(&mut self.batch)
            .map_err(|e| LlmError::Embed(e.to_string()))?;
        for (seq, index) in in_batch.into_iter().enumerate() {
            let seq = i32::try_from(seq).unwrap_or(0);
            let raw = context
                .embeddings_seq_ith(seq)
                .map_err(|e| LlmError::Embed(e.to_string()))?;
            out[index] = normalized(raw);
        }
        Ok(())
    }
}

/// An embedder on a thread of its own, which owns the model and its context (llama.cpp
/// contexts must stay on one thread). Requests queue in order; dropping the handle stops
/// the thread.
pub struct EmbedderHandle {
    jobs: mpsc::Sender<EmbedJob>,
    identity: EmbedderIdentity,
}

struct EmbedJob {
    texts: Vec<String>,
    reply: mpsc::Sender<Result<Vec<Vec<f32>>, LlmError>>,
}

impl EmbedderHandle {
    /// Checks and loads the model at `path` on a new thread; returns once it is ready.
    pub fn start(path: &Path, threads: usize) -> Result<EmbedderHandle, LlmError> {
        let (jobs, queue) = mpsc::channel::<EmbedJob>();
        let (ready, loaded) = mpsc::channel();
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("kodiak-embedder".into())
            .spawn(move || {
                let embedder = match Embedder::load(&path) {
                    Ok(embedder) => embedder,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let mut session = match embedder.session(threads) {
                    Ok(session) => session,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let _ = ready.send(Ok(embedder.identity().clone()));
                for job in queue {
                    let texts: Vec<&str> = job.texts.iter().map(String::as_str).collect();
                    let _ = job.reply.send(session.embed(&texts));
                }
            })
            .map_err(|e| LlmError::Backend(format!("cannot start the embedder thread: {e}")))?;
        let identity = loaded
            .recv()
            .map_err(|_| LlmError::Embed("the embedder thread stopped while loading".into()))??;
        Ok(EmbedderHandle { jobs, identity })
    }

    pub fn identity(&self) -> &EmbedderIdentity {
        &self.identity
    }

    /// One L2-normalised vector per text, in order (see [`EmbeddingSession::embed`]).
    pub fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, LlmError> {
        self.submit(texts)?.wait()
    }

    /// Queues `texts` and returns at once: the caller can do other work while the
    /// embedder's thread embeds them.
    pub fn submit(&self, texts: Vec<String>) -> Result<PendingEmbedding, LlmError> {
        let (reply, answer) = mpsc::channel();
        self.jobs
            .send(EmbedJob { texts, reply })
            .map_err(|_| LlmError::Embed("the embedder thread has stopped".into()))?;
        Ok(PendingEmbedding { answer })
    }
}

/// Vectors being made on the embedder's thread.
pub struct PendingEmbedding {
    answer: mpsc::Receiver<Result<Vec<Vec<f32>>, LlmError>>,
}

impl PendingEmbedding {
    /// Waits for the vectors.
    pub fn wait(self) -> Result<Vec<Vec<f32>>, LlmError> {
        self.answer
            .recv()
            .map_err(|_| LlmError::Embed("the embedder thread stopped mid-request".into()))?
    }
}

fn normalized(vector: &[f32]) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        return vector.to_vec();
    }
    vector.iter().map(|x| x / norm).collect()
}

/// The cosine of two L2-normalised vectors: their dot product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::DefaultModel;

    /// The default embedding model, or a failure that says how to fetch it.
    fn minilm() -> Embedder {
        let path = DefaultModel::MiniLm.path();
        Embedder::load(&path).unwrap_or_else(|e| {
            panic!("{e}\nthe embedding tests need the default models: run scripts/fetch-models")
        })
    }

    #[test]
    fn minilm_gives_the_reference_cosines_one_by_one_and_batched() {
        let embedder = minilm();
        assert_eq!(embedder.identity().dimensions, 384);
        assert_eq!(embedder.identity().sha256, DefaultModel::MiniLm.sha256());
        let mut session = embedder.session(2).unwrap();
        let texts = [
            "The tenant must pay rent on the first day of each month.",
            "Rent is due at the start of every month.",
            "The weather in Paris is sunny today.",
        ];
        let batched = session.embed(&texts).unwrap();
        let close = cosine(&batched[0], &batched[1]);
        let far = cosine(&batched[0], &batched[2]);
        assert!((close - 0.763).abs() <= 0.01, "paraphrase cosine {close}");
        assert!((far - 0.050).abs() <= 0.01, "unrelated cosine {far}");

        // One at a time gives the same vectors as batched.
        for (text, expected) in texts.iter().zip(&batched) {
            let alone = session.embed(&[text]).unwrap();
            assert!(cosine(&alone[0], expected) > 0.9999, "{text}");
            let norm: f32 = alone[0].iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-4);
        }
        // An empty text is a zero vector; a text longer than the model takes is cut.
        let long = "rent ".repeat(2000);
        let odd = session.embed(&["", &long]).unwrap();
        assert!(odd[0].iter().all(|x| *x == 0.0));
        assert_eq!(odd[1].len(), 384);
    }
}
