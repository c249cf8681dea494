//! What llama.cpp was built with. On an Intel Xeon with AMX, `-march=native` compiles
//! ggml's AMX kernels in, and they segfault on Q4_K models (llama.cpp issue #20824); these
//! tests fail if AMX is in this build, and, on any x86-64 machine, if the build flags would
//! let it in on a machine that has it.

use super::*;

#[test]
fn llama_cpp_is_built_without_amx_and_with_the_vector_features_of_this_cpu() {
    let info = system_info();
    let on = features_on(&info);
    assert!(
        on.contains(&"SSE3") || cfg!(not(target_arch = "x86_64")),
        "{info}"
    );
    let amx: Vec<_> = on.iter().filter(|f| f.starts_with("AMX")).collect();
    assert!(
        amx.is_empty(),
        "llama.cpp was built with {amx:?}; its AMX kernels crash on Q4_K models: {info}"
    );
    #[cfg(target_arch = "x86_64")]
    {
        let wanted = [
            (std::is_x86_feature_detected!("avx2"), "AVX2"),
            (std::is_x86_feature_detected!("fma"), "FMA"),
            (std::is_x86_feature_detected!("f16c"), "F16C"),
            (std::is_x86_feature_detected!("avx512f"), "AVX512"),
            (std::is_x86_feature_detected!("avx512vnni"), "AVX512_VNNI"),
            (std::is_x86_feature_detected!("avx512vbmi"), "AVX512_VBMI"),
            (std::is_x86_feature_detected!("avx512bf16"), "AVX512_BF16"),
        ];
        for (cpu_has, feature) in wanted {
            assert!(
                !cpu_has || on.contains(&feature),
                "this CPU has {feature} but llama.cpp was built without it: {info}"
            );
        }
    }
}

#[test]
fn features_are_read_from_a_system_info_report() {
    let info = "CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | LLAMAFILE = 0 | REPACK = 1 | ";
    assert_eq!(features_on(info), ["SSE3", "AVX2", "AMX_INT8", "REPACK"]);
}

#[test]
fn a_build_with_amx_would_keep_every_weight_away_from_its_kernels() {
    let with_amx = model_params("CPU : AVX2 = 1 | AMX_INT8 = 1 | ", 0);
    assert_eq!(with_amx.tensor_buft_override_patterns(), [".*"]);
    let without = model_params("CPU : AVX2 = 1 | AVX512 = 1 | ", 0);
    assert!(without.tensor_buft_override_patterns().is_empty());
}

/// The flags `.cargo/config.toml` gives the C and C++ compilers, as this build saw them.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
const NATIVE_FLAGS: [(&str, Option<&str>, &str); 2] = [
    ("c", option_env!("CFLAGS_x86_64_unknown_linux_gnu"), "cc"),
    (
        "c++",
        option_env!("CXXFLAGS_x86_64_unknown_linux_gnu"),
        "c++",
    ),
];

/// What the compiler defines for `-march=sapphirerapids` (an AMX CPU) after `flags`, in
/// the order CMake puts them when llama.cpp is built with `-march=native` on such a CPU.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn amx_macros(compiler: &str, language: &str, flags: &str) -> Vec<String> {
    let output = std::process::Command::new(compiler)
        .args(flags.split_ascii_whitespace())
        .args([
            "-march=sapphirerapids",
            "-dM",
            "-E",
            "-x",
            language,
            "/dev/null",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(
        output.status.success(),
        "{compiler} does not know -march=sapphirerapids: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("#define "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| name.starts_with("__AMX"))
        .map(str::to_owned)
        .collect()
}

#[test]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn the_build_flags_keep_amx_out_even_on_a_cpu_that_has_it() {
    for (language, flags, default_compiler) in NATIVE_FLAGS {
        let flags = flags.unwrap_or_else(|| {
            panic!("no {language} flags from .cargo/config.toml reached this build")
        });
        let variable = if language == "c" { "CC" } else { "CXX" };
        let compiler = std::env::var(variable).unwrap_or_else(|_| default_compiler.to_owned());
        // The probe can see AMX: without the flags, an AMX CPU gets it.
        assert!(
            !amx_macros(&compiler, language, "").is_empty(),
            "{compiler} defines no AMX macro for -march=sapphirerapids; the probe is blind"
        );
        let left = amx_macros(&compiler, language, flags);
        assert!(
            left.is_empty(),
            "with {flags:?}, {compiler} ({language}) still compiles {left:?} for an AMX CPU"
        );
    }
}
