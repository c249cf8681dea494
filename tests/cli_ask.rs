//! `kodiak ask` and `kodiak conversations` on the sample documents with the real default
//! models (fetched by `scripts/fetch-models`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::Sandbox;
use serde_json::Value;

fn samples() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-docs")
}

fn run_json(sandbox: &Sandbox, args: &[&str]) -> Value {
    sandbox.json(args)
}

/// A sandbox with the samples ingested, answers kept short so the tests stay quick.
fn ingested(extra_config: &str) -> Sandbox {
    let models = kodiak::config::default_models_dir();
    for model in [
        kodiak::config::DEFAULT_GENERATOR_FILE,
        kodiak::config::DEFAULT_EMBEDDER_FILE,
    ] {
        assert!(
            models.join(model).is_file(),
            "{} is missing: these tests need the default models; run scripts/fetch-models",
            models.join(model).display()
        );
    }
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[generator]\nmax_tokens = 48\ntemperature = 0.0\n{extra_config}"
    ));
    let report = run_json(
        &sandbox,
        &["ingest", "--json", &samples().display().to_string()],
    );
    assert_eq!(report["ingested"], 8);
    assert!(report["chunks_embedded"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["embedding_error"], Value::Null);
    sandbox
}

/// Every citation points at a stored chunk whose text contains its quote, at the
/// chunk's place in its document.
fn assert_citations_resolve(sandbox: &Sandbox, answer: &Value) {
    let db = rusqlite::Connection::open(sandbox.data_dir().join("kodiak.db")).unwrap();
    for citation in answer["citations"].as_array().unwrap() {
        let (text, doc, start, end): (String, i64, i64, i64) = db
            .query_row(
                // A chunk's text is its document's, from char_start to char_end.
                "SELECT substr(t.text, c.char_start + 1, c.char_end - c.char_start),
                        c.document_id, c.char_start, c.char_end
                 FROM chunks c JOIN document_texts t ON t.document_id = c.document_id
                 WHERE c.id = ?1",
                [citation["chunk_id"].as_i64().unwrap()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        let quote = citation["quote"].as_str().unwrap();
        assert!(
            !quote.is_empty() && text.contains(quote),
            "{quote:?} not in chunk"
        );
        assert_eq!(citation["doc_id"], doc);
        assert_eq!(
            (
                citation["char_start"].as_i64(),
                citation["char_end"].as_i64()
            ),
            (Some(start), Some(end))
        );
        let n = citation["n"].as_u64().unwrap();
        assert!(
            answer["sources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["n"] == n),
            "citation [{n}] has no source"
        );
    }
}

#[test]
fn ask_json_has_the_documented_shape_and_citations_resolve() {
    let sandbox = ingested("");
    let answer = run_json(
        &sandbox,
        &[
            "ask",
            "--json",
            "--k",
            "3",
            "How much notice must the tenant give?",
        ],
    );
    for key in ["answer", "mode", "citations", "sources", "dropped", "stats"] {
        assert!(answer.get(key).is_some(), "{key} missing in {answer}");
    }
    assert_eq!(answer["mode"], "generated");
    assert!(!answer["answer"].as_str().unwrap().is_empty());
    for key in [
        "prompt_tokens",
        "completion_tokens",
        "ttft_ms",
        "prefill_ms",
        "decode_tokens_per_s",
    ] {
        assert!(answer["stats"][key].is_number(), "stats.{key} in {answer}");
    }
    assert!(answer["stats"]["completion_tokens"].as_u64().unwrap() <= 48);
    let sources = answer["sources"].as_array().unwrap();
    assert!(!sources.is_empty() && sources.len() <= 3);
    for source in sources {
        for key in [
            "n", "doc_id", "chunk_id", "path", "title", "page", "snippet",
        ] {
            assert!(source.get(key).is_some(), "{key} missing in {source}");
        }
    }
    assert_citations_resolve(&sandbox, &answer);

    // Each sentence of the generated answer is checked against its sources.
    let grounded = answer["grounded"].as_f64().expect("grounded");
    assert!((0.0..=1.0).contains(&grounded), "{grounded}");
    let text = answer["answer"].as_str().unwrap();
    let sentences = answer["sentences"].as_array().expect("sentences");
    assert!(!sentences.is_empty());
    for sentence in sentences {
        let (start, end) = (
            sentence["start"].as_u64().unwrap() as usize,
            sentence["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            Some(sentence["text"].as_str().unwrap()),
            text.get(start..end)
        );
        let support = sentence["support"].as_str().unwrap();
        assert!(
            ["supported", "partly_supported", "unsupported", "uncited"].contains(&support),
            "{sentence}"
        );
        assert!(sentence["unsupported_terms"].is_array(), "{sentence}");
    }

    // The default model's answer leads with the evidence: quotes that resolve to listed
    // passages; the model's text is the draft beneath it.
    // A value line leads when quote [1] states the value asked for ("Notice: sixty (60)
    // days [1]"); every other line is a quote.
    let evidence = &answer["evidence"];
    let evidence_text = evidence["text"].as_str().expect("evidence text");
    let mut lines = evidence_text.lines().filter(|l| !l.is_empty()).peekable();
    if let Some(value) = evidence["value"].as_str() {
        let first = lines.next().unwrap_or_default();
        assert!(
            first.contains(&format!(": {value} [")) && first.ends_with(']'),
            "{evidence_text}"
        );
    }
    assert!(lines.peek().is_some(), "{evidence_text}");
    assert!(lines.all(|l| l.starts_with('[')), "{evidence_text}");
    let quoted = serde_json::json!({
        "citations": evidence["citations"],
        "sources": answer["sources"],
    });
    assert!(!quoted["citations"].as_array().unwrap().is_empty());
    assert_citations_resolve(&sandbox, &quoted);
    let shown = sandbox.stdout(&["ask", "How much notice must the tenant give?"]);
    let evidence_at = shown
        .find("Evidence, quoted from the documents:\n")
        .unwrap_or_else(|| panic!("no evidence heading in\n{shown}"));
    let draft_at = shown
        .find("Draft by the model, not verified")
        .unwrap_or_else(|| panic!("no draft heading in\n{shown}"));
    assert!(evidence_at < draft_at, "{shown}");

    // Extractive answers cite every passage, with quotes from the chunks.
    let extractive = run_json(
        &sandbox,
        &[
            "ask",
            "--json",
            "--no-llm",
            "How much notice must the tenant give?",
        ],
    );
    assert_eq!(extractive["mode"], "extractive");
    assert!(
        extractive.get("sentences").is_none(),
        "quotes are not checked"
    );
    assert!(
        extractive["answer"]
            .as_str()
            .unwrap()
            .starts_with("Extractive answer")
    );
    assert_eq!(
        extractive["citations"].as_array().unwrap().len(),
        extractive["sources"].as_array().unwrap().len()
    );
    assert!(!extractive["citations"].as_array().unwrap().is_empty());
    assert_citations_resolve(&sandbox, &extractive);
}

#[test]
fn a_wrong_model_path_answers_extractively_and_health_says_why() {
    let sandbox = ingested("model = \"/nonexistent/model.gguf\"\n");
    let answer = run_json(&sandbox, &["ask", "--json", "Who is the landlord?"]);
    assert_eq!(answer["mode"], "extractive");
    let notes = answer["notes"].to_string();
    assert!(
        notes.contains("/nonexistent/model.gguf") && notes.contains("no such file"),
        "{notes}"
    );
    assert_citations_resolve(&sandbox, &answer);

    let output = sandbox
        .kodiak()
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed model degrades health"
    );
    let health: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(health["components"]["llm"]["state"], "failed");
    assert_eq!(health["components"]["embedder"]["state"], "ready");
    assert_eq!(health["components"]["embedder"]["dimensions"], 384);
}

#[test]
fn conversations_are_stored_continued_and_exported() {
    let sandbox = ingested("");
    let first = run_json(&sandbox, &["ask", "--json", "What is the monthly rent?"]);
    let id = first["conversation_id"].as_i64().unwrap().to_string();
    let second = run_json(
        &sandbox,
        &["ask", "--json", "--conversation", &id, "And the deposit?"],
    );
    assert_eq!(second["conversation_id"].as_i64().unwrap().to_string(), id);
    // The second turn replays the first: part of its prompt is already in the cache only
    // within one process, but the history is in the prompt either way.
    assert!(
        second["stats"]["prompt_tokens"].as_u64() > first["stats"]["prompt_tokens"].as_u64(),
        "the history is part of the second prompt"
    );

    let list = run_json(&sandbox, &["conversations", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["messages"], 4);
    let export = run_json(
        &sandbox,
        &["conversations", "export", &id, "--format", "json"],
    );
    let messages = export["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"], "What is the monthly rent?");
    assert_eq!(messages[1]["status"], "complete");
    assert!(messages[1].get("placeholders").is_none());
    let output = sandbox
        .kodiak()
        .args(["conversations", "export", &id])
        .output()
        .unwrap();
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(
        markdown.starts_with("# What is the monthly rent?"),
        "{markdown}"
    );
    assert!(markdown.contains("## Question\n\nAnd the deposit?"));
    let evidence_at = markdown.find("## Evidence, quoted from the documents\n\n");
    let draft_at = markdown.find("## Draft by the model, not verified\n");
    assert!(
        evidence_at.is_some() && evidence_at < draft_at,
        "{markdown}"
    );
    assert!(
        messages[1]["evidence"]["text"].is_string(),
        "{}",
        messages[1]
    );

    let missing = sandbox
        .kodiak()
        .args(["ask", "--conversation", "999", "Anything?"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no conversation with id 999"));
}

#[test]
fn the_rate_limit_refuses_the_request_over_it() {
    let sandbox = ingested("[limits]\nrequests = 3\nwindow_secs = 600\n");
    // The ingest was request 1.
    for _ in 0..2 {
        run_json(&sandbox, &["ask", "--json", "--no-llm", "Who signs?"]);
    }
    let output = sandbox
        .kodiak()
        .args(["ask", "--no-llm", "Who signs?"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rate limit reached: 3 per 600 s, retry in"),
        "{stderr}"
    );
    let log = std::fs::read_dir(sandbox.log_dir())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(
        log.contains("rate limit reached") && log.contains("limit=3"),
        "{log}"
    );
}

/// The model process dies mid-answer (the hidden debug switch makes it): the answer is
/// stored as failed with what was written, `ask` says why and exits 1, a crash report
/// holds no document text, and the next `ask` works.
#[test]
fn a_model_process_crash_stores_the_answer_as_failed_and_the_next_ask_works() {
    let sandbox = ingested("");
    let question = "When is the security deposit returned?";
    let output = sandbox
        .kodiak()
        .env("KODIAK_DEBUG_ENGINE_CRASH", "generator,after=3")
        .args(["ask", "--json", question])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer["failure"],
        "the model process crashed (signal 11, SIGSEGV)"
    );
    let written = answer["answer"].as_str().unwrap();
    assert!(!written.is_empty(), "{answer}");

    let db = rusqlite::Connection::open(sandbox.data_dir().join("kodiak.db")).unwrap();
    let (status, content): (String, String) = db
        .query_row(
            "SELECT status, content FROM messages WHERE role = 'assistant'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), content.as_str()), ("failed", written));

    let reports = run_json(&sandbox, &["crash-reports", "list", "--json"]);
    let id = reports[0]["id"].as_str().unwrap().to_owned();
    assert!(
        reports[0]["message"]
            .as_str()
            .unwrap()
            .contains("signal 11, SIGSEGV) while generating"),
        "{reports}"
    );
    let report = std::fs::read_to_string(sandbox.crash_dir().join(format!("{id}.json"))).unwrap();
    for text in [
        "Security Deposit",
        "3,225",
        "daniel.okafor",
        "512-44-3198",
        written,
    ] {
        assert!(!report.contains(text), "{text:?} is in the crash report");
    }

    let next = run_json(&sandbox, &["ask", "--json", question]);
    assert_eq!(next["failure"], Value::Null);
    assert_eq!(next["mode"], "generated");
}
