//! Threads (issue 5, part 4): 8 threads x many stores with callbacks,
//! interrupts crossing threads, frees crossing threads (a "finalizer thread"
//! freeing handles while others call), caller handles leaking to other
//! threads. Every call either completes or fails with the documented status
//! (WT_ERR_BAD_HANDLE / WT_ERR_BUSY / ...); never a crash or a deadlock:
//! each test body runs under a watchdog.
//!
//! The tests of this binary run one at a time (they compare the
//! process-wide `wt_handle_count()` before and after).
//!
//! `WT_THREADS_SCALE=N` (default 1) multiplies the rounds of the first three
//! tests (and their time limits) for a long run.

mod common;
use common::*;

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn scale() -> usize {
    std::env::var("WT_THREADS_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Runs `body` on its own thread; fails if it takes longer than `limit`
/// (a deadlock), and checks that every handle it made was released.
fn watchdog(name: &str, limit: Duration, body: impl FnOnce() + Send + 'static) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let before = wt_handle_count();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            body();
            let _ = tx.send(());
        })
        .unwrap();
    let start = Instant::now();
    match rx.recv_timeout(limit) {
        Ok(()) => t.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: report its panic.
            if let Err(p) = t.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: still running after {limit:?}: deadlock or livelock")
        }
    }
    eprintln!("{name}: {:.1?}", start.elapsed());
    assert_eq!(wt_handle_count(), before, "{name}: handles leaked");
}

const WAT: &str = r#"(module
  (import "host" "check" (func $check (param i32) (result i32)))
  (memory (export "memory") 1)
  (global (export "g") (mut i32) (i32.const 0))
  (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  ;; sum 1..n, asking the host to check every 64th step
  (func (export "sum") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (if (i32.eqz (i32.and (local.get 0) (i32.const 63)))
        (then (drop (call $check (local.get 0)))))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "via_host") (param i32) (result i32) (call $check (local.get 0)))
  (func (export "spin") (loop (br 0)))
  (func (export "spin_calling_host") (loop (drop (call $check (i32.const 1))) (br 0))))"#;

/// The host callback: checks that it runs on the thread that made the
/// call, re-enters the instance through its caller handle ("double"), reads
/// the guest memory, and returns 2 * arg. Failures of the re-entry that the
/// test provokes (freed handles) are tolerated when `env` says so.
struct CbEnv {
    tolerant: bool,
    calls: AtomicU64,
}

thread_local!(static EXPECT_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });

unsafe extern "C" fn check_cb(
    env: *mut c_void,
    caller: u64,
    a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    let env = unsafe { &*(env as *const CbEnv) };
    env.calls.fetch_add(1, Ordering::Relaxed);
    // The callback runs on the calling thread: that thread set the flag.
    if !EXPECT_THREAD.with(|c| c.get()) {
        let m = "callback ran on a thread that did not call wasm";
        unsafe { wt_caller_set_error(caller, m.as_ptr().cast(), m.len()) };
        return 1;
    }
    let x = unsafe { *a };
    let (mut f, mut kind) = (0u64, 0i32);
    let mut st =
        unsafe { wt_caller_get_export(caller, "double".as_ptr().cast(), 6, &mut f, &mut kind) };
    let mut out = 0u64;
    if st == WT_OK {
        st = unsafe { wt_call(caller, f, &x, 1, &mut out, 1) };
    }
    if st == WT_OK {
        let mut mem = 0u64;
        st = unsafe {
            wt_caller_get_export(caller, "memory".as_ptr().cast(), 6, &mut mem, &mut kind)
        };
        if st == WT_OK {
            let mut b = [0u8; 4];
            st = unsafe { wt_memory_read(caller, mem, 0, b.as_mut_ptr(), 4) };
        }
    }
    if st != WT_OK {
        if env.tolerant && (st == WT_ERR_BAD_HANDLE || st == WT_ERR_INTERRUPTED) {
            unsafe { *r = x * 2 };
            return 0;
        }
        let m = format!("re-entry failed with status {st}: {}", msg());
        unsafe { wt_caller_set_error(caller, m.as_ptr().cast(), m.len()) };
        return st;
    }
    unsafe { *r = out };
    0
}

