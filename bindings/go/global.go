package wt

/*
#include "shim.h"
*/
import "C"

// Global is a wasm global living in a store.
type Global struct{ object }

func newGlobal(h C.uint64_t) *Global {
	g := &Global{}
	track(g, &g.object, h)
	return g
}

// Close frees the global handle early (the store frees it anyway).
func (g *Global) Close() error { return closeObject(g) }

// Type is the global's value type and mutability.
func (g *Global) Type(store Storelike) (ValKind, bool, error) {
	if store == nil {
		return 0, false, goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	defer keep(g)
	var k, mut C.int32_t
	err := do(func() C.int32_t { return C.wtg_wt_global_type(store.storeHandle(), g.handle(), &k, &mut) })
	return ValKind(k), mut == 1, err
}

// Get reads the global as a Go value (see Func.Call for the types).
func (g *Global) Get(store Storelike) (interface{}, error) {
	k, _, err := g.Type(store)
	if err != nil {
		return nil, err
	}
	defer keep(store)
	defer keep(g)
	var v C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_global_get(store.storeHandle(), g.handle(), &v) }); err != nil {
		return nil, err
	}
	return fromSlot(uint64(v), k), nil
}

// Set writes a mutable global (StatusImmutable for a const one).
func (g *Global) Set(store Storelike, value interface{}) error {
	k, _, err := g.Type(store)
	if err != nil {
		return err
	}
	s, err := toSlot(value, k)
	if err != nil {
		return err
	}
	defer keep(store)
	defer keep(g)
	defer keep(value)
	return do(func() C.int32_t { return C.wtg_wt_global_set(store.storeHandle(), g.handle(), C.uint64_t(s)) })
}
