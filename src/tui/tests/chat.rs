//! The chat pane: asking, streaming, citations, stored conversations.

use super::*;

#[test]
fn ctrl_c_cancels_a_streaming_answer_and_a_second_ctrl_c_quits_before_it_ends() {
    let mut app = app(80, 24);
    press(&mut app, [ch('2')]);
    press(&mut app, typed("When is the deposit returned?"));
    let request = press(&mut app, [key(KeyCode::Enter)])[0].request().unwrap();
    assert_eq!(press(&mut app, [ctrl('c')]), [Effect::Cancel { request }]);
    assert!(!app.quit, "the first Ctrl-C cancels the answer");
    assert!(press(&mut app, [ctrl('c')]).is_empty());
    assert!(
        app.quit,
        "the second quits, though the answer has not ended"
    );
}

#[test]
fn asking_streams_the_answer_ignores_stale_replies_and_esc_cancels() {
    let mut app = app(80, 24);
    press(&mut app, [ch('2')]);
    assert_eq!(app.focus, Pane::Chat);
    press(&mut app, typed("q and 1 are typed, not keys"));
    assert!(!app.quit);
    assert_eq!(app.focus, Pane::Chat);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [
        Effect::Job {
            request,
            job:
                Job::Ask {
                    question,
                    conversation: None,
                    documents,
                },
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(question, "q and 1 are typed, not keys");
    assert!(documents.is_empty());
    assert!(
        app.chat.input.lines().join("").is_empty(),
        "the input is cleared"
    );

    press(
        &mut app,
        [Msg::AskText {
            request: request + 100,
            text: "stale".into(),
        }],
    );
    press(
        &mut app,
        [Msg::AskText {
            request: *request,
            text: "Partial".into(),
        }],
    );
    assert_eq!(app.chat.turns[0].answer, "Partial");
    assert_eq!(
        press(&mut app, [key(KeyCode::Esc)]),
        [Effect::Cancel { request: *request }]
    );
    assert!(
        press(&mut app, [key(KeyCode::Esc)]).is_empty(),
        "the cancel is sent once"
    );
    assert!(app.chat.answering.is_active(), "until the answer is stored");

    let mut cancelled = answer(4);
    cancelled.answer = "Partial".into();
    cancelled.finish = Some(kodiak::llm::Finish::Cancelled);
    press(
        &mut app,
        [Msg::AskDone {
            request: *request,
            result: Ok(Box::new(cancelled)),
        }],
    );
    assert_eq!(app.chat.turns[0].status, TurnStatus::Cancelled);
    assert_eq!(
        app.chat.conversation,
        Some(4),
        "the next question continues the conversation"
    );

    // Up recalls the question; Ctrl-N starts afresh.
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(
        app.chat.input.lines().join("\n"),
        "q and 1 are typed, not keys"
    );
    press(&mut app, [ctrl('n')]);
    assert_eq!(app.chat.conversation, None);
    press(&mut app, [ctrl('c')]);
    assert!(app.quit, "with nothing streaming Ctrl-C quits");
}

#[test]
fn a_citation_opens_its_passage_with_the_quoted_sentence_singled_out_and_esc_returns_to_the_chat() {
    let mut app = with_answer(80, 24);
    assert_eq!(app.chat.turns[0].status, TurnStatus::Complete);
    assert_eq!(app.chat.turns[0].sources.len(), 2);
    press(&mut app, [key(KeyCode::Esc), ch('n')]);
    assert_eq!(app.chat.selected().unwrap().n, 2);
    let effects = press(&mut app, [ch('o')]);
    let [
        Effect::Job {
            request,
            job:
                Job::OpenDocument {
                    doc_id: 1,
                    focus: Some(focus),
                },
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    press(
        &mut app,
        [Msg::Document {
            request: *request,
            result: Ok(Box::new(lease(Some(focus.clone())))),
        }],
    );
    let viewer = app.viewer.as_ref().unwrap();
    let text = &viewer.doc.original.text;
    let (start, end) = viewer.highlight.unwrap();
    assert_eq!(
        &text[start..end],
        "The security deposit is returned within 30 days of the lease ending.\n\
         Rent is due by bank transfer."
    );
    let (start, end) = viewer.highlight_sentence.unwrap();
    assert_eq!(
        &text[start..end],
        "The security deposit is returned within 30 days"
    );
    // The sentence stands out; the rest of the passage is shaded lighter.
    let drawn = buffer(&app);
    let style_at = |needle: &str| {
        let row = |y: u16| -> String {
            (0..drawn.area.width)
                .filter_map(|x| drawn.cell((x, y)).map(|c| c.symbol().to_owned()))
                .collect()
        };
        let y = (0..drawn.area.height)
            .find(|y| row(*y).contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen"));
        let line = row(y);
        let x = line[..line.find(needle).unwrap()].chars().count() as u16;
        drawn.cell((x, y)).unwrap().style()
    };
    let theme = Theme::new(ThemeName::Dark, false);
    assert_eq!(style_at("security deposit").bg, theme.cited.bg);
    assert_eq!(style_at("Rent is due").fg, theme.cited_passage.fg);
    assert_eq!(app.focus, Pane::Documents);
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.focus, Pane::Chat, "back where the citation was opened");

    assert_eq!(press(&mut app, [ch('y')]), [Effect::Copy(answer(7).answer)]);
    press(&mut app, [ch('q')]);
    assert!(app.quit);
}

#[test]
fn a_stored_conversation_loads_with_its_sources_citations_and_its_tokens_without_a_time() {
    let answer = answer(7);
    // As `Kodiak::conversation` returns it.
    let turns = vec![kodiak::service::Turn {
        question_id: 1,
        question: "When is the deposit returned?".into(),
        asked_at: kodiak::timestamp::Timestamp::parse("2026-11-23T10:00:00Z").unwrap(),
        answer: Some(kodiak::service::StoredAnswer {
            id: 2,
            text: answer.answer.clone(),
            status: kodiak::storage::conversations::MessageStatus::Complete,
            mode: Some(AnswerMode::Generated),
            record: kodiak::answer::AnswerRecord {
                citations: answer.citations.clone(),
                sources: answer.sources.clone(),
                stats: answer.stats,
                ..Default::default()
            },
            finished_at: None,
        }),
    }];
    let mut app = app(80, 24);
    let listing = press(&mut app, [ch('2'), key(KeyCode::Esc), ch('c')])[0]
        .request()
        .unwrap();
    let listed = kodiak::storage::conversations::Conversation {
        id: 7,
        title: "When is the deposit returned?".into(),
        created_at: kodiak::timestamp::Timestamp::parse("2026-11-26T10:00:00Z").unwrap(),
        updated_at: kodiak::timestamp::Timestamp::parse("2026-11-26T10:00:00Z").unwrap(),
        messages: 2,
    };
    press(
        &mut app,
        [Msg::Conversations {
            request: listing,
            result: Ok(vec![listed]),
        }],
    );
    let request = press(&mut app, [key(KeyCode::Enter)])[0].request().unwrap();
    press(
        &mut app,
        [Msg::ConversationLoaded {
            request,
            id: 7,
            result: Ok(turns),
        }],
    );
    assert_eq!(app.chat.conversation, Some(7));
    let turn = &app.chat.turns[0];
    assert_eq!(turn.question, "When is the deposit returned?");
    assert_eq!(turn.answer, answer.answer);
    assert_eq!(turn.mode, Some(AnswerMode::Generated));
    assert_eq!(turn.citations, answer.citations);
    assert_eq!(turn.sources.len(), 2);
    assert_eq!(turn.sources[1].label, "Residential lease");
    assert_eq!(turn.sources[1].page, 2);
    assert!(!turn.sources[1].snippet.contains("**"));
    assert_eq!(turn.tokens_per_s, Some(52.3));
    // Its footer gives the stored tokens and rate, and no time it does not know.
    let shown = screen(&app);
    assert!(shown.contains("17 tokens · 52.3 tokens/s"), "{shown}");
    assert!(!shown.contains("0.0 s"), "{shown}");
}

#[test]
fn sentences_the_sources_do_not_bear_out_are_marked_and_e_opens_the_evidence_of_the_rest() {
    let mut answer = answer(7);
    answer.answer =
        "The deposit is returned within 30 days [2]. The tenant repaints every 2 years [1].".into();
    answer.sources[0].text =
        "The tenant pays rent of $1,200 on the first day of each month.".into();
    answer.sources[1].text = "The security deposit is returned within 30 days of the end.".into();
    answer.sources[1].hit.char_start = 120;
    answer.sources[1].hit.char_end = 180;
    answer.grounding = Some(kodiak::grounding::check(&answer.answer, &answer.sources));

    let mut app = app(120, 30);
    show_list(&mut app, rows());
    press(&mut app, [ch('2')]);
    press(&mut app, typed("When is the deposit returned?"));
    let request = press(&mut app, [key(KeyCode::Enter)])[0].request().unwrap();
    press(
        &mut app,
        [Msg::AskDone {
            request,
            result: Ok(Box::new(answer)),
        }],
    );
    let shown = screen(&app);
    assert!(shown.contains("[1]. ✗"), "{shown}");
    assert!(!shown.contains("[2]. ✗"), "{shown}");
    insta::assert_snapshot!("chat_grounding_120x30", shown);
    // The flagged sentence is set apart without colour too.
    let mono = Theme::new(ThemeName::Mono, false);
    let drawn = buffer_with(&app, &mono);
    let style_of = |word: &str| {
        let area = drawn.area;
        (0..area.height)
            .flat_map(|y| (0..area.width).map(move |x| (x, y)))
            .find(|&(x, y)| {
                (0..word.len() as u16).all(|i| {
                    drawn.cell((x + i, y)).map(|c| c.symbol())
                        == word.get(usize::from(i)..usize::from(i) + 1)
                })
            })
            .and_then(|(x, y)| drawn.cell((x, y)))
            .map(|c| c.style().add_modifier)
    };
    assert_eq!(style_of("repaints"), Some(mono.unsupported.add_modifier));
    assert_eq!(style_of("returned within"), Some(mono.text.add_modifier));

    let effects = press(&mut app, [key(KeyCode::Esc), ch('e')]);
    assert!(
        matches!(
            effects[..],
            [Effect::Job {
                job: Job::OpenDocument {
                    doc_id: 1,
                    focus: Some(Focus {
                        passage: (120, 180),
                        about: Some(_),
                    }),
                },
                ..
            }]
        ),
        "{effects:?}"
    );
    let flash = app.flash.as_ref().map(|(_, text)| text.as_str());
    assert_eq!(
        flash,
        Some("evidence [2] for: The deposit is returned within 30 days [2].")
    );
}

#[test]
fn evidence_that_leads_an_answer_is_drawn_above_the_draft_and_its_citations_come_first() {
    let mut app = app(80, 24);
    let request = asking(&mut app);
    let evidence = "[2] Lease, page 2: \"The deposit is returned within 30 days.\"";
    press(
        &mut app,
        [
            Msg::AskEvidence {
                request,
                text: evidence.into(),
            },
            Msg::AskText {
                request,
                text: "It comes back in a month [1].".into(),
            },
        ],
    );
    let shown = screen(&app);
    let at = |needle: &str| {
        shown
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not on screen:\n{shown}"))
    };
    assert!(at("evidence, quoted from the documents:") < at("[2] Lease, page 2"));
    assert!(at("[2] Lease, page 2") < at("draft by the model, not verified:"));
    assert!(at("draft by the model, not verified:") < at("It comes back in a month"));

    let mut done = answer(7);
    done.answer = "It comes back in a month [1].".into();
    // The model cites passage 1; the evidence quotes passage 2.
    let mut quoted = done.citations[0].clone();
    quoted.quote = "The deposit is returned within 30 days.".into();
    done.citations.remove(0);
    done.evidence = Some(kodiak::answer::Evidence {
        text: evidence.into(),
        citations: vec![quoted],
        value: None,
    });
    press(
        &mut app,
        [Msg::AskDone {
            request,
            result: Ok(Box::new(done)),
        }],
    );
    let turn = &app.chat.turns[0];
    assert_eq!(turn.evidence.as_deref(), Some(evidence));
    let order: Vec<usize> = turn.citations.iter().map(|c| c.n).collect();
    assert_eq!(order, [2, 1], "the evidence's citation first");
    assert_eq!(
        turn.citations[0].quote,
        "The deposit is returned within 30 days."
    );
}

#[test]
fn before_its_first_token_a_streaming_answer_says_the_model_is_reading_the_prompt() {
    let mut app = app(80, 24);
    let request = asking(&mut app);
    let shown = screen(&app);
    assert!(
        shown.contains("the model is reading the question and passages"),
        "{shown}"
    );
    assert!(!shown.contains("0 tokens"), "{shown}");
    press(
        &mut app,
        [Msg::AskText {
            request,
            text: "The deposit".into(),
        }],
    );
    let shown = screen(&app);
    assert!(shown.contains("1 tokens"), "{shown}");
    assert!(!shown.contains("is reading"), "{shown}");
}

fn alt(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT))
}

#[test]
fn focusing_the_chat_from_elsewhere_makes_what_is_typed_next_a_question() {
    let mut app = with_answer(80, 24);
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(
        screen(&app).contains("Chat: transcript"),
        "{}",
        screen(&app)
    );
    press(&mut app, [ch('1'), ch('2')]);
    press(&mut app, typed("Is the notice period sixty days?"));
    assert_eq!(
        app.chat.input.lines().join("\n"),
        "Is the notice period sixty days?"
    );
    assert_eq!(
        app.chat.selected_citation, None,
        "n was typed, not acted on"
    );
    let shown = screen(&app);
    assert!(shown.contains("Chat: typing"), "{shown}");
    assert!(shown.contains("› Is the notice"), "{shown}");
}

#[test]
fn digits_are_text_while_typing_and_alt_digits_switch_panes() {
    let mut app = app(80, 24);
    show_list(&mut app, rows());
    press(&mut app, [ch('2')]);
    press(&mut app, typed("Clause 1 or 3?"));
    assert_eq!(app.chat.input.lines().join(""), "Clause 1 or 3?");
    assert_eq!(app.focus, Pane::Chat);
    press(&mut app, [alt('3')]);
    assert_eq!(app.focus, Pane::Health);
    press(&mut app, [alt('2')]);
    assert_eq!(app.focus, Pane::Chat);
    assert_eq!(app.chat.input.lines().join(""), "Clause 1 or 3?", "kept");
}

#[test]
fn an_esc_and_a_letter_read_together_leave_the_input_and_do_the_letter() {
    let mut app = with_answer(80, 24);
    // What a terminal sends for Esc then y typed quickly.
    let effects = press(&mut app, [alt('y')]);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Copy(_))),
        "{effects:?}"
    );
    assert!(app.chat.input.lines().join("").is_empty(), "nothing typed");
    assert!(screen(&app).contains("Chat: transcript"));
}

