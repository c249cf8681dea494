//! HTML: the visible text only (no scripts, styles or markup), blocks on their own lines,
//! and the title from `<title>`.

use scraper::{Html, Node};

use super::{ExtractError, Extracted, Format, text};

/// Elements whose content a reader never sees.
const HIDDEN: &[&str] = &[
    "head", "script", "style", "noscript", "template", "svg", "iframe", "object",
];
/// Elements that start and end a line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];

pub fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let source = text::decode(bytes).ok_or_else(|| ExtractError::Corrupt {
        format: "html",
        reason: "the bytes are not text".into(),
    })?;
    let document = Html::parse_document(&source);
    let title = document
        .tree
        .root()
        .descendants()
        .find(|n| n.value().as_element().is_some_and(|e| e.name() == "title"))
        .map(|n| {
            let text: String = n
                .descendants()
                .filter_map(|d| d.value().as_text().map(|t| t.to_string()))
                .collect();
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        });
    let mut out = String::with_capacity(source.len() / 2);
    // An explicit stack, not recursion: nesting depth is the author's choice, not ours.
    let mut stack = vec![(document.tree.root(), false)];
    while let Some((node, closing)) = stack.pop() {
        match node.value() {
            Node::Element(element) => {
                let name = element.name();
                if HIDDEN.contains(&name) {
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if closing {
                    if block {
                        out.push('\n');
                    } else if matches!(name, "td" | "th") {
                        out.push('\t');
                    }
                    continue;
                }
                if block {
                    out.push('\n');
                }
                stack.push((node, true));
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev().map(|c| (c, false)));
            }
            // Line breaks in HTML source are spaces; only blocks make lines.
            Node::Text(text) => {
                let mut words = text.split_whitespace();
                if text.starts_with(char::is_whitespace) && !out.ends_with([' ', '\n']) {
                    out.push(' ');
                }
                if let Some(first) = words.next() {
                    out.push_str(first);
                    for word in words {
                        out.push(' ');
                        out.push_str(word);
                    }
                    if text.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                }
            }
            _ => {
                if !closing {
                    let children: Vec<_> = node.children().collect();
                    stack.extend(children.into_iter().rev().map(|c| (c, false)));
                }
            }
        }
    }
    let title = title.filter(|t| !t.is_empty());
    Ok(Extracted::single_page(Format::Html, title, out))
}
