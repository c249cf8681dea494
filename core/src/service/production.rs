//! Production: a reviewer's privilege and redaction decisions; production sets, which fix
//! the documents, their order and Bates numbers; and runs, which write the PDFs, text,
//! load files and privilege log into a folder and verify them with Poppler before the
//! folder is given its name. A run that fails verification leaves nothing behind.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Event, JobScope, Kodiak, ServiceError};
use crate::production::layout::{self, Cut};
use crate::production::pdf::{self, GrayImage, Label, Page, PageBody};
use crate::production::{
    Area, Basis, Bates, Claim, Decisions, MAX_DESCRIPTION_CHARS, MAX_REASON_CHARS, Plan,
    PlannedDocument, Treatment, load_files, privilege_log, raster, valid_prefix, verify,
};
use crate::storage::documents::{self, DocumentInfo};
use crate::storage::production::{self as store, ProductionRow};
use crate::timestamp::Timestamp;

/// What `kodiak production new` asks for.
#[derive(Debug, Clone)]
pub struct NewProduction {
    pub name: String,
    pub prefix: String,
    /// The first Bates number; by default one past the highest any set gave the prefix.
    pub start: Option<u64>,
    pub digits: usize,
    pub volume: String,
    /// PII types redacted in every produced document (`*` for all).
    pub redact_pii: Vec<String>,
    pub legend: Option<String>,
    pub scope: JobScope,
}

/// A production set, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ProductionInfo {
    pub name: String,
    pub first: String,
    pub last: String,
    pub documents: usize,
    pub pages: u64,
    pub withheld: usize,
    /// Produced documents with at least one redaction.
    pub redacted: usize,
    pub volume: String,
    pub redact_pii: Vec<String>,
    pub legend: Option<String>,
    pub scope: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// One document of a production set, as `production show` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ProducedDocument {
    pub doc_id: i64,
    pub begin: String,
    pub end: String,
    pub pages: usize,
    pub withheld: bool,
    /// Ranges, PII findings and whole pages redacted.
    pub redactions: usize,
    /// Produced as images of its PDF's pages.
    pub pdf_pages: bool,
}

/// What a run wrote and checked.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub name: String,
    pub folder: PathBuf,
    pub documents: usize,
    pub pages: u64,
    pub first: String,
    pub last: String,
    pub withheld: usize,
    /// Redactions by reason (a PII type, a reviewer's reason, or a whole page's).
    pub redactions: BTreeMap<String, usize>,
    /// PDF pages redacted whole because a redacted value could not be placed on them
    /// (a scanned page has no words to place it by): (Bates number of the page).
    pub whole_page_fallbacks: Vec<String>,
    pub chain_head: String,
}

/// How far a run has got: documents done of all.
pub type RunProgress<'a> = &'a mut dyn FnMut(usize, usize);

const MAX_NAME_CHARS: usize = 64;

fn invalid(message: String) -> ServiceError {
    ServiceError::Production(message)
}

impl Kodiak {
    /// A document's privilege decision and redactions.
    pub fn production_decisions(&self, document_id: i64) -> Result<Decisions, ServiceError> {
        let conn = self.db.conn()?;
        self.document_or_error(&conn, document_id)?;
        Ok(store::decisions(&conn, document_id)?)
    }

    /// Marks a document withheld or redacted for privilege, with its basis and a
    /// description for the privilege log; `None` clears the decision.
    pub fn set_privilege(
        &self,
        document_id: i64,
        decision: Option<(Treatment, Basis, &str)>,
    ) -> Result<Decisions, ServiceError> {
        if let Some((_, _, description)) = decision {
            let chars = description.trim().chars().count();
            if chars == 0 {
                return Err(invalid(
                    "a privilege decision needs a description for the log (--description)".into(),
                ));
            }
            if chars > MAX_DESCRIPTION_CHARS {
                return Err(invalid(format!(
                    "a description is at most {MAX_DESCRIPTION_CHARS} characters; this one has {chars}"
                )));
            }
        }
        let user = crate::identity::user_name();
        let event = Event::Privilege {
            doc_id: document_id,
            treatment: decision.map(|(t, _, _)| t.as_str()).unwrap_or("none"),
            basis: decision.map(|(_, b, _)| b.as_str()),
        };
        self.db.write(|tx| {
            self.document_or_error(tx, document_id)?;
            let decision = decision.map(|(t, b, d)| (t, b, d.trim()));
            store::set_privilege(tx, document_id, decision, &user)?;
            self.audit(tx, event.clone())?;
            Ok(store::decisions(tx, document_id)?)
        })
    }

