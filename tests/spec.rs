//! The official WebAssembly spec test suite (`../shared/testsuite/*.wast`),
//! run through libwt's C ABI only.
//!
//! Scripts are parsed with the `wast` crate; everything else (compiling,
//! validating, linking, instantiating, calling, reading globals, checking
//! traps) goes through the exported `wt_*` functions exactly as a C embedder
//! would call them. The `wasmtime` crate is never used directly.
//!
//! * Each script gets its own store and linker (`register` and the `spectest`
//!   module are `wt_linker_define_instance`); scripts run on worker threads in
//!   parallel, one store per thread at a time, sharing one engine.
//! * Every directive is one command: passed, failed, or unsupported. A command
//!   is unsupported when a value it needs cannot travel in a 64-bit slot (v128,
//!   GC references other than funcref/externref, exnref, an externref made
//!   from a GC object by `extern.convert_any`): libwt must then refuse the call
//!   with `WT_ERR_UNSUPPORTED`, which is checked, but the assertion itself is
//!   not counted as passed.
//! * The engine is libwt's defaults plus every proposal toggle except threads
//!   (libwt's default off): no script of the suite uses shared memory or atomics.
//! * Every failure must be listed with its reason in
//!   `tests/spec-expected-failures.txt` (`file.wast:LINE reason`); an
//!   unlisted failure or a listed command that now passes fails the test.
//! * `WT_SPEC_REPORT=1` writes the per-file table to `docs/spec-results.md`.
//!   `WT_SPEC_FILTER=substr` runs only matching files (for debugging).
//!
//! Value encoding used by the harness: `(ref.extern N)` travels as the
//! externref payload N+1 (libwt reserves payload 0 for null).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{c_void, CStr};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::Span;
use wast::{
    QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat,
};

use wt::*;

// ---- small ABI helpers --------------------------------------------------------------

fn msg() -> String {
    unsafe { CStr::from_ptr(wt_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// A failed libwt call: status, trap code, message.
/// What an invoke produced: the result slots (or the error) and the result type codes.
type CallResult = (Result<Vec<u64>, WtErr>, Vec<i32>);

#[derive(Debug, Clone)]
struct WtErr {
    status: i32,
    trap: i32,
    msg: String,
}

impl std::fmt::Display for WtErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "status {} ({})", self.status, status_name(self.status))?;
        if self.trap >= 0 {
            write!(f, ", trap code {}", self.trap)?;
        }
        write!(f, ": {}", first_line(&self.msg))
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn check(status: i32) -> Result<(), WtErr> {
    if status == WT_OK {
        Ok(())
    } else {
        Err(WtErr {
            status,
            trap: wt_error_trap_code(),
            msg: msg(),
        })
    }
}

fn status_name(s: i32) -> &'static str {
    match s {
        WT_OK => "WT_OK",
        WT_ERR_BAD_HANDLE => "WT_ERR_BAD_HANDLE",
        WT_ERR_WRONG_KIND => "WT_ERR_WRONG_KIND",
        WT_ERR_NULL_POINTER => "WT_ERR_NULL_POINTER",
        WT_ERR_INVALID_ARGUMENT => "WT_ERR_INVALID_ARGUMENT",
        WT_ERR_COMPILE => "WT_ERR_COMPILE",
        WT_ERR_LINK => "WT_ERR_LINK",
        WT_ERR_TRAP => "WT_ERR_TRAP",
        WT_ERR_SIGNATURE => "WT_ERR_SIGNATURE",
        WT_ERR_OUT_OF_BOUNDS => "WT_ERR_OUT_OF_BOUNDS",
        WT_ERR_LIMIT => "WT_ERR_LIMIT",
        WT_ERR_INTERRUPTED => "WT_ERR_INTERRUPTED",
        WT_ERR_OUT_OF_FUEL => "WT_ERR_OUT_OF_FUEL",
        WT_ERR_CALLBACK => "WT_ERR_CALLBACK",
        WT_ERR_BUSY => "WT_ERR_BUSY",
        WT_ERR_EXIT => "WT_ERR_EXIT",
        WT_ERR_NOT_FOUND => "WT_ERR_NOT_FOUND",
        WT_ERR_UNSUPPORTED => "WT_ERR_UNSUPPORTED",
        WT_ERR_IO => "WT_ERR_IO",
        WT_ERR_IMMUTABLE => "WT_ERR_IMMUTABLE",
        WT_ERR_INTERNAL => "WT_ERR_INTERNAL",
        _ => "unknown status",
    }
}

fn type_name(t: i32) -> &'static str {
    match t {
        WT_I32 => "i32",
        WT_I64 => "i64",
        WT_F32 => "f32",
        WT_F64 => "f64",
        WT_V128 => "v128",
        WT_FUNCREF => "funcref",
        WT_EXTERNREF => "externref",
        WT_ANYREF => "anyref/GC/exn reference",
        _ => "?",
    }
}

fn fits_slot(t: i32) -> bool {
    !matches!(t, WT_V128 | WT_ANYREF)
}

// ---- outcomes -------------------------------------------------------------------------

/// The result of one command.
enum Outcome {
    Pass,
    Fail(String),
    Unsupported(String),
}
use Outcome::*;

/// Short-circuits a harness step into an `Outcome`.
type Step<T> = Result<T, Outcome>;

// ---- the engine and the spectest module -------------------------------------------------

/// Features enabled on top of libwt's defaults. Every proposal the scripts use and
/// libwt can toggle is switched on explicitly (several are already on by default);
/// threads stays off (libwt's default): no script in the suite uses shared
/// memories or atomics, and libwt does not expose shared memories anyway.
const FEATURES: &[(i32, &str)] = &[
    (WT_FEATURE_SIMD, "simd"),
    (WT_FEATURE_BULK_MEMORY, "bulk-memory"),
    (WT_FEATURE_MULTI_MEMORY, "multi-memory"),
    (WT_FEATURE_REFERENCE_TYPES, "reference-types"),
    (WT_FEATURE_GC, "gc"),
    (WT_FEATURE_FUNCTION_REFERENCES, "function-references"),
    (WT_FEATURE_TAIL_CALL, "tail-call"),
    (WT_FEATURE_MEMORY64, "memory64"),
    (WT_FEATURE_RELAXED_SIMD, "relaxed-simd"),
    (WT_FEATURE_EXCEPTIONS, "exceptions"),
    (WT_FEATURE_EXTENDED_CONST, "extended-const"),
    (WT_FEATURE_MULTI_VALUE, "multi-value"),
    (WT_FEATURE_WIDE_ARITHMETIC, "wide-arithmetic"),
    (WT_FEATURE_CUSTOM_PAGE_SIZES, "custom-page-sizes"),
];

