/**
 * The class API of the libwt D binding.
 *
 * Ownership follows libwt: `Engine`, `Config`, `Store`, `Module`, `Linker`,
 * `FuncType`, `HostFunc`, `WasiConfig` own their handle and free it with
 * `wt_free` in `dispose()` or, failing that, in their destructor (which the
 * GC may run late and on any thread: `wt_free` is thread-safe).
 *
 * `Instance`, `Func`, `Memory`, `Global` and `Table` live in a store: freeing
 * the store frees them. Their wrappers keep the `Store` wrapper alive and
 * free their own handle when disposed or collected (each export lookup makes
 * a new handle); once the store is gone that late free is just an ignored
 * `WT_ERR_BAD_HANDLE`, never a crash.
 *
 * Every failure throws a `WtException` (see `wt.errors`).
 */
module wt.api;

import std.traits : isDelegate, isFunctionPointer, Unqual;
import std.typecons : isTuple, Tuple;

import wt.c;
import wt.errors;
import wt.host;
import wt.values;

/// Base of every wrapper: a libwt handle that it frees.
abstract class WtObject
{
    protected ulong handle_;

    /// The raw handle, for calling the C API directly (0 once disposed).
    final @property ulong handle() const pure nothrow @nogc @safe
    {
        return handle_;
    }

    /// Frees the handle now (later uses fail with `WT_ERR_BAD_HANDLE`).
    /// Calling it again does nothing.
    void dispose() nothrow @nogc
    {
        const h = handle_;
        handle_ = 0;
        if (h != 0)
            wt_free(h); // a store-owned handle may already be gone with its store: ignored
    }

    /// The `WT_KIND_*` of the handle.
    final @property int kind()
    {
        int k;
        check(wt_handle_kind(handle_, &k));
        return k;
    }
}

/**
 * The destructor of every concrete wrapper class (`mixin FreesHandle;`).
 *
 * It must be declared in each final class, not only inherited: with `-O`,
 * LDC's GC2Stack pass moves a `new C` that does not escape to the stack
 * when `C` has no destructor of its own (an inherited one is not seen), and
 * then the destructor never runs. Measured with LDC 1.30: a temporary
 * `Module.fromWat(...)` leaked its libwt handle until this was added.
 */
mixin template FreesHandle()
{
    ~this() nothrow @nogc
    {
        dispose();
    }
}

/// The parameter and result types of a function, func type or host function.
struct Signature
{
    ValType[] params; ///
    ValType[] results; ///

    /// "(i32, i32) -> (i32)"
    string toString() const pure @safe
    {
        return signatureText(cast(const(int)[]) params, cast(const(int)[]) results);
    }
}

/// The signature of a func, functype or callback handle.
Signature signatureOf(ulong h)
{
    size_t np, nr;
    check(wt_func_param_count(h, &np));
    check(wt_func_result_count(h, &nr));
    Signature s;
    s.params = new ValType[np];
    s.results = new ValType[nr];
    foreach (i; 0 .. np)
        check(wt_func_param_type(h, i, cast(int*)&s.params[i]));
    foreach (i; 0 .. nr)
        check(wt_func_result_type(h, i, cast(int*)&s.results[i]));
    return s;
}

/// The libwt version string ("0.1.0").
string wtVersion()
{
    import std.string : fromStringz;

    return wt_version().fromStringz.idup;
}

/// The number of live libwt handles in the process (for leak checks).
size_t handleCount() nothrow @nogc
{
    return wt_handle_count();
}

/// Converts WebAssembly text to binary wasm.
ubyte[] wat2wasm(const(char)[] wat)
{
    ulong b;
    check(wt_wat2wasm(wat.ptr, wat.length, &b));
    scope (exit)
        wt_free(b);
    return bytesOf(b);
}

private ubyte[] bytesOf(ulong bytesHandle)
{
    const(ubyte)* p;
    size_t n;
    check(wt_bytes_data(bytesHandle, &p, &n));
    return p[0 .. n].dup;
}

// Reads a name through the "size with (NULL, 0), then copy" protocol.
private string readName(scope int delegate(ubyte* buf, size_t cap, size_t* len) get)
{
    size_t n;
    const st = get(null, 0, &n);
    if (st != WT_OK && st != WT_ERR_OUT_OF_BOUNDS)
        check(st);
    auto buf = new ubyte[n];
    check(get(buf.ptr, n, &n));
    return cast(string) buf;
}

