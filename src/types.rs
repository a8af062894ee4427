//! Value types, function types (`WT_KIND_FUNCTYPE`) and their introspection.

use std::sync::Arc;

use wasmtime::{Engine, FuncType, HeapType, RefType, ValType};

use crate::error::{Error, Result, WT_ERR_OUT_OF_BOUNDS};
use crate::ffi::{guard, out, slice_arg};
use crate::handle::{self, Object};

/// Value type: 32-bit integer (slot holds the zero-extended bits).
pub const WT_I32: i32 = 0;
/// Value type: 64-bit integer.
pub const WT_I64: i32 = 1;
/// Value type: 32-bit float (slot holds the bit pattern in its low 32 bits).
pub const WT_F32: i32 = 2;
/// Value type: 64-bit float (slot holds the bit pattern).
pub const WT_F64: i32 = 3;
/// Value type: 128-bit vector. Reported by introspection; it does not fit a
/// 64-bit slot, so calls whose signature has one fail with `WT_ERR_UNSUPPORTED`.
pub const WT_V128: i32 = 4;
/// Value type: function reference; the slot holds a func handle, 0 for null.
pub const WT_FUNCREF: i32 = 5;
/// Value type: external reference; the slot holds the host's non-zero `uint64_t`
/// payload, 0 for null.
pub const WT_EXTERNREF: i32 = 6;
/// Value type: any other reference type (GC proposal `anyref`, `exnref`, ...).
/// Reported by introspection; not passable through a slot (`WT_ERR_UNSUPPORTED`).
pub const WT_ANYREF: i32 = 7;

pub fn valtype_code(t: &ValType) -> i32 {
    match t {
        ValType::I32 => WT_I32,
        ValType::I64 => WT_I64,
        ValType::F32 => WT_F32,
        ValType::F64 => WT_F64,
        ValType::V128 => WT_V128,
        ValType::Ref(r) => match r.heap_type().top() {
            HeapType::Func => WT_FUNCREF,
            HeapType::Extern => WT_EXTERNREF,
            _ => WT_ANYREF,
        },
    }
}

pub fn valtype_from_code(code: i32) -> Result<ValType> {
    Ok(match code {
        WT_I32 => ValType::I32,
        WT_I64 => ValType::I64,
        WT_F32 => ValType::F32,
        WT_F64 => ValType::F64,
        WT_V128 => ValType::V128,
        WT_FUNCREF => ValType::Ref(RefType::FUNCREF),
        WT_EXTERNREF => ValType::Ref(RefType::EXTERNREF),
        WT_ANYREF => ValType::Ref(RefType::ANYREF),
        other => {
            return Err(Error::invalid(format!(
                "{other} is not a WT_* value type code"
            )))
        }
    })
}

pub fn valtype_name(code: i32) -> &'static str {
    match code {
        WT_I32 => "i32",
        WT_I64 => "i64",
        WT_F32 => "f32",
        WT_F64 => "f64",
        WT_V128 => "v128",
        WT_FUNCREF => "funcref",
        WT_EXTERNREF => "externref",
        _ => "anyref",
    }
}

/// A function signature as value type codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sig {
    pub params: Box<[i32]>,
    pub results: Box<[i32]>,
    /// Only numeric types: slots map 1:1 onto raw values (the fast path).
    pub numeric: bool,
    /// Bit i set: result i is 32 bits wide and must be masked (i < 64).
    pub narrow_results: u64,
    /// Bit i set: parameter i is 32 bits wide (i < 64).
    pub narrow_params: u64,
}

/// Whether a slot of this value type carries 32 bits (i32, f32): the upper
/// half of such a slot is zero on the way out.
pub fn is_narrow(t: i32) -> bool {
    matches!(t, WT_I32 | WT_F32)
}

impl Sig {
    pub fn new(params: Box<[i32]>, results: Box<[i32]>) -> Sig {
        let numeric = params
            .iter()
            .chain(results.iter())
            .all(|t| matches!(*t, WT_I32 | WT_I64 | WT_F32 | WT_F64));
        let mut narrow_params = 0;
        for (i, t) in params.iter().enumerate().take(64) {
            if is_narrow(*t) {
                narrow_params |= 1 << i;
            }
        }
        let mut narrow_results = 0;
        for (i, t) in results.iter().enumerate().take(64) {
            if is_narrow(*t) {
                narrow_results |= 1 << i;
            }
        }
        Sig {
            params,
            results,
            numeric,
            narrow_results,
            narrow_params,
        }
    }

