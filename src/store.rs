//! Stores (`WT_KIND_STORE`), the caller handle of host callbacks
//! (`WT_KIND_CALLER`), per-store limits, fuel, timeouts and interruption.
//!
//! Exclusive use: a store is used by one thread at a time (`handle::enter`,
//! biased ownership in `owner.rs`); a second thread gets `WT_ERR_BUSY`
//! instead of a data race. While a host callback runs, the
//! owning thread re-enters the store through the `wasmtime::Caller` that the
//! callback received (published in `current_caller`), never through the
//! `Store` itself, so there is never more than one live `&mut` to the store.

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use wasmtime::{
    AsContext, AsContextMut, Caller, Engine, EngineWeak, Store, StoreContext, StoreContextMut,
    StoreLimits, StoreLimitsBuilder, UpdateDeadline,
};

use crate::engine::EngineObj;
use crate::error::{
    Error, Result, WT_ERR_BAD_HANDLE, WT_ERR_BUSY, WT_ERR_INVALID_ARGUMENT, WT_ERR_UNSUPPORTED,
    WT_ERR_WRONG_KIND,
};
use crate::ffi::{guard, out};
use crate::handle::{self, Entry, Object};

/// The data every `wasmtime::Store` of libwt carries.
///
/// `repr(C)`: the fields every host callback touches come first, next to
/// each other (one or two cache lines, whatever the other fields are).
#[repr(C)]
pub struct Host {
    /// This store's caller handle, passed to every host callback (made on
    /// the first callback; 0 before).
    pub caller_handle: u64,
    /// Points at `StoreObj::current_caller` (the StoreObj is boxed, so stable).
    pub caller_cell: CallerCell,
    /// Message for the running host callback's failure (`wt_caller_set_error`).
    pub callback_msg: Option<String>,
    /// This store's own handle (funcs record it to validate `wt_call`
    /// cheaply; store-bound objects record it as their store's identity).
    pub store_handle: u64,
    /// Points at `StoreObj::interrupt`.
    pub interrupt: InterruptFlag,
    /// Handles of store-bound objects; freed with the store. (The first
    /// few inline: most stores hold an instance or two and nothing else.)
    pub children: smallvec::SmallVec<[u64; 4]>,
    /// Boxed: most stores have no WASI, and a small `Host` is cheap to create.
    pub wasi: Option<Box<wasmtime_wasi::p1::WasiP1Ctx>>,
    /// WASI's own `poll_oneoff` in this store, reached through a small
    /// instance that re-exports the calling guest's memory: one per guest
    /// memory (see `wasi.rs`), made on first use.
    pub wasi_poll: Vec<(wasmtime::Memory, wasmtime::Func)>,
    pub wasi_stdout: Option<wasmtime_wasi::p2::pipe::MemoryOutputPipe>,
    pub wasi_stderr: Option<wasmtime_wasi::p2::pipe::MemoryOutputPipe>,
    pub limits: StoreLimits,
    pub memory_limit: Option<usize>,
    pub table_limit: Option<usize>,
    pub timeout: Option<Duration>,
    pub deadline: Option<Instant>,
    pub trap_on_grow_failure: bool,
    pub timed_out: bool,
}

/// A raw pointer to the store's caller cell, only dereferenced by the thread
/// that owns the store.
pub struct CallerCell(*const Cell<*mut c_void>);
// SAFETY: see the type's doc: only the owning thread dereferences it.
unsafe impl Send for CallerCell {}
unsafe impl Sync for CallerCell {}

/// A raw pointer to the store's interrupt flag (in the boxed StoreObj that
/// owns this Host, so valid whenever the Host is), so that the epoch
/// callback captures nothing and costs no allocation per store.
pub struct InterruptFlag(*const AtomicBool);
// SAFETY: the flag is atomic and outlives the Host (see the type's doc).
unsafe impl Send for InterruptFlag {}
unsafe impl Sync for InterruptFlag {}

