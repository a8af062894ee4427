"""Loads libwt with ctypes and declares the prototype of every function in wt.h.

Only plain ``ctypes`` is used (``CDLL`` + ``argtypes``/``restype``), the same
calling pattern as Go purego or Dart ``dart:ffi``: no compiler, no cffi.

Library lookup order:

1. the ``WT_LIBRARY`` environment variable (a path to ``libwt.so``);
2. ``<repo>/target/debug/libwt.so`` relative to this package
   (``bindings/python/wt`` -> ``../../..``);
3. ``ctypes.util.find_library("wt")``.

``CDLL`` releases the GIL around every foreign call, so a long ``wt_call`` on
one Python thread does not stop other threads (e.g. one that calls
``wt_store_interrupt``), and host callbacks re-acquire it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_char_p,
    c_int32,
    c_size_t,
    c_uint64,
    c_void_p,
)
from pathlib import Path

__all__ = ["lib", "library_path", "CALLBACK_T", "FINALIZER_T", "wt_call_direct"]


def _candidates() -> list[str]:
    found: list[str] = []
    env = os.environ.get("WT_LIBRARY")
    if env:
        return [env]
    suffix = {"darwin": "libwt.dylib", "win32": "wt.dll"}.get(sys.platform, "libwt.so")
    repo = Path(__file__).resolve().parents[3]
    local = repo / "target" / "debug" / suffix
    if local.exists():
        found.append(str(local))
    sys_lib = ctypes.util.find_library("wt")
    if sys_lib:
        found.append(sys_lib)
    return found


def _load() -> tuple[ctypes.CDLL, str]:
    cands = _candidates()
    if not cands:
        raise OSError(
            "libwt not found: set WT_LIBRARY to the path of libwt.so, "
            "or build it with `cargo build --lib` (target/debug/libwt.so)"
        )
    errors = []
    for path in cands:
        try:
            return ctypes.CDLL(path), path
        except OSError as e:  # try the next candidate
            errors.append(f"{path}: {e}")
    raise OSError("cannot load libwt: " + "; ".join(errors))


lib, library_path = _load()

# The one host callback type and the env finalizer type (wt_callback_t,
# wt_finalizer_t). `env` is declared c_void_p: the wrapper passes a small
# integer id, never a real pointer.
CALLBACK_T = CFUNCTYPE(
    c_int32, c_void_p, c_uint64, POINTER(c_uint64), c_size_t, POINTER(c_uint64), c_size_t
)
FINALIZER_T = CFUNCTYPE(None, c_void_p)

u64, i32, sz, p = c_uint64, c_int32, c_size_t, c_void_p
pu64, pi32, psz, pp = POINTER(c_uint64), POINTER(c_int32), POINTER(c_size_t), POINTER(c_void_p)
s = c_char_p  # const char * / const uint8_t * inputs (bytes objects)

# name: (restype, argtypes)
_PROTOTYPES = {
    "wt_version": (c_void_p, []),
    "wt_free": (i32, [u64]),
    "wt_handle_kind": (i32, [u64, pi32]),
    "wt_handle_count": (sz, []),
    "wt_caller_get_export": (i32, [u64, s, sz, pu64, pi32]),
    "wt_config_new": (i32, [pu64]),
    "wt_config_set_opt_level": (i32, [u64, i32]),
    "wt_config_set_debug_info": (i32, [u64, i32]),
    "wt_config_set_consume_fuel": (i32, [u64, i32]),
    "wt_config_set_epoch_interruption": (i32, [u64, i32]),
    "wt_config_set_feature": (i32, [u64, i32, i32]),
    "wt_config_set_parallel_compilation": (i32, [u64, i32]),
    "wt_config_set_max_wasm_stack": (i32, [u64, sz]),
    "wt_config_set_cache_dir": (i32, [u64, s, sz]),
    "wt_engine_new": (i32, [pu64]),
    "wt_engine_new_with_config": (i32, [u64, pu64]),
    "wt_engine_increment_epoch": (i32, [u64]),
    "wt_error_message": (c_void_p, []),
    "wt_error_message_len": (sz, []),
    "wt_error_message_copy": (sz, [p, sz]),
    "wt_error_status": (i32, []),
    "wt_error_trap_code": (i32, []),
    "wt_error_exit_code": (i32, []),
    "wt_call": (i32, [u64, u64, pu64, sz, pu64, sz]),
    "wt_callback_new": (i32, [u64, CALLBACK_T, p, FINALIZER_T, pu64]),
    "wt_func_new": (i32, [u64, u64, pu64]),
    "wt_caller_set_error": (i32, [u64, s, sz]),
    "wt_global_get": (i32, [u64, u64, pu64]),
    "wt_global_set": (i32, [u64, u64, u64]),
    "wt_global_type": (i32, [u64, u64, pi32, pi32]),
    "wt_instance_get_func": (i32, [u64, u64, s, sz, pu64]),
    "wt_instance_get_memory": (i32, [u64, u64, s, sz, pu64]),
    "wt_instance_get_global": (i32, [u64, u64, s, sz, pu64]),
    "wt_instance_get_table": (i32, [u64, u64, s, sz, pu64]),
    "wt_instance_get_export": (i32, [u64, u64, s, sz, pu64, pi32]),
    "wt_instance_export_count": (i32, [u64, u64, psz]),
    "wt_instance_export_name": (i32, [u64, u64, sz, p, sz, psz, pi32]),
    "wt_linker_new": (i32, [u64, pu64]),
    "wt_linker_allow_shadowing": (i32, [u64, i32]),
    "wt_linker_define_callback": (i32, [u64, s, sz, s, sz, u64, CALLBACK_T, p]),
    "wt_linker_define_func": (i32, [u64, s, sz, s, sz, u64]),
    "wt_linker_define": (i32, [u64, u64, s, sz, s, sz, u64]),
    "wt_linker_define_instance": (i32, [u64, u64, s, sz, u64]),
    "wt_linker_instantiate": (i32, [u64, u64, u64, pu64]),
    "wt_memory_size": (i32, [u64, u64, pu64]),
    "wt_memory_pages": (i32, [u64, u64, pu64]),
    "wt_memory_grow": (i32, [u64, u64, u64, pu64]),
    "wt_memory_read": (i32, [u64, u64, u64, p, sz]),
    "wt_memory_write": (i32, [u64, u64, u64, p, sz]),
    "wt_memory_data": (i32, [u64, u64, pp, psz]),
    "wt_wat2wasm": (i32, [s, sz, pu64]),
    "wt_bytes_data": (i32, [u64, pp, psz]),
    "wt_bytes_new": (i32, [s, sz, pu64]),
    "wt_module_from_wat": (i32, [u64, s, sz, pu64]),
    "wt_module_from_wasm": (i32, [u64, s, sz, pu64]),
    "wt_module_validate": (i32, [u64, s, sz]),
    "wt_module_serialize": (i32, [u64, pu64]),
    "wt_module_deserialize": (i32, [u64, s, sz, pu64]),
    "wt_module_import_count": (i32, [u64, psz]),
    "wt_module_export_count": (i32, [u64, psz]),
    "wt_module_import_module": (i32, [u64, sz, p, sz, psz]),
    "wt_module_import_name": (i32, [u64, sz, p, sz, psz]),
    "wt_module_export_name": (i32, [u64, sz, p, sz, psz]),
    "wt_module_item_type": (i32, [u64, i32, sz, pi32, pu64]),
    "wt_module_item_global_type": (i32, [u64, i32, sz, pi32, pi32]),
    "wt_module_item_memory_type": (i32, [u64, i32, sz, pu64, pu64, pi32]),
    "wt_module_item_table_type": (i32, [u64, i32, sz, pi32, pu64, pu64]),
    "wt_store_new": (i32, [u64, pu64]),
    "wt_store_set_fuel": (i32, [u64, u64]),
    "wt_store_get_fuel": (i32, [u64, pu64]),
    "wt_store_set_timeout_ms": (i32, [u64, u64]),
    "wt_store_interrupt": (i32, [u64]),
    "wt_store_set_limits": (i32, [u64, u64, u64, i32]),
    "wt_store_gc": (i32, [u64]),
    "wt_table_size": (i32, [u64, u64, pu64]),
    "wt_table_type": (i32, [u64, u64, pi32]),
    "wt_table_get": (i32, [u64, u64, u64, pu64]),
    "wt_table_set": (i32, [u64, u64, u64, u64]),
    "wt_table_grow": (i32, [u64, u64, u64, u64, pu64]),
    "wt_functype_new": (i32, [pi32, sz, pi32, sz, pu64]),
    "wt_func_param_count": (i32, [u64, psz]),
    "wt_func_result_count": (i32, [u64, psz]),
    "wt_func_param_type": (i32, [u64, sz, pi32]),
    "wt_func_result_type": (i32, [u64, sz, pi32]),
    "wt_wasi_config_new": (i32, [pu64]),
    "wt_wasi_config_add_arg": (i32, [u64, s, sz]),
    "wt_wasi_config_add_env": (i32, [u64, s, sz, s, sz]),
    "wt_wasi_config_set_stdin_bytes": (i32, [u64, s, sz]),
    "wt_wasi_config_inherit_stdin": (i32, [u64]),
    "wt_wasi_config_set_stdout": (i32, [u64, i32]),
    "wt_wasi_config_set_stderr": (i32, [u64, i32]),
    "wt_wasi_config_preopen_dir": (i32, [u64, s, sz, s, sz, i32]),
    "wt_store_set_wasi": (i32, [u64, u64]),
    "wt_store_wasi_output": (i32, [u64, i32, pu64]),
    "wt_linker_define_wasi": (i32, [u64]),
}

for _name, (_res, _args) in _PROTOTYPES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args
del _name, _res, _args, _fn

# wt_call again, as a second function object *without* argtypes, for the hot
# path of Func.__call__: it is always given ready-made ctypes objects
# (c_uint64 handles, c_uint64 arrays or None, c_size_t counts), so ctypes
# passes each one as its own C type and skips the per-argument from_param
# conversions that argtypes cost (about 1 us per call, several times what
# wt_call itself takes in a release build). Same symbol and calling
# convention; like every CDLL function it releases the GIL during the call.
wt_call_direct = lib._FuncPtr(("wt_call", lib))
wt_call_direct.restype = c_int32
