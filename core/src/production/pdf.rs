//! Writes a produced document as a PDF: laid-out sheets in Courier, a slip sheet for a
//! withheld document, or page images with their redactions already burned into the
//! pixels; every page stamped with its Bates number and the legend. Nothing but what is
//! drawn is written: no metadata, no dates, no identifiers, so the same pages give the
//! same bytes.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

use super::layout::{COLUMNS, ROWS, Sheet};

/// US Letter, in points.
pub const PAGE_WIDTH: f32 = 612.0;
pub const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const FONT_SIZE: f32 = 10.0;
/// Courier's advance is 0.6 em.
const CHAR_WIDTH: f32 = FONT_SIZE * 0.6;
const LEADING: f32 = 12.0;
/// The stamp's baseline, in the bottom margin.
const STAMP_BASELINE: f32 = 30.0;
const STAMP_SIZE: f32 = 10.0;

/// A grey page image: one byte a pixel, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// What one page shows.
#[derive(Debug, Clone)]
pub enum PageBody<'a> {
    Sheet(&'a Sheet),
    /// A withheld document's one page: a heading and lines under it.
    Slip {
        heading: String,
        lines: Vec<String>,
    },
    /// A page image filling the page, with the reasons of the boxes burned into it.
    Image {
        image: &'a GrayImage,
        labels: &'a [Label],
    },
}

/// A reason written in white over a box burned into a page image; the box in points
/// from the page's top left.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub rect: [f32; 4],
    pub text: String,
}

/// A page: what it shows and its stamps.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    pub body: PageBody<'a>,
    pub bates: String,
    pub legend: Option<String>,
}

impl Page<'_> {
    /// The page's size in points: Letter, or an image's own at the resolution it was
    /// rendered at.
    fn size(&self) -> (f32, f32) {
        match &self.body {
            PageBody::Image { image, .. } => image_size(image),
            _ => (PAGE_WIDTH, PAGE_HEIGHT),
        }
    }
}

fn image_size(image: &GrayImage) -> (f32, f32) {
    let points = |pixels: usize| pixels as f32 * 72.0 / super::raster::DPI as f32;
    (points(image.width), points(image.height))
}

/// A PDF that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be written: {0}")]
pub struct PdfError(String);

/// The PDF of `pages`, in order.
pub fn write(pages: &[Page<'_>]) -> Result<Vec<u8>, PdfError> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let regular = doc.add_object(font("Courier"));
    let bold = doc.add_object(font("Courier-Bold"));
    let mut kids = Vec::with_capacity(pages.len());
    for page in pages {
        let mut fonts = Dictionary::new();
        fonts.set("F1", regular);
        fonts.set("F2", bold);
        let mut resources = dictionary! { "Font" => fonts };
        let mut ops = Vec::new();
        match &page.body {
            PageBody::Sheet(sheet) => sheet_ops(sheet, &mut ops),
            PageBody::Slip { heading, lines } => slip_ops(heading, lines, &mut ops),
            PageBody::Image { image, labels } => {
                let id = doc.add_object(image_stream(image)?);
                resources.set("XObject", dictionary! { "Im1" => id });
                ops.extend([
                    Operation::new("q", vec![]),
                    Operation::new(
                        "cm",
                        vec![
                            image_size(image).0.into(),
                            0.into(),
                            0.into(),
                            image_size(image).1.into(),
                            0.into(),
                            0.into(),
                        ],
                    ),
                    Operation::new("Do", vec!["Im1".into()]),
                    Operation::new("Q", vec![]),
                ]);
                label_ops(image_size(image).1, labels, &mut ops);
            }
        }
        let (width, height) = page.size();
        stamp_ops(width, &page.bates, page.legend.as_deref(), &mut ops);
        let content = Content { operations: ops }
            .encode()
            .map_err(|e| PdfError(e.to_string()))?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), width.into(), height.into()],
            "Contents" => content_id,
            "Resources" => resources,
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
        }),
    );
    let catalog: ObjectId = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes)
        .map_err(|e| PdfError(e.to_string()))?;
    Ok(bytes)
}

fn font(name: &str) -> Dictionary {
    dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => name,
        "Encoding" => "WinAnsiEncoding",
    }
}

