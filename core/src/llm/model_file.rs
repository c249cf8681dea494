//! Checks on a model file before llama.cpp sees it: llama.cpp aborts the process on some
//! malformed files, so what can be checked cheaply is checked first, with a message that
//! says what to do.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::LlmError;

/// A GGUF file starts with these four bytes.
const GGUF_MAGIC: &[u8; 4] = b"GGUF";
/// Smaller than any usable model: header, vocabulary and at least some weights.
const MIN_MODEL_BYTES: u64 = 1024 * 1024;

/// The models `scripts/fetch-models` fetches, with the checksums it pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchedModel {
    /// Gemma 3 270M, Q4_K_M, a base model: generation, the other option the answer
    /// benchmark compares.
    Gemma,
    /// SmolLM2 135M Instruct, Q4_1: generation, the default.
    SmolLm2,
    /// all-MiniLM-L6-v2, F16: embeddings.
    MiniLm,
}

impl FetchedModel {
    /// Every model `scripts/fetch-models` fetches.
    pub const ALL: [FetchedModel; 3] = [
        FetchedModel::Gemma,
        FetchedModel::SmolLm2,
        FetchedModel::MiniLm,
    ];

    /// The models that write answers.
    pub const GENERATORS: [FetchedModel; 2] = [FetchedModel::Gemma, FetchedModel::SmolLm2];

    /// The model's file name in the models directory.
    pub fn file_name(self) -> &'static str {
        match self {
            FetchedModel::Gemma => "gemma-3-270m-q4_k_m.gguf",
            FetchedModel::SmolLm2 => crate::config::DEFAULT_GENERATOR_FILE,
            FetchedModel::MiniLm => crate::config::DEFAULT_EMBEDDER_FILE,
        }
    }

    /// The model's name as people know it.
    pub fn display_name(self) -> &'static str {
        match self {
            FetchedModel::Gemma => "Gemma 3 270M",
            FetchedModel::SmolLm2 => "SmolLM2 135M Instruct",
            FetchedModel::MiniLm => "all-MiniLM-L6-v2",
        }
    }

    /// The SHA-256 the fetched file must have.
    pub fn sha256(self) -> &'static str {
        match self {
            FetchedModel::Gemma => {
                "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
            }
            FetchedModel::SmolLm2 => {
                "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
            }
            FetchedModel::MiniLm => {
                "867847944cf5c62f54fc45adcd050a93d94d612568664311fdcad8ddd7fbd406"
            }
        }
    }

    /// Where `scripts/fetch-models` puts it.
    pub fn path(self) -> PathBuf {
        crate::config::default_models_dir().join(self.file_name())
    }

    /// The fetched model at `path`, going by its file name.
    pub fn named(path: &Path) -> Option<FetchedModel> {
        let name = path.file_name()?.to_str()?;
        FetchedModel::ALL
            .into_iter()
            .find(|m| m.file_name() == name)
    }
}

/// What was checked about a model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    pub path: PathBuf,
    pub size: u64,
    /// Computed for the default models only, whose checksums are known.
    pub sha256: Option<String>,
}

/// Checks that `path` is a readable GGUF file of a plausible size and, for a default
/// model, that it has the published checksum.
pub fn check_model_file(path: &Path) -> Result<ModelFile, LlmError> {
    let fail = |reason: String| LlmError::ModelFile {
        path: path.to_owned(),
        reason,
    };
    let fetch_hint = || match FetchedModel::named(path) {
        Some(_) => "; run scripts/fetch-models to fetch it".to_owned(),
        None => String::new(),
    };
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(format!("no such file{}", fetch_hint())),
        _ => fail(format!("cannot read it: {e}")),
    })?;
    if !metadata.is_file() {
        return Err(fail("not a file".into()));
    }
    let mut file = std::fs::File::open(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let mut magic = [0u8; 4];
    if file.read_exact(&mut magic).is_err() || &magic != GGUF_MAGIC {
        return Err(fail(
            "not a GGUF model (llama.cpp reads GGUF files only)".into(),
        ));
    }
    if metadata.len() < MIN_MODEL_BYTES {
        return Err(fail(format!(
            "only {} bytes: too small to be a model; the file may be truncated{}",
            metadata.len(),
            fetch_hint()
        )));
    }
    let sha256 = match FetchedModel::named(path) {
        Some(default) => {
            let sum = sha256_remembered(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
            if sum != default.sha256() {
                return Err(fail(format!(
                    "checksum {sum} is not the published {}; the file is damaged{}",
                    default.sha256(),
                    fetch_hint()
                )));
            }
            Some(sum)
        }
        None => None,
    };
    Ok(ModelFile {
        path: path.to_owned(),
        size: metadata.len(),
        sha256,
    })
}

/// The file's SHA-256, remembered beside it in `NAME.sha256` with what identifies the
/// version it was computed for: hashing a model takes seconds, and every command that loads
/// it would pay them. The stamp is the file's size, modification time, inode and status
/// change time: a write in place that keeps the size and sets the modification time back
/// (`touch -d`) still moves the change time, which no user tool can set, so the file is
/// hashed again. The note is best effort: a folder that cannot be written only means
/// hashing every time.
pub fn sha256_remembered(path: &Path) -> std::io::Result<String> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path)?;
    let modified = metadata
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let stamp = format!(
        "{} {modified} {} {}.{:09}",
        metadata.len(),
        metadata.ino(),
        metadata.ctime(),
        metadata.ctime_nsec()
    );
    let mut note = path.as_os_str().to_owned();
    note.push(".sha256");
    let note = PathBuf::from(note);
    if let Ok(text) = std::fs::read_to_string(&note)
        && let Some((noted, sum)) = text.trim().rsplit_once(' ')
        && noted == stamp
        && sum.len() == 64
        && sum.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Ok(sum.to_owned());
    }
    let sum = sha256_of(path)?;
    if let Err(e) = crate::files::write_atomic(&note, format!("{stamp} {sum}\n").as_bytes()) {
        tracing::debug!(error = %e, "cannot remember the model's checksum");
    }
    Ok(sum)
}

