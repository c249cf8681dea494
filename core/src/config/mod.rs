//! Configuration: embedded defaults, then the user's TOML file, then environment overrides,
//! validated into a typed [`Config`]. A bad value is an error naming the key, never a panic.
//!
//! `config.example.toml` at the top of the repository documents every key; a test keeps it
//! equal to [`Config::default`].

mod error;
mod inference;
mod load;
pub(crate) use load::{TomlProblem, from_toml};
mod paths;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::pii::{CustomRecognizer, PiiConfig};
pub use error::ConfigError;
pub use inference::{
    BreakersConfig, CHAT_TEMPLATES, DEFAULT_SYSTEM_PROMPT, EmbedderConfig, GeneratorConfig, Lead,
    LimitsConfig, RetrievalConfig, VectorChoice,
};
pub use load::{
    DEFAULT_EMBEDDER_FILE, DEFAULT_GENERATOR_FILE, Overrides, Settings, load, log_filter, parse,
};
pub use paths::{Paths, default_models_dir, expand_home};

/// The whole configuration. Every section has defaults, so an empty file is valid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the database and index live. Default: `$XDG_DATA_HOME/kodiak`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    pub database: DatabaseConfig,
    pub logging: LoggingConfig,
    pub crash_reports: CrashReportsConfig,
    pub pii: PiiConfig,
    pub ingest: IngestConfig,
    pub generator: GeneratorConfig,
    pub embedder: EmbedderConfig,
    pub retrieval: RetrievalConfig,
    pub limits: LimitsConfig,
    pub breakers: BreakersConfig,
    pub security: SecurityConfig,
    pub tui: TuiConfig,
    pub checklist: ChecklistConfig,
    /// The terminal UI's keys by action name (the UI's action table); unnamed actions keep
    /// their defaults.
    #[serde(skip_serializing_if = "KeysConfig::is_empty")]
    pub keys: KeysConfig,
}

/// `[security]`: the air gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Install a seccomp filter at start that refuses every socket but AF_UNIX, in Kodiak
    /// and the processes it starts. Turning it off is recorded in the audit log.
    pub block_network: bool,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            block_network: true,
        }
    }
}

/// `[checklist]`: checklist review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChecklistConfig {
    /// A clause model file made by `kodiak-train-clauses --out`, used instead of the one
    /// built into Kodiak (`assets/clause-model.txt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clause_model: Option<PathBuf>,
}

/// `[tui]`: the terminal application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TuiConfig {
    /// Colours: `dark` and `light` use the terminal's 16 ANSI colours; `mono` none (as
    /// does the `NO_COLOR` environment variable).
    pub theme: Theme,
    /// How often the health pane checks every component.
    pub health_refresh_secs: u64,
    /// The document list's columns beside the title, in order. Those that do not fit a
    /// narrow list are left out: format and pages first, then tags.
    pub list_columns: Vec<ListColumn>,
}

/// A column of the terminal UI's document list (the title is always there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListColumn {
    Format,
    Pages,
    Pii,
    Review,
    Tags,
}

impl ListColumn {
    pub const ALL: [ListColumn; 5] = [
        ListColumn::Format,
        ListColumn::Pages,
        ListColumn::Pii,
        ListColumn::Review,
        ListColumn::Tags,
    ];
}

/// The terminal UI's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Dark,
    Light,
    Mono,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            theme: Theme::Dark,
            health_refresh_secs: 5,
            list_columns: ListColumn::ALL.to_vec(),
        }
    }
}

/// `[database]`: the SQLite connection pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub pool_max_size: u32,
    pub pool_min_idle: u32,
    pub connection_timeout_secs: u64,
    pub busy_timeout_ms: u32,
    pub synchronous: Synchronous,
    /// A checkout slower than this logs "database pool exhausted" with the pool's counts.
    pub slow_checkout_ms: u64,
    /// How old SQLite's integrity check may be before the first write of a process runs it
    /// again (and how often health runs it). 0: before the first write of every process.
    pub integrity_check_secs: u64,
}

/// SQLite's `synchronous` pragma. `normal` is safe with WAL (a power cut may lose the last
/// transactions, never corrupt the file); `full` also keeps those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Normal,
    Full,
}

impl Synchronous {
    /// The value of SQLite's `PRAGMA synchronous` for this setting.
    pub fn as_sql(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// `[logging]`: rolling log files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// A level (`error` … `trace`) or a filter such as `kodiak=debug,warn`.
    pub level: String,
    pub format: LogFormat,
    /// Default: `$XDG_STATE_HOME/kodiak/logs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<PathBuf>,
    pub rotation: Rotation,
    pub max_log_files: usize,
}

/// How log lines are written: text for people, JSON for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// When the log file is rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rotation {
    Hourly,
    Daily,
    Never,
}