    pub fn from_functype(ty: &FuncType) -> Sig {
        Sig::new(
            ty.params().map(|t| valtype_code(&t)).collect(),
            ty.results().map(|t| valtype_code(&t)).collect(),
        )
    }

    pub fn to_functype(&self, engine: &Engine) -> Result<FuncType> {
        let params: Vec<ValType> = self
            .params
            .iter()
            .map(|c| valtype_from_code(*c))
            .collect::<Result<_>>()?;
        let results: Vec<ValType> = self
            .results
            .iter()
            .map(|c| valtype_from_code(*c))
            .collect::<Result<_>>()?;
        Ok(FuncType::new(engine, params, results))
    }

    /// Whether every value can travel in a 64-bit slot.
    pub fn slot_compatible(&self) -> bool {
        self.params
            .iter()
            .chain(self.results.iter())
            .all(|t| !matches!(*t, WT_V128 | WT_ANYREF))
    }

    pub fn describe(&self) -> String {
        let list = |v: &[i32]| {
            v.iter()
                .map(|t| valtype_name(*t))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("({}) -> ({})", list(&self.params), list(&self.results))
    }
}

/// Resolves a func or functype handle to its signature.
fn sig_of(h: u64) -> Result<Arc<Sig>> {
    let g = handle::get_any(h)?;
    match g.obj() {
        Object::FuncType(s) => Ok(s.clone()),
        Object::Func(f) => Ok(f.sig.clone()),
        Object::Callback(c) => Ok(c.sig.clone()),
        _ => Err(Error::new(
            crate::error::WT_ERR_WRONG_KIND,
            format!(
                "handle {h:#x} is {}, expected a func, functype or callback",
                handle::with_article(handle::kind_name(g.kind()))
            ),
        )),
    }
}

/// Creates a function type from parameter and result type codes (`WT_I32`, ...).
///
/// `params`/`results` may be NULL when their count is 0. On success `*out`
/// receives a new `WT_KIND_FUNCTYPE` handle owned by the caller (free it with
/// `wt_free`). A functype is not tied to an engine and is thread-safe.
/// Statuses: `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (unknown type code).
///
/// # Safety
/// The arrays must hold the given number of elements.
#[no_mangle]
pub unsafe extern "C" fn wt_functype_new(
    params: *const i32,
    nparams: usize,
    results: *const i32,
    nresults: usize,
    out_functype: *mut u64,
) -> i32 {
    guard(|| {
        let out_functype = unsafe { out(out_functype, "out_functype")? };
        let p = unsafe { slice_arg(params, nparams, "params")? };
        let r = unsafe { slice_arg(results, nresults, "results")? };
        for t in p.iter().chain(r) {
            valtype_from_code(*t)?;
        }
        *out_functype = handle::insert(Arc::new(Sig::new(p.into(), r.into())))?;
        Ok(())
    })
}

/// Number of parameters of a func, functype or callback handle.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_count` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_func_param_count(func: u64, out_count: *mut usize) -> i32 {
    guard(|| {
        let o = unsafe { out(out_count, "out_count")? };
        *o = sig_of(func)?.params.len();
        Ok(())
    })
}

/// Number of results of a func, functype or callback handle.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_count` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_func_result_count(func: u64, out_count: *mut usize) -> i32 {
    guard(|| {
        let o = unsafe { out(out_count, "out_count")? };
        *o = sig_of(func)?.results.len();
        Ok(())
    })
}

/// Type code (`WT_I32`, ...) of parameter `index` of a func, functype or callback.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_OUT_OF_BOUNDS` (index >= parameter count).
///
/// # Safety
/// `out_type` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_func_param_type(func: u64, index: usize, out_type: *mut i32) -> i32 {
    guard(|| {
        let o = unsafe { out(out_type, "out_type")? };
        *o = nth(&sig_of(func)?.params, index, "parameter")?;
        Ok(())
    })
}

/// Type code (`WT_I32`, ...) of result `index` of a func, functype or callback.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_OUT_OF_BOUNDS` (index >= result count).
///
/// # Safety
/// `out_type` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_func_result_type(func: u64, index: usize, out_type: *mut i32) -> i32 {
    guard(|| {
        let o = unsafe { out(out_type, "out_type")? };
        *o = nth(&sig_of(func)?.results, index, "result")?;
        Ok(())
    })
}

fn nth(v: &[i32], index: usize, what: &str) -> Result<i32> {
    v.get(index).copied().ok_or_else(|| {
        Error::new(
            WT_ERR_OUT_OF_BOUNDS,
            format!("{what} index {index} is out of range (count {})", v.len()),
        )
    })
}
