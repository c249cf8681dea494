use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

use super::error::Source;
use super::paths::{BaseDirs, resolve};
use super::{Config, ConfigError, FrontEndCheck, Invalid, Paths};

/// Values given on the command line; they win over the environment and the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub matter: Option<String>,
    pub log_level: Option<String>,
}

/// The validated configuration and the paths derived from it.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub paths: Paths,
}

impl Settings {
    /// Settings rooted in one directory, for tests and benchmarks: data, logs and crash
    /// reports all live below `root`.
    pub fn in_dir(root: &Path, config: Config) -> Settings {
        let models = super::default_models_dir();
        Settings {
            paths: Paths {
                config_file: root.join("config.toml"),
                config_file_read: false,
                data_dir: root.join("data"),
                matter: crate::matter::DEFAULT.to_owned(),
                matter_dir: root.join("data"),
                database: root.join("data").join(DATABASE_FILE),
                index_dir: root.join("data").join(INDEX_DIR),
                log_dir: root.join("logs"),
                crash_dir: root.join("crash-reports"),
                generator_model: model_path(&config, Model::Generator, &models),
                embedder_model: model_path(&config, Model::Embedder, &models),
                engine_program: super::paths::engine_program(),
            },
            config,
        }
    }
}

impl Settings {
    /// The same settings with `program` as the model worker, started as `PROGRAM engine`
    /// (`kodiak`) or `PROGRAM` alone (`kodiak-engine`, which ignores the argument).
    pub fn with_engine(mut self, program: impl Into<PathBuf>) -> Settings {
        self.paths.engine_program = program.into();
        self
    }

    /// The same settings in matter `name` (a valid name): its database and index.
    pub fn for_matter(&self, name: &str) -> Settings {
        let mut settings = self.clone();
        let dir = crate::matter::dir(&self.paths.data_dir, name);
        settings.paths.database = dir.join(DATABASE_FILE);
        settings.paths.index_dir = dir.join(INDEX_DIR);
        settings.paths.matter = name.to_owned();
        settings.paths.matter_dir = dir;
        settings
    }
}

const DATABASE_FILE: &str = "kodiak.db";
/// The default models' file names, as `scripts/fetch-models` writes them.
pub const DEFAULT_GENERATOR_FILE: &str = "smollm2-135m-instruct-q4_1.gguf";
/// The embedding model's file name in the models directory when none is configured.
pub const DEFAULT_EMBEDDER_FILE: &str = "all-minilm-l6-v2-f16.gguf";

#[derive(Clone, Copy)]
enum Model {
    Generator,
    Embedder,
}

/// The configured model file, else the default one in `models_dir`; `None` when disabled.
fn model_path(config: &Config, which: Model, models_dir: &Path) -> Option<PathBuf> {
    let (enabled, path, default) = match which {
        Model::Generator => (
            config.generator.enabled,
            &config.generator.model,
            DEFAULT_GENERATOR_FILE,
        ),
        Model::Embedder => (
            config.embedder.enabled,
            &config.embedder.model,
            DEFAULT_EMBEDDER_FILE,
        ),
    };
    enabled.then(|| path.clone().unwrap_or_else(|| models_dir.join(default)))
}
const INDEX_DIR: &str = "index";

