/// Memory and strings, globals, tables, introspection, configuration, WASI, threads.
module test_embedding;

import core.memory : GC;
import core.thread : Thread;
import core.time : msecs;
import std.typecons : Tuple, tuple;

import helpers;
import wt;

enum stringsWat = `
(module
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "greet" (func $greet (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from the guest")
  ;; passes a (ptr, len) string to the host
  (func (export "run") (call $log (i32.const 16) (i32.const 20)))
  ;; lets the host write a string at 1024, then logs what it wrote
  (func (export "roundtrip") (result i32) (local $n i32)
    (local.set $n (call $greet (i32.const 1024)))
    (call $log (i32.const 1024) (local.get $n))
    (local.get $n)))
`;

@("memory strings: the guest passes (ptr, len) to a host log; the host writes back")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    string[] logged;
    auto linker = new Linker(engine);
    // The host reads the caller's memory (wt_caller_get_export + wt_memory_read).
    linker.defineFunc("env", "log", (Caller c, uint ptr, uint len) {
        logged ~= c.memory().readString(ptr, len);
    });
    // The host writes into the caller's memory and returns the length.
    linker.defineFunc("env", "greet", (Caller c, uint ptr) {
        enum msg = "greetings from the D host";
        c.memory("memory").write(ptr, msg);
        return cast(int) msg.length;
    });
    auto inst = linker.instantiate(store, Module.fromWat(engine, stringsWat));
    inst.func("run").call();
    assert(logged == ["hello from the guest"]);
    assert(inst.func("roundtrip").call!int() == 25);
    assert(logged[1] == "greetings from the D host");
    // The same bytes seen from outside through the instance's export.
    auto mem = inst.memory();
    assert(mem.readString(1024, 25) == "greetings from the D host");
    assert(cast(string) mem.read(16, 5) == "hello");
}

@("memory: size, grow, bounds-checked read/write, zero-copy data")
unittest
{
    auto q = quick(`(module (memory (export "mem") 1 3) (data (i32.const 8) "abc"))`);
    auto m = q.instance.memory("mem");
    assert(m.size == 65536 && m.pages == 1);
    m.write(65530, "xyzxyz");
    assert(cast(string) m.read(65530, 6) == "xyzxyz");
    failsWith(WT_ERR_OUT_OF_BOUNDS, { m.write(65531, "xyzxyz"); });
    failsWith(WT_ERR_OUT_OF_BOUNDS, { m.read(ulong.max, 2); });
    assert(m.grow(2) == 1 && m.pages == 3);
    failsWith(WT_ERR_LIMIT, { m.grow(1); });
    auto d = m.data();
    assert(d.length == 3 * 65536 && d[8 .. 11] == cast(ubyte[]) "abc");
    failsWith(WT_ERR_OUT_OF_BOUNDS, { m.readString(65536 * 3 - 1, 2); });
    const ubyte[2] bad = [0xFF, 0xFE];
    m.write(0, bad[]);
    throwsA!Exception({ m.readString(0, 2); }); // not UTF-8
}

@("globals: typed get/set, type and mutability, const globals are immutable")
unittest
{
    auto q = quick(`(module
        (global (export "counter") (mut i64) (i64.const 41))
        (global (export "pi") f64 (f64.const 3.25))
        (global (export "small") (mut f32) (f32.const 0.5))
        (func (export "bump") (result i64)
          (global.set 0 (i64.add (global.get 0) (i64.const 1))) (global.get 0)))`);
    auto counter = q.instance.global("counter");
    assert(counter.type == ValType.i64 && counter.mutable);
    assert(counter.get!long == 41);
    assert(q.func("bump").call!long() == 42 && counter.get!long == 42);
    counter.set(-100); // int converts to i64
    assert(q.func("bump").call!long() == -99);
    auto pi = q.instance.global("pi");
    assert(pi.get!double == 3.25 && !pi.mutable);
    failsWith(WT_ERR_IMMUTABLE, { pi.set(1.0); });
    failsWith(WT_ERR_SIGNATURE, { pi.get!float; });
    auto small = q.instance.global("small");
    small.set(1.75f);
    assert(small.get!float == 1.75f && fromSlot!float(small.getRaw()) == 1.75f);
    failsWith(WT_ERR_SIGNATURE, { small.set(1.75); }); // double would lose precision
}

