"""Memory, globals, tables, references, introspection, precompiled modules, config."""

import ctypes

import pytest

import wt


def test_memory_size_grow_read_write_bounds_and_zero_copy(instantiate, store):
    i = instantiate('(module (memory (export "mem") 1 3) (data (i32.const 16) "hello")'
                    ' (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))')
    mem = i.get_memory(store, "mem")
    assert (mem.size(store), mem.pages(store)) == (65536, 1)
    assert mem.read(store, 16, 5) == b"hello"
    assert mem.read(store, 0, 0) == b""
    mem.write(store, 65530, b"abcdef")
    mem.write(store, 100, bytearray(b"\x2a"))
    assert i.get_function(store, "load")(store, 100) == 42
    with pytest.raises(wt.OutOfBoundsError) as ei:
        mem.write(store, 65531, b"abcdef")
    assert ei.value.status == 9
    with pytest.raises(wt.OutOfBoundsError):
        mem.read(store, 2**64 - 1, 5)
    assert mem.read(store, 65531, 5) == b"bcdef"  # the failed write changed nothing
    assert mem.grow(store, 2) == 1
    with pytest.raises(wt.LimitError):
        mem.grow(store, 1)  # beyond the maximum of 3 pages
    assert mem.size(store) == 3 * 65536
    addr, n = mem.data_ptr(store)
    assert n == 3 * 65536 and addr != 0
    assert ctypes.string_at(addr + 16, 5) == b"hello"
    buf = mem.buffer(store)
    assert bytes(buf[16:21]) == b"hello"
    buf[200] = 77  # zero-copy write, visible to the guest
    assert i.get_function(store, "load")(store, 200) == 77
    assert memoryview(buf).nbytes == 3 * 65536


def test_globals_get_set_type_and_immutability(instantiate, store):
    i = instantiate("""(module
      (global (export "counter") (mut i64) (i64.const 5))
      (global (export "pi") f64 (f64.const 3.5))
      (global (export "small") (mut f32) (f32.const 0.5))
      (global (export "neg") (mut i32) (i32.const -3))
      (func (export "get") (result i64) (global.get 0)))""")
    g = i.get_global(store, "counter")
    assert g.get(store) == 5
    assert g.type(store) == wt.GlobalType(wt.I64, True)
    g.set(store, -9)
    assert i.get_function(store, "get")(store) == -9
    pi = i.get_global(store, "pi")
    assert pi.get(store) == 3.5 and pi.type(store) == wt.GlobalType(wt.F64, False)
    with pytest.raises(wt.ImmutableError) as ei:
        pi.set(store, 1.0)
    assert ei.value.status == 19
    small = i.get_global(store, "small")
    small.set(store, 0.25)
    assert small.get(store) == 0.25
    assert i.get_global(store, "neg").get(store) == -3
    with pytest.raises(wt.WrongKindError):
        i.get_memory(store, "pi")


def test_funcref_tables_size_grow_get_set(instantiate, store):
    i = instantiate("""(module
      (type $t (func (result i32)))
      (table (export "tab") 2 10 funcref)
      (func $one (export "one") (result i32) (i32.const 1))
      (func $two (export "two") (result i32) (i32.const 2))
      (elem (i32.const 0) $one)
      (func (export "call_at") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))""")
    t = i.get_table(store, "tab")
    assert t.size(store) == 2 and t.type(store) == wt.FUNCREF
    f0 = t.get(store, 0)
    assert isinstance(f0, wt.Func) and f0(store) == 1
    assert t.get(store, 1) is None
    two = i.get_function(store, "two")
    t.set(store, 1, two)
    call_at = i.get_function(store, "call_at")
    assert call_at(store, 1) == 2
    assert t.grow(store, 3, two) == 2
    assert t.size(store) == 5 and call_at(store, 4) == 2
    t.set(store, 4, None)
    with pytest.raises(wt.TrapError) as ei:
        call_at(store, 4)
    assert ei.value.trap_code == wt.TrapCode.INDIRECT_CALL_TO_NULL
    with pytest.raises(wt.OutOfBoundsError):
        t.get(store, 5)
    with pytest.raises(wt.OutOfBoundsError):
        t.set(store, 99, two)
    with pytest.raises(wt.LimitError):
        t.grow(store, 100)


