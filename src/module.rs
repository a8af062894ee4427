//! WAT conversion, byte buffers (`WT_KIND_BYTES`) and modules (`WT_KIND_MODULE`).

use std::ffi::c_char;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::{ExternType, Module};

use crate::engine::EngineObj;
use crate::error::{Error, Result, WT_ERR_COMPILE, WT_ERR_OUT_OF_BOUNDS};
use crate::ffi::{bytes_arg, copy_out, guard, out, str_arg};
use crate::handle;
use crate::types::Sig;

/// Extern kind: function.
pub const WT_EXTERN_FUNC: i32 = 0;
/// Extern kind: global.
pub const WT_EXTERN_GLOBAL: i32 = 1;
/// Extern kind: table.
pub const WT_EXTERN_TABLE: i32 = 2;
/// Extern kind: linear memory.
pub const WT_EXTERN_MEMORY: i32 = 3;
/// Extern kind: exception tag.
pub const WT_EXTERN_TAG: i32 = 4;

pub fn extern_kind(t: &ExternType) -> i32 {
    match t {
        ExternType::Func(_) => WT_EXTERN_FUNC,
        ExternType::Global(_) => WT_EXTERN_GLOBAL,
        ExternType::Table(_) => WT_EXTERN_TABLE,
        ExternType::Memory(_) => WT_EXTERN_MEMORY,
        ExternType::Tag(_) => WT_EXTERN_TAG,
    }
}

fn wat_to_wasm(text: &str) -> Result<Vec<u8>> {
    wat::parse_str(text).map_err(|e| {
        // The rendered error points at `<anon>:LINE:COL`; say it in words too.
        let rendered = e.to_string();
        let at = rendered.split("<anon>:").nth(1).and_then(|rest| {
            let mut it = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty());
            Some((it.next()?.to_string(), it.next()?.to_string()))
        });
        match at {
            Some((line, col)) => Error::new(
                WT_ERR_COMPILE,
                format!("invalid WAT at line {line}, column {col}: {rendered}"),
            ),
            None => Error::new(WT_ERR_COMPILE, format!("invalid WAT: {rendered}")),
        }
    })
}

/// Converts WebAssembly text (WAT) to binary wasm.
///
/// `*out_bytes` receives a `WT_KIND_BYTES` handle owned by the caller; read it
/// with `wt_bytes_data` and free it with `wt_free`. On invalid text the
/// status is `WT_ERR_COMPILE` and the message gives the line and column.
/// Statuses: `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (not UTF-8), `WT_ERR_COMPILE`.
///
/// # Safety
/// `wat` must point to `wat_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_wat2wasm(
    wat: *const c_char,
    wat_len: usize,
    out_bytes: *mut u64,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_bytes, "out_bytes")? };
        let text = unsafe { str_arg(wat, wat_len, "wat")? };
        *o = handle::insert(wat_to_wasm(text)?.into_boxed_slice())?;
        Ok(())
    })
}

/// Borrows the contents of a bytes handle: `*out_data` points to `*out_len`
/// bytes that stay valid and unchanged until the handle is freed (do not free
/// it while another thread reads the pointer).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// The out-pointers must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_bytes_data(
    bytes: u64,
    out_data: *mut *const u8,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        let d = unsafe { out(out_data, "out_data")? };
        let l = unsafe { out(out_len, "out_len")? };
        let b = handle::get::<Box<[u8]>>(bytes)?;
        *d = b.as_ptr();
        *l = b.len();
        Ok(())
    })
}

/// Creates a bytes handle holding a copy of `(data, len)` (for FFIs that want
/// libwt to own a buffer). Statuses: `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `data` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_bytes_new(data: *const u8, len: usize, out_bytes: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_bytes, "out_bytes")? };
        let b = unsafe { bytes_arg(data, len, "data")? };
        *o = handle::insert(Box::<[u8]>::from(b))?;
        Ok(())
    })
}

fn compile(engine: u64, wasm: &[u8]) -> Result<u64> {
    let e = handle::get::<EngineObj>(engine)?;
    let m = Module::from_binary(&e.engine, wasm).map_err(|err| {
        Error::new(
            WT_ERR_COMPILE,
            format!("invalid module: {}", crate::error::describe(&err)),
        )
    })?;
    handle::insert(m)
}

