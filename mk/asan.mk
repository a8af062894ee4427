# The C examples (and c-examples/stress.c) built with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer, run by ctest with their
# output checked as in test-c (issue 5, memory checks of the C side).
# libwt itself is not instrumented: this checks the C callers' use of the ABI
# (buffers, out-pointers, lifetimes of what libwt hands out) and leaks.
#   make test-asan
# Wasmtime handles SIGSEGV itself (traps), so ASan must leave that signal alone.
ASAN_C_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_RUN_ENV := ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1

.PHONY: test-asan

test-asan: lib
	cmake -S c-examples -B $(BUILD)/c-asan -DWT_LIB_DIR=$(TARGET_DIR) \
		-DCMAKE_C_FLAGS="$(ASAN_C_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
	cmake --build $(BUILD)/c-asan
	$(ASAN_RUN_ENV) ctest --test-dir $(BUILD)/c-asan --output-on-failure

TEST_TARGETS += test-asan