    /// Adds a redaction of a character range or a page, with its reason; returns its number.
    pub fn add_redaction(
        &self,
        document_id: i64,
        area: Area,
        reason: &str,
    ) -> Result<(i64, Decisions), ServiceError> {
        let reason = valid_reason(reason)?;
        let user = crate::identity::user_name();
        self.db.write(|tx| {
            let info = self.document_or_error(tx, document_id)?;
            let (text, pages) = documents::text(tx, document_id)?.unwrap_or_default();
            match area {
                Area::Span { start, end } => {
                    let len = text.chars().count();
                    if start >= end || end > len {
                        return Err(invalid(format!(
                            "characters {start}-{end} are not a range of document {document_id}, \
                             which has {len} characters (`kodiak report pii --doc {document_id}` \
                             gives findings' offsets)"
                        )));
                    }
                }
                Area::Page { page } => {
                    let count = pages.len().max(info.pages).max(1);
                    if page == 0 || page > count {
                        return Err(invalid(format!(
                            "document {document_id} has no page {page}: it has {count}"
                        )));
                    }
                }
            }
            let number = store::add_redaction(tx, document_id, area, &reason, &user)?;
            self.audit(
                tx,
                Event::Redaction {
                    doc_id: document_id,
                    number,
                    op: "add",
                    area: area.to_string(),
                    reason: Some(reason.clone()),
                },
            )?;
            Ok((number, store::decisions(tx, document_id)?))
        })
    }

    /// Removes redaction `number` of a document.
    pub fn remove_redaction(
        &self,
        document_id: i64,
        number: i64,
    ) -> Result<Decisions, ServiceError> {
        self.db.write(|tx| {
            self.document_or_error(tx, document_id)?;
            let decisions = store::decisions(tx, document_id)?;
            let Some(found) = decisions.redactions.iter().find(|r| r.number == number) else {
                return Err(invalid(format!(
                    "document {document_id} has no redaction {number}; `kodiak review \
                     redactions {document_id}` lists them"
                )));
            };
            let area = found.area.to_string();
            store::remove_redaction(tx, document_id, number)?;
            self.audit(
                tx,
                Event::Redaction {
                    doc_id: document_id,
                    number,
                    op: "remove",
                    area,
                    reason: None,
                },
            )?;
            Ok(store::decisions(tx, document_id)?)
        })
    }

    fn document_or_error(
        &self,
        conn: &rusqlite::Connection,
        document_id: i64,
    ) -> Result<DocumentInfo, ServiceError> {
        documents::get(conn, document_id)?.ok_or(ServiceError::NoSuchDocument(document_id))
    }

    /// Makes a production set: its documents in the scope's order (attachments after
    /// their e-mail), what is done to each, and their Bates numbers page by page.
    pub fn new_production(&self, spec: NewProduction) -> Result<ProductionInfo, ServiceError> {
        let name = spec.name.trim().to_owned();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || name.starts_with('.')
        {
            return Err(invalid(format!(
                "{name:?} cannot name a production: use letters, digits, '-', '_' and '.', at \
                 most {MAX_NAME_CHARS} characters (it names the load files)"
            )));
        }
        if !valid_prefix(&spec.prefix) {
            return Err(invalid(format!(
                "{:?} cannot be a Bates prefix: use letters, digits, '-' and '_', at most 20",
                spec.prefix
            )));
        }
        if !(1..=12).contains(&spec.digits) {
            return Err(invalid(format!("--digits {} is outside 1-12", spec.digits)));
        }
        if !valid_prefix(&spec.volume) {
            return Err(invalid(format!("{:?} cannot name a volume", spec.volume)));
        }
        let document_ids = self.scope_documents(&spec.scope)?;
        let conn = self.db.conn()?;
        if store::get(&conn, &name)?.is_some() {
            return Err(invalid(format!(
                "a production named {name} exists; `kodiak production list` shows them"
            )));
        }
        let numbered = store::numbered(&conn, &spec.prefix)?;
        let start = match spec.start {
            Some(start) => start,
            None => numbered.iter().map(|t| t.last + 1).max().unwrap_or(1),
        };
        let all_kinds = spec.redact_pii.iter().any(|k| k == "*");
        let mut planned = Vec::with_capacity(document_ids.len());
        let mut next = start;
        for id in document_ids {
            let info = self.document_or_error(&conn, id)?;
            let plan = plan_document(&conn, &info, all_kinds, &spec.redact_pii)?;
            let pages = if plan.withheld() {
                1
            } else if plan.pdf_pages {
                pdf_source(&info, &plan)?;
                info.pages.max(1)
            } else {
                let (text, page_ranges) = documents::text(&conn, id)?.unwrap_or_default();
                layout::produce(&text, &page_ranges, &plan.cuts, &plan.whole_pages)
                    .sheets
                    .len()
            };
            planned.push(PlannedDocument {
                document_id: id,
                first_number: next,
                pages,
                plan,
            });
            next += pages as u64;
        }
        let last = next - 1;
        // Numbers are never given twice under one prefix.
        if let Some(taken) = numbered.iter().find(|t| t.first <= last && start <= t.last) {
            let bates = Bates {
                prefix: spec.prefix.clone(),
                digits: taken.digits,
            };
            return Err(invalid(format!(
                "production {} already numbered {}-{}; start after it (--start {}) or use \
                 another prefix",
                taken.name,
                bates.number(taken.first),
                bates.number(taken.last),
                taken.last + 1
            )));
        }
        let row = ProductionRow {
            id: 0,
            name: name.clone(),
            prefix: spec.prefix.clone(),
            start,
            digits: spec.digits,
            volume: spec.volume.clone(),
            redact_pii: spec.redact_pii.clone(),
            legend: spec.legend.clone().filter(|l| !l.trim().is_empty()),
            scope: spec.scope.describe(),
            created_by: crate::identity::user_name(),
            created_at: Timestamp::now(),
        };
        let bates = row.bates();
        let event = Event::ProductionSet {
            name: name.clone(),
            documents: planned.len(),
            pages: last + 1 - start,
            first: bates.number(start),
            last: bates.number(last),
        };
        self.db.write(|tx| {
            store::create(tx, &row, &planned)?;
            self.audit(tx, event.clone())?;
            Ok::<_, ServiceError>(())
        })?;
        self.production(&name)
    }

