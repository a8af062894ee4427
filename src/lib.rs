//! libwt: a small, handle-based C ABI over Wasmtime.
//!
//! Every object is a checked `uint64_t` handle (see [`handle`]), every value a
//! 64-bit slot, every failure an `int32_t` status with a message readable via
//! `wt_error_message` (see [`error`]), and every entry point is wrapped in a
//! panic boundary (see [`ffi`]). The C header `include/wt.h` is generated from
//! this crate by cbindgen.

pub mod caller;
pub mod engine;
pub mod error;
pub mod ffi;
pub mod func;
pub mod global;
pub mod handle;
pub mod instance;
pub mod linker;
pub mod memory;
pub mod module;
pub mod owner;
pub mod store;
pub mod table;
pub mod types;
pub mod wasi;

use std::ffi::c_char;

use crate::ffi::{guard, out};

/// Major version of libwt (matches `Cargo.toml`).
pub const WT_VERSION_MAJOR: i32 = 0;
/// Minor version of libwt.
pub const WT_VERSION_MINOR: i32 = 1;
/// Patch version of libwt.
pub const WT_VERSION_PATCH: i32 = 0;

/// The libwt version as a static NUL-terminated string ("MAJOR.MINOR.PATCH").
/// Never fails; the pointer is valid for the life of the process.
#[no_mangle]
pub extern "C" fn wt_version() -> *const c_char {
    static V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    V.as_ptr().cast()
}

/// Frees any handle: engine, config, store, module, linker, instance, func,
/// memory, global, table, bytes, functype, callback or WASI config.
///
/// The handle is invalid as soon as this returns; the object is destroyed
/// once no call is using it (so freeing a store from inside its own host
/// callback is safe: it goes away when the outer call returns). Freeing a
/// store also frees every handle that lives in it. Safe from any thread
/// (finalizers). A second free of the same handle returns `WT_ERR_BAD_HANDLE`.
/// Caller handles belong to their store and cannot be freed.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_INVALID_ARGUMENT` (caller handle).
#[no_mangle]
pub extern "C" fn wt_free(handle: u64) -> i32 {
    guard(|| {
        // A live handle's kind is in its top byte (`free` checks it against
        // the slot); only caller handles need a look first, so that a stale
        // one still reports WT_ERR_BAD_HANDLE.
        if (handle >> 56) as i32 == handle::WT_KIND_CALLER {
            handle::get_any(handle)?;
            return Err(error::Error::new(
                error::WT_ERR_INVALID_ARGUMENT,
                "caller handles belong to their store and are not freed",
            ));
        }
        handle::free(handle)
    })
}

/// The kind (`WT_KIND_*`) of a live handle.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_kind` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_handle_kind(handle: u64, out_kind: *mut i32) -> i32 {
    guard(|| {
        let o = unsafe { out(out_kind, "out_kind")? };
        *o = handle::get_any(handle)?.kind();
        Ok(())
    })
}

/// The number of live handles in the process (all kinds and threads,
/// including store-owned ones and each store's caller handle). For leak checks
/// in tests and wrappers. Never fails.
#[no_mangle]
pub extern "C" fn wt_handle_count() -> usize {
    handle::live()
}

// Flat re-exports so that Rust callers (tests, benches) see the C ABI as one namespace.
pub use crate::caller::*;
pub use crate::engine::*;
pub use crate::error::*;
pub use crate::func::*;
pub use crate::global::*;
pub use crate::handle::{
    WT_KIND_BYTES, WT_KIND_CALLBACK, WT_KIND_CALLER, WT_KIND_CONFIG, WT_KIND_ENGINE, WT_KIND_FUNC,
    WT_KIND_FUNCTYPE, WT_KIND_GLOBAL, WT_KIND_INSTANCE, WT_KIND_LINKER, WT_KIND_MEMORY,
    WT_KIND_MODULE, WT_KIND_STORE, WT_KIND_TABLE, WT_KIND_WASI_CONFIG,
};
pub use crate::instance::*;
pub use crate::linker::*;
pub use crate::memory::*;
pub use crate::module::*;
pub use crate::store::*;
pub use crate::table::*;
pub use crate::types::*;
pub use crate::wasi::*;
