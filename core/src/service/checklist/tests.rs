//! Checklist jobs on a real database and index, without models: cells stored once, runs
//! resumed where they stopped, reviewers' decisions kept through re-runs, evidence that is
//! the stored text.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::checklist::Checklist;
use crate::checklist::decide::{CellState, Suggestion};
use crate::config::Config;
use crate::ingest::Silent;
use crate::storage::checklists::{DecisionKind, JobState};
use crate::storage::review::ReviewMark;

const SUPPLY: &str = "SUPPLY AGREEMENT\n\nThis Supply Agreement is made between Acme Ltd \
    (the Supplier) and Birch plc (the Customer).\n\n1. Term. This Agreement shall continue for \
    three (3) years from the Effective Date.\n\n2. Liability. The Supplier's aggregate \
    liability shall not exceed USD 2,000,000 in any contract year.\n\n3. Governing law. This \
    Agreement is governed by the laws of England and Wales.\n";

const LEASE: &str = "OFFICE LEASE\n\nThe tenant pays rent monthly. The landlord repairs the \
    roof.\n\nThis lease is governed by the laws of Scotland.\n";

const CHECKLIST: &str = "title = \"Test\"\n\n[[item]]\nid = \"governing_law\"\n\
    question = \"Which law governs the agreement?\"\nterms = [\"governed by\"]\n\n[[item]]\n\
    id = \"liability_cap\"\nquestion = \"Is liability capped?\"\n\
    terms = [\"aggregate liability\"]\nanswer = \"amount\"\n\n[[item]]\nid = \"term\"\n\
    question = \"How long does it last?\"\nterms = [\"shall continue for\"]\nanswer = \"duration\"\n";

struct Setup {
    _dir: tempfile::TempDir,
    kodiak: Kodiak,
    checklist: Checklist,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("supply.txt"), SUPPLY).unwrap();
    std::fs::write(docs.join("lease.txt"), LEASE).unwrap();
    let mut config = Config::default();
    config.embedder.enabled = false;
    config.generator.enabled = false;
    let kodiak = Kodiak::open(Settings::in_dir(dir.path(), config)).unwrap();
    kodiak.ingest(&[docs], &Silent).unwrap();
    let checklist = Checklist::parse(CHECKLIST, Path::new("test.toml")).unwrap();
    Setup {
        _dir: dir,
        kodiak,
        checklist,
    }
}

fn doc_id(kodiak: &Kodiak, name: &str) -> i64 {
    kodiak
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| d.path.ends_with(name))
        .unwrap()
        .id
}

/// Stops the run after `after` cells.
struct StopAfter {
    after: usize,
    seen: AtomicUsize,
}

impl JobProgress for StopAfter {
    fn advanced(&self, counts: JobCounts) {
        self.seen.store(counts.cells, Ordering::SeqCst);
    }
    fn cancelled(&self) -> bool {
        self.seen.load(Ordering::SeqCst) >= self.after
    }
}

#[test]
fn a_job_decides_every_cell_with_evidence_that_is_the_stored_text() {
    let s = setup();
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    let outcome = s.kodiak.run_checklist(job, &()).unwrap();
    assert_eq!(outcome.state, JobState::Done);
    assert_eq!((outcome.cells, outcome.total, outcome.decided), (6, 6, 6));
    let grid = s.kodiak.checklist_grid(job).unwrap();
    let supply = grid
        .rows
        .iter()
        .find(|r| r.path.ends_with("supply.txt"))
        .unwrap();
    let cap = supply.cells[1].as_ref().unwrap();
    assert_eq!(cap.suggestion.state, CellState::Found);
    assert_eq!(cap.suggestion.answer, "USD 2,000,000");
    let term = supply.cells[2].as_ref().unwrap();
    assert_eq!(term.suggestion.answer, "three (3) years");
    let lease = grid
        .rows
        .iter()
        .find(|r| r.path.ends_with("lease.txt"))
        .unwrap();
    assert_eq!(
        lease.cells[1].as_ref().unwrap().suggestion.state,
        CellState::NotFound
    );
    // Every quote is the document's text at its offsets, character for character.
    for row in &grid.rows {
        let text = s.kodiak.document_text(row.doc_id).unwrap().unwrap().text;
        let chars: Vec<char> = text.chars().collect();
        for cell in row.cells.iter().flatten() {
            for quote in &cell.suggestion.evidence {
                let at: String = chars[quote.char_start..quote.char_end].iter().collect();
                assert_eq!(at, quote.text);
            }
        }
    }
}

