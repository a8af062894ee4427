"""Every error path surfaces as a WtError subclass with status and message."""

import gc

import pytest

import wt


def test_invalid_wat_reports_line_and_column(engine):
    with pytest.raises(wt.CompileError) as ei:
        wt.Module.from_text(engine, "(module\n  (func (result i32)\n    i32.bogus))")
    e = ei.value
    assert e.status == 5
    assert "line 3, column 5" in e.message
    assert "line 3, column 5" in str(e) and "(status 5)" in str(e)
    assert isinstance(e, wt.WtError)
    # Valid text, invalid module: a type error, still a compile error.
    with pytest.raises(wt.CompileError) as ei:
        wt.Module.from_text(engine, "(module (func (result i32) (i64.const 1)))")
    assert "type mismatch" in ei.value.message
    # Bytes that are not UTF-8.
    with pytest.raises(wt.InvalidArgumentError) as ei:
        wt.Module.from_text(engine, b"\xff\xfe")
    assert ei.value.status == 4


def test_missing_and_mistyped_imports_name_module_and_field(engine, store, linker):
    m = wt.Module.from_text(engine, '(module (import "env" "log_it" (func (param i32))))')
    with pytest.raises(wt.LinkError) as ei:
        linker.instantiate(store, m)
    assert ei.value.status == 6
    assert "env" in ei.value.message and "log_it" in ei.value.message
    linker.define_func("env", "log_it", [wt.I64], [], lambda x: None)
    with pytest.raises(wt.LinkError) as ei:
        linker.instantiate(store, m)
    assert "log_it" in ei.value.message
    # Defining the same name twice is a link error too.
    with pytest.raises(wt.LinkError):
        linker.define_func("env", "log_it", [wt.I32], [], lambda x: None)
    m.close()


def test_wrong_argument_count_is_reported_by_libwt(instantiate, store):
    add = instantiate(
        '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))'
    ).get_function(store, "add")
    with pytest.raises(wt.SignatureError) as ei:
        add(store, 1)
    assert ei.value.status == 8
    assert "takes 2 argument(s)" in ei.value.message and "passed 1" in ei.value.message
    with pytest.raises(wt.SignatureError) as ei:
        add(store, 1, 2, 3)
    assert "passed 3" in ei.value.message
    with pytest.raises(wt.SignatureError):
        add(store)
    assert add(store, 1, 2) == 3


TRAPS = """(module
  (func $inner (export "unreachable") unreachable)
  (func (export "nested") (call $inner))
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "conv") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (memory 1)
  (func (export "oob") (result i32) (i32.load (i32.const 70000)))
  (type $t (func))
  (table 1 funcref)
  (func (export "null_call") (call_indirect (type $t) (i32.const 0)))
  (func (export "table_oob") (call_indirect (type $t) (i32.const 5)))
  (func $rec (export "recurse") (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1))))"""


def test_traps_carry_code_message_and_backtrace(instantiate, store):
    i = instantiate(TRAPS)
    with pytest.raises(wt.TrapError) as ei:
        i.get_function(store, "unreachable")(store)
    e = ei.value
    assert e.status == 7 and e.trap_code == wt.TrapCode.UNREACHABLE
    assert "unreachable" in e.message
    with pytest.raises(wt.TrapError) as ei:
        i.get_function(store, "nested")(store)
    assert "wasm backtrace" in ei.value.message and "inner" in ei.value.message
    cases = [
        ("div", (0,), wt.TrapCode.INTEGER_DIVISION_BY_ZERO, "divide by zero"),
        ("overflow", (), wt.TrapCode.INTEGER_OVERFLOW, "overflow"),
        ("conv", (), wt.TrapCode.BAD_CONVERSION_TO_INTEGER, "conversion"),
        ("oob", (), wt.TrapCode.MEMORY_OUT_OF_BOUNDS, "out of bounds"),
        ("null_call", (), wt.TrapCode.INDIRECT_CALL_TO_NULL, ""),
        ("table_oob", (), wt.TrapCode.TABLE_OUT_OF_BOUNDS, ""),
        ("recurse", (1,), wt.TrapCode.STACK_OVERFLOW, ""),
    ]
    for name, args, code, text in cases:
        with pytest.raises(wt.TrapError) as ei:
            i.get_function(store, name)(store, *args)
        assert ei.value.trap_code == code, (name, ei.value)
        assert text in ei.value.message, (name, ei.value.message)
    # The store stays usable after traps.
    assert i.get_function(store, "div")(store, 1) == 1


