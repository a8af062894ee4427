//! WASI preview 1 (`WT_KIND_WASI_CONFIG`): args, env, stdio, preopened directories.

use std::ffi::c_char;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use wasmtime::{Caller, Extern, Instance, Linker, Module};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::error::{Error, Result, WT_ERR_IO};
use crate::ffi::{bytes_arg, guard, out, str_arg};
use crate::handle;
use crate::linker::LinkerObj;
use crate::store::{with_store, Host};

/// Stdio mode: discard output / empty input (default).
pub const WT_STDIO_NULL: i32 = 0;
/// Stdio mode: use the host process's stream.
pub const WT_STDIO_INHERIT: i32 = 1;
/// Stdio mode: capture output in memory (read it with `wt_store_wasi_output`).
pub const WT_STDIO_CAPTURE: i32 = 2;

/// Most bytes kept from a captured stream; the guest's further writes fail.
const CAPTURE_LIMIT: usize = 64 << 20;

#[derive(Default, Clone)]
pub struct WasiSpec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    stdin_inherit: bool,
    stdout: i32,
    stderr: i32,
    preopens: Vec<(String, String, bool)>,
}

pub struct WasiConfigObj(Mutex<WasiSpec>);

fn with_cfg(h: u64, f: impl FnOnce(&mut WasiSpec) -> Result<()>) -> Result<()> {
    let c = handle::get::<Box<WasiConfigObj>>(h)?;
    let mut spec = c.0.lock();
    f(&mut spec)
}

/// Creates an empty WASI configuration: no args, no env, stdin empty,
/// stdout/stderr discarded, no directories. `*out_config` receives a
/// `WT_KIND_WASI_CONFIG` handle owned by the caller; it is copied (not
/// consumed) by `wt_store_set_wasi`.
/// Statuses: `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `out_config` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_wasi_config_new(out_config: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_config, "out_config")? };
        *o = handle::insert(Box::new(WasiConfigObj(Mutex::new(WasiSpec::default()))))?;
        Ok(())
    })
}

/// Appends one command-line argument (the first one is the program name by convention).
/// An argument containing a NUL byte is refused (`WT_ERR_INVALID_ARGUMENT`):
/// the guest receives C strings, so it would see it cut short.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_wasi_config_add_arg(
    config: u64,
    arg: *const c_char,
    len: usize,
) -> i32 {
    guard(|| {
        let a = unsafe { str_arg(arg, len, "arg")? }.to_string();
        no_nul(&a, "argument")?;
        with_cfg(config, |s| {
            s.args.push(a);
            Ok(())
        })
    })
}

/// Adds an environment variable `key=value`. A name that is empty or holds
/// `=`, and a name or value holding a NUL byte, are refused
/// (`WT_ERR_INVALID_ARGUMENT`).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// The strings must point to their lengths in readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_wasi_config_add_env(
    config: u64,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
) -> i32 {
    guard(|| {
        let k = unsafe { str_arg(key, key_len, "key")? }.to_string();
        let v = unsafe { str_arg(value, value_len, "value")? }.to_string();
        if k.is_empty() || k.contains('=') {
            return Err(Error::invalid(format!(
                "invalid environment variable name {k:?}"
            )));
        }
        no_nul(&k, "environment variable name")?;
        no_nul(&v, "environment variable value")?;
        with_cfg(config, |s| {
            s.env.push((k, v));
            Ok(())
        })
    })
}

/// WASI hands arguments and environment to the guest as C strings.
fn no_nul(s: &str, what: &str) -> Result<()> {
    match s.find('\0') {
        Some(at) => Err(Error::invalid(format!(
            "{what} {s:?} contains a NUL byte (at {at}); the guest reads C strings"
        ))),
        None => Ok(()),
    }
}

/// Makes the guest's stdin read the given bytes (copied) and then EOF.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
///
/// # Safety
/// `data` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_wasi_config_set_stdin_bytes(
    config: u64,
    data: *const u8,
    len: usize,
) -> i32 {
    guard(|| {
        let d = unsafe { bytes_arg(data, len, "data")? }.to_vec();
        with_cfg(config, |s| {
            s.stdin = Some(d);
            s.stdin_inherit = false;
            Ok(())
        })
    })
}

