package wt

// Host functions: every Go host function is registered under an integer id,
// and libwt gets the same native callback (wtg_callback in shim.c, which
// calls wtGoTrampoline below) with the id as env. No Go pointer ever reaches C.

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"reflect"
	"runtime/cgo"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// hostFunc is a Go host function adapted to 64-bit slots.
type hostFunc struct {
	name string // for messages: "module.name", or the constructor
	ty   *FuncType
	call func(c *Caller, args, results []uint64) error
}

var (
	hostFuncs      sync.Map // uintptr id -> *hostFunc
	hostFuncNextID atomic.Uintptr
	hostFuncLive   atomic.Int64
)

// LiveHostFuncs is the number of Go host functions libwt still references
// (a leak check: each is released when no linker, store or func uses it).
func LiveHostFuncs() int { return int(hostFuncLive.Load()) }

func registerHostFunc(hf *hostFunc) uintptr {
	id := hostFuncNextID.Add(1)
	hostFuncs.Store(id, hf)
	hostFuncLive.Add(1)
	return id
}

// unregisterHostFunc is idempotent: libwt's env finalizer and a failed
// wt_callback_new may both release the same id.
func unregisterHostFunc(id uintptr) {
	if _, ok := hostFuncs.LoadAndDelete(id); ok {
		hostFuncLive.Add(-1)
	}
}

// newCallback makes a libwt callback object (WT_KIND_CALLBACK) for hf, to be
// freed by the caller once a linker or store uses it.
func (hf *hostFunc) newCallback() (C.uint64_t, error) {
	ft, err := hf.ty.newHandle()
	if err != nil {
		return 0, err
	}
	id := registerHostFunc(hf)
	var cb C.uint64_t
	err = do(func() C.int32_t { return C.wtg_go_callback_new(ft, C.uintptr_t(id), &cb) })
	C.wtg_wt_free(ft)
	if err != nil {
		unregisterHostFunc(id)
		return 0, err
	}
	return cb, nil
}

//export wtGoFinalize
func wtGoFinalize(env C.uintptr_t) {
	unregisterHostFunc(uintptr(env))
}

// wtGoTrampoline is the one entry point of every host function call. It runs
// on the thread (and goroutine) that made the wasm call. A Go error or panic
// becomes the callback's message and a non-zero status, which traps the guest;
// the error itself travels to the waiting Func.Call as Error.Cause.
//
//export wtGoTrampoline
func wtGoTrampoline(env C.uintptr_t, caller C.uint64_t, args *C.uint64_t, nargs C.size_t, results *C.uint64_t, nresults C.size_t) C.int32_t {
	c := &Caller{h: caller}
	var err error
	if v, ok := hostFuncs.Load(uintptr(env)); !ok {
		err = fmt.Errorf("wt: host function id %d is not registered", uintptr(env))
	} else {
		hf := v.(*hostFunc)
		a := unsafe.Slice((*uint64)(unsafe.Pointer(args)), int(nargs))
		r := unsafe.Slice((*uint64)(unsafe.Pointer(results)), int(nresults))
		var pins []*Func
		pins, err = hf.invoke(c, a, r)
		if err == nil && len(pins) > 0 {
			pinOnThread(pins)
		}
	}
	if err == nil {
		return 0
	}
	// libwt refuses a message that is not UTF-8 (and would keep its default
	// wording); Go errors may carry any bytes.
	p, n := cstr(strings.ToValidUTF8(errorText(err), "\uFFFD"))
	C.wtg_wt_caller_set_error(caller, p, n)
	if old := C.wtg_swap_cause(C.uintptr_t(cgo.NewHandle(err))); old != 0 {
		cgo.Handle(old).Delete()
	}
	return 1
}

// errorText is err.Error(), safe against an Error method that panics (no
// panic may leave the trampoline).
func errorText(err error) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("host function error (its Error method panicked: %v)", r)
		}
	}()
	return err.Error()
}