/// Engine configuration (`wt_config_*`); setters return `this` for chaining.
final class Config : WtObject
{
    mixin FreesHandle;

    ///
    this()
    {
        check(wt_config_new(&handle_));
    }

    /// `WT_OPT_NONE`, `WT_OPT_SPEED` or `WT_OPT_SPEED_AND_SIZE`.
    Config optLevel(int level)
    {
        check(wt_config_set_opt_level(handle_, level));
        return this;
    }

    ///
    Config debugInfo(bool on)
    {
        check(wt_config_set_debug_info(handle_, on));
        return this;
    }

    /// Fuel metering (then set `Store.fuel` before running code).
    Config consumeFuel(bool on)
    {
        check(wt_config_set_consume_fuel(handle_, on));
        return this;
    }

    /// Epoch interruption (on by default; needed by `Store.interrupt` and timeouts).
    Config epochInterruption(bool on)
    {
        check(wt_config_set_epoch_interruption(handle_, on));
        return this;
    }

    /// Enables or disables a `WT_FEATURE_*`.
    Config feature(int feature, bool on)
    {
        check(wt_config_set_feature(handle_, feature, on));
        return this;
    }

    ///
    Config parallelCompilation(bool on)
    {
        check(wt_config_set_parallel_compilation(handle_, on));
        return this;
    }

    /// Native stack available to guest code, in bytes.
    Config maxWasmStack(size_t bytes)
    {
        check(wt_config_set_max_wasm_stack(handle_, bytes));
        return this;
    }

    /// On-disk compilation cache under `dir`.
    Config cacheDir(string dir)
    {
        check(wt_config_set_cache_dir(handle_, dir.ptr, dir.length));
        return this;
    }
}

/// A compilation engine; thread-safe and shareable.
final class Engine : WtObject
{
    mixin FreesHandle;

    /// An engine with libwt's defaults.
    this()
    {
        check(wt_engine_new(&handle_));
    }

    /// An engine from a configuration (copied: the config may be disposed).
    this(Config config)
    {
        check(wt_engine_new_with_config(config.handle, &handle_));
    }

    /// Advances the epoch of every store of this engine.
    void incrementEpoch()
    {
        check(wt_engine_increment_epoch(handle_));
    }
}

/// A store: where instances, functions and memories live. Used by one thread
/// at a time. Disposing it frees everything that lives in it.
final class Store : WtObject
{
    mixin FreesHandle;

    private Engine engine_;

    ///
    this(Engine engine)
    {
        engine_ = engine;
        check(wt_store_new(engine.handle, &handle_));
    }

    /// The engine this store was made for.
    @property Engine engine()
    {
        return engine_;
    }

    /// Remaining fuel (with `Config.consumeFuel`).
    @property ulong fuel()
    {
        ulong f;
        check(wt_store_get_fuel(handle_, &f));
        return f;
    }

    /// Sets the fuel (with `Config.consumeFuel`).
    @property void fuel(ulong f)
    {
        check(wt_store_set_fuel(handle_, f));
    }

    /// Limits each top-level call to `ms` milliseconds (0: no limit).
    void setTimeoutMs(ulong ms)
    {
        check(wt_store_set_timeout_ms(handle_, ms));
    }

    /// Interrupts the code running in this store (from any thread).
    void interrupt()
    {
        check(wt_store_interrupt(handle_));
    }

    /// Caps memories (bytes) and tables (elements); `ulong.max` for no cap.
    void setLimits(ulong memoryBytes, ulong tableElements = ulong.max, bool trapOnGrowFailure = false)
    {
        check(wt_store_set_limits(handle_, memoryBytes, tableElements, trapOnGrowFailure));
    }

    /// Runs the store's garbage collector (externrefs, GC objects).
    void gc()
    {
        check(wt_store_gc(handle_));
    }

    /// Gives the store a WASI context (for modules linked with `Linker.defineWasi`).
    void setWasi(WasiConfig config)
    {
        check(wt_store_set_wasi(handle_, config.handle));
    }

