package wt

import "fmt"

// Status codes of libwt (WT_OK, WT_ERR_* in include/wt.h).
const (
	StatusOK              int32 = 0
	StatusBadHandle       int32 = 1
	StatusWrongKind       int32 = 2
	StatusNullPointer     int32 = 3
	StatusInvalidArgument int32 = 4
	StatusCompile         int32 = 5
	StatusLink            int32 = 6
	StatusTrap            int32 = 7
	StatusSignature       int32 = 8
	StatusOutOfBounds     int32 = 9
	StatusLimit           int32 = 10
	StatusInterrupted     int32 = 11
	StatusOutOfFuel       int32 = 12
	StatusCallback        int32 = 13
	StatusBusy            int32 = 14
	StatusExit            int32 = 15
	StatusNotFound        int32 = 16
	StatusUnsupported     int32 = 17
	StatusIO              int32 = 18
	StatusImmutable       int32 = 19
	StatusInternal        int32 = 99
)

// Trap codes (WT_TRAP_* in include/wt.h), in Error.TrapCode.
const (
	TrapNone                      int32 = -1 // not a trap
	TrapStackOverflow             int32 = 0
	TrapMemoryOutOfBounds         int32 = 1
	TrapHeapMisaligned            int32 = 2
	TrapTableOutOfBounds          int32 = 3
	TrapIndirectCallToNull        int32 = 4
	TrapBadSignature              int32 = 5
	TrapIntegerOverflow           int32 = 6
	TrapIntegerDivisionByZero     int32 = 7
	TrapBadConversionToInteger    int32 = 8
	TrapUnreachable               int32 = 9
	TrapInterrupt                 int32 = 10
	TrapOutOfFuel                 int32 = 11
	TrapNullReference             int32 = 12
	TrapArrayOutOfBounds          int32 = 13
	TrapAllocationTooLarge        int32 = 14
	TrapCastFailure               int32 = 15
	TrapAtomicWaitNonSharedMemory int32 = 16
	TrapUnhandledTag              int32 = 17
	TrapOther                     int32 = 99
)

var statusNames = map[int32]string{
	StatusOK:              "ok",
	StatusBadHandle:       "bad handle",
	StatusWrongKind:       "wrong kind",
	StatusNullPointer:     "null pointer",
	StatusInvalidArgument: "invalid argument",
	StatusCompile:         "compile error",
	StatusLink:            "link error",
	StatusTrap:            "trap",
	StatusSignature:       "signature mismatch",
	StatusOutOfBounds:     "out of bounds",
	StatusLimit:           "limit reached",
	StatusInterrupted:     "interrupted",
	StatusOutOfFuel:       "out of fuel",
	StatusCallback:        "host function failed",
	StatusBusy:            "busy",
	StatusExit:            "exit",
	StatusNotFound:        "not found",
	StatusUnsupported:     "unsupported",
	StatusIO:              "i/o error",
	StatusImmutable:       "immutable",
	StatusInternal:        "internal error",
}

// StatusName is a short name for a status code ("trap", "bad handle", ...).
func StatusName(status int32) string {
	if n, ok := statusNames[status]; ok {
		return n
	}
	return fmt.Sprintf("status %d", status)
}

// Error is a failed libwt call (or a value the binding rejected before
// calling libwt, with the status libwt would use).
type Error struct {
	// Status is the libwt status code (StatusTrap, StatusBadHandle, ...).
	Status int32
	// Message is libwt's message: what was wrong and where (WAT line and
	// column, the missing import, the trap and its wasm backtrace, ...).
	Message string
	// TrapCode is the Trap* code for StatusTrap, StatusInterrupted and
	// StatusOutOfFuel, else TrapNone (-1).
	TrapCode int32
	// ExitCode is the code a WASI guest passed to proc_exit (StatusExit).
	ExitCode int32
	// Cause is, for StatusCallback, the error a Go host function returned
	// (or a *PanicError); errors.Is and errors.As see it through Unwrap.
	Cause error
}

func (e *Error) Error() string {
	return fmt.Sprintf("wt: %s (status %d): %s", StatusName(e.Status), e.Status, e.Message)
}

// Unwrap returns Cause.
func (e *Error) Unwrap() error { return e.Cause }

// IsTrap reports whether the error is a wasm trap (including interrupts and
// running out of fuel), in which case TrapCode tells which.
func (e *Error) IsTrap() bool { return e.TrapCode != TrapNone }

// PanicError is the Cause of a call whose Go host function panicked. The
// panic is recovered in the host function (it never unwinds through libwt)
// and traps the guest.
type PanicError struct {
	Func  string      // the host function, "module.name"
	Value interface{} // the value passed to panic
	Stack string      // the goroutine stack at the panic
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("host function %s panicked: %v", p.Func, p.Value)
}

// goError is an *Error raised by the binding itself, before any libwt call.
func goError(status int32, format string, args ...interface{}) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...), TrapCode: TrapNone}
}
