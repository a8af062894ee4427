"""Handle lifetimes: context managers, finalizers, store-owned objects, leak check."""

import gc
import threading

import pytest

import wt

from .test_wasi import WASI_ECHO


def settle():
    gc.collect()
    return wt.handle_count(), wt.host_function_count()


def test_context_managers_free_their_handle():
    n0, _ = settle()
    with wt.Config(consume_fuel=True) as c:
        assert wt.handle_count() == n0 + 1
        with wt.Engine(c) as e:
            assert wt.handle_count() == n0 + 2
            with wt.Store(e) as s, wt.Linker(e) as lk, wt.WasiConfig() as w:
                assert wt.handle_count() > n0 + 2
                assert wt.handle_kind(s) == wt.HandleKind.STORE
                assert wt.handle_kind(lk) == wt.HandleKind.LINKER
                assert wt.handle_kind(w) == wt.HandleKind.WASI_CONFIG
                assert wt.handle_kind(c) == wt.HandleKind.CONFIG
            assert s.closed and lk.closed and w.closed
    assert c.closed and e.closed
    assert settle()[0] == n0


def test_garbage_collection_frees_owned_handles():
    n0, _ = settle()
    e = wt.Engine()
    m = wt.Module.from_text(e, "(module)")
    s = wt.Store(e)
    assert wt.handle_count() > n0
    del e, m, s
    assert settle()[0] == n0


def test_store_owned_objects_die_with_the_store_without_double_free(engine):
    n0, _ = settle()
    store = wt.Store(engine)
    with wt.Linker(engine) as lk, wt.Module.from_text(engine, '(module (memory (export "m") 1) (func (export "f")))') as m:
        inst = lk.instantiate(store, m)
        objs = [inst.get_function(store, "f") for _ in range(5)] + [inst.get_memory(store, "m")]
    assert wt.handle_count() > n0
    store.close()
    assert settle()[0] == n0  # everything in the store went with it
    for o in objs:
        with pytest.raises(wt.BadHandleError):
            wt.handle_kind(o)
    del objs, inst
    assert settle()[0] == n0


def test_collected_wrappers_release_store_handles_early(engine):
    """A host function that looks up the caller's memory on every call does not
    grow the store's handle table: each wrapper frees its handle when collected."""
    calls = []

    def host(caller):
        calls.append(caller.get_memory().size(caller))

    with wt.Store(engine) as store, wt.Linker(engine) as lk:
        lk.define_func("", "host", [], [], host, access_caller=True)
        with wt.Module.from_text(engine, '(module (import "" "host" (func $h)) (memory (export "memory") 1)'
                                 ' (func (export "run") (call $h)))') as m:
            run = lk.instantiate(store, m).get_function(store, "run")
            run(store)
            n1, _ = settle()
            for _ in range(200):
                run(store)
            assert settle()[0] == n1
    assert len(calls) == 201 and set(calls) == {65536}


def test_engine_and_module_may_be_freed_before_the_store():
    e = wt.Engine()
    s = wt.Store(e)
    lk = wt.Linker(e)
    m = wt.Module.from_text(e, '(module (func (export "f") (result i32) i32.const 11))')
    f = lk.instantiate(s, m).get_function(s, "f")
    for o in (m, lk, e):
        o.close()
    assert f(s) == 11  # the store keeps what it needs alive
    s.close()


def test_finalizers_may_run_on_another_thread():
    n0, _ = settle()
    holder = [wt.Engine()]
    holder.append(wt.Store(holder[0]))
    t = threading.Thread(target=holder.clear)  # the last references die on this thread
    t.start()
    t.join()
    assert settle()[0] == n0


