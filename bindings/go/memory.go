package wt

/*
#include "shim.h"
*/
import "C"

import "unsafe"

// Memory is a linear memory living in a store. Its methods take the store
// (or, inside a host function, the *Caller).
type Memory struct{ object }

func newMemory(h C.uint64_t) *Memory {
	m := &Memory{}
	track(m, &m.object, h)
	return m
}

// Close frees the memory handle early (the store frees it anyway).
func (m *Memory) Close() error { return closeObject(m) }

func (m *Memory) query(store Storelike, f func(s, m C.uint64_t, out *C.uint64_t) C.int32_t) (uint64, error) {
	if store == nil {
		return 0, goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	defer keep(m)
	var out C.uint64_t
	err := do(func() C.int32_t { return f(store.storeHandle(), m.handle(), &out) })
	return uint64(out), err
}

// Size is the memory's size in pages (64 KiB unless the module uses custom
// page sizes), as in wasmtime-go.
func (m *Memory) Size(store Storelike) (uint64, error) {
	return m.query(store, func(s, h C.uint64_t, o *C.uint64_t) C.int32_t { return C.wtg_wt_memory_pages(s, h, o) })
}

// DataSize is the memory's size in bytes.
func (m *Memory) DataSize(store Storelike) (uint64, error) {
	return m.query(store, func(s, h C.uint64_t, o *C.uint64_t) C.int32_t { return C.wtg_wt_memory_size(s, h, o) })
}

// Grow grows the memory by delta pages and returns the previous size in
// pages. Beyond its maximum or the store's cap it fails with StatusLimit and
// the memory is unchanged.
func (m *Memory) Grow(store Storelike, delta uint64) (uint64, error) {
	return m.query(store, func(s, h C.uint64_t, o *C.uint64_t) C.int32_t {
		return C.wtg_wt_memory_grow(s, h, C.uint64_t(delta), o)
	})
}

// ReadInto copies len(buf) bytes at offset into buf. The whole range must be
// inside the memory (StatusOutOfBounds otherwise, and nothing is copied).
func (m *Memory) ReadInto(store Storelike, offset uint64, buf []byte) error {
	if store == nil {
		return goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	defer keep(m)
	return do(func() C.int32_t {
		p, n := cbytes(buf)
		return C.wtg_wt_memory_read(store.storeHandle(), m.handle(), C.uint64_t(offset), p, n)
	})
}

// Read returns a copy of n bytes at offset.
func (m *Memory) Read(store Storelike, offset uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, goError(StatusInvalidArgument, "Memory.Read: negative length %d", n)
	}
	buf := make([]byte, n)
	if err := m.ReadInto(store, offset, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// Write copies data into the memory at offset (bounds-checked like ReadInto).
func (m *Memory) Write(store Storelike, offset uint64, data []byte) error {
	if store == nil {
		return goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	defer keep(m)
	return do(func() C.int32_t {
		p, n := cbytes(data)
		return C.wtg_wt_memory_write(store.storeHandle(), m.handle(), C.uint64_t(offset), p, n)
	})
}

// UnsafeData is the memory itself, without copying. The slice is invalid as
// soon as the memory may grow (Grow, any call into wasm) or the store is
// closed; using it then is undefined behaviour. Prefer Read and Write.
//
// The slice does not keep the store alive: a store that is only reachable
// through it may be finalized (and its memory unmapped) while the slice is in
// use. Keep the store reachable until the last use, e.g. with
// runtime.KeepAlive(store) after it.
func (m *Memory) UnsafeData(store Storelike) ([]byte, error) {
	if store == nil {
		return nil, goError(StatusNullPointer, "store is nil")
	}
	defer keep(store)
	defer keep(m)
	var p *C.uint8_t
	var n C.size_t
	if err := do(func() C.int32_t { return C.wtg_wt_memory_data(store.storeHandle(), m.handle(), &p, &n) }); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), nil
}
