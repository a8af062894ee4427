//! Functions (`WT_KIND_FUNC`), calls, and host callbacks (`WT_KIND_CALLBACK`).
//!
//! Calls use Wasmtime's raw path (`Func::call_unchecked` / `new_unchecked`):
//! the signature is checked once when the func handle is made, the argument
//! count on every call, and numeric values are copied slot-for-slot. Functions
//! whose signature has reference types take a converting path.

use std::ffi::{c_char, c_void};
use std::mem::MaybeUninit;
use std::sync::Arc;

use wasmtime::{AsContextMut, Caller, ExternRef, Func, RootScope, Val, ValRaw};

use crate::error::{self, Error, Result, WT_ERR_SIGNATURE, WT_ERR_UNSUPPORTED};
use crate::ffi::{guard, out, str_arg};
use crate::handle;
use crate::store::{check_same_store, with_store, Cx, Host};
use crate::types::{Sig, WT_EXTERNREF, WT_F32, WT_F64, WT_FUNCREF, WT_I32, WT_I64};

#[cfg(target_endian = "big")]
compile_error!("libwt's 64-bit slots assume a little-endian target");

/// The one host callback type.
///
/// Called synchronously on the thread that made the wasm call. `env` is the
/// pointer given when the callback was defined; `caller` is a handle valid
/// only during this invocation that works wherever a store handle is accepted
/// and finds the calling instance's exports (`wt_caller_get_export`). `args`
/// holds `nargs` slots; write `nresults` slots to `results` (pre-zeroed).
/// Slots are converted after the callback returns, so a func handle written
/// to `results` (a funcref result) must still be live at that point (a stale
/// one fails the call with `WT_ERR_CALLBACK`, naming the result). Func
/// handles received in `args` (funcref parameters) are new store-owned
/// handles: free them when done if the store is long-lived.
/// Return 0 on success; any other value traps the guest, and the outer
/// `wt_call` fails with `WT_ERR_CALLBACK` and the message set with
/// `wt_caller_set_error` (or a default naming the status).
pub type WtCallback = Option<
    unsafe extern "C" fn(
        env: *mut c_void,
        caller: u64,
        args: *const u64,
        nargs: usize,
        results: *mut u64,
        nresults: usize,
    ) -> i32,
>;

/// Releases a callback's `env` when the last function using it is gone.
/// May run on any thread.
pub type WtFinalizer = Option<unsafe extern "C" fn(env: *mut c_void)>;

/// A function handle's object: the function, its store and its signature.
pub struct FuncObj {
    pub store_uid: u64,
    pub func: Func,
    pub sig: Arc<Sig>,
}

/// A host function: callback, env, finalizer and signature.
pub struct HostFunc {
    pub cb: unsafe extern "C" fn(*mut c_void, u64, *const u64, usize, *mut u64, usize) -> i32,
    pub env: *mut c_void,
    pub finalizer: WtFinalizer,
    pub sig: Arc<Sig>,
    /// `nparams | nresults << 8 | FAST_BIT | narrow param mask << 32` for
    /// all-numeric signatures of at most FAST_MAX params and results, else 0.
    info: u64,
}

// SAFETY: the ABI contract says `env` must be usable from any thread the
// embedder calls wasm on, and the finalizer may run on any thread.
unsafe impl Send for HostFunc {}
unsafe impl Sync for HostFunc {}

impl Drop for HostFunc {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the embedder supplied this finalizer for this env.
            unsafe { f(self.env) };
        }
    }
}

/// The error a failing host callback raises inside Wasmtime.
#[derive(Debug)]
pub struct CallbackError {
    pub status: i32,
    pub msg: String,
}

impl std::fmt::Display for CallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}
impl std::error::Error for CallbackError {}

/// At most this many params and results take `wt_call`'s fast path.
const FAST_MAX: usize = 16;
/// `SigInfo` bit: all-numeric signature with at most `FAST_MAX` params and results.
const FAST_BIT: u64 = 1 << 16;

/// Where a func handle's aux word 3 keeps its call shape (see [`SHAPES`]).
const SHAPE_SHIFT: u32 = 48;

/// A func handle's aux word 3: `nparams | nresults << 8 | FAST_BIT | narrow
/// result mask << 32 | shape << SHAPE_SHIFT` for fast-path signatures, 0
/// otherwise.
fn sig_info(sig: &Sig) -> u64 {
    let (np, nr) = (sig.params.len(), sig.results.len());
    if !sig.numeric || np > FAST_MAX || nr > FAST_MAX {
        return 0;
    }
    let shape = SHAPES
        .iter()
        .position(|&s| s == (np, nr))
        .map_or(0, |i| i as u64 + 1);
    np as u64
        | (nr as u64) << 8
        | FAST_BIT
        | (sig.narrow_results & 0xffff) << 32
        | shape << SHAPE_SHIFT
}

