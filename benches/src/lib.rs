//! `libwtbench.so`: one cdylib that exports both libwt's C ABI (`wt_*`) and
//! Wasmtime's official C API (`wasm_*`, `wasmtime_*`, from
//! `wasmtime-c-api-impl`), so that the C driver `benches/bench.c` drives both
//! over a single Wasmtime build, in one process.

// Wasmtime's C API: the same re-export its own `wasmtime-c-api` cdylib uses.
pub use wasmtime_c_api::*;

// libwt: re-exported too, and referenced below, so that the linker keeps every
// `#[no_mangle] extern "C" fn wt_*` of the rlib (checked with `nm -D` by
// `make bench`).
pub use wt::*;

#[doc(hidden)]
#[used]
pub static KEEP_LIBWT: [unsafe extern "C" fn(u64, u64, *const u64, usize, *mut u64, usize) -> i32; 1] =
    [wt::wt_call];
