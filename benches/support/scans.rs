//! Scans made here from a known text, for OCR's tests and benchmark: the text is typeset
//! in a PDF, rendered to grey pixels by Poppler's `pdftoppm`, optionally skewed and
//! speckled as a scanner and an old photocopy would, and saved as an image-only PDF (no
//! text layer), a PNG, or a TIFF of several pages.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

use super::corpus::Rng;

/// A page of grey pixels, one byte each, rows top to bottom.
pub struct Raster {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// What a page of a generated PDF holds.
pub enum Page<'a> {
    /// Lines of text in Helvetica 12 pt: a text layer.
    Text(&'a [String]),
    /// A scanned image: no text layer.
    Scan(&'a Raster),
}

/// A PDF with a text layer: each page shows its lines in Helvetica 12 pt.
pub fn text_pdf(pages: &[Vec<String>]) -> Vec<u8> {
    let pages: Vec<Page<'_>> = pages.iter().map(|lines| Page::Text(lines)).collect();
    pdf(&pages)
}

/// An image-only PDF: each raster is one page, as a scanner makes them.
pub fn image_pdf(rasters: &[Raster]) -> Vec<u8> {
    let pages: Vec<Page<'_>> = rasters.iter().map(Page::Scan).collect();
    pdf(&pages)
}

/// A PDF of typed and scanned pages, in order.
pub fn pdf(pages: &[Page<'_>]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut kids = Vec::new();
    for content in pages {
        let (operations, resources) = match content {
            Page::Text(lines) => {
                let mut operations = vec![
                    Operation::new("BT", vec![]),
                    Operation::new("Tf", vec!["F1".into(), 12.into()]),
                    Operation::new("TL", vec![16.into()]),
                    Operation::new("Td", vec![72.into(), 760.into()]),
                ];
                for line in lines.iter() {
                    operations.push(Operation::new(
                        "Tj",
                        vec![Object::string_literal(line.as_str())],
                    ));
                    operations.push(Operation::new("T*", vec![]));
                }
                operations.push(Operation::new("ET", vec![]));
                (
                    operations,
                    dictionary! { "Font" => dictionary! { "F1" => font_id } },
                )
            }
            Page::Scan(raster) => {
                let mut image = Stream::new(
                    dictionary! {
                        "Type" => "XObject", "Subtype" => "Image",
                        "Width" => raster.width as i64, "Height" => raster.height as i64,
                        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
                    },
                    raster.pixels.clone(),
                );
                let _ = image.compress();
                let image_id = doc.add_object(image);
                let full_page: Vec<Object> = vec![
                    595.into(),
                    0.into(),
                    0.into(),
                    842.into(),
                    0.into(),
                    0.into(),
                ];
                let operations = vec![
                    Operation::new("q", vec![]),
                    Operation::new("cm", full_page),
                    Operation::new("Do", vec!["Im1".into()]),
                    Operation::new("Q", vec![]),
                ];
                (
                    operations,
                    dictionary! { "XObject" => dictionary! { "Im1" => image_id } },
                )
            }
        };
        kids.push(page(&mut doc, pages_id, operations, resources));
    }
    finish(doc, pages_id, kids)
}

fn page(
    doc: &mut Document,
    pages_id: lopdf::ObjectId,
    operations: Vec<Operation>,
    resources: lopdf::Dictionary,
) -> Object {
    let content = Content { operations }.encode().expect("encode page");
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    Object::from(doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => resources,
    }))
}

fn finish(mut doc: Document, pages_id: lopdf::ObjectId, kids: Vec<Object>) -> Vec<u8> {
    let count = kids.len() as i64;
    let pages = dictionary! {
        "Type" => "Pages", "Kids" => kids, "Count" => count,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    };
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save pdf");
    bytes
}

/// Renders every page of a PDF to grey pixels at `dpi` with `pdftoppm`.
pub fn render(pdf: &[u8], dpi: u32) -> Vec<Raster> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, pdf).expect("write pdf");
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray"])
        .arg(&input)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm is needed: run scripts/setup (Debian: apt-get install poppler-utils)");
    assert!(status.success(), "pdftoppm failed");
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| read_pgm(&std::fs::read(f).expect("read pgm")))
        .collect()
}

/// A binary PGM (P5, 8-bit) as pdftoppm writes it.
fn read_pgm(bytes: &[u8]) -> Raster {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5", "not a binary PGM");
    let width: usize = fields[1].parse().expect("width");
    let height: usize = fields[2].parse().expect("height");
    let pixels = bytes[at + 1..at + 1 + width * height].to_vec();
    Raster {
        width,
        height,
        pixels,
    }
}

