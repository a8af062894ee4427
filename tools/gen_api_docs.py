#!/usr/bin/env python3
"""Generates docs/api.md, libwt's API reference, from include/wt.h.

Every exported item of the header (function, type, constant macro) is listed
with its doc comment, grouped by concept; each status code gets a paragraph on
when it happens and what to do, and the list of functions that can return it
(read from the functions' "Statuses:" paragraphs).

    python3 tools/gen_api_docs.py                 # rewrite docs/api.md (make api-docs)
    python3 tools/gen_api_docs.py --check         # fail if an item lacks a doc comment
                                                  # or docs/api.md is stale (make test-api-docs)

Standard library only. The doc comments come from the Rust sources (cbindgen
copies `///` comments into wt.h): fix them in src/, then run
`WT_BLESS=1 cargo test --test header` and `make api-docs`.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@dataclass
class Item:
    kind: str  # "function", "type", "constant"
    name: str
    decl: str  # C text of the declaration
    doc: str | None  # doc comment text (markdown-ish), None if missing
    line: int  # 1-based line of the declaration in the header
    value: str = ""  # constants: the macro's value


# --- parsing -------------------------------------------------------------------

DOC_START = re.compile(r"^\s*/\*\*(?!/)")
DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(\([^)]*\))?\s*(.*)$")
IFNDEF = re.compile(r"^\s*#\s*ifndef\s+([A-Za-z_]\w*)\s*$")


def clean_doc(lines: list[str]) -> str:
    """Strips the comment markers of a /** ... */ block."""
    text = "\n".join(lines)
    text = re.sub(r"^\s*/\*\*", "", text)
    text = re.sub(r"\*/\s*$", "", text)
    out = []
    for line in text.split("\n"):
        line = re.sub(r"^\s*\* ?", "", line, count=1) if re.match(r"^\s*\*", line) else line.strip()
        out.append(line.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def parse_header(text: str) -> tuple[list[Item], list[str]]:
    """Returns the header's exported items in order, and parse problems."""
    lines = text.split("\n")
    items: list[Item] = []
    problems: list[str] = []
    pending_doc: str | None = None
    guard: str | None = None
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if DOC_START.match(line):
            block = [line]
            while "*/" not in lines[i]:
                i += 1
                if i >= n:
                    problems.append("unterminated doc comment")
                    break
                block.append(lines[i])
            pending_doc = clean_doc(block)
            i += 1
            continue
        if stripped.startswith("/*"):
            while "*/" not in lines[i]:
                i += 1
                if i >= n:
                    break
            pending_doc = None
            i += 1
            continue
        if stripped.startswith("//"):
            i += 1
            continue
        if stripped.startswith("#"):
            full = line
            start = i
            while full.endswith("\\") and i + 1 < n:
                i += 1
                full = full[:-1] + " " + lines[i].strip()
            m_ifndef = IFNDEF.match(full)
            m_def = DEFINE.match(full)
            if m_ifndef and guard is None and not items:
                guard = m_ifndef.group(1)
            elif m_def and m_def.group(1) != guard:
                value = re.sub(r"\s*(//.*|/\*.*\*/)\s*$", "", m_def.group(3)).strip()
                items.append(Item("constant", m_def.group(1), full.strip(), pending_doc, start + 1, value))
            pending_doc = None
            i += 1
            continue
        if stripped.startswith('extern "C"') or stripped.startswith("}"):
            pending_doc = None
            i += 1
            continue
        # A declaration: up to ';' at brace depth 0.
        start = i
        buf = []
        depth = 0
        while i < n:
            part = re.sub(r"//.*$", "", lines[i])
            buf.append(part)
            depth += part.count("{") - part.count("}")
            if depth <= 0 and part.rstrip().endswith(";"):
                break
            i += 1
        decl = "\n".join(buf).strip()
        item = classify(decl, pending_doc, start + 1)
        if item is None:
            problems.append("line %d: cannot classify declaration: %s" % (start + 1, decl.split("\n")[0]))
        else:
            items.append(item)
        pending_doc = None
        i += 1
    return items, problems


