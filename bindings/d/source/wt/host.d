/**
 * Host functions: D functions and delegates that WebAssembly can call.
 *
 * `wrapFunc!myFunc` (or `wrapFunc(delegate)`) derives the wasm signature
 * from the D signature and returns a `HostFunc`. Every host function goes
 * through one `extern(C)` trampoline, `wtTrampoline`, that dispatches on the
 * `env` pointer libwt passes back: `env` points to a `malloc`ed record whose
 * first field is the dispatcher generated for that D signature, followed by
 * the D function pointer or delegate. The record is freed by the finalizer
 * libwt calls once no linker or store uses the function any more.
 *
 * Host function parameters: an optional first `Caller` (to reach the calling
 * instance's memory and exports), then `int`, `uint`, `long`, `ulong`,
 * `float`, `double` or `bool` values. Results: `void`, one such value, or a
 * `std.typecons.Tuple` of them for several results. A host function that
 * throws traps the guest; the exception comes back out of `Func.call` as the
 * `hostError` of a `HostException`.
 */
module wt.host;

import core.memory : GC;
import core.stdc.stdlib : calloc, free;
import std.meta : staticMap;
import std.traits : isDelegate, isFunctionPointer, isSomeFunction, Parameters, ParameterStorageClass,
    ParameterStorageClassTuple, ReturnType, Unqual;
import std.typecons : isTuple, Tuple;

import wt.api;
import wt.c;
import wt.errors;
import wt.values;

/**
 * The caller of a host function: a handle that stands for the store while
 * the host function runs (calls back into wasm, memory access) and finds
 * the calling instance's exports. Valid only during that host call.
 */
struct Caller
{
    /// The raw caller handle (usable wherever wt.h accepts a store handle).
    ulong handle;

    /// The calling instance's export `name` (any kind) as a raw store-owned
    /// handle, and its `WT_EXTERN_*` kind.
    ulong exportHandle(string name, out int kind)
    {
        ulong h;
        check(wt_caller_get_export(handle, name.ptr, name.length, &h, &kind));
        return h;
    }

    /// The calling instance's exported memory (by default `"memory"`).
    Memory memory(string name = "memory")
    {
        return new Memory(null, handle, expect(name, WT_EXTERN_MEMORY, "a memory"));
    }

    /// The calling instance's exported function `name`; calls made with it
    /// re-enter the store through this caller.
    Func func(string name)
    {
        return new Func(null, handle, expect(name, WT_EXTERN_FUNC, "a function"));
    }

    /// The calling instance's exported global `name`.
    Global global(string name)
    {
        return new Global(null, handle, expect(name, WT_EXTERN_GLOBAL, "a global"));
    }

    /// The calling instance's exported table `name`.
    Table table(string name)
    {
        return new Table(null, handle, expect(name, WT_EXTERN_TABLE, "a table"));
    }

    /// Sets the message the guest traps with when this host function fails
    /// by returning non-zero (the D trampoline does it for exceptions).
    void setError(string msg)
    {
        check(wt_caller_set_error(handle, msg.ptr, msg.length));
    }

    private ulong expect(string name, int wantKind, string what)
    {
        int kind;
        ulong h = exportHandle(name, kind);
        if (kind != wantKind)
        {
            wt_free(h);
            throw new WtException(WT_ERR_WRONG_KIND, "export \"" ~ name ~ "\" of the calling instance is not " ~ what);
        }
        return h;
    }
}

/// A host function object (`WT_KIND_CALLBACK`): a D function or delegate
/// with its wasm signature, ready for `Linker.define` or `Func.create`.
/// Disposing it (or its collection) does not break the linkers and funcs
/// that use it: libwt keeps the function until they are gone.
final class HostFunc : WtObject
{
    mixin FreesHandle;

    /// Wraps a raw callback (`wt_callback_new`): `env` is passed back to
    /// `callback`, `finalizer` (may be null) releases it when unused.
    this(FuncType type, WtCallback callback, void* env, WtFinalizer finalizer)
    {
        check(wt_callback_new(type.handle, callback, env, finalizer, &handle_));
    }

