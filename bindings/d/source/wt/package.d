/**
 * D binding of libwt, a handle-based C ABI over Wasmtime.
 *
 * ---
 * import wt;
 *
 * void hello() { writeln("Hello, World!"); }
 *
 * loadWt();                    // WT_LIBRARY, else libwt.so from the loader path
 * auto engine = new Engine;
 * auto store = new Store(engine);
 * auto linker = new Linker(engine).defineFunc!hello("", "hello");
 * auto mod = Module.fromWat(engine, `(module (import "" "hello" (func $h))
 *                                     (func (export "run") (call $h)))`);
 * linker.instantiate(store, mod).func("run").call();
 * ---
 */
module wt;

public import wt.api;
public import wt.c;
public import wt.errors;
public import wt.host;
public import wt.values;

public import std.typecons : Tuple, tuple;
