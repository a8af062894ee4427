/* Walks libwt's error paths from C: every failure is a status plus a message. */
#include <stdio.h>
#include <string.h>

#include "wt.h"

static int failures = 0;

/* Expects `call` to fail with `want`; prints the status and message. */
#define EXPECT(want, call)                                                               \
  do {                                                                                   \
    int32_t st_ = (call);                                                                \
    if (st_ != (want)) {                                                                 \
      printf("UNEXPECTED %s: status %d, wanted %d: %s\n", #call, st_, (want), wt_error_message()); \
      failures++;                                                                        \
    } else {                                                                             \
      printf("[%s] status %d: %s\n", #want, st_, wt_error_message());                    \
    }                                                                                    \
  } while (0)

#define CHECK(call) EXPECT(WT_OK, call)

static int32_t failing(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                       uint64_t *results, size_t nresults) {
  static const char msg[] = "the host refuses";
  (void)env, (void)args, (void)nargs, (void)results, (void)nresults;
  wt_caller_set_error(caller, msg, sizeof msg - 1);
  return 42;
}

int main(void) {
  uint64_t engine, store, module, linker, instance, func, ft, stale;
  const char *bad = "(module (func (result i32)\n  i32.const 1\n  i32.bogus))";
  const char *imp = "(module (import \"env\" \"missing\" (func)))";
  const char *traps =
      "(module (import \"env\" \"fail\" (func $fail))\n"
      "  (func (export \"unreachable\") unreachable)\n"
      "  (func (export \"div\") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))\n"
      "  (func (export \"callback\") (call $fail)))";
  uint64_t arg = 0, res = 0;

  CHECK(wt_engine_new(&engine));
  CHECK(wt_store_new(engine, &store));
  CHECK(wt_linker_new(engine, &linker));

  /* Invalid WAT: the message has line and column. */
  EXPECT(WT_ERR_COMPILE, wt_module_from_wat(engine, bad, strlen(bad), &module));
  /* Invalid wasm bytes. */
  EXPECT(WT_ERR_COMPILE, wt_module_from_wasm(engine, (const uint8_t *)"\0asm\2\0\0\0", 8, &module));
  /* Missing import: names module and field. */
  CHECK(wt_module_from_wat(engine, imp, strlen(imp), &module));
  EXPECT(WT_ERR_LINK, wt_linker_instantiate(linker, store, module, &instance));
  CHECK(wt_free(module));

  /* Traps, with trap code and wasm backtrace. */
  CHECK(wt_functype_new(NULL, 0, NULL, 0, &ft));
  CHECK(wt_linker_define_callback(linker, "env", 3, "fail", 4, ft, failing, NULL));
  CHECK(wt_module_from_wat(engine, traps, strlen(traps), &module));
  CHECK(wt_linker_instantiate(linker, store, module, &instance));
  CHECK(wt_instance_get_func(store, instance, "unreachable", 11, &func));
  EXPECT(WT_ERR_TRAP, wt_call(store, func, NULL, 0, NULL, 0));
  printf("trap code %d (WT_TRAP_UNREACHABLE = %d)\n", wt_error_trap_code(), WT_TRAP_UNREACHABLE);
  CHECK(wt_instance_get_func(store, instance, "div", 3, &func));
  EXPECT(WT_ERR_TRAP, wt_call(store, func, &arg, 1, &res, 1));
  printf("trap code %d (WT_TRAP_INTEGER_DIVISION_BY_ZERO = %d)\n", wt_error_trap_code(),
         WT_TRAP_INTEGER_DIVISION_BY_ZERO);
  /* Wrong argument count. */
  EXPECT(WT_ERR_SIGNATURE, wt_call(store, func, NULL, 0, &res, 1));
  /* A failing host callback traps the guest with the callback's message. */
  CHECK(wt_instance_get_func(store, instance, "callback", 8, &func));
  EXPECT(WT_ERR_CALLBACK, wt_call(store, func, NULL, 0, NULL, 0));
  /* Missing export. */
  EXPECT(WT_ERR_NOT_FOUND, wt_instance_get_func(store, instance, "nope", 4, &func));

  /* Handles: wrong kind, zero, never issued, stale, double free. */
  EXPECT(WT_ERR_WRONG_KIND, wt_store_new(module, &stale));
  EXPECT(WT_ERR_BAD_HANDLE, wt_store_new(0, &stale));
  EXPECT(WT_ERR_BAD_HANDLE, wt_store_new(0x123456789abcdefULL, &stale));
  CHECK(wt_store_new(engine, &stale));
  CHECK(wt_free(stale));
  EXPECT(WT_ERR_BAD_HANDLE, wt_free(stale));
  /* Freeing a store invalidates what lives in it. */
  CHECK(wt_free(store));
  EXPECT(WT_ERR_BAD_HANDLE, wt_call(store, func, NULL, 0, NULL, 0));
  EXPECT(WT_ERR_BAD_HANDLE, wt_free(instance));
  /* Null out-pointers. */
  EXPECT(WT_ERR_NULL_POINTER, wt_engine_new(NULL));

  CHECK(wt_free(module));
  CHECK(wt_free(ft));
  CHECK(wt_free(linker));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  if (failures) printf("%d unexpected results\n", failures);
  return failures == 0 && wt_handle_count() == 0 ? 0 : 1;
}
