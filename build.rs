//! Build script: gives `libwt.so` its ELF soname at link time, following
//! cargo-c's convention (see docs/abi-policy.md):
//!
//! - version >= 1.0.0: soname `libwt.so.<major>`;
//! - version 0.x.y:    soname `libwt.so.0.<minor>` (in 0.x every minor
//!   release may break the ABI, as in semver/cargo).
//!
//! Anything linked with `-lwt` (or by full path) against the library records
//! the soname, not `libwt.so`, as its `DT_NEEDED` entry. So that programs linked
//! against the in-tree build (`make hello`, the C examples, bindings) still find
//! the library at run time through an rpath of `target/<profile>`, this script
//! also creates the development symlink `target/<profile>/libwt.so.<sover>` ->
//! `libwt.so` there, as `make install` does in `$(LIBDIR)`.
//!
//! Only ELF targets get a soname; macOS would need `-install_name` (not
//! supported by `make install` yet) and Windows has no equivalent.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Cargo passes cdylib link args of a dependency's build script on to the
    // dependent's own cdylib too, which would rename e.g. a bench library to
    // libwt.so.*: crates that link libwt as a Rust dependency turn this off
    // with `default-features = false`.
    if env::var_os("CARGO_FEATURE_SONAME").is_none() {
        return;
    }

    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let apple = matches!(
        os.as_str(),
        "macos" | "ios" | "tvos" | "watchos" | "visionos"
    );
    if !family.split(',').any(|f| f == "unix") || apple {
        return;
    }

    let major: u64 = env::var("CARGO_PKG_VERSION_MAJOR")
        .expect("cargo sets CARGO_PKG_VERSION_MAJOR")
        .parse()
        .expect("numeric major version");
    let minor: u64 = env::var("CARGO_PKG_VERSION_MINOR")
        .expect("cargo sets CARGO_PKG_VERSION_MINOR")
        .parse()
        .expect("numeric minor version");
    let sover = if major == 0 {
        format!("0.{minor}")
    } else {
        major.to_string()
    };
    let soname = format!("libwt.so.{sover}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");

    // OUT_DIR is <target-dir>/[<triple>/]<profile>/build/wt-<hash>/out.
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let build_dir = out_dir.ancestors().nth(2);
    if build_dir
        .and_then(Path::file_name)
        .is_some_and(|n| n == "build")
    {
        if let Some(profile_dir) = out_dir.ancestors().nth(3) {
            dev_symlink(&profile_dir.join(&soname));
        }
    }
}

/// Points `link` at `libwt.so` in the same directory (a relative link, which
/// may dangle until the cdylib is linked right after this script runs).
#[cfg(unix)]
fn dev_symlink(link: &Path) {
    let target = Path::new("libwt.so");
    if std::fs::read_link(link).is_ok_and(|t| t == target) {
        return;
    }
    let _ = std::fs::remove_file(link);
    if let Err(e) = std::os::unix::fs::symlink(target, link) {
        println!(
            "cargo:warning=could not create {} -> libwt.so: {e}",
            link.display()
        );
    }
}

#[cfg(not(unix))]
fn dev_symlink(_link: &Path) {}
