/*
 * Issue 7 benchmark driver: libwt (wt.h) and Wasmtime's official C API
 * (wasmtime.h), side by side in one process, over one Wasmtime build
 * (libwtbench.so exports both). Built and run by `make bench`
 * (mk/bench.mk); see benches/README.md.
 *
 *   bench WAT_DIR OUT.json            all cases, JSON results to OUT.json
 *   bench WAT_DIR --profile CASE N    run only libwt CASE (call, mixed,
 *                                      roundtrip, import, memory) N times, for
 *                                      valgrind --tool=callgrind
 *                                      (--toggle-collect=profile_region)
 *
 * Every engine uses libwt's default configuration (epoch interruption on,
 * wasm threads off) so that all APIs run identical machine code; a few extra
 * rows show epoch interruption off. Each number is the median of REPS
 * repetitions of a batch sized to take about TARGET_MS, in ns per operation.
 * BENCH_QUICK=1 in the environment makes every batch short (smoke test).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wt.h"
#include <wasmtime.h>

/* ------------------------------------------------------------------ */
/* timing, results                                                     */

static int REPS = 11;
static double TARGET_MS = 30.0;
/* cases 1-5 (see main) */
#define FINE_REPS 41
#define FINE_MS 6.0

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define clobber() __asm__ volatile("" ::: "memory")

static void die(const char *what) {
  fprintf(stderr, "bench: %s\n", what);
  exit(1);
}

static void wt_check(int32_t rc, const char *what) {
  if (rc != WT_OK) {
    fprintf(stderr, "bench: %s failed: status %d: %s\n", what, rc, wt_error_message());
    exit(1);
  }
}

static void c_check(wasmtime_error_t *err, wasm_trap_t *trap, const char *what) {
  wasm_byte_vec_t msg;
  if (err) {
    wasmtime_error_message(err, &msg);
    fprintf(stderr, "bench: %s failed: %.*s\n", what, (int)msg.size, msg.data);
    exit(1);
  }
  if (trap) {
    wasm_trap_message(trap, &msg);
    fprintf(stderr, "bench: %s trapped: %.*s\n", what, (int)msg.size, msg.data);
    exit(1);
  }
}

#define MAX_RESULTS 256
#define MAX_REPS 64
typedef struct {
  char kase[8], api[32], variant[96], unit[16];
  double value; /* median ns/op (or calls/s for unit "calls/s") */
  double min;
  double samples[MAX_REPS];
  int nsamples;
  uint64_t n;
} result_t;
static result_t RESULTS[MAX_RESULTS];
static int NRESULTS;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
  double t[MAX_REPS];
  memcpy(t, v, sizeof(double) * (size_t)n);
  qsort(t, (size_t)n, sizeof(double), cmp_double);
  return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static result_t *add_result(const char *kase, const char *api, const char *variant,
                            const char *unit, const double *samples, int ns, uint64_t n) {
  if (NRESULTS == MAX_RESULTS) die("too many results");
  result_t *r = &RESULTS[NRESULTS++];
  snprintf(r->kase, sizeof r->kase, "%s", kase);
  snprintf(r->api, sizeof r->api, "%s", api);
  snprintf(r->variant, sizeof r->variant, "%s", variant);
  snprintf(r->unit, sizeof r->unit, "%s", unit);
  memcpy(r->samples, samples, sizeof(double) * (size_t)ns);
  r->nsamples = ns;
  r->n = n;
  r->value = median(samples, ns);
  double mn = samples[0];
  for (int i = 1; i < ns; i++)
    if (samples[i] < mn) mn = samples[i];
  r->min = mn;
  fprintf(stderr, "  case %-2s %-8s %-58s %12.1f %s\n", kase, api, variant, r->value, unit);
  return r;
}

typedef void (*op_fn)(void *ctx, uint64_t n);

/* One row: `f(ctx, n)` runs n operations. */
typedef struct {
  const char *kase, *api, *variant;
  op_fn f;
  void *ctx;
  uint64_t max_n, n;
  double s[MAX_REPS];
} entry_t;

/* Sizes n so that one batch takes ~TARGET_MS (this also warms the path up). */
static void calibrate(entry_t *e) {
  uint64_t n = 1;
  double t;
  for (;;) {
    double t0 = now_ns();
    e->f(e->ctx, n);
    t = now_ns() - t0;
    if (t >= TARGET_MS * 1e6 / 8 || n >= e->max_n) break;
    n *= 4;
    if (n > e->max_n) n = e->max_n;
  }
  double want = (double)n * (TARGET_MS * 1e6) / (t > 1 ? t : 1);
  e->n = want < 1 ? 1 : (want > (double)e->max_n ? e->max_n : (uint64_t)want);
}

/* Runs rows that are compared with each other interleaved (repetition i of
 * every row, then i+1, ...) so that load drift on this shared machine hits
 * them alike; records the median ns/op of REPS repetitions per row. */
static void run_group(entry_t *es, int ne) {
  for (int j = 0; j < ne; j++) calibrate(&es[j]);
  for (int i = 0; i < REPS; i++)
    for (int j = 0; j < ne; j++) {
      double t0 = now_ns();
      es[j].f(es[j].ctx, es[j].n);
      es[j].s[i] = (now_ns() - t0) / (double)es[j].n;
    }
  for (int j = 0; j < ne; j++)
    add_result(es[j].kase, es[j].api, es[j].variant, "ns/op", es[j].s, REPS, es[j].n);
}

#define ROW(k, a, v, fn, cx, mx) {(k), (a), (v), (fn), (void *)(cx), (mx), 0, {0}}
#define GROUP(...)                                                                                 \
  do {                                                                                             \
    entry_t g_[] = {__VA_ARGS__};                                                                  \
    run_group(g_, (int)(sizeof g_ / sizeof g_[0]));                                                \
  } while (0)

static double bench(const char *kase, const char *api, const char *variant, op_fn f, void *ctx,
                    uint64_t max_n) {
  entry_t e = ROW(kase, api, variant, f, ctx, max_n);
  run_group(&e, 1);
  return RESULTS[NRESULTS - 1].value;
}

/* ------------------------------------------------------------------ */
/* inputs                                                              */

static char *read_file(const char *dir, const char *name, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "bench: cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)sz + 1);
  if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) die("short read");
  buf[sz] = 0;
  fclose(f);
  *len = (size_t)sz;
  return buf;
}

/* wasm bytes of a WAT file, via wt_wat2wasm (input preparation only). */
typedef struct {
  const uint8_t *data;
  size_t len;
} bytes_t;

static bytes_t wasm_of(const char *dir, const char *name) {
  size_t len;
  char *wat = read_file(dir, name, &len);
  uint64_t b;
  wt_check(wt_wat2wasm(wat, len, &b), "wt_wat2wasm");
  bytes_t out;
  wt_check(wt_bytes_data(b, &out.data, &out.len), "wt_bytes_data");
  free(wat); /* the bytes handle is kept for the life of the process */
  return out;
}

#define MEM_OFF_IN 1024
#define MEM_OFF_OUT 8192
#define MEM_LEN 4096
static uint8_t HOST_BUF[MEM_LEN];
static uint8_t PLAIN_MEM[65536];

/* ------------------------------------------------------------------ */
/* libwt side                                                          */

typedef struct {
  uint64_t engine, module, small, linker, ft_ii, ft_v, store, instance;
  uint64_t add, mixed, roundtrip, loop_nop, loop_mem, loop_empty, memory;
} wtw_t;

