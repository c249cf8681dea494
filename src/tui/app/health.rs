//! The health pane's rows and the gauges that decide when they are redrawn.

use super::*;

pub struct HealthView {
    pub rows: Vec<HealthRow>,
    pub status: Option<Status>,
    pub selected: usize,
    /// The generator's state, for the status bar.
    pub model: String,
    /// Resident memory and free disk as the shown rows give them.
    pub gauges: Gauges,
}

impl HealthView {
    /// One line for the status bar: `✓ healthy`, or the status and the parts that are not;
    /// None before the first check.
    pub fn summary(&self) -> Option<String> {
        let status = self.status?;
        let mark = match status {
            Status::Healthy => return Some("✓ healthy".into()),
            Status::Degraded => "⚠",
            Status::Unhealthy => "✗",
        };
        let parts: Vec<&str> = self
            .rows
            .iter()
            .filter(|row| row.status != Status::Healthy)
            .map(|row| row.component)
            .collect();
        Some(format!("{mark} {status}: {}", parts.join(", ")))
    }

    pub(crate) fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

/// Figures that drift a little at every health check (the allocator returns a page, a log
/// line takes some disk). Their rows are redrawn when a figure moves by a tenth, so that an
/// idle session writes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    pub resident_bytes: Option<u64>,
    pub free_disk_bytes: Option<u64>,
}

impl Gauges {
    pub(super) fn of(report: &HealthReport) -> Gauges {
        let resources = &report.components.resources;
        Gauges {
            resident_bytes: resources.rss_bytes,
            free_disk_bytes: resources.data_dir_free_bytes,
        }
    }
}

/// Whether two readings of a gauge differ by less than a tenth.
pub(super) fn barely_moved(shown: Option<u64>, now: Option<u64>) -> bool {
    match (shown, now) {
        (Some(shown), Some(now)) => shown.abs_diff(now) * 10 < shown.max(now),
        (shown, now) => shown == now,
    }
}

impl App {
    pub(super) fn health(&mut self, report: &HealthReport) {
        let mut rows = kodiak::health::rows(report);
        let mut gauges = Gauges::of(report);
        let shown = self.health.gauges;
        for (component, shown, now) in [
            ("memory", shown.resident_bytes, &mut gauges.resident_bytes),
            ("disk", shown.free_disk_bytes, &mut gauges.free_disk_bytes),
        ] {
            let find = |rows: &[HealthRow]| rows.iter().position(|r| r.component == component);
            if let (Some(new), Some(old)) = (find(&rows), find(&self.health.rows))
                && rows[new].status == self.health.rows[old].status
                && barely_moved(shown, *now)
            {
                rows[new] = self.health.rows[old].clone();
                *now = shown;
            }
        }
        let model = report
            .components
            .llm
            .as_ref()
            .map_or_else(|| "no generator".to_owned(), |m| m.state.words().to_owned());
        let status_changed = self.health.status != Some(report.status);
        let pane_changed = rows != self.health.rows || status_changed;
        let model_changed = model != self.health.model;
        if pane_changed || model_changed {
            self.health.rows = rows;
            self.health.status = Some(report.status);
            self.health.model = model;
            self.health.gauges = gauges;
            self.health.selected = self
                .health
                .selected
                .min(self.health.rows.len().saturating_sub(1));
            // The model's state and the overall status are in the status bar (and the status
            // decides whether the pane is shown); the rest only in the health pane, so a
            // change there draws nothing while the pane is out of sight.
            self.dirty |=
                model_changed || status_changed || (pane_changed && self.shows(Pane::Health));
        }
    }

    /// The health pane's actions.
    pub(crate) fn act_health(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Refresh => vec![self.refresh_health()],
            Action::ShowCrash => {
                let request = self.start_job(|jobs| &mut jobs.crash);
                vec![Effect::Job {
                    request,
                    job: Job::ShowCrash,
                }]
            }
            _ => Vec::new(),
        }
    }
}
