"""Host functions: one trampoline, callers, memory strings, errors, threads."""

import gc
import threading

import pytest

import wt
from wt import _core


def test_one_c_callback_for_every_host_function(engine, store, linker):
    # Every host function goes through the same two module-level ctypes objects.
    assert isinstance(_core._TRAMPOLINE, wt._ffi.CALLBACK_T)
    assert isinstance(_core._FINALIZER, wt._ffi.FINALIZER_T)
    before = wt.host_function_count()
    for k in range(20):
        linker.define_func("env", f"f{k}", [wt.I32], [wt.I32], lambda x, k=k: x * 100 + k)
    assert wt.host_function_count() == before + 20
    imports = "".join(f'(import "env" "f{k}" (func $f{k} (param i32) (result i32)))' for k in range(20))
    calls = "".join(f"(call $f{k} (local.get 0))" + ("(i32.add)" if k else "") for k in range(20))
    m = wt.Module.from_text(engine, f'(module {imports} (func (export "run") (param i32) (result i32) {calls}))')
    run = linker.instantiate(store, m).get_function(store, "run")
    assert run(store, 1) == sum(100 + k for k in range(20))
    m.close()


def test_params_results_and_multi_value_through_the_host(instantiate, linker, store):
    linker.define_func("env", "pair", [wt.I32, wt.I32], [wt.I32, wt.I32], lambda a, b: (a + b, a * 1000))
    linker.define_func("env", "fl", [wt.F32, wt.F64, wt.I64], [wt.F64], lambda a, b, c: a + b + c)
    i = instantiate("""(module
      (import "env" "pair" (func $pair (param i32 i32) (result i32 i32)))
      (import "env" "fl" (func $fl (param f32 f64 i64) (result f64)))
      (func (export "run") (param i32 i32) (result i32 i32) (call $pair (local.get 0) (local.get 1)))
      (func (export "runf") (result f64) (call $fl (f32.const 1.5) (f64.const 0.25) (i64.const -3))))""")
    # Host functions see signed i32 values, and may return negative ones.
    assert i.get_function(store, "run")(store, -1, 3) == (2, -1000)
    assert i.get_function(store, "runf")(store) == -1.25


def test_func_wrap_reads_types_from_annotations(instantiate, linker, store):
    def add(a: wt.I32, b: wt.I32) -> wt.I32:
        return a + b

    def divmod64(a: wt.I64, b: wt.I64) -> (wt.I64, wt.I64):
        return divmod(a, b)

    def scale(caller: wt.Caller, x: "f64") -> wt.F64:
        assert isinstance(caller, wt.Caller)
        return x * 2

    linker.func_wrap("m", "add", add)
    linker.func_wrap("m", "divmod", divmod64)
    linker.func_wrap("m", "scale", scale)
    i = instantiate("""(module
      (import "m" "add" (func $add (param i32 i32) (result i32)))
      (import "m" "divmod" (func $dm (param i64 i64) (result i64 i64)))
      (import "m" "scale" (func $scale (param f64) (result f64)))
      (func (export "add") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1)))
      (func (export "dm") (param i64 i64) (result i64 i64) (call $dm (local.get 0) (local.get 1)))
      (func (export "scale") (param f64) (result f64) (call $scale (local.get 0))))""")
    assert i.get_function(store, "add")(store, 2, 3) == 5
    assert i.get_function(store, "dm")(store, 17, 5) == (3, 2)
    assert i.get_function(store, "scale")(store, 1.25) == 2.5
    with pytest.raises(TypeError):
        linker.func_wrap("m", "bad", lambda x: x)  # no annotations


