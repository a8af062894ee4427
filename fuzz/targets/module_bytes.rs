//! Fuzz target body `module_bytes`: arbitrary bytes as binary wasm.
//!
//! For each of two engines (defaults, every feature on; see `util::engines`):
//! `wt_module_validate` and `wt_module_from_wasm` must answer `WT_OK` or
//! `WT_ERR_COMPILE`, and a module that compiles must also validate. A module
//! that compiles is introspected completely (imports, exports, names through
//! the sizing protocol, item kinds, func/global/memory/table types, the
//! refusals one past the end) and round-tripped through
//! `wt_module_serialize`/`wt_module_deserialize` (see
//! `util::introspect_and_round_trip`). The same bytes given to
//! `wt_module_deserialize` must be refused with `WT_ERR_COMPILE` unless they
//! are an ELF image with libwt's SHA-256 trailer that passes Wasmtime's
//! header, version and configuration checks (libFuzzer cannot get there by
//! chance; such a module is only freed, since serialized modules are trusted
//! input). Afterwards the live handle
//! count must be back where it was.
//!
//! Used by `fuzz/fuzz_targets/module_bytes.rs` and `tests/fuzz_regressions.rs`.

#[path = "util.rs"]
mod util;
use util::*;

use wt::*;

pub fn run(data: &[u8]) {
    let engines = engines();
    let base = wt_handle_count();
    for (i, &engine) in engines.iter().enumerate() {
        let other = engines[1 - i];
        let valid = check(
            "wt_module_validate",
            unsafe { wt_module_validate(engine, data.as_ptr(), data.len()) },
            &[WT_OK, WT_ERR_COMPILE],
        );
        let mut m = 0;
        let st = check(
            "wt_module_from_wasm",
            unsafe { wt_module_from_wasm(engine, data.as_ptr(), data.len(), &mut m) },
            &[WT_OK, WT_ERR_COMPILE],
        );
        if st == WT_OK {
            assert_eq!(valid, WT_OK, "compiled, but wt_module_validate refused it");
            introspect_and_round_trip(engine, other, m, hash(data));
            free(m);
        }

        let mut d = 0;
        let st = check(
            "wt_module_deserialize",
            unsafe { wt_module_deserialize(engine, data.as_ptr(), data.len(), &mut d) },
            &[WT_OK, WT_ERR_COMPILE],
        );
        if st == WT_OK {
            assert!(
                data.starts_with(b"\x7fELF"),
                "wt_module_deserialize accepted bytes that are not an ELF image"
            );
            free(d);
        }
    }
    assert_eq!(wt_handle_count(), base, "module_bytes leaked handles");
}