    /// Parameter types of the wasm signature.
    @property ValType[] paramTypes()
    {
        return signatureOf(handle_).params;
    }

    /// Result types of the wasm signature.
    @property ValType[] resultTypes()
    {
        return signatureOf(handle_).results;
    }
}

/// Whether `F` (a function, function pointer or delegate type, or a callable
/// symbol) can be a host function.
template isHostCallable(alias F)
{
    static if (isSomeFunction!F)
        enum isHostCallable = HostSig!F.valid;
    else
        enum isHostCallable = false;
}

private template HostSig(alias F)
{
    alias P = Parameters!F;
    static if (P.length > 0 && is(Unqual!(P[0]) == Caller))
    {
        enum takesCaller = true;
        alias Args = P[1 .. $];
    }
    else
    {
        enum takesCaller = false;
        alias Args = P;
    }
    alias R = ReturnType!F;
    alias Results = ResultTypes!R;
    enum valid = allNumeric!(Args) && allNumeric!(Results) && noRefParams;

    private enum noRefParams = () {
        bool ok = true;
        static foreach (sc; ParameterStorageClassTuple!F)
            ok = ok && (sc & (ParameterStorageClass.ref_ | ParameterStorageClass.out_
                    | ParameterStorageClass.lazy_)) == 0;
        return ok;
    }();
}

private template allNumeric(Ts...)
{
    enum allNumeric = () {
        bool ok = true;
        static foreach (T; Ts)
            ok = ok && isWasmNumeric!T;
        return ok;
    }();
}

/// The wasm function type of a D callable (without its optional `Caller`).
FuncType funcTypeOf(alias F)() if (isSomeFunction!F)
{
    alias S = HostSig!F;
    static assert(S.valid, "cannot make a host function of " ~ F.stringof
            ~ ": parameters must be an optional Caller then int, uint, long, ulong, float, double or bool"
            ~ " (not ref/out/lazy), and the result void, one such value or a Tuple of them");
    int[S.Args.length] p;
    static foreach (i, T; S.Args)
        p[i] = wasmTypeOf!T;
    int[S.Results.length] r;
    static foreach (i, T; S.Results)
        r[i] = wasmTypeOf!T;
    return new FuncType(p[], r[]);
}

/**
 * Turns a D function into a host function, deriving the wasm signature from
 * the D one. `fn` must not need a context (a free or static function, or a
 * function literal); use `wrapFunc(delegate)` for closures.
 *
 * ---
 * static int add(int a, int b) { return a + b; }
 * linker.define("env", "add", wrapFunc!add);
 * ---
 */
HostFunc wrapFunc(alias fn)() if (isSomeFunction!fn)
{
    static if (is(typeof(&fn) P) && isFunctionPointer!P)
        return wrapFunc(&fn);
    else static if (isFunctionPointer!(typeof(fn)) || isDelegate!(typeof(fn)))
        return wrapFunc(fn); // an alias of a function pointer or delegate value
    else
        static assert(0, "wrapFunc!" ~ __traits(identifier, fn) ~ " needs a function without a "
                ~ "context; pass nested functions and closures as delegates: wrapFunc(&fn)");
}

/// Turns a D function pointer or delegate (closures welcome) into a host function.
HostFunc wrapFunc(F)(F f) if (isFunctionPointer!F || isDelegate!F)
{
    alias E = HostEnv!F;
    auto ft = funcTypeOf!F();
    scope (exit)
        ft.dispose(); // the callback keeps its own copy of the signature
    auto env = cast(E*) calloc(1, E.sizeof);
    if (env is null)
        throw new WtException(WT_ERR_INTERNAL, "out of memory");
    env.dispatch = &dispatch!F;
    env.fn = f;
    static if (isDelegate!F)
    {
        env.scanned = true;
        GC.addRange(env, E.sizeof); // the delegate's context is GC memory
    }
    try
        return new HostFunc(ft, &wtTrampoline, env, &wtEnvFinalizer);
    catch (Exception e)
    {
        wtEnvFinalizer(env); // wt_callback_new failed: libwt does not own env
        throw e;
    }
}

