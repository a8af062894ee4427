"""Hello world, modules from text and binary, calls with every numeric type."""

import math

import pytest

import wt

HELLO = """(module
  (import "" "hello" (func $hello))
  (func (export "run") (call $hello)))"""


def test_hello_world_runs_the_callback(capsys):
    engine = wt.Engine()
    module = wt.Module.from_text(engine, HELLO)
    linker = wt.Linker(engine)
    seen = []

    def hello():
        seen.append("called")
        print("Hello, World!")

    linker.define_func("", "hello", [], [], hello)
    with wt.Store(engine) as store:
        instance = linker.instantiate(store, module)
        run = instance.get_function(store, "run")
        assert run(store) is None
        assert run.call(store) is None
    assert seen == ["called", "called"]
    assert capsys.readouterr().out == "Hello, World!\n" * 2
    for obj in (linker, module, engine):
        obj.close()


def test_version():
    v = wt.version()
    parts = v.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), v


def test_module_from_binary_and_wat2wasm(engine, store, linker):
    wasm = wt.wat2wasm('(module (func (export "f") (result i32) i32.const 7))')
    assert wasm[:4] == b"\0asm"
    wt.Module.validate(engine, wasm)
    m = wt.Module.from_binary(engine, wasm)
    assert linker.instantiate(store, m).get_function(store, "f")(store) == 7
    # Module(engine, source) picks text or binary by type; bytearray works too.
    m2 = wt.Module(engine, bytearray(wasm))
    m3 = wt.Module(engine, '(module (func (export "f") (result i32) i32.const 8))')
    assert linker.instantiate(store, m2).get_function(store, "f")(store) == 7
    assert linker.instantiate(store, m3).get_function(store, "f")(store) == 8
    with pytest.raises(wt.CompileError) as ei:
        wt.Module.validate(engine, b"\0asm\x01\0\0\0\x01")
    assert ei.value.status == 5
    with pytest.raises(wt.CompileError):
        wt.Module.from_binary(engine, b"definitely not wasm")
    with pytest.raises(wt.CompileError) as ei:
        wt.wat2wasm("(module (func (result i32) i32.bogus))")
    assert "line 1, column" in ei.value.message
    for m_ in (m, m2, m3):
        m_.close()


def test_i32_i64_f32_f64_and_multiple_results(instantiate, store):
    i = instantiate("""(module
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
      (func (export "mul32") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
      (func (export "div64") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
      (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32 f32)
        (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
        (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
        (i32.sub (i32.const 0) (local.get 0))
        (local.get 2))
      (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0)))""")
    add = i.get_function(store, "add")
    assert add(store, 40, 2) == 42
    # i32 results are signed in Python; unsigned inputs are accepted too.
    assert add(store, -7, 2) == -5
    assert add(store, 0xFFFF_FFFF, 0) == -1
    assert add(store, 0x7FFF_FFFF, 1) == -(2**31)
    add64 = i.get_function(store, "add64")
    assert add64(store, 10_000_000_000, 5) == 10_000_000_005
    assert add64(store, -1, -1) == -2
    assert add64(store, 2**64 - 1, 0) == -1
    assert i.get_function(store, "mul32")(store, 1.5, 2.5) == 3.75
    # f32 rounding: 0.1 is not representable, the result is the f32 value.
    r = i.get_function(store, "mul32")(store, 0.1, 1.0)
    assert r != 0.1 and abs(r - 0.1) < 1e-8
    div64 = i.get_function(store, "div64")
    assert div64(store, 1.0, 3.0) == 1.0 / 3.0
    assert div64(store, 1, 0) == math.inf
    assert math.isnan(div64(store, 0.0, 0.0))
    mix = i.get_function(store, "mix")
    assert mix(store, -5, 10_000_000_000, 1.5, 2.25) == (3.75, 9_999_999_995, 5, 1.5)
    assert i.get_function(store, "swap")(store, 1, 2) == (2, 1)
    assert mix.type == wt.FuncType((wt.I32, wt.I64, wt.F32, wt.F64), (wt.F64, wt.I64, wt.I32, wt.F32))
    assert mix.params == (wt.I32, wt.I64, wt.F32, wt.F64)
    assert str(add.type) == "(func (param i32 i32) (result i32))"


def test_python_side_value_checks(instantiate, store):
    i = instantiate("""(module
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "f") (param f32) (result f32) (local.get 0)))""")
    add = i.get_function(store, "add")
    with pytest.raises(TypeError):
        add(store, "1", 2)
    with pytest.raises(OverflowError):
        add(store, 2**32, 0)
    with pytest.raises(OverflowError):
        add(store, -(2**31) - 1, 0)
    with pytest.raises(TypeError):
        i.get_function(store, "f")(store, None)
    with pytest.raises(OverflowError):
        i.get_function(store, "f")(store, 1e300)  # too large for an f32


def test_exported_function_lookup_and_not_found(instantiate, store):
    i = instantiate('(module (func (export "f")) (memory (export "mem") 1))')
    assert isinstance(i.get_function(store, "f"), wt.Func)
    with pytest.raises(wt.NotFoundError) as ei:
        i.get_function(store, "nope")
    assert ei.value.status == 16 and "nope" in ei.value.message
    with pytest.raises(wt.WrongKindError):
        i.get_function(store, "mem")  # a memory, not a function
