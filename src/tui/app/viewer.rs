//! The document viewer: the open document, its renditions, search matches and PII jumps.

use super::*;

/// The open document.
#[derive(Debug)]
pub struct Viewer {
    pub doc: PreparedDocument,
    pub show_redacted: bool,
    /// Byte offset, in the current rendition, where the first row on screen starts. An
    /// offset rather than a row number, so a resize keeps the same text on top.
    pub top: usize,
    pub search: String,
    /// Matches of `search` in the current rendition, in bytes.
    pub matches: Vec<(usize, usize)>,
    pub current_match: Option<usize>,
    /// The PII span last jumped to.
    pub pii_cursor: Option<usize>,
    /// A cited passage, in bytes of the original text.
    pub highlight: Option<(usize, usize)>,
    /// The sentence of it that answers or matches, in bytes of the original text.
    pub highlight_sentence: Option<(usize, usize)>,
    /// Opened from a citation: closing returns to the chat.
    pub from_chat: bool,
}

impl Viewer {
    pub fn rendition(&self) -> &crate::tui::document::Rendition {
        if self.show_redacted {
            &self.doc.redacted
        } else {
            &self.doc.original
        }
    }

    /// Where byte `offset` of the original text is in the rendition shown.
    pub fn in_rendition(&self, offset: usize) -> usize {
        if self.show_redacted {
            self.doc.map_offset(offset, true)
        } else {
            offset
        }
    }

    /// Byte offset in the original text of the first row on screen.
    pub fn top_offset_original(&self) -> usize {
        if self.show_redacted {
            self.doc.map_offset(self.top, false)
        } else {
            self.top
        }
    }

    /// What `d` redacts: the personal data last jumped to, else the current search match,
    /// in characters of the original text, with the reason offered first.
    pub fn redaction_target(&self) -> Option<(Area, String)> {
        let rendition = self.rendition();
        let (start, end, reason) = match (self.pii_cursor, self.current_match) {
            (Some(i), _) => {
                let span = rendition.pii.get(i)?;
                (span.start, span.end, span.kind.as_str().to_owned())
            }
            (None, Some(i)) => {
                let (start, end) = *self.matches.get(i)?;
                (start, end, "Privileged".to_owned())
            }
            (None, None) => return None,
        };
        let original = |offset: usize| {
            if self.show_redacted {
                self.doc.map_offset(offset, false)
            } else {
                offset
            }
        };
        let text = &self.doc.original.text;
        let chars = |byte: usize| text.get(..byte).map_or(0, |t| t.chars().count());
        let (start, end) = (chars(original(start)), chars(original(end)));
        (start < end).then_some((Area::Span { start, end }, reason))
    }

