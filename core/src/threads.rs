//! E-mail threads: messages grouped into conversations, each with its parent and position,
//! and the *inclusive* ones marked: those whose text no later message in the thread
//! contains (or that carry an attachment no later message carries), so that reading them
//! reads the whole thread.
//!
//! Headers decide first: a message's In-Reply-To and References name its parent and put it
//! in the conversation of every message they name, even one that is not in the collection
//! (two replies to a root nobody has are still one thread). Messages exported without
//! those headers (some clients, some conversions) fall back on what a reader would use: the
//! subject without its "Re:"/"Fwd:"/"AW:" prefixes, then the earlier message of that
//! subject whose text this one quotes, or failing that, one it was a reply to by its
//! participants.
//!
//! Containment is read on text with quote markers (`>`) removed, lines joined and spaces
//! collapsed, so that a reply that re-wraps the quoted lines still contains them; a
//! message's own text is what it wrote, without what it quoted, an attribution line ("On
//! … wrote:") or its signature, and it is contained when every run of its own lines is.

use std::collections::{HashMap, HashSet};

use memchr::memmem;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Earlier messages of the same subject a message without headers is compared with.
const FALLBACK_CANDIDATES: usize = 200;

/// One e-mail as threading reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// The document's id.
    pub id: i64,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub subject: String,
    /// Lower-cased addresses of the sender.
    pub from: Vec<String>,
    /// Lower-cased addresses of the recipients (To and Cc).
    pub recipients: Vec<String>,
    /// Seconds since the epoch; None when the message has no readable date.
    pub date: Option<i64>,
    /// The body, without the header lines.
    pub body: String,
    /// The SHA-256 of each attachment.
    pub attachments: Vec<String>,
}

impl Message {
    /// A message from a stored e-mail document: its header fields (as extraction stores
    /// them: From, To, Cc, Date in RFC 3339, Subject, Message-ID, In-Reply-To, References)
    /// and its text, whose header lines end at the first blank line.
    pub fn from_document(
        id: i64,
        metadata: &std::collections::BTreeMap<String, String>,
        text: &str,
        attachments: Vec<String>,
    ) -> Message {
        let field = |name: &str| metadata.get(name).map(String::as_str).unwrap_or("");
        let body = match text.find("\n\n") {
            Some(end) if text[..end].lines().all(|l| l.contains(": ")) => &text[end + 2..],
            _ => text,
        };
        Message {
            id,
            message_id: message_ids(field("Message-ID")).into_iter().next(),
            in_reply_to: message_ids(field("In-Reply-To")),
            references: message_ids(field("References")),
            subject: field("Subject").to_owned(),
            from: addresses(field("From")),
            recipients: addresses(field("To"))
                .into_iter()
                .chain(addresses(field("Cc")))
                .collect(),
            date: OffsetDateTime::parse(field("Date"), &Rfc3339)
                .ok()
                .map(OffsetDateTime::unix_timestamp),
            body: body.to_owned(),
            attachments,
        }
    }
}

/// Where one message sits in its thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub document: i64,
    /// The thread's id: its first message's document id.
    pub thread: i64,
    /// The message it replies to or forwards, when that is in the collection.
    pub parent: Option<i64>,
    /// Its place in the thread by date, from 1.
    pub position: usize,
    /// No later message of the thread contains its text and every attachment.
    pub inclusive: bool,
}

/// Message-IDs in a header value: each `<…>` (or the bare value when there are none),
/// without the angle brackets.
pub fn message_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let id = rest[open + 1..open + close].trim();
        if !id.is_empty() {
            ids.push(id.to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    if ids.is_empty() {
        ids.extend(value.split_whitespace().map(str::to_owned));
    }
    ids
}

/// The lower-cased addresses in a From/To/Cc value as extraction stores it
/// ("Name <a@b>, c@d").
pub fn addresses(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|part| {
            let part = part.trim();
            let address = match (part.rfind('<'), part.rfind('>')) {
                (Some(open), Some(close)) if open < close => &part[open + 1..close],
                _ => part,
            };
            address.contains('@').then(|| address.trim().to_lowercase())
        })
        .collect()
}

