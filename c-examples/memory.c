/* Guest memory from the host: size, grow, bounds-checked read/write, zero-copy
 * pointer, and strings passed both ways through host callbacks. */
#include <inttypes.h>

#include "common.h"

static const char WAT[] =
    "(module\n"
    "  (import \"env\" \"log\" (func $log (param i32 i32)))\n"
    "  (import \"env\" \"greet\" (func $greet (param i32) (result i32)))\n"
    "  (memory (export \"memory\") 1 4)\n"
    "  (data (i32.const 0) \"hello from the guest\")\n"
    "  (func (export \"run\")\n"
    "    (call $log (i32.const 0) (i32.const 20))\n"
    "    (call $log (i32.const 100) (call $greet (i32.const 100)))))\n";

/* log(ptr, len): read the guest's string through the caller's memory. */
static int32_t host_log(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                        uint64_t *results, size_t nresults) {
  uint64_t mem;
  char buf[256];
  size_t len = (size_t)args[1];
  (void)env, (void)nargs, (void)results, (void)nresults;
  if (len >= sizeof buf) return 1;
  if (wt_caller_get_export(caller, "memory", 6, &mem, NULL) != WT_OK) return 1;
  if (wt_memory_read(caller, mem, args[0], (uint8_t *)buf, len) != WT_OK) return 1;
  buf[len] = 0;
  printf("guest says: %s\n", buf);
  return 0;
}

/* greet(ptr) -> len: write a string into the guest's memory. */
static int32_t host_greet(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                          uint64_t *results, size_t nresults) {
  static const char msg[] = "greetings from the host";
  uint64_t mem;
  (void)env, (void)nargs, (void)nresults;
  if (wt_caller_get_export(caller, "memory", 6, &mem, NULL) != WT_OK) return 1;
  if (wt_memory_write(caller, mem, args[0], (const uint8_t *)msg, sizeof msg - 1) != WT_OK)
    return 1;
  results[0] = sizeof msg - 1;
  return 0;
}

int main(void) {
  uint64_t engine, store, linker, ft_log, ft_greet, instance, mem, bytes, pages, old;
  int32_t p2[2] = {WT_I32, WT_I32}, p1[1] = {WT_I32};
  uint8_t buf[8], *data;
  size_t len;

  CHECK(wt_engine_new(&engine));
  CHECK(wt_store_new(engine, &store));
  CHECK(wt_linker_new(engine, &linker));
  CHECK(wt_functype_new(p2, 2, NULL, 0, &ft_log));
  CHECK(wt_functype_new(p1, 1, p1, 1, &ft_greet));
  CHECK(wt_linker_define_callback(linker, "env", 3, "log", 3, ft_log, host_log, NULL));
  CHECK(wt_linker_define_callback(linker, "env", 3, "greet", 5, ft_greet, host_greet, NULL));
  instance = instantiate_wat(engine, linker, store, WAT);
  CHECK(wt_call(store, get_func(store, instance, "run"), NULL, 0, NULL, 0));

  CHECK(wt_instance_get_memory(store, instance, "memory", 6, &mem));
  CHECK(wt_memory_size(store, mem, &bytes));
  CHECK(wt_memory_pages(store, mem, &pages));
  printf("memory: %" PRIu64 " bytes, %" PRIu64 " page(s)\n", bytes, pages);
  CHECK(wt_memory_grow(store, mem, 1, &old));
  CHECK(wt_memory_pages(store, mem, &pages));
  printf("grew from %" PRIu64 " to %" PRIu64 " pages\n", old, pages);

  CHECK(wt_memory_write(store, mem, 200, (const uint8_t *)"libwt", 5));
  CHECK(wt_memory_data(store, mem, &data, &len)); /* zero-copy; invalidated by growth */
  printf("zero-copy view: %.5s (%zu bytes mapped)\n", (const char *)data + 200, len);

  /* Out of bounds is a status, never a crash. */
  if (wt_memory_read(store, mem, len - 4, buf, 8) == WT_ERR_OUT_OF_BOUNDS)
    printf("out of bounds: %s\n", wt_error_message());
  if (wt_memory_grow(store, mem, 10, &old) == WT_ERR_LIMIT) printf("grow past max refused\n");

  CHECK(wt_free(store));
  CHECK(wt_free(linker));
  CHECK(wt_free(ft_log));
  CHECK(wt_free(ft_greet));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
