//! A checklist job's grid written out: a row per document and a column per item, each
//! cell with its answer, the pages of its evidence and whether a person confirmed it. CSV
//! for spreadsheets, JSON (everything, quotes included) for scripts, Markdown for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::decide::{CellState, Quote};
use super::grid::{Decision, DecisionKind, Grid, GridCell, JobInfo};
use crate::report::{Provenance, ReportError, ReportFormat};

/// Writes `grid` in `format`; `generated_at` is printed in the header.
pub fn render(grid: &Grid, format: ReportFormat, made: &Provenance) -> Result<String, ReportError> {
    match format {
        ReportFormat::Csv => csv(grid),
        ReportFormat::Json => Ok(serde_json::to_string_pretty(&JsonGrid::of(grid, made))? + "\n"),
        ReportFormat::Md => Ok(markdown(grid, made)),
    }
}

/// "p. 3" or "pp. 3, 7": the pages a cell's evidence stands on.
pub fn pages(evidence: &[Quote]) -> String {
    let mut pages: Vec<usize> = evidence.iter().map(|q| q.page).collect();
    pages.sort_unstable();
    pages.dedup();
    let list: Vec<String> = pages.iter().map(usize::to_string).collect();
    match pages.len() {
        0 => String::new(),
        1 => format!("p. {}", list[0]),
        _ => format!("pp. {}", list.join(", ")),
    }
}

/// Who decided a cell, as the exports say it: "confirmed by alice".
pub fn decided(decision: &Decision) -> String {
    let what = match decision.decision {
        DecisionKind::Confirmed => "confirmed",
        DecisionKind::Corrected => "corrected",
        DecisionKind::NotFound => "marked not found",
    };
    format!("{what} by {}", decision.decided_by)
}

/// A cell as one line of text: state, answer, pages, and the person who decided it.
pub fn cell_text(cell: &GridCell) -> String {
    let state = cell.state();
    let mut out = state.as_str().replace('_', " ");
    let answer = cell
        .answer()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !answer.is_empty() && state != CellState::NotFound {
        out.push_str(": ");
        out.push_str(&answer);
    }
    let mut extra = Vec::new();
    let pages = pages(cell.evidence());
    if !pages.is_empty() && state != CellState::NotFound {
        extra.push(pages);
    }
    if let Some(decision) = &cell.decision {
        extra.push(decided(decision));
    }
    if !extra.is_empty() {
        out.push_str(&format!(" ({})", extra.join("; ")));
    }
    out
}

fn csv(grid: &Grid) -> Result<String, ReportError> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["doc_id".to_owned(), "document".into(), "path".into()];
    header.extend(grid.checklist.items.iter().map(|i| i.id.clone()));
    header.push("confirmed_cells".into());
    writer.write_record(&header)?;
    for row in &grid.rows {
        let mut record = vec![
            row.doc_id.to_string(),
            crate::report::spreadsheet_safe(&row.title),
            crate::report::spreadsheet_safe(&row.path),
        ];
        record.extend(row.cells.iter().map(|cell| {
            cell.as_ref().map_or_else(
                || "pending".to_owned(),
                |c| crate::report::spreadsheet_safe(&cell_text(c)),
            )
        }));
        let confirmed = row
            .cells
            .iter()
            .flatten()
            .filter(|c| c.decision.is_some())
            .count();
        record.push(confirmed.to_string());
        writer.write_record(&record)?;
    }
    crate::report::csv_text(writer)
}

