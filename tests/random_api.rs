//! Random API sequences (issue 5, part 1): a seeded generator drives the whole
//! C ABI with valid, freed, wrong-kind, zero, forged and random handles, NULL
//! pointers, wrong argument counts and types, calls and frees from inside host
//! callbacks (freeing the running store, the calling func, the linker), and
//! checks that every call returns a documented status, never
//! `WT_ERR_INTERNAL`, and that the live-handle count returns to its starting
//! value once everything is freed.
//!
//! Its own test binary with ONE test: `wt_handle_count()` is process-wide.
//!
//! * `WT_RANDOM_CALLS=N` (default 100000): number of C ABI calls to make.
//! * `WT_RANDOM_SEED=S` (default fixed): the PRNG seed; a failure prints it.
//! * `WT_RANDOM_TRACE=1`: print every operation to stderr before it runs
//!   (unbuffered), to find the last call before a crash.
//!
//! The generator itself is `random_api_gen/mod.rs`, shared with the cargo-fuzz
//! target `fuzz/targets/api_sequence.rs`, which feeds it fuzz input instead
//! of the seeded PRNG.

mod random_api_gen;
use random_api_gen::{run, Options, Source};

// ---- the test ---------------------------------------------------------------------------------

#[test]
fn random_api_sequences_never_crash_and_leak_nothing() {
    let calls: u64 = std::env::var("WT_RANDOM_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("WT_RANDOM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_1ab5);
    let trace = std::env::var("WT_RANDOM_TRACE").is_ok_and(|v| v == "1");
    let cache_dir = std::env::temp_dir()
        .join(format!("libwt-random-cache-{}", std::process::id()))
        .display()
        .to_string();

    let report = run(Options {
        source: Source::Seed(seed),
        calls,
        trace,
        cache_dir: cache_dir.clone(),
        cache_engines: false,
    });
    let _ = std::fs::remove_dir_all(&cache_dir);
    let (baseline, after, elapsed) = (report.baseline, report.after, report.elapsed);
    let (rss_before, rss_after) = (report.rss_before, report.rss_after);
    let stats = report.stats;

    eprintln!(
        "random_api: seed {seed:#x}: {} calls in {} operations ({} host callbacks, nesting depth {}, {} frees inside callbacks) in {:.1?}",
        stats.calls, stats.ops, stats.callbacks, stats.max_depth, stats.frees_in_callbacks, elapsed
    );
    eprintln!("random_api: statuses {:?}", stats.by_status);
    eprintln!(
        "random_api: functions exercised: {} of the C ABI; handles {baseline} -> {after}; RSS {rss_before} KiB -> {rss_after} KiB; env finalizers {}/{}",
        stats.by_fn.len(),
        report.fin_run, report.fin_created
    );
    let never_ok: Vec<&&str> = stats
        .by_fn
        .keys()
        .filter(|f| !stats.ok_by_fn.contains_key(*f))
        .collect();
    eprintln!("random_api: functions that never succeeded: {never_ok:?}");
    if std::env::var("WT_RANDOM_VERBOSE").is_ok() {
        for (f, n) in &stats.by_fn {
            let per: Vec<String> = stats
                .fn_status
                .iter()
                .filter(|((g, _), _)| g == f)
                .map(|((_, st), c)| format!("{st}:{c}"))
                .collect();
            eprintln!("random_api:   {f}: {n} calls [{}]", per.join(" "));
        }
    }
    for ((f, st), (n, m)) in &stats.undocumented {
        eprintln!(
            "random_api: UNDOCUMENTED status {st} from {f} ({n}x), e.g.: {}",
            m.lines().next().unwrap_or("")
        );
    }
    for v in stats.violations.iter().take(30) {
        eprintln!("random_api: VIOLATION {v}");
    }
    assert!(
        stats.violations.is_empty(),
        "{} contract violations (seed {seed:#x}), first: {}",
        stats.violations.len(),
        stats.violations[0]
    );
    assert!(
        stats.undocumented.is_empty(),
        "statuses not listed in the doc comments (seed {seed:#x}): {:?}",
        stats.undocumented.keys().collect::<Vec<_>>()
    );
    assert_eq!(after, baseline, "handles leaked (seed {seed:#x})");
    assert_eq!(
        report.fin_run, report.fin_created,
        "callback env finalizers not run (seed {seed:#x})"
    );
}
