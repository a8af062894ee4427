//! The generational handle table: every object crosses the ABI as a `u64`.
//!
//! Layout of a handle: `kind:8 | generation:24 | index:32`. 0 is never issued
//! (kind 0 means "free" and generations start at 1).
//!
//! Why not `slotmap` behind a lock: the C ABI promises (a) no library-wide lock
//! on the call path, so that stores on different threads scale, and (b) frees
//! that are safe from any thread at any time, including while another thread
//! is still using the object (Go/Dart finalizers). A `RwLock<SlotMap>` would put
//! a shared cache line on every `wt_call`. Instead each slot carries its own
//! atomic word `generation:24 | kind:8 | pending:1 | readers:31`:
//!
//! * lookup = validate generation and kind, then CAS `readers += 1` (a guard);
//! * free = validate, then set `pending`; whoever brings `readers` to 0 with
//!   `pending` set (the freer itself when there are no readers) destroys the
//!   object, bumps the generation and recycles the index.
//!
//! So a stale, forged, wrong-kind or zero handle is always detected, a freed
//! object is never touched after destruction, and an object freed while in use
//! (e.g. a store freed from inside its own host callback) lives until its last
//! user returns. Slots live in lazily allocated pages that are never released,
//! so a lookup of any integer only reads memory that exists. Slots are
//! cache-line aligned so that objects used by different threads never share a
//! line. Only allocation and the final destruction take a (short) mutex.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result, WT_ERR_LIMIT, WT_ERR_WRONG_KIND};

/// Handle kind: engine.
pub const WT_KIND_ENGINE: i32 = 1;
/// Handle kind: engine configuration.
pub const WT_KIND_CONFIG: i32 = 2;
/// Handle kind: store.
pub const WT_KIND_STORE: i32 = 3;
/// Handle kind: compiled module.
pub const WT_KIND_MODULE: i32 = 4;
/// Handle kind: linker.
pub const WT_KIND_LINKER: i32 = 5;
/// Handle kind: instance (lives in a store).
pub const WT_KIND_INSTANCE: i32 = 6;
/// Handle kind: function (lives in a store).
pub const WT_KIND_FUNC: i32 = 7;
/// Handle kind: linear memory (lives in a store).
pub const WT_KIND_MEMORY: i32 = 8;
/// Handle kind: global (lives in a store).
pub const WT_KIND_GLOBAL: i32 = 9;
/// Handle kind: table (lives in a store).
pub const WT_KIND_TABLE: i32 = 10;
/// Handle kind: owned byte buffer.
pub const WT_KIND_BYTES: i32 = 11;
/// Handle kind: function type (parameter and result types).
pub const WT_KIND_FUNCTYPE: i32 = 12;
/// Handle kind: host callback (callback + env + finalizer + type).
pub const WT_KIND_CALLBACK: i32 = 13;
/// Handle kind: WASI configuration.
pub const WT_KIND_WASI_CONFIG: i32 = 14;
/// Handle kind: the caller of a host callback (valid only during the callback).
pub const WT_KIND_CALLER: i32 = 15;

const KIND_NAMES: [&str; 16] = [
    "free slot",
    "engine",
    "config",
    "store",
    "module",
    "linker",
    "instance",
    "func",
    "memory",
    "global",
    "table",
    "bytes",
    "functype",
    "callback",
    "wasi config",
    "caller",
];

/// "an engine", "a store", ...
pub fn with_article(name: &str) -> String {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

pub fn kind_name(kind: i32) -> &'static str {
    KIND_NAMES
        .get(kind as usize)
        .copied()
        .unwrap_or("unknown kind")
}

