/* Calls exports with i32/i64/f32/f64 parameters and several results, from wasm bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wt.h"

#define CHECK(call)                                                                  \
  do {                                                                               \
    int32_t st_ = (call);                                                            \
    if (st_ != WT_OK) {                                                              \
      fprintf(stderr, "%s failed (status %d): %s\n", #call, st_, wt_error_message()); \
      return 1;                                                                      \
    }                                                                                \
  } while (0)

static const char WAT[] =
    "(module\n"
    "  (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))\n"
    "  (func (export \"mix\") (param i32 i64 f32 f64) (result f64 i64 i32)\n"
    "    (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))\n"
    "    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))\n"
    "    (i32.sub (i32.const 0) (local.get 0))))\n";

static uint64_t f32_slot(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static uint64_t f64_slot(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }
static double slot_f64(uint64_t s) { double d; memcpy(&d, &s, 8); return d; }

int main(void) {
  uint64_t engine, store, wasm, module, linker, instance, add, mix;
  const uint8_t *bytes;
  size_t len, n, i;
  int32_t t;

  CHECK(wt_engine_new(&engine));
  CHECK(wt_store_new(engine, &store));

  /* WAT -> wasm bytes on its own, validate, then compile the bytes. */
  CHECK(wt_wat2wasm(WAT, strlen(WAT), &wasm));
  CHECK(wt_bytes_data(wasm, &bytes, &len));
  printf("wasm: %zu bytes, magic %02x %02x %02x %02x\n", len, bytes[0], bytes[1], bytes[2], bytes[3]);
  CHECK(wt_module_validate(engine, bytes, len));
  CHECK(wt_module_from_wasm(engine, bytes, len, &module));
  CHECK(wt_free(wasm));

  CHECK(wt_linker_new(engine, &linker));
  CHECK(wt_linker_instantiate(linker, store, module, &instance));
  CHECK(wt_instance_get_func(store, instance, "add", 3, &add));
  CHECK(wt_instance_get_func(store, instance, "mix", 3, &mix));

  {
    uint64_t args[2] = {40, 2}, res[1];
    CHECK(wt_call(store, add, args, 2, res, 1));
    printf("add(40, 2) = %" PRIu32 "\n", (uint32_t)res[0]);
    args[0] = (uint32_t)-7; /* i32 slots hold the zero-extended bits */
    CHECK(wt_call(store, add, args, 2, res, 1));
    printf("add(-7, 2) = %" PRId32 "\n", (int32_t)(uint32_t)res[0]);
  }

  CHECK(wt_func_param_count(mix, &n));
  printf("mix params:");
  for (i = 0; i < n; i++) { CHECK(wt_func_param_type(mix, i, &t)); printf(" %d", t); }
  CHECK(wt_func_result_count(mix, &n));
  printf(" results:");
  for (i = 0; i < n; i++) { CHECK(wt_func_result_type(mix, i, &t)); printf(" %d", t); }
  printf("\n");

  {
    uint64_t args[4] = {(uint32_t)-5, 10000000000ULL, f32_slot(1.5f), f64_slot(2.25)};
    uint64_t res[3];
    CHECK(wt_call(store, mix, args, 4, res, 3));
    printf("mix(-5, 10000000000, 1.5, 2.25) = (%.2f, %" PRId64 ", %" PRId32 ")\n",
           slot_f64(res[0]), (int64_t)res[1], (int32_t)(uint32_t)res[2]);
  }

  CHECK(wt_free(store));
  CHECK(wt_free(linker));
  CHECK(wt_free(module));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
