/* Lists a module's imports and exports with their types, serializes the
 * compiled module and loads it back without compiling. */
#include "common.h"

static const char WAT[] =
    "(module\n"
    "  (import \"env\" \"log\" (func (param i32 i32)))\n"
    "  (import \"env\" \"mem\" (memory 1))\n"
    "  (global (export \"version\") i32 (i32.const 3))\n"
    "  (func (export \"area\") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1))))\n";

static const char *KINDS[] = {"func", "global", "table", "memory", "tag"};
static const char *TYPES[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref", "anyref"};

static void print_functype(uint64_t ft) {
  size_t n, i;
  int32_t t;
  CHECK(wt_func_param_count(ft, &n));
  printf(" (");
  for (i = 0; i < n; i++) { CHECK(wt_func_param_type(ft, i, &t)); printf("%s%s", i ? ", " : "", TYPES[t]); }
  CHECK(wt_func_result_count(ft, &n));
  printf(") -> (");
  for (i = 0; i < n; i++) { CHECK(wt_func_result_type(ft, i, &t)); printf("%s%s", i ? ", " : "", TYPES[t]); }
  printf(")");
}

static void list(uint64_t module, int32_t imports) {
  size_t n, i, len;
  char a[64], b[64];
  int32_t kind;
  uint64_t ft;
  if (imports) CHECK(wt_module_import_count(module, &n)); else CHECK(wt_module_export_count(module, &n));
  for (i = 0; i < n; i++) {
    if (imports) {
      CHECK(wt_module_import_module(module, i, (uint8_t *)a, sizeof a - 1, &len)); a[len] = 0;
      CHECK(wt_module_import_name(module, i, (uint8_t *)b, sizeof b - 1, &len)); b[len] = 0;
      printf("import %s.%s: ", a, b);
    } else {
      CHECK(wt_module_export_name(module, i, (uint8_t *)b, sizeof b - 1, &len)); b[len] = 0;
      printf("export %s: ", b);
    }
    CHECK(wt_module_item_type(module, imports, i, &kind, &ft));
    printf("%s", KINDS[kind]);
    if (ft) { print_functype(ft); CHECK(wt_free(ft)); }
    printf("\n");
  }
}

int main(void) {
  uint64_t engine, module, bytes, loaded;
  const uint8_t *data;
  size_t len;

  CHECK(wt_engine_new(&engine));
  CHECK(wt_module_from_wat(engine, WAT, strlen(WAT), &module));
  list(module, 1);
  list(module, 0);

  /* Precompiled modules: only load bytes made by wt_module_serialize of the same libwt. */
  CHECK(wt_module_serialize(module, &bytes));
  CHECK(wt_bytes_data(bytes, &data, &len));
  CHECK(wt_module_deserialize(engine, data, len, &loaded));
  printf("serialized %s bytes and loaded them back\n", len > 100 ? "several hundred+" : "few");
  list(loaded, 0);
  if (wt_module_deserialize(engine, (const uint8_t *)"garbage", 7, &loaded) == WT_ERR_COMPILE)
    printf("bad bytes rejected\n");

  CHECK(wt_free(bytes));
  CHECK(wt_free(loaded));
  CHECK(wt_free(module));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
