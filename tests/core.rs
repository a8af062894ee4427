//! The core ABI (issue: hello world, calls, callbacks, errors, handles, threads).

mod common;
use common::*;

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

const HELLO: &str = r#"(module
  (import "" "hello" (func $hello))
  (func (export "run") (call $hello)))"#;

unsafe extern "C" fn count_cb(
    env: *mut c_void,
    _c: u64,
    _a: *const u64,
    _n: usize,
    _r: *mut u64,
    _m: usize,
) -> i32 {
    unsafe { &*(env as *const AtomicUsize) }.fetch_add(1, Ordering::SeqCst);
    0
}

#[test]
fn hello_world_runs_the_callback() {
    let counter = AtomicUsize::new(0);
    let e = engine();
    let s = store(e);
    let m = module(e, HELLO);
    let l = linker(e);
    define(
        l,
        "",
        "hello",
        &[],
        &[],
        count_cb,
        &counter as *const _ as *mut c_void,
    );
    let i = instantiate(l, s, m);
    let run = func(s, i, "run");
    call(s, run, &[], 0).unwrap();
    call(s, run, &[], 0).unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2);
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn module_from_wasm_bytes_and_wat2wasm() {
    let wat = "(module (func (export \"f\") (result i32) i32.const 7))";
    let mut b = 0;
    ok(unsafe { wt_wat2wasm(wat.as_ptr().cast(), wat.len(), &mut b) });
    let wasm = bytes(b);
    assert_eq!(&wasm[..4], b"\0asm");
    let e = engine();
    ok(unsafe { wt_module_validate(e, wasm.as_ptr(), wasm.len()) });
    let mut m = 0;
    ok(unsafe { wt_module_from_wasm(e, wasm.as_ptr(), wasm.len(), &mut m) });
    let s = store(e);
    let l = linker(e);
    let i = instantiate(l, s, m);
    assert_eq!(call(s, func(s, i, "f"), &[], 1).unwrap(), vec![7]);
    // Validation rejects garbage with a compile status.
    let st = unsafe { wt_module_validate(e, b"\0asm\x01\0\0\0\x01".as_ptr(), 9) };
    fails(st, WT_ERR_COMPILE);
    for h in [b, m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn numeric_params_and_multiple_results() {
    let (e, s, i) = quick(
        r#"(module
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32 f32)
            (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
            (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
            (i32.sub (i32.const 0) (local.get 0))
            (local.get 2)))"#,
    );
    let add = func(s, i, "add");
    assert_eq!(call(s, add, &[40, 2], 1).unwrap(), vec![42]);
    // i32 results are zero-extended into the slot even when negative.
    assert_eq!(
        call(s, add, &[(-7i32) as u32 as u64, 2], 1).unwrap(),
        vec![(-5i32) as u32 as u64]
    );
    let mix = func(s, i, "mix");
    let r = call(
        s,
        mix,
        &[
            (-5i32) as u32 as u64,
            10_000_000_000,
            1.5f32.to_bits() as u64,
            2.25f64.to_bits(),
        ],
        4,
    )
    .unwrap();
    assert_eq!(f64::from_bits(r[0]), 3.75);
    assert_eq!(r[1] as i64, 9_999_999_995);
    assert_eq!(r[2], 5);
    assert_eq!(r[3], 1.5f32.to_bits() as u64);

    let mut n = 0;
    ok(unsafe { wt_func_param_count(mix, &mut n) });
    assert_eq!(n, 4);
    ok(unsafe { wt_func_result_count(mix, &mut n) });
    assert_eq!(n, 4);
    let mut t = -1;
    let want = [WT_I32, WT_I64, WT_F32, WT_F64];
    for (k, w) in want.iter().enumerate() {
        ok(unsafe { wt_func_param_type(mix, k, &mut t) });
        assert_eq!(t, *w);
    }
    ok(unsafe { wt_func_result_type(mix, 2, &mut t) });
    assert_eq!(t, WT_I32);
    fails(
        unsafe { wt_func_param_type(mix, 4, &mut t) },
        WT_ERR_OUT_OF_BOUNDS,
    );
    ok(wt_free(s));
    ok(wt_free(e));
}

#[test]
fn invalid_wat_reports_line_and_column() {
    let e = engine();
    let wat = "(module\n  (func (result i32)\n    i32.bogus))";
    let mut m = 0;
    let st = unsafe { wt_module_from_wat(e, wat.as_ptr().cast(), wat.len(), &mut m) };
    let m_ = fails(st, WT_ERR_COMPILE);
    assert!(m_.contains("line 3, column 5"), "{m_}");
    assert_eq!(m, 0, "out handle untouched on failure");
    // Not UTF-8.
    let st = unsafe { wt_module_from_wat(e, b"\xff\xfe".as_ptr().cast(), 2, &mut m) };
    fails(st, WT_ERR_INVALID_ARGUMENT);
    // Valid WAT, invalid module (type error).
    let wat = "(module (func (result i32) (i64.const 1)))";
    let st = unsafe { wt_module_from_wat(e, wat.as_ptr().cast(), wat.len(), &mut m) };
    let m_ = fails(st, WT_ERR_COMPILE);
    assert!(m_.contains("type mismatch"), "{m_}");
    ok(wt_free(e));
}

#[test]
fn missing_import_names_module_and_field() {
    let e = engine();
    let s = store(e);
    let m = module(e, r#"(module (import "env" "log_it" (func (param i32))))"#);
    let l = linker(e);
    let mut i = 0;
    let st = unsafe { wt_linker_instantiate(l, s, m, &mut i) };
    let msg = fails(st, WT_ERR_LINK);
    assert!(msg.contains("env") && msg.contains("log_it"), "{msg}");
    // Wrong signature for an import is a link error too.
    define(
        l,
        "env",
        "log_it",
        &[WT_I64],
        &[],
        count_cb,
        std::ptr::null_mut(),
    );
    let st = unsafe { wt_linker_instantiate(l, s, m, &mut i) };
    let msg = fails(st, WT_ERR_LINK);
    assert!(msg.contains("log_it"), "{msg}");
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn wrong_argument_counts_and_null_arrays() {
    let (e, s, i) = quick(
        r#"(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#,
    );
    let add = func(s, i, "add");
    let (st, m) = call(s, add, &[1], 1).unwrap_err();
    assert_eq!(st, WT_ERR_SIGNATURE);
    assert!(
        m.contains("takes 2 argument(s)") && m.contains("passed 1"),
        "{m}"
    );
    assert_eq!(call(s, add, &[1, 2], 0).unwrap_err().0, WT_ERR_SIGNATURE);
    assert_eq!(call(s, add, &[1, 2, 3], 1).unwrap_err().0, WT_ERR_SIGNATURE);
    let mut r = 0u64;
    fails(
        unsafe { wt_call(s, add, std::ptr::null(), 2, &mut r, 1) },
        WT_ERR_NULL_POINTER,
    );
    let a = [1u64, 2];
    fails(
        unsafe { wt_call(s, add, a.as_ptr(), 2, std::ptr::null_mut(), 1) },
        WT_ERR_NULL_POINTER,
    );
    ok(wt_free(s));
    ok(wt_free(e));
}

#[test]
fn traps_report_code_message_and_backtrace() {
    let (e, s, i) = quick(
        r#"(module
          (func $inner (export "unreachable") unreachable)
          (func (export "nested") (call $inner))
          (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
          (memory 1)
          (func (export "oob") (result i32) (i32.load (i32.const 70000))))"#,
    );
    let (st, m) = call(s, func(s, i, "unreachable"), &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_TRAP);
    assert_eq!(wt_error_trap_code(), WT_TRAP_UNREACHABLE);
    assert!(m.contains("unreachable"), "{m}");
    let (_, m) = call(s, func(s, i, "nested"), &[], 0).unwrap_err();
    assert!(m.contains("wasm backtrace") && m.contains("inner"), "{m}");
    let (st, m) = call(s, func(s, i, "div"), &[0], 1).unwrap_err();
    assert_eq!(st, WT_ERR_TRAP);
    assert_eq!(wt_error_trap_code(), WT_TRAP_INTEGER_DIVISION_BY_ZERO);
    assert!(m.contains("divide by zero"), "{m}");
    call(s, func(s, i, "oob"), &[], 1).unwrap_err();
    assert_eq!(wt_error_trap_code(), WT_TRAP_MEMORY_OUT_OF_BOUNDS);
    // The store remains usable after a trap.
    assert_eq!(call(s, func(s, i, "div"), &[1], 1).unwrap(), vec![1]);
    ok(wt_free(s));
    ok(wt_free(e));
}

#[test]
fn bad_stale_wrong_kind_and_random_handles() {
    let e = engine();
    let s = store(e);
    let mut out = 0;
    // 0, never issued, random.
    fails(unsafe { wt_store_new(0, &mut out) }, WT_ERR_BAD_HANDLE);
    fails(
        unsafe { wt_store_new(0xdead_beef_dead_beef, &mut out) },
        WT_ERR_BAD_HANDLE,
    );
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let st = unsafe { wt_store_new(x, &mut out) };
        assert!(st == WT_ERR_BAD_HANDLE || st == WT_ERR_WRONG_KIND, "{st}");
        let st = wt_free(x);
        assert!(
            st == WT_ERR_BAD_HANDLE,
            "random free must not succeed: {st}"
        );
        let st = unsafe { wt_call(x, x, std::ptr::null(), 0, std::ptr::null_mut(), 0) };
        assert_ne!(st, WT_OK);
    }
    // Wrong kind: a store where an engine is expected, and vice versa.
    let m = fails(unsafe { wt_store_new(s, &mut out) }, WT_ERR_WRONG_KIND);
    assert!(m.contains("store") && m.contains("engine"), "{m}");
    fails(
        unsafe { wt_call(e, s, std::ptr::null(), 0, std::ptr::null_mut(), 0) },
        WT_ERR_WRONG_KIND,
    );
    let mut kind = 0;
    ok(unsafe { wt_handle_kind(s, &mut kind) });
    assert_eq!(kind, WT_KIND_STORE);
    // Stale: double free, and use after free.
    ok(wt_free(s));
    fails(wt_free(s), WT_ERR_BAD_HANDLE);
    fails(unsafe { wt_store_get_fuel(s, &mut out) }, WT_ERR_BAD_HANDLE);
    // A handle with a forged kind byte is not accepted either.
    let forged = (e & !(0xffu64 << 56)) | ((WT_KIND_STORE as u64) << 56);
    fails(
        unsafe { wt_store_get_fuel(forged, &mut out) },
        WT_ERR_BAD_HANDLE,
    );
    ok(wt_free(e));
    fails(unsafe { wt_store_new(e, &mut out) }, WT_ERR_BAD_HANDLE);
}

#[test]
fn null_out_pointers_are_errors() {
    fails(
        unsafe { wt_engine_new(std::ptr::null_mut()) },
        WT_ERR_NULL_POINTER,
    );
    fails(
        unsafe { wt_config_new(std::ptr::null_mut()) },
        WT_ERR_NULL_POINTER,
    );
    let e = engine();
    fails(
        unsafe { wt_store_new(e, std::ptr::null_mut()) },
        WT_ERR_NULL_POINTER,
    );
    let wat = "(module)";
    fails(
        unsafe { wt_module_from_wat(e, wat.as_ptr().cast(), wat.len(), std::ptr::null_mut()) },
        WT_ERR_NULL_POINTER,
    );
    let mut m = 0;
    fails(
        unsafe { wt_module_from_wat(e, std::ptr::null(), 5, &mut m) },
        WT_ERR_NULL_POINTER,
    );
    fails(
        unsafe { wt_functype_new(std::ptr::null(), 1, std::ptr::null(), 0, &mut m) },
        WT_ERR_NULL_POINTER,
    );
    let l = linker(e);
    let ft = functype(&[], &[]);
    fails(
        unsafe {
            wt_linker_define_callback(
                l,
                "".as_ptr().cast(),
                0,
                "x".as_ptr().cast(),
                1,
                ft,
                None,
                std::ptr::null_mut(),
            )
        },
        WT_ERR_NULL_POINTER,
    );
    fails(
        unsafe { wt_functype_new([99].as_ptr(), 1, std::ptr::null(), 0, &mut m) },
        WT_ERR_INVALID_ARGUMENT,
    );
    for h in [ft, l, e] {
        ok(wt_free(h));
    }
}

#[test]
fn freeing_a_store_invalidates_what_lives_in_it() {
    let (e, s, i) = quick(r#"(module (memory (export "mem") 1) (func (export "f")))"#);
    let f = func(s, i, "f");
    let mem = memory(s, i, "mem");
    ok(wt_free(s));
    let mut k = 0;
    for h in [i, f, mem] {
        fails(unsafe { wt_handle_kind(h, &mut k) }, WT_ERR_BAD_HANDLE);
        fails(wt_free(h), WT_ERR_BAD_HANDLE);
    }
    // A func from one store cannot be called through another.
    let (e2, s2, i2) = quick(r#"(module (func (export "f")))"#);
    let f2 = func(s2, i2, "f");
    let s3 = store(e2);
    let m = fails(
        unsafe { wt_call(s3, f2, std::ptr::null(), 0, std::ptr::null_mut(), 0) },
        WT_ERR_INVALID_ARGUMENT,
    );
    assert!(m.contains("another store"), "{m}");
    for h in [s2, s3, e2, e] {
        ok(wt_free(h));
    }
}

// ---- callbacks ---------------------------------------------------------------

unsafe extern "C" fn add_cb(
    _e: *mut c_void,
    _c: u64,
    a: *const u64,
    n: usize,
    r: *mut u64,
    m: usize,
) -> i32 {
    assert_eq!((n, m), (2, 2));
    let a = unsafe { std::slice::from_raw_parts(a, n) };
    let r = unsafe { std::slice::from_raw_parts_mut(r, m) };
    r[0] = (a[0] as u32).wrapping_add(a[1] as u32) as u64;
    r[1] = a[0].wrapping_mul(1000) as u32 as u64;
    0
}

#[test]
fn callback_params_and_multiple_results() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    define(
        l,
        "env",
        "pair",
        &[WT_I32, WT_I32],
        &[WT_I32, WT_I32],
        add_cb,
        std::ptr::null_mut(),
    );
    let m = module(
        e,
        r#"(module (import "env" "pair" (func $pair (param i32 i32) (result i32 i32)))
           (func (export "run") (param i32 i32) (result i32 i32) (call $pair (local.get 0) (local.get 1))))"#,
    );
    let i = instantiate(l, s, m);
    let r = call(s, func(s, i, "run"), &[(-1i32) as u32 as u64, 3], 2).unwrap();
    assert_eq!(
        r,
        vec![2, ((-1i32) as u32 as u64).wrapping_mul(1000) as u32 as u64]
    );
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

/// Calls export "double" of the calling instance through the caller handle.
unsafe extern "C" fn reenter_cb(
    _e: *mut c_void,
    caller: u64,
    a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    let mut kind = 0;
    let mut f = 0;
    let st =
        unsafe { wt_caller_get_export(caller, "double".as_ptr().cast(), 6, &mut f, &mut kind) };
    if st != WT_OK || kind != WT_EXTERN_FUNC {
        return 1;
    }
    let mut out = 0u64;
    let st = unsafe { wt_call(caller, f, a, 1, &mut out, 1) };
    if st != WT_OK {
        return st;
    }
    unsafe { *r = out + 1 };
    0
}

#[test]
fn callback_calls_back_into_its_instance_through_the_caller() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    define(
        l,
        "env",
        "host",
        &[WT_I32],
        &[WT_I32],
        reenter_cb,
        std::ptr::null_mut(),
    );
    let m = module(
        e,
        r#"(module (import "env" "host" (func $host (param i32) (result i32)))
           (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
           (func (export "run") (param i32) (result i32) (call $host (local.get 0))))"#,
    );
    let i = instantiate(l, s, m);
    assert_eq!(call(s, func(s, i, "run"), &[20], 1).unwrap(), vec![41]);
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

static CALLER_SEEN: std::sync::Mutex<u64> = std::sync::Mutex::new(0);

unsafe extern "C" fn remember_caller(
    _e: *mut c_void,
    caller: u64,
    _a: *const u64,
    _n: usize,
    _r: *mut u64,
    _m: usize,
) -> i32 {
    *CALLER_SEEN.lock().unwrap() = caller;
    // Using the store handle itself from inside the callback also works.
    0
}

#[test]
fn caller_handle_is_invalid_outside_the_callback() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    define(l, "", "h", &[], &[], remember_caller, std::ptr::null_mut());
    let m = module(
        e,
        r#"(module (import "" "h" (func $h)) (memory (export "memory") 1) (func (export "run") (call $h)))"#,
    );
    let i = instantiate(l, s, m);
    call(s, func(s, i, "run"), &[], 0).unwrap();
    let caller = *CALLER_SEEN.lock().unwrap();
    let mut kind = 0;
    ok(unsafe { wt_handle_kind(caller, &mut kind) });
    assert_eq!(kind, WT_KIND_CALLER);
    let mut f = 0;
    let st = unsafe {
        wt_caller_get_export(
            caller,
            "memory".as_ptr().cast(),
            6,
            &mut f,
            std::ptr::null_mut(),
        )
    };
    let msg = fails(st, WT_ERR_BAD_HANDLE);
    assert!(msg.contains("outside"), "{msg}");
    fails(wt_free(caller), WT_ERR_INVALID_ARGUMENT);
    ok(wt_free(s));
    fails(
        unsafe { wt_handle_kind(caller, &mut kind) },
        WT_ERR_BAD_HANDLE,
    );
    // Stale now: a bad handle, not a caller handle that cannot be freed.
    fails(wt_free(caller), WT_ERR_BAD_HANDLE);
    for h in [m, l, e] {
        ok(wt_free(h));
    }
}

unsafe extern "C" fn fail_cb(
    env: *mut c_void,
    caller: u64,
    _a: *const u64,
    _n: usize,
    _r: *mut u64,
    _m: usize,
) -> i32 {
    if !env.is_null() {
        let msg = "custom failure from the host";
        unsafe { wt_caller_set_error(caller, msg.as_ptr().cast(), msg.len()) };
    }
    7
}

#[test]
fn failing_callback_traps_with_its_message() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    define(
        l,
        "",
        "with_msg",
        &[],
        &[],
        fail_cb,
        std::ptr::dangling_mut::<c_void>(),
    );
    define(l, "", "no_msg", &[], &[], fail_cb, std::ptr::null_mut());
    let m = module(
        e,
        r#"(module (import "" "with_msg" (func $a)) (import "" "no_msg" (func $b))
           (func (export "a") (call $a)) (func (export "b") (call $b)))"#,
    );
    let i = instantiate(l, s, m);
    let (st, msg) = call(s, func(s, i, "a"), &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_CALLBACK);
    assert!(
        msg.contains("custom failure from the host") && msg.contains("status 7"),
        "{msg}"
    );
    let (st, msg) = call(s, func(s, i, "b"), &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_CALLBACK);
    assert!(msg.contains("returned status 7"), "{msg}");
    // The store still works.
    call(s, func(s, i, "a"), &[], 0).unwrap_err();
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

unsafe extern "C" fn thread_id_cb(
    env: *mut c_void,
    _c: u64,
    _a: *const u64,
    _n: usize,
    _r: *mut u64,
    _m: usize,
) -> i32 {
    let want = unsafe { &*(env as *const std::thread::ThreadId) };
    if *want == std::thread::current().id() {
        0
    } else {
        1
    }
}

#[test]
fn callbacks_run_on_the_calling_thread_and_8_threads_run_in_parallel() {
    let e = engine();
    let m = module(
        e,
        r#"(module (import "" "check" (func $check))
           (func (export "sum") (param i32) (result i32) (local i32)
             (call $check)
             (block (loop
               (br_if 1 (i32.eqz (local.get 0)))
               (local.set 1 (i32.add (local.get 1) (local.get 0)))
               (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
               (br 0)))
             (local.get 1)))"#,
    );
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let me = std::thread::current().id();
                let s = store(e);
                let l = linker(e);
                define(
                    l,
                    "",
                    "check",
                    &[],
                    &[],
                    thread_id_cb,
                    &me as *const _ as *mut c_void,
                );
                let i = instantiate(l, s, m);
                let f = func(s, i, "sum");
                for _ in 0..200 {
                    assert_eq!(call(s, f, &[1000], 1).unwrap(), vec![500500]);
                }
                ok(wt_free(s));
                ok(wt_free(l));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    ok(wt_free(m));
    ok(wt_free(e));
}

#[test]
fn a_store_used_by_two_threads_at_once_is_busy_not_a_race() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    let m = module(
        e,
        r#"(module (import "" "wait" (func $w)) (func (export "run") (call $w)))"#,
    );
    unsafe extern "C" fn wait_cb(
        env: *mut c_void,
        _c: u64,
        _a: *const u64,
        _n: usize,
        _r: *mut u64,
        _m: usize,
    ) -> i32 {
        let (started, release) =
            unsafe { &*(env as *const (std::sync::Barrier, std::sync::Barrier)) };
        started.wait();
        release.wait();
        0
    }
    let sync = Box::leak(Box::new((
        std::sync::Barrier::new(2),
        std::sync::Barrier::new(2),
    )));
    define(
        l,
        "",
        "wait",
        &[],
        &[],
        wait_cb,
        sync as *const _ as *mut c_void,
    );
    let i = instantiate(l, s, m);
    let f = func(s, i, "run");
    let t = std::thread::spawn(move || call(s, f, &[], 0).unwrap());
    sync.0.wait();
    // While the other thread is inside the store, this thread is refused.
    let (st, msg) = call(s, f, &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_BUSY);
    assert!(msg.contains("another thread"), "{msg}");
    sync.1.wait();
    t.join().unwrap();
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn config_setters_and_engine_from_config() {
    let mut c = 0;
    ok(unsafe { wt_config_new(&mut c) });
    ok(wt_config_set_opt_level(c, WT_OPT_NONE));
    ok(wt_config_set_debug_info(c, 1));
    ok(wt_config_set_consume_fuel(c, 1));
    ok(wt_config_set_epoch_interruption(c, 0));
    ok(wt_config_set_parallel_compilation(c, 0));
    fails(wt_config_set_opt_level(c, 9), WT_ERR_INVALID_ARGUMENT);
    fails(wt_config_set_debug_info(c, 2), WT_ERR_INVALID_ARGUMENT);
    fails(wt_config_set_feature(c, 1234, 1), WT_ERR_INVALID_ARGUMENT);
    let mut e = 0;
    ok(unsafe { wt_engine_new_with_config(c, &mut e) });
    // The config is not consumed.
    ok(wt_config_set_feature(c, WT_FEATURE_SIMD, 0));
    let mut e2 = 0;
    // Inconsistent settings are reported when the engine is made.
    let m_ = fails(
        unsafe { wt_engine_new_with_config(c, &mut e2) },
        WT_ERR_INVALID_ARGUMENT,
    );
    assert!(m_.contains("relaxed simd"), "{m_}");
    ok(wt_config_set_feature(c, WT_FEATURE_RELAXED_SIMD, 0));
    ok(unsafe { wt_engine_new_with_config(c, &mut e2) });
    let simd = "(module (func (export \"f\") (result v128) (v128.const i64x2 1 2)))";
    let mut m = 0;
    ok(unsafe { wt_module_from_wat(e, simd.as_ptr().cast(), simd.len(), &mut m) });
    fails(
        unsafe { wt_module_from_wat(e2, simd.as_ptr().cast(), simd.len(), &mut m) },
        WT_ERR_COMPILE,
    );
    // Fuel enabled on `e`: a store starts with 0 fuel.
    let s = store(e);
    let mut fuel = 1;
    ok(unsafe { wt_store_get_fuel(s, &mut fuel) });
    assert_eq!(fuel, 0);
    // Epoch interruption disabled on `e`.
    fails(wt_store_interrupt(s), WT_ERR_UNSUPPORTED);
    for h in [s, c, e, e2] {
        ok(wt_free(h));
    }
}

#[test]
fn version_and_error_copy() {
    let v = unsafe { std::ffi::CStr::from_ptr(wt_version()) }
        .to_str()
        .unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        v,
        format!("{WT_VERSION_MAJOR}.{WT_VERSION_MINOR}.{WT_VERSION_PATCH}")
    );
    fails(wt_free(0), WT_ERR_BAD_HANDLE);
    let n = unsafe { wt_error_message_copy(std::ptr::null_mut(), 0) };
    assert_eq!(n, wt_error_message_len());
    let mut buf = vec![0u8; 8];
    let full = unsafe { wt_error_message_copy(buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(full, n);
    assert_eq!(buf[7], 0);
    assert_eq!(&buf[..7], &msg().as_bytes()[..7]);
}

/// `wt_linker_instantiate` keeps pre-resolved instantiations of modules for
/// linkers of host functions: a later definition must still take effect.
#[test]
fn linker_definitions_after_instantiation_take_effect() {
    let e = engine();
    let m = module(
        e,
        r#"(module (import "host" "v" (func $v (result i32)))
             (func (export "get") (result i32) (call $v)))"#,
    );
    let l = linker(e);
    // Not defined yet: a link error that names the import.
    let s = store(e);
    let mut i = 0;
    let why = fails(
        unsafe { wt_linker_instantiate(l, s, m, &mut i) },
        WT_ERR_LINK,
    );
    assert!(why.contains("host::v"), "{why}");
    define(
        l,
        "host",
        "v",
        &[],
        &[WT_I32],
        return_env,
        std::ptr::without_provenance_mut(1),
    );
    for round in 0..3 {
        let i = instantiate(l, s, m);
        assert_eq!(
            call(s, func(s, i, "get"), &[], 1).unwrap(),
            vec![1],
            "round {round}"
        );
    }
    // Redefined (shadowing): new instances see the new function.
    ok(wt_linker_allow_shadowing(l, 1));
    define(
        l,
        "host",
        "v",
        &[],
        &[WT_I32],
        return_env,
        std::ptr::without_provenance_mut(2),
    );
    let i = instantiate(l, s, m);
    assert_eq!(call(s, func(s, i, "get"), &[], 1).unwrap(), vec![2]);
    // Another store, same linker and module.
    let s2 = store(e);
    let i = instantiate(l, s2, m);
    assert_eq!(call(s2, func(s2, i, "get"), &[], 1).unwrap(), vec![2]);
    // A store-owned definition turns the linker to per-store resolution.
    let (e3, m3) = (e, module(e, r#"(module (memory (export "mem") 1))"#));
    let s3 = store(e3);
    let i3 = instantiate(l, s3, m3);
    let mem = memory(s3, i3, "mem");
    let name = "mem";
    ok(unsafe {
        wt_linker_define(
            l,
            s3,
            "env".as_ptr().cast(),
            3,
            name.as_ptr().cast(),
            name.len(),
            mem,
        )
    });
    let i = instantiate(l, s3, m);
    assert_eq!(call(s3, func(s3, i, "get"), &[], 1).unwrap(), vec![2]);
    for h in [s, s2, s3, m, m3, l, e] {
        ok(wt_free(h));
    }
}

/// Beyond the 64th param or result, i32 results still come back with their
/// upper half cleared (the slots of a call's buffer first hold the args, here
/// all ones, and the guest writes only 32 bits of an i32 result).
#[test]
fn i32_results_past_the_64th_are_zero_extended() {
    const N: usize = 70;
    let params = " i64".repeat(N);
    let results = " i32".repeat(N);
    let body: String = (0..N).map(|k| format!("i32.const {k} ")).collect();
    let (e, s, i) = quick(&format!(
        r#"(module (func (export "f") (param{params}) (result{results}) {body}))"#
    ));
    let f = func(s, i, "f");
    let out = call(s, f, &[u64::MAX; N], N).unwrap();
    assert_eq!(out, (0..N as u64).collect::<Vec<_>>());
    ok(wt_free(s));
    ok(wt_free(e));
}

/// `wt_call` runs the common (params, results) shapes through code
/// specialised on them and every other shape through the general copies:
/// each shape, and its neighbours, gets its arguments exactly and returns
/// exact results, with i32 results zero-extended (the guest writes only 32
/// bits over a slot that held an all-ones argument).
#[test]
fn calls_of_every_shape_pass_and_return_exact_values() {
    let e = engine();
    for np in 0..=5usize {
        for nr in 0..=3usize {
            for narrow in [false, true] {
                // Result j is the sum of the params plus j (as i32: wrapped).
                let params = " i64".repeat(np);
                let rt = if narrow { " i32" } else { " i64" };
                let results = rt.repeat(nr);
                let mut body = String::new();
                for j in 0..nr {
                    body += "i64.const 0 ";
                    for k in 0..np {
                        body += &format!("local.get {k} i64.add ");
                    }
                    body += &format!("i64.const {j} i64.add ");
                    if narrow {
                        body += "i32.wrap_i64 ";
                    }
                }
                let m = module(
                    e,
                    &format!(
                        r#"(module (func (export "f") (param{params}) (result{results}) {body}))"#
                    ),
                );
                let s = store(e);
                let l = linker(e);
                let i = instantiate(l, s, m);
                let f = func(s, i, "f");
                let args: Vec<u64> = (0..np as u64)
                    .map(|k| if narrow { u64::MAX - k } else { 1 << (8 * k) })
                    .collect();
                let sum = args.iter().fold(0u64, |a, &b| a.wrapping_add(b));
                let want: Vec<u64> = (0..nr as u64)
                    .map(|j| {
                        let v = sum.wrapping_add(j);
                        if narrow {
                            v & 0xffff_ffff
                        } else {
                            v
                        }
                    })
                    .collect();
                for round in 0..2 {
                    assert_eq!(
                        call(s, f, &args, nr).unwrap(),
                        want,
                        "{np} params, {nr} results, narrow {narrow}, round {round}"
                    );
                }
                // A wrong count is refused, whatever the shape.
                let mut out = [0u64; 4];
                fails(
                    unsafe { wt_call(s, f, args.as_ptr(), np, out.as_mut_ptr(), nr + 1) },
                    WT_ERR_SIGNATURE,
                );
                for h in [s, l, m] {
                    ok(wt_free(h));
                }
            }
        }
    }
    ok(wt_free(e));
}

/// Host callbacks of every small numeric shape (each has its own
/// specialised trampoline) and a few larger ones (the general trampoline):
/// arguments arrive exactly, with the unspecified upper half of i32/f32
/// values cleared; results come back exactly, narrowed to 32 bits for
/// i32/f32. The guest passes its params straight to the import.
#[test]
fn callbacks_of_every_shape_see_and_return_exact_values() {
    struct Echo {
        got: std::sync::Mutex<Vec<u64>>,
        ret: Vec<u64>,
    }
    unsafe extern "C" fn echo(
        env: *mut c_void,
        _c: u64,
        a: *const u64,
        n: usize,
        r: *mut u64,
        m: usize,
    ) -> i32 {
        let e = unsafe { &*(env as *const Echo) };
        let args = if n == 0 {
            &[][..]
        } else {
            unsafe { std::slice::from_raw_parts(a, n) }
        };
        *e.got.lock().unwrap() = args.to_vec();
        for i in 0..m {
            unsafe { *r.add(i) = e.ret[i] };
        }
        0
    }
    let types = [WT_I32, WT_I64, WT_F32, WT_F64];
    let name = |t: i32| ["i32", "i64", "f32", "f64"][t as usize];
    let narrow = |t: i32, v: u64| {
        if t == WT_I32 || t == WT_F32 {
            v & 0xffff_ffff
        } else {
            v
        }
    };
    let mut shapes: Vec<(Vec<i32>, Vec<i32>)> = Vec::new();
    for np in 0..=3usize {
        for nr in 0..=1usize {
            // Rotate the types so each position sees each type across shapes.
            for rot in 0..4 {
                let p = (0..np).map(|i| types[(i + rot) % 4]).collect();
                let r = (0..nr).map(|i| types[(i + rot + 1) % 4]).collect();
                shapes.push((p, r));
            }
        }
    }
    shapes.push((
        vec![WT_I32, WT_I64, WT_F32, WT_F64, WT_I32],
        vec![WT_F32, WT_I64],
    ));
    shapes.push((vec![], vec![WT_I32, WT_I32, WT_F64]));
    let e = engine();
    for (k, (p, r)) in shapes.iter().enumerate() {
        let ps: Vec<_> = p.iter().map(|t| name(*t)).collect();
        let rs: Vec<_> = r.iter().map(|t| name(*t)).collect();
        let (ps, rs) = (ps.join(" "), rs.join(" "));
        let gets: String = (0..p.len()).map(|i| format!("(local.get {i})")).collect();
        let wat = format!(
            r#"(module (import "h" "f" (func $f (param {ps}) (result {rs})))
                 (func (export "go") (param {ps}) (result {rs}) {gets} (call $f)))"#
        );
        let env = Box::new(Echo {
            got: std::sync::Mutex::new(Vec::new()),
            ret: (0..r.len() as u64)
                .map(|i| 0xdead_beef_0000_0000 | (k as u64 * 16 + i + 1))
                .collect(),
        });
        let (s, l, m) = (store(e), linker(e), module(e, &wat));
        define(l, "h", "f", p, r, echo, &*env as *const Echo as *mut c_void);
        let i = instantiate(l, s, m);
        let go = func(s, i, "go");
        // Upper halves set everywhere: i32/f32 params must arrive without them.
        let args: Vec<u64> = (0..p.len() as u64)
            .map(|j| 0xabcd_0123_0000_0000 | (100 + j))
            .collect();
        let out = call(s, go, &args, r.len()).unwrap_or_else(|e| panic!("shape {k}: {e:?}"));
        let want_args: Vec<u64> = p.iter().zip(&args).map(|(t, v)| narrow(*t, *v)).collect();
        assert_eq!(
            *env.got.lock().unwrap(),
            want_args,
            "shape {k}: {p:?} -> {r:?}"
        );
        let want_out: Vec<u64> = r
            .iter()
            .zip(&env.ret)
            .map(|(t, v)| narrow(*t, *v))
            .collect();
        assert_eq!(out, want_out, "shape {k}: {p:?} -> {r:?}");
        for h in [m, l, s] {
            ok(wt_free(h));
        }
    }
    ok(wt_free(e));
}

/// Inside a host callback of store A, the thread is inside A: store A's own
/// handle reaches A through the running callback (like its caller handle),
/// and another store B that the thread owns is entered on top of A (the
/// fast entry at depth 1). Afterwards both stores are idle again: calls,
/// memory access and frees work from the top level and from another thread.
#[test]
fn nested_use_of_own_and_other_stores_from_a_callback() {
    struct Env {
        a: u64,
        mem_a: u64,
        dbl_a: u64,
        b: u64,
        mem_b: u64,
        dbl_b: u64,
    }
    unsafe extern "C" fn cb(
        env: *mut c_void,
        _caller: u64,
        args: *const u64,
        _n: usize,
        r: *mut u64,
        _m: usize,
    ) -> i32 {
        let e = unsafe { &*(env as *const Env) };
        let x = unsafe { *args };
        // Store B (another store, owned by this thread): memory and a call.
        let v = (x as u32).to_le_bytes();
        ok(unsafe { wt_memory_write(e.b, e.mem_b, 8, v.as_ptr(), 4) });
        let mut back = [0u8; 4];
        ok(unsafe { wt_memory_read(e.b, e.mem_b, 8, back.as_mut_ptr(), 4) });
        assert_eq!(back, v);
        let mut d = 0;
        ok(unsafe { wt_call(e.b, e.dbl_b, &x, 1, &mut d, 1) });
        // Store A by its store handle while inside A: through the callback.
        ok(unsafe { wt_memory_write(e.a, e.mem_a, 16, v.as_ptr(), 4) });
        let mut d2 = 0;
        ok(unsafe { wt_call(e.a, e.dbl_a, &d, 1, &mut d2, 1) });
        unsafe { *r = d2 };
        0
    }
    const WAT: &str = r#"(module
      (import "h" "cb" (func $cb (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (func (export "run") (param i32) (result i32) (call $cb (local.get 0))))"#;
    let e = engine();
    let m = module(e, WAT);
    let (a, b) = (store(e), store(e));
    let l = linker(e);
    let env = Box::into_raw(Box::new(Env {
        a,
        mem_a: 0,
        dbl_a: 0,
        b,
        mem_b: 0,
        dbl_b: 0,
    }));
    define(l, "h", "cb", &[WT_I32], &[WT_I32], cb, env as *mut c_void);
    let (ia, ib) = (instantiate(l, a, m), instantiate(l, b, m));
    unsafe {
        (*env).mem_a = memory(a, ia, "memory");
        (*env).dbl_a = func(a, ia, "double");
        (*env).mem_b = memory(b, ib, "memory");
        (*env).dbl_b = func(b, ib, "double");
    }
    let run_a = func(a, ia, "run");
    for x in 1..=3u64 {
        assert_eq!(call(a, run_a, &[x], 1).unwrap(), vec![4 * x]);
    }
    // Both idle again: from here and from another thread.
    let mut got = [0u8; 4];
    ok(unsafe { wt_memory_read(a, (*env).mem_a, 16, got.as_mut_ptr(), 4) });
    assert_eq!(u32::from_le_bytes(got), 3);
    let dbl_b = unsafe { (*env).dbl_b };
    std::thread::spawn(move || {
        assert_eq!(call(b, dbl_b, &[5], 1).unwrap(), vec![10]);
        assert_eq!(call(a, run_a, &[5], 1).unwrap(), vec![20]);
    })
    .join()
    .unwrap();
    assert_eq!(call(a, run_a, &[6], 1).unwrap(), vec![24]);
    for h in [a, b, l, m, e] {
        ok(wt_free(h));
    }
    drop(unsafe { Box::from_raw(env) });
}
