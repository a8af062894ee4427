//! The random API-sequence generator of issue 5 (part 1), shared by the test
//! `tests/random_api.rs` (a seeded PRNG) and the cargo-fuzz target
//! `fuzz/targets/api_sequence.rs` (decisions read from the fuzz input): see
//! [`Source`] and [`run`].
//!
//! It drives the whole C ABI with valid, freed, wrong-kind, zero, forged and
//! random handles, NULL pointers, wrong argument counts and types, calls and
//! frees from inside host callbacks (freeing the running store, the calling
//! func, the linker), and records every call whose status is not documented,
//! is `WT_ERR_INTERNAL`, or accepts a bogus handle ([`Stats::violations`],
//! [`Stats::undocumented`]); the caller asserts on the [`Report`].
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
use common::*;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---- randomness --------------------------------------------------------------------

/// Where the generator's decisions come from.
pub enum Source {
    /// A seeded xorshift64* stream (`tests/random_api.rs`).
    Seed(u64),
    /// The bytes of a fuzz input, read in order (`fuzz/targets/api_sequence.rs`):
    /// each decision among `n` choices takes the fewest whole bytes that can
    /// express `n - 1` (a yes/no chance one byte, a 64-bit value eight), so a
    /// mutated byte changes one decision. Past the end every read is zero and
    /// the run stops at the next top-level operation.
    Bytes(Vec<u8>),
}

/// xorshift64*: small, seedable, good enough to pick operations; or a fuzz
/// input read as a stream of decisions.
struct Rng {
    state: u64,
    input: Option<(Vec<u8>, usize)>,
}

impl Rng {
    fn new(source: Source) -> Rng {
        match source {
            Source::Seed(seed) => Rng {
                state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
                input: None,
            },
            Source::Bytes(data) => Rng {
                state: 0,
                input: Some((data, 0)),
            },
        }
    }
    /// `n` (at most 8) input bytes as a little-endian number; zeros past the end.
    fn take(&mut self, n: usize) -> u64 {
        let Some((data, pos)) = self.input.as_mut() else {
            return 0;
        };
        let mut v = 0u64;
        for i in 0..n {
            let b = data.get(*pos).copied().unwrap_or(0);
            *pos += 1;
            v |= u64::from(b) << (8 * i);
        }
        v
    }
    /// Whether a fuzz input has been read to its end (never for a seed).
    fn exhausted(&self) -> bool {
        self.input
            .as_ref()
            .is_some_and(|(data, pos)| *pos >= data.len())
    }
    fn next(&mut self) -> u64 {
        if self.input.is_some() {
            return self.take(8);
        }
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else if self.input.is_some() {
            let bits = 64 - (n - 1).leading_zeros() as usize;
            self.take(bits.div_ceil(8)) % n
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn one<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

// ---- the guest modules ----------------------------------------------------------------

/// Host imports of MAIN and START_CB, with their signatures.
const HOST_FUNCS: &[(&str, &[i32], &[i32])] = &[
    ("cb0", &[], &[]),
    ("cb1", &[WT_I32, WT_I64, WT_F32, WT_F64], &[WT_I64]),
    ("cbr", &[WT_EXTERNREF, WT_FUNCREF], &[WT_EXTERNREF]),
];

/// (name, WAT, export names). Every export is bounded in time whatever its
/// arguments, except "spin", which is only called on stores with a timeout
/// or bounded fuel.
const TEMPLATES: &[(&str, &str, &[&str])] = &[
    (
        "main",
        r#"(module
  (type $ii_i (func (param i32 i32) (result i32)))
  (import "host" "cb0" (func $cb0))
  (import "host" "cb1" (func $cb1 (param i32 i64 f32 f64) (result i64)))
  (import "host" "cbr" (func $cbr (param externref funcref) (result externref)))
  (memory (export "memory") 1 64)
  (table $t (export "table") 4 256 funcref)
  (table $et (export "etable") 2 16 externref)
  (global (export "g_i32") (mut i32) (i32.const 1))
  (global (export "g_f64") f64 (f64.const 2.5))
  (global (export "g_ext") (mut externref) (ref.null extern))
  (global (export "g_func") (mut funcref) (ref.null func))
  (elem (table $t) (i32.const 0) func $add $call0)
  (elem declare func $add)
  (func $add (export "add") (type $ii_i) (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32 f32)
    (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
    (i32.sub (i32.const 0) (local.get 0))
    (local.get 2))
  (func $call0 (export "call0") (param i32 i32) (result i32) (call $cb0) (local.get 0))
  (func (export "call1") (param i32 i64 f32 f64) (result i64)
    (call $cb1 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "callr") (param externref funcref) (result externref)
    (call $cbr (local.get 0) (local.get 1)))
  (func (export "call_n") (param i32) (local i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (i32.and (local.get 0) (i32.const 3))))
      (call $cb0)
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0))))
  (func (export "unreachable") unreachable)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "indirect") (param i32 i32 i32) (result i32)
    (call_indirect $t (type $ii_i) (local.get 1) (local.get 2) (local.get 0)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (call $cb0) (i32.const 0))
      (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "loop") (param i32) (result i32) (local i32)
    (local.set 0 (i32.and (local.get 0) (i32.const 0xffff)))
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "spin") (loop (br 0)))
  (func (export "get_func") (result funcref) (ref.func $add))
  (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0)))
  (func (export "ext_id") (param externref) (result externref) (local.get 0))
  (func (export "v128") (param v128) (result v128) (local.get 0)))"#,
        &[
            "memory",
            "table",
            "etable",
            "g_i32",
            "g_f64",
            "g_ext",
            "g_func",
            "add",
            "mix",
            "call0",
            "call1",
            "callr",
            "call_n",
            "unreachable",
            "div",
            "load",
            "store",
            "grow",
            "tgrow",
            "indirect",
            "rec",
            "loop",
            "spin",
            "get_func",
            "is_null",
            "ext_id",
            "v128",
        ],
    ),
    (
        "pure",
        r#"(module
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (global (export "g_i64") (mut i64) (i64.const 7))
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "spin") (loop (br 0))))"#,
        &["memory", "table", "g_i64", "add", "rec", "grow", "spin"],
    ),
    (
        "libuser",
        r#"(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (import "lib" "memory" (memory 1))
  (import "lib" "g_i32" (global $g (mut i32)))
  (import "lib" "table" (table 1 funcref))
  (func (export "run") (param i32) (result i32)
    (global.set $g (call $add (local.get 0) (global.get $g)))
    (i32.store (i32.const 8) (global.get $g))
    (i32.load (i32.const 8))))"#,
        &["run"],
    ),
    (
        "start_trap",
        r#"(module (func $s unreachable) (start $s))"#,
        &[],
    ),
    (
        "start_cb",
        r#"(module (import "host" "cb0" (func $cb0)) (memory (export "memory") 1)
  (func $s (call $cb0)) (start $s) (func (export "again") (call $cb0)))"#,
        &["memory", "again"],
    ),
    (
        "wasi",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wasi\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "exit") (param i32) (call $exit (local.get 0))))"#,
        &["memory", "_start", "exit"],
    ),
    (
        "big",
        r#"(module (memory (export "memory") 40) (table (export "table") 5000 funcref))"#,
        &["memory", "table"],
    ),
    ("empty", r#"(module)"#, &[]),
    (
        "typed",
        r#"(module
  (type $t (func (result i32)))
  (func $f (type $t) (i32.const 3))
  (elem declare func $f)
  (func (export "call_ref") (param (ref null $t)) (result i32)
    (if (result i32) (ref.is_null (local.get 0)) (then (i32.const -1))
      (else (call_ref $t (local.get 0)))))
  (func (export "nonnull") (param (ref $t)) (result i32) (call_ref $t (local.get 0)))
  (func (export "make") (result (ref $t)) (ref.func $f)))"#,
        &["call_ref", "nonnull", "make"],
    ),
    ("bad_syntax", "(module (func (result i32) i32.bogus))", &[]),
    (
        "bad_type",
        "(module (func (result i32) (i64.const 1)))",
        &[],
    ),
];

// ---- documented statuses ----------------------------------------------------------------

const B: i32 = WT_ERR_BAD_HANDLE;
const W: i32 = WT_ERR_WRONG_KIND;
const N: i32 = WT_ERR_NULL_POINTER;
const I: i32 = WT_ERR_INVALID_ARGUMENT;
const BUSY: i32 = WT_ERR_BUSY;
/// The statuses `wt_call` documents for running wasm (instantiation's start
/// function: "any status of wt_call").
const RUN: &[i32] = &[
    WT_ERR_TRAP,
    WT_ERR_INTERRUPTED,
    WT_ERR_OUT_OF_FUEL,
    WT_ERR_CALLBACK,
    WT_ERR_EXIT,
    WT_ERR_UNSUPPORTED,
    WT_ERR_SIGNATURE,
    WT_ERR_LIMIT,
];

fn with(base: &[i32], more: &[i32]) -> Vec<i32> {
    let mut v = base.to_vec();
    v.extend_from_slice(more);
    v
}

// ---- the model of what is alive -----------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
enum K {
    Engine,
    Config,
    Store,
    Module,
    Linker,
    Instance,
    Func,
    Memory,
    Global,
    Table,
    Bytes,
    FuncType,
    Callback,
    Wasi,
    Caller,
}

const KINDS: [K; 15] = [
    K::Engine,
    K::Config,
    K::Store,
    K::Module,
    K::Linker,
    K::Instance,
    K::Func,
    K::Memory,
    K::Global,
    K::Table,
    K::Bytes,
    K::FuncType,
    K::Callback,
    K::Wasi,
    K::Caller,
];

impl K {
    fn code(self) -> i32 {
        match self {
            K::Engine => WT_KIND_ENGINE,
            K::Config => WT_KIND_CONFIG,
            K::Store => WT_KIND_STORE,
            K::Module => WT_KIND_MODULE,
            K::Linker => WT_KIND_LINKER,
            K::Instance => WT_KIND_INSTANCE,
            K::Func => WT_KIND_FUNC,
            K::Memory => WT_KIND_MEMORY,
            K::Global => WT_KIND_GLOBAL,
            K::Table => WT_KIND_TABLE,
            K::Bytes => WT_KIND_BYTES,
            K::FuncType => WT_KIND_FUNCTYPE,
            K::Callback => WT_KIND_CALLBACK,
            K::Wasi => WT_KIND_WASI_CONFIG,
            K::Caller => WT_KIND_CALLER,
        }
    }
    /// How many live objects of this kind the generator keeps at most.
    fn cap(self) -> usize {
        match self {
            K::Engine => 3,
            K::Config => 4,
            K::Store => 12,
            K::Module => 16,
            K::Linker => 6,
            K::Instance => 40,
            K::Func => 300,
            K::Memory | K::Global | K::Table => 120,
            K::Bytes => 16,
            K::FuncType => 16,
            K::Callback => 12,
            K::Wasi => 4,
            K::Caller => 64,
        }
    }
}

#[derive(Clone, Copy)]
struct Obj {
    kind: K,
    /// The store a store-owned object lives in (its store handle), else 0.
    store: u64,
    /// Modules and instances: template index (usize::MAX = unknown).
    tag: usize,
    /// Modules, linkers and stores: their engine.
    engine: u64,
    /// Funcs: the export name they were looked up by ("" = unknown origin).
    name: &'static str,
}

