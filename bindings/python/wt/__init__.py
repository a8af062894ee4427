"""wt: run WebAssembly from Python through libwt's C ABI, with ctypes only.

Hello world::

    import wt

    engine = wt.Engine()
    module = wt.Module.from_text(engine, '''
        (module (import "" "hello" (func $h)) (func (export "run") (call $h)))''')
    linker = wt.Linker(engine)
    linker.define_func("", "hello", [], [], lambda: print("Hello, World!"))
    with wt.Store(engine) as store:
        instance = linker.instantiate(store, module)
        instance.get_function(store, "run")(store)

See README.md for the whole API.
"""

from ._core import (
    ANYREF,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    V128,
    Caller,
    Config,
    Engine,
    ExportType,
    ExternKind,
    Feature,
    Func,
    FuncType,
    Global,
    GlobalType,
    HandleKind,
    ImportType,
    Instance,
    Linker,
    Memory,
    Module,
    OptLevel,
    Stdio,
    Store,
    Table,
    TrapCode,
    ValType,
    WasiConfig,
    free,
    handle_count,
    handle_kind,
    host_function_count,
    version,
    wat2wasm,
)
from ._ffi import lib, library_path
from .errors import (
    BadHandleError,
    BusyError,
    CallbackError,
    CompileError,
    ExitError,
    ImmutableError,
    InternalError,
    InterruptedError,
    InvalidArgumentError,
    IoError,
    LimitError,
    LinkError,
    NotFoundError,
    NullPointerError,
    OutOfBoundsError,
    OutOfFuelError,
    SignatureError,
    TrapError,
    UnsupportedError,
    WrongKindError,
    WtError,
)

__all__ = [
    # values and codes
    "I32", "I64", "F32", "F64", "V128", "FUNCREF", "EXTERNREF", "ANYREF",
    "ValType", "ExternKind", "HandleKind", "OptLevel", "Feature", "Stdio", "TrapCode",
    # objects
    "Config", "Engine", "Module", "ImportType", "ExportType", "FuncType", "GlobalType",
    "Store", "Caller", "Linker", "Instance", "Func", "Memory", "Global", "Table", "WasiConfig",
    # functions
    "wat2wasm", "version", "handle_count", "handle_kind", "free", "host_function_count",
    "lib", "library_path",
    # errors
    "WtError", "BadHandleError", "WrongKindError", "NullPointerError", "InvalidArgumentError",
    "CompileError", "LinkError", "TrapError", "SignatureError", "OutOfBoundsError", "LimitError",
    "InterruptedError", "OutOfFuelError", "CallbackError", "BusyError", "ExitError",
    "NotFoundError", "UnsupportedError", "IoError", "ImmutableError", "InternalError",
]
