# libwt build and test entry points (see README.md).
#   make hello   build libwt and run the C hello example (needs only cargo and cc)
#   make test    every test: Rust, C examples (ctest), bindings, ABI checks
CARGO ?= cargo
CC ?= cc
TARGET_DIR := $(CURDIR)/target/debug
BUILD := $(CURDIR)/build

.PHONY: all lib hello test test-rust test-c header clean

# Each mk/*.mk fragment adds its own targets and appends them to TEST_TARGETS
# (bindings, ABI checks, packaging tests, ...), so `make test` runs them all.
TEST_TARGETS :=
-include $(wildcard mk/*.mk)
# Fragments may define targets first; plain `make` still just builds libwt.
.DEFAULT_GOAL := all

all: lib

lib:
	$(CARGO) build --lib

hello: lib
	@mkdir -p $(BUILD)
	$(CC) -std=c11 -Wall -Wextra -Werror -Iinclude c-examples/hello.c \
		-L$(TARGET_DIR) -lwt -Wl,-rpath,$(TARGET_DIR) -o $(BUILD)/hello
	$(BUILD)/hello

test: lib test-rust test-c $(TEST_TARGETS)

test-rust:
	$(CARGO) test
	@# The same thread tests with the fallback fences that systems without
	@# membarrier(2) use for store ownership (src/owner.rs).
	WT_NO_MEMBARRIER=1 $(CARGO) test --test threads --test hostile

test-c: lib
	cmake -S c-examples -B $(BUILD)/c -DWT_LIB_DIR=$(TARGET_DIR)
	cmake --build $(BUILD)/c
	ctest --test-dir $(BUILD)/c --output-on-failure

# Regenerate include/wt.h from the Rust sources.
header:
	WT_BLESS=1 $(CARGO) test --test header

clean:
	rm -rf $(BUILD)
