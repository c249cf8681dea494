//! The command line: a thin shell over the Kodiak core. Parsing is clap's; each command
//! handler turns core results into text or JSON and an exit code.

mod args;
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
mod production_cmd;
mod report_cmd;
mod review_cmd;
mod search_cmd;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use args::*;

use kodiak::config::{self, ConfigError, Overrides, Settings};
use kodiak::service::{AskOptions, AuditFilter, DecisionInput, SearchOptions};
use kodiak::telemetry::{self, crash};

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
        Command::Docs(DocsCommand::NearDups { min, json }) => {
            docs_cmd::near_dups(settings, min, json)?
        }
        Command::Docs(DocsCommand::Threads { min, json }) => {
            docs_cmd::threads(settings, min, json)?
        }
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
        Command::Vectors { choice, json } => {
            ingest_cmd::vectors(settings, choice.as_deref(), json)?
        }
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
        Command::Review(ReviewCommand::Privilege {
            id,
            treatment,
            basis,
            description,
        }) => production_cmd::privilege(settings, id, treatment, basis, description.as_deref())?,
        Command::Review(ReviewCommand::Redact {
            id,
            span,
            page,
            reason,
        }) => production_cmd::redact(settings, id, span.as_deref(), page, &reason)?,
        Command::Review(ReviewCommand::Unredact { id, number }) => {
            production_cmd::unredact(settings, id, number)?
        }
        Command::Review(ReviewCommand::Redactions { id, json }) => {
            production_cmd::redactions(settings, id, json)?
        }
        Command::Production(ProductionCommand::New {
            name,
            prefix,
            start,
            digits,
            volume,
            redact_pii,
            legend,
            scope,
            json,
        }) => production_cmd::new(
            settings,
            &name,
            &prefix,
            start,
            digits,
            &volume,
            &redact_pii,
            legend.as_deref(),
            scope.scope(),
            json,
        )?,
        Command::Production(ProductionCommand::Run { name, output, json }) => {
            production_cmd::run(settings, &name, &output, json)?
        }
        Command::Production(ProductionCommand::List { json }) => {
            production_cmd::list(settings, json)?
        }
        Command::Production(ProductionCommand::Show { name, json }) => {
            production_cmd::show(settings, &name, json)?
        }
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
