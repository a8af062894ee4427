//! Linkers (`WT_KIND_LINKER`): name host functions and instances, instantiate modules.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use wasmtime::{Engine, Extern, Instance, InstancePre, Linker, Module};

use crate::engine::EngineObj;
use crate::error::{self, Error, Result, WT_ERR_BUSY, WT_ERR_LINK};
use crate::ffi::{guard, out, str_arg};
use crate::func::{new_hostfunc, with_host_closure, HostFunc, TakeClosure, WtCallback};
use crate::handle::{self, Object};
use crate::store::{check_same_store, with_store, Host, StoreItem};

pub struct LinkerObj {
    pub engine: Engine,
    pub linker: RwLock<Linker<Host>>,
    /// Set once a store-owned item (func, memory, global, table, instance of
    /// some store) is defined: pre-resolved instantiations are then not used,
    /// since their imports would belong to that one store, and memories and
    /// tables must be matched at their current size.
    store_items: AtomicBool,
    /// Pre-resolved instantiations (`InstancePre`) of the modules most
    /// recently instantiated with this linker; cleared by every definition.
    /// Shared (`Arc`): taking one out is one reference count, not the three
    /// of an `InstancePre` clone.
    pre: Mutex<Vec<Arc<InstancePre<Host>>>>,
    /// The thread (`owner::me`) holding the write lock, 0 if none. Defining
    /// can drop a replaced host function and run its env finalizer, which is
    /// embedder code that may call back into libwt on this thread, even into
    /// another linker whose definition drops a callback whose finalizer
    /// comes back here: an instantiation with a linker that this very
    /// thread is defining must not wait for the lock (a deadlock); it gets
    /// `WT_ERR_BUSY`. Only the holder writes it; other threads never match.
    writer: AtomicU64,
    /// The last `wt_linker_allow_shadowing` setting (Wasmtime's linker does
    /// not report it; `wt_linker_define_wasi` changes it for a moment).
    pub shadowing: AtomicBool,
}

/// Modules whose pre-resolved instantiation a linker keeps.
const PRE_CACHE: usize = 16;

fn busy() -> Error {
    Error::new(
        WT_ERR_BUSY,
        "linker is being used by an instantiation right now; define items before instantiating",
    )
}

/// The write lock of a linker; while it lives the linker records which
/// thread holds it (see `LinkerObj::writer`).
pub struct LinkerWrite<'a> {
    guard: RwLockWriteGuard<'a, Linker<Host>>,
    writer: &'a AtomicU64,
}

impl std::ops::Deref for LinkerWrite<'_> {
    type Target = Linker<Host>;
    fn deref(&self) -> &Linker<Host> {
        &self.guard
    }
}
impl std::ops::DerefMut for LinkerWrite<'_> {
    fn deref_mut(&mut self) -> &mut Linker<Host> {
        &mut self.guard
    }
}
impl Drop for LinkerWrite<'_> {
    fn drop(&mut self) {
        // Before the lock is released (the guard drops after this).
        self.writer.store(0, Ordering::Relaxed);
    }
}