/// The cells a run reports as it stores them, in order.
#[derive(Default)]
struct Cells(std::sync::Mutex<Vec<(i64, String, Suggestion)>>);

impl JobProgress for Cells {
    fn cell(&self, document: i64, item: &str, suggestion: &Suggestion) {
        self.0
            .lock()
            .unwrap()
            .push((document, item.to_owned(), suggestion.clone()));
    }
}

#[test]
fn each_cell_is_reported_as_stored_and_a_new_job_reads_running_before_its_run() {
    let s = setup();
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    // Created by this process, which runs it next: not an interrupted job.
    let created = s.kodiak.checklist_job(job).unwrap();
    assert_eq!(created.state, JobState::Running);
    assert!(!created.interrupted);
    let cells = Cells::default();
    s.kodiak.run_checklist(job, &cells).unwrap();
    let reported = cells.0.into_inner().unwrap();
    let grid = s.kodiak.checklist_grid(job).unwrap();
    let stored: Vec<(i64, String, Suggestion)> = grid
        .rows
        .iter()
        .flat_map(|row| {
            grid.checklist
                .items
                .iter()
                .zip(&row.cells)
                .filter_map(move |(item, cell)| {
                    Some((
                        row.doc_id,
                        item.id.clone(),
                        cell.as_ref()?.suggestion.clone(),
                    ))
                })
        })
        .collect();
    assert_eq!(reported.len(), 6);
    for cell in &reported {
        assert!(stored.contains(cell), "reported but not stored: {cell:?}");
    }
}

#[test]
fn a_stopped_job_resumes_where_it_stopped_and_stores_no_cell_twice() {
    let s = setup();
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    let stop = StopAfter {
        after: 2,
        seen: AtomicUsize::new(0),
    };
    let first = s.kodiak.run_checklist(job, &stop).unwrap();
    assert_eq!(first.state, JobState::Cancelled);
    assert_eq!(first.cells, 2);
    let info = s.kodiak.checklist_job(job).unwrap();
    assert_eq!((info.cells, info.total), (2, 6));
    let second = s.kodiak.run_checklist(job, &()).unwrap();
    assert_eq!(second.state, JobState::Done);
    assert_eq!(second.decided, 4);
    assert_eq!(second.cells, 6);
    // A third run has nothing to do.
    let third = s.kodiak.run_checklist(job, &()).unwrap();
    assert_eq!(third.decided, 0);
    let conn = s.kodiak.db.conn().unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM checklist_cells WHERE job_id = ?1",
            [job],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 6);
}

#[test]
fn a_job_left_running_by_a_process_that_ended_is_interrupted_and_resumes() {
    let s = setup();
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    // As if killed mid-run: running, its writer a process that no longer exists.
    let gone = crate::process::ProcessId {
        pid: u32::MAX - 7,
        started: 1,
    };
    s.kodiak
        .db
        .write(|tx| {
            crate::storage::checklists::set_state(tx, job, JobState::Running, Some(gone))
                .map_err(ServiceError::from)
        })
        .unwrap();
    assert!(s.kodiak.checklist_job(job).unwrap().interrupted);
    let outcome = s.kodiak.run_checklist(job, &()).unwrap();
    assert_eq!((outcome.state, outcome.cells), (JobState::Done, 6));
    assert!(!s.kodiak.checklist_job(job).unwrap().interrupted);
}