    /// What the guest wrote to a captured WASI stream (1 = stdout, 2 = stderr).
    string wasiOutput(int which = 1)
    {
        ulong b;
        check(wt_store_wasi_output(handle_, which, &b));
        scope (exit)
            wt_free(b);
        return cast(string) bytesOf(b);
    }
}

/// The type of a global import or export: its value type and mutability.
struct GlobalType
{
    ValType content; /// the value type
    bool mutable; /// `(mut T)` (true) or const (false)

    /// As in WAT: "i32", "(mut i64)".
    string toString() const pure @safe
    {
        return mutable ? "(mut " ~ valTypeName(content) ~ ")" : valTypeName(content);
    }
}

/// The limits of a memory import or export, in pages.
struct MemoryType
{
    ulong minimum; /// minimum size in pages
    ulong maximum = ulong.max; /// maximum size in pages; `ulong.max` when there is none
    bool is64; /// a 64-bit memory (memory64)

    /// Whether the memory has a maximum size.
    @property bool hasMaximum() const pure nothrow @nogc @safe
    {
        return maximum != ulong.max;
    }

    /// As in WAT: "1", "1 16", "i64 1 16".
    string toString() const pure @safe
    {
        return limitsText(is64 ? "i64 " : "", minimum, maximum);
    }
}

/// The type of a table import or export: element type and limits.
struct TableType
{
    ValType element; /// `ValType.funcref`, `ValType.externref` or `ValType.anyref`
    ulong minimum; /// minimum number of elements
    ulong maximum = ulong.max; /// maximum number of elements; `ulong.max` when there is none

    /// Whether the table has a maximum size.
    @property bool hasMaximum() const pure nothrow @nogc @safe
    {
        return maximum != ulong.max;
    }

    /// As in WAT: "1 funcref", "0 8 externref".
    string toString() const pure @safe
    {
        return limitsText("", minimum, maximum) ~ " " ~ valTypeName(element);
    }
}

private string limitsText(string prefix, ulong minimum, ulong maximum) pure @safe
{
    import std.conv : to;

    return prefix ~ minimum.to!string ~ (maximum == ulong.max ? "" : " " ~ maximum.to!string);
}

/// An import or export of a module.
struct ItemInfo
{
    string moduleName; /// import module name ("" for exports)
    string name; /// field or export name
    int kind; /// `WT_EXTERN_*`
    Signature signature; /// for functions
    GlobalType globalType; /// for globals (`Module.imports`/`exports` only)
    MemoryType memoryType; /// for memories (`Module.imports`/`exports` only)
    TableType tableType; /// for tables (`Module.imports`/`exports` only)
}

/// A compiled module; thread-safe, instantiable in any store of its engine.
final class Module : WtObject
{
    mixin FreesHandle;

    private this(ulong h)
    {
        handle_ = h;
    }

    /// Compiles WebAssembly text (errors carry line and column).
    static Module fromWat(Engine engine, const(char)[] wat)
    {
        ulong h;
        check(wt_module_from_wat(engine.handle, wat.ptr, wat.length, &h));
        return new Module(h);
    }

    /// Compiles binary wasm.
    static Module fromWasm(Engine engine, const(ubyte)[] wasm)
    {
        ulong h;
        check(wt_module_from_wasm(engine.handle, wasm.ptr, wasm.length, &h));
        return new Module(h);
    }

    /// Validates binary wasm without compiling; throws with the reason if invalid.
    static void validate(Engine engine, const(ubyte)[] wasm)
    {
        check(wt_module_validate(engine.handle, wasm.ptr, wasm.length));
    }

    /// Machine code for `deserialize`.
    ubyte[] serialize()
    {
        ulong b;
        check(wt_module_serialize(handle_, &b));
        scope (exit)
            wt_free(b);
        return bytesOf(b);
    }

    /// Loads a module made by `serialize`. TRUSTED INPUT ONLY (see wt.h).
    static Module deserialize(Engine engine, const(ubyte)[] data)
    {
        ulong h;
        check(wt_module_deserialize(engine.handle, data.ptr, data.length, &h));
        return new Module(h);
    }