impl LinkerObj {
    /// Takes the write lock for a definition, or `WT_ERR_BUSY` while an
    /// instantiation (or another definition) holds the linker.
    pub fn write(&self) -> Result<LinkerWrite<'_>> {
        let guard = self.linker.try_write().ok_or_else(busy)?;
        self.writer.store(crate::owner::me(), Ordering::Relaxed);
        let w = LinkerWrite {
            guard,
            writer: &self.writer,
        };
        // Definitions change what imports resolve to. (Dropped outside the
        // cache's lock: a dropped host function may run its finalizer.)
        let stale = std::mem::take(&mut *self.pre.lock());
        drop(stale);
        Ok(w)
    }

    /// The cached pre-resolved instantiation of `m`, if there is one. No
    /// linker lock: a definition empties the cache as soon as it holds the
    /// write lock, and entries are only added under the read lock, so a hit
    /// is valid for the definitions that precede it (an instantiation racing
    /// with a definition on another thread is ordered before it).
    fn cached_pre(&self, m: &Module) -> Option<Arc<InstancePre<Host>>> {
        if self.store_items.load(Ordering::Acquire) {
            return None;
        }
        self.pre
            .lock()
            .iter()
            .find(|p| Module::same(p.module(), m))
            .cloned()
    }

    /// The pre-resolved instantiation of `m` (made and kept on first use),
    /// when this linker defines host functions only; `None` when it cannot
    /// be used (then the caller resolves the imports itself, which also
    /// reports why a link fails). `linker` is this linker's read guard.
    fn pre_for(&self, linker: &Linker<Host>, m: &Module) -> Option<Arc<InstancePre<Host>>> {
        if self.store_items.load(Ordering::Acquire) {
            return None;
        }
        if let Some(p) = self.cached_pre(m) {
            return Some(p);
        }
        let p = Arc::new(linker.instantiate_pre(m).ok()?);
        let mut cache = self.pre.lock();
        if cache.len() >= PRE_CACHE {
            cache.remove(0);
        }
        cache.push(p.clone());
        Some(p)
    }
    /// Takes a shared lock for an instantiation (waiting for a definition on
    /// another thread to finish), or `WT_ERR_BUSY` if this very thread is in
    /// the middle of a definition of this linker.
    pub fn read(&self) -> Result<RwLockReadGuard<'_, Linker<Host>>> {
        if self.writer.load(Ordering::Relaxed) == crate::owner::me() {
            return Err(Error::new(
                WT_ERR_BUSY,
                "the linker is being defined on this thread right now (a callback finalizer \
                 called back into libwt while the definition it replaced was dropped)",
            ));
        }
        Ok(self.linker.read())
    }
}

fn link_error(e: wasmtime::Error) -> Error {
    Error::new(WT_ERR_LINK, crate::error::describe(&e))
}

/// Creates a linker for `engine`. `*out_linker` receives a `WT_KIND_LINKER`
/// handle owned by the caller. A linker may be shared by threads: defining
/// takes an exclusive lock, instantiating a shared one.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_linker` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_linker_new(engine: u64, out_linker: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_linker, "out_linker")? };
        let e = handle::get::<EngineObj>(engine)?.engine.clone();
        let linker = Linker::new(&e);
        *o = handle::insert(Box::new(LinkerObj {
            engine: e,
            linker: RwLock::new(linker),
            store_items: AtomicBool::new(false),
            pre: Mutex::new(Vec::new()),
            writer: AtomicU64::new(0),
            shadowing: AtomicBool::new(false),
        }))?;
        Ok(())
    })
}

/// Lets later definitions replace earlier ones with the same name (1) or
/// reports them as `WT_ERR_LINK` (0, default).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_BUSY`.
#[no_mangle]
pub extern "C" fn wt_linker_allow_shadowing(linker: u64, on: i32) -> i32 {
    guard(|| {
        let on = match on {
            0 => false,
            1 => true,
            other => return Err(Error::invalid(format!("expected 0 or 1, got {other}"))),
        };
        let l = handle::get::<Box<LinkerObj>>(linker)?;
        let mut w = l.write()?;
        w.allow_shadowing(on);
        l.shadowing.store(on, Ordering::Relaxed);
        Ok(())
    })
}

pub fn define_hostfunc(l: &LinkerObj, module: &str, name: &str, hf: Arc<HostFunc>) -> Result<()> {
    struct Define<'a> {
        linker: &'a mut Linker<Host>,
        module: &'a str,
        name: &'a str,
        ty: wasmtime::FuncType,
    }
    impl TakeClosure for Define<'_> {
        type Out = wasmtime::Result<()>;
        fn take<F>(self, f: F) -> wasmtime::Result<()>
        where
            F: Fn(
                    wasmtime::Caller<'_, Host>,
                    &mut [std::mem::MaybeUninit<wasmtime::ValRaw>],
                ) -> wasmtime::Result<()>
                + Send
                + Sync
                + 'static,
        {
            // SAFETY: the trampolines read and write exactly the values of
            // `ty` (the host function's signature).
            unsafe {
                self.linker
                    .func_new_unchecked(self.module, self.name, self.ty, f)
            }?;
            Ok(())
        }
    }
    let ty = hf.sig.to_functype(&l.engine)?;
    let mut linker = l.write()?;
    with_host_closure(
        hf,
        Define {
            linker: &mut linker,
            module,
            name,
            ty,
        },
    )
    .map_err(link_error)?;
    Ok(())
}