fn make_engine() -> u64 {
    let mut c = 0;
    check(unsafe { wt_config_new(&mut c) }).unwrap();
    for (f, name) in FEATURES {
        check(wt_config_set_feature(c, *f, 1)).unwrap_or_else(|e| panic!("feature {name}: {e}"));
    }
    let mut e = 0;
    check(unsafe { wt_engine_new_with_config(c, &mut e) }).unwrap();
    check(wt_free(c)).unwrap();
    e
}

static PRINTS: AtomicUsize = AtomicUsize::new(0);

/// The `spectest` print functions: they only count their calls.
unsafe extern "C" fn print_cb(
    _env: *mut c_void,
    _caller: u64,
    _args: *const u64,
    _nargs: usize,
    _results: *mut u64,
    _nresults: usize,
) -> i32 {
    PRINTS.fetch_add(1, Ordering::Relaxed);
    0
}

const PRINTS_SIGS: &[(&str, &[i32])] = &[
    ("print", &[]),
    ("print_i32", &[WT_I32]),
    ("print_i64", &[WT_I64]),
    ("print_f32", &[WT_F32]),
    ("print_f64", &[WT_F64]),
    ("print_i32_f32", &[WT_I32, WT_F32]),
    ("print_f64_f64", &[WT_F64, WT_F64]),
];

/// The `spectest` module of the reference interpreter, as WAT. Its print functions
/// are imported from host callbacks (`wt_linker_define_callback`) and re-exported.
const SPECTEST_WAT: &str = r#"(module
  (import "spectest_host" "print" (func $print))
  (import "spectest_host" "print_i32" (func $print_i32 (param i32)))
  (import "spectest_host" "print_i64" (func $print_i64 (param i64)))
  (import "spectest_host" "print_f32" (func $print_f32 (param f32)))
  (import "spectest_host" "print_f64" (func $print_f64 (param f64)))
  (import "spectest_host" "print_i32_f32" (func $print_i32_f32 (param i32 f32)))
  (import "spectest_host" "print_f64_f64" (func $print_f64_f64 (param f64 f64)))
  (export "print" (func $print))
  (export "print_i32" (func $print_i32))
  (export "print_i64" (func $print_i64))
  (export "print_f32" (func $print_f32))
  (export "print_f64" (func $print_f64))
  (export "print_i32_f32" (func $print_i32_f32))
  (export "print_f64_f64" (func $print_f64_f64))
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
  (table (export "table") 10 20 funcref)
  (table (export "table64") i64 10 20 funcref)
  (memory (export "memory") 1 2))"#;

/// Engine-wide objects shared by all worker threads (engines, modules and
/// linkers are thread-safe in libwt).
struct Shared {
    engine: u64,
    /// Linker holding only the host print callbacks.
    host_linker: u64,
    spectest_module: u64,
}

fn make_shared() -> Shared {
    let engine = make_engine();
    let mut host_linker = 0;
    check(unsafe { wt_linker_new(engine, &mut host_linker) }).unwrap();
    for (name, params) in PRINTS_SIGS {
        let mut ft = 0;
        check(unsafe {
            wt_functype_new(params.as_ptr(), params.len(), std::ptr::null(), 0, &mut ft)
        })
        .unwrap();
        let m = "spectest_host";
        check(unsafe {
            wt_linker_define_callback(
                host_linker,
                m.as_ptr().cast(),
                m.len(),
                name.as_ptr().cast(),
                name.len(),
                ft,
                Some(print_cb),
                std::ptr::null_mut(),
            )
        })
        .unwrap();
        check(wt_free(ft)).unwrap();
    }
    let mut spectest_module = 0;
    check(unsafe {
        wt_module_from_wat(
            engine,
            SPECTEST_WAT.as_ptr().cast(),
            SPECTEST_WAT.len(),
            &mut spectest_module,
        )
    })
    .unwrap_or_else(|e| panic!("spectest module: {e}"));
    Shared {
        engine,
        host_linker,
        spectest_module,
    }
}

// ---- traps --------------------------------------------------------------------------------

/// The libwt trap codes that satisfy a spec trap message (`assert_trap`,
/// `assert_exhaustion`). `None` for a message this harness does not know: that
/// is reported as a failure, never guessed.
fn trap_codes_for(expected: &str) -> Option<&'static [i32]> {
    let m = expected;
    Some(if m.starts_with("call stack exhausted") {
        &[WT_TRAP_STACK_OVERFLOW]
    } else if m.starts_with("out of bounds memory access") {
        &[WT_TRAP_MEMORY_OUT_OF_BOUNDS]
    } else if m.starts_with("unaligned atomic") {
        &[WT_TRAP_HEAP_MISALIGNED]
    } else if m.starts_with("out of bounds table access") || m.starts_with("undefined element") {
        &[WT_TRAP_TABLE_OUT_OF_BOUNDS]
    } else if m.starts_with("uninitialized element") {
        &[WT_TRAP_INDIRECT_CALL_TO_NULL]
    } else if m.starts_with("indirect call type mismatch") {
        &[WT_TRAP_BAD_SIGNATURE]
    } else if m.starts_with("integer overflow") {
        &[WT_TRAP_INTEGER_OVERFLOW]
    } else if m.starts_with("integer divide by zero") {
        &[WT_TRAP_INTEGER_DIVISION_BY_ZERO]
    } else if m.starts_with("invalid conversion to integer") {
        &[WT_TRAP_BAD_CONVERSION_TO_INTEGER]
    } else if m.starts_with("unreachable") {
        &[WT_TRAP_UNREACHABLE]
    } else if m.starts_with("null") && m.contains("reference") {
        // "null reference", "null function reference", "null structure reference", ...
        &[WT_TRAP_NULL_REFERENCE]
    } else if m.starts_with("out of bounds array access") {
        &[WT_TRAP_ARRAY_OUT_OF_BOUNDS]
    } else if m.starts_with("cast failure") {
        &[WT_TRAP_CAST_FAILURE]
    } else if m.contains("too large") {
        &[WT_TRAP_ALLOCATION_TOO_LARGE]
    } else {
        return None;
    })
}

fn expect_trap(r: Result<(), WtErr>, expected: &str) -> Outcome {
    let Some(codes) = trap_codes_for(expected) else {
        return Fail(format!(
            "harness does not know the trap message {expected:?}"
        ));
    };
    match r {
        Ok(()) => Fail(format!("expected trap {expected:?}, but it succeeded")),
        Err(e) if e.status == WT_ERR_TRAP && codes.contains(&e.trap) => Pass,
        Err(e) => Fail(format!(
            "expected trap {expected:?} (trap codes {codes:?}), got {e}"
        )),
    }
}