    /// Every production set, oldest first.
    pub fn productions(&self) -> Result<Vec<ProductionInfo>, ServiceError> {
        let conn = self.db.conn()?;
        store::list(&conn)?
            .into_iter()
            .map(|row| {
                let docs = store::documents(&conn, row.id)?;
                Ok(production_info(&row, &docs))
            })
            .collect()
    }

    /// One production set.
    pub fn production(&self, name: &str) -> Result<ProductionInfo, ServiceError> {
        let conn = self.db.conn()?;
        let row = production_row(&conn, name)?;
        let docs = store::documents(&conn, row.id)?;
        Ok(production_info(&row, &docs))
    }

    /// A production set's documents in order, with their numbers.
    pub fn production_documents(&self, name: &str) -> Result<Vec<ProducedDocument>, ServiceError> {
        let conn = self.db.conn()?;
        let row = production_row(&conn, name)?;
        let bates = row.bates();
        Ok(store::documents(&conn, row.id)?
            .into_iter()
            .map(|d| ProducedDocument {
                doc_id: d.document_id,
                begin: bates.number(d.first_number),
                end: bates.number(d.first_number + d.pages as u64 - 1),
                pages: d.pages,
                withheld: d.plan.withheld(),
                redactions: d.plan.cuts.len() + d.plan.whole_pages.len(),
                pdf_pages: d.plan.pdf_pages,
            })
            .collect())
    }

    /// Writes production `name` into `folder` (which must not exist or be empty) and
    /// verifies it; records it in the audit trail with the chain's head.
    pub fn run_production(
        &self,
        name: &str,
        folder: &Path,
        progress: RunProgress<'_>,
    ) -> Result<RunSummary, ServiceError> {
        let conn = self.db.conn()?;
        let row = production_row(&conn, name)?;
        let docs = store::documents(&conn, row.id)?;
        if folder.exists()
            && (!folder.is_dir()
                || std::fs::read_dir(folder)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(true))
        {
            return Err(invalid(format!(
                "{} exists and is not an empty folder; name a new one",
                folder.display()
            )));
        }
        let parent = match folder.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.partial-"))
            .tempdir_in(&parent)
            .map_err(|e| io_error(&parent, e))?;
        let scratch = tempfile::tempdir().map_err(|e| io_error(Path::new("temp"), e))?;
        let mut writer = RunWriter::new(&row, &docs, staging.path())?;
        for (i, doc) in docs.iter().enumerate() {
            progress(i, docs.len());
            writer.document(&conn, doc, scratch.path())?;
        }
        progress(docs.len(), docs.len());
        let summary_parts = writer.finish()?;
        if !summary_parts.problems.is_empty() {
            let listed: Vec<String> = summary_parts
                .problems
                .iter()
                .take(20)
                .map(|p| format!("  {p}"))
                .collect();
            let more = summary_parts.problems.len().saturating_sub(20);
            return Err(invalid(format!(
                "production {name} failed verification, so nothing was written:\n{}{}",
                listed.join("\n"),
                if more > 0 {
                    format!("\n  and {more} more")
                } else {
                    String::new()
                }
            )));
        }
        if folder.exists() {
            std::fs::remove_dir(folder).map_err(|e| io_error(folder, e))?;
        }
        let staged = staging.keep();
        std::fs::rename(&staged, folder).map_err(|e| io_error(folder, e))?;
        let (_, chain_head) = self.audit_head()?;
        let ProductionInfo {
            pages, first, last, ..
        } = production_info(&row, &docs);
        self.record(Event::ProductionRun {
            name: name.to_owned(),
            documents: docs.len(),
            pages,
            first: first.clone(),
            last: last.clone(),
            withheld: summary_parts.withheld,
            redactions: summary_parts.redactions.values().sum(),
            chain_head: chain_head.clone(),
        })?;
        Ok(RunSummary {
            name: name.to_owned(),
            folder: folder.to_path_buf(),
            documents: docs.len(),
            pages,
            first,
            last,
            withheld: summary_parts.withheld,
            redactions: summary_parts.redactions,
            whole_page_fallbacks: summary_parts.fallbacks,
            chain_head,
        })
    }
}

