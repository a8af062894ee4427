/**
 * The raw C ABI of libwt (`include/wt.h`), loaded at run time with
 * `dlopen`/`dlsym`: there is no link-time dependency on libwt.
 *
 * Call `loadWt()` once before anything else. Every `wt_*` name below is a
 * `__gshared` function pointer that `loadWt` fills in; the constants are the
 * `#define`s of the header. The class API in `wt.api` is built on these.
 */
module wt.c;

import core.stdc.stdlib : getenv;
import core.sync.mutex : Mutex;
import core.sys.posix.dlfcn : dlerror, dlopen, dlsym, RTLD_LOCAL, RTLD_NOW;

// ---------------------------------------------------------------------------
// Constants (the #defines of wt.h, same names and values).
// ---------------------------------------------------------------------------

/// Major version of libwt (matches `Cargo.toml`).
enum int WT_VERSION_MAJOR = 0;
/// Minor version of libwt.
enum int WT_VERSION_MINOR = 1;
/// Patch version of libwt.
enum int WT_VERSION_PATCH = 0;
/// Feature: 128-bit SIMD (on by default).
enum int WT_FEATURE_SIMD = 0;
/// Feature: bulk memory operations (on by default).
enum int WT_FEATURE_BULK_MEMORY = 1;
/// Feature: several linear memories per module (on by default).
enum int WT_FEATURE_MULTI_MEMORY = 2;
/// Feature: threads and shared memories (OFF by default in libwt).
enum int WT_FEATURE_THREADS = 3;
/// Feature: reference types (on by default).
enum int WT_FEATURE_REFERENCE_TYPES = 4;
/// Feature: garbage collection proposal (Wasmtime's default).
enum int WT_FEATURE_GC = 5;
/// Feature: typed function references (Wasmtime's default).
enum int WT_FEATURE_FUNCTION_REFERENCES = 6;
/// Feature: tail calls (on by default).
enum int WT_FEATURE_TAIL_CALL = 7;
/// Feature: 64-bit memories (Wasmtime's default).
enum int WT_FEATURE_MEMORY64 = 8;
/// Feature: relaxed SIMD (on by default).
enum int WT_FEATURE_RELAXED_SIMD = 9;
/// Feature: exception handling (Wasmtime's default).
enum int WT_FEATURE_EXCEPTIONS = 10;
/// Feature: extended constant expressions (on by default).
enum int WT_FEATURE_EXTENDED_CONST = 11;
/// Feature: multi-value (on by default).
enum int WT_FEATURE_MULTI_VALUE = 12;
/// Feature: wide arithmetic (Wasmtime's default).
enum int WT_FEATURE_WIDE_ARITHMETIC = 13;
/// Feature: custom page sizes (Wasmtime's default).
enum int WT_FEATURE_CUSTOM_PAGE_SIZES = 14;
/// Cranelift optimisation level: none (fastest compile).
enum int WT_OPT_NONE = 0;
/// Cranelift optimisation level: speed (default).
enum int WT_OPT_SPEED = 1;
/// Cranelift optimisation level: speed and size.
enum int WT_OPT_SPEED_AND_SIZE = 2;
/// Success.
enum int WT_OK = 0;
/// The handle is 0, was never issued, or was already freed (stale).
enum int WT_ERR_BAD_HANDLE = 1;
/// The handle is live but names another kind of object than the function expects.
enum int WT_ERR_WRONG_KIND = 2;
/// A required pointer argument was NULL.
enum int WT_ERR_NULL_POINTER = 3;
/// An argument is malformed: invalid UTF-8, an unknown type code, a bad option value.
enum int WT_ERR_INVALID_ARGUMENT = 4;
/// WAT text or wasm bytes failed to parse, validate or compile.
enum int WT_ERR_COMPILE = 5;
/// Linking failed: an import is missing or has an incompatible type.
enum int WT_ERR_LINK = 6;
/// WebAssembly trapped; `wt_error_trap_code` tells which trap.
enum int WT_ERR_TRAP = 7;
/// Wrong number of arguments or results, or a value of the wrong type.
enum int WT_ERR_SIGNATURE = 8;
/// An index, offset or length is outside the object's bounds.
enum int WT_ERR_OUT_OF_BOUNDS = 9;
/// A configured limit was reached (memory or table cap, handle table full).
enum int WT_ERR_LIMIT = 10;
/// Execution was interrupted (`wt_store_interrupt`) or hit its timeout.
enum int WT_ERR_INTERRUPTED = 11;
/// The store ran out of fuel.
enum int WT_ERR_OUT_OF_FUEL = 12;
/// A host callback returned a non-zero status; the message is the callback's.
enum int WT_ERR_CALLBACK = 13;
/// The object is in use: a store running on another thread, or re-entered through its store handle instead of the callback's caller handle.
enum int WT_ERR_BUSY = 14;
/// A WASI guest called `proc_exit`; `wt_error_exit_code` gives the code.
enum int WT_ERR_EXIT = 15;
/// An export or item with that name does not exist.
enum int WT_ERR_NOT_FOUND = 16;
/// The operation is not supported by this object or configuration (e.g. a v128 value in a 64-bit slot, or a disabled feature).
enum int WT_ERR_UNSUPPORTED = 17;
/// An operating-system operation failed (file, directory, cache).
enum int WT_ERR_IO = 18;
/// Setting an immutable (const) global.
enum int WT_ERR_IMMUTABLE = 19;
/// An internal error: a bug in libwt (including a caught Rust panic).
enum int WT_ERR_INTERNAL = 99;
/// Trap code: the call stack was exhausted.
enum int WT_TRAP_STACK_OVERFLOW = 0;
/// Trap code: out-of-bounds linear memory access.
enum int WT_TRAP_MEMORY_OUT_OF_BOUNDS = 1;
/// Trap code: misaligned atomic access.
enum int WT_TRAP_HEAP_MISALIGNED = 2;
/// Trap code: out-of-bounds table access.
enum int WT_TRAP_TABLE_OUT_OF_BOUNDS = 3;
/// Trap code: indirect call to a null table entry.
enum int WT_TRAP_INDIRECT_CALL_TO_NULL = 4;
/// Trap code: indirect call signature mismatch.
enum int WT_TRAP_BAD_SIGNATURE = 5;
/// Trap code: integer overflow.
enum int WT_TRAP_INTEGER_OVERFLOW = 6;
/// Trap code: integer division by zero.
enum int WT_TRAP_INTEGER_DIVISION_BY_ZERO = 7;
/// Trap code: invalid float-to-integer conversion.
enum int WT_TRAP_BAD_CONVERSION_TO_INTEGER = 8;
/// Trap code: `unreachable` executed.
enum int WT_TRAP_UNREACHABLE = 9;
/// Trap code: interrupted (epoch deadline, `wt_store_interrupt`, timeout).
enum int WT_TRAP_INTERRUPT = 10;
/// Trap code: fuel exhausted.
enum int WT_TRAP_OUT_OF_FUEL = 11;
/// Trap code: null reference dereferenced.
enum int WT_TRAP_NULL_REFERENCE = 12;
/// Trap code: out-of-bounds array access (GC proposal).
enum int WT_TRAP_ARRAY_OUT_OF_BOUNDS = 13;
/// Trap code: allocation too large.
enum int WT_TRAP_ALLOCATION_TOO_LARGE = 14;
/// Trap code: failed reference cast.
enum int WT_TRAP_CAST_FAILURE = 15;
/// Trap code: atomic wait on non-shared memory.
enum int WT_TRAP_ATOMIC_WAIT_NON_SHARED_MEMORY = 16;
/// Trap code: an exception was thrown and not caught.
enum int WT_TRAP_UNHANDLED_TAG = 17;
/// Trap code: any other trap.
enum int WT_TRAP_OTHER = 99;
/// Handle kind: engine.
enum int WT_KIND_ENGINE = 1;
/// Handle kind: engine configuration.
enum int WT_KIND_CONFIG = 2;
/// Handle kind: store.
enum int WT_KIND_STORE = 3;
/// Handle kind: compiled module.
enum int WT_KIND_MODULE = 4;
/// Handle kind: linker.
enum int WT_KIND_LINKER = 5;
/// Handle kind: instance (lives in a store).
enum int WT_KIND_INSTANCE = 6;
/// Handle kind: function (lives in a store).
enum int WT_KIND_FUNC = 7;
/// Handle kind: linear memory (lives in a store).
enum int WT_KIND_MEMORY = 8;
/// Handle kind: global (lives in a store).
enum int WT_KIND_GLOBAL = 9;
/// Handle kind: table (lives in a store).
enum int WT_KIND_TABLE = 10;
/// Handle kind: owned byte buffer.
enum int WT_KIND_BYTES = 11;
/// Handle kind: function type (parameter and result types).
enum int WT_KIND_FUNCTYPE = 12;
/// Handle kind: host callback (callback + env + finalizer + type).
enum int WT_KIND_CALLBACK = 13;
/// Handle kind: WASI configuration.
enum int WT_KIND_WASI_CONFIG = 14;
/// Handle kind: the caller of a host callback (valid only during the callback).
enum int WT_KIND_CALLER = 15;
/// Extern kind: function.
enum int WT_EXTERN_FUNC = 0;
/// Extern kind: global.
enum int WT_EXTERN_GLOBAL = 1;
/// Extern kind: table.
enum int WT_EXTERN_TABLE = 2;
/// Extern kind: linear memory.
enum int WT_EXTERN_MEMORY = 3;
/// Extern kind: exception tag.
enum int WT_EXTERN_TAG = 4;
/// Value type: 32-bit integer (slot holds the zero-extended bits).
enum int WT_I32 = 0;
/// Value type: 64-bit integer.
enum int WT_I64 = 1;
/// Value type: 32-bit float (slot holds the bit pattern in its low 32 bits).
enum int WT_F32 = 2;
/// Value type: 64-bit float (slot holds the bit pattern).
enum int WT_F64 = 3;
/// Value type: 128-bit vector. Reported by introspection; it does not fit a 64-bit slot, so calls whose signature has one fail with `WT_ERR_UNSUPPORTED`.
enum int WT_V128 = 4;
/// Value type: function reference; the slot holds a func handle, 0 for null.
enum int WT_FUNCREF = 5;
/// Value type: external reference; the slot holds the host's non-zero `uint64_t` payload, 0 for null.
enum int WT_EXTERNREF = 6;
/// Value type: any other reference type (GC proposal `anyref`, `exnref`, ...). Reported by introspection; not passable through a slot (`WT_ERR_UNSUPPORTED`).
enum int WT_ANYREF = 7;
/// Stdio mode: discard output / empty input (default).
enum int WT_STDIO_NULL = 0;
/// Stdio mode: use the host process's stream.
enum int WT_STDIO_INHERIT = 1;
/// Stdio mode: capture output in memory (read it with `wt_store_wasi_output`).
enum int WT_STDIO_CAPTURE = 2;

