/* A C stress program (issue 5): threads creating, calling and freeing stores
 * with host callbacks that re-enter the guest, one store handed back and forth
 * between threads, and a "finalizer" thread freeing what the others made.
 * Run by ctest, under valgrind (make test-valgrind) and with AddressSanitizer
 * (make test-asan). Every status is checked; the live handle count must end at 0. */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt.h"

#define THREADS 4
#define STORES_PER_THREAD 12
#define CALLS_PER_STORE 20
#define HANDOFFS 40

static void die(const char *what, int32_t st) {
  fprintf(stderr, "UNEXPECTED: %s failed (status %d): %s\n", what, st, wt_error_message());
  exit(1);
}
#define CHECK(call)                       \
  do {                                    \
    int32_t st_ = (call);                 \
    if (st_ != WT_OK) die(#call, st_);    \
  } while (0)

static const char WAT[] =
    "(module\n"
    "  (import \"host\" \"twice\" (func $twice (param i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"double\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))\n"
    "  (func (export \"run\") (param i32) (result i32)\n"
    "    (i32.store (i32.const 0) (local.get 0))\n"
    "    (call $twice (local.get 0))))\n";

static atomic_ulong callbacks, calls, cross_frees;

/* The host callback: re-enters the instance through the caller handle
 * ("double") and reads the guest memory the guest just wrote. */
static int32_t twice(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                     uint64_t *results, size_t nresults) {
  (void)env, (void)nargs, (void)nresults;
  uint64_t f = 0, mem = 0, out = 0;
  int32_t kind = 0;
  uint8_t b[4];
  if (wt_caller_get_export(caller, "double", 6, &f, &kind) != WT_OK) return 1;
  if (wt_call(caller, f, args, 1, &out, 1) != WT_OK) return 2;
  if (wt_caller_get_export(caller, "memory", 6, &mem, &kind) != WT_OK) return 3;
  if (wt_memory_read(caller, mem, 0, b, 4) != WT_OK) return 4;
  if ((uint32_t)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24) != (uint32_t)args[0]) return 5;
  wt_free(f);
  wt_free(mem);
  atomic_fetch_add(&callbacks, 1);
  results[0] = out;
  return 0;
}

static uint64_t engine, module, linker;

/* Frees handed over by other threads (like a GC finalizer thread). */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t queue[THREADS * STORES_PER_THREAD];
static size_t q_len;
static atomic_int producers_done;

static void hand_over(uint64_t h) {
  pthread_mutex_lock(&q_lock);
  queue[q_len++] = h;
  pthread_mutex_unlock(&q_lock);
}

static void *finalizer(void *arg) {
  (void)arg;
  for (;;) {
    /* Read "all done" first: an empty queue after that means nothing more comes. */
    int done = atomic_load(&producers_done) == THREADS;
    uint64_t h = 0;
    pthread_mutex_lock(&q_lock);
    if (q_len) h = queue[--q_len];
    pthread_mutex_unlock(&q_lock);
    if (h) {
      CHECK(wt_free(h));
      atomic_fetch_add(&cross_frees, 1);
    } else if (done) {
      return NULL;
    } else {
      sched_yield();
    }
  }
}

static void *worker(void *arg) {
  uintptr_t id = (uintptr_t)arg;
  for (int s = 0; s < STORES_PER_THREAD; s++) {
    uint64_t store, inst, run;
    CHECK(wt_store_new(engine, &store));
    CHECK(wt_linker_instantiate(linker, store, module, &inst));
    CHECK(wt_instance_get_func(store, inst, "run", 3, &run));
    for (uint64_t i = 0; i < CALLS_PER_STORE; i++) {
      uint64_t x = id * 1000 + i, out = 0;
      CHECK(wt_call(store, run, &x, 1, &out, 1));
      if (out != 2 * x) die("run result", -1);
      atomic_fetch_add(&calls, 1);
    }
    /* Every other store is freed by the finalizer thread instead. */
    if (s % 2) hand_over(store);
    else CHECK(wt_free(store));
  }
  atomic_fetch_add(&producers_done, 1);
  return NULL;
}

/* One store used by two threads in turn: its right of use moves each time. */
static uint64_t shared_store, shared_run;
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
static int turn;

static void *ping(void *arg) {
  int me = (int)(uintptr_t)arg;
  for (int k = 0; k < HANDOFFS; k++) {
    pthread_mutex_lock(&turn_lock);
    while (turn != me) pthread_cond_wait(&turn_cv, &turn_lock);
    pthread_mutex_unlock(&turn_lock);
    uint64_t x = (uint64_t)(k * 2 + me), out = 0;
    CHECK(wt_call(shared_store, shared_run, &x, 1, &out, 1));
    if (out != 2 * x) die("shared run result", -1);
    atomic_fetch_add(&calls, 1);
    pthread_mutex_lock(&turn_lock);
    turn = 1 - me;
    pthread_cond_broadcast(&turn_cv);
    pthread_mutex_unlock(&turn_lock);
  }
  return NULL;
}

int main(void) {
  uint64_t ft, inst;
  int32_t p[1] = {WT_I32}, r[1] = {WT_I32};
  CHECK(wt_engine_new(&engine));
  CHECK(wt_module_from_wat(engine, WAT, strlen(WAT), &module));
  CHECK(wt_linker_new(engine, &linker));
  CHECK(wt_functype_new(p, 1, r, 1, &ft));
  CHECK(wt_linker_define_callback(linker, "host", 4, "twice", 5, ft, twice, NULL));
  CHECK(wt_free(ft));

  pthread_t fin, w[THREADS], pp[2];
  pthread_create(&fin, NULL, finalizer, NULL);
  for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&w[i], NULL, worker, (void *)(i + 1));
  for (int i = 0; i < THREADS; i++) pthread_join(w[i], NULL);
  pthread_join(fin, NULL);

  CHECK(wt_store_new(engine, &shared_store));
  CHECK(wt_linker_instantiate(linker, shared_store, module, &inst));
  CHECK(wt_instance_get_func(shared_store, inst, "run", 3, &shared_run));
  for (uintptr_t i = 0; i < 2; i++) pthread_create(&pp[i], NULL, ping, (void *)i);
  for (int i = 0; i < 2; i++) pthread_join(pp[i], NULL);
  CHECK(wt_free(shared_store));

  printf("stress: %d stores, %lu calls, %lu callbacks, %lu stores freed by another thread, "
         "%d handoffs of one store\n",
         THREADS * STORES_PER_THREAD + 1, (unsigned long)atomic_load(&calls),
         (unsigned long)atomic_load(&callbacks), (unsigned long)atomic_load(&cross_frees),
         2 * HANDOFFS);
  CHECK(wt_free(linker));
  CHECK(wt_free(module));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return 0;
}