impl InterruptFlag {
    /// Reads and clears the flag.
    fn take(&self) -> bool {
        // SAFETY: see the type's doc.
        unsafe { (*self.0).swap(false, Ordering::Relaxed) }
    }
}

impl CallerCell {
    /// Publishes `caller` as the current caller and returns the previous one.
    pub fn replace(&self, caller: *mut c_void) -> *mut c_void {
        // SAFETY: the cell lives in the boxed StoreObj that owns this Host.
        unsafe { (*self.0).replace(caller) }
    }
    pub fn set(&self, caller: *mut c_void) {
        // SAFETY: as above.
        unsafe { (*self.0).set(caller) }
    }
}

impl Host {
    /// This store's caller handle, made on first use.
    #[inline(always)]
    pub fn caller_handle(&mut self) -> Result<u64> {
        if self.caller_handle == 0 {
            self.caller_handle = self.new_caller_handle()?;
        }
        Ok(self.caller_handle)
    }

    #[cold]
    #[inline(never)]
    fn new_caller_handle(&self) -> Result<u64> {
        handle::insert_aux(
            CallerObj {
                store: self.store_handle,
            },
            [self.store_handle, 0, 0, 0],
        )
    }

    /// Registers a store-bound handle so that it is freed with the store.
    pub fn adopt(&mut self, h: u64) {
        if self.children.len() >= 64 && self.children.len() == self.children.capacity() {
            // Drop entries the user already freed before growing.
            self.children.retain(|c| handle::get_any(*c).is_ok());
        }
        self.children.push(h);
    }

    /// Whether the running call must stop now: `wt_store_interrupt` was
    /// called (then it is not a timeout, even if one fired before), or the
    /// store's timeout has elapsed (then `timed_out` is set). Asked by the
    /// epoch callback while wasm runs, and by host code that waits (WASI
    /// sleeps).
    pub fn should_stop(&mut self) -> bool {
        if self.interrupt.take() {
            self.timed_out = false;
            return true;
        }
        if let Some(d) = self.deadline {
            if Instant::now() >= d {
                self.timed_out = true;
                return true;
            }
        }
        false
    }

    pub fn rebuild_limits(&mut self) {
        let mut b = StoreLimitsBuilder::new().trap_on_grow_failure(self.trap_on_grow_failure);
        if let Some(m) = self.memory_limit {
            b = b.memory_size(m);
        }
        if let Some(t) = self.table_limit {
            b = b.table_elements(t);
        }
        self.limits = b.build();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        for h in self.children.drain(..) {
            let _ = handle::free(h);
        }
        if self.caller_handle != 0 {
            let _ = handle::free(self.caller_handle);
        }
    }
}

pub struct StoreObj {
    /// The store's identity for store-bound objects (`StoreItem::store_uid`,
    /// `FuncObj::store_uid`): its handle, which no other store has while
    /// this one lives, and store-bound objects die with their store.
    pub uid: u64,
    pub engine: EngineObj,
    current_caller: Cell<*mut c_void>,
    interrupt: AtomicBool,
    /// `check_native_stack`'s verdict cached for one thread: (thread
    /// record id, lowest allowed stack pointer). Owner thread only.
    stack_ok: Cell<(u64, usize)>,
    /// Whether `Host::timeout` is set: read on every top-level call, so
    /// kept here rather than behind the Store's own allocation.
    has_timeout: Cell<bool>,
    store: UnsafeCell<Store<Host>>,
}

// SAFETY: `store`, `current_caller`, `stack_ok` and `has_timeout` are only accessed by the
// thread that holds the store's slot busy (see `with_store`); everything else
// is immutable or atomic.
unsafe impl Send for StoreObj {}
unsafe impl Sync for StoreObj {}

/// The object behind a caller handle: the store it belongs to.
pub struct CallerObj {
    pub store: u64,
}

/// Something that lives in one store (instance, memory, global, table).
pub struct StoreItem<T> {
    pub store_uid: u64,
    pub item: T,
}