def test_strings_pass_both_ways_through_the_callers_memory(instantiate, linker, store):
    logged = []

    def log(caller, ptr, n):
        logged.append(caller.get_memory("memory").read(caller, ptr, n).decode())

    def greet(caller, ptr):
        msg = "greetings from the host".encode()
        mem = caller.get_export("memory")
        assert isinstance(mem, wt.Memory)
        mem.write(caller, ptr, msg)
        return len(msg)

    linker.define_func("env", "log", [wt.I32, wt.I32], [], log, access_caller=True)
    linker.define_func("env", "greet", [wt.I32], [wt.I32], greet, access_caller=True)
    i = instantiate("""(module
      (import "env" "log" (func $log (param i32 i32)))
      (import "env" "greet" (func $greet (param i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 0) "hello from the guest")
      (func (export "run")
        (call $log (i32.const 0) (i32.const 20))
        (call $log (i32.const 100) (call $greet (i32.const 100)))))""")
    i.get_function(store, "run")(store)
    assert logged == ["hello from the guest", "greetings from the host"]
    # The host's string is really in guest memory.
    assert i.get_memory(store).read(store, 100, 23) == b"greetings from the host"


def test_callback_calls_back_into_its_instance(instantiate, linker, store):
    def host(caller, x):
        double = caller.get_function("double")
        return double(caller, x) + 1

    linker.define_func("env", "host", [wt.I32], [wt.I32], host, access_caller=True)
    i = instantiate("""(module
      (import "env" "host" (func $host (param i32) (result i32)))
      (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (func (export "run") (param i32) (result i32) (call $host (local.get 0))))""")
    assert i.get_function(store, "run")(store, 20) == 41


GUARDED = """(module
  (import "" "host" (func $host))
  (global $after (export "after") (mut i32) (i32.const 0))
  (func (export "run") (call $host) (global.set $after (i32.const 1))))"""


def test_python_exception_traps_the_guest_and_surfaces(engine, linker, store, instantiate):
    class Boom(Exception):
        pass

    def host():
        raise Boom("boom from python")

    linker.define_func("", "host", [], [], host)
    i = instantiate(GUARDED)
    with pytest.raises(wt.CallbackError) as ei:
        i.get_function(store, "run")(store)
    e = ei.value
    assert e.status == 13
    assert "Boom: boom from python" in e.message
    assert isinstance(e.host_exception, Boom) and e.__cause__ is e.host_exception
    # The guest stopped at the call: the code after it did not run.
    assert i.get_global(store, "after").get(store) == 0
    # The store is still usable, and the exception is reported again.
    with pytest.raises(wt.CallbackError) as ei:
        i.get_function(store, "run")(store)
    assert isinstance(ei.value.host_exception, Boom)


def test_keyboard_interrupt_in_a_host_function_propagates_unchanged(linker, store, instantiate):
    def host():
        raise KeyboardInterrupt

    linker.define_func("", "host", [], [], host)
    i = instantiate(GUARDED)
    with pytest.raises(KeyboardInterrupt):
        i.get_function(store, "run")(store)
    assert i.get_global(store, "after").get(store) == 0  # the guest stopped


def test_host_errors_from_libwt_calls_surface_as_the_cause(linker, store, instantiate):
    def host(caller):
        caller.get_export("no_such_export")

    linker.define_func("", "host", [], [], host, access_caller=True)
    i = instantiate(GUARDED)
    with pytest.raises(wt.CallbackError) as ei:
        i.get_function(store, "run")(store)
    inner = ei.value.host_exception
    assert isinstance(inner, wt.NotFoundError) and "no_such_export" in inner.message
    assert "NotFoundError" in ei.value.message


def test_bad_host_results_trap_with_a_message(linker, store, instantiate):
    linker.define_func("", "one", [], [wt.I32], lambda: "not an int")
    linker.define_func("", "two", [], [wt.I32, wt.I32], lambda: 1)
    linker.define_func("", "none", [], [], lambda: 5)
    i = instantiate("""(module
      (import "" "one" (func $one (result i32)))
      (import "" "two" (func $two (result i32 i32)))
      (import "" "none" (func $none))
      (func (export "one") (result i32) (call $one))
      (func (export "two") (result i32) (call $two) (i32.add))
      (func (export "none") (call $none)))""")
    for name, text in [("one", "i32 value must be an int"), ("two", "tuple of 2"), ("none", "no results")]:
        with pytest.raises(wt.CallbackError) as ei:
            i.get_function(store, name)(store)
        assert text in ei.value.message, ei.value.message
        assert isinstance(ei.value.host_exception, TypeError)


