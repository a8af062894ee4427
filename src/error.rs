//! Status codes and the per-thread "last error" record.
//!
//! Every fallible entry point returns an `int32_t` status. On failure the
//! human-readable message (and, for traps and WASI exits, the trap or exit
//! code) is stored in a thread-local record that stays readable until the
//! next failing call on the same thread. Successful calls leave it untouched,
//! so the hot path never writes thread-local state.

use std::cell::{Cell, RefCell};
use std::ffi::c_char;
use std::fmt;

/// Success.
pub const WT_OK: i32 = 0;
/// The handle is 0, was never issued, or was already freed (stale).
pub const WT_ERR_BAD_HANDLE: i32 = 1;
/// The handle is live but names another kind of object than the function expects.
pub const WT_ERR_WRONG_KIND: i32 = 2;
/// A required pointer argument was NULL.
pub const WT_ERR_NULL_POINTER: i32 = 3;
/// An argument is malformed: invalid UTF-8, an unknown type code, a bad option value.
pub const WT_ERR_INVALID_ARGUMENT: i32 = 4;
/// WAT text or wasm bytes failed to parse, validate or compile.
pub const WT_ERR_COMPILE: i32 = 5;
/// Linking failed: an import is missing or has an incompatible type.
pub const WT_ERR_LINK: i32 = 6;
/// WebAssembly trapped; `wt_error_trap_code` tells which trap.
pub const WT_ERR_TRAP: i32 = 7;
/// Wrong number of arguments or results, or a value of the wrong type.
pub const WT_ERR_SIGNATURE: i32 = 8;
/// An index, offset or length is outside the object's bounds.
pub const WT_ERR_OUT_OF_BOUNDS: i32 = 9;
/// A configured limit was reached (memory or table cap, handle table full).
pub const WT_ERR_LIMIT: i32 = 10;
/// Execution was interrupted (`wt_store_interrupt`) or hit its timeout.
pub const WT_ERR_INTERRUPTED: i32 = 11;
/// The store ran out of fuel.
pub const WT_ERR_OUT_OF_FUEL: i32 = 12;
/// A host callback returned a non-zero status; the message is the callback's.
pub const WT_ERR_CALLBACK: i32 = 13;
/// The object is in use: a store running a call on another thread (a store
/// is used by one thread at a time), a store used on its own thread while a
/// call is in progress outside any host callback, or a linker being defined
/// into while it instantiates.
pub const WT_ERR_BUSY: i32 = 14;
/// A WASI guest called `proc_exit`; `wt_error_exit_code` gives the code.
pub const WT_ERR_EXIT: i32 = 15;
/// An export or item with that name does not exist.
pub const WT_ERR_NOT_FOUND: i32 = 16;
/// The operation is not supported by this object or configuration
/// (e.g. a v128 value in a 64-bit slot, or a disabled feature).
pub const WT_ERR_UNSUPPORTED: i32 = 17;
/// An operating-system operation failed (file, directory, cache).
pub const WT_ERR_IO: i32 = 18;
/// Setting an immutable (const) global.
pub const WT_ERR_IMMUTABLE: i32 = 19;
/// An internal error: a bug in libwt (including a caught Rust panic).
pub const WT_ERR_INTERNAL: i32 = 99;

