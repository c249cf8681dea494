//! The load files review platforms import a production by: a Concordance DAT (fields
//! quoted by þ and separated by ASCII 20, a header row, a line break inside a field
//! written as ®) and an Opticon OPT (a line per page naming its image file, the first
//! page of a document marked and carrying the document's page count). Lines end in CRLF,
//! as the tools that read them expect. Both are parsed back too, to verify a production.

/// Concordance's field quote, separator and in-field line break.
const QUOTE: char = 'þ';
const SEPARATOR: char = '\u{14}';
const NEWLINE_IN_FIELD: char = '®';

/// The DAT's fields, in order.
pub const DAT_FIELDS: [&str; 14] = [
    "BEGBATES",
    "ENDBATES",
    "BEGATTACH",
    "ENDATTACH",
    "FILENAME",
    "DOCTYPE",
    "DATE",
    "FROM",
    "TO",
    "CC",
    "SUBJECT",
    "SHA256",
    "PAGECOUNT",
    "TEXTPATH",
];

/// A Concordance DAT of `rows`, each with a value per field of [`DAT_FIELDS`].
pub fn dat(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let header: Vec<String> = DAT_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let fields: Vec<String> = row
            .iter()
            .map(|value| format!("{QUOTE}{}{QUOTE}", dat_value(value)))
            .collect();
        out.push_str(&fields.join(&SEPARATOR.to_string()));
        out.push_str("\r\n");
    }
    out
}

/// A value as a DAT field holds it: line breaks as ®, the quote character removed.
fn dat_value(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| *c != QUOTE)
        .map(|c| match c {
            '\n' | '\r' => NEWLINE_IN_FIELD,
            c => c,
        })
        .collect()
}

/// A DAT read back: its header and rows, or what is wrong with it.
pub fn parse_dat(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let parse = |line: &str, number: usize| -> Result<Vec<String>, String> {
        line.split(SEPARATOR)
            .map(|field| {
                field
                    .strip_prefix(QUOTE)
                    .and_then(|f| f.strip_suffix(QUOTE))
                    .map(str::to_owned)
                    .ok_or_else(|| format!("line {number}: a field is not quoted by þ"))
            })
            .collect()
    };
    let header = parse(lines.next().ok_or("the DAT is empty")?, 1)?;
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let row = parse(line, i + 2)?;
        if row.len() != header.len() {
            return Err(format!(
                "line {}: {} fields where the header has {}",
                i + 2,
                row.len(),
                header.len()
            ));
        }
        rows.push(row);
    }
    Ok((header, rows))
}

/// One page's line of an Opticon file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptLine {
    pub image_key: String,
    pub volume: String,
    pub path: String,
    /// The first page of a document, with the document's page count.
    pub document_pages: Option<usize>,
}

/// An Opticon OPT of `lines`.
pub fn opt(lines: &[OptLine]) -> String {
    let mut out = String::new();
    for line in lines {
        let (first, pages) = match line.document_pages {
            Some(pages) => ("Y", pages.to_string()),
            None => ("", String::new()),
        };
        out.push_str(&format!(
            "{},{},{},{first},,,{pages}\r\n",
            line.image_key, line.volume, line.path
        ));
    }
    out
}

/// An OPT read back, or what is wrong with it.
pub fn parse_opt(text: &str) -> Result<Vec<OptLine>, String> {
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != 7 {
                return Err(format!("line {}: {} fields, not 7", i + 1, fields.len()));
            }
            let document_pages = match (fields[3], fields[6]) {
                ("Y", pages) => Some(
                    pages
                        .parse()
                        .map_err(|_| format!("line {}: page count {pages:?}", i + 1))?,
                ),
                ("", "") => None,
                _ => {
                    return Err(format!(
                        "line {}: a page count without Y, or Y without one",
                        i + 1
                    ));
                }
            };
            Ok(OptLine {
                image_key: fields[0].to_owned(),
                volume: fields[1].to_owned(),
                path: fields[2].to_owned(),
                document_pages,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dat_is_thorn_quoted_ascii_20_separated_with_a_header_and_reads_back() {
        let mut row: Vec<String> = DAT_FIELDS.iter().map(|_| String::new()).collect();
        row[0] = "ACME000001".into();
        row[10] = "Re: the þ deal\nsecond line".into();
        let text = dat(&[row]);
        assert!(text.starts_with("þBEGBATESþ\u{14}þENDBATESþ"));
        assert!(text.contains("þRe: the  deal®second lineþ"));
        assert!(text.ends_with("\r\n"));
        let (header, rows) = parse_dat(&text).expect("parses");
        assert_eq!(header, DAT_FIELDS.to_vec());
        assert_eq!(rows[0][0], "ACME000001");
        assert_eq!(rows[0][10], "Re: the  deal®second line");
    }

    #[test]
    fn an_opt_marks_a_documents_first_page_with_its_page_count() {
        let lines = vec![
            OptLine {
                image_key: "ACME000001".into(),
                volume: "VOL001".into(),
                path: "IMAGES/ACME000001.pdf".into(),
                document_pages: Some(2),
            },
            OptLine {
                image_key: "ACME000002".into(),
                volume: "VOL001".into(),
                path: "IMAGES/ACME000001.pdf".into(),
                document_pages: None,
            },
        ];
        let text = opt(&lines);
        assert_eq!(
            text,
            "ACME000001,VOL001,IMAGES/ACME000001.pdf,Y,,,2\r\nACME000002,VOL001,IMAGES/ACME000001.pdf,,,,\r\n"
        );
        assert_eq!(parse_opt(&text).expect("parses"), lines);
    }

    #[test]
    fn a_dat_row_short_of_fields_is_an_error_naming_its_line() {
        let text = "þAþ\u{14}þBþ\r\nþ1þ\r\n";
        assert_eq!(
            parse_dat(text).unwrap_err(),
            "line 2: 1 fields where the header has 2"
        );
    }
}
