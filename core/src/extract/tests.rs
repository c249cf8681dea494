//! Extraction per format, on fixtures generated here, and refusal of bad input with reasons.

use std::io::Write;
use std::path::Path;

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

use super::*;

/// How a fixture PDF is encrypted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cipher {
    Rc4,
    Aes128,
    Aes256,
}

/// A PDF with one page per entry; each page shows its lines in Helvetica. An empty entry
/// draws a rectangle instead, like a scanned image: no text layer. With a user password,
/// encrypted with RC4 (128-bit key).
pub(crate) fn pdf(pages: &[&[&str]], user_password: Option<&str>) -> Vec<u8> {
    pdf_encrypted(pages, user_password.map(|password| (Cipher::Rc4, password)))
}

/// Like [`pdf`], encrypted with `cipher` and the user password given.
pub(crate) fn pdf_encrypted(pages: &[&[&str]], encryption: Option<(Cipher, &str)>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for lines in pages {
        let mut operations = Vec::new();
        if lines.is_empty() {
            operations.push(Operation::new(
                "re",
                vec![50.into(), 50.into(), 400.into(), 600.into()],
            ));
            operations.push(Operation::new("f", vec![]));
        } else {
            operations.push(Operation::new("BT", vec![]));
            operations.push(Operation::new("Tf", vec!["F1".into(), 12.into()]));
            operations.push(Operation::new("TL", vec![16.into()]));
            operations.push(Operation::new("Td", vec![72.into(), 760.into()]));
            for line in *lines {
                operations.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
                operations.push(Operation::new("T*", vec![]));
            }
            operations.push(Operation::new("ET", vec![]));
        }
        let content = Content { operations }.encode().unwrap();
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        kids.push(Object::from(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let info_id =
        doc.add_object(dictionary! { "Title" => Object::string_literal("Fixture Agreement") });
    doc.trailer.set("Info", info_id);
    if let Some((cipher, password)) = encryption {
        use lopdf::encryption::crypt_filters::{Aes128CryptFilter, Aes256CryptFilter, CryptFilter};
        doc.trailer.set(
            "ID",
            vec![
                Object::string_literal("kodiakfixture01"),
                Object::string_literal("kodiakfixture01"),
            ],
        );
        let filters = |filter: std::sync::Arc<dyn CryptFilter>| {
            std::collections::BTreeMap::from([(b"StdCF".to_vec(), filter)])
        };
        let key = [7u8; 32];
        let version = match cipher {
            Cipher::Rc4 => lopdf::EncryptionVersion::V2 {
                document: &doc,
                owner_password: "owner",
                user_password: password,
                key_length: 128,
                permissions: lopdf::Permissions::all(),
            },
            Cipher::Aes128 => lopdf::EncryptionVersion::V4 {
                document: &doc,
                encrypt_metadata: true,
                crypt_filters: filters(std::sync::Arc::new(Aes128CryptFilter)),
                stream_filter: b"StdCF".to_vec(),
                string_filter: b"StdCF".to_vec(),
                owner_password: "owner",
                user_password: password,
                permissions: lopdf::Permissions::all(),
            },
            Cipher::Aes256 => lopdf::EncryptionVersion::V5 {
                encrypt_metadata: true,
                crypt_filters: filters(std::sync::Arc::new(Aes256CryptFilter)),
                file_encryption_key: &key,
                stream_filter: b"StdCF".to_vec(),
                string_filter: b"StdCF".to_vec(),
                owner_password: "owner",
                user_password: password,
                permissions: lopdf::Permissions::all(),
            },
        };
        let state = lopdf::EncryptionState::try_from(version).unwrap();
        doc.encrypt(&state).unwrap();
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A ZIP of the given entries, deflated.
pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

/// A DOCX with a header, two paragraphs (one with an entity) and a 2x2 table.
pub(crate) fn docx() -> Vec<u8> {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>
        <w:p><w:r><w:t>Board minutes &amp; resolutions</w:t></w:r></w:p>
        <w:p><w:r><w:t xml:space="preserve">Present: </w:t></w:r><w:r><w:t>Ms. Joan Carter</w:t></w:r></w:p>
        <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Motion</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Result</w:t></w:r></w:p></w:tc></w:tr>
        <w:tr><w:tc><w:p><w:r><w:t>Approve budget</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Carried</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
        </w:body></w:document>"#
    );
    let header = format!(r#"<w:hdr {W}><w:p><w:r><w:t>CONFIDENTIAL</w:t></w:r></w:p></w:hdr>"#);
    let footer = format!(r#"<w:ftr {W}><w:p><w:r><w:t>Page footer</w:t></w:r></w:p></w:ftr>"#);
    let core = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Board Minutes</dc:title></cp:coreProperties>"#;
    zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", body.as_bytes()),
        ("word/header1.xml", header.as_bytes()),
        ("word/footer1.xml", footer.as_bytes()),
        ("docProps/core.xml", core.as_bytes()),
    ])
}

fn run(bytes: &[u8], name: &str) -> Result<Extracted, ExtractError> {
    extract_guarded(bytes.to_vec(), Path::new(name), &Limits::default())
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn pdf_text_page_by_page_with_title() {
    let bytes = pdf(
        &[
            &["Clause 1. The parties agree.", "Second line."],
            &["Clause 2. Payment terms."],
        ],
        None,
    );
    let extracted = run(&bytes, "agreement.pdf").unwrap();
    assert_eq!(extracted.format, Format::Pdf);
    assert_eq!(extracted.title.as_deref(), Some("Fixture Agreement"));
    assert_eq!(extracted.pages.len(), 2);
    assert_eq!(
        squash(&extracted.pages[0]),
        "Clause 1. The parties agree. Second line."
    );
    assert_eq!(squash(&extracted.pages[1]), "Clause 2. Payment terms.");
}

#[test]
fn pdf_without_text_layer_needs_ocr() {
    assert_eq!(
        run(&pdf(&[&[], &[]], None), "scan.pdf").unwrap_err(),
        ExtractError::NeedsOcr { pages: 2 }
    );
}

#[test]
fn pdfs_encrypted_with_an_empty_user_password_open_with_rc4_aes128_and_aes256() {
    for cipher in [Cipher::Rc4, Cipher::Aes128, Cipher::Aes256] {
        let bytes = pdf_encrypted(&[&["restricted printing"]], Some((cipher, "")));
        let opened = run(&bytes, "restricted.pdf").unwrap_or_else(|e| panic!("{cipher:?}: {e}"));
        assert_eq!(
            squash(&opened.pages[0]),
            "restricted printing",
            "{cipher:?}"
        );
        assert_eq!(
            opened.title.as_deref(),
            Some("Fixture Agreement"),
            "{cipher:?}"
        );
    }
}

#[test]
fn a_pdf_that_needs_a_password_is_refused_as_encrypted_and_opens_with_a_password_given() {
    for cipher in [Cipher::Rc4, Cipher::Aes128, Cipher::Aes256] {
        let bytes = pdf_encrypted(&[&["top secret terms"]], Some((cipher, "s3cret")));
        let refused = run(&bytes, "locked.pdf").unwrap_err();
        assert_eq!(refused, ExtractError::Encrypted { tried: 0 }, "{cipher:?}");
        assert!(refused.to_string().contains("--password-file"), "{refused}");

        let wrong = Limits {
            pdf_passwords: Passwords::new(vec!["guess".into(), "another".into()]),
            ..Limits::default()
        };
        let refused = extract(&bytes, Path::new("locked.pdf"), &wrong).unwrap_err();
        assert_eq!(refused, ExtractError::Encrypted { tried: 2 }, "{cipher:?}");
        assert!(!refused.to_string().contains("guess"), "{refused}");

        let right = Limits {
            pdf_passwords: Passwords::new(vec!["guess".into(), "s3cret".into()]),
            ..Limits::default()
        };
        let opened = extract(&bytes, Path::new("locked.pdf"), &right)
            .unwrap_or_else(|e| panic!("{cipher:?}: {e}"));
        assert_eq!(squash(&opened.pages[0]), "top secret terms", "{cipher:?}");
    }
}

#[test]
fn password_files_keep_line_order_skip_blank_lines_and_never_show_passwords() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"first pass\r\n\nsecond\n").unwrap();
    let passwords = Passwords::read(file.path()).unwrap();
    assert_eq!(
        passwords.iter().collect::<Vec<_>>(),
        ["first pass", "second"]
    );
    let shown = format!(
        "{:?}",
        Limits {
            pdf_passwords: passwords,
            ..Limits::default()
        }
    );
    assert!(shown.contains("Passwords(2 hidden)"), "{shown}");
    assert!(!shown.contains("second"), "{shown}");
}

#[test]
fn docx_paragraphs_tables_headers_and_footers() {
    let extracted = run(&docx(), "minutes.docx").unwrap();
    assert_eq!(extracted.format, Format::Docx);
    assert_eq!(extracted.title.as_deref(), Some("Board Minutes"));
    let text = &extracted.pages[0];
    assert!(text.starts_with("CONFIDENTIAL\n"), "{text:?}");
    assert!(
        text.contains("Board minutes & resolutions\nPresent: Ms. Joan Carter\n"),
        "{text:?}"
    );
    assert!(
        text.contains("Motion \tResult \t\nApprove budget \tCarried \t\n"),
        "{text:?}"
    );
    assert!(text.trim_end().ends_with("Page footer"), "{text:?}");
}

#[test]
fn html_visible_text_only() {
    let html =
        br#"<!DOCTYPE html><html><head><title>Policy  Page</title><style>p{color:red}</style>
        <script>var secret = "do not index";</script></head>
        <body><h1>Privacy</h1><p>We keep
        data <b>safe</b>.</p><table><tr><td>a</td><td>b</td></tr></table>
        <noscript>enable js</noscript><script>track()</script></body></html>"#;
    let extracted = run(html, "page.html").unwrap();
    assert_eq!(extracted.title.as_deref(), Some("Policy Page"));
    let text = &extracted.pages[0];
    assert_eq!(squash(text), "Privacy We keep data safe. a b");
    assert!(!text.contains("secret") && !text.contains("color") && !text.contains("enable js"));
    assert!(text.contains("Privacy\n"), "{text:?}");
}

#[test]
fn email_headers_body_and_attachment() {
    let eml = "From: \"Ann Lee\" <ann@example.com>\r\nTo: bob@example.com\r\nCc: carol@example.com\r\n\
        Subject: Contract draft\r\nDate: Tue, 17 Feb 2026 09:42:15 -0600\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Please review the attached draft.\r\n--b1\r\nContent-Type: text/plain; name=\"draft.txt\"\r\n\
        Content-Disposition: attachment; filename=\"draft.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
        VGhlIGRyYWZ0IHRleHQu\r\n--b1--\r\n";
    let extracted = run(eml.as_bytes(), "message.eml").unwrap();
    assert_eq!(extracted.format, Format::Email);
    assert_eq!(extracted.title.as_deref(), Some("Contract draft"));
    assert_eq!(extracted.metadata["From"], "Ann Lee <ann@example.com>");
    assert_eq!(extracted.metadata["To"], "bob@example.com");
    assert_eq!(extracted.metadata["Cc"], "carol@example.com");
    assert!(extracted.metadata["Date"].starts_with("2026-02-17T09:42:15"));
    let text = &extracted.pages[0];
    assert!(
        text.contains("Subject: Contract draft\n")
            && text.contains("Please review the attached draft.")
    );
    assert_eq!(
        extracted.attachments,
        [Attachment {
            name: "draft.txt".into(),
            bytes: b"The draft text.".to_vec()
        }]
    );
}

#[test]
fn email_threading_headers_are_metadata_in_angle_brackets_and_not_text() {
    let eml = "From: b@example.com\r\nTo: a@example.com\r\nSubject: Re: Draft\r\n\
        Message-ID: <m2@example.com>\r\nIn-Reply-To: <m1@example.com>\r\n\
        References: <m0@example.com>\r\n <m1@example.com>\r\n\r\nAgreed.\r\n";
    let extracted = run(eml.as_bytes(), "reply.eml").unwrap();
    assert_eq!(extracted.metadata["Message-ID"], "<m2@example.com>");
    assert_eq!(extracted.metadata["In-Reply-To"], "<m1@example.com>");
    assert_eq!(
        extracted.metadata["References"],
        "<m0@example.com> <m1@example.com>"
    );
    assert!(!extracted.pages[0].contains("m1@example.com"));
}

#[test]
fn email_with_html_only_body_is_converted() {
    let eml = "From: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\nContent-Type: text/html\r\n\r\n\
        <html><body><p>Hello <b>there</b></p><script>x()</script></body></html>\r\n";
    let text = run(eml.as_bytes(), "m.eml").unwrap().pages.concat();
    assert!(
        text.contains("Hello there") && !text.contains("x()"),
        "{text:?}"
    );
}

#[test]
fn text_encodings_utf16_and_legacy() {
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "Größe: 5 m² — naïve café"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    assert_eq!(
        run(&utf16, "notes.txt").unwrap().pages[0],
        "Größe: 5 m² — naïve café"
    );
    let bomless: Vec<u8> = "Plain UTF-16 without a mark"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        run(&bomless, "notes.txt").unwrap().pages[0],
        "Plain UTF-16 without a mark"
    );
    // Windows-1252: "café" and curly quotes.
    let legacy = b"The caf\xE9 said \x93yes\x94 to the r\xE9sum\xE9 of the d\xE9l\xE9gu\xE9.";
    assert_eq!(
        run(legacy, "memo.txt").unwrap().pages[0],
        "The café said \u{201C}yes\u{201D} to the résumé of the délégué."
    );
    let md = run(b"Intro\n# Lease Terms\nText", "lease.md").unwrap();
    assert_eq!(
        (md.format, md.title.as_deref()),
        (Format::Markdown, Some("Lease Terms"))
    );
}

#[test]
fn bad_inputs_fail_with_reasons() {
    assert_eq!(run(b"", "empty.txt").unwrap_err(), ExtractError::Empty);

    let corrupt = run(
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage",
        "broken.pdf",
    )
    .unwrap_err();
    assert!(
        matches!(corrupt, ExtractError::Corrupt { format: "pdf", .. }),
        "{corrupt}"
    );

    let mut truncated = docx();
    truncated.truncate(truncated.len() / 2);
    let err = run(&truncated, "cut.docx").unwrap_err();
    assert!(
        err.to_string().contains("ZIP archive") || matches!(err, ExtractError::Corrupt { .. }),
        "{err}"
    );

    let binary: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let err = run(&binary, "contract.pdf").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported content: binary data, though it is named .pdf"
    );
    // An image is one whatever its name: OCR reads it at ingest.
    let err = run(b"\x89PNG\r\n\x1a\n0000", "scan.pdf").unwrap_err();
    assert_eq!(err, ExtractError::NeedsOcr { pages: 1 });
    let err = run(b"GIF89a binary", "scan.pdf").unwrap_err();
    assert!(
        err.to_string().contains("a GIF image; save it as PNG"),
        "{err}"
    );
}

#[test]
fn zip_bomb_is_refused_by_ratio_and_by_unpacked_size() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bomb = zip(&[("word/document.xml", &zeros)]);
    let err = run(&bomb, "bomb.docx").unwrap_err();
    assert!(err.to_string().contains("compression ratio"), "{err}");

    let limits = Limits {
        zip_max_ratio: 100_000,
        zip_max_unpacked_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let err = extract_guarded(bomb, Path::new("bomb.docx"), &limits).unwrap_err();
    assert!(err.to_string().contains("unpacked size"), "{err}");
}

#[test]
fn limits_on_size_pages_and_characters() {
    let small = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let err =
        extract_guarded(b"more than ten bytes".to_vec(), Path::new("a.txt"), &small).unwrap_err();
    assert!(err.to_string().contains("[ingest] max_file_mb"), "{err}");

    let one_page = Limits {
        max_pages: 1,
        ..Limits::default()
    };
    let err =
        extract_guarded(pdf(&[&["a"], &["b"]], None), Path::new("a.pdf"), &one_page).unwrap_err();
    assert!(err.to_string().contains("[ingest] max_pages"), "{err}");

    // A file on disk over the limit is refused before it is read.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    std::fs::write(&big, b"more than ten bytes").unwrap();
    let err = read_file(&big, &small).unwrap_err();
    assert!(err.to_string().contains("[ingest] max_file_mb"), "{err}");
    assert_eq!(
        read_file(&dir.path().join("gone.txt"), &small)
            .unwrap_err()
            .to_string()
            .split(':')
            .next(),
        Some("cannot read")
    );

    let few_chars = Limits {
        max_chars: 5,
        ..Limits::default()
    };
    let err = extract_guarded(b"123456".to_vec(), Path::new("a.txt"), &few_chars).unwrap_err();
    assert!(err.to_string().contains("[ingest] max_chars"), "{err}");
}

#[test]
fn a_caught_panic_comes_back_as_its_message_with_the_email_scrubbed() {
    let outcome = crate::panics::expecting_panics(|| -> usize {
        panic!("parser bug at offset 42 for x@y.example")
    });
    assert_eq!(outcome.unwrap_err(), "parser bug at offset 42 for [email]");
}
