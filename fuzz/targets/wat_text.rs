//! Fuzz target body `wat_text`: arbitrary bytes as WebAssembly text.
//!
//! `wt_module_from_wat` must answer `WT_ERR_INVALID_ARGUMENT` exactly when the
//! bytes are not UTF-8, else `WT_OK` or `WT_ERR_COMPILE`; `wt_wat2wasm` must
//! agree (it fails whenever the text does not parse, and a module that
//! compiles from text parses). The binary `wt_wat2wasm` produced must
//! validate whenever the text compiled. A module that compiles is
//! introspected and round-tripped through serialization like in
//! `module_bytes`. Text compiles on the engine with every feature on (see
//! `util::engines`), so proposals' syntax gets past the parser. Afterwards
//! the live handle count must be back where it was.
//!
//! Used by `fuzz/fuzz_targets/wat_text.rs` and `tests/fuzz_regressions.rs`.

#[path = "util.rs"]
mod util;
use util::*;

use wt::*;

pub fn run(data: &[u8]) {
    let [plain, all] = engines();
    let base = wt_handle_count();
    let utf8 = std::str::from_utf8(data).is_ok();
    let text_ok: &[i32] = if utf8 {
        &[WT_OK, WT_ERR_COMPILE]
    } else {
        &[WT_ERR_INVALID_ARGUMENT]
    };

    let mut b = 0;
    let parsed = check(
        "wt_wat2wasm",
        unsafe { wt_wat2wasm(data.as_ptr().cast(), data.len(), &mut b) },
        text_ok,
    );
    let mut m = 0;
    let compiled = check(
        "wt_module_from_wat",
        unsafe { wt_module_from_wat(all, data.as_ptr().cast(), data.len(), &mut m) },
        text_ok,
    );
    if compiled == WT_OK {
        assert_eq!(parsed, WT_OK, "compiled from text that wt_wat2wasm refused");
    }
    if compiled == WT_ERR_COMPILE {
        let m = msg();
        assert!(
            m.starts_with("invalid WAT") || m.starts_with("invalid module"),
            "wt_module_from_wat: unexpected compile message: {m}"
        );
    }
    if parsed == WT_OK {
        let mut p = std::ptr::null();
        let mut n = 0;
        check(
            "wt_bytes_data",
            unsafe { wt_bytes_data(b, &mut p, &mut n) },
            &[WT_OK],
        );
        let wasm = unsafe { std::slice::from_raw_parts(p, n) }.to_vec();
        free(b);
        let valid = check(
            "wt_module_validate",
            unsafe { wt_module_validate(all, wasm.as_ptr(), wasm.len()) },
            &[WT_OK, WT_ERR_COMPILE],
        );
        if compiled == WT_OK {
            assert_eq!(
                valid, WT_OK,
                "compiled from text, but its binary does not validate"
            );
        }
    }
    if compiled == WT_OK {
        introspect_and_round_trip(all, plain, m, hash(data));
        free(m);
    }
    assert_eq!(wt_handle_count(), base, "wat_text leaked handles");
}
