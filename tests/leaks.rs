//! Live-handle accounting (its own test binary: the count is process-wide).

mod common;
use common::*;

use std::ffi::c_void;

unsafe extern "C" fn free_store_cb(
    env: *mut c_void,
    _c: u64,
    _a: *const u64,
    _n: usize,
    _r: *mut u64,
    _m: usize,
) -> i32 {
    // Free the running store from inside its own callback: deferred, not a crash.
    // The first call frees it; the second sees a stale handle. Neither crashes,
    // and the store lives until the outer wt_call returns.
    let store = unsafe { *(env as *const u64) };
    let st = wt_free(store);
    if st == WT_OK || st == WT_ERR_BAD_HANDLE {
        0
    } else {
        1
    }
}

#[test]
fn every_handle_is_released_and_frees_are_deferred_while_in_use() {
    assert_eq!(wt_handle_count(), 0);
    for _ in 0..50 {
        let (e, s, i) = quick(
            r#"(module (memory (export "m") 1) (func (export "f") (result i32) i32.const 1))"#,
        );
        let f = func(s, i, "f");
        let _m = memory(s, i, "m");
        assert_eq!(call(s, f, &[], 1).unwrap(), vec![1]);
        ok(wt_free(e)); // engine first: the store keeps it alive
        ok(wt_free(s));
    }
    assert_eq!(wt_handle_count(), 0);

    // A store freed from inside its own host callback.
    let e = engine();
    let s = Box::leak(Box::new(store(e)));
    let l = linker(e);
    define(
        l,
        "",
        "free_me",
        &[],
        &[],
        free_store_cb,
        s as *mut u64 as *mut c_void,
    );
    let m1 = module(
        e,
        r#"(module (import "" "free_me" (func $f)) (func (export "run") (call $f) (call $f)))"#,
    );
    let i1 = instantiate(l, *s, m1);
    let run1 = func(*s, i1, "run");
    call(*s, run1, &[], 0).unwrap();
    let mut k = 0;
    fails(unsafe { wt_handle_kind(*s, &mut k) }, WT_ERR_BAD_HANDLE);
    for h in [m1, l, e] {
        ok(wt_free(h));
    }
    assert_eq!(wt_handle_count(), 0);
}