/* what the libwt "mem" callback does (case 7) */
enum { MEM_RW = 0, MEM_OVERHEAD = 1, MEM_GET_EXPORT = 2 };
typedef struct {
  int mode;
  uint64_t memory;
} wt_mem_env_t;
static wt_mem_env_t WT_MEM_ENV;

static int32_t wt_cb_inc(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                         uint64_t *results, size_t nresults) {
  (void)env, (void)caller, (void)nargs, (void)nresults;
  results[0] = (uint32_t)(args[0] + 1);
  return 0;
}

static int32_t wt_cb_nop(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                         uint64_t *results, size_t nresults) {
  (void)env, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
  return 0;
}

static int32_t wt_cb_mem(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                         uint64_t *results, size_t nresults) {
  (void)args, (void)nargs, (void)results, (void)nresults;
  wt_mem_env_t *e = env;
  int32_t rc;
  uint64_t sz;
  switch (e->mode) {
  case MEM_RW:
    rc = wt_memory_read(caller, e->memory, MEM_OFF_IN, HOST_BUF, MEM_LEN);
    if (rc == WT_OK) rc = wt_memory_write(caller, e->memory, MEM_OFF_OUT, HOST_BUF, MEM_LEN);
    return rc;
  case MEM_OVERHEAD:
    rc = wt_memory_size(caller, e->memory, &sz);
    if (rc == WT_OK) rc = wt_memory_size(caller, e->memory, &sz);
    return rc;
  default: {
    uint64_t m;
    rc = wt_caller_get_export(caller, "memory", 6, &m, NULL);
    if (rc == WT_OK) rc = wt_memory_read(caller, m, MEM_OFF_IN, HOST_BUF, MEM_LEN);
    if (rc == WT_OK) rc = wt_memory_write(caller, m, MEM_OFF_OUT, HOST_BUF, MEM_LEN);
    if (rc == WT_OK) rc = wt_free(m);
    return rc;
  }
  }
}

static int32_t wt_cb_small(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                           uint64_t *results, size_t nresults) {
  (void)env, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
  if (nresults) results[0] = args[0];
  return 0;
}

static void wtw_instance(wtw_t *w, uint64_t store, uint64_t *inst, uint64_t *add) {
  wt_check(wt_linker_instantiate(w->linker, store, w->module, inst), "wt_linker_instantiate");
  wt_check(wt_instance_get_func(store, *inst, "add", 3, add), "get add");
}

static void wtw_init(wtw_t *w, bytes_t calls, bytes_t small, int epoch) {
  if (epoch) {
    wt_check(wt_engine_new(&w->engine), "wt_engine_new");
  } else {
    uint64_t cfg;
    wt_check(wt_config_new(&cfg), "wt_config_new");
    wt_check(wt_config_set_epoch_interruption(cfg, 0), "epoch off");
    wt_check(wt_engine_new_with_config(cfg, &w->engine), "wt_engine_new_with_config");
    wt_check(wt_free(cfg), "free config");
  }
  wt_check(wt_module_from_wasm(w->engine, calls.data, calls.len, &w->module), "module calls");
  wt_check(wt_module_from_wasm(w->engine, small.data, small.len, &w->small), "module small");
  int32_t i32[1] = {WT_I32};
  wt_check(wt_functype_new(i32, 1, i32, 1, &w->ft_ii), "functype ii");
  wt_check(wt_functype_new(NULL, 0, NULL, 0, &w->ft_v), "functype v");
  wt_check(wt_linker_new(w->engine, &w->linker), "wt_linker_new");
  wt_check(wt_linker_define_callback(w->linker, "env", 3, "cb", 2, w->ft_ii, wt_cb_inc, NULL), "def cb");
  wt_check(wt_linker_define_callback(w->linker, "env", 3, "nop", 3, w->ft_v, wt_cb_nop, NULL), "def nop");
  wt_check(wt_linker_define_callback(w->linker, "env", 3, "mem", 3, w->ft_v, wt_cb_mem, &WT_MEM_ENV), "def mem");
  wt_check(wt_linker_define_callback(w->linker, "env", 3, "f1", 2, w->ft_ii, wt_cb_small, NULL), "def f1");
  wt_check(wt_linker_define_callback(w->linker, "env", 3, "f2", 2, w->ft_v, wt_cb_small, NULL), "def f2");
  wt_check(wt_store_new(w->engine, &w->store), "wt_store_new");
  wtw_instance(w, w->store, &w->instance, &w->add);
  uint64_t s = w->store, i = w->instance;
  wt_check(wt_instance_get_func(s, i, "mixed", 5, &w->mixed), "get mixed");
  wt_check(wt_instance_get_func(s, i, "roundtrip", 9, &w->roundtrip), "get roundtrip");
  wt_check(wt_instance_get_func(s, i, "loop_nop", 8, &w->loop_nop), "get loop_nop");
  wt_check(wt_instance_get_func(s, i, "loop_mem", 8, &w->loop_mem), "get loop_mem");
  wt_check(wt_instance_get_func(s, i, "loop_empty", 10, &w->loop_empty), "get loop_empty");
  wt_check(wt_instance_get_memory(s, i, "memory", 6, &w->memory), "get memory");
}

typedef struct {
  uint64_t store, func;
} wt_sf_t;

static void op_wt_add(void *ctx, uint64_t n) {
  wt_sf_t *c = ctx;
  uint64_t args[2] = {0, 1}, r = 0;
  for (uint64_t i = 0; i < n; i++) {
    args[0] = r;
    if (wt_call(c->store, c->func, args, 2, &r, 1) != WT_OK) die("wt_call add");
  }
  if (r != n) die("wt add: wrong result");
}

static void op_wt_mixed(void *ctx, uint64_t n) {
  wt_sf_t *c = ctx;
  float f = 1.5f;
  double d = 2.25;
  uint32_t fb;
  uint64_t db;
  memcpy(&fb, &f, 4);
  memcpy(&db, &d, 8);
  uint64_t args[4] = {7, 1000, fb, db}, r[2];
  for (uint64_t i = 0; i < n; i++) {
    args[0] = (uint32_t)i;
    if (wt_call(c->store, c->func, args, 4, r, 2) != WT_OK) die("wt_call mixed");
  }
  double out;
  memcpy(&out, &r[1], 8);
  if (r[0] != 1000 + (uint32_t)(n - 1) || out != 3.75) die("wt mixed: wrong result");
}

static void op_wt_roundtrip(void *ctx, uint64_t n) {
  wt_sf_t *c = ctx;
  uint64_t a = 0, r = 0;
  for (uint64_t i = 0; i < n; i++) {
    a = r;
    if (wt_call(c->store, c->func, &a, 1, &r, 1) != WT_OK) die("wt_call roundtrip");
  }
  if (r != n) die("wt roundtrip: wrong result");
}

/* one wasm call that loops n times (cases 4 and 7) */
static void op_wt_loop(void *ctx, uint64_t n) {
  wt_sf_t *c = ctx;
  uint64_t a = n;
  if (wt_call(c->store, c->func, &a, 1, NULL, 0) != WT_OK) die("wt_call loop");
}

typedef struct {
  uint64_t store, func;
  int mode;
} wt_mode_loop_t;

/* loop_mem with the libwt "mem" callback in `mode` (so that rows can be interleaved) */
static void op_wt_loop_mode(void *ctx, uint64_t n) {
  wt_mode_loop_t *c = ctx;
  WT_MEM_ENV.mode = c->mode;
  uint64_t a = n;
  if (wt_call(c->store, c->func, &a, 1, NULL, 0) != WT_OK) die("wt_call loop_mem");
  WT_MEM_ENV.mode = MEM_RW;
}

