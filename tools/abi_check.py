#!/usr/bin/env python3
"""ABI check for libwt's C header (issue 4 part 4; rules in shared/abi-conventions.md).

Preprocesses include/wt.h with `cc -E` against the minimal standard headers in
tools/abi_fake_include/ (so that the output is plain C), parses it with
pycparser, and fails when any exported function, or any function-pointer type
it uses:

  - takes or returns a struct or union by value,
  - uses varargs (`...` or a va_list parameter),
  - takes or returns `bool` (_Bool) or an enum type,
  - takes or returns another by-value type than int32_t, uint32_t, int64_t,
    uint64_t, size_t, double (or void as a return type); pointers are fine,
  - has more than 8 parameters,

or when more than one host-callback function-pointer type exists (the env
finalizer `wt_finalizer_t`, `void (*)(void *)`, is the one other allowed
function-pointer type: it is not a host callback).

With --lib PATH/libwt.so it also compares the header with the library's
dynamic symbol table: every declared function must be exported, and every
exported `wt_*` function must be declared.

It prints the number of exported functions and the result; the exit status is
0 when the ABI conforms, 1 when it does not, 2 on a usage or parse error.
Dependencies: pycparser (tools/requirements.txt; `make test-abi` installs it
into build/venv).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

try:
    from pycparser import c_ast, c_parser
except ImportError:  # pragma: no cover - reported to the user
    sys.stderr.write(
        "abi_check.py needs pycparser: pip install -r tools/requirements.txt "
        "(make test-abi does this in build/venv)\n"
    )
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_INCLUDE = os.path.join(HERE, "abi_fake_include")

MAX_PARAMS = 8
# By-value scalar types allowed to cross the boundary (abi-conventions.md, 1).
ALLOWED_SCALARS = {"int32_t", "uint32_t", "int64_t", "uint64_t", "size_t", "double"}
# Typedef names from the fake standard headers that stand for scalars.
STD_TYPEDEFS = {
    "int8_t", "int16_t", "int32_t", "int64_t",
    "uint8_t", "uint16_t", "uint32_t", "uint64_t",
    "intptr_t", "uintptr_t", "intmax_t", "uintmax_t",
    "size_t", "ptrdiff_t", "wchar_t",
}
FINALIZER_NAME = "wt_finalizer_t"
FINALIZER_SIGNATURE = "void (*)(void *)"


@dataclass
class Report:
    functions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    callback_types: dict[str, list[str]] = field(default_factory=dict)  # signature -> names/uses
    finalizer_types: list[str] = field(default_factory=list)


def preprocess(header: str, cc: str) -> str:
    """Runs the C preprocessor over a TU that includes only `header` (plus the
    fake <stdbool.h>/<stdarg.h>, so that `bool` and `va_list` parse and can be
    detected). Keeps line markers so that messages point into the header."""
    header = os.path.abspath(header)
    with tempfile.TemporaryDirectory() as tmp:
        tu = os.path.join(tmp, "abi_check_tu.c")
        with open(tu, "w", encoding="utf-8") as f:
            f.write("#include <stdbool.h>\n#include <stdarg.h>\n")
            f.write('#include "%s"\n' % os.path.basename(header))
        cmd = [
            cc, "-E", "-std=c11", "-nostdinc", "-undef",
            "-I", FAKE_INCLUDE, "-I", os.path.dirname(header), tu,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(
                "preprocessing failed (%s):\n%s\n(a system header wt.h includes may need "
                "a stand-in in tools/abi_fake_include/)" % (" ".join(cmd), proc.stderr)
            )
        return proc.stdout


def type_to_str(node: c_ast.Node) -> str:
    """A C spelling of a type node (without a declarator name)."""
    if isinstance(node, c_ast.Typename) or isinstance(node, c_ast.Decl):
        return type_to_str(node.type)
    if isinstance(node, c_ast.TypeDecl):
        quals = " ".join(node.quals)
        base = type_to_str(node.type)
        return (quals + " " + base).strip()
    if isinstance(node, c_ast.IdentifierType):
        return " ".join(node.names)
    if isinstance(node, c_ast.Struct):
        return "struct %s" % (node.name or "<anonymous>")
    if isinstance(node, c_ast.Union):
        return "union %s" % (node.name or "<anonymous>")
    if isinstance(node, c_ast.Enum):
        return "enum %s" % (node.name or "<anonymous>")
    if isinstance(node, c_ast.PtrDecl):
        inner = node.type
        quals = (" " + " ".join(node.quals)) if node.quals else ""
        if isinstance(inner, c_ast.FuncDecl):
            return "%s (*%s)(%s)" % (
                type_to_str(inner.type), quals.strip(), params_to_str(inner)
            )
        return type_to_str(inner) + " *" + quals.strip()
    if isinstance(node, c_ast.ArrayDecl):
        return type_to_str(node.type) + " []"
    if isinstance(node, c_ast.FuncDecl):
        return "%s (%s)" % (type_to_str(node.type), params_to_str(node))
    if isinstance(node, c_ast.EllipsisParam):
        return "..."
    return node.__class__.__name__


def params_to_str(func: c_ast.FuncDecl) -> str:
    if func.args is None:
        return ""
    return ", ".join(type_to_str(p) for p in func.args.params)


class Checker:
    def __init__(self, ast: c_ast.FileAST, header: str):
        self.ast = ast
        self.header = os.path.abspath(header)
        self.typedefs: dict[str, c_ast.Node] = {}
        self.report = Report()

    def where(self, node: c_ast.Node) -> str:
        c = node.coord
        if c is None:
            return "?"
        return "%s:%s" % (os.path.basename(c.file or "?"), c.line)

    def in_header(self, node: c_ast.Node) -> bool:
        c = node.coord
        return c is not None and c.file is not None and os.path.abspath(c.file) == self.header

    def run(self) -> Report:
        for ext in self.ast.ext:
            if isinstance(ext, c_ast.Typedef):
                self.typedefs[ext.name] = ext.type
        for ext in self.ast.ext:
            if not self.in_header(ext):
                continue
            if isinstance(ext, c_ast.Typedef):
                self.check_typedef(ext)
            elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.FuncDecl):
                self.report.functions.append(ext.name)
                self.check_function(ext.name, ext.type, self.where(ext))
            elif isinstance(ext, c_ast.FuncDef):
                self.report.errors.append(
                    "%s: %s: the header defines a function body (static inline?); "
                    "only declarations cross the ABI" % (self.where(ext), ext.decl.name)
                )
        self.check_callback_types()
        return self.report

    # --- types -----------------------------------------------------------------
    def resolve(self, node: c_ast.Node, seen: tuple[str, ...] = ()) -> tuple[c_ast.Node, tuple[str, ...]]:
        """Follows typedef names to the underlying type; returns (type, chain)."""
        if isinstance(node, c_ast.TypeDecl) and isinstance(node.type, c_ast.IdentifierType):
            names = node.type.names
            if len(names) == 1 and names[0] in self.typedefs and names[0] not in STD_TYPEDEFS:
                name = names[0]
                if name in seen:
                    return node, seen
                return self.resolve(self.typedefs[name], seen + (name,))
        return node, seen

    def func_pointer(self, node: c_ast.Node) -> c_ast.FuncDecl | None:
        node, _ = self.resolve(node)
        if isinstance(node, c_ast.PtrDecl) and isinstance(node.type, c_ast.FuncDecl):
            return node.type
        return None

    def check_value(self, node: c_ast.Node, what: str, is_return: bool) -> list[str]:
        """Problems of one by-value parameter or return type."""
        if isinstance(node, c_ast.EllipsisParam):
            return ["%s: varargs (...)" % what]
        direct_name = None
        if isinstance(node, c_ast.TypeDecl) and isinstance(node.type, c_ast.IdentifierType):
            if len(node.type.names) == 1:
                direct_name = node.type.names[0]
        if direct_name == "va_list":
            return ["%s: va_list (varargs)" % what]
        resolved, chain = self.resolve(node)
        via = (" (via typedef %s)" % " -> ".join(chain)) if chain else ""
        if isinstance(resolved, (c_ast.PtrDecl, c_ast.ArrayDecl)):
            return []  # pointers are always fine; function pointers are checked on their own
        if isinstance(resolved, c_ast.FuncDecl):
            return []  # a function parameter decays to a pointer
        if not isinstance(resolved, c_ast.TypeDecl):
            return ["%s: unexpected type %s" % (what, type_to_str(resolved))]
        inner = resolved.type
        if isinstance(inner, c_ast.Struct):
            return ["%s: struct %s by value%s" % (what, inner.name or "<anonymous>", via)]
        if isinstance(inner, c_ast.Union):
            return ["%s: union %s by value%s" % (what, inner.name or "<anonymous>", via)]
        if isinstance(inner, c_ast.Enum):
            return ["%s: enum %s as a type (use int32_t and constants)%s"
                    % (what, inner.name or "<anonymous>", via)]
        if isinstance(inner, c_ast.IdentifierType):
            names = inner.names
            spelled = " ".join(names)
            if "_Bool" in names:
                return ["%s: bool (use int32_t 0/1)%s" % (what, via)]
            if len(names) == 1 and names[0] in ALLOWED_SCALARS:
                return []
            if is_return and names == ["void"]:
                return []
            allowed = ", ".join(sorted(ALLOWED_SCALARS)) + (", void" if is_return else "")
            return ["%s: by-value type '%s'%s is not one of %s or a pointer"
                    % (what, spelled, via, allowed)]
        return ["%s: unexpected type %s" % (what, type_to_str(resolved))]

    def param_nodes(self, func: c_ast.FuncDecl) -> list[c_ast.Node]:
        if func.args is None:
            return []  # `f()`: reported separately
        params = [p.type if isinstance(p, (c_ast.Decl, c_ast.Typename)) else p for p in func.args.params]
        # `f(void)` has no parameters.
        if len(params) == 1 and isinstance(params[0], c_ast.TypeDecl) \
                and isinstance(params[0].type, c_ast.IdentifierType) \
                and params[0].type.names == ["void"]:
            return []
        return params

    def check_function(self, name: str, func: c_ast.FuncDecl, where: str, kind: str = "function") -> None:
        errors = self.report.errors
        if func.args is None:
            errors.append("%s: %s %s: unprototyped '()' parameter list (write (void))" % (where, kind, name))
        params = self.param_nodes(func)
        if len(params) > MAX_PARAMS:
            errors.append("%s: %s %s: %d parameters (at most %d)" % (where, kind, name, len(params), MAX_PARAMS))
        for msg in self.check_value(func.type, "return type", is_return=True):
            errors.append("%s: %s %s: %s" % (where, kind, name, msg))
        self.note_func_pointer(func.type, "%s %s return" % (kind, name))
        for i, p in enumerate(params):
            pname = getattr(p, "declname", None) or "#%d" % (i + 1)
            for msg in self.check_value(p, "parameter %s" % pname, is_return=False):
                errors.append("%s: %s %s: %s" % (where, kind, name, msg))
            self.note_func_pointer(p, "%s %s parameter %s" % (kind, name, pname))

    def note_func_pointer(self, node: c_ast.Node, use: str) -> None:
        """Records every function-pointer type reachable by value or through
        pointers from a parameter or return type (each one a C callback type
        that a wrapper must implement)."""
        seen_typedefs: set[str] = set()
        cur = node
        while True:
            if isinstance(cur, c_ast.TypeDecl) and isinstance(cur.type, c_ast.IdentifierType):
                names = cur.type.names
                if len(names) == 1 and names[0] in self.typedefs and names[0] not in STD_TYPEDEFS:
                    if names[0] in seen_typedefs:
                        return
                    seen_typedefs.add(names[0])
                    tname = names[0]
                    target = self.typedefs[tname]
                    fp = target.type if isinstance(target, c_ast.PtrDecl) and isinstance(target.type, c_ast.FuncDecl) else None
                    if fp is not None:
                        self.add_func_pointer(tname, target, use)
                        return
                    cur = target
                    continue
                return
            if isinstance(cur, c_ast.PtrDecl):
                if isinstance(cur.type, c_ast.FuncDecl):
                    self.add_func_pointer(None, cur, use)
                    return
                cur = cur.type
                continue
            if isinstance(cur, c_ast.ArrayDecl):
                cur = cur.type
                continue
            if isinstance(cur, c_ast.FuncDecl):  # function parameter: decays to a pointer
                self.add_func_pointer(None, c_ast.PtrDecl([], cur), use)
                return
            return

    def add_func_pointer(self, typedef_name: str | None, ptr: c_ast.PtrDecl, use: str) -> None:
        sig = signature(ptr)
        label = typedef_name or "anonymous %s" % sig
        if typedef_name == FINALIZER_NAME and sig == FINALIZER_SIGNATURE:
            if label not in self.report.finalizer_types:
                self.report.finalizer_types.append(label)
            return
        uses = self.report.callback_types.setdefault(sig, [])
        entry = "%s (%s)" % (label, use)
        if entry not in uses:
            uses.append(entry)

    def check_typedef(self, td: c_ast.Typedef) -> None:
        """Function-pointer typedefs are callback signatures: their parameters
        and results cross the boundary too, so they follow the same rules."""
        if isinstance(td.type, c_ast.PtrDecl) and isinstance(td.type.type, c_ast.FuncDecl):
            self.check_function(td.name, td.type.type, self.where(td), kind="callback type")
            self.add_func_pointer(td.name, td.type, "typedef")

    def check_callback_types(self) -> None:
        if len(self.report.callback_types) > 1:
            lines = ["%s: %s" % (sig, "; ".join(uses)) for sig, uses in self.report.callback_types.items()]
            self.report.errors.append(
                "%d host-callback function-pointer types (at most 1; only %s may be a second one):\n    %s"
                % (len(self.report.callback_types), FINALIZER_NAME, "\n    ".join(lines))
            )


def signature(ptr: c_ast.PtrDecl) -> str:
    """Canonical spelling of a function-pointer type without parameter names
    (type_to_str never prints declarator names), so equal C types compare equal."""
    func = ptr.type
    params = []
    if func.args is not None:
        for p in func.args.params:
            node = p.type if isinstance(p, (c_ast.Decl, c_ast.Typename)) else p
            params.append(type_to_str(node))
    ret = type_to_str(func.type)
    return "%s (*)(%s)" % (ret, ", ".join(params) if params else "")


def exported_symbols(lib: str) -> set[str]:
    proc = subprocess.run(
        ["nm", "-D", "--defined-only", "--format=posix", lib], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError("nm -D %s failed: %s" % (lib, proc.stderr.strip()))
    syms = set()
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] in ("T", "t", "W", "i"):
            syms.add(parts[0].split("@")[0])
    return syms


def check(header: str, cc: str, lib: str | None = None) -> Report:
    text = preprocess(header, cc)
    parser = c_parser.CParser()
    try:
        ast = parser.parse(text, filename="<preprocessed %s>" % header)
    except Exception as e:  # pycparser raises ParseError with file:line
        raise RuntimeError("pycparser could not parse %s: %s" % (header, e)) from e
    report = Checker(ast, header).run()
    if lib is not None:
        exported = {s for s in exported_symbols(lib) if s.startswith("wt_")}
        declared = set(report.functions)
        for name in sorted(declared - exported):
            report.errors.append("%s: declared in the header but not exported by %s" % (name, lib))
        for name in sorted(exported - declared):
            report.errors.append("%s: exported by %s but not declared in the header" % (name, lib))
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--header", default=os.path.join(HERE, "..", "include", "wt.h"))
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"), help="C compiler used as preprocessor")
    ap.add_argument("--lib", help="libwt.so whose exported symbols must match the header")
    args = ap.parse_args(argv)
    if args.lib is not None and not os.path.exists(args.lib):
        print("abi_check: %s does not exist (build it first: make lib)" % args.lib, file=sys.stderr)
        return 2
    try:
        report = check(args.header, args.cc, args.lib)
    except RuntimeError as e:
        print("abi_check: %s" % e, file=sys.stderr)
        return 2
    header = os.path.relpath(args.header)
    nfp = len(report.callback_types) + len(report.finalizer_types)
    print("abi_check: %s: %d exported functions, %d function-pointer type(s) (%s)%s"
          % (header, len(report.functions), nfp,
             ", ".join([uses[0].split(" (")[0] for uses in report.callback_types.values()]
                       + report.finalizer_types) or "none",
             (", symbols match %s" % os.path.relpath(args.lib)) if args.lib and not any(
                 "exported by" in e or "not exported" in e for e in report.errors) else ""))
    if report.errors:
        for e in report.errors:
            print("  error: " + e)
        print("abi_check: FAILED (%d problem(s))" % len(report.errors))
        return 1
    print("abi_check: OK: only scalars and pointers, no varargs/bool/enum/struct by value, "
          "at most %d parameters, one host-callback type" % MAX_PARAMS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
