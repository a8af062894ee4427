#!/usr/bin/env bash
# Installs libwt from target/debug (built by `make lib`) and builds
# c-examples/hello.c against the installed copy in every supported way:
#   1. cc + pkg-config (shared libwt.so, found through PKG_CONFIG_PATH)
#   2. CMake find_package(wt CONFIG) + wt::wt (shared)
#   3. cc + libwt.a + the pkg-config native_static_libs (static)
#   4. CMake wt::wt_static (static)
#   5. a DESTDIR-staged install (PREFIX=/usr): layout, soname links, wt.pc
#      contents, a CMake build against the relocated tree, then uninstall
#      leaves no file behind.
# Each program must print exactly the hello lines and run against the
# installed library, not the one in target/. Usage (from the repo root):
#   bash tests/install/run.sh [WORK_DIR]        (make test-install)
# Without WORK_DIR each run uses a new build/install-test.XXXXXX, removed when
# every check passes and kept for inspection otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MAKE="${MAKE:-make}"
CC="${CC:-cc}"
cd "$ROOT"

if [ $# -ge 1 ]; then
  WORK="$1"
  rm -rf "$WORK"
  mkdir -p "$WORK"
  KEEP=1
else
  mkdir -p "$ROOT/build"
  WORK="$(mktemp -d "$ROOT/build/install-test.XXXXXX")"
  KEEP=0
fi
PREFIX="$WORK/prefix"
LOG="$WORK/log"
mkdir -p "$LOG"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }

read -r VERSION SONAME REALNAME < <("$MAKE" -s --no-print-directory print-version |
  sed -n 's/^version \(.*\) soname \(.*\) file \(.*\)$/\1 \2 \3/p')
[ -n "${REALNAME:-}" ] || { echo "cannot read the version from make print-version" >&2; exit 1; }

expected_output() {
  printf 'libwt %s\nHello, World! (from a host callback)\nlive handles after cleanup: 0\n' "$VERSION"
}

# check_run NAME BINARY LINKAGE: runs BINARY (without LD_LIBRARY_PATH), compares
# its output, and checks how it found libwt: LINKAGE=shared means through the
# soname in $PREFIX/lib, LINKAGE=static means no libwt.so dependency at all.
check_run() {
  local name="$1" bin="$2" linkage="$3" out
  if ! out="$(env -u LD_LIBRARY_PATH "$bin" 2>&1)"; then
    fail "$name: $bin exited non-zero: $out"
    return
  fi
  if [ "$out" != "$(expected_output)" ]; then
    fail "$name: unexpected output:"$'\n'"$out"
    return
  fi
  local needed
  needed="$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(libwt[^]]*\)\].*/\1/p')"
  if [ "$linkage" = shared ]; then
    local resolved
    resolved="$(env -u LD_LIBRARY_PATH ldd "$bin" | sed -n "s/^[[:space:]]*$SONAME => \([^ ]*\).*/\1/p")"
    if [ "$needed" != "$SONAME" ]; then
      fail "$name: DT_NEEDED is '$needed', expected '$SONAME'"
      return
    fi
    if [ "$(readlink -f "$resolved")" != "$(readlink -f "$PREFIX/lib/$REALNAME")" ]; then
      fail "$name: $SONAME resolves to '$resolved', not the installed $PREFIX/lib/$REALNAME"
      return
    fi
  elif [ -n "$needed" ]; then
    fail "$name: statically linked binary still needs '$needed'"
    return
  fi
  pass "$name ($linkage) prints the hello lines"
}

# --- install into a private prefix ------------------------------------------
if "$MAKE" -s --no-print-directory install PREFIX="$PREFIX" >"$LOG/install.txt" 2>&1; then
  pass "make install PREFIX=$PREFIX"
else
  fail "make install PREFIX=$PREFIX (see $LOG/install.txt)"
  cat "$LOG/install.txt"
  echo "install: $passed passed, $failed failed"
  echo "work files kept in $WORK"
  exit 1
fi

