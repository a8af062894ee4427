//! Engine configuration (`WT_KIND_CONFIG`) and engines (`WT_KIND_ENGINE`).

use parking_lot::Mutex;
use wasmtime::{Config, Engine, OptLevel};

use crate::error::{Error, Result, WT_ERR_IO};
use crate::ffi::{guard, out, str_arg};
use crate::handle;

/// Feature: 128-bit SIMD (on by default).
pub const WT_FEATURE_SIMD: i32 = 0;
/// Feature: bulk memory operations (on by default).
pub const WT_FEATURE_BULK_MEMORY: i32 = 1;
/// Feature: several linear memories per module (on by default).
pub const WT_FEATURE_MULTI_MEMORY: i32 = 2;
/// Feature: threads and shared memories (OFF by default in libwt). With it, a
/// guest may block in `memory.atomic.wait` on a shared memory of its own that
/// nothing notifies; timeouts and interrupts do not reach such a wait.
pub const WT_FEATURE_THREADS: i32 = 3;
/// Feature: reference types (on by default).
pub const WT_FEATURE_REFERENCE_TYPES: i32 = 4;
/// Feature: garbage collection proposal (Wasmtime's default).
pub const WT_FEATURE_GC: i32 = 5;
/// Feature: typed function references (Wasmtime's default).
pub const WT_FEATURE_FUNCTION_REFERENCES: i32 = 6;
/// Feature: tail calls (on by default).
pub const WT_FEATURE_TAIL_CALL: i32 = 7;
/// Feature: 64-bit memories (Wasmtime's default).
pub const WT_FEATURE_MEMORY64: i32 = 8;
/// Feature: relaxed SIMD (on by default).
pub const WT_FEATURE_RELAXED_SIMD: i32 = 9;
/// Feature: exception handling (Wasmtime's default).
pub const WT_FEATURE_EXCEPTIONS: i32 = 10;
/// Feature: extended constant expressions (on by default).
pub const WT_FEATURE_EXTENDED_CONST: i32 = 11;
/// Feature: multi-value (on by default).
pub const WT_FEATURE_MULTI_VALUE: i32 = 12;
/// Feature: wide arithmetic (Wasmtime's default).
pub const WT_FEATURE_WIDE_ARITHMETIC: i32 = 13;
/// Feature: custom page sizes (Wasmtime's default).
pub const WT_FEATURE_CUSTOM_PAGE_SIZES: i32 = 14;

/// Cranelift optimisation level: none (fastest compile).
pub const WT_OPT_NONE: i32 = 0;
/// Cranelift optimisation level: speed (default).
pub const WT_OPT_SPEED: i32 = 1;
/// Cranelift optimisation level: speed and size.
pub const WT_OPT_SPEED_AND_SIZE: i32 = 2;

pub struct ConfigState {
    pub config: Config,
    pub epoch: bool,
    pub fuel: bool,
}

/// A mutable configuration; the lock is only taken by setters and engine creation.
pub struct ConfigObj(pub Mutex<ConfigState>);

/// An engine plus the switches that stores created from it must honour.
#[derive(Clone)]
pub struct EngineObj {
    pub engine: Engine,
    pub epoch: bool,
    pub fuel: bool,
}

fn default_state() -> ConfigState {
    let mut config = Config::new();
    config.wasm_threads(false);
    config.epoch_interruption(true);
    ConfigState {
        config,
        epoch: true,
        fuel: false,
    }
}

fn engine_from(state: &ConfigState) -> Result<EngineObj> {
    let engine = Engine::new(&state.config).map_err(|e| {
        Error::invalid(format!(
            "invalid engine configuration: {}",
            crate::error::describe(&e)
        ))
    })?;
    Ok(EngineObj {
        engine,
        epoch: state.epoch,
        fuel: state.fuel,
    })
}

/// Creates a configuration with libwt's defaults: Wasmtime's defaults, except
/// that the threads proposal is off and epoch interruption is on (so that
/// `wt_store_interrupt` and `wt_store_set_timeout_ms` work).
///
/// `*out_config` receives a `WT_KIND_CONFIG` handle owned by the caller. A
/// config is not consumed by `wt_engine_new_with_config`; free it with
/// `wt_free` when done. Setters may be called from any thread.
/// Statuses: `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_config` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_config_new(out_config: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_config, "out_config")? };
        *o = handle::insert(Box::new(ConfigObj(Mutex::new(default_state()))))?;
        Ok(())
    })
}

fn with_config(h: u64, f: impl FnOnce(&mut ConfigState) -> Result<()>) -> Result<()> {
    let c = handle::get::<Box<ConfigObj>>(h)?;
    let mut state = c.0.lock();
    f(&mut state)
}

