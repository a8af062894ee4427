//! The version has one source, `Cargo.toml`: the `WT_VERSION_*` constants in
//! `src/lib.rs` (macros in `include/wt.h`), `wt_version()` and the installed
//! file names / soname (`mk/package.mk`, `build.rs`) must all agree with it.

use std::ffi::CStr;

use wt::{wt_version, WT_VERSION_MAJOR, WT_VERSION_MINOR, WT_VERSION_PATCH};

fn cargo(part: &str) -> i32 {
    part.parse()
        .unwrap_or_else(|_| panic!("non-numeric Cargo.toml version part {part:?}"))
}

#[test]
fn constants_match_cargo_toml() {
    assert_eq!(
        WT_VERSION_MAJOR,
        cargo(env!("CARGO_PKG_VERSION_MAJOR")),
        "WT_VERSION_MAJOR in src/lib.rs differs from Cargo.toml"
    );
    assert_eq!(
        WT_VERSION_MINOR,
        cargo(env!("CARGO_PKG_VERSION_MINOR")),
        "WT_VERSION_MINOR in src/lib.rs differs from Cargo.toml"
    );
    assert_eq!(
        WT_VERSION_PATCH,
        cargo(env!("CARGO_PKG_VERSION_PATCH")),
        "WT_VERSION_PATCH in src/lib.rs differs from Cargo.toml"
    );
}

#[test]
fn wt_version_matches_cargo_toml_and_constants() {
    let p = wt_version();
    assert!(!p.is_null());
    let v = unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("UTF-8 version");
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        v,
        format!("{WT_VERSION_MAJOR}.{WT_VERSION_MINOR}.{WT_VERSION_PATCH}")
    );
    // The pointer is static: the same on every call.
    assert_eq!(p, wt_version());
}

#[test]
fn header_macros_match_cargo_toml() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/wt.h"))
        .expect("read include/wt.h");
    let define = |name: &str| -> i32 {
        let prefix = format!("#define {name} ");
        let line = header
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("include/wt.h lacks {name}"));
        cargo(line[prefix.len()..].trim())
    };
    assert_eq!(
        define("WT_VERSION_MAJOR"),
        cargo(env!("CARGO_PKG_VERSION_MAJOR"))
    );
    assert_eq!(
        define("WT_VERSION_MINOR"),
        cargo(env!("CARGO_PKG_VERSION_MINOR"))
    );
    assert_eq!(
        define("WT_VERSION_PATCH"),
        cargo(env!("CARGO_PKG_VERSION_PATCH"))
    );
}

#[test]
fn package_makefile_reads_the_same_version() {
    // mk/package.mk extracts the version from Cargo.toml with sed (the first
    // `version = "..."` line of [package]); make sure that line is the real one.
    let toml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("read Cargo.toml");
    let mut in_package = false;
    let mut found = None;
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_package = t == "[package]";
            continue;
        }
        if in_package && found.is_none() {
            if let Some(rest) = t.strip_prefix("version") {
                let rest = rest.trim_start();
                if let Some(v) = rest.strip_prefix('=') {
                    found = Some(v.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    assert_eq!(found.as_deref(), Some(env!("CARGO_PKG_VERSION")));
}
