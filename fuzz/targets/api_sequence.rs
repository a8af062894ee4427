//! Fuzz target body `api_sequence`: the random API-sequence generator of
//! `tests/random_api.rs` (shared through `tests/random_api_gen/mod.rs`), with
//! every decision it makes (operation, hostile or valid arguments, which
//! handle, NULL pointers, values, what callbacks do, frees inside callbacks)
//! read from the fuzz input instead of its seeded PRNG; the run ends when the
//! input is used up. Any contract violation the generator records (status
//! `WT_ERR_INTERNAL` or not documented by the function's doc comment, a bogus
//! handle accepted, a live handle's kind or free refused, error-message
//! functions disagreeing), a handle leak or an env finalizer that did not run
//! makes it panic.
//!
//! Engines get Wasmtime's compilation cache (`Options::cache_engines`, in a
//! per-process directory under the temp dir): without it an input spends most
//! of its time compiling the generator's few templates in the instrumented
//! Cranelift (about 1 input/s instead of several).
//!
//! `WT_RANDOM_TRACE=1` prints every operation and status (to replay a crash
//! input: `cargo fuzz run api_sequence <file>` or the regression test).
//!
//! Used by `fuzz/fuzz_targets/api_sequence.rs` and `tests/fuzz_regressions.rs`.

#[path = "../../tests/random_api_gen/mod.rs"]
mod random_api_gen;

use random_api_gen::{Options, Source};

/// A bound on calls per input (an input is normally used up long before).
const MAX_CALLS: u64 = 50_000;

pub fn run(data: &[u8]) {
    let cache_dir = std::env::temp_dir()
        .join(format!("libwt-fuzz-cache-{}", std::process::id()))
        .display()
        .to_string();
    let report = random_api_gen::run(Options {
        source: Source::Bytes(data.to_vec()),
        calls: MAX_CALLS,
        trace: std::env::var("WT_RANDOM_TRACE").is_ok_and(|v| v == "1"),
        cache_dir,
        cache_engines: true,
    });
    let s = &report.stats;
    if !s.violations.is_empty() {
        panic!(
            "{} contract violations:\n  {}",
            s.violations.len(),
            s.violations
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    if !s.undocumented.is_empty() {
        let list: Vec<String> = s
            .undocumented
            .iter()
            .map(|((f, st), (n, m))| {
                format!(
                    "{f} returned {st} ({n}x): {}",
                    m.lines().next().unwrap_or("")
                )
            })
            .collect();
        panic!(
            "statuses not listed in the doc comments:\n  {}",
            list.join("\n  ")
        );
    }
    assert_eq!(
        report.after, report.baseline,
        "handles leaked: {} -> {}",
        report.baseline, report.after
    );
    assert_eq!(
        report.fin_run, report.fin_created,
        "callback env finalizers not run"
    );
}
