//! The embedding surface: memory, globals, tables, introspection, precompiled
//! modules, WASI, limits and interruption, references.

mod common;
use common::*;

use std::time::{Duration, Instant};

use std::ffi::c_void;

fn name_of(mut f: impl FnMut(*mut u8, usize, *mut usize) -> i32) -> String {
    let mut n = 0;
    let st = f(std::ptr::null_mut(), 0, &mut n);
    assert!(st == WT_OK || st == WT_ERR_OUT_OF_BOUNDS);
    let mut buf = vec![0u8; n];
    ok(f(buf.as_mut_ptr(), n, &mut n));
    String::from_utf8(buf).unwrap()
}

#[test]
fn memory_size_grow_read_write_and_bounds() {
    let (e, s, i) = quick(r#"(module (memory (export "mem") 1 3) (data (i32.const 16) "hello"))"#);
    let m = memory(s, i, "mem");
    let (mut bytes, mut pages) = (0, 0);
    ok(unsafe { wt_memory_size(s, m, &mut bytes) });
    ok(unsafe { wt_memory_pages(s, m, &mut pages) });
    assert_eq!((bytes, pages), (65536, 1));
    let mut buf = [0u8; 5];
    ok(unsafe { wt_memory_read(s, m, 16, buf.as_mut_ptr(), 5) });
    assert_eq!(&buf, b"hello");
    ok(unsafe { wt_memory_write(s, m, 65530, b"abcdef".as_ptr(), 6) });
    // Out of bounds: a status, and nothing is written.
    fails(
        unsafe { wt_memory_write(s, m, 65531, b"abcdef".as_ptr(), 6) },
        WT_ERR_OUT_OF_BOUNDS,
    );
    fails(
        unsafe { wt_memory_read(s, m, u64::MAX, buf.as_mut_ptr(), 5) },
        WT_ERR_OUT_OF_BOUNDS,
    );
    ok(unsafe { wt_memory_read(s, m, 65531, buf.as_mut_ptr(), 5) });
    assert_eq!(&buf, b"bcdef");
    let mut old = 0;
    ok(unsafe { wt_memory_grow(s, m, 2, &mut old) });
    assert_eq!(old, 1);
    fails(unsafe { wt_memory_grow(s, m, 1, &mut old) }, WT_ERR_LIMIT);
    let (mut p, mut n) = (std::ptr::null_mut(), 0);
    ok(unsafe { wt_memory_data(s, m, &mut p, &mut n) });
    assert_eq!(n, 3 * 65536);
    assert_eq!(
        unsafe { std::slice::from_raw_parts(p.add(16), 5) },
        b"hello"
    );
    // Copies within the memory itself, through its own data pointer: the
    // ranges overlap, and the result is that of memmove.
    ok(unsafe { wt_memory_write(s, m, 17, p.add(16), 5) });
    assert_eq!(
        unsafe { std::slice::from_raw_parts(p.add(16), 6) },
        b"hhello"
    );
    ok(unsafe { wt_memory_read(s, m, 17, p.add(15), 5) });
    assert_eq!(
        unsafe { std::slice::from_raw_parts(p.add(15), 7) },
        b"hellolo"
    );
    ok(wt_free(s));
    ok(wt_free(e));
}

/// Host `log(ptr, len)`: reads the guest's string from its memory.
unsafe extern "C" fn log_cb(
    env: *mut c_void,
    caller: u64,
    a: *const u64,
    _n: usize,
    _r: *mut u64,
    _m: usize,
) -> i32 {
    let out = unsafe { &mut *(env as *mut Vec<String>) };
    let a = unsafe { std::slice::from_raw_parts(a, 2) };
    let mut mem = 0;
    let st = unsafe {
        wt_caller_get_export(
            caller,
            "memory".as_ptr().cast(),
            6,
            &mut mem,
            std::ptr::null_mut(),
        )
    };
    if st != WT_OK {
        return st;
    }
    let mut buf = vec![0u8; a[1] as usize];
    let st = unsafe { wt_memory_read(caller, mem, a[0], buf.as_mut_ptr(), buf.len()) };
    if st != WT_OK {
        return st;
    }
    out.push(String::from_utf8(buf).unwrap());
    0
}

/// Host `greet(ptr) -> len`: writes a string into the guest's memory.
unsafe extern "C" fn greet_cb(
    _e: *mut c_void,
    caller: u64,
    a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    let mut mem = 0;
    let mut kind = -1;
    if unsafe { wt_caller_get_export(caller, "memory".as_ptr().cast(), 6, &mut mem, &mut kind) }
        != WT_OK
        || kind != WT_EXTERN_MEMORY
    {
        return 1;
    }
    let msg = b"greetings from the host";
    let st = unsafe { wt_memory_write(caller, mem, *a, msg.as_ptr(), msg.len()) };
    unsafe { *r = msg.len() as u64 };
    st
}

#[test]
fn strings_pass_between_guest_and_host_through_memory() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    let mut logged: Vec<String> = Vec::new();
    define(
        l,
        "env",
        "log",
        &[WT_I32, WT_I32],
        &[],
        log_cb,
        &mut logged as *mut _ as *mut c_void,
    );
    define(
        l,
        "env",
        "greet",
        &[WT_I32],
        &[WT_I32],
        greet_cb,
        std::ptr::null_mut(),
    );
    let m = module(
        e,
        r#"(module
          (import "env" "log" (func $log (param i32 i32)))
          (import "env" "greet" (func $greet (param i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "hello from the guest")
          (func (export "run")
            (call $log (i32.const 0) (i32.const 20))
            ;; ask the host for a string at 100, then log it back
            (call $log (i32.const 100) (call $greet (i32.const 100)))))"#,
    );
    let i = instantiate(l, s, m);
    call(s, func(s, i, "run"), &[], 0).unwrap();
    assert_eq!(
        logged,
        vec![
            "hello from the guest".to_string(),
            "greetings from the host".to_string()
        ]
    );
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn globals_get_set_and_immutability() {
    let (e, s, i) = quick(
        r#"(module (global (export "counter") (mut i64) (i64.const 5))
                   (global (export "pi") f64 (f64.const 3.5))
                   (func (export "get") (result i64) (global.get 0)))"#,
    );
    let mut g = 0;
    ok(unsafe { wt_instance_get_global(s, i, "counter".as_ptr().cast(), 7, &mut g) });
    let mut v = 0;
    ok(unsafe { wt_global_get(s, g, &mut v) });
    assert_eq!(v, 5);
    ok(wt_global_set(s, g, (-9i64) as u64));
    assert_eq!(
        call(s, func(s, i, "get"), &[], 1).unwrap(),
        vec![(-9i64) as u64]
    );
    let (mut t, mut mutable) = (0, 0);
    ok(unsafe { wt_global_type(s, g, &mut t, &mut mutable) });
    assert_eq!((t, mutable), (WT_I64, 1));
    let mut pi = 0;
    ok(unsafe { wt_instance_get_global(s, i, "pi".as_ptr().cast(), 2, &mut pi) });
    ok(unsafe { wt_global_get(s, pi, &mut v) });
    assert_eq!(f64::from_bits(v), 3.5);
    fails(wt_global_set(s, pi, 0), WT_ERR_IMMUTABLE);
    // Asking for the wrong kind of export.
    let mut x = 0;
    fails(
        unsafe { wt_instance_get_memory(s, i, "pi".as_ptr().cast(), 2, &mut x) },
        WT_ERR_WRONG_KIND,
    );
    ok(wt_free(s));
    ok(wt_free(e));
}

#[test]
fn funcref_tables_size_grow_get_set() {
    let (e, s, i) = quick(
        r#"(module
          (type $t (func (result i32)))
          (table (export "tab") 2 10 funcref)
          (func $one (export "one") (result i32) (i32.const 1))
          (func $two (export "two") (result i32) (i32.const 2))
          (elem (i32.const 0) $one)
          (func (export "call_at") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))"#,
    );
    let mut t = 0;
    ok(unsafe { wt_instance_get_table(s, i, "tab".as_ptr().cast(), 3, &mut t) });
    let mut n = 0;
    ok(unsafe { wt_table_size(s, t, &mut n) });
    assert_eq!(n, 2);
    let mut ty = 0;
    ok(unsafe { wt_table_type(s, t, &mut ty) });
    assert_eq!(ty, WT_FUNCREF);
    let mut f0 = 0;
    ok(unsafe { wt_table_get(s, t, 0, &mut f0) });
    assert_ne!(f0, 0);
    assert_eq!(call(s, f0, &[], 1).unwrap(), vec![1]);
    let mut null = 1;
    ok(unsafe { wt_table_get(s, t, 1, &mut null) });
    assert_eq!(null, 0);
    let two = func(s, i, "two");
    ok(wt_table_set(s, t, 1, two));
    assert_eq!(call(s, func(s, i, "call_at"), &[1], 1).unwrap(), vec![2]);
    let mut old = 0;
    ok(unsafe { wt_table_grow(s, t, 3, two, &mut old) });
    assert_eq!(old, 2);
    assert_eq!(call(s, func(s, i, "call_at"), &[4], 1).unwrap(), vec![2]);
    fails(
        unsafe { wt_table_get(s, t, 5, &mut f0) },
        WT_ERR_OUT_OF_BOUNDS,
    );
    fails(wt_table_set(s, t, 99, two), WT_ERR_OUT_OF_BOUNDS);
    fails(
        unsafe { wt_table_grow(s, t, 100, 0, &mut old) },
        WT_ERR_LIMIT,
    );
    ok(wt_free(s));
    ok(wt_free(e));
}

