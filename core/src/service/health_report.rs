//! The health report, with the model workers' state.

use super::*;
use crate::health::ModelState;

impl Kodiak {
    /// Every component's health. Models are reported as they are in this process; call
    /// [`Kodiak::start_generator`] and [`Kodiak::embedder`] first to have them loaded.
    pub fn health(&self) -> HealthReport {
        let mut report = health::check(&self.settings, Ok(&self.db), Some(self.index.as_ref()));
        let c = &mut report.components;
        c.llm = Some(self.generator_health());
        let vectors = self.vector_status().ok();
        c.embedder = Some(self.embedder_health(vectors.as_ref()));
        c.vectors = vectors;
        c.breakers = vec![
            self.breakers.generator.status(),
            self.breakers.embedder.status(),
            self.breakers.search.status(),
        ];
        c.rate_limit = self
            .limiter
            .usage(&self.db, &crate::identity::user_identity())
            .ok();
        report.status = report.components.status();
        report
    }

    pub(super) fn generator_health(&self) -> ModelHealth {
        let mut health = ModelHealth {
            ok: true,
            model: self.settings.paths.generator_model.clone(),
            worker: self.generator.get().map(GeneratorWorker::status),
            ..ModelHealth::default()
        };
        health.state = match self.generator_status() {
            None => ModelState::NotConfigured,
            Some(GeneratorState::NotStarted) => ModelState::NotStarted,
            Some(GeneratorState::Loading) => ModelState::Loading,
            Some(GeneratorState::Ready(info)) => {
                health.context_size = Some(info.context_size);
                health.template = Some(info.template);
                health.last_decode_tokens_per_s = info.last_decode_tokens_per_s;
                health.best_decode_tokens_per_s = info.best_decode_tokens_per_s;
                health.warning = ModelHealth::slow_decode_warning(
                    info.last_decode_tokens_per_s,
                    info.best_decode_tokens_per_s,
                );
                ModelState::Ready
            }
            Some(GeneratorState::Failed { reason }) => {
                health.ok = false;
                health.error = Some(format!("{reason}; answers are extractive until fixed"));
                ModelState::Failed
            }
            Some(GeneratorState::Crashed { reason }) => {
                health.ok = false;
                health.error = Some(format!("{reason}; it starts again with the next question"));
                ModelState::Crashed
            }
        };
        health
    }

    pub(super) fn embedder_health(
        &self,
        vectors: Option<&crate::health::VectorStatus>,
    ) -> ModelHealth {
        let mut health = ModelHealth {
            ok: true,
            model: self.settings.paths.embedder_model.clone(),
            ..ModelHealth::default()
        };
        if health.model.is_none() {
            health.state = ModelState::NotConfigured;
            return health;
        }
        let Some(started) = self.embedder.get() else {
            health.state = ModelState::NotStarted;
            return health;
        };
        match started {
            Ok(handle) => {
                let identity = handle.identity();
                let worker = handle.status();
                health.state = match worker.pid {
                    Some(_) => ModelState::Ready,
                    None => ModelState::RestartsOnNextUse,
                };
                health.worker = Some(worker);
                health.dimensions = Some(identity.dimensions);
                if let Ok(conn) = self.db.conn() {
                    let id = vectors::find_embedder(&conn, &identity.file_name, &identity.sha256)
                        .ok()
                        .flatten();
                    let in_use = vectors::embedders_in_use(&conn).unwrap_or_default();
                    health.vectors = Some(
                        in_use
                            .iter()
                            .filter(|e| Some(e.id) == id)
                            .map(|e| e.vectors)
                            .sum(),
                    );
                    health.missing_vectors =
                        vectors::count_to_embed(&conn, Missing::From(id.unwrap_or(0))).ok();
                    // Chunks without the model's vector are keyword-only unless fast vectors
                    // stand in for them (and a fast-only matter does not ask for the model's).
                    use crate::config::VectorChoice;
                    let stand_in = vectors.is_some_and(|v| match v.choice {
                        VectorChoice::Full => v.fast.percent() == 100,
                        VectorChoice::Fast | VectorChoice::None => true,
                    });
                    if !stand_in {
                        health.warning = ModelHealth::missing_vectors_warning(
                            health.vectors.unwrap_or(0),
                            health.missing_vectors.unwrap_or(0),
                        );
                    }
                }
            }
            Err(reason) => {
                health.ok = false;
                health.state = ModelState::Failed;
                health.error = Some(format!("{reason}; search is BM25 only until fixed"));
            }
        }
        health
    }
}
