//! What a host callback can do with its caller handle besides what a store handle does.

use std::ffi::c_char;

use crate::error::{Error, WT_ERR_NOT_FOUND};
use crate::ffi::{guard, out, str_arg};
use crate::handle;
use crate::instance::adopt_extern;
use crate::store::{with_store, CallerObj};

/// Inside a host callback: looks up export `name` of the instance that
/// called the host function (typically its `"memory"`, to read or write the
/// guest's strings and buffers). `*out_handle` receives a handle owned by the
/// store and `*out_kind` (if not NULL) its `WT_EXTERN_*` kind. Each call makes
/// a new handle; it stays valid after the callback, until the store is freed.
/// Statuses: `WT_ERR_BAD_HANDLE` (not inside the callback), `WT_ERR_WRONG_KIND`,
/// `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_NOT_FOUND`,
/// `WT_ERR_UNSUPPORTED` (shared memory, tag).
///
/// # Safety
/// `name` must point to `name_len` readable bytes; out-pointers NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wt_caller_get_export(
    caller: u64,
    name: *const c_char,
    name_len: usize,
    out_handle: *mut u64,
    out_kind: *mut i32,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_handle, "out_handle")? };
        let name = unsafe { str_arg(name, name_len, "name")? };
        handle::get::<CallerObj>(caller)?;
        let (h, kind) = with_store(caller, |so, cx| {
            let ext = cx.caller_export(name).ok_or_else(|| {
                Error::new(
                    WT_ERR_NOT_FOUND,
                    format!("the calling instance has no export named {name:?}"),
                )
            })?;
            adopt_extern(cx, so, ext)
        })?;
        *o = h;
        unsafe { crate::ffi::out_opt(out_kind, kind) };
        Ok(())
    })
}
