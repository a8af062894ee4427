/// Loading, hello world, numbers, multi-value and typed calls.
module test_basics;

import std.math : isClose, isNaN;
import std.typecons : Tuple, tuple;

import helpers;
import wt;

@("loadWt reports a missing library or symbol and keeps the loaded one")
unittest
{
    assert(isWtLoaded());
    assert(loadWt("/nonexistent/dir/libwt.so") == WtLoadStatus.libraryNotFound);
    wtLoadError().contains("/nonexistent/dir/libwt.so");
    // A real library that is not libwt: the first wt_* symbol is missing.
    assert(loadWt("libc.so.6") == WtLoadStatus.symbolMissing);
    wtLoadError().contains("wt_version");
    // Still usable, and loading the real library again is fine.
    assert(wtVersion() == "0.1.0");
    assert(loadWt() == WtLoadStatus.ok && wtLoadError() is null);
    assert(new Engine().handle != 0);
}

@("every bound function matches its prototype in include/wt.h")
unittest
{
    import std.algorithm : map, sort;
    import std.array : array, join, split;
    import std.file : readText;
    import std.process : environment;
    import std.regex : matchAll, regex, replaceAll;
    import std.stdio : writeln;
    import std.string : strip;
    import std.traits : Parameters, ReturnType;

    // C types of wt.h -> the D types they are bound as.
    enum string[string] dType = [
        "int32_t": "int", "uint64_t": "ulong", "size_t": "ulong", "void": "void",
        "const char *": "const(char)*", "char *": "char*", "uint8_t *": "ubyte*",
        "const uint8_t *": "const(ubyte)*", "uint8_t **": "ubyte**",
        "const uint8_t **": "const(ubyte)**", "int32_t *": "int*", "uint64_t *": "ulong*",
        "size_t *": "ulong*", "const uint64_t *": "const(ulong)*", "const int32_t *": "const(int)*",
        "void *": "void*", "wt_callback_t": "WtCallback", "wt_finalizer_t": "WtFinalizer",
    ];
    const path = environment.get("WT_HEADER", "include/wt.h");
    string[string] header; // name -> "ret(params)" in D types
    foreach (m; readText(path).matchAll(regex(`(?m)^([a-z][^\n(]*?)\b(wt_\w+)\(([^)]*)\);$`)))
    {
        string[] ps;
        if (m[3] != "void")
            foreach (p; m[3].split(","))
                ps ~= dType[p.strip.replaceAll(regex(`\w+$`), "").strip];
        header[m[2]] = dType[m[1].strip] ~ "(" ~ ps.join(", ") ~ ")";
    }
    assert(header.length > 80, "header not parsed: " ~ path);
    string[string] bound;
    static foreach (name; wtFunctionNames)
    {{
        alias F = typeof(mixin(name));
        string[] ps;
        static foreach (P; Parameters!F)
        {
            static if (is(P == WtCallback))
                ps ~= "WtCallback";
            else static if (is(P == WtFinalizer))
                ps ~= "WtFinalizer";
            else
                ps ~= P.stringof;
        }
        bound[name] = (ReturnType!F).stringof ~ "(" ~ ps.join(", ") ~ ")";
    }}
    foreach (name, proto; bound)
    {
        assert(name in header, name ~ " is bound but not in " ~ path);
        assert(header[name] == proto, name ~ ": wt.h says " ~ header[name] ~ ", the binding " ~ proto);
    }
    // Functions added to wt.h later are not an error (the binding then
    // simply does not offer them yet); they are listed.
    auto unbound = header.keys.sort.array;
    unbound = unbound.filterOut(bound);
    if (unbound.length)
        writeln("     note: wt.h functions the D binding does not bind yet: ", unbound.join(", "));
}

private string[] filterOut(string[] names, string[string] bound)
{
    string[] r;
    foreach (n; names)
        if (n !in bound)
            r ~= n;
    return r;
}

private string[] heard; // thread-local: host functions run on the calling thread

private void hello()
{
    heard ~= "Hello, World!";
}

@("hello world: an export calls a D function wrapped with wrapFunc!")
unittest
{
    heard = null;
    auto engine = new Engine;
    auto store = new Store(engine);
    auto linker = new Linker(engine);
    linker.defineFunc!hello("", "hello");
    auto mod = Module.fromWat(engine, `(module (import "" "hello" (func $h))
                                         (func (export "run") (call $h) (call $h)))`);
    auto run = linker.instantiate(store, mod).func("run");
    run.call();
    assert(heard == ["Hello, World!", "Hello, World!"]);
    assert(run.signature.toString() == "() -> ()");
}