static void op_wt_mem_rw(void *ctx, uint64_t n) {
  wt_sf_t *c = ctx; /* func = memory handle */
  for (uint64_t i = 0; i < n; i++) {
    if (wt_memory_read(c->store, c->func, MEM_OFF_IN, HOST_BUF, MEM_LEN) != WT_OK) die("read");
    if (wt_memory_write(c->store, c->func, MEM_OFF_OUT, HOST_BUF, MEM_LEN) != WT_OK) die("write");
  }
}

static void op_wt_mem_overhead(void *ctx, uint64_t n) {
  wt_sf_t *c = ctx;
  uint64_t sz;
  for (uint64_t i = 0; i < n; i++) {
    if (wt_memory_size(c->store, c->func, &sz) != WT_OK) die("size");
    if (wt_memory_size(c->store, c->func, &sz) != WT_OK) die("size");
  }
}

static void op_wt_mem_data(void *ctx, uint64_t n) {
  wt_sf_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    uint8_t *p;
    size_t len;
    if (wt_memory_data(c->store, c->func, &p, &len) != WT_OK) die("data");
    if (len < MEM_OFF_OUT + MEM_LEN) die("memory too small");
    memcpy(HOST_BUF, p + MEM_OFF_IN, MEM_LEN);
    clobber();
    memcpy(p + MEM_OFF_OUT, HOST_BUF, MEM_LEN);
    clobber();
  }
}

static void op_plain_memcpy(void *ctx, uint64_t n) {
  (void)ctx;
  for (uint64_t i = 0; i < n; i++) {
    memcpy(HOST_BUF, PLAIN_MEM + MEM_OFF_IN, MEM_LEN);
    clobber();
    memcpy(PLAIN_MEM + MEM_OFF_OUT, HOST_BUF, MEM_LEN);
    clobber();
  }
}

typedef struct {
  uint64_t engine, linker, module;
} wt_inst_t;

static void op_wt_instantiate(void *ctx, uint64_t n) {
  wt_inst_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t s, inst;
    if (wt_store_new(c->engine, &s) != WT_OK) die("wt_store_new");
    if (wt_linker_instantiate(c->linker, s, c->module, &inst) != WT_OK) die(wt_error_message());
    if (wt_free(s) != WT_OK) die("wt_free store");
  }
}

static void op_wt_store_only(void *ctx, uint64_t n) {
  wt_inst_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t s;
    if (wt_store_new(c->engine, &s) != WT_OK) die("wt_store_new");
    if (wt_free(s) != WT_OK) die("wt_free store");
  }
}

typedef struct {
  uint64_t engine;
  bytes_t wasm;
} wt_compile_t;

static void op_wt_compile(void *ctx, uint64_t n) {
  wt_compile_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t m;
    wt_check(wt_module_from_wasm(c->engine, c->wasm.data, c->wasm.len, &m), "compile");
    wt_free(m);
  }
}

static void op_wt_deserialize(void *ctx, uint64_t n) {
  wt_compile_t *c = ctx; /* wasm = serialized bytes */
  for (uint64_t i = 0; i < n; i++) {
    uint64_t m;
    wt_check(wt_module_deserialize(c->engine, c->wasm.data, c->wasm.len, &m), "deserialize");
    wt_free(m);
  }
}

typedef struct {
  const uint64_t *handles;
  size_t count; /* power of two */
} wt_kind_t;

static void op_wt_handle_kind(void *ctx, uint64_t n) {
  wt_kind_t *c = ctx;
  int32_t k;
  for (uint64_t i = 0; i < n; i++)
    if (wt_handle_kind(c->handles[i & (c->count - 1)], &k) != WT_OK) die("wt_handle_kind");
}

/* ------------------------------------------------------------------ */
/* Wasmtime C API side                                                 */

typedef struct {
  wasm_engine_t *engine;
  wasmtime_module_t *module, *small;
  wasmtime_store_t *store;
  wasmtime_context_t *ctx;
  wasmtime_instance_t inst_checked, inst_unchecked;
  wasmtime_func_t add, mixed, rt_checked, rt_unchecked, loop_nop_checked, loop_nop_unchecked;
  wasmtime_func_t loop_mem_checked, loop_mem_unchecked;
  wasmtime_memory_t memory;
  wasmtime_linker_t *linker; /* store-independent, unchecked callbacks (cases 5, 8) */
  wasmtime_instance_pre_t *pre_small;
} capi_t;

static wasm_trap_t *c_inc(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
                          size_t nargs, wasmtime_val_t *results, size_t nresults) {
  (void)env, (void)caller, (void)nargs, (void)nresults;
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = args[0].of.i32 + 1;
  return NULL;
}

static wasm_trap_t *c_inc_u(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *ar,
                            size_t n) {
  (void)env, (void)caller, (void)n;
  ar[0].i32 = ar[0].i32 + 1;
  return NULL;
}

static wasm_trap_t *c_nop(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
                          size_t nargs, wasmtime_val_t *results, size_t nresults) {
  (void)env, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
  return NULL;
}

static wasm_trap_t *c_nop_u(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *ar,
                            size_t n) {
  (void)env, (void)caller, (void)ar, (void)n;
  return NULL;
}

static void c_mem_rw(wasmtime_caller_t *caller) {
  wasmtime_extern_t ext;
  if (!wasmtime_caller_export_get(caller, "memory", 6, &ext) || ext.kind != WASMTIME_EXTERN_MEMORY)
    die("caller memory");
  wasmtime_context_t *cx = wasmtime_caller_context(caller);
  uint8_t *p = wasmtime_memory_data(cx, &ext.of.memory);
  if (wasmtime_memory_data_size(cx, &ext.of.memory) < MEM_OFF_OUT + MEM_LEN) die("memory size");
  memcpy(HOST_BUF, p + MEM_OFF_IN, MEM_LEN);
  clobber();
  memcpy(p + MEM_OFF_OUT, HOST_BUF, MEM_LEN);
  clobber();
}

static wasm_trap_t *c_mem(void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
                          size_t nargs, wasmtime_val_t *results, size_t nresults) {
  (void)env, (void)args, (void)nargs, (void)results, (void)nresults;
  c_mem_rw(caller);
  return NULL;
}

static wasm_trap_t *c_mem_u(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *ar,
                            size_t n) {
  (void)env, (void)ar, (void)n;
  c_mem_rw(caller);
  return NULL;
}

static wasm_functype_t *ft_ii(void) {
  return wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
}

static wasm_engine_t *capi_engine(int epoch) {
  wasm_config_t *cfg = wasm_config_new();
  wasmtime_config_epoch_interruption_set(cfg, epoch);
  wasmtime_config_wasm_threads_set(cfg, false);
  return wasm_engine_new_with_config(cfg);
}

static wasmtime_store_t *capi_store(wasm_engine_t *e, int epoch) {
  wasmtime_store_t *s = wasmtime_store_new(e, NULL, NULL);
  if (epoch) wasmtime_context_set_epoch_deadline(wasmtime_store_context(s), 1);
  return s;
}

static wasmtime_func_t capi_export(wasmtime_context_t *cx, wasmtime_instance_t *inst,
                                   const char *name) {
  wasmtime_extern_t ext;
  if (!wasmtime_instance_export_get(cx, inst, name, strlen(name), &ext) ||
      ext.kind != WASMTIME_EXTERN_FUNC)
    die(name);
  return ext.of.func;
}