def test_externref_and_funcref_values(linker, store, instantiate):
    linker.define_func("", "bump", [wt.EXTERNREF], [wt.EXTERNREF], lambda r: None if r is None else r + 1)

    def apply(caller, f, x):
        return 0 if f is None else f(caller, x)

    linker.define_func("", "apply", [wt.FUNCREF, wt.I32], [wt.I32], apply, access_caller=True)
    i = instantiate("""(module
      (import "" "bump" (func $bump (param externref) (result externref)))
      (import "" "apply" (func $apply (param funcref i32) (result i32)))
      (func (export "id") (param externref) (result externref) (local.get 0))
      (func (export "via_host") (param externref) (result externref) (call $bump (local.get 0)))
      (func $seven (result i32) (i32.const 7))
      (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (elem declare func $seven $inc)
      (func (export "get_func") (result funcref) (ref.func $seven))
      (func (export "apply_inc") (param i32) (result i32) (call $apply (ref.func $inc) (local.get 0)))
      (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0)))
      (table (export "ext") 2 externref)
      (global (export "g") (mut externref) (ref.null extern)))""")
    ident = i.get_function(store, "id")
    assert ident(store, 0xFEED_BEEF_0000_0001) == 0xFEED_BEEF_0000_0001
    assert ident(store, 2**64 - 1) == 2**64 - 1
    assert ident(store, None) is None
    assert ident(store, 0) is None  # 0 is the null externref
    assert i.get_function(store, "via_host")(store, 41) == 42
    assert i.get_function(store, "via_host")(store, None) is None
    f = i.get_function(store, "get_func")(store)
    assert isinstance(f, wt.Func) and wt.handle_kind(f) == wt.HandleKind.FUNC
    assert f(store) == 7 and f.type == wt.FuncType((), (wt.I32,))
    is_null = i.get_function(store, "is_null")
    assert is_null(store, f) == 0 and is_null(store, None) == 1
    with pytest.raises(TypeError):
        is_null(store, 5)
    assert i.get_function(store, "apply_inc")(store, 41) == 42
    ext = i.get_table(store, "ext")
    assert ext.type(store) == wt.EXTERNREF
    ext.set(store, 1, 1234)
    assert ext.get(store, 1) == 1234 and ext.get(store, 0) is None
    g = i.get_global(store, "g")
    g.set(store, 99)
    assert g.get(store) == 99
    store.gc()


def test_module_introspection(engine):
    m = wt.Module.from_text(engine, """(module
      (import "env" "f" (func (param i32 f64) (result i64)))
      (import "env" "mem" (memory 1))
      (import "other" "g" (global i32))
      (global (export "g") i32 (i32.const 0))
      (func (export "run") (param i64))
      (table (export "t") 1 funcref)
      (memory (export "memory") 1))""")
    assert m.imports == [
        wt.ImportType("env", "f", wt.ExternKind.FUNC, wt.FuncType((wt.I32, wt.F64), (wt.I64,))),
        wt.ImportType("env", "mem", wt.ExternKind.MEMORY, None),
        wt.ImportType("other", "g", wt.ExternKind.GLOBAL, None),
    ]
    assert m.exports == [
        wt.ExportType("g", wt.ExternKind.GLOBAL, None),
        wt.ExportType("run", wt.ExternKind.FUNC, wt.FuncType((wt.I64,), ())),
        wt.ExportType("t", wt.ExternKind.TABLE, None),
        wt.ExportType("memory", wt.ExternKind.MEMORY, None),
    ]
    empty = wt.Module.from_text(engine, '(module (func (export "") ))')
    assert empty.imports == [] and [e.name for e in empty.exports] == [""]

    # Types of non-function items, through the raw bindings.
    h = m._h
    vt, mut = ctypes.c_int32(-1), ctypes.c_int32(-1)
    assert wt.lib.wt_module_item_global_type(h, 1, 2, ctypes.byref(vt), ctypes.byref(mut)) == 0
    assert (vt.value, mut.value) == (0, 0)  # WT_I32, const
    lo, hi, is64 = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_int32(-1)
    assert wt.lib.wt_module_item_memory_type(h, 1, 1, ctypes.byref(lo), ctypes.byref(hi), ctypes.byref(is64)) == 0
    assert (lo.value, hi.value, is64.value) == (1, 2**64 - 1, 0)
    elem = ctypes.c_int32(-1)
    assert wt.lib.wt_module_item_table_type(h, 0, 2, ctypes.byref(elem), ctypes.byref(lo), ctypes.byref(hi)) == 0
    assert (elem.value, lo.value, hi.value) == (5, 1, 2**64 - 1)  # WT_FUNCREF, min 1, no max
    # The item must be of the asked kind.
    assert wt.lib.wt_module_item_table_type(h, 0, 0, ctypes.byref(elem), None, None) == 2  # WT_ERR_WRONG_KIND
    m.close()
    empty.close()


