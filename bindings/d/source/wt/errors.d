/**
 * libwt statuses as D exceptions.
 *
 * Every failing libwt call becomes a `WtException` carrying the status and
 * the message of `wt_error_message()`. Traps (including interruption and
 * running out of fuel) are `TrapException`s with the `WT_TRAP_*` code; a
 * failing host function is a `HostException` that carries what the D host
 * function threw; a WASI `proc_exit` is an `ExitException`.
 */
module wt.errors;

import wt.c;

/// A failed libwt call: `status` is the `WT_ERR_*` code, `msg` libwt's message.
class WtException : Exception
{
    /// The `WT_ERR_*` status code.
    immutable int status;

    ///
    this(int status, string message, string file = __FILE__, size_t line = __LINE__,
            Throwable next = null) pure nothrow @safe
    {
        this.status = status;
        super(message, file, line, next);
    }

    /// The name of the status ("WT_ERR_TRAP", ...).
    @property string statusName() const pure nothrow @safe @nogc
    {
        return wtStatusName(status);
    }

    alias toString = Exception.toString;

    /// "wt.errors.TrapException (WT_ERR_TRAP): message"
    override void toString(scope void delegate(in char[]) sink) const
    {
        sink(typeid(this).name);
        sink(" (");
        sink(statusName);
        sink("): ");
        sink(msg);
    }
}

/// The guest trapped (`WT_ERR_TRAP`), was interrupted (`WT_ERR_INTERRUPTED`)
/// or ran out of fuel (`WT_ERR_OUT_OF_FUEL`). `trapCode` is a `WT_TRAP_*` code.
class TrapException : WtException
{
    /// The `WT_TRAP_*` code (`WT_TRAP_UNREACHABLE`, ...).
    immutable int trapCode;

    ///
    this(int status, int trapCode, string message, string file = __FILE__,
            size_t line = __LINE__, Throwable next = null) pure nothrow @safe
    {
        this.trapCode = trapCode;
        super(status, message, file, line, next);
    }
}

/// A host function failed (`WT_ERR_CALLBACK`): the guest trapped with its
/// message. `hostError` is what the D host function threw, when it was a D
/// function of this binding running on this thread (else null).
class HostException : WtException
{
    /// The Throwable thrown by the D host function, if known.
    Throwable hostError;

    ///
    this(string message, Throwable hostError, string file = __FILE__,
            size_t line = __LINE__) pure nothrow @safe
    {
        this.hostError = hostError;
        super(WT_ERR_CALLBACK, message, file, line);
    }
}

/// A WASI guest called `proc_exit` (`WT_ERR_EXIT`).
class ExitException : WtException
{
    /// The exit code given to `proc_exit`.
    immutable int exitCode;

    ///
    this(int exitCode, string message, string file = __FILE__, size_t line = __LINE__) pure nothrow @safe
    {
        this.exitCode = exitCode;
        super(WT_ERR_EXIT, message, file, line);
    }
}

/// The name of a status code.
string wtStatusName(int status) pure nothrow @safe @nogc
{
    switch (status)
    {
        static foreach (name; __traits(allMembers, wt.c))
        {
            static if (name.length > 7 && (name[0 .. 7] == "WT_ERR_" || name == "WT_OK"))
            {
    case __traits(getMember, wt.c, name):
                return name;
            }
        }
    default:
        return "WT_ERR_UNKNOWN";
    }
}

/// What the D host function that failed last on this thread threw; the
/// trampoline sets it and `lastError` takes it (thread-local).
package Throwable pendingHostError;

/**
 * The exception for a failed call that returned `status`, built from the
 * calling thread's error record. Everything is copied out of libwt before
 * any GC allocation, so that a collection running destructors (which call
 * `wt_free`, whose failure would replace the record) cannot garble it.
 */
WtException lastError(int status, string file = __FILE__, size_t line = __LINE__) nothrow
{
    import core.stdc.stdlib : free, malloc;

    const trap = wt_error_trap_code();
    const exitCode = wt_error_exit_code();
    const n = wt_error_message_len();
    char[512] small = void;
    char* buf = n < small.length ? small.ptr : cast(char*) malloc(n + 1);
    size_t len = 0;
    if (buf !is null)
    {
        len = wt_error_message_copy(buf, n + 1);
        if (len > n)
            len = n;
    }
    // From here on the GC may run.
    string message = buf is null ? "(out of memory copying the libwt message)" : buf[0 .. len].idup;
    if (buf !is null && buf !is small.ptr)
        free(buf);
    switch (status)
    {
    case WT_ERR_TRAP:
    case WT_ERR_INTERRUPTED:
    case WT_ERR_OUT_OF_FUEL:
        return new TrapException(status, trap, message, file, line);
    case WT_ERR_CALLBACK:
        Throwable t = pendingHostError;
        pendingHostError = null;
        return new HostException(message, t, file, line);
    case WT_ERR_EXIT:
        return new ExitException(exitCode, message, file, line);
    default:
        return new WtException(status, message, file, line);
    }
}

/// Throws the exception for `status` unless it is `WT_OK`.
void check(int status, string file = __FILE__, size_t line = __LINE__)
{
    if (status != WT_OK)
        throw lastError(status, file, line);
}