/// Loads the configuration: built-in defaults, then the config file (`--config`,
/// `KODIAK_CONFIG`, or `$XDG_CONFIG_HOME/kodiak/config.toml`), then `KODIAK_DATA_DIR` and
/// `KODIAK_LOG`, then the command-line flags. `env` looks up environment variables;
/// `check` is the front end's check of the sections it alone reads.
pub fn load(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
    check: FrontEndCheck,
) -> Result<Settings, ConfigError> {
    let dirs =
        BaseDirs::from_env(env).ok_or_else(|| ConfigError::NoHome("HOME is not set".into()))?;
    let cwd = std::env::current_dir().map_err(|e| ConfigError::NoHome(e.to_string()))?;

    let explicit_file = overrides.config_file.clone().or_else(|| {
        env("KODIAK_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let config_file = match &explicit_file {
        Some(path) => resolve(path, &dirs.home, &cwd),
        None => dirs.default_config_file(),
    };

    let (mut config, config_file_read) = match std::fs::read_to_string(&config_file) {
        Ok(text) => (parse(&text, &config_file, check)?, true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if explicit_file.is_some() {
                return Err(ConfigError::NotFound { path: config_file });
            }
            (Config::default(), false)
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: config_file,
                source,
            });
        }
    };
    // Paths written in the file are relative to the file's own directory.
    let file_dir = config_file.parent().unwrap_or(&cwd).to_path_buf();
    for path in [
        &mut config.data_dir,
        &mut config.logging.directory,
        &mut config.crash_reports.directory,
        &mut config.generator.model,
        &mut config.embedder.model,
    ]
    .into_iter()
    .flatten()
    {
        *path = resolve(path, &dirs.home, &file_dir);
    }

    if let Some(dir) = env("KODIAK_DATA_DIR").filter(|v| !v.is_empty()) {
        config.data_dir = Some(resolve(Path::new(&dir), &dirs.home, &cwd));
    }
    if let Some(dir) = &overrides.data_dir {
        config.data_dir = Some(resolve(dir, &dirs.home, &cwd));
    }
    if let Some(level) = env("KODIAK_LOG").filter(|v| !v.is_empty()) {
        check_log_level(&level, Source::Env("KODIAK_LOG"))?;
        config.logging.level = level;
    }
    if let Some(level) = &overrides.log_level {
        check_log_level(level, Source::Flag("--log-level"))?;
        config.logging.level = level.clone();
    }

    let data_dir = config
        .data_dir
        .clone()
        .unwrap_or_else(|| dirs.data.join("kodiak"));
    let (matter, matter_source) = match (&overrides.matter, env("KODIAK_MATTER")) {
        (Some(name), _) => (name.clone(), Source::Flag("--matter")),
        (None, Some(name)) if !name.is_empty() => (name, Source::Env("KODIAK_MATTER")),
        _ => (crate::matter::DEFAULT.to_owned(), Source::Flag("--matter")),
    };
    crate::matter::check_name(&matter).map_err(|e| ConfigError::Invalid {
        origin: matter_source,
        key: None,
        line: None,
        message: e.to_string(),
    })?;
    let matter_dir = crate::matter::dir(&data_dir, &matter);
    let state_dir = dirs.state.join("kodiak");
    let paths = Paths {
        config_file,
        config_file_read,
        database: matter_dir.join(DATABASE_FILE),
        index_dir: matter_dir.join(INDEX_DIR),
        matter,
        matter_dir,
        data_dir,
        log_dir: config
            .logging
            .directory
            .clone()
            .unwrap_or_else(|| state_dir.join("logs")),
        crash_dir: config
            .crash_reports
            .directory
            .clone()
            .unwrap_or_else(|| state_dir.join("crash-reports")),
        generator_model: model_path(&config, Model::Generator, &dirs.models),
        embedder_model: model_path(&config, Model::Embedder, &dirs.models),
        engine_program: super::paths::engine_program(),
    };
    Ok(Settings { config, paths })
}

/// Parses and validates the text of a config file, with the core's checks and then the
/// front end's `check`; errors name `path`, the key and the line.
pub fn parse(text: &str, path: &Path, check: FrontEndCheck) -> Result<Config, ConfigError> {
    let invalid = |problem: TomlProblem| ConfigError::Invalid {
        origin: Source::File(path.to_path_buf()),
        key: problem.key,
        line: problem.line,
        message: problem.message,
    };
    let config: Config = from_toml(text).map_err(invalid)?;
    config
        .validate()
        .and_then(|()| check(&config))
        .map_err(|Invalid { key, message }| invalid(TomlProblem::at(text, key, message)))?;
    Ok(config)
}

/// What is wrong in a TOML document, and where: its 1-based line and dotted key, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TomlProblem {
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl TomlProblem {
    /// A problem with the value of `key` (one that parsed but failed validation), placed on
    /// the line that sets it.
    pub(crate) fn at(text: &str, key: String, message: String) -> TomlProblem {
        TomlProblem {
            line: line_of_key(text, &key).map(|offset| line_of(text, offset)),
            key: Some(key),
            message,
        }
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// `text` deserialized as a `T`; a syntax error, an unknown key or a wrong type names its
/// line and key.
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, TomlProblem> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| TomlProblem {
        line: e.span().map(|s| line_of(text, s.start)),
        // A key set twice is named: the parser points at the second one.
        key: e
            .span()
            .filter(|_| e.message().contains("duplicate key"))
            .and_then(|span| dotted_key_at(text, span)),
        message: e.message().trim().to_owned(),
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        TomlProblem {
            line: inner.span().map(|s| line_of(text, s.start)),
            key: (key != ".").then_some(key),
            message: inner.message().trim().to_owned(),
        }
    })
}

/// The dotted name of the key written at `span` (`database.pool_max_size`): the table
/// header above it, then the key as written.
fn dotted_key_at(text: &str, span: std::ops::Range<usize>) -> Option<String> {
    let key = text.get(span.clone())?.trim().trim_matches('"');
    if key.is_empty() || key.contains('\n') {
        return None;
    }
    let table = text[..span.start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('['))
        .map(|header| header.trim_matches(['[', ']']).trim());
    Some(match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key.to_owned(),
    })
}