#[test]
fn module_and_instance_introspection() {
    let e = engine();
    let m = module(
        e,
        r#"(module
          (import "env" "f" (func (param i32 f64) (result i64)))
          (import "env" "mem" (memory 1))
          (global (export "g") i32 (i32.const 0))
          (func (export "run") (param i64))
          (table (export "t") 1 funcref))"#,
    );
    let mut n = 0;
    ok(unsafe { wt_module_import_count(m, &mut n) });
    assert_eq!(n, 2);
    ok(unsafe { wt_module_export_count(m, &mut n) });
    assert_eq!(n, 3);
    assert_eq!(
        name_of(|b, c, l| unsafe { wt_module_import_module(m, 0, b, c, l) }),
        "env"
    );
    assert_eq!(
        name_of(|b, c, l| unsafe { wt_module_import_name(m, 1, b, c, l) }),
        "mem"
    );
    assert_eq!(
        name_of(|b, c, l| unsafe { wt_module_export_name(m, 1, b, c, l) }),
        "run"
    );
    let (mut kind, mut ft) = (0, 0);
    ok(unsafe { wt_module_item_type(m, 1, 0, &mut kind, &mut ft) });
    assert_eq!(kind, WT_EXTERN_FUNC);
    let mut t = 0;
    ok(unsafe { wt_func_param_type(ft, 1, &mut t) });
    assert_eq!(t, WT_F64);
    ok(unsafe { wt_func_result_type(ft, 0, &mut t) });
    assert_eq!(t, WT_I64);
    ok(wt_free(ft));
    ok(unsafe { wt_module_item_type(m, 1, 1, &mut kind, &mut ft) });
    assert_eq!((kind, ft), (WT_EXTERN_MEMORY, 0));
    ok(unsafe { wt_module_item_type(m, 0, 2, &mut kind, std::ptr::null_mut()) });
    assert_eq!(kind, WT_EXTERN_TABLE);
    fails(
        unsafe { wt_module_item_type(m, 0, 3, &mut kind, std::ptr::null_mut()) },
        WT_ERR_OUT_OF_BOUNDS,
    );
    // Types of non-function items.
    let (mut vt, mut mutable) = (-1, -1);
    ok(unsafe { wt_module_item_global_type(m, 0, 0, &mut vt, &mut mutable) });
    assert_eq!((vt, mutable), (WT_I32, 0));
    let (mut min, mut max, mut is64) = (0, 0, -1);
    ok(unsafe { wt_module_item_memory_type(m, 1, 1, &mut min, &mut max, &mut is64) });
    assert_eq!((min, max, is64), (1, u64::MAX, 0));
    let mut elem = -1;
    ok(unsafe { wt_module_item_table_type(m, 0, 2, &mut elem, &mut min, &mut max) });
    assert_eq!((elem, min, max), (WT_FUNCREF, 1, u64::MAX));
    fails(
        unsafe { wt_module_item_table_type(m, 0, 0, &mut elem, &mut min, &mut max) },
        WT_ERR_WRONG_KIND,
    );
    fails(
        unsafe { wt_module_item_memory_type(m, 2, 1, &mut min, &mut max, &mut is64) },
        WT_ERR_INVALID_ARGUMENT,
    );
    // Too small a buffer reports the needed length.
    let mut buf = [0u8; 2];
    let mut len = 0;
    fails(
        unsafe { wt_module_import_name(m, 1, buf.as_mut_ptr(), 2, &mut len) },
        WT_ERR_OUT_OF_BOUNDS,
    );
    assert_eq!(len, 3);
    ok(wt_free(m));

    let (e2, s, i) = quick(
        r#"(module (memory (export "memory") 1) (func (export "f")) (global (export "g") i32 (i32.const 1)))"#,
    );
    ok(unsafe { wt_instance_export_count(s, i, &mut n) });
    assert_eq!(n, 3);
    let mut kinds = vec![];
    let mut names = vec![];
    for k in 0..n {
        let mut kind = -1;
        names.push(name_of(|b, c, l| unsafe {
            wt_instance_export_name(s, i, k, b, c, l, &mut kind)
        }));
        kinds.push(kind);
    }
    assert_eq!(names, ["memory", "f", "g"]);
    assert_eq!(kinds, [WT_EXTERN_MEMORY, WT_EXTERN_FUNC, WT_EXTERN_GLOBAL]);
    let (mut h, mut kind) = (0, 0);
    ok(unsafe { wt_instance_get_export(s, i, "g".as_ptr().cast(), 1, &mut h, &mut kind) });
    assert_eq!(kind, WT_EXTERN_GLOBAL);
    fails(
        unsafe { wt_instance_get_export(s, i, "zz".as_ptr().cast(), 2, &mut h, &mut kind) },
        WT_ERR_NOT_FOUND,
    );
    for h in [s, e2, e] {
        ok(wt_free(h));
    }
}

