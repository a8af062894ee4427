"""The object API over libwt's handles (see README.md)."""

from __future__ import annotations

import enum
import functools
import inspect
import itertools
import os
import struct
import sys
import threading
import weakref
from ctypes import (
    byref,
    c_double,
    c_float,
    c_int32,
    c_int64,
    c_size_t,
    c_ubyte,
    c_uint64,
    c_void_p,
    create_string_buffer,
    string_at,
)
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from ._ffi import CALLBACK_T, FINALIZER_T, lib, wt_call_direct
from .errors import ERR_OUT_OF_BOUNDS, check, last_error, stash_host_exception

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------


class ValType(enum.IntEnum):
    """Value type codes (``WT_I32`` ...)."""

    I32 = 0
    I64 = 1
    F32 = 2
    F64 = 3
    V128 = 4
    FUNCREF = 5
    EXTERNREF = 6
    ANYREF = 7

    def __str__(self) -> str:
        return self.name.lower()


I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64
V128, FUNCREF, EXTERNREF, ANYREF = ValType.V128, ValType.FUNCREF, ValType.EXTERNREF, ValType.ANYREF


class ExternKind(enum.IntEnum):
    """``WT_EXTERN_*``."""

    FUNC = 0
    GLOBAL = 1
    TABLE = 2
    MEMORY = 3
    TAG = 4


class HandleKind(enum.IntEnum):
    """``WT_KIND_*``: the kind a handle carries."""

    ENGINE = 1
    CONFIG = 2
    STORE = 3
    MODULE = 4
    LINKER = 5
    INSTANCE = 6
    FUNC = 7
    MEMORY = 8
    GLOBAL = 9
    TABLE = 10
    BYTES = 11
    FUNCTYPE = 12
    CALLBACK = 13
    WASI_CONFIG = 14
    CALLER = 15


class OptLevel(enum.IntEnum):
    NONE = 0
    SPEED = 1
    SPEED_AND_SIZE = 2


class Feature(enum.IntEnum):
    """``WT_FEATURE_*`` for :meth:`Config.set_feature`."""

    SIMD = 0
    BULK_MEMORY = 1
    MULTI_MEMORY = 2
    THREADS = 3
    REFERENCE_TYPES = 4
    GC = 5
    FUNCTION_REFERENCES = 6
    TAIL_CALL = 7
    MEMORY64 = 8
    RELAXED_SIMD = 9
    EXCEPTIONS = 10
    EXTENDED_CONST = 11
    MULTI_VALUE = 12
    WIDE_ARITHMETIC = 13
    CUSTOM_PAGE_SIZES = 14


class Stdio(enum.IntEnum):
    """``WT_STDIO_*`` for WASI stdout/stderr."""

    NULL = 0
    INHERIT = 1
    CAPTURE = 2


class TrapCode(enum.IntEnum):
    """``WT_TRAP_*``, found in ``WtError.trap_code``."""

    STACK_OVERFLOW = 0
    MEMORY_OUT_OF_BOUNDS = 1
    HEAP_MISALIGNED = 2
    TABLE_OUT_OF_BOUNDS = 3
    INDIRECT_CALL_TO_NULL = 4
    BAD_SIGNATURE = 5
    INTEGER_OVERFLOW = 6
    INTEGER_DIVISION_BY_ZERO = 7
    BAD_CONVERSION_TO_INTEGER = 8
    UNREACHABLE = 9
    INTERRUPT = 10
    OUT_OF_FUEL = 11
    NULL_REFERENCE = 12
    ARRAY_OUT_OF_BOUNDS = 13
    ALLOCATION_TOO_LARGE = 14
    CAST_FAILURE = 15
    ATOMIC_WAIT_NON_SHARED_MEMORY = 16
    UNHANDLED_TAG = 17
    OTHER = 99


_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF
_NO_CAP = _U64  # UINT64_MAX: no cap in wt_store_set_limits

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _utf8(s: str | bytes | os.PathLike) -> bytes:
    if isinstance(s, bytes):
        return s
    if isinstance(s, os.PathLike):
        s = os.fspath(s)
        if isinstance(s, bytes):
            return s
    if not isinstance(s, str):
        raise TypeError(f"expected str, bytes or a path, got {type(s).__name__}")
    return s.encode("utf-8")


def _h(obj: Any) -> int:
    """The handle of a wrapper object (or a raw integer handle)."""
    if isinstance(obj, int):
        return obj
    return obj._h


def _bytes_arg(data: Any) -> bytes:
    return data if isinstance(data, bytes) else bytes(data)


def _take_bytes(h: int) -> bytes:
    """Copies a WT_KIND_BYTES handle's contents and frees the handle."""
    ptr, n = c_void_p(), c_size_t()
    st = lib.wt_bytes_data(h, byref(ptr), byref(n))
    if st:
        err = last_error(st)
        lib.wt_free(h)
        raise err
    data = string_at(ptr.value, n.value) if n.value else b""
    lib.wt_free(h)
    return data


def _read_name(fn: Callable[..., int], *lead: Any) -> str:
    """Reads a (buf, cap, out_len) name: size it with a NULL buffer, then copy."""
    n = c_size_t()
    st = fn(*lead, None, 0, byref(n))
    if st and st != ERR_OUT_OF_BOUNDS:
        raise last_error(st)
    if n.value == 0:
        return ""
    buf = create_string_buffer(n.value)
    check(fn(*lead, buf, n.value, byref(n)))
    return buf.raw[: n.value].decode("utf-8", "replace")


def version() -> str:
    """The libwt version string ("MAJOR.MINOR.PATCH")."""
    return string_at(lib.wt_version()).decode()


def handle_count() -> int:
    """Live libwt handles in the process (for leak checks)."""
    return lib.wt_handle_count()


def handle_kind(handle: Any) -> HandleKind:
    """The kind of a live handle (a wrapper object or an integer)."""
    k = c_int32()
    check(lib.wt_handle_kind(_h(handle), byref(k)))
    return HandleKind(k.value)


def free(handle: Any) -> None:
    """Frees a handle with ``wt_free`` now; raises ``BadHandleError`` if it is
    already gone. Caller-owned wrappers are better closed with ``close()``;
    this is how to release a store-owned object (func, memory, ...) before
    its store. The wrapper's own finalizer is cancelled."""
    fin = getattr(handle, "_fin", None) or getattr(handle, "_finalizer", None)
    if fin is not None:
        fin.detach()
    if isinstance(handle, Store):
        handle._state.alive = False  # its children are freed with it
    check(lib.wt_free(_h(handle)))


def wat2wasm(wat: str | bytes) -> bytes:
    """Converts WebAssembly text to binary (``CompileError`` with line/column)."""
    text = _utf8(wat)
    out = c_uint64()
    check(lib.wt_wat2wasm(text, len(text), byref(out)))
    return _take_bytes(out.value)


# ---------------------------------------------------------------------------
# Lifetimes
#
# Caller-owned handles (engine, config, module, linker, store, WASI config) are
# freed once: by close(), by `with`, or by a weakref.finalize when the Python
# object is collected. Such frees always succeed, so they never touch the
# thread's last-error record.
#
# Store-owned handles (instance, func, memory, global, table) are freed by
# their store. Their wrappers keep the Python Store alive, and free their own
# handle early when collected *only while the store is alive* (tracked by a
# _StoreState flag): a store that was closed already freed them, and a second
# free would be an error. Early freeing keeps a long-lived store's handle
# table from growing when e.g. a host function looks up the caller's memory
# on every call.
# ---------------------------------------------------------------------------