fn io_error(path: &Path, e: std::io::Error) -> ServiceError {
    invalid(format!("cannot write {}: {e}", path.display()))
}

fn valid_reason(reason: &str) -> Result<String, ServiceError> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    if chars == 0 {
        return Err(invalid("a redaction needs a reason (--reason)".into()));
    }
    if chars > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(invalid(format!(
            "a reason is one line of at most {MAX_REASON_CHARS} characters"
        )));
    }
    Ok(reason.to_owned())
}

fn production_row(conn: &rusqlite::Connection, name: &str) -> Result<ProductionRow, ServiceError> {
    store::get(conn, name)?.ok_or_else(|| {
        invalid(format!(
            "no production named {name}; `kodiak production list` shows them"
        ))
    })
}

fn production_info(row: &ProductionRow, docs: &[PlannedDocument]) -> ProductionInfo {
    let bates = row.bates();
    let pages: u64 = docs.iter().map(|d| d.pages as u64).sum();
    ProductionInfo {
        name: row.name.clone(),
        first: bates.number(row.start),
        last: bates.number(row.start + pages.saturating_sub(1)),
        documents: docs.len(),
        pages,
        withheld: docs.iter().filter(|d| d.plan.withheld()).count(),
        redacted: docs
            .iter()
            .filter(|d| !d.plan.withheld() && d.plan.redacts())
            .count(),
        volume: row.volume.clone(),
        redact_pii: row.redact_pii.clone(),
        legend: row.legend.clone(),
        scope: row.scope.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
    }
}

/// What the production does to `info`: its privilege claim, and unless withheld, the
/// reviewer's redactions with the chosen PII types' findings.
fn plan_document(
    conn: &rusqlite::Connection,
    info: &DocumentInfo,
    all_kinds: bool,
    kinds: &[String],
) -> Result<Plan, ServiceError> {
    let decisions = store::decisions(conn, info.id)?;
    let claim = decisions.privilege.map(|p| Claim {
        treatment: p.treatment,
        basis: p.basis,
        description: p.description,
    });
    let mut cuts = Vec::new();
    let mut whole_pages = Vec::new();
    let withheld = claim
        .as_ref()
        .is_some_and(|c| c.treatment == Treatment::Withhold);
    if !withheld {
        for redaction in &decisions.redactions {
            match redaction.area {
                Area::Span { start, end } => cuts.push(Cut {
                    start,
                    end,
                    reason: redaction.reason.clone(),
                }),
                Area::Page { page } => whole_pages.push((page, redaction.reason.clone())),
            }
        }
        for span in documents::pii_spans(conn, info.id)? {
            let kind = span.kind.as_str();
            if all_kinds || kinds.iter().any(|k| k == kind) {
                cuts.push(Cut {
                    start: span.start,
                    end: span.end,
                    reason: kind.to_owned(),
                });
            }
        }
    }
    if claim
        .as_ref()
        .is_some_and(|c| c.treatment == Treatment::Redact)
        && decisions.redactions.is_empty()
    {
        return Err(invalid(format!(
            "document {} is to be redacted for privilege but has no redaction; add one \
             (`kodiak review redact {} --span START:END --reason privilege`) or withhold it",
            info.id, info.id
        )));
    }
    Ok(Plan {
        sha256: info.sha256.clone(),
        format: info.format.clone().unwrap_or_default(),
        parent_id: info.parent_id,
        // An attached PDF has no file of its own to render: it is laid out from its text.
        pdf_pages: info.format.as_deref() == Some("pdf") && info.parent_id.is_none(),
        claim,
        cuts,
        whole_pages,
    })
}

