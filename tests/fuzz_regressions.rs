//! Replays the committed fuzz inputs (issue 5, part 2) through the fuzz
//! targets' bodies: every file of `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/` (inputs that once crashed a target or failed
//! one of its checks, kept after the fix). The bodies are the files
//! `fuzz/targets/<target>.rs` that the cargo-fuzz binaries call, so a check
//! that fails here is the check libFuzzer reported.
//!
//! Its own test binary with ONE test: the targets compare the process-wide
//! `wt_handle_count()`, so the inputs run one after another.
//!
//! `WT_FUZZ_INPUT=path` replays only that file (its target is given by the
//! name of the directory it is in).

// Each target body includes `fuzz/targets/util.rs` itself (the cargo-fuzz
// binaries are built one target per crate), so this crate has three copies.
#![allow(clippy::duplicate_mod)]

#[path = "../fuzz/targets/api_sequence.rs"]
mod api_sequence;
#[path = "../fuzz/targets/module_bytes.rs"]
mod module_bytes;
#[path = "../fuzz/targets/wat_text.rs"]
mod wat_text;

use std::path::{Path, PathBuf};

/// A target's name (its directory under `fuzz/seeds` and `fuzz/regressions`) and body.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 3] = [
    ("module_bytes", module_bytes::run),
    ("wat_text", wat_text::run),
    ("api_sequence", api_sequence::run),
];

/// The input files for `target`, seeds first, in name order (dotfiles skipped).
fn inputs(root: &Path, target: &str) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        all.extend(files);
    }
    all
}

#[test]
fn fuzz_seeds_and_regressions_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let only = std::env::var_os("WT_FUZZ_INPUT").map(PathBuf::from);
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, run) in TARGETS {
        let files = match &only {
            Some(p) if p.parent().and_then(Path::file_name) == Some(target.as_ref()) => {
                vec![p.clone()]
            }
            Some(_) => continue,
            None => inputs(&root, target),
        };
        for path in files {
            let data = std::fs::read(&path).expect("read fuzz input");
            let t = std::time::Instant::now();
            let r = std::panic::catch_unwind(|| run(&data));
            eprintln!(
                "fuzz_regressions: {target} {} ({} bytes): {} in {:.1?}",
                path.display(),
                data.len(),
                if r.is_ok() { "ok" } else { "FAILED" },
                t.elapsed()
            );
            replayed += 1;
            if let Err(p) = r {
                let m = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{target} {}: {m}", path.display()));
            }
        }
    }
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("libwt-fuzz-cache-{}", std::process::id())),
    );
    eprintln!("fuzz_regressions: {replayed} inputs replayed");
    assert!(
        only.is_none() || replayed > 0,
        "WT_FUZZ_INPUT must be a file under fuzz/<seeds|regressions>/<target>/"
    );
    assert!(
        failures.is_empty(),
        "{} inputs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