fn flag(on: i32) -> Result<bool> {
    match on {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Error::invalid(format!("expected 0 or 1, got {other}"))),
    }
}

/// Sets the Cranelift optimisation level (`WT_OPT_NONE`, `WT_OPT_SPEED`,
/// `WT_OPT_SPEED_AND_SIZE`). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`,
/// `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_config_set_opt_level(config: u64, level: i32) -> i32 {
    guard(|| {
        let level = match level {
            WT_OPT_NONE => OptLevel::None,
            WT_OPT_SPEED => OptLevel::Speed,
            WT_OPT_SPEED_AND_SIZE => OptLevel::SpeedAndSize,
            other => return Err(Error::invalid(format!("{other} is not a WT_OPT_* level"))),
        };
        with_config(config, |s| {
            s.config.cranelift_opt_level(level);
            Ok(())
        })
    })
}

/// Turns DWARF debug information for guest code on (1) or off (0, default).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_config_set_debug_info(config: u64, on: i32) -> i32 {
    guard(|| {
        let on = flag(on)?;
        with_config(config, |s| {
            s.config.debug_info(on);
            Ok(())
        })
    })
}

/// Turns fuel metering on (1) or off (0, default). With fuel on, every store
/// starts with 0 fuel: call `wt_store_set_fuel` before running code.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_config_set_consume_fuel(config: u64, on: i32) -> i32 {
    guard(|| {
        let on = flag(on)?;
        with_config(config, |s| {
            s.config.consume_fuel(on);
            s.fuel = on;
            Ok(())
        })
    })
}

/// Turns epoch interruption on (1, default) or off (0). Off makes guest code
/// slightly faster but `wt_store_interrupt` and `wt_store_set_timeout_ms` then
/// return `WT_ERR_UNSUPPORTED`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_config_set_epoch_interruption(config: u64, on: i32) -> i32 {
    guard(|| {
        let on = flag(on)?;
        with_config(config, |s| {
            s.config.epoch_interruption(on);
            s.epoch = on;
            Ok(())
        })
    })
}

/// Enables (1) or disables (0) a WebAssembly feature (`WT_FEATURE_*`).
/// Inconsistent combinations are reported by `wt_engine_new_with_config`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_config_set_feature(config: u64, feature: i32, on: i32) -> i32 {
    guard(|| {
        let on = flag(on)?;
        with_config(config, |s| {
            let c = &mut s.config;
            match feature {
                WT_FEATURE_SIMD => c.wasm_simd(on),
                WT_FEATURE_BULK_MEMORY => c.wasm_bulk_memory(on),
                WT_FEATURE_MULTI_MEMORY => c.wasm_multi_memory(on),
                WT_FEATURE_THREADS => c.wasm_threads(on),
                WT_FEATURE_REFERENCE_TYPES => c.wasm_reference_types(on),
                WT_FEATURE_GC => c.wasm_gc(on),
                WT_FEATURE_FUNCTION_REFERENCES => c.wasm_function_references(on),
                WT_FEATURE_TAIL_CALL => c.wasm_tail_call(on),
                WT_FEATURE_MEMORY64 => c.wasm_memory64(on),
                WT_FEATURE_RELAXED_SIMD => c.wasm_relaxed_simd(on),
                WT_FEATURE_EXCEPTIONS => c.wasm_exceptions(on),
                WT_FEATURE_EXTENDED_CONST => c.wasm_extended_const(on),
                WT_FEATURE_MULTI_VALUE => c.wasm_multi_value(on),
                WT_FEATURE_WIDE_ARITHMETIC => c.wasm_wide_arithmetic(on),
                WT_FEATURE_CUSTOM_PAGE_SIZES => c.wasm_custom_page_sizes(on),
                other => {
                    return Err(Error::invalid(format!(
                        "{other} is not a WT_FEATURE_* code"
                    )))
                }
            };
            Ok(())
        })
    })
}

/// Compiles functions of a module on several threads (1, default) or on the
/// calling thread only (0).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_config_set_parallel_compilation(config: u64, on: i32) -> i32 {
    guard(|| {
        let on = flag(on)?;
        with_config(config, |s| {
            s.config.parallel_compilation(on);
            Ok(())
        })
    })
}

