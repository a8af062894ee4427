/* Stopping runaway guests: fuel, a timeout, an interrupt from another thread,
 * memory caps and stack overflow. The store stays usable after each. */
#include <pthread.h>
#include <time.h>

#include "common.h"

static const char WAT[] =
    "(module\n"
    "  (memory 1)\n"
    "  (func (export \"spin\") (loop (br 0)))\n"
    "  (func (export \"ok\") (result i32) (i32.const 1))\n"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
    "  (func $rec (export \"recurse\") (param i32) (result i32)\n"
    "    (i32.add (call $rec (local.get 0)) (i32.const 1))))\n";

static void still_usable(uint64_t store, uint64_t instance) {
  uint64_t r;
  CHECK(wt_call(store, get_func(store, instance, "ok"), NULL, 0, &r, 1));
  printf("  store still usable: ok() = %d\n", (int)r);
}

static void *interrupter(void *arg) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  wt_store_interrupt(*(uint64_t *)arg); /* safe from any thread */
  return NULL;
}

int main(void) {
  uint64_t config, engine, store, linker, instance, r, arg;
  pthread_t thread;

  CHECK(wt_config_new(&config));
  CHECK(wt_config_set_consume_fuel(config, 1));
  CHECK(wt_engine_new_with_config(config, &engine));
  CHECK(wt_free(config));
  CHECK(wt_store_new(engine, &store));
  CHECK(wt_store_set_fuel(store, 1000000));
  CHECK(wt_linker_new(engine, &linker));
  instance = instantiate_wat(engine, linker, store, WAT);

  /* 1. Fuel. */
  if (wt_call(store, get_func(store, instance, "spin"), NULL, 0, NULL, 0) == WT_ERR_OUT_OF_FUEL)
    printf("fuel: %s\n", wt_error_message());
  CHECK(wt_store_set_fuel(store, 1000000000));
  still_usable(store, instance);

  /* 2. Timeout. */
  CHECK(wt_store_set_timeout_ms(store, 50));
  if (wt_call(store, get_func(store, instance, "spin"), NULL, 0, NULL, 0) == WT_ERR_INTERRUPTED)
    printf("timeout: %s\n", wt_error_message());
  CHECK(wt_store_set_timeout_ms(store, 0));
  still_usable(store, instance);

  /* 3. Interrupt from another thread. */
  pthread_create(&thread, NULL, interrupter, &store);
  if (wt_call(store, get_func(store, instance, "spin"), NULL, 0, NULL, 0) == WT_ERR_INTERRUPTED)
    printf("interrupt: %s\n", wt_error_message());
  pthread_join(thread, NULL);
  still_usable(store, instance);

  /* 4. Memory cap: memory.grow fails inside wasm (-1) as the spec says. */
  CHECK(wt_store_set_limits(store, 2 * 65536, UINT64_MAX, 0));
  arg = 1;
  CHECK(wt_call(store, get_func(store, instance, "grow"), &arg, 1, &r, 1));
  printf("grow to 2 pages: old size %d\n", (int)(int32_t)r);
  CHECK(wt_call(store, get_func(store, instance, "grow"), &arg, 1, &r, 1));
  printf("grow past the cap: %d\n", (int)(int32_t)r);

  /* 5. Stack overflow. */
  if (wt_call(store, get_func(store, instance, "recurse"), &arg, 1, &r, 1) == WT_ERR_TRAP &&
      wt_error_trap_code() == WT_TRAP_STACK_OVERFLOW)
    printf("recursion: stack overflow trap\n");
  still_usable(store, instance);

  CHECK(wt_free(store));
  CHECK(wt_free(linker));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