// ---- the per-script runner --------------------------------------------------------------------

struct Runner<'a> {
    shared: &'a Shared,
    store: u64,
    linker: u64,
    current: Option<u64>,
    instances: HashMap<String, u64>,
    definitions: HashMap<String, u64>,
    last_definition: Option<u64>,
    funcs: HashMap<(u64, String), u64>,
    modules: Vec<u64>,
    /// Modules rejected as expected by assert_invalid/assert_malformed, and how
    /// many of those rejections carry the spec's message text (informational:
    /// Wasmtime's wording often differs).
    rejections: usize,
    rejections_with_spec_text: usize,
}

/// A module ready for libwt: wasm bytes, or WAT text for `wt_module_from_wat`.
enum Source {
    Wasm(Vec<u8>),
    Text(Vec<u8>),
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        for m in self.modules.drain(..) {
            wt_free(m);
        }
        wt_free(self.linker);
        wt_free(self.store);
    }
}

impl<'a> Runner<'a> {
    fn new(shared: &'a Shared) -> Result<Self, WtErr> {
        let e = shared.engine;
        let mut store = 0;
        check(unsafe { wt_store_new(e, &mut store) })?;
        let mut linker = 0;
        if let Err(err) = check(unsafe { wt_linker_new(e, &mut linker) }) {
            wt_free(store);
            return Err(err);
        }
        let r = Runner {
            shared,
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            funcs: HashMap::new(),
            modules: Vec::new(),
            rejections: 0,
            rejections_with_spec_text: 0,
        };
        // A later `register` under the same name replaces the earlier one.
        check(wt_linker_allow_shadowing(linker, 1))?;
        let mut spectest = 0;
        check(unsafe {
            wt_linker_instantiate(
                shared.host_linker,
                store,
                shared.spectest_module,
                &mut spectest,
            )
        })?;
        let name = "spectest";
        check(unsafe {
            wt_linker_define_instance(linker, store, name.as_ptr().cast(), name.len(), spectest)
        })?;
        Ok(r)
    }

    // -- modules --