def _free_owned(h: int) -> None:
    try:
        lib.wt_free(h)
    except Exception:  # interpreter shutdown; never raise from a finalizer
        pass


class _StoreState:
    __slots__ = ("alive",)

    def __init__(self) -> None:
        self.alive = True


def _free_store(h: int, state: _StoreState) -> None:
    state.alive = False
    _free_owned(h)


def _free_child(h: int, state: _StoreState) -> None:
    if state.alive:
        _free_owned(h)


class _Owned:
    """Base of caller-owned handle wrappers."""

    _h: int

    def _own(self, h: int) -> None:
        self._h = h
        self._finalizer = weakref.finalize(self, _free_owned, h)

    @property
    def handle(self) -> int:
        """The raw libwt handle (``uint64_t``)."""
        return self._h

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Frees the handle now (idempotent). Later use raises ``BadHandleError``."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<wt.{type(self).__name__} {self._h:#x}{state}>"


class _InStore:
    """Base of store-owned handle wrappers (instance, func, memory, global, table)."""

    _h: int

    @classmethod
    def _adopt(cls, h: int, owner: Any):
        self = cls.__new__(cls)
        self._h = h
        self._owner = owner  # keeps the Python Store (or Caller) alive
        state = getattr(owner, "_state", None)
        if state is not None:
            self._fin = weakref.finalize(self, _free_child, h, state)
        return self

    @property
    def handle(self) -> int:
        return self._h

    def __repr__(self) -> str:
        return f"<wt.{type(self).__name__} {self._h:#x}>"


# ---------------------------------------------------------------------------
# Values: Python <-> 64-bit slots
# ---------------------------------------------------------------------------

_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_U32S = struct.Struct("<I")
_U64S = struct.Struct("<Q")


def _to_slot(t: int, v: Any) -> int:
    """Encodes a Python value as a slot of type ``t``."""
    if t == 0:  # i32
        if not isinstance(v, int):
            raise TypeError(f"i32 value must be an int, got {type(v).__name__}")
        if not -0x8000_0000 <= v <= _U32:
            raise OverflowError(f"{v} does not fit an i32")
        return v & _U32
    if t == 1:  # i64
        if not isinstance(v, int):
            raise TypeError(f"i64 value must be an int, got {type(v).__name__}")
        if not -0x8000_0000_0000_0000 <= v <= _U64:
            raise OverflowError(f"{v} does not fit an i64")
        return v & _U64
    if t == 2:  # f32
        if not isinstance(v, (int, float)):
            raise TypeError(f"f32 value must be a float, got {type(v).__name__}")
        return _U32S.unpack(_F32.pack(v))[0]
    if t == 3:  # f64
        if not isinstance(v, (int, float)):
            raise TypeError(f"f64 value must be a float, got {type(v).__name__}")
        return _U64S.unpack(_F64.pack(v))[0]
    if t == 5:  # funcref: a Func or None
        if v is None:
            return 0
        if isinstance(v, Func):
            return v._h
        raise TypeError(f"funcref value must be a wt.Func or None, got {type(v).__name__}")
    if t == 6:  # externref: a non-zero uint64 payload, None (or 0) for null
        if v is None:
            return 0
        if not isinstance(v, int) or not 0 <= v <= _U64:
            raise TypeError(f"externref value must be an int in [1, 2**64) or None, got {v!r}")
        return v
    # v128 / anyref do not fit a slot: pass the bits, libwt reports WT_ERR_UNSUPPORTED.
    return _any_slot(v)


def _any_slot(v: Any) -> int:
    """Best-effort encoding without a type (used when the count is wrong, so
    that libwt reports the signature mismatch)."""
    if v is None:
        return 0
    if isinstance(v, float):
        return _U64S.unpack(_F64.pack(v))[0]
    if isinstance(v, int):
        return v & _U64
    return _h(v)


def _from_slot(t: int, slot: int, owner: Any) -> Any:
    """Decodes a slot of type ``t`` (ints are signed, like wasm's view)."""
    if t == 0:
        v = slot & _U32
        return v - 0x1_0000_0000 if v & 0x8000_0000 else v
    if t == 1:
        return slot - 0x1_0000_0000_0000_0000 if slot & 0x8000_0000_0000_0000 else slot
    if t == 2:
        return _F32.unpack(_U32S.pack(slot & _U32))[0]
    if t == 3:
        return _F64.unpack(_U64S.pack(slot))[0]
    if t == 5:
        return Func._adopt(slot, owner) if slot else None
    if t == 6:
        return slot if slot else None
    return slot


def _valtype(x: Any) -> ValType:
    if isinstance(x, ValType):
        return x
    if isinstance(x, str):
        try:
            return ValType[x.upper()]
        except KeyError:
            pass
    if isinstance(x, int) and not isinstance(x, bool):
        return ValType(x)
    raise TypeError(f"not a wasm value type: {x!r} (use wt.I32, wt.I64, wt.F32, wt.F64, wt.FUNCREF, wt.EXTERNREF)")


@dataclass(frozen=True)
class FuncType:
    """Parameter and result types of a function."""

    params: tuple[ValType, ...]
    results: tuple[ValType, ...]

    def __str__(self) -> str:
        parts = ["func"]
        if self.params:
            parts.append(f"(param {' '.join(map(str, self.params))})")
        if self.results:
            parts.append(f"(result {' '.join(map(str, self.results))})")
        return f"({' '.join(parts)})"


def _read_functype(h: int) -> FuncType:
    """Reads a func / functype / callback handle's signature."""
    n = c_size_t()
    t = c_int32()
    check(lib.wt_func_param_count(h, byref(n)))
    params = []
    for i in range(n.value):
        check(lib.wt_func_param_type(h, i, byref(t)))
        params.append(ValType(t.value))
    check(lib.wt_func_result_count(h, byref(n)))
    results = []
    for i in range(n.value):
        check(lib.wt_func_result_type(h, i, byref(t)))
        results.append(ValType(t.value))
    return FuncType(tuple(params), tuple(results))


def _new_functype(params: Sequence[Any], results: Sequence[Any]) -> int:
    p = [int(_valtype(x)) for x in params]
    r = [int(_valtype(x)) for x in results]
    pa = (c_int32 * len(p))(*p) if p else None
    ra = (c_int32 * len(r))(*r) if r else None
    out = c_uint64()
    check(lib.wt_functype_new(pa, len(p), ra, len(r), byref(out)))
    return out.value


# ---------------------------------------------------------------------------
# Per-thread call state
#
# Host functions need the Python Store of the call that reached them (for
# Caller.store), and funcref results must stay alive until the outermost call
# returns. Every call into wasm (Func.__call__, Linker.instantiate) saves the
# thread's current store, sets its own and restores the previous one after.
# ---------------------------------------------------------------------------


class _ThreadState:
    __slots__ = ("store", "keep")

    def __init__(self) -> None:
        self.store: Any = None  # the store/caller of the innermost call into wasm, None outside
        self.keep: list | None = None  # funcref results returned by host functions