#[test]
fn serialize_and_deserialize_modules() {
    let e = engine();
    let m = module(
        e,
        r#"(module (func (export "f") (result i32) i32.const 99))"#,
    );
    let mut b = 0;
    ok(unsafe { wt_module_serialize(m, &mut b) });
    let data = bytes(b);
    let mut m2 = 0;
    ok(unsafe { wt_module_deserialize(e, data.as_ptr(), data.len(), &mut m2) });
    let s = store(e);
    let l = linker(e);
    let i = instantiate(l, s, m2);
    assert_eq!(call(s, func(s, i, "f"), &[], 1).unwrap(), vec![99]);
    // Garbage and plain wasm are rejected with a status.
    let st = unsafe { wt_module_deserialize(e, b"not a module".as_ptr(), 12, &mut m2) };
    fails(st, WT_ERR_COMPILE);
    // Bytes from an engine with an incompatible configuration are rejected.
    let e2 = engine_with(|c| ok(wt_config_set_epoch_interruption(c, 0)));
    let st = unsafe { wt_module_deserialize(e2, data.as_ptr(), data.len(), &mut m2) };
    fails(st, WT_ERR_COMPILE);
    // Damaged bytes are refused before anything is loaded: cut short at any
    // length, or with any one byte changed (a sample of positions).
    for len in [
        0,
        1,
        39,
        40,
        data.len() / 2,
        data.len() - 41,
        data.len() - 1,
    ] {
        let st = unsafe { wt_module_deserialize(e, data.as_ptr(), len, &mut m2) };
        let msg = fails(st, WT_ERR_COMPILE);
        assert!(msg.contains("wt_module_serialize"), "{len}: {msg}");
    }
    let step = (data.len() / 97).max(1);
    for at in (0..data.len())
        .step_by(step)
        .chain([data.len() - 41, data.len() - 1])
    {
        let mut bad = data.clone();
        bad[at] ^= 0x10;
        let st = unsafe { wt_module_deserialize(e, bad.as_ptr(), bad.len(), &mut m2) };
        let msg = fails(st, WT_ERR_COMPILE);
        assert!(
            msg.contains("damaged") || msg.contains("trailer"),
            "byte {at}: {msg}"
        );
    }
    for h in [b, m, l, s, e, e2] {
        ok(wt_free(h));
    }
}