@("hello world with a closure: wrapFunc(delegate) captures D state")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    string who = "World";
    string[] said;
    auto linker = new Linker(engine);
    linker.defineFunc("", "hello", () { said ~= "Hello, " ~ who ~ "!"; });
    auto inst = linker.instantiate(store, Module.fromWat(engine,
            `(module (import "" "hello" (func $h)) (func (export "run") (call $h)))`));
    inst.func("run").call();
    who = "D";
    inst.func("run").call(store); // explicit store context works too
    assert(said == ["Hello, World!", "Hello, D!"]);
}

private int addI32(int a, int b) { return a + b; }
private long addI64(long a, long b) { return a + b; }
private float addF32(float a, float b) { return a + b; }
private double addF64(double a, double b) { return a + b; }
private uint addU32(uint a, uint b) { return a + b; }
private ulong addU64(ulong a, ulong b) { return a + b; }

enum addWat = `
(module
  (import "host" "i32" (func $hi32 (param i32 i32) (result i32)))
  (import "host" "i64" (func $hi64 (param i64 i64) (result i64)))
  (import "host" "f32" (func $hf32 (param f32 f32) (result f32)))
  (import "host" "f64" (func $hf64 (param f64 f64) (result f64)))
  (import "host" "u32" (func $hu32 (param i32 i32) (result i32)))
  (import "host" "u64" (func $hu64 (param i64 i64) (result i64)))
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "add_f32") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
  (func (export "add_f64") (param f64 f64) (result f64) (f64.add (local.get 0) (local.get 1)))
  (func (export "host_i32") (param i32 i32) (result i32) (call $hi32 (local.get 0) (local.get 1)))
  (func (export "host_i64") (param i64 i64) (result i64) (call $hi64 (local.get 0) (local.get 1)))
  (func (export "host_f32") (param f32 f32) (result f32) (call $hf32 (local.get 0) (local.get 1)))
  (func (export "host_f64") (param f64 f64) (result f64) (call $hf64 (local.get 0) (local.get 1)))
  (func (export "host_u32") (param i32 i32) (result i32) (call $hu32 (local.get 0) (local.get 1)))
  (func (export "host_u64") (param i64 i64) (result i64) (call $hu64 (local.get 0) (local.get 1)))
  ;; the i32 bits seen by wasm, widened without sign: checks zero-extension
  (func (export "i32_bits") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))
  (func (export "f32_bits") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
  (func (export "f64_bits") (param f64) (result i64) (i64.reinterpret_f64 (local.get 0))))
`;

@("add with i32, i64, f32, f64 (and unsigned) in wasm and in D host functions")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    auto linker = new Linker(engine)
        .defineFunc!addI32("host", "i32")
        .defineFunc!addI64("host", "i64")
        .defineFunc!addF32("host", "f32")
        .defineFunc!addF64("host", "f64")
        .defineFunc!addU32("host", "u32")
        .defineFunc!addU64("host", "u64");
    auto inst = linker.instantiate(store, Module.fromWat(engine, addWat));
    foreach (prefix; ["add_", "host_"])
    {
        auto i32 = inst.func(prefix ~ "i32"), i64 = inst.func(prefix ~ "i64");
        auto f32 = inst.func(prefix ~ "f32"), f64 = inst.func(prefix ~ "f64");
        assert(i32.call!int(2, 3) == 5);
        assert(i32.call!int(-7, 2) == -5);
        assert(i32.call!int(int.max, 1) == int.min); // wraps like wasm
        assert(i64.call!long(long.max - 1, 1) == long.max);
        assert(i64.call!long(-5L, 2L) == -3);
        assert(i64.call!long(-5, 2) == -3); // ints are sign-extended to i64
        assert(f32.call!float(1.5f, 2.25f) == 3.75f);
        // IEEE single and double rounding (not D's compile-time real precision)
        assert(toSlot(f32.call!float(0.1f, 0.2f)) == 0x3E99_999AUL);
        assert(toSlot(f64.call!double(0.1, 0.2)) == 0x3FD3_3333_3333_3334UL); // 0.30000000000000004
        assert(f64.call!double(1.5f, 1.0) == 2.5); // float -> f64 is lossless
        assert(f64.call!double(double.infinity, 1.0) == double.infinity);
        assert(f32.call!float(float.nan, 1.0f).isNaN);
    }
    assert(inst.func("host_u32").call!uint(uint.max, 1) == 0);
    assert(inst.func("host_u32").call!uint(3_000_000_000u, 1) == 3_000_000_001u);
    assert(inst.func("host_u64").call!ulong(ulong.max, 2) == 1);
    // The slot encoding seen from inside wasm.
    assert(inst.func("i32_bits").call!long(-1) == 0xFFFF_FFFFL);
    assert(inst.func("f32_bits").call!int(1.0f) == 0x3F80_0000);
    assert(inst.func("f32_bits").call!uint(-2.0f) == 0xC000_0000u);
    assert(inst.func("f64_bits").call!long(1.0) == 0x3FF0_0000_0000_0000L);
}

private Tuple!(double, float, long, int) reverse(int a, long b, float c, double d)
{
    return tuple(d, c, b, a);
}