static void capi_init(capi_t *c, bytes_t calls, bytes_t small, int epoch) {
  c->engine = capi_engine(epoch);
  c_check(wasmtime_module_new(c->engine, calls.data, calls.len, &c->module), NULL, "module new");
  c_check(wasmtime_module_new(c->engine, small.data, small.len, &c->small), NULL, "module new");
  c->store = capi_store(c->engine, epoch);
  c->ctx = wasmtime_store_context(c->store);
  wasm_functype_t *ii = ft_ii(), *v = wasm_functype_new_0_0();
  /* store-bound host funcs: wasmtime_func_new (checked) / _unchecked */
  wasmtime_extern_t imp_c[3], imp_u[3];
  for (int i = 0; i < 3; i++) imp_c[i].kind = imp_u[i].kind = WASMTIME_EXTERN_FUNC;
  wasmtime_func_new(c->ctx, ii, c_inc, NULL, NULL, &imp_c[0].of.func);
  wasmtime_func_new(c->ctx, v, c_nop, NULL, NULL, &imp_c[1].of.func);
  wasmtime_func_new(c->ctx, v, c_mem, NULL, NULL, &imp_c[2].of.func);
  wasmtime_func_new_unchecked(c->ctx, ii, c_inc_u, NULL, NULL, &imp_u[0].of.func);
  wasmtime_func_new_unchecked(c->ctx, v, c_nop_u, NULL, NULL, &imp_u[1].of.func);
  wasmtime_func_new_unchecked(c->ctx, v, c_mem_u, NULL, NULL, &imp_u[2].of.func);
  wasm_trap_t *trap = NULL;
  c_check(wasmtime_instance_new(c->ctx, c->module, imp_c, 3, &c->inst_checked, &trap), trap, "inst");
  c_check(wasmtime_instance_new(c->ctx, c->module, imp_u, 3, &c->inst_unchecked, &trap), trap, "inst");
  c->add = capi_export(c->ctx, &c->inst_unchecked, "add");
  c->mixed = capi_export(c->ctx, &c->inst_unchecked, "mixed");
  c->rt_checked = capi_export(c->ctx, &c->inst_checked, "roundtrip");
  c->rt_unchecked = capi_export(c->ctx, &c->inst_unchecked, "roundtrip");
  c->loop_nop_checked = capi_export(c->ctx, &c->inst_checked, "loop_nop");
  c->loop_nop_unchecked = capi_export(c->ctx, &c->inst_unchecked, "loop_nop");
  c->loop_mem_checked = capi_export(c->ctx, &c->inst_checked, "loop_mem");
  c->loop_mem_unchecked = capi_export(c->ctx, &c->inst_unchecked, "loop_mem");
  wasmtime_extern_t ext;
  if (!wasmtime_instance_export_get(c->ctx, &c->inst_unchecked, "memory", 6, &ext)) die("memory");
  c->memory = ext.of.memory;
  /* store-independent linker (instantiation in fresh stores, threads) */
  c->linker = wasmtime_linker_new(c->engine);
  c_check(wasmtime_linker_define_func_unchecked(c->linker, "env", 3, "cb", 2, ii, c_inc_u, NULL, NULL), NULL, "def");
  c_check(wasmtime_linker_define_func_unchecked(c->linker, "env", 3, "nop", 3, v, c_nop_u, NULL, NULL), NULL, "def");
  c_check(wasmtime_linker_define_func_unchecked(c->linker, "env", 3, "mem", 3, v, c_mem_u, NULL, NULL), NULL, "def");
  c_check(wasmtime_linker_define_func_unchecked(c->linker, "env", 3, "f1", 2, ii, c_inc_u, NULL, NULL), NULL, "def");
  c_check(wasmtime_linker_define_func_unchecked(c->linker, "env", 3, "f2", 2, v, c_nop_u, NULL, NULL), NULL, "def");
  c_check(wasmtime_linker_instantiate_pre(c->linker, c->small, &c->pre_small), NULL, "instantiate_pre");
  wasm_functype_delete(ii);
  wasm_functype_delete(v);
}

typedef struct {
  wasmtime_context_t *ctx;
  wasmtime_func_t func;
} c_cf_t;

static void op_c_add_checked(void *ctx, uint64_t n) {
  c_cf_t *c = ctx;
  wasmtime_val_t args[2], res;
  args[0].kind = args[1].kind = WASMTIME_I32;
  args[1].of.i32 = 1;
  res.of.i32 = 0;
  for (uint64_t i = 0; i < n; i++) {
    args[0].of.i32 = res.of.i32;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_func_call(c->ctx, &c->func, args, 2, &res, 1, &trap);
    if (err || trap) c_check(err, trap, "wasmtime_func_call");
  }
  if ((uint64_t)(uint32_t)res.of.i32 != (uint32_t)n) die("capi add: wrong result");
}

static void op_c_add_unchecked(void *ctx, uint64_t n) {
  c_cf_t *c = ctx;
  wasmtime_val_raw_t raw[2];
  int32_t r = 0;
  for (uint64_t i = 0; i < n; i++) {
    raw[0].i64 = 0;
    raw[0].i32 = r;
    raw[1].i64 = 1;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_func_call_unchecked(c->ctx, &c->func, raw, 2, &trap);
    if (err || trap) c_check(err, trap, "wasmtime_func_call_unchecked");
    r = raw[0].i32;
  }
  if ((uint32_t)r != (uint32_t)n) die("capi add unchecked: wrong result");
}

static void op_c_mixed_checked(void *ctx, uint64_t n) {
  c_cf_t *c = ctx;
  wasmtime_val_t args[4], res[2];
  args[0].kind = WASMTIME_I32;
  args[1].kind = WASMTIME_I64;
  args[1].of.i64 = 1000;
  args[2].kind = WASMTIME_F32;
  args[2].of.f32 = 1.5f;
  args[3].kind = WASMTIME_F64;
  args[3].of.f64 = 2.25;
  for (uint64_t i = 0; i < n; i++) {
    args[0].of.i32 = (int32_t)i;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_func_call(c->ctx, &c->func, args, 4, res, 2, &trap);
    if (err || trap) c_check(err, trap, "wasmtime_func_call mixed");
  }
  if (res[0].of.i64 != 1000 + (int64_t)(uint32_t)(n - 1) || res[1].of.f64 != 3.75) die("capi mixed");
}

static void op_c_mixed_unchecked(void *ctx, uint64_t n) {
  c_cf_t *c = ctx;
  wasmtime_val_raw_t raw[4];
  for (uint64_t i = 0; i < n; i++) {
    memset(raw, 0, sizeof raw);
    raw[0].i32 = (int32_t)i;
    raw[1].i64 = 1000;
    raw[2].f32 = 1.5f;
    raw[3].f64 = 2.25;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_func_call_unchecked(c->ctx, &c->func, raw, 4, &trap);
    if (err || trap) c_check(err, trap, "wasmtime_func_call_unchecked mixed");
  }
  if (raw[0].i64 != 1000 + (int64_t)(uint32_t)(n - 1) || raw[1].f64 != 3.75) die("capi mixed u");
}

