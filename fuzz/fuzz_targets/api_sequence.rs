//! cargo-fuzz target `api_sequence`; the body is `fuzz/targets/api_sequence.rs`, shared with
//! the regression test `tests/fuzz_regressions.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../targets/api_sequence.rs"]
mod api_sequence;

fuzz_target!(|data: &[u8]| api_sequence::run(data));
