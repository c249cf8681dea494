//! A PDF-born document's pages for production: each page rendered to a grey image by
//! Poppler's `pdftoppm`, and each redacted value burned into the pixels over the words
//! that Poppler's `pdftotext -bbox` places it at. The produced page is the image alone,
//! so no text layer, annotation or metadata of the original goes with it.

use std::path::Path;
use std::process::Command;

use super::pdf::GrayImage;

/// Resolution pages are rendered at.
pub const DPI: u32 = 150;
/// Pixels a burned box reaches past its words, so no stroke of a glyph shows.
const PAD: f32 = 2.0;

/// A word on a page and its box, in points from the page's top left.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// A page's size in points and its words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageWords {
    pub width: f32,
    pub height: f32,
    pub words: Vec<Word>,
}

/// A step that failed, with what the tool said.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("{tool} is not installed (poppler-utils); `scripts/setup` installs it")]
    Missing { tool: &'static str },
    #[error("{tool} failed on page {page}: {message}")]
    Failed {
        tool: &'static str,
        page: usize,
        message: String,
    },
}

/// Page `page` (1-based) of `pdf` as a grey image at [`DPI`].
pub fn render(pdf: &Path, page: usize, scratch: &Path) -> Result<GrayImage, RasterError> {
    let prefix = scratch.join(format!("page-{page}"));
    let output = Command::new("pdftoppm")
        .args(["-gray", "-singlefile", "-r", &DPI.to_string()])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .map_err(|_| RasterError::Missing { tool: "pdftoppm" })?;
    let failed = |message: String| RasterError::Failed {
        tool: "pdftoppm",
        page,
        message,
    };
    if !output.status.success() {
        return Err(failed(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    let path = prefix.with_extension("pgm");
    let bytes = std::fs::read(&path).map_err(|e| failed(format!("no image written: {e}")))?;
    let _ = std::fs::remove_file(&path);
    parse_pgm(&bytes).ok_or_else(|| failed("the image it wrote is not a PGM".into()))
}

/// A binary PGM (P5, 8 bits) read into an image.
fn parse_pgm(bytes: &[u8]) -> Option<GrayImage> {
    // Header: magic, width, height, maxval, each separated by whitespace (comments are
    // not written by pdftoppm), then one whitespace byte and the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).ok()?);
    }
    let (width, height): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    if fields[0] != "P5" || fields[3] != "255" {
        return None;
    }
    let pixels = bytes.get(at + 1..at + 1 + width * height)?.to_vec();
    Some(GrayImage {
        width,
        height,
        pixels,
    })
}

/// The words of page `page` of `pdf` with their boxes, from `pdftotext -bbox`.
pub fn words(pdf: &Path, page: usize) -> Result<PageWords, RasterError> {
    let output = Command::new("pdftotext")
        .args(["-bbox", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .map_err(|_| RasterError::Missing { tool: "pdftotext" })?;
    if !output.status.success() {
        return Err(RasterError::Failed {
            tool: "pdftotext",
            page,
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(parse_bbox(&String::from_utf8_lossy(&output.stdout)))
}

/// The page size and words of `pdftotext -bbox` XHTML (one page).
fn parse_bbox(xhtml: &str) -> PageWords {
    let attr = |tag: &str, name: &str| -> Option<f32> {
        let key = format!("{name}=\"");
        let start = tag.find(&key)? + key.len();
        let end = start + tag[start..].find('"')?;
        tag[start..end].parse().ok()
    };
    let mut page = PageWords::default();
    if let Some(at) = xhtml.find("<page ") {
        let tag = &xhtml[at..at + xhtml[at..].find('>').unwrap_or(0)];
        page.width = attr(tag, "width").unwrap_or(0.0);
        page.height = attr(tag, "height").unwrap_or(0.0);
    }
    let mut rest = xhtml;
    while let Some(at) = rest.find("<word ") {
        rest = &rest[at..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        let Some(end) = rest.find("</word>") else {
            break;
        };
        let text = unescape(&rest[close + 1..end]);
        if let (Some(x0), Some(y0), Some(x1), Some(y1)) = (
            attr(tag, "xMin"),
            attr(tag, "yMin"),
            attr(tag, "xMax"),
            attr(tag, "yMax"),
        ) {
            page.words.push(Word {
                text,
                x0,
                y0,
                x1,
                y1,
            });
        }
        rest = &rest[end..];
    }
    page
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// What is compared when finding a value among words: letters and digits, lower case.
fn key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The boxes (points) of every run of words on the page that spells `value` (letters and
/// digits compared, case and punctuation ignored); the whole words are covered. Empty
/// when the value is not on the page as text.
pub fn locate(page: &PageWords, value: &str) -> Vec<[f32; 4]> {
    let wanted = key(value);
    if wanted.is_empty() {
        return Vec::new();
    }
    // The page's words joined, with the word each character came from.
    let mut joined = String::new();
    let mut owner = Vec::new();
    for (i, word) in page.words.iter().enumerate() {
        for c in key(&word.text).chars() {
            joined.push(c);
            owner.extend(std::iter::repeat_n(i, c.len_utf8()));
        }
    }
    let mut boxes = Vec::new();
    let mut from = 0;
    while let Some(found) = joined[from..].find(&wanted) {
        let start = from + found;
        let end = start + wanted.len();
        let (first, last) = (owner[start], owner[end - 1]);
        // A run over several lines gets a box per line.
        let mut current: Option<[f32; 4]> = None;
        for word in &page.words[first..=last] {
            match current.as_mut() {
                Some(b) if (word.y0 - b[1]).abs() < 2.0 => {
                    b[0] = b[0].min(word.x0);
                    b[2] = b[2].max(word.x1);
                    b[3] = b[3].max(word.y1);
                }
                _ => {
                    boxes.extend(current.take());
                    current = Some([word.x0, word.y0, word.x1, word.y1]);
                }
            }
        }
        boxes.extend(current);
        from = end;
    }
    boxes
}

/// Where a whole page's label goes: a box across the middle of a page of `width` by
/// `height` points.
pub fn page_box(width: f32, height: f32) -> [f32; 4] {
    let half = (width / 2.0 - 54.0).max(10.0);
    [
        width / 2.0 - half,
        height / 2.0 - 16.0,
        width / 2.0 + half,
        height / 2.0 + 16.0,
    ]
}

/// Fills each box (points from the top left of a page `page_width` points wide) with
/// black in `image`.
pub fn burn(image: &mut GrayImage, page_width: f32, boxes: &[[f32; 4]]) {
    let scale = if page_width > 0.0 {
        image.width as f32 / page_width
    } else {
        DPI as f32 / 72.0
    };
    for b in boxes {
        let x0 = ((b[0] * scale - PAD).floor().max(0.0) as usize).min(image.width);
        let y0 = ((b[1] * scale - PAD).floor().max(0.0) as usize).min(image.height);
        let x1 = ((b[2] * scale + PAD).ceil().max(0.0) as usize).min(image.width);
        let y1 = ((b[3] * scale + PAD).ceil().max(0.0) as usize).min(image.height);
        for row in y0..y1 {
            image.pixels[row * image.width + x0..row * image.width + x1].fill(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, x0: f32, y0: f32) -> Word {
        Word {
            text: text.into(),
            x0,
            y0,
            x1: x0 + 6.0 * text.len() as f32,
            y1: y0 + 10.0,
        }
    }

    #[test]
    fn a_value_over_several_words_is_found_by_its_letters_and_digits() {
        let page = PageWords {
            width: 612.0,
            height: 792.0,
            words: vec![
                word("Call", 10.0, 10.0),
                word("+1", 40.0, 10.0),
                word("(555)", 60.0, 10.0),
                word("010-0199.", 100.0, 10.0),
                word("Later", 10.0, 30.0),
            ],
        };
        let boxes = locate(&page, "+1 555 010 0199");
        assert_eq!(boxes.len(), 1);
        assert_eq!(boxes[0][0], 40.0);
        assert_eq!(boxes[0][2], 100.0 + 54.0);
        assert!(locate(&page, "555 0200").is_empty());
    }

    #[test]
    fn a_value_broken_over_two_lines_gets_a_box_on_each() {
        let page = PageWords {
            width: 612.0,
            height: 792.0,
            words: vec![word("Jane", 500.0, 10.0), word("Roe", 10.0, 22.0)],
        };
        assert_eq!(locate(&page, "Jane Roe").len(), 2);
    }

    #[test]
    fn burning_blackens_the_box_and_leaves_the_rest() {
        let mut image = GrayImage {
            width: 100,
            height: 100,
            pixels: vec![255; 10_000],
        };
        // A page 50 points wide drawn 100 pixels wide: 2 pixels a point.
        burn(&mut image, 50.0, &[[10.0, 10.0, 20.0, 15.0]]);
        assert_eq!(image.pixels[25 * 100 + 30], 0);
        assert_eq!(image.pixels[5 * 100 + 5], 255);
        assert_eq!(image.pixels[50 * 100 + 50], 255);
    }

    #[test]
    fn bbox_output_gives_the_page_size_and_words() {
        let xhtml = r#"<doc><page width="612.000000" height="792.000000">
<word xMin="72.0" yMin="80.5" xMax="110.2" yMax="92.0">R&amp;D</word>
</page></doc>"#;
        let page = parse_bbox(xhtml);
        assert_eq!(page.width, 612.0);
        assert_eq!(page.words.len(), 1);
        assert_eq!(page.words[0].text, "R&D");
    }

    #[test]
    fn a_pgm_reads_into_its_pixels() {
        let mut bytes = b"P5\n3 2\n255\n".to_vec();
        bytes.extend([0, 1, 2, 3, 4, 5]);
        let image = parse_pgm(&bytes).expect("pgm");
        assert_eq!((image.width, image.height), (3, 2));
        assert_eq!(image.pixels, vec![0, 1, 2, 3, 4, 5]);
    }
}