def test_no_leaks_across_a_full_workload(tmp_path):
    n0, h0 = settle()

    def workload():
        with wt.Config(consume_fuel=True) as c:
            engine = wt.Engine(c)
        store = wt.Store(engine)
        store.fuel = 1_000_000
        linker = wt.Linker(engine)
        linker.define_wasi()
        logged = []
        linker.define_func("env", "log", [wt.I32, wt.I32], [], lambda caller, p, n: logged.append(
            caller.get_memory().read(caller, p, n)), access_caller=True)
        linker.define_func("env", "fail", [], [], lambda: 1 / 0)
        linker.define_func("env", "ref", [wt.FUNCREF], [wt.FUNCREF], lambda f: f)
        m = wt.Module.from_text(engine, """(module
          (import "env" "log" (func $log (param i32 i32)))
          (import "env" "fail" (func $fail))
          (import "env" "ref" (func $ref (param funcref) (result funcref)))
          (memory (export "memory") 1)
          (data (i32.const 0) "leak check")
          (table (export "t") 1 funcref)
          (global (export "g") (mut i32) (i32.const 0))
          (func $seven (export "seven") (result i32) (i32.const 7))
          (elem declare func $seven)
          (func (export "run") (call $log (i32.const 0) (i32.const 10)))
          (func (export "fail") (call $fail))
          (func (export "get") (result funcref) (call $ref (ref.func $seven))))""")
        inst = linker.instantiate(store, m)
        for _ in range(10):
            inst.get_function(store, "run")(store)
            with pytest.raises(wt.CallbackError):
                inst.get_function(store, "fail")(store)
            f = inst.get_function(store, "get")(store)
            assert f(store) == 7
            inst.get_table(store, "t").set(store, 0, f)
            assert inst.get_table(store, "t").get(store, 0)(store) == 7
            inst.get_global(store, "g").set(store, 5)
            ident = wt.Func.new(store, [wt.I32], [wt.I32], lambda x: x)
            assert ident(store, 3) == 3
            assert m.imports[0].name == "log" and len(m.exports) == 7
        assert logged == [b"leak check"] * 10
        data = m.serialize()
        wt.Module.deserialize(engine, data)
        wt.wat2wasm("(module)")
        with pytest.raises(wt.CompileError):
            wt.Module.from_text(engine, "(module (bogus))")
        cfg = wt.WasiConfig(args=["p", "x"], stdout=wt.Stdio.CAPTURE, stderr=wt.Stdio.CAPTURE,
                            preopens=[(tmp_path, "/tmp", True)])
        wasi_store = wt.Store(engine, wasi=cfg)
        wasi_store.fuel = 1_000_000
        wm = wt.Module.from_text(engine, WASI_ECHO)
        with pytest.raises(wt.ExitError):
            linker.instantiate(wasi_store, wm).get_function(wasi_store, "_start")(wasi_store)
        assert wasi_store.wasi_stdout() == b"hello from wasi\nx"
        # Mixed explicit closes and garbage collection.
        store.close()
        linker.close()

    workload()
    assert settle() == (n0, h0)


def test_free_releases_a_store_owned_object_early(instantiate, store):
    i = instantiate('(module (func (export "f") (result i32) i32.const 1))')
    f = i.get_function(store, "f")
    n1, _ = settle()
    wt.free(f)
    assert wt.handle_count() == n1 - 1
    with pytest.raises(wt.BadHandleError):
        f(store)
    # The wrapper's finalizer was cancelled: collecting it frees nothing again
    # (a failing wt_free would replace this thread's last error).
    with pytest.raises(wt.BadHandleError):
        wt.free(f)
    before = (wt.lib.wt_error_status(), wt.lib.wt_error_message_len())
    del f
    gc.collect()
    assert (wt.lib.wt_error_status(), wt.lib.wt_error_message_len()) == before
    assert i.get_function(store, "f")(store) == 1  # the function itself lives on


def test_memory_buffer_keeps_its_store_alive(engine):
    """A zero-copy view outlives the function that made the store: the store
    (and its memory) lives as long as the view."""
    def view():
        s = wt.Store(engine)
        with wt.Linker(engine) as lk, wt.Module.from_text(
                engine, '(module (memory (export "m") 1) (data (i32.const 3) "hi"))') as m:
            mem = lk.instantiate(s, m).get_memory(s, "m")
            return memoryview(mem.buffer(s)).cast("B")

    n0, _ = settle()
    mv = view()
    gc.collect()
    assert bytes(mv[3:5]) == b"hi"
    mv[0] = 7
    assert mv[0] == 7
    del mv
    assert settle()[0] == n0


def test_define_func_with_a_bad_name_leaks_nothing(linker):
    n0, h0 = settle()
    with pytest.raises(TypeError):
        linker.define_func("env", 42, [], [], lambda: None)
    assert settle() == (n0, h0)
