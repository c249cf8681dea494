use std::fmt;
use std::path::PathBuf;

/// Where a configuration value came from, so an error can point the user at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// An environment variable, by name.
    Env(&'static str),
    /// A command-line flag, by name.
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Flag(name) => write!(f, "command-line flag {name}"),
        }
    }
}

/// Why the configuration could not be loaded; each names the file, key or variable to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {} not found; create it (see config.example.toml) or point --config / KODIAK_CONFIG elsewhere", path.display())]
    NotFound { path: PathBuf },

    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A syntax error, an unknown key, a wrong type or an out-of-range value.
    #[error("invalid configuration in {origin}{}: {}{message}", line_suffix(*line), key_prefix(key))]
    Invalid {
        origin: Source,
        /// Dotted key such as `database.pool_max_size`, when known.
        key: Option<String>,
        /// 1-based line in the file, when the parser gives it.
        line: Option<usize>,
        message: String,
    },

    #[error(
        "cannot find the home directory to place Kodiak's files ({0}); set HOME or pass --data-dir"
    )]
    NoHome(String),
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

fn key_prefix(key: &Option<String>) -> String {
    key.as_ref()
        .filter(|k| !k.is_empty())
        .map(|k| format!("key `{k}`: "))
        .unwrap_or_default()
}
