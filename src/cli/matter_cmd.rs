//! `kodiak matter`: make, list, show, archive and reopen matters. Each change is recorded
//! in the matter's own audit trail.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::matter::{self, Archived, Matter};
use kodiak::service::Event;

use crate::sanitize::line;

pub(super) fn new(settings: &Settings, name: &str, description: Option<&str>) -> Result<ExitCode> {
    let user = kodiak::identity::user_name();
    let made = matter::create(&settings.paths.data_dir, name, description, &user)?;
    let kodiak = Kodiak::open(settings.for_matter(name))?;
    kodiak.record(Event::Matter {
        op: "new",
        name: name.to_owned(),
    })?;
    println!(
        "made matter {name} in {}\nwork in it with --matter {name} (or KODIAK_MATTER={name})",
        made.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn list(settings: &Settings, json: bool) -> Result<ExitCode> {
    let matters = matter::list(&settings.paths.data_dir)?;
    let rows: Vec<_> = matters
        .iter()
        .map(|m| {
            let documents = matter::document_count(&settings.for_matter(&m.name).paths.database);
            (m, documents)
        })
        .collect();
    if json {
        let value: Vec<_> = rows
            .iter()
            .map(|(m, documents)| {
                json!({
                    "name": m.name,
                    "dir": m.dir,
                    "documents": documents,
                    "archived": m.archived(),
                    "current": m.name == settings.paths.matter,
                    "description": m.file.as_ref().and_then(|f| f.description.clone()),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (m, documents) in rows {
        let current = if m.name == settings.paths.matter {
            "*"
        } else {
            " "
        };
        let state = if m.archived().is_some() {
            "archived"
        } else {
            "open"
        };
        let documents =
            documents.map_or("no database yet".to_owned(), |n| format!("{n} documents"));
        let description = m
            .file
            .as_ref()
            .and_then(|f| f.description.as_deref())
            .map(|d| format!("  {}", line(d)))
            .unwrap_or_default();
        println!(
            "{current} {:<24} {state:<8} {documents}{description}",
            m.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(settings: &Settings, name: &str, json: bool) -> Result<ExitCode> {
    let found = matter::open(&settings.paths.data_dir, name)?;
    let kodiak = Kodiak::open(settings.for_matter(name))?;
    // One read of every document with its review gives all the counts.
    let report = kodiak.review_report()?;
    let top_level = report.iter().filter(|d| d.parent_id.is_none()).count();
    let attachments = report.len() - top_level;
    let reviewed = kodiak::report::Summary::of(&report).reviewed;
    let jobs = kodiak.checklist_jobs()?.len();
    let conversations = kodiak.conversations()?.len();
    let trail = kodiak.audit_verify()?;
    if json {
        let value = json!({
            "name": found.name,
            "dir": found.dir,
            "database": kodiak.settings().paths.database,
            "created_at": found.file.as_ref().map(|f| &f.created_at),
            "created_by": found.file.as_ref().map(|f| &f.created_by),
            "description": found.file.as_ref().and_then(|f| f.description.as_ref()),
            "archived": found.archived(),
            "documents": top_level,
            "attachments": attachments,
            "reviewed": reviewed,
            "checklist_jobs": jobs,
            "conversations": conversations,
            "audit": trail,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("matter       {}", found.name);
    println!("folder       {}", found.dir.display());
    if let Some(file) = &found.file {
        if let Some(description) = &file.description {
            println!("description  {}", line(description));
        }
        if let Some(made) = file.created_at {
            println!("made         {made} by {}", line(&file.created_by));
        }
    }
    println!("state        {}", state(&found));
    let plural = kodiak::report::plural;
    println!(
        "documents    {top_level} ({}), {reviewed} reviewed",
        plural(attachments, "attachment")
    );
    println!("checklists   {}", plural(jobs, "job"));
    println!("questions    {}", plural(conversations, "conversation"));
    match &trail.broken {
        None => println!(
            "audit trail  intact: {} entries, head {} {}",
            trail.entries, trail.head_seq, trail.head_hash
        ),
        Some(broken) => println!("audit trail  BROKEN: {}", broken.problem),
    }
    Ok(ExitCode::SUCCESS)
}

fn state(m: &Matter) -> String {
    match m.archived() {
        Some(a) => format!("archived {} by {} (read-only)", a.at, line(&a.by)),
        None => "open".into(),
    }
}

/// Archives matter `name` (`archive`) or reopens it, and records it in its audit trail.
pub(super) fn set_archived(settings: &Settings, name: &str, archive: bool) -> Result<ExitCode> {
    let current = matter::open(&settings.paths.data_dir, name)?;
    if current.archived().is_some() == archive {
        println!("matter {name} is {} already", state(&current));
        return Ok(ExitCode::SUCCESS);
    }
    let archived = archive.then(|| Archived {
        at: kodiak::timestamp::Timestamp::now(),
        by: kodiak::identity::user_name(),
    });
    let changed = matter::set_archived(&settings.paths.data_dir, name, archived)?;
    let kodiak = Kodiak::open(settings.for_matter(name))?;
    let op = if archive { "archive" } else { "reopen" };
    kodiak.record(Event::Matter {
        op,
        name: name.to_owned(),
    })?;
    println!("matter {name}: {}", state(&changed));
    Ok(ExitCode::SUCCESS)
}