// ---------------------------------------------------------------------------
// Callback types.
// ---------------------------------------------------------------------------

/// The one host callback type (`wt_callback_t`): return 0 on success, anything
/// else traps the guest (set the message with `wt_caller_set_error` first).
alias WtCallback = extern (C) int function(void* env, ulong caller, const(ulong)* args,
        size_t nargs, ulong* results, size_t nresults) nothrow;

/// Releases a callback's `env` when nothing uses the function any more
/// (`wt_finalizer_t`); may run on any thread.
alias WtFinalizer = extern (C) void function(void* env) nothrow;

// ---------------------------------------------------------------------------
// Prototypes. Only their types are used: `loadWt` resolves each name with
// dlsym into the function pointer of the same name declared below.
// ---------------------------------------------------------------------------

private struct Prototypes
{
extern (C) nothrow @nogc:
    /// The libwt version as a static NUL-terminated string ("MAJOR.MINOR.PATCH"). Never fails; the pointer is valid for the life of the process.
    static const(char)* wt_version();
    /// Frees any handle: engine, config, store, module, linker, instance, func, memory, global, table, bytes, functype, callback or WASI config.
    static int wt_free(ulong handle);
    /// The kind (`WT_KIND_*`) of a live handle. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_NULL_POINTER`.
    static int wt_handle_kind(ulong handle, int* out_kind);
    /// The number of live handles in the process (all kinds and threads, including store-owned ones and each store's caller handle). For leak checks in tests and wrappers. Never fails.
    static size_t wt_handle_count();
    /// Inside a host callback: looks up export `name` of the instance that called the host function (typically its `"memory"`, to read or write the guest's strings and buffers). `*out_handle` receives a handle owned by the store and `*out_kind` (if not NULL) its `WT_EXTERN_*` kind. Each call makes a new handle; it stays valid after the callback, until the store is freed. Statuses: `WT_ERR_BAD_HANDLE` (not inside the callback), `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_NOT_FOUND`, `WT_ERR_UNSUPPORTED` (shared memory, tag).
    static int wt_caller_get_export(ulong caller, const(char)* name, size_t name_len, ulong* out_handle, int* out_kind);
    /// Creates a configuration with libwt's defaults: Wasmtime's defaults, except that the threads proposal is off and epoch interruption is on (so that `wt_store_interrupt` and `wt_store_set_timeout_ms` work).
    static int wt_config_new(ulong* out_config);
    /// Sets the Cranelift optimisation level (`WT_OPT_NONE`, `WT_OPT_SPEED`, `WT_OPT_SPEED_AND_SIZE`). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_config_set_opt_level(ulong config, int level);
    /// Turns DWARF debug information for guest code on (1) or off (0, default). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_config_set_debug_info(ulong config, int on);
    /// Turns fuel metering on (1) or off (0, default). With fuel on, every store starts with 0 fuel: call `wt_store_set_fuel` before running code. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_config_set_consume_fuel(ulong config, int on);
    /// Turns epoch interruption on (1, default) or off (0). Off makes guest code slightly faster but `wt_store_interrupt` and `wt_store_set_timeout_ms` then return `WT_ERR_UNSUPPORTED`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_config_set_epoch_interruption(ulong config, int on);
    /// Enables (1) or disables (0) a WebAssembly feature (`WT_FEATURE_*`). Inconsistent combinations are reported by `wt_engine_new_with_config`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_config_set_feature(ulong config, int feature, int on);
    /// Compiles functions of a module on several threads (1, default) or on the calling thread only (0). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_config_set_parallel_compilation(ulong config, int on);
    /// Sets the maximum native stack (in bytes) that guest code may use before it traps with `WT_TRAP_STACK_OVERFLOW` (Wasmtime's default is 512 KiB). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT` (0).
    static int wt_config_set_max_wasm_stack(ulong config, size_t bytes);
    /// Enables Wasmtime's on-disk compilation cache for engines made from this config, with its files under `dir` (UTF-8 path, created if missing). Compiling the same module again then loads the machine code from disk. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_IO` (directory cannot be created/used).
    static int wt_config_set_cache_dir(ulong config, const(char)* dir, size_t dir_len);
    /// Creates an engine with libwt's default configuration (see `wt_config_new`). `*out_engine` receives a `WT_KIND_ENGINE` handle owned by the caller. Engines are thread-safe and may be shared by any number of stores/threads. Statuses: `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_engine_new(ulong* out_engine);
    /// Creates an engine from a configuration. The config is copied, not consumed: it stays valid and must still be freed. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (inconsistent settings; the message says which).
    static int wt_engine_new_with_config(ulong config, ulong* out_engine);
    /// Advances the engine's epoch by one; every store of the engine whose deadline has passed then checks its interrupt flag and timeout. Safe from any thread. Most users want `wt_store_interrupt` instead. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`.
    static int wt_engine_increment_epoch(ulong engine);
    /// The message of the last failed call on this thread, NUL-terminated UTF-8.
    static const(char)* wt_error_message();
    /// Length in bytes (without the terminating NUL) of `wt_error_message()`.
    static size_t wt_error_message_len();
    /// Copies the last error message of this thread into `buf` (at most `cap` bytes including a terminating NUL, truncated if needed) and returns the full message length without the NUL. With `buf == NULL` or `cap == 0` nothing is written: use this to size a buffer. For FFIs that prefer copying to borrowing a pointer.
    static size_t wt_error_message_copy(char* buf, size_t cap);
    /// The status of the last failed call on this thread (`WT_OK` if none yet).
    static int wt_error_status();
    /// The `WT_TRAP_*` code of the last failure on this thread if it was a trap (`WT_ERR_TRAP`, `WT_ERR_INTERRUPTED`, `WT_ERR_OUT_OF_FUEL`), else -1.
    static int wt_error_trap_code();
    /// The exit code passed to WASI `proc_exit` when the last failure on this thread was `WT_ERR_EXIT`; 0 otherwise.
    static int wt_error_exit_code();
    /// Calls a function.
    static int wt_call(ulong store, ulong func, const(ulong)* args, size_t nargs, ulong* results, size_t nresults);
    /// Creates a host callback object from a functype, a callback, its `env` and an optional `finalizer` that is called with `env` once the callback handle is freed and no linker or store uses the function any more (on whichever thread drops the last use). Use it with `wt_linker_define_func` or `wt_func_new`. `env` must be usable from every thread that calls wasm. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_UNSUPPORTED` (a v128/GC type in the functype).
    static int wt_callback_new(ulong functype, WtCallback callback, void* env, WtFinalizer finalizer, ulong* out_callback);
    /// Creates a func in `store` backed by a host callback object: for passing host functions as funcref values, into tables, or to `wt_linker_define`. `*out_func` receives a func handle owned by the store. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_BUSY`.
    static int wt_func_new(ulong store, ulong callback, ulong* out_func);
    /// Sets the message reported when the running host callback returns a non-zero status (the guest traps and `wt_call` fails with `WT_ERR_CALLBACK` and this message). Call it from inside the callback, with its caller handle, just before returning the non-zero status. Statuses: `WT_ERR_BAD_HANDLE` (not a live caller), `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (invalid UTF-8).
    static int wt_caller_set_error(ulong caller, const(char)* msg, size_t len);
    /// Reads a global into a slot (see the slot encoding of `WT_I32` ...). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (global of another store), `WT_ERR_BUSY`, `WT_ERR_UNSUPPORTED` (v128 or GC value).
    static int wt_global_get(ulong store, ulong global, ulong* out_value);
    /// Writes a slot value to a mutable global. Statuses: as `wt_global_get`, plus `WT_ERR_IMMUTABLE` (const global).
    static int wt_global_set(ulong store, ulong global, ulong value);
    /// The value type code (`WT_I32` ...) and mutability (1 = `mut`) of a global. Either out-pointer may be NULL. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_BUSY`.
    static int wt_global_type(ulong store, ulong global, int* out_type, int* out_mutable);
    /// Looks up the exported function `name` of `instance` in `store` (or a caller of that store). `*out_func` receives a func handle owned by the store (freed with it, or earlier with `wt_free`). Each call makes a new handle: look exports up once and keep the handle. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND` (also: the export is not a function), `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_NOT_FOUND`, `WT_ERR_BUSY`.
    static int wt_instance_get_func(ulong store, ulong instance, const(char)* name, size_t name_len, ulong* out_func);
    /// Looks up the exported memory `name`; `*out_memory` receives a memory handle owned by the store. Statuses: as `wt_instance_get_func`.
    static int wt_instance_get_memory(ulong store, ulong instance, const(char)* name, size_t name_len, ulong* out_memory);
    /// Looks up the exported global `name`; `*out_global` receives a global handle owned by the store. Statuses: as `wt_instance_get_func`.
    static int wt_instance_get_global(ulong store, ulong instance, const(char)* name, size_t name_len, ulong* out_global);
    /// Looks up the exported table `name`; `*out_table` receives a table handle owned by the store. Statuses: as `wt_instance_get_func`.
    static int wt_instance_get_table(ulong store, ulong instance, const(char)* name, size_t name_len, ulong* out_table);
    /// Looks up export `name` of any kind: `*out_handle` receives a store-owned handle and `*out_kind` its `WT_EXTERN_*` kind. Statuses: as `wt_instance_get_func`, plus `WT_ERR_UNSUPPORTED` for shared memories and tags.
    static int wt_instance_get_export(ulong store, ulong instance, const(char)* name, size_t name_len, ulong* out_handle, int* out_kind);
    /// Number of exports of an instance. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_BUSY`.
    static int wt_instance_export_count(ulong store, ulong instance, size_t* out_count);
    /// Copies the name of export `index` of an instance into `(buf, cap)` and its `WT_EXTERN_*` kind into `*out_kind` (if not NULL); see `wt_module_import_module` for the buffer rules. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_OUT_OF_BOUNDS`, `WT_ERR_BUSY`.
    static int wt_instance_export_name(ulong store, ulong instance, size_t index, ubyte* buf, size_t cap, size_t* out_len, int* out_kind);
    /// Creates a linker for `engine`. `*out_linker` receives a `WT_KIND_LINKER` handle owned by the caller. A linker may be shared by threads: defining takes an exclusive lock, instantiating a shared one. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_linker_new(ulong engine, ulong* out_linker);
    /// Lets later definitions replace earlier ones with the same name (1) or reports them as `WT_ERR_LINK` (0, default). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_BUSY`.
    static int wt_linker_allow_shadowing(ulong linker, int on);
    /// Defines the host function `module`.`name` with type `functype`, backed by `callback` with `env` (see `wt_callback_t`). `env` is not finalized; use `wt_callback_new` + `wt_linker_define_func` when it needs a finalizer. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (bad UTF-8), `WT_ERR_LINK` (name already defined), `WT_ERR_UNSUPPORTED` (v128/GC types), `WT_ERR_BUSY`.
    static int wt_linker_define_callback(ulong linker, const(char)* module_, size_t module_len, const(char)* name, size_t name_len, ulong functype, WtCallback callback, void* env);
    /// Defines `module`.`name` as the host function of a callback object made by `wt_callback_new` (whose env finalizer runs once nothing uses it). Statuses: as `wt_linker_define_callback`.
    static int wt_linker_define_func(ulong linker, const(char)* module_, size_t module_len, const(char)* name, size_t name_len, ulong callback);
    /// Defines `module`.`name` as a store-bound item (a func, memory, global or table handle of `store`), e.g. an export of another instance. Modules linked against it must be instantiated in the same store. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_LINK`, `WT_ERR_BUSY`.
    static int wt_linker_define(ulong linker, ulong store, const(char)* module_, size_t module_len, const(char)* name, size_t name_len, ulong item);
    /// Defines every export of `instance` (of `store`) under the module name `name`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_LINK`, `WT_ERR_BUSY`.
    static int wt_linker_define_instance(ulong linker, ulong store, const(char)* name, size_t name_len, ulong instance);
    /// Instantiates `module` in `store`, resolving its imports by name in the linker, and runs its start function. `*out_instance` receives an instance handle owned by the store. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (engine mismatch), `WT_ERR_LINK` (missing or mistyped import: the message names module, field and types), `WT_ERR_BUSY`, and any status of `wt_call` for a failing start function.
    static int wt_linker_instantiate(ulong linker, ulong store, ulong module_, ulong* out_instance);
    /// Current size of a memory in bytes. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (memory of another store), `WT_ERR_BUSY`.
    static int wt_memory_size(ulong store, ulong memory, ulong* out_bytes);
    /// Current size of a memory in pages (64 KiB each, unless the module uses custom page sizes). Statuses: as `wt_memory_size`.
    static int wt_memory_pages(ulong store, ulong memory, ulong* out_pages);
    /// Grows a memory by `delta_pages` pages; `*out_old_pages` (if not NULL) receives the previous size in pages. Growing invalidates pointers from `wt_memory_data`. Fails with `WT_ERR_LIMIT` beyond the memory's maximum or the store's cap (`wt_store_set_limits`); the memory is then unchanged. Statuses: as `wt_memory_size`, plus `WT_ERR_LIMIT`.
    static int wt_memory_grow(ulong store, ulong memory, ulong delta_pages, ulong* out_old_pages);
    /// Copies `len` bytes at `offset` of the memory into `buf`. The whole range must be inside the memory (`WT_ERR_OUT_OF_BOUNDS` otherwise; nothing is copied). Works with a caller handle inside host callbacks. Statuses: as `wt_memory_size`, plus `WT_ERR_OUT_OF_BOUNDS`.
    static int wt_memory_read(ulong store, ulong memory, ulong offset, ubyte* buf, size_t len);
    /// Copies `len` bytes from `buf` into the memory at `offset` (bounds-checked like `wt_memory_read`). Statuses: as `wt_memory_size`, plus `WT_ERR_OUT_OF_BOUNDS`.
    static int wt_memory_write(ulong store, ulong memory, ulong offset, const(ubyte)* buf, size_t len);
    /// Zero-copy access: `*out_data` receives the base address of the memory and `*out_len` its size in bytes. The pointer is invalidated by anything that can grow the memory (`wt_memory_grow`, any call into wasm) and by freeing the store; the embedder must bounds-check its own accesses. Statuses: as `wt_memory_size`.
    static int wt_memory_data(ulong store, ulong memory, ubyte** out_data, size_t* out_len);
    /// Converts WebAssembly text (WAT) to binary wasm.
    static int wt_wat2wasm(const(char)* wat, size_t wat_len, ulong* out_bytes);
    /// Borrows the contents of a bytes handle: `*out_data` points to `*out_len` bytes that stay valid and unchanged until the handle is freed (do not free it while another thread reads the pointer). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_bytes_data(ulong bytes, const(ubyte)** out_data, size_t* out_len);
    /// Creates a bytes handle holding a copy of `(data, len)` (for FFIs that want libwt to own a buffer). Statuses: `WT_ERR_NULL_POINTER`.
    static int wt_bytes_new(const(ubyte)* data, size_t len, ulong* out_bytes);
    /// Compiles a module from WAT text for `engine`. `*out_module` receives a `WT_KIND_MODULE` handle owned by the caller; modules are thread-safe and may be instantiated in any store of the engine. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (not UTF-8), `WT_ERR_COMPILE` (message has line and column).
    static int wt_module_from_wat(ulong engine, const(char)* wat, size_t wat_len, ulong* out_module);
    /// Compiles a module from binary wasm for `engine`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_COMPILE`.
    static int wt_module_from_wasm(ulong engine, const(ubyte)* wasm, size_t wasm_len, ulong* out_module);
    /// Validates binary wasm against the engine's features without compiling it. Returns `WT_OK` if valid, `WT_ERR_COMPILE` with the reason if not. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_COMPILE`.
    static int wt_module_validate(ulong engine, const(ubyte)* wasm, size_t wasm_len);
    /// Serializes a compiled module's machine code to bytes (`WT_KIND_BYTES`, owned by the caller) for `wt_module_deserialize`, skipping compilation later. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INTERNAL`.
    static int wt_module_serialize(ulong module_, ulong* out_bytes);
    /// Loads a module from bytes made by `wt_module_serialize`.
    static int wt_module_deserialize(ulong engine, const(ubyte)* data, size_t len, ulong* out_module);
    /// Number of imports of a module. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_module_import_count(ulong module_, size_t* out_count);
    /// Number of exports of a module. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_module_export_count(ulong module_, size_t* out_count);
    /// Copies the module name of import `index` into `(buf, cap)`; `*out_len` receives the full length. With a too-small buffer nothing is copied and the status is `WT_ERR_OUT_OF_BOUNDS` (call with `buf = NULL, cap = 0` to size). Not NUL-terminated. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS`.
    static int wt_module_import_module(ulong module_, size_t index, ubyte* buf, size_t cap, size_t* out_len);
    /// Copies the field name of import `index` (see `wt_module_import_module`). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS`.
    static int wt_module_import_name(ulong module_, size_t index, ubyte* buf, size_t cap, size_t* out_len);
    /// Copies the name of export `index` (see `wt_module_import_module`). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS`.
    static int wt_module_export_name(ulong module_, size_t index, ubyte* buf, size_t cap, size_t* out_len);
    /// The extern kind (`WT_EXTERN_*`) of import (`is_import` = 1) or export (`is_import` = 0) number `index`; for a function, `*out_functype` (if not NULL) receives a new functype handle owned by the caller, else 0. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_module_item_type(ulong module_, int is_import, size_t index, int* out_kind, ulong* out_functype);
    /// The type of a global import (`is_import` = 1) or export (0): its value type code (`WT_I32` ...) and whether it is mutable (1) or const (0). Either out-pointer may be NULL. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND` (not a module, or the item is not a global), `WT_ERR_OUT_OF_BOUNDS`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_module_item_global_type(ulong module_, int is_import, size_t index, int* out_type, int* out_mutable);
    /// The limits of a memory import or export: minimum and maximum size in pages (`UINT64_MAX` when there is no maximum) and whether it is a 64-bit memory (memory64). Any out-pointer may be NULL. Statuses: as `wt_module_item_global_type` (the item must be a memory).
    static int wt_module_item_memory_type(ulong module_, int is_import, size_t index, ulong* out_min_pages, ulong* out_max_pages, int* out_is_64);
    /// The type of a table import or export: element type code (`WT_FUNCREF`, `WT_EXTERNREF` or `WT_ANYREF`), minimum and maximum element count (`UINT64_MAX` when there is no maximum). Any out-pointer may be NULL. Statuses: as `wt_module_item_global_type` (the item must be a table).
    static int wt_module_item_table_type(ulong module_, int is_import, size_t index, int* out_elem_type, ulong* out_min, ulong* out_max);
    /// Creates a store for an engine. `*out_store` receives a `WT_KIND_STORE` handle owned by the caller. Freeing the store frees every instance, func, memory, global and table handle that lives in it (they become stale). A store is used by one thread at a time (others get `WT_ERR_BUSY`); it may be freed from any thread, even while in use: it is then destroyed when the running call returns. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_store_new(ulong engine, ulong* out_store);
    /// Sets the fuel of a store (requires `wt_config_set_consume_fuel`). Each WebAssembly instruction consumes fuel; at 0 the guest traps with `WT_ERR_OUT_OF_FUEL` and the store stays usable after refuelling. Works with a store or caller handle. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`, `WT_ERR_UNSUPPORTED` (fuel not enabled on the engine).
    static int wt_store_set_fuel(ulong store, ulong fuel);
    /// Reads the remaining fuel of a store. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`, `WT_ERR_NULL_POINTER`, `WT_ERR_UNSUPPORTED` (fuel not enabled).
    static int wt_store_get_fuel(ulong store, ulong* out_fuel);
    /// Limits every top-level call into this store (calls, instantiation) to `ms` milliseconds of wall time; 0 removes the limit. A call that runs longer fails with `WT_ERR_INTERRUPTED` ("timed out") and the store stays usable. Resolution is about 1 ms (a shared background ticker thread is started on first use). Requires epoch interruption (on by default). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`, `WT_ERR_UNSUPPORTED` (epoch interruption disabled).
    static int wt_store_set_timeout_ms(ulong store, ulong ms);
    /// Interrupts the code running in `store` as soon as possible: the running call fails with `WT_ERR_INTERRUPTED` (trap code `WT_TRAP_INTERRUPT`). Safe to call from any thread while another thread runs the store; if the store is idle, its next call is interrupted. Only the store handle is accepted. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_UNSUPPORTED` (epoch interruption disabled).
    static int wt_store_interrupt(ulong store);
    /// Caps this store's resources: each linear memory at `memory_bytes` bytes and each table at `table_elements` elements (`UINT64_MAX` for no cap). Growth beyond a cap fails inside wasm as the spec says (`memory.grow` returns -1), or traps when `trap_on_grow_failure` is 1; instantiating a module whose initial size exceeds a cap fails. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_store_set_limits(ulong store, ulong memory_bytes, ulong table_elements, int trap_on_grow_failure);
    /// Runs Wasmtime's garbage collector for the store's GC heap (externrefs and GC objects no longer referenced are reclaimed). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`.
    static int wt_store_gc(ulong store);
    /// Current number of elements of a table. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT` (table of another store), `WT_ERR_BUSY`.
    static int wt_table_size(ulong store, ulong table, ulong* out_size);
    /// The element type code of a table (`WT_FUNCREF`, `WT_EXTERNREF` or `WT_ANYREF`). Statuses: as `wt_table_size`.
    static int wt_table_type(ulong store, ulong table, int* out_type);
    /// Reads element `index` as a slot: a func handle (owned by the store) or an externref payload; 0 for null. Statuses: as `wt_table_size`, plus `WT_ERR_OUT_OF_BOUNDS`, `WT_ERR_UNSUPPORTED`.
    static int wt_table_get(ulong store, ulong table, ulong index, ulong* out_value);
    /// Sets element `index` from a slot (func handle of this store or externref payload, matching the table's element type; 0 for null). Statuses: as `wt_table_get`.
    static int wt_table_set(ulong store, ulong table, ulong index, ulong value);
    /// Grows a table by `delta` elements initialised to `init` (a slot as in `wt_table_set`); `*out_old_size` (if not NULL) receives the previous size. Fails with `WT_ERR_LIMIT` beyond the table's maximum or the store's cap. Statuses: as `wt_table_get`, plus `WT_ERR_LIMIT`.
    static int wt_table_grow(ulong store, ulong table, ulong delta, ulong init, ulong* out_old_size);
    /// Creates a function type from parameter and result type codes (`WT_I32`, ...).
    static int wt_functype_new(const(int)* params, size_t nparams, const(int)* results, size_t nresults, ulong* out_functype);
    /// Number of parameters of a func, functype or callback handle. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_func_param_count(ulong func, size_t* out_count);
    /// Number of results of a func, functype or callback handle. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_func_result_count(ulong func, size_t* out_count);
    /// Type code (`WT_I32`, ...) of parameter `index` of a func, functype or callback. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS` (index >= parameter count).
    static int wt_func_param_type(ulong func, size_t index, int* out_type);
    /// Type code (`WT_I32`, ...) of result `index` of a func, functype or callback. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_OUT_OF_BOUNDS` (index >= result count).
    static int wt_func_result_type(ulong func, size_t index, int* out_type);
    /// Creates an empty WASI configuration: no args, no env, stdin empty, stdout/stderr discarded, no directories. `*out_config` receives a `WT_KIND_WASI_CONFIG` handle owned by the caller; it is copied (not consumed) by `wt_store_set_wasi`. Statuses: `WT_ERR_NULL_POINTER`.
    static int wt_wasi_config_new(ulong* out_config);
    /// Appends one command-line argument (the first one is the program name by convention). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_wasi_config_add_arg(ulong config, const(char)* arg, size_t len);
    /// Adds an environment variable `key=value`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_wasi_config_add_env(ulong config, const(char)* key, size_t key_len, const(char)* value, size_t value_len);
    /// Makes the guest's stdin read the given bytes (copied) and then EOF. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`.
    static int wt_wasi_config_set_stdin_bytes(ulong config, const(ubyte)* data, size_t len);
    /// Makes the guest's stdin the host process's stdin. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`.
    static int wt_wasi_config_inherit_stdin(ulong config);
    /// Sets the guest's stdout to `WT_STDIO_NULL`, `WT_STDIO_INHERIT` or `WT_STDIO_CAPTURE`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_wasi_config_set_stdout(ulong config, int stdio_mode);
    /// Sets the guest's stderr mode (see `wt_wasi_config_set_stdout`). Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_INVALID_ARGUMENT`.
    static int wt_wasi_config_set_stderr(ulong config, int stdio_mode);
    /// Gives the guest the host directory `host_path` under the name `guest_path`, read-only (`read_only` = 1) or read-write (0). The host directory must exist now (`WT_ERR_IO` otherwise); it is opened by `wt_store_set_wasi`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_IO`.
    static int wt_wasi_config_preopen_dir(ulong config, const(char)* host_path, size_t host_len, const(char)* guest_path, size_t guest_len, int read_only);
    /// Gives `store` a WASI context built from `config` (copied; the config stays valid). Replaces any previous WASI context of the store and its captured output. Modules linked with `wt_linker_define_wasi` use it. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_BUSY`, `WT_ERR_IO`.
    static int wt_store_set_wasi(ulong store, ulong config);
    /// Copies what the guest wrote so far to a captured stream (`which` = 1 for stdout, 2 for stderr) into a new bytes handle owned by the caller. A stream that is not captured yields `WT_ERR_INVALID_ARGUMENT`. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_NULL_POINTER`, `WT_ERR_INVALID_ARGUMENT`, `WT_ERR_BUSY`.
    static int wt_store_wasi_output(ulong store, int which, ulong* out_bytes);
    /// Defines the WASI preview 1 functions (`wasi_snapshot_preview1`) in a linker. A store without `wt_store_set_wasi` gets an empty context (no args, env, stdio or files) when a WASI function is first called. Statuses: `WT_ERR_BAD_HANDLE`, `WT_ERR_WRONG_KIND`, `WT_ERR_LINK`, `WT_ERR_BUSY`.
    static int wt_linker_define_wasi(ulong linker);
}

