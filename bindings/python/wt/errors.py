"""libwt status codes as Python exceptions.

Every failing libwt call raises a subclass of :class:`WtError` carrying the
``status`` (a ``WT_ERR_*`` code) and the ``message`` libwt recorded for the
calling thread (WAT line/column, missing import names, trap code and wasm
backtrace, ...). Traps also carry ``trap_code`` (a ``WT_TRAP_*`` code), WASI
exits ``exit_code``.
"""

from __future__ import annotations

import threading
from ctypes import string_at

from ._ffi import lib

__all__ = [
    "WtError",
    "BadHandleError",
    "WrongKindError",
    "NullPointerError",
    "InvalidArgumentError",
    "CompileError",
    "LinkError",
    "TrapError",
    "SignatureError",
    "OutOfBoundsError",
    "LimitError",
    "InterruptedError",
    "OutOfFuelError",
    "CallbackError",
    "BusyError",
    "ExitError",
    "NotFoundError",
    "UnsupportedError",
    "IoError",
    "ImmutableError",
    "InternalError",
]

# Status codes (WT_OK / WT_ERR_*), as in include/wt.h.
OK = 0
ERR_BAD_HANDLE = 1
ERR_WRONG_KIND = 2
ERR_NULL_POINTER = 3
ERR_INVALID_ARGUMENT = 4
ERR_COMPILE = 5
ERR_LINK = 6
ERR_TRAP = 7
ERR_SIGNATURE = 8
ERR_OUT_OF_BOUNDS = 9
ERR_LIMIT = 10
ERR_INTERRUPTED = 11
ERR_OUT_OF_FUEL = 12
ERR_CALLBACK = 13
ERR_BUSY = 14
ERR_EXIT = 15
ERR_NOT_FOUND = 16
ERR_UNSUPPORTED = 17
ERR_IO = 18
ERR_IMMUTABLE = 19
ERR_INTERNAL = 99


class WtError(Exception):
    """A libwt call failed. ``status`` is the ``WT_ERR_*`` code, ``message``
    libwt's explanation; ``trap_code`` is a ``WT_TRAP_*`` code or None,
    ``exit_code`` the WASI exit code (0 unless status is ``WT_ERR_EXIT``)."""

    def __init__(self, status: int, message: str, trap_code: int | None = None, exit_code: int = 0):
        super().__init__(message)
        self.status = status
        self.message = message
        self.trap_code = trap_code
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} (status {self.status})"


class BadHandleError(WtError):
    """WT_ERR_BAD_HANDLE: 0, never issued, freed (stale), or a caller handle outside its callback."""


class WrongKindError(WtError):
    """WT_ERR_WRONG_KIND: a live handle of another kind than expected."""


class NullPointerError(WtError):
    """WT_ERR_NULL_POINTER."""


class InvalidArgumentError(WtError):
    """WT_ERR_INVALID_ARGUMENT: bad UTF-8, unknown code, object of another store, ..."""


class CompileError(WtError):
    """WT_ERR_COMPILE: invalid WAT (line and column in the message) or wasm."""


class LinkError(WtError):
    """WT_ERR_LINK: missing or mistyped import (the message names module and field)."""


class TrapError(WtError):
    """WT_ERR_TRAP: the guest trapped; ``trap_code`` tells which trap."""


class SignatureError(WtError):
    """WT_ERR_SIGNATURE: wrong number of arguments/results or a value of the wrong type."""


class OutOfBoundsError(WtError):
    """WT_ERR_OUT_OF_BOUNDS."""


class LimitError(WtError):
    """WT_ERR_LIMIT: a memory/table cap or maximum was reached."""


class InterruptedError(TrapError):  # noqa: A001 - shadows the builtin on purpose (wt.InterruptedError)
    """WT_ERR_INTERRUPTED: ``Store.interrupt()`` or the store's timeout stopped the guest."""


class OutOfFuelError(TrapError):
    """WT_ERR_OUT_OF_FUEL: the store's fuel ran out."""


class CallbackError(WtError):
    """WT_ERR_CALLBACK: a host function failed. When it was a Python host
    function that raised, ``host_exception`` (and ``__cause__``) is that
    exception."""

    host_exception: BaseException | None = None


class BusyError(WtError):
    """WT_ERR_BUSY: the store is in use by another thread."""


class ExitError(WtError):
    """WT_ERR_EXIT: a WASI guest called ``proc_exit``; see ``exit_code``."""


class NotFoundError(WtError):
    """WT_ERR_NOT_FOUND: no export with that name."""


class UnsupportedError(WtError):
    """WT_ERR_UNSUPPORTED: not available with this config (v128 in a slot, fuel off, ...)."""


class IoError(WtError):
    """WT_ERR_IO: a file or directory operation failed (preopens, cache)."""


class ImmutableError(WtError):
    """WT_ERR_IMMUTABLE: setting a const global."""


class InternalError(WtError):
    """WT_ERR_INTERNAL: a bug in libwt (including a caught Rust panic)."""


_CLASSES: dict[int, type[WtError]] = {
    ERR_BAD_HANDLE: BadHandleError,
    ERR_WRONG_KIND: WrongKindError,
    ERR_NULL_POINTER: NullPointerError,
    ERR_INVALID_ARGUMENT: InvalidArgumentError,
    ERR_COMPILE: CompileError,
    ERR_LINK: LinkError,
    ERR_TRAP: TrapError,
    ERR_SIGNATURE: SignatureError,
    ERR_OUT_OF_BOUNDS: OutOfBoundsError,
    ERR_LIMIT: LimitError,
    ERR_INTERRUPTED: InterruptedError,
    ERR_OUT_OF_FUEL: OutOfFuelError,
    ERR_CALLBACK: CallbackError,
    ERR_BUSY: BusyError,
    ERR_EXIT: ExitError,
    ERR_NOT_FOUND: NotFoundError,
    ERR_UNSUPPORTED: UnsupportedError,
    ERR_IO: IoError,
    ERR_IMMUTABLE: ImmutableError,
    ERR_INTERNAL: InternalError,
}

# Per-thread stash of the Python exception a host function raised; the outer
# call that reports WT_ERR_CALLBACK on the same thread picks it up.
_tls = threading.local()


def stash_host_exception(exc: BaseException) -> None:
    _tls.host_exc = exc


def last_error(status: int) -> BaseException:
    """Builds the exception for ``status`` from this thread's last libwt error.

    Must be called right after the failing call, before any other libwt call
    on this thread (the record is per thread and replaced by the next failure).
    For ``WT_ERR_CALLBACK`` caused by a Python host function that raised, the
    result is a :class:`CallbackError` whose ``__cause__`` is that exception;
    except for exceptions that are not ``Exception`` subclasses
    (``KeyboardInterrupt``, ``SystemExit``), which are returned themselves so
    that they propagate unchanged through the guest.
    """
    msg = string_at(lib.wt_error_message(), lib.wt_error_message_len()).decode("utf-8", "replace")
    trap = lib.wt_error_trap_code()
    exit_code = lib.wt_error_exit_code() if status == ERR_EXIT else 0
    cls = _CLASSES.get(status, WtError)
    err = cls(status, msg, trap if trap >= 0 else None, exit_code)
    if status == ERR_CALLBACK:
        host = getattr(_tls, "host_exc", None)
        _tls.host_exc = None
        if host is not None:
            if not isinstance(host, Exception):
                return host
            err.host_exception = host
            err.__cause__ = host
    return err


def check(status: int) -> None:
    """Raises the matching :class:`WtError` if ``status`` is not ``WT_OK``."""
    if status:
        raise last_error(status)

