# Packaging, install and ABI checks for libwt (issue 6, issue 4 part 4).
#
#   make install [PREFIX=/usr/local] [DESTDIR=/stage] [PROFILE=debug|release]
#                [LIBDIR=$(PREFIX)/lib] [INCLUDEDIR=$(PREFIX)/include]
#       Installs the already-built target/$(PROFILE) artifacts (run `make lib`
#       first; nothing is built here) following cargo-c's layout:
#         $(LIBDIR)/libwt.so.X.Y.Z, libwt.so.SOVER -> it, libwt.so -> it,
#         $(LIBDIR)/libwt.a, $(INCLUDEDIR)/wt.h, $(LIBDIR)/pkgconfig/wt.pc,
#         $(LIBDIR)/cmake/wt/wtConfig.cmake + wtConfigVersion.cmake (wt::wt,
#         wt::wt_static). SOVER is MAJOR, or 0.MINOR for 0.x versions (build.rs).
#   make uninstall [PREFIX=...] [DESTDIR=...]   removes exactly those files.
#   make api-docs               regenerates docs/api.md from include/wt.h.
#   make test-install           installs into build/install-test.*/ and builds c-examples/hello.c
#                               with pkg-config, CMake (shared and static) and cc + libwt.a.
#   make test-header-hygiene    wt.h alone compiles as C99/C11 and C++11/C++17, -Wpedantic -Werror.
#   make test-api-docs          every header item has a doc comment; docs/api.md is fresh.
#   make test-abi               tools/abi_check.py (pycparser in build/venv) + its self-tests.
#
# Needs: cc, c++, cmake, pkg-config, python3 with venv and pip, readelf (binutils).

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKECONFIGDIR ?= $(LIBDIR)/cmake/wt
PROFILE ?= debug
WT_PYTHON ?= python3
# make's built-in default for CXX is g++; the checks are specified with c++.
WT_PKG_CXX := $(if $(filter default,$(origin CXX)),c++,$(CXX))

# This fragment is included before the top-level Makefile's first rule: keep
# `make` with no goal meaning what the top-level Makefile says (restored at the end).
WT_PKG_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

WT_PKG_ARTIFACTS := $(CURDIR)/target/$(PROFILE)
WT_PKG_BUILD_HINT := $(if $(filter debug,$(PROFILE)),make lib,cargo build --lib --profile $(PROFILE))
WT_PKG_BUILD := $(CURDIR)/build