/// The byte offset where a dotted key (`a.b`, or `a.list[2].c` for arrays of tables) is set
/// in a TOML document, for pointing at a value that parsed but failed validation.
fn line_of_key(text: &str, dotted: &str) -> Option<usize> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let mut value = table.get(name)?;
        if let Some(index) = index {
            value = value.get_ref().as_array()?.get(index)?;
        }
        if parts.peek().is_none() {
            return Some(value.span().start);
        }
        table = value.get_ref().as_table()?;
    }
    None
}

/// Accepts a level name (`error`, `warn`, `info`, `debug`, `trace`, `off`) or a full filter
/// such as `kodiak=debug,warn`. A bare word that is not a level is refused: `EnvFilter` alone
/// would read it as a target name and silently log nothing.
pub fn log_filter(level: &str) -> Result<EnvFilter, String> {
    const LEVELS: [&str; 6] = ["error", "warn", "info", "debug", "trace", "off"];
    let plain = !level.contains(['=', ',', '[']);
    if plain && !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "unknown log level `{level}`; use one of {} or a filter such as `kodiak=debug`",
            LEVELS.join(", ")
        ));
    }
    EnvFilter::builder()
        .parse(level)
        .map_err(|e| format!("invalid log filter `{level}`: {e}"))
}

fn check_log_level(level: &str, origin: Source) -> Result<(), ConfigError> {
    log_filter(level)
        .map(|_| ())
        .map_err(|message| ConfigError::Invalid {
            origin,
            key: None,
            line: None,
            message,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LogFormat, Synchronous};

    fn err(text: &str) -> String {
        parse(text, Path::new("/etc/kodiak/config.toml"), |_| Ok(()))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn valid_file_sets_values_and_keeps_other_defaults() {
        let config = parse(
            "[database]\npool_max_size = 8\nsynchronous = \"full\"\n[logging]\nformat = \"json\"\n",
            Path::new("c.toml"),
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(config.database.pool_max_size, 8);
        assert_eq!(config.database.synchronous, Synchronous::Full);
        assert_eq!(config.logging.format, LogFormat::Json);
        assert_eq!(config.crash_reports, Config::default().crash_reports);
    }

    #[test]
    fn a_key_set_twice_is_named_with_its_table() {
        assert_eq!(
            err("[database]\npool_max_size = 3\npool_max_size = 4\n"),
            "invalid configuration in /etc/kodiak/config.toml, line 3: key \
             `database.pool_max_size`: duplicate key"
        );
        assert!(
            err("data_dir = \"/a\"\ndata_dir = \"/b\"\n")
                .ends_with("line 2: key `data_dir`: duplicate key"),
            "{}",
            err("data_dir = \"/a\"\ndata_dir = \"/b\"\n")
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        assert_eq!(
            err("[database]\npool_max_sizes = 3\n"),
            "invalid configuration in /etc/kodiak/config.toml, line 2: key `database.pool_max_sizes`: \
             unknown field `pool_max_sizes`, expected one of `pool_max_size`, `pool_min_idle`, \
             `connection_timeout_secs`, `busy_timeout_ms`, `synchronous`, `slow_checkout_ms`, \
             `integrity_check_secs`"
        );
        assert!(err("bogus = 1\n").contains("line 1: key `bogus`: unknown field `bogus`"));
    }

    #[test]
    fn wrong_type_names_key_and_expected_type() {
        assert_eq!(
            err("[database]\npool_max_size = \"five\"\n"),
            "invalid configuration in /etc/kodiak/config.toml, line 2: key `database.pool_max_size`: \
             invalid type: string \"five\", expected u32"
        );
        assert!(
            err("[logging]\nformat = \"xml\"\n").ends_with(
                "key `logging.format`: unknown variant `xml`, expected `text` or `json`"
            )
        );
    }

    #[test]
    fn out_of_range_value_points_at_its_line() {
        assert_eq!(
            err("# comment\n[database]\n\npool_max_size = 0\n"),
            "invalid configuration in /etc/kodiak/config.toml, line 4: key `database.pool_max_size`: \
             must be between 1 and 64, got 0"
        );
        assert!(
            err("[database]\npool_max_size = 2\npool_min_idle = 3\n")
                .contains("line 3: key `database.pool_min_idle`: must be between 0 and 2, got 3")
        );
        assert!(err("[logging]\nlevel = \"loud\"\n").contains("unknown log level `loud`"));
    }

    #[test]
    fn an_unknown_phone_region_is_named_with_its_line() {
        let message = err("[pii]\nthreshold = 0.5\nphone_regions = [\"US\", \"Atlantis\"]\n");
        assert!(
            message.contains("line 3: key `pii.phone_regions`: `Atlantis` is not a region"),
            "{message}"
        );
        assert!(
            parse(
                "[pii]\nphone_regions = [\"uk\", \"DE\"]\n",
                Path::new("c.toml"),
                |_| Ok(())
            )
            .is_ok()
        );
    }

    #[test]
    fn syntax_error_gives_line() {
        assert!(err("a = 1\n[database\n").contains("line 2: unclosed table"));
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_overrides_file_and_flags_override_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        std::fs::write(
            &file,
            "data_dir = \"relative-data\"\n[logging]\nlevel = \"warn\"\n",
        )
        .unwrap();
        let overrides = Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        };
        let settings = load(&overrides, &env_of(&[("HOME", "/home/r")]), |_| Ok(())).unwrap();
        assert!(settings.paths.config_file_read);
        // Relative paths in the file are relative to the file.
        assert_eq!(settings.paths.data_dir, dir.path().join("relative-data"));
        assert_eq!(settings.config.logging.level, "warn");
        assert_eq!(
            settings.paths.log_dir,
            PathBuf::from("/home/r/.local/state/kodiak/logs")
        );

        let env = env_of(&[
            ("HOME", "/home/r"),
            ("KODIAK_DATA_DIR", "/srv/k"),
            ("KODIAK_LOG", "debug"),
        ]);
        let settings = load(&overrides, &env, |_| Ok(())).unwrap();
        assert_eq!(settings.paths.database, PathBuf::from("/srv/k/kodiak.db"));
        assert_eq!(settings.config.logging.level, "debug");

        let flags = Overrides {
            data_dir: Some(PathBuf::from("/flag/dir")),
            log_level: Some("trace".into()),
            ..overrides
        };
        let settings = load(&flags, &env, |_| Ok(())).unwrap();
        assert_eq!(settings.paths.data_dir, PathBuf::from("/flag/dir"));
        assert_eq!(settings.config.logging.level, "trace");
    }

    #[test]
    fn a_matter_named_by_flag_or_environment_has_its_database_and_index_under_matters() {
        let env = env_of(&[
            ("HOME", "/home/r"),
            ("KODIAK_DATA_DIR", "/srv/k"),
            ("KODIAK_MATTER", "acme"),
            ("XDG_CONFIG_HOME", "/nonexistent"),
        ]);
        let settings = load(&Overrides::default(), &env, |_| Ok(())).unwrap();
        assert_eq!(settings.paths.matter, "acme");
        assert_eq!(
            settings.paths.database,
            PathBuf::from("/srv/k/matters/acme/kodiak.db")
        );
        assert_eq!(
            settings.paths.index_dir,
            PathBuf::from("/srv/k/matters/acme/index")
        );
        let flag = Overrides {
            matter: Some("beta".into()),
            ..Overrides::default()
        };
        let settings = load(&flag, &env, |_| Ok(())).unwrap();
        assert_eq!(
            settings.paths.matter_dir,
            PathBuf::from("/srv/k/matters/beta")
        );
        let bad = Overrides {
            matter: Some("../escape".into()),
            ..Overrides::default()
        };
        let e = load(&bad, &env, |_| Ok(())).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid configuration in command-line flag --matter: invalid matter name \"../escape\""),
            "{e}"
        );
    }

    #[test]
    fn without_a_matter_the_database_stays_where_it_always_was() {
        let env = env_of(&[("HOME", "/home/r"), ("KODIAK_DATA_DIR", "/srv/k")]);
        let settings = load(&Overrides::default(), &env, |_| Ok(())).unwrap();
        assert_eq!(settings.paths.matter, "default");
        assert_eq!(settings.paths.database, PathBuf::from("/srv/k/kodiak.db"));
        assert_eq!(settings.paths.index_dir, PathBuf::from("/srv/k/index"));
    }

    #[test]
    fn bad_override_names_its_source() {
        let env = env_of(&[
            ("HOME", "/home/r"),
            ("KODIAK_LOG", "chatty"),
            ("XDG_CONFIG_HOME", "/nonexistent"),
        ]);
        let e = load(&Overrides::default(), &env, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid configuration in environment variable KODIAK_LOG: unknown log level `chatty`"), "{e}");
    }

    #[test]
    fn missing_explicit_file_is_an_error_but_missing_default_is_not() {
        let env = env_of(&[("HOME", "/nonexistent-home")]);
        let settings = load(&Overrides::default(), &env, |_| Ok(())).unwrap();
        assert!(!settings.paths.config_file_read);
        assert_eq!(settings.config, Config::default());
        assert_eq!(
            settings.paths.data_dir,
            PathBuf::from("/nonexistent-home/.local/share/kodiak")
        );

        let env = env_of(&[("HOME", "/h"), ("KODIAK_CONFIG", "/nope/kodiak.toml")]);
        let e = load(&Overrides::default(), &env, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("config file /nope/kodiak.toml not found"),
            "{e}"
        );
    }
}