static void op_c_rt_checked(void *ctx, uint64_t n) {
  c_cf_t *c = ctx;
  wasmtime_val_t a, r;
  a.kind = WASMTIME_I32;
  r.of.i32 = 0;
  for (uint64_t i = 0; i < n; i++) {
    a.of.i32 = r.of.i32;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_func_call(c->ctx, &c->func, &a, 1, &r, 1, &trap);
    if (err || trap) c_check(err, trap, "roundtrip");
  }
  if ((uint32_t)r.of.i32 != (uint32_t)n) die("capi rt: wrong result");
}

static void op_c_rt_unchecked(void *ctx, uint64_t n) {
  c_cf_t *c = ctx;
  wasmtime_val_raw_t raw;
  int32_t r = 0;
  for (uint64_t i = 0; i < n; i++) {
    raw.i64 = 0;
    raw.i32 = r;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_func_call_unchecked(c->ctx, &c->func, &raw, 1, &trap);
    if (err || trap) c_check(err, trap, "roundtrip unchecked");
    r = raw.i32;
  }
  if ((uint32_t)r != (uint32_t)n) die("capi rt u: wrong result");
}

static void op_c_loop(void *ctx, uint64_t n) {
  c_cf_t *c = ctx;
  wasmtime_val_raw_t raw;
  raw.i64 = 0;
  raw.i32 = (int32_t)n;
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *err = wasmtime_func_call_unchecked(c->ctx, &c->func, &raw, 1, &trap);
  if (err || trap) c_check(err, trap, "loop");
}

typedef struct {
  wasmtime_context_t *ctx;
  wasmtime_memory_t mem;
} c_mem_t;

static void op_c_mem_rw(void *ctx, uint64_t n) {
  c_mem_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    uint8_t *p = wasmtime_memory_data(c->ctx, &c->mem);
    if (wasmtime_memory_data_size(c->ctx, &c->mem) < MEM_OFF_OUT + MEM_LEN) die("size");
    memcpy(HOST_BUF, p + MEM_OFF_IN, MEM_LEN);
    clobber();
    memcpy(p + MEM_OFF_OUT, HOST_BUF, MEM_LEN);
    clobber();
  }
}

typedef struct {
  wasm_engine_t *engine;
  wasmtime_linker_t *linker;
  wasmtime_module_t *module;
  wasmtime_instance_pre_t *pre;
} c_inst_t;

static void op_c_instantiate(void *ctx, uint64_t n) {
  c_inst_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_store_t *s = capi_store(c->engine, 1);
    wasmtime_instance_t inst;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_linker_instantiate(c->linker, wasmtime_store_context(s), c->module, &inst, &trap);
    if (err || trap) c_check(err, trap, "wasmtime_linker_instantiate");
    wasmtime_store_delete(s);
  }
}

static void op_c_instantiate_pre(void *ctx, uint64_t n) {
  c_inst_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_store_t *s = capi_store(c->engine, 1);
    wasmtime_instance_t inst;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *err = wasmtime_instance_pre_instantiate(c->pre, wasmtime_store_context(s), &inst, &trap);
    if (err || trap) c_check(err, trap, "wasmtime_instance_pre_instantiate");
    wasmtime_store_delete(s);
  }
}

static void op_c_store_only(void *ctx, uint64_t n) {
  c_inst_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) wasmtime_store_delete(capi_store(c->engine, 1));
}

typedef struct {
  wasm_engine_t *engine;
  bytes_t bytes;
} c_compile_t;

static void op_c_compile(void *ctx, uint64_t n) {
  c_compile_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_module_t *m;
    c_check(wasmtime_module_new(c->engine, c->bytes.data, c->bytes.len, &m), NULL, "compile");
    wasmtime_module_delete(m);
  }
}

static void op_c_deserialize(void *ctx, uint64_t n) {
  c_compile_t *c = ctx;
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_module_t *m;
    c_check(wasmtime_module_deserialize(c->engine, c->bytes.data, c->bytes.len, &m), NULL, "deserialize");
    wasmtime_module_delete(m);
  }
}

/* ------------------------------------------------------------------ */
/* case 8: threads on separate stores                                  */

typedef struct {
  int api; /* 0 libwt, 1 C API unchecked */
  wtw_t *w;
  capi_t *c;
  uint64_t calls;
  pthread_barrier_t *barrier;
  double t0, t1;
} thr_t;

__attribute__((noinline)) uint64_t plain_add(uint64_t a, uint64_t b) {
  clobber();
  return a + b;
}

static void *thread_main(void *arg) {
  thr_t *t = arg;
  if (t->api == 2) { /* machine ceiling: a plain C call loop, no wasm */
    pthread_barrier_wait(t->barrier);
    t->t0 = now_ns();
    uint64_t r = 0;
    for (uint64_t i = 0; i < t->calls * 16; i++) r = plain_add(r, 1);
    t->t1 = now_ns();
    if (r != t->calls * 16) die("plain_add");
  } else if (t->api == 0) {
    uint64_t s, inst, add;
    wt_check(wt_store_new(t->w->engine, &s), "thread store");
    wtw_instance(t->w, s, &inst, &add);
    wt_sf_t sf = {s, add};
    op_wt_add(&sf, 1000);
    pthread_barrier_wait(t->barrier);
    t->t0 = now_ns();
    op_wt_add(&sf, t->calls);
    t->t1 = now_ns();
    wt_free(s);
  } else {
    wasmtime_store_t *s = capi_store(t->c->engine, 1);
    wasmtime_context_t *cx = wasmtime_store_context(s);
    wasmtime_instance_t inst;
    wasm_trap_t *trap = NULL;
    c_check(wasmtime_linker_instantiate(t->c->linker, cx, t->c->module, &inst, &trap), trap, "thread inst");
    c_cf_t cf = {cx, capi_export(cx, &inst, "add")};
    op_c_add_unchecked(&cf, 1000);
    pthread_barrier_wait(t->barrier);
    t->t0 = now_ns();
    op_c_add_unchecked(&cf, t->calls);
    t->t1 = now_ns();
    wasmtime_store_delete(s);
  }
  return NULL;
}

/* Total calls/s of `nthreads` threads, each with its own store. */
static double threads_run(int api, wtw_t *w, capi_t *c, int nthreads, uint64_t calls) {
  pthread_t th[2];
  thr_t t[2];
  pthread_barrier_t b;
  pthread_barrier_init(&b, NULL, (unsigned)nthreads);
  for (int i = 0; i < nthreads; i++) {
    t[i] = (thr_t){api, w, c, calls, &b, 0, 0};
    pthread_create(&th[i], NULL, thread_main, &t[i]);
  }
  for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&b);
  double t0 = t[0].t0, t1 = t[0].t1;
  for (int i = 1; i < nthreads; i++) {
    if (t[i].t0 < t0) t0 = t[i].t0;
    if (t[i].t1 > t1) t1 = t[i].t1;
  }
  return (double)calls * (api == 2 ? 16 : 1) * nthreads / ((t1 - t0) / 1e9);
}

/* Case 8. Each repetition runs 1 thread then 2 threads for every API back to
 * back, so that the 2-thread / 1-thread ratio of one repetition is measured
 * under one machine load (the report takes the median of per-repetition
 * ratios); "baseline" is a plain C call loop: the scaling this machine allows
 * at that moment. */