/// A `Func` as two plain words, for a func handle's aux words. `Func` is
/// `#[repr(C)]` `{ store id: u64, funcref pointer }` (Wasmtime keeps that
/// layout for its C API's `wasmtime_func_t`), so it has no padding.
fn func_bits(f: Func) -> [u64; 2] {
    const _: () = assert!(std::mem::size_of::<Func>() == 16);
    // SAFETY: 16 initialised bytes (see above) as two words.
    unsafe { std::mem::transmute::<Func, [u64; 2]>(f) }
}

/// The inverse of [`func_bits`].
///
/// # Safety
/// `b` came from `func_bits` of a `Func`.
#[inline(always)]
unsafe fn func_from_bits(b: [u64; 2]) -> Func {
    // SAFETY: the bits of a valid `Func` (caller contract).
    unsafe { std::mem::transmute::<[u64; 2], Func>(b) }
}

/// Makes a func handle owned by the store in `cx`. Its aux words (read by
/// `wt_call` without a guard) are the store's handle, the `Func` (two
/// words; only used while that store is held) and the signature summary.
pub fn adopt_func(cx: &mut impl AsContextMut<Data = Host>, func: Func) -> Result<u64> {
    let mut c = cx.as_context_mut();
    let sig = Arc::new(Sig::from_functype(&func.ty(&c)));
    let [f0, f1] = func_bits(func);
    let aux = [c.data().store_handle, f0, f1, sig_info(&sig)];
    let h = handle::insert_aux(
        FuncObj {
            store_uid: c.data().store_handle,
            func,
            sig,
        },
        aux,
    )?;
    c.data_mut().adopt(h);
    Ok(h)
}

fn slot_error(sig: &Sig) -> Error {
    Error::new(
        WT_ERR_UNSUPPORTED,
        format!(
            "signature {} has a value that does not fit a 64-bit slot (v128 or a GC reference)",
            sig.describe()
        ),
    )
}

/// Converts a slot to a `Val` of type `code` (reference-aware path).
pub fn slot_to_val(cx: &mut impl AsContextMut<Data = Host>, code: i32, slot: u64) -> Result<Val> {
    Ok(match code {
        WT_I32 => Val::I32(slot as u32 as i32),
        WT_I64 => Val::I64(slot as i64),
        WT_F32 => Val::F32(slot as u32),
        WT_F64 => Val::F64(slot),
        WT_FUNCREF => {
            if slot == 0 {
                Val::FuncRef(None)
            } else {
                let f = handle::get::<FuncObj>(slot)?;
                if f.store_uid != cx.as_context_mut().data().store_handle {
                    return Err(Error::invalid("the funcref value belongs to another store"));
                }
                Val::FuncRef(Some(f.func))
            }
        }
        WT_EXTERNREF => {
            if slot == 0 {
                Val::ExternRef(None)
            } else {
                let r = ExternRef::new(&mut *cx, slot).map_err(|e| {
                    // The GC heap lives under the store's memory cap
                    // (`wt_store_set_limits`): a full heap is a limit, not a bug.
                    if e.is::<wasmtime::GcHeapOutOfMemory<u64>>() {
                        Error::new(
                            crate::error::WT_ERR_LIMIT,
                            format!(
                                "no room for an externref: {} (the store's memory cap also bounds its GC heap)",
                                crate::error::describe(&e)
                            ),
                        )
                    } else {
                        Error::internal(format!("externref: {}", crate::error::describe(&e)))
                    }
                })?;
                Val::ExternRef(Some(r))
            }
        }
        other => {
            return Err(Error::new(
                WT_ERR_UNSUPPORTED,
                format!(
                    "a {} value does not fit a 64-bit slot",
                    crate::types::valtype_name(other)
                ),
            ))
        }
    })
}

/// Converts a `Val` to a slot (reference-aware path).
pub fn val_to_slot(cx: &mut impl AsContextMut<Data = Host>, v: &Val) -> Result<u64> {
    Ok(match v {
        Val::I32(x) => *x as u32 as u64,
        Val::I64(x) => *x as u64,
        Val::F32(x) => *x as u64,
        Val::F64(x) => *x,
        Val::FuncRef(None)
        | Val::ExternRef(None)
        | Val::AnyRef(None)
        | Val::ExnRef(None)
        | Val::ContRef(None) => 0,
        Val::FuncRef(Some(f)) => adopt_func(cx, *f)?,
        Val::ExternRef(Some(r)) => {
            let c = cx.as_context_mut();
            let data = r.data(&c).map_err(|e| {
                Error::internal(format!("externref: {}", crate::error::describe(&e)))
            })?;
            match data.and_then(|d| d.downcast_ref::<u64>()) {
                Some(v) => *v,
                None => {
                    return Err(Error::new(
                        WT_ERR_UNSUPPORTED,
                        "externref does not carry a libwt uint64_t payload",
                    ))
                }
            }
        }
        other => {
            return Err(Error::new(
                WT_ERR_UNSUPPORTED,
                format!("value {other:?} does not fit a 64-bit slot"),
            ))
        }
    })
}

