//! Globals (`WT_KIND_GLOBAL`).

use wasmtime::{Global, Mutability, RootScope};

use crate::error::{Error, Result, WT_ERR_IMMUTABLE, WT_ERR_SIGNATURE};
use crate::ffi::{guard, out};
use crate::func::{slot_to_val, val_to_slot};
use crate::handle;
use crate::store::{with_store, Cx, StoreItem};
use crate::types::valtype_code;

fn with_global<R>(
    store: u64,
    global: u64,
    f: impl FnOnce(&mut Cx, Global) -> Result<R>,
) -> Result<R> {
    let g = handle::get::<StoreItem<Global>>(global)?;
    with_store(store, |so, cx| {
        let gl = g.check(so, "global")?;
        f(cx, gl)
    })
}

/// Reads a global into a slot (see the slot encoding of `WT_I32` ...).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT` (global of another store), `WT_ERR_BUSY`,
/// `WT_ERR_UNSUPPORTED` (v128 or GC value).
///
/// # Safety
/// `out_value` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_global_get(store: u64, global: u64, out_value: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_value, "out_value")? };
        with_global(store, global, |cx, g| {
            let mut scope = RootScope::new(&mut *cx);
            let v = g.get(&mut scope);
            *o = val_to_slot(&mut scope, &v)?;
            Ok(())
        })
    })
}

/// Writes a slot value to a mutable global.
/// Statuses: as `wt_global_get`, plus `WT_ERR_IMMUTABLE` (const global) and
/// `WT_ERR_LIMIT` (no room for an externref in the store's capped GC heap).
#[no_mangle]
pub extern "C" fn wt_global_set(store: u64, global: u64, value: u64) -> i32 {
    guard(|| {
        with_global(store, global, |cx, g| {
            let ty = g.ty(&*cx);
            if ty.mutability() == Mutability::Const {
                return Err(Error::new(
                    WT_ERR_IMMUTABLE,
                    "cannot set an immutable (const) global",
                ));
            }
            let code = valtype_code(ty.content());
            let mut scope = RootScope::new(&mut *cx);
            let v = slot_to_val(&mut scope, code, value)?;
            g.set(&mut scope, v).map_err(|e| {
                Error::new(
                    WT_ERR_SIGNATURE,
                    format!("cannot set global: {}", crate::error::describe(&e)),
                )
            })
        })
    })
}

/// The value type code (`WT_I32` ...) and mutability (1 = `mut`) of a global.
/// Either out-pointer may be NULL.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_BUSY`.
///
/// # Safety
/// Out-pointers must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_global_type(
    store: u64,
    global: u64,
    out_type: *mut i32,
    out_mutable: *mut i32,
) -> i32 {
    guard(|| {
        with_global(store, global, |cx, g| {
            let ty = g.ty(&*cx);
            unsafe { crate::ffi::out_opt(out_type, valtype_code(ty.content())) };
            unsafe {
                crate::ffi::out_opt(out_mutable, (ty.mutability() == Mutability::Var) as i32)
            };
            Ok(())
        })
    })
}
