"""The compiled call paths (Func.__call__ and the host-function trampoline):
values at the edges of each type, re-entrant calls of one Func from inside
its own host function, and one Func wrapper used from several threads."""

import math
import struct
import threading

import pytest

import wt
from wt import _core

IDENTITY = """(module
  (import "" "h32" (func $h32 (param i32) (result i32)))
  (import "" "h64" (func $h64 (param i64) (result i64)))
  (import "" "hf32" (func $hf32 (param f32) (result f32)))
  (import "" "hf64" (func $hf64 (param f64) (result f64)))
  (func (export "i32") (param i32) (result i32) (local.get 0))
  (func (export "i64") (param i64) (result i64) (local.get 0))
  (func (export "f32") (param f32) (result f32) (local.get 0))
  (func (export "f64") (param f64) (result f64) (local.get 0))
  (func (export "via_h32") (param i32) (result i32) (call $h32 (local.get 0)))
  (func (export "via_h64") (param i64) (result i64) (call $h64 (local.get 0)))
  (func (export "via_hf32") (param f32) (result f32) (call $hf32 (local.get 0)))
  (func (export "via_hf64") (param f64) (result f64) (call $hf64 (local.get 0))))"""

F32_MAX = struct.unpack("<f", struct.pack("<I", 0x7F7FFFFF))[0]
VALUES = {
    "i32": [0, 1, -1, 2**31 - 1, -(2**31), 2**31, 2**32 - 1, True, False, wt.ValType.F64],
    "i64": [0, -1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 10_000_000_000, True],
    "f32": [0.0, -0.0, 1.5, 0.1, -3.25e-40, F32_MAX, -F32_MAX, math.inf, -math.inf, 7, True,
            F32_MAX * (1 + 2**-25)],  # the last one rounds to F32_MAX, like struct.pack("<f")
    "f64": [0.0, -0.0, 1.0 / 3.0, 1e300, -5e-324, math.inf, 3, -(2**60), True],
}
TYPES = {"i32": wt.I32, "i64": wt.I64, "f32": wt.F32, "f64": wt.F64}
HOST = {"i32": "h32", "i64": "h64", "f32": "hf32", "f64": "hf64"}  # import names in IDENTITY


def same(a, b):
    return a == b and math.copysign(1, a) == math.copysign(1, b) if isinstance(a, float) else a == b


@pytest.fixture
def identity(linker, instantiate):
    seen = {}
    for name, t in TYPES.items():
        def host(x, name=name):
            seen.setdefault(name, []).append(x)
            return x
        linker.define_func("", HOST[name], [t], [t], host)
    return instantiate(IDENTITY), seen


def test_values_at_the_edges_match_the_generic_conversion(identity, store):
    inst, seen = identity
    for name, t in TYPES.items():
        f = inst.get_function(store, name)
        via = inst.get_function(store, "via_" + HOST[name])
        for v in VALUES[name]:
            # What the generic (uncompiled) conversion makes of v, and back.
            expected = _core._from_slot(int(t), _core._to_slot(int(t), v), None)
            assert same(f(store, v), expected), (name, v)
            assert same(via(store, v), expected), (name, v)
            assert same(seen[name][-1], expected), (name, v)
        if name.startswith("f"):
            assert math.isnan(f(store, math.nan)) and math.isnan(via(store, math.nan))


def test_value_errors_match_the_generic_conversion(identity, store):
    inst, _ = identity
    bad = {
        "i32": [(2**32, OverflowError), (-(2**31) - 1, OverflowError), ("1", TypeError), (1.0, TypeError),
                (None, TypeError)],
        "i64": [(2**64, OverflowError), (-(2**63) - 1, OverflowError), (1.5, TypeError)],
        "f32": [(1e39, OverflowError), (-1e300, OverflowError), (10**40, struct.error), ("x", TypeError),
                (None, TypeError)],
        "f64": [(10**400, struct.error), ("1.0", TypeError), (None, TypeError)],
    }
    for name, cases in bad.items():
        f = inst.get_function(store, name)
        for v, exc in cases:
            with pytest.raises(exc) as generic:
                _core._to_slot(int(TYPES[name]), v)
            with pytest.raises(exc) as compiled:
                f(store, v)
            assert type(compiled.value) is type(generic.value)
            assert str(compiled.value) == str(generic.value)
        assert f(store, 1) == 1  # the Func still works after failed conversions


def test_host_results_are_checked_like_the_generic_conversion(linker, store, instantiate):
    linker.define_func("", "big", [], [wt.I32], lambda: 2**32)
    linker.define_func("", "flt", [], [wt.F32], lambda: 1e39)
    linker.define_func("", "bool", [], [wt.I64], lambda: True)
    linker.define_func("", "ints", [], [wt.F64, wt.I32], lambda: [2, -1])
    i = instantiate("""(module
      (import "" "big" (func $big (result i32)))
      (import "" "flt" (func $flt (result f32)))
      (import "" "bool" (func $bool (result i64)))
      (import "" "ints" (func $ints (result f64 i32)))
      (func (export "big") (result i32) (call $big))
      (func (export "flt") (result f32) (call $flt))
      (func (export "bool") (result i64) (call $bool))
      (func (export "ints") (result f64 i32) (call $ints)))""")
    for name, exc in (("big", OverflowError), ("flt", OverflowError)):
        with pytest.raises(wt.CallbackError) as ei:
            i.get_function(store, name)(store)
        assert isinstance(ei.value.host_exception, exc)
    assert i.get_function(store, "bool")(store) == 1
    assert i.get_function(store, "ints")(store) == (2.0, -1)


