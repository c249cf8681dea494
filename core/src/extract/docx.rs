//! DOCX: headers, body paragraphs and tables (cells in reading order, tab-separated), then
//! footers. The ZIP container is checked against entry, size and ratio limits before and
//! while reading, since declared sizes can lie (zip bombs).

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;
use zip::ZipArchive;

use super::{ExtractError, Extracted, Format, Limits};

const BODY: &str = "word/document.xml";

fn corrupt(reason: impl std::fmt::Display) -> ExtractError {
    ExtractError::Corrupt {
        format: "docx",
        reason: reason.to_string(),
    }
}

pub fn is_docx(bytes: &[u8]) -> bool {
    ZipArchive::new(Cursor::new(bytes)).is_ok_and(|zip| zip.index_for_name(BODY).is_some())
}

pub fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    if zip.len() > limits.zip_max_entries {
        return Err(ExtractError::Limit {
            what: "the number of entries in the container",
            actual: zip.len().to_string(),
            limit: limits.zip_max_entries.to_string(),
            setting: "[ingest] zip_max_entries",
        });
    }
    let mut declared = 0u64;
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(corrupt)?;
        declared = declared.saturating_add(entry.size());
        let ratio = entry.size() / entry.compressed_size().max(1);
        if ratio > limits.zip_max_ratio {
            return Err(ExtractError::Limit {
                what: "the compression ratio of an entry",
                actual: format!("{ratio}:1 ({})", entry.name().unwrap_or_default()),
                limit: format!("{}:1", limits.zip_max_ratio),
                setting: "[ingest] zip_max_ratio",
            });
        }
    }
    if declared > limits.zip_max_unpacked_bytes {
        return Err(unpacked_limit(declared, limits));
    }

    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|name| name.ok().map(|n| n.into_owned()))
        .collect();
    names.sort();
    let part = |prefix: &str| {
        names
            .iter()
            .filter(|n| n.starts_with(prefix) && n.ends_with(".xml"))
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut parts = part("word/header");
    parts.push(BODY.to_owned());
    parts.extend(part("word/footer"));

    let mut budget = limits.zip_max_unpacked_bytes;
    let mut text = String::new();
    for name in &parts {
        let xml = read_entry(&mut zip, name, &mut budget, limits)?;
        paragraphs(&xml, &mut text)?;
        text.push('\n');
    }
    let title = zip
        .index_for_name("docProps/core.xml")
        .and_then(|_| read_entry(&mut zip, "docProps/core.xml", &mut budget, limits).ok())
        .and_then(|xml| core_title(&xml))
        .filter(|t| !t.is_empty());
    Ok(Extracted::single_page(Format::Docx, title, text))
}

fn unpacked_limit(actual: u64, limits: &Limits) -> ExtractError {
    ExtractError::Limit {
        what: "the unpacked size",
        actual: format!("{actual} bytes"),
        limit: format!("{} bytes", limits.zip_max_unpacked_bytes),
        setting: "[ingest] zip_max_unpacked_mb",
    }
}

/// Reads one entry, counting what is actually unpacked against the remaining budget.
fn read_entry(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
    limits: &Limits,
) -> Result<String, ExtractError> {
    let entry = zip
        .by_name(name)
        .map_err(|e| corrupt(format!("{name}: {e}")))?;
    let mut bytes = Vec::new();
    entry
        .take(budget.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| corrupt(format!("{name}: {e}")))?;
    let used = bytes.len() as u64;
    if used > *budget {
        return Err(unpacked_limit(
            limits.zip_max_unpacked_bytes - *budget + used,
            limits,
        ));
    }
    *budget -= used;
    String::from_utf8(bytes).map_err(|_| corrupt(format!("{name} is not UTF-8 XML")))
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Appends the text of a WordprocessingML part: one line per paragraph; in a table, cells
/// separated by tabs and rows by newlines.
fn paragraphs(xml: &str, out: &mut String) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut in_text = false;
    let mut cell_depth = 0usize;
    loop {
        match reader
            .read_event()
            .map_err(|e| corrupt(format!("XML: {e}")))?
        {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tc" => cell_depth += 1,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => out.push('\t'),
                "br" | "cr" => out.push(if cell_depth > 0 { ' ' } else { '\n' }),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => out.push(if cell_depth > 0 { ' ' } else { '\n' }),
                "tc" => {
                    cell_depth = cell_depth.saturating_sub(1);
                    out.push('\t');
                }
                "tr" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.html_content()),
            Event::GeneralRef(r) if in_text => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => entity(r.as_ref()),
                };
                if let Some(c) = c {
                    out.push(c);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// `<dc:title>` from docProps/core.xml.
fn core_title(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == "title" => in_title = true,
            Event::End(e) if e.local_name().as_ref() == "title" => {
                return Some(title.trim().to_owned());
            }
            Event::Text(t) if in_title => title.push_str(&t.html_content()),
            Event::GeneralRef(r) if in_title => title.extend(entity(r.as_ref())),
            Event::Eof => return None,
            _ => {}
        }
    }
}
