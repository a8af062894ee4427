//! cargo-fuzz target `wat_text`; the body is `fuzz/targets/wat_text.rs`, shared with
//! the regression test `tests/fuzz_regressions.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../targets/wat_text.rs"]
mod wat_text;

fuzz_target!(|data: &[u8]| wat_text::run(data));
