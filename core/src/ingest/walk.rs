//! Which files an ingest covers: files given directly, and everything below folders given,
//! minus hidden entries, excluded globs and symlinks that lead out of the folder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

/// A file to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Absolute, with symlinks resolved: the one name a file is known by.
    pub path: PathBuf,
    pub size: u64,
}

/// A path that could not be walked, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwalkable {
    pub path: String,
    pub reason: String,
}

/// The files found under the roots, in order, with their total size.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<FoundFile>,
    pub unwalkable: Vec<Unwalkable>,
}

impl Walk {
    /// The files' total size.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Compiles `[ingest] exclude`. Patterns were checked when the configuration loaded.
pub fn exclude_set(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(Glob::new(pattern)?);
    }
    builder.build()
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// A Kodiak data folder (its database is there): never ingested, even when it lies inside
/// a folder that is, lest the matter's own database and index be read as documents.
fn is_data_dir(path: &Path) -> bool {
    path.join("kodiak.db").is_file()
}

/// Lists the files under `roots`, each once, in a stable order.
pub fn walk(roots: &[PathBuf], exclude: &GlobSet) -> Walk {
    let mut walk = Walk::default();
    let mut seen = HashSet::new();
    for root in roots {
        let canonical_root = match root.canonicalize() {
            Ok(path) if is_data_dir(&path) => {
                walk.unwalkable.push(Unwalkable {
                    path: crate::files::path_text(root),
                    reason: "a Kodiak data folder, not documents: ingest the folders of \
                             documents instead"
                        .to_owned(),
                });
                continue;
            }
            Ok(path) => path,
            Err(e) => {
                walk.unwalkable.push(Unwalkable {
                    path: crate::files::path_text(root),
                    reason: match e.kind() {
                        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
                        _ => format!("cannot open: {e}"),
                    },
                });
                continue;
            }
        };
        let entries = WalkDir::new(&canonical_root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0
                    || keep(
                        entry.path(),
                        &canonical_root,
                        exclude,
                        entry.path_is_symlink(),
                    )
            });
        for entry in entries {
            match entry {
                Ok(entry) if entry.file_type().is_file() => {
                    let path = if entry.path_is_symlink() {
                        entry
                            .path()
                            .canonicalize()
                            .unwrap_or_else(|_| entry.path().to_owned())
                    } else {
                        entry.path().to_owned()
                    };
                    if seen.insert(path.clone()) {
                        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                        walk.files.push(FoundFile { path, size });
                    }
                }
                Ok(_) => {}
                Err(e) => walk.unwalkable.push(Unwalkable {
                    path: crate::files::path_text(e.path().unwrap_or(&canonical_root)),
                    reason: if e.loop_ancestor().is_some() {
                        "a symlink loop".to_owned()
                    } else {
                        format!(
                            "cannot read: {}",
                            e.io_error()
                                .map_or_else(|| e.to_string(), |io| io.to_string())
                        )
                    },
                }),
            }
        }
    }
    walk
}

/// Whether an entry below `root` is ingested (or, for a folder, descended into).
fn keep(path: &Path, root: &Path, exclude: &GlobSet, is_symlink: bool) -> bool {
    if path.file_name().is_some_and(is_hidden) || is_data_dir(path) {
        return false;
    }
    if let Ok(relative) = path.strip_prefix(root)
        && exclude.is_match(relative)
    {
        return false;
    }
    if is_symlink {
        // A link may point anywhere; only what stays inside the folder belongs to it.
        return path
            .canonicalize()
            .is_ok_and(|target| target.starts_with(root));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(walk: &Walk, root: &Path) -> Vec<String> {
        let root = root.canonicalize().unwrap();
        walk.files
            .iter()
            .map(|f| f.path.strip_prefix(&root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn skips_hidden_excluded_and_escaping_links() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "outside").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/drafts")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::write(root.join(".hidden.txt"), "h").unwrap();
        std::fs::write(root.join(".git/config"), "g").unwrap();
        std::fs::write(root.join("sub/b.md"), "b").unwrap();
        std::fs::write(root.join("sub/c.tmp"), "c").unwrap();
        std::fs::write(root.join("sub/drafts/d.txt"), "d").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("out.txt"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("outdir")).unwrap();
        std::os::unix::fs::symlink(root.join("a.txt"), root.join("z-link.txt")).unwrap();
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();

        let exclude = exclude_set(&["*.tmp".into(), "**/drafts/**".into()]).unwrap();
        let walk = walk(&[root.to_owned()], &exclude);
        // The inner link to a.txt is the same file, listed once.
        assert_eq!(names(&walk, root), ["a.txt", "sub/b.md"]);
    }

    #[test]
    fn a_missing_root_is_reported_and_files_can_be_given_directly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".notes.txt"), "n").unwrap();
        let walk = walk(
            &[dir.path().join("nope"), dir.path().join(".notes.txt")],
            &GlobSet::empty(),
        );
        assert_eq!(walk.unwalkable.len(), 1);
        assert_eq!(walk.unwalkable[0].reason, "no such file or folder");
        assert_eq!(
            walk.files.len(),
            1,
            "a file named on the command line is taken"
        );
    }

    #[test]
    fn a_kodiak_data_folder_is_skipped_inside_a_root_and_refused_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("data/index")).unwrap();
        std::fs::write(root.join("data/kodiak.db"), "sqlite").unwrap();
        std::fs::write(root.join("data/index/meta.json"), "{}").unwrap();
        std::fs::write(root.join("memo.txt"), "m").unwrap();
        let found = walk(&[root.to_owned()], &GlobSet::empty());
        assert_eq!(names(&found, root), ["memo.txt"]);
        let refused = walk(&[root.join("data")], &GlobSet::empty());
        assert!(refused.files.is_empty());
        assert!(
            refused.unwalkable[0]
                .reason
                .starts_with("a Kodiak data folder, not documents"),
            "{:?}",
            refused.unwalkable
        );
    }
}
