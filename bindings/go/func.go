package wt

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Func is a wasm or host function living in a store.
type Func struct {
	object
	once  sync.Once
	ty    *FuncType
	tyErr error
}

func newFunc(h C.uint64_t) *Func {
	f := &Func{}
	track(f, &f.object, h)
	return f
}

// Close frees the func handle early (the store frees it anyway).
func (f *Func) Close() error { return closeObject(f) }

// Type is the function's signature (queried once, then cached).
func (f *Func) Type() (*FuncType, error) {
	f.once.Do(func() {
		defer keep(f)
		f.ty, f.tyErr = funcTypeOf(f.handle())
	})
	return f.ty, f.tyErr
}

// Call calls the function with Go values converted by its signature: for
// i32 an int32 (or any Go integer that fits 32 bits), for i64 an int64 (or
// any integer), for f32 a float32, for f64 a float64 (either float type is
// accepted for both), for funcref a *Func or nil, for externref an ExternRef
// or nil.
//
// The result is nil for no results, the value (int32, int64, float32,
// float64, *Func, ExternRef or nil) for one, and a []interface{} for several.
// The call runs on the calling goroutine's OS thread, and so do the host
// functions it reaches. Inside a host function pass its *Caller as store.
func (f *Func) Call(store Storelike, args ...interface{}) (interface{}, error) {
	if store == nil {
		return nil, goError(StatusNullPointer, "Func.Call: store is nil")
	}
	ty, err := f.Type()
	if err != nil {
		return nil, err
	}
	slots := make([]uint64, len(args)+len(ty.Results))
	for i, a := range args {
		if i >= len(ty.Params) {
			break // libwt reports the wrong count with the signature
		}
		s, err := toSlot(a, ty.Params[i])
		if err != nil {
			e := err.(*Error)
			e.Message = fmt.Sprintf("argument %d of a function %s: %s", i, ty, e.Message)
			return nil, e
		}
		slots[i] = s
	}
	res := slots[len(args):]
	err = callSlots(store, f, slots[:len(args)], res)
	runtime.KeepAlive(args)
	if err != nil {
		return nil, err
	}
	switch len(res) {
	case 0:
		return nil, nil
	case 1:
		return fromSlot(res[0], ty.Results[0]), nil
	}
	out := make([]interface{}, len(res))
	for i, s := range res {
		out[i] = fromSlot(s, ty.Results[i])
	}
	return out, nil
}

// CallRaw calls the function with 64-bit slots (the libwt encoding: i32
// zero-extended, f32/f64 bit patterns, funcref = func handle, externref =
// payload). len(results) must equal the number of results.
func (f *Func) CallRaw(store Storelike, args, results []uint64) error {
	if store == nil {
		return goError(StatusNullPointer, "Func.CallRaw: store is nil")
	}
	return callSlots(store, f, args, results)
}

func callSlots(store Storelike, f *Func, args, results []uint64) error {
	if err := ensureLoaded(); err != nil {
		return err
	}
	var ap, rp *C.uint64_t
	if len(args) > 0 {
		ap = (*C.uint64_t)(unsafe.Pointer(&args[0]))
	}
	if len(results) > 0 {
		rp = (*C.uint64_t)(unsafe.Pointer(&results[0]))
	}
	// Host functions run on this thread inside wt_call, and the error record
	// is per thread: keep the goroutine on it until both are read.
	runtime.LockOSThread()
	st := C.wtg_wt_call(store.storeHandle(), f.handle(), ap, C.size_t(len(args)), rp, C.size_t(len(results)))
	var err error
	if st != 0 {
		err = lastError(st)
	}
	releasePins()
	runtime.UnlockOSThread()
	runtime.KeepAlive(store)
	runtime.KeepAlive(f)
	return err
}

// Caller is what a host function receives first (if it asks for it): the
// calling instance and its store, valid only during the call (afterwards
// libwt reports StatusBadHandle). Pass it where a Storelike is taken
// (Func.Call, Memory.Read, ...) to re-enter the store. The *Store itself
// also works inside the host function, because the call runs on the same OS
// thread, but not from another goroutine started there (StatusBusy).
type Caller struct {
	h      C.uint64_t
	pinned []*Func // funcs returned as results, kept alive until libwt read them
}

func (c *Caller) storeHandle() C.uint64_t { return c.h }

// Raw is the libwt caller handle.
func (c *Caller) Raw() uint64 { return uint64(c.h) }

// GetExport looks up an export of the calling instance (typically its memory).
func (c *Caller) GetExport(name string) (*Extern, error) {
	var h C.uint64_t
	var k C.int32_t
	err := do(func() C.int32_t {
		p, n := cstr(name)
		return C.wtg_wt_caller_get_export(c.h, p, n, &h, &k)
	})
	if err != nil {
		return nil, err
	}
	return newExtern(h, ExternKind(k)), nil
}

// GetMemory looks up an exported memory of the calling instance.
func (c *Caller) GetMemory(name string) (*Memory, error) {
	e, err := c.GetExport(name)
	if err != nil {
		return nil, err
	}
	if e.Memory() == nil {
		return nil, goError(StatusWrongKind, "export %q of the calling instance is a %s, not a memory", name, e.Kind())
	}
	return e.Memory(), nil
}

// GetFunc looks up an exported function of the calling instance.
func (c *Caller) GetFunc(name string) (*Func, error) {
	e, err := c.GetExport(name)
	if err != nil {
		return nil, err
	}
	if e.Func() == nil {
		return nil, goError(StatusWrongKind, "export %q of the calling instance is a %s, not a function", name, e.Kind())
	}
	return e.Func(), nil
}

// GetFuel is the remaining fuel of the caller's store.
func (c *Caller) GetFuel() (uint64, error) {
	var f C.uint64_t
	err := do(func() C.int32_t { return C.wtg_wt_store_get_fuel(c.h, &f) })
	return uint64(f), err
}

// SetFuel sets the fuel of the caller's store.
func (c *Caller) SetFuel(fuel uint64) error {
	return do(func() C.int32_t { return C.wtg_wt_store_set_fuel(c.h, C.uint64_t(fuel)) })
}

// WrapFunc makes a host function in store from a Go function; see
// Linker.DefineFunc for the Go signatures accepted. Use the result as a
// funcref value, in a table, or with Linker.Define.
func WrapFunc(store *Store, goFunc interface{}) (*Func, error) {
	hf, err := reflectHostFunc("WrapFunc", goFunc)
	if err != nil {
		return nil, err
	}
	return newHostFuncIn(store, hf)
}

// NewFunc makes a host function in store with an explicit signature: f gets
// the arguments as Go values (see Func.Call) and returns one value per
// result, converted by the signature.
func NewFunc(store *Store, ty *FuncType, f func(*Caller, []interface{}) ([]interface{}, error)) (*Func, error) {
	hf, err := dynamicHostFunc("NewFunc", ty, f)
	if err != nil {
		return nil, err
	}
	return newHostFuncIn(store, hf)
}

func newHostFuncIn(store *Store, hf *hostFunc) (*Func, error) {
	if store == nil {
		return nil, goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	cb, err := hf.newCallback()
	if err != nil {
		return nil, err
	}
	var h C.uint64_t
	err = do(func() C.int32_t { return C.wtg_wt_func_new(store.handle(), cb, &h) })
	// The func (if made) holds the callback; the handle is not needed any more.
	C.wtg_wt_free(cb)
	if err != nil {
		return nil, err
	}
	return newFunc(h), nil
}
