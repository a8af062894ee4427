/*
 * The C side of the Go binding of libwt (declarations; definitions in shim.c).
 *
 * libwt is opened at run time with dlopen and every function of include/wt.h
 * is resolved with dlsym into a function pointer; Go calls each one through a
 * shim wtg_<name> (cgo cannot call a C function pointer directly). Nothing
 * links against libwt at build time.
 */
#ifndef WT_GO_SHIM_H
#define WT_GO_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* The two function-pointer types of include/wt.h. */
typedef int32_t (*wt_callback_t)(void *env, uint64_t caller, const uint64_t *args, size_t nargs, uint64_t *results, size_t nresults);
typedef void (*wt_finalizer_t)(void *env);

/*
 * Every function of include/wt.h as X(return type, name, (parameters), (argument names)).
 * The prototypes are copied verbatim from the header; header_test.go checks
 * that each one still matches include/wt.h.
 */
#define WT_FUNCS(X) \
  X(const char *, wt_version, (void), ()) \
  X(int32_t, wt_free, (uint64_t handle), (handle)) \
  X(int32_t, wt_handle_kind, (uint64_t handle, int32_t *out_kind), (handle, out_kind)) \
  X(size_t, wt_handle_count, (void), ()) \
  X(int32_t, wt_caller_get_export, (uint64_t caller, const char *name, size_t name_len, uint64_t *out_handle, int32_t *out_kind), (caller, name, name_len, out_handle, out_kind)) \
  X(int32_t, wt_config_new, (uint64_t *out_config), (out_config)) \
  X(int32_t, wt_config_set_opt_level, (uint64_t config, int32_t level), (config, level)) \
  X(int32_t, wt_config_set_debug_info, (uint64_t config, int32_t on), (config, on)) \
  X(int32_t, wt_config_set_consume_fuel, (uint64_t config, int32_t on), (config, on)) \
  X(int32_t, wt_config_set_epoch_interruption, (uint64_t config, int32_t on), (config, on)) \
  X(int32_t, wt_config_set_feature, (uint64_t config, int32_t feature, int32_t on), (config, feature, on)) \
  X(int32_t, wt_config_set_parallel_compilation, (uint64_t config, int32_t on), (config, on)) \
  X(int32_t, wt_config_set_max_wasm_stack, (uint64_t config, size_t bytes), (config, bytes)) \
  X(int32_t, wt_config_set_cache_dir, (uint64_t config, const char *dir, size_t dir_len), (config, dir, dir_len)) \
  X(int32_t, wt_engine_new, (uint64_t *out_engine), (out_engine)) \
  X(int32_t, wt_engine_new_with_config, (uint64_t config, uint64_t *out_engine), (config, out_engine)) \
  X(int32_t, wt_engine_increment_epoch, (uint64_t engine), (engine)) \
  X(const char *, wt_error_message, (void), ()) \
  X(size_t, wt_error_message_len, (void), ()) \
  X(size_t, wt_error_message_copy, (char *buf, size_t cap), (buf, cap)) \
  X(int32_t, wt_error_status, (void), ()) \
  X(int32_t, wt_error_trap_code, (void), ()) \
  X(int32_t, wt_error_exit_code, (void), ()) \
  X(int32_t, wt_call, (uint64_t store, uint64_t func, const uint64_t *args, size_t nargs, uint64_t *results, size_t nresults), (store, func, args, nargs, results, nresults)) \
  X(int32_t, wt_callback_new, (uint64_t functype, wt_callback_t callback, void *env, wt_finalizer_t finalizer, uint64_t *out_callback), (functype, callback, env, finalizer, out_callback)) \
  X(int32_t, wt_func_new, (uint64_t store, uint64_t callback, uint64_t *out_func), (store, callback, out_func)) \
  X(int32_t, wt_caller_set_error, (uint64_t caller, const char *msg, size_t len), (caller, msg, len)) \
  X(int32_t, wt_global_get, (uint64_t store, uint64_t global, uint64_t *out_value), (store, global, out_value)) \
  X(int32_t, wt_global_set, (uint64_t store, uint64_t global, uint64_t value), (store, global, value)) \
  X(int32_t, wt_global_type, (uint64_t store, uint64_t global, int32_t *out_type, int32_t *out_mutable), (store, global, out_type, out_mutable)) \
  X(int32_t, wt_instance_get_func, (uint64_t store, uint64_t instance, const char *name, size_t name_len, uint64_t *out_func), (store, instance, name, name_len, out_func)) \
  X(int32_t, wt_instance_get_memory, (uint64_t store, uint64_t instance, const char *name, size_t name_len, uint64_t *out_memory), (store, instance, name, name_len, out_memory)) \
  X(int32_t, wt_instance_get_global, (uint64_t store, uint64_t instance, const char *name, size_t name_len, uint64_t *out_global), (store, instance, name, name_len, out_global)) \
  X(int32_t, wt_instance_get_table, (uint64_t store, uint64_t instance, const char *name, size_t name_len, uint64_t *out_table), (store, instance, name, name_len, out_table)) \
  X(int32_t, wt_instance_get_export, (uint64_t store, uint64_t instance, const char *name, size_t name_len, uint64_t *out_handle, int32_t *out_kind), (store, instance, name, name_len, out_handle, out_kind)) \
  X(int32_t, wt_instance_export_count, (uint64_t store, uint64_t instance, size_t *out_count), (store, instance, out_count)) \
  X(int32_t, wt_instance_export_name, (uint64_t store, uint64_t instance, size_t index, uint8_t *buf, size_t cap, size_t *out_len, int32_t *out_kind), (store, instance, index, buf, cap, out_len, out_kind)) \
  X(int32_t, wt_linker_new, (uint64_t engine, uint64_t *out_linker), (engine, out_linker)) \
  X(int32_t, wt_linker_allow_shadowing, (uint64_t linker, int32_t on), (linker, on)) \
  X(int32_t, wt_linker_define_callback, (uint64_t linker, const char *module, size_t module_len, const char *name, size_t name_len, uint64_t functype, wt_callback_t callback, void *env), (linker, module, module_len, name, name_len, functype, callback, env)) \
  X(int32_t, wt_linker_define_func, (uint64_t linker, const char *module, size_t module_len, const char *name, size_t name_len, uint64_t callback), (linker, module, module_len, name, name_len, callback)) \
  X(int32_t, wt_linker_define, (uint64_t linker, uint64_t store, const char *module, size_t module_len, const char *name, size_t name_len, uint64_t item), (linker, store, module, module_len, name, name_len, item)) \
  X(int32_t, wt_linker_define_instance, (uint64_t linker, uint64_t store, const char *name, size_t name_len, uint64_t instance), (linker, store, name, name_len, instance)) \
  X(int32_t, wt_linker_instantiate, (uint64_t linker, uint64_t store, uint64_t module, uint64_t *out_instance), (linker, store, module, out_instance)) \
  X(int32_t, wt_memory_size, (uint64_t store, uint64_t memory, uint64_t *out_bytes), (store, memory, out_bytes)) \
  X(int32_t, wt_memory_pages, (uint64_t store, uint64_t memory, uint64_t *out_pages), (store, memory, out_pages)) \
  X(int32_t, wt_memory_grow, (uint64_t store, uint64_t memory, uint64_t delta_pages, uint64_t *out_old_pages), (store, memory, delta_pages, out_old_pages)) \
  X(int32_t, wt_memory_read, (uint64_t store, uint64_t memory, uint64_t offset, uint8_t *buf, size_t len), (store, memory, offset, buf, len)) \
  X(int32_t, wt_memory_write, (uint64_t store, uint64_t memory, uint64_t offset, const uint8_t *buf, size_t len), (store, memory, offset, buf, len)) \
  X(int32_t, wt_memory_data, (uint64_t store, uint64_t memory, uint8_t **out_data, size_t *out_len), (store, memory, out_data, out_len)) \
  X(int32_t, wt_wat2wasm, (const char *wat, size_t wat_len, uint64_t *out_bytes), (wat, wat_len, out_bytes)) \
  X(int32_t, wt_bytes_data, (uint64_t bytes, const uint8_t **out_data, size_t *out_len), (bytes, out_data, out_len)) \
  X(int32_t, wt_bytes_new, (const uint8_t *data, size_t len, uint64_t *out_bytes), (data, len, out_bytes)) \
  X(int32_t, wt_module_from_wat, (uint64_t engine, const char *wat, size_t wat_len, uint64_t *out_module), (engine, wat, wat_len, out_module)) \
  X(int32_t, wt_module_from_wasm, (uint64_t engine, const uint8_t *wasm, size_t wasm_len, uint64_t *out_module), (engine, wasm, wasm_len, out_module)) \
  X(int32_t, wt_module_validate, (uint64_t engine, const uint8_t *wasm, size_t wasm_len), (engine, wasm, wasm_len)) \
  X(int32_t, wt_module_serialize, (uint64_t module, uint64_t *out_bytes), (module, out_bytes)) \
  X(int32_t, wt_module_deserialize, (uint64_t engine, const uint8_t *data, size_t len, uint64_t *out_module), (engine, data, len, out_module)) \
  X(int32_t, wt_module_import_count, (uint64_t module, size_t *out_count), (module, out_count)) \
  X(int32_t, wt_module_export_count, (uint64_t module, size_t *out_count), (module, out_count)) \
  X(int32_t, wt_module_import_module, (uint64_t module, size_t index, uint8_t *buf, size_t cap, size_t *out_len), (module, index, buf, cap, out_len)) \
  X(int32_t, wt_module_import_name, (uint64_t module, size_t index, uint8_t *buf, size_t cap, size_t *out_len), (module, index, buf, cap, out_len)) \
  X(int32_t, wt_module_export_name, (uint64_t module, size_t index, uint8_t *buf, size_t cap, size_t *out_len), (module, index, buf, cap, out_len)) \
  X(int32_t, wt_module_item_type, (uint64_t module, int32_t is_import, size_t index, int32_t *out_kind, uint64_t *out_functype), (module, is_import, index, out_kind, out_functype)) \
  X(int32_t, wt_module_item_global_type, (uint64_t module, int32_t is_import, size_t index, int32_t *out_type, int32_t *out_mutable), (module, is_import, index, out_type, out_mutable)) \
  X(int32_t, wt_module_item_memory_type, (uint64_t module, int32_t is_import, size_t index, uint64_t *out_min_pages, uint64_t *out_max_pages, int32_t *out_is_64), (module, is_import, index, out_min_pages, out_max_pages, out_is_64)) \
  X(int32_t, wt_module_item_table_type, (uint64_t module, int32_t is_import, size_t index, int32_t *out_elem_type, uint64_t *out_min, uint64_t *out_max), (module, is_import, index, out_elem_type, out_min, out_max)) \
  X(int32_t, wt_store_new, (uint64_t engine, uint64_t *out_store), (engine, out_store)) \
  X(int32_t, wt_store_set_fuel, (uint64_t store, uint64_t fuel), (store, fuel)) \
  X(int32_t, wt_store_get_fuel, (uint64_t store, uint64_t *out_fuel), (store, out_fuel)) \
  X(int32_t, wt_store_set_timeout_ms, (uint64_t store, uint64_t ms), (store, ms)) \
  X(int32_t, wt_store_interrupt, (uint64_t store), (store)) \
  X(int32_t, wt_store_set_limits, (uint64_t store, uint64_t memory_bytes, uint64_t table_elements, int32_t trap_on_grow_failure), (store, memory_bytes, table_elements, trap_on_grow_failure)) \
  X(int32_t, wt_store_gc, (uint64_t store), (store)) \
  X(int32_t, wt_table_size, (uint64_t store, uint64_t table, uint64_t *out_size), (store, table, out_size)) \
  X(int32_t, wt_table_type, (uint64_t store, uint64_t table, int32_t *out_type), (store, table, out_type)) \
  X(int32_t, wt_table_get, (uint64_t store, uint64_t table, uint64_t index, uint64_t *out_value), (store, table, index, out_value)) \
  X(int32_t, wt_table_set, (uint64_t store, uint64_t table, uint64_t index, uint64_t value), (store, table, index, value)) \
  X(int32_t, wt_table_grow, (uint64_t store, uint64_t table, uint64_t delta, uint64_t init, uint64_t *out_old_size), (store, table, delta, init, out_old_size)) \
  X(int32_t, wt_functype_new, (const int32_t *params, size_t nparams, const int32_t *results, size_t nresults, uint64_t *out_functype), (params, nparams, results, nresults, out_functype)) \
  X(int32_t, wt_func_param_count, (uint64_t func, size_t *out_count), (func, out_count)) \
  X(int32_t, wt_func_result_count, (uint64_t func, size_t *out_count), (func, out_count)) \
  X(int32_t, wt_func_param_type, (uint64_t func, size_t index, int32_t *out_type), (func, index, out_type)) \
  X(int32_t, wt_func_result_type, (uint64_t func, size_t index, int32_t *out_type), (func, index, out_type)) \
  X(int32_t, wt_wasi_config_new, (uint64_t *out_config), (out_config)) \
  X(int32_t, wt_wasi_config_add_arg, (uint64_t config, const char *arg, size_t len), (config, arg, len)) \
  X(int32_t, wt_wasi_config_add_env, (uint64_t config, const char *key, size_t key_len, const char *value, size_t value_len), (config, key, key_len, value, value_len)) \
  X(int32_t, wt_wasi_config_set_stdin_bytes, (uint64_t config, const uint8_t *data, size_t len), (config, data, len)) \
  X(int32_t, wt_wasi_config_inherit_stdin, (uint64_t config), (config)) \
  X(int32_t, wt_wasi_config_set_stdout, (uint64_t config, int32_t stdio_mode), (config, stdio_mode)) \
  X(int32_t, wt_wasi_config_set_stderr, (uint64_t config, int32_t stdio_mode), (config, stdio_mode)) \
  X(int32_t, wt_wasi_config_preopen_dir, (uint64_t config, const char *host_path, size_t host_len, const char *guest_path, size_t guest_len, int32_t read_only), (config, host_path, host_len, guest_path, guest_len, read_only)) \
  X(int32_t, wt_store_set_wasi, (uint64_t store, uint64_t config), (store, config)) \
  X(int32_t, wt_store_wasi_output, (uint64_t store, int32_t which, uint64_t *out_bytes), (store, which, out_bytes)) \
  X(int32_t, wt_linker_define_wasi, (uint64_t linker), (linker))

/* One shim per function: wtg_wt_free(handle) calls libwt's wt_free(handle). */
#define WTG_DECLARE_SHIM(ret, name, params, args) ret wtg_##name params;
WT_FUNCS(WTG_DECLARE_SHIM)
#undef WTG_DECLARE_SHIM

/* Opens the library and resolves every symbol. Returns NULL on success, else
 * a malloc'ed message that the caller frees. Not thread-safe (Go serialises it). */
char *wtg_load(const char *path);

/* wt_callback_new with the Go trampoline and env finalizer; env is a cgo.Handle. */
int32_t wtg_go_callback_new(uint64_t functype, uintptr_t env, uint64_t *out_callback);

/* Per-thread slots through which a host callback hands Go values (as
 * cgo.Handles) to the Go code that made the wasm call on the same thread:
 * the Go error of a failed host function, and the objects its results refer
 * to. Each swaps in a new value and returns the old one. */
uintptr_t wtg_swap_cause(uintptr_t v);
uintptr_t wtg_swap_pins(uintptr_t v);

#endif
