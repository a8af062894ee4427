# Benchmarks of issue 7 (see benches/README.md). NOT part of `make test`:
# nothing here is added to TEST_TARGETS, and nothing builds unless asked.
#
#   make bench          build the bench crate (release, target/bench, under
#                       `nice -n 10`), check its exports, run the C driver
#                       (libwt + Wasmtime C API), the Rust-API baseline and the
#                       Python comparison (libwt ctypes vs wasmtime-py), profile
#                       the libwt call paths with callgrind, and write
#                       docs/benchmarks.md + docs/benchmarks.png.
#   make bench BENCH_QUICK=1   the same with tiny batches (smoke test, ~1 min
#                       after the build; numbers are not meaningful).
#   make bench-build    only build libwtbench.so, rust-api-bench and the C driver.
#   make bench-report   only regenerate the report from build/bench/*.json.
#
# Needs: cargo, cc, cmake (wasmtime-c-api-impl's build script), python3 with
# venv + pip (wasmtime==48.0.0 and matplotlib from PyPI into build/bench/venv),
# nm; valgrind for the profile (skipped when missing).

# Included before the top-level Makefile's first rule: keep `make` with no
# goal meaning what the top-level Makefile says (restored at the end).
WT_BENCH_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

WT_BENCH_SRC := $(CURDIR)/benches
WT_BENCH_OUT := $(CURDIR)/build/bench
WT_BENCH_TARGET := $(CURDIR)/target/bench
WT_BENCH_REL := $(WT_BENCH_TARGET)/release
WT_BENCH_LIB := $(WT_BENCH_REL)/libwtbench.so
WT_BENCH_NICE ?= nice -n 10
WT_BENCH_PYTHON ?= python3
WT_BENCH_VENV := $(WT_BENCH_OUT)/venv
WT_BENCH_VENV_STAMP := $(WT_BENCH_VENV)/.bench-requirements.stamp
# wasmtime-py release closest to the Wasmtime 48.0.8 that libwt uses.
WT_BENCH_PY_REQS := wasmtime==48.0.0 matplotlib
WT_BENCH_CAPI_VERSION := 48.0.8
WT_BENCH_CARGO_HOME := $(or $(CARGO_HOME),$(HOME)/.cargo)
BENCH_QUICK ?=
WT_BENCH_ENV := $(if $(BENCH_QUICK),BENCH_QUICK=1,)

.PHONY: bench bench-build bench-run bench-profile bench-report bench-venv

bench: bench-build bench-venv
	$(MAKE) --no-print-directory bench-run bench-profile bench-report