def test_nested_trap_inside_a_host_function(linker, store, instantiate):
    outcomes = []

    def host(caller, catch):
        f = caller.get_function("crash")
        if catch:
            try:
                f(caller)
            except wt.TrapError as e:
                outcomes.append(e.trap_code)
                return 7
        f(caller)
        return 0

    linker.define_func("", "host", [wt.I32], [wt.I32], host, access_caller=True)
    i = instantiate("""(module
      (import "" "host" (func $host (param i32) (result i32)))
      (func (export "crash") unreachable)
      (func (export "run") (param i32) (result i32) (call $host (local.get 0))))""")
    run = i.get_function(store, "run")
    assert run(store, 1) == 7
    assert outcomes == [wt.TrapCode.UNREACHABLE]
    with pytest.raises(wt.CallbackError) as ei:
        run(store, 0)
    inner = ei.value.host_exception
    assert isinstance(inner, wt.TrapError) and inner.trap_code == wt.TrapCode.UNREACHABLE


def test_host_functions_return_funcrefs_made_inside_the_callback(linker, store, instantiate):
    """The Func a host function returns is created (and dropped by Python) in
    the callback; libwt reads its handle after the callback returns."""
    linker.define_func("", "pick", [wt.I32], [wt.FUNCREF],
                       lambda caller, k: caller.get_function("seven" if k else "eight"), access_caller=True)
    linker.define_func("", "same", [wt.FUNCREF], [wt.FUNCREF], lambda f: f)
    i = instantiate("""(module
      (import "" "pick" (func $pick (param i32) (result funcref)))
      (import "" "same" (func $same (param funcref) (result funcref)))
      (type $t (func (result i32)))
      (table 1 funcref)
      (func $seven (export "seven") (result i32) (i32.const 7))
      (func $eight (export "eight") (result i32) (i32.const 8))
      (elem declare func $seven)
      (func (export "run") (param i32) (result i32)
        (table.set (i32.const 0) (call $pick (local.get 0)))
        (call_indirect (type $t) (i32.const 0)))
      (func (export "roundtrip") (result funcref) (call $same (ref.func $seven))))""")
    run = i.get_function(store, "run")
    for _ in range(20):
        gc.collect()
        assert run(store, 1) == 7
        assert run(store, 0) == 8
        assert i.get_function(store, "roundtrip")(store)(store) == 7


def test_host_funcs_as_store_funcs_in_tables_and_linker_define(engine, store, linker):
    calls = []
    seven = wt.Func.new(store, [], [wt.I32], lambda: calls.append(7) or 7)
    assert seven(store) == 7

    def triple(x: wt.I32) -> wt.I32:
        return 3 * x

    f3 = wt.Func.wrap(store, triple)
    assert f3.type == wt.FuncType((wt.I32,), (wt.I32,))
    assert f3(store, 5) == 15
    linker.define(store, "host", "seven", seven)
    m = wt.Module.from_text(engine, """(module
      (import "host" "seven" (func $s (result i32)))
      (type $t (func (result i32)))
      (table (export "tab") 2 funcref)
      (func (export "run") (result i32) (call $s))
      (func (export "call_at") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))""")
    i = linker.instantiate(store, m)
    assert i.get_function(store, "run")(store) == 7
    tab = i.get_table(store, "tab")
    tab.set(store, 1, seven)
    assert i.get_function(store, "call_at")(store, 1) == 7
    assert calls == [7, 7, 7]
    m.close()


def test_linker_define_instance_and_shadowing(engine, store, linker):
    lib_m = wt.Module.from_text(engine, """(module
      (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (memory (export "mem") 1))""")
    li = linker.instantiate(store, lib_m)
    linker.define_instance(store, "lib", li)
    twice = li.get_function(store, "twice")
    linker.define(store, "alias", "t", twice)
    app = wt.Module.from_text(engine, """(module
      (import "lib" "twice" (func $a (param i32) (result i32)))
      (import "alias" "t" (func $b (param i32) (result i32)))
      (import "lib" "mem" (memory 1))
      (func (export "run") (param i32) (result i32) (call $b (call $a (local.get 0)))))""")
    assert linker.instantiate(store, app).get_function(store, "run")(store, 5) == 20
    with pytest.raises(wt.LinkError):
        linker.define(store, "alias", "t", twice)
    linker.allow_shadowing(True)
    linker.define(store, "alias", "t", twice)
    linker.define_func("alias", "t", [wt.I32], [wt.I32], lambda x: x + 1000)
    assert linker.instantiate(store, app).get_function(store, "run")(store, 5) == 1010
    lib_m.close()
    app.close()