// pinOnThread keeps the funcs a host function returned alive until the Go
// call that is running wasm on this thread returns (libwt reads the handles
// after the callback returns; see releasePins).
func pinOnThread(pins []*Func) {
	if old := C.wtg_swap_pins(0); old != 0 {
		h := cgo.Handle(old)
		pins = append(pins, h.Value().([]*Func)...)
		h.Delete()
	}
	C.wtg_swap_pins(C.uintptr_t(cgo.NewHandle(pins)))
}

// invoke runs the Go function, turning a panic into a *PanicError so that it
// never unwinds through libwt's frames.
func (hf *hostFunc) invoke(c *Caller, args, results []uint64) (pins []*Func, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Func: hf.name, Value: r, Stack: string(debug.Stack())}
		}
	}()
	if err = hf.call(c, args, results); err != nil {
		return nil, err
	}
	return c.pinned, nil
}

var (
	callerType    = reflect.TypeOf((*Caller)(nil))
	errorType     = reflect.TypeOf((*error)(nil)).Elem()
	funcPtrType   = reflect.TypeOf((*Func)(nil))
	externRefType = reflect.TypeOf(ExternRef(0))
	float32Type   = reflect.TypeOf(float32(0))
	float64Type   = reflect.TypeOf(float64(0))
	int32Type     = reflect.TypeOf(int32(0))
	int64Type     = reflect.TypeOf(int64(0))
)

// kindOfGoType maps a Go parameter or result type to a wasm value type.
func kindOfGoType(t reflect.Type) (ValKind, bool) {
	switch t {
	case funcPtrType:
		return KindFuncRef, true
	case externRefType:
		return KindExternRef, true
	}
	switch t.Kind() {
	case reflect.Int32, reflect.Uint32:
		return KindI32, true
	case reflect.Int64, reflect.Uint64:
		return KindI64, true
	case reflect.Float32:
		return KindF32, true
	case reflect.Float64:
		return KindF64, true
	}
	return 0, false
}

// slotToValue converts an argument slot to a reflect.Value of type t.
func slotToValue(s uint64, k ValKind, t reflect.Type) reflect.Value {
	switch t {
	case int32Type:
		return reflect.ValueOf(int32(uint32(s)))
	case int64Type:
		return reflect.ValueOf(int64(s))
	case float32Type:
		return reflect.ValueOf(fromSlot(s, KindF32))
	case float64Type:
		return reflect.ValueOf(fromSlot(s, KindF64))
	}
	v := reflect.New(t).Elem()
	switch k {
	case KindI32:
		if t.Kind() == reflect.Int32 {
			v.SetInt(int64(int32(uint32(s))))
		} else {
			v.SetUint(uint64(uint32(s)))
		}
	case KindI64:
		if t.Kind() == reflect.Int64 {
			v.SetInt(int64(s))
		} else {
			v.SetUint(s)
		}
	case KindF32:
		v.SetFloat(float64(fromSlot(s, KindF32).(float32)))
	case KindF64:
		v.SetFloat(fromSlot(s, KindF64).(float64))
	case KindFuncRef:
		if s != 0 {
			v.Set(reflect.ValueOf(newFunc(C.uint64_t(s))))
		}
	case KindExternRef:
		v.SetUint(s)
	}
	return v
}

// valueToSlot converts a result value to a slot; funcs are also returned to be pinned.
func valueToSlot(v reflect.Value, k ValKind) (uint64, *Func, error) {
	switch k {
	case KindI32:
		if v.Kind() == reflect.Int32 {
			return uint64(uint32(v.Int())), nil, nil
		}
		return uint64(uint32(v.Uint())), nil, nil
	case KindI64:
		if v.Kind() == reflect.Int64 {
			return uint64(v.Int()), nil, nil
		}
		return v.Uint(), nil, nil
	case KindF32:
		if v.Type() == float32Type {
			s, _ := toSlot(v.Interface(), KindF32)
			return s, nil, nil
		}
		s, _ := toSlot(float32(v.Float()), KindF32)
		return s, nil, nil
	case KindF64:
		s, _ := toSlot(v.Float(), KindF64)
		return s, nil, nil
	case KindFuncRef:
		f := v.Interface().(*Func)
		s, err := toSlot(f, KindFuncRef)
		if err != nil {
			return 0, nil, err
		}
		return s, f, nil
	case KindExternRef:
		return v.Uint(), nil, nil
	}
	return 0, nil, nil
}

