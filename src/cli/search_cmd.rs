use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use serde_json::{Value, json};

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::service::{SearchOptions, SearchOutcome};

use crate::sanitize::line;

pub(super) fn run(
    settings: Settings,
    query: &str,
    options: &SearchOptions,
    json: bool,
) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let outcome = kodiak.search(query, options)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&response(None, query, &outcome))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    for note in &outcome.notes {
        eprintln!("note: {}", line(note));
    }
    let hits = &outcome.hits;
    if hits.is_empty() {
        println!("no matches for \"{}\"", line(query));
        return Ok(ExitCode::SUCCESS);
    }
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for (rank, hit) in hits.iter().enumerate() {
        let title = line(hit.label());
        println!(
            "{}. {title} ({}, {} {:.3}{}, doc {} chunk {})",
            rank + 1,
            hit.page_label(),
            outcome.mode.as_str(),
            hit.score,
            why(hit.bm25_rank, hit.vector_rank),
            hit.doc_id,
            hit.chunk_id
        );
        println!("   {}", line(&hit.path));
        println!("   {}\n", highlight(&line(&hit.snippet), colour));
    }
    Ok(ExitCode::SUCCESS)
}

/// Which rankings found a hybrid hit, e.g. " = bm25 #2 + vector #5".
fn why(bm25: Option<usize>, vector: Option<usize>) -> String {
    match (bm25, vector) {
        (Some(b), Some(v)) => format!(" = bm25 #{b} + vector #{v}"),
        (Some(b), None) => format!(" = bm25 #{b}"),
        (None, Some(v)) => format!(" = vector #{v}"),
        _ => String::new(),
    }
}

/// On a colour terminal, `**term**` becomes bold yellow; elsewhere it stays as is.
fn highlight(snippet: &str, colour: bool) -> String {
    if !colour {
        return snippet.to_owned();
    }
    let mut out = String::with_capacity(snippet.len());
    for (i, part) in snippet.split("**").enumerate() {
        if i % 2 == 1 {
            out.push_str("\x1b[1;33m");
            out.push_str(part);
            out.push_str("\x1b[0m");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Answers one query per input line, in order: a JSON object with `query` (and any `id`),
/// or a bare line of text.
pub(super) fn run_stdin(settings: Settings, options: &SearchOptions) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let (id, query) = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(object)) => match object.get("query").and_then(Value::as_str) {
                Some(query) => (object.get("id").cloned(), query.to_owned()),
                None => {
                    let answer = json!({
                        "id": object.get("id").cloned(),
                        "error": "the object has no \"query\" string",
                    });
                    writeln!(out, "{answer}")?;
                    continue;
                }
            },
            _ => (None, line.clone()),
        };
        let answer = match kodiak.search(&query, options) {
            // Lines without an id are answered with `"id": null`.
            Ok(outcome) => response(Some(id.unwrap_or(Value::Null)), &query, &outcome),
            Err(e) => json!({ "id": id, "query": query, "error": e.to_string() }),
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn response(id: Option<Value>, query: &str, outcome: &SearchOutcome) -> Value {
    let mut answer = json!({
        "query": query,
        "mode": outcome.mode,
        "notes": outcome.notes,
        "hits": outcome.hits,
    });
    if let (Some(id), Some(object)) = (id, answer.as_object_mut()) {
        object.insert("id".into(), id);
    }
    answer
}
