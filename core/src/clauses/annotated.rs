//! An annotated set of contracts, the shape of CUAD's master clauses table: a folder with
//! `labels.csv` (a row per contract: its `Filename`, and per clause category the lawyers'
//! clause texts as a Python-style list of strings, `[]` when the contract has none; for
//! some categories a normalised `<Category>-Answer` column) and `contracts/<name>.txt`.
//! Each clause text is found in its contract with whitespace folded, since the texts were
//! cut from another rendering of the same document.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Separator CUAD puts between the pieces of one clause that stand apart in the text.
const OMITTED: &str = "<omitted>";

/// Why an annotated set cannot be read; each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum AnnotatedError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// One lawyers' clause: its text as labelled, and where it stands in the contract (byte
/// ranges of the contract's text, one per piece) when it was found there.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub text: String,
    pub spans: Vec<(usize, usize)>,
}

/// One annotated contract.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The text file's stem.
    pub name: String,
    pub text: String,
    /// Per category id (`governing_law`), the clauses labelled; a category with none is
    /// absent.
    pub clauses: BTreeMap<String, Vec<Clause>>,
    /// Per category id, the normalised answer where the set gives one (`Delaware`).
    pub answers: BTreeMap<String, String>,
}

impl Contract {
    /// Whether the lawyers found clause `category` in this contract.
    pub fn has(&self, category: &str) -> bool {
        self.clauses.get(category).is_some_and(|c| !c.is_empty())
    }

    /// The byte ranges of every located piece of clause `category`.
    pub fn spans(&self, category: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.clauses
            .get(category)
            .into_iter()
            .flatten()
            .flat_map(|clause| clause.spans.iter().copied())
    }
}

/// An annotated set, read whole.
#[derive(Debug, Clone)]
pub struct AnnotatedSet {
    /// Category ids in the table's order.
    pub categories: Vec<String>,
    /// Contracts in the table's order.
    pub contracts: Vec<Contract>,
    /// Table rows whose text file was not found.
    pub unmatched_rows: Vec<String>,
    /// Clause pieces that could not be found in their contract's text.
    pub unlocated_pieces: usize,
    /// Clause pieces found.
    pub located_pieces: usize,
}

