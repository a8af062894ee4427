/// Errors as D exceptions: traps, bad handles, failing host functions,
/// compile and link errors.
module test_errors;

import std.typecons : tuple;

import helpers;
import wt;

@("traps are TrapExceptions with the trap code, message and backtrace")
unittest
{
    auto q = quick(`(module
        (func $inner (export "unreachable") unreachable)
        (func (export "nested") (call $inner))
        (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
        (memory 1)
        (func (export "oob") (result i32) (i32.load (i32.const 70000)))
        (func $rec (export "recurse") (call $rec)))`);
    auto e = throwsA!TrapException({ q.func("unreachable").call(); });
    assert(e.status == WT_ERR_TRAP && e.trapCode == WT_TRAP_UNREACHABLE);
    e.msg.contains("unreachable");
    assert(e.message == e.msg && e.statusName == "WT_ERR_TRAP");
    e.toString().contains("WT_ERR_TRAP");
    e = throwsA!TrapException({ q.func("nested").call(); });
    e.msg.contains("wasm backtrace");
    e.msg.contains("inner");
    e = throwsA!TrapException({ q.func("div").call!int(0); });
    assert(e.trapCode == WT_TRAP_INTEGER_DIVISION_BY_ZERO);
    e.msg.contains("divide by zero");
    assert(throwsA!TrapException({ q.func("oob").call!int(); }).trapCode == WT_TRAP_MEMORY_OUT_OF_BOUNDS);
    assert(throwsA!TrapException({ q.func("recurse").call(); }).trapCode == WT_TRAP_STACK_OVERFLOW);
    // TrapException is a WtException; the store stays usable after traps.
    assert(failsWith(WT_ERR_TRAP, { q.func("div").call!int(0); }) !is null);
    assert(q.func("div").call!int(1) == 1);
}

@("wrong-kind, stale, zero and forged handles are WtExceptions, never crashes")
unittest
{
    auto q = quick(`(module (memory (export "memory") 1) (func (export "f") (result i32) (i32.const 1)))`);
    // Wrong kind: a memory export looked up as a function, a module as a store.
    failsWith(WT_ERR_WRONG_KIND, { q.instance.func("memory"); }).msg.contains("memory");
    auto mod = Module.fromWat(q.engine, `(module)`);
    ulong out_;
    failsWith(WT_ERR_WRONG_KIND, { check(wt_store_new(mod.handle, &out_)); });
    assert(mod.kind == WT_KIND_MODULE && q.store.kind == WT_KIND_STORE);
    failsWith(WT_ERR_NOT_FOUND, { q.instance.func("nope"); });
    // Zero and forged handles.
    failsWith(WT_ERR_BAD_HANDLE, { check(wt_free(0)); });
    failsWith(WT_ERR_BAD_HANDLE, { check(wt_free(0xDEAD_BEEF_1234_5678)); });
    // Stale: a disposed module; a func whose store was disposed.
    const oldModule = mod.handle;
    mod.dispose();
    mod.dispose(); // idempotent in D
    failsWith(WT_ERR_BAD_HANDLE, { check(wt_free(oldModule)); }); // second free in C: a status
    failsWith(WT_ERR_BAD_HANDLE, { mod.exports(); });
    failsWith(WT_ERR_BAD_HANDLE, { new Store(new Engine().dispose2()); });
    auto f = q.func("f");
    auto mem = q.instance.memory();
    assert(f.call!int() == 1 && mem.size == 65536);
    q.store.dispose();
    failsWith(WT_ERR_BAD_HANDLE, { f.call!int(); });
    failsWith(WT_ERR_BAD_HANDLE, { mem.size; });
    failsWith(WT_ERR_BAD_HANDLE, { q.instance.func("f"); });
    // The wrappers of store-owned handles tolerate the late free.
    destroy(f);
    destroy(mem);
    destroy(q.instance);
}

// Lets a test write `new Store(engine.dispose2())`: a disposed engine.
private Engine dispose2(Engine e)
{
    e.dispose();
    return e;
}

@("a Caller kept after its host call is a stale handle")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    Caller kept;
    auto linker = new Linker(engine);
    linker.defineFunc("", "keep", (Caller c) { kept = c; assert(c.memory().size == 65536); });
    auto inst = linker.instantiate(store, Module.fromWat(engine,
            `(module (import "" "keep" (func $k)) (memory (export "memory") 1)
                     (func (export "run") (call $k)))`));
    inst.func("run").call();
    assert(kept.handle != 0);
    failsWith(WT_ERR_BAD_HANDLE, { kept.memory(); });
    failsWith(WT_ERR_BAD_HANDLE, { kept.setError("x"); });
}