# One cargo build (release, own workspace, own target dir) gives libwtbench.so
# (libwt + Wasmtime's C API over one Wasmtime) and the Rust-API baseline.
bench-build:
	@mkdir -p $(WT_BENCH_OUT)
	@test -f $(WT_BENCH_SRC)/wat/compile200.wat || \
		$(WT_BENCH_PYTHON) $(WT_BENCH_SRC)/gen_compile_wat.py > $(WT_BENCH_SRC)/wat/compile200.wat
	@# what is measured: libwt's src/ as it is in the work tree at build time
	@{ echo "HEAD $$(git -C $(CURDIR) rev-parse --short HEAD 2>/dev/null || echo '?')"; \
	   d=$$(git -C $(CURDIR) diff HEAD -- src include build.rs Cargo.toml 2>/dev/null | sha256sum | cut -c1-12); \
	   n=$$(git -C $(CURDIR) diff --stat HEAD -- src include build.rs Cargo.toml 2>/dev/null | tail -1); \
	   echo "uncommitted changes:$${n:- none} (diff sha256 $$d)"; } > $(WT_BENCH_OUT)/src-state.txt
	@start=$$(date +%s.%N); \
	cd $(WT_BENCH_SRC) && CARGO_TARGET_DIR=$(WT_BENCH_TARGET) $(WT_BENCH_NICE) $(CARGO) build --release || exit 1; \
	end=$$(date +%s.%N); \
	echo "$$start $$end" | awk '{printf "%.1f\n", $$2 - $$1}' > $(WT_BENCH_OUT)/cargo-build-seconds.txt; \
	echo "bench crate: cargo build --release took $$(cat $(WT_BENCH_OUT)/cargo-build-seconds.txt) s"
	@# both ABIs must be exported by the one cdylib
	@for sym in wt_call wt_linker_instantiate wt_memory_read wasmtime_func_call wasmtime_func_call_unchecked \
	            wasmtime_func_new_unchecked wasmtime_instance_pre_instantiate; do \
		nm -D --defined-only $(WT_BENCH_LIB) | grep -q " T $$sym$$" || { echo "libwtbench.so does not export $$sym"; exit 1; }; \
	done; \
	echo "libwtbench.so exports $$(nm -D --defined-only $(WT_BENCH_LIB) | grep -c ' T wt_') wt_* and $$(nm -D --defined-only $(WT_BENCH_LIB) | grep -c ' T wasmtime_') wasmtime_* functions"
	@# libwt's build.rs passes -Wl,-soname,libwt.so.<sover> as a cdylib link arg,
	@# and cargo applies it to dependent cdylibs too (the dependency's flag comes
	@# last, so the bench crate cannot override it): libwtbench.so's SONAME is
	@# libwt.so.0.1. The C driver therefore finds it through build/bench/lib/
	@# <soname> -> libwtbench.so (a link only in build/bench, first in its rpath).
	@# wasmtime.h from the registry copy of wasmtime-c-api-impl; its generated
	@# wasmtime/conf.h (feature defines) from that crate's build-script output.
	@capi=$$(ls -d $(WT_BENCH_CARGO_HOME)/registry/src/*/wasmtime-c-api-impl-$(WT_BENCH_CAPI_VERSION)/include | head -1); \
	conf=$$(ls -td $(WT_BENCH_REL)/build/wasmtime-c-api-impl-*/out/include | head -1); \
	test -n "$$capi" -a -n "$$conf" || { echo "wasmtime-c-api-impl headers not found"; exit 1; }; \
	soname=$$(readelf -d $(WT_BENCH_LIB) | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'); \
	mkdir -p $(WT_BENCH_OUT)/lib && ln -sfn $(WT_BENCH_LIB) $(WT_BENCH_OUT)/lib/$${soname:-libwtbench.so}; \
	set -x; \
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -I$(CURDIR)/include -I$$capi -I$$conf \
		$(WT_BENCH_SRC)/bench.c -L$(WT_BENCH_REL) -lwtbench -Wl,-rpath,$(WT_BENCH_OUT)/lib -lpthread \
		-o $(WT_BENCH_OUT)/bench

bench-venv: $(WT_BENCH_VENV_STAMP)

$(WT_BENCH_VENV_STAMP):
	$(WT_BENCH_PYTHON) -m venv $(WT_BENCH_VENV)
	$(WT_BENCH_VENV)/bin/pip install -q $(WT_BENCH_PY_REQS)
	touch $@

bench-run:
	@uptime > $(WT_BENCH_OUT)/load-before.txt
	$(WT_BENCH_ENV) $(WT_BENCH_OUT)/bench $(WT_BENCH_SRC)/wat $(WT_BENCH_OUT)/c.json
	$(WT_BENCH_ENV) $(WT_BENCH_REL)/rust-api-bench $(WT_BENCH_SRC)/wat $(WT_BENCH_OUT)/rust.json
	$(WT_BENCH_ENV) $(WT_BENCH_VENV)/bin/python $(WT_BENCH_SRC)/bench_py.py $(WT_BENCH_LIB) $(WT_BENCH_SRC)/wat $(WT_BENCH_OUT)/python.json
	@uptime > $(WT_BENCH_OUT)/load-after.txt

# Instruction counts of the libwt hot paths (callgrind, ~1 min): per-call
# instructions and the functions they are spent in, for the report's notes.
WT_BENCH_PROFILE_CASES := call:200000 capi_call:200000 roundtrip:100000 capi_roundtrip:100000 \
	import:200000 capi_import:200000 memory:50000 instantiate:2000
bench-profile:
	@if ! command -v valgrind >/dev/null; then echo "valgrind not found: no profile"; rm -f $(WT_BENCH_OUT)/profile-*.txt; exit 0; fi; \
	for cn in $(WT_BENCH_PROFILE_CASES); do \
		c=$${cn%%:*}; n=$${cn##*:}; \
		echo "callgrind: libwt $$c x $$n"; \
		valgrind --tool=callgrind --collect-atstart=no --toggle-collect=profile_region \
			--callgrind-out-file=$(WT_BENCH_OUT)/callgrind.$$c.out \
			$(WT_BENCH_OUT)/bench $(WT_BENCH_SRC)/wat --profile $$c $$n 2>/dev/null || exit 1; \
		{ echo "calls $$n"; callgrind_annotate --auto=no --inclusive=no --threshold=99 $(WT_BENCH_OUT)/callgrind.$$c.out 2>/dev/null; } \
			> $(WT_BENCH_OUT)/profile-$$c-self.txt; \
		{ echo "calls $$n"; callgrind_annotate --auto=no --inclusive=yes --threshold=99 $(WT_BENCH_OUT)/callgrind.$$c.out 2>/dev/null; } \
			> $(WT_BENCH_OUT)/profile-$$c-inclusive.txt; \
	done

bench-report: bench-venv
	$(WT_BENCH_VENV)/bin/python $(WT_BENCH_SRC)/report.py $(WT_BENCH_OUT) $(CURDIR)/docs

.DEFAULT_GOAL := $(WT_BENCH_SAVED_DEFAULT_GOAL)
