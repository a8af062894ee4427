/* Definitions for shim.h: the dlsym'ed pointers, their shims, and the callback glue. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define WTG_DEFINE(ret, name, params, args) \
  static ret (*wtg_p_##name) params; \
  ret wtg_##name params { return wtg_p_##name args; }
WT_FUNCS(WTG_DEFINE)
#undef WTG_DEFINE

char *wtg_load(const char *path) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    const char *e = dlerror();
    return strdup(e != NULL ? e : "dlopen failed");
  }
  /* Resolve into temporaries first so that a failed load leaves a previous
   * successful one untouched. */
#define WTG_TMP(ret, name, params, args) ret (*tmp_##name) params = (ret (*) params)dlsym(lib, #name);
  WT_FUNCS(WTG_TMP)
#undef WTG_TMP
#define WTG_CHECK(ret, name, params, args) \
  if (tmp_##name == NULL) { \
    dlclose(lib); \
    return strdup("symbol " #name " not found: not a compatible libwt"); \
  }
  WT_FUNCS(WTG_CHECK)
#undef WTG_CHECK
#define WTG_SET(ret, name, params, args) wtg_p_##name = tmp_##name;
  WT_FUNCS(WTG_SET)
#undef WTG_SET
  return NULL;
}

/* Exported from callback.go. env is a runtime/cgo.Handle, never a Go pointer. */
extern int32_t wtGoTrampoline(uintptr_t env, uint64_t caller, uint64_t *args, size_t nargs,
                              uint64_t *results, size_t nresults);
extern void wtGoFinalize(uintptr_t env);

/* The one native callback handed to libwt for every Go host function. */
static int32_t wtg_callback(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                            uint64_t *results, size_t nresults) {
  return wtGoTrampoline((uintptr_t)env, caller, (uint64_t *)args, nargs, results, nresults);
}

static void wtg_finalizer(void *env) { wtGoFinalize((uintptr_t)env); }

int32_t wtg_go_callback_new(uint64_t functype, uintptr_t env, uint64_t *out_callback) {
  return wtg_p_wt_callback_new(functype, wtg_callback, (void *)env, wtg_finalizer, out_callback);
}

static __thread uintptr_t wtg_tls_cause;
static __thread uintptr_t wtg_tls_pins;

uintptr_t wtg_swap_cause(uintptr_t v) {
  uintptr_t o = wtg_tls_cause;
  wtg_tls_cause = v;
  return o;
}

uintptr_t wtg_swap_pins(uintptr_t v) {
  uintptr_t o = wtg_tls_pins;
  wtg_tls_pins = v;
  return o;
}
