//! The core crate stays free of front-end concerns: no command line, terminal or async
//! runtime among its dependencies, so every feature is reachable without a terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn the_core_crate_depends_on_no_command_line_terminal_or_async_crate() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/core/Cargo.toml");
    let text = std::fs::read_to_string(manifest).unwrap();
    let parsed: toml::Table = toml::from_str(&text).unwrap();
    let mut names = Vec::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(table) = parsed.get(section).and_then(|t| t.as_table()) {
            names.extend(table.keys().cloned());
        }
    }
    assert!(
        names.iter().any(|n| n == "rusqlite"),
        "read {manifest}: {names:?}"
    );
    for front_end in [
        "clap",
        "ratatui",
        "ratatui-textarea",
        "crossterm",
        "tokio",
        "futures-util",
        "indicatif",
        "anyhow",
    ] {
        assert!(
            !names.iter().any(|n| n == front_end),
            "the core depends on `{front_end}`, a front end's crate"
        );
    }
}
