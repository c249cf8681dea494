use std::process::ExitCode;

use anyhow::{Context, Result};

use kodiak::config::Settings;

use super::ConfigCommand;

pub(super) fn run(command: &ConfigCommand, settings: &Settings) -> Result<ExitCode> {
    let paths = &settings.paths;
    match command {
        // Loading already validated everything; reaching here means it is valid.
        ConfigCommand::Check => {
            if paths.config_file_read {
                println!("configuration OK: {}", paths.config_file.display());
            } else {
                println!(
                    "configuration OK: built-in defaults ({} does not exist)",
                    paths.config_file.display()
                );
            }
        }
        ConfigCommand::Show => {
            // Show every path as resolved, so the output is a complete, usable file.
            let mut effective = settings.config.clone();
            effective.data_dir = Some(paths.data_dir.clone());
            effective.logging.directory = Some(paths.log_dir.clone());
            effective.crash_reports.directory = Some(paths.crash_dir.clone());
            let text = toml::to_string(&effective).context("cannot print the configuration")?;
            println!("# Effective configuration: defaults, then the file, environment and flags.");
            print!("{text}");
        }
        ConfigCommand::Path => {
            let file_state = if paths.config_file_read {
                "read"
            } else {
                "not found; built-in defaults in use"
            };
            println!(
                "config file     {} ({file_state})",
                paths.config_file.display()
            );
            println!("data directory  {}", paths.data_dir.display());
            println!(
                "matter          {} ({})",
                paths.matter,
                paths.matter_dir.display()
            );
            println!("database        {}", paths.database.display());
            println!("logs            {}", paths.log_dir.display());
            println!("crash reports   {}", paths.crash_dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