/// Makes the guest's stdin the host process's stdin.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`.
#[no_mangle]
pub extern "C" fn wt_wasi_config_inherit_stdin(config: u64) -> i32 {
    guard(|| {
        with_cfg(config, |s| {
            s.stdin = None;
            s.stdin_inherit = true;
            Ok(())
        })
    })
}

fn mode(m: i32) -> Result<i32> {
    match m {
        WT_STDIO_NULL | WT_STDIO_INHERIT | WT_STDIO_CAPTURE => Ok(m),
        other => Err(Error::invalid(format!("{other} is not a WT_STDIO_* mode"))),
    }
}

/// Sets the guest's stdout to `WT_STDIO_NULL`, `WT_STDIO_INHERIT` or `WT_STDIO_CAPTURE`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_wasi_config_set_stdout(config: u64, stdio_mode: i32) -> i32 {
    guard(|| {
        let m = mode(stdio_mode)?;
        with_cfg(config, |s| {
            s.stdout = m;
            Ok(())
        })
    })
}

/// Sets the guest's stderr mode (see `wt_wasi_config_set_stdout`).
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn wt_wasi_config_set_stderr(config: u64, stdio_mode: i32) -> i32 {
    guard(|| {
        let m = mode(stdio_mode)?;
        with_cfg(config, |s| {
            s.stderr = m;
            Ok(())
        })
    })
}

/// Gives the guest the host directory `host_path` under the name
/// `guest_path`, read-only (`read_only` = 1) or read-write (0). The host
/// directory must exist now (`WT_ERR_IO` otherwise); it is opened by
/// `wt_store_set_wasi`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_IO`.
///
/// # Safety
/// The strings must point to their lengths in readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_wasi_config_preopen_dir(
    config: u64,
    host_path: *const c_char,
    host_len: usize,
    guest_path: *const c_char,
    guest_len: usize,
    read_only: i32,
) -> i32 {
    guard(|| {
        let host = unsafe { str_arg(host_path, host_len, "host_path")? }.to_string();
        let guest = unsafe { str_arg(guest_path, guest_len, "guest_path")? }.to_string();
        let ro = match read_only {
            0 => false,
            1 => true,
            other => {
                return Err(Error::invalid(format!(
                    "read_only must be 0 or 1, got {other}"
                )))
            }
        };
        if !std::path::Path::new(&host).is_dir() {
            return Err(Error::new(
                WT_ERR_IO,
                format!("preopen directory {host:?} does not exist or is not a directory"),
            ));
        }
        with_cfg(config, |s| {
            s.preopens.push((host, guest, ro));
            Ok(())
        })
    })
}

fn build(spec: &WasiSpec, host: &mut Host) -> Result<()> {
    let mut b = WasiCtxBuilder::new();
    b.args(&spec.args);
    b.envs(&spec.env);
    if let Some(input) = &spec.stdin {
        b.stdin(MemoryInputPipe::new(input.clone()));
    } else if spec.stdin_inherit {
        b.inherit_stdin();
    }
    let mut out_pipe = None;
    let mut err_pipe = None;
    match spec.stdout {
        WT_STDIO_INHERIT => {
            b.inherit_stdout();
        }
        WT_STDIO_CAPTURE => {
            let p = MemoryOutputPipe::new(CAPTURE_LIMIT);
            b.stdout(p.clone());
            out_pipe = Some(p);
        }
        _ => {}
    }
    match spec.stderr {
        WT_STDIO_INHERIT => {
            b.inherit_stderr();
        }
        WT_STDIO_CAPTURE => {
            let p = MemoryOutputPipe::new(CAPTURE_LIMIT);
            b.stderr(p.clone());
            err_pipe = Some(p);
        }
        _ => {}
    }
    for (hostp, guest, ro) in &spec.preopens {
        let perms = if *ro {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        b.preopened_dir(hostp, guest, perms).map_err(|e| {
            Error::new(
                WT_ERR_IO,
                format!(
                    "cannot open preopen directory {hostp:?}: {}",
                    crate::error::describe(&e)
                ),
            )
        })?;
    }
    host.wasi = Some(Box::new(b.build_p1()));
    host.wasi_stdout = out_pipe;
    host.wasi_stderr = err_pipe;
    Ok(())
}

/// Gives `store` a WASI context built from `config` (copied; the config stays
/// valid). Replaces any previous WASI context of the store and its captured
/// output. Modules linked with `wt_linker_define_wasi` use it.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`, `WT_ERR_IO`.
#[no_mangle]
pub extern "C" fn wt_store_set_wasi(store: u64, config: u64) -> i32 {
    guard(|| {
        let spec = handle::get::<Box<WasiConfigObj>>(config)?.0.lock().clone();
        with_store(store, |_, cx| build(&spec, cx.data_mut()))
    })
}

/// Copies what the guest wrote so far to a captured stream (`which` = 1 for
/// stdout, 2 for stderr) into a new bytes handle owned by the caller. A
/// stream that is not captured yields `WT_ERR_INVALID_ARGUMENT`.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`,
/// `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_BUSY`.
///
/// # Safety
/// `out_bytes` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wt_store_wasi_output(store: u64, which: i32, out_bytes: *mut u64) -> i32 {
    guard(|| {
        let o = unsafe { out(out_bytes, "out_bytes")? };
        let data = with_store(store, |_, cx| {
            let h = cx.data();
            let pipe = match which {
                1 => &h.wasi_stdout,
                2 => &h.wasi_stderr,
                other => {
                    return Err(Error::invalid(format!(
                        "which must be 1 (stdout) or 2 (stderr), got {other}"
                    )))
                }
            };
            pipe.as_ref()
                .map(|p| p.contents().to_vec())
                .ok_or_else(|| Error::invalid("that stream is not captured (use WT_STDIO_CAPTURE)"))
        })?;
        *o = handle::insert(data.into_boxed_slice())?;
        Ok(())
    })
}