/// Sets the maximum native stack (in bytes) that guest code may use before it
/// traps with `WT_TRAP_STACK_OVERFLOW` (Wasmtime's default is 512 KiB). Calls
/// into wasm from a thread with less stack left than this plus 128 KiB fail
/// with that trap up front (see `wt_call`). That check knows the thread's own
/// stack on Linux and macOS; on fibers or coroutine stacks (and elsewhere) the
/// embedder must provide that much stack itself.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT` (0).
#[no_mangle]
pub extern "C" fn wt_config_set_max_wasm_stack(config: u64, bytes: usize) -> i32 {
    guard(|| {
        if bytes == 0 {
            return Err(Error::invalid("max wasm stack must be greater than 0"));
        }
        with_config(config, |s| {
            s.config.max_wasm_stack(bytes);
            Ok(())
        })
    })
}

/// Refuses a cache directory that someone other than this process's user
/// could write to (they could plant machine code in it).
#[cfg(unix)]
fn only_owner_writes(dir: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(dir).map_err(|e| {
        Error::new(
            WT_ERR_IO,
            format!("cannot use cache directory {dir:?}: {e}"),
        )
    })?;
    // SAFETY: plain libc call without arguments.
    let me = unsafe { libc::geteuid() };
    if md.uid() != me {
        return Err(Error::invalid(format!(
            "cache directory {dir:?} belongs to another user (uid {}, this process runs as {me}): \
             whoever can write there can make this process run their machine code",
            md.uid()
        )));
    }
    if md.mode() & 0o022 != 0 {
        return Err(Error::invalid(format!(
            "cache directory {dir:?} is writable by its group or by others (mode {:o}): whoever \
             can write there can make this process run their machine code; use a directory \
             only its owner can write (e.g. mode 755 or 700)",
            md.mode() & 0o7777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn only_owner_writes(_dir: &str) -> Result<()> {
    Ok(())
}

/// Enables Wasmtime's on-disk compilation cache for engines made from this
/// config, with its files under `dir` (UTF-8 path, created if missing,
/// with mode 700).
/// Compiling the same module again then loads the machine code from disk.
/// The directory is trusted like `wt_module_deserialize`'s bytes: whoever can
/// write there can make this process run their machine code. So on Unix a
/// directory that its group or others may write, or that another user owns,
/// is refused (`WT_ERR_INVALID_ARGUMENT`).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_IO` (directory cannot be created/used).
///
/// # Safety
/// `dir` must point to `dir_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_config_set_cache_dir(
    config: u64,
    dir: *const std::ffi::c_char,
    dir_len: usize,
) -> i32 {
    guard(|| {
        let dir = unsafe { str_arg(dir, dir_len, "dir")? };
        if dir.is_empty() {
            return Err(Error::invalid("cache directory must not be empty"));
        }
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        // What libwt creates only its owner may write, whatever the umask.
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| {
            Error::new(
                WT_ERR_IO,
                format!("cannot create cache directory {dir:?}: {e}"),
            )
        })?;
        only_owner_writes(dir)?;
        let mut cc = wasmtime::CacheConfig::new();
        cc.with_directory(dir);
        let cache = wasmtime::Cache::new(cc).map_err(|e| {
            Error::new(
                WT_ERR_IO,
                format!(
                    "cannot use cache directory {dir:?}: {}",
                    crate::error::describe(&e)
                ),
            )
        })?;
        with_config(config, |s| {
            s.config.cache(Some(cache));
            Ok(())
        })
    })
}

/// Creates an engine with libwt's default configuration (see `wt_config_new`).
/// `*out_engine` receives a `WT_KIND_ENGINE` handle owned by the caller.
/// Engines are thread-safe and may be shared by any number of stores/threads.
/// Statuses: `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `out_engine` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_engine_new(out_engine: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_engine, "out_engine")? };
        *o = handle::insert(engine_from(&default_state())?)?;
        Ok(())
    })
}

/// Creates an engine from a configuration. The config is copied, not
/// consumed: it stays valid and must still be freed.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT` (inconsistent settings; the message says which).
///
/// # Safety
/// `out_engine` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_engine_new_with_config(config: u64, out_engine: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_engine, "out_engine")? };
        let c = handle::get::<Box<ConfigObj>>(config)?;
        let engine = engine_from(&c.0.lock())?;
        *o = handle::insert(engine)?;
        Ok(())
    })
}

/// Advances the engine's epoch by one; every store of the engine whose
/// deadline has passed then checks its interrupt flag and timeout. Safe from
/// any thread. Most users want `wt_store_interrupt` instead.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`.
#[no_mangle]
pub extern "C" fn wt_engine_increment_epoch(engine: u64) -> i32 {
    guard(|| {
        handle::get::<EngineObj>(engine)?.engine.increment_epoch();
        Ok(())
    })
}
