/* Multi-value host callbacks, externref carrying host values, funcref as func handles,
 * and a host callback object with an env finalizer. */
#include <inttypes.h>

#include "common.h"

static const char WAT[] =
    "(module\n"
    "  (import \"env\" \"divmod\" (func $divmod (param i32 i32) (result i32 i32)))\n"
    "  (import \"env\" \"lookup\" (func $lookup (param externref) (result i64)))\n"
    "  (func (export \"divmod\") (param i32 i32) (result i32 i32) (call $divmod (local.get 0) (local.get 1)))\n"
    "  (func (export \"keep\") (param externref) (result externref) (local.get 0))\n"
    "  (func (export \"lookup\") (param externref) (result i64) (call $lookup (local.get 0)))\n"
    "  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))\n"
    "  (elem declare func $square)\n"
    "  (func (export \"get_square\") (result funcref) (ref.func $square)))\n";

static int32_t divmod(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                      uint64_t *results, size_t nresults) {
  uint32_t a = (uint32_t)args[0], b = (uint32_t)args[1];
  (void)env, (void)nargs, (void)nresults;
  if (b == 0) {
    wt_caller_set_error(caller, "division by zero in the host", 28);
    return 1;
  }
  results[0] = a / b;
  results[1] = a % b;
  return 0;
}

/* The externref payload is a host value: here an index into a host table. */
static const int64_t HOST_TABLE[] = {0, 111, 222, 333};
static int32_t lookup(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                      uint64_t *results, size_t nresults) {
  (void)env, (void)caller, (void)nargs, (void)nresults;
  results[0] = args[0] < 4 ? (uint64_t)HOST_TABLE[args[0]] : (uint64_t)-1;
  return 0;
}

static int finalized = 0;
static void finalize(void *env) { (void)env; finalized++; }

int main(void) {
  uint64_t engine, store, linker, ft_divmod, ft_lookup, cb, instance, r[2], args[2], sq;
  int32_t i2[2] = {WT_I32, WT_I32}, ext[1] = {WT_EXTERNREF}, i64[1] = {WT_I64};

  CHECK(wt_engine_new(&engine));
  CHECK(wt_store_new(engine, &store));
  CHECK(wt_linker_new(engine, &linker));
  CHECK(wt_functype_new(i2, 2, i2, 2, &ft_divmod));
  CHECK(wt_functype_new(ext, 1, i64, 1, &ft_lookup));
  /* A callback object owns env; its finalizer runs once nothing uses it. */
  CHECK(wt_callback_new(ft_divmod, divmod, NULL, finalize, &cb));
  CHECK(wt_linker_define_func(linker, "env", 3, "divmod", 6, cb));
  CHECK(wt_linker_define_callback(linker, "env", 3, "lookup", 6, ft_lookup, lookup, NULL));
  instance = instantiate_wat(engine, linker, store, WAT);

  args[0] = 17; args[1] = 5;
  CHECK(wt_call(store, get_func(store, instance, "divmod"), args, 2, r, 2));
  printf("divmod(17, 5) = (%d, %d)\n", (int)r[0], (int)r[1]);
  args[1] = 0;
  if (wt_call(store, get_func(store, instance, "divmod"), args, 2, r, 2) == WT_ERR_CALLBACK)
    printf("callback error: %.*s\n", (int)strcspn(wt_error_message(), "\n"), wt_error_message());

  args[0] = 0xC0FFEE;
  CHECK(wt_call(store, get_func(store, instance, "keep"), args, 1, r, 1));
  printf("externref round trip: %#" PRIx64 "\n", r[0]);
  args[0] = 2;
  CHECK(wt_call(store, get_func(store, instance, "lookup"), args, 1, r, 1));
  printf("externref 2 looked up by the host: %" PRId64 "\n", (int64_t)r[0]);

  CHECK(wt_call(store, get_func(store, instance, "get_square"), NULL, 0, &sq, 1));
  args[0] = 12;
  CHECK(wt_call(store, sq, args, 1, r, 1)); /* the funcref is a func handle */
  printf("funcref square(12) = %d\n", (int)r[0]);

  CHECK(wt_free(cb));
  CHECK(wt_free(linker));
  printf("finalized while the store still uses it: %d\n", finalized);
  CHECK(wt_free(store));
  printf("finalized after the store is freed: %d\n", finalized);
  CHECK(wt_free(ft_divmod));
  CHECK(wt_free(ft_lookup));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
