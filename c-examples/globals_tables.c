/* Exported globals (get/set, immutability) and funcref tables (size/grow/get/set). */
#include <inttypes.h>

#include "common.h"

static const char WAT[] =
    "(module\n"
    "  (global (export \"counter\") (mut i32) (i32.const 41))\n"
    "  (global (export \"limit\") i64 (i64.const 1000))\n"
    "  (type $t (func (result i32)))\n"
    "  (table (export \"tab\") 2 8 funcref)\n"
    "  (func $one (export \"one\") (result i32) (i32.const 1))\n"
    "  (func $two (export \"two\") (result i32) (i32.const 2))\n"
    "  (elem (i32.const 0) $one)\n"
    "  (func (export \"bump\") (result i32)\n"
    "    (global.set 0 (i32.add (global.get 0) (i32.const 1))) (global.get 0))\n"
    "  (func (export \"call_at\") (param i32) (result i32)\n"
    "    (call_indirect (type $t) (local.get 0))))\n";

int main(void) {
  uint64_t engine, store, linker, instance, counter, limit, tab, v, size, old, f0, r;
  int32_t type, mut;
  uint64_t idx;

  CHECK(wt_engine_new(&engine));
  CHECK(wt_store_new(engine, &store));
  CHECK(wt_linker_new(engine, &linker));
  instance = instantiate_wat(engine, linker, store, WAT);

  CHECK(wt_instance_get_global(store, instance, "counter", 7, &counter));
  CHECK(wt_call(store, get_func(store, instance, "bump"), NULL, 0, &r, 1));
  CHECK(wt_global_get(store, counter, &v));
  printf("counter after bump: %" PRIu64 "\n", v);
  CHECK(wt_global_set(store, counter, 100));
  CHECK(wt_call(store, get_func(store, instance, "bump"), NULL, 0, &r, 1));
  printf("bump after set(100): %" PRIu64 "\n", r);
  CHECK(wt_instance_get_global(store, instance, "limit", 5, &limit));
  CHECK(wt_global_type(store, limit, &type, &mut));
  printf("limit: type %d (WT_I64 = %d), mutable %d\n", type, WT_I64, mut);
  if (wt_global_set(store, limit, 1) == WT_ERR_IMMUTABLE) printf("immutable: %s\n", wt_error_message());

  CHECK(wt_instance_get_table(store, instance, "tab", 3, &tab));
  CHECK(wt_table_size(store, tab, &size));
  CHECK(wt_table_get(store, tab, 0, &f0));
  CHECK(wt_call(store, f0, NULL, 0, &r, 1));
  printf("table size %" PRIu64 ", element 0 returns %" PRIu64 "\n", size, r);
  CHECK(wt_table_set(store, tab, 1, get_func(store, instance, "two")));
  idx = 1;
  CHECK(wt_call(store, get_func(store, instance, "call_at"), &idx, 1, &r, 1));
  printf("call_indirect(1) = %" PRIu64 "\n", r);
  CHECK(wt_table_grow(store, tab, 2, 0, &old)); /* new elements are null */
  CHECK(wt_table_size(store, tab, &size));
  printf("grew table from %" PRIu64 " to %" PRIu64 "\n", old, size);
  idx = 3;
  if (wt_call(store, get_func(store, instance, "call_at"), &idx, 1, &r, 1) == WT_ERR_TRAP)
    printf("null element traps with code %d\n", wt_error_trap_code());
  if (wt_table_get(store, tab, 99, &v) == WT_ERR_OUT_OF_BOUNDS) printf("index 99 is out of bounds\n");

  CHECK(wt_free(store));
  CHECK(wt_free(linker));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