# The version comes from Cargo.toml ([package] version); build metadata and
# pre-release suffixes are dropped from the file names.
WT_PKG_VERSION := $(shell sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' $(CURDIR)/Cargo.toml)
WT_PKG_VERSION_NUM := $(firstword $(subst -, ,$(subst +, ,$(WT_PKG_VERSION))))
WT_PKG_MAJOR := $(word 1,$(subst ., ,$(WT_PKG_VERSION_NUM)))
WT_PKG_MINOR := $(word 2,$(subst ., ,$(WT_PKG_VERSION_NUM)))
WT_PKG_PATCH := $(word 3,$(subst ., ,$(WT_PKG_VERSION_NUM)))
# cargo-c's rule, also in build.rs: 0.x versions break at every minor release.
WT_PKG_SOVER := $(if $(filter 0,$(WT_PKG_MAJOR)),0.$(WT_PKG_MINOR),$(WT_PKG_MAJOR))
WT_PKG_SONAME := libwt.so.$(WT_PKG_SOVER)
WT_PKG_REALNAME := libwt.so.$(WT_PKG_MAJOR).$(WT_PKG_MINOR).$(WT_PKG_PATCH)

# System libraries the Rust staticlib needs on Linux/glibc, as printed by
#   cargo rustc --lib --crate-type staticlib -- --print native-static-libs
# (re-check when the Rust toolchain or the dependencies change; test-install
# links hello.c statically with exactly this list).
WT_PKG_NATIVE_STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
WT_PKG_EMPTY :=
WT_PKG_SPACE := $(WT_PKG_EMPTY) $(WT_PKG_EMPTY)
WT_PKG_PTR_BYTES := $(shell echo $$(( $$(getconf LONG_BIT) / 8 )))

# ${prefix}-relative paths in wt.pc when LIBDIR/INCLUDEDIR are under PREFIX.
WT_PKG_PC_LIBDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
WT_PKG_PC_INCLUDEDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

WT_PKG_SUBST = sed \
	-e 's|@PREFIX@|$(PREFIX)|g' \
	-e 's|@LIBDIR@|$(WT_PKG_PC_LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(WT_PKG_PC_INCLUDEDIR)|g' \
	-e 's|@VERSION@|$(WT_PKG_VERSION)|g' \
	-e 's|@MAJOR@|$(WT_PKG_MAJOR)|g' \
	-e 's|@MINOR@|$(WT_PKG_MINOR)|g' \
	-e 's|@SONAME@|$(WT_PKG_SONAME)|g' \
	-e 's|@REALNAME@|$(WT_PKG_REALNAME)|g' \
	-e 's|@NATIVE_STATIC_LIBS@|$(WT_PKG_NATIVE_STATIC_LIBS)|g' \
	-e 's|@CMAKE_NATIVE_STATIC_LIBS@|$(subst $(WT_PKG_SPACE),;,$(patsubst -l%,%,$(WT_PKG_NATIVE_STATIC_LIBS)))|g' \
	-e 's|@CMAKE_REL_LIBDIR@|'"$$(realpath -m --relative-to='$(CMAKECONFIGDIR)' '$(LIBDIR)')"'|g' \
	-e 's|@CMAKE_REL_INCLUDEDIR@|'"$$(realpath -m --relative-to='$(CMAKECONFIGDIR)' '$(INCLUDEDIR)')"'|g' \
	-e 's|@SIZEOF_VOID_P@|$(WT_PKG_PTR_BYTES)|g'

WT_VENV := $(WT_PKG_BUILD)/venv
WT_VENV_STAMP := $(WT_VENV)/.wt-tools-requirements.stamp

.PHONY: install uninstall install-check api-docs test-install test-header-hygiene \
	test-api-docs test-abi print-version check-native-static-libs

print-version:
	@echo "version $(WT_PKG_VERSION) soname $(WT_PKG_SONAME) file $(WT_PKG_REALNAME)"

# Maintainers: compares WT_PKG_NATIVE_STATIC_LIBS with what rustc reports now.
# (Not part of `make test`: it recompiles the wt crate as a staticlib, and the
# next `make lib` recompiles it again; Wasmtime itself is not rebuilt.)
check-native-static-libs:
	@now=$$($(CARGO) rustc --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
		| sed -n 's/.*native-static-libs: *//p' | tail -n 1); \
	if [ -z "$$now" ]; then \
		echo "rustc printed no native-static-libs (nothing was recompiled): run make lib, then retry" >&2; exit 1; \
	elif [ "$$now" = "$(WT_PKG_NATIVE_STATIC_LIBS)" ]; then \
		echo "native static libs unchanged: $$now"; \
	else \
		echo "rustc now reports '$$now'; update WT_PKG_NATIVE_STATIC_LIBS in mk/package.mk" >&2; exit 1; \
	fi

# Refuses to install missing or stale artifacts (e.g. a libwt.so built before
# build.rs gave it its soname).
install-check:
	@test -n "$(WT_PKG_MAJOR)" -a -n "$(WT_PKG_MINOR)" -a -n "$(WT_PKG_PATCH)" \
		|| { echo "cannot read the version from Cargo.toml" >&2; exit 1; }
	@for f in libwt.so libwt.a; do \
		test -f "$(WT_PKG_ARTIFACTS)/$$f" || { echo "$(WT_PKG_ARTIFACTS)/$$f is missing: build it first ($(WT_PKG_BUILD_HINT))" >&2; exit 1; }; \
	done
	@soname=$$(readelf -d "$(WT_PKG_ARTIFACTS)/libwt.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p'); \
		test "$$soname" = "$(WT_PKG_SONAME)" \
		|| { echo "$(WT_PKG_ARTIFACTS)/libwt.so has soname '$$soname', expected '$(WT_PKG_SONAME)': rebuild it ($(WT_PKG_BUILD_HINT))" >&2; exit 1; }

install: install-check
	install -d "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(PKGCONFIGDIR)" "$(DESTDIR)$(CMAKECONFIGDIR)"
	install -m 0755 "$(WT_PKG_ARTIFACTS)/libwt.so" "$(DESTDIR)$(LIBDIR)/$(WT_PKG_REALNAME)"
	ln -sfn "$(WT_PKG_REALNAME)" "$(DESTDIR)$(LIBDIR)/$(WT_PKG_SONAME)"
	ln -sfn "$(WT_PKG_REALNAME)" "$(DESTDIR)$(LIBDIR)/libwt.so"
	install -m 0644 "$(WT_PKG_ARTIFACTS)/libwt.a" "$(DESTDIR)$(LIBDIR)/libwt.a"
	install -m 0644 include/wt.h "$(DESTDIR)$(INCLUDEDIR)/wt.h"
	@echo 'generate $(DESTDIR)$(PKGCONFIGDIR)/wt.pc, $(DESTDIR)$(CMAKECONFIGDIR)/wtConfig.cmake, wtConfigVersion.cmake'
	@$(WT_PKG_SUBST) tools/package/wt.pc.in > "$(DESTDIR)$(PKGCONFIGDIR)/wt.pc"
	@$(WT_PKG_SUBST) tools/package/wtConfig.cmake.in > "$(DESTDIR)$(CMAKECONFIGDIR)/wtConfig.cmake"
	@$(WT_PKG_SUBST) tools/package/wtConfigVersion.cmake.in > "$(DESTDIR)$(CMAKECONFIGDIR)/wtConfigVersion.cmake"
	chmod 0644 "$(DESTDIR)$(PKGCONFIGDIR)/wt.pc" "$(DESTDIR)$(CMAKECONFIGDIR)/wtConfig.cmake" "$(DESTDIR)$(CMAKECONFIGDIR)/wtConfigVersion.cmake"
	@echo "libwt $(WT_PKG_VERSION) installed under $(DESTDIR)$(PREFIX)$(if $(DESTDIR),, (run ldconfig if $(LIBDIR) is a system library directory))"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/$(WT_PKG_REALNAME)" "$(DESTDIR)$(LIBDIR)/$(WT_PKG_SONAME)" \
		"$(DESTDIR)$(LIBDIR)/libwt.so" "$(DESTDIR)$(LIBDIR)/libwt.a" \
		"$(DESTDIR)$(INCLUDEDIR)/wt.h" "$(DESTDIR)$(PKGCONFIGDIR)/wt.pc" \
		"$(DESTDIR)$(CMAKECONFIGDIR)/wtConfig.cmake" "$(DESTDIR)$(CMAKECONFIGDIR)/wtConfigVersion.cmake"
	-rmdir "$(DESTDIR)$(CMAKECONFIGDIR)" 2>/dev/null || true

api-docs:
	$(WT_PYTHON) tools/gen_api_docs.py --header include/wt.h --out docs/api.md

# Each run works in its own build/install-test.XXXXXX (removed when it passes).
test-install: lib
	MAKE="$(MAKE)" CC="$(CC)" bash tests/install/run.sh

test-header-hygiene:
	@mkdir -p "$(WT_PKG_BUILD)/hygiene"
	printf '#include "wt.h"\n#include "wt.h" /* twice: include guard */\n' > "$(WT_PKG_BUILD)/hygiene/only_wt.c"
	cp "$(WT_PKG_BUILD)/hygiene/only_wt.c" "$(WT_PKG_BUILD)/hygiene/only_wt.cpp"
	$(CC) -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude -c "$(WT_PKG_BUILD)/hygiene/only_wt.c" -o "$(WT_PKG_BUILD)/hygiene/c11.o"
	$(CC) -std=c99 -Wall -Wextra -Wpedantic -Werror -Wstrict-prototypes -Iinclude -c "$(WT_PKG_BUILD)/hygiene/only_wt.c" -o "$(WT_PKG_BUILD)/hygiene/c99.o"
	$(WT_PKG_CXX) -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude -c "$(WT_PKG_BUILD)/hygiene/only_wt.cpp" -o "$(WT_PKG_BUILD)/hygiene/cxx17.o"
	$(WT_PKG_CXX) -std=c++11 -Wall -Wextra -Wpedantic -Werror -Iinclude -c "$(WT_PKG_BUILD)/hygiene/only_wt.cpp" -o "$(WT_PKG_BUILD)/hygiene/cxx11.o"
	@echo "header hygiene: 4 passed, 0 failed"

test-api-docs:
	$(WT_PYTHON) -m unittest discover -s tools -p 'test_gen_api_docs.py'
	$(WT_PYTHON) tools/gen_api_docs.py --header include/wt.h --out docs/api.md --check

# build/venv is shared with other fragments (mk/python.mk): create it only if missing.
$(WT_VENV_STAMP): tools/requirements.txt
	@if ! "$(WT_VENV)/bin/python" -m pip --version >/dev/null 2>&1; then \
		echo "$(WT_PYTHON) -m venv $(WT_VENV)"; \
		$(WT_PYTHON) -m venv "$(WT_VENV)" || { \
			echo "error: '$(WT_PYTHON) -m venv' failed (on Debian: apt-get install python3-venv)" >&2; \
			exit 1; }; \
	fi
	"$(WT_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch "$@"

test-abi: lib $(WT_VENV_STAMP)
	"$(WT_VENV)/bin/python" -m unittest discover -s tools -p 'test_abi_check.py'
	"$(WT_VENV)/bin/python" tools/abi_check.py --header include/wt.h --cc "$(CC)" --lib "$(TARGET_DIR)/libwt.so"

TEST_TARGETS += test-header-hygiene test-api-docs test-abi test-install

.DEFAULT_GOAL := $(WT_PKG_SAVED_DEFAULT_GOAL)
