/* The hello world of libwt: a wasm export calls a host function written in C. */
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
    "  (import \"\" \"hello\" (func $hello))\n"
    "  (func (export \"run\") (call $hello)))\n";

/* The one callback type: env is whatever we passed at definition time. */
static int32_t hello(void *env, uint64_t caller, const uint64_t *args, size_t nargs,
                     uint64_t *results, size_t nresults) {
  (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
  printf("Hello, %s! (from a host callback)\n", (const char *)env);
  return 0;
}

int main(void) {
  uint64_t engine, store, module, linker, functype, instance, run;
  printf("libwt %s\n", wt_version());

  CHECK(wt_engine_new(&engine));
  CHECK(wt_store_new(engine, &store));
  CHECK(wt_module_from_wat(engine, WAT, strlen(WAT), &module));
  CHECK(wt_linker_new(engine, &linker));

  CHECK(wt_functype_new(NULL, 0, NULL, 0, &functype)); /* () -> () */
  CHECK(wt_linker_define_callback(linker, "", 0, "hello", 5, functype, hello, (void *)"World"));

  CHECK(wt_linker_instantiate(linker, store, module, &instance));
  CHECK(wt_instance_get_func(store, instance, "run", 3, &run));
  CHECK(wt_call(store, run, NULL, 0, NULL, 0));

  /* Free in any order: the store frees its instance and func handles. */
  CHECK(wt_free(engine));
  CHECK(wt_free(module));
  CHECK(wt_free(store));
  CHECK(wt_free(functype));
  CHECK(wt_free(linker));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
