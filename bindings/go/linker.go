package wt

/*
#include "shim.h"
*/
import "C"

import "runtime"

// Linker resolves imports by module and name and instantiates modules. It
// may be shared by goroutines (defining takes an exclusive lock inside libwt).
type Linker struct{ object }

// NewLinker makes an empty linker for an engine.
func NewLinker(engine *Engine) (*Linker, error) {
	if engine == nil {
		return nil, goError(StatusNullPointer, "NewLinker: engine is nil")
	}
	defer keep(engine)
	var h C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_linker_new(engine.handle(), &h) }); err != nil {
		return nil, err
	}
	l := &Linker{}
	track(l, &l.object, h)
	return l, nil
}

// Close frees the linker (instances made with it keep working).
func (l *Linker) Close() error { return closeObject(l) }

// AllowShadowing lets later definitions replace earlier ones with the same
// name instead of failing with StatusLink.
func (l *Linker) AllowShadowing(on bool) error {
	defer keep(l)
	return do(func() C.int32_t { return C.wtg_wt_linker_allow_shadowing(l.handle(), b2i(on)) })
}

// DefineFunc defines module.name as a Go function whose wasm type comes from
// its Go signature, by reflection:
//
//   - an optional first parameter *wt.Caller (the calling instance and its
//     store, valid during the call: use it to reach the guest's memory or to
//     call back into the instance);
//   - then parameters of type int32 or uint32 (i32), int64 or uint64 (i64),
//     float32 (f32), float64 (f64), *wt.Func (funcref) or wt.ExternRef
//     (externref), or types based on them;
//   - results of the same types (several results make a multi-value
//     function), then an optional final error.
//
// A non-nil error, or a panic, traps the guest: the Func.Call that ran it
// fails with StatusCallback, the error's text as the message and the error
// itself (or a *PanicError) as Error.Cause. The function runs synchronously
// on the goroutine (and OS thread) that made the wasm call; it must not call
// runtime.Goexit (so no t.Fatal in tests), and other goroutines cannot use
// the store until it returns (StatusBusy).
func (l *Linker) DefineFunc(module, name string, goFunc interface{}) error {
	hf, err := reflectHostFunc(module+"."+name, goFunc)
	if err != nil {
		return err
	}
	return l.defineHostFunc(module, name, hf)
}

// FuncNew defines module.name as a Go function with an explicit signature
// that gets and returns Go values (see Func.Call for the conversions).
func (l *Linker) FuncNew(module, name string, ty *FuncType, f func(*Caller, []interface{}) ([]interface{}, error)) error {
	hf, err := dynamicHostFunc(module+"."+name, ty, f)
	if err != nil {
		return err
	}
	return l.defineHostFunc(module, name, hf)
}

func (l *Linker) defineHostFunc(module, name string, hf *hostFunc) error {
	defer keep(l)
	cb, err := hf.newCallback()
	if err != nil {
		return err
	}
	err = do(func() C.int32_t {
		mp, mn := cstr(module)
		np, nn := cstr(name)
		return C.wtg_wt_linker_define_func(l.handle(), mp, mn, np, nn, cb)
	})
	// The linker holds the host function now (or nothing, on failure): the
	// Go function is released once no linker, store or func uses it.
	C.wtg_wt_free(cb)
	return err
}

// Define defines module.name as an item of store (a *Func, *Memory, *Global
// or *Table), e.g. the export of another instance. Modules linked against it
// must be instantiated in the same store.
func (l *Linker) Define(store *Store, module, name string, item AsExtern) error {
	if store == nil || item == nil {
		return goError(StatusNullPointer, "Linker.Define: nil store or item")
	}
	defer keep(l)
	defer keep(store)
	defer keep(item)
	return do(func() C.int32_t {
		mp, mn := cstr(module)
		np, nn := cstr(name)
		return C.wtg_wt_linker_define(l.handle(), store.handle(), mp, mn, np, nn, C.uint64_t(item.Raw()))
	})
}

// DefineInstance defines every export of instance (of store) under module name.
func (l *Linker) DefineInstance(store *Store, name string, instance *Instance) error {
	if store == nil || instance == nil {
		return goError(StatusNullPointer, "Linker.DefineInstance: nil store or instance")
	}
	defer keep(l)
	defer keep(store)
	defer keep(instance)
	return do(func() C.int32_t {
		p, n := cstr(name)
		return C.wtg_wt_linker_define_instance(l.handle(), store.handle(), p, n, instance.handle())
	})
}

// DefineWasi defines the WASI preview 1 functions (see Store.SetWasi).
func (l *Linker) DefineWasi() error {
	defer keep(l)
	return do(func() C.int32_t { return C.wtg_wt_linker_define_wasi(l.handle()) })
}

// Instantiate instantiates module in store, resolving its imports in the
// linker, and runs its start function (whose host calls run on this
// goroutine). A missing or mistyped import is an *Error with StatusLink
// whose message names the module, the field and the types.
func (l *Linker) Instantiate(store *Store, module *Module) (*Instance, error) {
	if store == nil || module == nil {
		return nil, goError(StatusNullPointer, "Linker.Instantiate: nil store or module")
	}
	if err := ensureLoaded(); err != nil {
		return nil, err
	}
	var h C.uint64_t
	runtime.LockOSThread()
	st := C.wtg_wt_linker_instantiate(l.handle(), store.handle(), module.handle(), &h)
	var err error
	if st != 0 {
		err = lastError(st)
	}
	releasePins()
	runtime.UnlockOSThread()
	runtime.KeepAlive(l)
	runtime.KeepAlive(store)
	runtime.KeepAlive(module)
	if err != nil {
		return nil, err
	}
	return newInstance(h), nil
}
