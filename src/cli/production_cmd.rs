//! `kodiak review privilege|redact|unredact|redactions` and `kodiak production`: the
//! decisions a production is made from, production sets, and runs.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use kodiak::Kodiak;
use kodiak::config::Settings;
use kodiak::production::{Area, Basis, Decisions};
use kodiak::service::{JobScope, NewProduction, ProductionInfo};

use super::args::Privileged;
use crate::sanitize::line;

pub(super) fn privilege(
    settings: Settings,
    id: i64,
    treatment: Privileged,
    basis: Option<Basis>,
    description: Option<&str>,
) -> Result<ExitCode> {
    let decision = match treatment.treatment() {
        None => None,
        Some(treatment) => {
            let Some(basis) = basis else {
                bail!(
                    "{} needs --basis (attorney-client, work-product or other)",
                    treatment.as_str()
                );
            };
            Some((treatment, basis, description.unwrap_or("")))
        }
    };
    let kodiak = Kodiak::open(settings)?;
    print_decisions(id, &kodiak.set_privilege(id, decision)?, false)
}

pub(super) fn redact(
    settings: Settings,
    id: i64,
    span: Option<&str>,
    page: Option<usize>,
    reason: &str,
) -> Result<ExitCode> {
    let area = match (span, page) {
        (Some(span), _) => {
            let parsed = span
                .split_once(':')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
            let Some((start, end)) = parsed else {
                bail!("--span {span:?} is not START:END, two character offsets (e.g. 120:134)");
            };
            Area::Span { start, end }
        }
        (None, Some(page)) => Area::Page { page },
        (None, None) => bail!("give --span START:END or --page N"),
    };
    let kodiak = Kodiak::open(settings)?;
    let (number, decisions) = kodiak.add_redaction(id, area, reason)?;
    println!("redaction {number} added to document {id}");
    print_decisions(id, &decisions, false)
}

pub(super) fn unredact(settings: Settings, id: i64, number: i64) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let decisions = kodiak.remove_redaction(id, number)?;
    println!("redaction {number} removed from document {id}");
    print_decisions(id, &decisions, false)
}

pub(super) fn redactions(settings: Settings, id: i64, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    print_decisions(id, &kodiak.production_decisions(id)?, json)
}

fn print_decisions(id: i64, decisions: &Decisions, json: bool) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(decisions)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &decisions.privilege {
        None => println!("document {id}: no privilege claimed"),
        Some(p) => println!(
            "document {id}: {} ({}), by {}, {}: {}",
            p.treatment.as_str(),
            p.basis.as_str(),
            line(&p.decided_by),
            p.decided_at,
            line(&p.description)
        ),
    }
    if decisions.redactions.is_empty() {
        println!("no redactions");
    }
    for r in &decisions.redactions {
        println!(
            "  {}. {}: {} (by {}, {})",
            r.number,
            r.area,
            line(&r.reason),
            line(&r.created_by),
            r.created_at
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn new(
    settings: Settings,
    name: &str,
    prefix: &str,
    start: Option<u64>,
    digits: usize,
    volume: &str,
    redact_pii: &[String],
    legend: Option<&str>,
    scope: JobScope,
    json: bool,
) -> Result<ExitCode> {
    let redact_pii: Vec<String> = redact_pii
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .map(|k| {
            if k.eq_ignore_ascii_case("all") {
                "*".to_owned()
            } else {
                k.to_uppercase()
            }
        })
        .collect();
    let kodiak = Kodiak::open(settings)?;
    let info = kodiak.new_production(NewProduction {
        name: name.to_owned(),
        prefix: prefix.to_owned(),
        start,
        digits,
        volume: volume.to_owned(),
        redact_pii,
        legend: legend.map(str::to_owned),
        scope,
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print_info(&info);
        println!("`kodiak production run {} -o DIR` writes it", info.name);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_info(info: &ProductionInfo) {
    let pii = if info.redact_pii.is_empty() {
        "no PII types".to_owned()
    } else if info.redact_pii.iter().any(|k| k == "*") {
        "every PII type".to_owned()
    } else {
        info.redact_pii.join(", ")
    };
    println!(
        "production {}: {} documents, {} pages, {}-{} ({}); {} withheld, {} with redactions; \
         redacting {pii}{}; {} by {}, {}",
        info.name,
        info.documents,
        info.pages,
        info.first,
        info.last,
        info.volume,
        info.withheld,
        info.redacted,
        info.legend
            .as_deref()
            .map(|l| format!("; legend {}", line(l)))
            .unwrap_or_default(),
        info.scope,
        line(&info.created_by),
        info.created_at
    );
}

pub(super) fn run(settings: Settings, name: &str, output: &Path, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} documents")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("producing {name}"));
    let mut progress = |done: usize, all: usize| {
        bar.set_length(all as u64);
        bar.set_position(done as u64);
    };
    let result = kodiak.run_production(name, output, &mut progress);
    bar.finish_and_clear();
    let summary = result?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "production {} written to {} and verified: {} documents, {} pages, {}-{}, {} withheld \
         ({:.1} s, {:.1} pages/s)",
        summary.name,
        summary.folder.display(),
        summary.documents,
        summary.pages,
        summary.first,
        summary.last,
        summary.withheld,
        seconds,
        summary.pages as f64 / seconds.max(1e-9)
    );
    if summary.redactions.is_empty() {
        println!("no redactions");
    } else {
        let by: Vec<String> = summary
            .redactions
            .iter()
            .map(|(reason, n)| format!("{} {n}", line(reason)))
            .collect();
        println!("redactions: {}", by.join(", "));
    }
    if !summary.whole_page_fallbacks.is_empty() {
        println!(
            "redacted whole because the value could not be placed on the page image: {}",
            summary.whole_page_fallbacks.join(", ")
        );
    }
    println!("audit trail head: {}", summary.chain_head);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn list(settings: Settings, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let all = kodiak.productions()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else if all.is_empty() {
        println!("no production sets; `kodiak production new NAME --prefix P` makes one");
    } else {
        for info in &all {
            print_info(info);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(settings: Settings, name: &str, json: bool) -> Result<ExitCode> {
    let kodiak = Kodiak::open(settings)?;
    let info = kodiak.production(name)?;
    let documents = kodiak.production_documents(name)?;
    if json {
        let mut value = serde_json::to_value(&info)?;
        value["documents"] = serde_json::to_value(&documents)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_info(&info);
    for d in &documents {
        let range = if d.begin == d.end {
            d.begin.clone()
        } else {
            format!("{}-{}", d.begin, d.end)
        };
        let what = if d.withheld {
            "withheld (slip sheet)".to_owned()
        } else {
            let how = if d.pdf_pages {
                "page images"
            } else {
                "laid-out text"
            };
            format!("{how}, {} redactions", d.redactions)
        };
        let pages = if d.pages == 1 { "page" } else { "pages" };
        println!(
            "  {range:<23} document {:>5}  {} {pages}, {what}",
            d.doc_id, d.pages
        );
    }
    Ok(ExitCode::SUCCESS)
}