@("tables and funcref: D host funcs in a table, called indirectly; Func values")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    auto linker = new Linker(engine);
    auto inst = linker.instantiate(store, Module.fromWat(engine, `
      (module
        (type $bin (func (param i32 i32) (result i32)))
        (table (export "t") 2 10 funcref)
        (func $sub (export "sub") (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
        (elem (i32.const 0) $sub)
        (func (export "apply") (param i32 i32 i32) (result i32)
          (call_indirect (type $bin) (local.get 1) (local.get 2) (local.get 0)))
        (func (export "id") (param funcref) (result funcref) (local.get 0)))`));
    auto t = inst.table("t");
    assert(t.size == 2 && t.elementType == ValType.funcref);
    auto apply = inst.func("apply");
    assert(apply.call!int(0, 10, 3) == 7);
    // A D delegate as a wasm function in the table.
    int calls;
    auto mul = Func.create(store, wrapFunc((int a, int b) { calls++; return a * b; }));
    t.setFunc(1, mul);
    assert(apply.call!int(1, 6, 7) == 42 && calls == 1);
    assert(t.getFunc(1).call!int(2, 3) == 6 && calls == 2);
    assert(t.getFunc(0).call!int(2, 3) == -1);
    assert(t.grow(3) == 2 && t.size == 5 && t.getFunc(4) is null);
    assert(throwsA!TrapException({ apply.call!int(4, 1, 1); }).trapCode == WT_TRAP_INDIRECT_CALL_TO_NULL);
    failsWith(WT_ERR_OUT_OF_BOUNDS, { t.getRaw(5); });
    // funcref values through calls.
    auto back = inst.func("id").call!Func(mul);
    assert(back !is null && back.call!int(4, 5) == 20);
    assert(inst.func("id").call!Func(null) is null);
    failsWith(WT_ERR_SIGNATURE, { apply.call!int(mul, 1, 1); });
    // An externref table holds payloads, not func handles: no Func views.
    auto refs = linker.instantiate(store, Module.fromWat(engine,
        `(module (table (export "r") 1 externref))`)).table("r");
    refs.setRaw(0, 77);
    failsWith(WT_ERR_SIGNATURE, { refs.getFunc(0); });
    failsWith(WT_ERR_SIGNATURE, { refs.setFunc(0, mul); });
    assert(refs.getRaw(0) == 77);
}

@("module and instance introspection: imports, exports and signatures")
unittest
{
    auto engine = new Engine;
    auto mod = Module.fromWat(engine, `(module
        (import "env" "log" (func (param i32 i32)))
        (import "env" "mem" (memory 1))
        (func (export "add") (param i64 f32) (result f64 i32) (f64.const 0) (i32.const 0))
        (global (export "g") i32 (i32.const 0)))`);
    auto imps = mod.imports();
    assert(imps.length == 2);
    assert(imps[0].moduleName == "env" && imps[0].name == "log" && imps[0].kind == WT_EXTERN_FUNC);
    assert(imps[0].signature.toString() == "(i32, i32) -> ()");
    assert(imps[1].name == "mem" && imps[1].kind == WT_EXTERN_MEMORY);
    auto exps = mod.exports();
    assert(exps.length == 2 && exps[0].name == "add" && exps[1].kind == WT_EXTERN_GLOBAL);
    assert(exps[0].signature.params == [ValType.i64, ValType.f32]);
    assert(exps[0].signature.results == [ValType.f64, ValType.i32]);
    // Binary round trips: wat2wasm, validate, fromWasm, serialize/deserialize.
    auto wasm = wat2wasm(`(module (func (export "seven") (result i32) (i32.const 7)))`);
    assert(wasm[0 .. 4] == [0, 'a', 's', 'm']);
    Module.validate(engine, wasm);
    failsWith(WT_ERR_COMPILE, { Module.validate(engine, wasm[0 .. $ - 1]); });
    auto again = Module.deserialize(engine, Module.fromWasm(engine, wasm).serialize());
    auto store = new Store(engine);
    auto inst = new Linker(engine).instantiate(store, again);
    assert(inst.func("seven").call!int() == 7);
    assert(inst.exports().length == 1 && inst.exports()[0].name == "seven");
    auto hf = wrapFunc((Caller c, long a, double b) => tuple(1.0f, 2));
    assert(hf.paramTypes == [ValType.i64, ValType.f64] && hf.resultTypes == [ValType.f32, ValType.i32]);
}