fn mark_thread() {
    EXPECT_THREAD.with(|c| c.set(true));
}

fn shared_setup(env: &'static CbEnv) -> (u64, u64, u64) {
    let e = engine();
    let m = module(e, WAT);
    let l = linker(e);
    define(
        l,
        "host",
        "check",
        &[WT_I32],
        &[WT_I32],
        check_cb,
        env as *const CbEnv as *mut c_void,
    );
    (e, m, l)
}

fn leak_env(tolerant: bool) -> &'static CbEnv {
    Box::leak(Box::new(CbEnv {
        tolerant,
        calls: AtomicU64::new(0),
    }))
}

#[test]
fn eight_threads_many_stores_with_callbacks() {
    watchdog(
        "eight_threads",
        Duration::from_secs(240) * scale() as u32,
        || {
            let env = leak_env(false);
            let (e, m, l) = shared_setup(env);
            let stores_per_thread = 150 * scale();
            let threads: Vec<_> = (0..8)
                .map(|t| {
                    std::thread::spawn(move || {
                        mark_thread();
                        for k in 0..stores_per_thread {
                            let s = store(e);
                            let i = instantiate(l, s, m);
                            let sum = func(s, i, "sum");
                            let via = func(s, i, "via_host");
                            let n = 100 + (t * 31 + k) % 400;
                            assert_eq!(
                                call(s, sum, &[n as u64], 1).unwrap(),
                                vec![(n * (n + 1) / 2) as u64]
                            );
                            assert_eq!(call(s, via, &[21], 1).unwrap(), vec![42]);
                            ok(wt_free(s));
                        }
                        stores_per_thread
                    })
                })
                .collect();
            let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
            eprintln!(
                "8 threads: {total} stores, {} callbacks",
                env.calls.load(Ordering::Relaxed)
            );
            for h in [m, l, e] {
                ok(wt_free(h));
            }
        },
    );
}