_tls = threading.local()


def _thread_state() -> _ThreadState:
    try:
        return _tls.st
    except AttributeError:
        ts = _tls.st = _ThreadState()
        return ts


def _enter(store: Any) -> tuple[_ThreadState, Any]:
    """Marks the start of a call into wasm on this thread; pass the result to _leave."""
    ts = _thread_state()
    prev = ts.store
    ts.store = store
    return ts, prev


def _leave(ts: _ThreadState, prev: Any) -> None:
    ts.store = prev
    if prev is None:
        # The outermost call returned: libwt has converted every result the
        # host functions gave it, so their funcref wrappers may now die.
        ts.keep = None


def _keep(r: Any) -> None:
    ts = _thread_state()
    if ts.keep is None:
        ts.keep = []
    ts.keep.append(r)


def _new_caller(h: int) -> Caller:
    """The Caller for a host function running on this thread."""
    ts = getattr(_tls, "st", None)
    store = ts.store if ts is not None else None
    if isinstance(store, Caller):
        store = store.store
    return Caller(h, store if isinstance(store, Store) else None)


def _store_hc(store: Any) -> c_uint64:
    """A store argument's handle as a c_uint64 (Store and Caller keep one in `_hc`)."""
    return c_uint64(_h(store))


# ---------------------------------------------------------------------------
# Compiled call paths
#
# Func.__call__ and the host-function trampoline convert values with code
# generated once per signature (cached), so that a call does no per-value
# dispatch on the type: an (i32, i32) -> i32 call is a few type/range checks,
# two stores into a reused argument array, wt_call with ready-made ctypes
# arguments (no argtypes conversion) and one load from the result array.
# Values that the inline checks do not cover (bool, int subclasses, ints for
# floats, out-of-range values, refs) go through _to_slot / _from_slot, so
# results and error messages are exactly those of the generic conversion.
# ---------------------------------------------------------------------------

_LITTLE = sys.byteorder == "little"
_FLT_MAX = 3.4028234663852886e38
_F32X = struct.Struct("<f4x")  # an f32 in the low half of a slot
_pack_u64 = _U64S.pack
_unpack_f32x = _F32X.unpack
_unpack_f64 = _F64.unpack


def _lo(k: int) -> int:
    """Index of slot k's low 32 bits in a 32-bit view of a slot array."""
    return 2 * k if _LITTLE else 2 * k + 1


# Inline Python -> slot code for ints: (the value {v} is a plain int in range,
# its slot). Anything else goes to _to_slot (bool, int subclasses, errors).
_INT_CHECK = {
    0: ("{v}.__class__ is int and -0x80000000 <= {v} <= 0xFFFFFFFF", "{v} & 0xFFFFFFFF"),
    1: ("{v}.__class__ is int and -0x8000000000000000 <= {v} <= 0xFFFFFFFFFFFFFFFF", "{v} & 0xFFFFFFFFFFFFFFFF"),
}

_call_factories: dict[tuple, Callable[..., Any]] = {}
_invoke_factories: dict[tuple, Callable[..., Any]] = {}


def _compile(src: str, name: str, namespace: dict) -> Callable[..., Any]:
    ns = dict(namespace)
    exec(compile(src, f"<wt generated {name}>", "exec"), ns)  # noqa: S102 - our own generated code
    return ns[name]


def _call_factory(params: tuple[int, ...], results: tuple[int, ...]) -> Callable[..., Any]:
    """factory(func_handle_int) -> call(store, args) for one signature."""
    key = (params, results)
    f = _call_factories.get(key)
    if f is None:
        f = _call_factories.setdefault(key, _make_call_factory(params, results))
    return f


def _make_call_factory(params: tuple[int, ...], results: tuple[int, ...]) -> Callable[..., Any]:
    np_, nr = len(params), len(results)
    views = []  # (name, constructor source) of the per-call buffers
    if np_:
        views.append(("A", f"_U64x{np_}()"))
        if 2 in params:
            views.append(("Af", f"(c_float * {2 * np_}).from_buffer(A)"))
        if 3 in params:
            views.append(("Ad", f"(c_double * {np_}).from_buffer(A)"))
    if nr:
        views.append(("R", f"_U64x{nr}()"))
        for t, name, ctype, size in ((0, "R32", "c_int32", 2 * nr), (1, "R64", "c_int64", nr),
                                     (2, "Rf", "c_float", 2 * nr), (3, "Rd", "c_double", nr)):
            if t in results:
                views.append((name, f"({ctype} * {size}).from_buffer(R)"))
    names = ", ".join(n for n, _ in views)
    a = [f"a{k}" for k in range(np_)]
    L = ["def factory(h):",
         "    fh = c_uint64(h)",
         "    pool = []"]
    if views:
        L.append("    def newbufs():")
        L += [f"        {n} = {src}" for n, src in views]
        L.append(f"        return ({names},)")
    L += ["    def call(store, args):",
          f"        if len(args) != {np_}:",
          f"            return _call_generic(h, {params!r}, {results!r}, store, args)"]
    if np_:
        L.append(f"        {', '.join(a)}, = args")
    # 1. check and convert every argument (before taking a buffer)
    writes = []
    for k, t in enumerate(params):
        v = a[k]
        if t in _INT_CHECK:
            cond, enc = _INT_CHECK[t]
            L.append(f"        if not ({cond.format(v=v)}):")
            L.append(f"            {v} = _to_slot({t}, {v})")
            writes.append(f"A[{k}] = {enc.format(v=v)}")
        elif t == 2:
            L.append(f"        f{k} = {v}.__class__ is float and -_FLT_MAX <= {v} <= _FLT_MAX")
            L.append(f"        if not f{k}:")
            L.append(f"            {v} = _to_slot(2, {v})")
            writes.append(f"if f{k}:\n            Af[{_lo(k)}] = {v}\n        else:\n            A[{k}] = {v}")
        elif t == 3:
            L.append(f"        f{k} = {v}.__class__ is float")
            L.append(f"        if not f{k}:")
            L.append(f"            {v} = _to_slot(3, {v})")
            writes.append(f"if f{k}:\n            Ad[{k}] = {v}\n        else:\n            A[{k}] = {v}")
        else:
            L.append(f"        {v} = _to_slot({t}, {v})")
            writes.append(f"A[{k}] = {v}")
    L += ["        try:",
          "            sh = store._hc",
          "        except AttributeError:",
          "            sh = _store_hc(store)"]
    # 2. take a buffer set (one per concurrent or nested call of this Func)
    if views:
        L += ["        try:",
              "            bufs = pool.pop()",
              "        except IndexError:",
              "            bufs = newbufs()",
              f"        {names}, = bufs"]
    L += [f"        {w}" for w in writes]
    # 3. the call, with this thread's current store set for host functions
    L += ["        try:",
          "            ts = _tls.st",
          "        except AttributeError:",
          "            ts = _thread_state()",
          "        prev = ts.store",
          "        ts.store = store",
          "        try:",
          f"            st = _wt_call(sh, fh, {'A' if np_ else 'None'}, _N{np_}, {'R' if nr else 'None'}, _N{nr})",
          "        finally:",
          "            ts.store = prev",
          "            if prev is None:",
          "                ts.keep = None",
          "        if st:"]
    if views:
        L.append("            pool.append(bufs)")
    L.append("            raise last_error(st)")
    # 4. results, read before the buffer goes back to the pool
    outs = []
    for k, t in enumerate(results):
        if t == 0:
            outs.append(f"R32[{_lo(k)}]")
        elif t == 1:
            outs.append(f"R64[{k}]")
        elif t == 2:
            outs.append(f"Rf[{_lo(k)}]")
        elif t == 3:
            outs.append(f"Rd[{k}]")
        else:
            outs.append(f"_from_slot({t}, R[{k}], store)")
    if nr:
        L.append(f"        r = {outs[0] if nr == 1 else '(' + ', '.join(outs) + ',)'}")
    if views:
        L.append("        pool.append(bufs)")
    L.append(f"        return {'r' if nr else 'None'}")
    L.append("    return call")
    ns = {
        "c_uint64": c_uint64, "c_int32": c_int32, "c_int64": c_int64, "c_float": c_float,
        "c_double": c_double, "_to_slot": _to_slot, "_from_slot": _from_slot,
        "_call_generic": _call_generic, "_store_hc": _store_hc, "_tls": _tls,
        "_thread_state": _thread_state, "_wt_call": wt_call_direct, "last_error": last_error,
        "_FLT_MAX": _FLT_MAX, f"_N{np_}": c_size_t(np_), f"_N{nr}": c_size_t(nr),
        f"_U64x{np_}": c_uint64 * np_, f"_U64x{nr}": c_uint64 * nr,
    }
    return _compile("\n".join(L), "factory", ns)