/// Calls `f` with `args`, writing `results`. Counts are checked by the caller.
pub fn call(
    cx: &mut Cx,
    so: &crate::store::StoreObj,
    f: &FuncObj,
    args: &[u64],
    results: &mut [u64],
) -> Result<()> {
    crate::store::check_native_stack(so, cx)?;
    let sig = &*f.sig;
    if sig.numeric {
        const STACK: usize = 16;
        let n = args.len().max(results.len());
        let mut stack = [const { MaybeUninit::<ValRaw>::uninit() }; STACK];
        let mut heap;
        let buf: &mut [MaybeUninit<ValRaw>] = if n <= STACK {
            &mut stack[..n]
        } else {
            heap = vec![MaybeUninit::uninit(); n];
            &mut heap[..]
        };
        // Initialise exactly the n slots used (args, then zeros), no more.
        for (i, r) in buf.iter_mut().enumerate() {
            r.write(ValRaw::u64(args.get(i).copied().unwrap_or(0)));
        }
        // SAFETY: all n elements were initialised just above.
        let raw: &mut [ValRaw] =
            unsafe { &mut *(buf as *mut [MaybeUninit<ValRaw>] as *mut [ValRaw]) };
        // SAFETY: the func belongs to this store (checked by the caller), the
        // buffer holds max(params, results) values, and every param is numeric,
        // so any bit pattern in a slot is a valid value of its type (on
        // little-endian targets a u64 slot read as i32/f32 yields the low bits).
        let res = unsafe { f.func.call_unchecked(&mut *cx, raw as *mut [ValRaw]) };
        if let Err(e) = res {
            return Err(error::from_wasmtime(e, cx.data().timed_out));
        }
        for (i, (out, r)) in results.iter_mut().zip(raw.iter()).enumerate() {
            let v = r.get_u64();
            *out = if crate::types::is_narrow(sig.results[i]) {
                v & 0xffff_ffff
            } else {
                v
            };
        }
        return Ok(());
    }
    if !sig.slot_compatible() {
        return Err(slot_error(sig));
    }
    let mut scope = RootScope::new(&mut *cx);
    let params = sig
        .params
        .iter()
        .zip(args)
        .map(|(code, a)| slot_to_val(&mut scope, *code, *a))
        .collect::<Result<Vec<_>>>()?;
    let mut outs = vec![Val::I32(0); results.len()];
    if let Err(e) = f.func.call(&mut scope, &params, &mut outs) {
        let timed_out = scope.as_context_mut().data().timed_out;
        return Err(error::from_wasmtime(e, timed_out));
    }
    for (o, v) in results.iter_mut().zip(&outs) {
        *o = val_to_slot(&mut scope, v)?;
    }
    Ok(())
}

