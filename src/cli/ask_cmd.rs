//! `kodiak ask` and `kodiak conversations`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};

use kodiak::Kodiak;
use kodiak::answer::{Answer, AnswerMode};
use kodiak::config::Settings;
use kodiak::service::AskOptions;
use kodiak::storage::conversations::{self, Message};

use super::sanitize::{block, line};

pub(super) fn ask(settings: Settings, mut options: AskOptions, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    // The first Ctrl-C (or SIGTERM, as from `kill` or a closing session) stops the answer:
    // it is kept, marked cancelled. A second one ends the process at once.
    let cancel = Arc::new(AtomicBool::new(false));
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        signal_hook::flag::register_conditional_shutdown(signal, code, Arc::clone(&cancel))
            .context("cannot handle Ctrl-C")?;
        signal_hook::flag::register(signal, Arc::clone(&cancel)).context("cannot handle Ctrl-C")?;
    }
    options.cancel = cancel;

    let stdout = std::io::stdout();
    let answer = if json {
        kodiak.ask(&options, &mut |_| {})?
    } else {
        let mut out = stdout.lock();
        kodiak.ask(&options, &mut |text| {
            let _ = out.write_all(block(text).as_bytes());
            let _ = out.flush();
        })?
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print_sources(&answer);
    }
    // A failed answer is stored, with what was written; the exit code says it failed.
    Ok(match answer.failure {
        Some(_) => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    })
}

fn print_sources(answer: &Answer) {
    println!();
    if answer.mode == AnswerMode::Generated && !answer.invalid_citations.is_empty() {
        let list: Vec<String> = answer
            .invalid_citations
            .iter()
            .map(|n| format!("[{n}]"))
            .collect();
        println!(
            "warning: {} in the answer point to no passage",
            list.join(", ")
        );
    }
    if !answer.sources.is_empty() {
        println!("\nSources:");
    }
    for source in &answer.sources {
        let cited = answer.citations.iter().any(|c| c.n == source.n);
        println!(
            "[{}] {}, page {}{}",
            source.n,
            line(source.hit.label()),
            source.hit.page,
            if cited { "" } else { " (not cited)" }
        );
        println!("    {}", line(&source.hit.snippet.replace("**", "")));
    }
    let stats = &answer.stats;
    // Figures exist only for a generation that ended (done, cancelled, timed out).
    if answer.mode == AnswerMode::Generated && answer.finish.is_some() {
        eprintln!(
            "\n{} prompt tokens ({} reused), {} answer tokens, first token after {:.0} ms, \
             {:.1} tokens/s",
            stats.prompt_tokens,
            stats.reused_tokens,
            stats.completion_tokens,
            stats.ttft_ms,
            stats.decode_tokens_per_s
        );
    }
    let dropped = &answer.dropped;
    if !dropped.is_empty() {
        eprintln!(
            "to fit the context: {} earlier exchanges and passages {:?} were left out{}",
            dropped.history_exchanges,
            dropped.passages,
            if dropped.question_truncated {
                "; the question was cut"
            } else {
                ""
            }
        );
    }
    for note in &answer.notes {
        eprintln!("note: {}", line(note));
    }
    eprintln!(
        "conversation {} (continue it with --conversation {})",
        answer.conversation_id, answer.conversation_id
    );
}

pub(super) fn list(settings: Settings, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let all = conversations::list(&*kodiak.database().conn()?)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        println!("no conversations yet; `kodiak ask \"...\"` starts one");
    }
    for c in &all {
        println!(
            "{:>5}  {}  {:>3} messages  {}",
            c.id,
            c.updated_at,
            c.messages,
            line(&c.title)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `show` prints a conversation for reading; `export` writes it as Markdown or JSON.
pub(super) fn show(settings: Settings, id: i64, format: ExportFormat) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let conn = kodiak.database().conn()?;
    let Some(conversation) = conversations::get(&conn, id)? else {
        anyhow::bail!("no conversation with id {id}; `kodiak conversations list` shows the ids");
    };
    let messages = conversations::messages(&conn, id)?;
    match format {
        ExportFormat::Json => {
            let value = serde_json::json!({
                "conversation": conversation,
                "messages": messages.iter().map(public_message).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        ExportFormat::Md => {
            println!("# {}\n", line(&conversation.title));
            println!("Conversation {id}, started {}.\n", conversation.created_at);
            for message in &messages {
                print_markdown(message);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A message as exported: what the reviewer saw, without the masked prompt text and the
/// placeholder table kept for later turns.
fn public_message(message: &Message) -> serde_json::Value {
    let mut details = message.details.clone();
    if let Some(object) = details.as_object_mut() {
        for internal in ["prompt_user", "model_text", "placeholders"] {
            object.remove(internal);
        }
    }
    serde_json::json!({
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "status": message.status,
        "mode": message.mode,
        "created_at": message.created_at,
        "finished_at": message.finished_at,
        "citations": details.get("citations"),
        "sources": details.get("sources"),
        "stats": details.get("stats"),
        "notes": details.get("notes"),
        "error": details.get("error"),
    })
}

fn print_markdown(message: &Message) {
    if message.role == "user" {
        println!("## Question\n\n{}\n", block(&message.content));
        return;
    }
    let label = match (message.mode.as_deref(), message.status) {
        (_, conversations::MessageStatus::Cancelled) => "Answer (cancelled)".to_owned(),
        (_, conversations::MessageStatus::Failed) => match message.details["error"].as_str() {
            Some(error) => format!("Answer (failed: {})", line(error)),
            None => "Answer (failed)".to_owned(),
        },
        (_, conversations::MessageStatus::Generating) => "Answer (interrupted)".to_owned(),
        (Some("extractive"), _) => "Answer (extractive)".to_owned(),
        _ => "Answer".to_owned(),
    };
    println!("## {label}\n\n{}\n", block(&message.content));
    if let Some(sources) = message.details.get("sources").and_then(|s| s.as_array()) {
        if !sources.is_empty() {
            println!("Sources:\n");
        }
        for s in sources {
            println!(
                "- [{}] {}, page {} ({})",
                s["n"],
                line(s["title"].as_str().unwrap_or_default()),
                s["page"],
                line(s["path"].as_str().unwrap_or_default())
            );
        }
        println!();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ExportFormat {
    Md,
    Json,
}
