//! `kodiak checklist check` and the checklist jobs of `kodiak review`: run, resume,
//! cancel, list, the grid, one cell, a reviewer's decision, the export.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use kodiak::Kodiak;
use kodiak::checklist::Checklist;
use kodiak::checklist::decide::CellState;
use kodiak::checklist::export;
use kodiak::config::Settings;
use kodiak::report::ReportFormat;
use kodiak::service::{
    DecisionInput, Grid, GridCell, JobCounts, JobInfo, JobOutcome, JobProgress, JobScope,
};
use kodiak::storage::checklists::JobState;

use super::output::deliver;
use crate::sanitize::{block, line};
use kodiak::report::plural;

/// Exit code of a checklist that does not validate, as for a bad configuration.
const EXIT_INVALID: u8 = 2;

pub(super) fn check(path: &Path) -> Result<ExitCode> {
    match Checklist::load(path) {
        Ok(checklist) => {
            println!(
                "checklist OK: {} ({}, {} items)",
                path.display(),
                line(&checklist.title),
                checklist.items.len()
            );
            for item in &checklist.items {
                println!(
                    "  {:<26} {:<8} {}",
                    item.id,
                    item.answer.as_str(),
                    line(&item.question)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("kodiak: error: {}", line(&error.to_string()));
            Ok(ExitCode::from(EXIT_INVALID))
        }
    }
}

/// A progress bar on standard error: cells and documents, rate and ETA.
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new(info: &JobInfo) -> Bar {
        let bar = ProgressBar::new(info.total as u64);
        let style =
            ProgressStyle::with_template("{bar:30} {pos}/{len} cells {per_sec} ETA {eta} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_position(info.cells as u64);
        bar.reset_eta();
        Bar { bar }
    }
}

impl JobProgress for Bar {
    fn advanced(&self, counts: JobCounts) {
        self.bar.set_position(counts.cells as u64);
        self.bar.set_message(format!(
            "· {}/{} documents",
            counts.documents, counts.total_documents
        ));
    }
}

pub(super) struct RunArgs<'a> {
    pub checklist: &'a Path,
    pub scope: JobScope,
    pub no_llm: bool,
    pub json: bool,
}

pub(super) fn run(settings: Settings, args: RunArgs<'_>) -> Result<ExitCode> {
    let checklist = match Checklist::find(args.checklist) {
        Ok(checklist) => checklist,
        Err(error) => {
            eprintln!("kodiak: error: {}", line(&error.to_string()));
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let fetched = settings
        .paths
        .generator_model
        .as_deref()
        .and_then(kodiak::llm::FetchedModel::named);
    if !args.no_llm && fetched.is_some() {
        eprintln!(
            "note: the generator is one of the small models scripts/fetch-models fetches; the \
             checklist benchmark measures it below deciding without it (--no-llm)"
        );
    }
    let kodiak = Kodiak::open(settings)?;
    let job = kodiak.start_checklist(&checklist, &args.scope, !args.no_llm)?;
    go(&kodiak, job, args.json)
}

pub(super) fn resume(settings: Settings, job: i64, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let info = kodiak.checklist_job(job)?;
    if info.state == JobState::Done {
        eprintln!("job {job} is done: {} of {} cells", info.cells, info.total);
        return Ok(ExitCode::SUCCESS);
    }
    go(&kodiak, job, json)
}

/// Runs a job to its end with a progress bar, then prints the grid.
fn go(kodiak: &Kodiak, job: i64, json: bool) -> Result<ExitCode> {
    let info = kodiak.checklist_job(job)?;
    eprintln!(
        "job {job}: {} × {} documents = {} cells ({} done){}; stop with Ctrl-C, go on with \
         `kodiak review resume {job}`",
        plural(info.items, "item"),
        info.documents,
        info.total,
        info.cells,
        if info.use_model {
            ", asking the model"
        } else {
            ", without the model"
        }
    );
    let bar = Bar::new(&info);
    let started = Instant::now();
    let outcome = kodiak.run_checklist(job, &bar);
    bar.bar.finish_and_clear();
    let outcome = outcome?;
    for note in &outcome.notes {
        eprintln!("note: {}", line(note));
    }
    eprintln!("{}", summary(&outcome, started.elapsed().as_secs_f64()));
    print_grid(kodiak, &kodiak.checklist_grid(job)?, json)
}

/// The grid on standard output: JSON, or a line per document.
fn print_grid(kodiak: &Kodiak, grid: &Grid, json: bool) -> Result<ExitCode> {
    if json {
        let text = export::render(grid, ReportFormat::Json, &kodiak.provenance()?)?;
        std::io::stdout().write_all(text.as_bytes())?;
    } else {
        print!("{}", block(&grid_text(grid)));
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(outcome: &JobOutcome, seconds: f64) -> String {
    let state = match outcome.state {
        JobState::Done => "done".to_owned(),
        JobState::Cancelled => format!("stopped; `kodiak review resume {}` goes on", outcome.job),
        JobState::Running => "running".to_owned(),
    };
    let mut out = format!(
        "job {}: {state} · {} of {} cells · {} decided now in {seconds:.1} s ({:.0} cells/s)",
        outcome.job,
        outcome.cells,
        outcome.total,
        outcome.decided,
        outcome.decided as f64 / seconds.max(1e-9)
    );
    if let Some(model) = &outcome.model
        && model.cells > 0
    {
        out.push_str(&format!(
            " · model: {:.1} s and {:.0} tokens per cell, {:.0}% of the prompt reused",
            model.seconds / model.cells as f64,
            (model.prompt_tokens + model.completion_tokens) as f64 / model.cells as f64,
            100.0 * model.reused_tokens as f64 / model.prompt_tokens.max(1) as f64
        ));
    }
    if outcome.quotes_dropped > 0 {
        out.push_str(&format!(
            " · {} quotes that did not match the text dropped",
            outcome.quotes_dropped
        ));
    }
    out
}

/// The grid in the terminal: the items numbered, then a line per document with a symbol
/// per cell (`*` after one a person decided).
pub(super) fn grid_text(grid: &Grid) -> String {
    let mut out = format!(
        "{} · job {} · {} · {} of {} cells\n",
        grid.checklist.title, grid.job.id, grid.job.scope, grid.job.cells, grid.job.total
    );
    for (n, item) in grid.checklist.items.iter().enumerate() {
        out.push_str(&format!("  {:>2} {}\n", n + 1, item.id));
    }
    out.push_str("✓ found  ✗ not found  ? uncertain  · pending  * decided by a person\n\n");
    let ruler: String = (1..=grid.checklist.items.len())
        .map(|n| format!("{:<2}", n % 10))
        .collect();
    out.push_str(&format!("{:>6} {:<30} {ruler}\n", "doc", "document"));
    for row in &grid.rows {
        let title: String = row.title.chars().take(30).collect();
        let cells: String = row
            .cells
            .iter()
            .map(|cell| match cell {
                None => "· ".to_owned(),
                Some(cell) => format!(
                    "{}{}",
                    cell.state().symbol(),
                    if cell.decision.is_some() { '*' } else { ' ' }
                ),
            })
            .collect();
        out.push_str(&format!("{:>6} {title:<30} {cells}\n", row.doc_id));
    }
    let count = |state: CellState| {
        grid.rows
            .iter()
            .flat_map(|r| r.cells.iter().flatten())
            .filter(|c| c.state() == state)
            .count()
    };
    out.push_str(&format!(
        "\n{} found · {} not found · {} uncertain · `kodiak review cell {} DOC ITEM` shows one with its evidence\n",
        count(CellState::Found),
        count(CellState::NotFound),
        count(CellState::Uncertain),
        grid.job.id
    ));
    out
}

pub(super) fn jobs(settings: Settings, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let jobs = kodiak.checklist_jobs()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&jobs)?);
        return Ok(ExitCode::SUCCESS);
    }
    if jobs.is_empty() {
        println!("no checklist jobs; `kodiak review run CHECKLIST` starts one");
    }
    for job in &jobs {
        let state = if job.interrupted {
            "interrupted"
        } else {
            job.state.as_str()
        };
        println!(
            "{:>4}  {:<11} {:>6}/{:<6} {:<24} {}  {} by {}",
            job.id,
            state,
            job.cells,
            job.total,
            line(&job.checklist),
            line(&job.scope),
            job.created_at,
            line(&job.created_by)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn cancel(settings: Settings, job: i64) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let info = kodiak.cancel_checklist(job)?;
    println!(
        "job {job}: {} with {} of {} cells; `kodiak review resume {job}` goes on",
        info.state.as_str(),
        info.cells,
        info.total
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn grid(settings: Settings, job: i64, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    print_grid(&kodiak, &kodiak.checklist_grid(job)?, json)
}

pub(super) fn cell(
    settings: Settings,
    job: i64,
    document: i64,
    item: &str,
    json: bool,
) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let grid = kodiak.checklist_grid(job)?;
    let (row, column) = locate(&grid, document, item)?;
    let Some(cell) = &grid.rows[row].cells[column] else {
        anyhow::bail!(
            "job {job} has not decided {item:?} for document {document} yet; `kodiak review \
             resume {job}` decides it"
        );
    };
    if json {
        println!("{}", serde_json::to_string_pretty(cell)?);
    } else {
        print!("{}", block(&cell_details(&grid, row, column, cell)));
    }
    Ok(ExitCode::SUCCESS)
}

fn locate(grid: &Grid, document: i64, item: &str) -> Result<(usize, usize)> {
    let column = grid
        .checklist
        .items
        .iter()
        .position(|i| i.id == item)
        .with_context(|| {
            let ids: Vec<&str> = grid.checklist.items.iter().map(|i| i.id.as_str()).collect();
            format!("no item {item:?}; the items are: {}", ids.join(", "))
        })?;
    let row = grid
        .rows
        .iter()
        .position(|r| r.doc_id == document)
        .with_context(|| format!("document {document} is not in job {}", grid.job.id))?;
    Ok((row, column))
}

fn cell_details(grid: &Grid, row: usize, column: usize, cell: &GridCell) -> String {
    let item = &grid.checklist.items[column];
    let s = &cell.suggestion;
    let mut out = format!(
        "{} · {} (#{})\nquestion  {}\nsuggested {} ({}, confidence {:.2})\nanswer    {}\n",
        item.id,
        grid.rows[row].title,
        grid.rows[row].doc_id,
        item.question,
        s.state.as_str(),
        s.method.as_str(),
        s.confidence,
        if s.answer.is_empty() { "-" } else { &s.answer }
    );
    for quote in &s.evidence {
        out.push_str(&format!(
            "evidence  {}, characters {}-{}: \"{}\"\n",
            kodiak::search::page_label(quote.page, quote.ocr_confidence),
            quote.char_start,
            quote.char_end,
            quote.text.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    if let Some(note) = &s.note {
        out.push_str(&format!("why       {note}\n"));
    }
    match &cell.decision {
        Some(decision) => {
            out.push_str(&format!(
                "decision  {} at {}",
                export::decided(decision),
                decision.decided_at
            ));
            if let Some(answer) = &decision.answer {
                out.push_str(&format!(": {answer}"));
            }
            out.push('\n');
            if let Some(note) = &decision.note {
                out.push_str(&format!("note      {note}\n"));
            }
        }
        None => out.push_str(&format!(
            "decision  none yet: `kodiak review decide {} {} {} --confirm`, `--answer TEXT` or `--not-found`\n",
            grid.job.id, grid.rows[row].doc_id, item.id
        )),
    }
    out
}

pub(super) fn decide(
    settings: Settings,
    (job, document, item): (i64, i64, &str),
    input: DecisionInput,
    note: Option<&str>,
) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let cell = kodiak.decide_cell(job, document, item, input, note)?;
    let grid = kodiak.checklist_grid(job)?;
    let (row, column) = locate(&grid, document, item)?;
    print!("{}", block(&cell_details(&grid, row, column, &cell)));
    Ok(ExitCode::SUCCESS)
}

pub(super) fn export_job(
    settings: Settings,
    job: i64,
    format: ReportFormat,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let grid = kodiak.checklist_grid(job)?;
    let text = export::render(&grid, format, &kodiak.provenance()?)?;
    let (seq, hash) = kodiak.record_export(
        &format!("checklist grid of job {job}"),
        format.as_str(),
        grid.rows.len(),
    )?;
    eprintln!("audit trail head at export: entry {seq}, {hash}");
    let what = format!(
        "the grid of job {job} ({} documents × {} items)",
        grid.rows.len(),
        grid.checklist.items.len()
    );
    deliver(&text, format == ReportFormat::Json, output, &what)?;
    Ok(ExitCode::SUCCESS)
}