#[test]
fn compilation_cache_directory() {
    let dir = std::env::temp_dir().join(format!("libwt-cache-test-{}", std::process::id()));
    let d = dir.to_str().unwrap().to_string();
    let e = engine_with(|c| ok(unsafe { wt_config_set_cache_dir(c, d.as_ptr().cast(), d.len()) }));
    let wat = r#"(module (func (export "f") (result i32) i32.const 5))"#;
    let m = module(e, wat);
    let m2 = module(e, wat);
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_some(),
        "the cache wrote files"
    );
    for h in [m, m2, e] {
        ok(wt_free(h));
    }
    // A directory others may write is refused: they could plant machine code.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let mut c = 0;
        ok(unsafe { wt_config_new(&mut c) });
        let msg = fails(
            unsafe { wt_config_set_cache_dir(c, d.as_ptr().cast(), d.len()) },
            WT_ERR_INVALID_ARGUMENT,
        );
        assert!(msg.contains("writable by its group or by others"), "{msg}");
        ok(wt_free(c));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- limits and interruption ------------------------------------------------------

const SPIN: &str = r#"(module (func (export "spin") (loop (br 0))) (func (export "ok") (result i32) i32.const 1))"#;

#[test]
fn fuel_runs_out_and_can_be_refilled() {
    let e = engine_with(|c| ok(wt_config_set_consume_fuel(c, 1)));
    let s = store(e);
    let m = module(e, SPIN);
    let l = linker(e);
    ok(wt_store_set_fuel(s, 10_000));
    let i = instantiate(l, s, m);
    let (st, msg) = call(s, func(s, i, "spin"), &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_OUT_OF_FUEL, "{msg}");
    assert_eq!(wt_error_trap_code(), WT_TRAP_OUT_OF_FUEL);
    let mut f = 1;
    ok(unsafe { wt_store_get_fuel(s, &mut f) });
    assert_eq!(f, 0);
    ok(wt_store_set_fuel(s, 100));
    assert_eq!(call(s, func(s, i, "ok"), &[], 1).unwrap(), vec![1]);
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn timeout_stops_an_infinite_loop_and_the_store_stays_usable() {
    let (e, s, i) = quick(SPIN);
    ok(wt_store_set_timeout_ms(s, 50));
    let t = std::time::Instant::now();
    let (st, msg) = call(s, func(s, i, "spin"), &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_INTERRUPTED);
    assert!(msg.contains("timed out"), "{msg}");
    assert_eq!(wt_error_trap_code(), WT_TRAP_INTERRUPT);
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(call(s, func(s, i, "ok"), &[], 1).unwrap(), vec![1]);
    ok(wt_store_set_timeout_ms(s, 0));
    ok(wt_free(s));
    ok(wt_free(e));
}

#[test]
fn interrupt_from_another_thread() {
    let (e, s, i) = quick(SPIN);
    let spin = func(s, i, "spin");
    let t = std::thread::spawn(move || call(s, spin, &[], 0).unwrap_err());
    std::thread::sleep(std::time::Duration::from_millis(100));
    ok(wt_store_interrupt(s));
    let (st, msg) = t.join().unwrap();
    assert_eq!(st, WT_ERR_INTERRUPTED, "{msg}");
    assert!(msg.contains("interrupted"), "{msg}");
    assert_eq!(call(s, func(s, i, "ok"), &[], 1).unwrap(), vec![1]);
    ok(wt_free(s));
    ok(wt_free(e));
}

#[test]
fn memory_and_table_caps() {
    let e = engine();
    let s = store(e);
    ok(wt_store_set_limits(s, 2 * 65536, 5, 0));
    let m = module(
        e,
        r#"(module (memory (export "mem") 1) (table 1 funcref)
           (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
           (func (export "tgrow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))"#,
    );
    let l = linker(e);
    let i = instantiate(l, s, m);
    let grow = func(s, i, "grow");
    assert_eq!(call(s, grow, &[1], 1).unwrap(), vec![1]);
    // Beyond the cap memory.grow returns -1, as the spec says.
    assert_eq!(call(s, grow, &[1], 1).unwrap(), vec![u32::MAX as u64]);
    let mem = memory(s, i, "mem");
    let mut old = 0;
    fails(unsafe { wt_memory_grow(s, mem, 1, &mut old) }, WT_ERR_LIMIT);
    let tgrow = func(s, i, "tgrow");
    assert_eq!(call(s, tgrow, &[4], 1).unwrap(), vec![1]);
    assert_eq!(call(s, tgrow, &[1], 1).unwrap(), vec![u32::MAX as u64]);
    // With trap_on_grow_failure the guest is stopped instead, with the limit's status.
    ok(wt_store_set_limits(s, 2 * 65536, 5, 1));
    let (st, m_) = call(s, grow, &[1], 1).unwrap_err();
    assert_eq!(st, WT_ERR_LIMIT, "{m_}");
    assert!(m_.contains("limit"), "{m_}");
    // A module whose initial memory exceeds the cap cannot be instantiated.
    let big = module(e, r#"(module (memory 4))"#);
    let mut inst = 0;
    let st = unsafe { wt_linker_instantiate(l, s, big, &mut inst) };
    assert!(st == WT_ERR_LIMIT || st == WT_ERR_LINK, "{st}: {}", msg());
    for h in [big, m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn deep_recursion_is_a_stack_overflow_trap() {
    let (e, s, i) = quick(
        r#"(module (func $f (export "f") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))"#,
    );
    let (st, _) = call(s, func(s, i, "f"), &[1], 1).unwrap_err();
    assert_eq!(st, WT_ERR_TRAP);
    assert_eq!(wt_error_trap_code(), WT_TRAP_STACK_OVERFLOW);
    ok(wt_free(s));
    ok(wt_free(e));
}

// ---- references -------------------------------------------------------------------

unsafe extern "C" fn externref_cb(
    _e: *mut c_void,
    _c: u64,
    a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    unsafe { *r = *a + 1 };
    0
}

#[test]
fn externref_carries_host_values_and_funcref_is_a_func_handle() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    define(
        l,
        "",
        "bump",
        &[WT_EXTERNREF],
        &[WT_EXTERNREF],
        externref_cb,
        std::ptr::null_mut(),
    );
    let m = module(
        e,
        r#"(module
          (import "" "bump" (func $bump (param externref) (result externref)))
          (func (export "id") (param externref) (result externref) (local.get 0))
          (func (export "via_host") (param externref) (result externref) (call $bump (local.get 0)))
          (func $seven (result i32) (i32.const 7))
          (elem declare func $seven)
          (func (export "get_func") (result funcref) (ref.func $seven))
          (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0))))"#,
    );
    let i = instantiate(l, s, m);
    assert_eq!(
        call(s, func(s, i, "id"), &[0xfeed_beef_0000_0001], 1).unwrap(),
        vec![0xfeed_beef_0000_0001]
    );
    assert_eq!(call(s, func(s, i, "id"), &[0], 1).unwrap(), vec![0]);
    assert_eq!(call(s, func(s, i, "via_host"), &[41], 1).unwrap(), vec![42]);
    let f = call(s, func(s, i, "get_func"), &[], 1).unwrap()[0];
    let mut kind = 0;
    ok(unsafe { wt_handle_kind(f, &mut kind) });
    assert_eq!(kind, WT_KIND_FUNC);
    assert_eq!(call(s, f, &[], 1).unwrap(), vec![7]);
    assert_eq!(call(s, func(s, i, "is_null"), &[f], 1).unwrap(), vec![0]);
    assert_eq!(call(s, func(s, i, "is_null"), &[0], 1).unwrap(), vec![1]);
    // A non-func handle where a funcref is expected is refused.
    assert_eq!(
        call(s, func(s, i, "is_null"), &[s], 1).unwrap_err().0,
        WT_ERR_WRONG_KIND
    );
    ok(wt_store_gc(s));
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn v128_signatures_are_reported_not_crashed() {
    let (e, s, i) = quick(r#"(module (func (export "v") (param v128)))"#);
    let f = func(s, i, "v");
    let mut t = 0;
    ok(unsafe { wt_func_param_type(f, 0, &mut t) });
    assert_eq!(t, WT_V128);
    assert_eq!(call(s, f, &[0], 0).unwrap_err().0, WT_ERR_UNSUPPORTED);
    ok(wt_free(s));
    ok(wt_free(e));
}

// ---- callback objects and finalizers ---------------------------------------------------

static FINALIZED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
unsafe extern "C" fn finalize(env: *mut c_void) {
    assert_eq!(env as usize, 0x1234);
    FINALIZED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}
unsafe extern "C" fn seven_cb(
    _e: *mut c_void,
    _c: u64,
    _a: *const u64,
    _n: usize,
    r: *mut u64,
    _m: usize,
) -> i32 {
    unsafe { *r = 7 };
    0
}

#[test]
fn callback_objects_define_funcs_and_finalize_env_once_unused() {
    let e = engine();
    let ft = functype(&[], &[WT_I32]);
    let mut cb = 0;
    ok(unsafe {
        wt_callback_new(
            ft,
            Some(seven_cb),
            0x1234 as *mut c_void,
            Some(finalize),
            &mut cb,
        )
    });
    let l = linker(e);
    ok(unsafe { wt_linker_define_func(l, "".as_ptr().cast(), 0, "seven".as_ptr().cast(), 5, cb) });
    let s = store(e);
    let m = module(
        e,
        r#"(module (import "" "seven" (func $s (result i32))) (func (export "run") (result i32) (call $s)))"#,
    );
    let i = instantiate(l, s, m);
    assert_eq!(call(s, func(s, i, "run"), &[], 1).unwrap(), vec![7]);
    // A store func from the same callback, callable directly.
    let mut f = 0;
    ok(unsafe { wt_func_new(s, cb, &mut f) });
    assert_eq!(call(s, f, &[], 1).unwrap(), vec![7]);
    ok(wt_free(cb));
    ok(wt_free(l));
    assert_eq!(
        FINALIZED.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the store still uses it"
    );
    ok(wt_free(s));
    assert_eq!(FINALIZED.load(std::sync::atomic::Ordering::SeqCst), 1);
    for h in [m, ft, e] {
        ok(wt_free(h));
    }
}

#[test]
fn linker_define_exports_of_another_instance() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    let lib = module(
        e,
        r#"(module (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))) (memory (export "mem") 1))"#,
    );
    let li = instantiate(l, s, lib);
    ok(unsafe { wt_linker_define_instance(l, s, "lib".as_ptr().cast(), 3, li) });
    let twice = func(s, li, "twice");
    ok(unsafe {
        wt_linker_define(
            l,
            s,
            "alias".as_ptr().cast(),
            5,
            "t".as_ptr().cast(),
            1,
            twice,
        )
    });
    let app = module(
        e,
        r#"(module (import "lib" "twice" (func $a (param i32) (result i32))) (import "alias" "t" (func $b (param i32) (result i32)))
           (import "lib" "mem" (memory 1))
           (func (export "run") (param i32) (result i32) (call $b (call $a (local.get 0)))))"#,
    );
    let ai = instantiate(l, s, app);
    assert_eq!(call(s, func(s, ai, "run"), &[5], 1).unwrap(), vec![20]);
    // Redefinition is an error unless shadowing is allowed.
    let st = unsafe {
        wt_linker_define(
            l,
            s,
            "alias".as_ptr().cast(),
            5,
            "t".as_ptr().cast(),
            1,
            twice,
        )
    };
    fails(st, WT_ERR_LINK);
    ok(wt_linker_allow_shadowing(l, 1));
    ok(unsafe {
        wt_linker_define(
            l,
            s,
            "alias".as_ptr().cast(),
            5,
            "t".as_ptr().cast(),
            1,
            twice,
        )
    });
    for h in [lib, app, l, s, e] {
        ok(wt_free(h));
    }
}

// ---- WASI -------------------------------------------------------------------------

const WASI_ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "hello from wasi\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 200))))
  ;; prints a greeting, then argv[1], then echoes stdin to stderr, then exits with 3
  (func (export "_start") (local $n i32)
    (call $write (i32.const 1) (i32.const 8) (i32.const 16))
    (drop (call $args_sizes_get (i32.const 300) (i32.const 304)))
    (drop (call $args_get (i32.const 400) (i32.const 500)))
    ;; argv[1] pointer at 404; its length = argv_buf_size - (argv[1] - argv[0]) - 1 (last arg)
    (call $write (i32.const 1) (i32.load (i32.const 404))
      (i32.sub (i32.sub (i32.load (i32.const 304)) (i32.sub (i32.load (i32.const 404)) (i32.load (i32.const 400)))) (i32.const 1)))
    (i32.store (i32.const 0) (i32.const 1000))
    (i32.store (i32.const 4) (i32.const 100))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 208)))
    (call $write (i32.const 2) (i32.const 1000) (i32.load (i32.const 208)))
    (call $proc_exit (i32.const 3))))"#;

