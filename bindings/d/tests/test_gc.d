/// Automatic memory management: GC-collected wrappers, finalizers on other
/// threads, host closures kept alive by libwt, deterministic disposal.
module test_gc;

import core.memory : GC;
import core.thread : Thread;

import helpers;
import wt;

enum wat = `(module (import "" "f" (func $f (param i32) (result i32)))
                    (memory (export "memory") 1)
                    (func (export "g") (param i32) (result i32) (call $f (local.get 0))))`;

// Builds complete object graphs and drops every reference to them.
pragma(inline, false) private void makeGarbage(int n)
{
    foreach (i; 0 .. n)
    {
        auto e = new Engine;
        auto s = new Store(e);
        auto l = new Linker(e);
        l.defineFunc("", "f", (int x) => x + i); // a closure: its env is GC-scanned
        auto inst = l.instantiate(s, Module.fromWat(e, wat));
        assert(inst.func("g").call!int(1) == 1 + i);
        assert(inst.memory().size == 65536);
    }
}

// Overwrites the stack below us so that stale references to the garbage are
// not found by the conservative scan.
pragma(inline, false) private void clobberStack()
{
    import core.volatile : volatileStore;

    ubyte[64 * 1024] junk = void;
    foreach (ref b; junk)
        volatileStore(&b, cast(ubyte) 0xA5);
}

@("GC-collected wrappers free their handles without crashing")
unittest
{
    GC.collect();
    const before = handleCount();
    makeGarbage(20);
    // engine, store, caller, linker, module, instance, func, memory per round
    assert(handleCount() >= before + 20 * 7);
    clobberStack();
    GC.collect();
    GC.collect();
    // The conservative scan may keep a round or two alive; most must be gone.
    assert(handleCount() <= before + 2 * 8, "handles still live after collection");
}

@("objects collected by a GC cycle on another thread are freed there")
unittest
{
    GC.collect();
    const before = handleCount();
    makeGarbage(10);
    clobberStack();
    auto t = new Thread({ GC.collect(); }).start(); // finalizers run on this thread
    t.join();
    assert(handleCount() <= before + 2 * 8);
    // The library still works afterwards on this thread.
    auto q = quick(`(module (func (export "f") (result i32) (i32.const 5)))`);
    assert(q.func("f").call!int() == 5);
}

pragma(inline, false) private Linker linkerWithCounter(Engine e)
{
    auto counter = new int[1]; // only the closure (held by libwt) references it
    auto l = new Linker(e);
    l.defineFunc("", "f", (int x) { counter[0] += x; return counter[0]; });
    return l;
}

@("a host closure stays alive while only libwt holds it")
unittest
{
    auto e = new Engine;
    auto l = linkerWithCounter(e);
    clobberStack();
    foreach (_; 0 .. 3)
    {
        GC.collect();
        foreach (i; 0 .. 10_000) // reuse any freed memory
        {
            auto junk = new int[](4);
            junk[] = 0x0BAD_F00D;
        }
    }
    auto s = new Store(e);
    auto g = l.instantiate(s, Module.fromWat(e, wat)).func("g");
    assert(g.call!int(1) == 1);
    assert(g.call!int(2) == 3);
    assert(g.call!int(3) == 6);
}

@("dispose frees at once; a store takes its objects along; late frees are harmless")
unittest
{
    const base = handleCount();
    auto e = new Engine;
    auto s = new Store(e); // + store (its caller handle comes with the first callback)
    auto l = new Linker(e).defineFunc("", "f", (int x) => x);
    auto m = Module.fromWat(e, wat);
    auto inst = l.instantiate(s, m);
    auto g = inst.func("g");
    assert(handleCount() == base + 6);
    g.dispose();
    assert(handleCount() == base + 5);
    s.dispose(); // store and instance
    assert(handleCount() == base + 3);
    // What a late GC finalizer would do: destructors of already freed handles.
    destroy(inst);
    destroy(g);
    destroy(s);
    foreach (obj; [cast(WtObject) l, m, e])
        obj.dispose();
    assert(handleCount() == base);
}

pragma(inline, false) private size_t temporaries(Engine e, int n)
{
    size_t made;
    foreach (i; 0 .. n)
    {
        made += Module.fromWat(e, `(module)`).handle != 0;
        made += new Config().optLevel(WT_OPT_NONE).handle != 0;
        made += new FuncType([WT_I32], []).handle != 0;
    }
    return made;
}

@("temporaries that never escape are freed too (with -O, LDC would move them to the stack)")
unittest
{
    auto e = new Engine;
    GC.collect();
    const before = handleCount();
    assert(temporaries(e, 20) == 60);
    clobberStack();
    GC.collect();
    assert(handleCount() <= before + 3, "temporary wrappers leaked their handles");
}

private struct ForeignJob
{
    ulong store, func;
    int status;
    ulong result;
    char[256] message;
}

// A thread body with no D runtime: a C thread pool's worker, say.
extern (C) private void* foreignCall(void* p) nothrow @nogc
{
    import wt.c : wt_call, wt_error_message_copy;

    auto j = cast(ForeignJob*) p;
    const ulong arg = 21;
    j.status = wt_call(j.store, j.func, &arg, 1, &j.result, 1);
    wt_error_message_copy(j.message.ptr, j.message.length);
    return null;
}

@("a thread the D runtime never knew calls a D host function; after it exits, collections still work")
unittest
{
    import core.sys.posix.pthread : pthread_create, pthread_join, pthread_t;

    auto e = new Engine;
    auto s = new Store(e);
    auto l = new Linker(e);
    int seen;
    l.defineFunc("", "f", (int x) { seen = x; return x * 2; });
    auto inst = l.instantiate(s, Module.fromWat(e, wat));
    auto g = inst.func("g"); // the wrapper owns the handle: kept below
    auto job = new ForeignJob(s.handle, g.handle);
    foreach (round; 0 .. 3)
    {
        pthread_t t;
        assert(pthread_create(&t, null, &foreignCall, job) == 0);
        assert(pthread_join(t, null) == 0);
        import std.conv : text;
        import std.string : fromStringz;
        assert(job.status == WT_OK && job.result == 42 && seen == 21, text(job.status, " ", job.result, " ", seen, " ", job.message.ptr.fromStringz));
        // Before the fix the runtime still listed the exited thread (attached
        // by the callback, never detached), and a collection tried to
        // suspend it.
        GC.collect();
    }
    assert(Thread.getAll().length < 3, "foreign threads stay registered");
    assert(g.call!int(5) == 10);
}
