/// Shared helpers of the D binding tests.
module helpers;

import core.exception : AssertError;
import std.algorithm : canFind;
import std.conv : to;

import wt;

/// An engine, a store and an instance of a module without imports.
struct Quick
{
    Engine engine;
    Store store;
    Instance instance;

    Func func(string name)
    {
        return instance.func(name);
    }
}

Quick quick(string wat)
{
    Quick q;
    q.engine = new Engine;
    q.store = new Store(q.engine);
    auto linker = new Linker(q.engine);
    scope (exit)
        linker.dispose();
    auto mod = Module.fromWat(q.engine, wat);
    scope (exit)
        mod.dispose();
    q.instance = linker.instantiate(q.store, mod);
    return q;
}

/// Runs `dg`, which must throw an `E`; returns it.
E throwsA(E : Throwable = WtException)(scope void delegate() dg, string file = __FILE__, size_t line = __LINE__)
{
    try
        dg();
    catch (E e)
        return e;
    catch (Throwable t)
        throw new AssertError("expected " ~ E.stringof ~ ", got " ~ t.toString(), file, line);
    throw new AssertError("expected " ~ E.stringof ~ ", nothing was thrown", file, line);
}

/// Asserts that `dg` throws a WtException with `status`; returns it.
WtException failsWith(int status, scope void delegate() dg, string file = __FILE__, size_t line = __LINE__)
{
    auto e = throwsA!WtException(dg, file, line);
    if (e.status != status)
        throw new AssertError("expected " ~ wtStatusName(status) ~ ", got " ~ e.toString(), file, line);
    return e;
}

/// Asserts that `haystack` contains `needle`.
void contains(const(char)[] haystack, string needle, string file = __FILE__, size_t line = __LINE__)
{
    if (!haystack.canFind(needle))
        throw new AssertError("\"" ~ haystack.idup ~ "\" lacks \"" ~ needle ~ "\"", file, line);
}