/// Defines the WASI preview 1 functions (`wasi_snapshot_preview1`) in a
/// linker. A store without `wt_store_set_wasi` gets an empty context (no
/// args, env, stdio or files) when a WASI function is first called.
/// A guest's sleep (`poll_oneoff` on one relative clock) obeys the store's
/// timeout and `wt_store_interrupt` (`WT_ERR_INTERRUPTED`); other blocking
/// WASI calls (`fd_read` of an inherited stdin, `poll_oneoff` on files or on
/// an absolute time) are stopped only once they return.
/// Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_LINK`, `WT_ERR_BUSY`.
#[no_mangle]
pub extern "C" fn wt_linker_define_wasi(linker: u64) -> i32 {
    guard(|| {
        let l = handle::get::<Box<LinkerObj>>(linker)?;
        let mut linker = l.write()?;
        add_wasi(&mut linker)?;
        // WASI's own poll_oneoff stays reachable for everything but sleeps.
        let mut own = Linker::new(linker.engine());
        add_wasi(&mut own)?;
        let relay = wat::parse_str(RELAY)
            .map_err(wasmtime::Error::from)
            .and_then(|wasm| Module::new(linker.engine(), wasm))
            .map_err(|e| {
                Error::internal(format!("poll_oneoff relay: {}", crate::error::describe(&e)))
            })?;
        linker.allow_shadowing(true);
        let r = linker.func_wrap(
            P1,
            "poll_oneoff",
            move |caller: Caller<'_, Host>, subs: i32, events: i32, nsubs: i32, nevents: i32| {
                poll_oneoff(&own, &relay, caller, [subs, events, nsubs, nevents])
            },
        );
        let r = r
            .map(|_| ())
            .map_err(|e| Error::new(crate::error::WT_ERR_LINK, crate::error::describe(&e)));
        linker.allow_shadowing(l.shadowing.load(Ordering::Relaxed));
        r
    })
}

const P1: &str = "wasi_snapshot_preview1";

fn add_wasi(linker: &mut Linker<Host>) -> Result<()> {
    wasmtime_wasi::p1::add_to_linker_sync(linker, |h: &mut Host| {
        &mut **h
            .wasi
            .get_or_insert_with(|| Box::new(WasiCtxBuilder::new().build_p1()))
    })
    .map_err(|e| Error::new(crate::error::WT_ERR_LINK, crate::error::describe(&e)))
}

