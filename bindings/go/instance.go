package wt

/*
#include "shim.h"
*/
import "C"

// Instance is an instantiated module; it lives in its store.
type Instance struct{ object }

func newInstance(h C.uint64_t) *Instance {
	i := &Instance{}
	track(i, &i.object, h)
	return i
}

// Close frees the instance handle early (the store frees it anyway).
func (i *Instance) Close() error { return closeObject(i) }

type lookupFn func(store, inst C.uint64_t, name *C.char, n C.size_t, out *C.uint64_t) C.int32_t

func (i *Instance) lookup(store Storelike, name string, f lookupFn) (C.uint64_t, error) {
	if store == nil {
		return 0, goError(StatusNullPointer, "store is nil")
	}
	defer keep(i)
	defer keep(store)
	var h C.uint64_t
	err := do(func() C.int32_t {
		p, n := cstr(name)
		return f(store.storeHandle(), i.handle(), p, n, &h)
	})
	return h, err
}

// GetFunc looks up an exported function. Not found is an *Error with
// StatusNotFound; an export of another kind, StatusWrongKind. Each lookup
// makes a new handle: look exports up once and keep them.
func (i *Instance) GetFunc(store Storelike, name string) (*Func, error) {
	h, err := i.lookup(store, name, func(s, in C.uint64_t, p *C.char, n C.size_t, o *C.uint64_t) C.int32_t {
		return C.wtg_wt_instance_get_func(s, in, p, n, o)
	})
	if err != nil {
		return nil, err
	}
	return newFunc(h), nil
}

// GetMemory looks up an exported memory.
func (i *Instance) GetMemory(store Storelike, name string) (*Memory, error) {
	h, err := i.lookup(store, name, func(s, in C.uint64_t, p *C.char, n C.size_t, o *C.uint64_t) C.int32_t {
		return C.wtg_wt_instance_get_memory(s, in, p, n, o)
	})
	if err != nil {
		return nil, err
	}
	return newMemory(h), nil
}

// GetGlobal looks up an exported global.
func (i *Instance) GetGlobal(store Storelike, name string) (*Global, error) {
	h, err := i.lookup(store, name, func(s, in C.uint64_t, p *C.char, n C.size_t, o *C.uint64_t) C.int32_t {
		return C.wtg_wt_instance_get_global(s, in, p, n, o)
	})
	if err != nil {
		return nil, err
	}
	return newGlobal(h), nil
}

// GetTable looks up an exported table.
func (i *Instance) GetTable(store Storelike, name string) (*Table, error) {
	h, err := i.lookup(store, name, func(s, in C.uint64_t, p *C.char, n C.size_t, o *C.uint64_t) C.int32_t {
		return C.wtg_wt_instance_get_table(s, in, p, n, o)
	})
	if err != nil {
		return nil, err
	}
	return newTable(h), nil
}

// GetExport looks up an export of any kind.
func (i *Instance) GetExport(store Storelike, name string) (*Extern, error) {
	if store == nil {
		return nil, goError(StatusNullPointer, "store is nil")
	}
	defer keep(i)
	defer keep(store)
	var h C.uint64_t
	var k C.int32_t
	err := do(func() C.int32_t {
		p, n := cstr(name)
		return C.wtg_wt_instance_get_export(store.storeHandle(), i.handle(), p, n, &h, &k)
	})
	if err != nil {
		return nil, err
	}
	return newExtern(h, ExternKind(k)), nil
}

// ExportInfo names an export of an instance.
type ExportInfo struct {
	Name string
	Kind ExternKind
}

// Exports lists the instance's exports in order.
func (i *Instance) Exports(store Storelike) ([]ExportInfo, error) {
	if store == nil {
		return nil, goError(StatusNullPointer, "store is nil")
	}
	defer keep(i)
	defer keep(store)
	var n C.size_t
	if err := do(func() C.int32_t { return C.wtg_wt_instance_export_count(store.storeHandle(), i.handle(), &n) }); err != nil {
		return nil, err
	}
	out := make([]ExportInfo, 0, int(n))
	for idx := C.size_t(0); idx < n; idx++ {
		var k C.int32_t
		name, err := readName(func(b *C.uint8_t, c C.size_t, l *C.size_t) C.int32_t {
			return C.wtg_wt_instance_export_name(store.storeHandle(), i.handle(), idx, b, c, l, &k)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ExportInfo{Name: name, Kind: ExternKind(k)})
	}
	return out, nil
}

// Extern is an export of any kind; the method of its kind returns it, the
// others return nil.
type Extern struct {
	kind ExternKind
	fn   *Func
	mem  *Memory
	glob *Global
	tab  *Table
}

func newExtern(h C.uint64_t, k ExternKind) *Extern {
	e := &Extern{kind: k}
	switch k {
	case ExternFunc:
		e.fn = newFunc(h)
	case ExternMemory:
		e.mem = newMemory(h)
	case ExternGlobal:
		e.glob = newGlobal(h)
	case ExternTable:
		e.tab = newTable(h)
	default:
		C.wtg_wt_free(h)
	}
	return e
}

// Kind is the export's kind.
func (e *Extern) Kind() ExternKind { return e.kind }

// Func is the export as a function, or nil.
func (e *Extern) Func() *Func { return e.fn }

// Memory is the export as a memory, or nil.
func (e *Extern) Memory() *Memory { return e.mem }

// Global is the export as a global, or nil.
func (e *Extern) Global() *Global { return e.glob }

// Table is the export as a table, or nil.
func (e *Extern) Table() *Table { return e.tab }

// AsExtern is implemented by *Func, *Memory, *Global and *Table: the items
// Linker.Define accepts.
type AsExtern interface {
	Raw() uint64
	externKind() ExternKind
}

func (f *Func) externKind() ExternKind   { return ExternFunc }
func (m *Memory) externKind() ExternKind { return ExternMemory }
func (g *Global) externKind() ExternKind { return ExternGlobal }
func (t *Table) externKind() ExternKind  { return ExternTable }
