//! `kodiak ask` and `kodiak conversations`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};

use kodiak::Kodiak;
use kodiak::answer::AnswerRecord;
use kodiak::answer::{Answer, AnswerMode, DRAFT_LABEL, EVIDENCE_LABEL};
use kodiak::config::Settings;
use kodiak::grounding::Support;
use kodiak::service::{AskOptions, Piece};
use kodiak::service::{ConversationTurns, Turn};
use kodiak::storage::conversations::{MessageStatus, Role};
use kodiak::timestamp::Timestamp;
use serde::Serialize;

use crate::sanitize::{block, line};

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
        kodiak.ask(&options, &mut |piece| {
            let text = match piece {
                Piece::Evidence(evidence) => format!(
                    "{EVIDENCE_LABEL}:\n{}\n\n{DRAFT_LABEL} (check it against the evidence \
                     above):\n",
                    block(evidence)
                ),
                Piece::Text(text) => block(text).into_owned(),
            };
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        })?
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print_grounding(&answer, &options.question, kodiak.settings());
        print_sources(&answer);
    }
    // A failed answer is stored, with what was written; the exit code says it failed.
    Ok(match answer.failure {
        Some(_) => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    })
}

/// How many sentences not borne out are listed under an answer.
const LISTED_UNSUPPORTED: usize = 8;

/// Below a generated answer: the sentences its sources do not bear out, each with what is
/// missing; and when the check found something wrong or too few are borne out (`[generator]
/// min_grounded`), the passages quoted.
fn print_grounding(answer: &Answer, question: &str, settings: &Settings) {
    let Some(grounding) = &answer.grounding else {
        return;
    };
    let flagged: Vec<_> = grounding.unsupported().collect();
    let warn = grounding.warrants_warning(settings.config.generator.min_grounded);
    if flagged.is_empty() && !warn {
        return;
    }
    println!(
        "\n\nChecked against its sources: {:.0}% of the answer's statements are borne out \
         by them, {:.0}% by a passage they cite.",
        grounding.borne_out * 100.0,
        grounding.grounded * 100.0
    );
    for sentence in flagged.iter().take(LISTED_UNSUPPORTED) {
        let against = match sentence.citations.as_slice() {
            [] => "any passage".to_owned(),
            cited => cited
                .iter()
                .map(|n| format!("[{n}]"))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let mark = match sentence.support {
            Support::PartlySupported => "partly supported",
            _ => "unsupported",
        };
        println!("  ✗ {mark}: {}", line(&sentence.text));
        if !sentence.unsupported_terms.is_empty() {
            println!(
                "      not in {against}: {}",
                line(&sentence.unsupported_terms.join(", "))
            );
        }
    }
    if flagged.len() > LISTED_UNSUPPORTED {
        println!(
            "  … and {} more (`--json` lists every sentence)",
            flagged.len() - LISTED_UNSUPPORTED
        );
    }
    // Evidence that led the answer is already above it.
    if warn && answer.evidence.is_none() {
        println!(
            "\nwarning: the sources do not bear this answer out (see above, and \
             [generator] min_grounded); the passages themselves:"
        );
        let quoted = kodiak::answer::extractive_text(question, &answer.sources, "for comparison");
        println!("{}", block(&quoted));
    }
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
            "[{}] {}, {}{}",
            source.n,
            line(source.hit.label()),
            source.hit.page_label(),
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
    let all = kodiak.conversations()?;
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
    let Some(ConversationTurns {
        conversation,
        turns,
    }) = kodiak.conversation(id)?
    else {
        anyhow::bail!("no conversation with id {id}; `kodiak conversations list` shows the ids");
    };
    match format {
        ExportFormat::Json => {
            let messages: Vec<ExportedMessage> = turns.iter().flat_map(exported).collect();
            let value = serde_json::json!({
                "conversation": conversation,
                "messages": messages,
            });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        ExportFormat::Md => {
            println!("# {}\n", line(&conversation.title));
            println!("Conversation {id}, started {}.\n", conversation.created_at);
            for turn in &turns {
                print_markdown(turn);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A message as exported: what the reviewer saw, without the masked prompt text and the
/// placeholder table kept for later turns.
#[derive(Serialize)]
struct ExportedMessage<'a> {
    id: i64,
    role: Role,
    content: &'a str,
    status: MessageStatus,
    mode: Option<AnswerMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<&'a Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<&'a Timestamp>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    record: Option<AnswerRecord>,
}

/// A turn's question and answer as exported messages.
fn exported(turn: &Turn) -> Vec<ExportedMessage<'_>> {
    let mut messages = vec![ExportedMessage {
        id: turn.question_id,
        role: Role::User,
        content: &turn.question,
        status: MessageStatus::Complete,
        mode: None,
        created_at: Some(&turn.asked_at),
        finished_at: None,
        record: None,
    }];
    if let Some(answer) = &turn.answer {
        messages.push(ExportedMessage {
            id: answer.id,
            role: Role::Assistant,
            content: &answer.text,
            status: answer.status,
            mode: answer.mode,
            created_at: None,
            finished_at: answer.finished_at.as_ref(),
            record: Some(answer.record.public()),
        });
    }
    messages
}

fn print_markdown(turn: &Turn) {
    println!("## Question\n\n{}\n", block(&turn.question));
    let Some(answer) = &turn.answer else {
        return;
    };
    let label = match (answer.status, answer.mode) {
        (MessageStatus::Cancelled, _) => "Answer (cancelled)".to_owned(),
        (MessageStatus::Failed, _) => match &answer.record.error {
            Some(error) => format!("Answer (failed: {})", line(error)),
            None => "Answer (failed)".to_owned(),
        },
        (MessageStatus::Generating, _) => "Answer (interrupted)".to_owned(),
        (_, Some(AnswerMode::Extractive)) => "Answer (extractive)".to_owned(),
        _ if answer.record.evidence.is_some() => DRAFT_LABEL.to_owned(),
        _ => "Answer".to_owned(),
    };
    if let Some(evidence) = &answer.record.evidence {
        println!("## {EVIDENCE_LABEL}\n\n{}\n", block(&evidence.text));
    }
    println!("## {label}\n\n{}\n", block(&answer.text));
    let sources = &answer.record.sources;
    if !sources.is_empty() {
        println!("Sources:\n");
    }
    for s in sources {
        println!(
            "- [{}] {}, {} ({})",
            s.n,
            line(&s.hit.title),
            s.hit.page_label(),
            line(&s.hit.path)
        );
    }
    if !sources.is_empty() {
        println!();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ExportFormat {
    Md,
    Json,
}