/// The subject a conversation shares: without reply and forward prefixes in the
/// languages clients write them (Re, Fwd, Fw, AW, WG, TR, RV, SV, VS, Antw, Odp, Enc, Rif,
/// R, I), list tags such as "[EXTERNAL]", and counts such as "Re[2]:", lower-cased with
/// spaces collapsed. Also says whether a prefix was removed.
pub fn thread_subject(subject: &str) -> (String, bool) {
    const PREFIXES: &[&str] = &[
        "re", "fwd", "fw", "aw", "wg", "tr", "rv", "sv", "vs", "antw", "odp", "enc", "rif", "r",
        "i", "res",
    ];
    let mut rest = subject.trim();
    let mut prefixed = false;
    loop {
        if let Some(tagged) = rest.strip_prefix('[')
            && let Some(close) = tagged.find(']')
            && close <= 30
        {
            rest = tagged[close + 1..].trim_start();
            continue;
        }
        let word_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let word = rest[..word_end].to_ascii_lowercase();
        if !PREFIXES.contains(&word.as_str()) {
            break;
        }
        let mut after = rest[word_end..].trim_start();
        // A count: "Re[2]:", "RE(3):".
        if let Some(count) = after.strip_prefix(['[', '('])
            && let Some(close) = count.find([']', ')'])
            && count[..close].chars().all(|c| c.is_ascii_digit())
        {
            after = count[close + 1..].trim_start();
        }
        match after.strip_prefix([':', '：']) {
            Some(stripped) => {
                rest = stripped.trim_start();
                prefixed = true;
            }
            None => break,
        }
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    (words.join(" ").to_lowercase(), prefixed)
}

/// A line that opens quoted history in the clients' own styles: what follows it is
/// another message's text, not this one's.
fn opens_history(line: &str, next: &[&str]) -> bool {
    let trimmed = line.trim().trim_matches('*').trim();
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("-----original message")
        || lower.starts_with("----- original message")
        || lower.contains("forwarded message")
        || lower.starts_with("begin forwarded message")
    {
        return true;
    }
    // Outlook's block: "From: …" then "Sent:"/"Date:" within the next lines.
    lower.starts_with("from:")
        && next.iter().take(3).any(|l| {
            let l = l.trim().trim_matches('*').trim().to_ascii_lowercase();
            l.starts_with("sent:") || l.starts_with("date:")
        })
}

/// An attribution line: "On Mon, 3 Feb 2025 at 10:00, Alice <a@b> wrote:".
fn attribution(line: &str) -> bool {
    let trimmed = line.trim_end();
    trimmed.ends_with("wrote:") || trimmed.ends_with("schrieb:") || trimmed.ends_with("a écrit :")
}

fn quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// A line without its quote markers (`> > `).
fn unquoted(line: &str) -> &str {
    let mut rest = line.trim_start();
    while let Some(after) = rest.strip_prefix('>') {
        rest = after.trim_start();
    }
    rest
}

/// Text as containment compares it: lower-cased words separated by one space.
fn normalise<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for word in lines.flat_map(str::split_whitespace) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A whole body as containment reads it, quotes included.
fn normalised_body(body: &str) -> String {
    normalise(body.lines().map(unquoted))
}

/// What a body quotes, normalised: its quoted lines and everything after a history
/// separator, without its own lines, so that a reply written between the lines of a quoted
/// paragraph leaves that paragraph whole.
fn quoted_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let history = (0..lines.len())
        .find(|&i| opens_history(lines[i], &lines[i + 1..]))
        .unwrap_or(lines.len());
    normalise(
        lines[..history]
            .iter()
            .copied()
            .filter(|l| quoted(l))
            .chain(lines[history..].iter().copied())
            .map(unquoted),
    )
}

