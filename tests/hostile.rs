//! Hostile guests (issue 5, part 3): infinite loops, memory and table bombs,
//! stack overflows, deep host -> guest -> host nesting, traps in start
//! functions, callbacks failing deep down. Each ends in its own status with a
//! clear message; the store stays usable where Wasmtime allows, and a
//! bystander store running on another thread the whole time is unaffected.

mod common;
use common::*;

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOSTILE: &str = r#"(module
  (import "host" "cb" (func $cb (param i32) (result i32)))
  (memory (export "memory") 1)
  (table $t (export "table") 1 funcref)
  (func $spin (export "spin") (loop (br 0)))
  (func (export "ok") (result i32) (i32.const 42))
  ;; grows memory one page at a time until memory.grow fails; returns the pages it got
  (func (export "memory_bomb") (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
      ;; touch the new page so that it really costs resident memory
      (i32.store (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536)) (i32.const 1))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 0))
  (func (export "memory_huge") (result i32) (memory.grow (i32.const 65535)))
  (func (export "table_bomb") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func $rec (export "rec") (param i32) (result i32)
    (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  ;; calls the host with n; the host calls "down" again with n - 1 through its caller handle
  (func (export "down") (param i32) (result i32) (call $cb (local.get 0))))"#;

unsafe extern "C" fn unused_cb(
    _e: *mut c_void,
    _c: u64,
    _a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    unsafe { *r = 0 };
    0
}

/// One instance of HOSTILE in a fresh store: (engine, store, instance).
fn hostile_with(engine: u64, cb: Cb, env: *mut c_void) -> (u64, u64) {
    let s = store(engine);
    let l = linker(engine);
    define(l, "host", "cb", &[WT_I32], &[WT_I32], cb, env);
    let m = module(engine, HOSTILE);
    let i = instantiate(l, s, m);
    ok(wt_free(m));
    ok(wt_free(l));
    (s, i)
}

/// A store on another thread doing ordinary calls the whole time; every
/// result is checked. Returns the number of correct calls when stopped.
struct Bystander {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<Result<u64, String>>>,
}

impl Bystander {
    fn start() -> Bystander {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let (s2, d2) = (stop.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            let (e, s, i) = quick(
                r#"(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#,
            );
            let add = func(s, i, "add");
            let mut n = 0u64;
            let mut err = None;
            while !s2.load(Ordering::Relaxed) {
                match call(s, add, &[n, 7], 1) {
                    Ok(r) if r == vec![(n as u32).wrapping_add(7) as u64] => {}
                    other => {
                        err = Some(format!("bystander call {n}: {other:?}"));
                        break;
                    }
                }
                n += 1;
                d2.store(n, Ordering::Relaxed);
            }
            ok(wt_free(s));
            ok(wt_free(e));
            err.map_or(Ok(n), Err)
        });
        Bystander {
            stop,
            done,
            thread: Some(thread),
        }
    }

    /// Stops the bystander; asserts it made progress and never failed.
    fn finish(mut self) -> u64 {
        // Let it run at least a little while the hostile part was going on.
        let t = Instant::now();
        while self.done.load(Ordering::Relaxed) < 100 && t.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.stop.store(true, Ordering::Relaxed);
        let n = self.thread.take().unwrap().join().unwrap().unwrap();
        assert!(n >= 100, "the bystander store made no progress");
        n
    }
}

fn ok_still(s: u64, i: u64) {
    assert_eq!(
        call(s, func(s, i, "ok"), &[], 1).unwrap(),
        vec![42],
        "store usable afterwards"
    );
}