static void bench_threads_all(wtw_t *w, capi_t *c, int reps) {
  /* per repetition: baseline, libwt, C API, baseline again (1 then 2 threads each) */
  const int order[4] = {2, 0, 1, 2};
  const char *names[4] = {"baseline", "libwt", "C API", "baseline"};
  uint64_t calls[3];
  double s[4][2][MAX_REPS];
  for (int api = 0; api < 3; api++) {
    double cps = threads_run(api, w, c, 1, 100000);
    calls[api] = (uint64_t)(cps * TARGET_MS * 4 / 1e3 / (api == 2 ? 16 : 1));
    if (calls[api] < 1000) calls[api] = 1000;
  }
  for (int i = 0; i < reps; i++)
    for (int k = 0; k < 4; k++)
      for (int nt = 1; nt <= 2; nt++) s[k][nt - 1][i] = threads_run(order[k], w, c, nt, calls[order[k]]);
  for (int k = 0; k < 4; k++)
    for (int nt = 1; nt <= 2; nt++) {
      const char *v1 = order[k] != 2 ? "1 thread, add (calls/s, all threads)"
                       : k == 0      ? "1 thread, plain C call loop (machine ceiling, before)"
                                     : "1 thread, plain C call loop (machine ceiling, after)";
      const char *v2 = order[k] != 2 ? "2 threads, add (calls/s, all threads)"
                       : k == 0      ? "2 threads, plain C call loop (machine ceiling, before)"
                                     : "2 threads, plain C call loop (machine ceiling, after)";
      add_result("8", names[k], nt == 1 ? v1 : v2, "calls/s", s[k][nt - 1], reps, calls[order[k]]);
    }
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static void write_json(const char *path, const char *meta_extra) {
  FILE *f = fopen(path, "w");
  if (!f) die("cannot write JSON");
  fprintf(f, "{\n  \"runner\": \"c\",\n  \"reps\": %d,\n  \"target_ms\": %.1f,\n%s  \"results\": [\n",
          REPS, TARGET_MS, meta_extra);
  for (int i = 0; i < NRESULTS; i++) {
    result_t *r = &RESULTS[i];
    fprintf(f, "    {\"case\": ");
    json_str(f, r->kase);
    fprintf(f, ", \"api\": ");
    json_str(f, r->api);
    fprintf(f, ", \"variant\": ");
    json_str(f, r->variant);
    fprintf(f, ", \"unit\": ");
    json_str(f, r->unit);
    fprintf(f, ", \"value\": %.4f, \"min\": %.4f, \"n\": %llu, \"samples\": [", r->value, r->min,
            (unsigned long long)r->n);
    for (int j = 0; j < r->nsamples; j++) fprintf(f, "%s%.4f", j ? ", " : "", r->samples[j]);
    fprintf(f, "]}%s\n", i + 1 < NRESULTS ? "," : "");
  }
  fprintf(f, "  ]\n}\n");
  fclose(f);
}

/* ------------------------------------------------------------------ */
/* profiling entry (callgrind --toggle-collect=profile_region)         */

__attribute__((noinline)) void profile_region(op_fn f, void *ctx, uint64_t n) {
  f(ctx, n);
  clobber();
}

static int profile_main(const char *dir, const char *what, uint64_t n) {
  bytes_t calls = wasm_of(dir, "calls.wat"), small = wasm_of(dir, "small.wat");
  wtw_t w;
  wtw_init(&w, calls, small, 1);
  if (getenv("BENCH_PROFILE_BURST")) {
    /* what case 9 leaves behind in a full run: 1M handles made, then freed
     * in random order */
    const size_t MANY = 1u << 20;
    uint64_t *many = malloc(sizeof(uint64_t) * MANY), x = 88172645463325252ull;
    for (size_t k = 0; k < MANY; k++) wt_check(wt_bytes_new(NULL, 0, &many[k]), "wt_bytes_new");
    for (size_t k = MANY - 1; k > 0; k--) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t j = x % (k + 1);
      uint64_t t = many[k];
      many[k] = many[j], many[j] = t;
    }
    for (size_t k = 0; k < MANY; k++) wt_check(wt_free(many[k]), "free many");
    free(many);
  }
  WT_MEM_ENV.memory = w.memory;
  WT_MEM_ENV.mode = MEM_RW;
  wt_sf_t sf = {w.store, 0};
  op_fn f;
  if (!strcmp(what, "call")) sf.func = w.add, f = op_wt_add;
  else if (!strcmp(what, "mixed")) sf.func = w.mixed, f = op_wt_mixed;
  else if (!strcmp(what, "roundtrip")) sf.func = w.roundtrip, f = op_wt_roundtrip;
  else if (!strcmp(what, "import")) sf.func = w.loop_nop, f = op_wt_loop;
  else if (!strcmp(what, "memory")) sf.func = w.memory, f = op_wt_mem_rw;
  else if (!strncmp(what, "capi_", 5)) { /* the C API's unchecked paths, for comparison */
    capi_t c;
    capi_init(&c, calls, small, 1);
    c_cf_t cf = {c.ctx, c.add};
    if (!strcmp(what, "capi_call")) f = op_c_add_unchecked;
    else if (!strcmp(what, "capi_roundtrip")) cf.func = c.rt_unchecked, f = op_c_rt_unchecked;
    else if (!strcmp(what, "capi_import")) cf.func = c.loop_nop_unchecked, f = op_c_loop;
    else if (!strcmp(what, "capi_store")) {
      c_inst_t ci = {c.engine, c.linker, c.small, c.pre_small};
      op_c_store_only(&ci, 10);
      profile_region(op_c_store_only, &ci, n);
      return 0;
    }
    else if (!strcmp(what, "capi_instantiate") || !strcmp(what, "capi_instantiate_pre")) {
      c_inst_t ci = {c.engine, c.linker, c.small, c.pre_small};
      op_fn g = what[16] ? op_c_instantiate_pre : op_c_instantiate;
      g(&ci, 10);
      profile_region(g, &ci, n);
      return 0;
    }
    else die("unknown profile case");
    f(&cf, 1000);
    profile_region(f, &cf, n);
    return 0;
  }
  else if (!strcmp(what, "store")) {
    wt_inst_t ic = {w.engine, w.linker, w.small};
    op_wt_store_only(&ic, 10);
    profile_region(op_wt_store_only, &ic, n);
    return 0;
  }
  else if (!strcmp(what, "instantiate")) {
    wt_inst_t ic = {w.engine, w.linker, w.small};
    op_wt_instantiate(&ic, 10);
    profile_region(op_wt_instantiate, &ic, n);
    return 0;
  } else die("unknown profile case");
  f(&sf, 1000); /* warm up */
  profile_region(f, &sf, n);
  return 0;
}

/* ------------------------------------------------------------------ */

