//! Checklists: the same questions asked of every document in a set ("governing law?",
//! "liability cap?"). A checklist is a TOML file of items; each item is answered per
//! document by [`decide`]: by the clause detector where the item names a clause type it
//! knows, else by the item's terms; where the detector is unsure, optionally by the
//! generator ([`model`]). Evidence is always quoted from the stored text and checked
//! against it; [`answers`] pulls the short answer out of it.

pub mod answers;
pub mod decide;
pub mod export;
pub mod grid;
pub mod measure;
pub mod model;
/// Checklist terms are text's: the clause questions match them too.
pub use crate::text::terms;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{TomlProblem, from_toml};

/// Most items one checklist may hold: each is asked of every document.
const MAX_ITEMS: usize = 200;
/// Longest question, in characters: it goes into every prompt.
const MAX_QUESTION_CHARS: usize = 500;

/// What kind of answer an item wants; it decides what is pulled out of the evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// Is the clause there? "yes" or "no".
    YesNo,
    /// The clause's gist, quoted.
    #[default]
    Text,
    Date,
    /// Who: a party to the contract or a named role.
    Party,
    /// A period as written ("sixty (60) months"), or the date it runs to.
    Duration,
    /// A sum or a cap ("USD 2,000,000", "the fees paid in the prior twelve months").
    Amount,
    /// The place whose law governs ("State of New York").
    Jurisdiction,
    /// The parties the preamble names, with the names they are defined as.
    Parties,
}

impl AnswerKind {
    pub const ALL: [AnswerKind; 8] = [
        AnswerKind::YesNo,
        AnswerKind::Text,
        AnswerKind::Date,
        AnswerKind::Party,
        AnswerKind::Duration,
        AnswerKind::Amount,
        AnswerKind::Jurisdiction,
        AnswerKind::Parties,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::YesNo => "yes_no",
            AnswerKind::Text => "text",
            AnswerKind::Date => "date",
            AnswerKind::Party => "party",
            AnswerKind::Duration => "duration",
            AnswerKind::Amount => "amount",
            AnswerKind::Jurisdiction => "jurisdiction",
            AnswerKind::Parties => "parties",
        }
    }
}

/// One question of a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Short, stable name: the column of the grid and the key of reviewers' decisions.
    pub id: String,
    pub question: String,
    /// Words or phrases that indicate the clause; searched for and required by the
    /// extractive decision. Each matches its words in order, stemmed, with up to a few
    /// other words between them; a word ending in `*` matches every word it starts
    /// ("govern* laws of" finds "governed in all respects by the laws of").
    #[serde(default)]
    pub terms: Vec<String>,
    #[serde(default)]
    pub answer: AnswerKind,
    /// The clause type the detector decides this item by (`governing_law`); without one,
    /// the item's terms decide. A type the clause model does not know is refused when a
    /// run starts, so that a misspelt name is not quietly decided by terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
}

/// A checklist as written in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecklistFile {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "item")]
    items: Vec<Item>,
}

/// A validated checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    /// The file's stem (`commercial` for `commercial.toml`): reviewers' decisions are kept
    /// per checklist name, document and item.
    pub name: String,
    pub title: String,
    pub description: String,
    pub items: Vec<Item>,
}

/// Why a checklist cannot be used; each names the file and, where known, the line and key.
#[derive(Debug, thiserror::Error)]
pub enum ChecklistError {
    #[error("cannot read checklist {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no checklist file {} and no shipped checklist of that name: give a TOML file or one of {shipped}",
        spec.display()
    )]
    NotFound { spec: PathBuf, shipped: String },
    #[error("invalid checklist {}{}: {}{message}", path.display(), line_suffix(*line), key_prefix(key))]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        key: Option<String>,
        message: String,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

fn key_prefix(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!("key `{k}`: "))
        .unwrap_or_default()
}

/// The checklists Kodiak ships, by name, built into the binary: a reviewer runs one by
/// name from any directory (`kodiak review run commercial-contract`).
pub const SHIPPED: [(&str, &str); 2] = [
    (
        "commercial-contract",
        include_str!("../../../assets/checklists/commercial-contract.toml"),
    ),
    (
        "privacy-dpa",
        include_str!("../../../assets/checklists/privacy-dpa.toml"),
    ),
];

