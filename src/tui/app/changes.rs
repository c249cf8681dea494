//! Changes other processes make to the matter while the UI is open (an ingest from the
//! command line, a colleague's tags, a checklist run elsewhere): every few seconds the
//! worker reads a stamp of the matter's data, two small queries and the index's meta file.
//! When it moved, what the UI shows from the data is read again (the list, a search shown,
//! the grid shown and its list of jobs, health), keeping the cursor and the open document;
//! when it did not, nothing is drawn.

use kodiak::service::DataStamp;

use super::Reply;
use super::{App, Effect, Job};

impl App {
    /// A look at where the matter's data stands.
    pub(super) fn check_changes(&mut self) -> Effect {
        Effect::Job {
            request: self.start_job(|jobs| &mut jobs.changes),
            job: Job::CheckChanges,
        }
    }

    /// The stamp read: the first is only remembered (the UI has just loaded everything);
    /// a different one reloads what is shown.
    pub(super) fn data_stamp(&mut self, request: u64, result: Reply<DataStamp>) -> Vec<Effect> {
        if !self.jobs.changes.accept_newer(request) {
            return Vec::new();
        }
        let stamp = match result {
            Ok(stamp) => stamp,
            Err(e) => {
                tracing::warn!("cannot look for changes to the matter: {e}");
                return Vec::new();
            }
        };
        match self.data_stamp.replace(stamp) {
            Some(before) if before != stamp => self.reload_shown(),
            _ => Vec::new(),
        }
    }

    /// Reads again what the UI shows from the matter's data.
    fn reload_shown(&mut self) -> Vec<Effect> {
        let mut effects = vec![self.load_documents(), self.refresh_health()];
        if let Some(search) = &self.search {
            let (query, mode) = (search.query.clone(), search.mode);
            effects.push(Effect::Job {
                request: self.start_job(|jobs| &mut jobs.search),
                job: Job::Search { query, mode },
            });
        }
        if let Some(view) = &self.checklist {
            // The grid of the job this UI runs gets its cells as they are decided; another
            // job's grid, and the list of jobs (one started elsewhere), are read again.
            let running = view.running.as_ref().and_then(|r| r.job);
            let shown = view.job.filter(|job| Some(*job) != running);
            effects.push(Effect::Job {
                request: self.start_job(|jobs| &mut jobs.checklists),
                job: Job::LoadChecklists,
            });
            if let Some(job) = shown {
                effects.push(self.load_grid(job));
            }
        }
        effects
    }
}
