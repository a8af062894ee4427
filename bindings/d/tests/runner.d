/**
 * Test runner for the libwt D binding (build with `ldc2 -unittest`).
 *
 * Runs every `unittest` block of the modules listed below one by one, in
 * order, printing one line per test and a closing "N passed, N failed" line;
 * exits non-zero if any failed. The library comes from `WT_LIBRARY` (else
 * `libwt.so` through the loader path). An optional argument filters tests by
 * a substring of their name.
 */
module runner;

import core.runtime : Runtime, UnitTestResult;
import std.algorithm : canFind;
import std.meta : AliasSeq;
import std.stdio : stderr, stdout, writefln, writeln;

import wt;

static import wt.values;
static import test_basics;
static import test_errors;
static import test_embedding;
static import test_gc;

alias testedModules = AliasSeq!(wt.values, test_basics, test_errors, test_embedding, test_gc);

shared static this()
{
    // Do not let druntime run the unittests before main: main runs them one
    // by one so that a failure does not hide the tests after it.
    Runtime.extendedModuleUnitTester = () => UnitTestResult(0, 0, true, false);
}

int main(string[] args)
{
    const filter = args.length > 1 ? args[1] : null;
    if (const st = loadWt())
    {
        stderr.writefln("cannot load libwt (%s): %s", cast(WtLoadStatus) st, wtLoadError());
        return 2;
    }
    writefln("libwt %s, D binding tests", wtVersion());
    size_t passed, failed;
    static foreach (M; testedModules)
    {
        foreach (test; __traits(getUnitTests, M))
        {{
            string name = __traits(identifier, M) ~ ": ";
            static foreach (attr; __traits(getAttributes, test))
                static if (is(typeof(attr) : string))
                    name ~= attr;
            if (filter is null || name.canFind(filter))
            {
                try
                {
                    test();
                    passed++;
                    writeln("ok   ", name);
                }
                catch (Throwable t)
                {
                    failed++;
                    writeln("FAIL ", name);
                    writeln(t);
                }
                stdout.flush();
            }
        }}
    }
    writefln("%s passed, %s failed", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
