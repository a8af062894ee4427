#!/usr/bin/env python3
"""Issue 7, Python side: libwt through ctypes vs the PyPI `wasmtime` package
(wasmtime-py) on cases 1 (call `add`), 3 (callback round trip) and 5
(instantiate in a fresh store). Run by `make bench` in the venv build/bench/venv.

    bench_py.py LIBWT_SO WAT_DIR OUT.json      (BENCH_QUICK=1: smoke run)

libwt is called with plain ctypes (CDLL + argtypes), preallocated argument
arrays, exactly as a thin wrapper does. If the `wt` package of
bindings/python offers a high-level API (Engine/Store/Module/Linker), it is
measured too; otherwise only the raw ctypes rows appear.
Both sides use libwt's default engine configuration (epoch interruption on).
"""

from __future__ import annotations

import ctypes
import json
import os
import statistics
import sys
import time
from ctypes import CFUNCTYPE, POINTER, c_char_p, c_int32, c_size_t, c_uint64, c_void_p

QUICK = bool(os.environ.get("BENCH_QUICK"))
REPS = 3 if QUICK else 7
TARGET_S = 0.01 if QUICK else 0.1

RESULTS: list[dict] = []


def record(case: str, api: str, variant: str, samples: list[float], n: int) -> float:
    v = statistics.median(samples)
    RESULTS.append(
        {"case": case, "api": api, "variant": variant, "unit": "ns/op", "value": v,
         "min": min(samples), "n": n, "samples": samples}
    )
    print(f"  case {case:<3} {api:<12} {variant:<52} {v:12.1f} ns/op", file=sys.stderr)
    return v


def bench(case: str, api: str, variant: str, f) -> float:
    """f(n) runs n operations; calibrated to ~TARGET_S per repetition."""
    n = 1
    while True:
        t0 = time.perf_counter_ns()
        f(n)
        t = time.perf_counter_ns() - t0
        if t >= TARGET_S * 1e9 / 8:
            break
        n *= 4
    n = max(1, int(n * TARGET_S * 1e9 / max(t, 1)))
    samples = []
    for _ in range(REPS):
        t0 = time.perf_counter_ns()
        f(n)
        samples.append((time.perf_counter_ns() - t0) / n)
    return record(case, api, variant, samples, n)


# ---------------------------------------------------------------- libwt, raw ctypes

CALLBACK_T = CFUNCTYPE(c_int32, c_void_p, c_uint64, POINTER(c_uint64), c_size_t,
                       POINTER(c_uint64), c_size_t)


def load_libwt(path: str):
    lib = ctypes.CDLL(path)
    u64, i32, sz, p = c_uint64, c_int32, c_size_t, c_void_p
    pu64 = POINTER(c_uint64)
    protos = {
        "wt_engine_new": [pu64],
        "wt_store_new": [u64, pu64],
        "wt_free": [u64],
        "wt_wat2wasm": [c_char_p, sz, pu64],
        "wt_module_from_wat": [u64, c_char_p, sz, pu64],
        "wt_functype_new": [POINTER(c_int32), sz, POINTER(c_int32), sz, pu64],
        "wt_linker_new": [u64, pu64],
        "wt_linker_define_callback": [u64, c_char_p, sz, c_char_p, sz, u64, CALLBACK_T, p],
        "wt_linker_instantiate": [u64, u64, u64, pu64],
        "wt_instance_get_func": [u64, u64, c_char_p, sz, pu64],
        "wt_call": [u64, u64, pu64, sz, pu64, sz],
    }
    for name, argtypes in protos.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = i32
    lib.wt_error_message.argtypes = []
    lib.wt_error_message.restype = c_char_p
    return lib


