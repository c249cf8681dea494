//! Logs and crash reports. Log events carry structured fields, never document text; what
//! might be personal data is masked before it reaches a crash report.

pub mod crash;
pub mod recent;

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation as AppenderRotation};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, Rotation, Settings, log_filter};
use crate::files;

pub use recent::{LogEvent, RecentEvents};

/// Keeps logging alive: dropping it flushes and stops the background log writer, so the
/// front end holds it until exit.
pub struct Telemetry {
    _guard: Option<WorkerGuard>,
    pub recent: RecentEvents,
    /// The folder log files go to, or why there are none.
    pub log_files: Result<PathBuf, String>,
}

/// Starts logging to rolling files and to the in-memory buffer crash reports read. A log
/// folder that cannot be written is a warning on stderr, not a failure: Kodiak works on
/// without log files.
pub fn init(settings: &Settings) -> Telemetry {
    let logging = &settings.config.logging;
    let recent = RecentEvents::new(settings.config.crash_reports.log_events);
    let dir = &settings.paths.log_dir;

    let (file_layer, guard, log_files) = match open_log_files(settings) {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false);
            let layer = match logging.format {
                LogFormat::Text => layer.boxed(),
                LogFormat::Json => layer.json().flatten_event(true).boxed(),
            };
            (Some(layer), Some(guard), Ok(dir.clone()))
        }
        Err(e) => {
            let reason = format!("cannot write log files in {}: {e}", dir.display());
            eprintln!(
                "kodiak: warning: {reason}; continuing without log files \
                 (set [logging] directory to a writable folder)"
            );
            (None, None, Err(reason))
        }
    };

    // The level was validated with the configuration; "info" only guards a race with an
    // edited file.
    let filter = log_filter(&logging.level).unwrap_or_else(|_| "info".into());
    let layers = vec![Some(recent.layer().boxed()), file_layer]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .with_filter(filter);
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(layers).try_init();

    Telemetry {
        _guard: guard,
        recent,
        log_files,
    }
}

fn open_log_files(settings: &Settings) -> Result<RollingFileAppender, String> {
    let logging = &settings.config.logging;
    let dir = &settings.paths.log_dir;
    files::create_private_dir(dir).map_err(|e| e.to_string())?;
    let rotation = match logging.rotation {
        Rotation::Hourly => AppenderRotation::HOURLY,
        Rotation::Daily => AppenderRotation::DAILY,
        Rotation::Never => AppenderRotation::NEVER,
    };
    let appender = RollingFileAppender::builder()
        .rotation(rotation)
        .filename_prefix("kodiak")
        .filename_suffix("log")
        .max_log_files(logging.max_log_files)
        .build(dir)
        .map_err(|e| e.to_string())?;
    if !files::dir_is_writable(dir) {
        return Err("the folder is not writable".into());
    }
    Ok(appender)
}
