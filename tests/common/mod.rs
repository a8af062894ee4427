//! Helpers for calling libwt's C ABI from Rust exactly as a C program would.
#![allow(dead_code)]

use std::ffi::{c_void, CStr};

pub use wt::*;

/// The last error message on this thread.
pub fn msg() -> String {
    unsafe { CStr::from_ptr(wt_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Asserts success, showing the message otherwise.
#[track_caller]
pub fn ok(status: i32) {
    assert_eq!(status, WT_OK, "status {status}: {}", msg());
}

/// Asserts a specific failure status and returns the message.
#[track_caller]
pub fn fails(status: i32, want: i32) -> String {
    let m = msg();
    assert_eq!(status, want, "wanted status {want}, got {status}: {m}");
    assert_eq!(wt_error_status(), want);
    m
}

pub fn engine() -> u64 {
    let mut e = 0;
    ok(unsafe { wt_engine_new(&mut e) });
    e
}

pub fn engine_with(f: impl FnOnce(u64)) -> u64 {
    let mut c = 0;
    ok(unsafe { wt_config_new(&mut c) });
    f(c);
    let mut e = 0;
    ok(unsafe { wt_engine_new_with_config(c, &mut e) });
    ok(wt_free(c));
    e
}

pub fn store(engine: u64) -> u64 {
    let mut s = 0;
    ok(unsafe { wt_store_new(engine, &mut s) });
    s
}

pub fn module(engine: u64, wat: &str) -> u64 {
    let mut m = 0;
    ok(unsafe { wt_module_from_wat(engine, wat.as_ptr().cast(), wat.len(), &mut m) });
    m
}

pub fn linker(engine: u64) -> u64 {
    let mut l = 0;
    ok(unsafe { wt_linker_new(engine, &mut l) });
    l
}

pub fn functype(params: &[i32], results: &[i32]) -> u64 {
    let mut f = 0;
    ok(unsafe {
        wt_functype_new(
            params.as_ptr(),
            params.len(),
            results.as_ptr(),
            results.len(),
            &mut f,
        )
    });
    f
}

pub type Cb = unsafe extern "C" fn(*mut c_void, u64, *const u64, usize, *mut u64, usize) -> i32;

/// A host callback that returns its `env` pointer as its one result (the
/// tests pass small integers or func handles through it).
pub unsafe extern "C" fn return_env(
    env: *mut c_void,
    _caller: u64,
    _args: *const u64,
    _nargs: usize,
    results: *mut u64,
    _nresults: usize,
) -> i32 {
    unsafe { *results = env as u64 };
    0
}

/// Defines `module.name` in a linker from a host callback object made with
/// `finalizer` (so the env's release can be observed), leaving the linker
/// as the callback object's only holder.
pub fn define_with_finalizer(
    linker: u64,
    module: &str,
    name: &str,
    functype: u64,
    cb: Cb,
    env: *mut c_void,
    finalizer: unsafe extern "C" fn(*mut c_void),
) {
    let mut obj = 0;
    ok(unsafe { wt_callback_new(functype, Some(cb), env, Some(finalizer), &mut obj) });
    ok(unsafe {
        wt_linker_define_func(
            linker,
            module.as_ptr().cast(),
            module.len(),
            name.as_ptr().cast(),
            name.len(),
            obj,
        )
    });
    ok(wt_free(obj));
}

pub fn define(
    linker: u64,
    module: &str,
    name: &str,
    params: &[i32],
    results: &[i32],
    cb: Cb,
    env: *mut c_void,
) {
    let ft = functype(params, results);
    ok(unsafe {
        wt_linker_define_callback(
            linker,
            module.as_ptr().cast(),
            module.len(),
            name.as_ptr().cast(),
            name.len(),
            ft,
            Some(cb),
            env,
        )
    });
    ok(wt_free(ft));
}

pub fn instantiate(linker: u64, store: u64, module: u64) -> u64 {
    let mut i = 0;
    ok(unsafe { wt_linker_instantiate(linker, store, module, &mut i) });
    i
}

pub fn func(store: u64, instance: u64, name: &str) -> u64 {
    let mut f = 0;
    ok(unsafe { wt_instance_get_func(store, instance, name.as_ptr().cast(), name.len(), &mut f) });
    f
}

pub fn memory(store: u64, instance: u64, name: &str) -> u64 {
    let mut m = 0;
    ok(unsafe {
        wt_instance_get_memory(store, instance, name.as_ptr().cast(), name.len(), &mut m)
    });
    m
}

pub fn call(
    store: u64,
    func: u64,
    args: &[u64],
    nresults: usize,
) -> Result<Vec<u64>, (i32, String)> {
    let mut results = vec![0u64; nresults];
    let st = unsafe {
        wt_call(
            store,
            func,
            args.as_ptr(),
            args.len(),
            results.as_mut_ptr(),
            nresults,
        )
    };
    if st == WT_OK {
        Ok(results)
    } else {
        Err((st, msg()))
    }
}

/// A whole instance from WAT with no imports: (engine, store, instance).
pub fn quick(wat: &str) -> (u64, u64, u64) {
    let e = engine();
    let s = store(e);
    let m = module(e, wat);
    let l = linker(e);
    let i = instantiate(l, s, m);
    ok(wt_free(m));
    ok(wt_free(l));
    (e, s, i)
}

pub fn bytes(h: u64) -> Vec<u8> {
    let mut p = std::ptr::null();
    let mut n = 0;
    ok(unsafe { wt_bytes_data(h, &mut p, &mut n) });
    unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
}