impl Checklist {
    /// The checklist `spec` names: a checklist file, or else a shipped checklist by name
    /// (`commercial-contract`, with or without `.toml`). A spec that is neither is refused
    /// naming the shipped ones.
    pub fn find(spec: &Path) -> Result<Checklist, ChecklistError> {
        let bare = spec.components().count() == 1;
        if spec.exists() || !bare {
            return Checklist::load(spec);
        }
        let name = spec.to_string_lossy();
        let name = name.strip_suffix(".toml").unwrap_or(&name);
        match SHIPPED.iter().find(|(shipped, _)| *shipped == name) {
            Some((shipped, text)) => Checklist::parse(text, Path::new(&format!("{shipped}.toml"))),
            None => Err(ChecklistError::NotFound {
                spec: spec.to_path_buf(),
                shipped: SHIPPED.map(|(name, _)| name).join(", "),
            }),
        }
    }

    /// The shipped checklists, parsed.
    pub fn shipped() -> Vec<Checklist> {
        SHIPPED
            .iter()
            .filter_map(|(name, _)| Checklist::find(Path::new(name)).ok())
            .collect()
    }

    /// Reads and validates a checklist file.
    pub fn load(path: &Path) -> Result<Checklist, ChecklistError> {
        let text = std::fs::read_to_string(path).map_err(|source| ChecklistError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Checklist::parse(&text, path)
    }

    /// Parses and validates the text of a checklist file named `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Checklist, ChecklistError> {
        let invalid = |problem: TomlProblem| ChecklistError::Invalid {
            path: path.to_path_buf(),
            line: problem.line,
            key: problem.key,
            message: problem.message,
        };
        let file: ChecklistFile = from_toml(text).map_err(invalid)?;
        validate(&file).map_err(|(key, message)| invalid(TomlProblem::at(text, key, message)))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "checklist".into());
        Ok(Checklist {
            name,
            title: file.title.trim().to_owned(),
            description: file.description.trim().to_owned(),
            items: file.items,
        })
    }

    /// The item called `id`.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|item| item.id == id)
    }
}