    /// The module's imports.
    ItemInfo[] imports()
    {
        size_t n;
        check(wt_module_import_count(handle_, &n));
        auto r = new ItemInfo[n];
        foreach (i, ref it; r)
        {
            it.moduleName = readName((b, c, l) => wt_module_import_module(handle_, i, b, c, l));
            it.name = readName((b, c, l) => wt_module_import_name(handle_, i, b, c, l));
            fillType(1, i, it);
        }
        return r;
    }

    /// The module's exports.
    ItemInfo[] exports()
    {
        size_t n;
        check(wt_module_export_count(handle_, &n));
        auto r = new ItemInfo[n];
        foreach (i, ref it; r)
        {
            it.name = readName((b, c, l) => wt_module_export_name(handle_, i, b, c, l));
            fillType(0, i, it);
        }
        return r;
    }

    /// The type of import `index`, which must be a global (else `WT_ERR_WRONG_KIND`;
    /// `WT_ERR_OUT_OF_BOUNDS` past the last import).
    GlobalType importGlobalType(size_t index)
    {
        return globalTypeOf(1, index);
    }

    /// The type of export `index`, which must be a global (as `importGlobalType`).
    GlobalType exportGlobalType(size_t index)
    {
        return globalTypeOf(0, index);
    }

    /// The limits of import `index`, which must be a memory (else `WT_ERR_WRONG_KIND`;
    /// `WT_ERR_OUT_OF_BOUNDS` past the last import).
    MemoryType importMemoryType(size_t index)
    {
        return memoryTypeOf(1, index);
    }

    /// The limits of export `index`, which must be a memory (as `importMemoryType`).
    MemoryType exportMemoryType(size_t index)
    {
        return memoryTypeOf(0, index);
    }

    /// The type of import `index`, which must be a table (else `WT_ERR_WRONG_KIND`;
    /// `WT_ERR_OUT_OF_BOUNDS` past the last import).
    TableType importTableType(size_t index)
    {
        return tableTypeOf(1, index);
    }

    /// The type of export `index`, which must be a table (as `importTableType`).
    TableType exportTableType(size_t index)
    {
        return tableTypeOf(0, index);
    }

    private GlobalType globalTypeOf(int isImport, size_t i)
    {
        int t, m;
        check(wt_module_item_global_type(handle_, isImport, i, &t, &m));
        return GlobalType(cast(ValType) t, m != 0);
    }

    private MemoryType memoryTypeOf(int isImport, size_t i)
    {
        MemoryType r;
        int is64;
        check(wt_module_item_memory_type(handle_, isImport, i, &r.minimum, &r.maximum, &is64));
        r.is64 = is64 != 0;
        return r;
    }

    private TableType tableTypeOf(int isImport, size_t i)
    {
        TableType r;
        int t;
        check(wt_module_item_table_type(handle_, isImport, i, &t, &r.minimum, &r.maximum));
        r.element = cast(ValType) t;
        return r;
    }

    private void fillType(int isImport, size_t i, ref ItemInfo it)
    {
        ulong ft;
        check(wt_module_item_type(handle_, isImport, i, &it.kind, &ft));
        if (ft != 0)
        {
            scope (exit)
                wt_free(ft);
            it.signature = signatureOf(ft);
        }
        switch (it.kind)
        {
        case WT_EXTERN_GLOBAL:
            it.globalType = globalTypeOf(isImport, i);
            break;
        case WT_EXTERN_MEMORY:
            it.memoryType = memoryTypeOf(isImport, i);
            break;
        case WT_EXTERN_TABLE:
            it.tableType = tableTypeOf(isImport, i);
            break;
        default:
            break;
        }
    }
}

/// A function type, for raw callbacks (`HostFunc`'s constructor).
final class FuncType : WtObject
{
    mixin FreesHandle;

    ///
    this(const(int)[] params, const(int)[] results)
    {
        check(wt_functype_new(params.ptr, params.length, results.ptr, results.length, &handle_));
    }

    ///
    @property Signature signature()
    {
        return signatureOf(handle_);
    }
}

/// A linker: resolves imports by name and instantiates modules.
final class Linker : WtObject
{
    mixin FreesHandle;

    ///
    this(Engine engine)
    {
        check(wt_linker_new(engine.handle, &handle_));
    }

    /// Lets later definitions replace earlier ones.
    Linker allowShadowing(bool on)
    {
        check(wt_linker_allow_shadowing(handle_, on));
        return this;
    }