/// Calls the C callback with `caller` published as the store's current
/// caller; a non-zero status becomes the guest's trap.
#[inline(always)]
fn invoke(
    hf: &HostFunc,
    caller: &mut Caller<'_, Host>,
    args: *const u64,
    np: usize,
    results: *mut u64,
    nr: usize,
) -> wasmtime::Result<()> {
    let host = caller.data_mut();
    // A message left by an earlier failing callback must not leak into
    // this one's failure.
    if host.callback_msg.is_some() {
        host.callback_msg = None;
    }
    let caller_handle = host
        .caller_handle()
        .map_err(|e| wasmtime::Error::msg(e.msg))?;
    // Taken after the last mutable use above, so re-entry through it (from
    // the callback) is the only use of the Caller while the callback runs.
    let me = caller as *mut Caller<'_, Host> as *mut c_void;
    let prev = caller.data().caller_cell.replace(me);
    // SAFETY: calling the embedder's callback with the documented arguments.
    let status = unsafe { (hf.cb)(hf.env, caller_handle, args, np, results, nr) };
    caller.data().caller_cell.set(prev);
    if status != 0 {
        return Err(callback_failed(caller, status));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn callback_failed(caller: &mut Caller<'_, Host>, status: i32) -> wasmtime::Error {
    let msg = caller
        .data_mut()
        .callback_msg
        .take()
        .unwrap_or_else(|| format!("host callback returned status {status}"));
    wasmtime::Error::new(CallbackError { status, msg })
}

/// The trampoline between Wasmtime and the one C callback type.
fn trampoline(
    hf: &HostFunc,
    mut caller: Caller<'_, Host>,
    raw: &mut [MaybeUninit<ValRaw>],
) -> wasmtime::Result<()> {
    let info = hf.info;
    if info & FAST_BIT == 0 {
        return trampoline_general(hf, caller, raw);
    }
    // The common case: numbers only, slots on the stack, nothing to free.
    let np = (info & 0xff) as usize;
    let nr = ((info >> 8) & 0xff) as usize;
    let narrow = info >> 32;
    debug_assert!(raw.len() >= np.max(nr));
    let mut buf = [MaybeUninit::<u64>::uninit(); 2 * FAST_MAX];
    let base = buf.as_mut_ptr() as *mut u64;
    // SAFETY: Wasmtime passes max(params, results) values, the first `np`
    // initialised with the params; np + nr <= 2 * FAST_MAX.
    unsafe {
        for i in 0..np {
            let v = raw.get_unchecked(i).assume_init_ref().get_u64();
            // The upper half of an i32/f32 raw value is unspecified.
            *base.add(i) = v & (u64::MAX >> (((narrow >> i) & 1) << 5));
        }
        for i in 0..nr {
            *base.add(np + i) = 0;
        }
    }
    // SAFETY: slots 0..np+nr are initialised; the callback reads np of them
    // and writes nr.
    invoke(hf, &mut caller, base, np, unsafe { base.add(np) }, nr)?;
    for i in 0..nr {
        // SAFETY: as above (zeros or the callback's results); i < nr <= raw.len().
        unsafe {
            raw.get_unchecked_mut(i)
                .write(ValRaw::u64(*base.add(np + i)))
        };
    }
    Ok(())
}

/// The trampoline for reference-typed signatures and long parameter lists.
#[inline(never)]
fn trampoline_general(
    hf: &HostFunc,
    mut caller: Caller<'_, Host>,
    raw: &mut [MaybeUninit<ValRaw>],
) -> wasmtime::Result<()> {
    const STACK: usize = 32;
    let sig = &*hf.sig;
    let (np, nr) = (sig.params.len(), sig.results.len());
    let mut stack = [0u64; STACK];
    let mut heap;
    // Only the slots used are touched (results must start zeroed).
    let buf: &mut [u64] = if np + nr <= STACK {
        &mut stack[..np + nr]
    } else {
        heap = vec![0u64; np + nr];
        &mut heap[..]
    };
    let (args, results) = buf.split_at_mut(np);
    if sig.numeric {
        for (i, (a, r)) in args.iter_mut().zip(raw.iter()).enumerate() {
            // SAFETY: Wasmtime initialises the first `np` values with the params.
            let v = unsafe { r.assume_init() }.get_u64();
            *a = if crate::types::is_narrow(sig.params[i]) {
                v & 0xffff_ffff
            } else {
                v
            };
        }
    } else {
        let mut scope = RootScope::new(&mut caller);
        for (i, (a, r)) in args.iter_mut().zip(raw.iter()).enumerate() {
            // SAFETY: as above; the raw value is of the declared param type.
            let r = unsafe { r.assume_init() };
            let ty = crate::types::valtype_from_code(sig.params[i])
                .map_err(|e| wasmtime::Error::msg(e.msg))?;
            // SAFETY: `r` is a valid value of type `ty` owned by this store.
            let v = unsafe { Val::from_raw(&mut scope, r, ty) };
            *a = val_to_slot(&mut scope, &v).map_err(|e| conversion_failed("argument", i, e))?;
        }
    }
    invoke(hf, &mut caller, args.as_ptr(), np, results.as_mut_ptr(), nr)?;
    if sig.numeric {
        for (r, v) in raw.iter_mut().zip(results.iter()) {
            r.write(ValRaw::u64(*v));
        }
    } else {
        let mut scope = RootScope::new(&mut caller);
        for (i, (r, v)) in raw.iter_mut().zip(results.iter()).enumerate() {
            let val = slot_to_val(&mut scope, sig.results[i], *v)
                .map_err(|e| conversion_failed("result", i, e))?;
            let rv = val.to_raw(&mut scope)?;
            r.write(rv);
        }
    }
    Ok(())
}

/// A value of a host call that cannot cross as a slot (a stale func handle
/// written as a funcref result, an externref without a libwt payload, ...):
/// the call fails like a failing callback (`WT_ERR_CALLBACK`), with the
/// value's position and the precise reason and status in the message.
#[cold]
fn conversion_failed(what: &str, i: usize, e: Error) -> wasmtime::Error {
    wasmtime::Error::new(CallbackError {
        status: e.status,
        msg: format!("{what} {i} of the host callback: {}", e.msg),
    })
}

/// Something made from a host closure of any type: a `Func` of a store or
/// a linker definition (see [`with_host_closure`]).
pub trait TakeClosure {
    type Out;
    fn take<F>(self, f: F) -> Self::Out
    where
        F: Fn(Caller<'_, Host>, &mut [MaybeUninit<ValRaw>]) -> wasmtime::Result<()>
            + Send
            + Sync
            + 'static;
}

/// Wraps a host function as a Wasmtime closure for `func_new_unchecked` and
/// hands it to `t`. Small numeric signatures (up to 3 params and 1 result)
/// get a trampoline specialised to their shape: straight-line copies, no
/// decoding of the signature on each call.
pub fn with_host_closure<T: TakeClosure>(hf: Arc<HostFunc>, t: T) -> T::Out {
    macro_rules! shapes {
        ($(($p:literal, $r:literal))*) => {
            match hf.info & (FAST_BIT | 0xffff) {
                $(x if x == FAST_BIT | $p | $r << 8 => {
                    t.take(move |caller, raw| shaped::<$p, $r>(&hf, caller, raw))
                })*
                _ => t.take(move |caller, raw| trampoline(&hf, caller, raw)),
            }
        };
    }
    shapes!((0, 0)(1, 0)(2, 0)(3, 0)(0, 1)(1, 1)(2, 1)(3, 1))
}

/// The trampoline for numeric signatures of `NP` params and `NR` results.
#[inline(always)]
fn shaped<const NP: usize, const NR: usize>(
    hf: &HostFunc,
    mut caller: Caller<'_, Host>,
    raw: &mut [MaybeUninit<ValRaw>],
) -> wasmtime::Result<()> {
    debug_assert!(raw.len() >= NP.max(NR));
    let narrow = hf.info >> 32;
    let mut args = [0u64; NP];
    let mut results = [0u64; NR];
    for (i, a) in args.iter_mut().enumerate() {
        // SAFETY: Wasmtime passes max(params, results) values, the first
        // NP initialised with the params.
        let v = unsafe { raw.get_unchecked(i).assume_init_ref() }.get_u64();
        // The upper half of an i32/f32 raw value is unspecified.
        *a = v & (u64::MAX >> (((narrow >> i) & 1) << 5));
    }
    invoke(hf, &mut caller, args.as_ptr(), NP, results.as_mut_ptr(), NR)?;
    for (i, r) in results.iter().enumerate() {
        // SAFETY: i < NR <= raw.len().
        unsafe { raw.get_unchecked_mut(i).write(ValRaw::u64(*r)) };
    }
    Ok(())
}

pub fn new_hostfunc(
    functype: u64,
    cb: WtCallback,
    env: *mut c_void,
    finalizer: WtFinalizer,
) -> Result<Arc<HostFunc>> {
    let cb = cb.ok_or_else(|| Error::null("callback"))?;
    let sig = handle::get::<Arc<Sig>>(functype)?.clone();
    if !sig.slot_compatible() {
        return Err(slot_error(&sig));
    }
    let (np, nr) = (sig.params.len(), sig.results.len());
    let info = if sig.numeric && np <= FAST_MAX && nr <= FAST_MAX {
        np as u64 | (nr as u64) << 8 | FAST_BIT | (sig.narrow_params & 0xffff) << 32
    } else {
        0
    };
    Ok(Arc::new(HostFunc {
        cb,
        env,
        finalizer,
        sig,
        info,
    }))
}

/// Calls a function.
///
/// `store` is the func's store, or a caller handle of that store inside a
/// host callback. `args` holds `nargs` slots and `results` receives `nresults`
/// slots; both counts must equal the function's parameter/result counts
/// (`WT_ERR_SIGNATURE` otherwise). Either pointer may be NULL when its count
/// is 0. The call runs on the calling thread; host callbacks run on it too.
/// On failure `results` is unspecified. A call that would start wasm on a
/// thread with less native stack left than the engine's wasm stack limit
/// (`wt_config_set_max_wasm_stack`) plus 128 KiB for host callbacks fails
/// with `WT_ERR_TRAP` / `WT_TRAP_STACK_OVERFLOW` instead of overflowing the
/// thread's stack (this also bounds host -> guest -> host nesting through
/// different stores).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_SIGNATURE`, `WT_ERR_INVALID_ARGUMENT` (func of another store),
/// `WT_ERR_BUSY`, `WT_ERR_TRAP`, `WT_ERR_INTERRUPTED`, `WT_ERR_OUT_OF_FUEL`,
/// `WT_ERR_CALLBACK`, `WT_ERR_EXIT`, `WT_ERR_UNSUPPORTED` (v128/GC values),
/// `WT_ERR_LIMIT` (a store cap was hit with `trap_on_grow_failure`, or this
/// thread is already inside 1,024 other stores through host callbacks).
///
/// # Safety
/// `args` must point to `nargs` readable slots and `results` to `nresults`
/// writable slots (or be NULL with a 0 count).
#[no_mangle]
pub unsafe extern "C" fn wt_call(
    store: u64,
    func: u64,
    args: *const u64,
    nargs: usize,
    results: *mut u64,
    nresults: usize,
) -> i32 {
    crate::ffi::guard_status(move || {
        // SAFETY: caller contract (passed on).
        match unsafe { call_fast(store, func, args, nargs, results, nresults) } {
            Some(st) => st,
            None => crate::ffi::status(unsafe {
                call_checked(store, func, args, nargs, results, nresults)
            }),
        }
    })
}

/// `wt_call`'s fast path, for the common case: a live func handle of an
/// all-numeric signature with matching counts, called with its own idle
/// store by the thread that owns it (`owner.rs`: plain stores, no atomic
/// read-modify-write) or with the caller handle of the callback running on
/// this thread (already inside the store). The func handle
/// is validated without a guard (`handle::peek_aux`): the `Func` in its aux
/// words stays valid while its store is held, even if the handle is freed
/// meanwhile. Any other
/// case returns `None` before doing anything, and `call_checked` then runs
/// the guarded path, which reports precise errors.
///
/// # Safety
/// As `wt_call`.
#[inline(always)]
unsafe fn call_fast(
    store: u64,
    func: u64,
    args: *const u64,
    nargs: usize,
    results: *mut u64,
    nresults: usize,
) -> Option<i32> {
    let [fstore, f0, f1, info] = handle::peek_aux(func, handle::WT_KIND_FUNC)?;
    // SAFETY: the bits of a `Func` (a live func handle's aux words 1-2);
    // it is only used below while its store is held.
    let f = unsafe { func_from_bits([f0, f1]) };
    // Counts below 256 cannot alias in the packed comparison; a fast-path
    // signature has at most FAST_MAX of each.
    if (nargs | nresults) >= 256
        || info as u32 as u64 != nargs as u64 | (nresults as u64) << 8 | FAST_BIT
    {
        return None;
    }
    // NULL is allowed with a 0 count; one test in the common case.
    if (args.is_null() | results.is_null())
        && ((args.is_null() && nargs != 0) || (results.is_null() && nresults != 0))
    {
        return None;
    }
    let me = crate::owner::me();
    if store == fstore {
        // `fstore` is the store handle the func was made in, so `store` is
        // of the store kind; `try_enter` checks that it is still live.
        // SAFETY: the table issued `fstore` (a func's aux words).
        let entry = unsafe { handle::try_enter(store, me) }?;
        let so = crate::store::StoreObj::of(&entry);
        let id = entry.rec().id.get();
        if !so.stack_checked(id) {
            let engine = so.engine.engine.clone();
            if let Err(e) = crate::store::check_native_stack_slow(so, id, &engine) {
                return Some(e.store());
            }
        }
        // SAFETY: we hold the store busy; no Caller of it is live (that would
        // mean this thread is inside its callback, and then it is busy).
        let st = unsafe { so.store_mut() };
        so.arm_timeout(st);
        // SAFETY: `f` is a func of this store (the func handle's store is
        // `store`, which is alive), the counts match its signature.
        let status = unsafe { call_shaped(st, &f, info, args, results) };
        entry.leave();
        Some(status)
    } else {
        let [cstore, ..] = handle::peek_aux(store, handle::WT_KIND_CALLER)?;
        if cstore != fstore {
            return None;
        }
        let handle::Object::Store(so) = handle::held_by(cstore, handle::WT_KIND_STORE, me)? else {
            return None;
        };
        // SAFETY: this thread holds the store up its stack.
        let caller = unsafe { so.current_caller() }?;
        // SAFETY: as above, through the running callback's Caller.
        Some(unsafe { raw_call(caller, &f, info, args, results) })
    }
}

/// Defines the shapes, [`SHAPES`], and [`call_shaped`] from one list, so
/// that the two cannot disagree. Shape `i` is the `i`-th pair, from 1.
macro_rules! call_shapes {
    ($($i:literal => ($p:literal, $r:literal),)*) => {
        /// The (params, results) counts that `wt_call` runs through code
        /// specialised on them (straight-line copies, no count decoding):
        /// shape `i + 1` is `SHAPES[i]`; shape 0 takes the general copies.
        const SHAPES: &[(usize, usize)] = &[$(($p, $r)),*];
        const _: () = {
            let mut k = 0;
            $(
                k += 1;
                assert!($i == k, "shapes are numbered 1, 2, 3, ... in order");
            )*
        };

        /// [`raw_call`] through code specialised on the signature's counts
        /// when it has one of the [`SHAPES`] (one jump on the shape instead
        /// of decoding and dispatching on each count).
        ///
        /// # Safety
        /// As [`raw_call`].
        #[inline(always)]
        unsafe fn call_shaped(
            cx: &mut wasmtime::Store<Host>,
            f: &Func,
            info: u64,
            args: *const u64,
            results: *mut u64,
        ) -> i32 {
            let narrow = info >> 32;
            // SAFETY (all arms): shape i is given only to signatures with
            // exactly these counts (`sig_info`), which `call_fast` checked
            // against the caller's counts.
            match info >> SHAPE_SHIFT {
                $($i => unsafe { raw_call_n(cx, f, $p, $r, narrow, args, results) },)*
                _ => unsafe { raw_call(cx, f, info, args, results) },
            }
        }
    };
}

call_shapes! {
    1 => (0, 0),
    2 => (0, 1),
    3 => (1, 0),
    4 => (1, 1),
    5 => (2, 0),
    6 => (2, 1),
    7 => (3, 0),
    8 => (3, 1),
    9 => (4, 1),
    10 => (4, 2),
}

/// Calls the func `f` of the store in `cx` with numeric
/// slots; returns the call's status (a failure is stored as the thread's
/// last error).
///
/// # Safety
/// `f` is a func of this store; `info` is its `sig_info` (fast);
/// `args`/`results` hold its parameter/result counts of slots.
#[inline(always)]
unsafe fn raw_call(
    cx: impl AsContextMut<Data = Host>,
    f: &Func,
    info: u64,
    args: *const u64,
    results: *mut u64,
) -> i32 {
    let np = (info & 0xff) as usize;
    let nr = ((info >> 8) & 0xff) as usize;
    // SAFETY: passed on (`info` is the func's `sig_info`).
    unsafe { raw_call_n(cx, f, np, nr, info >> 32, args, results) }
}

/// [`raw_call`] with the counts and narrow-result mask given (constants
/// in [`call_shaped`]).
///
/// # Safety
/// As [`raw_call`], with `np`/`nr` the func's counts (at most `FAST_MAX`).
#[inline(always)]
unsafe fn raw_call_n(
    mut cx: impl AsContextMut<Data = Host>,
    f: &Func,
    np: usize,
    nr: usize,
    narrow: u64,
    args: *const u64,
    results: *mut u64,
) -> i32 {
    let mut buf = [const { MaybeUninit::<ValRaw>::uninit() }; FAST_MAX];
    let vals = buf.as_mut_ptr() as *mut ValRaw;
    // SAFETY: the caller guarantees `np` readable args; np, nr <= FAST_MAX.
    unsafe {
        copy_in(vals, args, np);
        for i in np..nr {
            vals.add(i).write(ValRaw::u64(0));
        }
    }
    // SAFETY: every param and result is numeric, the buffer holds
    // max(params, results) initialised values, the func is of this store.
    if let Err(e) = unsafe {
        f.call_unchecked(
            cx.as_context_mut(),
            std::ptr::slice_from_raw_parts_mut(vals, np.max(nr)),
        )
    } {
        return call_failed(&mut cx, e).store();
    }
    // SAFETY: initialised above and overwritten by the call's results; the
    // caller guarantees `nr` writable results.
    unsafe { copy_out(vals, results, nr, narrow) };
    crate::error::WT_OK
}

/// Copies `n` argument slots into raw values (straight-line code for the
/// common small counts).
///
/// # Safety
/// `args` holds `n` readable slots and `vals` room for `n` values.
#[inline(always)]
unsafe fn copy_in(vals: *mut ValRaw, args: *const u64, n: usize) {
    macro_rules! put {
        ($($i:literal)*) => {
            // SAFETY: i < n (caller contract).
            unsafe { $(vals.add($i).write(ValRaw::u64(*args.add($i)));)* }
        };
    }
    match n {
        0 => {}
        1 => put!(0),
        2 => put!(0 1),
        3 => put!(0 1 2),
        4 => put!(0 1 2 3),
        _ => {
            for i in 0..n {
                // SAFETY: i < n (caller contract).
                unsafe { vals.add(i).write(ValRaw::u64(*args.add(i))) };
            }
        }
    }
}

/// Copies `n` result values out as slots; bit i of `narrow` masks result i
/// to its low 32 bits (i32/f32: the upper half of a raw value is unspecified).
///
/// # Safety
/// `vals` holds `n` initialised values and `results` room for `n` slots.
#[inline(always)]
unsafe fn copy_out(vals: *const ValRaw, results: *mut u64, n: usize, narrow: u64) {
    // All ones, or the low 32 bits when the result is narrow.
    let mask = |i: usize| u64::MAX >> (((narrow >> i) & 1) << 5);
    macro_rules! get {
        ($($i:literal)*) => {
            // SAFETY: i < n (caller contract).
            unsafe { $(*results.add($i) = (*vals.add($i)).get_u64() & mask($i);)* }
        };
    }
    match n {
        0 => {}
        1 => get!(0),
        2 => get!(0 1),
        _ => {
            for i in 0..n {
                // SAFETY: i < n (caller contract).
                unsafe { *results.add(i) = (*vals.add(i)).get_u64() & mask(i) };
            }
        }
    }
}

#[cold]
#[inline(never)]
fn call_failed(cx: &mut impl AsContextMut<Data = Host>, e: wasmtime::Error) -> Error {
    let timed_out = cx.as_context_mut().data().timed_out;
    error::from_wasmtime(e, timed_out)
}

/// `wt_call` with full checks and precise errors (and the converting path
/// for reference-typed signatures).
///
/// # Safety
/// As `wt_call`.
#[inline(never)]
unsafe fn call_checked(
    store: u64,
    func: u64,
    args: *const u64,
    nargs: usize,
    results: *mut u64,
    nresults: usize,
) -> Result<()> {
    let f = handle::get::<FuncObj>(func)?;
    if f.sig.params.len() != nargs || f.sig.results.len() != nresults {
        return Err(Error::new(
            WT_ERR_SIGNATURE,
            format!(
                "function {} takes {} argument(s) and returns {} result(s), but the call passed {nargs} argument(s) and space for {nresults} result(s)",
                f.sig.describe(),
                f.sig.params.len(),
                f.sig.results.len()
            ),
        ));
    }
    let args = unsafe { crate::ffi::slice_arg(args, nargs, "args")? };
    if nresults > 0 && results.is_null() {
        return Err(Error::null("results"));
    }
    let results: &mut [u64] = if nresults == 0 {
        &mut []
    } else {
        // SAFETY: caller contract; non-null checked above.
        unsafe { std::slice::from_raw_parts_mut(results, nresults) }
    };
    with_store(store, |so, cx| {
        check_same_store(f.store_uid, so, "func")?;
        call(cx, so, &f, args, results)
    })
}

/// Creates a host callback object from a functype, a callback, its `env` and
/// an optional `finalizer` that is called with `env` once the callback handle
/// is freed and no linker or store uses the function any more (on whichever
/// thread drops the last use). Use it with `wt_linker_define_func` or
/// `wt_func_new`. `env` must be usable from every thread that calls wasm.
/// If this function fails, the finalizer is never called: `env` stays yours.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_UNSUPPORTED` (a v128/GC type in the functype).
///
/// # Safety
/// `out_callback` must be NULL or valid for writes; `callback` and
/// `finalizer` must be valid C functions of their types.
#[no_mangle]
pub unsafe extern "C" fn wt_callback_new(
    functype: u64,
    callback: WtCallback,
    env: *mut c_void,
    finalizer: WtFinalizer,
    out_callback: *mut u64,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_callback, "out_callback")? };
        let hf = new_hostfunc(functype, callback, env, finalizer)?;
        let keep = hf.clone();
        match handle::insert(hf) {
            Ok(h) => {
                *o = h;
                Ok(())
            }
            Err(e) => {
                // On failure `env` stays the caller's: disarm the finalizer.
                if let Ok(mut inner) = Arc::try_unwrap(keep) {
                    inner.finalizer = None;
                }
                Err(e)
            }
        }
    })
}