    /// Lines `12-30` (or `12`, 1-based, as `:l12` counts them) as the characters of the
    /// original text they hold.
    pub fn lines_area(&self, text: &str) -> Result<Area, String> {
        let wrong = || format!("`{text}` is not a line or a range of lines (12-30)");
        let number = |s: &str| s.trim().parse::<usize>().map_err(|_| wrong());
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(text)?, number(text)?),
        };
        let lines = &self.doc.original;
        let count = lines.line_count();
        if first == 0 || first > last || last > count {
            return Err(format!("no lines {first}-{last}: the document has {count}"));
        }
        let (start, end) = (lines.line(first - 1).0, lines.line(last - 1).1);
        let chars = |byte: usize| lines.text.get(..byte).map_or(0, |t| t.chars().count());
        let (start, end) = (chars(start), chars(end));
        if start >= end {
            return Err(format!("lines {first}-{last} are empty"));
        }
        Ok(Area::Span { start, end })
    }

    pub fn page(&self) -> usize {
        self.doc.page_of(self.top_offset_original())
    }

    /// The row holding `offset` at `width`: its line, that line's rows and its index there.
    fn row_of(&self, offset: usize, width: usize) -> (usize, Vec<(usize, usize)>, usize) {
        let rendition = self.rendition();
        let line = rendition.line_of(offset);
        let rows = rendition.rows(line, width);
        let index = rows
            .partition_point(|&(start, _)| start <= offset)
            .saturating_sub(1);
        (line, rows, index)
    }

    /// The start of the row `delta` rows after (or before) the row holding `offset`,
    /// stopping at the first and last rows.
    fn step(&self, offset: usize, delta: isize, width: usize) -> usize {
        let rendition = self.rendition();
        let (mut line, mut rows, mut index) = self.row_of(offset, width);
        let mut left = delta.unsigned_abs();
        if delta >= 0 {
            loop {
                let room = rows.len() - 1 - index;
                if left <= room || line + 1 >= rendition.line_count() {
                    return rows[index + left.min(room)].0;
                }
                left -= room + 1;
                line += 1;
                rows = rendition.rows(line, width);
                index = 0;
            }
        } else {
            loop {
                if left <= index || line == 0 {
                    return rows[index - left.min(index)].0;
                }
                left -= index + 1;
                line -= 1;
                rows = rendition.rows(line, width);
                index = rows.len() - 1;
            }
        }
    }

    /// The lowest `top` can be: the last row at the bottom of a `height`-row screen.
    fn last_top(&self, (width, height): (usize, usize)) -> usize {
        let end = self.rendition().text.len();
        self.step(end, 1 - isize::try_from(height).unwrap_or(1), width)
    }

    /// The rows on a screen of `width` by `height` cells, from `top` on.
    pub fn visible_rows(&self, (width, height): (usize, usize)) -> Vec<(usize, usize)> {
        let rendition = self.rendition();
        let (mut line, rows, index) = self.row_of(self.top, width);
        let mut visible: Vec<(usize, usize)> = rows.into_iter().skip(index).take(height).collect();
        while visible.len() < height && line + 1 < rendition.line_count() {
            line += 1;
            let room = height - visible.len();
            visible.extend(rendition.rows(line, width).into_iter().take(room));
        }
        visible
    }

    /// Scrolls so the row holding `offset` (current rendition) is a third down the screen.
    pub(super) fn show_offset(&mut self, offset: usize, (width, height): (usize, usize)) {
        let third = isize::try_from(height / 3).unwrap_or(0);
        // A target on the last screen is shown with the rest of that screen.
        self.top = self
            .step(offset, -third, width)
            .min(self.last_top((width, height)));
    }

    /// Scrolls by `delta` rows, never past the last screen.
    pub(crate) fn scroll(&mut self, delta: isize, size: (usize, usize)) {
        let last = self.last_top(size);
        self.top = self.step(self.top, delta, size.0).min(last);
    }

    /// Puts a page (`12`), line (`l40`) or percent (`50%`) of the text at the top.
    pub(super) fn go_to(&mut self, target: &str, size: (usize, usize)) -> Result<(), String> {
        let target = target.trim().to_lowercase();
        let number = |digits: &str| -> Result<usize, String> {
            digits.trim().parse::<usize>().map_err(|_| {
                format!(
                    "cannot go to `{target}`: give a page (12), a line (l40) or a percent (50%)"
                )
            })
        };
        let rendition = self.rendition();
        let offset = if let Some(percent) = target.strip_suffix('%') {
            let percent = number(percent)?.min(100);
            rendition.text.len() * percent / 100
        } else if let Some(line) = target
            .strip_prefix("line")
            .or_else(|| target.strip_prefix('l'))
        {
            let line = number(line)?;
            let count = rendition.line_count();
            if line == 0 || line > count {
                return Err(format!("no line {line}: the document has {count}"));
            }
            rendition.line(line - 1).0
        } else {
            let page = number(target.strip_prefix("page").unwrap_or(&target))?;
            let count = self.doc.pages.len().max(1);
            if page == 0 || page > count {
                return Err(format!("no page {page}: the document has {count}"));
            }
            let start = self.doc.pages.get(page - 1).map_or(0, |&(start, _)| start);
            self.in_rendition(start)
        };
        self.place_at(offset, size);
        Ok(())
    }

    /// Puts the row holding `offset` (current rendition) at the top.
    pub(super) fn place_at(&mut self, offset: usize, size: (usize, usize)) {
        self.top = self.step(offset, 0, size.0).min(self.last_top(size));
    }

    pub(crate) fn scroll_to_end(&mut self, size: (usize, usize)) {
        self.top = self.last_top(size);
    }

    pub(super) fn find(&mut self) {
        self.matches = self.rendition().find(&self.search);
        self.current_match = None;
    }
}