/// The original PDF of a document produced as page images, checked to be the file that
/// was ingested.
fn pdf_source(info: &DocumentInfo, plan: &Plan) -> Result<PathBuf, ServiceError> {
    let path = PathBuf::from(&info.path);
    let sha = std::fs::read(&path)
        .map(|b| crate::ingest::sha256_hex(&b))
        .map_err(|e| {
            invalid(format!(
                "document {} is a PDF produced as images of its pages, and its file {} cannot be \
             read ({e}); put it back where it was ingested from",
                info.id,
                path.display()
            ))
        })?;
    if plan.sha256.as_deref().is_some_and(|s| s != sha) {
        return Err(invalid(format!(
            "the file {} of document {} has changed since it was ingested; ingest it again \
             and make a new production set",
            path.display(),
            info.id
        )));
    }
    Ok(path)
}

/// What the run found, for the summary.
struct Finished {
    problems: Vec<String>,
    withheld: usize,
    redactions: BTreeMap<String, usize>,
    fallbacks: Vec<String>,
}

/// Writes a production's files one document at a time, and checks each as it goes.
struct RunWriter<'a> {
    row: &'a ProductionRow,
    bates: Bates,
    folder: PathBuf,
    /// Each family's Bates range: the e-mail (or container) and its attachments.
    families: HashMap<i64, (u64, u64)>,
    dat_rows: Vec<Vec<String>>,
    opt_lines: Vec<load_files::OptLine>,
    privilege: Vec<privilege_log::Entry>,
    /// Pages each PDF was read back with, by its first number.
    read_pages: Vec<(u64, usize)>,
    finished: Finished,
}