/// Trap code: the call stack was exhausted.
pub const WT_TRAP_STACK_OVERFLOW: i32 = 0;
/// Trap code: out-of-bounds linear memory access.
pub const WT_TRAP_MEMORY_OUT_OF_BOUNDS: i32 = 1;
/// Trap code: misaligned atomic access.
pub const WT_TRAP_HEAP_MISALIGNED: i32 = 2;
/// Trap code: out-of-bounds table access.
pub const WT_TRAP_TABLE_OUT_OF_BOUNDS: i32 = 3;
/// Trap code: indirect call to a null table entry.
pub const WT_TRAP_INDIRECT_CALL_TO_NULL: i32 = 4;
/// Trap code: indirect call signature mismatch.
pub const WT_TRAP_BAD_SIGNATURE: i32 = 5;
/// Trap code: integer overflow.
pub const WT_TRAP_INTEGER_OVERFLOW: i32 = 6;
/// Trap code: integer division by zero.
pub const WT_TRAP_INTEGER_DIVISION_BY_ZERO: i32 = 7;
/// Trap code: invalid float-to-integer conversion.
pub const WT_TRAP_BAD_CONVERSION_TO_INTEGER: i32 = 8;
/// Trap code: `unreachable` executed.
pub const WT_TRAP_UNREACHABLE: i32 = 9;
/// Trap code: interrupted (epoch deadline, `wt_store_interrupt`, timeout).
pub const WT_TRAP_INTERRUPT: i32 = 10;
/// Trap code: fuel exhausted.
pub const WT_TRAP_OUT_OF_FUEL: i32 = 11;
/// Trap code: null reference dereferenced.
pub const WT_TRAP_NULL_REFERENCE: i32 = 12;
/// Trap code: out-of-bounds array access (GC proposal).
pub const WT_TRAP_ARRAY_OUT_OF_BOUNDS: i32 = 13;
/// Trap code: allocation too large.
pub const WT_TRAP_ALLOCATION_TOO_LARGE: i32 = 14;
/// Trap code: failed reference cast.
pub const WT_TRAP_CAST_FAILURE: i32 = 15;
/// Trap code: atomic wait on non-shared memory.
pub const WT_TRAP_ATOMIC_WAIT_NON_SHARED_MEMORY: i32 = 16;
/// Trap code: an exception was thrown and not caught.
pub const WT_TRAP_UNHANDLED_TAG: i32 = 17;
/// Trap code: any other trap.
pub const WT_TRAP_OTHER: i32 = 99;

/// A failure on its way to the caller: a status plus a message.
#[derive(Debug)]
pub struct Error {
    pub status: i32,
    pub msg: String,
    pub trap_code: i32,
    pub exit_code: i32,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(status: i32, msg: impl Into<String>) -> Error {
        Error {
            status,
            msg: msg.into(),
            trap_code: -1,
            exit_code: 0,
        }
    }
    pub fn bad_handle(h: u64, why: &str) -> Error {
        Error::new(WT_ERR_BAD_HANDLE, format!("handle {h:#x} is {why}"))
    }
    pub fn null(what: &str) -> Error {
        Error::new(WT_ERR_NULL_POINTER, format!("`{what}` is a null pointer"))
    }
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::new(WT_ERR_INVALID_ARGUMENT, msg)
    }
    pub fn internal(msg: impl Into<String>) -> Error {
        Error::new(WT_ERR_INTERNAL, msg)
    }

    /// Records this error as the calling thread's last error and returns its status.
    #[cold]
    #[inline(never)]
    pub fn store(self) -> i32 {
        let status = self.status;
        CODES.set(Codes {
            status,
            trap_code: self.trap_code,
            exit_code: self.exit_code,
        });
        // `try_with`: during thread exit the message record may already be
        // destroyed (a C++ thread_local or pthread key destructor that runs
        // after it may still call libwt); the status is returned regardless
        // and the message reads as `GONE`.
        let _ = MSG.try_with(|l| {
            let mut bytes: Vec<u8> = self.msg.into_bytes();
            bytes.retain(|b| *b != 0);
            bytes.push(0);
            *l.borrow_mut() = Some(Msg { bytes });
        });
        status
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (status {})", self.msg, self.status)
    }
}

/// The codes of a thread's last failure: plain `Copy` data in a thread-local
/// without a destructor, so readable and writable at any point of thread exit.
#[derive(Clone, Copy)]
struct Codes {
    status: i32,
    trap_code: i32,
    exit_code: i32,
}

/// The message of a thread's last failure: the bytes followed by one NUL.
struct Msg {
    bytes: Vec<u8>,
}

thread_local! {
    static CODES: Cell<Codes> = const {
        Cell::new(Codes { status: WT_OK, trap_code: -1, exit_code: 0 })
    };
    static MSG: RefCell<Option<Msg>> = const { RefCell::new(None) };
}

