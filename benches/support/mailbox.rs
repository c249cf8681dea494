//! A generated mailbox with known threads: conversations among a pool of people, each
//! reply written the way clients write them (top-posted over the whole quote, bottom-posted
//! between quoted lines, Outlook's "Original Message" block, quotes trimmed to the last
//! message, no quote at all), quotes re-wrapped, signatures kept or dropped, branches (a
//! reply to an earlier message than the last), forwards that carry attachments, messages
//! exported without their threading headers, and unrelated conversations that share a
//! subject. Which messages are inclusive is known from how each was written.

use std::collections::BTreeSet;

use super::corpus::{Rng, Vocabulary};

pub struct Person {
    pub name: String,
    pub address: String,
    pub signature: Option<String>,
}

/// One generated e-mail.
pub struct Mail {
    /// Its place in the mailbox, which is also its order by date.
    pub index: usize,
    pub thread: usize,
    pub message_id: String,
    /// Exported without Message-ID, In-Reply-To and References.
    pub headerless: bool,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub subject: String,
    pub from: usize,
    pub to: Vec<usize>,
    /// Seconds since the epoch.
    pub date: i64,
    pub body: String,
    /// Its own words, wrapped as it wrote them: what a quote trimmed to it keeps.
    pub own_text: String,
    /// (name, content) of each attachment, carried ones included.
    pub attachments: Vec<(String, String)>,
    /// The mails (by index) whose whole own text this one reproduces.
    pub contains: BTreeSet<usize>,
    /// Whether no later mail of its thread reproduces it and carries its attachments.
    pub inclusive: bool,
}

pub struct Mailbox {
    pub people: Vec<Person>,
    pub mails: Vec<Mail>,
}

const FIRST: &[&str] = &[
    "Ann", "Bob", "Carla", "Deepak", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
    "Liam", "Mara", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
];
const LAST: &[&str] = &[
    "Lee", "Byrne", "Okafor", "Novak", "Silva", "Haddad", "Kowalski", "Tanaka", "Moreau", "Berg",
    "Adeyemi", "Walsh", "Costa", "Fischer", "Petrova", "Rao",
];

/// From `least` to `least + spread - 1` words.
fn words(vocabulary: &Vocabulary, rng: &mut Rng, least: usize, spread: usize) -> String {
    let count = least + rng.below(spread);
    let mut out = String::new();
    for i in 0..count {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(vocabulary.word(rng));
    }
    out
}

/// A paragraph of `least` to `least + spread - 1` words made into sentences.
fn paragraph(vocabulary: &Vocabulary, rng: &mut Rng, least: usize, spread: usize) -> String {
    let count = least + rng.below(spread);
    let mut out = String::new();
    let mut left = count;
    while left > 0 {
        let n = left.min(6 + rng.below(10));
        let sentence = words(vocabulary, rng, n, 0);
        let mut chars = sentence.chars();
        if let Some(first) = chars.next() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
            out.push('.');
        }
        left -= n;
    }
    out
}

/// `text` wrapped at `width`, each line after `prefix`.
pub fn wrap(text: &str, width: usize, prefix: &str) -> String {
    let mut out = String::new();
    for (i, para) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                out.push_str(prefix);
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(prefix.trim_end());
        if !line.is_empty() {
            if !prefix.is_empty() {
                out.push(' ');
            }
            out.push_str(&line);
        }
    }
    out
}

