"""Self-tests of tools/abi_check.py: every rule must reject a header that
breaks it and accept the shapes libwt uses. Run by `make test-abi`:
    build/venv/bin/python -m unittest discover -s tools -p test_abi_check.py
"""

import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abi_check  # noqa: E402

CC = os.environ.get("CC", "cc")

PRELUDE = """\
#include <stddef.h>
#include <stdint.h>
typedef int32_t (*wt_callback_t)(void *env, uint64_t caller, const uint64_t *args,
                                 size_t nargs, uint64_t *results, size_t nresults);
typedef void (*wt_finalizer_t)(void *env);
int32_t wt_free(uint64_t handle);
"""


def check(body: str):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "wt.h")
        with open(path, "w", encoding="utf-8") as f:
            f.write(PRELUDE + textwrap.dedent(body))
        return abi_check.check(path, CC)


class AbiCheckTest(unittest.TestCase):
    def assert_rejected(self, body: str, *needles: str):
        report = check(body)
        text = "\n".join(report.errors)
        self.assertTrue(report.errors, "accepted:\n" + body)
        for n in needles:
            self.assertIn(n, text)

    def test_libwt_shapes_are_accepted(self):
        report = check("""
            const char *wt_version(void);
            size_t wt_handle_count(void);
            int32_t wt_callback_new(uint64_t functype, wt_callback_t callback, void *env,
                                    wt_finalizer_t finalizer, uint64_t *out_callback);
            int32_t wt_memory_data(uint64_t store, uint64_t memory, uint8_t **out_data, size_t *out_len);
            int32_t wt_eight(uint64_t a, uint64_t b, const char *c, size_t d, const char *e,
                             size_t f, uint64_t g, double h);
            void wt_nothing(uint32_t a, int64_t b);
            struct wt_opaque;
            int32_t wt_opaque_ptr(struct wt_opaque *p, const struct wt_opaque *q);
            enum { WT_SOMETHING = 1 };
        """)
        self.assertEqual(report.errors, [])
        self.assertEqual(len(report.functions), 8)  # 7 + wt_free
        self.assertEqual(list(report.callback_types), ["int32_t (*)(void *, uint64_t, const uint64_t *, size_t, uint64_t *, size_t)"])
        self.assertEqual(report.finalizer_types, ["wt_finalizer_t"])

    def test_struct_by_value(self):
        self.assert_rejected("struct pair { int32_t a, b; };\nint32_t wt_f(struct pair p);",
                             "wt_f", "struct pair by value")

    def test_struct_return_through_typedef(self):
        self.assert_rejected("typedef struct { int32_t a; } pair_t;\npair_t wt_f(void);",
                             "return type", "by value", "pair_t")

    def test_union_by_value(self):
        self.assert_rejected("union u { int32_t a; double b; };\nint32_t wt_f(union u v);",
                             "union u by value")

    def test_varargs(self):
        self.assert_rejected("int32_t wt_f(int32_t n, ...);", "varargs")

    def test_va_list(self):
        self.assert_rejected("int32_t wt_f(int32_t n, va_list ap);", "va_list")

    def test_bool_param(self):
        self.assert_rejected("int32_t wt_f(bool on);", "bool")

    def test_bool_return(self):
        self.assert_rejected("bool wt_f(void);", "return type", "bool")

    def test_enum_param(self):
        self.assert_rejected("enum mode { A, B };\nint32_t wt_f(enum mode m);", "enum mode")

    def test_enum_typedef_param(self):
        self.assert_rejected("typedef enum { A, B } mode_t2;\nint32_t wt_f(mode_t2 m);", "enum", "mode_t2")

    def test_other_scalars(self):
        self.assert_rejected("int32_t wt_f(int a);", "'int'")
        self.assert_rejected("int32_t wt_f(float a);", "'float'")
        self.assert_rejected("uint8_t wt_f(void);", "'uint8_t'")

    def test_nine_params(self):
        self.assert_rejected(
            "int32_t wt_f(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,"
            " uint64_t f, uint64_t g, uint64_t h, uint64_t i);",
            "9 parameters")

    def test_unprototyped(self):
        self.assert_rejected("int32_t wt_f();", "unprototyped")

    def test_second_callback_typedef(self):
        self.assert_rejected(
            "typedef int32_t (*wt_other_cb)(void *env, uint64_t x);\n"
            "int32_t wt_f(wt_other_cb cb);",
            "2 host-callback function-pointer types", "wt_other_cb")

    def test_second_callback_inline(self):
        self.assert_rejected("int32_t wt_f(void (*cb)(uint64_t));",
                             "2 host-callback", "void (*)(uint64_t)")

    def test_finalizer_name_does_not_excuse_another_signature(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "wt.h")
            with open(path, "w", encoding="utf-8") as f:
                f.write("#include <stdint.h>\n"
                        "typedef int32_t (*wt_callback_t)(void *env, uint64_t caller);\n"
                        "typedef void (*wt_finalizer_t)(void *env, uint64_t extra);\n"
                        "int32_t wt_f(wt_callback_t a, wt_finalizer_t b);\n")
            report = abi_check.check(path, CC)
        self.assertTrue(any("2 host-callback" in e for e in report.errors), report.errors)

    def test_callback_signature_follows_the_rules(self):
        self.assert_rejected("typedef int32_t (*wt_callback2_t)(bool x);", "callback type", "bool")

    def test_static_inline_body(self):
        self.assert_rejected("static inline int32_t wt_f(void) { return 0; }", "function body")


if __name__ == "__main__":
    unittest.main()