/// Compiles a module from WAT text for `engine`.
/// `*out_module` receives a `WT_KIND_MODULE` handle owned by the caller;
/// modules are thread-safe and may be instantiated in any store of the engine.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT` (not UTF-8), `WT_ERR_COMPILE` (message has line and column).
///
/// # Safety
/// `wat` must point to `wat_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_from_wat(
    engine: u64,
    wat: *const c_char,
    wat_len: usize,
    out_module: *mut u64,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_module, "out_module")? };
        let text = unsafe { str_arg(wat, wat_len, "wat")? };
        handle::get::<EngineObj>(engine)?;
        *o = compile(engine, &wat_to_wasm(text)?)?;
        Ok(())
    })
}

/// Compiles a module from binary wasm for `engine`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_COMPILE`.
///
/// # Safety
/// `wasm` must point to `wasm_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_from_wasm(
    engine: u64,
    wasm: *const u8,
    wasm_len: usize,
    out_module: *mut u64,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_module, "out_module")? };
        let bytes = unsafe { bytes_arg(wasm, wasm_len, "wasm")? };
        *o = compile(engine, bytes)?;
        Ok(())
    })
}

/// Validates binary wasm against the engine's features without compiling it.
/// Returns `WT_OK` if valid, `WT_ERR_COMPILE` with the reason if not.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_COMPILE`.
///
/// # Safety
/// `wasm` must point to `wasm_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_validate(engine: u64, wasm: *const u8, wasm_len: usize) -> i32 {
    guard(|| {
        let bytes = unsafe { bytes_arg(wasm, wasm_len, "wasm")? };
        let e = handle::get::<EngineObj>(engine)?;
        Module::validate(&e.engine, bytes).map_err(|err| {
            Error::new(
                WT_ERR_COMPILE,
                format!("invalid module: {}", crate::error::describe(&err)),
            )
        })
    })
}

/// Serializes a compiled module's machine code to bytes (`WT_KIND_BYTES`, owned
/// by the caller) for `wt_module_deserialize`, skipping compilation later.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INTERNAL`.
///
/// # Safety
/// `out_bytes` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_serialize(module: u64, out_bytes: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_bytes, "out_bytes")? };
        let m = handle::get::<Module>(module)?;
        let mut bytes = m.serialize().map_err(|e| {
            Error::internal(format!(
                "cannot serialize module: {}",
                crate::error::describe(&e)
            ))
        })?;
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        bytes.extend_from_slice(TRAILER_MAGIC);
        *o = handle::insert(bytes.into_boxed_slice())?;
        Ok(())
    })
}

/// Ends the bytes of `wt_module_serialize`, after the SHA-256 of what
/// precedes it (the bytes of Wasmtime's `Module::serialize`).
const TRAILER_MAGIC: &[u8; 8] = b"libwt\x00m\x01";
const TRAILER_LEN: usize = 32 + TRAILER_MAGIC.len();

/// Wasmtime's part of `wt_module_serialize` bytes, once their trailer says
/// they are whole.
fn checked_body(bytes: &[u8]) -> Result<&[u8]> {
    let Some(body_len) = bytes.len().checked_sub(TRAILER_LEN) else {
        return Err(Error::new(
            WT_ERR_COMPILE,
            format!(
                "cannot deserialize module: {} bytes are too few for bytes of wt_module_serialize",
                bytes.len()
            ),
        ));
    };
    let (body, trailer) = bytes.split_at(body_len);
    let (digest, magic) = trailer.split_at(32);
    if magic != TRAILER_MAGIC {
        return Err(Error::new(
            WT_ERR_COMPILE,
            "cannot deserialize module: these bytes were not made by wt_module_serialize \
             (or were cut short): they lack its trailer",
        ));
    }
    if Sha256::digest(body).as_slice() != digest {
        return Err(Error::new(
            WT_ERR_COMPILE,
            "cannot deserialize module: the bytes are damaged (their SHA-256 does not match \
             the one wt_module_serialize recorded)",
        ));
    }
    Ok(body)
}