def _call_generic(h: int, params: tuple[int, ...], results: tuple[int, ...], store: Any, args: tuple) -> Any:
    """A call with the wrong number of arguments: libwt reports the mismatch."""
    n, nr = len(args), len(results)
    argv = (c_uint64 * n)(*map(_any_slot, args)) if n else None
    resv = (c_uint64 * nr)() if nr else None
    ts, prev = _enter(store)
    try:
        st = lib.wt_call(_h(store), h, argv, n, resv, nr)
        if st:
            raise last_error(st)
    finally:
        _leave(ts, prev)
    if nr == 0:
        return None
    if nr == 1:
        return _from_slot(results[0], resv[0], store)
    return tuple(_from_slot(t, resv[i], store) for i, t in enumerate(results))


# ---------------------------------------------------------------------------
# Host functions: one C callback for all of them
#
# Every host function is registered with the same two module-level ctypes
# callbacks (_TRAMPOLINE, _FINALIZER), with `env` = an integer id into
# _registry. wt_callback_new's finalizer removes the entry once libwt no
# longer uses the function (its linker and every store using it are gone).
# The trampoline hands the call to the entry's `invoke`, compiled for the
# function's signature (see above).
# ---------------------------------------------------------------------------


@dataclass
class _HostEntry:
    fn: Callable[..., Any]
    params: tuple[int, ...]
    results: tuple[int, ...]
    access_caller: bool
    ref_results: bool = False
    invoke: Callable[..., int] | None = None


_registry: dict[int, _HostEntry] = {}
_ids = itertools.count(1)


def host_function_count() -> int:
    """Python host functions libwt still holds (registry entries not finalized)."""
    return len(_registry)


def _invoke_generic(fn: Callable[..., Any], ptypes: tuple[int, ...], rtypes: tuple[int, ...],
                    access_caller: bool, ref_results: bool,
                    caller: int, args: Any, nargs: int, results: Any, nresults: int) -> int:
    """A host call whose counts differ from the declared signature (libwt
    never does that; kept so that such a call fails like any other)."""
    c = _new_caller(caller)
    pyargs = [_from_slot(ptypes[i], args[i], c) for i in range(nargs)]
    r = fn(c, *pyargs) if access_caller else fn(*pyargs)
    if ref_results:
        _keep(r)
    if nresults == 0:
        if r is not None:
            raise TypeError(f"host function has no results but returned {r!r}")
    elif nresults == 1:
        results[0] = _to_slot(rtypes[0], r)
    else:
        if not isinstance(r, (tuple, list)) or len(r) != nresults:
            raise TypeError(f"host function must return a tuple of {nresults} values, got {r!r}")
        for i in range(nresults):
            results[i] = _to_slot(rtypes[i], r[i])
    return 0


def _invoke_factory(params: tuple[int, ...], results: tuple[int, ...], access_caller: bool) -> Callable[..., Any]:
    """factory(fn) -> invoke(caller, args, nargs, results, nresults) for one signature."""
    key = (params, results, access_caller)
    f = _invoke_factories.get(key)
    if f is None:
        f = _invoke_factories.setdefault(key, _make_invoke_factory(params, results, access_caller))
    return f


def _make_invoke_factory(params: tuple[int, ...], results: tuple[int, ...], access_caller: bool) -> Callable[..., Any]:
    np_, nr = len(params), len(results)
    need_caller = access_caller or any(t == 5 for t in params)
    ref_results = 5 in results
    L = ["def factory(fn):",
         f"    slow = partial(_invoke_generic, fn, {params!r}, {results!r}, {access_caller!r}, {ref_results!r})",
         "    def invoke(caller, args, nargs, results, nresults):",
         f"        if nargs != {np_} or nresults != {nr}:",
         "            return slow(caller, args, nargs, results, nresults)"]
    if need_caller:
        L.append("        c = _new_caller(caller)")
    pyargs = ["c"] if access_caller else []
    for k, t in enumerate(params):
        if t == 0:  # the slot's low 32 bits, signed
            L.append(f"        a{k} = ((args[{k}] + 0x80000000) & 0xFFFFFFFF) - 0x80000000")
        elif t == 1:
            L.append(f"        a{k} = ((args[{k}] + 0x8000000000000000) & 0xFFFFFFFFFFFFFFFF) - 0x8000000000000000")
        elif t == 2:
            L.append(f"        a{k} = _unpack_f32x(_pack_u64(args[{k}]))[0]")
        elif t == 3:
            L.append(f"        a{k} = _unpack_f64(_pack_u64(args[{k}]))[0]")
        elif t == 5:
            L.append(f"        a{k} = _from_slot(5, args[{k}], c)")
        else:
            L.append(f"        a{k} = _from_slot({t}, args[{k}], None)")
        pyargs.append(f"a{k}")
    L.append(f"        r = fn({', '.join(pyargs)})")
    if ref_results:
        # libwt reads funcref result handles after we return: keep their
        # wrappers (whose collection frees the handle) until the outermost
        # call on this thread returns.
        L.append("        _keep(r)")

    def store(k: int, t: int, v: str) -> list[str]:
        if t in _INT_CHECK:
            cond, enc = _INT_CHECK[t]
            return [f"        if {cond.format(v=v)}:",
                    f"            results[{k}] = {enc.format(v=v)}",
                    "        else:",
                    f"            results[{k}] = _to_slot({t}, {v})"]
        return [f"        results[{k}] = _to_slot({t}, {v})"]

    if nr == 0:
        L += ["        if r is not None:",
              "            raise TypeError(f'host function has no results but returned {r!r}')"]
    elif nr == 1:
        L += store(0, results[0], "r")
    else:
        L += ["        if not isinstance(r, (tuple, list)) or len(r) != nresults:",
              "            raise TypeError(f'host function must return a tuple of {nresults} values, got {r!r}')",
              f"        {', '.join(f'r{k}' for k in range(nr))}, = r"]
        for k, t in enumerate(results):
            L += store(k, t, f"r{k}")
    L += ["        return 0", "    return invoke"]
    ns = {"partial": functools.partial, "_invoke_generic": _invoke_generic, "_new_caller": _new_caller,
          "_keep": _keep, "_to_slot": _to_slot, "_from_slot": _from_slot, "_pack_u64": _pack_u64,
          "_unpack_f32x": _unpack_f32x, "_unpack_f64": _unpack_f64}
    return _compile("\n".join(L), "factory", ns)