#[derive(Clone, Copy, Default)]
struct EngineInfo {
    fuel: bool,
    epoch: bool,
}

#[derive(Clone, Copy, Default)]
struct StoreInfo {
    caller: u64,
    /// Its engine's switches (the engine may be freed before the store).
    engine: EngineInfo,
    timeout: bool,
    fuel_unbounded: bool,
}

#[derive(Default)]
pub struct Stats {
    pub calls: u64,
    pub ops: u64,
    pub by_status: BTreeMap<i32, u64>,
    pub by_fn: BTreeMap<&'static str, u64>,
    pub ok_by_fn: BTreeMap<&'static str, u64>,
    pub fn_status: BTreeMap<(&'static str, i32), u64>,
    /// Contract violations: panics, WT_ERR_INTERNAL, unknown statuses, bogus
    /// handles accepted, wrong kinds reported, frees of live handles refused.
    pub violations: Vec<String>,
    /// Statuses a function returned that its doc comment does not list.
    pub undocumented: BTreeMap<(&'static str, i32), (u64, String)>,
    pub callbacks: u64,
    pub max_depth: usize,
    pub frees_in_callbacks: u64,
}

struct World {
    rng: Rng,
    live: HashMap<u64, Obj>,
    lists: HashMap<K, Vec<u64>>,
    stale: Vec<u64>,
    engines: HashMap<u64, EngineInfo>,
    stores: HashMap<u64, StoreInfo>,
    serialized: Vec<(u64, Vec<u8>)>,
    stats: Stats,
    trace: bool,
    cache_dir: String,
    /// This operation passes hostile arguments (else: almost always valid ones).
    hostile: bool,
    /// Engines and configs get the compilation cache (see `Options::cache_engines`).
    cache_engines: bool,
}

thread_local! {
    static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
    /// The calls in progress on this thread: (store handle, func, linker).
    static ACTIVE: RefCell<Vec<(u64, u64, u64)>> = const { RefCell::new(Vec::new()) };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

static FIN_CREATED: AtomicUsize = AtomicUsize::new(0);
static FIN_RUN: AtomicUsize = AtomicUsize::new(0);

fn w<R>(f: impl FnOnce(&mut World) -> R) -> R {
    WORLD.with(|c| f(c.borrow_mut().as_mut().expect("world")))
}

fn rnd(n: u64) -> u64 {
    w(|w| w.rng.below(n))
}
fn chance(p: u64) -> bool {
    w(|w| w.rng.chance(p))
}
/// Whether to pass NULL for a required pointer (hostile operations only).
fn nullp() -> bool {
    w(|w| w.hostile && w.rng.chance(4))
}
fn any64() -> u64 {
    w(|w| w.rng.next())
}

fn trace(s: impl FnOnce() -> String) {
    if w(|w| w.trace) {
        eprintln!("[d{}] {}", DEPTH.with(|d| d.get()), s());
    }
}

impl World {
    fn add(&mut self, h: u64, obj: Obj) {
        if h == 0 {
            return;
        }
        if obj.store != 0 && !self.live.contains_key(&obj.store) {
            // Its store was freed during the call that made it: it dies with the store.
            self.push_stale(h);
            return;
        }
        if self.live.insert(h, obj).is_none() {
            self.lists.entry(obj.kind).or_default().push(h);
        }
    }

    fn push_stale(&mut self, h: u64) {
        if self.stale.len() >= 512 {
            let i = self.rng.below(512) as usize;
            self.stale[i] = h;
        } else {
            self.stale.push(h);
        }
    }

    /// Forgets a freed handle (and, for a store, everything that lives in it).
    fn remove(&mut self, h: u64) {
        let Some(obj) = self.live.remove(&h) else {
            return;
        };
        if let Some(v) = self.lists.get_mut(&obj.kind) {
            if let Some(p) = v.iter().position(|x| *x == h) {
                v.swap_remove(p);
            }
        }
        self.push_stale(h);
        match obj.kind {
            K::Store => {
                self.stores.remove(&h);
                let children: Vec<u64> = self
                    .live
                    .iter()
                    .filter(|(_, o)| o.store == h)
                    .map(|(k, _)| *k)
                    .collect();
                for c in children {
                    self.remove(c);
                }
            }
            K::Engine => {
                self.engines.remove(&h);
            }
            _ => {}
        }
    }

    fn count(&self, k: K) -> usize {
        self.lists.get(&k).map_or(0, |v| v.len())
    }

    fn random_of(&mut self, k: K) -> Option<u64> {
        let v = self.lists.get(&k)?;
        if v.is_empty() {
            return None;
        }
        let i = self.rng.below(v.len() as u64) as usize;
        Some(v[i])
    }

    fn random_any(&mut self) -> Option<u64> {
        let k = self.rng.one(&KINDS);
        self.random_of(k)
    }

    /// A handle for a parameter that expects kind `want`, and whether it is
    /// bogus (zero, forged, or never issued: every call must refuse it).
    fn pick(&mut self, want: K) -> (u64, bool) {
        if !self.hostile && self.rng.chance(97) {
            if let Some(h) = self.random_of(want) {
                return (h, false);
            }
        }
        let r = self.rng.below(100);
        if r < 78 {
            if let Some(h) = self.random_of(want) {
                return (h, false);
            }
        }
        if r < 88 {
            if let Some(h) = self.random_any() {
                return (h, false);
            }
        }
        if r < 93 && !self.stale.is_empty() {
            let i = self.rng.below(self.stale.len() as u64) as usize;
            return (self.stale[i], false);
        }
        (self.bogus(), true)
    }

    fn bogus(&mut self) -> u64 {
        let base = self.random_any();
        match (self.rng.below(6), base) {
            (0, _) => 0,
            (1, Some(h)) => {
                // Same slot, a kind byte that does not match.
                let k = ((h >> 56) + 1 + self.rng.below(14)) % 16;
                (h & !(0xff << 56)) | (k << 56)
            }
            (2, Some(h)) => {
                // Same slot, a generation far in the future.
                (h & !(0xff_ffff << 32)) | ((0xf0_0000 | self.rng.below(0xffff)) << 32)
            }
            (3, Some(h)) => h & !(0xff << 56), // kind 0
            (4, _) => {
                // A plausible kind and generation, an index never allocated.
                let k = 1 + self.rng.below(15);
                (k << 56) | (1 << 32) | (0x4000_0000 + self.rng.below(1 << 20))
            }
            _ => self.rng.next(),
        }
    }

    fn obj(&self, h: u64) -> Option<Obj> {
        self.live.get(&h).copied()
    }
    fn store_of(&self, h: u64) -> u64 {
        self.obj(h).map_or(0, |o| o.store)
    }
    /// Store handle for a store or caller handle.
    fn norm_store(&self, h: u64) -> u64 {
        match self.obj(h) {
            Some(o) if o.kind == K::Store => h,
            Some(o) if o.kind == K::Caller => o.store,
            _ => 0,
        }
    }
    fn engine_of_store(&self, s: u64) -> u64 {
        self.obj(s).map_or(0, |o| o.engine)
    }
}

/// A store (or caller) handle to use with an object of store `owner`.
fn store_for(owner: u64) -> (u64, bool) {
    let active: Vec<u64> = ACTIVE.with(|a| a.borrow().iter().map(|f| f.0).collect());
    w(|w| {
        if owner != 0 && w.live.contains_key(&owner) && w.rng.chance(80) {
            if active.contains(&owner) && w.rng.chance(60) {
                let c = w.stores.get(&owner).map_or(0, |s| s.caller);
                if c != 0 {
                    return (c, false);
                }
            }
            return (owner, false);
        }
        if !active.is_empty() && w.rng.chance(30) {
            let s = active[w.rng.below(active.len() as u64) as usize];
            if w.live.contains_key(&s) {
                let c = w.stores.get(&s).map_or(0, |s| s.caller);
                if c != 0 && w.rng.chance(50) {
                    return (c, false);
                }
                return (s, false);
            }
        }
        w.pick(K::Store)
    })
}

fn pick(k: K) -> (u64, bool) {
    w(|w| w.pick(k))
}

/// Records one call's status and checks it against the contract.
fn chk(name: &'static str, st: i32, documented: &[i32], bogus: bool) -> i32 {
    let m = if st != WT_OK { msg() } else { String::new() };
    if st != WT_OK && wt_error_status() != st {
        w(|w| {
            w.stats.violations.push(format!(
                "{name}: returned {st} but wt_error_status() is {}",
                wt_error_status()
            ))
        });
    }
    w(|w| {
        let s = &mut w.stats;
        s.calls += 1;
        *s.by_status.entry(st).or_default() += 1;
        *s.by_fn.entry(name).or_default() += 1;
        if st == WT_OK {
            *s.ok_by_fn.entry(name).or_default() += 1;
        }
        *s.fn_status.entry((name, st)).or_default() += 1;
        if st == WT_ERR_INTERNAL || !(0..=19).contains(&st) {
            s.violations
                .push(format!("{name}: status {st} (internal/unknown): {m}"));
        } else if st != WT_OK && !documented.contains(&st) {
            let e = s
                .undocumented
                .entry((name, st))
                .or_insert_with(|| (0, m.clone()));
            e.0 += 1;
        }
        if bogus && st == WT_OK {
            s.violations
                .push(format!("{name}: accepted a bogus handle (status 0)"));
        }
    });
    if w(|w| w.trace) {
        eprintln!("    -> {name} = {st} {}", m.lines().next().unwrap_or(""));
    }
    st
}

fn violation(s: String) {
    w(|w| w.stats.violations.push(s));
}

// ---- values and strings -------------------------------------------------------------------

/// A name for an export lookup or definition: usually meaningful, sometimes
/// random, empty or invalid UTF-8.
fn name_for(known: &[&'static str]) -> Vec<u8> {
    let r = if w(|w| w.hostile) { rnd(100) } else { rnd(80) };
    if r < 80 && !known.is_empty() {
        known[rnd(known.len() as u64) as usize].as_bytes().to_vec()
    } else if r < 90 {
        format!("x{}", rnd(5)).into_bytes()
    } else if r < 95 {
        Vec::new()
    } else {
        vec![0xff, 0xfe, b'a']
    }
}

/// (pointer, length) for a byte string, sometimes NULL with a non-zero length.
fn str_arg(v: &[u8]) -> (*const std::ffi::c_char, usize, bool) {
    if nullp() {
        (std::ptr::null(), v.len().max(1), true)
    } else {
        (v.as_ptr().cast(), v.len(), false)
    }
}

fn numeric(code: i32) -> u64 {
    let r = rnd(100);
    let v = if r < 60 {
        rnd(8)
    } else if r < 80 {
        rnd(70_000)
    } else if r < 90 {
        u64::MAX - rnd(3)
    } else {
        any64()
    };
    match code {
        WT_I32 | WT_F32 if chance(80) => v & 0xffff_ffff,
        _ => v,
    }
}

/// A slot of type `code` for store `owner`.
fn slot(code: i32, owner: u64) -> u64 {
    match code {
        WT_FUNCREF => {
            let r = rnd(100);
            if r < 30 {
                0
            } else if r < 80 {
                w(|w| {
                    let funcs: Vec<u64> = w
                        .lists
                        .get(&K::Func)
                        .map(|v| {
                            v.iter()
                                .copied()
                                .filter(|f| w.live[f].store == owner)
                                .collect()
                        })
                        .unwrap_or_default();
                    if funcs.is_empty() {
                        0
                    } else {
                        funcs[w.rng.below(funcs.len() as u64) as usize]
                    }
                })
            } else {
                pick(K::Func).0
            }
        }
        WT_EXTERNREF => {
            if chance(30) {
                0
            } else {
                any64()
            }
        }
        c => numeric(c),
    }
}

fn sig_of(f: u64) -> Option<(Vec<i32>, Vec<i32>)> {
    let (mut np, mut nr) = (0usize, 0usize);
    let st = chk(
        "wt_func_param_count",
        unsafe { wt_func_param_count(f, &mut np) },
        &[B, W, N],
        false,
    );
    if st != WT_OK {
        return None;
    }
    chk(
        "wt_func_result_count",
        unsafe { wt_func_result_count(f, &mut nr) },
        &[B, W, N],
        false,
    );
    let mut params = Vec::new();
    for i in 0..np.min(64) {
        let mut t = -1;
        chk(
            "wt_func_param_type",
            unsafe { wt_func_param_type(f, i, &mut t) },
            &[B, W, N, WT_ERR_OUT_OF_BOUNDS],
            false,
        );
        params.push(t);
    }
    let mut results = Vec::new();
    for i in 0..nr.min(64) {
        let mut t = -1;
        chk(
            "wt_func_result_type",
            unsafe { wt_func_result_type(f, i, &mut t) },
            &[B, W, N, WT_ERR_OUT_OF_BOUNDS],
            false,
        );
        results.push(t);
    }
    Some((params, results))
}

// ---- the host callback ------------------------------------------------------------------------

unsafe extern "C" fn finalizer(_env: *mut c_void) {
    FIN_RUN.fetch_add(1, Ordering::SeqCst);
}

/// The one callback of every host function the generator defines. It
/// writes random results, may run random operations itself (through its
/// caller handle or anything else), may free the running store, the calling
/// func or the linker, and may fail.
unsafe extern "C" fn rand_cb(
    env: *mut c_void,
    caller: u64,
    _args: *const u64,
    _nargs: usize,
    results: *mut u64,
    nresults: usize,
) -> i32 {
    let r = std::panic::catch_unwind(|| unsafe { cb_body(env, caller, results, nresults) });
    match r {
        Ok(st) => st,
        Err(p) => {
            let m = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            // The world may be borrowed if the panic came from inside it.
            WORLD.with(|c| {
                if let Ok(mut b) = c.try_borrow_mut() {
                    if let Some(w) = b.as_mut() {
                        w.stats.violations.push(format!("panic in callback: {m}"));
                    }
                }
            });
            1
        }
    }
}

unsafe fn cb_body(env: *mut c_void, caller: u64, results: *mut u64, nresults: usize) -> i32 {
    let depth = DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    struct Dec;
    impl Drop for Dec {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
    let _dec = Dec;
    let frame = ACTIVE.with(|a| a.borrow().last().copied());
    w(|w| {
        w.stats.callbacks += 1;
        w.stats.max_depth = w.stats.max_depth.max(depth);
    });
    trace(|| format!("callback env={env:?} caller={caller:#x} frame={frame:?}"));
    if let Some((store, _, _)) = frame {
        w(|w| {
            if w.live.contains_key(&store) && !w.live.contains_key(&caller) {
                w.add(
                    caller,
                    Obj {
                        kind: K::Caller,
                        store,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                );
                if let Some(si) = w.stores.get_mut(&store) {
                    si.caller = caller;
                }
            }
        });
    }
    // Results: zero (null refs) or random bits.
    for i in 0..nresults.min(64) {
        let v = if chance(60) { 0 } else { numeric(WT_I64) };
        unsafe { *results.add(i) = v };
    }
    // Nested random operations, with this store in use.
    if depth <= 3 && chance(70) {
        for _ in 0..1 + rnd(4) {
            step(true);
        }
    }
    let (store, func, linker) = frame.unwrap_or((0, 0, 0));
    let r = rnd(100);
    if r < 3 && store != 0 {
        let st = chk("wt_free", wt_free(store), &[B, I], false);
        if st == WT_OK {
            w(|w| {
                w.remove(store);
                w.stats.frees_in_callbacks += 1;
            });
        }
    } else if r < 6 && func != 0 {
        let st = chk("wt_free", wt_free(func), &[B, I], false);
        if st == WT_OK {
            w(|w| {
                w.remove(func);
                w.stats.frees_in_callbacks += 1;
            });
        }
    } else if r < 8 && linker != 0 {
        let st = chk("wt_free", wt_free(linker), &[B, I], false);
        if st == WT_OK {
            w(|w| {
                w.remove(linker);
                w.stats.frees_in_callbacks += 1;
            });
        }
    }
    let r = rnd(100);
    if r < 5 {
        let m = b"random failure";
        let c = if chance(80) {
            caller
        } else {
            pick(K::Caller).0
        };
        chk(
            "wt_caller_set_error",
            unsafe { wt_caller_set_error(c, m.as_ptr().cast(), m.len()) },
            &[B, W, N, I],
            false,
        );
        1 + rnd(1000) as i32
    } else if r < 8 {
        -1
    } else {
        0
    }
}

// ---- operations -------------------------------------------------------------------------------

type Op = fn();

const OPS: &[(u32, &str, Op)] = &[
    (1, "engine_new", op_engine_new),
    (2, "config", op_config),
    (5, "store_new", op_store_new),
    (3, "module_from_wat", op_module_from_wat),
    (2, "wasm_bytes", op_wasm_bytes),
    (1, "serialize", op_serialize),
    (3, "linker", op_linker),
    (6, "define", op_define),
    (3, "functype_callback", op_functype_callback),
    (8, "instantiate", op_instantiate),
    (10, "get_export", op_get_export),
    (3, "export_names", op_export_names),
    (24, "call", op_call),
    (6, "memory", op_memory),
    (4, "global", op_global),
    (4, "table", op_table),
    (3, "module_info", op_module_info),
    (5, "store_settings", op_store_settings),
    (2, "wasi", op_wasi),
    (2, "errors", op_errors),
    (3, "handle_kind", op_handle_kind),
    (9, "free", op_free),
    (2, "caller_outside", op_caller_api),
];

fn step(nested: bool) {
    let total: u32 = OPS.iter().map(|o| o.0).sum();
    let mut r = rnd(total as u64) as u32;
    for (weight, name, op) in OPS {
        if r < *weight {
            // Inside callbacks skip the expensive ones most of the time.
            if nested
                && matches!(
                    *name,
                    "engine_new" | "config" | "module_from_wat" | "serialize"
                )
                && chance(80)
            {
                return;
            }
            w(|w| {
                w.stats.ops += 1;
                w.hostile = w.rng.chance(30);
            });
            trace(|| format!("op {name}"));
            op();
            return;
        }
        r -= weight;
    }
}

/// Makes room: frees a random live object of kind `k` if at its cap.
fn at_cap(k: K) -> bool {
    if w(|w| w.count(k)) < k.cap() {
        return false;
    }
    // Engines are freed rarely: stores, modules and linkers of a freed engine
    // keep working, but nothing new can be made for it.
    let p = if k == K::Engine { 10 } else { 50 };
    if chance(p) {
        if let Some(h) = w(|w| w.random_of(k)) {
            free_live(h);
        }
    }
    true
}

/// Frees a handle the model believes live: that must succeed (callers: be refused).
fn free_live(h: u64) {
    let kind = w(|w| w.obj(h).map(|o| o.kind));
    let st = chk("wt_free", wt_free(h), &[B, I], false);
    match kind {
        Some(K::Caller) => {
            if st != WT_ERR_INVALID_ARGUMENT {
                violation(format!(
                    "wt_free(caller {h:#x}) returned {st}, expected INVALID_ARGUMENT"
                ));
            }
        }
        Some(k) => {
            if st != WT_OK {
                violation(format!(
                    "wt_free of live {k:?} {h:#x} returned {st}: {}",
                    msg()
                ));
            }
            w(|w| w.remove(h));
        }
        None => {
            if st == WT_OK {
                w(|w| w.remove(h));
            }
        }
    }
}

fn op_engine_new() {
    if at_cap(K::Engine) {
        return;
    }
    let mut e = 0;
    let null = nullp();
    let st = if w(|w| w.cache_engines) && !null {
        engine_with_cache(&mut e)
    } else {
        chk(
            "wt_engine_new",
            unsafe { wt_engine_new(if null { std::ptr::null_mut() } else { &mut e }) },
            &[N, I],
            false,
        )
    };
    if st == WT_OK {
        w(|w| {
            w.add(
                e,
                Obj {
                    kind: K::Engine,
                    store: 0,
                    tag: 0,
                    engine: 0,
                    name: "",
                },
            );
            w.engines.insert(
                e,
                EngineInfo {
                    fuel: false,
                    epoch: true,
                },
            );
        });
    }
}

/// A default engine with the compilation cache (`Options::cache_engines`).
fn engine_with_cache(e: &mut u64) -> i32 {
    let mut c = 0;
    let st = chk(
        "wt_config_new",
        unsafe { wt_config_new(&mut c) },
        &[N],
        false,
    );
    if st != WT_OK {
        return st;
    }
    set_cache_dir(c);
    let st = chk(
        "wt_engine_new_with_config",
        unsafe { wt_engine_new_with_config(c, e) },
        &[B, W, N, I],
        false,
    );
    chk("wt_free", wt_free(c), &[B, I], false);
    st
}

/// Points a new config at the generator's cache directory.
fn set_cache_dir(c: u64) {
    let dir = w(|w| w.cache_dir.clone());
    chk(
        "wt_config_set_cache_dir",
        unsafe { wt_config_set_cache_dir(c, dir.as_ptr().cast(), dir.len()) },
        &[B, W, N, I, WT_ERR_IO],
        false,
    );
}

fn op_config() {
    let r = rnd(100);
    if r < 25 {
        if at_cap(K::Config) {
            return;
        }
        let mut c = 0;
        if chk(
            "wt_config_new",
            unsafe { wt_config_new(&mut c) },
            &[N],
            false,
        ) == WT_OK
        {
            w(|w| {
                w.add(
                    c,
                    Obj {
                        kind: K::Config,
                        store: 0,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
            if w(|w| w.cache_engines) {
                set_cache_dir(c);
            }
            // Half the configs meter fuel, a quarter cannot be interrupted.
            chk(
                "wt_config_set_consume_fuel",
                wt_config_set_consume_fuel(c, chance(50) as i32),
                &[B, W, I],
                false,
            );
            chk(
                "wt_config_set_epoch_interruption",
                wt_config_set_epoch_interruption(c, chance(75) as i32),
                &[B, W, I],
                false,
            );
        }
        return;
    }
    let (c, bogus) = pick(K::Config);
    let flag = |p| {
        if chance(p) {
            1
        } else if chance(50) {
            0
        } else {
            rnd(5) as i32 - 1
        }
    };
    let cfg = [B, W, I];
    match rnd(10) {
        0 => {
            chk(
                "wt_config_set_opt_level",
                wt_config_set_opt_level(c, rnd(4) as i32),
                &cfg,
                bogus,
            );
        }
        1 => {
            chk(
                "wt_config_set_debug_info",
                wt_config_set_debug_info(c, flag(10)),
                &cfg,
                bogus,
            );
        }
        2 => {
            chk(
                "wt_config_set_consume_fuel",
                wt_config_set_consume_fuel(c, flag(50)),
                &cfg,
                bogus,
            );
        }
        3 => {
            chk(
                "wt_config_set_epoch_interruption",
                wt_config_set_epoch_interruption(c, flag(70)),
                &cfg,
                bogus,
            );
        }
        4 => {
            chk(
                "wt_config_set_feature",
                wt_config_set_feature(c, rnd(17) as i32 - 1, flag(60)),
                &cfg,
                bogus,
            );
        }
        5 => {
            chk(
                "wt_config_set_parallel_compilation",
                wt_config_set_parallel_compilation(c, flag(50)),
                &cfg,
                bogus,
            );
        }
        6 => {
            let bytes = w(|w| {
                w.rng.one(&[
                    0usize,
                    1,
                    4096,
                    64 << 10,
                    512 << 10,
                    1 << 20,
                    2 << 20,
                    (2 << 20) + 1,
                    usize::MAX,
                ])
            });
            chk(
                "wt_config_set_max_wasm_stack",
                wt_config_set_max_wasm_stack(c, bytes),
                &cfg,
                bogus,
            );
        }
        7 if chance(10) => {
            let dir = if chance(80) {
                w(|w| w.cache_dir.clone())
            } else {
                "/proc/definitely/not/creatable".to_string()
            };
            let (p, n, null) = str_arg(dir.as_bytes());
            chk(
                "wt_config_set_cache_dir",
                unsafe { wt_config_set_cache_dir(c, p, n) },
                &[B, W, N, I, WT_ERR_IO],
                bogus && !null,
            );
        }
        _ => {
            if at_cap(K::Engine) {
                return;
            }
            let mut e = 0;
            let st = chk(
                "wt_engine_new_with_config",
                unsafe { wt_engine_new_with_config(c, &mut e) },
                &[B, W, N, I],
                bogus,
            );
            if st == WT_OK {
                // Read the switches back from the store behaviour later; here
                // we only know them if we ask: fuel shows in wt_store_get_fuel.
                let (fuel, epoch) = probe_engine(e);
                w(|w| {
                    w.add(
                        e,
                        Obj {
                            kind: K::Engine,
                            store: 0,
                            tag: 0,
                            engine: 0,
                            name: "",
                        },
                    );
                    w.engines.insert(e, EngineInfo { fuel, epoch });
                });
            }
        }
    }
}

/// Finds out whether an engine meters fuel and supports interruption
/// (through the API, with a scratch store).
fn probe_engine(e: u64) -> (bool, bool) {
    let mut s = 0;
    if chk(
        "wt_store_new",
        unsafe { wt_store_new(e, &mut s) },
        &[B, W, N],
        false,
    ) != WT_OK
    {
        return (false, false);
    }
    let mut f = 0;
    let fuel = chk(
        "wt_store_get_fuel",
        unsafe { wt_store_get_fuel(s, &mut f) },
        &[B, W, BUSY, N, WT_ERR_UNSUPPORTED],
        false,
    ) == WT_OK;
    let epoch = chk(
        "wt_store_set_timeout_ms",
        wt_store_set_timeout_ms(s, 0),
        &[B, W, BUSY, WT_ERR_UNSUPPORTED],
        false,
    ) == WT_OK;
    chk("wt_free", wt_free(s), &[B, I], false);
    (fuel, epoch)
}

fn op_store_new() {
    if at_cap(K::Store) {
        return;
    }
    let (e, bogus) = pick(K::Engine);
    let mut s = 0;
    let null = nullp();
    let st = chk(
        "wt_store_new",
        unsafe { wt_store_new(e, if null { std::ptr::null_mut() } else { &mut s }) },
        &[B, W, N],
        bogus && !null,
    );
    if st == WT_OK {
        w(|w| {
            w.add(
                s,
                Obj {
                    kind: K::Store,
                    store: 0,
                    tag: 0,
                    engine: e,
                    name: "",
                },
            );
            let engine = w
                .engines
                .get(&e)
                .copied()
                .expect("a store's engine is known");
            w.stores.insert(
                s,
                StoreInfo {
                    engine,
                    ..StoreInfo::default()
                },
            );
        });
        // Most stores get caps so that random growth stays cheap.
        if chance(85) {
            chk(
                "wt_store_set_limits",
                wt_store_set_limits(s, 8 << 20, 2000, 0),
                &[B, W, BUSY, I],
                false,
            );
        }
    }
}

/// An engine, preferably one that live stores use.
fn pick_engine() -> (u64, bool) {
    w(|w| {
        if !w.hostile && w.rng.chance(70) {
            if let Some(s) = w.random_of(K::Store) {
                let e = w.engine_of_store(s);
                if w.live.contains_key(&e) {
                    return (e, false);
                }
            }
        }
        w.pick(K::Engine)
    })
}

fn op_module_from_wat() {
    if at_cap(K::Module) {
        return;
    }
    let (e, bogus) = pick_engine();
    let t = rnd(TEMPLATES.len() as u64) as usize;
    let mut text = TEMPLATES[t].1.as_bytes().to_vec();
    let mutated = chance(10);
    if mutated && !text.is_empty() {
        for _ in 0..1 + rnd(3) {
            let i = rnd(text.len() as u64) as usize;
            text[i] = rnd(256) as u8;
        }
    }
    let (p, n, null) = str_arg(&text);
    let mut m = 0;
    let st = chk(
        "wt_module_from_wat",
        unsafe { wt_module_from_wat(e, p, n, &mut m) },
        &[B, W, N, I, WT_ERR_COMPILE],
        bogus && !null,
    );
    if st == WT_OK {
        w(|w| {
            w.add(
                m,
                Obj {
                    kind: K::Module,
                    store: 0,
                    tag: if mutated { usize::MAX } else { t },
                    engine: e,
                    name: "",
                },
            )
        });
    }
}

fn op_wasm_bytes() {
    let r = rnd(100);
    if r < 40 {
        if at_cap(K::Bytes) {
            return;
        }
        let t = rnd(TEMPLATES.len() as u64) as usize;
        let text = TEMPLATES[t].1.as_bytes();
        let mut b = 0;
        let null_out = nullp();
        let st = chk(
            "wt_wat2wasm",
            unsafe {
                wt_wat2wasm(
                    text.as_ptr().cast(),
                    text.len(),
                    if null_out {
                        std::ptr::null_mut()
                    } else {
                        &mut b
                    },
                )
            },
            &[N, I, WT_ERR_COMPILE],
            false,
        );
        if st == WT_OK {
            w(|w| {
                w.add(
                    b,
                    Obj {
                        kind: K::Bytes,
                        store: 0,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
        }
        return;
    }
    if r < 50 {
        if at_cap(K::Bytes) {
            return;
        }
        let data: Vec<u8> = (0..rnd(64)).map(|_| rnd(256) as u8).collect();
        let mut b = 0;
        let p = if chance(5) {
            std::ptr::null()
        } else {
            data.as_ptr()
        };
        let st = chk(
            "wt_bytes_new",
            unsafe { wt_bytes_new(p, data.len(), &mut b) },
            &[N],
            false,
        );
        if st == WT_OK {
            w(|w| {
                w.add(
                    b,
                    Obj {
                        kind: K::Bytes,
                        store: 0,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
        }
        return;
    }
    // Read some bytes handle, maybe mutate it, and compile or validate it.
    let (b, bogus) = pick(K::Bytes);
    let (mut p, mut n) = (std::ptr::null(), 0usize);
    let st = chk(
        "wt_bytes_data",
        unsafe {
            if nullp() {
                wt_bytes_data(b, std::ptr::null_mut(), &mut n)
            } else {
                wt_bytes_data(b, &mut p, &mut n)
            }
        },
        &[B, W, N],
        bogus,
    );
    let mut data = if st == WT_OK && !p.is_null() {
        unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
    } else {
        b"\0asm\x01\0\0\0".to_vec()
    };
    let mutated = chance(50) && !data.is_empty();
    if mutated {
        for _ in 0..1 + rnd(4) {
            let i = rnd(data.len() as u64) as usize;
            data[i] = rnd(256) as u8;
        }
    }
    let (e, ebogus) = pick(K::Engine);
    if chance(50) {
        chk(
            "wt_module_validate",
            unsafe { wt_module_validate(e, data.as_ptr(), data.len()) },
            &[B, W, N, WT_ERR_COMPILE],
            ebogus,
        );
    } else {
        if at_cap(K::Module) {
            return;
        }
        let mut m = 0;
        let st = chk(
            "wt_module_from_wasm",
            unsafe { wt_module_from_wasm(e, data.as_ptr(), data.len(), &mut m) },
            &[B, W, N, WT_ERR_COMPILE],
            ebogus,
        );
        if st == WT_OK {
            // We do not know which template (if any) these bytes came from.
            w(|w| {
                w.add(
                    m,
                    Obj {
                        kind: K::Module,
                        store: 0,
                        tag: usize::MAX,
                        engine: e,
                        name: "",
                    },
                )
            });
        }
    }
}

fn op_serialize() {
    if chance(50) {
        if at_cap(K::Bytes) {
            return;
        }
        let (m, bogus) = pick(K::Module);
        let mut b = 0;
        let st = chk(
            "wt_module_serialize",
            unsafe { wt_module_serialize(m, &mut b) },
            &[B, W, N],
            bogus,
        );
        if st == WT_OK {
            let data = bytes(b);
            let engine = w(|w| w.obj(m).map_or(0, |o| o.engine));
            w(|w| {
                w.add(
                    b,
                    Obj {
                        kind: K::Bytes,
                        store: 0,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                );
                if w.serialized.len() >= 4 {
                    w.serialized.remove(0);
                }
                w.serialized.push((engine, data));
            });
        }
        return;
    }
    if at_cap(K::Module) {
        return;
    }
    // Deserialize: intact bytes (maybe into another engine), a prefix, or garbage.
    let picked = w(|w| {
        if w.serialized.is_empty() {
            None
        } else {
            let i = w.rng.below(w.serialized.len() as u64) as usize;
            Some(w.serialized[i].clone())
        }
    });
    let (e, bogus) = pick(K::Engine);
    let data = match (picked, rnd(4)) {
        (Some((_, d)), 0 | 1) => d,
        (Some((_, d)), 2) => d[..rnd(d.len() as u64) as usize].to_vec(),
        _ => (0..rnd(200)).map(|_| rnd(256) as u8).collect(),
    };
    let mut m = 0;
    let st = chk(
        "wt_module_deserialize",
        unsafe { wt_module_deserialize(e, data.as_ptr(), data.len(), &mut m) },
        &[B, W, N, WT_ERR_COMPILE],
        bogus,
    );
    if st == WT_OK {
        w(|w| {
            w.add(
                m,
                Obj {
                    kind: K::Module,
                    store: 0,
                    tag: usize::MAX,
                    engine: e,
                    name: "",
                },
            )
        });
    }
}

fn op_linker() {
    if chance(40) {
        if at_cap(K::Linker) {
            return;
        }
        let (e, bogus) = pick_engine();
        let mut l = 0;
        let st = chk(
            "wt_linker_new",
            unsafe { wt_linker_new(e, &mut l) },
            &[B, W, N],
            bogus,
        );
        if st == WT_OK {
            w(|w| {
                w.add(
                    l,
                    Obj {
                        kind: K::Linker,
                        store: 0,
                        tag: 0,
                        engine: e,
                        name: "",
                    },
                )
            });
            // Usually define the host functions the templates import.
            if chance(80) {
                define_host(l);
            }
        }
        return;
    }
    let (l, bogus) = pick(K::Linker);
    if chance(50) {
        chk(
            "wt_linker_allow_shadowing",
            wt_linker_allow_shadowing(l, rnd(3) as i32),
            &[B, W, I, BUSY],
            bogus,
        );
    } else {
        chk(
            "wt_linker_define_wasi",
            wt_linker_define_wasi(l),
            &[B, W, WT_ERR_LINK, BUSY],
            bogus,
        );
    }
}

fn new_functype(params: &[i32], results: &[i32]) -> u64 {
    let mut ft = 0;
    let st = chk(
        "wt_functype_new",
        unsafe {
            wt_functype_new(
                params.as_ptr(),
                params.len(),
                results.as_ptr(),
                results.len(),
                &mut ft,
            )
        },
        &[N, I],
        false,
    );
    if st == WT_OK {
        ft
    } else {
        0
    }
}

fn env_tag() -> *mut c_void {
    (0x1000 + rnd(16) as usize) as *mut c_void
}

fn define_host(l: u64) {
    for (name, params, results) in HOST_FUNCS {
        let ft = new_functype(params, results);
        if chance(70) {
            chk(
                "wt_linker_define_callback",
                unsafe {
                    wt_linker_define_callback(
                        l,
                        "host".as_ptr().cast(),
                        4,
                        name.as_ptr().cast(),
                        name.len(),
                        ft,
                        Some(rand_cb),
                        env_tag(),
                    )
                },
                &[B, W, N, I, WT_ERR_LINK, WT_ERR_UNSUPPORTED, BUSY],
                false,
            );
        } else {
            let mut cb = 0;
            let st = chk(
                "wt_callback_new",
                unsafe { wt_callback_new(ft, Some(rand_cb), env_tag(), Some(finalizer), &mut cb) },
                &[B, W, N, WT_ERR_UNSUPPORTED],
                false,
            );
            if st == WT_OK {
                FIN_CREATED.fetch_add(1, Ordering::SeqCst);
                chk(
                    "wt_linker_define_func",
                    unsafe {
                        wt_linker_define_func(
                            l,
                            "host".as_ptr().cast(),
                            4,
                            name.as_ptr().cast(),
                            name.len(),
                            cb,
                        )
                    },
                    &[B, W, N, I, WT_ERR_LINK, WT_ERR_UNSUPPORTED, BUSY],
                    false,
                );
                chk("wt_free", wt_free(cb), &[B, I], false);
            }
        }
        if ft != 0 {
            chk("wt_free", wt_free(ft), &[B, I], false);
        }
    }
}

fn op_define() {
    let (l, lbogus) = pick(K::Linker);
    let module = name_for(&["host", "lib", "env"]);
    let name = name_for(&["cb0", "cb1", "cbr", "add", "memory", "g_i32", "table"]);
    let (mp, mn, mnull) = str_arg(&module);
    let (np, nn, nnull) = str_arg(&name);
    let any_null = mnull || nnull;
    let link = [B, W, N, I, WT_ERR_LINK, WT_ERR_UNSUPPORTED, BUSY];
    match rnd(5) {
        0 => {
            let (ft, fbogus) = pick(K::FuncType);
            let cb = if chance(95) {
                Some(rand_cb as Cb)
            } else {
                None
            };
            chk(
                "wt_linker_define_callback",
                unsafe { wt_linker_define_callback(l, mp, mn, np, nn, ft, cb, env_tag()) },
                &link,
                (lbogus || fbogus) && !any_null && cb.is_some(),
            );
        }
        1 => {
            let (cb, cbogus) = pick(K::Callback);
            chk(
                "wt_linker_define_func",
                unsafe { wt_linker_define_func(l, mp, mn, np, nn, cb) },
                &link,
                (lbogus || cbogus) && !any_null,
            );
        }
        2 => {
            let item = w(|w| {
                let k = w.rng.one(&[K::Func, K::Memory, K::Global, K::Table]);
                w.pick(k)
            });
            let owner = w(|w| w.store_of(item.0));
            let (s, sbogus) = store_for(owner);
            chk(
                "wt_linker_define",
                unsafe { wt_linker_define(l, s, mp, mn, np, nn, item.0) },
                &[B, W, N, I, WT_ERR_LINK, BUSY],
                (lbogus || sbogus || item.1) && !any_null,
            );
        }
        3 => {
            let (i, ibogus) = pick(K::Instance);
            let owner = w(|w| w.store_of(i));
            let (s, sbogus) = store_for(owner);
            let lib = if chance(80) {
                b"lib".to_vec()
            } else {
                module.clone()
            };
            let (p, n, null) = str_arg(&lib);
            chk(
                "wt_linker_define_instance",
                unsafe { wt_linker_define_instance(l, s, p, n, i) },
                &[B, W, N, I, WT_ERR_LINK, BUSY],
                (lbogus || sbogus || ibogus) && !null,
            );
        }
        _ => {
            if !lbogus {
                define_host(l);
            }
        }
    }
}

fn op_functype_callback() {
    let r = rnd(100);
    if r < 40 {
        if at_cap(K::FuncType) {
            return;
        }
        let np = rnd(5) as usize;
        let nr = rnd(4) as usize;
        let mk = |n| -> Vec<i32> {
            (0..n)
                .map(|_| {
                    if chance(95) {
                        rnd(8) as i32
                    } else {
                        rnd(20) as i32 - 10
                    }
                })
                .collect()
        };
        let (p, r) = (mk(np), mk(nr));
        let pp = if chance(4) {
            std::ptr::null()
        } else {
            p.as_ptr()
        };
        let mut ft = 0;
        let st = chk(
            "wt_functype_new",
            unsafe { wt_functype_new(pp, np, r.as_ptr(), nr, &mut ft) },
            &[N, I],
            false,
        );
        if st == WT_OK {
            w(|w| {
                w.add(
                    ft,
                    Obj {
                        kind: K::FuncType,
                        store: 0,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
        }
    } else if r < 70 {
        if at_cap(K::Callback) {
            return;
        }
        let (ft, bogus) = pick(K::FuncType);
        let fin = chance(50);
        let cb = if chance(95) {
            Some(rand_cb as Cb)
        } else {
            None
        };
        let mut h = 0;
        let st = chk(
            "wt_callback_new",
            unsafe {
                wt_callback_new(
                    ft,
                    cb,
                    env_tag(),
                    if fin { Some(finalizer) } else { None },
                    &mut h,
                )
            },
            &[B, W, N, WT_ERR_UNSUPPORTED],
            bogus && cb.is_some(),
        );
        if st == WT_OK {
            if fin {
                FIN_CREATED.fetch_add(1, Ordering::SeqCst);
            }
            w(|w| {
                w.add(
                    h,
                    Obj {
                        kind: K::Callback,
                        store: 0,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
        }
    } else {
        if at_cap(K::Func) {
            return;
        }
        let (cb, cbogus) = pick(K::Callback);
        let (s, sbogus) = store_for(0);
        let mut f = 0;
        let st = chk(
            "wt_func_new",
            unsafe { wt_func_new(s, cb, &mut f) },
            &[B, W, N, BUSY],
            cbogus || sbogus,
        );
        if st == WT_OK {
            let store = w(|w| w.norm_store(s));
            w(|w| {
                w.add(
                    f,
                    Obj {
                        kind: K::Func,
                        store,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
        }
    }
}

fn op_instantiate() {
    if at_cap(K::Instance) {
        return;
    }
    let (s, sbogus) = store_for(0);
    let store = w(|w| w.norm_store(s));
    let (l, lbogus) = pick_same_engine(K::Linker, store);
    let (m, mbogus) = pick_same_engine(K::Module, store);
    let tag = w(|w| w.obj(m).map_or(usize::MAX, |o| o.tag));
    trace(|| {
        w(|w| {
            format!("instantiate store {s:#x} (engine {:#x}) linker {l:#x} (engine {:#x}) module {m:#x} (engine {:#x}) hostile {}", w.engine_of_store(store), w.obj(l).map_or(0, |o| o.engine), w.obj(m).map_or(0, |o| o.engine), w.hostile)
        })
    });
    // A start function could run forever only if the module spins at start: none does.
    let mut i = 0;
    let null = nullp();
    ACTIVE.with(|a| a.borrow_mut().push((store, 0, l)));
    let st =
        unsafe { wt_linker_instantiate(l, s, m, if null { std::ptr::null_mut() } else { &mut i }) };
    ACTIVE.with(|a| a.borrow_mut().pop());
    let st = chk(
        "wt_linker_instantiate",
        st,
        &with(&[B, W, N, I, WT_ERR_LINK, BUSY], RUN),
        (lbogus || mbogus || sbogus) && !null,
    );
    if st == WT_OK {
        w(|w| {
            w.add(
                i,
                Obj {
                    kind: K::Instance,
                    store,
                    tag,
                    engine: 0,
                    name: "",
                },
            )
        });
    }
}

/// Usually an object of the store's engine (so that instantiation can work);
/// makes one when there is none and the engine is still alive.
fn pick_same_engine(k: K, store: u64) -> (u64, bool) {
    let (e, hostile, found) = w(|w| {
        let e = w.engine_of_store(store);
        let same: Vec<u64> = w
            .lists
            .get(&k)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|h| w.live[h].engine == e)
                    .collect()
            })
            .unwrap_or_default();
        let found = if same.is_empty() {
            None
        } else {
            Some(same[w.rng.below(same.len() as u64) as usize])
        };
        (e, w.hostile, found)
    });
    if e != 0 && !hostile && chance(95) {
        if let Some(h) = found {
            return (h, false);
        }
        if w(|w| w.live.contains_key(&e)) {
            let mut h = 0;
            match k {
                K::Linker => {
                    if chk(
                        "wt_linker_new",
                        unsafe { wt_linker_new(e, &mut h) },
                        &[B, W, N],
                        false,
                    ) == WT_OK
                    {
                        w(|w| {
                            w.add(
                                h,
                                Obj {
                                    kind: K::Linker,
                                    store: 0,
                                    tag: 0,
                                    engine: e,
                                    name: "",
                                },
                            )
                        });
                        define_host(h);
                        return (h, false);
                    }
                }
                _ => {
                    let t = rnd(TEMPLATES.len() as u64) as usize;
                    let text = TEMPLATES[t].1;
                    if chk(
                        "wt_module_from_wat",
                        unsafe { wt_module_from_wat(e, text.as_ptr().cast(), text.len(), &mut h) },
                        &[B, W, N, I, WT_ERR_COMPILE],
                        false,
                    ) == WT_OK
                    {
                        w(|w| {
                            w.add(
                                h,
                                Obj {
                                    kind: K::Module,
                                    store: 0,
                                    tag: t,
                                    engine: e,
                                    name: "",
                                },
                            )
                        });
                        return (h, false);
                    }
                }
            }
        }
    }
    pick(k)
}

fn exports_of(tag: usize) -> &'static [&'static str] {
    TEMPLATES.get(tag).map_or(&[], |t| t.2)
}

fn op_get_export() {
    let (i, ibogus) = pick(K::Instance);
    let (owner, tag) = w(|w| w.obj(i).map_or((0, usize::MAX), |o| (o.store, o.tag)));
    let (s, sbogus) = store_for(owner);
    let store = w(|w| w.norm_store(s));
    let which = rnd(5);
    let all = exports_of(tag);
    let of_kind: Vec<&'static str> = all
        .iter()
        .copied()
        .filter(|n| match which {
            1 => n.contains("memory"),
            2 => n.starts_with("g_"),
            3 => n.contains("table"),
            0 => !n.contains("memory") && !n.starts_with("g_") && !n.contains("table"),
            _ => true,
        })
        .collect();
    let names: &[&'static str] = if of_kind.is_empty() || chance(10) {
        all
    } else {
        &of_kind
    };
    let name = name_for(names);
    let sname: &'static str = names
        .iter()
        .copied()
        .find(|n| n.as_bytes() == name.as_slice())
        .unwrap_or("");
    let (p, n, null) = str_arg(&name);
    let bogus = (ibogus || sbogus) && !null;
    let null_out = nullp();
    let mut h = 0u64;
    let out = if null_out {
        std::ptr::null_mut()
    } else {
        &mut h as *mut u64
    };
    let doc = [B, W, N, I, WT_ERR_NOT_FOUND, BUSY];
    let (st, kind) = match which {
        0 => (
            chk(
                "wt_instance_get_func",
                unsafe { wt_instance_get_func(s, i, p, n, out) },
                &doc,
                bogus,
            ),
            K::Func,
        ),
        1 => (
            chk(
                "wt_instance_get_memory",
                unsafe { wt_instance_get_memory(s, i, p, n, out) },
                &doc,
                bogus,
            ),
            K::Memory,
        ),
        2 => (
            chk(
                "wt_instance_get_global",
                unsafe { wt_instance_get_global(s, i, p, n, out) },
                &doc,
                bogus,
            ),
            K::Global,
        ),
        3 => (
            chk(
                "wt_instance_get_table",
                unsafe { wt_instance_get_table(s, i, p, n, out) },
                &doc,
                bogus,
            ),
            K::Table,
        ),
        _ => {
            let mut k = -1;
            let st = chk(
                "wt_instance_get_export",
                unsafe { wt_instance_get_export(s, i, p, n, out, &mut k) },
                &with(&doc, &[WT_ERR_UNSUPPORTED]),
                bogus,
            );
            let kind = match k {
                WT_EXTERN_FUNC => K::Func,
                WT_EXTERN_MEMORY => K::Memory,
                WT_EXTERN_GLOBAL => K::Global,
                _ => K::Table,
            };
            (st, kind)
        }
    };
    if st == WT_OK {
        let mut real = 0;
        if chk(
            "wt_handle_kind",
            unsafe { wt_handle_kind(h, &mut real) },
            &[B, N],
            false,
        ) == WT_OK
            && real != kind.code()
        {
            violation(format!(
                "export handle {h:#x} has kind {real}, expected {:?}",
                kind
            ));
        }
        w(|w| {
            w.add(
                h,
                Obj {
                    kind,
                    store,
                    tag: 0,
                    engine: 0,
                    name: sname,
                },
            )
        });
        let over = w(|w| w.count(kind) > kind.cap());
        if over {
            at_cap(kind);
        }
    }
}

fn op_export_names() {
    let (i, ibogus) = pick(K::Instance);
    let owner = w(|w| w.store_of(i));
    let (s, sbogus) = store_for(owner);
    let bogus = ibogus || sbogus;
    let mut n = 0usize;
    chk(
        "wt_instance_export_count",
        unsafe {
            wt_instance_export_count(
                s,
                i,
                if nullp() {
                    std::ptr::null_mut()
                } else {
                    &mut n
                },
            )
        },
        &[B, W, N, I, BUSY],
        bogus,
    );
    let idx = if chance(80) {
        rnd(n as u64 + 1) as usize
    } else {
        any64() as usize
    };
    let mut buf = vec![0u8; rnd(12) as usize];
    let bp = if chance(20) {
        std::ptr::null_mut()
    } else {
        buf.as_mut_ptr()
    };
    let mut len = 0usize;
    let mut kind = 0;
    chk(
        "wt_instance_export_name",
        unsafe {
            wt_instance_export_name(
                s,
                i,
                idx,
                bp,
                buf.len(),
                if nullp() {
                    std::ptr::null_mut()
                } else {
                    &mut len
                },
                if chance(30) {
                    std::ptr::null_mut()
                } else {
                    &mut kind
                },
            )
        },
        &[B, W, N, I, WT_ERR_OUT_OF_BOUNDS, BUSY],
        bogus,
    );
}

/// Whether calling a function that may loop forever is safe on this store.
fn can_spin(store: u64) -> bool {
    w(|w| {
        let Some(si) = w.stores.get(&store).copied() else {
            // Not a live store: the call fails before running anything.
            return true;
        };
        let ei = si.engine;
        (ei.epoch && si.timeout) || (ei.fuel && !si.fuel_unbounded)
    })
}

/// Exports that call host functions.
const CALLS_HOST: &[&str] = &[
    "call0", "call1", "callr", "call_n", "rec", "indirect", "again",
];

fn op_call() {
    let (f, fbogus) = w(|w| {
        if !w.hostile && w.rng.chance(40) {
            let v: Vec<u64> = w
                .lists
                .get(&K::Func)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|f| CALLS_HOST.contains(&w.live[f].name))
                        .collect()
                })
                .unwrap_or_default();
            if !v.is_empty() {
                return (v[w.rng.below(v.len() as u64) as usize], false);
            }
        }
        w.pick(K::Func)
    });
    let (owner, name) = w(|w| w.obj(f).map_or((0, ""), |o| (o.store, o.name)));
    let (s, sbogus) = store_for(owner);
    let store = w(|w| w.norm_store(s));
    let sig = sig_of(f);
    let (params, results) = sig.clone().unwrap_or_default();
    // "spin" loops forever, and so may any () -> () function of unknown origin.
    let maybe_spin = name == "spin" || (name.is_empty() && params.is_empty() && results.is_empty());
    if maybe_spin && !can_spin(store) && sig.is_some() {
        return;
    }
    let target = if store != 0 { store } else { owner };
    let mut args: Vec<u64> = params.iter().map(|c| slot(*c, target)).collect();
    if name == "rec" && !args.is_empty() && chance(70) {
        // Deep enough to sit near the wasm stack limit when it calls the host.
        args[0] = w(|w| w.rng.one(&[0u64, 3, 1000, 5000, 9000, 11_000, 1_000_000]));
    }
    let mut nres = results.len();
    match rnd(100) {
        0..=4 => args.push(numeric(WT_I64)),
        5..=7 if !args.is_empty() => {
            args.pop();
        }
        8..=10 => nres = rnd(4) as usize,
        _ => {}
    }
    // Small i32 arguments most of the time, so that "rec", "grow" and "loop"
    // do interesting things without running long.
    let mut out = vec![0u64; nres];
    let ap = if nullp() {
        std::ptr::null()
    } else {
        args.as_ptr()
    };
    let rp = if nullp() {
        std::ptr::null_mut()
    } else {
        out.as_mut_ptr()
    };
    trace(|| format!("wt_call({s:#x}, {f:#x} {name:?}, {args:?}, {nres})"));
    ACTIVE.with(|a| a.borrow_mut().push((store, f, 0)));
    let st = unsafe { wt_call(s, f, ap, args.len(), rp, nres) };
    ACTIVE.with(|a| a.borrow_mut().pop());
    let st = chk(
        "wt_call",
        st,
        &with(&[B, W, N, WT_ERR_SIGNATURE, I, BUSY], RUN),
        fbogus || sbogus,
    );
    if st == WT_OK {
        // Funcref results are new func handles owned by the store.
        for (code, v) in results.iter().zip(&out) {
            if *code == WT_FUNCREF && *v != 0 {
                let mut k = 0;
                if chk(
                    "wt_handle_kind",
                    unsafe { wt_handle_kind(*v, &mut k) },
                    &[B, N],
                    false,
                ) == WT_OK
                {
                    if k != WT_KIND_FUNC {
                        violation(format!("funcref result {v:#x} has kind {k}"));
                    }
                    w(|w| {
                        if !w.live.contains_key(v) {
                            w.add(
                                *v,
                                Obj {
                                    kind: K::Func,
                                    store,
                                    tag: 0,
                                    engine: 0,
                                    name: "",
                                },
                            )
                        }
                    });
                } else {
                    // The store was freed during the call: the result died with it.
                }
            }
        }
        if w(|w| w.count(K::Func) > K::Func.cap()) {
            at_cap(K::Func);
        }
    }
}

fn op_memory() {
    let (m, mbogus) = pick(K::Memory);
    let owner = w(|w| w.store_of(m));
    let (s, sbogus) = store_for(owner);
    let bogus = mbogus || sbogus;
    let doc = [B, W, N, I, BUSY];
    let mut size = 0u64;
    match rnd(7) {
        0 => {
            chk(
                "wt_memory_size",
                unsafe {
                    wt_memory_size(
                        s,
                        m,
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut size
                        },
                    )
                },
                &doc,
                bogus,
            );
        }
        1 => {
            chk(
                "wt_memory_pages",
                unsafe {
                    wt_memory_pages(
                        s,
                        m,
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut size
                        },
                    )
                },
                &doc,
                bogus,
            );
        }
        2 => {
            let delta = w(|w| w.rng.one(&[0u64, 1, 2, 3, 100, 70_000, 1 << 40, u64::MAX]));
            let mut old = 0;
            chk(
                "wt_memory_grow",
                unsafe {
                    wt_memory_grow(
                        s,
                        m,
                        delta,
                        if chance(30) {
                            std::ptr::null_mut()
                        } else {
                            &mut old
                        },
                    )
                },
                &with(&doc, &[WT_ERR_LIMIT]),
                bogus,
            );
        }
        3 | 4 => {
            let mut buf = vec![0u8; rnd(300) as usize];
            let off = w(|w| {
                w.rng
                    .one(&[0u64, 1, 100, 65_000, 65_536, 65_535, 1 << 32, u64::MAX - 10])
            })
            .wrapping_add(rnd(64));
            let bp = if nullp() {
                std::ptr::null_mut()
            } else {
                buf.as_mut_ptr()
            };
            chk(
                "wt_memory_read",
                unsafe { wt_memory_read(s, m, off, bp, buf.len()) },
                &with(&doc, &[WT_ERR_OUT_OF_BOUNDS]),
                bogus,
            );
        }
        5 => {
            let buf: Vec<u8> = (0..rnd(300)).map(|_| rnd(256) as u8).collect();
            let off = w(|w| {
                w.rng
                    .one(&[0u64, 1, 100, 65_000, 65_536, 1 << 32, u64::MAX - 10])
            })
            .wrapping_add(rnd(64));
            let bp = if nullp() {
                std::ptr::null()
            } else {
                buf.as_ptr()
            };
            chk(
                "wt_memory_write",
                unsafe { wt_memory_write(s, m, off, bp, buf.len()) },
                &with(&doc, &[WT_ERR_OUT_OF_BOUNDS]),
                bogus,
            );
        }
        _ => {
            let mut p = std::ptr::null_mut();
            let mut n = 0usize;
            chk(
                "wt_memory_data",
                unsafe {
                    wt_memory_data(
                        s,
                        m,
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut p
                        },
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut n
                        },
                    )
                },
                &doc,
                bogus,
            );
        }
    }
}

fn op_global() {
    let (g, gbogus) = pick(K::Global);
    let owner = w(|w| w.store_of(g));
    let (s, sbogus) = store_for(owner);
    let target = w(|w| w.norm_store(s));
    let bogus = gbogus || sbogus;
    let doc = [B, W, N, I, BUSY, WT_ERR_UNSUPPORTED];
    let (mut t, mut mutable) = (-1, -1);
    chk(
        "wt_global_type",
        unsafe {
            wt_global_type(
                s,
                g,
                if chance(20) {
                    std::ptr::null_mut()
                } else {
                    &mut t
                },
                if chance(20) {
                    std::ptr::null_mut()
                } else {
                    &mut mutable
                },
            )
        },
        &[B, W, I, BUSY],
        bogus,
    );
    if chance(50) {
        let mut v = 0;
        let st = chk(
            "wt_global_get",
            unsafe {
                wt_global_get(
                    s,
                    g,
                    if nullp() {
                        std::ptr::null_mut()
                    } else {
                        &mut v
                    },
                )
            },
            &doc,
            bogus,
        );
        if st == WT_OK && t == WT_FUNCREF && v != 0 {
            w(|w| {
                if !w.live.contains_key(&v) {
                    w.add(
                        v,
                        Obj {
                            kind: K::Func,
                            store: target,
                            tag: 0,
                            engine: 0,
                            name: "",
                        },
                    )
                }
            });
        }
    } else {
        let code = if t >= 0 && chance(85) {
            t
        } else {
            rnd(7) as i32
        };
        let v = slot(code, target);
        chk(
            "wt_global_set",
            wt_global_set(s, g, v),
            &with(&doc, &[WT_ERR_IMMUTABLE, WT_ERR_LIMIT]),
            bogus,
        );
    }
}

fn op_table() {
    let (t, tbogus) = pick(K::Table);
    let owner = w(|w| w.store_of(t));
    let (s, sbogus) = store_for(owner);
    let target = w(|w| w.norm_store(s));
    let bogus = tbogus || sbogus;
    let doc = [B, W, N, I, BUSY];
    let mut size = 0u64;
    chk(
        "wt_table_size",
        unsafe {
            wt_table_size(
                s,
                t,
                if nullp() {
                    std::ptr::null_mut()
                } else {
                    &mut size
                },
            )
        },
        &doc,
        bogus,
    );
    let mut ty = -1;
    chk(
        "wt_table_type",
        unsafe {
            wt_table_type(
                s,
                t,
                if nullp() {
                    std::ptr::null_mut()
                } else {
                    &mut ty
                },
            )
        },
        &doc,
        bogus,
    );
    let index = if chance(80) { rnd(size + 2) } else { any64() };
    let code = if ty >= 0 && chance(85) {
        ty
    } else {
        rnd(7) as i32
    };
    match rnd(3) {
        0 => {
            let mut v = 0;
            let st = chk(
                "wt_table_get",
                unsafe {
                    wt_table_get(
                        s,
                        t,
                        index,
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut v
                        },
                    )
                },
                &with(&doc, &[WT_ERR_OUT_OF_BOUNDS, WT_ERR_UNSUPPORTED]),
                bogus,
            );
            if st == WT_OK && ty == WT_FUNCREF && v != 0 {
                w(|w| {
                    if !w.live.contains_key(&v) {
                        w.add(
                            v,
                            Obj {
                                kind: K::Func,
                                store: target,
                                tag: 0,
                                engine: 0,
                                name: "",
                            },
                        )
                    }
                });
            }
        }
        1 => {
            chk(
                "wt_table_set",
                wt_table_set(s, t, index, slot(code, target)),
                &with(
                    &doc,
                    &[WT_ERR_OUT_OF_BOUNDS, WT_ERR_UNSUPPORTED, WT_ERR_LIMIT],
                ),
                bogus,
            );
        }
        _ => {
            // Huge deltas only where they fail at once (> 2^32 elements); the
            // allocation of a legal but huge table is the store cap's job.
            let delta = w(|w| w.rng.one(&[0u64, 1, 2, 5, 100, 3000, 1 << 33, u64::MAX]));
            let mut old = 0;
            chk(
                "wt_table_grow",
                unsafe {
                    wt_table_grow(
                        s,
                        t,
                        delta,
                        slot(code, target),
                        if chance(30) {
                            std::ptr::null_mut()
                        } else {
                            &mut old
                        },
                    )
                },
                &with(
                    &doc,
                    &[WT_ERR_OUT_OF_BOUNDS, WT_ERR_UNSUPPORTED, WT_ERR_LIMIT],
                ),
                bogus,
            );
        }
    }
}

fn op_module_info() {
    let (m, bogus) = pick(K::Module);
    let mut n = 0usize;
    let is_import = chance(50);
    if is_import {
        chk(
            "wt_module_import_count",
            unsafe { wt_module_import_count(m, &mut n) },
            &[B, W, N],
            bogus,
        );
    } else {
        chk(
            "wt_module_export_count",
            unsafe { wt_module_export_count(m, &mut n) },
            &[B, W, N],
            bogus,
        );
    }
    let idx = if chance(85) {
        rnd(n as u64 + 1) as usize
    } else {
        any64() as usize
    };
    let mut buf = vec![0u8; rnd(10) as usize];
    let bp = if chance(20) {
        std::ptr::null_mut()
    } else {
        buf.as_mut_ptr()
    };
    let mut len = 0usize;
    let lp = if nullp() {
        std::ptr::null_mut()
    } else {
        &mut len as *mut usize
    };
    let doc = [B, W, N, WT_ERR_OUT_OF_BOUNDS];
    let which = if chance(90) {
        is_import as i32
    } else {
        rnd(5) as i32 - 2
    };
    let item_doc = [B, W, WT_ERR_OUT_OF_BOUNDS, I];
    let opt = |p: bool| p && chance(20);
    match rnd(7) {
        4 => {
            let (mut t, mut mutable) = (0, 0);
            chk(
                "wt_module_item_global_type",
                unsafe {
                    wt_module_item_global_type(
                        m,
                        which,
                        idx,
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut t
                        },
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut mutable
                        },
                    )
                },
                &item_doc,
                bogus,
            );
        }
        5 => {
            let (mut lo, mut hi, mut is64) = (0u64, 0u64, 0);
            chk(
                "wt_module_item_memory_type",
                unsafe {
                    wt_module_item_memory_type(
                        m,
                        which,
                        idx,
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut lo
                        },
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut hi
                        },
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut is64
                        },
                    )
                },
                &item_doc,
                bogus,
            );
        }
        6 => {
            let (mut t, mut lo, mut hi) = (0, 0u64, 0u64);
            chk(
                "wt_module_item_table_type",
                unsafe {
                    wt_module_item_table_type(
                        m,
                        which,
                        idx,
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut t
                        },
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut lo
                        },
                        if opt(true) {
                            std::ptr::null_mut()
                        } else {
                            &mut hi
                        },
                    )
                },
                &item_doc,
                bogus,
            );
        }
        0 => {
            chk(
                "wt_module_import_module",
                unsafe { wt_module_import_module(m, idx, bp, buf.len(), lp) },
                &doc,
                bogus,
            );
        }
        1 => {
            chk(
                "wt_module_import_name",
                unsafe { wt_module_import_name(m, idx, bp, buf.len(), lp) },
                &doc,
                bogus,
            );
        }
        2 => {
            chk(
                "wt_module_export_name",
                unsafe { wt_module_export_name(m, idx, bp, buf.len(), lp) },
                &doc,
                bogus,
            );
        }
        _ => {
            let mut kind = 0;
            let mut ft = 0u64;
            let want_ft = chance(50);
            let st = chk(
                "wt_module_item_type",
                unsafe {
                    wt_module_item_type(
                        m,
                        if chance(90) {
                            is_import as i32
                        } else {
                            rnd(5) as i32 - 2
                        },
                        idx,
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut kind
                        },
                        if want_ft {
                            &mut ft
                        } else {
                            std::ptr::null_mut()
                        },
                    )
                },
                &with(&doc, &[I]),
                bogus,
            );
            if st == WT_OK && ft != 0 {
                w(|w| {
                    w.add(
                        ft,
                        Obj {
                            kind: K::FuncType,
                            store: 0,
                            tag: 0,
                            engine: 0,
                            name: "",
                        },
                    )
                });
                at_cap(K::FuncType);
            }
        }
    }
}

fn op_store_settings() {
    let (s, bogus) = store_for(0);
    let store = w(|w| w.norm_store(s));
    match rnd(8) {
        0 => {
            let fuel = w(|w| w.rng.one(&[0u64, 1, 100, 10_000, 1_000_000, u64::MAX]));
            let st = chk(
                "wt_store_set_fuel",
                wt_store_set_fuel(s, fuel),
                &[B, W, BUSY, WT_ERR_UNSUPPORTED],
                bogus,
            );
            if st == WT_OK {
                w(|w| {
                    if let Some(si) = w.stores.get_mut(&store) {
                        si.fuel_unbounded = fuel > 1_000_000;
                    }
                });
            }
        }
        1 => {
            let mut f = 0;
            chk(
                "wt_store_get_fuel",
                unsafe {
                    wt_store_get_fuel(
                        s,
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut f
                        },
                    )
                },
                &[B, W, BUSY, N, WT_ERR_UNSUPPORTED],
                bogus,
            );
        }
        2 => {
            let ms = w(|w| w.rng.one(&[0u64, 1, 2, 5, u64::MAX]));
            let st = chk(
                "wt_store_set_timeout_ms",
                wt_store_set_timeout_ms(s, ms),
                &[B, W, BUSY, WT_ERR_UNSUPPORTED],
                bogus,
            );
            if st == WT_OK {
                w(|w| {
                    if let Some(si) = w.stores.get_mut(&store) {
                        si.timeout = ms != 0 && ms <= 5;
                    }
                });
            }
        }
        3 => {
            // Only the store handle is accepted: a caller is WRONG_KIND.
            chk(
                "wt_store_interrupt",
                wt_store_interrupt(s),
                &[B, W, WT_ERR_UNSUPPORTED],
                bogus,
            );
        }
        4 => {
            let mem = w(|w| w.rng.one(&[0u64, 65_536, 1 << 20, 8 << 20, 64 << 20]));
            let tab = w(|w| w.rng.one(&[0u64, 1, 10, 2000, 10_000]));
            chk(
                "wt_store_set_limits",
                wt_store_set_limits(s, mem, tab, rnd(3) as i32),
                &[B, W, BUSY, I],
                bogus,
            );
        }
        5 => {
            chk("wt_store_gc", wt_store_gc(s), &[B, W, BUSY], bogus);
        }
        6 => {
            let (e, ebogus) = pick(K::Engine);
            chk(
                "wt_engine_increment_epoch",
                wt_engine_increment_epoch(e),
                &[B, W],
                ebogus,
            );
        }
        _ => {
            let (c, cbogus) = pick(K::Wasi);
            chk(
                "wt_store_set_wasi",
                wt_store_set_wasi(s, c),
                &[B, W, BUSY, WT_ERR_IO],
                bogus || cbogus,
            );
        }
    }
}

fn op_wasi() {
    if chance(20) {
        if at_cap(K::Wasi) {
            return;
        }
        let mut c = 0;
        if chk(
            "wt_wasi_config_new",
            unsafe { wt_wasi_config_new(&mut c) },
            &[N],
            false,
        ) == WT_OK
        {
            w(|w| {
                w.add(
                    c,
                    Obj {
                        kind: K::Wasi,
                        store: 0,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
        }
        return;
    }
    let (c, bogus) = pick(K::Wasi);
    let text = name_for(&["prog", "A", "--flag", "K"]);
    let (p, n, null) = str_arg(&text);
    let b = bogus && !null;
    let cfg = [B, W, N, I];
    match rnd(8) {
        0 => {
            chk(
                "wt_wasi_config_add_arg",
                unsafe { wt_wasi_config_add_arg(c, p, n) },
                &cfg,
                b,
            );
        }
        1 => {
            let v = b"value";
            chk(
                "wt_wasi_config_add_env",
                unsafe { wt_wasi_config_add_env(c, p, n, v.as_ptr().cast(), v.len()) },
                &cfg,
                false,
            );
        }
        2 => {
            chk(
                "wt_wasi_config_set_stdin_bytes",
                unsafe { wt_wasi_config_set_stdin_bytes(c, p.cast(), n) },
                &[B, W, N],
                b,
            );
        }
        3 => {
            let mode = w(|w| w.rng.one(&[0, 2, 3]));
            chk(
                "wt_wasi_config_set_stdout",
                wt_wasi_config_set_stdout(c, mode),
                &[B, W, I],
                bogus,
            );
        }
        4 => {
            // Never inherit stdout/stderr here: captured or discarded keeps the test output clean.
            let mode = w(|w| w.rng.one(&[0, 2, 3]));
            chk(
                "wt_wasi_config_set_stderr",
                wt_wasi_config_set_stderr(c, mode),
                &[B, W, I],
                bogus,
            );
        }
        5 => {
            let dir = if chance(50) {
                std::env::temp_dir().display().to_string()
            } else {
                "/nonexistent/x".into()
            };
            let guest = b"/tmp";
            chk(
                "wt_wasi_config_preopen_dir",
                unsafe {
                    wt_wasi_config_preopen_dir(
                        c,
                        dir.as_ptr().cast(),
                        dir.len(),
                        guest.as_ptr().cast(),
                        guest.len(),
                        1,
                    )
                },
                &[B, W, N, I, WT_ERR_IO],
                false,
            );
        }
        6 => {
            // Inheriting stdin would block nothing here (the guest never reads it).
            chk(
                "wt_wasi_config_inherit_stdin",
                wt_wasi_config_inherit_stdin(c),
                &[B, W],
                bogus,
            );
        }
        _ => {
            if at_cap(K::Bytes) {
                return;
            }
            let (s, sbogus) = store_for(0);
            let mut out = 0;
            let st = chk(
                "wt_store_wasi_output",
                unsafe {
                    wt_store_wasi_output(
                        s,
                        rnd(4) as i32,
                        if nullp() {
                            std::ptr::null_mut()
                        } else {
                            &mut out
                        },
                    )
                },
                &[B, W, N, I, BUSY],
                sbogus,
            );
            if st == WT_OK {
                w(|w| {
                    w.add(
                        out,
                        Obj {
                            kind: K::Bytes,
                            store: 0,
                            tag: 0,
                            engine: 0,
                            name: "",
                        },
                    )
                });
            }
        }
    }
}

fn op_errors() {
    let len = wt_error_message_len();
    let p = wt_error_message();
    let c_len = unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().len();
    if c_len != len {
        violation(format!("wt_error_message_len {len} != strlen {c_len}"));
    }
    let mut buf = vec![0u8; rnd(16) as usize];
    let full = unsafe {
        wt_error_message_copy(
            if buf.is_empty() && chance(50) {
                std::ptr::null_mut()
            } else {
                buf.as_mut_ptr().cast()
            },
            buf.len(),
        )
    };
    if full != len {
        violation(format!(
            "wt_error_message_copy returned {full}, expected {len}"
        ));
    }
    let _ = (
        wt_error_status(),
        wt_error_trap_code(),
        wt_error_exit_code(),
        wt_handle_count(),
    );
    let v = unsafe { std::ffi::CStr::from_ptr(wt_version()) };
    // The header's version macros (not CARGO_PKG_VERSION: this file is also
    // compiled into the fuzz crate, whose package version is not libwt's).
    let want = format!("{WT_VERSION_MAJOR}.{WT_VERSION_MINOR}.{WT_VERSION_PATCH}");
    if v.to_bytes() != want.as_bytes() {
        violation("wt_version".into());
    }
    w(|w| w.stats.calls += 8);
}

fn op_handle_kind() {
    let (h, bogus) = w(|w| {
        let k = w.rng.one(&KINDS);
        w.pick(k)
    });
    let want = w(|w| w.obj(h).map(|o| o.kind));
    let mut k = -1;
    let null = nullp();
    let st = chk(
        "wt_handle_kind",
        unsafe { wt_handle_kind(h, if null { std::ptr::null_mut() } else { &mut k }) },
        &[B, N],
        bogus && !null,
    );
    if let Some(want) = want {
        if !null && (st != WT_OK || k != want.code()) {
            violation(format!(
                "wt_handle_kind({h:#x}) = status {st}, kind {k}; model says {want:?}"
            ));
        }
    }
}

fn op_free() {
    let r = rnd(100);
    let (h, bogus) = if r < 85 {
        let mut k = w(|w| w.rng.one(&KINDS));
        if k == K::Engine && chance(70) {
            // Freed engines leave their stores unable to get new modules.
            k = K::Func;
        }
        w(|w| w.pick(k))
    } else {
        (w(|w| w.bogus()), true)
    };
    let live = w(|w| w.live.contains_key(&h));
    if live {
        free_live(h);
    } else {
        let st = chk("wt_free", wt_free(h), &[B, I], bogus);
        if st == WT_OK {
            // A stale handle of a store freed in a callback may still be
            // pending; anything else freed here was not known to the model.
            w(|w| w.remove(h));
        }
    }
}

fn op_caller_api() {
    let current = ACTIVE.with(|a| a.borrow().last().map(|f| f.0));
    let (c, bogus) = match current.map(|s| w(|w| w.stores.get(&s).map_or(0, |i| i.caller))) {
        Some(c) if c != 0 && chance(70) => (c, false),
        _ => pick(K::Caller),
    };
    let name = name_for(&["memory", "add", "table", "g_i32", "nope"]);
    let (p, n, null) = str_arg(&name);
    if chance(50) {
        let mut h = 0;
        // Stays -1 when out_kind is NULL: the kind is then asked for below.
        let mut k = -1;
        let st = chk(
            "wt_caller_get_export",
            unsafe {
                wt_caller_get_export(
                    c,
                    p,
                    n,
                    &mut h,
                    if chance(30) {
                        std::ptr::null_mut()
                    } else {
                        &mut k
                    },
                )
            },
            &[B, W, N, I, WT_ERR_NOT_FOUND, WT_ERR_UNSUPPORTED],
            bogus && !null,
        );
        if st == WT_OK {
            let store = w(|w| w.store_of(c));
            let kind = match k {
                WT_EXTERN_FUNC => K::Func,
                WT_EXTERN_MEMORY => K::Memory,
                WT_EXTERN_GLOBAL => K::Global,
                WT_EXTERN_TABLE => K::Table,
                _ => {
                    let mut real = 0;
                    unsafe { wt_handle_kind(h, &mut real) };
                    KINDS
                        .iter()
                        .copied()
                        .find(|k| k.code() == real)
                        .unwrap_or(K::Func)
                }
            };
            w(|w| {
                w.add(
                    h,
                    Obj {
                        kind,
                        store,
                        tag: 0,
                        engine: 0,
                        name: "",
                    },
                )
            });
        }
    } else {
        chk(
            "wt_caller_set_error",
            unsafe { wt_caller_set_error(c, p, n) },
            &[B, W, N, I],
            bogus && !null,
        );
    }
}

// ---- a run ------------------------------------------------------------------------------------

/// How to run the generator.
pub struct Options {
    pub source: Source,
    /// Stop after this many C ABI calls (a `Source::Bytes` run also stops
    /// when its input is used up).
    pub calls: u64,
    /// Print every operation and status to stderr.
    pub trace: bool,
    /// The directory `wt_config_set_cache_dir` may be given (the caller removes it).
    pub cache_dir: String,
    /// Give every engine the generator makes Wasmtime's compilation cache in
    /// `cache_dir`: `wt_engine_new` is replaced by `wt_config_new` +
    /// `wt_config_set_cache_dir` + `wt_engine_new_with_config`, and new configs
    /// get the cache directory too. The fuzz target sets it (its inputs are
    /// short and would otherwise spend most of their time compiling the same
    /// templates in an instrumented Cranelift); the test does not.
    pub cache_engines: bool,
}

/// What a run did; `after == baseline`, `fin_run == fin_created` and empty
/// `stats.violations` / `stats.undocumented` are what the contract demands.
pub struct Report {
    pub stats: Stats,
    /// `wt_handle_count()` before the run and after everything was freed.
    pub baseline: usize,
    pub after: usize,
    pub rss_before: u64,
    pub rss_after: u64,
    /// Time spent in the random operations (not in the final frees).
    pub elapsed: std::time::Duration,
    /// Callback env finalizers created and run during this run.
    pub fin_created: usize,
    pub fin_run: usize,
}

/// Runs random operations, then frees everything left (stores first).
/// Must be called on a thread that is not already inside a run.
pub fn run(opts: Options) -> Report {
    let fin_created0 = FIN_CREATED.load(Ordering::SeqCst);
    let fin_run0 = FIN_RUN.load(Ordering::SeqCst);
    let baseline = wt_handle_count();
    let rss_before = rss_kib();
    let start = std::time::Instant::now();
    WORLD.with(|c| {
        *c.borrow_mut() = Some(World {
            rng: Rng::new(opts.source),
            live: HashMap::new(),
            lists: HashMap::new(),
            stale: Vec::new(),
            engines: HashMap::new(),
            stores: HashMap::new(),
            serialized: Vec::new(),
            stats: Stats::default(),
            trace: opts.trace,
            cache_dir: opts.cache_dir,
            hostile: false,
            cache_engines: opts.cache_engines,
        })
    });

    // A few objects of every kind to start from.
    op_engine_new();
    for _ in 0..3 {
        op_store_new();
        op_linker();
    }
    while w(|w| w.stats.calls < opts.calls && !w.rng.exhausted()) {
        step(false);
        if !ACTIVE.with(|a| a.borrow().is_empty()) {
            violation("a call frame leaked".into());
        }
    }
    let elapsed = start.elapsed();

    // Free what is left: stores first (their objects go with them), then the rest.
    let mut left: Vec<(u64, Obj)> = w(|w| w.live.iter().map(|(h, o)| (*h, *o)).collect());
    left.sort_by_key(|(h, o)| (o.kind != K::Store, *h));
    for (h, o) in left {
        if !w(|w| w.live.contains_key(&h)) || o.kind == K::Caller {
            continue;
        }
        free_live(h);
    }
    let stats = w(|w| std::mem::take(&mut w.stats));
    WORLD.with(|c| *c.borrow_mut() = None);
    let after = wt_handle_count();
    let rss_after = rss_kib();
    Report {
        stats,
        baseline,
        after,
        rss_before,
        rss_after,
        elapsed,
        fin_created: FIN_CREATED.load(Ordering::SeqCst) - fin_created0,
        fin_run: FIN_RUN.load(Ordering::SeqCst) - fin_run0,
    }
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