/// Defines the host function `module`.`name` with type `functype`, backed by
/// `callback` with `env` (see `wt_callback_t`). `env` is not finalized; use
/// `wt_callback_new` + `wt_linker_define_func` when it needs a finalizer.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT` (bad UTF-8), `WT_ERR_LINK` (name already
/// defined), `WT_ERR_UNSUPPORTED` (v128/GC types), `WT_ERR_BUSY`.
///
/// # Safety
/// The strings must point to their lengths in readable bytes; `callback` must
/// be a valid function of type `wt_callback_t`.
#[no_mangle]
pub unsafe extern "C" fn wt_linker_define_callback(
    linker: u64,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
    functype: u64,
    callback: WtCallback,
    env: *mut c_void,
) -> i32 {
    guard(|| {
        let module = unsafe { str_arg(module, module_len, "module")? };
        let name = unsafe { str_arg(name, name_len, "name")? };
        let l = handle::get::<Box<LinkerObj>>(linker)?;
        let hf = new_hostfunc(functype, callback, env, None)?;
        define_hostfunc(&l, module, name, hf)
    })
}

/// Defines `module`.`name` as the host function of a callback object made by
/// `wt_callback_new` (whose env finalizer runs once nothing uses it).
/// Statuses: as `wt_linker_define_callback`.
///
/// # Safety
/// The strings must point to their lengths in readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_linker_define_func(
    linker: u64,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
    callback: u64,
) -> i32 {
    guard(|| {
        let module = unsafe { str_arg(module, module_len, "module")? };
        let name = unsafe { str_arg(name, name_len, "name")? };
        let l = handle::get::<Box<LinkerObj>>(linker)?;
        let hf = handle::get::<Arc<HostFunc>>(callback)?.clone();
        define_hostfunc(&l, module, name, hf)
    })
}

/// Defines `module`.`name` as a store-bound item (a func, memory, global or
/// table handle of `store`), e.g. an export of another instance. Modules
/// linked against it must be instantiated in the same store.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_LINK`, `WT_ERR_BUSY`.
///
/// # Safety
/// The strings must point to their lengths in readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_linker_define(
    linker: u64,
    store: u64,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
    item: u64,
) -> i32 {
    guard(|| {
        let module = unsafe { str_arg(module, module_len, "module")? };
        let name = unsafe { str_arg(name, name_len, "name")? };
        let l = handle::get::<Box<LinkerObj>>(linker)?;
        with_store(store, |so, cx| {
            let ext = store_extern(item, so)?;
            let mut linker = l.write()?;
            l.store_items.store(true, Ordering::Release);
            linker.define(&*cx, module, name, ext).map_err(link_error)?;
            Ok(())
        })
    })
}

/// Resolves a func/memory/global/table handle of store `so` to an `Extern`.
pub fn store_extern(item: u64, so: &crate::store::StoreObj) -> Result<Extern> {
    let g = handle::get_any(item)?;
    Ok(match g.obj() {
        Object::Func(f) => {
            check_same_store(f.store_uid, so, "func")?;
            Extern::Func(f.func)
        }
        Object::Memory(m) => Extern::Memory(m.check(so, "memory")?),
        Object::Global(x) => Extern::Global(x.check(so, "global")?),
        Object::Table(t) => Extern::Table(t.check(so, "table")?),
        _ => {
            return Err(Error::new(
                crate::error::WT_ERR_WRONG_KIND,
                format!(
                    "handle {item:#x} is {}, expected a func, memory, global or table",
                    handle::with_article(handle::kind_name(g.kind()))
                ),
            ))
        }
    })
}

