//! Panics that are caught and handled: a parser of an untrusted file, or a background job,
//! may panic on input nobody foresaw; that fails the one file or job, not Kodiak. Such a
//! panic is not a crash, so the hooks that prepare for the process to end (restoring the
//! terminal, writing a crash report) ask here first.

use std::cell::Cell;

thread_local! {
    /// Set while this thread runs code whose panics are caught and handled.
    static EXPECTING_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic now on this thread is caught and handled (inside [`expecting_panics`]):
/// such a panic ends nothing, so hooks that prepare for the process to end (restoring the
/// terminal) leave it alone.
pub fn panic_is_expected() -> bool {
    EXPECTING_PANICS.get()
}

/// Runs `f`, turning a panic into `Err(message)` (scrubbed) instead of a crash report: for
/// parsers of untrusted files, whose panics fail one file, not Kodiak.
pub fn expecting_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = EXPECTING_PANICS.replace(true);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    EXPECTING_PANICS.set(previous);
    outcome.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic with a non-text payload".to_owned());
        crate::scrub::mask(&message).into_owned()
    })
}