def run_libwt_raw(lib, wat_dir: str) -> None:
    def ok(rc: int, what: str) -> None:
        if rc != 0:
            raise RuntimeError(f"{what}: status {rc}: {lib.wt_error_message().decode()}")

    def new(fn, *args) -> int:
        out = c_uint64()
        ok(fn(*args, ctypes.byref(out)), fn.__name__)
        return out.value

    calls_wat = open(os.path.join(wat_dir, "calls.wat"), "rb").read()
    small_wat = open(os.path.join(wat_dir, "small.wat"), "rb").read()
    engine = new(lib.wt_engine_new)
    module = new(lib.wt_module_from_wat, engine, calls_wat, len(calls_wat))
    small = new(lib.wt_module_from_wat, engine, small_wat, len(small_wat))
    i32 = (c_int32 * 1)(0)  # WT_I32
    ft_ii = new(lib.wt_functype_new, i32, 1, i32, 1)
    ft_v = new(lib.wt_functype_new, None, 0, None, 0)

    @CALLBACK_T
    def cb_inc(env, caller, args, nargs, results, nresults):
        results[0] = (args[0] + 1) & 0xFFFFFFFF
        return 0

    @CALLBACK_T
    def cb_nop(env, caller, args, nargs, results, nresults):
        if nresults:
            results[0] = args[0]
        return 0

    linker = new(lib.wt_linker_new, engine)
    for name, ft, cb in ((b"cb", ft_ii, cb_inc), (b"nop", ft_v, cb_nop), (b"mem", ft_v, cb_nop),
                         (b"f1", ft_ii, cb_nop), (b"f2", ft_v, cb_nop)):
        ok(lib.wt_linker_define_callback(linker, b"env", 3, name, len(name), ft, cb, None), "define")
    store = new(lib.wt_store_new, engine)
    inst = new(lib.wt_linker_instantiate, linker, store, module)
    add = new(lib.wt_instance_get_func, store, inst, b"add", 3)
    rt = new(lib.wt_instance_get_func, store, inst, b"roundtrip", 9)
    wt_call = lib.wt_call

    args2 = (c_uint64 * 2)(0, 1)
    res1 = (c_uint64 * 1)()
    args1 = (c_uint64 * 1)()

    def case1(n: int) -> None:
        r = 0
        for _ in range(n):
            args2[0] = r
            if wt_call(store, add, args2, 2, res1, 1):
                raise RuntimeError(lib.wt_error_message())
            r = res1[0]
        assert r == n & 0xFFFFFFFF

    def case3(n: int) -> None:
        r = 0
        for _ in range(n):
            args1[0] = r
            if wt_call(store, rt, args1, 1, res1, 1):
                raise RuntimeError(lib.wt_error_message())
            r = res1[0]
        assert r == n & 0xFFFFFFFF

    def case5(n: int) -> None:
        s = c_uint64()
        i = c_uint64()
        for _ in range(n):
            ok(lib.wt_store_new(engine, ctypes.byref(s)), "store")
            ok(lib.wt_linker_instantiate(linker, s.value, small, ctypes.byref(i)), "instantiate")
            ok(lib.wt_free(s.value), "free")

    bench("py1", "libwt ctypes", "wt_call(add) via raw ctypes", case1)
    bench("py3", "libwt ctypes", "wt_call(roundtrip) + CFUNCTYPE callback", case3)
    bench("py5", "libwt ctypes", "wt_store_new + wt_linker_instantiate + wt_free", case5)
    run_libwt_raw.keep = (cb_inc, cb_nop)  # callbacks must outlive the linker


# ---------------------------------------------------------------- libwt, bindings/python