impl<T: Copy> StoreItem<T> {
    /// Returns the item if it belongs to the store in use.
    pub fn check(&self, so: &StoreObj, what: &str) -> Result<T> {
        check_same_store(self.store_uid, so, what)?;
        Ok(self.item)
    }
}

pub fn check_same_store(uid: u64, so: &StoreObj, what: &str) -> Result<()> {
    if uid == so.uid {
        Ok(())
    } else {
        Err(Error::new(
            WT_ERR_INVALID_ARGUMENT,
            format!("the {what} belongs to another store"),
        ))
    }
}

/// The store as seen by one call: the store itself at top level, or the
/// current host callback's `Caller` when re-entered from a callback.
pub enum Cx<'a> {
    Store(&'a mut Store<Host>),
    Caller(&'a mut Caller<'static, Host>),
}

impl AsContext for Cx<'_> {
    type Data = Host;
    fn as_context(&self) -> StoreContext<'_, Host> {
        match self {
            Cx::Store(s) => s.as_context(),
            Cx::Caller(c) => c.as_context(),
        }
    }
}

impl AsContextMut for Cx<'_> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Host> {
        match self {
            Cx::Store(s) => s.as_context_mut(),
            Cx::Caller(c) => c.as_context_mut(),
        }
    }
}

impl Cx<'_> {
    pub fn data(&self) -> &Host {
        match self {
            Cx::Store(s) => s.data(),
            Cx::Caller(c) => c.data(),
        }
    }
    pub fn data_mut(&mut self) -> &mut Host {
        match self {
            Cx::Store(s) => s.data_mut(),
            Cx::Caller(c) => c.data_mut(),
        }
    }
    /// The calling instance's export, when inside a host callback.
    pub fn caller_export(&mut self, name: &str) -> Option<wasmtime::Extern> {
        match self {
            Cx::Store(_) => None,
            Cx::Caller(c) => c.get_export(name),
        }
    }
    pub fn is_caller(&self) -> bool {
        matches!(self, Cx::Caller(_))
    }
}

// ---- native stack budget ------------------------------------------------------
//
// Wasmtime lets wasm use `max_wasm_stack` bytes below the native stack pointer
// it sees when a store is entered from the host, and checks that limit only
// against wasm frames. It does not know how much stack the thread really has:
// entering a store on a thread with less stack left than that (a small thread
// stack, a big `max_wasm_stack`, or host -> guest -> host nesting through
// *different* stores, each of which starts its own fresh budget) lets deep
// wasm recursion run into the thread's guard page, and the process dies of
// SIGSEGV/SIGABRT instead of getting a trap. So before wasm starts at the top
// level of a store we compare the stack left on this thread with the engine's
// budget plus a reserve for the host frames of callbacks, and refuse with a
// stack-overflow trap status when it does not fit. Re-entry through a caller
// handle needs no check: Wasmtime keeps the limit of the first entry.

/// Native stack kept free below the wasm budget for host callback frames.
const HOST_STACK_RESERVE: usize = 128 << 10;

