//! Matters: named, self-contained workspaces under the data directory. Each has its own
//! database (documents, review, conversations, checklist jobs, audit trail) and its own
//! search index; nothing is shared between two matters but the models and the logs, which
//! hold no document text.
//!
//! The default matter is the data directory itself, where Kodiak kept everything before
//! there were matters, so an existing data directory opens as it was. Every other matter
//! lives in `DATA_DIR/matters/NAME`. A matter's `matter.json` says who made it and whether
//! it is archived; an archived matter can be read, searched and reported on, not changed.

use crate::timestamp::Timestamp;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The matter a command works in when none is named.
pub const DEFAULT: &str = "default";
const MATTERS_DIR: &str = "matters";
const MATTER_FILE: &str = "matter.json";
const MAX_NAME_CHARS: usize = 64;

/// Why a matter could not be found, made or changed; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum MatterError {
    #[error(
        "invalid matter name {name:?}: {why}; use letters, digits, '-', '_' and '.', \
         starting with a letter or digit, at most {MAX_NAME_CHARS} characters"
    )]
    InvalidName { name: String, why: &'static str },
    #[error(
        "no matter named {name:?}{}; `kodiak matter new {name}` makes it",
        known_list(known)
    )]
    Unknown { name: String, known: Vec<String> },
    #[error("a matter named {name:?} exists already ({}); pick another name", dir.display())]
    Exists { name: String, dir: PathBuf },
    #[error("cannot {doing} {}: {source}", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the data directory {} is a file, not a folder; give --data-dir (or data_dir, or \
         KODIAK_DATA_DIR) a folder, which is made when it does not exist",
        path.display()
    )]
    DataDirIsFile { path: PathBuf },
    #[error("the matter file {} is unreadable: {message}; fix or remove it", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "matter {name:?} is archived (since {at}, by {by}): it can be read, searched and \
         reported on, not changed; `kodiak matter reopen {name}` makes it changeable again"
    )]
    Archived {
        name: String,
        at: String,
        by: String,
    },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (there are: {})", known.join(", "))
    }
}

/// What `matter.json` records about a matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MatterFile {
    pub name: String,
    /// None for the default matter, whose file is written only when it is archived.
    #[serde(default, with = "crate::timestamp::empty_is_none")]
    pub created_at: Option<Timestamp>,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<Archived>,
}

/// When and by whom a matter was archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Archived {
    pub at: Timestamp,
    pub by: String,
}

/// One matter as `matter list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matter {
    pub name: String,
    pub dir: PathBuf,
    /// What `matter.json` says; the default matter may have none.
    #[serde(flatten)]
    pub file: Option<MatterFile>,
}

impl Matter {
    pub fn archived(&self) -> Option<&Archived> {
        self.file.as_ref().and_then(|f| f.archived.as_ref())
    }

