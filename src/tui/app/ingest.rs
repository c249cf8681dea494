//! Background work on the document set as one job at a time, seen and controlled from the
//! UI: an ingest (reading, indexing, embedding), or the embedding an earlier session left
//! unfinished, which resumes by itself at start. Each shows its rate and time left, can be
//! cancelled (what is stored stays), and an ingest asked for while one runs waits its turn.

use std::collections::VecDeque;

use super::Reply;
use super::*;

/// Ingest or embedding running in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestState {
    /// The request running it.
    pub request: u64,
    /// What is ingested; None for embedding left from before.
    pub path: Option<PathBuf>,
    pub done: usize,
    pub total: usize,
    pub phase: IngestPhase,
    /// Files not ingested (failed or needing OCR), with the reason.
    pub failed: Vec<(String, String)>,
    /// When the current phase started, and its `done` then: the rate is measured from it.
    pub phase_started: Instant,
    pub phase_done_at_start: usize,
    /// Cancel asked; the job stops at its next batch.
    pub cancelling: bool,
    /// Pages read by OCR so far.
    pub pages_ocr: usize,
    /// What the gauge and status bar say, updated with each progress and tick.
    pub shown: String,
}

impl IngestState {
    fn new(request: u64, path: Option<PathBuf>, phase: IngestPhase, now: Instant) -> Self {
        IngestState {
            request,
            path,
            done: 0,
            total: 0,
            phase,
            failed: Vec::new(),
            phase_started: now,
            phase_done_at_start: 0,
            cancelling: false,
            pages_ocr: 0,
            shown: format!("{phase} 0/0"),
        }
    }

    /// Items per second in this phase, once there is enough to measure.
    pub fn rate(&self, now: Instant) -> Option<f64> {
        let secs = now
            .saturating_duration_since(self.phase_started)
            .as_secs_f64();
        let done = self.done.saturating_sub(self.phase_done_at_start);
        (secs >= 1.0 && done > 0).then(|| done as f64 / secs)
    }

    /// `embedding 2300/14448 · 38/s · 5 min left`, as the gauge and the status bar say it.
    pub fn label(&self, now: Instant) -> String {
        let mut label = match &self.path {
            Some(_) => format!("{} {}/{}", self.phase, self.done, self.total),
            None => format!("embedding left from before {}/{}", self.done, self.total),
        };
        if let Some(rate) = self.rate(now) {
            let unit = match self.phase {
                IngestPhase::Embedding | IngestPhase::FastVectors => "chunks",
                _ => "files",
            };
            label.push_str(&format!(" · {rate:.0} {unit}/s"));
            let left = self.total.saturating_sub(self.done) as f64 / rate;
            if self.total > self.done {
                label.push_str(&format!(" · {} left", duration_words(left)));
            }
        }
        if self.pages_ocr > 0 {
            label.push_str(&format!(" · {} pages OCR'd", self.pages_ocr));
        }
        if self.cancelling {
            label.push_str(" · cancelling");
        }
        label
    }
}