/// The (lowest, highest) address of the current thread's stack (cached per thread).
fn stack_bounds() -> Option<(usize, usize)> {
    thread_local!(static BOUNDS: Cell<Option<(usize, usize)>> = const { Cell::new(None) });
    BOUNDS.with(|c| {
        if c.get().is_none() {
            c.set(sys_stack_bounds());
        }
        c.get()
    })
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn sys_stack_bounds() -> Option<(usize, usize)> {
    // pthread_attr_t is 56 (x86_64) or 64 (aarch64) bytes on glibc and musl;
    // give it more room than any of them needs.
    #[repr(C, align(16))]
    struct Attr([u8; 256]);
    extern "C" {
        fn pthread_self() -> std::ffi::c_ulong;
        fn pthread_getattr_np(thread: std::ffi::c_ulong, attr: *mut Attr) -> std::ffi::c_int;
        fn pthread_attr_getstack(
            attr: *const Attr,
            addr: *mut *mut c_void,
            size: *mut usize,
        ) -> std::ffi::c_int;
        fn pthread_attr_destroy(attr: *mut Attr) -> std::ffi::c_int;
    }
    let mut attr = Attr([0; 256]);
    let (mut addr, mut size) = (std::ptr::null_mut(), 0usize);
    // SAFETY: plain libc calls on a zeroed attr object that is destroyed after use.
    unsafe {
        if pthread_getattr_np(pthread_self(), &mut attr) != 0 {
            return None;
        }
        let ok = pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        pthread_attr_destroy(&mut attr);
        (ok && !addr.is_null()).then(|| (addr as usize, (addr as usize).saturating_add(size)))
    }
}

#[cfg(target_os = "macos")]
fn sys_stack_bounds() -> Option<(usize, usize)> {
    extern "C" {
        fn pthread_self() -> *mut c_void;
        fn pthread_get_stackaddr_np(thread: *mut c_void) -> *mut c_void;
        fn pthread_get_stacksize_np(thread: *mut c_void) -> usize;
    }
    // SAFETY: plain libc calls; the returned address is the top of the stack.
    unsafe {
        let t = pthread_self();
        let top = pthread_get_stackaddr_np(t) as usize;
        Some((top.checked_sub(pthread_get_stacksize_np(t))?, top))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "macos")))]
fn sys_stack_bounds() -> Option<(usize, usize)> {
    None
}

/// Refuses to start wasm at the top level of a store when this thread's
/// stack cannot hold the engine's wasm stack budget plus the host reserve
/// (see above): a `WT_ERR_TRAP` with `WT_TRAP_STACK_OVERFLOW` instead of a
/// crash. Linux and macOS; elsewhere (and on fiber stacks) no check is made.
pub fn check_native_stack(so: &StoreObj, cx: &Cx) -> Result<()> {
    if cx.is_caller() {
        return Ok(());
    }
    let me = crate::owner::my_rec().id.get();
    if so.stack_checked(me) {
        return Ok(());
    }
    check_native_stack_slow(so, me, cx.as_context().engine())
}

impl StoreObj {
    /// The StoreObj of the store that `ex` is inside: aux word 1 of a store's
    /// slot (see `new_store`).
    #[inline(always)]
    pub fn of(ex: &handle::Excl) -> &StoreObj {
        // SAFETY: a store slot's aux[1] is its boxed StoreObj, which lives
        // at least as long as anyone is inside the store.
        unsafe { &*(ex.aux(1) as *const StoreObj) }
    }

    /// Whether this store already checked this thread's stack at a depth at
    /// least as shallow as the current one (the common case: no TLS, no syscall).
    #[inline]
    pub fn stack_checked(&self, me: u64) -> bool {
        let marker = 0u8;
        let sp = std::ptr::addr_of!(marker) as usize;
        let (thread, floor) = self.stack_ok.get();
        // (Above the thread's stack is a fiber's: the slow path lets it pass.)
        thread == me && sp >= floor
    }

    /// The `wasmtime::Store`. Only for the thread that holds the store busy,
    /// with no `Caller` of it live.
    ///
    /// # Safety
    /// The caller holds the store's slot busy (`handle::Excl`) and no other
    /// reference into the store exists.
    #[allow(clippy::mut_from_ref)]
    #[inline]
    pub unsafe fn store_mut(&self) -> &mut Store<Host> {
        unsafe { &mut *self.store.get() }
    }