/// The id of a category named `name`: lower case, words joined by `_`
/// ("Cap on Liability" is `cap_on_liability`, "Rofr/Rofo/Rofn" is `rofr_rofo_rofn`).
pub fn category_id(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

/// A file name's letters and digits in lower case: how a row's `Filename` is matched to a
/// text file whose name differs in punctuation.
fn loose_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl AnnotatedSet {
    /// Reads the set in `dir` (`labels.csv` and `contracts/`), each contract's text as
    /// `as_stored` makes it: Kodiak's ingest normalises whitespace, and the detector should
    /// learn and be measured on the text it will read.
    pub fn load(
        dir: &Path,
        as_stored: impl Fn(&str) -> String,
    ) -> Result<AnnotatedSet, AnnotatedError> {
        let labels = dir.join("labels.csv");
        let contracts_dir = dir.join("contracts");
        let invalid = |message: String| AnnotatedError::Invalid {
            path: labels.clone(),
            message,
        };
        let read_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| AnnotatedError::Read { path, source }
        };
        let mut files: HashMap<String, PathBuf> = HashMap::new();
        for entry in std::fs::read_dir(&contracts_dir).map_err(read_err(&contracts_dir))? {
            let path = entry.map_err(read_err(&contracts_dir))?.path();
            if path.extension().is_some_and(|e| e == "txt")
                && let Some(stem) = path.file_stem()
            {
                files.insert(loose_key(&stem.to_string_lossy()), path);
            }
        }
        let mut reader = csv::Reader::from_path(&labels).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(_) => AnnotatedError::Read {
                path: labels.clone(),
                source: std::io::Error::other(e.to_string()),
            },
            _ => invalid(e.to_string()),
        })?;
        let headers = reader
            .headers()
            .map_err(|e| invalid(e.to_string()))?
            .clone();
        let filename = headers
            .iter()
            .position(|h| h == "Filename")
            .ok_or_else(|| invalid("no `Filename` column".into()))?;
        let mut category_columns = Vec::new();
        let mut answer_columns = Vec::new();
        for (column, header) in headers.iter().enumerate() {
            if column == filename {
                continue;
            }
            match header.strip_suffix("-Answer") {
                Some(category) => answer_columns.push((column, category_id(category))),
                None => category_columns.push((column, category_id(header))),
            }
        }
        let mut set = AnnotatedSet {
            categories: category_columns.iter().map(|(_, id)| id.clone()).collect(),
            contracts: Vec::new(),
            unmatched_rows: Vec::new(),
            unlocated_pieces: 0,
            located_pieces: 0,
        };
        for (row_number, record) in reader.records().enumerate() {
            let record = record.map_err(|e| invalid(e.to_string()))?;
            let row_name = record.get(filename).unwrap_or_default();
            let stem = match row_name.len().checked_sub(4) {
                Some(cut)
                    if row_name.is_char_boundary(cut)
                        && row_name[cut..].eq_ignore_ascii_case(".pdf") =>
                {
                    &row_name[..cut]
                }
                _ => row_name,
            };
            let Some(path) = files.get(&loose_key(stem)) else {
                set.unmatched_rows.push(row_name.to_owned());
                continue;
            };
            let text = as_stored(&std::fs::read_to_string(path).map_err(read_err(path))?);
            let folded = Folded::new(&text);
            let mut clauses = BTreeMap::new();
            for (column, id) in &category_columns {
                let cell = record.get(*column).unwrap_or_default();
                let texts = python_strings(cell).map_err(|message| {
                    invalid(format!(
                        "row {} ({row_name}), column {id}: {message}",
                        row_number + 2
                    ))
                })?;
                let located: Vec<Clause> = texts
                    .into_iter()
                    .map(|text| {
                        let spans: Vec<(usize, usize)> = text
                            .split(OMITTED)
                            .filter_map(|piece| {
                                let found = folded.find(piece);
                                match found {
                                    Some(_) => set.located_pieces += 1,
                                    None if piece.trim().is_empty() => {}
                                    None => set.unlocated_pieces += 1,
                                }
                                found
                            })
                            .collect();
                        Clause { text, spans }
                    })
                    .collect();
                if !located.is_empty() {
                    clauses.insert(id.clone(), located);
                }
            }
            let answers = answer_columns
                .iter()
                .filter_map(|(column, id)| {
                    let answer = record.get(*column)?.trim();
                    (!answer.is_empty()).then(|| (id.clone(), answer.to_owned()))
                })
                .collect();
            set.contracts.push(Contract {
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                text,
                clauses,
                answers,
            });
        }
        if set.contracts.is_empty() {
            return Err(invalid(format!(
                "no row names a text file in {}",
                contracts_dir.display()
            )));
        }
        Ok(set)
    }
}

/// A text with its whitespace runs folded to one space, and the way back to the original's
/// byte offsets.
pub struct Folded {
    text: String,
    /// For each byte of `text`, the original byte offset it came from.
    origin: Vec<usize>,
    original_len: usize,
}

impl Folded {
    pub fn new(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        let mut in_space = false;
        for (at, c) in original.char_indices() {
            if c.is_whitespace() {
                if !in_space {
                    text.push(' ');
                    origin.push(at);
                }
                in_space = true;
            } else {
                in_space = false;
                let before = text.len();
                text.push(c);
                origin.extend(std::iter::repeat_n(at, text.len() - before));
            }
        }
        Folded {
            text,
            origin,
            original_len: original.len(),
        }
    }