/// The first problem of a parsed checklist: the dotted key and what is wrong.
fn validate(file: &ChecklistFile) -> Result<(), (String, String)> {
    if file.title.trim().is_empty() {
        return Err(("title".into(), "the title is empty".into()));
    }
    if file.items.is_empty() {
        return Err((
            "item".into(),
            "the checklist has no items; add [[item]] tables with an id and a question".into(),
        ));
    }
    if file.items.len() > MAX_ITEMS {
        return Err((
            "item".into(),
            format!(
                "{} items is more than the {MAX_ITEMS} a checklist may hold",
                file.items.len()
            ),
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (n, item) in file.items.iter().enumerate() {
        let key = |field: &str| format!("item[{n}].{field}");
        let id_ok = !item.id.is_empty()
            && item.id.len() <= 40
            && item
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            return Err((
                key("id"),
                format!(
                    "{:?} is not an id: use 1 to 40 lower-case letters, digits, `_` or `-`",
                    item.id
                ),
            ));
        }
        if let Some(first) = seen.insert(&item.id, n) {
            return Err((
                key("id"),
                format!("the id {:?} is already used by item {}", item.id, first + 1),
            ));
        }
        let question = item.question.trim();
        if question.is_empty() {
            return Err((key("question"), "the question is empty".into()));
        }
        if question.chars().count() > MAX_QUESTION_CHARS {
            return Err((
                key("question"),
                format!("the question is longer than {MAX_QUESTION_CHARS} characters"),
            ));
        }
        if let Some(t) = item.terms.iter().position(|t| t.trim().is_empty()) {
            return Err((format!("item[{n}].terms[{t}]"), "a term is empty".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Checklist, ChecklistError> {
        Checklist::parse(text, Path::new("/lists/supply.toml"))
    }

    #[test]
    fn a_checklist_parses_with_defaults_and_takes_its_name_from_the_file() {
        let list = parse(
            "title = \"Supply\"\n\n[[item]]\nid = \"governing_law\"\nquestion = \"Which law governs it?\"\n\
             terms = [\"governing law\", \"governed by\"]\n\n[[item]]\nid = \"cap\"\n\
             question = \"Is liability capped?\"\nanswer = \"yes_no\"\n",
        )
        .unwrap();
        assert_eq!(list.name, "supply");
        assert_eq!(list.items.len(), 2);
        assert_eq!(list.items[0].answer, AnswerKind::Text);
        assert_eq!(list.items[1].answer, AnswerKind::YesNo);
        assert!(list.items[1].terms.is_empty());
        assert_eq!(list.item("cap").map(|i| i.id.as_str()), Some("cap"));
    }

    #[test]
    fn a_shipped_checklist_is_found_by_name_from_any_directory_and_an_unknown_name_lists_them() {
        let shipped = Checklist::shipped();
        let names: Vec<&str> = shipped.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["commercial-contract", "privacy-dpa"]);
        let by_name = Checklist::find(Path::new("commercial-contract.toml")).unwrap();
        let file = Checklist::load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../assets/checklists/commercial-contract.toml"),
        )
        .unwrap();
        assert_eq!(by_name, file, "the built-in copy is the shipped file");
        let unknown = Checklist::find(Path::new("leases"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            unknown,
            "no checklist file leases and no shipped checklist of that name: give a TOML file or \
             one of commercial-contract, privacy-dpa"
        );
        let missing = Checklist::find(Path::new("/nowhere/leases.toml")).unwrap_err();
        assert!(matches!(missing, ChecklistError::Read { .. }), "{missing}");
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        let unknown_key =
            parse("title = \"T\"\n[[item]]\nid = \"a\"\nquestion = \"Q?\"\nterm = [\"x\"]\n")
                .unwrap_err()
                .to_string();
        assert!(
            unknown_key
                .starts_with("invalid checklist /lists/supply.toml, line 5: key `item[0].term`:"),
            "{unknown_key}"
        );
        assert!(
            unknown_key.contains("unknown field `term`"),
            "{unknown_key}"
        );

        let duplicate = parse(
            "title = \"T\"\n[[item]]\nid = \"a\"\nquestion = \"Q?\"\n[[item]]\nid = \"a\"\nquestion = \"R?\"\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            duplicate,
            "invalid checklist /lists/supply.toml, line 6: key `item[1].id`: the id \"a\" is \
             already used by item 1"
        );

        let kind =
            parse("title = \"T\"\n[[item]]\nid = \"a\"\nquestion = \"Q?\"\nanswer = \"number\"\n")
                .unwrap_err()
                .to_string();
        assert!(kind.contains("line 5: key `item[0].answer`"), "{kind}");
        assert!(kind.contains("yes_no"), "{kind}");

        let bad_id = parse("title = \"T\"\n[[item]]\nid = \"Governing Law\"\nquestion = \"Q?\"\n")
            .unwrap_err()
            .to_string();
        assert!(bad_id.contains("line 3: key `item[0].id`"), "{bad_id}");

        let empty = parse("title = \"T\"\nitem = []\n").unwrap_err().to_string();
        assert!(empty.contains("has no items"), "{empty}");

        let syntax = parse("title = \"T\"\n[[item]\n").unwrap_err().to_string();
        assert!(syntax.contains("line 2"), "{syntax}");
    }

    #[test]
    fn the_shipped_checklists_are_valid_and_the_commercial_one_covers_twenty_clause_types() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/checklists");
        let commercial = Checklist::load(&dir.join("commercial-contract.toml")).unwrap();
        assert!(commercial.items.len() >= 20, "{}", commercial.items.len());
        assert!(commercial.items.iter().all(|i| !i.terms.is_empty()));
        let dpa = Checklist::load(&dir.join("privacy-dpa.toml")).unwrap();
        assert!(dpa.items.len() >= 6);
    }
}
