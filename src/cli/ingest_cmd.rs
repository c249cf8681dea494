use std::cell::Cell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::extract::Passwords;
use kodiak::ingest::{IngestReport, Outcome, Progress};
use kodiak::service::ToEmbed;

use crate::sanitize::line;

pub(super) fn run(
    settings: Settings,
    paths: &[PathBuf],
    password_file: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let passwords = match password_file {
        Some(file) => Passwords::read(file).with_context(|| {
            format!(
                "cannot read the password file {}: give a text file with one password per line",
                file.display()
            )
        })?,
        None => Passwords::default(),
    };
    let kodiak = Kodiak::open(settings)?;
    let report = kodiak.ingest_with_passwords(paths, &passwords, &*progress())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// A bar on a terminal, plain lines otherwise.
fn progress() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar::default())
    } else {
        Box::new(Lines)
    }
}

/// `kodiak reembed`: vectors from the configured embedder for every chunk that lacks one.
pub(super) fn reembed(settings: Settings, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let report = kodiak.embed_missing(ToEmbed::NotFromCurrent, &*progress())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "embedded {} chunks; fast vectors for {}",
            report.embedded, report.fast
        );
    }
    match report.error {
        Some(error) => {
            eprintln!("kodiak: error: {}", line(&error));
            Ok(ExitCode::FAILURE)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

/// `kodiak vectors [CHOICE]`: the matter's choice of vectors and how far each kind has
/// come; with a choice, sets it first.
pub(super) fn vectors(settings: Settings, choice: Option<&str>, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let status = match choice {
        Some(name) => {
            let choice: kodiak::config::VectorChoice =
                name.parse().map_err(|e: String| anyhow::anyhow!("{e}"))?;
            kodiak.set_vector_choice(choice)?
        }
        None => kodiak.vector_status()?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(ExitCode::SUCCESS);
    }
    let whose = match status.chosen_here {
        true => "this matter's choice",
        false => "the default, [embedder] vectors",
    };
    println!("vectors: {} ({whose})", status.words());
    use kodiak::config::VectorChoice;
    let short = match status.choice {
        VectorChoice::None => false,
        VectorChoice::Fast => status.fast.percent() < 100,
        VectorChoice::Full => status.full.percent() < 100 || status.fast.percent() < 100,
    };
    if short {
        println!("`kodiak reembed` makes the missing vectors (so does the next ingest)");
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error: bytes, rate and ETA, with the file count.
#[derive(Default)]
struct Bar {
    bar: OnceLock<ProgressBar>,
    fast_bar: OnceLock<ProgressBar>,
    embed_bar: OnceLock<ProgressBar>,
    files: Cell<(usize, usize)>,
    pages_ocr: Cell<usize>,
}

impl Progress for Bar {
    fn started(&self, files: usize, bytes: u64) {
        let bar = ProgressBar::new(bytes);
        let style = ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(format!("0/{files} files"));
        self.files.set((0, files));
        let _ = self.bar.set(bar);
    }

    fn file_done(&self, path: &str, bytes: u64, outcome: &Outcome) {
        let Some(bar) = self.bar.get() else { return };
        let (done, total) = self.files.get();
        self.files.set((done + 1, total));
        bar.inc(bytes);
        if let Outcome::Ingested { pages_ocr, .. } = outcome {
            self.pages_ocr.set(self.pages_ocr.get() + pages_ocr);
        }
        let ocr = match self.pages_ocr.get() {
            0 => String::new(),
            pages => format!(" · {pages} pages OCR'd"),
        };
        bar.set_message(format!("{}/{total} files{ocr}", done + 1));
        if let Some(problem) = problem_line(path, outcome) {
            bar.println(problem);
        }
    }

    fn indexing(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
        eprintln!("updating the search index…");
    }

    fn fast_vectors(&self, done: usize, total: usize) {
        chunk_bar(&self.fast_bar, "given fast vectors", done, total);
    }

    fn embedding(&self, done: usize, total: usize) {
        chunk_bar(&self.embed_bar, "embedded", done, total);
    }
}

/// A bar of chunks done, made at the first call.
fn chunk_bar(bar: &OnceLock<ProgressBar>, done_words: &str, done: usize, total: usize) {
    let bar = bar.get_or_init(|| {
        let bar = ProgressBar::new(total as u64);
        let template =
            format!("{{bar:30}} {{pos}}/{{len}} chunks {done_words}, {{per_sec}} ETA {{eta}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    });
    bar.set_position(done as u64);
    if done >= total {
        bar.finish_and_clear();
    }
}

/// One line per file on standard error, for logs and pipes.
struct Lines;

impl Progress for Lines {
    fn started(&self, files: usize, bytes: u64) {
        eprintln!("ingesting {files} files ({})", human_bytes(bytes));
    }

    fn file_done(&self, path: &str, _: u64, outcome: &Outcome) {
        let shown = problem_line(path, outcome).unwrap_or_else(|| {
            let what = match outcome {
                Outcome::Ingested { replaced: true, .. } => "updated",
                Outcome::Ingested { .. } => "ingested",
                Outcome::Duplicate { .. } => "duplicate",
                _ => "unchanged",
            };
            let ocr = match outcome {
                Outcome::Ingested { pages_ocr, .. } if *pages_ocr > 0 => {
                    format!(" ({pages_ocr} pages OCR'd)")
                }
                _ => String::new(),
            };
            format!("{what} {}{ocr}", line(path))
        });
        eprintln!("{shown}");
    }

    fn indexing(&self) {
        eprintln!("updating the search index");
    }

    fn fast_vectors(&self, done: usize, total: usize) {
        if done == 0 || done >= total {
            eprintln!("fast vectors for {done}/{total} chunks");
        }
    }

    fn embedding(&self, done: usize, total: usize) {
        // A line at the start, then about every tenth, and at the end.
        let step = (total / 10).max(1);
        if done == 0 || done >= total || done / step != (done - 1) / step {
            eprintln!("embedded {done}/{total} chunks");
        }
    }
}

fn problem_line(path: &str, outcome: &Outcome) -> Option<String> {
    let path = line(path);
    match outcome {
        Outcome::Failed { reason } => Some(format!("failed {path}: {}", line(reason))),
        Outcome::NeedsOcr { reason, .. } => Some(format!("needs OCR {path}: {}", line(reason))),
        _ => None,
    }
}

fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

fn print_summary(report: &IngestReport) {
    let seconds = report.elapsed.as_secs_f64();
    let pages: usize = report.documents.iter().map(|d| d.pages).sum();
    let chunks: usize = report.documents.iter().map(|d| d.chunks).sum();
    let pii: usize = report.documents.iter().map(|d| d.pii).sum();
    println!(
        "{} files, {} in {seconds:.1} s ({}/s)",
        report.files,
        human_bytes(report.bytes),
        human_bytes((report.bytes as f64 / seconds.max(1e-3)) as u64)
    );
    let ocr = match report.pages_ocr {
        0 => String::new(),
        n => format!(" ({n} read by OCR)"),
    };
    println!(
        "ingested {}: {pages} pages{ocr}, {chunks} chunks, {pii} PII findings",
        report.ingested
    );
    println!(
        "duplicates {}, unchanged {}, needs OCR {}, failed {}",
        report.duplicates,
        report.unchanged,
        report.needs_ocr.len(),
        report.failed.len()
    );
    for file in &report.needs_ocr {
        println!("  needs OCR  {}: {}", line(&file.path), line(&file.reason));
    }
    for file in &report.failed {
        println!("  failed     {}: {}", line(&file.path), line(&file.reason));
    }
    if report.chunks_embedded > 0 {
        println!("embedded {} chunks", report.chunks_embedded);
    }
    if let Some(error) = &report.embedding_error {
        println!(
            "no vectors for new chunks: {}\n  BM25 search works; `kodiak reembed` adds \
             the vectors once the embedder is fixed",
            line(error)
        );
    }
}
