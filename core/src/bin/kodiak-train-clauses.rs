//! Trains Kodiak's clause model from an annotated set of contracts (CUAD's shape: see
//! `kodiak::clauses::annotated`), measures it by cross-validation, and writes the model
//! file the checklist uses.
//!
//! ```text
//! kodiak-train-clauses [--data DIR] [--checklist FILE] [--folds N] [--out FILE]
//!                      [--misses FILE] [--no-cv] [--epochs N] [--learning-rate X]
//!                      [--l2 X] [--min-documents N] [--positive-weight X]
//! kodiak-train-clauses --score-export GRID.json [--data DIR] [--checklist FILE]
//! ```
//!
//! `--data` defaults to `../shared/data/cuad-train`; `--checklist` to
//! `assets/checklists/commercial-contract.toml` (its items that name a clause type are
//! measured); `--folds 5`. Without `--out` nothing is written. The same set and options
//! give the same file, byte for byte. `--score-export` scores instead a checklist job's grid
//! (`kodiak review export JOB --format json`) over contracts of the set, by the same measure:
//! how a whole run, rules or model, did against the lawyers' labels.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use kodiak::checklist::measure::{self, cross_validate, table};
use kodiak::checklist::{AnswerKind, Checklist, Item};
use kodiak::clauses::annotated::AnnotatedSet;
use kodiak::clauses::train::{Corpus, TrainOptions, train, trainable_categories};