#[test]
fn wasi_args_stdin_captured_output_and_exit_code() {
    let e = engine();
    let mut w = 0;
    ok(unsafe { wt_wasi_config_new(&mut w) });
    for a in ["prog", "ARG-ONE"] {
        ok(unsafe { wt_wasi_config_add_arg(w, a.as_ptr().cast(), a.len()) });
    }
    ok(unsafe { wt_wasi_config_add_env(w, "K".as_ptr().cast(), 1, "V".as_ptr().cast(), 1) });
    fails(
        unsafe { wt_wasi_config_add_env(w, "A=B".as_ptr().cast(), 3, "V".as_ptr().cast(), 1) },
        WT_ERR_INVALID_ARGUMENT,
    );
    // NUL bytes would cut the guest's C strings short: refused.
    let m = fails(
        unsafe { wt_wasi_config_add_arg(w, "a\0b".as_ptr().cast(), 3) },
        WT_ERR_INVALID_ARGUMENT,
    );
    assert!(m.contains("NUL"), "{m}");
    fails(
        unsafe { wt_wasi_config_add_env(w, c"K".as_ptr(), 2, "V".as_ptr().cast(), 1) },
        WT_ERR_INVALID_ARGUMENT,
    );
    fails(
        unsafe { wt_wasi_config_add_env(w, "K2".as_ptr().cast(), 2, "V\0W".as_ptr().cast(), 3) },
        WT_ERR_INVALID_ARGUMENT,
    );
    ok(unsafe { wt_wasi_config_set_stdin_bytes(w, b"piped input".as_ptr(), 11) });
    ok(wt_wasi_config_set_stdout(w, WT_STDIO_CAPTURE));
    ok(wt_wasi_config_set_stderr(w, WT_STDIO_CAPTURE));
    fails(wt_wasi_config_set_stdout(w, 7), WT_ERR_INVALID_ARGUMENT);
    let missing = "/definitely/not/here";
    fails(
        unsafe {
            wt_wasi_config_preopen_dir(
                w,
                missing.as_ptr().cast(),
                missing.len(),
                "/".as_ptr().cast(),
                1,
                1,
            )
        },
        WT_ERR_IO,
    );
    let s = store(e);
    ok(wt_store_set_wasi(s, w));
    let l = linker(e);
    ok(wt_linker_define_wasi(l));
    let m = module(e, WASI_ECHO);
    let i = instantiate(l, s, m);
    let (st, msg) = call(s, func(s, i, "_start"), &[], 0).unwrap_err();
    assert_eq!(st, WT_ERR_EXIT, "{msg}");
    assert_eq!(wt_error_exit_code(), 3);
    let mut out = 0;
    ok(unsafe { wt_store_wasi_output(s, 1, &mut out) });
    assert_eq!(
        String::from_utf8(bytes(out)).unwrap(),
        "hello from wasi\nARG-ONE"
    );
    let mut err = 0;
    ok(unsafe { wt_store_wasi_output(s, 2, &mut err) });
    assert_eq!(bytes(err), b"piped input");
    fails(
        unsafe { wt_store_wasi_output(s, 3, &mut err) },
        WT_ERR_INVALID_ARGUMENT,
    );
    for h in [out, err, w, m, l, s, e] {
        ok(wt_free(h));
    }
}

