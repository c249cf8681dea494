//! Where a report goes: a file, replaced atomically, or standard output.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::sanitize::block;

/// Writes `text` to `output`, saying on standard error what was written (`what`), or to
/// standard output. Text other than JSON (whose strings are escaped already) goes through
/// [`block`] either way: reports quote paths, titles and notes, which come from documents,
/// and a file is read in a terminal (`cat`, `less -R`) as often as in a spreadsheet. Line
/// breaks and tabs, which Markdown and CSV use, stay.
pub(super) fn deliver(text: &str, json: bool, output: Option<&Path>, what: &str) -> Result<()> {
    let text = if json {
        std::borrow::Cow::Borrowed(text)
    } else {
        block(text)
    };
    match output {
        Some(path) => {
            kodiak::files::write_atomic(path, text.as_bytes())
                .with_context(|| format!("cannot write {what} to {}", path.display()))?;
            eprintln!("wrote {what} to {}", path.display());
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}