struct Args {
    data: PathBuf,
    checklist: PathBuf,
    folds: usize,
    out: Option<PathBuf>,
    misses: Option<PathBuf>,
    score_export: Option<PathBuf>,
    cross_validate: bool,
    options: TrainOptions,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: PathBuf::from("../shared/data/cuad-train"),
        checklist: PathBuf::from("assets/checklists/commercial-contract.toml"),
        folds: 5,
        out: None,
        misses: None,
        score_export: None,
        cross_validate: true,
        options: TrainOptions::default(),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => args.data = value()?.into(),
            "--checklist" => args.checklist = value()?.into(),
            "--folds" => {
                let folds = value()?;
                args.folds = folds
                    .parse()
                    .ok()
                    .filter(|f| *f >= 2)
                    .ok_or_else(|| format!("--folds {folds}: give a number of 2 or more"))?;
            }
            "--out" => args.out = Some(value()?.into()),
            "--misses" => args.misses = Some(value()?.into()),
            "--score-export" => args.score_export = Some(value()?.into()),
            "--no-cv" => args.cross_validate = false,
            "--epochs" => args.options.epochs = number(&flag, &value()?)?,
            "--learning-rate" => args.options.learning_rate = number(&flag, &value()?)?,
            "--l2" => args.options.l2 = number(&flag, &value()?)?,
            "--min-documents" => args.options.min_documents = number(&flag, &value()?)?,
            "--positive-weight" => args.options.positive_weight = number(&flag, &value()?)?,
            "-h" | "--help" => {
                return Err(
                    "usage: kodiak-train-clauses [--data DIR] [--checklist FILE] \
                            [--folds N] [--out FILE] [--misses FILE] [--score-export FILE] [--no-cv] [--epochs N] \
                            [--learning-rate X] [--l2 X] [--min-documents N] \
                            [--positive-weight X]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} {value}: not a number"))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kodiak-train-clauses: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let started = Instant::now();
    let set = AnnotatedSet::load(&args.data, kodiak::extract::normalize).map_err(|e| {
        format!("{e}\n(the annotated set is a folder with labels.csv and contracts/; see docs/clause-model.md)")
    })?;
    eprintln!(
        "read {} contracts from {} ({} clause pieces found in their text, {} not; {} rows \
         without a text file) in {:.1}s",
        set.contracts.len(),
        args.data.display(),
        set.located_pieces,
        set.unlocated_pieces,
        set.unmatched_rows.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &args.score_export {
        return score_export(&args, &set, path);
    }
    let categories = trainable_categories(&set);
    let options = args.options.clone();
    if args.cross_validate {
        let checklist = Checklist::load(&args.checklist).map_err(|e| e.to_string())?;
        let mut items: Vec<Item> = checklist
            .items
            .iter()
            .filter(|i| i.clause.as_ref().is_some_and(|c| categories.contains(c)))
            .cloned()
            .collect();
        // The checklist's items come first in the scores; every other clause type after
        // them, for the per-type table.
        let listed = items.len();
        for category in &categories {
            if !items.iter().any(|i| i.clause.as_ref() == Some(category)) {
                items.push(Item {
                    id: format!("({category})"),
                    question: category.clone(),
                    terms: Vec::new(),
                    answer: AnswerKind::Text,
                    clause: Some(category.clone()),
                });
            }
        }
        let cv_started = Instant::now();
        let scores = cross_validate(
            &set,
            &categories,
            &items,
            args.folds,
            &options,
            &mut |fold| {
                eprintln!(
                    "fold {fold}/{} done at {:.0}s",
                    args.folds,
                    cv_started.elapsed().as_secs_f64()
                )
            },
        );
        let (checklist_scores, others) = scores.split_at(listed.min(scores.len()));
        println!(
            "{}-fold cross-validation on {} contracts of {} (each fold decided by a model \
             trained on the others), {:.0}s\n",
            args.folds,
            set.contracts.len(),
            args.data.display(),
            cv_started.elapsed().as_secs_f64()
        );
        println!("Items of {}:\n", args.checklist.display());
        println!("{}", table(checklist_scores));
        println!("Every other clause type trained:\n");
        println!("{}", table(others));
        if let Some(path) = &args.misses {
            write_misses(path, &scores)?;
        }
    }
    if let Some(out) = &args.out {
        let corpus = Corpus::new(&set.contracts, &categories);
        let all: Vec<usize> = (0..corpus.contracts()).collect();
        let provenance = vec![
            "Kodiak's clause model: a logistic regression per clause type over a sentence's \
             words, word pairs, heading and place (core/src/clauses)."
                .to_owned(),
            format!(
                "Trained by `kodiak-train-clauses --out {}` from {} contracts of CUAD v1, the \
                 Contract Understanding Atticus Dataset (The Atticus Project, \
                 https://www.atticusprojectai.org/cuad).",
                // The file's name only: the same set and options give the same file,
                // wherever it is written.
                out.file_name()
                    .map_or(out.display(), |n| std::path::Path::new(n).display()),
                all.len()
            ),
            "CUAD is licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); \
             these weights are derived from it and are shared under the same licence, with \
             this attribution."
                .to_owned(),
            format!("Options: {options:?}")
                .replace(&format!("threads: {}", options.threads), "threads: *"),
        ];
        let train_started = Instant::now();
        let model = train(&corpus, &all, &options, provenance);
        let text = model.to_text();
        std::fs::write(out, &text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        eprintln!(
            "wrote {} ({} types, {} features, {} KB) in {:.0}s",
            out.display(),
            model.types.len(),
            model.feature_count(),
            text.len() / 1024,
            train_started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Prints the scores of an exported grid, and writes its misses when asked.
fn score_export(args: &Args, set: &AnnotatedSet, path: &std::path::Path) -> Result<(), String> {
    let checklist = Checklist::load(&args.checklist).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let export: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let (scores, unmatched) = measure::score_export(&checklist.items, set, &export)?;
    println!(
        "The grid in {} against the labels of {} ({} rows matched no contract), items scored \
         by the clause types of {}:\n",
        path.display(),
        args.data.display(),
        unmatched,
        args.checklist.display()
    );
    println!("{}", table(&scores));
    if let Some(misses) = &args.misses {
        write_misses(misses, &scores)?;
    }
    Ok(())
}

fn write_misses(path: &std::path::Path, scores: &[measure::ItemScore]) -> Result<(), String> {
    let mut text = String::new();
    for score in scores {
        for (contract, miss) in &score.misses {
            text.push_str(&format!("{}\t{contract}\t{miss}\n", score.item));
        }
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
