//! Checks a produced PDF as the other side will read it, with a reader independent of the
//! writer: Poppler's `pdftotext` gives each page's text, which must hold the page's Bates
//! number and none of the document's redacted values; the PDF's streams, decompressed,
//! must not hold a redacted value's bytes either.

use std::path::Path;
use std::process::Command;

use super::pdf::win_ansi;

/// Something wrong with a produced PDF, naming its page where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    PageCount {
        expected: usize,
        found: usize,
    },
    MissingBates {
        page: usize,
        bates: String,
    },
    /// A redacted value readable on a page (`pdftotext`), or in the file's bytes (page 0).
    Leak {
        page: usize,
        value_chars: usize,
    },
    Unreadable(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::PageCount { expected, found } => {
                write!(f, "{found} pages where the numbering gives {expected}")
            }
            Problem::MissingBates { page, bates } => {
                write!(f, "page {page} does not carry its Bates number {bates}")
            }
            Problem::Leak {
                page: 0,
                value_chars,
            } => write!(
                f,
                "a redacted value ({value_chars} characters) is in the PDF's decompressed bytes"
            ),
            Problem::Leak { page, value_chars } => write!(
                f,
                "a redacted value ({value_chars} characters) can be read on page {page}"
            ),
            Problem::Unreadable(why) => write!(f, "the PDF cannot be read back: {why}"),
        }
    }
}

/// Values shorter than this, in letters and digits, are not searched for: "12" or "Al"
/// occur in any text and say nothing of a leak.
const MIN_SEARCHED: usize = 3;

/// What reading a produced PDF back found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Pages `pdftotext` read.
    pub pages: usize,
    pub problems: Vec<Problem>,
}

/// Whether `value` can be read in `text`, whitespace and case aside; a value too short to
/// say anything of a leak never can.
pub fn readable(text: &str, value: &str) -> bool {
    searched(value)
        && collapse(text)
            .to_lowercase()
            .contains(&collapse(value).to_lowercase())
}

fn searched(value: &str) -> bool {
    value.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_SEARCHED
}

/// Reads the PDF at `path` back: it should have a page per entry of `bates`, each carrying
/// its number, and show none of `values`.
pub fn check(path: &Path, bates: &[String], values: &[String]) -> Checked {
    let mut problems = Vec::new();
    let pages = match page_texts(path) {
        Ok(pages) => pages,
        Err(why) => {
            return Checked {
                pages: 0,
                problems: vec![Problem::Unreadable(why)],
            };
        }
    };
    if pages.len() != bates.len() {
        problems.push(Problem::PageCount {
            expected: bates.len(),
            found: pages.len(),
        });
    }
    let searched: Vec<&String> = values.iter().filter(|v| searched(v)).collect();
    for (i, text) in pages.iter().enumerate() {
        let page = i + 1;
        if let Some(number) = bates.get(i)
            && !text.contains(number.as_str())
        {
            problems.push(Problem::MissingBates {
                page,
                bates: number.clone(),
            });
        }
        for value in &searched {
            if readable(text, value) {
                problems.push(Problem::Leak {
                    page,
                    value_chars: value.chars().count(),
                });
            }
        }
    }
    match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| decompressed(&b))
    {
        Ok(raw) => {
            for value in &searched {
                let needle = win_ansi(value);
                if memchr::memmem::find(&raw, &needle).is_some() {
                    problems.push(Problem::Leak {
                        page: 0,
                        value_chars: value.chars().count(),
                    });
                }
            }
        }
        Err(why) => problems.push(Problem::Unreadable(why)),
    }
    Checked {
        pages: pages.len(),
        problems,
    }
}

/// Whitespace runs as one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each page's text as `pdftotext` reads it.
pub fn page_texts(path: &Path) -> Result<Vec<String>, String> {
    let output = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .map_err(|_| {
            "pdftotext is not installed (poppler-utils); `scripts/setup` installs it".to_owned()
        })?;
    if !output.status.success() {
        return Err(format!(
            "pdftotext failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    // A form feed ends every page.
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    Ok(pages)
}

/// The PDF with every stream decompressed, as bytes; an image's pixels are left out, as
/// they hold no text to find.
pub fn decompressed(pdf: &[u8]) -> Result<Vec<u8>, String> {
    let mut doc = lopdf::Document::load_mem(pdf).map_err(|e| e.to_string())?;
    for object in doc.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = object {
            let image = stream
                .dict
                .get(b"Subtype")
                .and_then(lopdf::Object::as_name)
                .is_ok_and(|n| n == b"Image");
            if image {
                stream.set_content(Vec::new());
                stream.dict.remove(b"Filter");
            } else {
                let _ = stream.decompress();
            }
        }
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::production::layout::produce;
    use crate::production::pdf::{Page, PageBody, write};

    fn pdf_of(text: &str, bates: &[&str]) -> tempfile::NamedTempFile {
        let produced = produce(text, &[], &[], &[]);
        let pages: Vec<Page> = produced
            .sheets
            .iter()
            .zip(bates)
            .map(|(sheet, b)| Page {
                body: PageBody::Sheet(sheet),
                bates: (*b).into(),
                legend: None,
            })
            .collect();
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), write(&pages).expect("pdf")).expect("written");
        file
    }

    #[test]
    fn a_value_left_in_the_text_is_found_on_its_page_and_in_the_bytes() {
        let file = pdf_of("Call Jane Roe on 555-0100.", &["ACME000001"]);
        let problems = check(
            file.path(),
            &["ACME000001".into()],
            &[
                "Jane  Roe".into(),
                "555-0100".into(),
                "no such thing".into(),
            ],
        )
        .problems;
        assert_eq!(
            problems,
            vec![
                Problem::Leak {
                    page: 1,
                    value_chars: 9
                },
                Problem::Leak {
                    page: 1,
                    value_chars: 8
                },
                Problem::Leak {
                    page: 0,
                    value_chars: 8
                },
            ]
        );
    }

    #[test]
    fn a_missing_or_wrong_bates_number_and_a_wrong_page_count_are_named() {
        let file = pdf_of("text", &["ACME000001"]);
        let checked = check(
            file.path(),
            &["ACME000002".into(), "ACME000003".into()],
            &[],
        );
        assert_eq!(checked.pages, 1);
        let problems = checked.problems;
        assert_eq!(
            problems,
            vec![
                Problem::PageCount {
                    expected: 2,
                    found: 1
                },
                Problem::MissingBates {
                    page: 1,
                    bates: "ACME000002".into()
                },
            ]
        );
    }

    #[test]
    fn a_clean_pdf_has_no_problems() {
        let file = pdf_of("Nothing to see.", &["ACME000001"]);
        let checked = check(file.path(), &["ACME000001".into()], &["secret".into()]);
        assert_eq!(checked.pages, 1);
        assert!(checked.problems.is_empty());
    }
}
