//! Turning a stream of token bytes into text that is safe to show: whole UTF-8 characters
//! only (a character may span tokens), and nothing of a stop string.

/// Decodes UTF-8 arriving in pieces: bytes of an unfinished character wait for the next
/// piece; invalid bytes become U+FFFD.
#[derive(Default)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// The whole characters `bytes` completes.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(text) => {
                    out.push_str(text);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // Safe: from_utf8 vouched for these bytes.
                    out.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // An unfinished character at the end: wait for more.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
    }

    /// Whatever is left at the end: an unfinished character is shown as U+FFFD.
    pub fn finish(&mut self) -> String {
        let rest = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        rest
    }
}

/// Holds back text that might be the start of a stop string, and cuts the answer where one
/// appears.
pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
}

impl StopMatcher {
    pub fn new(stops: &[String]) -> StopMatcher {
        StopMatcher {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            held: String::new(),
        }
    }

    /// Adds `text`; returns what can be shown now and whether a stop string appeared (the
    /// text before it is returned, the rest discarded).
    pub fn push(&mut self, text: &str) -> (String, bool) {
        self.held.push_str(text);
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|stop| self.held.find(stop.as_str()))
            .min()
        {
            let shown = self.held[..at].to_owned();
            self.held.clear();
            return (shown, true);
        }
        // Keep the longest tail that a stop string starts with.
        let keep = self
            .stops
            .iter()
            .map(|stop| longest_prefix_suffix(&self.held, stop))
            .max()
            .unwrap_or(0);
        let cut = self.held.len() - keep;
        let shown = self.held[..cut].to_owned();
        self.held.drain(..cut);
        (shown, false)
    }

    /// The held-back text, once the answer has ended without a stop string.
    pub fn finish(&mut self, text: &str) -> String {
        self.held.push_str(text);
        std::mem::take(&mut self.held)
    }
}

/// The length of the longest suffix of `text` that is a proper prefix of `stop`, at a
/// character boundary.
fn longest_prefix_suffix(text: &str, stop: &str) -> usize {
    let longest = stop.len().saturating_sub(1).min(text.len());
    (1..=longest)
        .rev()
        .find(|&n| {
            text.is_char_boundary(text.len() - n)
                && stop.is_char_boundary(n)
                && stop.starts_with(&text[text.len() - n..])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_split_across_tokens_come_out_whole() {
        let text = "Café – 東京 🐻.";
        let bytes = text.as_bytes();
        // Every way of cutting the bytes into two pieces, and byte by byte.
        for cut in 0..=bytes.len() {
            let mut stream = Utf8Stream::default();
            let mut out = stream.push(&bytes[..cut]);
            out.push_str(&stream.push(&bytes[cut..]));
            out.push_str(&stream.finish());
            assert_eq!(out, text);
        }
        let mut stream = Utf8Stream::default();
        let mut out = String::new();
        for byte in bytes {
            let piece = stream.push(std::slice::from_ref(byte));
            assert!(!piece.contains('\u{FFFD}'));
            out.push_str(&piece);
        }
        assert_eq!(out, text);
        // Invalid bytes are replaced, not fatal; a dangling start byte shows at the end.
        let mut stream = Utf8Stream::default();
        assert_eq!(stream.push(b"a\xffb"), "a\u{FFFD}b");
        assert_eq!(stream.push(b"\xe6\x9d"), "");
        assert_eq!(stream.finish(), "\u{FFFD}");
    }

    #[test]
    fn stop_strings_are_cut_even_across_pieces() {
        let mut stops = StopMatcher::new(&["\nQuestion:".into(), "</s>".into()]);
        assert_eq!(
            stops.push("The notice is 30 days."),
            ("The notice is 30 days.".into(), false)
        );
        assert_eq!(stops.push("\nQues"), (String::new(), false));
        assert_eq!(stops.push("tion: next"), (String::new(), true));

        let mut stops = StopMatcher::new(&["</s>".into()]);
        assert_eq!(stops.push("a <"), ("a ".into(), false));
        // Not a stop string after all: the held text comes back.
        assert_eq!(stops.push("b"), ("<b".into(), false));
        assert_eq!(stops.push("end</"), ("end".into(), false));
        assert_eq!(stops.finish(""), "</");

        let mut none = StopMatcher::new(&[]);
        assert_eq!(none.push("anything"), ("anything".into(), false));
    }
}