fn image_stream(image: &GrayImage) -> Result<Stream, PdfError> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(&image.pixels)
        .and_then(|_| encoder.finish())
        .map(|compressed| {
            // Already compressed: `Document::compress` leaves a stream with a filter alone.
            Stream::new(
                dictionary! {
                    "Type" => "XObject",
                    "Subtype" => "Image",
                    "Width" => image.width as i64,
                    "Height" => image.height as i64,
                    "ColorSpace" => "DeviceGray",
                    "BitsPerComponent" => 8,
                    "Filter" => "FlateDecode",
                },
                compressed,
            )
        })
        .map_err(|e| PdfError(e.to_string()))
}

/// Where line `row` (0-based) of a sheet has its baseline.
fn baseline(row: usize) -> f32 {
    PAGE_HEIGHT - MARGIN - FONT_SIZE - row as f32 * LEADING
}

fn sheet_ops(sheet: &Sheet, ops: &mut Vec<Operation>) {
    debug_assert!(sheet.lines.len() <= ROWS);
    // Boxes first, then the text over them: a label is white on its black box.
    for (row, line) in sheet.lines.iter().enumerate() {
        let mut column = 0;
        for segment in line {
            let width = segment.text.chars().count();
            if segment.redacted {
                let x = MARGIN + column as f32 * CHAR_WIDTH;
                ops.extend([
                    Operation::new("g", vec![0.into()]),
                    Operation::new(
                        "re",
                        vec![
                            x.into(),
                            (baseline(row) - 3.0).into(),
                            (width as f32 * CHAR_WIDTH).into(),
                            LEADING.into(),
                        ],
                    ),
                    Operation::new("f", vec![]),
                ]);
            }
            column += width;
        }
        debug_assert!(column <= COLUMNS);
    }
    for (row, line) in sheet.lines.iter().enumerate() {
        let mut column = 0;
        for segment in line {
            let width = segment.text.chars().count();
            let x = MARGIN + column as f32 * CHAR_WIDTH;
            let grey = if segment.redacted { 1 } else { 0 };
            text_ops(ops, "F1", FONT_SIZE, x, baseline(row), grey, &segment.text);
            column += width;
        }
    }
}

fn slip_ops(heading: &str, lines: &[String], ops: &mut Vec<Operation>) {
    let top = PAGE_HEIGHT / 2.0 + 40.0;
    let centred =
        |text: &str, size: f32| (PAGE_WIDTH - text.chars().count() as f32 * size * 0.6) / 2.0;
    text_ops(ops, "F2", 16.0, centred(heading, 16.0), top, 0, heading);
    for (i, line) in lines.iter().enumerate() {
        let y = top - 30.0 - i as f32 * 16.0;
        text_ops(ops, "F1", 11.0, centred(line, 11.0), y, 0, line);
    }
}

/// Each label in white inside its box, as much of it as fits.
fn label_ops(page_height: f32, labels: &[Label], ops: &mut Vec<Operation>) {
    for label in labels {
        let [x0, y0, x1, y1] = label.rect;
        let size = ((y1 - y0) * 0.8).clamp(0.0, 9.0);
        if size < 4.0 {
            continue;
        }
        let fits = ((x1 - x0 - 2.0) / (size * 0.6)).floor().max(0.0) as usize;
        let text: String = label.text.chars().take(fits).collect();
        if text.is_empty() {
            continue;
        }
        let baseline = page_height - y1 + ((y1 - y0) - size) / 2.0 + size * 0.2;
        text_ops(ops, "F1", size, x0 + 1.0, baseline, 1, &text);
    }
}

/// The Bates number at the bottom right, the legend at the bottom left, each on a white
/// band so that it reads over a page image.
fn stamp_ops(page_width: f32, bates: &str, legend: Option<&str>, ops: &mut Vec<Operation>) {
    let mut stamp = |x: f32, text: &str| {
        let width = text.chars().count() as f32 * STAMP_SIZE * 0.6;
        ops.extend([
            Operation::new("g", vec![1.into()]),
            Operation::new(
                "re",
                vec![
                    (x - 2.0).into(),
                    (STAMP_BASELINE - 3.0).into(),
                    (width + 4.0).into(),
                    (STAMP_SIZE + 3.0).into(),
                ],
            ),
            Operation::new("f", vec![]),
        ]);
        text_ops(ops, "F2", STAMP_SIZE, x, STAMP_BASELINE, 0, text);
    };
    let width = bates.chars().count() as f32 * STAMP_SIZE * 0.6;
    stamp((page_width - MARGIN - width).max(0.0), bates);
    if let Some(legend) = legend {
        stamp(MARGIN, legend);
    }
}

