//! Sentence embeddings from a GGUF embedding model (the default is all-MiniLM-L6-v2): the
//! model's own pooling, several texts per batch, L2-normalised vectors. This runs inside
//! the model worker process (see [`super::worker`]); Kodiak itself embeds through
//! [`super::EmbedderHandle`].

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
        let params = super::model_params(&super::system_info(), 0);
        let model = super::load_model(path, &params)?;
        super::check_kind(&model, path, super::ModelKind::Embedding)?;
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

    /// Which model made the vectors: its file name, checksum and dimensions.
    pub fn identity(&self) -> &EmbedderIdentity {
        &self.identity
    }

    /// A context to embed with, using `threads` threads for batches; small batches, and
    /// every batch while the cores are crowded (see [`EmbeddingSession::set_crowded`]), use
    /// one.
    pub fn session(&self, threads: usize) -> Result<EmbeddingSession<'_>, LlmError> {
        let wide = self.context(BATCH_TOKENS, BATCH_TEXTS, threads)?;
        let narrow = match threads > 1 {
            true => Some(self.context(BATCH_TOKENS, BATCH_TEXTS, 1)?),
            false => None,
        };
        Ok(EmbeddingSession {
            embedder: self,
            wide,
            narrow,
            crowded: false,
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
    /// Batches on the configured threads.
    wide: LlamaContext<'a>,
    /// Batches on one thread, when `wide` has more.
    narrow: Option<LlamaContext<'a>>,
    /// Whether other work holds the cores: then every batch runs on one thread, because
    /// llama.cpp's threads spin at a barrier after every operation, and a thread that
    /// waits there for one that lost its core burns the time the others need.
    crowded: bool,
    batch: LlamaBatch<'static>,
}

impl EmbeddingSession<'_> {
    /// One L2-normalised vector per text, in order. Texts longer than the model takes are
    /// cut to its limit; an empty text gives a zero vector.
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError> {
        self.embed_yielding(texts, &mut |_| {})
    }

    /// Embeds with one thread while `crowded`, with the configured threads otherwise.
    pub fn set_crowded(&mut self, crowded: bool) {
        self.crowded = crowded;
    }

    /// As [`EmbeddingSession::embed`], calling `between` with the session before each
    /// batch: a long job lets a short one (a search query) go first, and adapts its threads.
    pub fn embed_yielding(
        &mut self,
        texts: &[&str],
        between: &mut dyn FnMut(&mut Self),
    ) -> Result<Vec<Vec<f32>>, LlmError> {
        let embedder = self.embedder;
        let vocab = embedder.model.vocab();
        let tokenized: Vec<Vec<LlamaToken>> = texts
            .iter()
            .map(|text| {
                if text.trim().is_empty() {
                    // Nothing to mean: a zero vector, similar to nothing.
                    return Vec::new();
                }
                let mut tokens = vocab.tokenize(text.as_bytes(), true, false);
                let max = embedder.max_tokens;
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
            between(self);
            self.embed_batch(&tokenized[start..end], &mut vectors[start..end])?;
            start = end;
        }
        Ok(vectors)
    }

    /// The model's vector for each vocabulary token in `tokens`, each run alone between the
    /// tokens that open and close a text (`[CLS] token [SEP]`): what fast vectors are
    /// distilled from. Tokens past the vocabulary's end are left out.
    pub fn embed_vocabulary(
        &mut self,
        tokens: std::ops::Range<u32>,
    ) -> Result<Vec<Vec<f32>>, LlmError> {
        let vocab = self.embedder.model.vocab();
        let size = u32::try_from(vocab.n_tokens()).unwrap_or(0);
        // The framing the tokenizer gives any text.
        let framing = vocab.tokenize(b"a", true, false);
        let (open, close) = match framing.as_slice() {
            [open, .., close] if framing.len() >= 3 => (*open, *close),
            _ => {
                return Err(LlmError::Embed(
                    "the model's tokenizer adds no opening and closing tokens; fast vectors \
                     need a BERT-style embedding model"
                        .into(),
                ));
            }
        };
        let sequences: Vec<Vec<LlamaToken>> = (tokens.start..tokens.end.min(size))
            .map(|t| vec![open, LlamaToken(i32::try_from(t).unwrap_or(0)), close])
            .collect();
        let mut vectors = vec![Vec::new(); sequences.len()];
        for (batch, out) in sequences
            .chunks(BATCH_TEXTS)
            .zip(vectors.chunks_mut(BATCH_TEXTS))
        {
            self.embed_batch(batch, out)?;
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
        let one_thread = self.crowded || tokens <= SMALL_BATCH_TOKENS;
        let context = match self.narrow.as_mut() {
            Some(narrow) if one_thread => narrow,
            _ => &mut self.wide,
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
    use crate::llm::FetchedModel;

    /// The default embedding model, or a failure that says how to fetch it.
    fn minilm() -> Embedder {
        let path = FetchedModel::MiniLm.path();
        Embedder::load(&path).unwrap_or_else(|e| {
            panic!("{e}\nthe embedding tests need the default models: run scripts/fetch-models")
        })
    }

    #[test]
    fn minilm_gives_the_reference_cosines_one_by_one_batched_and_on_one_thread() {
        let embedder = minilm();
        assert_eq!(embedder.identity().dimensions, 384);
        assert_eq!(embedder.identity().sha256, FetchedModel::MiniLm.sha256());
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
        // On one thread while the cores are crowded (a long text is otherwise embedded on
        // all of them): the same vector.
        session.set_crowded(true);
        let narrow = session.embed(&[&long]).unwrap();
        assert!(cosine(&narrow[0], &odd[1]) > 0.9999);
    }
}