#[test]
fn infinite_loop_stopped_by_timeout() {
    let by = Bystander::start();
    let e = engine();
    let (s, i) = hostile_with(e, unused_cb, std::ptr::null_mut());
    ok(wt_store_set_timeout_ms(s, 100));
    let t = Instant::now();
    let (st, m) = call(s, func(s, i, "spin"), &[], 0).unwrap_err();
    let took = t.elapsed();
    assert_eq!(st, WT_ERR_INTERRUPTED, "{m}");
    assert_eq!(wt_error_trap_code(), WT_TRAP_INTERRUPT);
    assert!(m.contains("timed out"), "{m}");
    assert!(m.contains("spin"), "message has the wasm backtrace: {m}");
    assert!(
        took >= Duration::from_millis(90) && took < Duration::from_secs(10),
        "{took:?}"
    );
    // The timeout applies per call: the store works, and times out again.
    ok_still(s, i);
    assert_eq!(
        call(s, func(s, i, "spin"), &[], 0).unwrap_err().0,
        WT_ERR_INTERRUPTED
    );
    // Timeout off right after it fired: an interrupt is then reported as an
    // interrupt, not as the timeout that fired before.
    ok(wt_store_set_timeout_ms(s, 0));
    ok(wt_store_interrupt(s));
    let (st, m) = call(s, func(s, i, "spin"), &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_INTERRUPTED, "{m}");
    assert!(!m.contains("timed out"), "{m}");
    ok_still(s, i);
    ok(wt_free(s));
    ok(wt_free(e));
    eprintln!(
        "timeout after {took:?}; bystander made {} calls",
        by.finish()
    );
}