RECURSIVE = """(module
  (import "" "host" (func $host (param i32 i64 f32 f64) (result i32 i64 f32 f64)))
  (func (export "rec") (param i32 i64 f32 f64) (result i32 i64 f32 f64)
    (call $host (local.get 0) (local.get 1) (local.get 2) (local.get 3))
    ;; combine the host's results with this call's own parameters
    (local.set 3 (f64.add (local.get 3)))
    (local.set 2 (f32.add (local.get 2)))
    (local.set 1 (i64.add (local.get 1)))
    (i32.add (local.get 0))
    (local.get 1) (local.get 2) (local.get 3)))"""


def expected_host(n, x, y, z):
    return expected_rec(n - 1, x * 3, y * 2, z + 1) if n else (0, 0, 0.0, 0.0)


def expected_rec(n, x, y, z):
    a, b, c, d = expected_host(n, x, y, z)
    return a + n, b + x, c + y, d + z


def test_a_func_called_again_from_inside_its_own_host_function(linker, store, instantiate):
    """Each nesting level of the same Func wrapper has its own argument and
    result buffers: the outer call's values survive the inner ones."""
    rec = None
    depths = []

    def host(caller, n, x, y, z):
        if n == 0:
            return 0, 0, 0.0, 0.0
        depths.append(n)
        inner = rec(caller, n - 1, x * 3, y * 2, z + 1)  # same wrapper, nested
        assert inner == expected_host(n, x, y, z)
        return inner

    linker.define_func("", "host", [wt.I32, wt.I64, wt.F32, wt.F64], [wt.I32, wt.I64, wt.F32, wt.F64],
                       host, access_caller=True)
    rec = instantiate(RECURSIVE).get_function(store, "rec")
    for _ in range(3):
        assert rec(store, 8, 5, 0.5, 0.25) == expected_rec(8, 5, 0.5, 0.25)
    assert depths == list(range(8, 0, -1)) * 3


def test_nested_failures_leave_the_outer_call_and_the_func_intact(linker, store, instantiate):
    f = None
    seen_stores = []

    def host(caller, n):
        seen_stores.append(caller.store)
        if n == 1:
            with pytest.raises(wt.TrapError):
                f(caller, 0)  # traps: 0 divides
            with pytest.raises(wt.SignatureError):
                f(caller)  # wrong count: the generic path, libwt reports
            with pytest.raises(TypeError):
                f(caller, "x")
        return n * 10

    linker.define_func("", "host", [wt.I32], [wt.I32], host, access_caller=True)
    f = instantiate("""(module
      (import "" "host" (func $host (param i32) (result i32)))
      (func (export "f") (param i32) (result i32)
        (i32.add (call $host (local.get 0)) (i32.div_s (i32.const 100) (local.get 0)))))""").get_function(store, "f")
    assert f(store, 1) == 10 + 100
    assert f(store, 4) == 40 + 25
    with pytest.raises(wt.TrapError):
        f(store, 0)
    assert f(store, 5) == 50 + 20
    # Callers always see the Python Store of the outermost call, also in nested calls.
    assert seen_stores and all(s is store for s in seen_stores)
    # Between calls the thread has no current store (funcref keepalives are released).
    ts = _core._thread_state()
    assert ts.store is None and ts.keep is None


def test_store_handles_and_callers_are_accepted_as_the_store(linker, store, instantiate):
    linker.define_func("", "host", [wt.I32], [wt.I32],
                       lambda caller, x: caller.get_function("double")(caller, x) + 1, access_caller=True)
    i = instantiate("""(module
      (import "" "host" (func $host (param i32) (result i32)))
      (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (func (export "run") (param i32) (result i32) (call $host (local.get 0))))""")
    assert i.get_function(store, "run")(store.handle, 20) == 41  # a raw handle
    assert i.get_function(store, "double")(store.handle, 4) == 8


def test_one_func_wrapper_used_by_two_threads(linker, store, instantiate):
    """While one thread is inside a call, another thread calling the same
    wrapper gets BusyError and does not disturb the running call's values."""
    started, release = threading.Event(), threading.Event()

    def wait(x):
        if x == 1:
            started.set()
            assert release.wait(10)
        return x

    linker.define_func("", "wait", [wt.I32], [wt.I32], wait)
    f = instantiate("""(module (import "" "wait" (func $w (param i32) (result i32)))
      (func (export "f") (param i32 i64) (result i64 i32)
        (i64.add (i64.extend_i32_s (call $w (local.get 0))) (local.get 1)) (local.get 0)))""").get_function(store, "f")
    result = []
    t = threading.Thread(target=lambda: result.append(f(store, 1, 1000)))
    t.start()
    assert started.wait(10)
    for _ in range(20):
        with pytest.raises(wt.BusyError):
            f(store, 7, 7)
    release.set()
    t.join()
    assert result == [(1001, 1)]
    assert f(store, 2, 40) == (42, 2)


def test_many_threads_through_the_same_compiled_signature(engine):
    """Threads with their own stores run the same compiled call and host code
    at once; each sees its own values and its own store in callbacks."""
    m = wt.Module.from_text(engine, """(module
      (import "" "h" (func $h (param i32 f64) (result i32 f64)))
      (func (export "f") (param i32 f64) (result i32 f64)
        (call $h (local.get 0) (local.get 1))))""")
    errors = []

    def worker(k):
        try:
            with wt.Store(engine) as store, wt.Linker(engine) as lk:
                def h(caller, x, y):
                    assert caller.store is store
                    return x + 1, y * 2
                lk.define_func("", "h", [wt.I32, wt.F64], [wt.I32, wt.F64], h, access_caller=True)
                f = lk.instantiate(store, m).get_function(store, "f")
                for j in range(300):
                    assert f(store, k * 1000 + j, j + 0.5) == (k * 1000 + j + 1, 2 * j + 1.0)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    m.close()