    /// The original byte range of the first place `needle` stands, whitespace folded.
    pub fn find(&self, needle: &str) -> Option<(usize, usize)> {
        let folded = needle.split_whitespace().collect::<Vec<_>>().join(" ");
        if folded.is_empty() {
            return None;
        }
        let at = self.text.find(&folded)?;
        let end = at + folded.len();
        let start = self.origin[at];
        // The original end: just past the last folded byte's character.
        let last = self.origin[end - 1];
        let last_len = self.text[..end]
            .chars()
            .next_back()
            .map_or(1, char::len_utf8);
        Some((start, (last + last_len).min(self.original_len)))
    }
}

/// The strings of a Python-style list literal: `['a', "b's"]`, with `\'`, `\"`, `\\`,
/// `\n`, `\t`, `\xNN` and `\uNNNN` escapes.
pub fn python_strings(cell: &str) -> Result<Vec<String>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(Vec::new());
    }
    let inner = cell
        .strip_prefix('[')
        .and_then(|c| c.strip_suffix(']'))
        .ok_or_else(|| format!("{:?} is not a list", shorten(cell)))?;
    let mut strings = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let Some(quote) = chars.next() else {
            return Ok(strings);
        };
        if quote != '\'' && quote != '"' {
            return Err(format!("a list item starts with {quote:?}, not a quote"));
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                None => return Err("a string is not closed".into()),
                Some(c) if c == quote => break,
                Some('\\') => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some('r') => value.push('\r'),
                    Some(kind @ ('x' | 'u')) => {
                        let digits: String = chars
                            .by_ref()
                            .take(if kind == 'x' { 2 } else { 4 })
                            .collect();
                        let decoded = u32::from_str_radix(&digits, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("bad escape \\{kind}{digits}"))?;
                        value.push(decoded);
                    }
                    Some(other) => value.push(other),
                    None => return Err("a string ends in a backslash".into()),
                },
                Some(c) => value.push(c),
            }
        }
        strings.push(value);
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_list_literals_parse_with_both_quotes_and_escapes() {
        assert_eq!(python_strings("[]").unwrap(), Vec::<String>::new());
        assert_eq!(
            python_strings(r#"['a, b', "the Company's", 'it\'s', 'caf\xe9 \u2019']"#).unwrap(),
            ["a, b", "the Company's", "it's", "café \u{2019}"]
        );
        assert!(python_strings("['open").is_err());
        assert!(python_strings("a, b").is_err());
    }

    #[test]
    fn a_clause_is_found_with_whitespace_folded_and_its_pieces_apart() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("contracts")).unwrap();
        let text = "SUPPLY AGREEMENT\n\nThis Agreement is governed by the\n   laws of Ohio.\n\
                    Nothing else. Either party may terminate.";
        std::fs::write(dir.path().join("contracts/Acme_Supply.txt"), text).unwrap();
        std::fs::write(
            dir.path().join("labels.csv"),
            "Filename,Governing Law,Governing Law-Answer,Termination For Convenience\n\
             Acme Supply.PDF,\"['governed by the laws of Ohio.']\",Ohio,\
             \"['This Agreement<omitted>Either party may terminate.']\"\n\
             Missing.pdf,[],,[]\n",
        )
        .unwrap();
        let set = AnnotatedSet::load(dir.path(), str::to_owned).unwrap();
        assert_eq!(
            set.categories,
            ["governing_law", "termination_for_convenience"]
        );
        assert_eq!(set.unmatched_rows, ["Missing.pdf"]);
        let contract = &set.contracts[0];
        assert_eq!(contract.name, "Acme_Supply");
        assert_eq!(contract.answers["governing_law"], "Ohio");
        let (start, end) = contract.spans("governing_law").next().unwrap();
        assert_eq!(&text[start..end], "governed by the\n   laws of Ohio.");
        let pieces: Vec<&str> = contract
            .spans("termination_for_convenience")
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(pieces, ["This Agreement", "Either party may terminate."]);
        assert_eq!((set.located_pieces, set.unlocated_pieces), (3, 0));
    }
}
