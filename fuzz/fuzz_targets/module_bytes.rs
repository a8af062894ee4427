//! cargo-fuzz target `module_bytes`; the body is `fuzz/targets/module_bytes.rs`, shared with
//! the regression test `tests/fuzz_regressions.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../targets/module_bytes.rs"]
mod module_bytes;

fuzz_target!(|data: &[u8]| module_bytes::run(data));