/// What `wt_error_message` reads once the thread's message record has been
/// destroyed (calls made from other thread-exit destructors).
const GONE: &std::ffi::CStr =
    c"(no message: this thread is exiting and its libwt error record is gone)";

/// The thread's last message: `(pointer, length)` of a NUL-terminated
/// string that stays valid until the next failure recorded on this thread.
fn last_msg() -> (*const c_char, usize) {
    MSG.try_with(|m| match &*m.borrow() {
        Some(m) => (m.bytes.as_ptr().cast(), m.bytes.len() - 1),
        None => (c"".as_ptr(), 0),
    })
    .unwrap_or((GONE.as_ptr(), GONE.to_bytes().len()))
}

/// The message of the last failed call on this thread, NUL-terminated UTF-8.
///
/// Returns "" if no call has failed on this thread yet. The pointer stays
/// valid until the next failing libwt call on the same thread; copy it if you
/// need it longer. Never returns NULL. Thread-safe (per-thread record).
/// Calls made while the thread exits, from destructors that run after
/// libwt's own per-thread record is gone, still return their status (and
/// `wt_error_status` reads it), but the message is a fixed text saying so.
#[no_mangle]
pub extern "C" fn wt_error_message() -> *const c_char {
    last_msg().0
}

/// Length in bytes (without the terminating NUL) of `wt_error_message()`.
#[no_mangle]
pub extern "C" fn wt_error_message_len() -> usize {
    last_msg().1
}

/// Copies the last error message of this thread into `buf` (at most `cap`
/// bytes including a terminating NUL, truncated if needed) and returns the full
/// message length without the NUL. With `buf == NULL` or `cap == 0` nothing is
/// written: use this to size a buffer. For FFIs that prefer copying to
/// borrowing a pointer.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn wt_error_message_copy(buf: *mut c_char, cap: usize) -> usize {
    let (p, len) = last_msg();
    if !buf.is_null() && cap > 0 {
        let n = len.min(cap - 1);
        // SAFETY: caller guarantees `cap` writable bytes at `buf`; n < cap;
        // `p` holds `len` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(p, buf, n);
            *buf.add(n) = 0;
        }
    }
    len
}

/// The status of the last failed call on this thread (`WT_OK` if none yet).
#[no_mangle]
pub extern "C" fn wt_error_status() -> i32 {
    CODES.get().status
}

/// The `WT_TRAP_*` code of the last failure on this thread if it was a trap
/// (`WT_ERR_TRAP`, `WT_ERR_INTERRUPTED`, `WT_ERR_OUT_OF_FUEL`), else -1.
#[no_mangle]
pub extern "C" fn wt_error_trap_code() -> i32 {
    CODES.get().trap_code
}

/// The exit code passed to WASI `proc_exit` when the last failure on this
/// thread was `WT_ERR_EXIT`; 0 otherwise.
#[no_mangle]
pub extern "C" fn wt_error_exit_code() -> i32 {
    CODES.get().exit_code
}

fn trap_code(t: wasmtime::Trap) -> i32 {
    use wasmtime::Trap as T;
    match t {
        T::StackOverflow => WT_TRAP_STACK_OVERFLOW,
        T::MemoryOutOfBounds => WT_TRAP_MEMORY_OUT_OF_BOUNDS,
        T::HeapMisaligned => WT_TRAP_HEAP_MISALIGNED,
        T::TableOutOfBounds => WT_TRAP_TABLE_OUT_OF_BOUNDS,
        T::IndirectCallToNull => WT_TRAP_INDIRECT_CALL_TO_NULL,
        T::BadSignature => WT_TRAP_BAD_SIGNATURE,
        T::IntegerOverflow => WT_TRAP_INTEGER_OVERFLOW,
        T::IntegerDivisionByZero => WT_TRAP_INTEGER_DIVISION_BY_ZERO,
        T::BadConversionToInteger => WT_TRAP_BAD_CONVERSION_TO_INTEGER,
        T::UnreachableCodeReached => WT_TRAP_UNREACHABLE,
        T::Interrupt => WT_TRAP_INTERRUPT,
        T::OutOfFuel => WT_TRAP_OUT_OF_FUEL,
        T::NullReference => WT_TRAP_NULL_REFERENCE,
        T::ArrayOutOfBounds => WT_TRAP_ARRAY_OUT_OF_BOUNDS,
        T::AllocationTooLarge => WT_TRAP_ALLOCATION_TOO_LARGE,
        T::CastFailure => WT_TRAP_CAST_FAILURE,
        T::AtomicWaitNonSharedMemory => WT_TRAP_ATOMIC_WAIT_NON_SHARED_MEMORY,
        T::UnhandledTag => WT_TRAP_UNHANDLED_TAG,
        _ => WT_TRAP_OTHER,
    }
}