fn escape_md(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn markdown(grid: &Grid, made: &Provenance) -> String {
    let job = &grid.job;
    let items = &grid.checklist.items;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} (job {})\n",
        escape_md(&grid.checklist.title),
        job.id
    );
    let _ = writeln!(
        out,
        "{} Checklist `{}` · {} · {} of {} cells decided · {}\n",
        made.line(),
        job.checklist,
        escape_md(&job.scope),
        job.cells,
        job.total,
        if job.use_model {
            "suggested by the model, quotes checked"
        } else {
            "suggested extractively"
        }
    );
    let _ = writeln!(
        out,
        "✓ found · ✗ not found · ? uncertain · · pending · a cell in **bold** was decided by a person\n"
    );
    let _ = write!(out, "| Document |");
    for item in items {
        let _ = write!(out, " {} |", escape_md(&item.id));
    }
    let _ = write!(out, "\n|---|");
    for _ in items {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    for row in &grid.rows {
        let _ = write!(out, "| {} (#{}) |", escape_md(&row.title), row.doc_id);
        for cell in &row.cells {
            let text = match cell {
                None => "·".to_owned(),
                Some(cell) => {
                    let symbol = cell.state().symbol();
                    let pages = pages(cell.evidence());
                    let body = if pages.is_empty() || cell.state() == CellState::NotFound {
                        symbol.to_string()
                    } else {
                        format!("{symbol} {pages}")
                    };
                    if cell.decision.is_some() {
                        format!("**{body}**")
                    } else {
                        body
                    }
                }
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    for row in &grid.rows {
        let _ = writeln!(out, "\n## {} (#{})\n", escape_md(&row.title), row.doc_id);
        let _ = writeln!(out, "`{}`\n", row.path);
        for (item, cell) in items.iter().zip(&row.cells) {
            let Some(cell) = cell else {
                let _ = writeln!(out, "- **{}**: pending", item.id);
                continue;
            };
            let _ = writeln!(
                out,
                "- **{}** ({}): {}",
                item.id,
                escape_md(&item.question),
                escape_md(&cell_text(cell))
            );
            if cell.state() != CellState::NotFound {
                for quote in cell.evidence() {
                    let _ = writeln!(
                        out,
                        "  > page {}, characters {}-{}: \"{}\"",
                        quote.page,
                        quote.char_start,
                        quote.char_end,
                        escape_md(&quote.text)
                    );
                }
            }
            if let Some(note) = cell.decision.as_ref().and_then(|d| d.note.as_deref()) {
                let _ = writeln!(out, "  - note: {}", escape_md(note));
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonGrid<'a> {
    matter: &'a str,
    generated_at: &'a crate::timestamp::Timestamp,
    audit_chain_head: &'a crate::report::AuditHead,
    network: &'a str,
    job: &'a JobInfo,
    checklist: &'a super::Checklist,
    rows: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    doc_id: i64,
    title: &'a str,
    path: &'a str,
    /// By item id; an item not decided yet is absent.
    cells: BTreeMap<&'a str, JsonCell<'a>>,
}

#[derive(Serialize)]
struct JsonCell<'a> {
    /// What counts: the reviewer's decision when there is one, else the suggestion.
    state: CellState,
    answer: &'a str,
    pages: Vec<usize>,
    suggestion: &'a super::decide::Suggestion,
    decision: Option<&'a Decision>,
}

impl<'a> JsonGrid<'a> {
    fn of(grid: &'a Grid, made: &'a Provenance) -> JsonGrid<'a> {
        let rows = grid
            .rows
            .iter()
            .map(|row| JsonRow {
                doc_id: row.doc_id,
                title: &row.title,
                path: &row.path,
                cells: grid
                    .checklist
                    .items
                    .iter()
                    .zip(&row.cells)
                    .filter_map(|(item, cell)| {
                        let cell = cell.as_ref()?;
                        let mut pages: Vec<usize> =
                            cell.evidence().iter().map(|q| q.page).collect();
                        pages.dedup();
                        Some((
                            item.id.as_str(),
                            JsonCell {
                                state: cell.state(),
                                answer: cell.answer(),
                                pages,
                                suggestion: &cell.suggestion,
                                decision: cell.decision.as_ref(),
                            },
                        ))
                    })
                    .collect(),
            })
            .collect();
        JsonGrid {
            matter: &made.matter,
            generated_at: &made.generated_at,
            audit_chain_head: &made.audit_head,
            network: &made.network,
            job: &grid.job,
            checklist: &grid.checklist,
            rows,
        }
    }
}