private class Boom : Exception
{
    int code;
    this(int code)
    {
        this.code = code;
        super("boom from D");
    }
}

private int failing(int x)
{
    if (x > 2)
        throw new Boom(x);
    return x * 10;
}

@("a throwing host function traps the guest; the call throws HostException with it")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    auto linker = new Linker(engine).defineFunc!failing("", "failing");
    linker.defineFunc("", "error", (int x) { assert(x != 1, "an assert in a host function"); });
    auto inst = linker.instantiate(store, Module.fromWat(engine, `
      (module
        (import "" "failing" (func $f (param i32) (result i32)))
        (import "" "error" (func $e (param i32)))
        (global $after (mut i32) (i32.const 0))
        (func (export "run") (param i32) (result i32)
          (call $f (local.get 0))
          ;; counts the host calls that returned: not reached when $f throws
          (global.set $after (i32.add (global.get $after) (i32.const 1))))
        (func (export "after") (result i32) (global.get $after))
        (func (export "err") (param i32) (call $e (local.get 0))))`));
    auto run = inst.func("run");
    assert(run.call!int(2) == 20);
    auto e = throwsA!HostException({ run.call!int(5); });
    assert(e.status == WT_ERR_CALLBACK);
    e.msg.contains("boom from D");
    e.msg.contains("Boom");
    auto boom = cast(Boom) e.hostError;
    assert(boom !is null && boom.code == 5, "the D exception comes back");
    assert(inst.func("after").call!int() == 1, "the guest stopped at the failing host call");
    // A D Error (here a failed assert) is caught too, never unwinds into libwt.
    auto e2 = throwsA!HostException({ inst.func("err").call(1); });
    e2.msg.contains("an assert in a host function");
    assert(cast(Error) e2.hostError !is null);
    inst.func("err").call(0);
    assert(run.call!int(1) == 10, "the store still works");
}

@("errors cross nested calls: host -> wasm trap -> host -> caller")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    auto linker = new Linker(engine);
    // The host function re-enters its instance through the Caller; the inner
    // call traps; the TrapException leaves the host function, traps the
    // outer guest, and arrives as the hostError of the outer HostException.
    linker.defineFunc("", "reenter", (Caller c, int x) => c.func("inner").call!int(x) + 1);
    auto inst = linker.instantiate(store, Module.fromWat(engine, `
      (module
        (import "" "reenter" (func $r (param i32) (result i32)))
        (func (export "inner") (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0)))
        (func (export "outer") (param i32) (result i32) (call $r (local.get 0))))`));
    assert(inst.func("outer").call!int(4) == 26);
    auto e = throwsA!HostException({ inst.func("outer").call!int(0); });
    auto trap = cast(TrapException) e.hostError;
    assert(trap !is null && trap.trapCode == WT_TRAP_INTEGER_DIVISION_BY_ZERO);
}

@("compile and link errors: WAT line/column, missing and mistyped imports")
unittest
{
    auto engine = new Engine;
    auto e = failsWith(WT_ERR_COMPILE, { Module.fromWat(engine, "(module\n  (func (result i32)\n    i32.bogus))"); });
    e.msg.contains("line 3, column 5");
    failsWith(WT_ERR_COMPILE, { Module.fromWat(engine, "(module (func (result i32) (i64.const 1)))"); })
        .msg.contains("type mismatch");
    failsWith(WT_ERR_COMPILE, { Module.fromWasm(engine, [0, 'a', 's', 'x']); });
    auto store = new Store(engine);
    auto linker = new Linker(engine);
    auto mod = Module.fromWat(engine, `(module (import "env" "missing" (func (param i32))))`);
    failsWith(WT_ERR_LINK, { linker.instantiate(store, mod); }).msg.contains("missing");
    linker.defineFunc("env", "missing", (long x) {});
    failsWith(WT_ERR_LINK, { linker.instantiate(store, mod); }); // i64 is not i32
    failsWith(WT_ERR_LINK, { linker.defineFunc("env", "missing", (int x) {}); }); // defined twice
    linker.allowShadowing(true).defineFunc("env", "missing", (int x) {});
    assert(linker.instantiate(store, mod).handle != 0);
}