private alias Dispatcher = void function(void* env, ulong caller, const(ulong)* args,
        size_t nargs, ulong* results, size_t nresults);

// The common head of every env record: what the trampoline and the finalizer read.
private struct EnvHead
{
    Dispatcher dispatch;
    bool scanned; // registered with GC.addRange
}

private struct HostEnv(F)
{
    EnvHead head;
    F fn;
    alias head this;
}

/// Converts the slots, calls the D function, converts the results. May throw.
private void dispatch(F)(void* envp, ulong caller, const(ulong)* args, size_t nargs,
        ulong* results, size_t nresults)
{
    alias S = HostSig!F;
    auto env = cast(HostEnv!F*) envp;
    if (nargs != S.Args.length || nresults != S.Results.length)
        throw new WtException(WT_ERR_SIGNATURE, "host function called with a mismatched signature");
    Tuple!(staticMap!(Unqual, S.Args)) a;
    static foreach (i, T; S.Args)
        a[i] = fromSlot!(Unqual!T)(args[i]);
    static if (S.takesCaller)
        enum callExpr = "env.fn(Caller(caller), a.expand)";
    else
        enum callExpr = "env.fn(a.expand)";
    static if (is(S.R == void))
        mixin(callExpr ~ ";");
    else
    {
        auto r = mixin(callExpr);
        static if (isTuple!(S.R))
        {
            static foreach (i; 0 .. S.Results.length)
                results[i] = toSlot(r[i]);
        }
        else
            results[0] = toSlot(r);
    }
}

/// The one native callback of this binding (`wt_callback_t`). It never lets
/// a D exception reach libwt: a throwing host function traps the guest with
/// the exception's message (`wt_caller_set_error`) and a non-zero status.
extern (C) int wtTrampoline(void* env, ulong caller, const(ulong)* args, size_t nargs,
        ulong* results, size_t nresults) nothrow
{
    import core.thread : Thread, thread_attachThis, thread_detachThis;

    // A wasm call made from a thread the D runtime does not know (e.g. one
    // created by C code) must be registered before running D code here, and
    // unregistered afterwards: the runtime would otherwise keep a thread
    // that may exit, and its next collection would try to suspend it.
    bool attached;
    if (Thread.getThis() is null)
    {
        try
        {
            thread_attachThis();
            attached = true;
        }
        catch (Throwable)
        {
        }
    }
    const status = dispatchCaught(env, caller, args, nargs, results, nresults);
    if (attached)
    {
        // The caller of wt_call on this thread is not D code, so nothing
        // will collect a pending exception; the GC would not see it here.
        pendingHostError = null;
        try
            thread_detachThis();
        catch (Throwable)
        {
        }
    }
    return status;
}

/// Runs the host function; a D exception becomes the caller's error and a
/// non-zero status.
private int dispatchCaught(void* env, ulong caller, const(ulong)* args, size_t nargs,
        ulong* results, size_t nresults) nothrow
{
    try
    {
        (cast(EnvHead*) env).dispatch(env, caller, args, nargs, results, nresults);
        return 0;
    }
    catch (Throwable t)
    {
        pendingHostError = t;
        string m;
        try
            m = "D host function threw " ~ typeid(t).name ~ ": " ~ t.msg;
        catch (Throwable)
            m = "D host function threw";
        if (wt_caller_set_error(caller, m.ptr, m.length) != WT_OK)
        {
            // Most likely invalid UTF-8 in the exception message.
            enum fallback = "D host function threw an exception";
            wt_caller_set_error(caller, fallback.ptr, fallback.length);
        }
        return 1;
    }
}

/// Frees a host function's env record (libwt calls it on any thread, possibly
/// from a GC finalizer: it neither allocates nor throws).
extern (C) void wtEnvFinalizer(void* env) nothrow @nogc
{
    if ((cast(EnvHead*) env).scanned)
        GC.removeRange(env);
    free(env);
}