#[test]
fn interrupts_cross_threads() {
    watchdog(
        "interrupts",
        Duration::from_secs(240) * scale() as u32,
        || {
            let env = leak_env(true);
            let (e, m, l) = shared_setup(env);
            let workers = 6;
            let rounds = 40 * scale();
            let stores: Arc<Vec<AtomicU64>> =
                Arc::new((0..workers).map(|_| AtomicU64::new(0)).collect());
            let done = Arc::new(AtomicUsize::new(0));
            let interrupted = Arc::new(AtomicU64::new(0));
            let threads: Vec<_> = (0..workers)
                .map(|w| {
                    let (stores, done, interrupted) =
                        (stores.clone(), done.clone(), interrupted.clone());
                    std::thread::spawn(move || {
                        mark_thread();
                        let s = store(e);
                        let i = instantiate(l, s, m);
                        stores[w].store(s, Ordering::SeqCst);
                        let spins = [func(s, i, "spin"), func(s, i, "spin_calling_host")];
                        let double = func(s, i, "double");
                        for r in 0..rounds {
                            // Only an interrupt (from another thread) ends these calls.
                            let (st, msg) = call(s, spins[r % 2], &[], 0).unwrap_err();
                            match st {
                                WT_ERR_INTERRUPTED => {}
                                // An interrupt that hit the callback's re-entry
                                // surfaces as the callback's failure.
                                WT_ERR_CALLBACK if msg.contains("interrupted") => {}
                                other => panic!("worker {w} round {r}: status {other}: {msg}"),
                            }
                            interrupted.fetch_add(1, Ordering::Relaxed);
                            // Between spins the store works (unless an interrupt
                            // arrived while idle, which interrupts this call).
                            match call(s, double, &[r as u64], 1) {
                                Ok(v) => assert_eq!(v, vec![2 * r as u64]),
                                Err((WT_ERR_INTERRUPTED, _)) => {}
                                Err(other) => panic!("{other:?}"),
                            }
                        }
                        stores[w].store(0, Ordering::SeqCst);
                        ok(wt_free(s));
                        done.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            // Two interrupter threads hit random stores until every worker is done.
            let interrupters: Vec<_> = (0..2u64)
                .map(|k| {
                    let (stores, done) = (stores.clone(), done.clone());
                    std::thread::spawn(move || {
                        let mut x = 0x1234_5678_9abc_def1u64 ^ k;
                        let mut sent = 0u64;
                        while done.load(Ordering::SeqCst) < workers {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            let s = stores[(x % workers as u64) as usize].load(Ordering::SeqCst);
                            // The store may be freed right now: BAD_HANDLE is fine.
                            let st = wt_store_interrupt(s);
                            assert!(
                                st == WT_OK || st == WT_ERR_BAD_HANDLE,
                                "wt_store_interrupt: {st}"
                            );
                            sent += (st == WT_OK) as u64;
                            std::thread::sleep(Duration::from_micros(200 + x % 800));
                        }
                        sent
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            let sent: u64 = interrupters.into_iter().map(|t| t.join().unwrap()).sum();
            eprintln!(
                "interrupts: {sent} sent, {} spins interrupted",
                interrupted.load(Ordering::Relaxed)
            );
            for h in [m, l, e] {
                ok(wt_free(h));
            }
        },
    );
}

/// Handles queued for the finalizer thread, which frees them while the
/// threads that made them keep using them.
struct Finalizer {
    queue: Mutex<Vec<u64>>,
    stop: AtomicBool,
}

#[test]
fn finalizer_thread_frees_while_others_call() {
    watchdog(
        "finalizer",
        Duration::from_secs(240) * scale() as u32,
        || {
            let env = leak_env(true);
            let fin = Arc::new(Finalizer {
                queue: Mutex::new(Vec::new()),
                stop: AtomicBool::new(false),
            });
            let (e, m, l) = shared_setup(env);
            let freed = Arc::new(AtomicU64::new(0));
            let finalizer = {
                let (fin, freed) = (fin.clone(), freed.clone());
                std::thread::spawn(move || {
                    let mut x = 88172645463325252u64;
                    loop {
                        let h = {
                            let mut q = fin.queue.lock().unwrap();
                            if q.is_empty() {
                                None
                            } else {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                                let i = (x % q.len() as u64) as usize;
                                Some(q.swap_remove(i))
                            }
                        };
                        match h {
                            Some(h) => {
                                // Any handle, any time: freeing is always safe.
                                let st = wt_free(h);
                                assert!(st == WT_OK || st == WT_ERR_BAD_HANDLE, "free: {st}");
                                freed.fetch_add((st == WT_OK) as u64, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_micros(x % 300));
                            }
                            None if fin.stop.load(Ordering::SeqCst) => break,
                            None => std::thread::sleep(Duration::from_micros(100)),
                        }
                    }
                })
            };
            let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<i32, u64>::new()));
            // Pairs of threads share a store, so WT_ERR_BUSY happens too.
            let threads: Vec<_> = (0..4)
                .map(|p| {
                    let fin = fin.clone();
                    let statuses = statuses.clone();
                    std::thread::spawn(move || {
                        mark_thread();
                        for k in 0..60 * scale() as u64 {
                            let s = store(e);
                            let i = instantiate(l, s, m);
                            let funcs = [
                                func(s, i, "sum"),
                                func(s, i, "via_host"),
                                func(s, i, "double"),
                            ];
                            let mem = memory(s, i, "memory");
                            // Hand everything to the finalizer at once; keep using it.
                            fin.queue
                                .lock()
                                .unwrap()
                                .extend([s, i, funcs[0], funcs[1], funcs[2], mem]);
                            let partner = std::thread::spawn(move || {
                                mark_thread();
                                let mut seen = Vec::new();
                                for n in 0..200u64 {
                                    let f = funcs[(n % 3) as usize];
                                    let mut out = 0u64;
                                    let st = unsafe { wt_call(s, f, &(n % 300), 1, &mut out, 1) };
                                    seen.push(st);
                                    if st == WT_ERR_BAD_HANDLE && n > 20 {
                                        break;
                                    }
                                }
                                seen
                            });
                            let mut seen = Vec::new();
                            for n in 0..200u64 {
                                let st = match n % 4 {
                                    0 => {
                                        let mut b = [0u8; 8];
                                        unsafe { wt_memory_read(s, mem, 8 * n, b.as_mut_ptr(), 8) }
                                    }
                                    1 => {
                                        let mut out = 0u64;
                                        unsafe { wt_call(s, funcs[1], &n, 1, &mut out, 1) }
                                    }
                                    _ => {
                                        let mut out = 0u64;
                                        let st = unsafe {
                                            wt_call(s, funcs[0], &(n + k), 1, &mut out, 1)
                                        };
                                        if st == WT_OK {
                                            let x = n + k;
                                            assert_eq!(out, (x * (x + 1) / 2) & 0xffff_ffff);
                                        }
                                        st
                                    }
                                };
                                seen.push(st);
                                if st == WT_ERR_BAD_HANDLE && n > 20 {
                                    break;
                                }
                            }
                            seen.extend(partner.join().unwrap());
                            let mut all = statuses.lock().unwrap();
                            for st in seen {
                                assert!(
                                    matches!(st, WT_OK | WT_ERR_BAD_HANDLE | WT_ERR_BUSY),
                                    "pair {p} round {k}: status {st}: {}",
                                    msg()
                                );
                                *all.entry(st).or_default() += 1;
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            fin.stop.store(true, Ordering::SeqCst);
            finalizer.join().unwrap();
            eprintln!(
                "finalizer: {} handles freed on the finalizer thread; statuses seen {:?}",
                freed.load(Ordering::Relaxed),
                statuses.lock().unwrap()
            );
            for h in [m, l, e] {
                ok(wt_free(h));
            }
        },
    );
}

// ---- frees and caller handles crossing threads while a callback runs ----------

struct Hold {
    entered: Barrier,
    release: Barrier,
    caller: AtomicU64,
    after: Mutex<Vec<i32>>,
}

/// Publishes its caller handle, waits while another thread frees things,
/// then tries to use the caller again.
unsafe extern "C" fn hold_cb(
    env: *mut c_void,
    caller: u64,
    _a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    let h = unsafe { &*(env as *const Hold) };
    h.caller.store(caller, Ordering::SeqCst);
    h.entered.wait();
    h.release.wait();
    let mut f = 0;
    let mut k = 0;
    let st1 = unsafe { wt_caller_get_export(caller, "double".as_ptr().cast(), 6, &mut f, &mut k) };
    let mut out = 0;
    let st2 = if st1 == WT_OK {
        unsafe { wt_call(caller, f, &3, 1, &mut out, 1) }
    } else {
        st1
    };
    h.after.lock().unwrap().extend([st1, st2]);
    unsafe { *r = 7 };
    0
}

#[test]
fn everything_freed_by_another_thread_during_a_callback() {
    watchdog("free_during_callback", Duration::from_secs(60), || {
        let hold: &'static Hold = Box::leak(Box::new(Hold {
            entered: Barrier::new(2),
            release: Barrier::new(2),
            caller: AtomicU64::new(0),
            after: Mutex::new(Vec::new()),
        }));
        let e = engine();
        let m = module(e, WAT);
        let l = linker(e);
        define(
            l,
            "host",
            "check",
            &[WT_I32],
            &[WT_I32],
            hold_cb,
            hold as *const Hold as *mut c_void,
        );
        let s = store(e);
        let i = instantiate(l, s, m);
        let via = func(s, i, "via_host");
        let t = std::thread::spawn(move || call(s, via, &[1], 1));
        hold.entered.wait();
        // While the callback runs on the other thread: its caller handle is
        // not usable here, the store is busy, and everything can be freed.
        let caller = hold.caller.load(Ordering::SeqCst);
        let mut f = 0;
        let st = unsafe {
            wt_caller_get_export(
                caller,
                "double".as_ptr().cast(),
                6,
                &mut f,
                std::ptr::null_mut(),
            )
        };
        let m1 = fails(st, WT_ERR_BAD_HANDLE);
        assert!(m1.contains("outside"), "{m1}");
        let e_msg = "x";
        fails(
            unsafe { wt_caller_set_error(caller, e_msg.as_ptr().cast(), 1) },
            WT_ERR_BAD_HANDLE,
        );
        fails(unsafe { wt_call(s, via, &1, 1, &mut f, 1) }, WT_ERR_BUSY);
        fails(wt_free(caller), WT_ERR_INVALID_ARGUMENT);
        for h in [via, i, s, l, m, e] {
            ok(wt_free(h));
        }
        fails(wt_free(s), WT_ERR_BAD_HANDLE);
        hold.release.wait();
        // The call completes: the store lived until it returned.
        assert_eq!(t.join().unwrap().unwrap(), vec![7]);
        // Inside, after the free, the caller no longer reached its store.
        assert_eq!(
            *hold.after.lock().unwrap(),
            vec![WT_ERR_BAD_HANDLE, WT_ERR_BAD_HANDLE]
        );
        let mut k = 0;
        fails(unsafe { wt_handle_kind(caller, &mut k) }, WT_ERR_BAD_HANDLE);
    });
}

/// A finalizer that calls back into libwt (as Go/Dart finalizers might),
/// run when a shadowed callback definition is dropped.
static FIN_LINKER: AtomicU64 = AtomicU64::new(0);
static FIN_STORE: AtomicU64 = AtomicU64::new(0);
static FIN_MODULE: AtomicU64 = AtomicU64::new(0);
static FIN_STATUS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

unsafe extern "C" fn reentrant_finalizer(_env: *mut c_void) {
    let l = FIN_LINKER.load(Ordering::SeqCst);
    // Uses the very linker whose definition is being replaced.
    let mut out = 0;
    let st1 = wt_linker_allow_shadowing(l, 1);
    let (s, m) = (
        FIN_STORE.load(Ordering::SeqCst),
        FIN_MODULE.load(Ordering::SeqCst),
    );
    let st2 = unsafe { wt_linker_instantiate(l, s, m, &mut out) };
    FIN_STATUS.lock().unwrap().extend([st1, st2]);
}

#[test]
fn finalizer_reentering_the_linker_does_not_deadlock() {
    watchdog("reentrant_finalizer", Duration::from_secs(30), || {
        let e = engine();
        let l = linker(e);
        let s = store(e);
        let m = module(e, "(module)");
        FIN_LINKER.store(l, Ordering::SeqCst);
        FIN_STORE.store(s, Ordering::SeqCst);
        FIN_MODULE.store(m, Ordering::SeqCst);
        ok(wt_linker_allow_shadowing(l, 1));
        let ft = functype(&[WT_I32], &[WT_I32]);
        for _ in 0..3 {
            // Only the linker holds the callback object: the next definition drops it.
            define_with_finalizer(
                l,
                "host",
                "check",
                ft,
                check_cb,
                std::ptr::null_mut(),
                reentrant_finalizer,
            );
        }
        ok(wt_free(l));
        for h in [ft, s, m, e] {
            ok(wt_free(h));
        }
        let seen = FIN_STATUS.lock().unwrap().clone();
        assert_eq!(seen.len(), 6, "every finalizer ran: {seen:?}");
        // While a definition drops the callback it replaces, the linker is
        // busy for the finalizer (before the fix, instantiate deadlocked here);
        // once the linker is freed, its handle is stale.
        assert_eq!(
            seen,
            [
                WT_ERR_BUSY,
                WT_ERR_BUSY,
                WT_ERR_BUSY,
                WT_ERR_BUSY,
                WT_ERR_BAD_HANDLE,
                WT_ERR_BAD_HANDLE
            ]
        );
        eprintln!("re-entrant finalizer statuses: {seen:?}");
    });
}

/// Finalizers that chain through two linkers: redefining on linker A drops a
/// callback whose finalizer redefines on linker B, which drops a callback
/// whose finalizer instantiates with A. This thread holds A's write lock all
/// along: that instantiation gets `WT_ERR_BUSY` (before the fix only the
/// innermost linker was remembered, and it waited for A's lock: deadlock).
static CHAIN: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static CHAIN_HANDLES: Mutex<[u64; 5]> = Mutex::new([0; 5]); // a, b, store, module, functype

unsafe extern "C" fn chain_fin_b(_env: *mut c_void) {
    let [a, _, s, m, _] = *CHAIN_HANDLES.lock().unwrap();
    let mut out = 0;
    let st = unsafe { wt_linker_instantiate(a, s, m, &mut out) };
    CHAIN.lock().unwrap().push(st);
}

unsafe extern "C" fn chain_fin_a(_env: *mut c_void) {
    let [_, b, _, _, ft] = *CHAIN_HANDLES.lock().unwrap();
    let mut obj = 0;
    let st1 = unsafe { wt_callback_new(ft, Some(check_cb), std::ptr::null_mut(), None, &mut obj) };
    // Replaces (drops) B's callback, whose finalizer is `chain_fin_b`.
    let st2 =
        unsafe { wt_linker_define_func(b, "host".as_ptr().cast(), 4, "y".as_ptr().cast(), 1, obj) };
    let st3 = wt_free(obj);
    CHAIN.lock().unwrap().extend([st1, st2, st3]);
}

#[test]
fn finalizers_chained_through_two_linkers_do_not_deadlock() {
    watchdog("chained_finalizers", Duration::from_secs(30), || {
        let e = engine();
        let (a, b) = (linker(e), linker(e));
        let s = store(e);
        let m = module(e, "(module)");
        let ft = functype(&[WT_I32], &[WT_I32]);
        *CHAIN_HANDLES.lock().unwrap() = [a, b, s, m, ft];
        ok(wt_linker_allow_shadowing(a, 1));
        ok(wt_linker_allow_shadowing(b, 1));
        let null = std::ptr::null_mut();
        define_with_finalizer(a, "host", "x", ft, check_cb, null, chain_fin_a);
        define_with_finalizer(b, "host", "y", ft, check_cb, null, chain_fin_b);
        // Replaces A's callback: chain_fin_a runs, then chain_fin_b inside it.
        define_with_finalizer(a, "host", "x", ft, check_cb, null, chain_fin_a);
        let seen = CHAIN.lock().unwrap().clone();
        assert_eq!(seen, [WT_ERR_BUSY, WT_OK, WT_OK, WT_OK], "{seen:?}");
        // Outside the definitions the same instantiation works.
        let mut inst = 0;
        ok(unsafe { wt_linker_instantiate(a, s, m, &mut inst) });
        for h in [a, b, ft, s, m, e] {
            ok(wt_free(h));
        }
    });
}

/// A store's right of use moves between threads (`owner.rs`): handed back
/// and forth while idle it never reports busy; while one thread is inside a
/// callback the other gets exactly WT_ERR_BUSY; freed by the other thread
/// while in use, it is destroyed only when the running call returns.
#[test]
fn store_moves_between_threads_and_busy_is_exact() {
    struct Gate {
        entered: Barrier,
        release: Barrier,
        hold: AtomicBool,
        finalized: AtomicBool,
    }
    unsafe extern "C" fn gate_cb(
        env: *mut c_void,
        caller: u64,
        a: *const u64,
        _n: usize,
        r: *mut u64,
        _m: usize,
    ) -> i32 {
        let g = unsafe { &*(env as *const Gate) };
        if g.hold.load(Ordering::SeqCst) {
            g.entered.wait();
            g.release.wait();
        }
        // Re-entering through the caller handle works unless the store was
        // freed meanwhile (then the caller handle has outlived its store).
        let mut kind = 0;
        let mut f = 0;
        let st =
            unsafe { wt_caller_get_export(caller, "double".as_ptr().cast(), 6, &mut f, &mut kind) };
        let x = unsafe { *a };
        let mut out = x * 2;
        if st == WT_OK {
            ok(unsafe { wt_call(caller, f, &x, 1, &mut out, 1) });
        } else {
            assert_eq!(st, WT_ERR_BAD_HANDLE, "{}", msg());
        }
        unsafe { *r = out };
        0
    }
    unsafe extern "C" fn gate_fin(env: *mut c_void) {
        unsafe { &*(env as *const Gate) }
            .finalized
            .store(true, Ordering::SeqCst);
    }
    watchdog(
        "store_moves_between_threads",
        Duration::from_secs(120),
        || {
            let gate: &'static Gate = Box::leak(Box::new(Gate {
                entered: Barrier::new(2),
                release: Barrier::new(2),
                hold: AtomicBool::new(false),
                finalized: AtomicBool::new(false),
            }));
            let e = engine();
            let m = module(e, WAT);
            let l = linker(e);
            let ft = functype(&[WT_I32], &[WT_I32]);
            define_with_finalizer(
                l,
                "host",
                "check",
                ft,
                gate_cb,
                gate as *const Gate as *mut c_void,
                gate_fin,
            );
            ok(wt_free(ft));
            let s = store(e);
            let i = instantiate(l, s, m);
            let via = func(s, i, "via_host");
            let dbl = func(s, i, "double");

            // 1. Handed back and forth while idle: every call succeeds.
            let (to_b, b_rx) = std::sync::mpsc::channel::<u64>();
            let (to_a, a_rx) = std::sync::mpsc::channel::<()>();
            let b = std::thread::spawn(move || {
                while let Ok(n) = b_rx.recv() {
                    if n == 0 {
                        break;
                    }
                    let mut out = 0;
                    ok(unsafe { wt_call(s, via, &n, 1, &mut out, 1) });
                    assert_eq!(out, n * 2);
                    to_a.send(()).unwrap();
                }
            });
            for n in 1..=500u64 {
                let mut out = 0;
                ok(unsafe { wt_call(s, dbl, &n, 1, &mut out, 1) });
                assert_eq!(out, n * 2);
                to_b.send(n).unwrap();
                a_rx.recv().unwrap();
            }
            to_b.send(0).unwrap();
            b.join().unwrap();

            // 2. Inside a callback on this thread: another thread gets BUSY,
            //    then succeeds once the call has returned.
            gate.hold.store(true, Ordering::SeqCst);
            let other = std::thread::spawn(move || {
                gate.entered.wait();
                let (x, mut out) = (3u64, 0u64);
                fails(unsafe { wt_call(s, dbl, &x, 1, &mut out, 1) }, WT_ERR_BUSY);
                fails(wt_store_gc(s), WT_ERR_BUSY);
                gate.release.wait();
            });
            let (x, mut out) = (21u64, 0u64);
            ok(unsafe { wt_call(s, via, &x, 1, &mut out, 1) });
            assert_eq!(out, 42);
            other.join().unwrap();
            gate.hold.store(false, Ordering::SeqCst);
            let t = std::thread::spawn(move || {
                let (x, mut out) = (5u64, 0u64);
                ok(unsafe { wt_call(s, dbl, &x, 1, &mut out, 1) });
                assert_eq!(out, 10);
            });
            t.join().unwrap();

            // 3. Freed by another thread while this thread is inside it: the
            //    call finishes, then the store is destroyed (its funcs' env
            //    finalizer runs once the linker is gone too).
            ok(wt_free(l));
            gate.hold.store(true, Ordering::SeqCst);
            let freer = std::thread::spawn(move || {
                gate.entered.wait();
                ok(wt_free(s));
                // Stale at once for everyone.
                fails(wt_store_gc(s), WT_ERR_BAD_HANDLE);
                assert!(
                    !gate.finalized.load(Ordering::SeqCst),
                    "destroyed while in use"
                );
                gate.release.wait();
            });
            let (x, mut out) = (4u64, 0u64);
            ok(unsafe { wt_call(s, via, &x, 1, &mut out, 1) });
            assert_eq!(out, 8);
            freer.join().unwrap();
            assert!(
                gate.finalized.load(Ordering::SeqCst),
                "store not destroyed after its last call"
            );
            fails(
                unsafe { wt_call(s, dbl, &x, 1, &mut out, 1) },
                WT_ERR_BAD_HANDLE,
            );
            ok(wt_free(m));
            ok(wt_free(e));
        },
    );
}

/// A store's right of use is biased to a thread record, which libwt finds
/// through the thread pointer on the call path. Threads that made stores
/// exit; new threads (which often get the dead threads' thread pointers and
/// recycled records) and the test thread keep using those stores, with
/// callbacks re-entering them.
#[test]
fn stores_outlive_the_threads_that_made_them() {
    watchdog(
        "stores_outlive_their_threads",
        Duration::from_secs(120),
        || {
            let env = leak_env(false);
            let (e, m, l) = shared_setup(env);
            mark_thread();
            let mut made = Vec::new();
            for round in 0..40u64 {
                // Made and used on a thread that then exits.
                let (s, via) = std::thread::spawn(move || {
                    mark_thread();
                    let s = store(e);
                    let i = instantiate(l, s, m);
                    let via = func(s, i, "via_host");
                    let mut out = 0;
                    ok(unsafe { wt_call(s, via, &round, 1, &mut out, 1) });
                    assert_eq!(out, round * 2);
                    (s, via)
                })
                .join()
                .unwrap();
                // Used by the next thread (perhaps with the same thread
                // pointer and the same recycled record), then by this one.
                std::thread::spawn(move || {
                    mark_thread();
                    for x in 0..3u64 {
                        let mut out = 0;
                        ok(unsafe { wt_call(s, via, &x, 1, &mut out, 1) });
                        assert_eq!(out, x * 2);
                    }
                })
                .join()
                .unwrap();
                let mut out = 0;
                ok(unsafe { wt_call(s, via, &7, 1, &mut out, 1) });
                assert_eq!(out, 14);
                made.push((s, via));
            }
            // Every store again from a fresh thread, and from this one.
            let all = made.clone();
            std::thread::spawn(move || {
                mark_thread();
                for (k, (s, via)) in all.into_iter().enumerate() {
                    let mut out = 0;
                    ok(unsafe { wt_call(s, via, &(k as u64), 1, &mut out, 1) });
                    assert_eq!(out, 2 * k as u64);
                }
            })
            .join()
            .unwrap();
            for (s, via) in &made {
                let mut out = 0;
                ok(unsafe { wt_call(*s, *via, &1, 1, &mut out, 1) });
                assert_eq!(out, 2);
            }
            assert_eq!(env.calls.load(Ordering::Relaxed), 40 * 5 + 80);
            for (s, _) in made {
                ok(wt_free(s));
            }
            ok(wt_free(l));
            ok(wt_free(m));
            ok(wt_free(e));
        },
    );
}

/// Calls libwt from a thread-local destructor that runs after libwt's own
/// per-thread error record was destroyed (thread-exit destructors run in the
/// reverse order of registration; C++ `thread_local` objects and D/Go
/// runtimes do this). A failing call returns its status and the status and
/// trap code stay readable; the message says why it is missing. Before the
/// fix, recording the error panicked outside the panic boundary: the process
/// aborted.
#[test]
fn calls_from_thread_exit_destructors_after_libwt_s_own() {
    struct LateUser(std::sync::mpsc::Sender<(i32, i32, String, usize)>);
    impl Drop for LateUser {
        fn drop(&mut self) {
            // Runs after libwt's message record is gone.
            let st = wt_free(0);
            let status = wt_error_status();
            let m = unsafe { std::ffi::CStr::from_ptr(wt_error_message()) };
            let mut buf = [0 as std::ffi::c_char; 8];
            let n = unsafe { wt_error_message_copy(buf.as_mut_ptr(), buf.len()) };
            let _ = self
                .0
                .send((st, status, m.to_string_lossy().into_owned(), n));
        }
    }
    thread_local!(static LATE: std::cell::RefCell<Option<LateUser>> = const { std::cell::RefCell::new(None) });

    watchdog("thread_exit_destructors", Duration::from_secs(20), || {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Registered first, so destroyed last.
            LATE.with(|l| *l.borrow_mut() = Some(LateUser(tx)));
            // The first failure registers libwt's message record.
            fails(wt_free(0), WT_ERR_BAD_HANDLE);
            let e = engine();
            ok(wt_free(e));
        })
        .join()
        .unwrap();
        let (st, status, m, n) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(st, WT_ERR_BAD_HANDLE);
        assert_eq!(status, WT_ERR_BAD_HANDLE);
        assert!(m.contains("thread is exiting"), "{m}");
        assert_eq!(n, m.len());
    });
}
