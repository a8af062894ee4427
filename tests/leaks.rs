//! Live-handle accounting and index reuse (their own test binary: the count
//! and the table are process-wide, so the two tests take turns).

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

/// The tests of this binary see the whole process's handle table.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_handle_is_released_and_frees_are_deferred_while_in_use() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
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

fn new_bytes() -> u64 {
    let mut h = 0;
    ok(unsafe { wt_bytes_new(std::ptr::null(), 0, &mut h) });
    h
}

/// Frees handles and checks new ones against when their index was freed.
#[derive(Default)]
struct Reuse {
    /// index -> value of `frees` when it was freed
    freed_at: std::collections::HashMap<u32, u64>,
    frees: u64,
}

impl Reuse {
    const AFTER: u64 = 4096;
    fn free(&mut self, h: u64) {
        ok(wt_free(h));
        self.freed_at.insert(h as u32, self.frees);
        self.frees += 1;
    }
    fn new_handle(&self) -> u64 {
        let h = new_bytes();
        if let Some(&at) = self.freed_at.get(&(h as u32)) {
            let later = self.frees - at;
            assert!(
                later >= Self::AFTER,
                "index {} reused after {later} frees",
                h as u32
            );
        }
        h
    }
}

/// A freed index is not handed out again before 4,096 later frees (so a stale
/// handle stays detectably stale), and after a burst of frees the table keeps
/// reusing a bounded set of indices rather than cycling through every index
/// the burst left behind.
#[test]
fn freed_indices_wait_4096_frees_and_reuse_stays_local_after_a_burst() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let base = wt_handle_count();
    let mut r = Reuse::default();
    let mut k = 0;

    // A stale handle stays stale, and its index stays out of use.
    let stale = new_bytes();
    r.free(stale);
    for _ in 0..Reuse::AFTER + 100 {
        let h = r.new_handle();
        fails(unsafe { wt_handle_kind(stale, &mut k) }, WT_ERR_BAD_HANDLE);
        r.free(h);
    }

    // Bursts: 100,000 handles live at once (no two share an index), then
    // freed in a scrambled order.
    let mut x = 88172645463325252u64;
    for _ in 0..3 {
        let mut burst: Vec<u64> = (0..100_000).map(|_| r.new_handle()).collect();
        let distinct: std::collections::HashSet<u32> = burst.iter().map(|&h| h as u32).collect();
        assert_eq!(
            distinct.len(),
            burst.len(),
            "two live handles share an index"
        );
        for k in (1..burst.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            burst.swap(k, (x % (k as u64 + 1)) as usize);
        }
        for h in burst {
            r.free(h);
        }
    }
    // Steady churn after the bursts: one handle made and freed at a time. It
    // cycles through a few thousand indices, and the lowest ones: the slots
    // stay packed (warm cache lines and pages), whatever order the bursts
    // were freed in.
    let mut used = std::collections::HashSet::new();
    for _ in 0..50_000 {
        let h = r.new_handle();
        used.insert(h as u32);
        r.free(h);
    }
    assert!(
        used.len() as u64 <= 2 * Reuse::AFTER + 1,
        "churn after a burst cycled through {} indices",
        used.len()
    );
    let (lo, hi) = (used.iter().min().unwrap(), used.iter().max().unwrap());
    assert!(
        u64::from(hi - lo) < 3 * Reuse::AFTER,
        "churn after a burst used indices {lo}..={hi}"
    );
    fails(unsafe { wt_handle_kind(stale, &mut k) }, WT_ERR_BAD_HANDLE);
    assert_eq!(wt_handle_count(), base);
}