/// Defines every export of `instance` (of `store`) under the module name `name`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_LINK`, `WT_ERR_BUSY`.
///
/// # Safety
/// `name` must point to `name_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_linker_define_instance(
    linker: u64,
    store: u64,
    name: *const c_char,
    name_len: usize,
    instance: u64,
) -> i32 {
    guard(|| {
        let name = unsafe { str_arg(name, name_len, "name")? };
        let l = handle::get::<Box<LinkerObj>>(linker)?;
        let inst = handle::get::<StoreItem<wasmtime::Instance>>(instance)?;
        with_store(store, |so, cx| {
            let i = inst.check(so, "instance")?;
            let mut linker = l.write()?;
            l.store_items.store(true, Ordering::Release);
            linker.instance(&mut *cx, name, i).map_err(link_error)?;
            Ok(())
        })
    })
}

/// Instantiates `module` in `store`, resolving its imports by name in the
/// linker, and runs its start function. `*out_instance` receives an instance
/// handle owned by the store.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT` (engine mismatch), `WT_ERR_LINK` (missing or
/// mistyped import: the message names module, field and types), `WT_ERR_BUSY`,
/// `WT_ERR_LIMIT` (an initial memory or table size above the store's cap),
/// and any status of `wt_call` for a failing start function.
///
/// # Safety
/// `out_instance` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_linker_instantiate(
    linker: u64,
    store: u64,
    module: u64,
    out_instance: *mut u64,
) -> i32 {
    guard(|| {
        let o = unsafe { out(out_instance, "out_instance")? };
        let l = handle::get::<Box<LinkerObj>>(linker)?;
        let m = handle::get::<Module>(module)?;
        with_store(store, |so, cx| {
            if !Engine::same(&l.engine, &so.engine.engine)
                || !Engine::same(m.engine(), &so.engine.engine)
            {
                return Err(Error::invalid(
                    "linker, module and store must come from the same engine",
                ));
            }
            // A start function runs wasm: refuse (with a stack-overflow trap)
            // rather than crash when this thread lacks the stack for it.
            crate::store::check_native_stack(so, cx)?;
            let map_err = |e: wasmtime::Error, timed_out: bool| {
                // Type mismatches are reported before anything runs; their
                // wording mentions "limits", so keep them out of the
                // resource-limit classification.
                if e.to_string().starts_with("incompatible import type") {
                    link_error(e)
                } else {
                    error::from_wasmtime_or(e, timed_out, WT_ERR_LINK)
                }
            };
            // Host functions only: instantiate from the cached pre-resolved
            // form (no per-import lookups or type checks), found without the
            // linker's lock when it was made before. No library lock is held
            // while wasm (the start function) runs.
            let from_pre = |pre: Arc<InstancePre<Host>>, cx: &mut crate::store::Cx| {
                pre.instantiate(&mut *cx)
                    .map_err(|e| map_err(e, cx.data().timed_out))
            };
            let inst = if let Some(pre) = l.cached_pre(&m) {
                from_pre(pre, cx)?
            } else {
                let linker = l.read()?;
                if let Some(pre) = l.pre_for(&linker, &m) {
                    drop(linker);
                    from_pre(pre, cx)?
                } else {
                    // Resolve the imports against this store so that memories and
                    // tables are matched at their current size, not at the size
                    // they had when they were defined (`instantiate_pre` would use
                    // that stale size and refuse an import of a memory that has
                    // grown).
                    let mut imports = Vec::with_capacity(m.imports().len());
                    for import in m.imports() {
                        match linker.try_get_by_import(&mut *cx, &import) {
                            Ok(Some(ext)) => imports.push(ext),
                            Ok(None) => {
                                return Err(Error::new(
                                    WT_ERR_LINK,
                                    format!(
                                        "unknown import: `{}::{}` has not been defined",
                                        import.module(),
                                        import.name()
                                    ),
                                ))
                            }
                            Err(e) => return Err(link_error(e)),
                        }
                    }
                    drop(linker);
                    Instance::new(&mut *cx, &m, &imports)
                        .map_err(|e| map_err(e, cx.data().timed_out))?
                }
            };
            let h = handle::insert(StoreItem {
                store_uid: so.uid,
                item: inst,
            })?;
            cx.data_mut().adopt(h);
            *o = h;
            Ok(())
        })
    })
}
