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
//! atomic word `kind:8 | generation:24 | pending:1 | claimed:1 | readers:30`
//! (the upper half equals the upper half of the slot's live handle):
//!
//! * lookup = validate generation and kind, then CAS `readers += 1` (a guard);
//! * exclusive entry (stores only) = the biased-ownership protocol of
//!   `owner.rs`: the owner thread enters with plain stores (no atomic
//!   read-modify-write), and a store is idle when its owner is not inside it;
//! * free = validate, then set `pending`; once `readers` is 0 and the object
//!   is idle, whoever sees that last (the freer, the last reader, or the
//!   owner leaving the store) claims the slot with a CAS and destroys the
//!   object, bumps the generation and recycles the index.
//!
//! Each slot also holds [`AUX`] plain words fixed when the handle is made
//! (a func's store handle, `wasmtime::Func` and signature summary; a
//! store's owner thread and `StoreObj`; a caller's store handle). [`peek_aux`] reads them with no write at all, seqlock
//! style: load the word, read the aux words, re-check the word. That is how
//! `wt_call` validates its func handle without touching the func's cache
//! line for writing.
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
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result, WT_ERR_LIMIT, WT_ERR_WRONG_KIND};
use crate::owner::{self, ThreadRec};

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
///
/// Every payload is one pointer wide, so that an `Option<Object>` is 16
/// bytes and a slot (word, four aux words, object) fits one cache line.
pub enum Object {
    Engine(Box<crate::engine::EngineObj>),
    Config(Box<crate::engine::ConfigObj>),
    Store(Box<crate::store::StoreObj>),
    Module(wasmtime::Module),
    Linker(Box<crate::linker::LinkerObj>),
    Instance(Box<crate::store::StoreItem<wasmtime::Instance>>),
    Func(Box<crate::func::FuncObj>),
    Memory(Box<crate::store::StoreItem<wasmtime::Memory>>),
    Global(Box<crate::store::StoreItem<wasmtime::Global>>),
    Table(Box<crate::store::StoreItem<wasmtime::Table>>),
    Bytes(Box<Box<[u8]>>),
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
    ($($ty:ty => box $variant:ident, $kind:ident;)*) => {$(
        impl Kind for $ty {
            const KIND: i32 = $kind;
            fn wrap(self) -> Object {
                Object::$variant(Box::new(self))
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
    Box<crate::engine::ConfigObj> => Config, WT_KIND_CONFIG;
    Box<crate::store::StoreObj> => Store, WT_KIND_STORE;
    wasmtime::Module => Module, WT_KIND_MODULE;
    Box<crate::linker::LinkerObj> => Linker, WT_KIND_LINKER;
    std::sync::Arc<crate::types::Sig> => FuncType, WT_KIND_FUNCTYPE;
    std::sync::Arc<crate::func::HostFunc> => Callback, WT_KIND_CALLBACK;
    Box<crate::wasi::WasiConfigObj> => WasiConfig, WT_KIND_WASI_CONFIG;
    crate::store::CallerObj => Caller, WT_KIND_CALLER;
}

kinds! {
    crate::engine::EngineObj => box Engine, WT_KIND_ENGINE;
    crate::store::StoreItem<wasmtime::Instance> => box Instance, WT_KIND_INSTANCE;
    Box<[u8]> => box Bytes, WT_KIND_BYTES;
    crate::func::FuncObj => box Func, WT_KIND_FUNC;
    crate::store::StoreItem<wasmtime::Memory> => box Memory, WT_KIND_MEMORY;
    crate::store::StoreItem<wasmtime::Global> => box Global, WT_KIND_GLOBAL;
    crate::store::StoreItem<wasmtime::Table> => box Table, WT_KIND_TABLE;
}

const PAGE_BITS: u32 = 12;
const PAGE_SIZE: usize = 1 << PAGE_BITS;
const MAX_PAGES: usize = 4096; // 16,777,216 live handles at most
/// A freed index is reused only after this many later frees, so that a stale
/// handle stays detectably stale for a long time (generations are 24 bits:
/// an index must be reused 2^24 times before a handle of it can repeat).
const REUSE_AFTER: usize = 4096;

const READERS: u64 = 0x3fff_ffff;
/// Set by the one thread that destroys a pending object.
const CLAIMED: u64 = 0x4000_0000;
const PENDING: u64 = 0x8000_0000;
const KIND_SHIFT: u32 = 56;
const GEN_SHIFT: u32 = 32;
const GEN_MASK: u64 = 0xff_ffff;

/// Number of plain per-handle words readable without a guard ([`peek_aux`]).
pub(crate) const AUX: usize = 4;

#[repr(align(64))]
struct Slot {
    word: AtomicU64,
    /// Written before the handle is published, then constant until destroy
    /// (except `aux[0]` of a store: its owner thread, see `owner.rs`).
    aux: [AtomicU64; AUX],
    obj: UnsafeCell<Option<Object>>,
    /// This slot's index (fixed when its page is made).
    index: u32,
}

// SAFETY: `obj` is written only by the allocator before the slot is published
// (kind 0 -> kind != 0 with Release) and taken only by the single destroyer
// after the last reader left; in between it is only read through guards.
// Every object type is Send + Sync or guards its own interior (see store.rs).
unsafe impl Sync for Slot {}

const _: () = assert!(
    std::mem::size_of::<Option<Object>>() == 16 && std::mem::size_of::<Slot>() == 64,
    "slot must fit one cache line"
);

#[allow(clippy::declare_interior_mutable_const)]
const NO_PAGE: AtomicPtr<Slot> = AtomicPtr::new(null_mut());
static PAGES: [AtomicPtr<Slot>; MAX_PAGES] = [NO_PAGE; MAX_PAGES];

struct Alloc {
    next: u32,
    /// Freed indices, oldest first: at most `REUSE_AFTER` of them.
    quarantine: VecDeque<u32>,
    /// Indices out of quarantine, reused lowest first: the live slots stay
    /// packed at the bottom of the table, and after a burst of frees (a
    /// million handles, freed in any order) the table cycles through the
    /// few thousand lowest slots, not through every slot the burst left
    /// (cold lines and pages: a cache and TLB miss per allocation).
    ready: LowestFirst,
    /// Live handles: counted here, under the lock that allocation and
    /// destruction take anyway, rather than with an atomic of its own.
    live: usize,
}
static ALLOC: Mutex<Alloc> = Mutex::new(Alloc {
    next: 0,
    quarantine: VecDeque::new(),
    ready: LowestFirst::new(),
    live: 0,
});

/// A set of indices below 2^24 that yields its lowest member: a bitmap with
/// three summary levels (bit `b` of level `k + 1` says whether word `b` of
/// level `k` has any bit set), so every operation touches at most four words.
struct LowestFirst {
    levels: [Vec<u64>; 4],
}

impl LowestFirst {
    const fn new() -> Self {
        LowestFirst {
            levels: [Vec::new(), Vec::new(), Vec::new(), Vec::new()],
        }
    }

    fn insert(&mut self, index: u32) {
        debug_assert!((index as usize) < MAX_PAGES * PAGE_SIZE);
        for (k, level) in self.levels.iter_mut().enumerate() {
            let bit = (index as usize) >> (6 * k);
            let word = bit >> 6;
            if word >= level.len() {
                level.resize(word + 1, 0);
            }
            let was = level[word];
            level[word] = was | 1 << (bit & 63);
            if was != 0 {
                // The levels above already record this word.
                break;
            }
        }
    }

    fn take_lowest(&mut self) -> Option<u32> {
        let top = *self.levels[3].first()?;
        if top == 0 {
            return None;
        }
        let mut bit = top.trailing_zeros() as usize;
        for k in (0..3).rev() {
            bit = bit << 6 | self.levels[k][bit].trailing_zeros() as usize;
        }
        for (k, level) in self.levels.iter_mut().enumerate() {
            let b = bit >> (6 * k);
            let word = &mut level[b >> 6];
            *word &= !(1 << (b & 63));
            if *word != 0 {
                break;
            }
        }
        Some(bit as u32)
    }
}

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

/// The slot of an index that the table once issued (its page exists and
/// pages are never freed), without the range checks of [`slot`].
///
/// # Safety
/// `index` is the index of a handle that `insert_aux` returned.
#[inline(always)]
unsafe fn slot_issued(index: u32) -> &'static Slot {
    // SAFETY: an issued index is below MAX_PAGES * PAGE_SIZE and its page
    // was published (Release) before the handle was returned.
    unsafe {
        let page = PAGES
            .get_unchecked((index >> PAGE_BITS) as usize)
            .load(Ordering::Acquire);
        debug_assert!(!page.is_null());
        &*page.add(index as usize & (PAGE_SIZE - 1))
    }
}

fn gen_of(word: u64) -> u64 {
    (word >> GEN_SHIFT) & GEN_MASK
}
fn kind_of(word: u64) -> i32 {
    ((word >> KIND_SHIFT) & 0xff) as i32
}

/// Adds an object to the table and returns its new handle.
pub fn insert<T: Kind>(value: T) -> Result<u64> {
    insert_aux(value, [0; AUX])
}

/// Adds an object with its aux words (see [`peek_aux`]). `aux[0]` must be
/// 0, a handle, or (stores only) an owner word: `try_enter` relies on that.
pub fn insert_aux<T: Kind>(value: T, aux: [u64; AUX]) -> Result<u64> {
    insert_aux_with(|_| (value, aux))
}

/// [`insert_aux`] for an object that needs its own handle: `make` gets the
/// handle before anyone else can use it.
pub fn insert_aux_with<T: Kind>(make: impl FnOnce(u64) -> (T, [u64; AUX])) -> Result<u64> {
    let index = {
        let mut a = ALLOC.lock();
        a.live += 1;
        if let Some(i) = a.ready.take_lowest() {
            i
        } else if a.next as usize >= MAX_PAGES * PAGE_SIZE {
            // Full: reuse early rather than fail while indices are free.
            match a.quarantine.pop_front() {
                Some(i) => i,
                None => {
                    a.live -= 1;
                    return Err(Error::new(WT_ERR_LIMIT, "handle table is full"));
                }
            }
        } else {
            let i = a.next;
            let page = (i >> PAGE_BITS) as usize;
            if PAGES[page].load(Ordering::Relaxed).is_null() {
                let first = (page * PAGE_SIZE) as u32;
                let slots: Box<[Slot]> = (0..PAGE_SIZE as u32)
                    .map(|k| Slot {
                        word: AtomicU64::new(1 << GEN_SHIFT),
                        aux: Default::default(),
                        obj: UnsafeCell::new(None),
                        index: first + k,
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
    let h = ((T::KIND as u64) << KIND_SHIFT) | (gen << GEN_SHIFT) | index as u64;
    let (value, aux) = make(h);
    debug_assert!(aux[0] == 0 || aux[0] >> KIND_SHIFT != 0 || T::KIND == WT_KIND_STORE);
    // SAFETY: the slot is free (kind 0): no guard can exist and no one else
    // allocated this index.
    let obj = value.wrap();
    debug_assert_eq!(obj.kind(), T::KIND);
    unsafe { *s.obj.get() = Some(obj) };
    // Release: a `peek_aux` that reads these values also sees that the slot's
    // previous life ended (the seqlock's "writer started" edge).
    for (a, v) in s.aux.iter().zip(aux) {
        a.store(v, Ordering::Release);
    }
    // The word's upper half is the handle's (kind, generation); no readers.
    s.word.store((h >> 32) << 32, Ordering::Release);
    Ok(h)
}

/// A counted reference to a live object; the object is not destroyed while it exists.
pub struct Guard {
    slot: &'static Slot,
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
        let prev = self.slot.word.fetch_sub(1, Ordering::SeqCst);
        if prev & (READERS | PENDING) == 1 | PENDING {
            release_last(self.slot);
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
fn locate(h: u64) -> Result<&'static Slot> {
    if h == 0 {
        return Err(Error::bad_handle(h, "0 (the null handle)"));
    }
    slot(h as u32).ok_or_else(|| Error::bad_handle(h, "not a handle libwt issued"))
}

/// Whether slot word `w` names handle `h` (generation and kind) and is not
/// being freed, in one test: `PENDING` is bit 31 of the word, and bit 31 of
/// a handle (the top bit of its index) is 0 for every handle whose slot
/// exists, so the XOR's bits 31-63 are all 0 exactly when both hold.
#[inline(always)]
fn names(w: u64, h: u64) -> bool {
    const _: () = assert!(PENDING == 1 << 31 && (MAX_PAGES * PAGE_SIZE) as u64 <= 1 << 31);
    (w ^ h) >> 31 == 0
}

/// [`names`] for a handle of a kind (0 is a free slot's): the fast paths'
/// form of [`check_live`].
#[inline(always)]
fn is_live(w: u64, h: u64) -> bool {
    names(w, h) && h >> KIND_SHIFT != 0
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
#[inline]
pub fn get_any(h: u64) -> Result<Guard> {
    // The common case in a few instructions: a live handle, one CAS.
    if let Some(s) = slot(h as u32) {
        let w = s.word.load(Ordering::Acquire);
        if is_live(w, h)
            && w & READERS != READERS
            && s.word
                .compare_exchange_weak(w, w + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        {
            return Ok(Guard { slot: s });
        }
    }
    get_any_slow(h)
}

/// [`get_any`] with retries and precise errors.
#[cold]
#[inline(never)]
fn get_any_slow(h: u64) -> Result<Guard> {
    let s = locate(h)?;
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
            Ok(_) => return Ok(Guard { slot: s }),
            Err(cur) => w = cur,
        }
    }
}

/// Looks up a handle that must be of kind `T`.
#[inline]
pub fn get<T: Kind>(h: u64) -> Result<Ref<T>> {
    let guard = get_any(h)?;
    check_kind(h, guard.kind(), T::KIND)?;
    Ok(Ref {
        guard,
        _t: PhantomData,
    })
}

#[inline(always)]
pub fn check_kind(h: u64, actual: i32, expected: i32) -> Result<()> {
    if actual == expected {
        Ok(())
    } else {
        Err(wrong_kind(h, actual, expected))
    }
}

#[cold]
#[inline(never)]
fn wrong_kind(h: u64, actual: i32, expected: i32) -> Error {
    Error::new(
        WT_ERR_WRONG_KIND,
        format!(
            "handle {h:#x} is {}, expected {}",
            with_article(kind_name(actual)),
            with_article(kind_name(expected))
        ),
    )
}

/// Reads the aux words of a live handle of kind `kind` without writing
/// anything (seqlock style). `None` when the handle is not a live handle of
/// that kind right now; the caller then takes the guarded path, which
/// produces the precise error. The values may describe an object that is
/// being freed concurrently: they are only used for things that stay valid
/// while the owning store is held (see `func.rs`).
#[inline(always)]
pub fn peek_aux(h: u64, kind: i32) -> Option<[u64; AUX]> {
    let s = slot(h as u32)?;
    let w1 = s.word.load(Ordering::Acquire);
    let aux = [
        s.aux[0].load(Ordering::Relaxed),
        s.aux[1].load(Ordering::Relaxed),
        s.aux[2].load(Ordering::Relaxed),
        s.aux[3].load(Ordering::Relaxed),
    ];
    // Pairs with the Release stores of the aux words in `insert_aux`: if
    // any value came from a later life of the slot, the word has changed.
    std::sync::atomic::fence(Ordering::Acquire);
    let w2 = s.word.load(Ordering::Relaxed);
    // One branch: both words name `h` (generation and kind), neither is
    // being freed (see `names`), and `h` is of the kind asked for.
    if (((w1 ^ h) | (w2 ^ h)) >> 31 | ((h >> KIND_SHIFT) ^ kind as u64)) != 0 {
        return None;
    }
    Some(aux)
}

/// Top-level exclusive use of a store by this thread (see `owner.rs`):
/// the store's handle is on the thread's `inside` stack until drop.
pub struct Excl {
    slot: &'static Slot,
    rec: &'static ThreadRec,
}

impl Excl {
    /// The record of the thread that is inside.
    #[inline(always)]
    pub fn rec(&self) -> &'static ThreadRec {
        self.rec
    }

    /// Aux word `i` of the store's slot (fixed while anyone is inside,
    /// except `aux[0]`, the owner).
    #[inline(always)]
    pub fn aux(&self, i: usize) -> u64 {
        self.slot.aux[i].load(Ordering::Relaxed)
    }

    pub fn obj(&self) -> &Object {
        // SAFETY: while this thread is inside the store, it is not destroyed.
        unsafe {
            (*self.slot.obj.get())
                .as_ref()
                .expect("entered slot holds an object")
        }
    }
}

impl Excl {
    /// Leaves the store (what dropping does; inlined on the call path,
    /// while the drop glue serves unwinding).
    #[inline(always)]
    pub fn leave(self) {
        std::mem::ManuallyDrop::new(self).leave_inner();
    }

    #[inline(always)]
    fn leave_inner(&self) {
        // SAFETY: an Excl exists only after its `push` succeeded, and
        // entries are popped in LIFO order: ours is the top one.
        unsafe { self.rec.pop_top() };
        self.rec.light();
        // Freed while we were inside: the freer left the destruction to us.
        if self.slot.word.load(Ordering::SeqCst) & PENDING != 0 {
            release_last(self.slot);
        }
    }
}

impl Drop for Excl {
    fn drop(&mut self) {
        self.leave_inner();
    }
}

/// The outcome of [`enter`].
pub enum Entry {
    /// This thread now has exclusive use.
    Excl(Excl),
    /// This thread already is inside the store further up its stack (a host
    /// callback re-entering): it stays alive until that use ends.
    Mine(&'static Object),
    /// Another thread is inside the store.
    Busy,
}

/// Takes exclusive use of a live store handle for this thread (`rec`),
/// taking the store's bias over from an idle owner if needed. Errors are
/// those of a lookup (bad handle, wrong kind) and `WT_ERR_LIMIT` when the
/// thread is already inside [`owner::DEPTH`] stores.
pub fn enter(h: u64, kind: i32, rec: &'static ThreadRec) -> Result<Entry> {
    let s = locate(h)?;
    let w = s.word.load(Ordering::Acquire);
    check_live(h, w)?;
    check_kind(h, kind_of(w), kind)?;
    if rec.contains(h, true) {
        // SAFETY: this thread is inside the store up its stack.
        return match unsafe { (*s.obj.get()).as_ref() } {
            Some(obj) => Ok(Entry::Mine(obj)),
            None => Err(Error::internal("entered slot without an object")),
        };
    }
    // A few rounds: another thread may be stealing or entering at the same
    // moment; a store contended like that is busy by definition. A steal in
    // progress (a thief checking whether the owner is inside) ends within
    // microseconds, so that is waited for rather than reported as busy.
    let mut rounds = 0;
    let mut waits = 0;
    let me = owner::me();
    while rounds < 8 {
        // SAFETY: `locate` found the page of `h`'s index (all `try_enter` needs).
        if let Some(ex) = unsafe { try_enter(h, me) } {
            return Ok(Entry::Excl(ex));
        }
        check_live(h, s.word.load(Ordering::Acquire))?;
        let o = s.aux[0].load(Ordering::SeqCst);
        if !is_owner_word(o) {
            // Not an owner: the store was destroyed after the check above
            // (its slot zeroed, or reused for a handle of another kind).
            check_live(h, s.word.load(Ordering::SeqCst))?;
            rounds += 1;
            continue;
        }
        if o == rec.as_owner() {
            if rec.is_full() {
                return Err(Error::new(
                    WT_ERR_LIMIT,
                    format!(
                        "this thread is already inside {} stores (host callbacks calling into other stores)",
                        owner::DEPTH
                    ),
                ));
            }
            rounds += 1;
            continue;
        }
        if o & owner::STEALING != 0 {
            waits += 1;
            if waits > 10_000 {
                return Ok(Entry::Busy);
            }
            std::thread::yield_now();
            continue;
        }
        rounds += 1;
        let stealing = rec.as_owner() | owner::STEALING;
        if s.aux[0]
            .compare_exchange(o, stealing, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            continue;
        }
        owner::heavy();
        // The handle may have been freed (and its slot even reused) while
        // this thread was marking it: then give the word back untouched.
        let live = check_live(h, s.word.load(Ordering::SeqCst));
        // SAFETY: `o` is an owner word (checked above): 0 or a record.
        let in_use = live.is_ok()
            && unsafe { ThreadRec::from_owner(o) }.is_some_and(|r| r.contains(h, false));
        let next = if live.is_err() || in_use {
            o
        } else {
            rec.as_owner()
        };
        // A CAS, not a store: if the slot was destroyed meanwhile (its aux
        // words zeroed), this thread no longer owns anything there.
        let _ = s.aux[0].compare_exchange(stealing, next, Ordering::SeqCst, Ordering::SeqCst);
        // Order this thread's later reads of the slot word (in `try_enter`)
        // after the owner word it just wrote, against a freer that sets
        // `pending` and then reads the owner word (store-buffering pattern).
        std::sync::atomic::fence(Ordering::SeqCst);
        live?;
        if in_use {
            return Ok(Entry::Busy);
        }
    }
    Ok(Entry::Busy)
}

/// Whether an `aux[0]` value is a store's owner word (a record pointer,
/// perhaps marked [`owner::STEALING`]) rather than 0 (a destroyed slot) or a
/// handle (kind in the top byte: the slot now holds another kind of object).
#[inline(always)]
fn is_owner_word(o: u64) -> bool {
    o & !owner::STEALING != 0 && o & 0xff00_0000_0000_0000 == 0
}

/// Whether a slot word is still of handle `h`'s object (kind and
/// generation), in any state (live, pending, claimed).
#[inline(always)]
fn same_object(word: u64, h: u64) -> bool {
    (word ^ h) >> GEN_SHIFT == 0
}

/// The record of the thread that owns store `h`'s bias, or `None` while a
/// thief is taking the bias. May be read from a slot in any state: every
/// slot's `aux[0]` holds 0, a handle (kind in the top byte, never a valid
/// pointer) or, for a store, its owner (a record pointer, canonical, with
/// perhaps [`owner::STEALING`]); only the last is dereferenced. The caller
/// re-checks the slot word (and the owner) before relying on the answer.
#[inline(always)]
fn owner_rec(s: &'static Slot) -> Option<&'static ThreadRec> {
    let o = s.aux[0].load(Ordering::Relaxed);
    if o & (0xff00_0000_0000_0000 | owner::STEALING) != 0 {
        return None;
    }
    // SAFETY: `o` is 0 or a record pointer (above); records are never freed.
    unsafe { ThreadRec::from_owner(o) }
}

/// Fast exclusive entry for the owner thread (`me` = [`owner::me`]): `Some`
/// only when this thread owns the live, idle store `h` (whose kind the
/// caller has checked); `None` means "take [`enter`]" (which reports why).
///
/// # Safety
/// `h` is a store handle that the table issued (live or not): e.g. one
/// read from a func handle's aux words, or one `locate` accepted.
#[inline(always)]
pub unsafe fn try_enter(h: u64, me: u64) -> Option<Excl> {
    let index = h as u32;
    // SAFETY: caller contract.
    let s = unsafe { slot_issued(index) };
    let rec = owner_rec(s)?;
    if !rec.is_mine(me) || (!rec.is_empty() && rec.contains(h, true)) {
        return None;
    }
    rec.push(h)?;
    let ex = Excl { slot: s, rec };
    rec.light();
    // After the fence: the store is still `h`, not being freed, and still
    // ours; then nobody destroys it or takes it over until we leave.
    let w = s.word.load(Ordering::Acquire);
    if !names(w, h) || s.aux[0].load(Ordering::Relaxed) != rec.as_owner() {
        // Leaving handles a free that raced with this entry.
        drop(ex);
        return None;
    }
    Some(ex)
}

/// [`try_enter`] for any integer `h` (a store handle passed by the user):
/// `None` also when no slot exists for it.
#[inline(always)]
pub fn try_enter_store(h: u64, me: u64) -> Option<Excl> {
    if (h >> KIND_SHIFT) as i32 != WT_KIND_STORE {
        return None;
    }
    slot(h as u32)?;
    // SAFETY: the slot of `h`'s index exists (all `try_enter` needs).
    unsafe { try_enter(h, me) }
}

/// The object of a store handle that this thread (`me` = [`owner::me`]) is
/// inside further up its stack; `None` otherwise. (A thread inside a store
/// owns its bias: nobody takes it over meanwhile.)
#[inline(always)]
pub fn held_by(h: u64, kind: i32, me: u64) -> Option<&'static Object> {
    let s = slot(h as u32)?;
    if (h >> KIND_SHIFT) as i32 != kind {
        return None;
    }
    let w = s.word.load(Ordering::Acquire);
    if !names(w, h) {
        return None;
    }
    // A thread inside a store owns it: no one takes the bias meanwhile.
    let rec = owner_rec(s)?;
    if !rec.is_mine(me) || !rec.contains(h, true) {
        return None;
    }
    // SAFETY: this thread is inside the store up its stack, so it is not
    // destroyed before that use ends.
    unsafe { (*s.obj.get()).as_ref() }
}

/// Called when a pending object may have lost its last user: destroys it if
/// no reader is left and (for a store) no thread is inside it.
#[cold]
#[inline(never)]
fn release_last(s: &'static Slot) {
    let index = s.index;
    let w = s.word.load(Ordering::SeqCst);
    if w & PENDING == 0 || w & (READERS | CLAIMED) != 0 {
        return;
    }
    if kind_of(w) == WT_KIND_STORE && !store_idle(s, (w >> 32) << 32 | index as u64) {
        return;
    }
    // One strong CAS on the very word checked above. While pending with no
    // readers, a word changes only by being claimed (then destroyed, and the
    // slot perhaps reused), so a failure means that another thread destroys
    // this object or already did; retrying with the new word could claim a
    // later object of the slot that was never checked (a store someone is
    // inside).
    if s.word
        .compare_exchange(w, w | CLAIMED, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        destroy(s, index);
    }
}

/// Whether no thread is inside the pending store `h` (see `owner.rs`). If
/// one is, it destroys the store when it leaves.
fn store_idle(s: &'static Slot, h: u64) -> bool {
    loop {
        let o = s.aux[0].load(Ordering::SeqCst);
        if !is_owner_word(o) || !same_object(s.word.load(Ordering::SeqCst), h) {
            // The store is gone (destroyed by another thread, its slot
            // perhaps reused): whoever destroyed it has dealt with it.
            return false;
        }
        if o & owner::STEALING != 0 {
            // A thief finishes in microseconds (it will see `pending`).
            std::thread::yield_now();
            continue;
        }
        let me = owner::my_rec();
        if o == me.as_owner() {
            return !me.contains(h, true);
        }
        owner::heavy();
        // SAFETY: `o` came from the owner word.
        return unsafe { ThreadRec::from_owner(o) }.is_none_or(|r| !r.contains(h, false));
    }
}

/// Frees a handle: it is invalid at once; the object is destroyed when its
/// last in-flight user is done.
#[inline]
pub fn free(h: u64) -> Result<()> {
    // The common case: a live handle, one CAS (see `free_slow`).
    if let Some(s) = slot(h as u32) {
        let w = s.word.load(Ordering::Acquire);
        if is_live(w, h)
            && s.word
                .compare_exchange_weak(w, w | PENDING, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
        {
            if w & READERS == 0 {
                release_last(s);
            }
            return Ok(());
        }
    }
    free_slow(h)
}

/// [`free`] with retries and precise errors.
#[cold]
#[inline(never)]
fn free_slow(h: u64) -> Result<()> {
    let s = locate(h)?;
    let mut w = s.word.load(Ordering::Acquire);
    loop {
        check_live(h, w)?;
        match s
            .word
            .compare_exchange_weak(w, w | PENDING, Ordering::SeqCst, Ordering::Acquire)
        {
            Ok(_) => {
                if w & READERS == 0 {
                    release_last(s);
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
    for a in &s.aux {
        // Release: a `peek_aux` that reads a zero also sees the word change.
        a.store(0, Ordering::Release);
    }
    let mut gen = (gen_of(s.word.load(Ordering::Relaxed)) + 1) & GEN_MASK;
    if gen == 0 {
        gen = 1;
    }
    s.word.store(gen << GEN_SHIFT, Ordering::Release);
    {
        let mut a = ALLOC.lock();
        a.live -= 1;
        a.quarantine.push_back(index);
        if a.quarantine.len() > REUSE_AFTER {
            let oldest = a.quarantine.pop_front().expect("quarantine is not empty");
            a.ready.insert(oldest);
        }
    }
    // Dropping may free further handles (a store frees its children).
    drop(obj);
}

/// The number of live handles in the process (all kinds, all threads).
pub fn live() -> usize {
    ALLOC.lock().live
}