impl App {
    pub(super) fn show_document(&mut self, doc: PreparedDocument) {
        let from_chat = doc.focus.is_some() && self.focus == Pane::Chat;
        let mut viewer = Viewer {
            doc,
            show_redacted: false,
            top: 0,
            search: String::new(),
            matches: Vec::new(),
            current_match: None,
            pii_cursor: None,
            highlight: None,
            highlight_sentence: None,
            from_chat,
        };
        if let Some(focus) = viewer.doc.focus {
            viewer.highlight = Some(focus);
            viewer.highlight_sentence = viewer.doc.focus_sentence;
            // The sentence on screen, however long its passage.
            let shown = viewer.doc.focus_sentence.unwrap_or(focus);
            viewer.show_offset(shown.0, self.viewer_size());
        }
        self.viewer = Some(viewer);
        self.focus = Pane::Documents;
        self.place_pending();
    }

    pub(super) fn open(&mut self, doc_id: i64, focus: Option<Focus>) -> Effect {
        let request = self.start_job(|jobs| &mut jobs.open);
        Effect::Job {
            request,
            job: Job::OpenDocument { doc_id, focus },
        }
    }

    pub(super) fn jump_match(&mut self, forward: bool) {
        let size = self.viewer_size();
        let Some(viewer) = &mut self.viewer else {
            return;
        };
        if viewer.matches.is_empty() {
            return;
        }
        let n = viewer.matches.len();
        let next = match viewer.current_match {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => {
                // The first match from the top of the screen on.
                let after = viewer.matches.partition_point(|m| m.0 < viewer.top);
                if forward {
                    after % n
                } else {
                    (after + n - 1) % n
                }
            }
        };
        viewer.current_match = Some(next);
        // What `d` redacts is what was jumped to last: this match, not a finding before.
        viewer.pii_cursor = None;
        viewer.show_offset(viewer.matches[next].0, size);
    }

    pub(super) fn jump_pii(&mut self, forward: bool) {
        let size = self.viewer_size();
        let Some(viewer) = &mut self.viewer else {
            return;
        };
        let n = viewer.rendition().pii.len();
        if n == 0 {
            self.flash = Some((
                FlashLevel::Info,
                "no personal data found in this document".into(),
            ));
            return;
        }
        let next = match viewer.pii_cursor {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => {
                let top = viewer.top;
                let after = viewer.rendition().pii.partition_point(|s| s.start < top);
                if forward {
                    after % n
                } else {
                    (after + n - 1) % n
                }
            }
        };
        viewer.pii_cursor = Some(next);
        let start = viewer.rendition().pii[next].start;
        viewer.show_offset(start, size);
    }

    /// Puts heading `index` at the top.
    pub(super) fn go_to_heading(&mut self, index: usize) {
        let size = self.viewer_size();
        let Some(viewer) = &mut self.viewer else {
            return;
        };
        let Some(offset) = viewer.doc.headings.get(index).map(|h| h.offset) else {
            return;
        };
        viewer.place_at(viewer.in_rendition(offset), size);
    }

    /// The next heading below the top row, or the one above it.
    pub(super) fn jump_heading(&mut self, forward: bool) {
        let Some(viewer) = &self.viewer else {
            return;
        };
        let top = viewer.top_offset_original();
        let headings = &viewer.doc.headings;
        let after = headings.partition_point(|h| h.offset <= top);
        let target = if forward {
            (after < headings.len()).then_some(after)
        } else {
            // The heading of the part on screen is at the top already: the one before it.
            let at_top = after.checked_sub(1).filter(|&i| headings[i].offset == top);
            match at_top {
                Some(i) => i.checked_sub(1),
                None => after.checked_sub(1),
            }
        };
        match target {
            Some(index) => self.go_to_heading(index),
            None if headings.is_empty() => self.info("no headings found in this document"),
            None => self.info("no more headings this way"),
        }
    }