/// Loads a module from bytes made by `wt_module_serialize`.
///
/// TRUSTED INPUT ONLY: the bytes are machine code and are not validated like
/// wasm is. Pass only bytes produced by `wt_module_serialize` of the same
/// libwt build with a compatible engine configuration; Wasmtime checks the
/// header, version and configuration and such mismatches are rejected with
/// `WT_ERR_COMPILE`. Accidental damage (a truncated or partly overwritten
/// file, a flipped bit) is detected too: `wt_module_serialize` ends the bytes
/// with a SHA-256 of the rest, checked here before anything is loaded. That
/// is not a signature: bytes altered on purpose can carry a matching digest,
/// so keep precompiled modules where only you can write them, as you would
/// shared libraries.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_COMPILE`.
///
/// # Safety
/// `data` must point to `len` readable bytes that satisfy the trust rule above.
#[no_mangle]
pub unsafe extern "C" fn wt_module_deserialize(
    engine: u64,
    data: *const u8,
    len: usize,
    out_module: *mut u64,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_module, "out_module")? };
        let bytes = unsafe { bytes_arg(data, len, "data")? };
        let e = handle::get::<EngineObj>(engine)?;
        let bytes = checked_body(bytes)?;
        // SAFETY: the trust requirement is forwarded to the caller (see above).
        let m = unsafe { Module::deserialize(&e.engine, bytes) }.map_err(|err| {
            Error::new(
                WT_ERR_COMPILE,
                format!(
                    "cannot deserialize module: {}",
                    crate::error::describe(&err)
                ),
            )
        })?;
        *o = handle::insert(m)?;
        Ok(())
    })
}

/// One import or export of a module, as libwt describes it.
struct Item {
    module: String,
    name: String,
    ty: ExternType,
}

fn item(module: u64, index: usize, import: bool) -> Result<Item> {
    let m = handle::get::<Module>(module)?;
    let found = if import {
        m.imports().nth(index).map(|i| Item {
            module: i.module().to_string(),
            name: i.name().to_string(),
            ty: i.ty(),
        })
    } else {
        m.exports().nth(index).map(|e| Item {
            module: String::new(),
            name: e.name().to_string(),
            ty: e.ty(),
        })
    };
    found.ok_or_else(|| {
        let n = if import {
            m.imports().len()
        } else {
            m.exports().len()
        };
        Error::new(
            WT_ERR_OUT_OF_BOUNDS,
            format!(
                "{} index {index} is out of range (count {n})",
                if import { "import" } else { "export" }
            ),
        )
    })
}

/// Number of imports of a module.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_count` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_import_count(module: u64, out_count: *mut usize) -> i32 {
    guard(|| {
        let o = unsafe { out(out_count, "out_count")? };
        *o = handle::get::<Module>(module)?.imports().len();
        Ok(())
    })
}

/// Number of exports of a module.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_count` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_export_count(module: u64, out_count: *mut usize) -> i32 {
    guard(|| {
        let o = unsafe { out(out_count, "out_count")? };
        *o = handle::get::<Module>(module)?.exports().len();
        Ok(())
    })
}

/// Copies the module name of import `index` into `(buf, cap)`; `*out_len`
/// receives the full length. With a too-small buffer nothing is copied and the
/// status is `WT_ERR_OUT_OF_BOUNDS` (call with `buf = NULL, cap = 0` to size).
/// Not NUL-terminated.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS`.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_import_module(
    module: u64,
    index: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| unsafe {
        copy_out(
            item(module, index, true)?.module.as_bytes(),
            buf,
            cap,
            out_len,
        )
    })
}

/// Copies the field name of import `index` (see `wt_module_import_module`).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS`.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_import_name(
    module: u64,
    index: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| unsafe {
        copy_out(
            item(module, index, true)?.name.as_bytes(),
            buf,
            cap,
            out_len,
        )
    })
}

/// Copies the name of export `index` (see `wt_module_import_module`).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS`.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_export_name(
    module: u64,
    index: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| unsafe {
        copy_out(
            item(module, index, false)?.name.as_bytes(),
            buf,
            cap,
            out_len,
        )
    })
}

/// The extern kind (`WT_EXTERN_*`) of import (`is_import` = 1) or export
/// (`is_import` = 0) number `index`; for a function, `*out_functype` (if not
/// NULL) receives a new functype handle owned by the caller, else 0.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_OUT_OF_BOUNDS`, `WT_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `out_kind` must be valid for writes; `out_functype` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_item_type(
    module: u64,
    is_import: i32,
    index: usize,
    out_kind: *mut i32,
    out_functype: *mut u64,
) -> i32 {
    guard(|| {
        let k = unsafe { out(out_kind, "out_kind")? };
        let import = match is_import {
            0 => false,
            1 => true,
            other => {
                return Err(Error::invalid(format!(
                    "is_import must be 0 or 1, got {other}"
                )))
            }
        };
        let it = item(module, index, import)?;
        *k = extern_kind(&it.ty);
        if let Some(ft) = unsafe { out_functype.as_mut() } {
            *ft = match &it.ty {
                ExternType::Func(f) => handle::insert(Arc::new(Sig::from_functype(f)))?,
                _ => 0,
            };
        }
        Ok(())
    })
}