impl<'a> RunWriter<'a> {
    fn new(
        row: &'a ProductionRow,
        docs: &[PlannedDocument],
        folder: &Path,
    ) -> Result<Self, ServiceError> {
        for sub in ["IMAGES", "TEXT", "DATA"] {
            let dir = folder.join(sub);
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        let produced: std::collections::HashSet<i64> = docs.iter().map(|d| d.document_id).collect();
        let mut families: HashMap<i64, (u64, u64)> = HashMap::new();
        let mut members: HashMap<i64, usize> = HashMap::new();
        for doc in docs {
            let head = doc
                .plan
                .parent_id
                .filter(|p| produced.contains(p))
                .unwrap_or(doc.document_id);
            let last = doc.first_number + doc.pages as u64 - 1;
            let range = families.entry(head).or_insert((doc.first_number, last));
            range.0 = range.0.min(doc.first_number);
            range.1 = range.1.max(last);
            *members.entry(head).or_default() += 1;
        }
        families.retain(|head, _| members.get(head).is_some_and(|n| *n > 1));
        Ok(RunWriter {
            row,
            bates: row.bates(),
            folder: folder.to_path_buf(),
            families,
            dat_rows: Vec::new(),
            opt_lines: Vec::new(),
            privilege: Vec::new(),
            read_pages: Vec::new(),
            finished: Finished {
                problems: Vec::new(),
                withheld: 0,
                redactions: BTreeMap::new(),
                fallbacks: Vec::new(),
            },
        })
    }

    fn document(
        &mut self,
        conn: &rusqlite::Connection,
        doc: &PlannedDocument,
        scratch: &Path,
    ) -> Result<(), ServiceError> {
        let id = doc.document_id;
        let info = documents::get(conn, id)?.ok_or_else(|| {
            invalid(format!(
                "document {id} of production {} is no longer in the matter; make a new \
                 production set",
                self.row.name
            ))
        })?;
        if info.sha256 != doc.plan.sha256 {
            return Err(invalid(format!(
                "document {id} has changed since production {} was made; make a new set",
                self.row.name
            )));
        }
        let numbers: Vec<String> = (0..doc.pages as u64)
            .map(|p| self.bates.number(doc.first_number + p))
            .collect();
        let begin = numbers[0].clone();
        let (text, page_ranges) = documents::text(conn, id)?.unwrap_or_default();
        let chars: Vec<char> = text.chars().collect();
        // The redacted values, for the checks: what must not be found anywhere.
        let values: Vec<String> = doc
            .plan
            .cuts
            .iter()
            .map(|c| {
                chars[c.start.min(chars.len())..c.end.min(chars.len())]
                    .iter()
                    .collect::<String>()
            })
            .collect();
        let legend = self.row.legend.clone();
        let stamp = |n: &String| (n.clone(), legend.clone());
        let (pdf_bytes, produced_text) = if doc.plan.withheld() {
            self.finished.withheld += 1;
            let claim = doc.plan.claim.as_ref();
            let basis = claim.map_or("privilege", |c| c.basis.describe());
            let lines = vec![
                format!("Withheld on the basis of: {basis}"),
                "See the privilege log.".to_owned(),
            ];
            let slip_text = format!("Withheld: privileged\n{}\n", lines.join("\n"));
            let page = Page {
                body: PageBody::Slip {
                    heading: "Withheld: privileged".into(),
                    lines,
                },
                bates: numbers[0].clone(),
                legend: legend.clone(),
            };
            (
                pdf::write(&[page]).map_err(|e| invalid(e.to_string()))?,
                slip_text,
            )
        } else {
            for cut in &doc.plan.cuts {
                *self
                    .finished
                    .redactions
                    .entry(cut.reason.clone())
                    .or_default() += 1;
            }
            for (_, reason) in &doc.plan.whole_pages {
                *self
                    .finished
                    .redactions
                    .entry(format!("{reason} (whole page)"))
                    .or_default() += 1;
            }
            let produced =
                layout::produce(&text, &page_ranges, &doc.plan.cuts, &doc.plan.whole_pages);
            let bytes = if doc.plan.pdf_pages {
                let source = pdf_source(&info, &doc.plan)?;
                let images =
                    self.page_images(&source, doc, &chars, &page_ranges, &numbers, scratch)?;
                let pages: Vec<Page> = images
                    .iter()
                    .zip(&numbers)
                    .map(|((image, labels), n)| {
                        let (bates, legend) = stamp(n);
                        Page {
                            body: PageBody::Image { image, labels },
                            bates,
                            legend,
                        }
                    })
                    .collect();
                pdf::write(&pages)
            } else {
                if produced.sheets.len() != doc.pages {
                    return Err(invalid(format!(
                        "document {id} now lays out to {} pages where production {} numbered \
                         {}; make a new production set",
                        produced.sheets.len(),
                        self.row.name,
                        doc.pages
                    )));
                }
                let pages: Vec<Page> = produced
                    .sheets
                    .iter()
                    .zip(&numbers)
                    .map(|(sheet, n)| {
                        let (bates, legend) = stamp(n);
                        Page {
                            body: PageBody::Sheet(sheet),
                            bates,
                            legend,
                        }
                    })
                    .collect();
                pdf::write(&pages)
            }
            .map_err(|e| invalid(e.to_string()))?;
            (bytes, produced.text)
        };
        let pdf_path = self.folder.join("IMAGES").join(format!("{begin}.pdf"));
        std::fs::write(&pdf_path, &pdf_bytes).map_err(|e| io_error(&pdf_path, e))?;
        let text_path = self.folder.join("TEXT").join(format!("{begin}.txt"));
        std::fs::write(&text_path, &produced_text).map_err(|e| io_error(&text_path, e))?;

        // Read back: every page's number, no redacted value in the PDF or the text. (A
        // withheld document's plan has no cuts: nothing of it is written to look for.)
        let checked = verify::check(&pdf_path, &numbers, &values);
        for problem in checked.problems {
            self.finished
                .problems
                .push(format!("document {id} ({begin}): {problem}"));
        }
        if values.iter().any(|v| verify::readable(&produced_text, v)) {
            self.finished.problems.push(format!(
                "document {id} ({begin}): a redacted value is in its TEXT file"
            ));
        }
        self.read_pages.push((doc.first_number, checked.pages));

        // Load files and the log.
        let end = numbers[numbers.len() - 1].clone();
        let head = doc.plan.parent_id.unwrap_or(id);
        let family = self
            .families
            .get(&head)
            .or_else(|| self.families.get(&id))
            .map(|(a, b)| (self.bates.number(*a), self.bates.number(*b)))
            .unwrap_or_default();
        let scrub = |value: &str| -> String {
            let mut out = value.to_owned();
            for v in values.iter().filter(|v| v.chars().count() >= 3) {
                out = out.replace(v.as_str(), "[REDACTED]");
            }
            out
        };
        let meta = |key: &str| info.metadata.get(key).cloned().unwrap_or_default();
        let date = date_of(&meta("Date"));
        let withheld = doc.plan.withheld();
        let file_name = Path::new(&info.path)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = |value: String| {
            if withheld {
                String::new()
            } else {
                scrub(&value)
            }
        };
        self.dat_rows.push(vec![
            begin.clone(),
            end.clone(),
            family.0,
            family.1,
            shown(file_name),
            doc.plan.format.clone(),
            if withheld {
                String::new()
            } else {
                date.clone()
            },
            shown(meta("From")),
            shown(meta("To")),
            shown(meta("Cc")),
            shown(meta("Subject")),
            shown(info.sha256.clone().unwrap_or_default()),
            doc.pages.to_string(),
            format!("TEXT/{begin}.txt"),
        ]);
        for (p, number) in numbers.iter().enumerate() {
            self.opt_lines.push(load_files::OptLine {
                image_key: number.clone(),
                volume: self.row.volume.clone(),
                path: format!("IMAGES/{begin}.pdf"),
                document_pages: (p == 0).then_some(doc.pages),
            });
        }
        if let Some(claim) = &doc.plan.claim {
            let recipients: Vec<String> = [meta("To"), meta("Cc")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            self.privilege.push(privilege_log::Entry {
                bates: if begin == end {
                    begin.clone()
                } else {
                    format!("{begin}-{end}")
                },
                date,
                author: meta("From"),
                recipients: recipients.join("; "),
                doctype: doc.plan.format.clone(),
                treatment: match claim.treatment {
                    Treatment::Withhold => "Withheld".into(),
                    Treatment::Redact => "Redacted".into(),
                },
                basis: claim.basis.describe().into(),
                description: claim.description.clone(),
            });
        }
        Ok(())
    }

    /// A PDF's pages as images with their redactions burned in, and each box's reason;
    /// pages are rendered on as many threads as there are cores, Poppler doing the work.
    fn page_images(
        &mut self,
        source: &Path,
        doc: &PlannedDocument,
        chars: &[char],
        page_ranges: &[(usize, usize)],
        numbers: &[String],
        scratch: &Path,
    ) -> Result<Vec<(GrayImage, Vec<Label>)>, ServiceError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(doc.pages)
            .max(1);
        let mut results: Vec<Option<Result<PageImage, raster::RasterError>>> =
            (0..doc.pages).map(|_| None).collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|worker| {
                    scope.spawn(move || {
                        (1..=doc.pages)
                            .filter(|page| (page - 1) % threads == worker)
                            .map(|page| {
                                (
                                    page,
                                    page_image(source, doc, chars, page_ranges, page, scratch),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for worker in workers {
                // A worker that panicked leaves its pages unfilled: reported below.
                if let Ok(pages) = worker.join() {
                    for (page, result) in pages {
                        results[page - 1] = Some(result);
                    }
                }
            }
        });
        let mut images = Vec::with_capacity(doc.pages);
        for (i, result) in results.into_iter().enumerate() {
            let page = result
                .ok_or_else(|| {
                    invalid(format!(
                        "document {}: page {} failed",
                        doc.document_id,
                        i + 1
                    ))
                })?
                .map_err(|e| invalid(format!("document {}: {e}", doc.document_id)))?;
            if page.fallback {
                self.finished.fallbacks.push(numbers[i].clone());
            }
            images.push((page.image, page.labels));
        }
        Ok(images)
    }

    /// Writes the load files and the privilege log, then reads the load files back and
    /// checks them against the PDFs: page counts, and numbers with no gap or repeat.
    fn finish(mut self) -> Result<Finished, ServiceError> {
        let name = &self.row.name;
        let data = self.folder.join("DATA");
        let dat_path = data.join(format!("{name}.dat"));
        let opt_path = data.join(format!("{name}.opt"));
        std::fs::write(&dat_path, load_files::dat(&self.dat_rows))
            .map_err(|e| io_error(&dat_path, e))?;
        std::fs::write(&opt_path, load_files::opt(&self.opt_lines))
            .map_err(|e| io_error(&opt_path, e))?;
        let csv_path = self.folder.join("privilege-log.csv");
        let csv = privilege_log::csv(&self.privilege)
            .map_err(|e| invalid(format!("the privilege log could not be written: {e}")))?;
        std::fs::write(&csv_path, csv).map_err(|e| io_error(&csv_path, e))?;
        let md_path = self.folder.join("privilege-log.md");
        std::fs::write(&md_path, privilege_log::markdown(name, &self.privilege))
            .map_err(|e| io_error(&md_path, e))?;

        let problems = &mut self.finished.problems;
        let dat_text = std::fs::read_to_string(&dat_path).map_err(|e| io_error(&dat_path, e))?;
        match load_files::parse_dat(&dat_text) {
            Err(why) => problems.push(format!("the DAT does not read back: {why}")),
            Ok((_, rows)) => {
                for (row, (first, read)) in rows.iter().zip(&self.read_pages) {
                    let begin = self.bates.number(*first);
                    if row[0] != begin || row[12] != read.to_string() {
                        problems.push(format!(
                            "the DAT row {} gives {} pages where its PDF has {read}",
                            row[0], row[12]
                        ));
                    }
                }
            }
        }
        let opt_text = std::fs::read_to_string(&opt_path).map_err(|e| io_error(&opt_path, e))?;
        match load_files::parse_opt(&opt_text) {
            Err(why) => problems.push(format!("the OPT does not read back: {why}")),
            Ok(lines) => {
                for (i, line) in lines.iter().enumerate() {
                    let expected = self.bates.number(self.row.start + i as u64);
                    if line.image_key != expected {
                        problems.push(format!(
                            "the OPT's page {} is {} where the numbering gives {expected}",
                            i + 1,
                            line.image_key
                        ));
                        break;
                    }
                }
                let firsts: Vec<usize> = lines.iter().filter_map(|l| l.document_pages).collect();
                let read: Vec<usize> = self.read_pages.iter().map(|(_, n)| *n).collect();
                if firsts != read {
                    problems.push("the OPT's page counts disagree with the PDFs' pages".to_owned());
                }
            }
        }
        Ok(self.finished)
    }
}

/// One PDF page as produced.
struct PageImage {
    image: GrayImage,
    labels: Vec<Label>,
    /// Redacted whole because a value on it could not be placed.
    fallback: bool,
}

/// Page `page` of `source` rendered, with the plan's redactions on it burned in.
fn page_image(
    source: &Path,
    doc: &PlannedDocument,
    chars: &[char],
    page_ranges: &[(usize, usize)],
    page: usize,
    scratch: &Path,
) -> Result<PageImage, raster::RasterError> {
    let mut image = raster::render(source, page, scratch)?;
    let range = page_ranges.get(page - 1).copied().unwrap_or((0, 0));
    // The cuts on this page: the value as the page has it, and the reason.
    let on_page: Vec<(String, &str)> = doc
        .plan
        .cuts
        .iter()
        .filter(|c| c.start < range.1 && c.end > range.0)
        .map(|c| {
            let from = c.start.max(range.0).min(chars.len());
            let to = c.end.min(range.1).min(chars.len());
            (chars[from..to].iter().collect(), c.reason.as_str())
        })
        .collect();
    let mut whole: Option<String> = doc
        .plan
        .whole_pages
        .iter()
        .find(|(p, _)| *p == page)
        .map(|(_, reason)| reason.clone());
    let mut labels = Vec::new();
    let mut fallback = false;
    if whole.is_none() && !on_page.is_empty() {
        let words = raster::words(source, page)?;
        for (value, reason) in &on_page {
            let boxes = raster::locate(&words, value);
            if boxes.is_empty() {
                // Not placeable by words (a scanned page): the page goes whole.
                let reasons: Vec<&str> = on_page.iter().map(|(_, r)| *r).collect();
                whole = Some(reasons.join(", "));
                fallback = true;
                break;
            }
            raster::burn(&mut image, words.width, &boxes);
            for rect in boxes {
                // Where boxes overlap, the first one's reason is written.
                if !labels.iter().any(|l: &Label| overlap(&l.rect, &rect)) {
                    labels.push(Label {
                        rect,
                        text: (*reason).to_owned(),
                    });
                }
            }
        }
    }
    if let Some(reason) = whole {
        // Nothing of the page is kept: a white page with the label's box.
        image.pixels.fill(255);
        let points = |px: usize| px as f32 * 72.0 / raster::DPI as f32;
        let (width, height) = (points(image.width), points(image.height));
        let rect = raster::page_box(width, height);
        raster::burn(&mut image, width, &[rect]);
        labels = vec![Label {
            rect,
            text: layout::label(&reason),
        }];
    }
    Ok(PageImage {
        image,
        labels,
        fallback,
    })
}

fn overlap(a: &[f32; 4], b: &[f32; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// A date as the load file gives it: the calendar date of an RFC 3339 time, else as is.
fn date_of(value: &str) -> String {
    match value.get(..10) {
        Some(day)
            if day.len() == 10
                && day.as_bytes()[4] == b'-'
                && day.as_bytes()[7] == b'-'
                && day.bytes().filter(u8::is_ascii_digit).count() == 8 =>
        {
            day.to_owned()
        }
        _ => value.to_owned(),
    }
}
