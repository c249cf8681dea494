//! Where a report goes: a file, replaced atomically, or standard output.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::sanitize::block;

/// Writes `text` to `output`, saying on standard error what was written (`what`), or to
/// standard output. Printed text other than JSON (whose strings are escaped already) goes
/// through [`block`]: reports quote paths, titles and notes, which come from documents.
pub(super) fn deliver(text: &str, json: bool, output: Option<&Path>, what: &str) -> Result<()> {
    match output {
        Some(path) => {
            kodiak::files::write_atomic(path, text.as_bytes())
                .with_context(|| format!("cannot write {what} to {}", path.display()))?;
            eprintln!("wrote {what} to {}", path.display());
        }
        None if json => std::io::stdout().write_all(text.as_bytes())?,
        None => std::io::stdout().write_all(block(text).as_bytes())?,
    }
    Ok(())
}