/// Every line of `text` quoted with "> " (a quote of a quote becomes "> >").
fn quote(text: &str, width: usize) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with('>') {
                format!(">{l}")
            } else if l.is_empty() {
                ">".to_owned()
            } else {
                wrap(l, width, "> ")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn date_text(seconds: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(seconds).expect("date in range");
    date.format(&time::format_description::well_known::Rfc2822)
        .expect("formats")
}

impl Mailbox {
    /// About `messages` mails in conversations of one to a dozen.
    pub fn generate(vocabulary: &Vocabulary, rng: &mut Rng, messages: usize) -> Mailbox {
        let people: Vec<Person> = (0..300)
            .map(|i| {
                let name = format!(
                    "{} {}",
                    FIRST[i % FIRST.len()],
                    LAST[(i / FIRST.len() + i) % LAST.len()]
                );
                let address = format!(
                    "{}.{}{}@{}.example",
                    FIRST[i % FIRST.len()].to_lowercase(),
                    LAST[(i / FIRST.len() + i) % LAST.len()].to_lowercase(),
                    i,
                    ["acme", "globex", "initech", "umbrella"][i % 4]
                );
                let signature = rng
                    .chance(50)
                    .then(|| format!("{name}\nCounsel | +1 555 01{:02}", i % 100));
                Person {
                    name,
                    address,
                    signature,
                }
            })
            .collect();
        let mut mails: Vec<Mail> = Vec::new();
        let mut subjects: Vec<String> = Vec::new();
        let mut clock = 1_700_000_000_i64;
        // Threads are written one after another, each in its own stretch of time; the
        // mailbox is then in date order.
        let mut thread = 0;
        while mails.len() < messages {
            let subject = if !subjects.is_empty() && rng.chance(10) {
                // Another conversation on the same subject, among other people.
                subjects[rng.below(subjects.len())].clone()
            } else {
                let s = words(vocabulary, rng, 3, 4);
                let mut c = s.chars();
                let first = c
                    .next()
                    .map(|f| f.to_uppercase().to_string())
                    .unwrap_or_default();
                first + c.as_str()
            };
            subjects.push(subject.clone());
            let size = 1 + rng.below(4) + if rng.chance(30) { rng.below(9) } else { 0 };
            let group: Vec<usize> = (0..2 + rng.below(3))
                .map(|_| rng.below(people.len()))
                .collect();
            let start = mails.len();
            for k in 0..size {
                clock += 300 + rng.below(86_400) as i64;
                let index = mails.len();
                let message_id = format!("<{index}.{thread}@mail.example>");
                let headerless = rng.chance(15);
                let own = (0..1 + rng.below(3))
                    .map(|_| paragraph(vocabulary, rng, 10, 30))
                    .collect::<Vec<_>>();
                let width = 60 + rng.below(17);
                if k == 0 {
                    let from = group[0];
                    let to: Vec<usize> = group[1..].to_vec();
                    let own_text = own
                        .iter()
                        .map(|p| wrap(p, width, ""))
                        .collect::<Vec<_>>()
                        .join("\n\n");
                    let mut body = own_text.clone();
                    if let Some(sig) = &people[from].signature {
                        body.push_str(&format!("\n\n-- \n{sig}"));
                    }
                    let attachments = if rng.chance(20) {
                        vec![(
                            format!("draft-{index}.txt"),
                            paragraph(vocabulary, rng, 40, 0),
                        )]
                    } else {
                        Vec::new()
                    };
                    mails.push(Mail {
                        index,
                        thread,
                        message_id,
                        headerless,
                        in_reply_to: None,
                        references: Vec::new(),
                        subject: subject.clone(),
                        from,
                        to,
                        date: clock,
                        body,
                        own_text,
                        attachments,
                        contains: BTreeSet::new(),
                        inclusive: true,
                    });
                    continue;
                }
                // A reply to the last message, or to an earlier one (a branch).
                let parent = if rng.chance(70) {
                    index - 1
                } else {
                    start + rng.below(index - start)
                };
                let p = &mails[parent];
                let forward = rng.chance(15);
                let from = if forward || p.to.is_empty() {
                    p.to.first().copied().unwrap_or(group[0])
                } else {
                    p.to[rng.below(p.to.len())]
                };
                let to: Vec<usize> = if forward {
                    vec![rng.below(people.len())]
                } else {
                    std::iter::once(p.from)
                        .chain(p.to.iter().copied().filter(|&t| t != from))
                        .collect()
                };
                let mut references = p.references.clone();
                references.push(p.message_id.clone());
                let own_text = own
                    .iter()
                    .map(|para| wrap(para, width, ""))
                    .collect::<Vec<_>>()
                    .join("\n\n");
                let signature = people[from]
                    .signature
                    .as_ref()
                    .map(|s| format!("\n\n-- \n{s}"))
                    .unwrap_or_default();
                let parent_body = match &people[p.from].signature {
                    // The quote leaves the parent's signature out.
                    Some(sig) if rng.chance(30) => {
                        p.body.replacen(&format!("\n\n-- \n{sig}"), "", 1)
                    }
                    _ => p.body.clone(),
                };
                let attribution = format!(
                    "On {}, {} <{}> wrote:",
                    date_text(p.date),
                    people[p.from].name,
                    people[p.from].address
                );
                let mut contains = BTreeSet::new();
                let mut attachments = Vec::new();
                let mut written = own_text.clone();
                let (prefix, body) = if forward {
                    contains.insert(parent);
                    contains.extend(p.contains.iter().copied());
                    attachments = p.attachments.clone();
                    let comment = paragraph(vocabulary, rng, 8, 10);
                    written = wrap(&comment, width, "");
                    let body = format!(
                        "{}\n\n---------- Forwarded message ---------\nFrom: {} <{}>\nDate: {}\nSubject: {}\n\n{}",
                        wrap(&comment, width, ""),
                        people[p.from].name,
                        people[p.from].address,
                        date_text(p.date),
                        p.subject,
                        parent_body
                    );
                    ("Fwd: ", body)
                } else {
                    let style = rng.below(100);
                    let body = if style < 45 {
                        // Top-posted over the whole quote.
                        contains.insert(parent);
                        contains.extend(p.contains.iter().copied());
                        format!(
                            "{own_text}{signature}\n\n{attribution}\n{}",
                            quote(&parent_body, width)
                        )
                    } else if style < 60 {
                        // Outlook: the whole parent under a header block, unquoted.
                        contains.insert(parent);
                        contains.extend(p.contains.iter().copied());
                        format!(
                            "{own_text}{signature}\n\n-----Original Message-----\nFrom: {}\nSent: {}\nTo: {}\nSubject: {}\n\n{}",
                            people[p.from].name,
                            date_text(p.date),
                            people[from].name,
                            p.subject,
                            parent_body
                        )
                    } else if style < 75 {
                        // Bottom-posted: the reply between the quoted lines.
                        contains.insert(parent);
                        contains.extend(p.contains.iter().copied());
                        let quoted = quote(&parent_body, width);
                        let lines: Vec<&str> = quoted.lines().collect();
                        let cut = (lines.len() / 2).max(1).min(lines.len());
                        let (first, rest) = lines.split_at(cut);
                        let mut parts = vec![
                            attribution.clone(),
                            first.join("\n"),
                            wrap(&own[0], width, ""),
                        ];
                        if !rest.is_empty() {
                            parts.push(rest.join("\n"));
                        }
                        for para in &own[1..] {
                            parts.push(wrap(para, width, ""));
                        }
                        format!("{}{signature}", parts.join("\n"))
                    } else if style < 90 {
                        // The quote trimmed to the parent's own words.
                        contains.insert(parent);
                        format!(
                            "{own_text}{signature}\n\n{attribution}\n{}",
                            quote(&p.own_text, width)
                        )
                    } else {
                        // No quote at all.
                        format!("{own_text}{signature}")
                    };
                    ("Re: ", body)
                };
                if !forward && rng.chance(10) {
                    attachments.push((
                        format!("notes-{index}.txt"),
                        paragraph(vocabulary, rng, 40, 0),
                    ));
                }
                let base = p
                    .subject
                    .trim_start_matches("Re: ")
                    .trim_start_matches("Fwd: ")
                    .to_owned();
                mails.push(Mail {
                    index,
                    thread,
                    message_id,
                    headerless,
                    in_reply_to: Some(p.message_id.clone()),
                    references,
                    subject: format!("{prefix}{base}"),
                    from,
                    to,
                    date: clock,
                    body,
                    own_text: written,
                    attachments,
                    contains,
                    inclusive: true,
                });
            }
            thread += 1;
            clock += 86_400;
        }
        // Inclusive: no later mail of the thread reproduces it with its attachments.
        for m in 0..mails.len() {
            let covered = mails[m + 1..]
                .iter()
                .filter(|n| n.thread == mails[m].thread)
                .any(|n| {
                    n.contains.contains(&m)
                        && mails[m]
                            .attachments
                            .iter()
                            .all(|a| n.attachments.contains(a))
                });
            mails[m].inclusive = !covered;
        }
        Mailbox { people, mails }
    }

    /// The mail as an .eml file.
    pub fn eml(&self, mail: &Mail) -> String {
        let person = |i: usize| format!("{} <{}>", self.people[i].name, self.people[i].address);
        let mut out = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMIME-Version: 1.0\r\n",
            person(mail.from),
            mail.to
                .iter()
                .map(|&t| person(t))
                .collect::<Vec<_>>()
                .join(", "),
            mail.subject,
            date_text(mail.date)
        );
        if !mail.headerless {
            out.push_str(&format!("Message-ID: {}\r\n", mail.message_id));
            if let Some(parent) = &mail.in_reply_to {
                out.push_str(&format!("In-Reply-To: {parent}\r\n"));
            }
            if !mail.references.is_empty() {
                out.push_str(&format!(
                    "References: {}\r\n",
                    mail.references.join("\r\n ")
                ));
            }
        }
        let body = mail.body.replace('\n', "\r\n");
        if mail.attachments.is_empty() {
            out.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
            out.push_str(&body);
            out.push_str("\r\n");
            return out;
        }
        out.push_str("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
        out.push_str(&body);
        out.push_str("\r\n");
        for (name, content) in &mail.attachments {
            out.push_str(&format!(
                "--b\r\nContent-Type: text/plain; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{content}\r\n"
            ));
        }
        out.push_str("--b--\r\n");
        out
    }

    /// The mail as threading reads it, without going through a file.
    pub fn message(&self, mail: &Mail) -> kodiak::threads::Message {
        let (message_id, in_reply_to, references) = if mail.headerless {
            (None, Vec::new(), Vec::new())
        } else {
            let strip = |id: &str| id.trim_matches(['<', '>']).to_owned();
            (
                Some(strip(&mail.message_id)),
                mail.in_reply_to.iter().map(|i| strip(i)).collect(),
                mail.references.iter().map(|r| strip(r)).collect(),
            )
        };
        kodiak::threads::Message {
            id: mail.index as i64 + 1,
            message_id,
            in_reply_to,
            references,
            subject: mail.subject.clone(),
            from: vec![self.people[mail.from].address.clone()],
            recipients: mail
                .to
                .iter()
                .map(|&t| self.people[t].address.clone())
                .collect(),
            date: Some(mail.date),
            body: mail.body.clone(),
            attachments: mail
                .attachments
                .iter()
                .map(|(_, content)| kodiak::ingest::sha256_hex(content.as_bytes()))
                .collect(),
        }
    }
}