/// The names of every C function bound here, in header order.
enum string[] wtFunctionNames = [__traits(allMembers, Prototypes)];

// One `__gshared` function pointer per C function, with D mangling (so they
// never interpose on libwt's own symbols): `wt_free`, `wt_call`, ...
static foreach (name; wtFunctionNames)
    mixin("__gshared typeof(&Prototypes." ~ name ~ ") " ~ name ~ ";");

// ---------------------------------------------------------------------------
// Loading.
// ---------------------------------------------------------------------------

/// Result codes of `loadWt` (0 is success).
enum WtLoadStatus : int
{
    ok = 0, /// every symbol was resolved
    libraryNotFound = 1, /// `dlopen` failed (see `wtLoadError`)
    symbolMissing = 2, /// the library lacks a `wt_*` symbol (an older or foreign library)
    versionMismatch = 3, /// the library's major version differs from `WT_VERSION_MAJOR`
}

private __gshared void* libHandle;
private __gshared string lastLoadError;
private __gshared Mutex loadLock;

shared static this()
{
    loadLock = new Mutex;
}

/**
 * Loads libwt and resolves every function of `wt.h` into the `wt_*` function
 * pointers of this module.
 *
 * Params:
 *   path = NUL-terminated path or file name of the library. `null` (the
 *          default) means the environment variable `WT_LIBRARY` if it is set
 *          and not empty, else `"libwt.so"` through the dynamic loader's
 *          search path (`LD_LIBRARY_PATH`, rpath, system directories).
 * Returns: `WtLoadStatus.ok` (0), or a non-zero `WtLoadStatus`; then
 *          `wtLoadError()` says why. A failed load leaves the previously
 *          loaded library (if any) in place. Loading again is allowed and
 *          cheap (`dlopen` reference-counts the library).
 */
