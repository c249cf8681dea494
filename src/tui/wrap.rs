//! Text measured in terminal cells: wrapping at word boundaries and truncating, so the
//! chat can know how many rows its transcript takes before drawing it, and the viewer where
//! each of its rows starts.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub fn width(text: &str) -> usize {
    text.width()
}

/// Cells a character takes in the viewer, which shows control characters (tabs among them)
/// as one space.
pub fn cell_width(c: char) -> usize {
    if c.is_control() {
        1
    } else {
        c.width().unwrap_or(0)
    }
}

/// The rows `text` (one line, without its break) takes at `width` cells, as byte ranges of
/// `text` that together cover it: broken after a run of spaces where possible, a word wider
/// than the row is cut where the row ends. Spaces at a row's end may hang past the edge.
pub fn wrap_rows(text: &str, width: usize) -> Vec<(usize, usize)> {
    wrap_rows_at(text, width, |_| false)
}

/// [`wrap_rows`], also breaking after any character `breaks_after` accepts (`/` in a path).
pub fn wrap_rows_at(
    text: &str,
    width: usize,
    breaks_after: impl Fn(char) -> bool,
) -> Vec<(usize, usize)> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut used = 0;
    // Where the next row would start if the row broke at the last space, and the cells
    // used from there.
    let mut after_space: Option<(usize, usize)> = None;
    let mut word_start = true;
    for (i, c) in text.char_indices() {
        let w = cell_width(c);
        if c == ' ' {
            used += w;
            after_space = Some((i + 1, 0));
            word_start = true;
            continue;
        }
        if used + w > width && used > 0 {
            match after_space {
                Some((at, since)) if at > start && at <= i => {
                    rows.push((start, at));
                    start = at;
                    used = since;
                }
                _ => {
                    rows.push((start, i));
                    start = i;
                    used = 0;
                }
            }
            after_space = None;
        }
        used += w;
        if let Some((_, since)) = &mut after_space {
            *since += w;
        }
        // Within a word only: a path's leading `/` stays with the name after it.
        if breaks_after(c) && !word_start {
            after_space = Some((i + c.len_utf8(), 0));
        }
        word_start = false;
    }
    rows.push((start, text.len()));
    rows
}

/// `text` cut to `max` cells, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `text` in at most `max` cells, cut in the middle where it is longer: its start and its
/// end are kept either side of `…`, as what tells long names apart is often at one end
/// ("GOOSEHEADINSURANCE,INC_04_…EX-10.6-Franchise Agreement").
pub fn truncate_middle(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_owned();
    }
    if max < 8 {
        return truncate(text, max);
    }
    let room = max - 1;
    let head_room = room * 11 / 20;
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_room {
            break;
        }
        head.push(c);
        used += w;
    }
    let tail_room = room - used;
    let mut tail: Vec<char> = Vec::new();
    let mut tail_used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if tail_used + w > tail_room {
            break;
        }
        tail.push(c);
        tail_used += w;
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// `text` as rows of at most `width` cells, broken at spaces where possible (a longer
/// word is cut where the row ends, no hyphenation); each line break in `text` starts a row.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let options = textwrap::Options::new(width.max(1))
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    textwrap::wrap(text, options)
        .into_iter()
        .map(std::borrow::Cow::into_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_break_after_spaces_cut_long_words_and_cover_the_line() {
        let rows = |text: &str, width| -> Vec<String> {
            wrap_rows(text, width)
                .into_iter()
                .map(|(s, e)| text[s..e].to_owned())
                .collect()
        };
        assert_eq!(rows("the quick brown fox", 10), ["the quick ", "brown fox"]);
        assert_eq!(rows("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(rows("", 10), [""]);
        assert_eq!(rows("a  b", 1), ["a  ", "b"], "spaces hang past the edge");
        // Wide characters take two cells; tabs are shown as one space.
        assert_eq!(rows("日本語の文", 4), ["日本", "語の", "文"]);
        assert_eq!(rows("a\tb c", 3), ["a\tb ", "c"]);
        let text = "Section 6.2.1 The Franchisee shall pay the Initial Franchise Fee in full.";
        let covered: String = rows(text, 13).concat();
        assert_eq!(covered, text, "the rows cover the line, nothing dropped");
        let path = |text: &str, width| -> Vec<String> {
            wrap_rows_at(text, width, |c| c == '/')
                .into_iter()
                .map(|(s, e)| text[s..e].to_owned())
                .collect()
        };
        assert_eq!(
            path("ready, /root/.cache/kodiak/models/smollm2.gguf", 26),
            ["ready, /root/.cache/", "kodiak/models/smollm2.gguf"]
        );
        assert_eq!(
            path("48 KiB, /data/index", 10),
            ["48 KiB, ", "/data/", "index"]
        );
    }

    #[test]
    fn wraps_at_spaces_cuts_long_words_and_keeps_line_breaks() {
        assert_eq!(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 10), ["a", "", "b"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("hi", 6), "hi");
    }
}