#[test]
fn infinite_loop_stopped_by_interrupt_from_another_thread() {
    let by = Bystander::start();
    let e = engine();
    let (s, i) = hostile_with(e, unused_cb, std::ptr::null_mut());
    let spin = func(s, i, "spin");
    for round in 0..3 {
        let t = std::thread::spawn(move || {
            let t0 = Instant::now();
            let r = call(s, spin, &[], 0).unwrap_err();
            (r, t0.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        // While it spins, the store is busy for everyone else.
        assert_eq!(call(s, spin, &[], 0).unwrap_err().0, WT_ERR_BUSY);
        ok(wt_store_interrupt(s));
        let ((st, m), took) = t.join().unwrap();
        assert_eq!(st, WT_ERR_INTERRUPTED, "round {round}: {m}");
        assert!(m.contains("interrupted"), "{m}");
        assert!(took < Duration::from_secs(10));
        ok_still(s, i);
    }
    ok(wt_free(s));
    ok(wt_free(e));
    by.finish();
}

#[test]
fn memory_bomb_stopped_by_the_cap() {
    let by = Bystander::start();
    let e = engine();
    let (s, i) = hostile_with(e, unused_cb, std::ptr::null_mut());
    let cap: u64 = 16 << 20;
    ok(wt_store_set_limits(s, cap, u64::MAX, 0));
    let rss0 = rss_kib();
    // memory.grow fails (-1) at the cap, as the spec says; the guest stops by itself.
    let got = call(s, func(s, i, "memory_bomb"), &[], 1).unwrap()[0];
    assert_eq!(got, cap / 65536 - 1, "pages grown before the cap");
    assert_eq!(
        call(s, func(s, i, "memory_huge"), &[], 1).unwrap()[0],
        u32::MAX as u64,
        "a 4 GiB grow is refused"
    );
    let mem = memory(s, i, "memory");
    let mut size = 0;
    ok(unsafe { wt_memory_size(s, mem, &mut size) });
    assert_eq!(size, cap);
    let grown_kib = rss_kib().saturating_sub(rss0);
    // With trap_on_grow_failure the guest is stopped with the limit's status.
    ok(wt_store_set_limits(s, cap, u64::MAX, 1));
    let (st, m) = call(s, func(s, i, "memory_bomb"), &[], 1).unwrap_err();
    assert_eq!(st, WT_ERR_LIMIT, "{m}");
    assert!(m.contains("limit"), "{m}");
    let mut old = 0;
    let m2 = fails(unsafe { wt_memory_grow(s, mem, 1, &mut old) }, WT_ERR_LIMIT);
    assert!(m2.contains("cannot grow memory"), "{m2}");
    ok_still(s, i);
    ok(wt_free(s));
    ok(wt_free(e));
    eprintln!(
        "memory bomb: stopped at {} MiB, RSS grew {grown_kib} KiB",
        cap >> 20
    );
    assert!(
        grown_kib < 64 << 10,
        "RSS grew {grown_kib} KiB for a 16 MiB cap"
    );
    by.finish();
}

#[test]
fn table_bomb_and_huge_table_stopped_by_the_cap() {
    let by = Bystander::start();
    let e = engine();
    let (s, i) = hostile_with(e, unused_cb, std::ptr::null_mut());
    ok(wt_store_set_limits(s, u64::MAX, 10_000, 0));
    let bomb = func(s, i, "table_bomb");
    assert_eq!(call(s, bomb, &[5000], 1).unwrap(), vec![1]);
    assert_eq!(call(s, bomb, &[10_000], 1).unwrap(), vec![u32::MAX as u64]);
    assert_eq!(
        call(s, bomb, &[0xffff_fff0], 1).unwrap(),
        vec![u32::MAX as u64]
    );
    let mut t = 0;
    ok(unsafe { wt_instance_get_table(s, i, "table".as_ptr().cast(), 5, &mut t) });
    let mut old = 0;
    fails(
        unsafe { wt_table_grow(s, t, 1 << 40, 0, &mut old) },
        WT_ERR_LIMIT,
    );
    // A module that asks for a huge table at instantiation.
    let huge = module(e, r#"(module (table 100000000 funcref) (memory 65536))"#);
    let l = linker(e);
    let mut inst = 0;
    let st = unsafe { wt_linker_instantiate(l, s, huge, &mut inst) };
    let m = fails(st, WT_ERR_LIMIT);
    assert!(m.contains("table") && m.contains("limit"), "{m}");
    // Without a cap, a table beyond what can be allocated fails cleanly too.
    let s2 = store(e);
    let huge2 = module(
        e,
        r#"(module (table (export "t") 0 funcref) (func (export "g") (result i32) (table.grow (ref.null func) (i32.const -16))))"#,
    );
    let i2 = instantiate(l, s2, huge2);
    // (Wasmtime reports the failed 32 GiB allocation as an error rather than
    // table.grow's -1; either way nothing is allocated and the store lives on.)
    match call(s2, func(s2, i2, "g"), &[], 1) {
        Ok(r) => assert_eq!(r, vec![u32::MAX as u64]),
        Err((st, m)) => {
            assert_eq!(st, WT_ERR_TRAP, "{m}");
            assert!(m.contains("out of memory"), "{m}");
        }
    }
    ok_still(s, i);
    for h in [huge, huge2, l, s, s2, e] {
        ok(wt_free(h));
    }
    by.finish();
}

#[test]
fn stack_overflow_by_recursion() {
    let by = Bystander::start();
    let e = engine();
    let (s, i) = hostile_with(e, unused_cb, std::ptr::null_mut());
    for _ in 0..3 {
        let (st, m) = call(s, func(s, i, "rec"), &[0], 1).unwrap_err();
        assert_eq!(st, WT_ERR_TRAP, "{m}");
        assert_eq!(wt_error_trap_code(), WT_TRAP_STACK_OVERFLOW);
        assert!(
            m.contains("call stack exhausted") && m.contains("rec"),
            "{m}"
        );
        ok_still(s, i);
    }
    ok(wt_free(s));
    ok(wt_free(e));
    by.finish();
}

/// Regression: before the native stack check, a thread with less stack left
/// than the engine's wasm budget (here: the largest budget, 2 MiB, on a 1 MiB
/// thread) let the recursion run into the guard page and the process died of
/// "thread has overflowed its stack" (SIGABRT).
#[test]
fn wasm_stack_budget_larger_than_the_thread_is_a_trap_not_a_crash() {
    let e = engine_with(|c| ok(wt_config_set_max_wasm_stack(c, 2 << 20)));
    // Even instantiating is refused on this 2 MiB test thread (a start
    // function would run with the 2 MiB budget), so set up on a bigger one.
    let (s, i) = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || hostile_with(e, unused_cb, std::ptr::null_mut()))
        .unwrap()
        .join()
        .unwrap();
    let mut inst = 0;
    let (l, m) = (linker(e), module(e, "(module)"));
    let msg = fails(
        unsafe { wt_linker_instantiate(l, s, m, &mut inst) },
        WT_ERR_TRAP,
    );
    assert!(msg.contains("native stack left"), "{msg}");
    ok(wt_free(l));
    ok(wt_free(m));
    let rec = func(s, i, "rec");
    let small = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || call(s, rec, &[0], 1).unwrap_err())
        .unwrap();
    let (st, m) = small.join().unwrap();
    assert_eq!(st, WT_ERR_TRAP, "{m}");
    assert!(
        m.contains("stack overflow") && m.contains("native stack left"),
        "{m}"
    );
    // On a thread that has the room, the same call is an ordinary wasm stack overflow.
    let big = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            let r = call(s, rec, &[0], 1).unwrap_err();
            (r, wt_error_trap_code())
        })
        .unwrap();
    let ((st, m), code) = big.join().unwrap();
    assert_eq!((st, code), (WT_ERR_TRAP, WT_TRAP_STACK_OVERFLOW), "{m}");
    assert!(!m.contains("native stack left"), "{m}");
    let ok_big = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || call(s, func(s, i, "ok"), &[], 1))
        .unwrap();
    assert_eq!(ok_big.join().unwrap().unwrap(), vec![42]);
    ok(wt_free(s));
    ok(wt_free(e));
}