#[test]
fn a_reviewers_decision_survives_a_new_run_of_the_same_checklist() {
    let s = setup();
    let supply = doc_id(&s.kodiak, "supply.txt");
    let first = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    s.kodiak.run_checklist(first, &()).unwrap();
    let corrected = s
        .kodiak
        .decide_cell(
            first,
            supply,
            "governing_law",
            DecisionInput::Correct("English law".into()),
            Some("clause 3"),
        )
        .unwrap();
    assert_eq!(corrected.answer(), "English law");
    // The suggestion's quotes do not bear out the reviewer's own answer.
    assert!(!corrected.suggestion.evidence.is_empty());
    assert!(corrected.evidence().is_empty());
    let text = crate::checklist::export::cell_text(&corrected);
    assert!(text.starts_with("found: English law ("), "{text}");
    assert!(
        !text.contains("p. "),
        "no pages of the suggestion's quotes: {text}"
    );
    let second = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    s.kodiak.run_checklist(second, &()).unwrap();
    let grid = s.kodiak.checklist_grid(second).unwrap();
    let row = grid.rows.iter().find(|r| r.doc_id == supply).unwrap();
    let cell = row.cells[0].as_ref().unwrap();
    let decision = cell.decision.as_ref().unwrap();
    assert_eq!(decision.decision, DecisionKind::Corrected);
    assert_eq!(decision.answer.as_deref(), Some("English law"));
    assert_eq!(decision.note.as_deref(), Some("clause 3"));
    assert_eq!(decision.job_id, Some(first));
    // The suggestion is the new run's own, kept apart from the decision.
    assert!(cell.suggestion.answer.contains("governed by"));
    assert_eq!(cell.answer(), "English law");
    let cleared = s
        .kodiak
        .decide_cell(second, supply, "governing_law", DecisionInput::Clear, None)
        .unwrap();
    assert_eq!(cleared.decision, None);
}

#[test]
fn a_scope_selects_documents_by_id_tag_and_status_and_refuses_an_empty_one() {
    let s = setup();
    let supply = doc_id(&s.kodiak, "supply.txt");
    let lease = doc_id(&s.kodiak, "lease.txt");
    s.kodiak.add_tag(lease, "property").unwrap();
    let tagged = JobScope {
        tags: vec!["property".into()],
        ..JobScope::default()
    };
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &tagged, false)
        .unwrap();
    let grid = s.kodiak.checklist_grid(job).unwrap();
    assert_eq!(
        grid.rows.iter().map(|r| r.doc_id).collect::<Vec<_>>(),
        [lease]
    );
    let named = JobScope {
        documents: vec![supply],
        ..JobScope::default()
    };
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &named, false)
        .unwrap();
    assert_eq!(s.kodiak.checklist_job(job).unwrap().documents, 1);
    let reviewed = JobScope {
        status: Some(ReviewMark::Reviewed),
        ..JobScope::default()
    };
    let empty = s
        .kodiak
        .start_checklist(&s.checklist, &reviewed, false)
        .unwrap_err();
    assert!(empty.to_string().contains("no ingested document matches"));
    let missing = JobScope {
        documents: vec![999],
        ..JobScope::default()
    };
    assert!(matches!(
        s.kodiak.start_checklist(&s.checklist, &missing, false),
        Err(ServiceError::NoSuchDocument(999))
    ));
}

#[test]
fn a_cancelled_job_is_seen_by_its_run_before_the_next_cell() {
    let s = setup();
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    s.kodiak.cancel_checklist(job).unwrap();
    // The run resumes a cancelled job: cancelling stops a run in progress, it does not
    // forbid going on later.
    let outcome = s.kodiak.run_checklist(job, &()).unwrap();
    assert_eq!(outcome.state, JobState::Done);

    /// Cancels the job from "another process" after the first cell.
    struct CancelInDb<'a> {
        kodiak: &'a Kodiak,
        job: i64,
    }
    impl JobProgress for CancelInDb<'_> {
        fn advanced(&self, counts: JobCounts) {
            if counts.cells == 1 {
                self.kodiak.cancel_checklist(self.job).unwrap();
            }
        }
    }
    let job = s
        .kodiak
        .start_checklist(&s.checklist, &JobScope::default(), false)
        .unwrap();
    let outcome = s
        .kodiak
        .run_checklist(
            job,
            &CancelInDb {
                kodiak: &s.kodiak,
                job,
            },
        )
        .unwrap();
    assert_eq!((outcome.state, outcome.cells), (JobState::Cancelled, 1));
}

const DISTRIBUTION: &str = "DISTRIBUTION AGREEMENT\n\nThis Distribution Agreement (the \
    \"Agreement\") is entered into as of March 3, 2021 (the \"Effective Date\") by and between \
    Larkspur Devices, Inc., a Delaware corporation (\"Larkspur\"), and Oriel Trading Ltd., a \
    company organised under the laws of Ontario (\"Distributor\").\n\n1. APPOINTMENT\n\n1.1 \
    Larkspur appoints Distributor as a non-exclusive distributor of the Products in the \
    Territory.\n\n2. PAYMENT\n\n2.1 Distributor shall pay each invoice within thirty (30) days \
    of its date.\n\n12. GOVERNING LAW.\n\n12.1 This Agreement shall be construed and enforced in \
    accordance with the laws of the State of California, without regard to its conflict of laws \
    principles.\n\n12.2 Notices shall be sent to the addresses above.\n";