@("module introspection: global, memory and table types of imports and exports")
unittest
{
    auto engine = new Engine;
    auto mod = Module.fromWat(engine, `(module
        (import "env" "counter" (global (mut i64)))
        (import "env" "pi" (global f64))
        (import "env" "mem" (memory 1 4))
        (import "env" "refs" (table 2 externref))
        (global (export "g32") (mut i32) (i32.const 7))
        (global (export "gf32") f32 (f32.const 1.5))
        (memory (export "memory") 2)
        (memory (export "mem64") i64 1 16)
        (table (export "t") 3 10 funcref)
        (table (export "t0") 0 externref)
        (func (export "f")))`);
    scope (exit)
        mod.dispose();

    // One item at a time.
    assert(mod.importGlobalType(0) == GlobalType(ValType.i64, true));
    assert(mod.importGlobalType(1) == GlobalType(ValType.f64, false));
    assert(mod.exportGlobalType(0) == GlobalType(ValType.i32, true));
    assert(mod.exportGlobalType(1) == GlobalType(ValType.f32, false));
    assert(mod.importGlobalType(0).toString() == "(mut i64)" && mod.importGlobalType(1).toString() == "f64");

    const imem = mod.importMemoryType(2);
    assert(imem.minimum == 1 && imem.maximum == 4 && imem.hasMaximum && !imem.is64);
    const mem = mod.exportMemoryType(2);
    assert(mem.minimum == 2 && mem.maximum == ulong.max && !mem.hasMaximum && !mem.is64);
    const mem64 = mod.exportMemoryType(3);
    assert(mem64.minimum == 1 && mem64.maximum == 16 && mem64.is64);
    assert(imem.toString() == "1 4" && mem.toString() == "2" && mem64.toString() == "i64 1 16");

    const irefs = mod.importTableType(3);
    assert(irefs.element == ValType.externref && irefs.minimum == 2 && irefs.maximum == ulong.max && !irefs.hasMaximum);
    const t = mod.exportTableType(4);
    assert(t.element == ValType.funcref && t.minimum == 3 && t.maximum == 10 && t.hasMaximum);
    assert(mod.exportTableType(5) == TableType(ValType.externref, 0, ulong.max));
    assert(t.toString() == "3 10 funcref" && irefs.toString() == "2 externref");

    // The same through imports() and exports(), next to the kinds.
    auto imps = mod.imports();
    assert(imps.length == 4);
    assert(imps[0].kind == WT_EXTERN_GLOBAL && imps[0].globalType == GlobalType(ValType.i64, true));
    assert(imps[1].kind == WT_EXTERN_GLOBAL && imps[1].globalType == GlobalType(ValType.f64, false));
    assert(imps[2].kind == WT_EXTERN_MEMORY && imps[2].memoryType == imem);
    assert(imps[3].kind == WT_EXTERN_TABLE && imps[3].tableType == irefs);
    auto exps = mod.exports();
    assert(exps.length == 7);
    assert(exps[0].name == "g32" && exps[0].globalType.toString() == "(mut i32)");
    assert(exps[1].name == "gf32" && exps[1].globalType.toString() == "f32");
    assert(exps[2].name == "memory" && exps[2].memoryType == mem);
    assert(exps[3].name == "mem64" && exps[3].memoryType == mem64);
    assert(exps[4].name == "t" && exps[4].tableType == t);
    assert(exps[5].name == "t0" && exps[5].tableType.toString() == "0 externref");
    assert(exps[6].name == "f" && exps[6].kind == WT_EXTERN_FUNC && exps[6].signature.toString() == "() -> ()");

    // The item must be of the asked kind: WT_ERR_WRONG_KIND otherwise.
    failsWith(WT_ERR_WRONG_KIND, { mod.importGlobalType(2); }).msg.contains("kind"); // a memory
    failsWith(WT_ERR_WRONG_KIND, { mod.exportGlobalType(2); }); // a memory
    failsWith(WT_ERR_WRONG_KIND, { mod.importMemoryType(3); }); // a table
    failsWith(WT_ERR_WRONG_KIND, { mod.exportTableType(0); }); // a global
    failsWith(WT_ERR_WRONG_KIND, { mod.exportMemoryType(6); }); // a function
    // Past the last item, and on a module that is gone.
    failsWith(WT_ERR_OUT_OF_BOUNDS, { mod.importGlobalType(4); });
    failsWith(WT_ERR_OUT_OF_BOUNDS, { mod.exportTableType(7); });
    auto gone = Module.fromWat(engine, `(module (global (export "g") i32 (i32.const 0)))`);
    assert(gone.exportGlobalType(0) == GlobalType(ValType.i32, false));
    gone.dispose();
    failsWith(WT_ERR_BAD_HANDLE, { gone.exportGlobalType(0); });

    // A shared memory (threads enabled): its limits; the API has no shared flag.
    auto threaded = new Engine(new Config().feature(WT_FEATURE_THREADS, true));
    auto shared_ = Module.fromWat(threaded, `(module (memory (export "m") 1 3 shared))`);
    const sm = shared_.exportMemoryType(0);
    assert(sm.minimum == 1 && sm.maximum == 3 && !sm.is64);
}