/// Every object that a handle can name.
pub enum Object {
    Engine(crate::engine::EngineObj),
    Config(Box<crate::engine::ConfigObj>),
    Store(Box<crate::store::StoreObj>),
    Module(wasmtime::Module),
    Linker(Box<crate::linker::LinkerObj>),
    Instance(crate::store::StoreItem<wasmtime::Instance>),
    Func(crate::func::FuncObj),
    Memory(crate::store::StoreItem<wasmtime::Memory>),
    Global(crate::store::StoreItem<wasmtime::Global>),
    Table(crate::store::StoreItem<wasmtime::Table>),
    Bytes(Box<[u8]>),
    FuncType(std::sync::Arc<crate::types::Sig>),
    Callback(std::sync::Arc<crate::func::HostFunc>),
    WasiConfig(Box<crate::wasi::WasiConfigObj>),
    Caller(crate::store::CallerObj),
}

impl Object {
    fn kind(&self) -> i32 {
        match self {
            Object::Engine(_) => WT_KIND_ENGINE,
            Object::Config(_) => WT_KIND_CONFIG,
            Object::Store(_) => WT_KIND_STORE,
            Object::Module(_) => WT_KIND_MODULE,
            Object::Linker(_) => WT_KIND_LINKER,
            Object::Instance(_) => WT_KIND_INSTANCE,
            Object::Func(_) => WT_KIND_FUNC,
            Object::Memory(_) => WT_KIND_MEMORY,
            Object::Global(_) => WT_KIND_GLOBAL,
            Object::Table(_) => WT_KIND_TABLE,
            Object::Bytes(_) => WT_KIND_BYTES,
            Object::FuncType(_) => WT_KIND_FUNCTYPE,
            Object::Callback(_) => WT_KIND_CALLBACK,
            Object::WasiConfig(_) => WT_KIND_WASI_CONFIG,
            Object::Caller(_) => WT_KIND_CALLER,
        }
    }
}

/// A Rust type that lives in the table under one kind.
pub trait Kind: Sized {
    const KIND: i32;
    fn wrap(self) -> Object;
    fn peek(obj: &Object) -> &Self;
}

macro_rules! kinds {
    ($($ty:ty => $variant:ident, $kind:ident;)*) => {$(
        impl Kind for $ty {
            const KIND: i32 = $kind;
            fn wrap(self) -> Object {
                Object::$variant(self)
            }
            fn peek(obj: &Object) -> &Self {
                match obj {
                    Object::$variant(v) => v,
                    // The slot's kind was checked against `KIND` before this.
                    _ => unreachable!("handle kind/object mismatch"),
                }
            }
        }
    )*};
}

kinds! {
    crate::engine::EngineObj => Engine, WT_KIND_ENGINE;
    Box<crate::engine::ConfigObj> => Config, WT_KIND_CONFIG;
    Box<crate::store::StoreObj> => Store, WT_KIND_STORE;
    wasmtime::Module => Module, WT_KIND_MODULE;
    Box<crate::linker::LinkerObj> => Linker, WT_KIND_LINKER;
    crate::store::StoreItem<wasmtime::Instance> => Instance, WT_KIND_INSTANCE;
    crate::func::FuncObj => Func, WT_KIND_FUNC;
    crate::store::StoreItem<wasmtime::Memory> => Memory, WT_KIND_MEMORY;
    crate::store::StoreItem<wasmtime::Global> => Global, WT_KIND_GLOBAL;
    crate::store::StoreItem<wasmtime::Table> => Table, WT_KIND_TABLE;
    Box<[u8]> => Bytes, WT_KIND_BYTES;
    std::sync::Arc<crate::types::Sig> => FuncType, WT_KIND_FUNCTYPE;
    std::sync::Arc<crate::func::HostFunc> => Callback, WT_KIND_CALLBACK;
    Box<crate::wasi::WasiConfigObj> => WasiConfig, WT_KIND_WASI_CONFIG;
    crate::store::CallerObj => Caller, WT_KIND_CALLER;
}

const PAGE_BITS: u32 = 12;
const PAGE_SIZE: usize = 1 << PAGE_BITS;
const MAX_PAGES: usize = 4096; // 16,777,216 live handles at most
/// Freed indices are reused only once this many are waiting, so that a stale
/// handle stays detectably stale for a long time (generations are 24 bits).
const REUSE_AFTER: usize = 4096;