    /// The `Caller` of the host callback running on this thread, if any.
    ///
    /// # Safety
    /// The calling thread holds the store busy further up its stack.
    #[allow(clippy::mut_from_ref)]
    #[inline]
    pub unsafe fn current_caller(&self) -> Option<&mut Caller<'static, Host>> {
        let p = self.current_caller.get();
        // SAFETY: a non-null pointer is the Caller of the host callback
        // running on this thread right now (published by the trampoline).
        (!p.is_null()).then(|| unsafe { &mut *(p as *mut Caller<'static, Host>) })
    }

    /// Starts a top-level use of the store: arms the timeout, if any.
    #[inline(always)]
    pub fn arm_timeout(&self, store: &mut Store<Host>) {
        if self.has_timeout.get() {
            let host = store.data_mut();
            if let Some(t) = host.timeout {
                host.deadline = Some(Instant::now() + t);
                host.timed_out = false;
            }
        }
    }
}

/// The full native stack check (see `check_native_stack`), run once per
/// store and thread (and again if the thread calls from higher up its stack).
#[cold]
#[inline(never)]
pub fn check_native_stack_slow(so: &StoreObj, me: u64, engine: &Engine) -> Result<()> {
    let marker = 0u8;
    let sp = std::ptr::addr_of!(marker) as usize;
    let Some((low, high)) = stack_bounds() else {
        return Ok(());
    };
    if sp <= low || sp > high {
        // Not on the thread's own stack (a fiber or coroutine stack): its
        // size is unknown here, so leave it to the embedder as before.
        return Ok(());
    }
    let left = sp - low;
    let budget = engine.get_max_wasm_stack();
    let need = budget.saturating_add(HOST_STACK_RESERVE);
    so.stack_ok.set((me, low.saturating_add(need)));
    if left >= need {
        return Ok(());
    }
    let mut e = Error::new(
        crate::error::WT_ERR_TRAP,
        format!(
            "stack overflow: this thread has {} KiB of native stack left, but the engine lets \
             wasm use up to {} KiB (wt_config_set_max_wasm_stack) and libwt keeps {} KiB for \
             host callbacks; call from a thread with a larger stack, lower the engine's wasm \
             stack limit, or nest fewer calls into different stores",
            left >> 10,
            budget >> 10,
            HOST_STACK_RESERVE >> 10
        ),
    );
    e.trap_code = crate::error::WT_TRAP_STACK_OVERFLOW;
    Err(e)
}

/// Resolves a store or caller handle and runs `f` with exclusive use of the store.
pub fn with_store<R>(h: u64, f: impl FnOnce(&StoreObj, &mut Cx) -> Result<R>) -> Result<R> {
    let me = crate::owner::me();
    if (h >> 56) as i32 == handle::WT_KIND_CALLER {
        return with_caller(h, me, f);
    }
    // The common case first: this thread owns the idle store (no lookup of
    // the thread's record, no guard); `enter` sorts out everything else.
    if let Some(ex) = handle::try_enter_store(h, me) {
        let so = StoreObj::of(&ex);
        // SAFETY: we hold the store busy and no Caller of it is live (that
        // would mean this thread is inside a callback, and then it is busy).
        let store = unsafe { so.store_mut() };
        so.arm_timeout(store);
        let r = f(so, &mut Cx::Store(store));
        ex.leave();
        return r;
    }
    match handle::enter(h, handle::WT_KIND_STORE, crate::owner::my_rec()) {
        Ok(Entry::Excl(ex)) => {
            let Object::Store(so) = ex.obj() else {
                return Err(Error::internal("store handle without a store"));
            };
            // SAFETY: we hold the store busy and no Caller of it is live
            // (a live Caller means this thread is inside a callback, and
            // then `enter` answers `Mine`).
            let store = unsafe { so.store_mut() };
            so.arm_timeout(store);
            let mut cx = Cx::Store(store);
            f(so, &mut cx)
        }
        Ok(Entry::Mine(obj)) => {
            let Object::Store(so) = obj else {
                return Err(Error::internal("store handle without a store"));
            };
            // SAFETY: this thread holds the store up the stack.
            match unsafe { so.current_caller() } {
                Some(caller) => f(so, &mut Cx::Caller(caller)),
                None => Err(Error::new(
                    WT_ERR_BUSY,
                    "store is already in use by a call on this thread",
                )),
            }
        }
        Ok(Entry::Busy) => Err(Error::new(
            WT_ERR_BUSY,
            "store is in use by another thread (a store is used by one thread at a time)",
        )),
        Err(e) if e.status == WT_ERR_WRONG_KIND => Err(Error::new(
            WT_ERR_WRONG_KIND,
            format!(
                "handle {h:#x} is {}, expected a store or caller",
                handle::with_article(handle::kind_name((h >> 56) as i32))
            ),
        )),
        Err(e) => Err(e),
    }
}

/// `with_store` for a caller handle: valid only inside its host callback, on
/// the thread running it.
fn with_caller<R>(h: u64, me: u64, f: impl FnOnce(&StoreObj, &mut Cx) -> Result<R>) -> Result<R> {
    let store = handle::get::<CallerObj>(h)?.store;
    match handle::held_by(store, handle::WT_KIND_STORE, me) {
        // SAFETY: this thread is inside the store up its stack.
        Some(Object::Store(so)) => match unsafe { so.current_caller() } {
            Some(caller) => f(so, &mut Cx::Caller(caller)),
            None => Err(outside_callback(h)),
        },
        Some(_) => Err(Error::internal("caller handle does not name a store")),
        None if handle::get_any(store).is_err() => Err(Error::new(
            WT_ERR_BAD_HANDLE,
            format!("caller handle {h:#x} outlived its store"),
        )),
        // Not inside a callback of this store on this thread.
        None => Err(outside_callback(h)),
    }
}

fn outside_callback(h: u64) -> Error {
    Error::new(
        WT_ERR_BAD_HANDLE,
        format!("caller handle {h:#x} used outside of its host callback"),
    )
}

/// Creates a store for an engine. `*out_store` receives a `WT_KIND_STORE`
/// handle owned by the caller. Freeing the store frees every instance, func,
/// memory, global and table handle that lives in it (they become stale).
/// A store is used by one thread at a time (others get `WT_ERR_BUSY`); it may
/// be freed from any thread, even while in use: it is then destroyed when
/// the running call returns.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_store` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_store_new(engine: u64, out_store: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_store, "out_store")? };
        let e = handle::get::<EngineObj>(engine)?.clone();
        *o = new_store(e)?;
        Ok(())
    })
}