    pub(super) fn toggle_redacted(&mut self) {
        let width = self.viewer_size().0;
        let Some(viewer) = &mut self.viewer else {
            return;
        };
        let top = viewer.top_offset_original();
        viewer.show_redacted = !viewer.show_redacted;
        viewer.top = viewer.step(viewer.in_rendition(top), 0, width);
        viewer.find();
    }

    /// The viewer's actions; review marks act on the open document.
    pub(crate) fn act_viewer(&mut self, action: Action) -> Vec<Effect> {
        match action {
            // A new search starts empty; n and N go on with the last one.
            Action::Search => {
                self.overlay = Some(Overlay::prompt(PromptKind::Search, "", Vec::new()))
            }
            Action::NextMatch | Action::PrevMatch => self.jump_match(action == Action::NextMatch),
            Action::NextPii | Action::PrevPii => self.jump_pii(action == Action::NextPii),
            Action::Redacted => self.toggle_redacted(),
            Action::Privilege => {
                if let Some(viewer) = &self.viewer {
                    let doc = viewer.doc.doc_id;
                    self.overlay = Some(Overlay::prompt(PromptKind::Privilege, "", vec![doc]));
                }
            }
            Action::Redact => match self
                .viewer
                .as_ref()
                .map(|v| (v.doc.doc_id, v.redaction_target()))
            {
                Some((doc, Some((area, reason)))) => {
                    self.overlay = Some(Overlay::prompt(
                        PromptKind::Redact(area),
                        &reason,
                        vec![doc],
                    ));
                }
                Some((_, None)) => self.info(
                    "] p (personal data) or / (a search) first: d redacts what it last jumped to",
                ),
                None => {}
            },
            Action::RedactLines => {
                let size = self.viewer_size();
                if let Some(viewer) = &self.viewer {
                    let rows = viewer.visible_rows(size);
                    let rendition = viewer.rendition();
                    let line = |offset: usize| rendition.line_of(offset) + 1;
                    let (first, last) = (
                        rows.first().map_or(1, |r| line(r.0)),
                        rows.last().map_or(1, |r| line(r.0)),
                    );
                    let doc = viewer.doc.doc_id;
                    self.overlay = Some(Overlay::prompt(
                        PromptKind::RedactLines,
                        &format!("{first}-{last}"),
                        vec![doc],
                    ));
                }
            }
            Action::RedactPage => {
                if let Some(viewer) = &self.viewer {
                    let area = Area::Page {
                        page: viewer.page(),
                    };
                    let doc = viewer.doc.doc_id;
                    self.overlay = Some(Overlay::prompt(
                        PromptKind::Redact(area),
                        "Privileged",
                        vec![doc],
                    ));
                }
            }
            Action::GoTo => self.overlay = Some(Overlay::prompt(PromptKind::GoTo, "", Vec::new())),
            Action::NextHeading | Action::PrevHeading => {
                self.jump_heading(action == Action::NextHeading);
            }
            Action::Outline => match &self.viewer {
                Some(viewer) if !viewer.doc.headings.is_empty() => {
                    // The heading of the part on screen is selected first.
                    let top = viewer.top_offset_original();
                    let selected = viewer
                        .doc
                        .headings
                        .partition_point(|h| h.offset <= top)
                        .saturating_sub(1);
                    self.overlay = Some(Overlay::Outline { selected });
                }
                _ => self.info("no headings found in this document"),
            },
            Action::Close => {
                if let Some(viewer) = self.viewer.take()
                    && viewer.from_chat
                {
                    self.focus = Pane::Chat;
                }
            }
            action => return self.act_review(action),
        }
        Vec::new()
    }
}
