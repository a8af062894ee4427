//! Soak (issue 5, part 4): creates and frees stores, instances, modules,
//! engines, callbacks, WASI contexts and serialized modules in a loop and
//! checks that resident memory (from /proc/self/statm) stays flat and that
//! every handle and callback env is released.
//!
//! `WT_SOAK_ITERS=N` (default 5000) sets the number of rounds; each round
//! makes and frees one store + instance (+ callbacks, calls, externrefs);
//! every 10th round also compiles a module, every 50th serializes and
//! deserializes one, every 500th makes a new engine. The long run:
//! `WT_SOAK_ITERS=100000 cargo test --test soak -- --nocapture`.
//! Its own test binary: the handle count is process-wide.

mod common;
use common::*;

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

static FINALIZED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn fin(_env: *mut c_void) {
    FINALIZED.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn cb(
    _e: *mut c_void,
    caller: u64,
    a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    // Touch the guest memory through the caller, like a real host function.
    let mut mem = 0;
    let mut k = 0;
    if unsafe { wt_caller_get_export(caller, "memory".as_ptr().cast(), 6, &mut mem, &mut k) }
        != WT_OK
    {
        return 1;
    }
    let v = unsafe { *a };
    let st = unsafe { wt_memory_write(caller, mem, 0, (&v as *const u64).cast(), 8) };
    unsafe { *r = v + 1 };
    st
}

const WAT: &str = r#"(module
  (import "env" "cb" (func $cb (param i64) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (table (export "t") 4 externref)
  (data (i32.const 64) "soak\n")
  (func (export "run") (param i64) (result i64)
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (call $cb (local.get 0)))
  (func (export "ext") (param externref) (result externref)
    (table.set (i32.const 1) (local.get 0)) (table.get (i32.const 1)))
  (func (export "trap") unreachable))"#;

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    s.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 4
}

struct Setup {
    engine: u64,
    module: u64,
    linker: u64,
    wasi: u64,
}

fn setup(engine: u64) -> Setup {
    let module = module(engine, WAT);
    let linker = linker(engine);
    ok(wt_linker_define_wasi(linker));
    let ft = functype(&[WT_I64], &[WT_I64]);
    let mut c = 0;
    ok(unsafe { wt_callback_new(ft, Some(cb), std::ptr::null_mut(), Some(fin), &mut c) });
    ok(unsafe {
        wt_linker_define_func(linker, "env".as_ptr().cast(), 3, "cb".as_ptr().cast(), 2, c)
    });
    ok(wt_free(c));
    ok(wt_free(ft));
    let mut wasi = 0;
    ok(unsafe { wt_wasi_config_new(&mut wasi) });
    ok(wt_wasi_config_set_stdout(wasi, WT_STDIO_CAPTURE));
    Setup {
        engine,
        module,
        linker,
        wasi,
    }
}

fn teardown(s: Setup) {
    for h in [s.module, s.linker, s.wasi, s.engine] {
        ok(wt_free(h));
    }
}

/// One round: a store with an instance, calls through a callback, an
/// externref round trip, a trap, captured WASI output; all freed.
fn round(su: &Setup, k: u64) {
    let s = store(su.engine);
    ok(wt_store_set_limits(s, 4 << 20, 1000, 0));
    ok(wt_store_set_wasi(s, su.wasi));
    let i = instantiate(su.linker, s, su.module);
    let run = func(s, i, "run");
    assert_eq!(call(s, run, &[k], 1).unwrap(), vec![k + 1]);
    let ext = func(s, i, "ext");
    assert_eq!(call(s, ext, &[k | 1], 1).unwrap(), vec![k | 1]);
    assert_eq!(
        call(s, func(s, i, "trap"), &[], 0).unwrap_err().0,
        WT_ERR_TRAP
    );
    let mut out = 0;
    ok(unsafe { wt_store_wasi_output(s, 1, &mut out) });
    assert_eq!(bytes(out), b"soak\n");
    ok(wt_free(out));
    // A func made from a callback object, owned by the store.
    let ft = functype(&[WT_I64], &[WT_I64]);
    let mut c = 0;
    ok(unsafe { wt_callback_new(ft, Some(cb), std::ptr::null_mut(), Some(fin), &mut c) });
    let mut f = 0;
    ok(unsafe { wt_func_new(s, c, &mut f) });
    ok(wt_free(c));
    ok(wt_free(ft));
    ok(wt_free(s));
}

#[test]
fn soak_create_and_free_everything_with_flat_memory() {
    let iters: u64 = std::env::var("WT_SOAK_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let baseline = wt_handle_count();
    let rss_start = rss_kib();
    let mut su = setup(engine());
    let warmup = (iters / 10).max(200);
    let mut rss_warm = 0;
    let mut peak = 0;
    let mut samples = Vec::new();
    let t = std::time::Instant::now();
    for k in 0..iters {
        round(&su, k);
        if k % 10 == 9 {
            // A module compiled and dropped.
            let m = module(su.engine, WAT);
            ok(wt_free(m));
        }
        if k % 50 == 49 {
            let mut b = 0;
            ok(unsafe { wt_module_serialize(su.module, &mut b) });
            let data = bytes(b);
            let mut m = 0;
            ok(unsafe { wt_module_deserialize(su.engine, data.as_ptr(), data.len(), &mut m) });
            ok(wt_free(m));
            ok(wt_free(b));
        }
        if k % 500 == 499 {
            // A fresh engine with everything made for it.
            teardown(su);
            su = setup(engine());
        }
        if k + 1 == warmup {
            rss_warm = rss_kib();
        }
        if k % (iters / 20).max(1) == 0 {
            let r = rss_kib();
            peak = peak.max(r);
            samples.push(r);
        }
    }
    teardown(su);
    let elapsed = t.elapsed();
    let rss_end = rss_kib();
    let after = wt_handle_count();
    // Each round makes 2 callback objects with a finalizer (linker + store
    // func) per setup and per round; all must have run.
    eprintln!(
        "soak: {iters} rounds ({iters} stores+instances, {} modules compiled, {} deserialized, {} engines) in {elapsed:.1?}",
        iters / 10,
        iters / 50,
        iters / 500 + 1
    );
    eprintln!(
        "soak: RSS start {rss_start} KiB, after warm-up ({warmup} rounds) {rss_warm} KiB, end {rss_end} KiB, peak sampled {peak} KiB; samples {samples:?}"
    );
    eprintln!(
        "soak: handles {baseline} -> {after}; env finalizers run {}",
        FINALIZED.load(Ordering::SeqCst)
    );
    assert_eq!(after, baseline, "handles leaked");
    assert_eq!(
        FINALIZED.load(Ordering::SeqCst) as u64,
        iters + iters / 500 + 1,
        "every callback env was finalized"
    );
    // Flat: after the warm-up, resident memory may move by allocator noise
    // but not grow with the number of rounds.
    let growth = rss_end.saturating_sub(rss_warm);
    let tolerance = 8 << 10; // 8 MiB
    assert!(
        growth <= tolerance,
        "RSS grew {growth} KiB after warm-up ({rss_warm} -> {rss_end} KiB) over {iters} rounds"
    );
}