/* `bench WAT_DIR --threads ROUNDS`: case 8 only, the APIs alternating. */
static int threads_main(const char *dir, int rounds) {
  bytes_t calls = wasm_of(dir, "calls.wat"), small = wasm_of(dir, "small.wat");
  wtw_t w;
  capi_t c;
  wtw_init(&w, calls, small, 1);
  capi_init(&c, calls, small, 1);
  for (int r = 0; r < rounds; r++) bench_threads_all(&w, &c, 5);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && !strcmp(argv[2], "--profile"))
    return profile_main(argv[1], argv[3], strtoull(argv[4], NULL, 10));
  if (argc == 4 && !strcmp(argv[2], "--threads")) return threads_main(argv[1], atoi(argv[3]));
  if (argc != 3) {
    fprintf(stderr, "usage: %s WAT_DIR OUT.json | %s WAT_DIR --profile CASE N\n", argv[0], argv[0]);
    return 2;
  }
  const char *dir = argv[1], *out = argv[2];
  if (getenv("BENCH_QUICK")) {
    REPS = 3;
    TARGET_MS = 3;
  }
  bytes_t calls = wasm_of(dir, "calls.wat"), small = wasm_of(dir, "small.wat"),
          big = wasm_of(dir, "compile200.wat");
  fprintf(stderr, "libwt %s + Wasmtime C API, %d reps, ~%.0f ms per rep\n", wt_version(), REPS, TARGET_MS);

  /* BENCH_CALLS_ONLY=1: only cases 1-5 (for iterating on the call path;
   * the report needs a full run). */
  const int calls_only = getenv("BENCH_CALLS_ONLY") != NULL;
  /* ---- case 9 first, while few handles are live ---- */
  wtw_t w;
  uint64_t before = wt_handle_count();
  wtw_init(&w, calls, small, 1);
  uint64_t wasm_bytes_handles = before; /* the wat2wasm byte buffers */
  WT_MEM_ENV.memory = w.memory;
  size_t live_small = wt_handle_count();
  wt_sf_t add = {w.store, w.add};
  char var[96];
  { /* warm up (CPU frequency, page faults, lazy init) before the first row */
    double t0 = now_ns();
    while (now_ns() - t0 < 300e6) op_wt_add(&add, 10000);
  }
  /* Each repetition: one batch with few live handles, then 1M more handles
   * are allocated, one batch on the same store/func and one on a store/func
   * made while the 1M were live (high indices), then the 1M are freed. So
   * the ratio of one repetition compares adjacent moments. */
  uint64_t few[16];
  {
    uint64_t base[8] = {w.engine, w.module, w.small, w.linker, w.store, w.instance, w.add, w.memory};
    for (int i = 0; i < 16; i++) few[i] = base[i % 8];
  }
  wt_kind_t kind_few = {few, 16};
  snprintf(var, sizeof var, "wt_handle_kind, cycling over 8 handles (%zu live)", live_small);
  bench("9", "libwt", var, op_wt_handle_kind, &kind_few, UINT64_MAX);
  size_t live_many = 0;
  if (calls_only) goto capi_setup;
  const size_t MANY = 1u << 20; /* 1,048,576 */
  uint64_t *many = malloc(sizeof(uint64_t) * MANY);
  entry_t few_e = ROW("9", "libwt", "", op_wt_add, &add, UINT64_MAX);
  calibrate(&few_e);
  uint64_t n9 = few_e.n;
  double s_few[MAX_REPS], s_same[MAX_REPS], s_high[MAX_REPS];
  uint64_t s2 = 0, i2, add2;
  wt_sf_t addhigh = {0, 0};
  for (int i = 0; i < REPS; i++) {
    double t0 = now_ns();
    op_wt_add(&add, n9);
    s_few[i] = (now_ns() - t0) / (double)n9;
    for (size_t k = 0; k < MANY; k++) wt_check(wt_bytes_new(NULL, 0, &many[k]), "wt_bytes_new");
    if (!s2) {
      wt_check(wt_store_new(w.engine, &s2), "store 2");
      wtw_instance(&w, s2, &i2, &add2);
      addhigh = (wt_sf_t){s2, add2};
      op_wt_add(&addhigh, n9); /* warm */
    }
    live_many = wt_handle_count();
    op_wt_add(&add, n9 / 8 + 1); /* settle */
    t0 = now_ns();
    op_wt_add(&add, n9);
    s_same[i] = (now_ns() - t0) / (double)n9;
    t0 = now_ns();
    op_wt_add(&addhigh, n9);
    s_high[i] = (now_ns() - t0) / (double)n9;
    if (i + 1 < REPS)
      for (size_t k = 0; k < MANY; k++) wt_check(wt_free(many[k]), "free many");
  }
  snprintf(var, sizeof var, "wt_call add, %zu live handles", live_small);
  add_result("9", "libwt", var, "ns/op", s_few, REPS, n9);
  snprintf(var, sizeof var, "wt_call add, %zu live handles (same store/func)", live_many);
  add_result("9", "libwt", var, "ns/op", s_same, REPS, n9);
  snprintf(var, sizeof var, "wt_call add, %zu live handles (new store/func, high indices)", live_many);
  add_result("9", "libwt", var, "ns/op", s_high, REPS, n9);
  /* informational, with the 1M still live: lookups spread over all of them */
  uint64_t x = 88172645463325252ull;
  for (size_t k = MANY - 1; k > 0; k--) { /* shuffle (xorshift) */
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t j = x % (k + 1);
    uint64_t t = many[k];
    many[k] = many[j], many[j] = t;
  }
  wt_kind_t kind_many = {many, MANY};
  snprintf(var, sizeof var, "wt_handle_kind, random handle of %zu live (cache misses)", live_many);
  bench("9", "libwt", var, op_wt_handle_kind, &kind_many, UINT64_MAX);
  wt_kind_t kind_few2 = {few, 16};
  snprintf(var, sizeof var, "wt_handle_kind, cycling over 8 handles (%zu live)", live_many);
  bench("9", "libwt", var, op_wt_handle_kind, &kind_few2, UINT64_MAX);
  for (size_t k = 0; k < MANY; k++) wt_check(wt_free(many[k]), "free many");
  free(many);
  wt_free(s2);
  (void)wasm_bytes_handles;

  /* ---- C API setup ---- */
