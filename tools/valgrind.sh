#!/usr/bin/env bash
# Runs the C examples (built by `make test-c` into build/c) under valgrind
# memcheck: any memory error or definitely-lost block fails the run.
#
#   tools/valgrind.sh              every example listed in c-examples/CMakeLists.txt
#   tools/valgrind.sh hello add    only these
#
# Logs go to build/valgrind/<example>.log. Installs valgrind with apt-get
# when it is missing and we are root (CI); otherwise asks for it.
#
# Options (see docs/reliability.md for why each is needed):
#   --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
#       memory errors and definite leaks fail; "possibly lost" blocks (the
#       TLS of Wasmtime's global rayon compile threads, which live as long as
#       the process) and still-reachable globals do not.
#   --sigill-diagnostics=no
#       Wasmtime raises most traps (unreachable, integer divide by zero,
#       ...) with `ud2`; valgrind would print "Unrecognised instruction" for
#       each before delivering the SIGILL that Wasmtime's handler turns into
#       the trap status. Not an error, just noise.
#   --suppressions=tools/valgrind.supp
#       the deliberate faulting reads of Wasmtime's signal-based null
#       reference traps (explained in the file).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "valgrind: not found, installing it with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
  else
    echo "error: valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)" >&2
    exit 1
  fi
fi

if [ $# -gt 0 ]; then
  examples=("$@")
else
  mapfile -t examples < <(sed -n 's/^wt_example(\([a-z_0-9]*\))$/\1/p' c-examples/CMakeLists.txt)
fi

mkdir -p build/valgrind
failed=()
for ex in "${examples[@]}"; do
  bin="build/c/$ex"
  if [ ! -x "$bin" ]; then
    echo "error: $bin is missing: run 'make test-c' first" >&2
    exit 1
  fi
  log="build/valgrind/$ex.log"
  start=$(date +%s)
  status=0
  # --fair-sched=yes: valgrind runs one thread at a time, and by default a
  # thread spinning in wasm can keep the CPU so long that libwt's epoch
  # ticker thread never runs (the timeout in limits.c then never fires).
  valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --fair-sched=yes \
    --sigill-diagnostics=no --suppressions=tools/valgrind.supp \
    "$bin" >"$log" 2>&1 || status=$?
  secs=$(( $(date +%s) - start ))
  errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*suppressed: \([0-9]*\) from.*/\1 errors (\2 suppressed)/p' "$log" | tail -1)
  definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1)
  if [ "$status" = 0 ]; then
    echo "valgrind: $ex ok: ${errors:-?}, definitely lost ${definite:-0} bytes (${secs}s)"
  else
    echo "valgrind: $ex FAILED (exit $status): ${errors:-?}, definitely lost ${definite:-?} bytes; see $log"
    failed+=("$ex")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "valgrind: failures in: ${failed[*]}" >&2
  exit 1
fi
echo "valgrind: ${#examples[@]} examples clean"