fn new_store(e: EngineObj) -> Result<u64> {
    let host = Host {
        store_handle: 0,
        caller_handle: 0,
        caller_cell: CallerCell(std::ptr::null()),
        interrupt: InterruptFlag(std::ptr::null()),
        children: smallvec::SmallVec::new(),
        wasi: None,
        wasi_poll: Vec::new(),
        wasi_stdout: None,
        wasi_stderr: None,
        limits: StoreLimits::default(),
        memory_limit: None,
        table_limit: None,
        trap_on_grow_failure: false,
        timeout: None,
        deadline: None,
        timed_out: false,
        callback_msg: None,
    };
    let mut store = Store::new(&e.engine, host);
    store.limiter(|h| &mut h.limits);
    if e.epoch {
        // Captures nothing: the flag is reached through the Host.
        store.epoch_deadline_callback(|mut cx| {
            Ok(if cx.data_mut().should_stop() {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Continue(1)
            })
        });
        store.set_epoch_deadline(1);
    }
    let mut so = Box::new(StoreObj {
        uid: 0,
        engine: e,
        current_caller: Cell::new(std::ptr::null_mut()),
        interrupt: AtomicBool::new(false),
        stack_ok: Cell::new((0, 0)),
        has_timeout: Cell::new(false),
        store: UnsafeCell::new(store),
    });
    {
        // SAFETY: nobody else can see `so` yet.
        let host = unsafe { (*so.store.get()).data_mut() };
        host.caller_cell = CallerCell(&so.current_caller);
        host.interrupt = InterruptFlag(&so.interrupt);
    }
    // The creating thread owns the store's bias from the start; aux[1] is
    // the StoreObj itself, for `wt_call`'s fast path. The store learns its
    // own handle before anyone can use it. (The caller handle is made on the
    // first host callback: `caller_handle`.)
    let owner = crate::owner::my_rec().as_owner();
    let store_h = handle::insert_aux_with(|h| {
        so.uid = h;
        so.store.get_mut().data_mut().store_handle = h;
        // The Box keeps its address when moved into the table.
        let so_ptr = &*so as *const StoreObj;
        (so, [owner, so_ptr as u64, 0, 0])
    })?;
    Ok(store_h)
}