    /// Defines `module.name` as a host function.
    Linker define(string moduleName, string name, HostFunc func)
    {
        check(wt_linker_define_func(handle_, moduleName.ptr, moduleName.length, name.ptr,
                name.length, func.handle));
        return this;
    }

    /// Defines `module.name` as the D function `fn` (see `wrapFunc`).
    Linker defineFunc(alias fn)(string moduleName, string name)
    {
        auto hf = wrapFunc!fn();
        scope (exit)
            hf.dispose(); // the linker keeps the function
        return define(moduleName, name, hf);
    }

    /// Defines `module.name` as a D delegate or function pointer (see `wrapFunc`).
    Linker defineFunc(F)(string moduleName, string name, F fn)
            if (isDelegate!F || isFunctionPointer!F)
    {
        auto hf = wrapFunc(fn);
        scope (exit)
            hf.dispose();
        return define(moduleName, name, hf);
    }

    /// Defines `module.name` as an item of `store` (func, memory, global or
    /// table); modules linked against it must be instantiated in that store.
    Linker define(Store store, string moduleName, string name, StoreObject item)
    {
        check(wt_linker_define(handle_, store.handle, moduleName.ptr, moduleName.length,
                name.ptr, name.length, item.handle));
        return this;
    }

    /// Defines every export of `instance` under the module name `name`.
    Linker defineInstance(Store store, string name, Instance instance)
    {
        check(wt_linker_define_instance(handle_, store.handle, name.ptr, name.length, instance.handle));
        return this;
    }

    /// Defines the WASI preview 1 functions.
    Linker defineWasi()
    {
        check(wt_linker_define_wasi(handle_));
        return this;
    }

    /// Instantiates `mod` in `store` (runs its start function).
    Instance instantiate(Store store, Module mod)
    {
        ulong h;
        check(wt_linker_instantiate(handle_, store.handle, mod.handle, &h));
        return new Instance(store, store.handle, h);
    }
}

/// Base of the objects that live in a store.
abstract class StoreObject : WtObject
{
    protected Store store_;
    protected ulong ctx_;

    /// `store` keeps the store wrapper alive (null when the object came
    /// through a `Caller`); `context` is the store or caller handle used
    /// for operations.
    this(Store store, ulong context, ulong handle) pure nothrow @nogc @safe
    {
        store_ = store;
        ctx_ = context;
        handle_ = handle;
    }

    /// The store wrapper (null for objects obtained through a `Caller`).
    final @property Store store() pure nothrow @nogc @safe
    {
        return store_;
    }

    /// The store or caller handle used for this object's operations.
    final @property ulong context() const pure nothrow @nogc @safe
    {
        return ctx_;
    }
}

/// An instance of a module.
final class Instance : StoreObject
{
    mixin FreesHandle;

    ///
    this(Store store, ulong context, ulong handle) pure nothrow @nogc @safe
    {
        super(store, context, handle);
    }

    /// The exported function `name`.
    Func func(string name)
    {
        ulong h;
        check(wt_instance_get_func(ctx_, handle_, name.ptr, name.length, &h));
        return new Func(store_, ctx_, h);
    }

    /// The exported memory `name`.
    Memory memory(string name = "memory")
    {
        ulong h;
        check(wt_instance_get_memory(ctx_, handle_, name.ptr, name.length, &h));
        return new Memory(store_, ctx_, h);
    }

    /// The exported global `name`.
    Global global(string name)
    {
        ulong h;
        check(wt_instance_get_global(ctx_, handle_, name.ptr, name.length, &h));
        return new Global(store_, ctx_, h);
    }

    /// The exported table `name`.
    Table table(string name)
    {
        ulong h;
        check(wt_instance_get_table(ctx_, handle_, name.ptr, name.length, &h));
        return new Table(store_, ctx_, h);
    }

    /// Names and `WT_EXTERN_*` kinds of the instance's exports.
    ItemInfo[] exports()
    {
        size_t n;
        check(wt_instance_export_count(ctx_, handle_, &n));
        auto r = new ItemInfo[n];
        foreach (i, ref it; r)
        {
            int k;
            it.name = readName((b, c, l) => wt_instance_export_name(ctx_, handle_, i, b, c, l, &k));
            it.kind = k;
        }
        return r;
    }
}

