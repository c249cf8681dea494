//! The service with the real default models, its workers started from the core's own
//! `kodiak-engine`: hybrid retrieval, masking on the way to the model, reembedding,
//! answers that lead with evidence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kodiak::Kodiak;
use kodiak::config::{Config, Settings};
use kodiak::ingest::Silent;
use kodiak::search::Mode;
use kodiak::service::{AskOptions, Piece, SearchOptions, SearchOutcome, ToEmbed};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    docs: PathBuf,
}

fn fixture(files: &[(&str, &str)]) -> Fixture {
    let models = kodiak::config::default_models_dir();
    assert!(
        models.join(kodiak::config::DEFAULT_EMBEDDER_FILE).is_file(),
        "these tests need the default models in {}: run scripts/fetch-models",
        models.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let docs = root.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for (name, text) in files {
        std::fs::write(docs.join(name), text).unwrap();
    }
    Fixture {
        _dir: dir,
        root,
        docs,
    }
}

fn open(f: &Fixture, config: Config) -> Kodiak {
    let settings =
        Settings::in_dir(&f.root, config).with_engine(env!("CARGO_BIN_EXE_kodiak-engine"));
    Kodiak::open(settings).unwrap()
}

fn rank_of(outcome: &SearchOutcome, path_end: &str) -> Option<usize> {
    outcome
        .hits
        .iter()
        .position(|h| h.path.ends_with(path_end))
        .map(|i| i + 1)
}

#[test]
fn hybrid_finds_a_paraphrase_that_bm25_ranks_low() {
    // The question's words are all over the distractors, which are about other things; the
    // passage that answers it uses none of them.
    let mut files = vec![(
        "payment-terms.txt",
        "Payment of each monthly lease amount is expected on day one of every calendar month.",
    )];
    let distractors = [
        "When the fire alarm sounds, the tenant must leave the building by the stairs.",
        "The tenant list at reception does not have phone numbers.",
        "Pay slips are sent when the month closes; the payroll team does the rest.",
        "The car rent desk at the airport does not have to open on Sundays.",
        "When does the tenant choir rehearse? They have to book the hall.",
        "The tenant magazine has to go to print when the editor says so.",
    ];
    let names: Vec<String> = (0..distractors.len())
        .map(|i| format!("note-{i}.txt"))
        .collect();
    for (name, text) in names.iter().zip(distractors) {
        files.push((name, text));
    }
    // Fillers about other things entirely, so the corpus is larger than each ranking's
    // candidate list, as in any real collection.
    let fillers = [
        "The quarterly board meeting approved the audit committee charter.",
        "Server backups run nightly and are kept for ninety days.",
        "The marketing budget for the spring campaign was reduced.",
        "Safety goggles are required in the laboratory at all times.",
        "The software licence covers fifty named users.",
        "Minutes of the annual general meeting were circulated to members.",
    ];
    let filler_names: Vec<String> = (0..fillers.len())
        .map(|i| format!("filler-{i}.txt"))
        .collect();
    for (name, text) in filler_names.iter().zip(fillers) {
        files.push((name, text));
    }
    let f = fixture(&files);
    let mut config = Config::default();
    config.retrieval.candidates = 5;
    let kodiak = open(&f, config);
    let report = kodiak
        .ingest(std::slice::from_ref(&f.docs), &Silent)
        .unwrap();
    assert_eq!(report.chunks_embedded, files.len());
    let question = "When does the tenant have to pay the rent?";
    let search = |mode| {
        kodiak
            .search(
                question,
                &SearchOptions {
                    mode: Some(mode),
                    limit: 5,
                    documents: Vec::new(),
                },
            )
            .unwrap()
    };
    let bm25 = search(Mode::Bm25);
    assert_eq!(bm25.mode, Mode::Bm25);
    assert_eq!(bm25.hits.len(), 5);
    assert_eq!(rank_of(&bm25, "payment-terms.txt"), None, "{bm25:#?}");
    let hybrid = search(Mode::Hybrid);
    assert_eq!(hybrid.mode, Mode::Hybrid);
    let rank = rank_of(&hybrid, "payment-terms.txt");
    assert!(rank.is_some(), "{hybrid:#?}");
    let hit = &hybrid.hits[rank.unwrap() - 1];
    assert_eq!(hit.bm25_rank, None, "no word of the question is in it");
    assert!(hit.vector_rank.is_some_and(|r| r <= 2), "{hit:?}");
    // Scoping to other documents leaves it out.
    let scoped = kodiak
        .search(
            question,
            &SearchOptions {
                mode: Some(Mode::Hybrid),
                limit: 3,
                documents: vec![
                    hybrid
                        .hits
                        .iter()
                        .find(|h| h.doc_id != hit.doc_id)
                        .unwrap()
                        .doc_id,
                ],
            },
        )
        .unwrap();
    assert!(scoped.hits.iter().all(|h| h.doc_id != hit.doc_id));
    assert!(!scoped.hits.is_empty());
}

#[test]
fn vectors_follow_removal_and_a_new_embedder_is_detected_and_reembedded() {
    let f = fixture(&[
        ("a.txt", "The deposit is returned within thirty days."),
        (
            "b.txt",
            "Smoking is not permitted anywhere in the building.",
        ),
    ]);
    let kodiak = open(&f, Config::default());
    kodiak
        .ingest(std::slice::from_ref(&f.docs), &Silent)
        .unwrap();
    let vector = |k: &Kodiak| {
        k.search(
            "Is smoking allowed?",
            &SearchOptions {
                mode: Some(Mode::Vector),
                limit: 5,
                documents: Vec::new(),
            },
        )
        .unwrap()
    };
    let before = vector(&kodiak);
    assert_eq!(before.hits.len(), 2);
    assert!(before.hits[0].path.ends_with("b.txt"));
    kodiak.remove_document(before.hits[0].doc_id).unwrap();
    let after = vector(&kodiak);
    assert_eq!(after.hits.len(), 1, "the removed document's vector is gone");
    assert!(after.hits[0].path.ends_with("a.txt"));

    // Another embedder's vectors: the same model under another name stands in for it.
    let copy = f.root.join("renamed-embedder.gguf");
    std::fs::copy(kodiak::llm::FetchedModel::MiniLm.path(), &copy).unwrap();
    let mut config = Config::default();
    config.embedder.model = Some(copy);
    drop(kodiak);
    let kodiak = open(&f, config);
    let stale = vector(&kodiak);
    assert!(
        stale.notes.iter().any(|n| n.contains("kodiak reembed")),
        "{stale:?}"
    );
    assert_eq!(stale.mode, Mode::Bm25, "no vector of this embedder yet");
    let report = kodiak
        .embed_missing(ToEmbed::NotFromCurrent, &Silent)
        .unwrap();
    assert_eq!((report.embedded, report.error), (1, None));
    let fresh = vector(&kodiak);
    assert!(fresh.notes.is_empty(), "{:?}", fresh.notes);
    assert_eq!(fresh.hits.len(), 1);
}

#[test]
fn the_model_sees_placeholders_and_the_answer_restores_each_one_it_writes() {
    let f = fixture(&[(
        "contact.txt",
        "Billing questions go to jane.roe@example.com. Jane Roe answers within two days.",
    )]);
    let mut config = Config::default();
    config.generator.temperature = 0.0;
    config.generator.max_tokens = 24;
    config.generator.system_prompt = "Repeat the passage word for word.".into();
    let kodiak = open(&f, config);
    kodiak
        .ingest(std::slice::from_ref(&f.docs), &Silent)
        .unwrap();
    let options = AskOptions {
        question: "Where do billing questions go? Copy jane.roe@example.com if it is the address."
            .into(),
        ..AskOptions::default()
    };
    let mut shown = String::new();
    let answer = kodiak
        .ask(&options, &mut |piece| {
            if let Piece::Text(t) = piece {
                shown.push_str(t);
            }
        })
        .unwrap();
    assert_eq!(answer.mode, kodiak::answer::AnswerMode::Generated);
    assert_eq!(shown, answer.answer);
    let stored = kodiak
        .conversation(answer.conversation_id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.turns[0].question, options.question);
    let record = &stored.turns[0].answer.as_ref().unwrap().record;
    // The model saw placeholders, in the passages and in the question, never the address.
    let prompt = &record.prompt_user;
    assert!(prompt.contains("[EMAIL_ADDRESS_1]"), "{prompt}");
    assert!(!prompt.contains("jane.roe@example.com"), "{prompt}");
    let model_text = &record.model_text;
    assert!(!model_text.contains("@example.com"), "{model_text}");
    // Whatever the model wrote, the reviewer reads it with every placeholder it used
    // replaced by the value (the greedy model's wording varies with the machine).
    let mut restored = model_text.to_owned();
    for (placeholder, value) in &record.placeholders {
        restored = restored.replace(placeholder, value);
    }
    assert_eq!(answer.answer, restored);
    assert!(!answer.answer.contains("[EMAIL_ADDRESS_1]"));
}

#[test]
fn an_answer_leading_with_evidence_sends_it_before_the_draft_and_stores_it_with_the_answer() {
    let f = fixture(&[(
        "lease.txt",
        "The deposit is returned within thirty-one days after the tenant leaves. \
         Pets need the landlord's written consent.",
    )]);
    let mut config = Config::default();
    config.generator.temperature = 0.0;
    config.generator.max_tokens = 8;
    config.generator.lead = kodiak::config::Lead::Evidence;
    let kodiak = open(&f, config);
    kodiak
        .ingest(std::slice::from_ref(&f.docs), &Silent)
        .unwrap();
    let options = AskOptions {
        question: "When is the deposit returned?".into(),
        ..AskOptions::default()
    };
    let mut pieces: Vec<(bool, String)> = Vec::new();
    let answer = kodiak
        .ask(&options, &mut |piece| match piece {
            Piece::Evidence(text) => pieces.push((true, text.to_owned())),
            Piece::Text(text) => pieces.push((false, text.to_owned())),
        })
        .unwrap();
    assert_eq!(answer.mode, kodiak::answer::AnswerMode::Generated);
    let evidence = answer
        .evidence
        .as_ref()
        .expect("the answer leads with evidence");
    assert!(
        evidence
            .text
            .contains("\"The deposit is returned within thirty-one days"),
        "{}",
        evidence.text
    );
    assert_eq!(evidence.citations[0].n, 1);
    assert_eq!(
        pieces[0],
        (true, evidence.text.clone()),
        "evidence comes first"
    );
    let draft: String = pieces[1..].iter().map(|(_, t)| t.as_str()).collect();
    assert!(pieces[1..].iter().all(|(is_evidence, _)| !is_evidence));
    assert_eq!(
        draft, answer.answer,
        "the model's text follows as the draft"
    );
    let stored = kodiak
        .conversation(answer.conversation_id)
        .unwrap()
        .unwrap();
    let record = &stored.turns[0].answer.as_ref().unwrap().record;
    assert_eq!(record.evidence.as_ref(), Some(evidence));

    // With the model's text leading, there is no evidence block.
    drop(kodiak);
    let mut config = Config::default();
    config.generator.max_tokens = 8;
    config.generator.lead = kodiak::config::Lead::Model;
    let kodiak = open(&f, config);
    let answer = kodiak
        .ask(&options, &mut |piece| {
            assert!(matches!(piece, Piece::Text(_)), "{piece:?}");
        })
        .unwrap();
    assert_eq!(answer.evidence, None);
}

#[test]
fn a_checklist_run_with_the_model_asks_it_only_about_cells_the_rules_left_uncertain() {
    use kodiak::checklist::Checklist;
    use kodiak::checklist::decide::CellState;
    use kodiak::service::JobScope;

    let f = fixture(&[
        (
            "licence.txt",
            "SOFTWARE LICENCE AGREEMENT\n\nThis Software Licence Agreement is made between \
             Fenwick Systems Ltd (\"Licensor\") and Grayling Foods plc (\"Licensee\").\n\n\
             1. ESCROW\n\n1.1 The source code of the Software is deposited with a third party \
             each quarter.\n\n9. GOVERNING LAW\n\n9.1 This Agreement is governed by the laws of \
             England and Wales.\n",
        ),
        (
            "memo.txt",
            "Team lunch moves to Thursday. Bring the quarterly figures.\n",
        ),
    ]);
    let models = kodiak::config::default_models_dir();
    assert!(
        models
            .join(kodiak::config::DEFAULT_GENERATOR_FILE)
            .is_file(),
        "this test needs the default generator in {}: run scripts/fetch-models",
        models.display()
    );
    let kodiak = open(&f, Config::default());
    kodiak
        .ingest(std::slice::from_ref(&f.docs), &Silent)
        .unwrap();
    let checklist = Checklist::parse(
        "title = \"Licence\"\n\n[[item]]\nid = \"law\"\nquestion = \"Which law governs?\"\n\
         clause = \"governing_law\"\nanswer = \"jurisdiction\"\n\n[[item]]\nid = \"escrow\"\n\
         question = \"Is the source code deposited in escrow?\"\nterms = [\"escrow agent\"]\n\
         answer = \"yes_no\"\n",
        std::path::Path::new("licence.toml"),
    )
    .unwrap();
    let run = |use_model: bool| {
        let job = kodiak
            .start_checklist(&checklist, &JobScope::default(), use_model)
            .unwrap();
        let outcome = kodiak.run_checklist(job, &()).unwrap();
        (outcome, kodiak.checklist_grid(job).unwrap())
    };
    let (_, rules) = run(false);
    let (outcome, with_model) = run(true);
    let cells = |grid: &kodiak::service::Grid| -> Vec<kodiak::checklist::decide::Suggestion> {
        grid.rows
            .iter()
            .flat_map(|r| r.cells.iter().flatten().map(|c| c.suggestion.clone()))
            .collect()
    };
    let (rules, with_model) = (cells(&rules), cells(&with_model));
    let uncertain = rules
        .iter()
        .filter(|s| s.state == CellState::Uncertain)
        .count();
    assert!(
        uncertain >= 1,
        "the escrow cell shares the question's words only: {rules:?}"
    );
    assert_eq!(outcome.model.map(|m| m.cells), Some(uncertain));
    // Every cell the rules decided is the same with the model.
    for (rule, model) in rules.iter().zip(&with_model) {
        if rule.state != CellState::Uncertain {
            assert_eq!(rule, model);
        }
    }
}

/// Which kinds of vectors an ingest made, in the order it began them.
#[derive(Default)]
struct Phases(std::cell::RefCell<Vec<&'static str>>);

impl kodiak::ingest::Progress for Phases {
    fn started(&self, _: usize, _: u64) {}
    fn file_done(&self, _: &str, _: u64, _: &kodiak::ingest::Outcome) {}
    fn indexing(&self) {}
    fn fast_vectors(&self, done: usize, _: usize) {
        if done == 0 {
            self.0.borrow_mut().push("fast");
        }
    }
    fn embedding(&self, done: usize, _: usize) {
        if done == 0 {
            self.0.borrow_mut().push("full");
        }
    }
}

#[test]
fn fast_vectors_are_distilled_beside_the_model_made_before_its_vectors_and_serve_search_as_the_matter_chooses()
 {
    use kodiak::config::VectorChoice;
    use kodiak::llm::{StaticEmbedder, cosine};
    let f = fixture(&[
        (
            "payment-terms.txt",
            "Payment of each monthly lease amount is expected on day one of every calendar month.",
        ),
        (
            "smoking.txt",
            "Smoking is not permitted anywhere in the building.",
        ),
        (
            "backups.txt",
            "Server backups run nightly and are kept for ninety days.",
        ),
    ]);
    // A model file of this test's own, so that its fast model is distilled here.
    let model = f.root.join("own-embedder.gguf");
    std::fs::copy(kodiak::llm::FetchedModel::MiniLm.path(), &model).unwrap();
    let mut config = Config::default();
    config.generator.enabled = false;
    config.embedder.model = Some(model.clone());
    let kodiak = open(&f, config);
    let phases = Phases::default();
    let report = kodiak
        .ingest(std::slice::from_ref(&f.docs), &phases)
        .unwrap();
    assert_eq!(*phases.0.borrow(), ["fast", "full"]);
    assert_eq!((report.chunks_embedded, report.embedding_error), (3, None));
    let status = kodiak.vector_status().unwrap();
    assert_eq!(
        (status.choice, status.chosen_here),
        (VectorChoice::Full, false)
    );
    assert_eq!((status.fast.with_vectors, status.full.with_vectors), (3, 3));

    // Kept beside the model, named for its checksum; it places a paraphrase nearer than an
    // unrelated sentence, as the model does.
    let kept: Vec<PathBuf> = std::fs::read_dir(&f.root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "kse"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let name = kept[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("own-embedder.fast-867847944cf5"), "{name}");
    let source = kodiak.embedder().unwrap().unwrap().identity().clone();
    let fast = StaticEmbedder::load(&kept[0], &source).unwrap();
    assert!(fast.tokens() > 29_000, "{} tokens", fast.tokens());
    let rent = fast.embed("The tenant must pay rent on the first day of each month.");
    let paraphrase = cosine(
        &rent,
        &fast.embed("Rent is due at the start of every month."),
    );
    let unrelated = cosine(&rent, &fast.embed("The weather in Paris is sunny today."));
    assert!(
        paraphrase > unrelated + 0.2,
        "{paraphrase} against {unrelated}"
    );

    let search = |k: &Kodiak, mode| {
        k.search(
            "Is smoking allowed?",
            &SearchOptions {
                mode,
                limit: 3,
                documents: Vec::new(),
            },
        )
        .unwrap()
    };
    // A fast matter ranks by the fast vectors alone.
    kodiak.set_vector_choice(VectorChoice::Fast).unwrap();
    let by_fast = search(&kodiak, Some(Mode::Vector));
    assert_eq!(by_fast.mode, Mode::Vector, "{:?}", by_fast.notes);
    assert!(by_fast.hits[0].path.ends_with("smoking.txt"), "{by_fast:?}");

    // A document ingested while the matter is fast has no vector from the model; back in
    // full, its fast vector finds it until `reembed` gives it one.
    let later = f.root.join("later");
    std::fs::create_dir_all(&later).unwrap();
    std::fs::write(
        later.join("fire.txt"),
        "Lighting a cigarette on the premises is forbidden.",
    )
    .unwrap();
    let report = kodiak
        .ingest(std::slice::from_ref(&later), &Silent)
        .unwrap();
    assert_eq!(
        report.chunks_embedded, 0,
        "a fast matter does not run the model"
    );
    kodiak.set_vector_choice(VectorChoice::Full).unwrap();
    let status = kodiak.vector_status().unwrap();
    assert_eq!((status.fast.with_vectors, status.full.with_vectors), (4, 3));
    let fused = search(&kodiak, Some(Mode::Vector));
    assert!(
        fused.hits.iter().any(|h| h.path.ends_with("fire.txt")),
        "{fused:?}"
    );
    assert!(fused.notes.is_empty(), "{:?}", fused.notes);

    // A matter that searches by words alone is searched by BM25 unless asked otherwise.
    kodiak.set_vector_choice(VectorChoice::None).unwrap();
    assert_eq!(search(&kodiak, None).mode, Mode::Bm25);
    let events = kodiak
        .audit_entries(&kodiak::service::AuditFilter {
            action: Some("vectors".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.len(), 3, "each choice is in the audit trail");
}