    /// Turns a script module into something libwt can compile. `Err` carries the
    /// wast crate's text-level error (or an unsupported kind).
    fn source(&self, qw: &mut QuoteWat) -> Result<Source, Outcome> {
        match qw {
            QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..) => {
                Err(Unsupported("component model".into()))
            }
            QuoteWat::Wat(w) => match w.encode() {
                Ok(b) => Ok(Source::Wasm(b)),
                Err(e) => Err(Fail(format!(
                    "wast crate could not encode the module: {}",
                    e.message()
                ))),
            },
            QuoteWat::QuoteModule(..) => match qw.to_test() {
                Ok(QuoteWatTest::Text(t)) => Ok(Source::Text(t)),
                Ok(QuoteWatTest::Binary(b)) => Ok(Source::Wasm(b)),
                Err(e) => Err(Fail(format!("quote module: {}", e.message()))),
            },
        }
    }

    fn compile(&mut self, src: &Source) -> Result<u64, WtErr> {
        let e = self.shared.engine;
        let mut m = 0;
        match src {
            Source::Wasm(b) => {
                check(unsafe { wt_module_from_wasm(e, b.as_ptr(), b.len(), &mut m) })?
            }
            Source::Text(t) => {
                check(unsafe { wt_module_from_wat(e, t.as_ptr().cast(), t.len(), &mut m) })?
            }
        }
        self.modules.push(m);
        Ok(m)
    }

    fn instantiate(&mut self, module: u64) -> Result<u64, WtErr> {
        let mut i = 0;
        check(unsafe { wt_linker_instantiate(self.linker, self.store, module, &mut i) })?;
        Ok(i)
    }

    /// Checks that libwt rejects a module as invalid or malformed, without
    /// compiling it to machine code: WAT through `wt_wat2wasm`, bytes through
    /// `wt_module_validate`.
    fn expect_rejected(&mut self, qw: &mut QuoteWat, expected: &str) -> Outcome {
        let src = match self.source(qw) {
            Ok(s) => s,
            Err(o) => return o,
        };
        let bytes = match src {
            Source::Wasm(b) => b,
            Source::Text(t) => {
                let mut h = 0;
                match check(unsafe { wt_wat2wasm(t.as_ptr().cast(), t.len(), &mut h) }) {
                    Ok(()) => {
                        let mut p = std::ptr::null();
                        let mut n = 0;
                        check(unsafe { wt_bytes_data(h, &mut p, &mut n) }).unwrap();
                        let v = unsafe { std::slice::from_raw_parts(p, n) }.to_vec();
                        wt_free(h);
                        v
                    }
                    Err(e) if e.status == WT_ERR_COMPILE => return self.rejected(&e, expected),
                    // Text that is not UTF-8 is refused before parsing; the
                    // scripts use it to test malformed UTF-8.
                    Err(e)
                        if e.status == WT_ERR_INVALID_ARGUMENT
                            && std::str::from_utf8(&t).is_err() =>
                    {
                        return self.rejected(&e, expected)
                    }
                    Err(e) => return Fail(format!("expected {expected:?}, wt_wat2wasm gave {e}")),
                }
            }
        };
        match check(unsafe { wt_module_validate(self.shared.engine, bytes.as_ptr(), bytes.len()) })
        {
            Ok(()) => Fail(format!("expected {expected:?}, but the module validated")),
            Err(e) if e.status == WT_ERR_COMPILE => self.rejected(&e, expected),
            Err(e) => Fail(format!("expected {expected:?}, got {e}")),
        }
    }

    fn rejected(&mut self, e: &WtErr, expected: &str) -> Outcome {
        self.rejections += 1;
        if e.msg.contains(expected) {
            self.rejections_with_spec_text += 1;
        }
        Pass
    }

    fn module_directive(&mut self, mut qw: QuoteWat) -> Outcome {
        // A failed module leaves no current module: later invokes must not hit
        // an older one.
        self.current = None;
        let name = qw.name().map(|id| id.name().to_string());
        let src = match self.source(&mut qw) {
            Ok(s) => s,
            Err(o) => return o,
        };
        let m = match self.compile(&src) {
            Ok(m) => m,
            Err(e) => return Fail(format!("compile: {e}")),
        };
        match self.instantiate(m) {
            Ok(i) => {
                self.current = Some(i);
                if let Some(n) = name {
                    self.instances.insert(n, i);
                }
                Pass
            }
            Err(e) => Fail(format!("instantiate: {e}")),
        }
    }

    // -- calls --

    fn instance(&self, name: Option<&str>) -> Step<u64> {
        match name {
            Some(n) => self
                .instances
                .get(n)
                .copied()
                .ok_or_else(|| Fail(format!("no instance named ${n}"))),
            None => self
                .current
                .ok_or_else(|| Fail("no current module instance".into())),
        }
    }

    fn func(&mut self, inst: u64, name: &str) -> Step<u64> {
        if let Some(f) = self.funcs.get(&(inst, name.to_string())) {
            return Ok(*f);
        }
        let mut f = 0;
        check(unsafe {
            wt_instance_get_func(self.store, inst, name.as_ptr().cast(), name.len(), &mut f)
        })
        .map_err(|e| Fail(format!("export {name:?}: {e}")))?;
        self.funcs.insert((inst, name.to_string()), f);
        Ok(f)
    }

    /// Invokes an export. `Ok(Ok(results))` on return, `Ok(Err(e))` when libwt
    /// reports a failure (trap, ...), `Err(outcome)` when the call cannot be made.
    fn invoke(&mut self, inv: &WastInvoke) -> Step<CallResult> {
        let inst = self.instance(inv.module.map(|m| m.name()))?;
        let f = self.func(inst, inv.name)?;
        let (mut np, mut nr) = (0, 0);
        check(unsafe { wt_func_param_count(f, &mut np) }).map_err(|e| Fail(e.to_string()))?;
        check(unsafe { wt_func_result_count(f, &mut nr) }).map_err(|e| Fail(e.to_string()))?;
        let mut ptypes = vec![0; np];
        let mut rtypes = vec![0; nr];
        for (k, t) in ptypes.iter_mut().enumerate() {
            check(unsafe { wt_func_param_type(f, k, t) }).map_err(|e| Fail(e.to_string()))?;
        }
        for (k, t) in rtypes.iter_mut().enumerate() {
            check(unsafe { wt_func_result_type(f, k, t) }).map_err(|e| Fail(e.to_string()))?;
        }
        if inv.args.len() != np {
            return Err(Fail(format!(
                "{} takes {np} argument(s), the script passes {}",
                inv.name,
                inv.args.len()
            )));
        }
        let mut results = vec![0u64; nr];
        if let Some(t) = ptypes.iter().chain(&rtypes).find(|t| !fits_slot(**t)) {
            // libwt must refuse such a call cleanly.
            let args = vec![0u64; np];
            let st = unsafe { wt_call(self.store, f, args.as_ptr(), np, results.as_mut_ptr(), nr) };
            return Err(if st == WT_ERR_UNSUPPORTED {
                Unsupported(format!(
                    "{} value in the signature of {:?}",
                    type_name(*t),
                    inv.name
                ))
            } else {
                Fail(format!(
                    "wt_call on a signature with {} should be WT_ERR_UNSUPPORTED, got status {st}: {}",
                    type_name(*t),
                    msg()
                ))
            });
        }
        let mut args = Vec::with_capacity(np);
        for (a, t) in inv.args.iter().zip(&ptypes) {
            args.push(arg_slot(a, *t)?);
        }
        let r =
            check(unsafe { wt_call(self.store, f, args.as_ptr(), np, results.as_mut_ptr(), nr) });
        match r {
            // An externref made from a GC object (`extern.convert_any`) has no
            // uint64_t payload: libwt refuses to put it in a slot.
            Err(e)
                if e.status == WT_ERR_UNSUPPORTED
                    && rtypes.contains(&WT_EXTERNREF)
                    && e.msg
                        .contains("externref does not carry a libwt uint64_t payload") =>
            {
                Err(Unsupported(
                    "externref wrapping a GC object (extern.convert_any) as a result".into(),
                ))
            }
            r => Ok((r.map(|()| results), rtypes)),
        }
    }

    /// Frees func handles that libwt made for funcref results.
    fn release(&self, slots: &[u64], types: &[i32]) {
        for (s, t) in slots.iter().zip(types) {
            if *t == WT_FUNCREF && *s != 0 {
                wt_free(*s);
            }
        }
    }

    fn get_global(&mut self, module: Option<&str>, name: &str) -> Step<(u64, i32)> {
        let inst = self.instance(module)?;
        let mut g = 0;
        check(unsafe {
            wt_instance_get_global(self.store, inst, name.as_ptr().cast(), name.len(), &mut g)
        })
        .map_err(|e| Fail(format!("global {name:?}: {e}")))?;
        let mut ty = -1;
        check(unsafe { wt_global_type(self.store, g, &mut ty, std::ptr::null_mut()) })
            .map_err(|e| Fail(e.to_string()))?;
        let mut v = 0;
        let r = check(unsafe { wt_global_get(self.store, g, &mut v) });
        wt_free(g);
        if !fits_slot(ty) {
            return Err(match r {
                Err(e) if e.status == WT_ERR_UNSUPPORTED => {
                    Unsupported(format!("{} global {name:?}", type_name(ty)))
                }
                other => Fail(format!(
                    "wt_global_get of a {} global should be WT_ERR_UNSUPPORTED, got {other:?}",
                    type_name(ty)
                )),
            });
        }
        r.map_err(|e| Fail(format!("wt_global_get: {e}")))?;
        Ok((v, ty))
    }

    fn execute(&mut self, exec: &mut WastExecute) -> Step<CallResult> {
        match exec {
            WastExecute::Invoke(inv) => self.invoke(inv),
            WastExecute::Get { module, global, .. } => {
                let (v, t) = self.get_global(module.map(|m| m.name()), global)?;
                Ok((Ok(vec![v]), vec![t]))
            }
            WastExecute::Wat(w) => {
                let mut qw = QuoteWat::Wat(std::mem::replace(
                    w,
                    Wat::Module(wast::core::Module {
                        span: Span::from_offset(0),
                        id: None,
                        name: None,
                        kind: wast::core::ModuleKind::Binary(Vec::new()),
                    }),
                ));
                let src = self.source(&mut qw)?;
                let m = self
                    .compile(&src)
                    .map_err(|e| Fail(format!("compile: {e}")))?;
                Ok((self.instantiate(m).map(|_| Vec::new()), Vec::new()))
            }
        }
    }

    // -- directives --

    fn run(&mut self, d: WastDirective) -> Outcome {
        match d {
            WastDirective::Module(qw) => self.module_directive(qw),
            WastDirective::ModuleDefinition(mut qw) => {
                let name = qw.name().map(|id| id.name().to_string());
                let src = match self.source(&mut qw) {
                    Ok(s) => s,
                    Err(o) => return o,
                };
                match self.compile(&src) {
                    Ok(m) => {
                        self.last_definition = Some(m);
                        if let Some(n) = name {
                            self.definitions.insert(n, m);
                        }
                        Pass
                    }
                    Err(e) => Fail(format!("compile: {e}")),
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                self.current = None;
                let m = match module {
                    Some(id) => self.definitions.get(id.name()).copied(),
                    None => self.last_definition,
                };
                let Some(m) = m else {
                    return Fail("no such module definition".into());
                };
                match self.instantiate(m) {
                    Ok(i) => {
                        self.current = Some(i);
                        if let Some(id) = instance {
                            self.instances.insert(id.name().to_string(), i);
                        }
                        Pass
                    }
                    Err(e) => Fail(format!("instantiate: {e}")),
                }
            }
            WastDirective::Register { name, module, .. } => {
                let inst = match self.instance(module.map(|m| m.name())) {
                    Ok(i) => i,
                    Err(o) => return o,
                };
                match check(unsafe {
                    wt_linker_define_instance(
                        self.linker,
                        self.store,
                        name.as_ptr().cast(),
                        name.len(),
                        inst,
                    )
                }) {
                    Ok(()) => Pass,
                    Err(e) => Fail(format!("register: {e}")),
                }
            }
            WastDirective::Invoke(inv) => match self.invoke(&inv) {
                Ok((Ok(r), t)) => {
                    self.release(&r, &t);
                    Pass
                }
                Ok((Err(e), _)) => Fail(format!("invoke failed: {e}")),
                Err(o) => o,
            },
            WastDirective::AssertReturn {
                mut exec, results, ..
            } => match self.execute(&mut exec) {
                Ok((Ok(slots), types)) => {
                    let o = compare(&results, &slots, &types);
                    self.release(&slots, &types);
                    o
                }
                Ok((Err(e), _)) => Fail(format!("expected a return, got {e}")),
                Err(o) => o,
            },
            WastDirective::AssertTrap {
                mut exec, message, ..
            } => match self.execute(&mut exec) {
                Ok((r, types)) => {
                    if let Ok(slots) = &r {
                        self.release(slots, &types);
                    }
                    expect_trap(r.map(|_| ()), message)
                }
                Err(o) => o,
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok((r, types)) => {
                    if let Ok(slots) = &r {
                        self.release(slots, &types);
                    }
                    expect_trap(r.map(|_| ()), message)
                }
                Err(o) => o,
            },
            WastDirective::AssertException { mut exec, .. } => match self.execute(&mut exec) {
                Ok((Ok(slots), types)) => {
                    self.release(&slots, &types);
                    Fail("expected an uncaught exception, but it returned".into())
                }
                // libwt documents WT_TRAP_UNHANDLED_TAG as "an exception was thrown
                // and not caught".
                Ok((Err(e), _)) if e.status == WT_ERR_TRAP && e.trap == WT_TRAP_UNHANDLED_TAG => {
                    Pass
                }
                Ok((Err(e), _)) => Fail(format!(
                    "expected an uncaught exception (WT_ERR_TRAP, WT_TRAP_UNHANDLED_TAG), got {e}"
                )),
                Err(o) => o,
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => self.expect_rejected(&mut module, message),
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => self.expect_rejected(&mut module, message),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let mut qw = QuoteWat::Wat(module);
                let src = match self.source(&mut qw) {
                    Ok(s) => s,
                    Err(o) => return o,
                };
                let m = match self.compile(&src) {
                    Ok(m) => m,
                    Err(e) => {
                        return Fail(format!(
                            "expected {message:?} at link time, compile failed: {e}"
                        ))
                    }
                };
                match self.instantiate(m) {
                    Ok(_) => Fail(format!("expected {message:?}, but it instantiated")),
                    Err(e) if e.status == WT_ERR_LINK => Pass,
                    Err(e) => Fail(format!("expected a link error {message:?}, got {e}")),
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Unsupported("custom-section assertions".into())
            }
            WastDirective::AssertSuspension { .. } => Unsupported("stack switching".into()),
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Unsupported("wast threads".into())
            }
        }
    }
}