#[test]
fn an_item_naming_a_clause_type_is_decided_by_the_detector_quoting_the_sentence_under_the_heading()
{
    let s = setup();
    std::fs::write(s._dir.path().join("docs/distribution.txt"), DISTRIBUTION).unwrap();
    s.kodiak
        .ingest(&[s._dir.path().join("docs")], &Silent)
        .unwrap();
    let checklist = Checklist::parse(
        "title = \"Law\"\n\n[[item]]\nid = \"law\"\nquestion = \"Which law governs?\"\n\
         clause = \"governing_law\"\nanswer = \"jurisdiction\"\n",
        Path::new("law.toml"),
    )
    .unwrap();
    let id = doc_id(&s.kodiak, "distribution.txt");
    let scope = JobScope {
        documents: vec![id],
        ..JobScope::default()
    };
    let job = s.kodiak.start_checklist(&checklist, &scope, false).unwrap();
    s.kodiak.run_checklist(job, &()).unwrap();
    let grid = s.kodiak.checklist_grid(job).unwrap();
    let cell = grid.rows[0].cells[0].as_ref().unwrap();
    let suggestion = &cell.suggestion;
    assert_eq!(suggestion.state, CellState::Found, "{suggestion:?}");
    assert_eq!(suggestion.answer, "State of California");
    let quote = &suggestion.evidence[0];
    assert!(
        quote
            .text
            .starts_with("12.1 This Agreement shall be construed")
            || quote.text.starts_with("This Agreement shall be construed"),
        "the clause, not its heading: {quote:?}"
    );
    assert!(
        quote.text.ends_with("conflict of laws principles."),
        "{quote:?}"
    );
    // The detector's score is the cell's confidence.
    assert!(suggestion.confidence > 0.5, "{suggestion:?}");
    // The quote is placed in the chunk that holds it, on its page.
    let places = documents::places_with_pages(&s.kodiak.db.conn().unwrap(), id).unwrap();
    let (chunk, page) = places
        .iter()
        .find(|(p, _)| p.chunk_id == quote.chunk_id)
        .expect("the quote names one of the document's chunks");
    assert!(chunk.char_start <= quote.char_start && quote.char_start < chunk.char_end);
    assert_eq!((quote.page, *page), (1, 1));
}

#[test]
fn a_clause_type_the_model_does_not_know_is_refused_before_a_job_exists() {
    let s = setup();
    let checklist = Checklist::parse(
        "title = \"Law\"\n\n[[item]]\nid = \"law\"\nquestion = \"Which law governs?\"\n\
         clause = \"governing_lawz\"\n",
        Path::new("law.toml"),
    )
    .unwrap();
    let error = s
        .kodiak
        .start_checklist(&checklist, &JobScope::default(), false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("`governing_lawz`"), "{error}");
    assert!(
        error.contains("governing_law,"),
        "names the known types: {error}"
    );
    assert!(s.kodiak.checklist_jobs().unwrap().is_empty());
}

#[test]
fn a_document_naming_no_contracting_party_gets_no_parties_found() {
    let s = setup();
    let checklist = Checklist::parse(
        "title = \"Parties\"\n\n[[item]]\nid = \"parties\"\nquestion = \"Who are the parties?\"\n\
         clause = \"parties\"\nanswer = \"parties\"\n",
        Path::new("parties.toml"),
    )
    .unwrap();
    let job = s
        .kodiak
        .start_checklist(&checklist, &JobScope::default(), false)
        .unwrap();
    s.kodiak.run_checklist(job, &()).unwrap();
    let grid = s.kodiak.checklist_grid(job).unwrap();
    let state = |name: &str| {
        let row = grid.rows.iter().find(|r| r.path.ends_with(name)).unwrap();
        row.cells[0].as_ref().unwrap().suggestion.clone()
    };
    let supply = state("supply.txt");
    assert_eq!(supply.state, CellState::Found, "{supply:?}");
    assert_eq!(
        supply.answer,
        "Acme Ltd (\"Supplier\"); Birch plc (\"Customer\")"
    );
    // The lease's best sentence speaks of a tenant and a landlord, not of parties.
    let lease = state("lease.txt");
    assert_ne!(lease.state, CellState::Found, "{lease:?}");
}
