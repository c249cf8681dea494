//! One context's session: the tokens it holds (the previous prompt and answer, reused when
//! the next prompt starts the same way), prefill, decoding and the sampler.

use super::*;

/// The model's context and what it holds.
pub(super) struct Session<'m> {
    model: &'m LlamaModel,
    pub(super) context: LlamaContext<'m>,
    template: LlamaChatTemplate,
    batch: LlamaBatch<'static>,
    batch_size: usize,
    settings: EngineSettings,
    /// Tokens whose keys and values the context holds, in order.
    cached: Vec<LlamaToken>,
}

impl<'m> Session<'m> {
    pub(super) fn new(
        model: &'m LlamaModel,
        settings: &EngineSettings,
        template: LlamaChatTemplate,
    ) -> Result<Session<'m>, LlmError> {
        let threads = i32::try_from(crate::cpu::threads_or_cores(settings.threads)).unwrap_or(1);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(settings.context_size))
            .with_n_batch(settings.batch_size)
            .with_n_ubatch(settings.batch_size)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let context = model
            .new_context(backend()?, params)
            .map_err(|e| LlmError::Context {
                path: settings.model.clone(),
                reason: e.to_string(),
            })?;
        let batch_size = settings.batch_size as usize;
        Ok(Session {
            model,
            context,
            template,
            batch: LlamaBatch::new(batch_size, 1),
            batch_size,
            settings: settings.clone(),
            cached: Vec::new(),
        })
    }

    /// Drops the cache: after a failure its content is unknown.
    pub(super) fn forget(&mut self) {
        self.context.clear_kv_cache();
        self.cached.clear();
    }

    pub(super) fn render(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        let chat = messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.to_owned(), m.content.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LlmError::Generate(format!("bad message: {e}")))?;
        self.model
            .apply_chat_template(&self.template, &chat, true)
            .map_err(|e| LlmError::Generate(format!("cannot apply the chat template: {e}")))
    }

    pub(super) fn tokenize(&self, text: &str) -> Vec<LlamaToken> {
        // The template writes the special tokens (BOS, turn markers) as text.
        self.model.vocab().tokenize(text.as_bytes(), false, true)
    }

    pub(super) fn generate(
        &mut self,
        request: &GenerationRequest,
        events: &mut EventSink,
    ) -> Result<(), LlmError> {
        let started = Instant::now();
        let deadline = started + self.settings.timeout;
        let id = request.id;
        let max_tokens = request
            .max_tokens
            .unwrap_or(self.settings.max_tokens)
            .min(self.settings.max_tokens) as usize;
        let n_ctx = self.context.n_ctx() as usize;
        let budget = n_ctx.saturating_sub(max_tokens);
        let fitted = prompt::fit(&request.parts, budget, |messages| {
            self.render(messages).map(|text| self.tokenize(&text).len())
        })?
        .map_err(|tokens| {
            LlmError::Generate(format!(
                "the system prompt alone takes {tokens} tokens, more than the {budget} the \
                 context leaves beside max_tokens; raise generator.context_size"
            ))
        })?;
        let text = self.render(&fitted.messages)?;
        let tokens = self.tokenize(&text);
        if tokens.is_empty() {
            return Err(LlmError::Generate("the prompt is empty".into()));
        }
        events(GenerationEvent::Prompt {
            id,
            text,
            user_message: fitted.user_message.clone(),
            tokens: tokens.len(),
            passages: fitted.passages.iter().map(|p| p.number).collect(),
            dropped: fitted.dropped.clone(),
        });

        let mut stats = GenerationStats {
            prompt_tokens: tokens.len(),
            ..GenerationStats::default()
        };
        let prefill_started = Instant::now();
        stats.reused_tokens = self.prefill(&tokens, &request.cancel, deadline)?;
        stats.prefill_ms = prefill_started.elapsed().as_secs_f64() * 1e3;

        let mut sampler = sampler(self.model, &self.settings.sampling);
        let mut utf8 = Utf8Stream::default();
        let mut stops = StopMatcher::new(&self.settings.stop);
        let mut piece = Vec::new();
        let mut finish = Finish::MaxTokens;
        let mut decode_started = None;
        let mut logits_index = self.batch.n_tokens() - 1;
        while stats.completion_tokens < max_tokens {
            if request.cancel.load(Ordering::Relaxed) {
                finish = Finish::Cancelled;
                break;
            }
            if Instant::now() >= deadline {
                finish = Finish::Timeout;
                break;
            }
            let token = sampler.sample(&self.context, logits_index);
            if self.model.vocab().is_eog(token) {
                finish = Finish::Stop;
                break;
            }
            stats.completion_tokens += 1;
            if stats.completion_tokens == 1 {
                stats.ttft_ms = started.elapsed().as_secs_f64() * 1e3;
                decode_started = Some(Instant::now());
            }
            piece.clear();
            self.model
                .vocab()
                .token_to_piece_into(token, &mut piece, false, None);
            let (text, stopped) = stops.push(&utf8.push(&piece));
            if !text.is_empty() {
                events(GenerationEvent::Token { id, text });
            }
            if stopped {
                finish = Finish::StopString;
                break;
            }
            // The next token needs this one decoded.
            self.decode_one(token)?;
            logits_index = 0;
        }
        // What the stop matcher held back was not a stop string after all.
        let rest = stops.finish(&utf8.finish());
        if !rest.is_empty() && finish != Finish::StopString {
            events(GenerationEvent::Token { id, text: rest });
        }
        if let Some(decode_started) = decode_started {
            let seconds = decode_started.elapsed().as_secs_f64();
            // The first token came from the prefill; the rest were decoded one by one.
            let decoded = stats.completion_tokens.saturating_sub(1);
            if decoded > 0 && seconds > 0.0 {
                stats.decode_tokens_per_s = decoded as f64 / seconds;
            }
        }
        events(GenerationEvent::Done { id, finish, stats });
        Ok(())
    }

    /// Brings the cache to `tokens`: keeps the longest prefix it already holds and decodes
    /// the rest in batches. The last token is always decoded, for its logits. Returns how
    /// many tokens were reused.
    pub(super) fn prefill(
        &mut self,
        tokens: &[LlamaToken],
        cancel: &AtomicBool,
        deadline: Instant,
    ) -> Result<usize, LlmError> {
        let common = self
            .cached
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count()
            .min(tokens.len().saturating_sub(1));
        if common < self.cached.len() {
            let cleared = self
                .context
                .clear_kv_cache_seq(Some(0), u32::try_from(common).ok(), None)
                .unwrap_or(false);
            if !cleared {
                // Some caches cannot drop a tail; start over.
                self.forget();
                return self.prefill_from(0, tokens, cancel, deadline).map(|()| 0);
            }
            self.cached.truncate(common);
        }
        self.prefill_from(common, tokens, cancel, deadline)?;
        Ok(common)
    }

    pub(super) fn prefill_from(
        &mut self,
        start: usize,
        tokens: &[LlamaToken],
        cancel: &AtomicBool,
        deadline: Instant,
    ) -> Result<(), LlmError> {
        let mut position = start;
        while position < tokens.len() {
            if cancel.load(Ordering::Relaxed) || Instant::now() >= deadline {
                // Stopped before the answer began: generate() reports why.
                break;
            }
            let end = (position + self.batch_size).min(tokens.len());
            self.batch.clear();
            for (offset, token) in tokens[position..end].iter().enumerate() {
                let at = position + offset;
                let last = at + 1 == tokens.len();
                self.batch
                    .add(*token, at as i32, &[0], last)
                    .map_err(|e| LlmError::Generate(e.to_string()))?;
            }
            self.context
                .decode(&mut self.batch)
                .map_err(|e| LlmError::Generate(format!("prompt decode failed: {e}")))?;
            self.cached.extend_from_slice(&tokens[position..end]);
            position = end;
        }
        Ok(())
    }

    pub(super) fn decode_one(&mut self, token: LlamaToken) -> Result<(), LlmError> {
        if self.cached.len() >= self.context.n_ctx() as usize {
            return Err(LlmError::Generate("the context is full".into()));
        }
        self.batch.clear();
        self.batch
            .add(token, self.cached.len() as i32, &[0], true)
            .map_err(|e| LlmError::Generate(e.to_string()))?;
        self.context
            .decode(&mut self.batch)
            .map_err(|e| LlmError::Generate(format!("decode failed: {e}")))?;
        self.cached.push(token);
        Ok(())
    }
}

/// llama.cpp's usual order: penalties, then the filters, then temperature and the draw.
pub fn sampler(model: &LlamaModel, s: &Sampling) -> LlamaSampler {
    let mut chain = Vec::new();
    if s.repeat_penalty != 1.0 {
        chain.push(LlamaSampler::penalties(
            model.n_vocab(),
            64,
            s.repeat_penalty,
            0.0,
            0.0,
        ));
    }
    if s.temperature <= 0.0 {
        chain.push(LlamaSampler::greedy());
        return LlamaSampler::chain_simple(chain);
    }
    if s.top_k > 0 {
        chain.push(LlamaSampler::top_k(s.top_k as i32));
    }
    if s.top_p < 1.0 {
        chain.push(LlamaSampler::top_p(s.top_p, 1));
    }
    if s.min_p > 0.0 {
        chain.push(LlamaSampler::min_p(s.min_p, 1));
    }
    chain.push(LlamaSampler::temp(s.temperature));
    chain.push(LlamaSampler::dist(s.seed));
    LlamaSampler::chain_simple(chain)
}
