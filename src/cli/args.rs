//! The command line's grammar: every command, flag and argument, as clap reads them. The
//! handlers in the other modules get them typed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use kodiak::production::{Basis, Treatment};
use kodiak::report::ReportFormat;
use kodiak::search::Mode;
use kodiak::service::JobScope;
use kodiak::storage::review::ReviewMark;

use super::{ask_cmd, network_cmd};

/// Offline, keyboard-driven document review with a local LLM.
#[derive(Debug, Parser)]
#[command(name = "kodiak", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub(super) global: GlobalArgs,
    /// Without a command, the terminal UI opens.
    #[command(subcommand)]
    pub(super) command: Option<Command>,
}

#[derive(Debug, Args)]
pub(super) struct GlobalArgs {
    /// Configuration file [default: $XDG_CONFIG_HOME/kodiak/config.toml; env: KODIAK_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub(super) config: Option<PathBuf>,
    /// Data directory for the database and index [env: KODIAK_DATA_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) data_dir: Option<PathBuf>,
    /// The matter to work in [env: KODIAK_MATTER; default: default]
    #[arg(long, global = true, value_name = "NAME")]
    pub(super) matter: Option<String>,
    /// Log level or filter, e.g. `debug` or `kodiak=trace` [env: KODIAK_LOG]
    #[arg(long, global = true, value_name = "LEVEL")]
    pub(super) log_level: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
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
    /// Show or choose the vectors this matter's search uses: none, fast or full
    Vectors {
        /// none (words alone), fast (a static model: seconds per thousands of passages) or
        /// full (the embedding model, with fast vectors until it reaches every passage)
        choice: Option<String>,
        /// Print the status as JSON
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
    /// Productions: Bates-numbered PDFs with redactions burned in, slip sheets, text,
    /// DAT/OPT load files and a privilege log, verified before they are called done
    #[command(subcommand)]
    Production(ProductionCommand),
    /// Developer aids
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
    /// Kodiak's model worker, which Kodiak starts itself (speaks a framed protocol on
    /// standard input and output)
    #[command(hide = true)]
    Engine,
}

#[derive(Debug, Subcommand)]
pub(super) enum ConfigCommand {
    /// Validate the configuration; exit 2 with the offending key when it is wrong
    Check,
    /// Print the effective configuration, after files, environment and flags
    Show,
    /// Print the configuration file and the folders Kodiak uses
    Path,
}

#[derive(Debug, Subcommand)]
pub(super) enum CrashCommand {
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
pub(super) enum PiiCommand {
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
pub(super) enum DocsCommand {
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
    /// Groups of near-duplicates: documents whose words are nearly the same, each group
    /// under its longest document with every other's similarity to it
    NearDups {
        /// Least similarity, the share of the longer document's words the other has too
        /// (0.5-1.0)
        #[arg(long, default_value_t = kodiak::neardup::DEFAULT_MIN, value_parser = similarity)]
        min: f64,
        /// Print JSON: each group's principal and members with their similarity
        #[arg(long)]
        json: bool,
    },
    /// E-mail threads: each conversation with its messages in date order, the inclusive
    /// ones (whose text no later message contains) marked
    Threads {
        /// Only threads of at least this many messages
        #[arg(long, default_value_t = 1)]
        min: usize,
        /// Print JSON: each thread's messages with id, position, parent, date, from,
        /// subject and inclusive
        #[arg(long)]
        json: bool,
    },
}

/// A least similarity from 0.5 to 1.0.
fn similarity(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number such as 0.8"))?;
    if (0.5..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is outside 0.5-1.0"))
    }
}

#[derive(Debug, Subcommand)]
pub(super) enum ReviewCommand {
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
    /// Withhold a document for privilege, produce it with privileged parts redacted, or
    /// clear the decision (none)
    Privilege {
        id: i64,
        #[arg(value_parser = one_of::<Privileged>(Privileged::ALL.map(Privileged::as_str)))]
        treatment: Privileged,
        /// attorney-client, work-product or other
        #[arg(long, value_parser = one_of::<Basis>(Basis::ALL.map(Basis::as_str)))]
        basis: Option<Basis>,
        /// What the document is, for the privilege log (without revealing the advice)
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
    /// Redact characters START:END of a document's text (as `kodiak report pii` gives
    /// offsets) or a whole page, with a reason shown in the box
    Redact {
        id: i64,
        #[arg(
            long,
            value_name = "START:END",
            conflicts_with = "page",
            required_unless_present = "page"
        )]
        span: Option<String>,
        #[arg(long, value_name = "N")]
        page: Option<usize>,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Remove a document's redaction N (`kodiak review redactions ID` lists them)
    Unredact { id: i64, number: i64 },
    /// A document's privilege decision and redactions
    Redactions {
        id: i64,
        #[arg(long)]
        json: bool,
    },
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
        /// The checklist: a TOML file, or a shipped one by name (commercial-contract,
        /// privacy-dpa)
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
pub(super) enum AuditCommand {
    /// Entries in order: time, user@host, action, detail
    List {
        #[arg(long)]
        json: bool,
        /// Entries at or after this time or date (2026-11-27)
        #[arg(long, value_name = "TIME", value_parser = timestamp)]
        since: Option<kodiak::timestamp::Timestamp>,
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
pub(super) enum ReportCommand {
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

/// A privilege decision as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Privileged {
    Withhold,
    Redact,
    None,
}

impl Privileged {
    pub(super) const ALL: [Privileged; 3] =
        [Privileged::Withhold, Privileged::Redact, Privileged::None];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Privileged::Withhold => "withhold",
            Privileged::Redact => "redact",
            Privileged::None => "none",
        }
    }