/// A WebAssembly function (exported by an instance, or made from a host function).
final class Func : StoreObject
{
    mixin FreesHandle;

    private Signature sig_;
    private bool sigKnown_;

    ///
    this(Store store, ulong context, ulong handle) pure nothrow @nogc @safe
    {
        super(store, context, handle);
    }

    /// A func in `store` backed by a host function (for tables, funcref
    /// values, `Linker.define`).
    static Func create(Store store, HostFunc hf)
    {
        ulong h;
        check(wt_func_new(store.handle, hf.handle, &h));
        return new Func(store, store.handle, h);
    }

    /// The function's signature (queried once, then cached).
    @property ref const(Signature) signature()
    {
        if (!sigKnown_)
        {
            sig_ = signatureOf(handle_);
            sigKnown_ = true;
        }
        return sig_;
    }

    /**
     * Calls the function with D values and returns `R`: `void`, a numeric
     * type, a `Func` (funcref) or a `Tuple` of them for several results.
     * Arguments convert without loss to the parameter types (`int` to i32
     * or i64, `float` to f32 or f64, `Func`/`null` to funcref); results must
     * be asked for with their exact D type (i32 -> `int`/`uint`/`bool`,
     * i64 -> `long`/`ulong`, f32 -> `float`, f64 -> `double`).
     *
     * A first argument that is a `Store` or a `Caller` is the context of
     * the call (needed to re-enter from a host function with a func that
     * was not obtained through the caller); otherwise the func's own.
     *
     * Throws: `WtException` (`WT_ERR_SIGNATURE` for mismatched arguments or
     * result types), `TrapException`, `HostException`, ...
     */
    R call(R = void, Args...)(Args args)
    {
        static if (Args.length > 0 && (is(Unqual!(Args[0]) == Store) || is(Unqual!(Args[0]) == Caller)))
            return callIn!R(args[0].handle, args[1 .. $]);
        else
            return callIn!R(ctx_, args);
    }

    private R callIn(R, Args...)(ulong context, Args args)
    {
        alias RT = ResultTypes!R;
        const sig = signature;
        if (sig.params.length != Args.length || sig.results.length != RT.length)
            throw new WtException(WT_ERR_SIGNATURE, "function " ~ sig.toString() ~ " called with "
                    ~ countText(Args.length, "argument") ~ " and " ~ countText(RT.length, "result"));
        ulong[Args.length ? Args.length : 1] a;
        ulong[RT.length ? RT.length : 1] r;
        static foreach (i, A; Args)
        {
            static if (is(A : Func) || is(A == typeof(null)))
            {
                if (sig.params[i] != ValType.funcref)
                    throw argError(i, A.stringof, sig);
                static if (is(A == typeof(null)))
                    a[i] = 0;
                else
                    a[i] = args[i] is null ? 0 : args[i].handle;
            }
            else static if (isWasmNumeric!A)
            {
                if (!toSlotAs(args[i], sig.params[i], a[i]))
                    throw argError(i, A.stringof, sig);
            }
            else
                static assert(0, "cannot pass a " ~ A.stringof ~ " to WebAssembly");
        }
        static foreach (i, T; RT)
        {{
            static if (is(T == Func))
                const ok = sig.results[i] == ValType.funcref;
            else
                const ok = decodesAs!T(sig.results[i]);
            if (!ok)
                throw new WtException(WT_ERR_SIGNATURE, "result " ~ ordinal(i) ~ " of function "
                        ~ sig.toString() ~ " is " ~ valTypeName(sig.results[i]) ~ ", not a D " ~ T.stringof);
        }}
        check(wt_call(context, handle_, a.ptr, Args.length, r.ptr, RT.length));
        static if (is(R == void))
            return;
        else static if (isTuple!R)
        {
            R ret;
            static foreach (i, T; RT)
                ret[i] = decode!T(r[i]);
            return ret;
        }
        else
            return decode!R(r[0]);
    }

    private T decode(T)(ulong slot)
    {
        static if (is(T == Func))
            return slot == 0 ? null : new Func(store_, ctx_, slot);
        else
            return fromSlot!T(slot);
    }

