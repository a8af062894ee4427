# D binding (bindings/d), built with LDC (`ldc2`; Debian package `ldc`).
#   make test-d   builds and runs the D unittest suite and the hello example
# The binding loads libwt at run time (dlopen); WT_LIBRARY points it at the
# freshly built library. The suite is built with -O on purpose: optimised
# builds are where LDC moves non-escaping objects to the stack (see
# FreesHandle in bindings/d/source/wt/api.d), and the GC tests catch that.
LDC2 ?= ldc2
D_DIR := bindings/d
D_BUILD := $(BUILD)/d
D_SOURCES := $(wildcard $(D_DIR)/source/wt/*.d)
D_TESTS := $(wildcard $(D_DIR)/tests/*.d)
D_LIB := $(TARGET_DIR)/libwt.so

.PHONY: test-d

test-d: lib $(D_BUILD)/wt-d-tests $(D_BUILD)/hello-d
	WT_LIBRARY=$(D_LIB) WT_HEADER=$(CURDIR)/include/wt.h $(D_BUILD)/wt-d-tests
	WT_LIBRARY=$(D_LIB) $(D_BUILD)/hello-d > $(D_BUILD)/hello-d.out
	@cat $(D_BUILD)/hello-d.out
	@grep -q '^Hello, World! (from a D host function)$$' $(D_BUILD)/hello-d.out || \
		{ echo "test-d: the D hello example did not print its hello line" >&2; exit 1; }

$(D_BUILD)/wt-d-tests: $(D_SOURCES) $(D_TESTS)
	@command -v $(LDC2) >/dev/null || { echo "$(LDC2) not found (apt-get install ldc)" >&2; exit 1; }
	@mkdir -p $(D_BUILD)
	$(LDC2) -unittest -O -g -I$(D_DIR)/source -I$(D_DIR)/tests $(D_SOURCES) $(D_TESTS) \
		-od=$(D_BUILD)/obj-tests -of=$@

$(D_BUILD)/hello-d: $(D_SOURCES) $(D_DIR)/examples/hello.d
	@command -v $(LDC2) >/dev/null || { echo "$(LDC2) not found (apt-get install ldc)" >&2; exit 1; }
	@mkdir -p $(D_BUILD)
	$(LDC2) -g -I$(D_DIR)/source $(D_SOURCES) $(D_DIR)/examples/hello.d \
		-od=$(D_BUILD)/obj-hello -of=$@

TEST_TARGETS += test-d
