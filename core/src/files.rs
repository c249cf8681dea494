//! Small filesystem rules every part follows: private directories, atomic writes, and
//! paths as text without loss.

use std::fmt::Write as _;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `dir` and any missing parents with mode 0700: documents, logs and crash reports
/// are private to the reviewer. An existing `dir` (one of Kodiak's own folders: data,
/// index, logs, crash reports) is made private too, if its owner is this user and others
/// could read it; its parents are left as they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let metadata = fs::metadata(dir)?;
    let mine = metadata.uid() == nix::unistd::getuid().as_raw();
    if mine && metadata.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Files and folders Kodiak creates are its user's alone (0600 and 0700), whatever
/// library creates them: SQLite's database and journals, Tantivy's segments, the log files.
/// Called once at start, before anything is written.
pub fn make_new_files_private() {
    // SAFETY: umask only sets the process's file creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `path` if missing and makes sure only its owner can read or write it.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

/// A path as text, without loss: UTF-8 as it is, but `\` written `\\` and each byte that is
/// not UTF-8 written `\xHH`. Two names that differ only in such bytes (`x\xff.txt`,
/// `x\xfe.txt`) stay two names, where a lossy conversion made them one. Ordinary paths,
/// without backslashes, read exactly as they are.
pub fn path_text(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                c => text.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02X}");
        }
    }
    text
}

/// Writes `bytes` to `path` so that readers see either the old file or the whole new one:
/// a temporary file in the same directory, fsynced, renamed over the target, then the
/// directory fsynced so the rename itself survives a power cut.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

/// Whether a file can be created in `dir` right now (the directory exists and is writable).
pub fn dir_is_writable(dir: &Path) -> bool {
    tempfile::Builder::new()
        .prefix(".probe-")
        .tempfile_in(dir)
        .is_ok()
}

/// What to call a document: its title, else its file name. The folders above it say
/// nothing a reviewer or the model needs, and cost a line of width; the path of an
/// attachment inside an e-mail (`mail.eml ▸ part.txt`) keeps its chain.
pub fn document_label<'a>(title: Option<&'a str>, path: &'a str) -> &'a str {
    if let Some(title) = title.filter(|t| !t.is_empty()) {
        return title;
    }
    match path.rfind('/') {
        Some(at) if at + 1 < path.len() => &path[at + 1..],
        _ => path,
    }
}

/// The titles two documents or more of `titles` have, in lower case: a list or an answer
/// naming those documents adds their file names to tell them apart.
pub fn shared_titles<'a>(
    titles: impl IntoIterator<Item = Option<&'a str>>,
) -> std::collections::HashSet<String> {
    let mut seen = std::collections::HashSet::new();
    titles
        .into_iter()
        .flatten()
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .filter(|title| !seen.insert(title.clone()))
        .collect()
}

/// A document's label ([`document_label`]), with its file name after a title in `shared`
/// ("SUPPLY AGREEMENT · acme-2019.txt").
pub fn distinct_label(
    title: Option<&str>,
    path: &str,
    shared: &std::collections::HashSet<String>,
) -> String {
    let label = document_label(title, path);
    match title {
        Some(title) if shared.contains(&title.to_lowercase()) => {
            format!("{label} · {}", document_label(None, path))
        }
        _ => label.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_folder_of_kodiak_is_made_private_and_its_parent_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("shared");
        let own = parent.join("index");
        fs::create_dir_all(&own).unwrap();
        for folder in [&parent, &own] {
            fs::set_permissions(folder, fs::Permissions::from_mode(0o755)).unwrap();
        }
        create_private_dir(&own).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&own), 0o700);
        assert_eq!(mode(&parent), 0o755);
    }

    #[test]
    fn paths_become_text_without_loss() {
        use std::ffi::OsStr;
        let text = |bytes: &[u8]| path_text(Path::new(OsStr::from_bytes(bytes)));
        assert_eq!(text(b"/docs/caf\xc3\xa9.txt"), "/docs/café.txt");
        assert_eq!(text(b"/docs/x\xff.txt"), "/docs/x\\xFF.txt");
        assert_ne!(text(b"/docs/x\xff.txt"), text(b"/docs/x\xfe.txt"));
        // A literal backslash cannot pass for an escaped byte.
        assert_eq!(text(b"/docs/x\\xFF.txt"), "/docs/x\\\\xFF.txt");
        assert_ne!(text(b"/docs/x\\xFF.txt"), text(b"/docs/x\xff.txt"));
    }

    #[test]
    fn atomic_write_replaces_whole_file_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn private_dir_and_file_modes() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        let mode = fs::metadata(&nested).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let file = nested.join("db");
        ensure_private_file(&file).unwrap();
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(dir_is_writable(&nested));
        assert!(!dir_is_writable(&nested.join("missing")));
    }

    #[test]
    fn a_document_is_called_by_its_title_else_its_file_name() {
        assert_eq!(document_label(Some("Lease"), "/cases/a/lease.txt"), "Lease");
        assert_eq!(document_label(Some(""), "/cases/a/lease.txt"), "lease.txt");
        assert_eq!(
            document_label(None, "/cases/mail.eml ▸ part.txt"),
            "mail.eml ▸ part.txt"
        );
        assert_eq!(document_label(None, "notes"), "notes");
    }
}
