//! Tables (`WT_KIND_TABLE`) of funcref or externref.

use wasmtime::{Ref, RootScope, Table, Val};

use crate::error::{Error, Result, WT_ERR_LIMIT, WT_ERR_OUT_OF_BOUNDS};
use crate::ffi::{guard, out};
use crate::func::{slot_to_val, val_to_slot};
use crate::handle;
use crate::store::{with_store, Cx, Host, StoreItem};
use crate::types::{valtype_code, WT_ANYREF};

fn with_table<R>(store: u64, table: u64, f: impl FnOnce(&mut Cx, Table) -> Result<R>) -> Result<R> {
    let t = handle::get::<StoreItem<Table>>(table)?;
    with_store(store, |so, cx| {
        let tb = t.check(so, "table")?;
        f(cx, tb)
    })
}

fn elem_code(cx: &Cx, t: &Table) -> i32 {
    valtype_code(&wasmtime::ValType::Ref(t.ty(cx).element().clone()))
}

fn slot_to_ref(
    cx: &mut impl wasmtime::AsContextMut<Data = Host>,
    code: i32,
    slot: u64,
) -> Result<Ref> {
    if code == WT_ANYREF {
        return Err(Error::new(
            crate::error::WT_ERR_UNSUPPORTED,
            "GC reference tables are not exposed by libwt",
        ));
    }
    match slot_to_val(cx, code, slot)? {
        Val::FuncRef(f) => Ok(Ref::Func(f)),
        Val::ExternRef(e) => Ok(Ref::Extern(e)),
        _ => Err(Error::internal("table element is not a reference")),
    }
}

/// Current number of elements of a table.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT` (table of another store), `WT_ERR_BUSY`.
///
/// # Safety
/// `out_size` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_table_size(store: u64, table: u64, out_size: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_size, "out_size")? };
        with_table(store, table, |cx, t| {
            *o = t.size(&*cx);
            Ok(())
        })
    })
}

/// The element type code of a table (`WT_FUNCREF`, `WT_EXTERNREF` or `WT_ANYREF`).
/// Statuses: as `wt_table_size`.
///
/// # Safety
/// `out_type` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_table_type(store: u64, table: u64, out_type: *mut i32) -> i32 {
    guard(|| {
        let o = unsafe { out(out_type, "out_type")? };
        with_table(store, table, |cx, t| {
            *o = elem_code(cx, &t);
            Ok(())
        })
    })
}

/// Reads element `index` as a slot: a func handle (owned by the store) or an
/// externref payload; 0 for null.
/// Statuses: as `wt_table_size`, plus `WT_ERR_OUT_OF_BOUNDS`, `WT_ERR_UNSUPPORTED`.
///
/// # Safety
/// `out_value` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_table_get(
    store: u64,
    table: u64,
    index: u64,
    out_value: *mut u64,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_value, "out_value")? };
        with_table(store, table, |cx, t| {
            let mut scope = RootScope::new(&mut *cx);
            let r = t.get(&mut scope, index).ok_or_else(|| {
                Error::new(
                    WT_ERR_OUT_OF_BOUNDS,
                    format!("table index {index} is out of bounds"),
                )
            })?;
            *o = val_to_slot(&mut scope, &Val::from(r))?;
            Ok(())
        })
    })
}

/// Sets element `index` from a slot (func handle of this store or externref
/// payload, matching the table's element type; 0 for null).
/// Statuses: as `wt_table_get`, plus `WT_ERR_LIMIT` (no room for an externref
/// in the store's capped GC heap).
#[no_mangle]
pub extern "C" fn wt_table_set(store: u64, table: u64, index: u64, value: u64) -> i32 {
    guard(|| {
        with_table(store, table, |cx, t| {
            let code = elem_code(cx, &t);
            let mut scope = RootScope::new(&mut *cx);
            let r = slot_to_ref(&mut scope, code, value)?;
            t.set(&mut scope, index, r).map_err(|e| {
                Error::new(
                    WT_ERR_OUT_OF_BOUNDS,
                    format!(
                        "cannot set table element {index}: {}",
                        crate::error::describe(&e)
                    ),
                )
            })
        })
    })
}

/// Grows a table by `delta` elements initialised to `init` (a slot as in
/// `wt_table_set`); `*out_old_size` (if not NULL) receives the previous size.
/// Fails with `WT_ERR_LIMIT` beyond the table's maximum or the store's cap.
/// Statuses: as `wt_table_get`, plus `WT_ERR_LIMIT`.
///
/// # Safety
/// `out_old_size` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_table_grow(
    store: u64,
    table: u64,
    delta: u64,
    init: u64,
    out_old_size: *mut u64,
) -> i32 {
    guard(|| {
        with_table(store, table, |cx, t| {
            let code = elem_code(cx, &t);
            let mut scope = RootScope::new(&mut *cx);
            let r = slot_to_ref(&mut scope, code, init)?;
            let old = t.grow(&mut scope, delta, r).map_err(|e| {
                Error::new(
                    WT_ERR_LIMIT,
                    format!(
                        "cannot grow table by {delta}: {}",
                        crate::error::describe(&e)
                    ),
                )
            })?;
            unsafe { crate::ffi::out_opt(out_old_size, old) };
            Ok(())
        })
    })
}
