package wt

/*
#include "shim.h"
*/
import "C"

// Table is a wasm table (of funcrefs or externrefs) living in a store.
type Table struct{ object }

func newTable(h C.uint64_t) *Table {
	t := &Table{}
	track(t, &t.object, h)
	return t
}

// Close frees the table handle early (the store frees it anyway).
func (t *Table) Close() error { return closeObject(t) }

// Type is the element type (KindFuncRef, KindExternRef or KindAnyRef).
func (t *Table) Type(store Storelike) (ValKind, error) {
	if store == nil {
		return 0, goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	defer keep(t)
	var k C.int32_t
	err := do(func() C.int32_t { return C.wtg_wt_table_type(store.storeHandle(), t.handle(), &k) })
	return ValKind(k), err
}

// Size is the number of elements.
func (t *Table) Size(store Storelike) (uint64, error) {
	if store == nil {
		return 0, goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	defer keep(t)
	var n C.uint64_t
	err := do(func() C.int32_t { return C.wtg_wt_table_size(store.storeHandle(), t.handle(), &n) })
	return uint64(n), err
}

// Get reads element index: a *Func, an ExternRef, or nil for null.
func (t *Table) Get(store Storelike, index uint64) (interface{}, error) {
	k, err := t.Type(store)
	if err != nil {
		return nil, err
	}
	defer keep(store)
	defer keep(t)
	var v C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_table_get(store.storeHandle(), t.handle(), C.uint64_t(index), &v) }); err != nil {
		return nil, err
	}
	return fromSlot(uint64(v), k), nil
}

// Set writes element index (a *Func of this store, an ExternRef, or nil).
func (t *Table) Set(store Storelike, index uint64, value interface{}) error {
	k, err := t.Type(store)
	if err != nil {
		return err
	}
	s, err := toSlot(value, k)
	if err != nil {
		return err
	}
	defer keep(store)
	defer keep(t)
	defer keep(value)
	return do(func() C.int32_t {
		return C.wtg_wt_table_set(store.storeHandle(), t.handle(), C.uint64_t(index), C.uint64_t(s))
	})
}

// Grow adds delta elements set to init and returns the previous size.
func (t *Table) Grow(store Storelike, delta uint64, init interface{}) (uint64, error) {
	k, err := t.Type(store)
	if err != nil {
		return 0, err
	}
	s, err := toSlot(init, k)
	if err != nil {
		return 0, err
	}
	defer keep(store)
	defer keep(t)
	defer keep(init)
	var old C.uint64_t
	err = do(func() C.int32_t {
		return C.wtg_wt_table_grow(store.storeHandle(), t.handle(), C.uint64_t(delta), C.uint64_t(s), &old)
	})
	return uint64(old), err
}