fn directive_kind(d: &WastDirective) -> &'static str {
    match d {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

// ---- values ----------------------------------------------------------------------------------

fn arg_slot(a: &WastArg, ty: i32) -> Step<u64> {
    let WastArg::Core(a) = a else {
        return Err(Unsupported("component-model argument".into()));
    };
    let mismatch = || {
        Fail(format!(
            "script argument {a:?} does not match parameter type {}",
            type_name(ty)
        ))
    };
    Ok(match (a, ty) {
        (WastArgCore::I32(x), WT_I32) => *x as u32 as u64,
        (WastArgCore::I64(x), WT_I64) => *x as u64,
        (WastArgCore::F32(x), WT_F32) => x.bits as u64,
        (WastArgCore::F64(x), WT_F64) => x.bits,
        (WastArgCore::RefNull(_), WT_FUNCREF | WT_EXTERNREF) => 0,
        (WastArgCore::RefExtern(n), WT_EXTERNREF) => *n as u64 + 1,
        (WastArgCore::V128(_), _) | (WastArgCore::RefHost(_), _) => {
            return Err(Unsupported(format!("{a:?} does not fit a 64-bit slot")))
        }
        _ => return Err(mismatch()),
    })
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match p {
        NanPattern::Value(v) => v.bits == bits,
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    const CANON: u64 = 0x7ff8_0000_0000_0000;
    match p {
        NanPattern::Value(v) => v.bits == bits,
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == CANON,
        NanPattern::ArithmeticNan => bits & CANON == CANON,
    }
}

/// Whether a result slot of type `ty` matches the expected value. `Err` for an
/// expectation that cannot be checked through a slot.
fn value_matches(exp: &WastRetCore, ty: i32, slot: u64) -> Result<bool, String> {
    let narrow = slot >> 32 == 0;
    Ok(match (exp, ty) {
        (WastRetCore::I32(x), WT_I32) => narrow && slot as u32 == *x as u32,
        (WastRetCore::I64(x), WT_I64) => slot == *x as u64,
        (WastRetCore::F32(p), WT_F32) => narrow && f32_matches(p, slot as u32),
        (WastRetCore::F64(p), WT_F64) => f64_matches(p, slot),
        (WastRetCore::RefNull(ht), WT_FUNCREF | WT_EXTERNREF) => {
            let family_ok = match ht {
                None => true,
                Some(HeapType::Abstract { ty: a, .. }) => match ty {
                    WT_FUNCREF => matches!(a, AbstractHeapType::Func | AbstractHeapType::NoFunc),
                    _ => matches!(a, AbstractHeapType::Extern | AbstractHeapType::NoExtern),
                },
                Some(_) => ty == WT_FUNCREF,
            };
            family_ok && slot == 0
        }
        (WastRetCore::RefExtern(None), WT_EXTERNREF) => slot != 0,
        (WastRetCore::RefExtern(Some(n)), WT_EXTERNREF) => slot == *n as u64 + 1,
        // A non-null function reference is a live func handle. Which function it
        // is cannot be told from the handle, so `(ref.func $f)` is checked for
        // non-null only (as other embedders' runners do).
        (WastRetCore::RefFunc(_), WT_FUNCREF) => {
            let mut kind = 0;
            slot != 0 && unsafe { wt_handle_kind(slot, &mut kind) } == WT_OK && kind == WT_KIND_FUNC
        }
        (WastRetCore::Either(alts), _) => {
            for alt in alts {
                if value_matches(alt, ty, slot)? {
                    return Ok(true);
                }
            }
            false
        }
        (
            WastRetCore::V128(_)
            | WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => return Err(format!("{exp:?} cannot be checked through a 64-bit slot")),
        _ => false,
    })
}

fn compare(expected: &[WastRet], slots: &[u64], types: &[i32]) -> Outcome {
    if expected.len() != slots.len() {
        return Fail(format!(
            "expected {} result(s), the function returns {}",
            expected.len(),
            slots.len()
        ));
    }
    for (k, ((e, s), t)) in expected.iter().zip(slots).zip(types).enumerate() {
        let WastRet::Core(e) = e else {
            return Unsupported("component-model result".into());
        };
        match value_matches(e, *t, *s) {
            Ok(true) => {}
            Ok(false) => {
                return Fail(format!(
                    "result {k}: expected {e:?}, got {} slot {s:#x}",
                    type_name(*t)
                ))
            }
            Err(u) => return Unsupported(u),
        }
    }
    Pass
}

// ---- scripts ------------------------------------------------------------------------------------

#[derive(Default)]
struct FileResult {
    name: String,
    passed: usize,
    unsupported: usize,
    /// (line, command kind, message)
    failures: Vec<(usize, &'static str, String)>,
    unsupported_reasons: BTreeMap<String, usize>,
    rejections: usize,
    rejections_with_spec_text: usize,
}

fn run_file(shared: &Shared, path: &Path) -> FileResult {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    match std::fs::read_to_string(path) {
        Ok(text) => run_script(shared, name, &text),
        Err(e) => FileResult {
            name,
            failures: vec![(0, "read", e.to_string())],
            ..Default::default()
        },
    }
}

fn run_script(shared: &Shared, name: String, text: &str) -> FileResult {
    let mut res = FileResult {
        name,
        ..Default::default()
    };
    // names.wast exports names with bidi control characters on purpose.
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(mut e) => {
            e.set_text(text);
            res.failures.push((0, "parse", e.to_string()));
            return res;
        }
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(w) => w,
        Err(mut e) => {
            e.set_text(text);
            res.failures.push((0, "parse", e.to_string()));
            return res;
        }
    };
    let mut runner = match Runner::new(shared) {
        Ok(r) => r,
        Err(e) => {
            res.failures.push((0, "setup", e.to_string()));
            return res;
        }
    };
    for d in wast.directives {
        let line = d.span().linecol_in(text).0 + 1;
        let kind = directive_kind(&d);
        match runner.run(d) {
            Pass => res.passed += 1,
            Fail(m) => res.failures.push((line, kind, m)),
            Unsupported(why) => {
                res.unsupported += 1;
                let w = why.to_lowercase();
                let key = if w.contains("extern.convert_any") {
                    "externref wrapping a GC object".to_string()
                } else if w.contains("v128") {
                    "v128 value".to_string()
                } else if w.contains("anyref") || w.contains("ref") {
                    "GC/exn reference value".to_string()
                } else {
                    why
                };
                *res.unsupported_reasons.entry(key).or_default() += 1;
            }
        }
    }
    res.rejections = runner.rejections;
    res.rejections_with_spec_text = runner.rejections_with_spec_text;
    res
}

// ---- the allowlist -------------------------------------------------------------------------------

/// `file.wast:LINE reason` lines; `#` starts a comment line.
fn read_allowlist(path: &Path) -> BTreeMap<(String, usize), String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the allowlist {}: {e}", path.display()));
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let (file, lineno) = key
            .rsplit_once(':')
            .unwrap_or_else(|| panic!("{}:{}: expected file.wast:LINE", path.display(), n + 1));
        let lineno: usize = lineno
            .parse()
            .unwrap_or_else(|_| panic!("{}:{}: bad line number {lineno:?}", path.display(), n + 1));
        let reason = reason.trim();
        assert!(
            !reason.is_empty(),
            "{}:{}: every expected failure needs a reason",
            path.display(),
            n + 1
        );
        let prev = map.insert((file.to_string(), lineno), reason.to_string());
        assert!(
            prev.is_none(),
            "{}:{}: duplicate entry {key}",
            path.display(),
            n + 1
        );
    }
    map
}

// ---- the report ---------------------------------------------------------------------------------

fn write_report(path: &Path, results: &[FileResult], allow: &BTreeMap<(String, usize), String>) {
    let (mut p, mut f, mut u) = (0, 0, 0);
    for r in results {
        p += r.passed;
        f += r.failures.len();
        u += r.unsupported;
    }
    let mut s = String::new();
    writeln!(s, "# Spec test suite results").unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "Generated by `WT_SPEC_REPORT=1 cargo test --test spec` (`tests/spec.rs`): the \
         WebAssembly spec test suite in `../shared/testsuite` run through libwt's C ABI \
         only. Do not edit by hand."
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "Engine: libwt defaults plus `wt_config_set_feature` for {}; threads stays off \
         (libwt's default; no script uses shared memory or atomics).",
        FEATURES
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "A command is *unsupported* when a value it needs cannot travel in libwt's 64-bit \
         slots (v128, GC references other than funcref/externref, exnref, externrefs made \
         from GC objects by `extern.convert_any`); libwt is checked to refuse it with `WT_ERR_UNSUPPORTED`, but it is not counted as passed. Every \
         failure is listed with its reason in `tests/spec-expected-failures.txt`."
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(
        s,
        "**Total: {} files, {} commands: {p} passed, {f} failed, {u} unsupported.**",
        results.len(),
        p + f + u
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(s, "| file | passed | failed | unsupported |").unwrap();
    writeln!(s, "|---|---:|---:|---:|").unwrap();
    for r in results {
        writeln!(
            s,
            "| {} | {} | {} | {} |",
            r.name,
            r.passed,
            r.failures.len(),
            r.unsupported
        )
        .unwrap();
    }
    writeln!(s, "| **total** | **{p}** | **{f}** | **{u}** |").unwrap();
    // Failures grouped by reason.
    let mut by_reason: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in results {
        for (line, kind, _) in &r.failures {
            let reason = allow
                .get(&(r.name.clone(), *line))
                .map(|s| s.as_str())
                .unwrap_or("(not in the allowlist)");
            by_reason
                .entry(reason)
                .or_default()
                .push(format!("{}:{line} ({kind})", r.name));
        }
    }
    if !by_reason.is_empty() {
        writeln!(s).unwrap();
        writeln!(s, "## Failures by reason").unwrap();
        for (reason, items) in &by_reason {
            writeln!(s).unwrap();
            writeln!(s, "- {reason} ({}): {}", items.len(), items.join(", ")).unwrap();
        }
    }
    let mut unsup: BTreeMap<&str, usize> = BTreeMap::new();
    for r in results {
        for (k, n) in &r.unsupported_reasons {
            *unsup.entry(k.as_str()).or_default() += n;
        }
    }
    if !unsup.is_empty() {
        writeln!(s).unwrap();
        writeln!(s, "## Unsupported commands by cause").unwrap();
        writeln!(s).unwrap();
        for (k, n) in &unsup {
            writeln!(s, "- {k}: {n}").unwrap();
        }
    }
    let rej: usize = results.iter().map(|r| r.rejections).sum();
    let rej_text: usize = results.iter().map(|r| r.rejections_with_spec_text).sum();
    writeln!(s).unwrap();
    writeln!(s, "## How commands are checked").unwrap();
    writeln!(s).unwrap();
    for line in [
        "- `module` (text, `binary`, `quote`), `module definition`/`module instance`: \
         compiled with `wt_module_from_wasm` (text and binary modules are encoded by the \
         `wast` crate) or `wt_module_from_wat` (quoted text), instantiated with \
         `wt_linker_instantiate`; `register` and the `spectest` module are \
         `wt_linker_define_instance`.",
        "- `invoke`/`assert_return`: `wt_instance_get_func`, the signature from \
         `wt_func_param_type`/`wt_func_result_type`, `wt_call` with 64-bit slots. \
         Results are compared bit for bit (i32/f32 slots must be zero-extended); \
         `nan:canonical`/`nan:arithmetic` by their bit patterns; `ref.null` is slot 0; \
         `(ref.extern N)` travels as payload N+1; `(ref.func)` must be a live func \
         handle (which function it is cannot be told from a handle, so it is not \
         checked). `get` is `wt_instance_get_global` + `wt_global_get`.",
        "- `assert_trap`/`assert_exhaustion`: `WT_ERR_TRAP` with the `WT_TRAP_*` code \
         that the spec message names (e.g. \"uninitialized element\" = \
         `WT_TRAP_INDIRECT_CALL_TO_NULL`); a message the runner does not know fails. \
         With a module: the instantiation must trap.",
        "- `assert_exception`: `WT_ERR_TRAP` with `WT_TRAP_UNHANDLED_TAG`.",
        "- `assert_unlinkable`: compiles, and `wt_linker_instantiate` fails with `WT_ERR_LINK`.",
    ] {
        writeln!(s, "{line}").unwrap();
    }
    writeln!(
        s,
        "- `assert_invalid`/`assert_malformed`: `WT_ERR_COMPILE` from `wt_wat2wasm` \
         (quoted text; text that is not UTF-8 may instead be refused with \
         `WT_ERR_INVALID_ARGUMENT`) or `wt_module_validate` (bytes). The message is \
         not required to match the reference interpreter's: {rej_text} of the {rej} \
         rejections contain the spec's text; the others are worded by Wasmtime's \
         parser/validator (e.g. \"SIMD index out of bounds\" for \"invalid lane index\")."
    )
    .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, s).unwrap();
}

// ---- the test ---------------------------------------------------------------------------------

#[test]
fn spec_testsuite() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let suite = root.join("../shared/testsuite");
    assert!(
        suite.is_dir(),
        "the spec test suite is missing: expected the .wast scripts in {} \
         (clone the repository with `shared/` beside it)",
        suite.display()
    );
    let filter = std::env::var("WT_SPEC_FILTER").ok();
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&suite)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wast"))
        .filter(|p| match &filter {
            Some(f) => p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .contains(f.as_str()),
            None => true,
        })
        .map(|p| (std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0), p))
        .collect();
    assert!(!files.is_empty(), "no .wast files in {}", suite.display());
    // Biggest first, for a balanced finish.
    files.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let allow_path = root.join("tests/spec-expected-failures.txt");
    let allow = read_allowlist(&allow_path);

    let start = Instant::now();
    let shared = make_shared();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|sc| {
        for w in 0..workers {
            let (shared, files, next, results) = (&shared, &files, &next, &results);
            std::thread::Builder::new()
                .name(format!("spec-{w}"))
                // Deeply nested scripts and wasm stack-exhaustion tests need room.
                .stack_size(64 << 20)
                .spawn_scoped(sc, move || loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some((_, path)) = files.get(k) else { break };
                    let t = Instant::now();
                    let r = run_file(shared, path);
                    if std::env::var_os("WT_SPEC_VERBOSE").is_some() {
                        eprintln!("{:>8.2}s {}", t.elapsed().as_secs_f64(), r.name);
                    }
                    results.lock().unwrap().push(r);
                })
                .unwrap();
        }
    });
    let elapsed = start.elapsed();
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.name.cmp(&b.name));
    wt_free(shared.spectest_module);
    wt_free(shared.host_linker);
    wt_free(shared.engine);

    // Summary.
    let (mut p, mut f, mut u) = (0, 0, 0);
    println!(
        "{:<40} {:>7} {:>7} {:>7}",
        "file", "passed", "failed", "unsupp"
    );
    for r in &results {
        println!(
            "{:<40} {:>7} {:>7} {:>7}",
            r.name,
            r.passed,
            r.failures.len(),
            r.unsupported
        );
        p += r.passed;
        f += r.failures.len();
        u += r.unsupported;
    }
    println!(
        "total: {} files, {p} passed, {f} failed, {u} unsupported, {:.1}s, {} print calls",
        results.len(),
        elapsed.as_secs_f64(),
        PRINTS.load(Ordering::Relaxed)
    );

    if std::env::var("WT_SPEC_REPORT").is_ok_and(|v| v == "1") {
        assert!(
            filter.is_none(),
            "WT_SPEC_REPORT needs the whole suite (unset WT_SPEC_FILTER)"
        );
        write_report(&root.join("docs/spec-results.md"), &results, &allow);
    }

    // Every failure must be explained; every explanation must still be needed.
    let mut unexpected = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &results {
        for (line, kind, m) in &r.failures {
            let key = (r.name.clone(), *line);
            if allow.contains_key(&key) {
                seen.insert(key);
            } else {
                unexpected.push(format!("{}:{line} {kind}: {m}", r.name));
            }
        }
    }
    let ran: BTreeSet<&str> = results.iter().map(|r| r.name.as_str()).collect();
    let stale: Vec<String> = allow
        .keys()
        .filter(|k| ran.contains(k.0.as_str()) && !seen.contains(*k))
        .map(|(f, l)| format!("{f}:{l}"))
        .collect();
    let mut problems = String::new();
    if !unexpected.is_empty() {
        writeln!(
            problems,
            "{} unexpected failure(s) (fix them or list them with a reason in {}):",
            unexpected.len(),
            allow_path.display()
        )
        .unwrap();
        for u in &unexpected {
            writeln!(problems, "  {u}").unwrap();
        }
    }
    if !stale.is_empty() {
        writeln!(
            problems,
            "{} allowlisted command(s) no longer fail (remove them from {}):",
            stale.len(),
            allow_path.display()
        )
        .unwrap();
        for s in &stale {
            writeln!(problems, "  {s}").unwrap();
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

// ---- the harness checks itself ------------------------------------------------------------------

/// Runs a script on a thread with a big stack (like the suite's workers).
fn run_inline(script: &'static str) -> FileResult {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let shared = make_shared();
            let r = run_script(&shared, "inline".into(), script);
            wt_free(shared.spectest_module);
            wt_free(shared.host_linker);
            wt_free(shared.engine);
            r
        })
        .unwrap()
        .join()
        .unwrap()
}

