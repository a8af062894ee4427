"""Self-tests of tools/gen_api_docs.py (stdlib only). Run by `make test-api-docs`:
    python3 -m unittest discover -s tools -p test_gen_api_docs.py
"""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_api_docs as g  # noqa: E402

GOOD = """\
/* file comment, not documentation */
#ifndef WT_H
#define WT_H
#include <stdint.h>

/**
 * Success.
 */
#define WT_OK 0

/**
 * The handle is bad.
 */
#define WT_ERR_BAD_HANDLE 1

/**
 * Handle kind: store.
 */
#define WT_KIND_STORE 3

/**
 * The callback.
 */
typedef int32_t (*wt_callback_t)(void *env, uint64_t caller);

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Frees a handle.
 * Statuses: `WT_ERR_BAD_HANDLE`.
 *
 * # Safety
 * None needed.
 */
int32_t wt_free(uint64_t handle);

/**
 * Reads memory. Statuses: as `wt_free`.
 */
int32_t wt_memory_read(uint64_t store,
                       uint64_t memory);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* WT_H */
"""


def run(header_text, *extra, out_text=None):
    with tempfile.TemporaryDirectory() as tmp:
        header = os.path.join(tmp, "wt.h")
        out = os.path.join(tmp, "api.md")
        with open(header, "w") as f:
            f.write(header_text)
        if out_text is not None:
            with open(out, "w") as f:
                f.write(out_text)
        stdout, stderr = io.StringIO(), io.StringIO()
        guidance = dict(g.STATUS_GUIDANCE)
        try:
            # The fixture defines only two status codes.
            g.STATUS_GUIDANCE.clear()
            g.STATUS_GUIDANCE.update({k: guidance[k] for k in ("WT_OK", "WT_ERR_BAD_HANDLE")})
            with redirect_stdout(stdout), redirect_stderr(stderr):
                rc = g.main(["--header", header, "--out", out, *extra])
        finally:
            g.STATUS_GUIDANCE.clear()
            g.STATUS_GUIDANCE.update(guidance)
        md = None
        if os.path.exists(out):
            with open(out) as f:
                md = f.read()
        return rc, md, stdout.getvalue() + stderr.getvalue()


class GenApiDocsTest(unittest.TestCase):
    def test_parses_every_kind_of_item(self):
        items, problems = g.parse_header(GOOD)
        self.assertEqual(problems, [])
        self.assertEqual([(i.kind, i.name) for i in items], [
            ("constant", "WT_OK"), ("constant", "WT_ERR_BAD_HANDLE"), ("constant", "WT_KIND_STORE"),
            ("type", "wt_callback_t"), ("function", "wt_free"), ("function", "wt_memory_read")])
        self.assertTrue(all(i.doc for i in items))

    def test_generates_grouped_docs_with_status_paragraphs(self):
        rc, md, log = run(GOOD)
        self.assertEqual(rc, 0, log)
        self.assertIn("## Status codes and error messages", md)
        self.assertIn("### WT_ERR_BAD_HANDLE (1)", md)
        self.assertIn("**When it happens.**", md)
        self.assertIn("**What to do.**", md)
        self.assertIn("`wt_memory_read`", md)  # returned by, through "as `wt_free`"
        self.assertIn("## Handles", md)
        self.assertIn("## Memories", md)
        self.assertIn("**Safety:**", md)
        self.assertNotIn("# Safety", md)
        self.assertIn("int32_t wt_memory_read(uint64_t store, uint64_t memory);", md)

    def test_check_passes_when_fresh_and_fails_when_stale(self):
        _, md, _ = run(GOOD)
        rc, _, log = run(GOOD, "--check", out_text=md)
        self.assertEqual(rc, 0, log)
        rc, _, log = run(GOOD, "--check", out_text=md.replace("Frees a handle.", "Frees."))
        self.assertEqual(rc, 1)
        self.assertIn("stale", log)
        rc, _, log = run(GOOD, "--check")  # no docs/api.md at all
        self.assertEqual(rc, 1)

    def test_missing_doc_comments_fail(self):
        for before, after, name in [
            ("/**\n * Reads memory. Statuses: as `wt_free`.\n */\n", "", "wt_memory_read"),
            ("/**\n * Handle kind: store.\n */\n", "", "WT_KIND_STORE"),
            ("/**\n * The callback.\n */\n", "/* not a doc comment */\n", "wt_callback_t"),
        ]:
            text = GOOD.replace(before, after)
            self.assertNotEqual(text, GOOD)
            rc, _, log = run(text)
            self.assertEqual(rc, 1, name)
            self.assertIn("`%s` has no doc comment" % name, log)
            _, md, _ = run(GOOD)
            rc, _, log = run(text, "--check", out_text=md)
            self.assertEqual(rc, 1)
            self.assertIn("`%s` has no doc comment" % name, log)

    def test_status_without_guidance_fails(self):
        text = GOOD.replace("#define WT_KIND_STORE 3",
                            "#define WT_KIND_STORE 3\n\n/**\n * New code.\n */\n#define WT_ERR_NEW 42")
        rc, _, log = run(text)
        self.assertEqual(rc, 1)
        self.assertIn("WT_ERR_NEW has no 'when it happens / what to do' entry", log)

    def test_real_header_is_fully_documented(self):
        with open(os.path.join(g.ROOT, "include", "wt.h")) as f:
            items, problems = g.parse_header(f.read())
        self.assertEqual(problems, [])
        self.assertEqual(g.problems_of(items, "include/wt.h"), [])
        self.assertTrue(any(i.name == "wt_call" for i in items))


if __name__ == "__main__":
    unittest.main()