const READERS: u64 = 0x7fff_ffff;
const PENDING: u64 = 0x8000_0000;
const KIND_SHIFT: u32 = 32;
const GEN_SHIFT: u32 = 40;
const GEN_MASK: u64 = 0xff_ffff;

#[repr(align(64))]
struct Slot {
    word: AtomicU64,
    obj: UnsafeCell<Option<Object>>,
}

// SAFETY: `obj` is written only by the allocator before the slot is published
// (kind 0 -> kind != 0 with Release) and taken only by the single destroyer
// after the last reader left; in between it is only read through guards.
// Every object type is Send + Sync or guards its own interior (see store.rs).
unsafe impl Sync for Slot {}

const _: () = assert!(
    std::mem::size_of::<Slot>() == 64,
    "slot must fit one cache line"
);

#[allow(clippy::declare_interior_mutable_const)]
const NO_PAGE: AtomicPtr<Slot> = AtomicPtr::new(null_mut());
static PAGES: [AtomicPtr<Slot>; MAX_PAGES] = [NO_PAGE; MAX_PAGES];
static LIVE: AtomicUsize = AtomicUsize::new(0);

struct Alloc {
    next: u32,
    free: VecDeque<u32>,
}
static ALLOC: Mutex<Alloc> = Mutex::new(Alloc {
    next: 0,
    free: VecDeque::new(),
});

fn slot(index: u32) -> Option<&'static Slot> {
    let page = PAGES
        .get((index >> PAGE_BITS) as usize)?
        .load(Ordering::Acquire);
    if page.is_null() {
        return None;
    }
    // SAFETY: pages are PAGE_SIZE slots, allocated once and never freed.
    Some(unsafe { &*page.add(index as usize & (PAGE_SIZE - 1)) })
}

fn gen_of(word: u64) -> u64 {
    (word >> GEN_SHIFT) & GEN_MASK
}
fn kind_of(word: u64) -> i32 {
    ((word >> KIND_SHIFT) & 0xff) as i32
}

/// Adds an object to the table and returns its new handle.
pub fn insert<T: Kind>(value: T) -> Result<u64> {
    let index = {
        let mut a = ALLOC.lock();
        if a.free.len() > REUSE_AFTER || a.next as usize >= MAX_PAGES * PAGE_SIZE {
            match a.free.pop_front() {
                Some(i) => i,
                None => return Err(Error::new(WT_ERR_LIMIT, "handle table is full")),
            }
        } else {
            let i = a.next;
            let page = (i >> PAGE_BITS) as usize;
            if PAGES[page].load(Ordering::Relaxed).is_null() {
                let slots: Box<[Slot]> = (0..PAGE_SIZE)
                    .map(|_| Slot {
                        word: AtomicU64::new(1 << GEN_SHIFT),
                        obj: UnsafeCell::new(None),
                    })
                    .collect();
                PAGES[page].store(Box::leak(slots).as_mut_ptr(), Ordering::Release);
            }
            a.next += 1;
            i
        }
    };
    let s = slot(index).expect("allocated slot exists");
    let gen = gen_of(s.word.load(Ordering::Relaxed));
    // SAFETY: the slot is free (kind 0): no guard can exist and no one else
    // allocated this index.
    let obj = value.wrap();
    debug_assert_eq!(obj.kind(), T::KIND);
    unsafe { *s.obj.get() = Some(obj) };
    s.word.store(
        (gen << GEN_SHIFT) | ((T::KIND as u64) << KIND_SHIFT),
        Ordering::Release,
    );
    LIVE.fetch_add(1, Ordering::Relaxed);
    Ok(((T::KIND as u64) << 56) | (gen << 32) | index as u64)
}

/// A counted reference to a live object; the object is not destroyed while it exists.
pub struct Guard {
    slot: &'static Slot,
    index: u32,
}