/// Classifies an error coming out of wasm execution (a call, an
/// instantiation's start function): traps, interrupts, fuel, host callback
/// failures and WASI exits each get their own status; the message carries the
/// cause and the wasm backtrace.
pub fn from_wasmtime(e: wasmtime::Error, timed_out: bool) -> Error {
    from_wasmtime_or(e, timed_out, WT_ERR_TRAP)
}

/// Like [`from_wasmtime`], with the status for errors that are not traps,
/// exits or callback failures (e.g. `WT_ERR_LINK` during instantiation).
pub fn from_wasmtime_or(e: wasmtime::Error, timed_out: bool, fallback: i32) -> Error {
    if let Some(exit) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
        let code = exit.0;
        let mut err = Error::new(WT_ERR_EXIT, format!("guest called proc_exit({code})"));
        err.exit_code = code;
        return err;
    }
    let backtrace = e
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .map(|b| format!("\n{b}"))
        .unwrap_or_default();
    if let Some(cb) = e.downcast_ref::<crate::func::CallbackError>() {
        return Error::new(
            WT_ERR_CALLBACK,
            format!(
                "host callback failed (status {}): {}{backtrace}",
                cb.status, cb.msg
            ),
        );
    }
    // An exception that no wasm handler caught: Wasmtime keeps it as the
    // store's pending exception and reports this marker error.
    if e.is::<wasmtime::ThrownException>() {
        let mut err = Error::new(WT_ERR_TRAP, format!("uncaught wasm exception{backtrace}"));
        err.trap_code = WT_TRAP_UNHANDLED_TAG;
        return err;
    }
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        let code = trap_code(*trap);
        let (status, msg) = match trap {
            wasmtime::Trap::Interrupt if timed_out => (
                WT_ERR_INTERRUPTED,
                "timed out: the store's timeout elapsed".to_string(),
            ),
            wasmtime::Trap::Interrupt => (
                WT_ERR_INTERRUPTED,
                "interrupted: wt_store_interrupt was called".to_string(),
            ),
            wasmtime::Trap::OutOfFuel => (
                WT_ERR_OUT_OF_FUEL,
                "out of fuel: all fuel consumed by WebAssembly".to_string(),
            ),
            t => (WT_ERR_TRAP, format!("{t}")),
        };
        let mut err = Error::new(status, format!("{msg}{backtrace}"));
        err.trap_code = code;
        return err;
    }
    let msg = describe(&e);
    // Resource-limit failures (StoreLimits, trap_on_grow_failure) are plain
    // errors inside Wasmtime; recognise them by their wording.
    let mut err = if msg.contains("limit") || msg.contains("forcing trap when growing") {
        Error::new(WT_ERR_LIMIT, format!("resource limit reached: {msg}"))
    } else {
        Error::new(fallback, msg)
    };
    if err.status == WT_ERR_TRAP {
        err.trap_code = WT_TRAP_OTHER;
    }
    err
}

/// A Wasmtime error as one readable line per cause, without the Rust stack
/// backtrace that `{:?}` adds when `RUST_BACKTRACE` is set.
pub fn describe(e: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
    }
    parts.join("\ncaused by: ")
}