/// `[crash_reports]`: one file per crash, for machines with no crash-reporting service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrashReportsConfig {
    /// Default: `$XDG_STATE_HOME/kodiak/crash-reports`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<PathBuf>,
    pub max_reports: usize,
    pub max_total_bytes: u64,
    /// How many recent log events each report carries.
    pub log_events: usize,
}

/// `[ingest]`: limits that keep one bad file from hurting the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Larger files are refused without being read.
    pub max_file_mb: u64,
    pub max_pages: usize,
    /// Extracted text longer than this many characters fails the file.
    pub max_chars: usize,
    /// Time one file's text extraction may take.
    pub file_timeout_secs: u64,
    /// For DOCX and other ZIP containers: most entries, total unpacked size, and unpacked
    /// over packed size of any entry (zip bombs).
    pub zip_max_entries: usize,
    pub zip_max_unpacked_mb: u64,
    pub zip_max_ratio: u64,
    /// Glob patterns (`*.tmp`, `**/drafts/**`) matched against paths below each folder
    /// given to `kodiak ingest`; matching files and folders are skipped.
    pub exclude: Vec<String>,
    /// Target chunk length in characters; chunks end at paragraph, then sentence, then word
    /// boundaries at or below it.
    pub chunk_chars: usize,
    /// Characters of context each chunk repeats from the one before.
    pub chunk_overlap: usize,
    /// Files extracted at once; 0 means one per CPU core.
    pub workers: usize,
    /// How much extraction and bulk embedding defer to other work, such as an answer
    /// being written.
    pub priority: crate::cpu::BulkPriority,
    /// Whether scanned PDF pages and images are read with Tesseract.
    pub ocr: OcrMode,
    /// Tesseract languages to read with (`eng`, `deu`, …), tried together.
    pub ocr_languages: Vec<String>,
    /// Time OCR may take per page (rendering and reading) before the page is given up.
    pub ocr_page_timeout_secs: u64,
    /// Resolution PDF pages are rendered at for OCR.
    pub ocr_dpi: u32,
}

/// `[ingest] ocr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OcrMode {
    /// OCR when Tesseract is installed; otherwise scans are `needs_ocr`, saying why.
    Auto,
    /// Never: scans are `needs_ocr`.
    Off,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_file_mb: 200,
            max_pages: 5_000,
            max_chars: 20_000_000,
            file_timeout_secs: 60,
            zip_max_entries: 10_000,
            zip_max_unpacked_mb: 1_024,
            zip_max_ratio: 100,
            exclude: Vec::new(),
            chunk_chars: 1_000,
            chunk_overlap: 100,
            workers: 0,
            priority: crate::cpu::BulkPriority::Idle,
            ocr: OcrMode::Auto,
            ocr_languages: vec!["eng".to_owned()],
            ocr_page_timeout_secs: 60,
            ocr_dpi: 300,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            pool_max_size: 5,
            pool_min_idle: 1,
            connection_timeout_secs: 30,
            busy_timeout_ms: 5_000,
            synchronous: Synchronous::Normal,
            slow_checkout_ms: 1_000,
            integrity_check_secs: 600,
        }
    }
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: "info".to_owned(),
            format: LogFormat::Text,
            directory: None,
            rotation: Rotation::Daily,
            max_log_files: 14,
        }
    }
}

impl Default for CrashReportsConfig {
    fn default() -> Self {
        CrashReportsConfig {
            directory: None,
            max_reports: 20,
            max_total_bytes: 10 * 1024 * 1024,
            log_events: 50,
        }
    }
}

/// `[keys]`: action name → keys (one string or a list), as written. The terminal UI, which
/// alone knows its actions, checks it (see [`FrontEndCheck`]).
pub type KeysConfig = BTreeMap<String, KeyList>;

/// One key or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    /// The keys, one or several.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeyList::One(key) => vec![key.as_str()],
            KeyList::Many(keys) => keys.iter().map(String::as_str).collect(),
        }
    }
}

/// A front end's check of the sections only it reads (the terminal UI's `[keys]`). It runs
/// after the core's own checks, so its errors name the file, key and line like any other.
pub type FrontEndCheck = fn(&Config) -> Result<(), Invalid>;

/// A value outside its allowed range: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "key `{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for Invalid {}

fn check_range<T>(key: &str, value: T, min: T, max: T) -> Result<(), Invalid>
where
    T: PartialOrd + std::fmt::Display,
{
    if value < min || value > max {
        return Err(Invalid {
            key: key.to_owned(),
            message: format!("must be between {min} and {max}, got {value}"),
        });
    }
    Ok(())
}