fn item_of_kind(module: u64, is_import: i32, index: usize, want: i32) -> Result<ExternType> {
    let import = match is_import {
        0 => false,
        1 => true,
        other => {
            return Err(Error::invalid(format!(
                "is_import must be 0 or 1, got {other}"
            )))
        }
    };
    let it = item(module, index, import)?;
    let kind = extern_kind(&it.ty);
    if kind != want {
        return Err(Error::new(
            crate::error::WT_ERR_WRONG_KIND,
            format!("item {index} is of extern kind {kind}, not {want}"),
        ));
    }
    Ok(it.ty)
}

/// The type of a global import (`is_import` = 1) or export (0): its value
/// type code (`WT_I32` ...) and whether it is mutable (1) or const (0).
/// Either out-pointer may be NULL.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND` (not a module, or the
/// item is not a global), `WT_ERR_OUT_OF_BOUNDS`, `WT_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// Out-pointers must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_item_global_type(
    module: u64,
    is_import: i32,
    index: usize,
    out_type: *mut i32,
    out_mutable: *mut i32,
) -> i32 {
    guard(|| {
        let ExternType::Global(g) = item_of_kind(module, is_import, index, WT_EXTERN_GLOBAL)?
        else {
            return Err(Error::internal("global item without a global type"));
        };
        unsafe { crate::ffi::out_opt(out_type, crate::types::valtype_code(g.content())) };
        unsafe {
            crate::ffi::out_opt(
                out_mutable,
                (g.mutability() == wasmtime::Mutability::Var) as i32,
            )
        };
        Ok(())
    })
}

/// The limits of a memory import or export: minimum and maximum size in
/// pages (`UINT64_MAX` when there is no maximum) and whether it is a 64-bit
/// memory (memory64). Any out-pointer may be NULL.
/// Statuses: as `wt_module_item_global_type` (the item must be a memory).
///
/// # Safety
/// Out-pointers must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_item_memory_type(
    module: u64,
    is_import: i32,
    index: usize,
    out_min_pages: *mut u64,
    out_max_pages: *mut u64,
    out_is_64: *mut i32,
) -> i32 {
    guard(|| {
        let ExternType::Memory(m) = item_of_kind(module, is_import, index, WT_EXTERN_MEMORY)?
        else {
            return Err(Error::internal("memory item without a memory type"));
        };
        unsafe { crate::ffi::out_opt(out_min_pages, m.minimum()) };
        unsafe { crate::ffi::out_opt(out_max_pages, m.maximum().unwrap_or(u64::MAX)) };
        unsafe { crate::ffi::out_opt(out_is_64, m.is_64() as i32) };
        Ok(())
    })
}

/// The type of a table import or export: element type code (`WT_FUNCREF`,
/// `WT_EXTERNREF` or `WT_ANYREF`), minimum and maximum element count
/// (`UINT64_MAX` when there is no maximum). Any out-pointer may be NULL.
/// Statuses: as `wt_module_item_global_type` (the item must be a table).
///
/// # Safety
/// Out-pointers must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_module_item_table_type(
    module: u64,
    is_import: i32,
    index: usize,
    out_elem_type: *mut i32,
    out_min: *mut u64,
    out_max: *mut u64,
) -> i32 {
    guard(|| {
        let ExternType::Table(t) = item_of_kind(module, is_import, index, WT_EXTERN_TABLE)? else {
            return Err(Error::internal("table item without a table type"));
        };
        unsafe {
            crate::ffi::out_opt(
                out_elem_type,
                crate::types::valtype_code(&wasmtime::ValType::Ref(t.element().clone())),
            )
        };
        unsafe { crate::ffi::out_opt(out_min, t.minimum()) };
        unsafe { crate::ffi::out_opt(out_max, t.maximum().unwrap_or(u64::MAX)) };
        Ok(())
    })
}
