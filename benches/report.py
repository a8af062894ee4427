#!/usr/bin/env python3
"""Combines the JSON of the three runners into docs/benchmarks.md and
docs/benchmarks.png (issue 7). Run by `make bench` (or `make bench-report`).

    report.py BUILD_BENCH_DIR DOCS_DIR

Reads c.json (libwt + Wasmtime C API), rust.json (wasmtime Rust API),
python.json (libwt ctypes vs wasmtime-py), cargo-build-seconds.txt,
load-*.txt and the callgrind summaries profile-*-{self,inclusive}.txt, plus the
hand-written analysis benches/profile-notes.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Reference numbers quoted in issue 7 (their machine, 2026-11-21).
ISSUE_REF = {
    ("1", "Rust API", "TypedFunc::call"): 18.7,
    ("1", "C API", "wasmtime_func_call (checked)"): 227,
    ("1", "C API", "wasmtime_func_call_unchecked"): 22,
    ("3", "C API", "wasmtime_func_call + wasmtime_func_new (checked)"): 264,
    ("3", "C API", "wasmtime_func_call_unchecked + wasmtime_func_new_unchecked"): 27,
    ("4", "C API", "wasmtime_func_new (checked, per import call)"): 50,
    ("4", "C API", "wasmtime_func_new_unchecked (per import call)"): 7.4,
    ("5", "C API", "store_new + wasmtime_linker_instantiate + store_delete"): 5000,
    ("py1", "wasmtime-py", "Func.__call__(add)"): 34000,
    ("py3", "wasmtime-py", "Func.__call__(roundtrip) + Linker.define_func"): 39000,
}

CASE_TITLES = {
    "1": "Case 1 — host→wasm call of `add(i32,i32)->i32`",
    "2": "Case 2 — host→wasm call, 4 mixed params (i32 i64 f32 f64), 2 results (i64 f64)",
    "3": "Case 3 — round trip host→wasm→host callback→wasm→host",
    "4": "Case 4 — wasm→host import call inside a wasm loop (ns per import call)",
    "5": "Case 5 — instantiate a small module (1 page, 4 funcs, 2 imports, table, data) in a fresh store",
    "6": "Case 6 — compile a 200-function module; deserialize its precompiled bytes",
    "7": "Case 7 — read + write 4 KiB of guest memory (ns per read+write pair)",
    "8": "Case 8 — throughput of `add` calls, 1 vs 2 threads on separate stores",
    "9": "Case 9 — libwt handle lookup with few vs 1,048,576 extra live handles",
    "py1": "Python case 1 — call `add`",
    "py3": "Python case 3 — callback round trip",
    "py5": "Python case 5 — instantiate in a fresh store",
}


def load(path: Path) -> dict:
    with open(path) as f:
        return json.load(f)


class Results:
    def __init__(self, runs: dict[str, dict]):
        self.rows = []
        for runner, data in runs.items():
            for r in data["results"]:
                r = dict(r)
                r["runner"] = runner
                self.rows.append(r)

    def case(self, case: str) -> list[dict]:
        return [r for r in self.rows if r["case"] == case]

    def get(self, case: str, api: str, variant: str) -> dict | None:
        """Exact variant, or the first one that starts with `variant`."""
        rows = [r for r in self.rows if r["case"] == case and r["api"] == api]
        for r in rows:
            if r["variant"] == variant:
                return r
        for r in rows:
            if r["variant"].startswith(variant):
                return r
        return None

    def val(self, case: str, api: str, variant: str) -> float | None:
        r = self.get(case, api, variant)
        return r["value"] if r else None


def fmt_ns(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:,.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:,.1f} µs"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}"


def fmt_val(r: dict) -> str:
    if r["unit"] == "calls/s":
        return f"{r['value'] / 1e6:.2f} M calls/s"
    return fmt_ns(r["value"])


def machine_info() -> list[str]:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception:
            return "?"

    mem = sh("free -g | awk '/Mem:/ {print $2}'")
    return [
        f"- CPUs: `nproc` = {sh('nproc')}, {cpu}",
        f"- Memory: {mem} GiB; kernel {platform.release()}",
        f"- Toolchains: {sh('rustc --version')}; {sh('cc --version | head -1')}; Python {platform.python_version()}",
    ]


class Targets:
    def __init__(self):
        self.items = []  # (name, value, limit, op, met, note)

    def add(self, name: str, value: float | None, limit: float, op: str, note: str = "") -> str:
        if value is None:
            self.items.append((name, None, limit, op, None, note))
            return "n/a"
        met = value <= limit if op == "<=" else value >= limit
        self.items.append((name, value, limit, op, met, note))
        return mark(met)


def rep_ratio(a: dict | None, b: dict | None, b2: dict | None = None) -> float | None:
    """Median over repetitions of a[i] / (b[i] (+ b2[i])). Rows compared with
    each other run interleaved (repetition i of each, back to back), so the
    per-repetition ratio compares the same moment of this shared machine."""
    if not a or not b or (b2 is not None and not b2):
        return None
    den = b["samples"] if b2 is None else [x + y for x, y in zip(b["samples"], b2["samples"])]
    rs = sorted(x / y for x, y in zip(a["samples"], den) if y > 0)
    if not rs:
        return None
    return rs[len(rs) // 2] if len(rs) % 2 else (rs[len(rs) // 2 - 1] + rs[len(rs) // 2]) / 2


def mark(met) -> str:
    if met == "inconclusive":
        return "**inconclusive**"
    return "n/a" if met is None else ("**met**" if met else "**MISSED**")


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def case_table(res: Results, case: str, ref: tuple[str, str, str] | None) -> list[str]:
    rows = res.case(case)
    if not rows:
        return ["(no results)"]
    refv = res.val(*ref) if ref else None
    out = []
    head = "| API | what is measured | median | min | vs reference | issue 7's machine |"
    out.append(head)
    out.append("|---|---|---:|---:|---:|---:|")
    for r in rows:
        rr = fmt_ratio(ratio(r["value"], refv)) if refv and r["unit"] == "ns/op" else ""
        iss = ISSUE_REF.get((case, r["api"], r["variant"]))
        mn = fmt_ns(r["min"]) if r["unit"] == "ns/op" else f"{max(r['samples']) / 1e6:.2f} M (best)"
        out.append(
            f"| {r['api']} | {r['variant']} | {fmt_val(r)} | {mn} | {rr} | {fmt_ns(iss) if iss else ''} |"
        )
    if ref:
        out.append("")
        out.append(f"Reference for the ratio column: {ref[1]} `{ref[2]}`.")
    return out


def parse_profile(out_dir: Path, case: str) -> dict | None:
    """Instructions per operation and self cost per function (inlined code,
    which callgrind attributes to the inlined source file, is summed into the
    function it was inlined into)."""
    p_self = out_dir / f"profile-{case}-self.txt"
    if not p_self.exists():
        return None
    text = p_self.read_text()
    m = re.search(r"^calls (\d+)", text, re.M)
    calls = int(m.group(1)) if m else 1
    m = re.search(r"^([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M) or re.search(
        r"^([\d,]+)\s+PROGRAM TOTALS", text, re.M
    )
    total = int(m.group(1).replace(",", "")) if m else 0
    agg: dict[str, int] = {}
    sect = text.split("file:function", 1)[-1].split("\n")
    # the summary block: after the header's dashes, up to the first blank line
    while sect and (not sect[0].strip() or set(sect[0].strip()) == {"-"}):
        sect = sect[1:]
    block = []
    for line in sect:
        if not line.strip() or line.startswith("--"):
            break
        block.append(line)
    for line in block:
        mm = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not mm:
            continue
        ir = int(mm.group(1).replace(",", ""))
        rest = re.sub(r"\s*\[[^\]]*\]\s*$", "", mm.group(2))
        fm = re.match(r"^(.*?\.(?:rs|c|S|h)|\?\?\?):(.*)$", rest)
        name = fm.group(2) if fm else rest
        if re.fullmatch(r"0x[0-9a-f]+", name):
            name = "(JIT code: wasm and Wasmtime trampolines)"
        agg[name] = agg.get(name, 0) + ir
    top = sorted(agg.items(), key=lambda kv: -kv[1])
    return {"calls": calls, "total": total, "self": [(ir, 100.0 * ir / max(total, 1), n) for n, ir in top[:14]]}


def short(name: str, n: int = 110) -> str:
    name = name.replace("|", "\\|")
    return name if len(name) <= n else name[: n - 1] + "…"


def chart(res: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picks = [
        ("1", "libwt", "wt_call"), ("1", "C API", "wasmtime_func_call (checked)"),
        ("1", "C API", "wasmtime_func_call_unchecked"), ("1", "Rust API", "TypedFunc::call"),
        ("1", "Rust API", "Func::call"),
        ("2", "libwt", "wt_call"), ("2", "C API", "wasmtime_func_call (checked)"),
        ("2", "C API", "wasmtime_func_call_unchecked"), ("2", "Rust API", "TypedFunc::call"),
        ("2", "Rust API", "Func::call"),
        ("3", "libwt", "wt_call + wt_callback_t"),
        ("3", "C API", "wasmtime_func_call + wasmtime_func_new (checked)"),
        ("3", "C API", "wasmtime_func_call_unchecked + wasmtime_func_new_unchecked"),
        ("3", "Rust API", "TypedFunc::call + func_wrap"), ("3", "Rust API", "Func::call + Func::new"),
        ("4", "libwt", "wt_callback_t (per import call)"),
        ("4", "C API", "wasmtime_func_new (checked, per import call)"),
        ("4", "C API", "wasmtime_func_new_unchecked (per import call)"),
        ("4", "Rust API", "func_wrap (per import call)"), ("4", "Rust API", "Func::new (per import call)"),
        ("5", "libwt", "wt_store_new + wt_linker_instantiate"),
        ("5", "C API", "store_new + wasmtime_linker_instantiate"),
        ("5", "C API", "store_new + wasmtime_instance_pre_instantiate"),
        ("5", "Rust API", "Store::new + Linker::instantiate"), ("5", "Rust API", "Store::new + InstancePre"),
        ("6", "libwt", "wt_module_from_wasm"), ("6", "C API", "wasmtime_module_new"),
        ("6", "Rust API", "Module::new"),
        ("6", "libwt", "wt_module_deserialize"), ("6", "C API", "wasmtime_module_deserialize"),
        ("6", "Rust API", "Module::deserialize"),
        ("7", "libwt", "host: wt_memory_read + wt_memory_write"), ("7", "C API", "host: wasmtime_memory_data"),
        ("7", "Rust API", "host: Memory::read"), ("7", "baseline", "host: 2 plain memcpy"),
        ("7", "libwt", "callback: wt_memory_read"), ("7", "C API", "callback: caller_export_get + memory_data + 2 memcpy (unchecked"),
        ("7", "Rust API", "callback: get_export + read + write (func_wrap)"),
        ("9", "libwt", "wt_call add, 1"), ("9", "libwt", "wt_call add, "),
        ("py1", "libwt ctypes", ""), ("py1", "libwt wt pkg", ""), ("py1", "wasmtime-py", ""),
        ("py3", "libwt ctypes", ""), ("py3", "libwt wt pkg", ""), ("py3", "wasmtime-py", ""),
        ("py5", "libwt ctypes", ""), ("py5", "libwt wt pkg", ""), ("py5", "wasmtime-py", ""),
    ]
    colors = {"libwt": "#1f77b4", "C API": "#ff7f0e", "Rust API": "#2ca02c", "baseline": "#7f7f7f",
              "libwt ctypes": "#1f77b4", "libwt wt pkg": "#6baed6", "wasmtime-py": "#d62728"}
    labels, vals, cols = [], [], []
    seen = set()
    for case, api, var in picks:
        if case == "9":
            rows = [r for r in res.case("9") if r["api"] == "libwt" and r["variant"].startswith("wt_call add")]
            rows = rows[:1] if var.endswith(", 1") else rows[1:2]
            r = rows[0] if rows else None
        else:
            r = res.get(case, api, var)
        if not r or id(r) in seen:
            continue
        seen.add(id(r))
        v = r["variant"]
        v = v if len(v) <= 58 else v[:57] + "…"
        labels.append(f"{case}: {api} — {v}")
        vals.append(r["value"])
        cols.append(colors.get(api, "#9467bd"))
    fig, ax = plt.subplots(figsize=(13, 0.28 * len(labels) + 1.5))
    y = list(range(len(labels)))[::-1]
    ax.barh(y, vals, color=cols)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7.5)
    ax.set_xscale("log")
    ax.set_xlabel("ns per operation (median, log scale) — shorter is faster")
    ax.set_title("libwt vs Wasmtime C API vs Rust API vs wasmtime-py (issue 7)")
    for yy, v in zip(y, vals):
        ax.text(v * 1.05, yy, fmt_ns(v), va="center", fontsize=6.5)
    ax.grid(axis="x", which="both", alpha=0.3)
    from matplotlib.patches import Patch

    legend = {"libwt": "libwt (C ABI / raw ctypes)", "libwt wt pkg": "libwt via bindings/python `wt`",
              "C API": "Wasmtime C API", "Rust API": "wasmtime Rust API", "baseline": "baseline",
              "wasmtime-py": "wasmtime-py"}
    ax.legend(handles=[Patch(color=colors[a], label=l) for a, l in legend.items()],
              loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} BUILD_BENCH_DIR DOCS_DIR")
    out_dir, docs = Path(sys.argv[1]), Path(sys.argv[2])
    docs.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name in ("c", "rust", "python"):
        p = out_dir / f"{name}.json"
        if p.exists():
            runs[name] = load(p)
    if "c" not in runs:
        sys.exit(f"{out_dir}/c.json missing: run `make bench`")
    res = Results(runs)
    c = runs["c"]
    py = runs.get("python", {})
    quick = c.get("reps", 11) < 5

    def readtxt(n: str) -> str:
        p = out_dir / n
        return p.read_text().strip() if p.exists() else "?"

    T = Targets()
    md: list[str] = []
    md.append("# Benchmarks (issue 7): libwt vs Wasmtime's C API, Rust API and wasmtime-py")
    md.append("")
    md.append("Generated by `make bench` (benches/report.py) — do not edit by hand; re-run it whenever the call path changes.")
    if quick:
        md.append("")
        md.append("> **BENCH_QUICK run: tiny batches, numbers are NOT meaningful.**")
    md.append("")
    md.append("## Command")
    md.append("")
    md.append("```sh")
    md.append("make bench        # build (release, target/bench, nice -n 10), run all runners, profile, write this file")
    md.append("```")
    md.append("")
    md.append(
        "`benches/` is its own cargo workspace, built only by `make bench` (never by `make test`/CI). One release "
        "cdylib, `libwtbench.so`, exports libwt's `wt_*` functions and Wasmtime's official C API "
        "(`wasmtime-c-api-impl =48.0.8`, `pub use wasmtime_c_api::*`), so libwt and the C API run over the same "
        "Wasmtime build in one process (`benches/bench.c`, `-O2`); `rust-api-bench` is the wasmtime Rust API "
        "floor; `benches/bench_py.py` compares libwt through ctypes with the PyPI `wasmtime` package."
    )
    md.append("")
    md.append(
        "Feature unification: the bench build's `wasmtime` crate has the union of libwt's features and the C API's. "
        "The C API was given exactly libwt's feature list, so the only extra Wasmtime feature is `wat` "
        "(text parsing; not on any measured path). The C API's optional `async`, `wasi`, `component-model`, "
        "`profiling`, `pooling-allocator` are off. Every engine (libwt, C API, Rust) uses libwt's default "
        "configuration: epoch interruption **on**, wasm threads off; a few rows show epoch interruption off."
    )
    md.append("")
    md.append("## Machine")
    md.append("")
    md.extend(machine_info())
    md.append(f"- Date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M %Z').strip()}")
    md.append(f"- Load before/after the runs: `{readtxt('load-before.txt')}` / `{readtxt('load-after.txt')}` "
              "(a shared 2-core machine: other engineers' tests were running, so case 8 and the ms-scale cases are noisy)")
    md.append(f"- libwt measured: {readtxt('src-state.txt').replace(chr(10), '; ')} (the work tree at build time)")
    md.append(f"- Bench crate build (`cargo build --release` under `nice -n 10`): {readtxt('cargo-build-seconds.txt')} s "
              "this time (incremental). The first build from scratch (all of Wasmtime and Cranelift in release mode) "
              "took 34 min wall-clock and 19 min CPU on 2026-11-21 under a load average around 9. A rebuild after a "
              "libwt change takes about 50 s.")
    md.append(f"- Wasmtime 48.0.8 (libwt, C API, Rust API); wasmtime-py {py.get('wasmtime_py', '?')} "
              f"(bundles its own libwasmtime); Python {py.get('python', '?')}")
    md.append(f"- Method: median of {c.get('reps')} repetitions (7 for case 6 and the Python and thread cases; "
              f"{c.get('fine_reps', c.get('reps'))} repetitions of ~{c.get('fine_ms', c.get('target_ms'))} ms for "
              "cases 1-5, whose rows are compared pairwise), "
              f"each a batch sized to ~{c.get('target_ms')} ms (Python ~{py.get('target_ms', '?')} ms); "
              "`min` is the fastest repetition. libwt and the C API run in one process (`c.json`); the Rust API "
              "rows come from a separate process run right after (`rust.json`), so their `vs reference` ratios "
              "also include any change in machine speed between the two runs.")
    md.append("")

    # ---------------- targets
    v = res.val
    l1, u1 = v("1", "libwt", "wt_call"), v("1", "C API", "wasmtime_func_call_unchecked")
    l2, u2 = v("2", "libwt", "wt_call"), v("2", "C API", "wasmtime_func_call_unchecked")
    l3, u3 = v("3", "libwt", "wt_call + wt_callback_t"), v("3", "C API", "wasmtime_func_call_unchecked + wasmtime_func_new_unchecked")
    l4, u4 = v("4", "libwt", "wt_callback_t (per import call)"), v("4", "C API", "wasmtime_func_new_unchecked (per import call)")
    l5, c5 = v("5", "libwt", "wt_store_new + wt_linker_instantiate"), v("5", "C API", "store_new + wasmtime_linker_instantiate")
    c5p = v("5", "C API", "store_new + wasmtime_instance_pre_instantiate")
    l7 = v("7", "libwt", "host: wt_memory_read + wt_memory_write")
    m7 = v("7", "baseline", "host: 2 plain memcpy")
    o7 = v("7", "baseline", "host: 2 x wt_memory_size")
    l7c = v("7", "libwt", "callback: wt_memory_read + wt_memory_write via caller")
    o7c = v("7", "baseline", "callback: 2 x wt_memory_size via caller")
    def scaling(api: str) -> float | None:
        """Median over repetitions of (2 threads / 1 thread), measured back to back."""
        a, b = res.get("8", api, "1 thread"), res.get("8", api, "2 threads")
        if not a or not b:
            return None
        rs = sorted(y / x for x, y in zip(a["samples"], b["samples"]) if x > 0)
        return rs[len(rs) // 2] if len(rs) % 2 else (rs[len(rs) // 2 - 1] + rs[len(rs) // 2]) / 2
    rows9 = [r for r in res.case("9") if r["variant"].startswith("wt_call add")]

    r_few = rows9[0] if rows9 else None
    r_same = rows9[1] if len(rows9) > 1 else None
    r_high = rows9[2] if len(rows9) > 2 else None
    h_same_ratio, h_high_ratio = rep_ratio(r_same, r_few), rep_ratio(r_high, r_few)
    p1l, p1w = v("py1", "libwt ctypes", ""), v("py1", "wasmtime-py", "")
    p3l, p3w = v("py3", "libwt ctypes", ""), v("py3", "wasmtime-py", "")

    g = res.get
    T.add("1: libwt `wt_call` add / C API `wasmtime_func_call_unchecked`",
          rep_ratio(g("1", "libwt", "wt_call"), g("1", "C API", "wasmtime_func_call_unchecked")), 1.5, "<=")
    T.add("2: libwt `wt_call` mixed / C API `wasmtime_func_call_unchecked`",
          rep_ratio(g("2", "libwt", "wt_call"), g("2", "C API", "wasmtime_func_call_unchecked")), 1.5, "<=")
    T.add("3: libwt round trip / C API all-unchecked round trip",
          rep_ratio(g("3", "libwt", "wt_call + wt_callback_t"),
                    g("3", "C API", "wasmtime_func_call_unchecked + wasmtime_func_new_unchecked")), 1.5, "<=")
    T.add("4: libwt import call / C API `wasmtime_func_new_unchecked` import call",
          rep_ratio(g("4", "libwt", "wt_callback_t (per import call)"),
                    g("4", "C API", "wasmtime_func_new_unchecked (per import call)")), 1.5, "<=")
    T.add("5: libwt instantiate / C API `wasmtime_linker_instantiate`",
          rep_ratio(g("5", "libwt", "wt_store_new + wt_linker_instantiate"),
                    g("5", "C API", "store_new + wasmtime_linker_instantiate")), 1.0, "<=",
          "libwt instantiates from a cached pre-resolved form for host-function linkers")
    b7 = (m7 + o7) if (m7 is not None and o7 is not None) else None
    b7c = (m7 + o7c) if (m7 is not None and o7c is not None) else None
    T.add("7 host: `wt_memory_read`+`write` / (2 memcpy + 2 libwt calls' overhead)",
          rep_ratio(g("7", "libwt", "host: wt_memory_read + wt_memory_write"),
                    g("7", "baseline", "host: 2 plain memcpy"), g("7", "baseline", "host: 2 x wt_memory_size")),
          1.2, "<=")
    T.add("7 callback: read+write via caller / (2 memcpy + the same callback with 2 trivial libwt calls)",
          rep_ratio(g("7", "libwt", "callback: wt_memory_read + wt_memory_write via caller"),
                    g("7", "baseline", "host: 2 plain memcpy"),
                    g("7", "baseline", "callback: 2 x wt_memory_size via caller")), 1.2, "<=")
    def per_rep(api: str) -> list[float]:
        a, b = res.get("8", api, "1 thread"), res.get("8", api, "2 threads")
        return [y / x for x, y in zip(a["samples"], b["samples"])] if a and b else []

    def per_rep_v(api: str, tag: str) -> list[float]:
        a, b = res.get("8", api, "1 thread, plain C call loop (machine ceiling, " + tag), \
            res.get("8", api, "2 threads, plain C call loop (machine ceiling, " + tag)
        return [y / x for x, y in zip(a["samples"], b["samples"])] if a and b else []

    r_l, r_b0, r_b1 = per_rep("libwt"), per_rep_v("baseline", "before"), per_rep_v("baseline", "after")
    clean = [i for i in range(len(r_l)) if i < len(r_b0) and i < len(r_b1) and r_b0[i] >= 1.8 and r_b1[i] >= 1.8]
    case8_clean = sorted(r_l[i] for i in clean)
    if len(case8_clean) >= 3:
        mid = case8_clean[len(case8_clean) // 2]
        T.add("8: libwt calls/s, 2 threads / 1 thread (median over the repetitions in which the plain C loop "
              "also scaled >= 1.8x)", mid, 1.8, ">=",
              f"{len(clean)} of {len(r_l)} repetitions had a free second core before and after")
    else:
        T.items.append(("8: libwt calls/s, 2 threads / 1 thread", scaling("libwt"), 1.8, ">=", "inconclusive",
                        f"only {len(clean)} of {len(r_l)} repetitions had a plain C loop scaling >= 1.8x just "
                        "before and after (need 3): another process held the second core; see case 8"))
    T.add("9: `wt_call` with 1M extra live handles / with few (same func; median of per-repetition ratios)",
          h_same_ratio, 1.1, "<=")
    T.add("9: `wt_call` with 1M extra live handles, new store+func at high indices / with few",
          h_high_ratio, 1.1, "<=")
    p1k, p3k = v("py1", "libwt wt pkg", ""), v("py3", "libwt wt pkg", "")
    if p1k is not None:
        T.add("Python 1: wasmtime-py call / libwt's ctypes wrapper (bindings/python `wt`) call", ratio(p1w, p1k), 10, ">=")
    T.add("Python 1: wasmtime-py call / libwt raw ctypes call", ratio(p1w, p1l), 10, ">=")
    if p3k is not None:
        T.add("Python 3: wasmtime-py round trip / libwt's ctypes wrapper (`wt`) round trip", ratio(p3w, p3k), 5, ">=")
    T.add("Python 3: wasmtime-py round trip / libwt raw ctypes round trip", ratio(p3w, p3l), 5, ">=")

    md.append("## Targets of issue 7 (ratios within this run)")
    md.append("")
    md.append("Each ratio is the median over repetitions of the per-repetition ratio: the rows compared run "
              "interleaved (repetition i of each row back to back), so each ratio compares the same moment "
              "of this shared machine. It can differ slightly from the ratio of the medians in the tables.")
    md.append("")
    md.append("| target | measured | limit | result |")
    md.append("|---|---:|---:|---|")
    for name, val, limit, op, met, note in T.items:
        note = f" ({note})" if note else ""
        md.append(f"| {name}{note} | {fmt_ratio(val)} | {op} {limit:g}x | {mark(met)} |")
    md.append("")
    cu = res.get("1", "C API", "wasmtime_func_call_unchecked")
    if cu and cu.get("min"):
        # In quiet runs on this VM the C API's unchecked add call takes
        # 32-34 ns (2026-11-21/22); a slowed host shows as a much higher
        # median, or as a spread between median and fastest repetition.
        quiet_ns = 34.0
        slow = max(cu["value"] / cu["min"], cu["value"] / quiet_ns)
        state = (
            f"**the machine was slowed during these cases** (the C API's call took {slow:.2f}x its time in "
            f"a quiet run of this VM, ~{quiet_ns:.0f} ns, or the median repetition was that much slower than the "
            "fastest; nothing else ran in this VM, so most likely another tenant of the host shared the "
            "physical CPU). In that state every row runs slower, and libwt's extra instructions lose more "
            "than Wasmtime's own work, so the ratios of cases 1-3 come out about 0.15-0.2x higher than in a "
            "quiet run"
            if slow > 1.3
            else f"the machine was quiet during these cases (within {(slow - 1) * 100:.0f}% of a quiet run's "
            f"~{quiet_ns:.0f} ns and of the fastest repetition)"
        )
        md.append(
            f"Machine state for cases 1-5: the C API's unchecked call took {fmt_ns(cu['value'])} ns "
            f"(median; fastest repetition {fmt_ns(cu['min'])} ns): {state}."
        )
        md.append("")
    md.append(
        f"Case 6 has no target (compile: libwt/C API = {fmt_ratio(ratio(v('6', 'libwt', 'wt_module_from_wasm'), v('6', 'C API', 'wasmtime_module_new')))}, "
        f"deserialize: {fmt_ratio(ratio(v('6', 'libwt', 'wt_module_deserialize'), v('6', 'C API', 'wasmtime_module_deserialize')))}). "
        f"Case 5 with instance-pre on the C API side: libwt / `wasmtime_instance_pre_instantiate` = {fmt_ratio(ratio(l5, c5p))} "
        "(libwt has no separate instance-pre API: `wt_linker_instantiate` keeps the pre-resolved form of "
        "recently used modules for linkers of host functions and uses it by itself)."
    )
    md.append("")
    md.append("![ns/op per case, log scale](benchmarks.png)")
    md.append("")

    # ---------------- tables
    md.append("## Results per case (ns per operation unless stated)")
    refs = {
        "1": ("1", "C API", "wasmtime_func_call_unchecked"),
        "2": ("2", "C API", "wasmtime_func_call_unchecked"),
        "3": ("3", "C API", "wasmtime_func_call_unchecked + wasmtime_func_new_unchecked"),
        "4": ("4", "C API", "wasmtime_func_new_unchecked (per import call)"),
        "5": ("5", "C API", "store_new + wasmtime_linker_instantiate + store_delete"),
        "6": None,
        "7": ("7", "baseline", "host: 2 plain memcpy of 4 KiB"),
        "8": None,
        "9": None,
        "py1": ("py1", "libwt ctypes", "wt_call(add) via raw ctypes"),
        "py3": ("py3", "libwt ctypes", "wt_call(roundtrip) + CFUNCTYPE callback"),
        "py5": ("py5", "libwt ctypes", "wt_store_new + wt_linker_instantiate + wt_free"),
    }
    for case in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "py1", "py3", "py5"]:
        md.append("")
        md.append(f"### {CASE_TITLES[case]}")
        md.append("")
        md.extend(case_table(res, case, refs.get(case)))
        if case == "7":
            md.append("")
            md.append(
                f"Target baselines: host = 2 plain memcpy ({fmt_ns(m7 or 0)}) + 2 × `wt_memory_size` "
                f"({fmt_ns(o7 or 0)}) = {fmt_ns(b7 or 0)}; callback = 2 plain memcpy + the loop's callback doing "
                f"2 × `wt_memory_size` on the caller handle ({fmt_ns(o7c or 0)}) = {fmt_ns(b7c or 0)}. "
                "The C API rows use the raw data pointer (`wasmtime_memory_data`) — libwt's zero-copy equivalent "
                "is `wt_memory_data`."
            )
        if case == "8":
            md.append("")
            md.append("2 threads / 1 thread, median of the per-repetition ratios (each repetition runs 1 then 2 "
                      "threads back to back, so both see the same machine load):")
            md.append("")
            for api in ("libwt", "C API", "Rust API"):
                a, b = res.get("8", api, "1 thread"), res.get("8", api, "2 threads")
                if a and b:
                    rs = [y / x for x, y in zip(a["samples"], b["samples"])]
                    md.append(f"- {api}: {fmt_ratio(scaling(api))} (per repetition, in order: "
                              + ", ".join(f"{r:.2f}" for r in rs) + ")")
            for tag, rb in (("before", r_b0), ("after", r_b1)):
                if rb:
                    md.append(f"- baseline (plain C loop, {tag} libwt and the C API in each repetition): "
                              + ", ".join(f"{r:.2f}" for r in rb))
            md.append(f"- repetitions with a free second core (baseline >= 1.8x before and after): "
                      f"{len(clean)}; libwt in those: " + (", ".join(f"{r:.2f}" for r in case8_clean) or "none"))
            md.append("")
            md.append("The `baseline` rows are a plain C call loop with no wasm: the scaling this shared machine "
                      "allowed while case 8 ran. When it is well below 2x, another process held the second core. "
                      "The target is judged only on the repetitions in which the baseline scaled >= 1.8x both just before "
                      "and just after libwt (at least 3 needed, else inconclusive). "
                      "To re-check case 8 alone: `build/bench/bench benches/wat --threads 3` (all APIs alternating).")
        if case == "9":
            md.append("")
            md.append(
                f"`wt_call` ratio 1M/few (median of per-repetition ratios; each repetition measures few handles, "
                f"allocates 1M, measures, frees them): same func {fmt_ratio(h_same_ratio)}, new store+func at high "
                f"indices {fmt_ratio(h_high_ratio)}. The `wt_handle_kind` rows are informational: "
                "a *random* handle among 1M live ones costs cache/TLB misses (64-byte slots, 64 MiB of table), "
                "which any table of that size pays; looking up the same few handles stays flat."
            )
        if case == "py1":
            md.append("")
            md.append(f"bindings/python `wt` package: {py.get('bindings_python', '?')}")

    # ---------------- profile
    md.append("")
    md.append("## Profile of the libwt paths (callgrind, instructions)")
    md.append("")
    names = ("call", "capi_call", "roundtrip", "capi_roundtrip", "import", "capi_import", "memory", "instantiate")
    profiles = {k: parse_profile(out_dir, k) for k in names}
    if not any(profiles.values()):
        md.append("No profile (valgrind not installed).")
    else:
        md.append(
            "`perf stat -e instructions` is not supported on this VM, so `make bench` runs the libwt cases "
            "(and the C API's unchecked paths for comparison) under `valgrind --tool=callgrind`, collecting only "
            "inside the measured loop, and reports instructions per operation and the functions they are spent in "
            "(self cost; code inlined into a function is counted in that function)."
        )
        md.append("")
        md.append("| path | instructions / op, libwt | instructions / op, C API unchecked | libwt extra |")
        md.append("|---|---:|---:|---:|")
        for k, label in (("call", "case 1 call"), ("roundtrip", "case 3 round trip"), ("import", "case 4 import call")):
            a, b = profiles.get(k), profiles.get("capi_" + k)
            if a and b:
                ia, ib = a["total"] / a["calls"], b["total"] / b["calls"]
                md.append(f"| {label} | {ia:,.0f} | {ib:,.0f} | +{ia - ib:,.0f} |")
        for k, p in profiles.items():
            if not p:
                continue
            md.append("")
            md.append(f"**{k}** ({'C API' if k.startswith('capi_') else 'libwt'}): "
                      f"{p['total'] / max(p['calls'], 1):,.0f} instructions per operation ({p['calls']:,} operations)")
            md.append("")
            md.append("| self Ir / op | % | function |")
            md.append("|---:|---:|---|")
            for ir, pct, name in p["self"][:12]:
                md.append(f"| {ir / p['calls']:,.1f} | {pct:.1f} | `{short(name)}` |")
    notes = HERE / "profile-notes.md"
    if notes.exists():
        md.append("")
        md.append(notes.read_text().rstrip())
    md.append("")
    (docs / "benchmarks.md").write_text("\n".join(md) + "\n")
    chart(res, docs / "benchmarks.png")
    print(f"wrote {docs / 'benchmarks.md'} and {docs / 'benchmarks.png'}", file=sys.stderr)
    for name, val, limit, op, met, note in T.items:
        print(f"  {mark(met):>12}  {fmt_ratio(val):>8} ({op} {limit:g})  {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
