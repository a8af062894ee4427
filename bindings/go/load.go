// Package wt runs WebAssembly from Go through libwt, the handle-based C ABI
// over Wasmtime (include/wt.h).
//
// libwt is not linked at build time: Load opens libwt.so with dlopen and
// resolves every function with dlsym (cgo is needed, third-party modules are
// not). The API follows wasmtime-go: an Engine compiles Modules, a Store holds
// instances, a Linker defines imports (Go functions typed by reflection) and
// instantiates, and Funcs are called with Go values.
//
// Every object is a libwt handle. Close frees it at once; otherwise a
// finalizer frees it when the Go object becomes unreachable. Objects that live
// in a store (instances, funcs, memories, globals, tables) become invalid when
// the store is closed; using them then returns an *Error with StatusBadHandle.
//
// A store is used by one goroutine at a time; different stores run in
// parallel. Host functions run synchronously on the goroutine (and OS thread)
// that made the wasm call.
package wt

/*
#cgo CFLAGS: -std=gnu11
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The libwt version this binding is written against. Load refuses a library
// with another major.minor version (before 1.0 a minor version may break the ABI).
const (
	VersionMajor = 0
	VersionMinor = 1
)

var (
	loadMu     sync.Mutex
	loaded     atomic.Bool
	loadedFrom string
)

// Load opens libwt and resolves its functions. path is a file name or path
// as dlopen takes it; an empty path means the WT_LIBRARY environment
// variable, else "libwt.so" found through the dynamic loader's search path
// (LD_LIBRARY_PATH, rpath, ldconfig).
//
// Loading happens once per process: later calls return nil when the path is
// empty or the same, and an error for another path. Every constructor loads
// the library on first use with Load(""), so calling Load is only needed to
// choose the path or to see the error early.
func Load(path string) error {
	loadMu.Lock()
	defer loadMu.Unlock()
	if loaded.Load() {
		if path == "" || path == loadedFrom {
			return nil
		}
		return fmt.Errorf("wt: libwt is already loaded from %q, cannot load %q", loadedFrom, path)
	}
	if path == "" {
		path = os.Getenv("WT_LIBRARY")
	}
	if path == "" {
		path = "libwt.so"
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if msg := C.wtg_load(cpath); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return fmt.Errorf("wt: cannot load libwt from %q: %s", path, C.GoString(msg))
	}
	v := C.GoString(C.wtg_wt_version())
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] != strconv.Itoa(VersionMajor) || parts[1] != strconv.Itoa(VersionMinor) {
		return fmt.Errorf("wt: %q is libwt %s, this binding needs %d.%d.x", path, v, VersionMajor, VersionMinor)
	}
	loadedFrom = path
	loaded.Store(true)
	return nil
}

// LibraryPath is the path libwt was loaded from, or "" before Load.
func LibraryPath() string {
	loadMu.Lock()
	defer loadMu.Unlock()
	return loadedFrom
}

func ensureLoaded() error {
	if loaded.Load() {
		return nil
	}
	return Load("")
}

// Version is the version string of the loaded libwt ("0.1.0").
func Version() (string, error) {
	if err := ensureLoaded(); err != nil {
		return "", err
	}
	return C.GoString(C.wtg_wt_version()), nil
}

// LiveHandles is the number of live libwt handles in the process (all kinds,
// including store-owned ones): a leak check for tests.
func LiveHandles() (int, error) {
	if err := ensureLoaded(); err != nil {
		return 0, err
	}
	return int(C.wtg_wt_handle_count()), nil
}

// HandleKind is the kind (KindEngine, KindStore, ...) of a live raw handle.
func HandleKind(handle uint64) (HandleType, error) {
	var k C.int32_t
	err := do(func() C.int32_t { return C.wtg_wt_handle_kind(C.uint64_t(handle), &k) })
	return HandleType(k), err
}

// FreeHandle frees a raw handle (see Raw methods); most code calls Close instead.
func FreeHandle(handle uint64) error {
	return do(func() C.int32_t { return C.wtg_wt_free(C.uint64_t(handle)) })
}

// do runs one libwt call and turns a failure status into an *Error. libwt
// keeps the message of the last failure per OS thread, so the goroutine is
// pinned to its thread from the call until the message is read.
func do(call func() C.int32_t) error {
	if !loaded.Load() {
		if err := ensureLoaded(); err != nil {
			return err
		}
	}
	runtime.LockOSThread()
	st := call()
	var err error
	if st != 0 {
		err = lastError(st)
	}
	runtime.UnlockOSThread()
	return err
}

// lastError reads the failure record of this thread. Call it on the thread
// that made the failing call (with the goroutine locked to it).
func lastError(st C.int32_t) *Error {
	n := C.wtg_wt_error_message_len()
	e := &Error{
		Status:   int32(st),
		Message:  C.GoStringN(C.wtg_wt_error_message(), C.int(n)),
		TrapCode: int32(C.wtg_wt_error_trap_code()),
		ExitCode: int32(C.wtg_wt_error_exit_code()),
	}
	if h := C.wtg_swap_cause(0); h != 0 {
		// The Go error of a host function that failed inside this call.
		ch := cgo.Handle(h)
		if cause, ok := ch.Value().(error); ok && int32(st) == StatusCallback {
			e.Cause = cause
		}
		ch.Delete()
	}
	return e
}

// releasePins drops the objects that host functions returned on this thread
// (kept alive until libwt has read the results). Call after a C call that may
// run host functions, on the same thread.
func releasePins() {
	if h := C.wtg_swap_pins(0); h != 0 {
		cgo.Handle(h).Delete()
	}
}

// cstr returns a pointer to the bytes of s for a (const char *, size_t) pair.
// The pointer is only valid for the duration of the C call it is passed to.
func cstr(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	b := []byte(s)
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// cbytes is cstr for byte slices.
func cbytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// takeBytes copies the contents of a libwt bytes handle and frees it.
func takeBytes(h C.uint64_t) ([]byte, error) {
	var data *C.uint8_t
	var n C.size_t
	err := do(func() C.int32_t { return C.wtg_wt_bytes_data(h, &data, &n) })
	if err == nil {
		out := make([]byte, int(n))
		if n > 0 {
			copy(out, unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)))
		}
		C.wtg_wt_free(h)
		return out, nil
	}
	C.wtg_wt_free(h)
	return nil, err
}