def test_instance_exports(instantiate, store):
    i = instantiate('(module (memory (export "memory") 1) (func (export "f")) (global (export "g") i32 (i32.const 1))'
                    ' (table (export "t") 1 funcref))')
    assert i.export_names(store) == [
        ("memory", wt.ExternKind.MEMORY), ("f", wt.ExternKind.FUNC),
        ("g", wt.ExternKind.GLOBAL), ("t", wt.ExternKind.TABLE),
    ]
    ex = i.exports(store)
    assert [type(v) for v in ex.values()] == [wt.Memory, wt.Func, wt.Global, wt.Table]
    assert ex["g"].get(store) == 1
    assert isinstance(i.get_export(store, "f"), wt.Func)
    with pytest.raises(wt.NotFoundError):
        i.get_export(store, "zz")


def test_serialize_and_deserialize(engine, store, linker):
    m = wt.Module.from_text(engine, '(module (func (export "f") (result i32) i32.const 99))')
    data = m.serialize()
    assert isinstance(data, bytes) and len(data) > 100
    m2 = wt.Module.deserialize(engine, data)
    assert linker.instantiate(store, m2).get_function(store, "f")(store) == 99
    assert m2.exports == m.exports
    with pytest.raises(wt.CompileError):
        wt.Module.deserialize(engine, b"not a module")
    # Bytes from an engine with an incompatible configuration are rejected.
    with wt.Config(epoch_interruption=False) as c, wt.Engine(c) as e2:
        with pytest.raises(wt.CompileError):
            wt.Module.deserialize(e2, data)
    m.close()
    m2.close()


def test_compilation_cache_directory(tmp_path):
    cache = tmp_path / "cache"
    with wt.Config(cache_dir=cache) as c, wt.Engine(c) as e:
        wat = '(module (func (export "f") (result i32) i32.const 5))'
        m1 = wt.Module.from_text(e, wat)
        m2 = wt.Module.from_text(e, wat)
        assert any(p.is_file() for p in cache.rglob("*")), "the cache wrote files"
        m1.close()
        m2.close()


SIMD = '(module (func (export "f") (result v128) (v128.const i64x2 1 2)))'


def test_config_setters_features_and_engine_errors():
    c = wt.Config()
    assert c.set_opt_level(wt.OptLevel.NONE) is c
    c.set_debug_info(True).set_parallel_compilation(False).set_max_wasm_stack(1 << 20)
    with pytest.raises(wt.InvalidArgumentError):
        c.set_opt_level(9)
    with pytest.raises(wt.InvalidArgumentError):
        c.set_feature(1234, True)
    with pytest.raises(wt.InvalidArgumentError):
        c.set_max_wasm_stack(0)
    e1 = wt.Engine(c)
    wt.Module.from_text(e1, SIMD).close()
    c.set_feature(wt.Feature.SIMD, False)  # the config was copied, not consumed
    with pytest.raises(wt.InvalidArgumentError) as ei:
        wt.Engine(c)
    assert "relaxed simd" in ei.value.message
    c.set_feature(wt.Feature.RELAXED_SIMD, False)
    e2 = wt.Engine(c)
    with pytest.raises(wt.CompileError):
        wt.Module.from_text(e2, SIMD)
    # Features through the constructor.
    with wt.Config(features={wt.Feature.SIMD: False, wt.Feature.RELAXED_SIMD: False}) as c3, wt.Engine(c3) as e3:
        with pytest.raises(wt.CompileError):
            wt.Module.from_text(e3, SIMD)
    for o in (e1, e2, c):
        o.close()


def test_max_wasm_stack_limits_recursion_depth():
    wat = """(module (global $d (export "depth") (mut i32) (i32.const 0))
      (func $f (export "f") (global.set $d (i32.add (global.get $d) (i32.const 1))) (call $f)))"""

    def depth(**kw):
        with wt.Config(**kw) as c, wt.Engine(c) as e, wt.Store(e) as s, wt.Linker(e) as lk:
            with wt.Module.from_text(e, wat) as m:
                i = lk.instantiate(s, m)
                with pytest.raises(wt.TrapError) as ei:
                    i.get_function(s, "f")(s)
                assert ei.value.trap_code == wt.TrapCode.STACK_OVERFLOW
                return i.get_global(s, "depth").get(s)

    small, default = depth(max_wasm_stack=64 * 1024), depth()
    assert 0 < small < default


def test_epoch_interruption_off_makes_interrupts_unsupported():
    with wt.Config(epoch_interruption=False) as c, wt.Engine(c) as e, wt.Store(e) as s:
        with pytest.raises(wt.UnsupportedError):
            s.interrupt()
        with pytest.raises(wt.UnsupportedError):
            s.set_timeout_ms(10)
        with pytest.raises(wt.UnsupportedError):
            s.fuel  # noqa: B018 - fuel is off too
