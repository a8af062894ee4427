/* Shared helpers for the libwt C examples. */
#ifndef WT_EXAMPLES_COMMON_H
#define WT_EXAMPLES_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt.h"

/* Aborts the example with the status and libwt's message when a call fails. */
#define CHECK(call)                                                                   \
  do {                                                                                \
    int32_t st_ = (call);                                                             \
    if (st_ != WT_OK) {                                                               \
      fprintf(stderr, "%s:%d: %s failed (status %d): %s\n", __FILE__, __LINE__, #call, \
              st_, wt_error_message());                                               \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

/* Compiles WAT, instantiates it with `linker` in `store`, returns the instance. */
static inline uint64_t instantiate_wat(uint64_t engine, uint64_t linker, uint64_t store,
                                       const char *wat) {
  uint64_t module, instance;
  CHECK(wt_module_from_wat(engine, wat, strlen(wat), &module));
  CHECK(wt_linker_instantiate(linker, store, module, &instance));
  CHECK(wt_free(module));
  return instance;
}

static inline uint64_t get_func(uint64_t store, uint64_t instance, const char *name) {
  uint64_t f;
  CHECK(wt_instance_get_func(store, instance, name, strlen(name), &f));
  return f;
}

#endif