    pub(super) fn treatment(self) -> Option<Treatment> {
        match self {
            Privileged::Withhold => Some(Treatment::Withhold),
            Privileged::Redact => Some(Treatment::Redact),
            Privileged::None => None,
        }
    }
}

impl std::str::FromStr for Privileged {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| format!("unknown treatment {text:?}; one of: withhold, redact, none"))
    }
}

#[derive(Debug, Subcommand)]
pub(super) enum ProductionCommand {
    /// Make a production set: fix its documents (families together), what is withheld
    /// and redacted, and the Bates numbers, page by page with no gaps
    New {
        name: String,
        /// The Bates prefix (letters, digits, - and _)
        #[arg(long)]
        prefix: String,
        /// The first number (default: one past the last any production gave the prefix)
        #[arg(long)]
        start: Option<u64>,
        /// Digits the number is padded to
        #[arg(long, default_value_t = 6)]
        digits: usize,
        /// The volume the OPT names
        #[arg(long, default_value = "VOL001")]
        volume: String,
        /// Redact every finding of these PII types: all, or TYPE,TYPE (PERSON, PHONE_NUMBER…)
        #[arg(long, value_name = "all|TYPE,TYPE", value_delimiter = ',')]
        redact_pii: Vec<String>,
        /// Stamped at the bottom left of every page, e.g. CONFIDENTIAL
        #[arg(long, value_name = "TEXT")]
        legend: Option<String>,
        #[command(flatten)]
        scope: ScopeArgs,
        #[arg(long)]
        json: bool,
    },
    /// Write a production set into a new folder and verify it: IMAGES/, TEXT/, DATA/
    /// NAME.dat and NAME.opt, privilege-log.csv and .md
    Run {
        name: String,
        #[arg(long, short, value_name = "DIR")]
        output: std::path::PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// List production sets
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one production set's documents and numbers
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

/// Which documents a checklist run or a report covers.
#[derive(Debug, Args)]
pub(super) struct ScopeArgs {
    /// Only this document (repeat for several)
    #[arg(long = "doc", value_name = "ID")]
    pub(super) docs: Vec<i64>,
    /// Only documents with this tag (repeat: any of them)
    #[arg(long = "tag", value_name = "TAG")]
    pub(super) tags: Vec<String>,
    /// Only documents in this review state
    #[arg(long, value_parser = one_of::<ReviewMark>(ReviewMark::ALL.map(ReviewMark::as_str)))]
    pub(super) status: Option<ReviewMark>,
}

impl ScopeArgs {
    pub(super) fn scope(self) -> JobScope {
        JobScope {
            documents: self.docs,
            tags: self.tags,
            status: self.status,
        }
    }
}

#[derive(Debug, Args)]
pub(super) struct StyleArgs {
    /// Print JSON
    #[arg(long, conflicts_with = "csv")]
    pub(super) json: bool,
    /// Print CSV
    #[arg(long)]
    pub(super) csv: bool,
}

#[derive(Debug, Subcommand)]
pub(super) enum MatterCommand {
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
pub(super) enum ChecklistCommand {
    /// Validate a checklist file; exit 2 naming the line and key when it is wrong
    Check { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub(super) enum ConversationsCommand {
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
pub(super) enum DebugCommand {
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
pub(super) const EXIT_CONFIG: u8 = 2;

/// A value parser for one of the core's named enums: its names are the possible values
/// (listed in help and in errors), parsed by the enum's own `FromStr`.
pub(super) fn one_of<T>(
    names: impl IntoIterator<Item = &'static str>,
) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names).try_map(|name| name.parse::<T>())
}

/// A time or date as a flag's value (`2026-11-27`, `2026-11-27T14:00:00+01:00`).
fn timestamp(text: &str) -> Result<kodiak::timestamp::Timestamp, String> {
    kodiak::timestamp::Timestamp::parse(text).map_err(|e| e.to_string())
}
