//! The command line: a thin shell over the Kodiak core. Parsing is clap's; each command
//! handler turns core results into text or JSON and an exit code.

mod ask_cmd;
mod audit_cmd;
mod checklist_cmd;
mod config_cmd;
mod crash_cmd;
mod docs_cmd;
mod health_cmd;
mod ingest_cmd;
mod matter_cmd;
mod network_cmd;
mod output;
mod pii_cmd;
mod report_cmd;
mod review_cmd;
mod search_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use kodiak::config::{self, ConfigError, Overrides, Settings};
use kodiak::report::ReportFormat;
use kodiak::search::Mode;
use kodiak::service::{AskOptions, AuditFilter, DecisionInput, JobScope, SearchOptions};
use kodiak::storage::review::ReviewMark;
use kodiak::telemetry::{self, crash};

/// Offline, keyboard-driven document review with a local LLM.
#[derive(Debug, Parser)]
#[command(name = "kodiak", version, about)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    /// Without a command, the terminal UI opens.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Configuration file [default: $XDG_CONFIG_HOME/kodiak/config.toml; env: KODIAK_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory for the database and index [env: KODIAK_DATA_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The matter to work in [env: KODIAK_MATTER; default: default]
    #[arg(long, global = true, value_name = "NAME")]
    matter: Option<String>,
    /// Log level or filter, e.g. `debug` or `kodiak=trace` [env: KODIAK_LOG]
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the terminal UI (also what `kodiak` alone does)
    Tui,
    /// Check every component; exit 0 healthy, 1 degraded, 2 unhealthy
    Health {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Check, show or locate the configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List, show or clear local crash reports
    #[command(subcommand, name = "crash-reports")]
    CrashReports(CrashCommand),
    /// Add files and folders: extract text, find PII, index for search
    Ingest {
        /// Files and folders (searched recursively)
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Passwords for encrypted PDFs, one per line, tried in order (never logged)
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// Search the ingested documents
    Search {
        /// What to look for; "quoted words" must appear together
        #[arg(required_unless_present = "stdin", conflicts_with = "stdin")]
        query: Option<String>,
        /// Most results to return
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
        /// Print JSON
        #[arg(long)]
        json: bool,
        /// Answer one query per input line (JSON `{"id", "query"}` or text) as JSON lines
        #[arg(long)]
        stdin: bool,
        /// Ranking: exact terms, meaning, or both fused [default: hybrid when an embedder
        /// is configured, else bm25]
        #[arg(long, value_parser = one_of::<Mode>(Mode::ALL.map(Mode::as_str)))]
        mode: Option<Mode>,
        /// Only this document (repeat for several)
        #[arg(long = "doc", value_name = "ID")]
        docs: Vec<i64>,
    },
    /// Ask a question; the local model answers from the documents, with citations
    Ask {
        question: String,
        /// Only passages of this document (repeat for several)
        #[arg(long = "doc", value_name = "ID")]
        docs: Vec<i64>,
        /// Passages to retrieve [default: [retrieval] passages]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=100))]
        k: Option<u16>,
        /// Print one JSON object at the end instead of streaming text
        #[arg(long)]
        json: bool,
        /// Answer with the best passages, without a model
        #[arg(long)]
        no_llm: bool,
        /// Continue this conversation
        #[arg(long, value_name = "ID")]
        conversation: Option<i64>,
    },
    /// List, show or export conversations
    #[command(subcommand)]
    Conversations(ConversationsCommand),
    /// List, show or remove ingested documents
    #[command(subcommand)]
    Docs(DocsCommand),
    /// Rebuild the search index from the database
    Reindex,
    /// Give every chunk a vector from the configured embedder (after changing it)
    Reembed {
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// Find personal data without ingesting
    #[command(subcommand)]
    Pii(PiiCommand),
    /// Mark documents reviewed or flagged, tag and annotate them, run checklists over
    /// them, export the reports
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Validate a checklist file
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// The audit trail: who did what, hash-chained; list, verify, export
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Matters: separate workspaces, each with its own documents, index and audit trail
    #[command(subcommand)]
    Matter(MatterCommand),
    /// Reports for counsel and auditors: search-term hit counts, the redaction log
    #[command(subcommand)]
    Report(ReportCommand),
    /// Developer aids
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
    /// Kodiak's model worker, which Kodiak starts itself (speaks a framed protocol on
    /// standard input and output)
    #[command(hide = true)]
    Engine,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the configuration; exit 2 with the offending key when it is wrong
    Check,
    /// Print the effective configuration, after files, environment and flags
    Show,
    /// Print the configuration file and the folders Kodiak uses
    Path,
}

#[derive(Debug, Subcommand)]
enum CrashCommand {
    /// List crash reports, newest first
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one crash report
    Show { id: String },
    /// Delete all crash reports
    Clear,
}

#[derive(Debug, Subcommand)]
enum PiiCommand {
    /// Print the PII found in files, or in JSON lines read from standard input
    Scan {
        /// Files to scan (any format Kodiak ingests)
        #[arg(required_unless_present = "jsonl", conflicts_with = "jsonl")]
        files: Vec<PathBuf>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// Read `{"text": ...}` JSON lines from stdin; write each with `findings` added
        #[arg(long)]
        jsonl: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DocsCommand {
    /// List every document with its status
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a document's metadata and PII counts, or its text
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        /// Print the extracted text, with a marker line before each page
        #[arg(long, conflicts_with = "json")]
        text: bool,
    },
    /// Remove a document (and its attachments) from the database and the index
    Rm { id: i64 },
}

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    /// Show a document's review status, tags and notes
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Mark a document reviewed or unreviewed, flag or unflag it (a flag is kept apart
    /// from the status: a reviewed document can be flagged)
    Set {
        id: i64,
        #[arg(value_parser = one_of::<ReviewMark>(ReviewMark::ALL.map(ReviewMark::as_str)))]
        mark: ReviewMark,
    },
    /// Add tags to a document
    Tag {
        id: i64,
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from a document
    Untag {
        id: i64,
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Add a note to a document
    Note { id: i64, text: String },
    /// Write the report: per document its status, tags, notes and PII counts by type; with
    /// JOB, that checklist job's grid (a row per document, a column per item)
    Export {
        /// A checklist job (`kodiak review jobs` lists them)
        job: Option<i64>,
        #[arg(
            long,
            default_value = "md",
            value_parser = one_of::<ReportFormat>(ReportFormat::ALL.map(ReportFormat::as_str))
        )]
        format: ReportFormat,
        /// Write to this file (replaced atomically) instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Run a checklist over the documents: every item asked of every document, each
    /// answer with its evidence quoted from the text
    Run {
        /// The checklist file (TOML; see assets/checklists)
        checklist: PathBuf,
        #[command(flatten)]
        scope: ScopeArgs,
        /// Decide without the model (extractively), even when one is configured
        #[arg(long)]
        no_llm: bool,
        /// Print the whole grid as JSON
        #[arg(long)]
        json: bool,
    },
    /// Go on with a job that was stopped, cancelled or cut short
    Resume {
        job: i64,
        #[arg(long)]
        json: bool,
    },
    /// Stop a running job before its next cell (what is decided stays)
    Cancel { job: i64 },
    /// List checklist jobs, newest first
    Jobs {
        #[arg(long)]
        json: bool,
    },
    /// Show a job's grid: a line per document, a symbol per item
    Grid {
        job: i64,
        #[arg(long)]
        json: bool,
    },
    /// Show one cell: the suggestion, its evidence and the reviewer's decision
    Cell {
        job: i64,
        /// The document's id
        doc: i64,
        /// The item's id
        item: String,
        #[arg(long)]
        json: bool,
    },
    /// Record your decision on a cell; no later run overwrites it
    Decide {
        job: i64,
        /// The document's id
        doc: i64,
        /// The item's id
        item: String,
        /// The suggestion is right
        #[arg(long, group = "decision")]
        confirm: bool,
        /// The right answer is this
        #[arg(long, group = "decision", value_name = "TEXT")]
        answer: Option<String>,
        /// The document has no such clause
        #[arg(long, group = "decision")]
        not_found: bool,
        /// Withdraw your decision
        #[arg(long, group = "decision")]
        clear: bool,
        /// A note kept with the decision
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Entries in order: time, user@host, action, detail
    List {
        #[arg(long)]
        json: bool,
        /// Entries at or after this time or date (2026-11-27)
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Entries of this OS user
        #[arg(long)]
        user: Option<String>,
        /// Entries of this action (ingest, remove, review, tag, note, ask, export,
        /// checklist_job, checklist_run, checklist_decision, config)
        #[arg(long)]
        action: Option<String>,
    },
    /// Check the chain; exit 0 intact, 1 naming the first broken or missing entry
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Write every entry with the chain head, as JSON or CSV
    Export {
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
        /// Write to this file (replaced atomically) instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// For each search term: documents with hits, unique hits, total hits, and the same
    /// with email families counted together
    Terms {
        /// Terms, or files of terms (a term per line, # for comments). Words must all
        /// appear; "quoted words" together; word* any word starting so; A OR B either
        #[arg(required = true, value_name = "TERM|FILE")]
        terms: Vec<String>,
        #[command(flatten)]
        scope: ScopeArgs,
        #[command(flatten)]
        style: StyleArgs,
        /// Write to this file (replaced atomically) instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Every personal-data finding per document (type, page, offsets, score,
    /// placeholder, salted hash of the value) with totals per type
    Pii {
        #[command(flatten)]
        scope: ScopeArgs,
        #[command(flatten)]
        style: StyleArgs,
        /// Show the values themselves, not only their hashes
        #[arg(long)]
        with_values: bool,
        /// Write to this file (replaced atomically) instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Which documents a checklist run or a report covers.
#[derive(Debug, Args)]
struct ScopeArgs {
    /// Only this document (repeat for several)
    #[arg(long = "doc", value_name = "ID")]
    docs: Vec<i64>,
    /// Only documents with this tag (repeat: any of them)
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Only documents in this review state
    #[arg(long, value_parser = one_of::<ReviewMark>(ReviewMark::ALL.map(ReviewMark::as_str)))]
    status: Option<ReviewMark>,
}

impl ScopeArgs {
    fn scope(self) -> JobScope {
        JobScope {
            documents: self.docs,
            tags: self.tags,
            status: self.status,
        }
    }
}

#[derive(Debug, Args)]
struct StyleArgs {
    /// Print JSON
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV
    #[arg(long)]
    csv: bool,
}

#[derive(Debug, Subcommand)]
enum MatterCommand {
    /// Make a matter (its folder, database and index are made on first use)
    New {
        name: String,
        /// A line saying what the matter is
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
    /// List the matters (* marks the one in use)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a matter: its folder, counts and audit trail
    Show {
        /// [default: the matter in use]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Make a matter read-only: it can still be read, searched and reported on
    Archive { name: String },
    /// Make an archived matter changeable again
    Reopen { name: String },
}

#[derive(Debug, Subcommand)]
enum ChecklistCommand {
    /// Validate a checklist file; exit 2 naming the line and key when it is wrong
    Check { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum ConversationsCommand {
    /// Every conversation, most recent first
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print a conversation
    Show { id: i64 },
    /// Write a conversation as Markdown or JSON to standard output
    Export {
        id: i64,
        #[arg(long, value_enum, default_value = "md")]
        format: ask_cmd::ExportFormat,
    },
}

#[derive(Debug, Subcommand)]
enum DebugCommand {
    /// Print how fast the terminal UI draws and how many bytes it writes
    BenchTui,
    /// Try every path to a network socket the air gap closes (socket families, io_uring,
    /// the 32-bit system call conventions, bpf, other processes' descriptors), each in a
    /// child process, and a TCP connection to this machine (127.0.0.1, port 9); a line
    /// each. Exit 1 if any opened
    TryNetwork,
    /// One path of try-network, tried in this process (what try-network starts)
    #[command(hide = true)]
    ProbeNetwork {
        #[arg(value_enum)]
        probe: network_cmd::Probe,
    },
    /// Panic on purpose, to exercise the crash-report path
    Panic {
        #[arg(long, default_value = "deliberate panic from `kodiak debug panic`")]
        message: String,
    },
}

/// Exit code for a configuration error, as for a usage error.
const EXIT_CONFIG: u8 = 2;

/// A value parser for one of the core's named enums: its names are the possible values
/// (listed in help and in errors), parsed by the enum's own `FromStr`.
fn one_of<T>(
    names: impl IntoIterator<Item = &'static str>,
) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names).try_map(|name| name.parse::<T>())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            // Errors quote file names and document text.
            eprintln!(
                "kodiak: error: {}",
                crate::sanitize::block(&describe(&error))
            );
            if error.downcast_ref::<ConfigError>().is_some()
                || error
                    .downcast_ref::<kodiak::matter::MatterError>()
                    .is_some()
            {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The error and its causes, each cause once: most of Kodiak's errors already quote their
/// cause in their own message ("cannot prepare … : No such file or directory"), so a cause
/// that message holds is not repeated after it.
fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn run(cli: Cli) -> Result<ExitCode> {
    // The model worker gets everything it needs from the process that started it: no
    // configuration, log files or panic hook of its own.
    if let Some(Command::Engine) = cli.command {
        return Ok(ExitCode::from(kodiak::llm::worker::serve::serve()));
    }
    // A network probe meets only the filter its parent passed on.
    if let Some(Command::Debug(DebugCommand::ProbeNetwork { probe })) = cli.command {
        return Ok(network_cmd::probe(probe));
    }
    let overrides = Overrides {
        config_file: cli.global.config,
        data_dir: cli.global.data_dir,
        matter: cli.global.matter,
        log_level: cli.global.log_level,
    };
    let settings = config::load(
        &overrides,
        &|key| std::env::var(key).ok(),
        crate::tui::keys::check,
    )?;
    // The air gap goes up before any document, model or index is touched; the model worker
    // and OCR inherit it. Health says if it could not.
    if settings.config.security.block_network
        && let Err(e) = kodiak::guard::air_gap::block_network()
    {
        eprintln!("kodiak: warning: {e}; the network is not blocked");
    }

    // Configuration commands only read; everything else logs and may crash.
    if let Some(Command::Config(command)) = &cli.command {
        return config_cmd::run(command, &settings);
    }
    // A mistyped matter is an error before anything runs, never a new empty matter.
    if !matches!(cli.command, Some(Command::Matter(_))) {
        kodiak::matter::open(&settings.paths.data_dir, &settings.paths.matter)?;
    }
    let telemetry = start_telemetry(&settings);
    let Some(command) = cli.command else {
        let code = crate::tui::run(settings)?;
        drop(telemetry);
        return Ok(code);
    };

    let code = match command {
        Command::Tui => crate::tui::run(settings)?,
        Command::Health { json } => health_cmd::run(settings, json)?,
        Command::CrashReports(command) => crash_cmd::run(&command, &settings)?,
        Command::Ingest {
            paths,
            password_file,
            json,
        } => ingest_cmd::run(settings, &paths, password_file.as_deref(), json)?,
        Command::Search {
            query,
            limit,
            json,
            stdin,
            mode,
            docs,
        } => {
            let options = SearchOptions {
                mode,
                limit: usize::from(limit),
                documents: docs,
            };
            if stdin {
                search_cmd::run_stdin(settings, &options)?
            } else {
                search_cmd::run(
                    settings,
                    query.as_deref().unwrap_or_default(),
                    &options,
                    json,
                )?
            }
        }
        Command::Docs(DocsCommand::List { json }) => docs_cmd::list(settings, json)?,
        Command::Docs(DocsCommand::Show { id, json, text }) => {
            docs_cmd::show(settings, id, json, text)?
        }
        Command::Docs(DocsCommand::Rm { id }) => docs_cmd::rm(settings, id)?,
        Command::Ask {
            question,
            docs,
            k,
            json,
            no_llm,
            conversation,
        } => {
            let options = AskOptions {
                question,
                documents: docs,
                passages: k.map(usize::from),
                no_llm,
                conversation,
                ..AskOptions::default()
            };
            ask_cmd::ask(settings, options, json)?
        }
        Command::Conversations(ConversationsCommand::List { json }) => {
            ask_cmd::list(settings, json)?
        }
        Command::Conversations(ConversationsCommand::Show { id }) => {
            ask_cmd::show(settings, id, ask_cmd::ExportFormat::Md)?
        }
        Command::Conversations(ConversationsCommand::Export { id, format }) => {
            ask_cmd::show(settings, id, format)?
        }
        Command::Reindex => docs_cmd::reindex(settings)?,
        Command::Reembed { json } => ingest_cmd::reembed(settings, json)?,
        Command::Pii(PiiCommand::Scan { jsonl: true, .. }) => pii_cmd::scan_jsonl(&settings)?,
        Command::Pii(PiiCommand::Scan { files, json, .. }) => {
            pii_cmd::scan_files(&settings, &files, json)?
        }
        Command::Review(ReviewCommand::Show { id, json }) => review_cmd::show(settings, id, json)?,
        Command::Review(ReviewCommand::Set { id, mark }) => review_cmd::set(settings, id, mark)?,
        Command::Review(ReviewCommand::Tag { id, tags }) => {
            review_cmd::tag(settings, id, &tags, false)?
        }
        Command::Review(ReviewCommand::Untag { id, tags }) => {
            review_cmd::tag(settings, id, &tags, true)?
        }
        Command::Review(ReviewCommand::Note { id, text }) => review_cmd::note(settings, id, &text)?,
        Command::Review(ReviewCommand::Export {
            job: None,
            format,
            output,
        }) => review_cmd::export(settings, format, output.as_deref())?,
        Command::Review(ReviewCommand::Export {
            job: Some(job),
            format,
            output,
        }) => checklist_cmd::export_job(settings, job, format, output.as_deref())?,
        Command::Review(ReviewCommand::Run {
            checklist,
            scope,
            no_llm,
            json,
        }) => checklist_cmd::run(
            settings,
            checklist_cmd::RunArgs {
                checklist: &checklist,
                scope: scope.scope(),
                no_llm,
                json,
            },
        )?,
        Command::Review(ReviewCommand::Resume { job, json }) => {
            checklist_cmd::resume(settings, job, json)?
        }
        Command::Review(ReviewCommand::Cancel { job }) => checklist_cmd::cancel(settings, job)?,
        Command::Review(ReviewCommand::Jobs { json }) => checklist_cmd::jobs(settings, json)?,
        Command::Review(ReviewCommand::Grid { job, json }) => {
            checklist_cmd::grid(settings, job, json)?
        }
        Command::Review(ReviewCommand::Cell {
            job,
            doc,
            item,
            json,
        }) => checklist_cmd::cell(settings, job, doc, &item, json)?,
        Command::Review(ReviewCommand::Decide {
            job,
            doc,
            item,
            confirm: _,
            answer,
            not_found,
            clear,
            note,
        }) => {
            let input = match (answer, not_found, clear) {
                (Some(answer), _, _) => DecisionInput::Correct(answer),
                (None, true, _) => DecisionInput::NotFound,
                (None, false, true) => DecisionInput::Clear,
                (None, false, false) => DecisionInput::Confirm,
            };
            checklist_cmd::decide(settings, (job, doc, &item), input, note.as_deref())?
        }
        Command::Checklist(ChecklistCommand::Check { file }) => checklist_cmd::check(&file)?,
        Command::Audit(AuditCommand::List {
            json,
            since,
            user,
            action,
        }) => audit_cmd::list(
            settings,
            &AuditFilter {
                since,
                user,
                action,
            },
            json,
        )?,
        Command::Audit(AuditCommand::Verify { json }) => audit_cmd::verify(settings, json)?,
        Command::Audit(AuditCommand::Export { format, output }) => {
            audit_cmd::export(settings, format == "csv", output.as_deref())?
        }
        Command::Matter(MatterCommand::New { name, description }) => {
            matter_cmd::new(&settings, &name, description.as_deref())?
        }
        Command::Matter(MatterCommand::List { json }) => matter_cmd::list(&settings, json)?,
        Command::Matter(MatterCommand::Show { name, json }) => {
            let name = name.unwrap_or_else(|| settings.paths.matter.clone());
            matter_cmd::show(&settings, &name, json)?
        }
        Command::Matter(MatterCommand::Archive { name }) => {
            matter_cmd::set_archived(&settings, &name, true)?
        }
        Command::Matter(MatterCommand::Reopen { name }) => {
            matter_cmd::set_archived(&settings, &name, false)?
        }
        Command::Report(ReportCommand::Terms {
            terms,
            scope,
            style,
            output,
        }) => report_cmd::terms(
            settings,
            &terms,
            &scope.scope(),
            report_cmd::Style::of(style.json, style.csv),
            output.as_deref(),
        )?,
        Command::Report(ReportCommand::Pii {
            scope,
            style,
            with_values,
            output,
        }) => report_cmd::pii(
            settings,
            &scope.scope(),
            with_values,
            report_cmd::Style::of(style.json, style.csv),
            output.as_deref(),
        )?,
        Command::Debug(DebugCommand::BenchTui) => crate::tui::bench::run()?,
        Command::Debug(DebugCommand::TryNetwork) => network_cmd::try_network(),
        Command::Debug(DebugCommand::Panic { message }) => {
            tracing::info!("panicking on request");
            panic!("{message}");
        }
        Command::Config(_)
        | Command::Engine
        | Command::Debug(DebugCommand::ProbeNetwork { .. }) => ExitCode::SUCCESS,
    };
    drop(telemetry);
    Ok(code)
}

fn start_telemetry(settings: &Settings) -> telemetry::Telemetry {
    let telemetry = telemetry::init(settings);
    crash::install_panic_hook(
        crash::CrashSettings::from_settings(settings),
        telemetry.recent.clone(),
    );
    tracing::debug!(version = env!("CARGO_PKG_VERSION"), "kodiak started");
    telemetry
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn a_cause_the_message_already_quotes_is_said_once_and_others_follow_it() {
        let gone = || std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let quoting = anyhow::Error::from(kodiak::storage::StorageError::Prepare {
            path: "/cases".into(),
            source: gone(),
        });
        assert_eq!(
            describe(&quoting),
            "cannot prepare the data directory /cases: gone"
        );
        let wrapped = anyhow::Error::from(gone()).context("reading the terms");
        assert_eq!(describe(&wrapped), "reading the terms: gone");
    }
}