missing=""
for f in "lib/$REALNAME" "lib/$SONAME" lib/libwt.so lib/libwt.a include/wt.h lib/pkgconfig/wt.pc \
  lib/cmake/wt/wtConfig.cmake lib/cmake/wt/wtConfigVersion.cmake; do
  [ -e "$PREFIX/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ] &&
  [ "$(readlink "$PREFIX/lib/$SONAME")" = "$REALNAME" ] &&
  [ "$(readlink "$PREFIX/lib/libwt.so")" = "$REALNAME" ] &&
  [ ! -L "$PREFIX/lib/$REALNAME" ] &&
  [ "$(readelf -d "$PREFIX/lib/$REALNAME" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')" = "$SONAME" ] &&
  cmp -s include/wt.h "$PREFIX/include/wt.h"; then
  pass "installed layout: $REALNAME (soname $SONAME), symlinks, libwt.a, wt.h, wt.pc, CMake config"
else
  fail "installed layout (missing:${missing:- none}); ls -l: $(ls -l "$PREFIX/lib" 2>&1)"
fi

# --- 1. pkg-config, shared ----------------------------------------------------
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR || true
pc_version="$(pkg-config --modversion wt 2>&1 || true)"
if [ "$pc_version" = "$VERSION" ]; then
  pass "pkg-config --modversion wt = $VERSION"
else
  fail "pkg-config --modversion wt gave '$pc_version', expected '$VERSION'"
fi
pc_libdir="$(pkg-config --variable=libdir wt)"
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
if "$CC" -std=c11 -Wall -Wextra -Werror c-examples/hello.c -o "$WORK/hello_pkgconfig" \
  $(pkg-config --cflags --libs wt) -Wl,-rpath,"$pc_libdir" >"$LOG/pkgconfig.txt" 2>&1; then
  check_run "cc \$(pkg-config --cflags --libs wt)" "$WORK/hello_pkgconfig" shared
else
  fail "cc with pkg-config (see $LOG/pkgconfig.txt)"
  cat "$LOG/pkgconfig.txt"
fi

# --- 3. static: libwt.a + native_static_libs ---------------------------------
# shellcheck disable=SC2046
if "$CC" -std=c11 -Wall -Wextra -Werror c-examples/hello.c -o "$WORK/hello_static" \
  $(pkg-config --cflags wt) "$pc_libdir/libwt.a" $(pkg-config --variable=native_static_libs wt) \
  >"$LOG/static.txt" 2>&1; then
  check_run "cc hello.c libwt.a \$(pkg-config --variable=native_static_libs wt)" "$WORK/hello_static" static
else
  fail "cc static with libwt.a (see $LOG/static.txt)"
  cat "$LOG/static.txt"
fi

# --- 2 + 4. CMake find_package, shared and static ------------------------------
cmake_consumer() { # NAME BUILD_DIR -D... : configures, builds, runs both programs
  local name="$1" dir="$2"
  shift 2
  if cmake -S tests/install -B "$dir" -DWT_EXPECT_VERSION="$VERSION" "$@" >"$dir.configure.txt" 2>&1 &&
    cmake --build "$dir" >"$dir.build.txt" 2>&1; then
    check_run "$name: find_package(wt) + wt::wt" "$dir/hello_cmake_shared" shared
    check_run "$name: find_package(wt) + wt::wt_static" "$dir/hello_cmake_static" static
  else
    fail "$name: CMake consumer (see $dir.configure.txt, $dir.build.txt)"
    cat "$dir.configure.txt" "$dir.build.txt" 2>/dev/null || true
  fi
}
cmake_consumer "CMake (CMAKE_PREFIX_PATH)" "$WORK/cmake" -DCMAKE_PREFIX_PATH="$PREFIX"

# --- 5. DESTDIR staging + uninstall ------------------------------------------
STAGE="$WORK/stage"
if "$MAKE" -s --no-print-directory install DESTDIR="$STAGE" PREFIX=/usr >"$LOG/stage.txt" 2>&1; then
  pc="$STAGE/usr/lib/pkgconfig/wt.pc"
  if [ -f "$STAGE/usr/lib/$REALNAME" ] && [ "$(readlink "$STAGE/usr/lib/$SONAME")" = "$REALNAME" ] &&
    grep -qx 'prefix=/usr' "$pc" && grep -qx 'libdir=${prefix}/lib' "$pc" &&
    grep -qx "Version: $VERSION" "$pc" && ! grep -rqF "$STAGE" "$STAGE/usr/lib/pkgconfig" "$STAGE/usr/lib/cmake"; then
    pass "make install DESTDIR=... PREFIX=/usr stages /usr paths without the DESTDIR"
  else
    fail "DESTDIR staging: layout or wt.pc wrong: $(cat "$pc" 2>&1)"
  fi
  # The staged tree still works for CMake: wtConfig.cmake finds its files relative to itself.
  PREFIX_SAVE="$PREFIX"
  PREFIX="$STAGE/usr"
  cmake_consumer "CMake (DESTDIR-staged, wt_DIR)" "$WORK/cmake-stage" -Dwt_DIR="$STAGE/usr/lib/cmake/wt"
  PREFIX="$PREFIX_SAVE"
  "$MAKE" -s --no-print-directory uninstall DESTDIR="$STAGE" PREFIX=/usr >"$LOG/uninstall.txt" 2>&1 || true
  left="$(find "$STAGE" ! -type d | sed "s|^$STAGE||")"
  if [ -z "$left" ] && [ ! -e "$STAGE/usr/lib/cmake/wt" ]; then
    pass "make uninstall DESTDIR=... removes every installed file"
  else
    fail "make uninstall left:"$'\n'"$left"
  fi
else
  fail "make install DESTDIR=$STAGE PREFIX=/usr (see $LOG/stage.txt)"
  cat "$LOG/stage.txt"
fi

echo "install: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  echo "work files kept in $WORK"
  exit 1
fi
[ "$KEEP" = 1 ] || rm -rf "$WORK"