def test_start_function_calls_the_host_during_instantiate(engine, store, linker):
    seen = []
    linker.define_func("", "init", [wt.I32], [], lambda x: seen.append(x))
    m = wt.Module.from_text(
        engine, '(module (import "" "init" (func $i (param i32))) (func $start (call $i (i32.const 99))) (start $start))'
    )
    linker.instantiate(store, m)
    assert seen == [99]
    # A failing start function reports like a call.
    bad = wt.Module.from_text(engine, "(module (func $s unreachable) (start $s))")
    with pytest.raises(wt.TrapError) as ei:
        linker.instantiate(store, bad)
    assert ei.value.trap_code == wt.TrapCode.UNREACHABLE
    m.close()
    bad.close()


def test_registry_entries_are_finalized_when_libwt_drops_the_function(engine):
    gc.collect()
    base = wt.host_function_count()
    linker = wt.Linker(engine)
    linker.define_func("", "a", [], [wt.I32], lambda: 1)
    store = wt.Store(engine)
    f = wt.Func.new(store, [], [wt.I32], lambda: 2)
    assert wt.host_function_count() == base + 2
    m = wt.Module.from_text(engine, '(module (import "" "a" (func (result i32))))')
    linker.instantiate(store, m)
    linker.close()
    # The store still uses "a" (and owns f): nothing finalized yet.
    assert wt.host_function_count() == base + 2
    assert f(store) == 2
    store.close()
    assert wt.host_function_count() == base
    m.close()


def test_callbacks_run_on_the_calling_thread_and_threads_run_in_parallel(engine):
    m = wt.Module.from_text(engine, """(module (import "" "check" (func $check (result i32)))
      (func (export "sum") (param i32) (result i32) (local i32)
        (local.set 1 (call $check))
        (block (loop
          (br_if 1 (i32.eqz (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br 0)))
        (local.get 1)))""")
    errors = []

    def worker():
        try:
            me = threading.get_ident()
            with wt.Store(engine) as store, wt.Linker(engine) as linker:
                linker.define_func("", "check", [], [wt.I32], lambda: 0 if threading.get_ident() == me else 1_000_000)
                f = linker.instantiate(store, m).get_function(store, "sum")
                for _ in range(100):
                    assert f(store, 1000) == 500500
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    m.close()


def test_a_store_used_by_two_threads_at_once_is_busy(engine, store, linker, instantiate):
    started, release = threading.Event(), threading.Event()

    def wait():
        started.set()
        assert release.wait(10)

    linker.define_func("", "wait", [], [], wait)
    run = instantiate('(module (import "" "wait" (func $w)) (func (export "run") (call $w)))').get_function(store, "run")
    result = []
    t = threading.Thread(target=lambda: result.append(run(store)))
    t.start()
    assert started.wait(10)
    with pytest.raises(wt.BusyError) as ei:
        run(store)
    assert ei.value.status == 14 and "another thread" in ei.value.message
    release.set()
    t.join()
    assert result == [None]


def test_freeing_the_store_inside_its_own_callback_is_deferred(engine):
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    counts = []

    def free_me():
        store.close()  # the store is in use: libwt destroys it when the call returns
        counts.append(1)

    linker.define_func("", "free_me", [], [], free_me)
    m = wt.Module.from_text(engine, '(module (import "" "free_me" (func $f)) (func (export "run") (call $f) (call $f)))')
    run = linker.instantiate(store, m).get_function(store, "run")
    run(store)
    assert counts == [1, 1]
    with pytest.raises(wt.BadHandleError):
        wt.handle_kind(store)
    linker.close()
    m.close()
