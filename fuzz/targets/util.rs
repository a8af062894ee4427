//! Helpers shared by the fuzz target bodies (`fuzz/targets/*.rs`), which are
//! compiled both into the cargo-fuzz binaries (`fuzz/fuzz_targets/*.rs`) and
//! into the regression test `tests/fuzz_regressions.rs`.
//!
//! Every check `panic!`s: under libFuzzer a panic is a crash (the input is
//! saved in `fuzz/artifacts/<target>/`), in the regression test a failure.
#![allow(dead_code)]

use std::ffi::CStr;
use std::sync::OnceLock;

use wt::*;

/// The last error message on this thread.
pub fn msg() -> String {
    unsafe { CStr::from_ptr(wt_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Panics unless `st` is one of `allowed` (which never includes
/// `WT_ERR_INTERNAL`) and, for a failure, `wt_error_status()` agrees.
#[track_caller]
pub fn check(name: &str, st: i32, allowed: &[i32]) -> i32 {
    if st == WT_ERR_INTERNAL {
        panic!("{name}: WT_ERR_INTERNAL: {}", msg());
    }
    if !allowed.contains(&st) {
        panic!(
            "{name}: status {st} is not one of {allowed:?}: {}",
            if st == WT_OK { String::new() } else { msg() }
        );
    }
    if st != WT_OK && wt_error_status() != st {
        panic!(
            "{name}: returned {st} but wt_error_status() is {}",
            wt_error_status()
        );
    }
    st
}

/// Frees a handle that must be live.
#[track_caller]
pub fn free(h: u64) {
    check("wt_free", wt_free(h), &[WT_OK]);
}

/// Two engines made once per process and never freed: Wasmtime's defaults,
/// and one with every `WT_FEATURE_*` switched on (memory64, GC, exceptions,
/// threads, ...), so that inputs using proposals off by default still get
/// past validation into compilation.
pub fn engines() -> [u64; 2] {
    static ENGINES: OnceLock<[u64; 2]> = OnceLock::new();
    *ENGINES.get_or_init(|| {
        let mut plain = 0;
        check(
            "wt_engine_new",
            unsafe { wt_engine_new(&mut plain) },
            &[WT_OK],
        );
        let mut c = 0;
        check("wt_config_new", unsafe { wt_config_new(&mut c) }, &[WT_OK]);
        for feature in 0..=WT_FEATURE_CUSTOM_PAGE_SIZES {
            check(
                "wt_config_set_feature",
                wt_config_set_feature(c, feature, 1),
                &[WT_OK],
            );
        }
        let mut all = 0;
        check(
            "wt_engine_new_with_config",
            unsafe { wt_engine_new_with_config(c, &mut all) },
            &[WT_OK],
        );
        free(c);
        [plain, all]
    })
}

/// One import or export as the introspection functions describe it.
#[derive(Debug, PartialEq, Eq)]
pub struct Item {
    pub module: Vec<u8>,
    pub name: Vec<u8>,
    pub kind: i32,
    /// Kind-specific: func params/results, global type, memory/table limits.
    pub detail: Vec<u64>,
}

type NameFn = unsafe extern "C" fn(u64, usize, *mut u8, usize, *mut usize) -> i32;

/// A name through the sizing protocol: ask with (NULL, 0), then copy into a
/// buffer of exactly that size; a buffer one byte short must be refused.
fn name_of(f: NameFn, what: &str, m: u64, i: usize) -> Vec<u8> {
    let mut len = usize::MAX;
    let st = check(
        what,
        unsafe { f(m, i, std::ptr::null_mut(), 0, &mut len) },
        &[WT_OK, WT_ERR_OUT_OF_BOUNDS],
    );
    assert!(len != usize::MAX, "{what}: sizing call left out_len unset");
    assert_eq!(
        st == WT_OK,
        len == 0,
        "{what}: sizing status {st} for length {len}"
    );
    let mut buf = vec![0u8; len];
    let mut len2 = 0;
    check(
        what,
        unsafe { f(m, i, buf.as_mut_ptr(), buf.len(), &mut len2) },
        &[WT_OK],
    );
    assert_eq!(len, len2, "{what}: length changed between calls");
    if len > 0 {
        let mut short = vec![0u8; len - 1];
        check(
            what,
            unsafe { f(m, i, short.as_mut_ptr(), short.len(), &mut len2) },
            &[WT_ERR_OUT_OF_BOUNDS],
        );
    }
    buf
}

fn valid_type_code(t: i32) -> bool {
    (WT_I32..=WT_ANYREF).contains(&t)
}

/// Everything the introspection functions say about a module's imports and
/// exports, checking each answer (and the refusals around it) on the way.
/// Every functype handle it gets is freed.
pub fn introspect(m: u64) -> Vec<Item> {
    let (mut ni, mut ne) = (usize::MAX, usize::MAX);
    check(
        "wt_module_import_count",
        unsafe { wt_module_import_count(m, &mut ni) },
        &[WT_OK],
    );
    check(
        "wt_module_export_count",
        unsafe { wt_module_export_count(m, &mut ne) },
        &[WT_OK],
    );
    let mut items = Vec::new();
    for (is_import, n) in [(1, ni), (0, ne)] {
        for i in 0..n {
            let (module, name) = if is_import == 1 {
                (
                    name_of(wt_module_import_module, "wt_module_import_module", m, i),
                    name_of(wt_module_import_name, "wt_module_import_name", m, i),
                )
            } else {
                (
                    Vec::new(),
                    name_of(wt_module_export_name, "wt_module_export_name", m, i),
                )
            };
            items.push(item(m, is_import, i, module, name));
        }
        // One past the end, and a bad is_import.
        let mut k = -1;
        let mut ft = 7;
        check(
            "wt_module_item_type",
            unsafe { wt_module_item_type(m, is_import, n, &mut k, &mut ft) },
            &[WT_ERR_OUT_OF_BOUNDS],
        );
        let mut len = 0;
        let f: NameFn = if is_import == 1 {
            wt_module_import_name
        } else {
            wt_module_export_name
        };
        check(
            "wt_module_{import,export}_name",
            unsafe { f(m, n, std::ptr::null_mut(), 0, &mut len) },
            &[WT_ERR_OUT_OF_BOUNDS],
        );
        check(
            "wt_module_item_global_type",
            unsafe {
                wt_module_item_global_type(
                    m,
                    is_import,
                    n,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                )
            },
            &[WT_ERR_OUT_OF_BOUNDS],
        );
    }
    check(
        "wt_module_item_type",
        unsafe { wt_module_item_type(m, 2, 0, &mut 0, std::ptr::null_mut()) },
        &[WT_ERR_INVALID_ARGUMENT],
    );
    items
}

fn item(m: u64, is_import: i32, i: usize, module: Vec<u8>, name: Vec<u8>) -> Item {
    let mut kind = -1;
    let mut ft = u64::MAX;
    check(
        "wt_module_item_type",
        unsafe { wt_module_item_type(m, is_import, i, &mut kind, &mut ft) },
        &[WT_OK],
    );
    assert!(
        (WT_EXTERN_FUNC..=WT_EXTERN_TAG).contains(&kind),
        "wt_module_item_type: unknown extern kind {kind}"
    );
    assert_eq!(
        kind == WT_EXTERN_FUNC,
        ft != 0,
        "wt_module_item_type: functype {ft:#x} for kind {kind}"
    );
    let mut detail = Vec::new();
    if ft != 0 {
        let mut kk = -1;
        check(
            "wt_handle_kind",
            unsafe { wt_handle_kind(ft, &mut kk) },
            &[WT_OK],
        );
        assert_eq!(kk, WT_KIND_FUNCTYPE, "item functype handle of kind {kk}");
        let (mut np, mut nr) = (0, 0);
        check(
            "wt_func_param_count",
            unsafe { wt_func_param_count(ft, &mut np) },
            &[WT_OK],
        );
        check(
            "wt_func_result_count",
            unsafe { wt_func_result_count(ft, &mut nr) },
            &[WT_OK],
        );
        detail.push(np as u64);
        detail.push(nr as u64);
        for j in 0..=np {
            let mut t = -1;
            let st = check(
                "wt_func_param_type",
                unsafe { wt_func_param_type(ft, j, &mut t) },
                &[WT_OK, WT_ERR_OUT_OF_BOUNDS],
            );
            assert_eq!(st == WT_OK, j < np, "wt_func_param_type({j}) of {np}: {st}");
            if st == WT_OK {
                assert!(valid_type_code(t), "param type code {t}");
                detail.push(t as u64);
            }
        }
        for j in 0..=nr {
            let mut t = -1;
            let st = check(
                "wt_func_result_type",
                unsafe { wt_func_result_type(ft, j, &mut t) },
                &[WT_OK, WT_ERR_OUT_OF_BOUNDS],
            );
            assert_eq!(
                st == WT_OK,
                j < nr,
                "wt_func_result_type({j}) of {nr}: {st}"
            );
            if st == WT_OK {
                assert!(valid_type_code(t), "result type code {t}");
                detail.push(t as u64);
            }
        }
        free(ft);
    }
    // Each typed query answers for its own kind and refuses the others.
    let want = |k: i32| if kind == k { WT_OK } else { WT_ERR_WRONG_KIND };
    let (mut t, mut mutable) = (-1, -1);
    if check(
        "wt_module_item_global_type",
        unsafe { wt_module_item_global_type(m, is_import, i, &mut t, &mut mutable) },
        &[want(WT_EXTERN_GLOBAL)],
    ) == WT_OK
    {
        assert!(valid_type_code(t), "global type code {t}");
        assert!(mutable == 0 || mutable == 1, "global mutability {mutable}");
        detail.extend([t as u64, mutable as u64]);
    }
    let (mut min, mut max, mut is64) = (0u64, 0u64, -1);
    if check(
        "wt_module_item_memory_type",
        unsafe { wt_module_item_memory_type(m, is_import, i, &mut min, &mut max, &mut is64) },
        &[want(WT_EXTERN_MEMORY)],
    ) == WT_OK
    {
        assert!(min <= max, "memory minimum {min} above maximum {max}");
        assert!(is64 == 0 || is64 == 1, "memory is_64 {is64}");
        detail.extend([min, max, is64 as u64]);
    }
    let (mut et, mut tmin, mut tmax) = (-1, 0u64, 0u64);
    if check(
        "wt_module_item_table_type",
        unsafe { wt_module_item_table_type(m, is_import, i, &mut et, &mut tmin, &mut tmax) },
        &[want(WT_EXTERN_TABLE)],
    ) == WT_OK
    {
        assert!(
            [WT_FUNCREF, WT_EXTERNREF, WT_ANYREF].contains(&et),
            "table element type {et}"
        );
        assert!(tmin <= tmax, "table minimum {tmin} above maximum {tmax}");
        detail.extend([et as u64, tmin, tmax]);
    }
    // The same questions with every out-pointer NULL where that is allowed.
    check(
        "wt_module_item_type",
        unsafe { wt_module_item_type(m, is_import, i, &mut 0, std::ptr::null_mut()) },
        &[WT_OK],
    );
    check(
        "wt_module_item_type",
        unsafe { wt_module_item_type(m, is_import, i, std::ptr::null_mut(), std::ptr::null_mut()) },
        &[WT_ERR_NULL_POINTER],
    );
    Item {
        module,
        name,
        kind,
        detail,
    }
}

/// Everything a module says about itself, and its serialization round trip:
/// `wt_module_serialize`, then `wt_module_deserialize` of those bytes into the
/// same engine must succeed and describe the same imports and exports, into
/// the other engine it may be refused (different features) but cleanly, and
/// a strict prefix of the bytes (`cut` picks the length) must be refused.
pub fn introspect_and_round_trip(engine: u64, other: u64, m: u64, cut: usize) {
    let items = introspect(m);
    let mut b = 0;
    check(
        "wt_module_serialize",
        unsafe { wt_module_serialize(m, &mut b) },
        &[WT_OK],
    );
    let mut p = std::ptr::null();
    let mut n = 0;
    check(
        "wt_bytes_data",
        unsafe { wt_bytes_data(b, &mut p, &mut n) },
        &[WT_OK],
    );
    let data = unsafe { std::slice::from_raw_parts(p, n) }.to_vec();
    free(b);

    let mut m2 = 0;
    check(
        "wt_module_deserialize",
        unsafe { wt_module_deserialize(engine, data.as_ptr(), data.len(), &mut m2) },
        &[WT_OK],
    );
    let items2 = introspect(m2);
    assert_eq!(
        items, items2,
        "a deserialized module describes itself differently"
    );
    free(m2);

    let mut m3 = 0;
    if check(
        "wt_module_deserialize (other engine)",
        unsafe { wt_module_deserialize(other, data.as_ptr(), data.len(), &mut m3) },
        &[WT_OK, WT_ERR_COMPILE],
    ) == WT_OK
    {
        assert_eq!(items, introspect(m3), "deserialized into the other engine");
        free(m3);
    }

    let short = &data[..cut % data.len()];
    let mut m4 = 0;
    check(
        "wt_module_deserialize (prefix)",
        unsafe { wt_module_deserialize(engine, short.as_ptr(), short.len(), &mut m4) },
        &[WT_ERR_COMPILE],
    );
}

/// A cheap, stable number from the input (to pick a cut point).
pub fn hash(data: &[u8]) -> usize {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    }) as usize
}