/// Commands that hold: each one must count as passed (or, for values that do
/// not fit a slot, as unsupported), none as failed.
#[test]
fn harness_passes_what_holds() {
    const SCRIPT: &str = r#"
(module $M
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "canon") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "arith_nan") (result f64) (f64.const nan:0x8000000000001))
  (func $r (export "rec") (call $r))
  (elem declare func $r)
  (func (export "get_func") (result funcref) (ref.func $r))
  (func (export "id_extern") (param externref) (result externref) (local.get 0))
  (func (export "v") (param v128) (result v128) (local.get 0))
  (func (export "any") (result anyref) (ref.i31 (i32.const 1)))
  (tag $e)
  (func (export "throw") (throw $e))
  (global (export "g") f64 (f64.const 2.5))
  (global (export "gv") v128 (v128.const i64x2 1 2)))
(register "M" $M)
(module
  (import "M" "add" (func $add (param i32 i32) (result i32)))
  (import "spectest" "print_i32" (func $p (param i32)))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "global_f32" (global f32))
  (func (export "run") (result i32) (call $p (i32.const 1)) (call $add (i32.const 2) (i32.const 3))))
(assert_return (invoke "run") (i32.const 5))
(assert_return (invoke $M "neg" (i32.const 1)) (i32.const -1))
(assert_trap (invoke $M "div" (i32.const 0)) "integer divide by zero")
(assert_return (invoke $M "canon") (f32.const nan:canonical))
(assert_return (invoke $M "arith_nan") (f64.const nan:arithmetic))
(assert_return (invoke $M "arith_nan") (either (f64.const 1) (f64.const nan:arithmetic)))
(assert_exhaustion (invoke $M "rec") "call stack exhausted")
(assert_return (invoke $M "get_func") (ref.func))
(assert_return (invoke $M "id_extern" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke $M "id_extern" (ref.null extern)) (ref.null extern))
(assert_exception (invoke $M "throw"))
(assert_return (get $M "g") (f64.const 2.5))
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module quote "(func (i32.bogus))") "unknown operator")
(assert_malformed (module binary "\00asm\01\00\00") "unexpected end")
(assert_unlinkable (module (import "nowhere" "f" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_return (invoke $M "v" (v128.const i64x2 1 2)) (v128.const i64x2 1 2))
(assert_return (invoke $M "any") (ref.i31))
(assert_return (get $M "gv") (v128.const i64x2 1 2))
"#;
    let r = run_inline(SCRIPT);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    assert_eq!(
        (r.passed, r.unsupported),
        (20, 3),
        "{:?}",
        r.unsupported_reasons
    );
}

/// Commands that do not hold: each one must count as a failure. This guards
/// the harness against passing what it did not check.
#[test]
fn harness_fails_what_does_not_hold() {
    const SCRIPT: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "f32") (result f32) (f32.const 1.5))
  (func (export "arith_nan") (result f32) (f32.const nan:0x400001))
  (func (export "signalling_nan") (result f64) (f64.const nan:0x4000000000001))
  (func (export "null_func") (result funcref) (ref.null func))
  (func (export "id_extern") (param externref) (result externref) (local.get 0))
  (func (export "i64") (result i64) (i64.const -1))
  (global (export "g") i32 (i32.const 5)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)))
