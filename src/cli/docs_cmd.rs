use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use kodiak::Kodiak;
use kodiak::config::Settings;

use crate::sanitize::{block, line};

pub(super) fn list(settings: Settings, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let documents = kodiak.documents()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&documents)?);
        return Ok(ExitCode::SUCCESS);
    }
    if documents.is_empty() {
        println!("no documents yet; add some with `kodiak ingest PATH`");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>5}  {:<9}  {:<8}  {:>5}  {:>6}  PATH",
        "ID", "STATUS", "FORMAT", "PAGES", "CHUNKS"
    );
    for doc in documents {
        let indent = if doc.parent_id.is_some() {
            "  ▸ "
        } else {
            ""
        };
        println!(
            "{:>5}  {:<9}  {:<8}  {:>5}  {:>6}  {indent}{}",
            doc.id,
            doc.status.as_str(),
            doc.format.as_deref().unwrap_or("-"),
            doc.pages,
            doc.chunks,
            line(&doc.path)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the groups of near-duplicates at least `min` similar: each principal, then its
/// members with their similarity to it, most similar first.
pub(super) fn near_dups(settings: Settings, min: f64, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let groups = kodiak.near_duplicates(min)?;
    let documents = kodiak.documents()?;
    let label = |id: i64| {
        documents
            .iter()
            .find(|d| d.id == id)
            .map(|d| line(&d.path).into_owned())
            .unwrap_or_default()
    };
    if json {
        let value: Vec<_> = groups
            .iter()
            .map(|g| {
                json!({
                    "principal": {"id": g.principal, "path": label(g.principal)},
                    "members": g.members.iter().map(|(id, similarity)| json!({
                        "id": id,
                        "path": label(*id),
                        "similarity": (similarity * 1000.0).round() / 1000.0,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    if groups.is_empty() {
        println!("no near-duplicates at {min}: no two documents share that much of their words");
        return Ok(ExitCode::SUCCESS);
    }
    let grouped: usize = groups.iter().map(|g| g.members.len() + 1).sum();
    println!(
        "{} groups of near-duplicates at {min} ({grouped} documents; read the first of each \
         and {} fewer are left)",
        groups.len(),
        grouped - groups.len()
    );
    for group in &groups {
        println!(
            "\n{:>5}         {}",
            group.principal,
            label(group.principal)
        );
        for (id, similarity) in &group.members {
            println!("{id:>5}  {similarity:.3}  {}", label(*id));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the e-mail threads of at least `min` messages, largest first: each message with
/// its position, date, sender and subject, the inclusive ones marked.
pub(super) fn threads(settings: Settings, min: usize, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let threads = kodiak.threads(min)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&threads)?);
        return Ok(ExitCode::SUCCESS);
    }
    if threads.is_empty() {
        println!(
            "no e-mail threads of {min} or more messages; e-mails (.eml) are threaded as they are ingested"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let messages: usize = threads.iter().map(|t| t.messages.len()).sum();
    let inclusive: usize = threads.iter().map(|t| t.inclusive).sum();
    println!(
        "{} threads, {messages} messages, {inclusive} inclusive: reading those reads every \
         thread, {} fewer messages",
        threads.len(),
        messages - inclusive
    );
    for thread in &threads {
        println!(
            "\nthread {} · {} messages · {} inclusive",
            thread.id,
            thread.messages.len(),
            thread.inclusive
        );
        println!(
            "{:>5}  {:>3}  {:<9}  {:<16}  {:<24}  SUBJECT",
            "ID", "POS", "", "DATE", "FROM"
        );
        for m in &thread.messages {
            // "2025-02-03T10:00:00+01:00" is shown to the minute, in the sender's time.
            let date = m
                .date
                .as_deref()
                .map(|d| d.get(..16).unwrap_or(d).replacen('T', " ", 1))
                .unwrap_or_default();
            println!(
                "{:>5}  {:>3}  {:<9}  {:<16}  {:<24}  {}",
                m.id,
                m.position,
                if m.inclusive { "inclusive" } else { "" },
                date,
                crate::tui::wrap::truncate_middle(&line(m.from.as_deref().unwrap_or("")), 24),
                line(m.subject.as_deref().unwrap_or(""))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(settings: Settings, id: i64, json: bool, text: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let doc = kodiak.document(id)?;
    if text {
        let Some(content) = kodiak.document_text(id)? else {
            anyhow::bail!(
                "document {id} has no text ({}{})",
                doc.status.as_str(),
                doc.reason
                    .map(|r| format!(": {}", line(&r)))
                    .unwrap_or_default()
            );
        };
        let chars: Vec<char> = content.text.chars().collect();
        for (number, (start, end)) in content.pages.iter().enumerate() {
            let ocr = content
                .ocr_pages
                .iter()
                .find(|(page, _)| *page == number + 1)
                .map(|(_, confidence)| format!(" (OCR, {confidence:.0}% confidence)"))
                .unwrap_or_default();
            println!("──── page {}{ocr} ────", number + 1);
            let page: String = chars.get(*start..*end).unwrap_or_default().iter().collect();
            println!("{}", block(&page));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let pii = kodiak.pii_counts(id)?;
    let ocr_pages = kodiak.ocr_pages(id)?;
    if json {
        let mut value = serde_json::to_value(&doc)?;
        value["pii"] = json!(pii);
        value["ocr_pages"] = json!(
            ocr_pages
                .iter()
                .map(|(page, confidence)| json!({"page": page, "confidence": confidence}))
                .collect::<Vec<_>>()
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    let field = |name: &str, value: &str| println!("{:<10} {}", line(name), line(value));
    field("id", &doc.id.to_string());
    field("title", doc.title.as_deref().unwrap_or("-"));
    field("status", doc.status.as_str());
    if let Some(reason) = &doc.reason {
        field("reason", reason);
    }
    field("format", doc.format.as_deref().unwrap_or("-"));
    for (i, path) in doc.paths.iter().enumerate() {
        field(if i == 0 { "path" } else { "" }, path);
    }
    if let Some(parent) = doc.parent_id {
        field("parent", &format!("document {parent}"));
    }
    field("size", &format!("{} bytes", doc.size));
    field("sha256", doc.sha256.as_deref().unwrap_or("-"));
    field("pages", &doc.pages.to_string());
    if !ocr_pages.is_empty() {
        field("ocr", &ocr_summary(&ocr_pages));
    }
    field("chunks", &doc.chunks.to_string());
    for (name, value) in &doc.metadata {
        field(&name.to_lowercase(), value);
    }
    field("ingested", &doc.created_at.to_string());
    field("updated", &doc.updated_at.to_string());
    if pii.is_empty() {
        field("pii", "none found");
    } else {
        let counts: Vec<String> = pii.iter().map(|(k, n)| format!("{k} {n}")).collect();
        field("pii", &counts.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// "pages 1-3, 5 read by OCR (mean 91% confidence; lowest 84% on page 5)".
fn ocr_summary(pages: &[(usize, f32)]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (page, _) in pages {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == *page => *end = *page,
            _ => runs.push((*page, *page)),
        }
    }
    let listed: Vec<String> = runs
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    let mean = pages.iter().map(|(_, c)| c).sum::<f32>() / pages.len().max(1) as f32;
    let lowest = pages
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|_| pages.len() > 1)
        .map(|(page, c)| format!("; lowest {c:.0}% on page {page}"))
        .unwrap_or_default();
    format!(
        "page{} {} read by OCR (mean {mean:.0}% confidence{lowest})",
        if pages.len() == 1 { "" } else { "s" },
        listed.join(", ")
    )
}

pub(super) fn rm(settings: Settings, id: i64) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let doc = kodiak.document(id)?;
    kodiak.remove_document(id)?;
    println!("removed document {id}: {}", line(&doc.path));
    Ok(ExitCode::SUCCESS)
}

pub(super) fn reindex(settings: Settings) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let stats = kodiak.reindex()?;
    println!(
        "reindexed {} chunks of {} documents",
        stats.chunks, stats.documents
    );
    Ok(ExitCode::SUCCESS)
}
