use std::path::{Path, PathBuf};

use serde::Serialize;

/// Every place Kodiak reads or writes, resolved once at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paths {
    /// The configuration file consulted (it may not exist when it is the default one).
    pub config_file: PathBuf,
    /// Whether `config_file` existed and was read.
    pub config_file_read: bool,
    pub data_dir: PathBuf,
    /// The matter this process works in (`--matter`, `KODIAK_MATTER`, else `default`).
    pub matter: String,
    /// The matter's folder: the data directory itself for the default matter.
    pub matter_dir: PathBuf,
    pub database: PathBuf,
    /// The full-text index, derived from the database and rebuilt by `kodiak reindex`.
    pub index_dir: PathBuf,
    pub log_dir: PathBuf,
    pub crash_dir: PathBuf,
    /// The generation model's GGUF file; `None` when `[generator] enabled = false`.
    pub generator_model: Option<PathBuf>,
    /// The embedding model's GGUF file; `None` when `[embedder] enabled = false`.
    pub embedder_model: Option<PathBuf>,
    /// The program started as the model worker (`PROGRAM engine`): this very executable.
    pub engine_program: PathBuf,
}

/// The running executable, which is also Kodiak's model worker (`kodiak engine`). On Linux
/// that is `/proc/self/exe`: the very binary running, even after a rebuild replaced the
/// file, so a worker is never a different version. Tests and benchmarks, which are other
/// programs, name the worker themselves ([`Settings::with_engine`](super::Settings::with_engine)):
/// the core's `kodiak-engine`, or the `kodiak` binary.
pub fn engine_program() -> PathBuf {
    let current = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("kodiak"));
    let this = Path::new("/proc/self/exe");
    match this.exists() {
        true => this.to_owned(),
        false => current,
    }
}

/// The XDG base directories Kodiak uses, from the environment with the spec's fallbacks.
pub(super) struct BaseDirs {
    pub home: PathBuf,
    pub config: PathBuf,
    pub data: PathBuf,
    pub state: PathBuf,
    /// Where `scripts/fetch-models` puts the default models.
    pub models: PathBuf,
}

impl BaseDirs {
    /// `env` looks up a variable; an unset, empty or relative XDG variable falls back to the
    /// default under `$HOME`, as the XDG Base Directory specification says.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<BaseDirs> {
        let home = PathBuf::from(env("HOME").filter(|h| !h.is_empty())?);
        let xdg = |var: &str, fallback: &str| {
            env(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(fallback))
        };
        let models = env("KODIAK_MODELS_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                xdg("XDG_CACHE_HOME", ".cache")
                    .join("kodiak")
                    .join("models")
            });
        Some(BaseDirs {
            models,
            config: xdg("XDG_CONFIG_HOME", ".config"),
            data: xdg("XDG_DATA_HOME", ".local/share"),
            state: xdg("XDG_STATE_HOME", ".local/state"),
            home,
        })
    }

    pub fn default_config_file(&self) -> PathBuf {
        self.config.join("kodiak").join("config.toml")
    }
}

/// Where `scripts/fetch-models` puts the default models: `$KODIAK_MODELS_DIR`, else
/// `$XDG_CACHE_HOME/kodiak/models` (`~/.cache/kodiak/models`).
pub fn default_models_dir() -> PathBuf {
    BaseDirs::from_env(&|var| std::env::var(var).ok())
        .map(|dirs| dirs.models)
        .unwrap_or_else(|| PathBuf::from(".cache/kodiak/models"))
}

/// `path` with a leading `~` replaced by the user's home folder (`$HOME`), for paths a
/// user types; unchanged when `$HOME` is not set.
pub fn expand_home(path: &Path) -> PathBuf {
    match std::env::var_os("HOME") {
        Some(home) => with_home(path, Path::new(&home)),
        None => path.to_path_buf(),
    }
}

fn with_home(path: &Path, home: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home.join(rest),
        Err(_) => path.to_path_buf(),
    }
}

/// Expands a leading `~` and makes a relative path absolute against `base`.
pub(super) fn resolve(path: &Path, home: &Path, base: &Path) -> PathBuf {
    let expanded = with_home(path, home);
    if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_tilde_component_is_the_home_folder_and_nothing_else_is() {
        let home = Path::new("/home/ann");
        assert_eq!(
            with_home(Path::new("~/cases"), home),
            Path::new("/home/ann/cases")
        );
        assert_eq!(with_home(Path::new("~"), home), Path::new("/home/ann"));
        assert_eq!(
            with_home(Path::new("~bob/cases"), home),
            Path::new("~bob/cases")
        );
        assert_eq!(
            with_home(Path::new("/srv/~/x"), home),
            Path::new("/srv/~/x")
        );
    }

    #[test]
    fn xdg_variables_win_over_home_fallbacks_unless_relative() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/r".to_owned()),
            "XDG_DATA_HOME" => Some("/srv/data".to_owned()),
            "XDG_STATE_HOME" => Some("relative/ignored".to_owned()),
            _ => None,
        };
        let dirs = BaseDirs::from_env(&env).unwrap();
        assert_eq!(dirs.data, PathBuf::from("/srv/data"));
        assert_eq!(dirs.state, PathBuf::from("/home/r/.local/state"));
        assert_eq!(
            dirs.default_config_file(),
            PathBuf::from("/home/r/.config/kodiak/config.toml")
        );
    }

    #[test]
    fn resolve_expands_tilde_and_relative_paths() {
        let home = Path::new("/home/r");
        let base = Path::new("/etc/kodiak");
        assert_eq!(
            resolve(Path::new("~/cases"), home, base),
            PathBuf::from("/home/r/cases")
        );
        assert_eq!(
            resolve(Path::new("data"), home, base),
            PathBuf::from("/etc/kodiak/data")
        );
        assert_eq!(
            resolve(Path::new("/abs"), home, base),
            PathBuf::from("/abs")
        );
    }
}
