//! What the command line and the terminal UI show of untrusted text (document text,
//! titles, snippets, file names, e-mail headers, answers, error messages that quote them)
//! goes through here first: a control character in a document must never reach the
//! terminal, where `ESC ] 0 ; … BEL` retitles the window and other sequences do worse, and
//! a line break in a title must not cut it short. Control characters are shown escaped
//! (`\x1b`, `\u{9b}`), as are the invisible characters that reorder text (bidirectional
//! overrides).

use std::borrow::Cow;
use std::fmt::Write as _;

/// For a field printed on one line (a path, a title, a snippet): every control character
/// escaped, line breaks and tabs included, so one record stays one line.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// For text printed as a block (a document's text, an answer): line breaks and tabs kept,
/// every other control character escaped.
pub fn block(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// Whether `c` would act on the terminal or reorder what is shown instead of being shown.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| unsafe_char(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) || keep(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_are_shown_escaped_never_sent() {
        let title = "Invoice\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}fdp.exe";
        let shown = line(title);
        assert!(!shown.chars().any(unsafe_char), "{shown}");
        assert_eq!(
            shown,
            "Invoice\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m\\u{202e}fdp.exe"
        );
    }

    #[test]
    fn one_line_fields_escape_line_breaks_and_blocks_keep_them() {
        assert_eq!(line("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(block("a\nb\tc\rd\u{1b}"), "a\nb\tc\\rd\\x1b");
    }

    #[test]
    fn clean_text_is_borrowed_as_it_is() {
        let text = "Résumé — page 2 of the lease, “quoted” 🏠";
        assert!(matches!(line(text), Cow::Borrowed(t) if t == text));
        assert!(matches!(block("two\nlines"), Cow::Borrowed(_)));
    }
}