def test_stale_handles_after_close_are_errors_not_crashes(engine):
    store = wt.Store(engine)
    m = wt.Module.from_text(engine, '(module (memory (export "mem") 1) (func (export "f") (result i32) i32.const 1))')
    linker = wt.Linker(engine)
    inst = linker.instantiate(store, m)
    f = inst.get_function(store, "f")
    mem = inst.get_memory(store, "mem")
    assert f(store) == 1
    store.close()
    assert store.closed
    store.close()  # idempotent: no second wt_free
    for call in (lambda: f(store), lambda: mem.size(store), lambda: inst.get_function(store, "f"),
                 lambda: store.get_fuel(), lambda: wt.handle_kind(f), lambda: wt.handle_kind(mem)):
        with pytest.raises(wt.BadHandleError) as ei:
            call()
        assert ei.value.status == 1
    # Freeing a store-owned handle again is an error status, not a crash.
    with pytest.raises(wt.BadHandleError):
        wt.free(mem)
    m.close()
    with pytest.raises(wt.BadHandleError):
        m.exports  # noqa: B018
    linker.close()
    with pytest.raises(wt.BadHandleError):
        linker.define_wasi()
    engine2 = wt.Engine()
    engine2.close()
    with pytest.raises(wt.BadHandleError):
        wt.Store(engine2)


def test_wrong_kind_handles(engine, store, instantiate):
    i = instantiate('(module (func (export "f") (result i32) i32.const 3) (memory (export "m") 1))')
    # An engine where a store is expected.
    with pytest.raises(wt.WrongKindError) as ei:
        i.get_function(engine, "f")
    assert ei.value.status == 2
    assert "engine" in ei.value.message and "store" in ei.value.message
    # A store where an engine is expected.
    with pytest.raises(wt.WrongKindError):
        wt.Store(store)
    with pytest.raises(wt.WrongKindError):
        wt.Module.from_text(store, "(module)")
    # A wrapper whose handle is of the wrong kind (a memory handle used as a func).
    m = i.get_memory(store, "m")
    bogus = wt.Func._adopt(m.handle, None)  # no owner: never freed by this wrapper
    with pytest.raises(wt.WrongKindError):
        bogus(store)
    assert wt.handle_kind(store) == wt.HandleKind.STORE
    assert wt.handle_kind(engine) == wt.HandleKind.ENGINE
    assert wt.handle_kind(m) == wt.HandleKind.MEMORY
    assert wt.handle_kind(i) == wt.HandleKind.INSTANCE


def test_random_and_zero_handles(engine, store):
    x = 0x9E37_79B9_7F4A_7C15
    for _ in range(2000):
        x ^= (x << 13) & 0xFFFF_FFFF_FFFF_FFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFF_FFFF_FFFF_FFFF
        with pytest.raises((wt.BadHandleError, wt.WrongKindError)):
            wt.Store(x)
        with pytest.raises(wt.BadHandleError):
            wt.free(x)
    for h in (0, 0xDEAD_BEEF_DEAD_BEEF):
        with pytest.raises(wt.BadHandleError):
            wt.handle_kind(h)
    # A forged kind byte on a live handle is not accepted.
    forged = (engine.handle & ~(0xFF << 56)) | (int(wt.HandleKind.STORE) << 56)
    with pytest.raises(wt.BadHandleError):
        wt.handle_kind(forged)
    assert wt.lib.wt_store_interrupt(forged) == 1  # WT_ERR_BAD_HANDLE, through the raw binding
    assert wt.lib.wt_store_interrupt(store.handle) == 0