// reflectHostFunc adapts a Go function typed by reflection (see Linker.DefineFunc).
func reflectHostFunc(name string, fn interface{}) (*hostFunc, error) {
	v := reflect.ValueOf(fn)
	if fn == nil || v.Kind() != reflect.Func || v.IsNil() {
		return nil, goError(StatusInvalidArgument, "host function %s: %T is not a function", name, fn)
	}
	t := v.Type()
	if t.IsVariadic() {
		return nil, goError(StatusInvalidArgument, "host function %s: variadic functions are not supported", name)
	}
	first := 0
	if t.NumIn() > 0 && t.In(0) == callerType {
		first = 1
	}
	const allowed = "int32, uint32, int64, uint64, float32, float64 (or types based on them), *wt.Func or wt.ExternRef"
	ty := &FuncType{}
	inTypes := make([]reflect.Type, t.NumIn())
	for i := 0; i < t.NumIn(); i++ {
		inTypes[i] = t.In(i)
		if i < first {
			continue
		}
		k, ok := kindOfGoType(t.In(i))
		if !ok {
			return nil, goError(StatusInvalidArgument, "host function %s: parameter %d has type %s; allowed: *wt.Caller first, then %s", name, i, t.In(i), allowed)
		}
		ty.Params = append(ty.Params, k)
	}
	nout := t.NumOut()
	hasErr := nout > 0 && t.Out(nout-1) == errorType
	if hasErr {
		nout--
	}
	for i := 0; i < nout; i++ {
		k, ok := kindOfGoType(t.Out(i))
		if !ok {
			return nil, goError(StatusInvalidArgument, "host function %s: result %d has type %s; allowed: %s, then an optional error", name, i, t.Out(i), allowed)
		}
		ty.Results = append(ty.Results, k)
	}
	call := func(c *Caller, args, results []uint64) error {
		in := make([]reflect.Value, len(inTypes))
		if first == 1 {
			in[0] = reflect.ValueOf(c)
		}
		for i, k := range ty.Params {
			in[first+i] = slotToValue(args[i], k, inTypes[first+i])
		}
		out := v.Call(in)
		if hasErr {
			if e := out[nout]; !e.IsNil() {
				return e.Interface().(error)
			}
		}
		for i, k := range ty.Results {
			s, f, err := valueToSlot(out[i], k)
			if err != nil {
				return fmt.Errorf("host function %s, result %d: %s", name, i, err.(*Error).Message)
			}
			results[i] = s
			if f != nil {
				c.pinned = append(c.pinned, f)
			}
		}
		return nil
	}
	return &hostFunc{name: name, ty: ty, call: call}, nil
}

// dynamicHostFunc adapts a Go function on []interface{} with an explicit type.
func dynamicHostFunc(name string, ty *FuncType, f func(*Caller, []interface{}) ([]interface{}, error)) (*hostFunc, error) {
	if ty == nil || f == nil {
		return nil, goError(StatusNullPointer, "host function %s: nil type or function", name)
	}
	ty = NewFuncType(ty.Params, ty.Results)
	call := func(c *Caller, args, results []uint64) error {
		in := make([]interface{}, len(args))
		for i, s := range args {
			in[i] = fromSlot(s, ty.Params[i])
		}
		out, err := f(c, in)
		if err != nil {
			return err
		}
		if len(out) != len(ty.Results) {
			return fmt.Errorf("host function %s %s returned %d value(s)", name, ty, len(out))
		}
		for i, o := range out {
			s, err := toSlot(o, ty.Results[i])
			if err != nil {
				return fmt.Errorf("host function %s, result %d: %s", name, i, err.(*Error).Message)
			}
			results[i] = s
			if fn, ok := o.(*Func); ok && fn != nil {
				c.pinned = append(c.pinned, fn)
			}
		}
		return nil
	}
	return &hostFunc{name: name, ty: ty, call: call}, nil
}
