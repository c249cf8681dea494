mod cli;
mod sanitize;
mod tui;

fn main() -> std::process::ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes away
    // (`kodiak docs show 3 --text | head`) instead of failing on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at start, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Read while the process has one thread: the system's answer is not safe to ask for
    // once others run.
    tui::remember_local_offset();
    kodiak::files::make_new_files_private();
    let missing = missing_cpu_features();
    if !missing.is_empty() {
        eprintln!(
            "kodiak: error: this build of Kodiak was made for a CPU with {}, which this CPU \
             lacks; build Kodiak on this machine (`make build`), or see \
             \"Building for the CPU\" in docs/configuration.md",
            missing.join(", ")
        );
        return std::process::ExitCode::from(2);
    }
    cli::main()
}

/// CPU features this build was compiled to use (`-C target-cpu=native` on the machine that
/// built it) that this CPU lacks. Without this check a binary copied to an older machine
/// dies of SIGILL somewhere; with it, it says why before doing anything.
fn missing_cpu_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut missing = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! check {
            ($($feature:tt),*) => {$(
                if cfg!(target_feature = $feature) && !std::is_x86_feature_detected!($feature) {
                    missing.push($feature);
                }
            )*};
        }
        check!(
            "sse4.2",
            "avx",
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx512f",
            "avx512bw",
            "avx512cd",
            "avx512dq",
            "avx512vl",
            "avx512vnni",
            "avx512vbmi",
            "avx512bf16"
        );
    }
    missing
}
