package wt

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
)

// ValKind is a WebAssembly value type (WT_I32 ... in include/wt.h).
type ValKind int32

// Value types. Go values: int32, int64, float32, float64, *Func (nil for a
// null funcref) and ExternRef (nil or 0 for null).
const (
	KindI32       ValKind = 0
	KindI64       ValKind = 1
	KindF32       ValKind = 2
	KindF64       ValKind = 3
	KindV128      ValKind = 4 // reported by introspection; cannot be passed
	KindFuncRef   ValKind = 5
	KindExternRef ValKind = 6
	KindAnyRef    ValKind = 7 // GC proposal references; cannot be passed
)

func (k ValKind) String() string {
	switch k {
	case KindI32:
		return "i32"
	case KindI64:
		return "i64"
	case KindF32:
		return "f32"
	case KindF64:
		return "f64"
	case KindV128:
		return "v128"
	case KindFuncRef:
		return "funcref"
	case KindExternRef:
		return "externref"
	case KindAnyRef:
		return "anyref"
	}
	return fmt.Sprintf("ValKind(%d)", int32(k))
}

// ExternKind is the kind of an import or export (WT_EXTERN_*).
type ExternKind int32

// Extern kinds.
const (
	ExternFunc   ExternKind = 0
	ExternGlobal ExternKind = 1
	ExternTable  ExternKind = 2
	ExternMemory ExternKind = 3
	ExternTag    ExternKind = 4
)

func (k ExternKind) String() string {
	switch k {
	case ExternFunc:
		return "func"
	case ExternGlobal:
		return "global"
	case ExternTable:
		return "table"
	case ExternMemory:
		return "memory"
	case ExternTag:
		return "tag"
	}
	return fmt.Sprintf("ExternKind(%d)", int32(k))
}

// HandleType is the kind of a raw libwt handle (WT_KIND_*), see HandleKind.
type HandleType int32

// Handle kinds.
const (
	HandleEngine     HandleType = 1
	HandleConfig     HandleType = 2
	HandleStore      HandleType = 3
	HandleModule     HandleType = 4
	HandleLinker     HandleType = 5
	HandleInstance   HandleType = 6
	HandleFunc       HandleType = 7
	HandleMemory     HandleType = 8
	HandleGlobal     HandleType = 9
	HandleTable      HandleType = 10
	HandleBytes      HandleType = 11
	HandleFuncType   HandleType = 12
	HandleCallback   HandleType = 13
	HandleWasiConfig HandleType = 14
	HandleCaller     HandleType = 15
)

// ExternRef is the host payload of a non-null externref value. 0 is null.
type ExternRef uint64

// FuncType is a function signature.
type FuncType struct {
	Params  []ValKind
	Results []ValKind
}

// NewFuncType makes a function signature.
func NewFuncType(params, results []ValKind) *FuncType {
	return &FuncType{Params: append([]ValKind(nil), params...), Results: append([]ValKind(nil), results...)}
}