impl Raster {
    /// Turned by `degrees` about the centre (nearest pixel), and `speckle_per_mille` thousandths of the
    /// pixels flipped to black or white at random, as a skewed, dusty scan.
    pub fn scanned(&self, degrees: f64, speckle_per_mille: usize, rng: &mut Rng) -> Raster {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (cx, cy) = (self.width as f64 / 2.0, self.height as f64 / 2.0);
        let mut pixels = vec![255u8; self.pixels.len()];
        for y in 0..self.height {
            for x in 0..self.width {
                let (dx, dy) = (x as f64 - cx, y as f64 - cy);
                let sx = (cos * dx + sin * dy + cx).round();
                let sy = (-sin * dx + cos * dy + cy).round();
                if sx >= 0.0
                    && sy >= 0.0
                    && (sx as usize) < self.width
                    && (sy as usize) < self.height
                {
                    pixels[y * self.width + x] =
                        self.pixels[sy as usize * self.width + sx as usize];
                }
            }
        }
        for pixel in pixels.iter_mut() {
            if rng.below(1000) < speckle_per_mille {
                *pixel = if rng.chance(50) { 0 } else { 255 };
            }
        }
        Raster {
            width: self.width,
            height: self.height,
            pixels,
        }
    }

    /// As a PNG file, written by `pdftoppm` from a one-page image PDF.
    pub fn png(&self, dpi: u32) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("temp dir");
        let input = dir.path().join("in.pdf");
        std::fs::write(&input, image_pdf(std::slice::from_ref(self))).expect("write pdf");
        let status = Command::new("pdftoppm")
            .args(["-r", &dpi.to_string(), "-gray", "-png", "-singlefile"])
            .arg(&input)
            .arg(dir.path().join("page"))
            .status()
            .expect("pdftoppm");
        assert!(status.success(), "pdftoppm failed");
        std::fs::read(dir.path().join("page.png")).expect("read png")
    }
}

/// A TIFF with one page per raster: uncompressed 8-bit grey, one strip each, little endian,
/// `dpi` recorded so OCR knows the scale.
pub fn tiff(rasters: &[Raster], dpi: u32) -> Vec<u8> {
    let mut out: Vec<u8> = b"II*\0".to_vec();
    out.extend(8u32.to_le_bytes());
    for (index, raster) in rasters.iter().enumerate() {
        let ifd_at = out.len();
        const ENTRIES: u16 = 11;
        let ifd_len = 2 + usize::from(ENTRIES) * 12 + 4;
        let resolution_at = ifd_at + ifd_len;
        let pixels_at = resolution_at + 8;
        let next_ifd = if index + 1 < rasters.len() {
            pixels_at + raster.pixels.len()
        } else {
            0
        };
        let (short, long, rational) = (3u16, 4u16, 5u16);
        out.extend(ENTRIES.to_le_bytes());
        // Tag, type, value: each entry holds one value (a SHORT in the low bytes).
        let entries = [
            (256u16, long, raster.width as u32),
            (257, long, raster.height as u32),
            (258, short, 8),
            (259, short, 1),
            (262, short, 1),
            (273, long, pixels_at as u32),
            (277, short, 1),
            (278, long, raster.height as u32),
            (279, long, raster.pixels.len() as u32),
            (282, rational, resolution_at as u32),
            (283, rational, resolution_at as u32),
        ];
        for (tag, kind, value) in entries {
            out.extend(tag.to_le_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(1u32.to_le_bytes());
            out.extend(value.to_le_bytes());
        }
        out.extend((next_ifd as u32).to_le_bytes());
        out.extend(dpi.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.write_all(&raster.pixels).expect("write pixels");
    }
    out
}

/// Whether the OCR tools are installed, with what to do when they are not.
pub fn require_ocr_tools() {
    for tool in ["tesseract", "pdftoppm"] {
        assert!(
            Command::new(tool)
                .arg(if tool == "tesseract" {
                    "--version"
                } else {
                    "-v"
                })
                .output()
                .is_ok(),
            "{tool} is not installed: run scripts/setup, or apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils"
        );
    }
}

/// The share of `reference`'s words (lower case, letters and digits only) found in `read`,
/// counting each word as often as it occurs.
pub fn word_recall(reference: &str, read: &str) -> f64 {
    let words = |text: &str| -> Vec<String> {
        text.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let mut available = std::collections::HashMap::<String, usize>::new();
    for word in words(read) {
        *available.entry(word).or_default() += 1;
    }
    let reference = words(reference);
    let found = reference
        .iter()
        .filter(|w| match available.get_mut(*w) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count();
    found as f64 / reference.len().max(1) as f64
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}