def test_func_of_another_store(engine, linker):
    m = wt.Module.from_text(engine, '(module (func (export "f")))')
    with wt.Store(engine) as s1, wt.Store(engine) as s2:
        f = linker.instantiate(s1, m).get_function(s1, "f")
        f(s1)
        with pytest.raises(wt.InvalidArgumentError) as ei:
            f(s2)
        assert "another store" in ei.value.message
    m.close()


def test_caller_handle_is_invalid_outside_the_callback(engine, store, linker):
    kept = []
    linker.define_func("", "h", [], [], lambda caller: kept.append(caller), access_caller=True)
    m = wt.Module.from_text(
        engine, '(module (import "" "h" (func $h)) (memory (export "memory") 1) (func (export "run") (call $h)))'
    )
    linker.instantiate(store, m).get_function(store, "run")(store)
    (caller,) = kept
    assert caller.store is store
    assert wt.handle_kind(caller) == wt.HandleKind.CALLER
    with pytest.raises(wt.BadHandleError) as ei:
        caller.get_memory()
    assert "outside" in ei.value.message
    with pytest.raises(wt.InvalidArgumentError):
        wt.free(caller)  # caller handles belong to their store
    m.close()


def test_v128_signatures_are_unsupported_not_crashes(instantiate, store):
    f = instantiate('(module (func (export "v") (param v128)))').get_function(store, "v")
    assert f.params == (wt.V128,)
    with pytest.raises(wt.UnsupportedError) as ei:
        f(store, 0)
    assert ei.value.status == 17


def test_error_message_survives_garbage_collection_of_store_children(engine):
    """Collected wrappers of a closed store do not call wt_free (which would
    fail and replace this thread's last error)."""
    store = wt.Store(engine)
    m = wt.Module.from_text(engine, '(module (memory (export "mem") 1))')
    inst = wt.Linker(engine).instantiate(store, m)
    mems = [inst.get_memory(store, "mem") for _ in range(10)]
    store.close()
    with pytest.raises(wt.CompileError):
        wt.Module.from_text(engine, "(module (bogus))")
    before = (wt.lib.wt_error_status(), wt.lib.wt_error_message_len())
    del mems, inst
    gc.collect()
    assert (wt.lib.wt_error_status(), wt.lib.wt_error_message_len()) == before
    m.close()


def test_raw_binding_error_record_and_bytes():
    """wt.lib is the raw ctypes binding; the error record is per thread."""
    import ctypes
    import threading

    assert wt.lib.wt_free(0) == 1
    assert wt.lib.wt_error_status() == 1
    n = wt.lib.wt_error_message_copy(None, 0)
    assert n == wt.lib.wt_error_message_len() and n > 8
    buf = ctypes.create_string_buffer(8)
    assert wt.lib.wt_error_message_copy(buf, 8) == n
    full = ctypes.string_at(wt.lib.wt_error_message(), n)
    assert buf.raw[:7] == full[:7] and buf.raw[7] == 0
    # Another thread has its own record.
    seen = []
    t = threading.Thread(target=lambda: seen.append(wt.lib.wt_error_status()))
    t.start()
    t.join()
    assert seen == [0]
    # Bytes handles: wt_bytes_new copies, wt_bytes_data borrows.
    out = ctypes.c_uint64()
    assert wt.lib.wt_bytes_new(b"abc\0def", 7, ctypes.byref(out)) == 0
    assert wt.handle_kind(out.value) == wt.HandleKind.BYTES
    ptr, ln = ctypes.c_void_p(), ctypes.c_size_t()
    assert wt.lib.wt_bytes_data(out.value, ctypes.byref(ptr), ctypes.byref(ln)) == 0
    assert ctypes.string_at(ptr.value, ln.value) == b"abc\0def"
    wt.free(out.value)
    with pytest.raises(wt.BadHandleError):
        wt.free(out.value)
