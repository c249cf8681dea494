//! Email (RFC 822 / MIME): From, To, Cc, Date and Subject as metadata and as text, the
//! threading headers (Message-ID, In-Reply-To, References) as metadata only, the body
//! (HTML-only bodies converted), and attachments handed back to be ingested as children.

use std::collections::BTreeMap;

use mail_parser::{Address, MessageParser, MimeHeaders};

use super::{Attachment, ExtractError, Extracted, Format, html};

/// Header names that open an email file; two of them in the first lines make it one.
const HEADERS: &[&str] = &[
    "from:",
    "to:",
    "cc:",
    "subject:",
    "date:",
    "received:",
    "message-id:",
    "mime-version:",
    "return-path:",
    "delivered-to:",
    "reply-to:",
    "content-type:",
];

pub fn looks_like_email(head: &str) -> bool {
    let mut seen = 0;
    for line in head.lines().take(30) {
        if line.is_empty() {
            break; // the end of the header block
        }
        let lower = line.to_ascii_lowercase();
        if HEADERS.iter().any(|h| lower.starts_with(h)) {
            seen += 1;
        } else if !line.starts_with([' ', '\t']) && !line.contains(':') {
            return false;
        }
    }
    seen >= 2
}

fn addresses(address: Option<&Address<'_>>) -> Option<String> {
    let list: Vec<String> = address?
        .iter()
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(address)) => format!("{name} <{address}>"),
            (None, Some(address)) => address.to_owned(),
            (Some(name), None) => name.to_owned(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!list.is_empty()).then(|| list.join(", "))
}

pub fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| ExtractError::Corrupt {
            format: "email",
            reason: "no RFC 822 message could be parsed".into(),
        })?;
    let mut metadata = BTreeMap::new();
    let fields = [
        ("From", addresses(message.from())),
        ("To", addresses(message.to())),
        ("Cc", addresses(message.cc())),
        ("Date", message.date().map(|d| d.to_rfc3339())),
        ("Subject", message.subject().map(str::to_owned)),
    ];
    let mut text = String::new();
    for (name, value) in fields {
        if let Some(value) = value {
            text.push_str(&format!("{name}: {value}\n"));
            metadata.insert(name.to_owned(), value);
        }
    }
    text.push('\n');
    // The headers that thread a conversation: kept as metadata, not shown as text.
    let ids = |value: &mail_parser::HeaderValue<'_>| {
        value.as_text_list().map(|ids| {
            ids.iter()
                .map(|id| format!("<{id}>"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    let threading = [
        (
            "Message-ID",
            message.message_id().map(|id| format!("<{id}>")),
        ),
        ("In-Reply-To", ids(message.in_reply_to())),
        ("References", ids(message.references())),
    ];
    for (name, value) in threading {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            metadata.insert(name.to_owned(), value);
        }
    }
    if message.text_body_count() > 0 {
        for index in 0..message.text_body_count() {
            if let Some(body) = message.body_text(index) {
                text.push_str(&body);
                text.push('\n');
            }
        }
    } else if let Some(body) = message.body_html(0) {
        let converted = html::extract(body.as_bytes())?;
        text.push_str(&converted.pages.concat());
    }
    let attachments = message
        .attachments()
        .filter(|part| !part.is_message())
        .enumerate()
        .map(|(i, part)| Attachment {
            name: part
                .attachment_name()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("attachment-{}", i + 1)),
            bytes: part.contents().to_vec(),
        })
        .collect();
    Ok(Extracted {
        format: Format::Email,
        title: message.subject().map(str::to_owned),
        pages: vec![text],
        metadata,
        attachments,
    })
}