    private static WtException argError(size_t i, string dType, ref const Signature sig)
    {
        return new WtException(WT_ERR_SIGNATURE, "argument " ~ ordinal(i) ~ " of function "
                ~ sig.toString() ~ " is " ~ valTypeName(sig.params[i]) ~ ": a D " ~ dType
                ~ " does not convert to it without loss");
    }

    /// Calls with raw slots (counts must match the signature).
    void callRaw(const(ulong)[] args, ulong[] results)
    {
        check(wt_call(ctx_, handle_, args.ptr, args.length, results.ptr, results.length));
    }
}

private string ordinal(size_t i)
{
    import std.conv : to;

    return "#" ~ (i + 1).to!string;
}

private string countText(size_t n, string what)
{
    import std.conv : to;

    return n.to!string ~ " " ~ what ~ (n == 1 ? "" : "s");
}

/// A linear memory.
final class Memory : StoreObject
{
    mixin FreesHandle;

    ///
    this(Store store, ulong context, ulong handle) pure nothrow @nogc @safe
    {
        super(store, context, handle);
    }

    /// Size in bytes.
    @property ulong size()
    {
        ulong n;
        check(wt_memory_size(ctx_, handle_, &n));
        return n;
    }

    /// Size in pages.
    @property ulong pages()
    {
        ulong n;
        check(wt_memory_pages(ctx_, handle_, &n));
        return n;
    }

    /// Grows by `delta` pages; returns the previous size in pages.
    ulong grow(ulong delta)
    {
        ulong old;
        check(wt_memory_grow(ctx_, handle_, delta, &old));
        return old;
    }

    /// Copies `len` bytes at `offset` (bounds-checked).
    ubyte[] read(ulong offset, size_t len)
    {
        auto buf = new ubyte[len];
        read(offset, buf);
        return buf;
    }

    /// Fills `buf` from `offset` (bounds-checked).
    void read(ulong offset, ubyte[] buf)
    {
        check(wt_memory_read(ctx_, handle_, offset, buf.ptr, buf.length));
    }

    /// The UTF-8 string of `len` bytes at `offset` (validated).
    string readString(ulong offset, size_t len)
    {
        import std.utf : validate;

        auto s = cast(string) read(offset, len);
        validate(s);
        return s;
    }

    /// Copies `data` to `offset` (bounds-checked).
    void write(ulong offset, const(void)[] data)
    {
        check(wt_memory_write(ctx_, handle_, offset, cast(const(ubyte)*) data.ptr, data.length));
    }

    /// Zero-copy view of the whole memory. Invalidated by growth, by any
    /// call into wasm and by freeing the store: do not keep it. The slice
    /// does not keep the store alive (it points outside the GC heap): keep a
    /// reference to the `Store` (or this `Memory`) while you use it.
    ubyte[] data() @system
    {
        ubyte* p;
        size_t n;
        check(wt_memory_data(ctx_, handle_, &p, &n));
        return p[0 .. n];
    }
}

/// A global variable.
final class Global : StoreObject
{
    mixin FreesHandle;

    ///
    this(Store store, ulong context, ulong handle) pure nothrow @nogc @safe
    {
        super(store, context, handle);
    }

    /// The value type.
    @property ValType type()
    {
        int t;
        check(wt_global_type(ctx_, handle_, &t, null));
        return cast(ValType) t;
    }

    /// Whether the global is mutable.
    @property bool mutable()
    {
        int m;
        check(wt_global_type(ctx_, handle_, null, &m));
        return m != 0;
    }

    /// The value, as D type `T` (which must match the global's type exactly).
    T get(T)() if (isWasmNumeric!T)
    {
        const t = type;
        if (!decodesAs!T(t))
            throw new WtException(WT_ERR_SIGNATURE, "global is " ~ valTypeName(t) ~ ", not a D " ~ T.stringof);
        ulong v;
        check(wt_global_get(ctx_, handle_, &v));
        return fromSlot!T(v);
    }

    /// Sets a mutable global (the value converts as `Func.call` arguments do).
    void set(T)(T value) if (isWasmNumeric!T)
    {
        const t = type;
        ulong v;
        if (!toSlotAs(value, t, v))
            throw new WtException(WT_ERR_SIGNATURE, "global is " ~ valTypeName(t) ~ ": a D "
                    ~ T.stringof ~ " does not convert to it without loss");
        check(wt_global_set(ctx_, handle_, v));
    }