/// The runs of a body's own lines, normalised: not quoted, not attribution, not a
/// signature (from a "-- " line to the next quote), nothing after a history separator.
fn own_runs(body: &str) -> Vec<String> {
    let lines: Vec<&str> = body.lines().collect();
    let mut runs = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let mut in_signature = false;
    let flush = |run: &mut Vec<&str>, runs: &mut Vec<String>| {
        let text = normalise(run.drain(..));
        if !text.is_empty() {
            runs.push(text);
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if opens_history(line, &lines[i + 1..]) {
            break;
        }
        if quoted(line) {
            in_signature = false;
            flush(&mut run, &mut runs);
        } else if line.trim_end() == "--" || line.starts_with("-- ") {
            in_signature = true;
            flush(&mut run, &mut runs);
        } else if attribution(line) {
            flush(&mut run, &mut runs);
        } else if !in_signature {
            run.push(line);
        }
    }
    flush(&mut run, &mut runs);
    runs
}

/// Union-find over message indexes and the Message-IDs named.
struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

/// Threads `messages`: each one's thread, parent, position and whether it is inclusive.
/// Returned in the order given.
pub fn thread(messages: &[Message]) -> Vec<Placement> {
    let count = messages.len();
    // Thread order: by date, then by id (a message without a date comes first).
    let order_key = |i: usize| (messages[i].date.unwrap_or(i64::MIN), messages[i].id);
    let mut by_message_id: HashMap<&str, usize> = HashMap::new();
    for (i, message) in messages.iter().enumerate() {
        if let Some(id) = &message.message_id {
            by_message_id
                .entry(id.as_str())
                .and_modify(|earlier| {
                    if order_key(i) < order_key(*earlier) {
                        *earlier = i;
                    }
                })
                .or_insert(i);
        }
    }
    // Message-IDs named but not in the collection get slots after the messages.
    let mut missing: HashMap<&str, usize> = HashMap::new();
    let mut components = Components {
        parent: (0..count).collect(),
    };
    let mut parents: Vec<Option<usize>> = vec![None; count];
    let mut ancestors: Vec<Option<usize>> = vec![None; count];
    for (i, message) in messages.iter().enumerate() {
        for id in message.references.iter().chain(&message.in_reply_to) {
            let named = match by_message_id.get(id.as_str()) {
                Some(&named) => named,
                None => *missing.entry(id.as_str()).or_insert_with(|| {
                    components.parent.push(components.parent.len());
                    components.parent.len() - 1
                }),
            };
            components.union(i, named);
        }
        // The parent is the message named last (In-Reply-To, else the last reference)
        // when it is here; when it is not, the fallback below may find it, else the
        // nearest ancestor named that is.
        let named_last = message.in_reply_to.last().or(message.references.last());
        let known = |id: &String| by_message_id.get(id.as_str()).copied().filter(|&p| p != i);
        parents[i] = named_last.and_then(known);
        if parents[i].is_none() {
            ancestors[i] = message.references.iter().rev().find_map(known);
        }
    }
    let bodies: Vec<String> = messages.iter().map(|m| normalised_body(&m.body)).collect();
    let quoted: Vec<String> = messages.iter().map(|m| quoted_text(&m.body)).collect();
    let owns: Vec<Vec<String>> = messages.iter().map(|m| own_runs(&m.body)).collect();
    let quotes = |outer: usize, inner: usize| -> bool {
        let within = |text: &String| {
            owns[inner]
                .iter()
                .all(|run| memmem::find(text.as_bytes(), run.as_bytes()).is_some())
        };
        !owns[inner].is_empty() && (within(&quoted[outer]) || within(&bodies[outer]))
    };

    // Messages whose parent the headers do not find fall back on subject, quoted text and
    // participants: those without threading headers, and replies to a message that was
    // exported without its Message-ID (the only kind of stored message their headers can
    // name and miss, so the only kind they may fall back on).
    let subjects: Vec<(String, bool)> = messages
        .iter()
        .map(|m| thread_subject(&m.subject))
        .collect();
    let mut by_subject: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (subject, _)) in subjects.iter().enumerate() {
        if !subject.is_empty() {
            by_subject.entry(subject.as_str()).or_default().push(i);
        }
    }
    for i in 0..count {
        let message = &messages[i];
        if parents[i].is_some() {
            continue;
        }
        let linked = !message.in_reply_to.is_empty() || !message.references.is_empty();
        let (subject, prefixed) = &subjects[i];
        let same = by_subject
            .get(subject.as_str())
            .map_or(&[][..], Vec::as_slice);
        let mut earlier: Vec<usize> = same
            .iter()
            .copied()
            .filter(|&j| j != i && order_key(j) < order_key(i))
            .filter(|&j| !linked || messages[j].message_id.is_none())
            .collect();
        earlier.sort_by_key(|&j| std::cmp::Reverse(order_key(j)));
        // The most recent ones: a subject as common as "Meeting" must not make this
        // quadratic over a whole mailbox.
        earlier.truncate(FALLBACK_CANDIDATES);
        let quoted_parent = earlier.iter().copied().find(|&j| quotes(i, j));
        let replied_parent = || {
            earlier.iter().copied().find(|&j| {
                let earlier = &messages[j];
                let wrote_to = |a: &Message, b: &Message| {
                    a.from
                        .iter()
                        .any(|f| b.recipients.contains(f) || b.from.contains(f))
                };
                wrote_to(earlier, message) || wrote_to(message, earlier)
            })
        };
        let parent = match quoted_parent {
            Some(p) => Some(p),
            None if *prefixed => replied_parent(),
            None => None,
        };
        if let Some(p) = parent.or(ancestors[i]) {
            parents[i] = Some(p);
            components.union(i, p);
        }
    }

    // Threads, each in date order.
    let mut threads: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..count {
        let root = components.find(i);
        threads.entry(root).or_default().push(i);
    }
    let attachments: Vec<HashSet<&str>> = messages
        .iter()
        .map(|m| m.attachments.iter().map(String::as_str).collect())
        .collect();
    let mut placements: Vec<Option<Placement>> = vec![None; count];
    for (_, mut members) in threads {
        members.sort_by_key(|&i| order_key(i));
        let thread_id = messages[members[0]].id;
        for (position, &i) in members.iter().enumerate() {
            let covered = members[position + 1..].iter().any(|&later| {
                attachments[i].is_subset(&attachments[later])
                    && (owns[i].is_empty() || quotes(later, i))
            });
            placements[i] = Some(Placement {
                document: messages[i].id,
                thread: thread_id,
                parent: parents[i].map(|p| messages[p].id),
                position: position + 1,
                inclusive: !covered,
            });
        }
    }
    placements.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, date: i64, subject: &str, from: &str, to: &str, body: &str) -> Message {
        Message {
            id,
            message_id: Some(format!("m{id}@example.com")),
            subject: subject.to_owned(),
            from: vec![from.to_owned()],
            recipients: vec![to.to_owned()],
            date: Some(date),
            body: body.to_owned(),
            ..Message::default()
        }
    }

    fn reply_to(mut m: Message, parents: &[i64]) -> Message {
        m.references = parents
            .iter()
            .map(|p| format!("m{p}@example.com"))
            .collect();
        m.in_reply_to = parents
            .last()
            .map(|p| vec![format!("m{p}@example.com")])
            .unwrap_or_default();
        m
    }

    fn headerless(mut m: Message) -> Message {
        m.message_id = None;
        m.in_reply_to.clear();
        m.references.clear();
        m
    }

    fn by_id(placements: &[Placement], id: i64) -> &Placement {
        placements
            .iter()
            .find(|p| p.document == id)
            .expect("every message is placed")
    }

    const FIRST: &str = "Please review the draft supply agreement before Friday.\nThanks, Ann";
    const SECOND: &str = "Looks fine to me, one comment on clause 4.\n\nOn Mon, 3 Feb 2025, Ann <ann@a.com> wrote:\n> Please review the draft supply agreement before Friday.\n> Thanks, Ann";

    #[test]
    fn message_ids_are_read_without_angle_brackets_in_order() {
        assert_eq!(
            message_ids("<a@x> <b@y>\n <c@z>"),
            vec!["a@x".to_owned(), "b@y".to_owned(), "c@z".to_owned()]
        );
        assert_eq!(message_ids("bare@x"), vec!["bare@x".to_owned()]);
        assert!(message_ids("").is_empty());
    }

    #[test]
    fn thread_subject_removes_reply_and_forward_prefixes_in_several_languages_and_tags() {
        for subject in [
            "Supply agreement",
            "Re: Supply agreement",
            "RE: RE: Supply  agreement",
            "Fwd: Re: supply agreement",
            "AW: WG: Supply agreement",
            "[EXTERNAL] Re: Supply agreement",
            "Re[2]: Supply agreement",
            "TR : Supply agreement",
        ] {
            assert_eq!(thread_subject(subject).0, "supply agreement", "{subject}");
        }
        assert!(!thread_subject("Supply agreement").1);
        assert!(thread_subject("Re: Supply agreement").1);
        // A word that only looks like a prefix stays.
        assert_eq!(thread_subject("Rebate terms").0, "rebate terms");
        assert_eq!(thread_subject("Re rebate: terms").0, "re rebate: terms");
    }

    #[test]
    fn addresses_are_read_from_names_and_bare_addresses_lower_cased() {
        assert_eq!(
            addresses("Ann Lee <Ann@A.com>, bob@b.com, Undisclosed recipients"),
            vec!["ann@a.com".to_owned(), "bob@b.com".to_owned()]
        );
    }

    #[test]
    fn a_reply_by_headers_joins_its_parent_and_only_the_reply_is_inclusive() {
        let placements = thread(&[
            message(1, 100, "Supply agreement", "ann@a.com", "bob@b.com", FIRST),
            reply_to(
                message(
                    2,
                    200,
                    "Re: Supply agreement",
                    "bob@b.com",
                    "ann@a.com",
                    SECOND,
                ),
                &[1],
            ),
        ]);
        let (first, second) = (by_id(&placements, 1), by_id(&placements, 2));
        assert_eq!((first.thread, second.thread), (1, 1));
        assert_eq!((first.parent, second.parent), (None, Some(1)));
        assert_eq!((first.position, second.position), (1, 2));
        assert!(!first.inclusive, "the reply quotes it whole");
        assert!(second.inclusive);
    }

    #[test]
    fn replies_to_a_root_that_is_not_in_the_collection_share_one_thread() {
        let mut a = message(5, 100, "Re: Terms", "bob@b.com", "ann@a.com", "Yes.");
        a.references = vec!["gone@example.com".into()];
        let mut b = message(6, 200, "Re: Terms", "cy@c.com", "ann@a.com", "No.");
        b.in_reply_to = vec!["gone@example.com".into()];
        let placements = thread(&[a, b]);
        assert_eq!(by_id(&placements, 5).thread, 5);
        assert_eq!(by_id(&placements, 6).thread, 5);
        assert_eq!(by_id(&placements, 6).parent, None);
        assert!(
            placements.iter().all(|p| p.inclusive),
            "neither quotes the other"
        );
    }

    #[test]
    fn without_headers_a_reply_joins_the_earlier_message_of_its_subject_that_it_quotes() {
        let placements = thread(&[
            headerless(message(
                1,
                100,
                "Supply agreement",
                "ann@a.com",
                "bob@b.com",
                FIRST,
            )),
            headerless(message(
                2,
                150,
                "Supply agreement",
                "zed@z.com",
                "yan@y.com",
                "Other.",
            )),
            headerless(message(
                3,
                200,
                "RE: Supply agreement",
                "bob@b.com",
                "ann@a.com",
                SECOND,
            )),
        ]);
        assert_eq!(by_id(&placements, 3).parent, Some(1));
        assert_eq!(by_id(&placements, 3).thread, 1);
        // The same subject without a prefix and nothing quoted is a conversation of its own.
        assert_eq!(by_id(&placements, 2).thread, 2);
        assert!(!by_id(&placements, 1).inclusive);
    }

    #[test]
    fn without_headers_or_quotes_a_prefixed_reply_joins_by_its_participants() {
        let placements = thread(&[
            headerless(message(
                1,
                100,
                "Budget",
                "ann@a.com",
                "bob@b.com",
                "Numbers attached.",
            )),
            headerless(message(
                2,
                110,
                "Budget",
                "zed@z.com",
                "yan@y.com",
                "Unrelated budget.",
            )),
            headerless(message(
                3,
                200,
                "Re: Budget",
                "bob@b.com",
                "ann@a.com",
                "Received, thanks.",
            )),
        ]);
        assert_eq!(by_id(&placements, 3).parent, Some(1));
        assert_eq!(by_id(&placements, 2).thread, 2);
    }

    #[test]
    fn a_quote_rewrapped_with_markers_still_contains_the_message() {
        let original = "The liability cap is twelve months of fees paid under this agreement, excluding indemnities.";
        let rewrapped = "Agreed.\n\nAnn wrote:\n> The liability cap is twelve months of fees\n> paid under this\n> agreement, excluding indemnities.";
        let placements = thread(&[
            message(1, 100, "Cap", "ann@a.com", "bob@b.com", original),
            reply_to(
                message(2, 200, "Re: Cap", "bob@b.com", "ann@a.com", rewrapped),
                &[1],
            ),
        ]);
        assert!(!by_id(&placements, 1).inclusive);
    }

    #[test]
    fn bottom_posted_text_between_quotes_is_own_text_and_must_be_quoted_whole() {
        let bottom = "> Please review the draft supply agreement before Friday.\nI will, by Thursday.\n> Thanks, Ann\nAnd clause 4 needs work.\n-- \nBob Byrne\nCounsel";
        // A later reply that quotes only the first of Bob's two points leaves him inclusive.
        let partial = "Fine.\n> I will, by Thursday.";
        let whole =
            "Fine.\n> > Please review\n> I will, by Thursday.\n> And clause 4 needs\n> work.";
        for (later, inclusive) in [(partial, true), (whole, false)] {
            let placements = thread(&[
                message(1, 100, "S", "ann@a.com", "bob@b.com", FIRST),
                reply_to(
                    message(2, 200, "Re: S", "bob@b.com", "ann@a.com", bottom),
                    &[1],
                ),
                reply_to(
                    message(3, 300, "Re: S", "ann@a.com", "bob@b.com", later),
                    &[1, 2],
                ),
            ]);
            assert_eq!(by_id(&placements, 2).inclusive, inclusive, "{later}");
        }
    }

    #[test]
    fn a_reply_written_inside_a_quoted_paragraph_still_contains_that_paragraph() {
        let original =
            "The cap is twelve months of fees.\nIt excludes indemnities and confidentiality.";
        let inline = "Ann wrote:\n> The cap is twelve months of fees.\nToo low for us.\n> It excludes indemnities and confidentiality.\nAgreed on that.";
        let placements = thread(&[
            message(1, 100, "Cap", "ann@a.com", "bob@b.com", original),
            reply_to(
                message(2, 200, "Re: Cap", "bob@b.com", "ann@a.com", inline),
                &[1],
            ),
        ]);
        assert!(!by_id(&placements, 1).inclusive);
        assert!(by_id(&placements, 2).inclusive);
    }

    #[test]
    fn a_reply_to_a_message_exported_without_its_id_finds_it_by_what_it_quotes() {
        let mut first = message(1, 100, "S", "ann@a.com", "bob@b.com", FIRST);
        first.message_id = None;
        let first_id = "m1@example.com";
        let mut second = message(2, 200, "Re: S", "bob@b.com", "ann@a.com", SECOND);
        second.in_reply_to = vec![first_id.into()];
        second.references = vec![first_id.into()];
        // The third replies to the second, whose id is gone too; its references name the
        // first, which is no more findable: it lands on the second by its quote.
        let mut third = message(
            3,
            300,
            "Re: S",
            "ann@a.com",
            "bob@b.com",
            &format!("Thanks.\n> {}", SECOND.replace('\n', "\n> ")),
        );
        second.message_id = None;
        third.in_reply_to = vec!["m2@example.com".into()];
        third.references = vec![first_id.into(), "m2@example.com".into()];
        let placements = thread(&[first, second, third]);
        assert_eq!(by_id(&placements, 2).parent, Some(1));
        assert_eq!(by_id(&placements, 3).parent, Some(2));
        assert!(placements.iter().all(|p| p.thread == 1));
    }

    #[test]
    fn a_reply_whose_parent_is_missing_hangs_under_the_nearest_ancestor_named() {
        let first = message(1, 100, "S", "ann@a.com", "bob@b.com", FIRST);
        let mut third = message(3, 300, "Re: S", "ann@a.com", "bob@b.com", "Thanks.");
        third.in_reply_to = vec!["gone@example.com".into()];
        third.references = vec!["m1@example.com".into(), "gone@example.com".into()];
        let placements = thread(&[first, third]);
        assert_eq!(by_id(&placements, 3).parent, Some(1));
    }

    #[test]
    fn two_replies_to_one_message_are_a_branch_and_both_inclusive() {
        let placements = thread(&[
            message(1, 100, "S", "ann@a.com", "bob@b.com", FIRST),
            reply_to(
                message(2, 200, "Re: S", "bob@b.com", "ann@a.com", SECOND),
                &[1],
            ),
            reply_to(
                message(
                    3,
                    300,
                    "Re: S",
                    "cy@c.com",
                    "ann@a.com",
                    "Not me.\n> Please review the draft supply agreement before Friday.\n> Thanks, Ann",
                ),
                &[1],
            ),
        ]);
        assert_eq!(by_id(&placements, 3).parent, Some(1));
        assert!(!by_id(&placements, 1).inclusive);
        assert!(by_id(&placements, 2).inclusive);
        assert!(by_id(&placements, 3).inclusive);
    }

    #[test]
    fn a_message_whose_attachment_no_later_message_carries_stays_inclusive() {
        let mut first = message(1, 100, "Draft", "ann@a.com", "bob@b.com", FIRST);
        first.attachments = vec!["sha-draft".into()];
        let reply = reply_to(
            message(2, 200, "Re: Draft", "bob@b.com", "ann@a.com", SECOND),
            &[1],
        );
        let placements = thread(&[first.clone(), reply.clone()]);
        assert!(
            by_id(&placements, 1).inclusive,
            "the reply drops the attachment"
        );

        let mut forward = reply_to(
            message(
                3,
                300,
                "Fwd: Draft",
                "bob@b.com",
                "cy@c.com",
                &format!(
                    "See below.\n---------- Forwarded message ---------\nFrom: Ann\nDate: Mon\n\n{FIRST}"
                ),
            ),
            &[1],
        );
        forward.attachments = vec!["sha-draft".into()];
        let placements = thread(&[first, reply, forward]);
        assert!(
            !by_id(&placements, 1).inclusive,
            "the forward carries text and attachment"
        );
    }

    #[test]
    fn a_signature_left_out_of_the_quote_still_counts_as_contained() {
        let signed = "Please send the signed copy.\n-- \nAnn Lee | Partner | +1 555 0100";
        let placements = thread(&[
            message(1, 100, "Copy", "ann@a.com", "bob@b.com", signed),
            reply_to(
                message(
                    2,
                    200,
                    "Re: Copy",
                    "bob@b.com",
                    "ann@a.com",
                    "Sent.\n> Please send the signed copy.",
                ),
                &[1],
            ),
        ]);
        assert!(!by_id(&placements, 1).inclusive);
    }

    #[test]
    fn outlook_history_after_a_separator_is_not_the_replys_own_text() {
        let outlook = "Agreed.\n\n-----Original Message-----\nFrom: Ann\nSent: Monday\nPlease review the draft.";
        assert_eq!(own_runs(outlook), vec!["agreed.".to_owned()]);
        let header_block = "Agreed.\nFrom: Ann Lee\nSent: Monday\nSubject: S\nOld text";
        assert_eq!(own_runs(header_block), vec!["agreed.".to_owned()]);
    }

    #[test]
    fn from_document_reads_the_stored_header_fields_and_skips_the_header_lines() {
        let metadata: std::collections::BTreeMap<String, String> = [
            ("From", "Ann Lee <ann@a.com>"),
            ("To", "bob@b.com"),
            ("Cc", "Cy <CY@c.com>"),
            ("Date", "2025-02-03T10:00:00+01:00"),
            ("Subject", "Re: S"),
            ("Message-ID", "<m2@x>"),
            ("In-Reply-To", "<m1@x>"),
            ("References", "<m0@x> <m1@x>"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let text = "From: Ann Lee <ann@a.com>\nTo: bob@b.com\nSubject: Re: S\n\nBody line.\n";
        let m = Message::from_document(7, &metadata, text, vec!["sha".into()]);
        assert_eq!(m.message_id.as_deref(), Some("m2@x"));
        assert_eq!(m.in_reply_to, vec!["m1@x".to_owned()]);
        assert_eq!(m.references, vec!["m0@x".to_owned(), "m1@x".to_owned()]);
        assert_eq!(m.from, vec!["ann@a.com".to_owned()]);
        assert_eq!(
            m.recipients,
            vec!["bob@b.com".to_owned(), "cy@c.com".to_owned()]
        );
        assert_eq!(m.date, Some(1_738_573_200));
        assert_eq!(m.body, "Body line.\n");
    }
}
