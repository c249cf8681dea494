//! Mailboxes (mbox): many messages in one file, each after a "From " separator line.
//! Each message is ingested as an e-mail of its own, so that threads form across them.

/// The messages of an mbox file, each without its separator line and with mboxrd's
/// quoting undone (">From " back to "From "); None when the bytes are not a mailbox.
pub fn split(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    if !looks_like_mbox(bytes) {
        return None;
    }
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut previous_blank = true;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if previous_blank && line.starts_with(b"From ") {
            if let Some(message) = current.take() {
                messages.push(message);
            }
            current = Some(Vec::new());
            previous_blank = false;
            continue;
        }
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        previous_blank = content.strip_suffix(b"\r").unwrap_or(content).is_empty();
        if let Some(message) = current.as_mut() {
            // mboxrd: ">From ", ">>From " … lose one ">".
            let unquoted = match line.iter().position(|&b| b != b'>') {
                Some(n) if n > 0 && line[n..].starts_with(b"From ") => &line[1..],
                _ => line,
            };
            message.extend_from_slice(unquoted);
        }
    }
    messages.extend(current);
    // A message's last blank line belongs to the separator that follows it.
    for message in &mut messages {
        while message.ends_with(b"\n\n") || message.ends_with(b"\r\n\r\n") {
            let cut = if message.ends_with(b"\r\n") { 2 } else { 1 };
            message.truncate(message.len() - cut);
        }
    }
    messages.retain(|m| !m.iter().all(u8::is_ascii_whitespace));
    Some(messages)
}

/// A "From " separator first ("From sender date"), then a header line.
fn looks_like_mbox(bytes: &[u8]) -> bool {
    let mut lines = bytes.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let second = lines.next().unwrap_or_default();
    let header = second.iter().position(|&b| b == b':').is_some_and(|colon| {
        colon > 0
            && second[..colon]
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
    });
    first.starts_with(b"From ") && header
}

#[cfg(test)]
mod tests {
    use super::*;

    const MBOX: &str = "From ann@a.example Mon Feb  3 09:00:00 2025\n\
        From: ann@a.example\nSubject: One\n\nFirst body.\n>From the start, quoted.\n\n\
        From bob@b.example Mon Feb  3 10:00:00 2025\n\
        From: bob@b.example\nSubject: Re: One\n\nSecond body.\n\n";

    #[test]
    fn an_mbox_splits_into_its_messages_without_separators_and_with_from_unquoted() {
        let messages = split(MBOX.as_bytes()).expect("a mailbox");
        assert_eq!(messages.len(), 2);
        let first = String::from_utf8(messages[0].clone()).unwrap();
        assert_eq!(
            first,
            "From: ann@a.example\nSubject: One\n\nFirst body.\nFrom the start, quoted.\n"
        );
        assert!(
            String::from_utf8(messages[1].clone())
                .unwrap()
                .ends_with("Second body.\n")
        );
    }

    #[test]
    fn a_from_line_inside_a_paragraph_does_not_start_a_message() {
        let text =
            "From ann Mon Feb  3 09:00:00 2025\nSubject: S\n\nline one\nFrom here on, all.\n";
        assert_eq!(split(text.as_bytes()).map(|m| m.len()), Some(1));
    }

    #[test]
    fn a_single_email_or_plain_text_is_not_a_mailbox() {
        assert!(split(b"From: ann@a.example\nSubject: S\n\nBody\n").is_none());
        assert!(split(b"From the desk of the chair: minutes follow.\nAll present.\n").is_none());
    }
}