    /// The raw slot.
    ulong getRaw()
    {
        ulong v;
        check(wt_global_get(ctx_, handle_, &v));
        return v;
    }
}

/// A table of references.
final class Table : StoreObject
{
    mixin FreesHandle;

    ///
    this(Store store, ulong context, ulong handle) pure nothrow @nogc @safe
    {
        super(store, context, handle);
    }

    /// Number of elements.
    @property ulong size()
    {
        ulong n;
        check(wt_table_size(ctx_, handle_, &n));
        return n;
    }

    /// Element type (`ValType.funcref`, `ValType.externref`, ...).
    @property ValType elementType()
    {
        int t;
        check(wt_table_type(ctx_, handle_, &t));
        return cast(ValType) t;
    }

    /// Element `index` of a funcref table (null for a null reference).
    /// Throws `WtException` (`WT_ERR_SIGNATURE`) for a table of another type:
    /// its elements are not func handles (an externref payload wrapped as a
    /// `Func` would free whatever handle has that number when collected).
    Func getFunc(ulong index)
    {
        requireFuncref();
        const v = getRaw(index);
        return v == 0 ? null : new Func(store_, ctx_, v);
    }

    /// Sets element `index` of a funcref table (null for a null reference).
    /// Throws `WtException` (`WT_ERR_SIGNATURE`) for a table of another type.
    void setFunc(ulong index, Func f)
    {
        requireFuncref();
        setRaw(index, f is null ? 0 : f.handle);
    }

    private void requireFuncref()
    {
        const t = elementType;
        if (t != ValType.funcref)
            throw new WtException(WT_ERR_SIGNATURE, "table holds " ~ valTypeName(t)
                    ~ ", not funcref: use getRaw/setRaw");
    }

    /// Element `index` as a slot (func handle or externref payload; 0 = null).
    ulong getRaw(ulong index)
    {
        ulong v;
        check(wt_table_get(ctx_, handle_, index, &v));
        return v;
    }

    /// Sets element `index` from a slot.
    void setRaw(ulong index, ulong value)
    {
        check(wt_table_set(ctx_, handle_, index, value));
    }

    /// Grows by `delta` elements set to `init` (a slot); returns the old size.
    ulong grow(ulong delta, ulong init = 0)
    {
        ulong old;
        check(wt_table_grow(ctx_, handle_, delta, init, &old));
        return old;
    }
}

/// A WASI configuration (copied into a store by `Store.setWasi`).
final class WasiConfig : WtObject
{
    mixin FreesHandle;

    ///
    this()
    {
        check(wt_wasi_config_new(&handle_));
    }

    /// Appends a command-line argument (the first is the program name).
    WasiConfig arg(string a)
    {
        check(wt_wasi_config_add_arg(handle_, a.ptr, a.length));
        return this;
    }

    /// Adds an environment variable.
    WasiConfig env(string key, string value)
    {
        check(wt_wasi_config_add_env(handle_, key.ptr, key.length, value.ptr, value.length));
        return this;
    }

    /// The guest's stdin reads these bytes, then EOF.
    WasiConfig stdinBytes(const(void)[] data)
    {
        check(wt_wasi_config_set_stdin_bytes(handle_, cast(const(ubyte)*) data.ptr, data.length));
        return this;
    }

    /// The guest's stdin is the process's stdin.
    WasiConfig inheritStdin()
    {
        check(wt_wasi_config_inherit_stdin(handle_));
        return this;
    }

    /// `WT_STDIO_NULL`, `WT_STDIO_INHERIT` or `WT_STDIO_CAPTURE`.
    WasiConfig stdout(int mode)
    {
        check(wt_wasi_config_set_stdout(handle_, mode));
        return this;
    }

    /// As `stdout`.
    WasiConfig stderr(int mode)
    {
        check(wt_wasi_config_set_stderr(handle_, mode));
        return this;
    }

    /// Gives the guest a host directory.
    WasiConfig preopenDir(string hostPath, string guestPath, bool readOnly = true)
    {
        check(wt_wasi_config_preopen_dir(handle_, hostPath.ptr, hostPath.length, guestPath.ptr,
                guestPath.length, readOnly));
        return this;
    }
}
