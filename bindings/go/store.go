package wt

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"time"
)

// Storelike is what functions that touch store contents take: a *Store, or
// the *Caller a host function receives (which stands for the caller's store
// during the call).
type Storelike interface {
	storeHandle() C.uint64_t
}

// Store holds instances and everything they own. A store is used by one
// goroutine at a time (another one gets StatusBusy); different stores run
// in parallel. Closing it frees every instance, func, memory, global and
// table handle that lives in it.
type Store struct{ object }

// NewStore makes a store for an engine.
func NewStore(engine *Engine) (*Store, error) {
	if engine == nil {
		return nil, goError(StatusNullPointer, "NewStore: engine is nil")
	}
	defer keep(engine)
	var h C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_store_new(engine.handle(), &h) }); err != nil {
		return nil, err
	}
	s := &Store{}
	track(s, &s.object, h)
	return s, nil
}

func (s *Store) storeHandle() C.uint64_t { return s.handle() }

// Close frees the store and everything in it. Safe while another goroutine
// runs the store: it is destroyed when that call returns.
func (s *Store) Close() error { return closeObject(s) }

// SetFuel sets the store's fuel (the engine needs Config.SetConsumeFuel).
func (s *Store) SetFuel(fuel uint64) error {
	defer keep(s)
	return do(func() C.int32_t { return C.wtg_wt_store_set_fuel(s.handle(), C.uint64_t(fuel)) })
}

// GetFuel is the store's remaining fuel.
func (s *Store) GetFuel() (uint64, error) {
	defer keep(s)
	var f C.uint64_t
	err := do(func() C.int32_t { return C.wtg_wt_store_get_fuel(s.handle(), &f) })
	return uint64(f), err
}

// SetTimeout limits every top-level call into the store to d of wall time
// (about 1 ms resolution); 0 removes the limit. A call that runs longer fails
// with StatusInterrupted and the store stays usable.
func (s *Store) SetTimeout(d time.Duration) error {
	defer keep(s)
	ms := uint64(0)
	if d > 0 {
		ms = uint64((d + time.Millisecond - 1) / time.Millisecond)
	}
	return do(func() C.int32_t { return C.wtg_wt_store_set_timeout_ms(s.handle(), C.uint64_t(ms)) })
}

// Interrupt stops the code running in the store as soon as possible (its
// call fails with StatusInterrupted, TrapInterrupt); if the store is idle,
// its next call is interrupted. Safe from any goroutine.
func (s *Store) Interrupt() error {
	defer keep(s)
	return do(func() C.int32_t { return C.wtg_wt_store_interrupt(s.handle()) })
}

// NoLimit is the "no cap" value for SetLimits.
const NoLimit = ^uint64(0)

// SetLimits caps each linear memory at memoryBytes and each table at
// tableElements (NoLimit for none). Growth beyond a cap fails as the spec
// says (memory.grow returns -1), or traps with trapOnGrowFailure.
func (s *Store) SetLimits(memoryBytes, tableElements uint64, trapOnGrowFailure bool) error {
	defer keep(s)
	return do(func() C.int32_t {
		return C.wtg_wt_store_set_limits(s.handle(), C.uint64_t(memoryBytes), C.uint64_t(tableElements), b2i(trapOnGrowFailure))
	})
}

// GC runs the garbage collector of the store's GC heap (externrefs, GC objects).
func (s *Store) GC() error {
	defer keep(s)
	return do(func() C.int32_t { return C.wtg_wt_store_gc(s.handle()) })
}

func keep(x interface{}) { runtime.KeepAlive(x) }