#[test]
fn q_while_an_answer_streams_asks_first_and_only_y_quits() {
    let mut app = app(80, 24);
    let _request = asking(&mut app);
    press(&mut app, [alt('1'), ch('q')]);
    assert!(!app.quit);
    let shown = screen(&app);
    assert!(shown.contains("Quit? an answer is streaming"), "{shown}");
    press(&mut app, [ch('n')]);
    assert!(!app.quit && app.overlay.is_none());
    press(&mut app, [ch('q'), ch('y')]);
    assert!(app.quit);

    // With nothing in flight, q quits at once.
    let mut app = with_answer(80, 24);
    press(&mut app, [alt('1'), ch('q')]);
    assert!(app.quit);
}

#[test]
fn ctrl_o_scopes_questions_to_the_open_the_listed_or_the_selected_documents_in_turn() {
    // With a document open, its scope comes first.
    let mut open = with_lease_open(120, 40);
    press(&mut open, [ch('2'), ctrl('o')]);
    assert_eq!(open.chat.scope, ChatScope::Open);
    assert!(screen(&open).contains("asking: Residential lease only"));
    press(&mut open, typed("Who pays?"));
    let effects = press(&mut open, [key(KeyCode::Enter)]);
    assert!(
        matches!(&effects[..], [Effect::Job { job: Job::Ask { documents, .. }, .. }] if documents == &[1]),
        "{effects:?}"
    );

    let mut app = app(120, 40);
    show_list(&mut app, rows());
    // Two documents selected with Space, and a filter listing them and no other.
    press(&mut app, [ch(' ')]);
    let first = app.docs.marked.iter().copied().collect::<Vec<_>>();
    assert_eq!(first.len(), 1);
    press(&mut app, [ch(' ')]);
    let marked: Vec<i64> = app.docs.marked.iter().copied().collect();
    assert_eq!(marked.len(), 2, "{:?}", app.docs.marked);
    press(
        &mut app,
        prompted('/', &format!("id:{},{}", marked[0], marked[1])),
    );
    assert_eq!(app.docs.visible.len(), 2);
    assert!(
        app.docs.rows.len() > 2,
        "the list's scope is narrower than every document"
    );
    press(&mut app, [ch('2')]);
    let ask = |app: &mut App| -> Vec<i64> {
        press(app, typed("Who pays?"));
        let effects = press(app, [key(KeyCode::Enter)]);
        let Some(Effect::Job {
            request,
            job: Job::Ask { documents, .. },
        }) = effects.first().cloned()
        else {
            panic!("{effects:?}");
        };
        press(
            app,
            [Msg::AskDone {
                request,
                result: Ok(Box::new(answer(7))),
            }],
        );
        documents
    };
    assert_eq!(ask(&mut app), Vec::<i64>::new(), "every document at first");
    // No document is open: Ctrl-O goes to the listed documents, then the selected ones.
    press(&mut app, [ctrl('o')]);
    assert_eq!(app.chat.scope, ChatScope::Listed);
    assert!(
        screen(&app).contains("asking: the 2 listed documents"),
        "{}",
        screen(&app)
    );
    let mut listed = ask(&mut app);
    listed.sort_unstable();
    assert_eq!(listed, marked);
    press(&mut app, [ctrl('o')]);
    assert_eq!(app.chat.scope, ChatScope::Selected);
    assert!(screen(&app).contains("asking: the 2 selected documents"));
    assert_eq!(ask(&mut app), marked);
    press(&mut app, [ctrl('o')]);
    assert_eq!(app.chat.scope, ChatScope::All);
    // A scope left empty is said, and the question is not sent to every document instead.
    press(&mut app, [ctrl('o'), ctrl('o')]);
    assert_eq!(app.chat.scope, ChatScope::Selected);
    app.docs.marked.clear();
    press(&mut app, typed("Who pays?"));
    assert_eq!(press(&mut app, [key(KeyCode::Enter)]), []);
    assert!(
        screen(&app).contains("no selected document to ask of"),
        "{}",
        screen(&app)
    );
}