/// `40 s`, `5 min`, `2 h 10 min`.
fn duration_words(secs: f64) -> String {
    let secs = secs.round() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// Ingests waiting for the running one, oldest first.
#[derive(Debug, Default)]
pub struct IngestQueue(VecDeque<PathBuf>);

impl IngestQueue {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &PathBuf> {
        self.0.iter()
    }
}

impl App {
    /// Ingests `path` now, or after the running job.
    pub(super) fn start_ingest(&mut self, path: PathBuf, now: Instant) -> Vec<Effect> {
        // Embedding left from before may be starting without showing yet: one job at a time
        // either way, so two never embed the same chunks.
        if self.ingest.is_some() || self.resuming.is_some() {
            self.ingest_queue.0.push_back(path.clone());
            self.info(format!(
                "{} waits for the running job ({} waiting)",
                path.display(),
                self.ingest_queue.len()
            ));
            return Vec::new();
        }
        let request = self.start_job(|jobs| &mut jobs.ingest);
        self.ingest = Some(IngestState::new(
            request,
            Some(path.clone()),
            IngestPhase::Reading,
            now,
        ));
        vec![Effect::Job {
            request,
            job: Job::Ingest { path },
        }]
    }

    /// At start: embedding an earlier session left unfinished resumes (it shows only if
    /// there is any).
    pub(super) fn resume_embedding(&mut self) -> Effect {
        let request = self.start_job(|jobs| &mut jobs.ingest);
        self.resuming = Some(request);
        Effect::Job {
            request,
            job: Job::ResumeEmbedding,
        }
    }

    pub(super) fn cancel_ingest(&mut self, now: Instant) -> Vec<Effect> {
        let request = match &mut self.ingest {
            Some(ingest) if !ingest.cancelling => {
                ingest.cancelling = true;
                ingest.shown = ingest.label(now);
                ingest.request
            }
            Some(_) => return Vec::new(),
            // Embedding left from before, still finding out whether there is any.
            None => match self.resuming {
                Some(request) => request,
                None => {
                    self.info("nothing is being ingested");
                    return Vec::new();
                }
            },
        };
        self.info("cancelling: what is stored stays, the rest is left for later");
        vec![Effect::Cancel { request }]
    }

    pub(super) fn ingest_progress(
        &mut self,
        request: u64,
        (done, total): (usize, usize),
        phase: IngestPhase,
        now: Instant,
    ) -> Vec<Effect> {
        // Embedding left from before shows once there is some.
        if self.ingest.is_none() && self.resuming == Some(request) {
            self.ingest = Some(IngestState::new(request, None, phase, now));
            self.info(format!(
                "resuming the embedding of {total} chunks left from before"
            ));
        }
        let Some(ingest) = self.ingest.as_mut().filter(|i| i.request == request) else {
            return Vec::new();
        };
        let phase_changed = ingest.phase != phase;
        if phase_changed || done < ingest.done {
            ingest.phase_started = now;
            ingest.phase_done_at_start = done;
        }
        ingest.done = done;
        ingest.total = total;
        ingest.phase = phase;
        ingest.shown = ingest.label(now);
        self.dirty = true;
        // Documents appear as they land: the list is read again every few files and when
        // indexing starts, not after every file of a large folder.
        if (phase == IngestPhase::Reading && done > 0 && done % INGEST_RELOAD_FILES == 0)
            || (phase_changed && phase == IngestPhase::Indexing)
        {
            vec![self.load_documents()]
        } else {
            Vec::new()
        }
    }

    /// A file stored with `pages` read by OCR.
    pub(super) fn ingest_ocr_pages(&mut self, request: u64, pages: usize, now: Instant) {
        if let Some(ingest) = self.ingest.as_mut().filter(|i| i.request == request) {
            ingest.pages_ocr += pages;
            ingest.shown = ingest.label(now);
            self.dirty = true;
        }
    }

    /// Once a second: the rate and time left move on.
    pub(super) fn ingest_tick(&mut self, now: Instant) {
        if let Some(ingest) = &mut self.ingest {
            let label = ingest.label(now);
            if label != ingest.shown {
                ingest.shown = label;
                self.dirty = true;
            }
        }
    }

    pub(super) fn ingest_failed(&mut self, request: u64, path: String, reason: String) {
        if let Some(ingest) = self.ingest.as_mut().filter(|i| i.request == request) {
            ingest.failed.push((path, reason));
            self.dirty = true;
        }
    }

    pub(super) fn ingest_done(
        &mut self,
        request: u64,
        result: Reply<String>,
        now: Instant,
    ) -> Vec<Effect> {
        if !self.jobs.ingest.accept_latest(request) {
            return Vec::new();
        }
        let resumed = self.resuming.take() == Some(request);
        // An ingest shows from its start; embedding left from before only once it found
        // some. Without any (or without a working embedder, which health reports), there is
        // nothing to say and nothing to read again.
        let Some(job) = self.ingest.take() else {
            return self.start_queued(now);
        };
        self.dirty = true;
        match result {
            Err(e) => self.error(format!("{} failed: {e}", job_name(resumed))),
            Ok(summary) if job.failed.is_empty() => self.info(summary),
            Ok(summary) => {
                let mut text = format!("{summary}\n\nNot ingested, or not searchable:\n");
                for (path, reason) in &job.failed {
                    text.push_str(&format!("  {path}\n    {reason}\n"));
                }
                self.overlay = Some(Overlay::Text {
                    title: "Ingest".into(),
                    text,
                    scroll: 0,
                });
            }
        }
        let mut effects = vec![self.load_documents()];
        effects.extend(self.start_queued(now));
        effects
    }

    /// Starts the ingest waiting longest, if any.
    fn start_queued(&mut self, now: Instant) -> Vec<Effect> {
        match self.ingest_queue.0.pop_front() {
            Some(next) => self.start_ingest(next, now),
            None => Vec::new(),
        }
    }
}

fn job_name(resumed: bool) -> &'static str {
    if resumed { "embedding" } else { "ingest" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_gives_the_rate_and_time_left_once_measurable() {
        let start = Instant::now();
        let mut job = IngestState::new(1, Some("/cases".into()), IngestPhase::Embedding, start);
        job.total = 14_448;
        job.done = 0;
        assert_eq!(job.label(start), "embedding 0/14448");
        job.done = 2_300;
        let later = start + Duration::from_secs(60);
        assert_eq!(
            job.label(later),
            "embedding 2300/14448 · 38 chunks/s · 6 min left"
        );
        assert_eq!(duration_words(40.0), "40 s");
        assert_eq!(duration_words(7_800.0), "2 h 10 min");
    }
}