/// The SHA-256 of a file, in lower-case hex.
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    use std::fmt::Write;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_remembered_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gguf");
        std::fs::write(&model, b"GGUF first version").unwrap();
        let first = sha256_remembered(&model).unwrap();
        assert_eq!(first, sha256_of(&model).unwrap());
        let note = dir.path().join("m.gguf.sha256");
        let text = std::fs::read_to_string(&note).unwrap();
        assert!(text.trim_end().ends_with(&first));
        // The note is what is read while the file is unchanged.
        let (stamp, _) = text.trim().rsplit_once(' ').unwrap();
        let pretend = "ab".repeat(32);
        std::fs::write(&note, format!("{stamp} {pretend}\n")).unwrap();
        assert_eq!(sha256_remembered(&model).unwrap(), pretend);
        // Content changed in place, with the same size and the modification time put back
        // (as `touch -d` does): the change time moved, so it is hashed again.
        let modified = std::fs::metadata(&model).unwrap().modified().unwrap();
        // The kernel stamps change times with a coarse clock (a few ms): the rewrite must
        // come at least a tick later to be a different moment, as it is in real use.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&model, b"GGUF FIRST version").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&model)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        assert_eq!(
            sha256_remembered(&model).unwrap(),
            sha256_of(&model).unwrap()
        );
        // Changed content (and size) is hashed again.
        std::fs::write(&model, b"GGUF second, longer version").unwrap();
        let second = sha256_remembered(&model).unwrap();
        assert_eq!(second, sha256_of(&model).unwrap());
        assert_ne!(second, first);
    }

    #[test]
    fn every_fetched_model_has_the_file_name_and_checksum_the_fetch_script_pins() {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/fetch-models");
        let script = std::fs::read_to_string(&script).unwrap();
        for model in FetchedModel::ALL {
            assert!(
                script.contains(&format!("_FILE={}\n", model.file_name())),
                "{model:?}: {} is not a file name the script writes",
                model.file_name()
            );
            assert!(
                script.contains(&format!("_SHA256={}\n", model.sha256())),
                "{model:?}: the script pins another checksum"
            );
            assert_eq!(FetchedModel::named(&model.path()), Some(model));
        }
    }

    #[test]
    fn bad_model_files_are_named_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join(FetchedModel::MiniLm.file_name());
        let error = check_model_file(&missing).unwrap_err().to_string();
        assert!(
            error.contains("no such file") && error.contains("scripts/fetch-models"),
            "{error}"
        );

        let text = dir.path().join("notes.gguf");
        std::fs::write(&text, "these are not weights").unwrap();
        let error = check_model_file(&text).unwrap_err().to_string();
        assert!(error.contains("not a GGUF model"), "{error}");

        let truncated = dir.path().join("tiny.gguf");
        std::fs::write(&truncated, b"GGUF\x03\x00\x00\x00").unwrap();
        let error = check_model_file(&truncated).unwrap_err().to_string();
        assert!(error.contains("too small"), "{error}");

        // A default model's name with other content fails its checksum.
        let fake = dir.path().join(FetchedModel::Gemma.file_name());
        let mut bytes = b"GGUF".to_vec();
        bytes.resize(2 * 1024 * 1024, 7);
        std::fs::write(&fake, bytes).unwrap();
        let error = check_model_file(&fake).unwrap_err().to_string();
        assert!(error.contains("is not the published"), "{error}");

        assert!(
            check_model_file(dir.path())
                .unwrap_err()
                .to_string()
                .contains("not a file")
        );
    }
}
