/* Minimal stand-in for <stdbool.h> (see stddef.h). abi_check.py always
 * includes it first, so a `bool` in wt.h is seen (and rejected) as _Bool. */
#ifndef WT_ABI_FAKE_STDBOOL_H
#define WT_ABI_FAKE_STDBOOL_H
#define bool _Bool
#define true 1
#define false 0
#endif