def _dispatch(env: int | None, caller: int, args: Any, nargs: int, results: Any, nresults: int) -> int:
    try:
        return _registry[env].invoke(caller, args, nargs, results, nresults)
    except BaseException as exc:  # never let an exception unwind into libwt
        try:
            stash_host_exception(exc)
            text = f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
            lib.wt_caller_set_error(caller, text, len(text))
        except BaseException:
            pass
        return 1


def _finalize_env(env: int | None) -> None:
    try:
        _registry.pop(env, None)
    except BaseException:  # interpreter shutdown
        pass


_TRAMPOLINE = CALLBACK_T(_dispatch)
_FINALIZER = FINALIZER_T(_finalize_env)


def _new_callback(params: Sequence[Any], results: Sequence[Any], fn: Callable[..., Any], access_caller: bool) -> int:
    """Makes a WT_KIND_CALLBACK handle (caller-owned) for a Python function."""
    if not callable(fn):
        raise TypeError("host function must be callable")
    ft = _new_functype(params, results)
    try:
        entry = _HostEntry(
            fn,
            tuple(int(_valtype(x)) for x in params),
            tuple(int(_valtype(x)) for x in results),
            bool(access_caller),
        )
        entry.ref_results = int(ValType.FUNCREF) in entry.results
        entry.invoke = _invoke_factory(entry.params, entry.results, entry.access_caller)(fn)
        hid = next(_ids)
        _registry[hid] = entry
        out = c_uint64()
        st = lib.wt_callback_new(ft, _TRAMPOLINE, hid, _FINALIZER, byref(out))
        if st:
            err = last_error(st)
            _registry.pop(hid, None)
            raise err
        return out.value
    finally:
        lib.wt_free(ft)


def _signature_of(fn: Callable[..., Any]) -> tuple[list[ValType], list[ValType], bool]:
    """Reads (params, results, access_caller) from a function's annotations:
    ``def f(caller: wt.Caller, x: wt.I32) -> (wt.I32, wt.F64)``."""
    sig = inspect.signature(fn)
    scope = getattr(inspect.unwrap(fn), "__globals__", {})

    def resolve(ann: Any) -> Any:
        # "i32" names a type; other strings (from __future__ annotations) are evaluated.
        if isinstance(ann, str) and ann.upper() not in ValType.__members__:
            return eval(ann, scope)  # noqa: S307 - the function's own annotation
        return ann

    ps = list(sig.parameters.values())
    access_caller = bool(ps) and resolve(ps[0].annotation) is Caller
    if access_caller:
        ps = ps[1:]
    params = []
    for p in ps:
        if p.annotation is inspect.Parameter.empty:
            raise TypeError(f"parameter {p.name!r} of {fn.__name__} needs a wasm type annotation (e.g. wt.I32)")
        params.append(_valtype(resolve(p.annotation)))
    ret = resolve(sig.return_annotation)
    if ret is inspect.Signature.empty or ret is None:
        results = []
    elif isinstance(ret, (tuple, list)):
        results = [_valtype(r) for r in ret]
    else:
        results = [_valtype(ret)]
    return params, results, access_caller


# ---------------------------------------------------------------------------
# Config and Engine
# ---------------------------------------------------------------------------


class Config(_Owned):
    """Engine configuration. Setters return ``self``; keyword arguments of the
    constructor call the setter of the same name::

        Config(consume_fuel=True, opt_level=OptLevel.NONE, features={Feature.SIMD: False})
    """

    def __init__(self, *, consume_fuel: bool | None = None, epoch_interruption: bool | None = None,
                 opt_level: int | None = None, debug_info: bool | None = None,
                 parallel_compilation: bool | None = None, max_wasm_stack: int | None = None,
                 cache_dir: str | os.PathLike | None = None, features: dict | None = None):
        out = c_uint64()
        check(lib.wt_config_new(byref(out)))
        self._own(out.value)
        if consume_fuel is not None:
            self.set_consume_fuel(consume_fuel)
        if epoch_interruption is not None:
            self.set_epoch_interruption(epoch_interruption)
        if opt_level is not None:
            self.set_opt_level(opt_level)
        if debug_info is not None:
            self.set_debug_info(debug_info)
        if parallel_compilation is not None:
            self.set_parallel_compilation(parallel_compilation)
        if max_wasm_stack is not None:
            self.set_max_wasm_stack(max_wasm_stack)
        if cache_dir is not None:
            self.set_cache_dir(cache_dir)
        for f, on in (features or {}).items():
            self.set_feature(f, on)

    def set_consume_fuel(self, on: bool = True) -> Config:
        check(lib.wt_config_set_consume_fuel(self._h, int(on)))
        return self

    def set_epoch_interruption(self, on: bool = True) -> Config:
        check(lib.wt_config_set_epoch_interruption(self._h, int(on)))
        return self

    def set_opt_level(self, level: int) -> Config:
        check(lib.wt_config_set_opt_level(self._h, int(level)))
        return self

    def set_debug_info(self, on: bool = True) -> Config:
        check(lib.wt_config_set_debug_info(self._h, int(on)))
        return self

    def set_parallel_compilation(self, on: bool = True) -> Config:
        check(lib.wt_config_set_parallel_compilation(self._h, int(on)))
        return self

    def set_max_wasm_stack(self, nbytes: int) -> Config:
        check(lib.wt_config_set_max_wasm_stack(self._h, nbytes))
        return self

    def set_feature(self, feature: int, on: bool = True) -> Config:
        check(lib.wt_config_set_feature(self._h, int(feature), int(on)))
        return self

    def set_cache_dir(self, path: str | os.PathLike) -> Config:
        p = _utf8(path)
        check(lib.wt_config_set_cache_dir(self._h, p, len(p)))
        return self


class Engine(_Owned):
    """Compiles modules; shared by any number of stores and threads."""

    def __init__(self, config: Config | None = None):
        out = c_uint64()
        if config is None:
            check(lib.wt_engine_new(byref(out)))
        else:
            check(lib.wt_engine_new_with_config(_h(config), byref(out)))
        self._own(out.value)

    def increment_epoch(self) -> None:
        check(lib.wt_engine_increment_epoch(self._h))


# ---------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportType:
    module: str
    name: str
    kind: ExternKind
    functype: FuncType | None


@dataclass(frozen=True)
class ExportType:
    name: str
    kind: ExternKind
    functype: FuncType | None