/// `poll_oneoff` with the store's timeout and `wt_store_interrupt` in force
/// while it sleeps. Wasmtime's WASI sleeps in one `std::thread::sleep` (or a
/// blocking wait) for as long as the guest asks, out of reach of epoch
/// interruption; a guest could hold its thread for years. A sleep (one
/// relative clock subscription, what `sleep`/`nanosleep` compile to) is done
/// here in slices that check the store between them; everything else goes to
/// WASI's own implementation.
fn poll_oneoff(
    own: &Linker<Host>,
    relay: &Module,
    mut caller: Caller<'_, Host>,
    [subs, events, nsubs, nevents]: [i32; 4],
) -> wasmtime::Result<i32> {
    const ERRNO_SUCCESS: i32 = 0;
    const ERRNO_FAULT: i32 = 21;
    // As WASI's own: without a memory export there is nothing to poll with.
    let Some(Extern::Memory(mem)) = caller.get_export("memory") else {
        return Err(wasmtime::Error::msg("missing required memory export"));
    };
    // A sleep: one subscription, on a clock, relative. A subscription:
    // userdata u64 @0, tag u8 @8 (0 = clock), clock id u32 @16, timeout
    // u64 @24, precision u64 @32, flags u16 @40.
    let mut sub = [0u8; 48];
    if nsubs == 1
        && mem.read(&caller, subs as u32 as usize, &mut sub).is_ok()
        && sub[8] == 0
        && u16::from_le_bytes([sub[40], sub[41]]) & 1 == 0
    {
        let ns = u64::from_le_bytes(sub[24..32].try_into().expect("8 bytes"));
        sleep_unless_stopped(&mut caller, Duration::from_nanos(ns))?;
        // The event: userdata u64 @0, error u16 @8 (0), type u8 @10
        // (0 = clock), the rest zero; then the number of events.
        let mut ev = [0u8; 32];
        ev[..8].copy_from_slice(&sub[..8]);
        let wrote = mem
            .write(&mut caller, events as u32 as usize, &ev)
            .and_then(|()| mem.write(&mut caller, nevents as u32 as usize, &1u32.to_le_bytes()));
        return Ok(if wrote.is_ok() {
            ERRNO_SUCCESS
        } else {
            ERRNO_FAULT
        });
    }
    // WASI's own implementation finds the guest's memory through its caller,
    // so it is called from a relay instance that exports that memory.
    // Two live memories never share a base address (it may change when a
    // memory grows: then another relay is made for it).
    let base = mem.data_ptr(&caller);
    let known = caller
        .data()
        .wasi_poll
        .iter()
        .find(|(m, _)| m.data_ptr(&caller) == base);
    let f = match known {
        Some(&(_, f)) => f,
        None => {
            // Each `Linker::get` and instantiation adds to the store: once
            // per guest memory.
            let poll = own.get(&mut caller, P1, "poll_oneoff")?;
            let relay = Instance::new(&mut caller, relay, &[mem.into(), poll])?;
            let f = relay
                .get_func(&mut caller, "poll")
                .ok_or_else(|| wasmtime::Error::msg("poll_oneoff relay has no `poll` export"))?;
            caller.data_mut().wasi_poll.push((mem, f));
            f
        }
    };
    f.typed::<(i32, i32, i32, i32), i32>(&caller)?
        .call(&mut caller, (subs, events, nsubs, nevents))
}

/// Calls WASI's `poll_oneoff` on behalf of a guest whose memory it imports
/// and exports again (WASI looks for the export `memory` of its caller).
const RELAY: &str = r#"(module
  (import "" "memory" (memory 0))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $p (param i32 i32 i32 i32) (result i32)))
  (export "memory" (memory 0))
  (func (export "poll") (param i32 i32 i32 i32) (result i32)
    (call $p (local.get 0) (local.get 1) (local.get 2) (local.get 3))))"#;

/// Sleeps for `d`, in slices of at most 10 ms between which the store's
/// timeout and interrupt are checked; a stop ends the call like an epoch
/// interruption does (`WT_ERR_INTERRUPTED`).
fn sleep_unless_stopped(caller: &mut Caller<'_, Host>, d: Duration) -> wasmtime::Result<()> {
    const SLICE: Duration = Duration::from_millis(10);
    let end = Instant::now().checked_add(d);
    loop {
        if caller.data_mut().should_stop() {
            return Err(wasmtime::Trap::Interrupt.into());
        }
        let now = Instant::now();
        let left = match end {
            Some(end) if end <= now => return Ok(()),
            Some(end) => end - now,
            None => SLICE,
        };
        std::thread::sleep(left.min(SLICE));
    }
}
