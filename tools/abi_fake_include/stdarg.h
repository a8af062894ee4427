/* Minimal stand-in for <stdarg.h> (see stddef.h); a va_list parameter is
 * rejected like `...`. */
#ifndef WT_ABI_FAKE_STDARG_H
#define WT_ABI_FAKE_STDARG_H
typedef struct wt_abi_fake_va_list *va_list;
#endif