impl Config {
    /// Checks every value the types alone cannot: ranges and relations between keys.
    pub fn validate(&self) -> Result<(), Invalid> {
        let db = &self.database;
        check_range("database.pool_max_size", db.pool_max_size, 1, 64)?;
        check_range(
            "database.pool_min_idle",
            db.pool_min_idle,
            0,
            db.pool_max_size,
        )?;
        check_range(
            "database.connection_timeout_secs",
            db.connection_timeout_secs,
            1,
            600,
        )?;
        check_range("database.busy_timeout_ms", db.busy_timeout_ms, 0, 600_000)?;
        check_range("database.slow_checkout_ms", db.slow_checkout_ms, 1, 600_000)?;
        check_range(
            "database.integrity_check_secs",
            db.integrity_check_secs,
            0,
            2_592_000,
        )?;

        let log = &self.logging;
        load::log_filter(&log.level).map_err(|message| Invalid {
            key: "logging.level".to_owned(),
            message,
        })?;
        check_range("logging.max_log_files", log.max_log_files, 1, 10_000)?;

        let crash = &self.crash_reports;
        check_range("crash_reports.max_reports", crash.max_reports, 1, 10_000)?;
        check_range(
            "crash_reports.max_total_bytes",
            crash.max_total_bytes,
            64 * 1024,
            1 << 40,
        )?;
        check_range("crash_reports.log_events", crash.log_events, 0, 10_000)?;

        let ingest = &self.ingest;
        check_range("ingest.max_file_mb", ingest.max_file_mb, 1, 1 << 20)?;
        check_range("ingest.max_pages", ingest.max_pages, 1, 1_000_000)?;
        check_range("ingest.max_chars", ingest.max_chars, 1_000, 1 << 32)?;
        check_range(
            "ingest.file_timeout_secs",
            ingest.file_timeout_secs,
            1,
            3_600,
        )?;
        check_range(
            "ingest.zip_max_entries",
            ingest.zip_max_entries,
            1,
            1_000_000,
        )?;
        check_range(
            "ingest.zip_max_unpacked_mb",
            ingest.zip_max_unpacked_mb,
            1,
            1 << 20,
        )?;
        check_range("ingest.zip_max_ratio", ingest.zip_max_ratio, 2, 100_000)?;
        for (i, pattern) in ingest.exclude.iter().enumerate() {
            globset::Glob::new(pattern).map_err(|e| Invalid {
                key: format!("ingest.exclude[{i}]"),
                message: format!("not a glob pattern: {}", e.kind()),
            })?;
        }
        check_range("ingest.chunk_chars", ingest.chunk_chars, 100, 100_000)?;
        check_range(
            "ingest.chunk_overlap",
            ingest.chunk_overlap,
            0,
            ingest.chunk_chars / 2,
        )?;
        check_range("ingest.workers", ingest.workers, 0, 256)?;
        check_range(
            "ingest.ocr_page_timeout_secs",
            ingest.ocr_page_timeout_secs,
            1,
            3_600,
        )?;
        check_range("ingest.ocr_dpi", ingest.ocr_dpi, 70, 1_200)?;
        if ingest.ocr_languages.is_empty()
            || ingest
                .ocr_languages
                .iter()
                .any(|l| l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(Invalid {
                key: "ingest.ocr_languages".into(),
                message: "give Tesseract language codes such as [\"eng\", \"deu\"]".into(),
            });
        }

        let pii = &self.pii;
        check_range("pii.threshold", pii.threshold, 0.0, 1.0)?;
        crate::pii::phone::Regions::parse(&pii.phone_regions).map_err(|code| Invalid {
            key: "pii.phone_regions".into(),
            message: format!(
                "`{code}` is not a region; use two-letter country codes such as \"US\", \"GB\", \"DE\""
            ),
        })?;
        for (i, custom) in pii.custom.iter().enumerate() {
            let key = |field: &str| format!("pii.custom[{i}].{field}");
            let upper_snake = !custom.name.is_empty()
                && custom
                    .name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !upper_snake {
                return Err(Invalid {
                    key: key("name"),
                    message: format!(
                        "`{}` is not a type name; use upper snake case such as EMPLOYEE_ID",
                        custom.name
                    ),
                });
            }
            regex::Regex::new(&custom.regex).map_err(|e| Invalid {
                key: key("regex"),
                message: format!("invalid regular expression: {e}"),
            })?;
            check_range(&key("score"), custom.score, 0.0, 1.0)?;
        }
        check_range(
            "tui.health_refresh_secs",
            self.tui.health_refresh_secs,
            1,
            3_600,
        )?;
        inference::validate(
            &self.generator,
            &self.embedder,
            &self.retrieval,
            &self.limits,
            &self.breakers,
        )
    }
}
