//! The panic boundary and argument helpers shared by every entry point.
//!
//! Every `extern "C"` function body runs inside [`guard`]: a Rust panic
//! becomes `WT_ERR_INTERNAL` with the panic message, never an unwind into C.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result, WT_OK};

/// Runs an entry point body: `Ok` is `WT_OK`, `Err` records the error for
/// `wt_error_message` and returns its status; a panic becomes `WT_ERR_INTERNAL`.
pub fn guard(f: impl FnOnce() -> Result<()>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => WT_OK,
        Ok(Err(e)) => e.store(),
        Err(payload) => panic_status(payload),
    }
}

/// Like [`guard`] for a body that already returns a status (hot paths that
/// record their errors themselves, so no `Result` crosses the boundary).
#[inline(always)]
pub fn guard_status(f: impl FnOnce() -> i32) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(status) => status,
        Err(payload) => panic_status(payload),
    }
}

#[cold]
#[inline(never)]
fn panic_status(payload: Box<dyn std::any::Any + Send>) -> i32 {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".into());
    Error::internal(format!("internal error (Rust panic): {msg}")).store()
}

/// The status of a result, recording the error (cold path) if any.
#[inline(always)]
pub fn status(r: Result<()>) -> i32 {
    match r {
        Ok(()) => WT_OK,
        Err(e) => e.store(),
    }
}

/// Borrows `(ptr, len)` as UTF-8. NULL is accepted only with `len == 0`.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes.
pub unsafe fn str_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    let bytes = unsafe { bytes_arg(ptr.cast(), len, what)? };
    std::str::from_utf8(bytes)
        .map_err(|e| Error::invalid(format!("`{what}` is not valid UTF-8: {e}")))
}

/// Borrows `(ptr, len)` as bytes. NULL is accepted only with `len == 0`.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes.
pub unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::null(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!(
            "`{what}` length {len} is too large"
        )));
    }
    // SAFETY: caller contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a slice of `n` values of `T`; NULL is accepted only with `n == 0`.
///
/// # Safety
/// `ptr` must be NULL or point to `n` readable values.
pub unsafe fn slice_arg<'a, T>(ptr: *const T, n: usize, what: &str) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::null(what));
    }
    if n > (isize::MAX as usize) / std::mem::size_of::<T>().max(1) {
        return Err(Error::invalid(format!("`{what}` count {n} is too large")));
    }
    // SAFETY: caller contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

/// Checks an out-pointer and returns it as a reference.
///
/// # Safety
/// `ptr` must be NULL or valid for writes of `T`.
pub unsafe fn out<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: caller contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| Error::null(what))
}

/// Writes `data` into a caller buffer `(buf, cap)` and the full length into
/// `*out_len`. If `cap` is too small nothing is copied and the status is
/// `WT_ERR_OUT_OF_BOUNDS` with the needed length in `*out_len`, so callers can
/// size a buffer with `buf = NULL, cap = 0` first.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes; `out_len` must be NULL
/// or valid for writes.
pub unsafe fn copy_out(data: &[u8], buf: *mut u8, cap: usize, out_len: *mut usize) -> Result<()> {
    let out_len = unsafe { out(out_len, "out_len")? };
    *out_len = data.len();
    if data.is_empty() {
        return Ok(());
    }
    if buf.is_null() || cap < data.len() {
        return Err(Error::new(
            crate::error::WT_ERR_OUT_OF_BOUNDS,
            format!(
                "buffer of {cap} bytes is too small: {} bytes needed (see *out_len)",
                data.len()
            ),
        ));
    }
    // SAFETY: caller contract; cap >= len.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
    Ok(())
}

/// Writes `value` through an optional out-pointer (NULL: nothing is written).
///
/// # Safety
/// `ptr` must be NULL or valid for writes of `T`.
pub unsafe fn out_opt<T>(ptr: *mut T, value: T) {
    // SAFETY: caller contract.
    if let Some(p) = unsafe { ptr.as_mut() } {
        *p = value;
    }
}