@("multi-value: Tuple results from wasm exports and from D host functions")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    auto linker = new Linker(engine).defineFunc!reverse("host", "reverse");
    // A closure returning two values, with a Caller first (ignored here).
    linker.defineFunc("host", "divmod", (Caller c, uint a, uint b) => tuple(a / b, a % b));
    auto inst = linker.instantiate(store, Module.fromWat(engine, `
      (module
        (import "host" "reverse" (func $rev (param i32 i64 f32 f64) (result f64 f32 i64 i32)))
        (import "host" "divmod" (func $dm (param i32 i32) (result i32 i32)))
        (func (export "swap") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
        (func (export "rev") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
          (call $rev (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
        (func (export "divmod") (param i32 i32) (result i32 i32)
          (call $dm (local.get 0) (local.get 1))))`));
    auto s = inst.func("swap").call!(Tuple!(long, int))(7, -8L);
    assert(s == tuple(-8L, 7));
    auto r = inst.func("rev").call!(Tuple!(double, float, long, int))(1, 2L, 3.5f, 4.25);
    assert(r[0] == 4.25 && r[1] == 3.5f && r[2] == 2 && r[3] == 1);
    assert(inst.func("divmod").call!(Tuple!(uint, uint))(17, 5) == tuple(3u, 2u));
    assert(inst.func("rev").signature.toString() == "(i32, i64, f32, f64) -> (f64, f32, i64, i32)");
}

@("wrapFunc takes free functions, function literals, delegates; rejects other types")
unittest
{
    auto engine = new Engine;
    auto store = new Store(engine);
    int k = 3;
    int timesK(int a) { return a * k; } // nested: needs its frame, so passed as a delegate
    auto linker = new Linker(engine)
        .defineFunc!((int a) => a * 2)("", "dbl")
        .defineFunc("", "timesK", &timesK)
        .defineFunc("", "neg", function(double d) => -d)
        .define("", "flag", wrapFunc((bool b) => !b));
    auto inst = linker.instantiate(store, Module.fromWat(engine, `(module
        (import "" "dbl" (func $d (param i32) (result i32)))
        (import "" "timesK" (func $k (param i32) (result i32)))
        (import "" "neg" (func $n (param f64) (result f64)))
        (import "" "flag" (func $f (param i32) (result i32)))
        (func (export "run") (param i32) (result i32) (call $k (call $d (local.get 0))))
        (func (export "neg") (param f64) (result f64) (call $n (local.get 0)))
        (func (export "flag") (param i32) (result i32) (call $f (local.get 0))))`));
    assert(inst.func("run").call!int(5) == 30);
    k = 10;
    assert(inst.func("run").call!int(5) == 100);
    assert(inst.func("neg").call!double(2.5) == -2.5);
    assert(inst.func("flag").call!int(0) == 1 && inst.func("flag").call!bool(7) == false);
    // Signatures without a wasm equivalent do not compile.
    static assert(!__traits(compiles, wrapFunc!((string s) => 1)));
    static assert(!__traits(compiles, wrapFunc!((int a) => "x")));
    static assert(!__traits(compiles, wrapFunc!((ref int a) {})));
    static assert(!__traits(compiles, wrapFunc!timesK)); // needs a context
    static assert(__traits(compiles, wrapFunc!((Caller c, long a) => tuple(a, 1.5f))));
}

@("typed calls check argument counts and types against the signature")
unittest
{
    auto q = quick(`(module
        (func (export "f") (param i32 f64) (result i64) (i64.const 42))
        (func (export "g") (result f32) (f32.const 1.5)))`);
    auto f = q.func("f");
    assert(f.call!long(1, 2.0) == 42);
    assert(f.call!long(true, 2.0f) == 42); // bool -> i32, float -> f64 are lossless
    failsWith(WT_ERR_SIGNATURE, { f.call!long(1); }).msg.contains("called with 1 argument");
    failsWith(WT_ERR_SIGNATURE, { f.call(1, 2.0); }).msg.contains("0 results");
    failsWith(WT_ERR_SIGNATURE, { f.call!long(1L, 2.0); }).msg.contains("argument #1");
    failsWith(WT_ERR_SIGNATURE, { f.call!long(1, 2); }).msg.contains("argument #2"); // no int -> f64
    failsWith(WT_ERR_SIGNATURE, { f.call!int(1, 2.0); }).msg.contains("result #1");
    failsWith(WT_ERR_SIGNATURE, { q.func("g").call!double(); }).msg.contains("f32");
    assert(q.func("g").call!float() == 1.5f);
    // Raw slots: libwt checks the counts.
    ulong[1] res;
    q.func("g").callRaw([], res[]);
    assert(fromSlot!float(res[0]) == 1.5f);
    failsWith(WT_ERR_SIGNATURE, { q.func("g").callRaw([1], res[]); });
}