@("config: fuel runs out as a TrapException; refuelled stores go on")
unittest
{
    auto config = new Config().consumeFuel(true).optLevel(WT_OPT_NONE);
    auto engine = new Engine(config);
    config.dispose();
    auto store = new Store(engine);
    auto inst = new Linker(engine).instantiate(store, Module.fromWat(engine,
            `(module (func (export "spin") (loop (br 0))) (func (export "one") (result i32) (i32.const 1)))`));
    store.fuel = 10_000;
    auto e = throwsA!TrapException({ inst.func("spin").call(); });
    assert(e.status == WT_ERR_OUT_OF_FUEL && e.trapCode == WT_TRAP_OUT_OF_FUEL);
    store.fuel = 100;
    assert(inst.func("one").call!int() == 1 && store.fuel < 100);
    failsWith(WT_ERR_INVALID_ARGUMENT, { new Config().optLevel(42); });
}

@("interrupt from another thread and timeouts stop an endless guest")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    auto inst = new Linker(engine).instantiate(store, Module.fromWat(engine,
            `(module (func (export "spin") (loop (br 0))))`));
    auto t = new Thread({ Thread.sleep(50.msecs); store.interrupt(); }).start();
    auto e = throwsA!TrapException({ inst.func("spin").call(); });
    t.join();
    assert(e.status == WT_ERR_INTERRUPTED && e.trapCode == WT_TRAP_INTERRUPT);
    store.setTimeoutMs(30);
    e = throwsA!TrapException({ inst.func("spin").call(); });
    assert(e.status == WT_ERR_INTERRUPTED);
    e.msg.contains("timed out");
}

@("threads: stores run in parallel; host functions run on the calling thread; GC meanwhile")
unittest
{
    import core.atomic : atomicOp;

    auto engine = new Engine;
    auto mod = Module.fromWat(engine, `(module (import "" "who" (func $who (result i64)))
        (func (export "run") (param i32) (result i64) (local $s i64)
          (loop $l (local.set $s (i64.add (local.get $s) (call $who)))
                   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
          (local.get $s)))`);
    shared int mismatches;
    Thread[] threads;
    long[4] sums;
    Thread spawn(int n) // one frame per thread, so each closure has its own n
    {
        return new Thread({
            auto store = new Store(engine);
            auto self = Thread.getThis();
            auto linker = new Linker(engine);
            int calls;
            linker.defineFunc("", "who", () {
                if (Thread.getThis() !is self)
                    mismatches.atomicOp!"+="(1);
                // Allocate, and now and then collect: the GC stops the other
                // threads while they run wasm, and scans their stacks.
                auto junk = new long[](8);
                junk[] = n;
                if (++calls % 250 == 0)
                    GC.collect();
                return junk[3] + 1;
            });
            sums[n] = linker.instantiate(store, mod).func("run").call!long(1000);
        }).start();
    }

    foreach (n; 0 .. 4)
        threads ~= spawn(n);
    foreach (t; threads)
        t.join();
    assert(mismatches == 0);
    assert(sums == [1000, 2000, 3000, 4000]);
}

@("WASI: a guest writes to a captured stdout")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    store.setWasi(new WasiConfig().arg("prog").stdout(WT_STDIO_CAPTURE));
    auto linker = new Linker(engine).defineWasi();
    auto inst = linker.instantiate(store, Module.fromWat(engine, `
      (module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 8) "hi from WASI\n")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 8))
          (i32.store (i32.const 4) (i32.const 13))
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100))))
        (func (export "quit") (call $exit (i32.const 3))))`));
    inst.func("_start").call();
    assert(store.wasiOutput(1) == "hi from WASI\n");
    auto e = throwsA!ExitException({ inst.func("quit").call(); });
    assert(e.exitCode == 3 && e.status == WT_ERR_EXIT);
    failsWith(WT_ERR_INVALID_ARGUMENT, { store.wasiOutput(2); }); // stderr is not captured
}