fn text_ops(
    ops: &mut Vec<Operation>,
    font: &str,
    size: f32,
    x: f32,
    y: f32,
    grey: i64,
    text: &str,
) {
    ops.extend([
        Operation::new("g", vec![grey.into()]),
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec![font.into(), size.into()]),
        Operation::new("Td", vec![x.into(), y.into()]),
        Operation::new("Tj", vec![Object::string_literal(win_ansi(text))]),
        Operation::new("ET", vec![]),
    ]);
}

/// `text` in the standard fonts' encoding (Windows-1252); a character it lacks is `?`.
/// The TEXT file carries the text exactly.
pub fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
            continue;
        }
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        match bytes.as_ref() {
            [byte] if !unmappable => out.push(*byte),
            _ => out.push(b'?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::production::layout::{Cut, produce};

    fn page_texts(pdf: &[u8]) -> Vec<String> {
        let doc = Document::load_mem(pdf).expect("the PDF reads back");
        doc.get_pages()
            .keys()
            .map(|n| doc.extract_text(&[*n]).expect("text"))
            .collect()
    }

    #[test]
    fn every_page_carries_its_bates_number_and_legend_and_no_redacted_text() {
        let text = "Pay 4111 1111 1111 1111 by Friday.\n".repeat(80);
        let cuts: Vec<Cut> = (0..80)
            .map(|i| Cut {
                start: i * 35 + 4,
                end: i * 35 + 23,
                reason: "CREDIT_CARD".into(),
            })
            .collect();
        let produced = produce(&text, &[], &cuts, &[]);
        assert_eq!(produced.sheets.len(), 2);
        let pages: Vec<Page> = produced
            .sheets
            .iter()
            .enumerate()
            .map(|(i, sheet)| Page {
                body: PageBody::Sheet(sheet),
                bates: format!("ACME{:06}", i + 1),
                legend: Some("CONFIDENTIAL".into()),
            })
            .collect();
        let pdf = write(&pages).expect("written");
        let texts = page_texts(&pdf);
        assert_eq!(texts.len(), 2);
        for (i, page) in texts.iter().enumerate() {
            assert!(page.contains(&format!("ACME{:06}", i + 1)), "{page}");
            assert!(page.contains("CONFIDENTIAL"));
            assert!(page.contains("REDACTED: CREDIT_CARD"));
            assert!(!page.contains("4111"));
        }
    }

    #[test]
    fn the_same_pages_give_the_same_bytes() {
        let produced = produce("Hello", &[], &[], &[]);
        let pages = [Page {
            body: PageBody::Sheet(&produced.sheets[0]),
            bates: "X1".into(),
            legend: None,
        }];
        assert_eq!(write(&pages).expect("pdf"), write(&pages).expect("pdf"));
    }

    #[test]
    fn a_slip_sheet_and_an_image_page_read_back() {
        let image = GrayImage {
            width: 4,
            height: 2,
            pixels: vec![255; 8],
        };
        let pages = [
            Page {
                body: PageBody::Slip {
                    heading: "Withheld: privileged".into(),
                    lines: vec!["Basis: attorney-client".into()],
                },
                bates: "P0001".into(),
                legend: None,
            },
            Page {
                body: PageBody::Image {
                    image: &image,
                    labels: &[Label {
                        rect: [0.0, 0.0, 1.5, 0.5],
                        text: "PERSON".into(),
                    }],
                },
                bates: "P0002".into(),
                legend: None,
            },
        ];
        let texts = page_texts(&write(&pages).expect("pdf"));
        assert!(texts[0].contains("Withheld: privileged"));
        assert!(texts[0].contains("P0001"));
        assert!(texts[1].contains("P0002"));
    }

    #[test]
    fn characters_outside_the_font_encoding_become_question_marks() {
        assert_eq!(
            win_ansi("café “x” €5 → 中"),
            b"caf\xe9 \x93x\x94 \x805 ? ?".to_vec()
        );
    }
}
