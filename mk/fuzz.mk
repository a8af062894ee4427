# cargo-fuzz targets of issue 5 (fuzz/, its own cargo workspace and target dir
# fuzz/target; see docs/reliability.md, "Fuzzing"). LONG MODE ONLY: nothing
# here is added to TEST_TARGETS; the committed seeds and regression inputs are
# replayed by tests/fuzz_regressions.rs in `cargo test` instead.
#
#   make fuzz                       install cargo-fuzz if missing, build the
#                                   targets (release, AddressSanitizer,
#                                   libFuzzer), run each for FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=3600     longer
#   make fuzz FUZZ_TARGETS=wat_text one target
#   make fuzz-build                 only build
#
# Stable Rust with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Zsanitizer and
# sancov flags). The corpus grows in fuzz/corpus/<target>/ (seeded from
# fuzz/seeds/<target>/), crashes land in fuzz/artifacts/<target>/, logs in
# build/fuzz/<target>.log; all three are git-ignored. A crash makes the run
# fail after the remaining targets ran; keep its input in
# fuzz/regressions/<target>/ once the bug is fixed.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= module_bytes wat_text api_sequence
FUZZ_SANITIZER ?= address
FUZZ_NICE ?= nice -n 15
# One codegen unit (cargo-fuzz's release default) makes Cranelift and Wasmtime
# take far longer to build on 2 cores; 16 costs a little fuzzing speed.
FUZZ_BUILD_FLAGS ?= -O --codegen-units 16
# Per-input time limit (s): a slower input is reported as a hang.
FUZZ_TIMEOUT ?= 60
# allocator_may_return_null: a huge allocation (a guest growing a table by
# billions of elements without a cap) fails as it would without ASan, and
# Wasmtime reports it, instead of ASan aborting the process.
FUZZ_ASAN_OPTIONS ?= allocator_may_return_null=1
# C code built by the cc crate (zstd, used by Wasmtime's compilation cache)
# is instrumented by GCC when a sanitizer is on. GCC's use-after-scope
# instrumentation of a local constant table it promotes to a global
# (zstd_opt.c `getAllMatchesFns`) poisons the global's shadow at scope exit,
# so two cache worker threads compressing at once made ASan report a
# "stack-use-after-scope" on a global: a false positive, turned off here.
FUZZ_CFLAGS ?= -fno-sanitize-address-use-after-scope
FUZZ_BIN_DIR := $(CURDIR)/fuzz/target/x86_64-unknown-linux-gnu/release

.PHONY: fuzz fuzz-build

fuzz-build:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(FUZZ_NICE) $(CARGO) install cargo-fuzz --locked
	cd fuzz && RUSTC_BOOTSTRAP=1 CFLAGS="$(FUZZ_CFLAGS)" $(FUZZ_NICE) $(CARGO) fuzz build $(FUZZ_BUILD_FLAGS) \
		--sanitizer $(FUZZ_SANITIZER)

fuzz: fuzz-build
	@mkdir -p $(BUILD)/fuzz; failed=""; \
	for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$t fuzz/artifacts/$$t; \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s (log: $(BUILD)/fuzz/$$t.log)"; \
		ASAN_OPTIONS=$(FUZZ_ASAN_OPTIONS) $(FUZZ_NICE) $(FUZZ_BIN_DIR)/$$t \
			-max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
			-print_final_stats=1 -artifact_prefix=fuzz/artifacts/$$t/ \
			fuzz/corpus/$$t fuzz/seeds/$$t > $(BUILD)/fuzz/$$t.log 2>&1 \
			|| failed="$$failed $$t"; \
		grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' $(BUILD)/fuzz/$$t.log | tail -2; \
		grep -E 'stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' $(BUILD)/fuzz/$$t.log; \
		echo "corpus: $$(ls fuzz/corpus/$$t | wc -l) files; artifacts: $$(ls fuzz/artifacts/$$t | wc -l)"; \
	done; \
	rm -rf /tmp/libwt-fuzz-cache-*; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed (see fuzz/artifacts/ and $(BUILD)/fuzz/)"; exit 1; fi; \
	echo "fuzz: no crash in $(FUZZ_TARGETS)"