class Module(_Owned):
    """A compiled module. ``Module(engine, wat_str_or_wasm_bytes)``."""

    def __init__(self, engine: Engine, source: str | bytes):
        if isinstance(source, str):
            h = Module._compile_wat(engine, source.encode("utf-8"))
        else:
            h = Module._compile_wasm(engine, _bytes_arg(source))
        self._own(h)
        self.engine = engine

    @staticmethod
    def _compile_wat(engine: Any, text: bytes) -> int:
        out = c_uint64()
        check(lib.wt_module_from_wat(_h(engine), text, len(text), byref(out)))
        return out.value

    @staticmethod
    def _compile_wasm(engine: Any, wasm: bytes) -> int:
        out = c_uint64()
        check(lib.wt_module_from_wasm(_h(engine), wasm, len(wasm), byref(out)))
        return out.value

    @classmethod
    def _wrap(cls, engine: Any, h: int) -> Module:
        self = cls.__new__(cls)
        self._own(h)
        self.engine = engine
        return self

    @classmethod
    def from_text(cls, engine: Engine, wat: str | bytes) -> Module:
        """Compiles WAT text (``CompileError`` with line and column)."""
        return cls._wrap(engine, cls._compile_wat(engine, _utf8(wat)))

    @classmethod
    def from_binary(cls, engine: Engine, wasm: bytes) -> Module:
        return cls._wrap(engine, cls._compile_wasm(engine, _bytes_arg(wasm)))

    @staticmethod
    def validate(engine: Engine, wasm: bytes) -> None:
        """Raises ``CompileError`` with the reason if ``wasm`` is not valid."""
        data = _bytes_arg(wasm)
        check(lib.wt_module_validate(_h(engine), data, len(data)))

    @classmethod
    def deserialize(cls, engine: Engine, data: bytes) -> Module:
        """Loads bytes from :meth:`serialize`. TRUSTED INPUT ONLY (machine code)."""
        data = _bytes_arg(data)
        out = c_uint64()
        check(lib.wt_module_deserialize(_h(engine), data, len(data), byref(out)))
        return cls._wrap(engine, out.value)

    def serialize(self) -> bytes:
        out = c_uint64()
        check(lib.wt_module_serialize(self._h, byref(out)))
        return _take_bytes(out.value)

    def _item(self, is_import: int, index: int) -> tuple[ExternKind, FuncType | None]:
        kind, ft = c_int32(), c_uint64()
        check(lib.wt_module_item_type(self._h, is_import, index, byref(kind), byref(ft)))
        functype = None
        if ft.value:
            try:
                functype = _read_functype(ft.value)
            finally:
                lib.wt_free(ft.value)
        return ExternKind(kind.value), functype

    @property
    def imports(self) -> list[ImportType]:
        n = c_size_t()
        check(lib.wt_module_import_count(self._h, byref(n)))
        out = []
        for i in range(n.value):
            mod = _read_name(lib.wt_module_import_module, self._h, i)
            name = _read_name(lib.wt_module_import_name, self._h, i)
            kind, ft = self._item(1, i)
            out.append(ImportType(mod, name, kind, ft))
        return out

    @property
    def exports(self) -> list[ExportType]:
        n = c_size_t()
        check(lib.wt_module_export_count(self._h, byref(n)))
        out = []
        for i in range(n.value):
            name = _read_name(lib.wt_module_export_name, self._h, i)
            kind, ft = self._item(0, i)
            out.append(ExportType(name, kind, ft))
        return out


# ---------------------------------------------------------------------------
# WASI
# ---------------------------------------------------------------------------


class WasiConfig(_Owned):
    """WASI preview 1 context settings, copied into a store by ``Store.set_wasi``::

        WasiConfig(args=["prog", "x"], env={"K": "V"}, stdin=b"input",
                   stdout=Stdio.CAPTURE, stderr=Stdio.INHERIT,
                   preopens=[("/host/dir", "/data", True)])
    """

    def __init__(self, *, args: Iterable[str] = (), env: dict[str, str] | None = None,
                 stdin: bytes | None = None, inherit_stdin: bool = False,
                 stdout: int | None = None, stderr: int | None = None,
                 preopens: Iterable[tuple] = ()):
        out = c_uint64()
        check(lib.wt_wasi_config_new(byref(out)))
        self._own(out.value)
        for a in args:
            self.add_arg(a)
        for k, v in (env or {}).items():
            self.add_env(k, v)
        if stdin is not None:
            self.set_stdin_bytes(stdin)
        if inherit_stdin:
            self.inherit_stdin()
        if stdout is not None:
            self.set_stdout(stdout)
        if stderr is not None:
            self.set_stderr(stderr)
        for p in preopens:
            self.preopen_dir(*p)

    def add_arg(self, arg: str) -> WasiConfig:
        b = _utf8(arg)
        check(lib.wt_wasi_config_add_arg(self._h, b, len(b)))
        return self

    def add_env(self, key: str, value: str) -> WasiConfig:
        k, v = _utf8(key), _utf8(value)
        check(lib.wt_wasi_config_add_env(self._h, k, len(k), v, len(v)))
        return self

    def set_stdin_bytes(self, data: bytes) -> WasiConfig:
        d = _bytes_arg(data)
        check(lib.wt_wasi_config_set_stdin_bytes(self._h, d, len(d)))
        return self

    def inherit_stdin(self) -> WasiConfig:
        check(lib.wt_wasi_config_inherit_stdin(self._h))
        return self

    def set_stdout(self, mode: int) -> WasiConfig:
        check(lib.wt_wasi_config_set_stdout(self._h, int(mode)))
        return self

    def set_stderr(self, mode: int) -> WasiConfig:
        check(lib.wt_wasi_config_set_stderr(self._h, int(mode)))
        return self

    def preopen_dir(self, host_path: str | os.PathLike, guest_path: str, read_only: bool = False) -> WasiConfig:
        hp, gp = _utf8(host_path), _utf8(guest_path)
        check(lib.wt_wasi_config_preopen_dir(self._h, hp, len(hp), gp, len(gp), int(read_only)))
        return self


# ---------------------------------------------------------------------------
# Stores and callers
# ---------------------------------------------------------------------------


class _StoreLike:
    """What works with a store handle and with a caller handle alike."""

    _h: int

    def get_fuel(self) -> int:
        out = c_uint64()
        check(lib.wt_store_get_fuel(self._h, byref(out)))
        return out.value

    def set_fuel(self, fuel: int) -> None:
        check(lib.wt_store_set_fuel(self._h, fuel))

    fuel = property(get_fuel, set_fuel, doc="Remaining fuel (needs Config(consume_fuel=True)).")

    def gc(self) -> None:
        """Runs the store's garbage collector (unreferenced externrefs...)."""
        check(lib.wt_store_gc(self._h))

    def wasi_output(self, which: int) -> bytes:
        """What the guest wrote to a captured stream (1 = stdout, 2 = stderr)."""
        out = c_uint64()
        check(lib.wt_store_wasi_output(self._h, which, byref(out)))
        return _take_bytes(out.value)

    def wasi_stdout(self) -> bytes:
        return self.wasi_output(1)

    def wasi_stderr(self) -> bytes:
        return self.wasi_output(2)