/// Sets the fuel of a store (requires `wt_config_set_consume_fuel`). Each
/// WebAssembly instruction consumes fuel; at 0 the guest traps with
/// `WT_ERR_OUT_OF_FUEL` and the store stays usable after refuelling.
/// Works with a store or caller handle.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`,
/// `WT_ERR_UNSUPPORTED` (fuel not enabled on the engine).
#[no_mangle]
pub extern "C" fn wt_store_set_fuel(store: u64, fuel: u64) -> i32 {
    guard(|| {
        with_store(store, |so, cx| {
            if !so.engine.fuel {
                return Err(Error::new(
                    WT_ERR_UNSUPPORTED,
                    "fuel is not enabled: use wt_config_set_consume_fuel",
                ));
            }
            cx.as_context_mut()
                .set_fuel(fuel)
                .map_err(|e| Error::internal(crate::error::describe(&e)))
        })
    })
}

/// Reads the remaining fuel of a store.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`,
/// `WT_ERR_NULL_POINTER`, `WT_ERR_UNSUPPORTED` (fuel not enabled).
///
/// # Safety
/// `out_fuel` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_store_get_fuel(store: u64, out_fuel: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_fuel, "out_fuel")? };
        with_store(store, |so, cx| {
            if !so.engine.fuel {
                return Err(Error::new(
                    WT_ERR_UNSUPPORTED,
                    "fuel is not enabled: use wt_config_set_consume_fuel",
                ));
            }
            *o = cx
                .as_context()
                .get_fuel()
                .map_err(|e| Error::internal(crate::error::describe(&e)))?;
            Ok(())
        })
    })
}

/// Limits every top-level call into this store (calls, instantiation) to
/// `ms` milliseconds of wall time; 0 removes the limit. A call that runs
/// longer fails with `WT_ERR_INTERRUPTED` ("timed out") and the store stays
/// usable. Resolution is about 1 ms (a shared background ticker thread is
/// started on first use). Requires epoch interruption (on by default). The
/// limit is checked while wasm code runs and while a WASI guest sleeps; a
/// guest blocked in another WASI call (`fd_read` of an inherited stdin,
/// `poll_oneoff` on files or an absolute time) is stopped once it returns.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`,
/// `WT_ERR_UNSUPPORTED` (epoch interruption disabled).
#[no_mangle]
pub extern "C" fn wt_store_set_timeout_ms(store: u64, ms: u64) -> i32 {
    guard(|| {
        with_store(store, |so, cx| {
            if !so.engine.epoch {
                return Err(Error::new(
                    WT_ERR_UNSUPPORTED,
                    "timeouts need epoch interruption, which this engine's config disabled",
                ));
            }
            let h = cx.data_mut();
            so.has_timeout.set(ms != 0);
            // A timeout that fired before says nothing about later calls.
            h.timed_out = false;
            if ms == 0 {
                h.timeout = None;
                h.deadline = None;
            } else {
                let t = Duration::from_millis(ms);
                h.timeout = Some(t);
                h.deadline = Some(Instant::now() + t);
                ticker_watch(&so.engine.engine);
            }
            Ok(())
        })
    })
}