(assert_return (invoke "i64") (i64.const 0xffffffff))
(assert_trap (invoke "add" (i32.const 1) (i32.const 2)) "unreachable")
(assert_trap (invoke "div" (i32.const 0)) "integer overflow")
(assert_trap (invoke "div" (i32.const 0)) "a message the harness does not know")
(assert_return (invoke "div" (i32.const 0)) (i32.const 0))
(assert_return (invoke "f32") (f32.const 1.25))
(assert_return (invoke "arith_nan") (f32.const nan:canonical))
(assert_return (invoke "signalling_nan") (f64.const nan:arithmetic))
(assert_return (invoke "null_func") (ref.func))
(assert_return (invoke "id_extern" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "id_extern" (ref.extern 1)) (ref.null extern))
(assert_return (invoke "id_extern" (ref.null extern)) (ref.extern))
(assert_return (get "g") (i32.const 6))
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_malformed (module quote "(func)") "unexpected token")
(assert_unlinkable (module (func (export "x"))) "unknown import")
(assert_exhaustion (invoke "add" (i32.const 1) (i32.const 1)) "call stack exhausted")
(assert_exception (invoke "add" (i32.const 1) (i32.const 1)))
(invoke "missing")
(assert_return (invoke $nope "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(register "M" $nope)
(module (import "nowhere" "f" (func)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
"#;
    let r = run_inline(SCRIPT);
    assert_eq!(
        r.passed, 1,
        "only the first module holds: {:#?}",
        r.failures
    );
    assert_eq!(r.unsupported, 0);
    assert_eq!(r.failures.len(), 25, "{:#?}", r.failures);
}
