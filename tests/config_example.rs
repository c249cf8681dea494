//! `config.example.toml` is the configuration reference: it must parse, equal the built-in
//! defaults, and mention every key Kodiak accepts.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use kodiak::config::{self, Config};

fn example() -> (String, Config) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let parsed = config::parse(&text, &path, |_| Ok(())).unwrap();
    (text, parsed)
}

#[test]
fn example_equals_the_built_in_defaults() {
    assert_eq!(example().1, Config::default());
}

/// Every key of the full configuration, as dotted paths.
fn keys(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    if let toml::Value::Table(table) = value {
        for (key, child) in table {
            let dotted = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if child.is_table() {
                keys(child, &dotted, out);
            } else {
                out.push(dotted);
            }
        }
    }
}

#[test]
fn example_documents_every_key() {
    let (text, _) = example();
    // Fill the optional paths so they are serialized too.
    let mut full = Config {
        data_dir: Some("/d".into()),
        ..Config::default()
    };
    full.logging.directory = Some("/l".into());
    full.crash_reports.directory = Some("/c".into());
    full.generator.model = Some("/g".into());
    full.embedder.model = Some("/e".into());
    full.checklist.clause_model = Some("/m".into());
    let mut all = Vec::new();
    keys(&toml::Value::try_from(&full).unwrap(), "", &mut all);
    assert!(all.len() >= 15, "{all:?}");

    let mut section = String::new();
    let mut documented = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches("# ");
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!("{name}.");
        } else if let Some((key, _)) = line.split_once(" = ") {
            documented.push(format!("{section}{}", key.trim()));
        }
    }
    for key in &all {
        assert!(
            documented.contains(key),
            "config.example.toml does not document `{key}`"
        );
    }
}
