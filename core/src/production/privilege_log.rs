//! The privilege log: a row per document withheld or redacted for privilege, with its
//! Bates number or range, date, author, recipients, type, basis and description; written
//! as CSV for the other side's tools and as Markdown to read.

use serde::Serialize;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub bates: String,
    pub date: String,
    pub author: String,
    pub recipients: String,
    pub doctype: String,
    /// "Withheld" or "Redacted".
    pub treatment: String,
    pub basis: String,
    pub description: String,
}

const HEADER: [&str; 8] = [
    "Bates",
    "Date",
    "Author",
    "Recipients",
    "Document type",
    "Treatment",
    "Privilege",
    "Description",
];

impl Entry {
    fn fields(&self) -> [&str; 8] {
        [
            &self.bates,
            &self.date,
            &self.author,
            &self.recipients,
            &self.doctype,
            &self.treatment,
            &self.basis,
            &self.description,
        ]
    }
}

/// The log as CSV, a header row first.
pub fn csv(entries: &[Entry]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for entry in entries {
        writer.write_record(entry.fields())?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The log as a Markdown table under a heading naming the production.
pub fn markdown(production: &str, entries: &[Entry]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
    let mut out = format!("# Privilege log: {production}\n\n");
    if entries.is_empty() {
        out.push_str("No document was withheld or redacted for privilege.\n");
        return out;
    }
    out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    out.push_str(&format!("|{}\n", " --- |".repeat(HEADER.len())));
    for entry in entries {
        let cells: Vec<String> = entry.fields().iter().map(|f| cell(f)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            bates: "ACME000004-ACME000006".into(),
            date: "2024-03-01".into(),
            author: "counsel@firm.example".into(),
            recipients: "ceo@acme.example".into(),
            doctype: "email".into(),
            treatment: "Redacted".into(),
            basis: "Attorney-client privilege".into(),
            description: "Advice on the | indemnity".into(),
        }
    }

    #[test]
    fn the_csv_has_a_header_and_a_row_per_entry_quoted_where_needed() {
        let text = csv(&[entry()]).expect("csv");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().expect("header").clone();
        assert_eq!(headers.iter().collect::<Vec<_>>(), HEADER.to_vec());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "ACME000004-ACME000006");
    }

    #[test]
    fn the_markdown_escapes_pipes_and_says_when_nothing_is_logged() {
        assert!(markdown("p", &[entry()]).contains("Advice on the \\| indemnity"));
        assert!(markdown("p", &[]).contains("No document was withheld"));
    }
}