// ---- deep nesting -------------------------------------------------------------------

struct Nest {
    /// One (store, "down" func) per level; the same store repeated, or one per level.
    levels: Vec<(u64, u64)>,
    via_caller: bool,
    deepest: AtomicU64,
    fail_at: u64,
}

/// Host side of "down(n)", at nesting depth `levels - n + 1`: records the
/// depth, then calls "down(n - 1)" of the next level (through the caller
/// handle, or the next store's handle). The deepest level returns 1 and
/// every level adds 1, so the top gets `levels`. Failures travel outwards
/// with their message.
unsafe extern "C" fn nest_cb(
    env: *mut c_void,
    caller: u64,
    a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    let nest = unsafe { &*(env as *const Nest) };
    let n = unsafe { *a };
    let depth = nest.levels.len() as u64 - n + 1;
    nest.deepest.fetch_max(depth, Ordering::Relaxed);
    if n == nest.fail_at {
        let m = format!("the callback failed on purpose at depth {depth}");
        unsafe { wt_caller_set_error(caller, m.as_ptr().cast(), m.len()) };
        return 77;
    }
    if n <= 1 {
        unsafe { *r = 1 };
        return 0;
    }
    let (s, f) = nest.levels[depth as usize];
    let s = if nest.via_caller { caller } else { s };
    let mut out = 0u64;
    let st = unsafe { wt_call(s, f, &(n - 1), 1, &mut out, 1) };
    if st != WT_OK {
        let m = msg();
        unsafe { wt_caller_set_error(caller, m.as_ptr().cast(), m.len()) };
        return st;
    }
    unsafe { *r = out + 1 };
    0
}

/// Runs `down(levels)` on a thread with `stack` bytes: `levels` nested host
/// callbacks, through one store's caller handle or through a new store per
/// level. Returns the top call's result and the deepest level reached.
fn run_nest(
    levels: usize,
    distinct_stores: bool,
    fail_at: u64,
    stack: usize,
) -> (Result<Vec<u64>, (i32, String)>, u64) {
    let e = engine();
    let nest: &'static mut Nest = Box::leak(Box::new(Nest {
        levels: Vec::new(),
        via_caller: !distinct_stores,
        deepest: AtomicU64::new(0),
        fail_at,
    }));
    let env = nest as *mut Nest as *mut c_void;
    let l = linker(e);
    define(l, "host", "cb", &[WT_I32], &[WT_I32], nest_cb, env);
    let m = module(e, HOSTILE);
    let mut stores = Vec::new();
    let mut levels_v = Vec::new();
    for k in 0..levels {
        if k == 0 || distinct_stores {
            stores.push(store(e));
        }
        let s = *stores.last().unwrap();
        let i = instantiate(l, s, m);
        levels_v.push((s, func(s, i, "down")));
    }
    nest.levels = levels_v;
    let top = nest.levels[0];
    let r = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || call(top.0, top.1, &[levels as u64], 1))
        .unwrap()
        .join()
        .unwrap();
    let deepest = nest.deepest.load(Ordering::Relaxed);
    // Every store still works after whatever happened.
    for s in &stores {
        let i = instantiate_ok(e, *s);
        ok_still(*s, i);
    }
    for s in stores {
        ok(wt_free(s));
    }
    for h in [m, l, e] {
        ok(wt_free(h));
    }
    (r, deepest)
}

