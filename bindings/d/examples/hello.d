/// The hello world of the libwt D binding: a wasm export calls a D function.
/// Mirrors c-examples/hello.c.
import std.stdio : stderr, writefln, writeln;

import wt;

enum wat = `
(module
  (import "" "hello" (func $hello))
  (func (export "run") (call $hello)))
`;

/// An ordinary D function; wrapFunc derives its wasm type, () -> ().
void hello()
{
    writeln("Hello, World! (from a D host function)");
}

int main()
{
    if (const st = loadWt()) // WT_LIBRARY, else libwt.so via the loader path
    {
        stderr.writefln("cannot load libwt (%s): %s", cast(WtLoadStatus) st, wtLoadError());
        return 1;
    }
    writefln("libwt %s", wtVersion());

    auto engine = new Engine;
    auto store = new Store(engine);
    auto mod = Module.fromWat(engine, wat);
    auto linker = new Linker(engine);
    linker.defineFunc!hello("", "hello");

    auto instance = linker.instantiate(store, mod);
    instance.func("run").call();

    // Deterministic cleanup (the GC would do it later otherwise); the store
    // frees its instance and funcs.
    foreach (obj; [cast(WtObject) store, linker, mod, engine])
        obj.dispose();
    return 0;
}