int loadWt(const(char)* path = null) nothrow
{
    import core.stdc.string : strlen;

    if (path is null)
    {
        path = getenv("WT_LIBRARY");
        if (path is null || *path == '\0')
            path = "libwt.so";
    }
    loadLock.lock_nothrow();
    scope (exit)
        loadLock.unlock_nothrow();
    {
        void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (lib is null)
        {
            const(char)* e = dlerror();
            lastLoadError = "cannot load " ~ path[0 .. strlen(path)].idup ~ ": "
                ~ (e ? e[0 .. strlen(e)].idup : "dlopen failed");
            return WtLoadStatus.libraryNotFound;
        }
        void*[wtFunctionNames.length] syms;
        static foreach (i, name; wtFunctionNames)
        {
            syms[i] = dlsym(lib, name);
            if (syms[i] is null)
            {
                lastLoadError = "symbol " ~ name ~ " not found in " ~ path[0 .. strlen(path)].idup;
                return WtLoadStatus.symbolMissing;
            }
        }
        // The major version must match the header this binding was written for.
        auto versionFn = cast(typeof(&Prototypes.wt_version)) syms[0];
        static assert(wtFunctionNames[0] == "wt_version");
        const(char)* v = versionFn();
        const vs = v[0 .. strlen(v)];
        size_t dot = 0;
        while (dot < vs.length && vs[dot] != '.')
            dot++;
        if (vs[0 .. dot] != majorString)
        {
            lastLoadError = "libwt " ~ vs.idup ~ " at " ~ path[0 .. strlen(path)].idup
                ~ " does not match this binding (major version " ~ majorString ~ ")";
            return WtLoadStatus.versionMismatch;
        }
        static foreach (i, name; wtFunctionNames)
            mixin(name ~ " = cast(typeof(" ~ name ~ ")) syms[i];");
        libHandle = lib;
        lastLoadError = null;
        return WtLoadStatus.ok;
    }
}

private enum majorString = () {
    import std.conv : to;

    return WT_VERSION_MAJOR.to!string;
}();

/// Whether a `loadWt` call has succeeded.
bool isWtLoaded() nothrow @nogc
{
    return libHandle !is null;
}

/// Why the last failed `loadWt` failed (`null` after a success).
string wtLoadError() nothrow @nogc
{
    return lastLoadError;
}