/// Interrupts the code running in `store` as soon as possible: the running
/// call fails with `WT_ERR_INTERRUPTED` (trap code `WT_TRAP_INTERRUPT`). Safe
/// to call from any thread while another thread runs the store; if the store
/// is idle, its next call is interrupted. Only the store handle is accepted.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`,
/// `WT_ERR_UNSUPPORTED` (epoch interruption disabled).
#[no_mangle]
pub extern "C" fn wt_store_interrupt(store: u64) -> i32 {
    guard(|| {
        let so = handle::get::<Box<StoreObj>>(store)?;
        if !so.engine.epoch {
            return Err(Error::new(
                WT_ERR_UNSUPPORTED,
                "interruption needs epoch interruption, which this engine's config disabled",
            ));
        }
        so.interrupt.store(true, Ordering::Relaxed);
        so.engine.engine.increment_epoch();
        Ok(())
    })
}

/// Caps this store's resources: each linear memory at `memory_bytes` bytes
/// and each table at `table_elements` elements (`UINT64_MAX` for no cap).
/// Growth beyond a cap fails inside wasm as the spec says (`memory.grow`
/// returns -1), or traps when `trap_on_grow_failure` is 1; instantiating a
/// module whose initial size exceeds a cap fails (`WT_ERR_LIMIT`). The memory
/// cap also bounds the store's GC heap: below 64 KiB no externref fits, and
/// passing one fails with `WT_ERR_LIMIT`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`,
/// `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_store_set_limits(
    store: u64,
    memory_bytes: u64,
    table_elements: u64,
    trap_on_grow_failure: i32,
) -> i32 {
    guard(|| {
        let trap = match trap_on_grow_failure {
            0 => false,
            1 => true,
            other => {
                return Err(Error::invalid(format!(
                    "trap_on_grow_failure must be 0 or 1, got {other}"
                )))
            }
        };
        with_store(store, |_, cx| {
            let h = cx.data_mut();
            h.memory_limit =
                (memory_bytes != u64::MAX).then(|| memory_bytes.min(usize::MAX as u64) as usize);
            h.table_limit = (table_elements != u64::MAX)
                .then(|| table_elements.min(usize::MAX as u64) as usize);
            h.trap_on_grow_failure = trap;
            h.rebuild_limits();
            Ok(())
        })
    })
}

/// Runs Wasmtime's garbage collector for the store's GC heap (externrefs and
/// GC objects no longer referenced are reclaimed).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`.
#[no_mangle]
pub extern "C" fn wt_store_gc(store: u64) -> i32 {
    guard(|| {
        with_store(store, |_, cx| {
            cx.as_context_mut()
                .gc(None)
                .map_err(|e| Error::internal(crate::error::describe(&e)))
        })
    })
}

// ---- the epoch ticker for timeouts ------------------------------------------

struct Ticker {
    engines: Mutex<Vec<EngineWeak>>,
    wake: Condvar,
}

fn ticker() -> &'static Ticker {
    static T: OnceLock<&'static Ticker> = OnceLock::new();
    T.get_or_init(|| {
        let t: &'static Ticker = Box::leak(Box::new(Ticker {
            engines: Mutex::new(Vec::new()),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("libwt-epoch-ticker".into())
            .spawn(move || loop {
                let mut list = t.engines.lock().unwrap_or_else(|p| p.into_inner());
                while list.is_empty() {
                    list = t.wake.wait(list).unwrap_or_else(|p| p.into_inner());
                }
                list.retain(|w| match w.upgrade() {
                    Some(e) => {
                        e.increment_epoch();
                        true
                    }
                    None => false,
                });
                drop(list);
                std::thread::sleep(Duration::from_millis(1));
            })
            .expect("spawn the libwt epoch ticker thread");
        t
    })
}

fn ticker_watch(engine: &Engine) {
    let t = ticker();
    let mut list = t.engines.lock().unwrap_or_else(|p| p.into_inner());
    let known = list
        .iter()
        .any(|w| w.upgrade().is_some_and(|e| Engine::same(&e, engine)));
    if !known {
        list.push(engine.weak());
        t.wake.notify_one();
    }
}