fn instantiate_ok(e: u64, s: u64) -> u64 {
    let l = linker(e);
    let m = module(
        e,
        r#"(module (func (export "ok") (result i32) (i32.const 42)))"#,
    );
    let i = instantiate(l, s, m);
    ok(wt_free(m));
    ok(wt_free(l));
    i
}

#[test]
fn nesting_200_levels_through_200_stores() {
    let by = Bystander::start();
    // Each store entered for the first time gets a fresh wasm stack budget;
    // on a thread with room, all 200 levels complete.
    let (r, deepest) = run_nest(200, true, u64::MAX, 64 << 20);
    assert_eq!(r.unwrap(), vec![200]);
    assert_eq!(deepest, 200);
    // On a small thread such nesting used to overflow the native stack
    // (SIGABRT); now the level that would not fit fails with a
    // stack-overflow trap, which travels outwards as callback failures.
    // glibc may hand a new thread a cached stack of up to 4x the size asked
    // for (here up to 4 MiB), so ask for 1 MiB and nest far deeper than 4 MiB
    // holds (a level takes several KiB).
    let (r, deepest) = run_nest(1000, true, u64::MAX, 1 << 20);
    let (st, m) = r.unwrap_err();
    assert_eq!(st, WT_ERR_CALLBACK, "{m}");
    assert!(m.contains("native stack left"), "{m}");
    eprintln!("1000 stores on a 1 MiB thread: refused cleanly at depth {deepest}");
    assert!(deepest > 10 && deepest < 1000, "{deepest}");
    by.finish();
}

#[test]
fn nesting_200_levels_through_the_caller_handle() {
    let by = Bystander::start();
    // One store re-entered through its caller handle: wasm and host frames
    // share the store's one wasm stack budget (512 KiB), so in a debug build
    // (~12 KiB of host frames per level) the nesting ends in a wasm stack
    // overflow well before 200 levels; an optimised build may get through.
    let (r, deepest) = run_nest(200, false, u64::MAX, 64 << 20);
    match r {
        Ok(v) => assert_eq!(v, vec![200]),
        Err((st, m)) => {
            assert_eq!(st, WT_ERR_CALLBACK, "{m}");
            assert!(m.contains("call stack exhausted"), "{m}");
            assert!(deepest >= 20, "{deepest}");
        }
    }
    eprintln!("200 levels through one caller: reached depth {deepest}");
    // 30 levels fit everywhere.
    let (r, deepest) = run_nest(30, false, u64::MAX, 8 << 20);
    assert_eq!(r.unwrap(), vec![30]);
    assert_eq!(deepest, 30);
    by.finish();
}

#[test]
fn callback_error_at_depth_reaches_the_top_with_its_message() {
    let by = Bystander::start();
    for distinct in [false, true] {
        let (r, deepest) = run_nest(25, distinct, 5, 16 << 20);
        let (st, m) = r.unwrap_err();
        assert_eq!(st, WT_ERR_CALLBACK, "{m}");
        assert!(m.contains("failed on purpose at depth 21"), "{m}");
        assert!(m.contains("status 77"), "{m}");
        assert_eq!(deepest, 21);
    }
    by.finish();
}

#[test]
fn trap_in_start_function() {
    let by = Bystander::start();
    let e = engine();
    let s = store(e);
    let l = linker(e);
    for (wat, status, needle) in [
        (
            r#"(module (func $s unreachable) (start $s))"#,
            WT_ERR_TRAP,
            "unreachable",
        ),
        (
            r#"(module (func $s (loop (br 0))) (start $s))"#,
            WT_ERR_INTERRUPTED,
            "timed out",
        ),
        (
            r#"(module (memory 1) (func $s (drop (i32.load (i32.const 70000)))) (start $s))"#,
            WT_ERR_TRAP,
            "out of bounds",
        ),
    ] {
        ok(wt_store_set_timeout_ms(s, 50));
        let m = module(e, wat);
        let mut i = 0;
        let st = unsafe { wt_linker_instantiate(l, s, m, &mut i) };
        let msg = fails(st, status);
        assert!(msg.contains(needle), "{msg}");
        assert_eq!(i, 0);
        ok(wt_free(m));
        // The store is usable afterwards.
        let i = instantiate_ok(e, s);
        ok_still(s, i);
    }
    for h in [l, s, e] {
        ok(wt_free(h));
    }
    by.finish();
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4
}