class Store(_Owned, _StoreLike):
    """Holds instances and their state. Freeing it (``close()``, ``with``, or
    garbage collection) frees every instance/func/memory/global/table in it.
    Used by one thread at a time (another gets ``BusyError``)."""

    def __init__(self, engine: Engine, *, wasi: WasiConfig | None = None):
        out = c_uint64()
        check(lib.wt_store_new(_h(engine), byref(out)))
        self._h = out.value
        self._hc = c_uint64(out.value)  # for Func.__call__'s wt_call
        self._state = _StoreState()
        self._finalizer = weakref.finalize(self, _free_store, out.value, self._state)
        self.engine = engine
        if wasi is not None:
            self.set_wasi(wasi)

    def set_timeout_ms(self, ms: int) -> None:
        """Limits each top-level call to ``ms`` ms of wall time (0 = none)."""
        check(lib.wt_store_set_timeout_ms(self._h, ms))

    timeout_ms = property(fset=set_timeout_ms, doc="Write-only: see set_timeout_ms.")

    def interrupt(self) -> None:
        """Interrupts the running (or next) call; safe from any thread."""
        check(lib.wt_store_interrupt(self._h))

    def set_limits(self, memory_bytes: int | None = None, table_elements: int | None = None,
                   trap_on_grow_failure: bool = False) -> None:
        """Caps each memory / table of the store (None = no cap)."""
        check(lib.wt_store_set_limits(
            self._h,
            _NO_CAP if memory_bytes is None else memory_bytes,
            _NO_CAP if table_elements is None else table_elements,
            int(trap_on_grow_failure),
        ))

    def set_wasi(self, config: WasiConfig) -> None:
        check(lib.wt_store_set_wasi(self._h, _h(config)))


class _LazyHandle:
    """``obj._hc``: ``c_uint64(obj._h)``, made on first use and then stored in
    the instance (a non-data descriptor, so the instance attribute wins)."""

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        hc = obj.__dict__["_hc"] = c_uint64(obj._h)
        return hc


class Caller(_StoreLike):
    """The first argument of host functions defined with ``access_caller=True``
    (or annotated ``caller: wt.Caller``). Valid only during the call; usable
    wherever a store is accepted (memory access, calls back into the guest)."""

    def __init__(self, h: int, store: Store | None):
        self._h = h
        self.store = store
        self._state = store._state if store is not None else None

    _hc = _LazyHandle()

    @property
    def handle(self) -> int:
        return self._h

    def get_export(self, name: str) -> Func | Memory | Global | Table:
        """An export of the calling instance (e.g. its ``"memory"``)."""
        b = _utf8(name)
        out, kind = c_uint64(), c_int32()
        check(lib.wt_caller_get_export(self._h, b, len(b), byref(out), byref(kind)))
        return _extern(out.value, kind.value, self)

    def get_memory(self, name: str = "memory") -> Memory:
        m = self.get_export(name)
        if not isinstance(m, Memory):
            raise TypeError(f"export {name!r} is a {type(m).__name__}, not a memory")
        return m

    def get_function(self, name: str) -> Func:
        f = self.get_export(name)
        if not isinstance(f, Func):
            raise TypeError(f"export {name!r} is a {type(f).__name__}, not a function")
        return f

    def __repr__(self) -> str:
        return f"<wt.Caller {self._h:#x}>"


# ---------------------------------------------------------------------------
# Store-owned objects
# ---------------------------------------------------------------------------


class Func(_InStore):
    """A function in a store. Call it with ``func(store, *args)``."""

    _sig: FuncType | None = None
    # call(store, args), compiled for this function's signature on first use
    # (see "Compiled call paths"); holds no reference to the Func itself.
    _fast: Callable[[Any, tuple], Any] | None = None

    @classmethod
    def new(cls, store: Store, params: Sequence[Any], results: Sequence[Any],
            fn: Callable[..., Any], *, access_caller: bool = False) -> Func:
        """A host function in ``store`` (for funcref values, tables, ``Linker.define``)."""
        cb = _new_callback(params, results, fn, access_caller)
        out = c_uint64()
        st = lib.wt_func_new(_h(store), cb, byref(out))
        err = last_error(st) if st else None
        lib.wt_free(cb)
        if err:
            raise err
        return cls._adopt(out.value, store)

    @classmethod
    def wrap(cls, store: Store, fn: Callable[..., Any]) -> Func:
        """Like :meth:`new`, with the types read from ``fn``'s annotations."""
        params, results, access_caller = _signature_of(fn)
        return cls.new(store, params, results, fn, access_caller=access_caller)

    @property
    def type(self) -> FuncType:
        if self._sig is None:
            self._sig = _read_functype(self._h)
        return self._sig

    @property
    def params(self) -> tuple[ValType, ...]:
        return self.type.params

    @property
    def results(self) -> tuple[ValType, ...]:
        return self.type.results

    def _specialize(self) -> Callable[[Any, tuple], Any]:
        sig = self.type
        fast = _call_factory(tuple(map(int, sig.params)), tuple(map(int, sig.results)))(self._h)
        self._fast = fast
        return fast

    def __call__(self, store: Any, *args: Any) -> Any:
        """Calls the function in ``store`` (a Store, or the Caller inside a host
        function). Returns None, a value, or a tuple for several results."""
        return (self._fast or self._specialize())(store, args)

    call = __call__


class Memory(_InStore):
    """A linear memory. Every method takes the store (or caller)."""

    def size(self, store: Any) -> int:
        """Size in bytes."""
        out = c_uint64()
        check(lib.wt_memory_size(_h(store), self._h, byref(out)))
        return out.value

    def pages(self, store: Any) -> int:
        out = c_uint64()
        check(lib.wt_memory_pages(_h(store), self._h, byref(out)))
        return out.value

    def grow(self, store: Any, delta_pages: int) -> int:
        """Grows by ``delta_pages``; returns the previous size in pages."""
        out = c_uint64()
        check(lib.wt_memory_grow(_h(store), self._h, delta_pages, byref(out)))
        return out.value

    def read(self, store: Any, offset: int, length: int) -> bytes:
        if length == 0:
            check(lib.wt_memory_read(_h(store), self._h, offset, None, 0))
            return b""
        buf = create_string_buffer(length)
        check(lib.wt_memory_read(_h(store), self._h, offset, buf, length))
        return buf.raw

    def write(self, store: Any, offset: int, data: bytes | bytearray | memoryview) -> None:
        d = _bytes_arg(data)
        check(lib.wt_memory_write(_h(store), self._h, offset, d if d else None, len(d)))

    def data_ptr(self, store: Any) -> tuple[int, int]:
        """(base address, length) for zero-copy access. Invalidated by growth,
        by any call into wasm and by freeing the store."""
        ptr, n = c_void_p(), c_size_t()
        check(lib.wt_memory_data(_h(store), self._h, byref(ptr), byref(n)))
        return ptr.value or 0, n.value

    def buffer(self, store: Any):
        """A ctypes ``c_ubyte`` array over the memory (zero-copy; same
        invalidation rules as :meth:`data_ptr`). ``memoryview(buf)`` works.
        The array (and a memoryview of it) keeps ``store`` alive, so the
        garbage collector cannot free the store while the view is in use."""
        addr, n = self.data_ptr(store)
        arr = (c_ubyte * n).from_address(addr)
        arr._wt_store = store
        return arr


@dataclass(frozen=True)
class GlobalType:
    content: ValType
    mutable: bool


