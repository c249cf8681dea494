//! How the app changes with each message: keys, the worker's replies, ticks.

use super::*;

impl App {
    pub fn update(&mut self, msg: Msg, now: Instant) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => {
                self.dirty = true;
                self.key(key, now)
            }
            Msg::Paste(text) => {
                self.dirty = true;
                self.paste(&text)
            }
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
                Vec::new()
            }
            Msg::Tick => {
                if let Some(started) = self.chat.answering.started()
                    && let Some(turn) = self.chat.turns.last_mut()
                {
                    turn.elapsed = now.saturating_duration_since(started);
                    self.dirty = true;
                }
                self.ingest_tick(now);
                Vec::new()
            }
            Msg::HealthDue => vec![self.refresh_health()],
            Msg::ChangesDue => vec![self.check_changes()],
            Msg::DataStamp { request, result } => self.data_stamp(request, result),
            Msg::Session(state) => {
                let session = state.and_then(|text| {
                    serde_json::from_str::<Session>(&text)
                        .inspect_err(|e| tracing::warn!("the saved UI session is ignored: {e}"))
                        .ok()
                });
                session.map(|s| self.restore(s)).unwrap_or_default()
            }
            Msg::Health { request, report } => {
                if self.jobs.health.accept_newer(request) {
                    self.health(&report);
                }
                Vec::new()
            }
            Msg::Documents { request, result } => {
                if !self.jobs.documents.accept_newer(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(rows) => {
                        self.docs.receive(rows);
                        return vec![self.refresh_list()];
                    }
                    Err(e) => self.error(format!("cannot list the documents: {e}")),
                }
                Vec::new()
            }
            Msg::ListView { request, result } => {
                if !self.jobs.list.accept_latest(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(view) => {
                        self.docs.show(*view);
                        if self.docs.loaded {
                            self.select_pending();
                        }
                    }
                    Err(e) => self.error(format!("cannot show the document list: {e}")),
                }
                Vec::new()
            }
            Msg::Document { request, result } => {
                if !self.jobs.open.accept_latest(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(doc) => self.show_document(*doc),
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::Reviewed {
                request,
                doc_id,
                result,
            } => {
                let newest = self.review_jobs.get_mut(&doc_id);
                if !newest.is_some_and(|slot| slot.accept_newer(request)) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(review) => {
                        // Said once stored, so the reviewer knows the mark is kept.
                        // A production decision is said first: a long title is what a
                        // narrow status bar cuts.
                        let decision = self.decision_sent.remove(&doc_id);
                        let summary = review_summary(&review);
                        if let Some(row) = self.docs.set_review(doc_id, &review) {
                            let title = title_of(row).into_owned();
                            let said = match decision {
                                Some(decision) => format!("{decision} · {title}"),
                                None => format!("{title}: {summary}"),
                            };
                            self.say_saved(doc_id, Ok(said));
                        }
                        // The review may change what the filter shows.
                        let mut effects = vec![self.refresh_list()];
                        // A list already on its way may have been read before this review
                        // was written: it must not undo it. It is dropped, and read again.
                        if self.jobs.documents.drop_pending() {
                            effects.push(self.load_documents());
                        }
                        return effects;
                    }
                    Err(e) => {
                        self.decision_sent.remove(&doc_id);
                        self.say_saved(doc_id, Err(e.to_string()));
                    }
                }
                Vec::new()
            }
            Msg::Exported { request, result } => {
                if !self.jobs.export.accept_latest(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(path) => self.info(format!("review report written to {}", path.display())),
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::IngestProgress {
                request,
                done,
                total,
                phase,
            } => self.ingest_progress(request, (done, total), phase, now),
            Msg::IngestOcrPages { request, pages } => {
                self.ingest_ocr_pages(request, pages, now);
                Vec::new()
            }
            Msg::IngestFailed {
                request,
                path,
                reason,
            } => {
                self.ingest_failed(request, path, reason);
                Vec::new()
            }
            Msg::IngestDone { request, result } => self.ingest_done(request, result, now),
            Msg::AskEvidence { request, text } => {
                if !self.chat.answering.answers(request) {
                    return Vec::new();
                }
                if let Some(turn) = self.chat.turns.last_mut() {
                    turn.evidence = Some(text);
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::AskText { request, text } => {
                if !self.chat.answering.answers(request) {
                    return Vec::new();
                }
                if let (Some(turn), Some(started)) =
                    (self.chat.turns.last_mut(), self.chat.answering.started())
                {
                    turn.answer.push_str(&text);
                    turn.tokens += 1;
                    turn.elapsed = now.saturating_duration_since(started);
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::AskDone { request, result } => {
                let Some(started) = self.chat.answering.finish(request) else {
                    return Vec::new();
                };
                self.dirty = true;
                let Some(turn) = self.chat.turns.last_mut() else {
                    return Vec::new();
                };
                turn.elapsed = now.saturating_duration_since(started);
                match result {
                    Ok(answer) => {
                        self.chat.conversation = Some(answer.conversation_id);
                        finish_turn(turn, *answer);
                    }
                    Err(e) => turn.status = TurnStatus::Failed(e.to_string()),
                }
                Vec::new()
            }
            Msg::Checklists { request, result } => self.checklists_loaded(request, result),
            Msg::Grid { request, result } => {
                self.grid_loaded(request, result);
                Vec::new()
            }
            Msg::ChecklistStarted { request, job } => self.checklist_started(request, job),
            Msg::ChecklistProgress {
                request,
                counts,
                cells,
            } => self.checklist_progress(request, counts, cells),
            Msg::ChecklistDone { request, result } => self.checklist_done(request, result),
            Msg::CellDecided {
                doc_id,
                item,
                result,
            } => {
                self.cell_decided(doc_id, &item, result);
                Vec::new()
            }
            Msg::SearchResults { request, result } => {
                self.search_results(request, result);
                Vec::new()
            }
            Msg::Matters { request, result } => {
                self.matters_loaded(request, result);
                Vec::new()
            }
            Msg::TermsReport { request, result } => {
                self.terms_counted(request, result);
                Vec::new()
            }
            Msg::Conversations { request, result } => {
                if !self.jobs.conversations.accept_latest(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(list) if list.is_empty() => self.info("no conversations yet"),
                    Ok(list) => {
                        let selected = self
                            .chat
                            .conversation
                            .and_then(|id| list.iter().position(|c| c.id == id))
                            .unwrap_or(0);
                        self.overlay = Some(Overlay::Conversations { list, selected });
                    }
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::ConversationLoaded {
                request,
                id,
                result,
            } => {
                if !self.jobs.conversation.accept_latest(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(messages) => {
                        self.chat.conversation = Some(id);
                        self.chat.turns = turns_of(&messages);
                        self.chat.selected_citation = None;
                        self.chat.scroll_back = 0;
                    }
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::Difference { request, result } => {
                if !self.jobs.difference.accept_latest(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok((title, text)) => {
                        self.overlay = Some(Overlay::Text {
                            title,
                            text,
                            scroll: 0,
                        });
                    }
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Msg::CrashReport { request, result } => {
                if !self.jobs.crash.accept_latest(request) {
                    return Vec::new();
                }
                self.dirty = true;
                match result {
                    Ok(text) => {
                        self.overlay = Some(Overlay::Text {
                            title: "Newest crash report".into(),
                            text,
                            scroll: 0,
                        });
                    }
                    Err(e) => self.info(e),
                }
                Vec::new()
            }
        }
    }
}