def classify(decl: str, doc: str | None, line: int) -> Item | None:
    flat = " ".join(decl.split())
    if flat.startswith("typedef"):
        m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(", flat)  # function pointer
        if not m:
            m = re.search(r"([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*;$", flat)
        return Item("type", m.group(1), decl, doc, line) if m else None
    m = re.match(r"^(?:typedef\s+)?(struct|union|enum)\s+([A-Za-z_]\w*)\s*(\{.*\})?\s*;$", flat)
    if m:
        return Item("type", m.group(2), decl, doc, line)
    m = re.search(r"([A-Za-z_]\w*)\s*\(", flat)
    if m and flat.endswith(");"):
        return Item("function", m.group(1), decl, doc, line)
    m = re.search(r"([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*;$", flat)
    if m and flat.startswith("extern"):
        return Item("variable", m.group(1), decl, doc, line)
    return None


# --- grouping ------------------------------------------------------------------

def prefix(*ps: str):
    return lambda name: any(name.startswith(p) for p in ps)


def names(*ns: str):
    return lambda name: name in ns


def either(*preds):
    return lambda name: any(p(name) for p in preds)


GROUPS: list[tuple[str, str, object]] = [
    ("Version",
     "The version of the library. The macros are the version of the header the "
     "program was compiled with; `wt_version()` is the version of the library it "
     "runs with (see [abi-policy.md](abi-policy.md) for what may change between versions).",
     either(prefix("WT_VERSION_"), names("wt_version"))),
    ("Status codes and error messages",
     "Every fallible function returns an `int32_t` status: `WT_OK` (0) on success, "
     "otherwise one of the stable codes below; results go through out-pointers, "
     "which are left unspecified on failure. The human-readable message of the last "
     "failure on the calling thread stays available until the next failing call on "
     "that thread. No Rust panic crosses the boundary: it becomes `WT_ERR_INTERNAL`.",
     either(names("WT_OK"), prefix("WT_ERR_", "wt_error_"))),
    ("Trap codes",
     "When a call fails with `WT_ERR_TRAP`, `WT_ERR_INTERRUPTED` or `WT_ERR_OUT_OF_FUEL`, "
     "`wt_error_trap_code()` returns one of these codes (else -1).",
     prefix("WT_TRAP_")),
    ("Handles",
     "Every object is a `uint64_t` handle from a generational table; 0 is never valid. "
     "A handle carries its kind: a stale, forged or wrong-kind handle is an error status, "
     "never a crash. `wt_free` frees any handle, from any thread; objects living in a store "
     "(instances, funcs, memories, globals, tables) are freed with their store.",
     either(prefix("WT_KIND_"), names("wt_free", "wt_handle_kind", "wt_handle_count"))),
    ("Value types and function types",
     "Values travel as 64-bit slots (`uint64_t`): i32 zero-extended, i64 as is, f32 in "
     "the low 32 bits of its bit pattern, f64 as its bit pattern, funcref as a func handle, "
     "externref as the host's non-zero payload, 0 for null. Function types are handles "
     "made from arrays of these type codes; the introspection functions accept a func, a "
     "functype or a callback handle.",
     either(names("WT_I32", "WT_I64", "WT_F32", "WT_F64", "WT_V128", "WT_FUNCREF",
                  "WT_EXTERNREF", "WT_ANYREF"),
            prefix("wt_functype_", "wt_func_param_", "wt_func_result_"))),
    ("Configuration and engines",
     "An engine compiles and runs modules; it is thread-safe and shared by stores. A "
     "config handle collects settings (features, optimisation level, fuel, epoch "
     "interruption, cache) and is copied, not consumed, by `wt_engine_new_with_config`.",
     prefix("WT_FEATURE_", "WT_OPT_", "wt_config_", "wt_engine_")),
    ("WASI",
     "WASI preview 1 for guests built for `wasm32-wasip1`: a WASI config describes "
     "arguments, environment, stdio and preopened directories; `wt_store_set_wasi` gives a "
     "store a context built from it and `wt_linker_define_wasi` defines the imports.",
     either(prefix("WT_STDIO_", "wt_wasi_"),
            names("wt_store_set_wasi", "wt_store_wasi_output", "wt_linker_define_wasi"))),
    ("Stores",
     "A store holds instances and their objects; it is used by one thread at a time "
     "(`WT_ERR_BUSY` otherwise) and may be freed from any thread. Fuel, timeouts, "
     "interruption and resource caps are per store.",
     prefix("wt_store_")),
    ("Modules, WAT and bytes",
     "Modules are compiled once per engine and instantiated in any store of it. Bytes "
     "handles own buffers that libwt returns (binary wasm, serialized modules, captured "
     "output).",
     prefix("wt_module_", "wt_wat2wasm", "wt_bytes_")),
    ("Linkers",
     "A linker resolves a module's imports by name (host functions, other instances' "
     "exports, WASI) and instantiates it in a store.",
     prefix("wt_linker_")),
    ("Instances and exports",
     "Exports are looked up by name in a store; each lookup returns a new store-owned "
     "handle. `WT_EXTERN_*` tells the kind of an import or export.",
     prefix("WT_EXTERN_", "wt_instance_")),
    ("Functions, calls and host callbacks",
     "`wt_call` calls any func handle with argument and result slots. Host functions use "
     "the one callback type `wt_callback_t` with an `env` pointer (and an optional "
     "finalizer), so a language wrapper registers a single native trampoline; inside a "
     "callback the caller handle works wherever a store handle is accepted.",
     either(names("wt_callback_t", "wt_finalizer_t", "wt_call", "wt_callback_new"),
            prefix("wt_func_", "wt_caller_"))),
    ("Memories",
     "Linear memories, read and written with bounds checks or accessed directly through "
     "`wt_memory_data`.",
     prefix("wt_memory_")),
    ("Globals",
     "Globals read and written as slots.",
     prefix("wt_global_")),
    ("Tables",
     "Tables of function or external references, read and written as slots.",
     prefix("wt_table_")),
]
OTHER_GROUP = ("Other", "Items not yet placed in a group by tools/gen_api_docs.py.", lambda name: True)


def group_items(items: list[Item]) -> list[tuple[str, str, list[Item]]]:
    groups = [(title, intro, pred, []) for title, intro, pred in GROUPS + [OTHER_GROUP]]
    for item in items:
        for _, _, pred, members in groups:
            if pred(item.name):
                members.append(item)
                break
    return [(title, intro, members) for title, intro, _, members in groups if members]


# --- status codes --------------------------------------------------------------

# When each status happens and what the caller should do. The header's doc
# comment of each code is printed first; this adds the advice. A status code in
# the header without an entry here (or the reverse) fails the check.
STATUS_GUIDANCE: dict[str, tuple[str, str]] = {
    "WT_OK": (
        "The call succeeded and wrote its out-pointers.",
        "Nothing. A successful call does not clear the last error message.",
    ),
    "WT_ERR_BAD_HANDLE": (
        "A handle argument is 0, was never issued, was already freed (including store-owned "
        "handles whose store was freed), or is a caller handle used after its callback returned.",
        "This is a bug in the calling code (use after free, double free, uninitialised "
        "variable): retrying does not help. Wrappers should forget a handle as soon as they "
        "free it and tie store-owned handles to their store's lifetime.",
    ),
    "WT_ERR_WRONG_KIND": (
        "A live handle names another kind of object than the parameter expects (a module "
        "where a store is expected, a memory export looked up as a function, ...).",
        "Check the argument order; `wt_handle_kind` tells the kind of a handle, and "
        "`wt_instance_get_export` looks up an export of any kind.",
    ),
    "WT_ERR_NULL_POINTER": (
        "A required pointer argument (an out-pointer, a string or buffer with a non-zero "
        "length) is NULL.",
        "Pass a valid pointer. Out-pointers documented as optional may be NULL; a buffer may "
        "be NULL only with a zero length.",
    ),
    "WT_ERR_INVALID_ARGUMENT": (
        "An argument is malformed: invalid UTF-8, an unknown type, feature or mode code, an "
        "out-of-range option, an object of another store or engine, an inconsistent config.",
        "Read `wt_error_message()`, which names the argument, and fix the call; retrying with "
        "the same arguments fails again.",
    ),
    "WT_ERR_COMPILE": (
        "WAT text failed to parse (the message gives line and column), binary wasm failed to "
        "validate or compile (for example a feature disabled in the config), or serialized "
        "bytes do not match this libwt build or engine configuration.",
        "Fix the module, or enable the feature it needs with `wt_config_set_feature`. For "
        "`wt_module_deserialize`, compile from the original wasm again and re-serialize.",
    ),
    "WT_ERR_LINK": (
        "Instantiation found an import missing or of an incompatible type (the message names "
        "the module, field and both types), or a definition would replace an existing one.",
        "Define the import in the linker with the right type before instantiating, or turn "
        "on `wt_linker_allow_shadowing` to replace definitions on purpose.",
    ),
    "WT_ERR_TRAP": (
        "The guest trapped: `unreachable`, an out-of-bounds memory or table access, integer "
        "division by zero, stack overflow, a failed cast, ... The message carries the trap "
        "and the wasm backtrace.",
        "`wt_error_trap_code()` gives the `WT_TRAP_*` code. The store stays usable, but the "
        "guest's state is whatever it was when it trapped: many embedders discard the "
        "instance (or store) after a trap.",
    ),
    "WT_ERR_SIGNATURE": (
        "`wt_call` (or a similar call) got a number of arguments or results different from "
        "the function's signature, or a value of the wrong type.",
        "Query the signature with `wt_func_param_count`/`wt_func_param_type` and "
        "`wt_func_result_count`/`wt_func_result_type` and pass exactly that many slots.",
    ),
    "WT_ERR_OUT_OF_BOUNDS": (
        "An index, offset or length lies outside the object (memory range, table index, "
        "import/export index), or an output buffer is too small for a name.",
        "For names, call again with a buffer of the `*out_len` reported (size first with "
        "`buf = NULL, cap = 0`); otherwise check the size with `wt_memory_size`, "
        "`wt_table_size` or the item counts. Nothing was read or written.",
    ),
    "WT_ERR_LIMIT": (
        "Growth went beyond a memory's or table's maximum or the store's cap "
        "(`wt_store_set_limits`). Besides the functions listed below, any function that "
        "creates a handle can return it when the process-wide handle table is full, and any "
        "function taking a handle when that one handle has an extreme number of concurrent uses.",
        "Treat it as out of memory for that object: raise the cap if it is yours to raise, "
        "or free handles you no longer need. The object is unchanged.",
    ),
    "WT_ERR_INTERRUPTED": (
        "The running guest was stopped by `wt_store_interrupt` or by the store's timeout "
        "(`wt_store_set_timeout_ms`); the trap code is `WT_TRAP_INTERRUPT`.",
        "Expected when you interrupt on purpose. The store stays usable for further calls; "
        "the interrupted call is not resumed.",
    ),
    "WT_ERR_OUT_OF_FUEL": (
        "Fuel metering is on and the store's fuel reached 0 (the trap code is "
        "`WT_TRAP_OUT_OF_FUEL`).",
        "Add fuel with `wt_store_set_fuel` before the next call; the interrupted call is not "
        "resumed.",
    ),
    "WT_ERR_CALLBACK": (
        "A host callback returned a non-zero status; the guest trapped and the outer call "
        "failed with the message the callback set with `wt_caller_set_error` (or a default "
        "naming its status).",
        "Handle it like an exception from your own host code: the message is yours. The "
        "store stays usable.",
    ),
    "WT_ERR_BUSY": (
        "The store is in use by another thread, or was re-entered from inside one of its own "
        "callbacks through the store handle instead of the caller handle; or a definition "
        "was added to a linker while an instantiation with it is running.",
        "Use a store from one thread at a time (a lock in your code, or one store per "
        "thread); inside a callback, pass the caller handle where a store is expected.",
    ),
    "WT_ERR_EXIT": (
        "A WASI guest called `proc_exit`.",
        "Not necessarily an error: `wt_error_exit_code()` gives the exit code (0 usually "
        "means success). Treat the WASI program as finished.",
    ),
    "WT_ERR_NOT_FOUND": (
        "No export (or item) has the given name.",
        "Check the name (case and bytes matter); list the exports with "
        "`wt_instance_export_count`/`wt_instance_export_name` or "
        "`wt_module_export_count`/`wt_module_export_name`.",
    ),
    "WT_ERR_UNSUPPORTED": (
        "The operation is not available with this object or configuration: a v128 or GC "
        "value in a 64-bit slot, fuel or epoch interruption disabled, a shared memory or tag "
        "export.",
        "Change the engine configuration (`wt_config_set_consume_fuel`, "
        "`wt_config_set_epoch_interruption`) or avoid the type in exported signatures.",
    ),
    "WT_ERR_IO": (
        "An operating-system operation failed: a preopened directory does not exist or "
        "cannot be opened, the cache directory cannot be created or used.",
        "The message names the path and the OS error; fix the path or its permissions.",
    ),
    "WT_ERR_IMMUTABLE": (
        "`wt_global_set` on a const (immutable) global.",
        "Check mutability with `wt_global_type` first; only `(mut ...)` globals can be set.",
    ),
    "WT_ERR_INTERNAL": (
        "A bug in libwt, including a Rust panic caught at the boundary (its message is the "
        "panic's). Any function that returns a status can return it, not only those listed.",
        "Please report it with the message. The failure was contained at the boundary, but "
        "treat the objects involved in the failed call as suspect: free them and create new "
        "ones.",
    ),
}

STATUS_NAME = re.compile(r"\bWT_(?:OK|ERR_[A-Z_]+)\b")
STATUS_REF = re.compile(r"(?:\bas|status of)\s+`(wt_\w+)`")


def statuses_paragraph(doc: str) -> str:
    """The 'Statuses:' part of a function's doc comment (up to a blank line or a
    '# Safety' heading)."""
    idx = doc.find("Statuses:")
    if idx < 0:
        return ""
    rest = doc[idx:]
    end = len(rest)
    for stop in ("\n\n", "\n# "):
        j = rest.find(stop)
        if j >= 0:
            end = min(end, j)
    return rest[:end]


def returned_by(functions: list[Item]) -> dict[str, list[str]]:
    """status name -> functions whose doc says they can return it."""
    direct: dict[str, set[str]] = {}
    refs: dict[str, list[str]] = {}
    for f in functions:
        para = statuses_paragraph(f.doc or "")
        direct[f.name] = set(STATUS_NAME.findall(para))
        refs[f.name] = STATUS_REF.findall(para)

    def resolve(name: str, seen: frozenset[str]) -> set[str]:
        out = set(direct.get(name, set()))
        for r in refs.get(name, []):
            if r not in seen:
                out |= resolve(r, seen | {r})
        return out

    result: dict[str, list[str]] = {}
    for f in functions:
        for status in sorted(resolve(f.name, frozenset({f.name}))):
            result.setdefault(status, []).append(f.name)
    return result


# --- rendering -----------------------------------------------------------------

def anchor(title: str) -> str:
    a = title.strip().lower()
    a = re.sub(r"[^\w\- ]", "", a)
    return a.replace(" ", "-")


def doc_to_md(doc: str) -> str:
    """Doc comments are rustdoc markdown; demote its '# Safety' style headings
    to bold paragraph labels so they do not break the page's outline."""
    out = []
    for line in doc.split("\n"):
        m = re.match(r"^#+\s+(.*)$", line)
        out.append("**%s:**" % m.group(1) if m else line)
    return "\n".join(out)


def one_line(doc: str) -> str:
    return " ".join(doc.split()).replace("|", "\\|")


def render(items: list[Item], header_rel: str) -> str:
    consts = {i.name: i for i in items if i.kind == "constant"}
    version = ".".join(consts[n].value if n in consts else "?"
                       for n in ("WT_VERSION_MAJOR", "WT_VERSION_MINOR", "WT_VERSION_PATCH"))
    functions = [i for i in items if i.kind == "function"]
    by_status = returned_by(functions)
    groups = group_items(items)
    nfun = len(functions)
    ntype = sum(1 for i in items if i.kind == "type")
    nconst = len(consts)

    out: list[str] = []
    w = out.append
    w("# libwt API reference")
    w("")
    w("<!-- Generated by tools/gen_api_docs.py from %s. Do not edit: run `make api-docs`. -->"
      % header_rel)
    w("")
    w("libwt %s: %d functions, %d types and %d constants, all declared in `%s` "
      "(`#include \"wt.h\"`, link with `-lwt`, or use `pkg-config wt` / CMake "
      "`find_package(wt)` after `make install`). The rules every function follows "
      "(handles, statuses, 64-bit value slots, one callback type, threads) are in the "
      "header's preamble; compatibility between versions is in [abi-policy.md](abi-policy.md)."
      % (version, nfun, ntype, nconst, header_rel))
    w("")
    w("## Contents")
    w("")
    for title, _, members in groups:
        w("- [%s](#%s) (%d)" % (title, anchor(title), len(members)))
    w("")

    for title, intro, members in groups:
        w("## %s" % title)
        w("")
        w(intro)
        w("")
        if title == "Status codes and error messages":
            with_statuses = [f.name for f in functions if statuses_paragraph(f.doc or "")]
            render_statuses(w, [m for m in members if m.kind == "constant"], by_status,
                            with_statuses)
            rest = [m for m in members if m.kind != "constant"]
        else:
            group_consts = [m for m in members if m.kind == "constant"]
            if group_consts:
                w("| constant | value | meaning |")
                w("|---|---|---|")
                for c in group_consts:
                    w("| `%s` | `%s` | %s |" % (c.name, c.value, one_line(c.doc or "")))
                w("")
            rest = [m for m in members if m.kind != "constant"]
        for m in rest:
            w("### `%s`" % m.name)
            w("")
            w("```c")
            w(" ".join(m.decl.split()) if m.kind == "function" or m.decl.count("\n") == 0 else m.decl)
            w("```")
            w("")
            w(doc_to_md(m.doc or ""))
            w("")
    return "\n".join(out).rstrip("\n") + "\n"


def render_statuses(w, statuses: list[Item], by_status: dict[str, list[str]],
                    with_statuses: list[str]) -> None:
    w("| code | name | meaning |")
    w("|---|---|---|")
    for s in statuses:
        w("| %s | [`%s`](#%s) | %s |" % (s.value, s.name, anchor("%s (%s)" % (s.name, s.value)),
                                        one_line(s.doc or "")))
    w("")
    for s in statuses:
        when, todo = STATUS_GUIDANCE.get(s.name, ("", ""))
        w("### %s (%s)" % (s.name, s.value))
        w("")
        w(doc_to_md(s.doc or ""))
        w("")
        w("**When it happens.** %s" % when)
        w("")
        w("**What to do.** %s" % todo)
        w("")
        fns = by_status.get(s.name, [])
        if s.name == "WT_OK":
            continue
        if len(fns) > len(with_statuses) // 2:
            others = [f for f in with_statuses if f not in fns]
            w("**Returned by** %d of the %d functions that document their statuses; not by %s."
              % (len(fns), len(with_statuses), ", ".join("`%s`" % f for f in others)))
        elif fns:
            w("**Returned by** (%d): %s." % (len(fns), ", ".join("`%s`" % f for f in fns)))
        else:
            w("**Returned by:** no function lists it in its \"Statuses:\" paragraph.")
        w("")


# --- checks and main -------------------------------------------------------------

def problems_of(items: list[Item], header_rel: str) -> list[str]:
    problems = []
    for it in items:
        if it.doc is None or not it.doc.strip():
            problems.append(
                "%s:%d: %s `%s` has no doc comment (write a `///` comment on it in src/, then "
                "`WT_BLESS=1 cargo test --test header`)" % (header_rel, it.line, it.kind, it.name))
    statuses = [i.name for i in items if i.kind == "constant" and STATUS_NAME.fullmatch(i.name)]
    for s in statuses:
        if s not in STATUS_GUIDANCE:
            problems.append("status %s has no 'when it happens / what to do' entry in "
                            "STATUS_GUIDANCE of tools/gen_api_docs.py" % s)
    for s in STATUS_GUIDANCE:
        if s not in statuses:
            problems.append("STATUS_GUIDANCE in tools/gen_api_docs.py describes %s, which the "
                            "header does not define" % s)
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--header", default=os.path.join(ROOT, "include", "wt.h"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "api.md"))
    ap.add_argument("--check", action="store_true",
                    help="do not write; fail if an item lacks a doc comment or --out is stale")
    args = ap.parse_args(argv)

    with open(args.header, encoding="utf-8") as f:
        text = f.read()
    items, parse_problems = parse_header(text)
    header_rel = os.path.relpath(os.path.abspath(args.header), ROOT).replace(os.sep, "/")
    if header_rel.startswith(".."):
        header_rel = os.path.basename(args.header)
    problems = parse_problems + problems_of(items, header_rel)
    seen = set()
    for it in items:
        if it.name in seen:
            problems.append("%s:%d: `%s` is declared twice" % (header_rel, it.line, it.name))
        seen.add(it.name)
    generated = render(items, header_rel)
    nfun = sum(1 for i in items if i.kind == "function")

    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != generated:
            diff = list(difflib.unified_diff(current.splitlines(), generated.splitlines(),
                                             args.out, "generated", lineterm="", n=1))
            problems.append("%s is stale: run `make api-docs` (python3 tools/gen_api_docs.py)\n%s"
                            % (os.path.relpath(args.out), "\n".join(diff[:40])))
    else:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(generated)
        print("wrote %s (%d items, %d functions)" % (os.path.relpath(args.out), len(items), nfun))

    if problems:
        for p in problems:
            print("error: " + p, file=sys.stderr)
        print("api docs: FAILED (%d problem(s))" % len(problems), file=sys.stderr)
        return 1
    if args.check:
        print("api docs: %d items (%d functions) documented, %s is up to date"
              % (len(items), nfun, os.path.relpath(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