class Global(_InStore):
    _ty: GlobalType | None = None

    def type(self, store: Any) -> GlobalType:
        if self._ty is None:
            t, m = c_int32(), c_int32()
            check(lib.wt_global_type(_h(store), self._h, byref(t), byref(m)))
            self._ty = GlobalType(ValType(t.value), bool(m.value))
        return self._ty

    def get(self, store: Any) -> Any:
        t = self.type(store).content
        out = c_uint64()
        check(lib.wt_global_get(_h(store), self._h, byref(out)))
        return _from_slot(t, out.value, store)

    def set(self, store: Any, value: Any) -> None:
        t = self.type(store).content
        check(lib.wt_global_set(_h(store), self._h, _to_slot(t, value)))


class Table(_InStore):
    _ty: ValType | None = None

    def type(self, store: Any) -> ValType:
        """Element type: ``FUNCREF``, ``EXTERNREF`` or ``ANYREF``."""
        if self._ty is None:
            t = c_int32()
            check(lib.wt_table_type(_h(store), self._h, byref(t)))
            self._ty = ValType(t.value)
        return self._ty

    def size(self, store: Any) -> int:
        out = c_uint64()
        check(lib.wt_table_size(_h(store), self._h, byref(out)))
        return out.value

    def get(self, store: Any, index: int) -> Any:
        """A Func / externref int, or None for null."""
        t = self.type(store)
        out = c_uint64()
        check(lib.wt_table_get(_h(store), self._h, index, byref(out)))
        return _from_slot(t, out.value, store)

    def set(self, store: Any, index: int, value: Any) -> None:
        t = self.type(store)
        check(lib.wt_table_set(_h(store), self._h, index, _to_slot(t, value)))

    def grow(self, store: Any, delta: int, init: Any = None) -> int:
        """Grows by ``delta`` elements set to ``init``; returns the old size."""
        t = self.type(store)
        out = c_uint64()
        check(lib.wt_table_grow(_h(store), self._h, delta, _to_slot(t, init), byref(out)))
        return out.value


def _extern(h: int, kind: int, owner: Any) -> Any:
    cls = {ExternKind.FUNC: Func, ExternKind.MEMORY: Memory, ExternKind.GLOBAL: Global,
           ExternKind.TABLE: Table}.get(kind)
    if cls is None:
        lib.wt_free(h)
        raise TypeError(f"unsupported extern kind {kind}")
    return cls._adopt(h, owner)


class Instance(_InStore):
    """An instantiated module (lives in its store)."""

    def _lookup(self, fn: Callable[..., int], store: Any, name: str) -> int:
        b = _utf8(name)
        out = c_uint64()
        check(fn(_h(store), self._h, b, len(b), byref(out)))
        return out.value

    def get_function(self, store: Any, name: str) -> Func:
        return Func._adopt(self._lookup(lib.wt_instance_get_func, store, name), store)

    get_func = get_function

    def get_memory(self, store: Any, name: str = "memory") -> Memory:
        return Memory._adopt(self._lookup(lib.wt_instance_get_memory, store, name), store)

    def get_global(self, store: Any, name: str) -> Global:
        return Global._adopt(self._lookup(lib.wt_instance_get_global, store, name), store)

    def get_table(self, store: Any, name: str) -> Table:
        return Table._adopt(self._lookup(lib.wt_instance_get_table, store, name), store)

    def get_export(self, store: Any, name: str) -> Func | Memory | Global | Table:
        b = _utf8(name)
        out, kind = c_uint64(), c_int32()
        check(lib.wt_instance_get_export(_h(store), self._h, b, len(b), byref(out), byref(kind)))
        return _extern(out.value, kind.value, store)

    def export_names(self, store: Any) -> list[tuple[str, ExternKind]]:
        n = c_size_t()
        check(lib.wt_instance_export_count(_h(store), self._h, byref(n)))
        out = []
        for i in range(n.value):
            kind = c_int32(-1)

            def fn(s, inst, idx, buf, cap, out_len, _k=kind):
                return lib.wt_instance_export_name(s, inst, idx, buf, cap, out_len, byref(_k))

            name = _read_name(fn, _h(store), self._h, i)
            out.append((name, ExternKind(kind.value)))
        return out

    def exports(self, store: Any) -> dict[str, Any]:
        """Every export by name, as Func / Memory / Global / Table objects."""
        return {name: self.get_export(store, name) for name, kind in self.export_names(store)
                if kind != ExternKind.TAG}


# ---------------------------------------------------------------------------
# Linker
# ---------------------------------------------------------------------------


class Linker(_Owned):
    """Resolves imports by name and instantiates modules."""

    def __init__(self, engine: Engine):
        out = c_uint64()
        check(lib.wt_linker_new(_h(engine), byref(out)))
        self._own(out.value)
        self.engine = engine

    def allow_shadowing(self, on: bool = True) -> None:
        check(lib.wt_linker_allow_shadowing(self._h, int(on)))

    def define_func(self, module: str, name: str, params: Sequence[Any], results: Sequence[Any],
                    fn: Callable[..., Any], *, access_caller: bool = False) -> None:
        """Defines host function ``module.name``. ``fn(*args)`` (or
        ``fn(caller, *args)`` with ``access_caller=True``) gets Python values
        and returns None, a value, or a tuple. If it raises, the guest traps
        and the outer call raises ``CallbackError`` (``__cause__`` = the
        exception)."""
        m, n = _utf8(module), _utf8(name)  # before the callback exists: may raise
        cb = _new_callback(params, results, fn, access_caller)
        st = lib.wt_linker_define_func(self._h, m, len(m), n, len(n), cb)
        err = last_error(st) if st else None
        lib.wt_free(cb)  # the linker keeps what it needs
        if err:
            raise err

    def func_wrap(self, module: str, name: str, fn: Callable[..., Any]) -> None:
        """Like :meth:`define_func`, with types from ``fn``'s annotations::

            def add(a: wt.I32, b: wt.I32) -> wt.I32: ...
            def log(caller: wt.Caller, ptr: wt.I32, n: wt.I32): ...
        """
        params, results, access_caller = _signature_of(fn)
        self.define_func(module, name, params, results, fn, access_caller=access_caller)

    def define(self, store: Any, module: str, name: str, item: Any) -> None:
        """Defines ``module.name`` as a func/memory/global/table of ``store``."""
        m, n = _utf8(module), _utf8(name)
        check(lib.wt_linker_define(self._h, _h(store), m, len(m), n, len(n), _h(item)))

    def define_instance(self, store: Any, name: str, instance: Instance) -> None:
        """Defines every export of ``instance`` under module name ``name``."""
        n = _utf8(name)
        check(lib.wt_linker_define_instance(self._h, _h(store), n, len(n), _h(instance)))

    def define_wasi(self) -> None:
        """Defines the WASI preview 1 functions (``wasi_snapshot_preview1``)."""
        check(lib.wt_linker_define_wasi(self._h))

    def instantiate(self, store: Any, module: Module) -> Instance:
        out = c_uint64()
        ts, prev = _enter(store)
        try:
            st = lib.wt_linker_instantiate(self._h, _h(store), _h(module), byref(out))
            if st:
                raise last_error(st)
        finally:
            _leave(ts, prev)
        return Instance._adopt(out.value, store)
