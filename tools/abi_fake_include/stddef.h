/* Minimal stand-in for <stddef.h>, used only by tools/abi_check.py so that
 * pycparser sees plain C (no compiler extensions) after `cc -E -nostdinc`. */
#ifndef WT_ABI_FAKE_STDDEF_H
#define WT_ABI_FAKE_STDDEF_H
typedef unsigned long size_t;
typedef long ptrdiff_t;
typedef int wchar_t;
#define NULL ((void *)0)
#define offsetof(t, m) ((size_t)&((t *)0)->m)
#endif