/// A guest that sleeps through WASI `poll_oneoff`: one relative clock
/// subscription at 0 (userdata 42), the event at 64, the event count at 128;
/// `sleep2` asks for two clock subscriptions (WASI's own implementation).
const WASI_SLEEP: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $sub (param $at i32) (param $ns i64)
    (i64.store (local.get $at) (i64.const 42))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))
    (i32.store offset=16 (local.get $at) (i32.const 1))
    (i64.store offset=24 (local.get $at) (local.get $ns))
    (i64.store offset=32 (local.get $at) (i64.const 0))
    (i32.store16 offset=40 (local.get $at) (i32.const 0)))
  (func (export "sleep") (param $ns i64) (result i32)
    (call $sub (i32.const 0) (local.get $ns))
    (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
  (func (export "sleep2") (param $ns i64) (result i32)
    (call $sub (i32.const 0) (local.get $ns))
    (call $sub (i32.const 48) (local.get $ns))
    (call $poll (i32.const 0) (i32.const 256) (i32.const 2) (i32.const 128))))"#;

/// WASI sleeps obey the store's timeout and `wt_store_interrupt` (Wasmtime's
/// WASI sleeps in one piece, out of reach of epoch interruption: a guest
/// asking for 1,000 s held its thread for 1,000 s).
#[test]
fn wasi_sleep_obeys_timeout_and_interrupt() {
    let e = engine();
    let s = store(e);
    let l = linker(e);
    ok(wt_linker_define_wasi(l));
    let m = module(e, WASI_SLEEP);
    let i = instantiate(l, s, m);
    let (sleep, sleep2) = (func(s, i, "sleep"), func(s, i, "sleep2"));
    let mem = memory(s, i, "memory");
    let read = |at: u64, n: usize| {
        let mut b = vec![0u8; n];
        ok(unsafe { wt_memory_read(s, mem, at, b.as_mut_ptr(), n) });
        b
    };
    // A short sleep completes, with its event written.
    let t = Instant::now();
    assert_eq!(call(s, sleep, &[10_000_000], 1).unwrap(), vec![0]);
    assert!(t.elapsed() >= Duration::from_millis(10));
    assert_eq!(read(64, 11), [42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(read(128, 4), [1, 0, 0, 0]);
    // Two subscriptions: WASI's own implementation answers.
    assert_eq!(call(s, sleep2, &[1_000_000], 1).unwrap(), vec![0]);
    assert!(read(128, 4)[0] >= 1);
    // 1,000 s under a 100 ms timeout.
    ok(wt_store_set_timeout_ms(s, 100));
    let t = Instant::now();
    let (st, msg) = call(s, sleep, &[1_000_000_000_000], 1).unwrap_err();
    assert_eq!(st, WT_ERR_INTERRUPTED, "{msg}");
    assert!(msg.contains("timed out"), "{msg}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    ok(wt_store_set_timeout_ms(s, 0));
    // 1,000 s, interrupted from another thread.
    let t = Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        ok(wt_store_interrupt(s));
    });
    let (st, msg) = call(s, sleep, &[1_000_000_000_000], 1).unwrap_err();
    stopper.join().unwrap();
    assert_eq!(st, WT_ERR_INTERRUPTED, "{msg}");
    assert!(msg.contains("wt_store_interrupt"), "{msg}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // The store still works.
    assert_eq!(call(s, sleep, &[0], 1).unwrap(), vec![0]);
    for h in [m, l, s, e] {
        ok(wt_free(h));
    }
}

#[test]
fn wasi_preopened_directory_read_only_and_read_write() {
    let dir = std::env::temp_dir().join(format!("libwt-wasi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("in.txt"), b"file contents").unwrap();
    // path_open(dirfd 3, "in.txt") then fd_read into memory and write it to stdout;
    // then try to create "out.txt" and return the errno of that path_open.
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "in.txt")
      (data (i32.const 120) "out.txt")
      (func (export "run") (result i32)
        (if (i32.ne (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 6) (i32.const 0)
                      (i64.const 2) (i64.const 2) (i32.const 0) (i32.const 200)) (i32.const 0))
          (then (return (i32.const -1))))
        (i32.store (i32.const 0) (i32.const 1000))
        (i32.store (i32.const 4) (i32.const 64))
        (drop (call $read (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 300)))
        (i32.store (i32.const 4) (i32.load (i32.const 300)))
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 304)))
        ;; O_CREAT = 1, rights fd_write = 64
        (call $open (i32.const 3) (i32.const 0) (i32.const 120) (i32.const 7) (i32.const 1)
                    (i64.const 64) (i64.const 64) (i32.const 0) (i32.const 204))))"#;
    let e = engine();
    let l = linker(e);
    ok(wt_linker_define_wasi(l));
    let m = module(e, wat);
    let d = dir.to_str().unwrap();
    for (ro, expect_ok) in [(1, false), (0, true)] {
        let mut w = 0;
        ok(unsafe { wt_wasi_config_new(&mut w) });
        ok(wt_wasi_config_set_stdout(w, WT_STDIO_CAPTURE));
        ok(unsafe {
            wt_wasi_config_preopen_dir(
                w,
                d.as_ptr().cast(),
                d.len(),
                "/data".as_ptr().cast(),
                5,
                ro,
            )
        });
        let s = store(e);
        ok(wt_store_set_wasi(s, w));
        let i = instantiate(l, s, m);
        let errno = call(s, func(s, i, "run"), &[], 1).unwrap()[0];
        let mut out = 0;
        ok(unsafe { wt_store_wasi_output(s, 1, &mut out) });
        assert_eq!(bytes(out), b"file contents");
        assert_eq!(errno == 0, expect_ok, "read_only={ro}: errno {errno}");
        assert_eq!(dir.join("out.txt").exists(), expect_ok);
        for h in [out, w, s] {
            ok(wt_free(h));
        }
    }
    for h in [m, l, e] {
        ok(wt_free(h));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A host callback that returns a funcref result as a stale func handle: the
/// call fails like a failing callback, naming the result and the reason.
#[test]
fn callback_result_that_cannot_convert_is_a_callback_error() {
    let e = engine();
    let s = store(e);
    let m = module(
        e,
        r#"(module (import "host" "f" (func $f (result funcref)))
             (func (export "get") (result i32) (ref.is_null (call $f)))
             (func (export "one") (result i32) (i32.const 1)))"#,
    );
    // A func handle that was freed: stale by the time the callback returns it.
    let (e2, s2, i2) = quick(r#"(module (func (export "x")))"#);
    let stale = func(s2, i2, "x");
    ok(wt_free(stale));
    let l = linker(e);
    define(
        l,
        "host",
        "f",
        &[],
        &[WT_FUNCREF],
        return_env,
        stale as *mut _,
    );
    let i = instantiate(l, s, m);
    let (st, msg) = call(s, func(s, i, "get"), &[], 1).unwrap_err();
    assert_eq!(st, WT_ERR_CALLBACK, "{msg}");
    assert!(msg.contains("result 0 of the host callback"), "{msg}");
    assert!(msg.contains("stale"), "{msg}");
    // The store is still usable.
    assert_eq!(call(s, func(s, i, "one"), &[], 1).unwrap(), vec![1]);
    for h in [s, m, l, e, s2, e2] {
        ok(wt_free(h));
    }
}