    /// Refuses a change to an archived matter.
    pub fn check_changeable(&self) -> Result<(), MatterError> {
        match self.archived() {
            Some(archived) => Err(MatterError::Archived {
                name: self.name.clone(),
                at: archived.at.to_string(),
                by: archived.by.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// Checks a matter's name: it becomes a folder name, so no separators, no dot files.
pub fn check_name(name: &str) -> Result<(), MatterError> {
    let invalid = |why| MatterError::InvalidName {
        name: name.to_owned(),
        why,
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(invalid("it is empty")),
        Some(c) if !c.is_ascii_alphanumeric() => {
            return Err(invalid("it must start with a letter or digit"));
        }
        Some(_) => {}
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("it is too long"));
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(invalid(
            "it holds a character that cannot be in a folder name",
        ));
    }
    Ok(())
}

/// The folder of matter `name` (which must be a valid name).
pub fn dir(data_dir: &Path, name: &str) -> PathBuf {
    if name == DEFAULT {
        data_dir.to_path_buf()
    } else {
        data_dir.join(MATTERS_DIR).join(name)
    }
}

/// The matter in `dir`: its `matter.json`, or none (the default matter before it had one).
pub fn read(name: &str, dir: &Path) -> Result<Matter, MatterError> {
    let path = dir.join(MATTER_FILE);
    let file =
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(serde_json::from_str::<MatterFile>(&text).map_err(|e| {
                MatterError::Corrupt {
                    path: path.clone(),
                    message: e.to_string(),
                }
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(MatterError::Io {
                    doing: "read",
                    path,
                    source,
                });
            }
        };
    Ok(Matter {
        name: name.to_owned(),
        dir: dir.to_path_buf(),
        file,
    })
}

/// Matter `name` in `data_dir`, which must exist (the default one always does).
pub fn open(data_dir: &Path, name: &str) -> Result<Matter, MatterError> {
    check_name(name)?;
    check_data_dir(data_dir)?;
    let dir = dir(data_dir, name);
    if name != DEFAULT && !dir.join(MATTER_FILE).exists() {
        return Err(MatterError::Unknown {
            name: name.to_owned(),
            known: list(data_dir)?.into_iter().map(|m| m.name).collect(),
        });
    }
    read(name, &dir)
}

/// A data directory that is a file is said to be one, not reported as the matter file
/// that cannot be read inside it.
fn check_data_dir(data_dir: &Path) -> Result<(), MatterError> {
    match std::fs::metadata(data_dir) {
        Ok(meta) if !meta.is_dir() => Err(MatterError::DataDirIsFile {
            path: data_dir.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Every matter, the default one first, the others by name.
pub fn list(data_dir: &Path) -> Result<Vec<Matter>, MatterError> {
    check_data_dir(data_dir)?;
    let mut matters = vec![read(DEFAULT, data_dir)?];
    let root = data_dir.join(MATTERS_DIR);
    let entries = match std::fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(matters),
        Err(source) => {
            return Err(MatterError::Io {
                doing: "list",
                path: root,
                source,
            });
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join(MATTER_FILE).is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| check_name(name).is_ok() && name != DEFAULT)
        .collect();
    names.sort();
    for name in names {
        matters.push(read(&name, &root.join(&name))?);
    }
    Ok(matters)
}

/// Makes matter `name`: its folder (0700) and `matter.json`. Two processes making the same
/// matter at once: one gets the folder, the other [`MatterError::Exists`].
pub fn create(
    data_dir: &Path,
    name: &str,
    description: Option<&str>,
    by: &str,
) -> Result<Matter, MatterError> {
    check_name(name)?;
    let dir = dir(data_dir, name);
    if name == DEFAULT {
        return Err(MatterError::Exists {
            name: name.to_owned(),
            dir,
        });
    }
    let parent = data_dir.join(MATTERS_DIR);
    crate::files::create_private_dir(&parent).map_err(|source| MatterError::Io {
        doing: "create",
        path: parent.clone(),
        source,
    })?;
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(MatterError::Exists {
                name: name.to_owned(),
                dir,
            });
        }
        Err(source) => {
            return Err(MatterError::Io {
                doing: "create",
                path: dir,
                source,
            });
        }
    }
    crate::files::create_private_dir(&dir).map_err(|source| MatterError::Io {
        doing: "create",
        path: dir.clone(),
        source,
    })?;
    let file = MatterFile {
        name: name.to_owned(),
        created_at: Some(Timestamp::now()),
        created_by: by.to_owned(),
        description: description.map(str::to_owned),
        archived: None,
    };
    write(&dir, &file)?;
    Ok(Matter {
        name: name.to_owned(),
        dir,
        file: Some(file),
    })
}

/// Archives matter `name` (`Some(archived)`) or reopens it (`None`). The default matter
/// gains a `matter.json` the first time.
pub fn set_archived(
    data_dir: &Path,
    name: &str,
    archived: Option<Archived>,
) -> Result<Matter, MatterError> {
    let mut matter = open(data_dir, name)?;
    let mut file = matter.file.take().unwrap_or_else(|| MatterFile {
        name: name.to_owned(),
        created_at: None,
        created_by: String::new(),
        ..MatterFile::default()
    });
    file.archived = archived;
    write(&matter.dir, &file)?;
    matter.file = Some(file);
    Ok(matter)
}

/// Documents (attachments apart) in the matter's database, read without opening it for
/// writing; `None` when it has no database yet or it cannot be read.
pub fn document_count(database: &Path) -> Option<i64> {
    let conn = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.query_row(
        "SELECT count(*) FROM documents WHERE parent_id IS NULL",
        [],
        |row| row.get(0),
    )
    .ok()
}

fn write(dir: &Path, file: &MatterFile) -> Result<(), MatterError> {
    let path = dir.join(MATTER_FILE);
    let text = serde_json::to_string_pretty(file).map_err(|e| MatterError::Corrupt {
        path: path.clone(),
        message: e.to_string(),
    })?;
    crate::files::write_atomic(&path, format!("{text}\n").as_bytes()).map_err(|source| {
        MatterError::Io {
            doing: "write",
            path,
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_directory_that_is_a_file_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.txt");
        std::fs::write(&file, "not a folder").unwrap();
        let error = open(&file, DEFAULT).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "the data directory {} is a file, not a folder",
                file.display()
            )),
            "{error}"
        );
        assert!(!error.contains("matter.json"), "{error}");
        assert!(list(&file).is_err());
    }

    #[test]
    fn names_that_could_escape_the_matters_folder_are_refused() {
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "-flag",
            "a b",
            "ü",
            &"x".repeat(65),
        ] {
            assert!(
                matches!(check_name(bad), Err(MatterError::InvalidName { .. })),
                "{bad:?}"
            );
        }
        for good in ["acme-v-beta", "2026_audit", "Case.7", DEFAULT] {
            check_name(good).unwrap();
        }
    }

    #[test]
    fn the_default_matter_is_the_data_directory_and_others_live_under_matters() {
        let data = Path::new("/srv/kodiak");
        assert_eq!(dir(data, DEFAULT), data);
        assert_eq!(dir(data, "acme"), data.join("matters").join("acme"));
    }

    #[test]
    fn a_made_matter_is_listed_after_the_default_and_cannot_be_made_twice() {
        let data = tempfile::tempdir().unwrap();
        create(data.path(), "zeta", None, "ann").unwrap();
        let made = create(data.path(), "acme", Some("Acme v. Beta"), "ann").unwrap();
        assert_eq!(made.file.as_ref().unwrap().created_by, "ann");
        let names: Vec<String> = list(data.path())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["default", "acme", "zeta"]);
        assert!(matches!(
            create(data.path(), "acme", None, "bob"),
            Err(MatterError::Exists { .. })
        ));
        assert!(matches!(
            create(data.path(), DEFAULT, None, "bob"),
            Err(MatterError::Exists { .. })
        ));
    }

    #[test]
    fn an_unknown_matter_is_an_error_listing_the_known_ones() {
        let data = tempfile::tempdir().unwrap();
        create(data.path(), "acme", None, "ann").unwrap();
        let error = open(data.path(), "acne").unwrap_err().to_string();
        assert!(error.contains("no matter named \"acne\""), "{error}");
        assert!(error.contains("default, acme"), "{error}");
        assert!(error.contains("kodiak matter new acne"), "{error}");
    }

    #[test]
    fn an_archived_matter_refuses_changes_until_reopened() {
        let data = tempfile::tempdir().unwrap();
        create(data.path(), "acme", None, "ann").unwrap();
        let archived = Archived {
            at: Timestamp::parse("2026-11-27T10:00:00Z").unwrap(),
            by: "ann".into(),
        };
        let matter = set_archived(data.path(), "acme", Some(archived)).unwrap();
        let error = matter.check_changeable().unwrap_err().to_string();
        assert!(error.contains("archived (since 2026-11-27T10:00:00Z, by ann)"));
        assert!(open(data.path(), "acme").unwrap().archived().is_some());
        set_archived(data.path(), "acme", None).unwrap();
        open(data.path(), "acme")
            .unwrap()
            .check_changeable()
            .unwrap();
    }

    #[test]
    fn the_default_matter_can_be_archived_though_it_had_no_matter_file() {
        let data = tempfile::tempdir().unwrap();
        assert!(open(data.path(), DEFAULT).unwrap().file.is_none());
        let archived = Archived {
            at: Timestamp::parse("2026-11-27").unwrap(),
            by: "ann".into(),
        };
        set_archived(data.path(), DEFAULT, Some(archived)).unwrap();
        assert!(open(data.path(), DEFAULT).unwrap().archived().is_some());
    }
}