func (t *FuncType) String() string {
	f := func(ks []ValKind) string {
		s := make([]string, len(ks))
		for i, k := range ks {
			s[i] = k.String()
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	return f(t.Params) + " -> " + f(t.Results)
}

// newHandle makes a libwt functype handle, to be freed by the caller.
func (t *FuncType) newHandle() (C.uint64_t, error) {
	p := make([]C.int32_t, len(t.Params)+1)
	r := make([]C.int32_t, len(t.Results)+1)
	for i, k := range t.Params {
		p[i] = C.int32_t(k)
	}
	for i, k := range t.Results {
		r[i] = C.int32_t(k)
	}
	var h C.uint64_t
	err := do(func() C.int32_t {
		return C.wtg_wt_functype_new(&p[0], C.size_t(len(t.Params)), &r[0], C.size_t(len(t.Results)), &h)
	})
	return h, err
}

// funcTypeOf queries the signature of a func, functype or callback handle.
func funcTypeOf(h C.uint64_t) (*FuncType, error) {
	t := &FuncType{}
	err := do(func() C.int32_t {
		var np, nr C.size_t
		if st := C.wtg_wt_func_param_count(h, &np); st != 0 {
			return st
		}
		if st := C.wtg_wt_func_result_count(h, &nr); st != 0 {
			return st
		}
		var k C.int32_t
		for i := C.size_t(0); i < np; i++ {
			if st := C.wtg_wt_func_param_type(h, i, &k); st != 0 {
				return st
			}
			t.Params = append(t.Params, ValKind(k))
		}
		for i := C.size_t(0); i < nr; i++ {
			if st := C.wtg_wt_func_result_type(h, i, &k); st != 0 {
				return st
			}
			t.Results = append(t.Results, ValKind(k))
		}
		return 0
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// toSlot converts a Go value to a 64-bit slot of kind k. Errors are *Error
// with StatusSignature (or StatusUnsupported).
func toSlot(v interface{}, k ValKind) (uint64, error) {
	bad := func() (uint64, error) {
		return 0, goError(StatusSignature, "cannot pass a %T as %s", v, k)
	}
	switch k {
	case KindFuncRef:
		switch f := v.(type) {
		case nil:
			return 0, nil
		case *Func:
			if f == nil {
				return 0, nil
			}
			if h := f.h.Load(); h != 0 {
				return h, nil
			}
			return 0, goError(StatusBadHandle, "the *Func passed as funcref is closed")
		}
		return bad()
	case KindExternRef:
		switch r := v.(type) {
		case nil:
			return 0, nil
		case ExternRef:
			return uint64(r), nil
		}
		return bad()
	case KindI32, KindI64, KindF32, KindF64:
	default:
		return 0, goError(StatusUnsupported, "a %s value does not fit a 64-bit slot", k)
	}
	switch x := v.(type) {
	// Fast paths for the exact types.
	case int32:
		if k == KindI32 {
			return uint64(uint32(x)), nil
		}
	case int64:
		if k == KindI64 {
			return uint64(x), nil
		}
	case float32:
		if k == KindF32 {
			return uint64(math.Float32bits(x)), nil
		}
	case float64:
		if k == KindF64 {
			return math.Float64bits(x), nil
		}
	case nil, *Func, ExternRef:
		return bad()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := rv.Int()
		switch k {
		case KindI32:
			if i < math.MinInt32 || i > math.MaxUint32 {
				return 0, goError(StatusSignature, "%d does not fit i32", i)
			}
			return uint64(uint32(i)), nil
		case KindI64:
			return uint64(i), nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		switch k {
		case KindI32:
			if u > math.MaxUint32 {
				return 0, goError(StatusSignature, "%d does not fit i32", u)
			}
			return u, nil
		case KindI64:
			return u, nil
		}
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		switch k {
		case KindF32:
			return uint64(math.Float32bits(float32(f))), nil
		case KindF64:
			return math.Float64bits(f), nil
		}
	}
	return bad()
}

// fromSlot converts a slot of kind k to a Go value: int32, int64, float32,
// float64, *Func or nil, ExternRef or nil.
func fromSlot(s uint64, k ValKind) interface{} {
	switch k {
	case KindI32:
		return int32(uint32(s))
	case KindI64:
		return int64(s)
	case KindF32:
		return math.Float32frombits(uint32(s))
	case KindF64:
		return math.Float64frombits(s)
	case KindFuncRef:
		if s == 0 {
			return nil
		}
		return newFunc(C.uint64_t(s))
	case KindExternRef:
		if s == 0 {
			return nil
		}
		return ExternRef(s)
	}
	return s
}

// object is the libwt handle every wrapper type embeds. The handle is set to
// 0 when freed, so a closed object passes 0 to libwt, which reports
// StatusBadHandle.
type object struct {
	h atomic.Uint64
	// Padding to 16 bytes: a pointer-free object smaller than that comes
	// from Go's tiny allocator, which packs several into one block whose
	// finalizers only run once all of them are unreachable (a dropped Linker
	// next to a live Engine would never be freed).
	_ [8]byte
}

// Raw is the libwt handle (for the C API, or HandleKind). 0 after Close.
func (o *object) Raw() uint64 { return o.h.Load() }

func (o *object) handle() C.uint64_t { return C.uint64_t(o.h.Load()) }

// release frees the handle once.
func (o *object) release() error {
	h := o.h.Swap(0)
	if h == 0 {
		return nil
	}
	return do(func() C.int32_t { return C.wtg_wt_free(C.uint64_t(h)) })
}

type releaser interface{ release() error }

// finalizeObject is the finalizer of every wrapper: it receives the object
// itself and captures nothing, so it never keeps the object alive. wt_free is
// safe from the finalizer goroutine; its status is irrelevant there (a store
// freed first has already freed what lived in it).
func finalizeObject(x releaser) { _ = x.release() }

// closeObject frees a wrapper's handle now and drops its finalizer.
func closeObject(x releaser) error {
	runtime.SetFinalizer(x, nil)
	return x.release()
}

// track gives a new wrapper its handle and finalizer.
func track(x releaser, o *object, h C.uint64_t) {
	o.h.Store(uint64(h))
	runtime.SetFinalizer(x, finalizeObject)
}
