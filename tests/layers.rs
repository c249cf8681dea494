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

/// The core's top-level modules and what each imports of the others (`crate::m` paths in
/// code that is not a test; comments and tests left out), read from the source.
fn core_imports() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    use std::collections::{BTreeMap, BTreeSet};
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/core/src"));
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        // `bin/` holds programs built on the library, not a module of it.
        let module = path.is_dir() || path.extension().is_some_and(|e| e == "rs");
        if name != "lib" && name != "bin" && module {
            modules.insert(name);
        }
    }
    let mut imports: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap();
        let is_test = relative.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c == "tests" || c == "tests.rs" || c.ends_with("_tests.rs")
        });
        let program = relative.starts_with("bin");
        if path.extension().is_none_or(|e| e != "rs") || is_test || program || relative == "lib.rs"
        {
            continue;
        }
        let first = relative.components().next().unwrap().as_os_str();
        let module = std::path::Path::new(first)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let code = without_tests_and_comments(&std::fs::read_to_string(path).unwrap());
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                // `crate::{a, b::c}`: each path's first name.
                Some(group) => group[..group.find('}').unwrap_or(group.len())]
                    .split(',')
                    .map(|p| p.trim().split("::").next().unwrap_or_default())
                    .collect(),
                None => vec![
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or_default(),
                ],
            };
            for name in names {
                if name != module && modules.contains(name) {
                    imports.get_mut(&module).unwrap().insert(name.to_owned());
                }
            }
        }
    }
    imports
}

/// `source` without its comments and without the items marked `#[cfg(test)]`.
fn without_tests_and_comments(source: &str) -> String {
    let lines: Vec<&str> = source
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string is rare in this code base; a URL in a string would
            // only lose the rest of its line.
            Some(at) => &line[..at],
            None => line,
        })
        .collect();
    let mut kept = String::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "#[cfg(test)]" {
            // Skip the item: one line ending in `;`, or up to its braces' balance.
            let mut depth = 0i32;
            let mut opened = false;
            i += 1;
            while i < lines.len() {
                let line = lines[i];
                depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
                opened |= line.contains('{');
                i += 1;
                if (opened && depth <= 0) || (!opened && line.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        kept.push_str(lines[i]);
        kept.push('\n');
        i += 1;
    }
    kept
}

/// A cycle among `imports`, if there is one, as the modules along it.
fn cycle(
    imports: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    // Depth-first search; a module met again while on the path closes a cycle.
    fn visit(
        module: &str,
        imports: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut found = path[at..].to_vec();
            found.push(module.to_owned());
            return Some(found);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in &imports[module] {
            if let Some(found) = visit(next, imports, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    imports
        .keys()
        .find_map(|m| visit(m, imports, &mut Vec::new(), &mut done))
}

#[test]
fn the_cores_top_level_modules_import_each_other_without_a_cycle() {
    let imports = core_imports();
    assert!(imports.len() > 20, "{imports:?}");
    assert!(imports["service"].contains("storage"), "{imports:?}");
    if let Some(found) = cycle(&imports) {
        panic!(
            "the core's modules import each other in a cycle: {}; move what they share into \
             a module below both (see docs/architecture.md)",
            found.join(" -> ")
        );
    }
}

#[test]
fn the_cycle_check_finds_a_cycle_and_ignores_tests_and_comments() {
    let mut imports = std::collections::BTreeMap::new();
    for (module, uses) in [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ] {
        imports.insert(
            module.to_owned(),
            uses.into_iter().map(str::to_owned).collect(),
        );
    }
    assert_eq!(
        cycle(&imports).unwrap(),
        ["a", "b", "c", "a"].map(str::to_owned)
    );
    imports.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&imports), None);
    let code = "use crate::storage; // crate::service\n#[cfg(test)]\nmod tests {\n    use crate::service;\n}\nfn f() {}\n";
    assert_eq!(
        without_tests_and_comments(code),
        "use crate::storage; \nfn f() {}\n"
    );
}

#[test]
fn the_shared_leaves_import_nothing_else_of_the_core() {
    let imports = core_imports();
    // What many parts share lives in leaves, so that sharing it makes no cycle.
    let leaves: [(&str, &[&str]); 9] = [
        ("text", &[]),
        ("timestamp", &[]),
        ("named", &[]),
        ("scrub", &[]),
        ("panics", &["scrub"]),
        ("citation", &["files"]),
        ("files", &[]),
        ("cpu", &[]),
        ("process", &[]),
    ];
    for (leaf, allowed) in leaves {
        let extra: Vec<&String> = imports[leaf]
            .iter()
            .filter(|m| !allowed.contains(&m.as_str()))
            .collect();
        assert!(extra.is_empty(), "`{leaf}` imports {extra:?}");
    }
    // Nothing below the service imports it.
    for (module, uses) in &imports {
        assert!(
            !uses.contains("service"),
            "`{module}` imports the service, which orchestrates the domains from above"
        );
    }
}

/// The architecture page's layer drawing (`layer N  a b c` lines) and dependency table
/// (`| `m` | `a`, `b` |` rows), as written.
fn architecture_page() -> (
    std::collections::BTreeMap<String, usize>,
    std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/architecture.md"))
            .unwrap();
    let mut layers = std::collections::BTreeMap::new();
    let mut table = std::collections::BTreeMap::new();
    for line in page.lines() {
        if let Some(rest) = line.strip_prefix("layer ") {
            let mut words = rest.split_whitespace();
            let layer: usize = words.next().unwrap().parse().unwrap();
            for module in words {
                assert!(
                    layers.insert(module.to_owned(), layer).is_none(),
                    "{module} is drawn twice"
                );
            }
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() == 4 && cells[1].starts_with('`') {
            let module = cells[1].trim_matches('`').to_owned();
            let imports = cells[2]
                .split(',')
                .map(|m| m.trim().trim_matches('`'))
                .filter(|m| !m.is_empty() && *m != "—")
                .map(str::to_owned)
                .collect();
            table.insert(module, imports);
        }
    }
    (layers, table)
}

#[test]
fn the_architecture_pages_layers_and_table_are_the_codes() {
    let imports = core_imports();
    let (layers, table) = architecture_page();
    assert_eq!(
        table, imports,
        "docs/architecture.md's module table differs from the code's imports"
    );
    let drawn: std::collections::BTreeSet<&String> = layers.keys().collect();
    let modules: std::collections::BTreeSet<&String> = imports.keys().collect();
    assert_eq!(drawn, modules, "the layer drawing names other modules");
    for (module, uses) in &imports {
        for used in uses {
            assert!(
                layers[used] < layers[module],
                "`{module}` (layer {}) imports `{used}` (layer {}): a module imports only \
                 from the layers under it",
                layers[module],
                layers[used]
            );
        }
    }
}