capi_setup:;
  capi_t c;
  capi_init(&c, calls, small, 1);

  /* ---- cases 1-5: the rows compared with each other run interleaved, in
   * many short repetitions (FINE_REPS of ~FINE_MS each): a burst of load
   * from another process on this shared machine then spoils a few adjacent
   * pairs, which the median of per-repetition ratios ignores, instead of a
   * large part of a few long ones. ---- */
  const int saved_reps = REPS;
  const double saved_ms = TARGET_MS;
  if (!getenv("BENCH_QUICK")) REPS = FINE_REPS, TARGET_MS = FINE_MS;
  c_cf_t cadd = {c.ctx, c.add};
  GROUP(ROW("1", "libwt", "wt_call", op_wt_add, &add, UINT64_MAX),
        ROW("1", "C API", "wasmtime_func_call (checked)", op_c_add_checked, &cadd, UINT64_MAX),
        ROW("1", "C API", "wasmtime_func_call_unchecked", op_c_add_unchecked, &cadd, UINT64_MAX));

  wt_sf_t mixed = {w.store, w.mixed};
  c_cf_t cmixed = {c.ctx, c.mixed};
  GROUP(ROW("2", "libwt", "wt_call", op_wt_mixed, &mixed, UINT64_MAX),
        ROW("2", "C API", "wasmtime_func_call (checked)", op_c_mixed_checked, &cmixed, UINT64_MAX),
        ROW("2", "C API", "wasmtime_func_call_unchecked", op_c_mixed_unchecked, &cmixed, UINT64_MAX));

  wt_sf_t rt = {w.store, w.roundtrip};
  c_cf_t crt_c = {c.ctx, c.rt_checked}, crt_u = {c.ctx, c.rt_unchecked};
  GROUP(ROW("3", "libwt", "wt_call + wt_callback_t", op_wt_roundtrip, &rt, UINT64_MAX),
        ROW("3", "C API", "wasmtime_func_call + wasmtime_func_new (checked)", op_c_rt_checked, &crt_c, UINT64_MAX),
        ROW("3", "C API", "wasmtime_func_call_unchecked + wasmtime_func_new_unchecked", op_c_rt_unchecked, &crt_u, UINT64_MAX));

  wt_sf_t lnop = {w.store, w.loop_nop}, lempty = {w.store, w.loop_empty};
  c_cf_t cln_c = {c.ctx, c.loop_nop_checked}, cln_u = {c.ctx, c.loop_nop_unchecked};
  GROUP(ROW("4", "libwt", "wt_callback_t (per import call)", op_wt_loop, &lnop, INT32_MAX),
        ROW("4", "C API", "wasmtime_func_new (checked, per import call)", op_c_loop, &cln_c, INT32_MAX),
        ROW("4", "C API", "wasmtime_func_new_unchecked (per import call)", op_c_loop, &cln_u, INT32_MAX),
        ROW("4", "libwt", "loop without the call (calibration, per iteration)", op_wt_loop, &lempty, INT32_MAX));

  /* ---- case 5 ---- */
  wt_inst_t wi = {w.engine, w.linker, w.small};
  c_inst_t ci = {c.engine, c.linker, c.small, c.pre_small};
  GROUP(ROW("5", "libwt", "wt_store_new + wt_linker_instantiate + wt_free(store)", op_wt_instantiate, &wi, UINT64_MAX),
        ROW("5", "C API", "store_new + wasmtime_linker_instantiate + store_delete", op_c_instantiate, &ci, UINT64_MAX),
        ROW("5", "C API", "store_new + wasmtime_instance_pre_instantiate + store_delete", op_c_instantiate_pre, &ci, UINT64_MAX),
        ROW("5", "libwt", "wt_store_new + wt_free(store) only", op_wt_store_only, &wi, UINT64_MAX),
        ROW("5", "C API", "wasmtime_store_new + wasmtime_store_delete only", op_c_store_only, &ci, UINT64_MAX));

  REPS = saved_reps, TARGET_MS = saved_ms;
  if (calls_only) goto done;

  /* ---- case 6 ---- */
  {
    double saved = TARGET_MS;
    int saved_reps6 = REPS;
    if (!getenv("BENCH_QUICK")) REPS = 7;
    wt_compile_t wc = {w.engine, big};
    c_compile_t cc = {c.engine, big};
    GROUP(ROW("6", "libwt", "wt_module_from_wasm (200 funcs)", op_wt_compile, &wc, 1),
          ROW("6", "C API", "wasmtime_module_new (200 funcs)", op_c_compile, &cc, 1));
    uint64_t m, sb;
    wt_check(wt_module_from_wasm(w.engine, big.data, big.len, &m), "compile big");
    wt_check(wt_module_serialize(m, &sb), "serialize");
    wt_compile_t wd = {w.engine, {0}};
    wt_check(wt_bytes_data(sb, &wd.wasm.data, &wd.wasm.len), "bytes");
    wasmtime_module_t *cm;
    c_check(wasmtime_module_new(c.engine, big.data, big.len, &cm), NULL, "compile big");
    wasm_byte_vec_t ser;
    c_check(wasmtime_module_serialize(cm, &ser), NULL, "serialize");
    c_compile_t cd = {c.engine, {(const uint8_t *)ser.data, ser.size}};
    GROUP(ROW("6", "libwt", "wt_module_deserialize", op_wt_deserialize, &wd, UINT64_MAX),
          ROW("6", "C API", "wasmtime_module_deserialize", op_c_deserialize, &cd, UINT64_MAX));
    TARGET_MS = saved;
    REPS = saved_reps6;
  }

  /* ---- case 7 ---- */
  memset(PLAIN_MEM, 7, sizeof PLAIN_MEM);
  wt_sf_t wmem = {w.store, w.memory};
  c_mem_t cmem = {c.ctx, c.memory};
  GROUP(ROW("7", "libwt", "host: wt_memory_read + wt_memory_write (4 KiB each)", op_wt_mem_rw, &wmem, UINT64_MAX),
        ROW("7", "libwt", "host: wt_memory_data + 2 memcpy", op_wt_mem_data, &wmem, UINT64_MAX),
        ROW("7", "C API", "host: wasmtime_memory_data + 2 memcpy", op_c_mem_rw, &cmem, UINT64_MAX),
        ROW("7", "baseline", "host: 2 plain memcpy of 4 KiB", op_plain_memcpy, NULL, UINT64_MAX),
        ROW("7", "baseline", "host: 2 x wt_memory_size (libwt call overhead)", op_wt_mem_overhead, &wmem, UINT64_MAX));
  /* callback rows: each libwt row sets the mode of the one "mem" callback before its batch */
  wt_mode_loop_t lm_rw = {w.store, w.loop_mem, MEM_RW}, lm_ov = {w.store, w.loop_mem, MEM_OVERHEAD},
                 lm_ge = {w.store, w.loop_mem, MEM_GET_EXPORT};
  c_cf_t clm_c = {c.ctx, c.loop_mem_checked}, clm_u = {c.ctx, c.loop_mem_unchecked};
  GROUP(ROW("7", "libwt", "callback: wt_memory_read + wt_memory_write via caller", op_wt_loop_mode, &lm_rw, INT32_MAX),
        ROW("7", "baseline", "callback: 2 x wt_memory_size via caller (call overhead)", op_wt_loop_mode, &lm_ov, INT32_MAX),
        ROW("7", "libwt", "callback: wt_caller_get_export + read + write + wt_free", op_wt_loop_mode, &lm_ge, INT32_MAX),
        ROW("7", "C API", "callback: caller_export_get + memory_data + 2 memcpy (checked cb)", op_c_loop, &clm_c, INT32_MAX),
        ROW("7", "C API", "callback: caller_export_get + memory_data + 2 memcpy (unchecked cb)", op_c_loop, &clm_u, INT32_MAX));

  /* ---- epoch interruption off (informational, cases 1 and 4) ---- */
  {
    wtw_t w0;
    capi_t c0;
    wtw_init(&w0, calls, small, 0);
    capi_init(&c0, calls, small, 0);
    wt_sf_t a0 = {w0.store, w0.add}, l0 = {w0.store, w0.loop_nop};
    c_cf_t ca0 = {c0.ctx, c0.add}, cl0 = {c0.ctx, c0.loop_nop_unchecked};
    GROUP(ROW("1", "libwt", "wt_call, epoch interruption off", op_wt_add, &a0, UINT64_MAX),
          ROW("1", "C API", "wasmtime_func_call_unchecked, epoch interruption off", op_c_add_unchecked, &ca0, UINT64_MAX));
    GROUP(ROW("4", "libwt", "wt_callback_t, epoch interruption off", op_wt_loop, &l0, INT32_MAX),
          ROW("4", "C API", "wasmtime_func_new_unchecked, epoch interruption off", op_c_loop, &cl0, INT32_MAX));
  }

  /* ---- case 8 ---- */
  bench_threads_all(&w, &c, REPS);

done:;
  char meta[512];
  snprintf(meta, sizeof meta,
           "  \"libwt_version\": \"%s\",\n  \"wasm_bytes\": {\"calls\": %zu, \"small\": %zu, \"compile200\": %zu},\n"
           "  \"live_handles_small\": %zu,\n  \"live_handles_many\": %zu,\n"
           "  \"fine_reps\": %d,\n  \"fine_ms\": %.1f,\n",
           wt_version(), calls.len, small.len, big.len, live_small, live_many,
           getenv("BENCH_QUICK") ? REPS : FINE_REPS, getenv("BENCH_QUICK") ? TARGET_MS : FINE_MS);
  write_json(out, meta);
  fprintf(stderr, "wrote %s\n", out);
  return 0;
}