/// Creates a func in `store` backed by a host callback object: for passing
/// host functions as funcref values, into tables, or to `wt_linker_define`.
/// `*out_func` receives a func handle owned by the store.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_BUSY`.
///
/// # Safety
/// `out_func` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_func_new(store: u64, callback: u64, out_func: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_func, "out_func")? };
        let hf = handle::get::<Arc<HostFunc>>(callback)?.clone();
        with_store(store, |so, cx| {
            struct NewFunc<'a, 'b> {
                cx: &'a mut Cx<'b>,
                ty: wasmtime::FuncType,
            }
            impl TakeClosure for NewFunc<'_, '_> {
                type Out = Func;
                fn take<F>(self, f: F) -> Func
                where
                    F: Fn(Caller<'_, Host>, &mut [MaybeUninit<ValRaw>]) -> wasmtime::Result<()>
                        + Send
                        + Sync
                        + 'static,
                {
                    // SAFETY: the trampolines read and write exactly the
                    // values of `ty` (the host function's signature).
                    unsafe { Func::new_unchecked(&mut *self.cx, self.ty, f) }
                }
            }
            let ty = hf.sig.to_functype(&so.engine.engine)?;
            let func = with_host_closure(hf, NewFunc { cx: &mut *cx, ty });
            *o = adopt_func(cx, func)?;
            Ok(())
        })
    })
}

/// Sets the message reported when the running host callback returns a
/// non-zero status (the guest traps and `wt_call` fails with
/// `WT_ERR_CALLBACK` and this message). Call it from inside the callback,
/// with its caller handle, just before returning the non-zero status.
/// Statuses: `WT_ERR_BAD_HANDLE` (not a live caller), `WT_ERR_WRONG_KIND`,
/// `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (invalid UTF-8).
///
/// # Safety
/// `msg` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_caller_set_error(caller: u64, msg: *const c_char, len: usize) -> i32 {
    guard(|| {
        let msg = unsafe { str_arg(msg, len, "msg")? }.to_string();
        handle::get::<crate::store::CallerObj>(caller)?;
        with_store(caller, |_, cx| {
            if !cx.is_caller() {
                return Err(Error::bad_handle(caller, "not inside a host callback"));
            }
            cx.data_mut().callback_msg = Some(msg);
            Ok(())
        })
    })
}
