//! Linear memories (`WT_KIND_MEMORY`): size, growth, bounds-checked access.

use wasmtime::Memory;

use crate::error::{Error, Result, WT_ERR_LIMIT, WT_ERR_OUT_OF_BOUNDS};
use crate::ffi::{guard, out};
use crate::handle;
use crate::store::{with_store, Cx, StoreItem, StoreObj};

fn with_memory<R>(
    store: u64,
    memory: u64,
    f: impl FnOnce(&mut Cx, &StoreObj, Memory) -> Result<R>,
) -> Result<R> {
    let m = handle::get::<StoreItem<Memory>>(memory)?;
    with_store(store, |so, cx| {
        let mem = m.check(so, "memory")?;
        f(cx, so, mem)
    })
}

fn range(offset: u64, len: usize, size: usize) -> Result<std::ops::Range<usize>> {
    let start = usize::try_from(offset).ok();
    match start.and_then(|s| s.checked_add(len).map(|e| (s, e))) {
        Some((s, e)) if e <= size => Ok(s..e),
        _ => Err(Error::new(
            WT_ERR_OUT_OF_BOUNDS,
            format!("memory access of {len} bytes at offset {offset} is out of bounds (memory size {size} bytes)"),
        )),
    }
}

/// Current size of a memory in bytes.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT` (memory of another store), `WT_ERR_BUSY`.
///
/// # Safety
/// `out_bytes` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_memory_size(store: u64, memory: u64, out_bytes: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_bytes, "out_bytes")? };
        with_memory(store, memory, |cx, _, m| {
            *o = m.data_size(&*cx) as u64;
            Ok(())
        })
    })
}

/// Current size of a memory in pages (64 KiB each, unless the module uses
/// custom page sizes).
/// Statuses: as `wt_memory_size`.
///
/// # Safety
/// `out_pages` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_memory_pages(store: u64, memory: u64, out_pages: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_pages, "out_pages")? };
        with_memory(store, memory, |cx, _, m| {
            *o = m.size(&*cx);
            Ok(())
        })
    })
}

/// Grows a memory by `delta_pages` pages; `*out_old_pages` (if not NULL)
/// receives the previous size in pages. Growing invalidates pointers from
/// `wt_memory_data`. Fails with `WT_ERR_LIMIT` beyond the memory's maximum or
/// the store's cap (`wt_store_set_limits`); the memory is then unchanged.
/// Statuses: as `wt_memory_size`, plus `WT_ERR_LIMIT`.
///
/// # Safety
/// `out_old_pages` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_memory_grow(
    store: u64,
    memory: u64,
    delta_pages: u64,
    out_old_pages: *mut u64,
) -> i32 {
    guard(|| {
        with_memory(store, memory, |cx, _, m| {
            let old = m.grow(&mut *cx, delta_pages).map_err(|e| {
                Error::new(
                    WT_ERR_LIMIT,
                    format!(
                        "cannot grow memory by {delta_pages} pages: {}",
                        crate::error::describe(&e)
                    ),
                )
            })?;
            unsafe { crate::ffi::out_opt(out_old_pages, old) };
            Ok(())
        })
    })
}

/// Copies `len` bytes at `offset` of the memory into `buf`. The whole range
/// must be inside the memory (`WT_ERR_OUT_OF_BOUNDS` otherwise; nothing is
/// copied). Works with a caller handle inside host callbacks.
/// Statuses: as `wt_memory_size`, plus `WT_ERR_OUT_OF_BOUNDS`.
///
/// # Safety
/// `buf` must point to `len` writable bytes (or be NULL with `len == 0`).
#[no_mangle]
pub unsafe extern "C" fn wt_memory_read(
    store: u64,
    memory: u64,
    offset: u64,
    buf: *mut u8,
    len: usize,
) -> i32 {
    guard(|| {
        if len > 0 && buf.is_null() {
            return Err(Error::null("buf"));
        }
        with_memory(store, memory, |cx, _, m| {
            // Raw pointers only: `buf` may point into this very memory
            // (from `wt_memory_data`), so no slice may cover both.
            let (base, size) = raw_parts(m.data_mut(&mut *cx));
            let r = range(offset, len, size)?;
            // SAFETY: `buf` has `len` writable bytes (caller contract), the
            // source range is in bounds; `copy` allows the two to overlap.
            unsafe { std::ptr::copy(base.add(r.start), buf, len) };
            Ok(())
        })
    })
}

/// The base pointer and size of a memory's bytes, with the slice itself
/// gone (one lookup in Wasmtime, where `data_ptr` + `data_size` make two).
fn raw_parts(data: &mut [u8]) -> (*mut u8, usize) {
    (data.as_mut_ptr(), data.len())
}

/// Copies `len` bytes from `buf` into the memory at `offset` (bounds-checked
/// like `wt_memory_read`).
/// Statuses: as `wt_memory_size`, plus `WT_ERR_OUT_OF_BOUNDS`.
///
/// # Safety
/// `buf` must point to `len` readable bytes (or be NULL with `len == 0`).
#[no_mangle]
pub unsafe extern "C" fn wt_memory_write(
    store: u64,
    memory: u64,
    offset: u64,
    buf: *const u8,
    len: usize,
) -> i32 {
    guard(|| {
        if len > 0 && buf.is_null() {
            return Err(Error::null("buf"));
        }
        with_memory(store, memory, |cx, _, m| {
            // Raw pointers only: `buf` may point into this very memory
            // (from `wt_memory_data`), so no slice may cover both.
            let (base, size) = raw_parts(m.data_mut(&mut *cx));
            let r = range(offset, len, size)?;
            // SAFETY: `buf` has `len` readable bytes (caller contract), the
            // destination range is in bounds; `copy` allows the two to overlap.
            unsafe { std::ptr::copy(buf, base.add(r.start), len) };
            Ok(())
        })
    })
}

/// Zero-copy access: `*out_data` receives the base address of the memory and
/// `*out_len` its size in bytes. The pointer is invalidated by anything that
/// can grow the memory (`wt_memory_grow`, any call into wasm) and by freeing
/// the store; the embedder must bounds-check its own accesses.
/// Statuses: as `wt_memory_size`.
///
/// # Safety
/// The out-pointers must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_memory_data(
    store: u64,
    memory: u64,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        let d = unsafe { out(out_data, "out_data")? };
        let l = unsafe { out(out_len, "out_len")? };
        with_memory(store, memory, |cx, _, m| {
            *d = m.data_ptr(&*cx);
            *l = m.data_size(&*cx);
            Ok(())
        })
    })
}