def run_libwt_package(lib_path: str, wat_dir: str) -> str:
    """Measures bindings/python's `wt` package if it has a usable high-level API."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(repo, "bindings", "python"))
    os.environ["WT_LIBRARY"] = lib_path
    try:
        import wt  # noqa: PLC0415
    except Exception as e:  # not there or broken: raw ctypes only
        return f"not measured: `import wt` failed ({type(e).__name__}: {e})"
    needed = ("Engine", "Store", "Module", "Linker", "ValType")
    missing = [n for n in needed if not hasattr(wt, n)]
    if missing:
        return f"not measured: bindings/python `wt` has no {', '.join(missing)} yet"
    try:
        engine = wt.Engine()
        module = wt.Module(engine, open(os.path.join(wat_dir, "calls.wat")).read())
        small = wt.Module(engine, open(os.path.join(wat_dir, "small.wat")).read())
        linker = wt.Linker(engine)
        I32 = wt.ValType.I32
        linker.define_func("env", "cb", [I32], [I32], lambda x: x + 1)
        linker.define_func("env", "nop", [], [], lambda: None)
        linker.define_func("env", "mem", [], [], lambda: None)
        linker.define_func("env", "f1", [I32], [I32], lambda x: x)
        linker.define_func("env", "f2", [], [], lambda: None)
        store = wt.Store(engine)
        inst = linker.instantiate(store, module)
        add = inst.get_function(store, "add")
        rt = inst.get_function(store, "roundtrip")
        assert add(store, 2, 3) == 5 and rt(store, 41) == 42
    except Exception as e:
        return f"not measured: the `wt` package API did not match what this script expects ({type(e).__name__}: {e})"

    def case1(n: int) -> None:
        r = 0
        for _ in range(n):
            r = add(store, r, 1)
        assert r == n

    def case3(n: int) -> None:
        r = 0
        for _ in range(n):
            r = rt(store, r)
        assert r == n

    def case5(n: int) -> None:
        for _ in range(n):
            s = wt.Store(engine)
            linker.instantiate(s, small)
            s.close()

    bench("py1", "libwt wt pkg", "bindings/python `wt`: Func.__call__(add)", case1)
    bench("py3", "libwt wt pkg", "bindings/python `wt`: Func.__call__(roundtrip) + define_func", case3)
    bench("py5", "libwt wt pkg", "bindings/python `wt`: Store() + Linker.instantiate + close", case5)
    return "measured"


# ---------------------------------------------------------------- wasmtime-py

def run_wasmtime_py(wat_dir: str) -> str:
    import wasmtime  # noqa: PLC0415

    cfg = wasmtime.Config()
    cfg.epoch_interruption = True
    try:
        cfg.wasm_threads = False
    except Exception:
        pass
    engine = wasmtime.Engine(cfg)

    def mkstore():
        s = wasmtime.Store(engine)
        s.set_epoch_deadline(1)
        return s

    calls = wasmtime.Module(engine, open(os.path.join(wat_dir, "calls.wat")).read())
    small = wasmtime.Module(engine, open(os.path.join(wat_dir, "small.wat")).read())
    ii = wasmtime.FuncType([wasmtime.ValType.i32()], [wasmtime.ValType.i32()])
    v = wasmtime.FuncType([], [])
    linker = wasmtime.Linker(engine)
    linker.define_func("env", "cb", ii, lambda x: (x + 1) & 0x7FFFFFFF)
    linker.define_func("env", "nop", v, lambda: None)
    linker.define_func("env", "mem", v, lambda: None)
    linker.define_func("env", "f1", ii, lambda x: x)
    linker.define_func("env", "f2", v, lambda: None)
    store = mkstore()
    inst = linker.instantiate(store, calls)
    ex = inst.exports(store)
    add, rt = ex["add"], ex["roundtrip"]

    def case1(n: int) -> None:
        r = 0
        for _ in range(n):
            r = add(store, r, 1)
        assert r == n

    def case3(n: int) -> None:
        r = 0
        for _ in range(n):
            r = rt(store, r)
        assert r == n

    def case5(n: int) -> None:
        for _ in range(n):
            s = mkstore()
            linker.instantiate(s, small)
            del s

    bench("py1", "wasmtime-py", "Func.__call__(add)", case1)
    bench("py3", "wasmtime-py", "Func.__call__(roundtrip) + Linker.define_func", case3)
    bench("py5", "wasmtime-py", "Store() + Linker.instantiate", case5)
    from importlib.metadata import version  # noqa: PLC0415

    return version("wasmtime")


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} LIBWT_SO WAT_DIR OUT.json")
    lib_path, wat_dir, out = sys.argv[1:]
    print(f"Python {sys.version.split()[0]}, {REPS} reps, ~{TARGET_S * 1e3:.0f} ms per rep", file=sys.stderr)
    lib = load_libwt(lib_path)
    run_libwt_raw(lib, wat_dir)
    pkg = run_libwt_package(lib_path, wat_dir)
    print(f"  bindings/python: {pkg}", file=sys.stderr)
    wpy = run_wasmtime_py(wat_dir)
    meta = {"runner": "python", "python": sys.version.split()[0], "wasmtime_py": wpy,
            "bindings_python": pkg, "reps": REPS, "target_ms": TARGET_S * 1e3, "results": RESULTS}
    with open(out, "w") as f:
        json.dump(meta, f, indent=1)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