impl Guard {
    pub fn obj(&self) -> &Object {
        // SAFETY: while a reader is counted the object is present and immutable.
        unsafe {
            (*self.slot.obj.get())
                .as_ref()
                .expect("guarded slot holds an object")
        }
    }
    pub fn kind(&self) -> i32 {
        kind_of(self.slot.word.load(Ordering::Relaxed))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let prev = self.slot.word.fetch_sub(1, Ordering::AcqRel);
        if prev & READERS == 1 && prev & PENDING != 0 {
            destroy(self.slot, self.index);
        }
    }
}

/// A typed guard.
pub struct Ref<T> {
    guard: Guard,
    _t: PhantomData<fn() -> T>,
}

impl<T: Kind> Deref for Ref<T> {
    type Target = T;
    fn deref(&self) -> &T {
        T::peek(self.guard.obj())
    }
}

/// Finds the slot a handle names (any integer is safe to pass).
fn locate(h: u64) -> Result<(&'static Slot, u32)> {
    if h == 0 {
        return Err(Error::bad_handle(h, "0 (the null handle)"));
    }
    let s = slot(h as u32).ok_or_else(|| Error::bad_handle(h, "not a handle libwt issued"))?;
    Ok((s, h as u32))
}

/// Checks a slot word against a handle: same generation and kind, not being freed.
fn check_live(h: u64, w: u64) -> Result<()> {
    let hkind = (h >> 56) as i32;
    let hgen = (h >> 32) & GEN_MASK;
    if gen_of(w) != hgen || kind_of(w) != hkind || hkind == 0 || w & PENDING != 0 {
        return Err(Error::bad_handle(
            h,
            "stale (already freed) or was never issued",
        ));
    }
    Ok(())
}

/// Looks up a handle of any kind.
pub fn get_any(h: u64) -> Result<Guard> {
    let (s, index) = locate(h)?;
    let mut w = s.word.load(Ordering::Acquire);
    loop {
        check_live(h, w)?;
        if w & READERS == READERS {
            return Err(Error::new(
                WT_ERR_LIMIT,
                "too many concurrent uses of one handle",
            ));
        }
        match s
            .word
            .compare_exchange_weak(w, w + 1, Ordering::Acquire, Ordering::Acquire)
        {
            Ok(_) => return Ok(Guard { slot: s, index }),
            Err(cur) => w = cur,
        }
    }
}

/// Looks up a handle that must be of kind `T`.
pub fn get<T: Kind>(h: u64) -> Result<Ref<T>> {
    let guard = get_any(h)?;
    check_kind(h, guard.kind(), T::KIND)?;
    Ok(Ref {
        guard,
        _t: PhantomData,
    })
}

pub fn check_kind(h: u64, actual: i32, expected: i32) -> Result<()> {
    if actual == expected {
        Ok(())
    } else {
        Err(Error::new(
            WT_ERR_WRONG_KIND,
            format!(
                "handle {h:#x} is {}, expected {}",
                with_article(kind_name(actual)),
                with_article(kind_name(expected))
            ),
        ))
    }
}

/// Frees a handle: it is invalid at once; the object is destroyed when its
/// last in-flight user is done.
pub fn free(h: u64) -> Result<()> {
    let (s, index) = locate(h)?;
    let mut w = s.word.load(Ordering::Acquire);
    loop {
        check_live(h, w)?;
        match s
            .word
            .compare_exchange_weak(w, w | PENDING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                if w & READERS == 0 {
                    destroy(s, index);
                }
                return Ok(());
            }
            Err(cur) => w = cur,
        }
    }
}

fn destroy(s: &'static Slot, index: u32) {
    // SAFETY: we are the unique destroyer: pending is set and no reader is left,
    // and no new reader can enter while pending is set.
    let obj = unsafe { (*s.obj.get()).take() };
    let mut gen = (gen_of(s.word.load(Ordering::Relaxed)) + 1) & GEN_MASK;
    if gen == 0 {
        gen = 1;
    }
    s.word.store(gen << GEN_SHIFT, Ordering::Release);
    LIVE.fetch_sub(1, Ordering::Relaxed);
    ALLOC.lock().free.push_back(index);
    // Dropping may free further handles (a store frees its children).
    drop(obj);
}

/// The number of live handles in the process (all kinds, all threads).
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}
