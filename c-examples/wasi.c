/* Runs a WASI (preview 1) guest: it prints a greeting and its first argument,
 * echoes stdin to stderr and exits with code 3. stdout and stderr are captured. */
#include "common.h"

static const char WAT[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\" (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_read\" (func $fd_read (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"args_sizes_get\" (func $sizes (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"args_get\" (func $args (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 8) \"hello from wasi, \")\n"
    "  (func $write (param $fd i32) (param $ptr i32) (param $len i32)\n"
    "    (i32.store (i32.const 0) (local.get $ptr)) (i32.store (i32.const 4) (local.get $len))\n"
    "    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 200))))\n"
    "  (func (export \"_start\")\n"
    "    (call $write (i32.const 1) (i32.const 8) (i32.const 17))\n"
    "    (drop (call $sizes (i32.const 300) (i32.const 304)))\n"
    "    (drop (call $args (i32.const 400) (i32.const 500)))\n"
    "    (call $write (i32.const 1) (i32.load (i32.const 404))\n"
    "      (i32.sub (i32.sub (i32.load (i32.const 304))\n"
    "        (i32.sub (i32.load (i32.const 404)) (i32.load (i32.const 400)))) (i32.const 1)))\n"
    "    (i32.store (i32.const 0) (i32.const 1000)) (i32.store (i32.const 4) (i32.const 100))\n"
    "    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 208)))\n"
    "    (call $write (i32.const 2) (i32.const 1000) (i32.load (i32.const 208)))\n"
    "    (call $exit (i32.const 3))))\n";

static void print_captured(uint64_t store, int32_t which, const char *label) {
  uint64_t out;
  const uint8_t *data;
  size_t len;
  CHECK(wt_store_wasi_output(store, which, &out));
  CHECK(wt_bytes_data(out, &data, &len));
  printf("%s: %.*s\n", label, (int)len, (const char *)data);
  CHECK(wt_free(out));
}

int main(void) {
  uint64_t engine, store, linker, wasi, instance;
  int32_t st;
  const char *input = "piped stdin";

  CHECK(wt_engine_new(&engine));
  CHECK(wt_wasi_config_new(&wasi));
  CHECK(wt_wasi_config_add_arg(wasi, "prog", 4));
  CHECK(wt_wasi_config_add_arg(wasi, "World", 5));
  CHECK(wt_wasi_config_add_env(wasi, "LANG", 4, "C", 1));
  CHECK(wt_wasi_config_set_stdin_bytes(wasi, (const uint8_t *)input, strlen(input)));
  CHECK(wt_wasi_config_set_stdout(wasi, WT_STDIO_CAPTURE));
  CHECK(wt_wasi_config_set_stderr(wasi, WT_STDIO_CAPTURE));
  if (wt_wasi_config_preopen_dir(wasi, "/no/such/dir", 12, "/data", 5, 1) == WT_ERR_IO)
    printf("missing preopen: %s\n", wt_error_message());

  CHECK(wt_store_new(engine, &store));
  CHECK(wt_store_set_wasi(store, wasi));
  CHECK(wt_linker_new(engine, &linker));
  CHECK(wt_linker_define_wasi(linker));
  instance = instantiate_wat(engine, linker, store, WAT);

  st = wt_call(store, get_func(store, instance, "_start"), NULL, 0, NULL, 0);
  if (st == WT_ERR_EXIT) printf("guest exited with code %d\n", wt_error_exit_code());
  else CHECK(st);
  print_captured(store, 1, "stdout");
  print_captured(store, 2, "stderr");

  CHECK(wt_free(store));
  CHECK(wt_free(linker));
  CHECK(wt_free(wasi));
  CHECK(wt_free(engine));
  printf("live handles after cleanup: %zu\n", wt_handle_count());
  return wt_handle_count() == 0 ? 0 : 1;
}
