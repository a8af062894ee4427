package wt

/*
#include "shim.h"
*/
import "C"

import "unsafe"

// Wat2Wasm converts WebAssembly text to binary wasm. On invalid text the
// *Error has StatusCompile and a message with the line and column.
func Wat2Wasm(wat string) ([]byte, error) {
	var b C.uint64_t
	err := do(func() C.int32_t {
		p, n := cstr(wat)
		return C.wtg_wt_wat2wasm(p, n, &b)
	})
	if err != nil {
		return nil, err
	}
	return takeBytes(b)
}

// Module is compiled code; it may be instantiated in any store of its engine,
// from any goroutine.
type Module struct{ object }

func newModule(h C.uint64_t) *Module {
	m := &Module{}
	track(m, &m.object, h)
	return m
}

// NewModule compiles binary wasm.
func NewModule(engine *Engine, wasm []byte) (*Module, error) {
	if engine == nil {
		return nil, goError(StatusNullPointer, "NewModule: engine is nil")
	}
	defer keep(engine)
	var h C.uint64_t
	err := do(func() C.int32_t {
		p, n := cbytes(wasm)
		return C.wtg_wt_module_from_wasm(engine.handle(), p, n, &h)
	})
	if err != nil {
		return nil, err
	}
	return newModule(h), nil
}

// NewModuleFromWat compiles WebAssembly text.
func NewModuleFromWat(engine *Engine, wat string) (*Module, error) {
	if engine == nil {
		return nil, goError(StatusNullPointer, "NewModuleFromWat: engine is nil")
	}
	defer keep(engine)
	var h C.uint64_t
	err := do(func() C.int32_t {
		p, n := cstr(wat)
		return C.wtg_wt_module_from_wat(engine.handle(), p, n, &h)
	})
	if err != nil {
		return nil, err
	}
	return newModule(h), nil
}

// ModuleValidate checks binary wasm against the engine's features without
// compiling it: nil if valid, an *Error with StatusCompile saying why not.
func ModuleValidate(engine *Engine, wasm []byte) error {
	if engine == nil {
		return goError(StatusNullPointer, "ModuleValidate: engine is nil")
	}
	defer keep(engine)
	return do(func() C.int32_t {
		p, n := cbytes(wasm)
		return C.wtg_wt_module_validate(engine.handle(), p, n)
	})
}

// NewModuleDeserialize loads a module from bytes made by Module.Serialize.
// TRUSTED INPUT ONLY: the bytes are machine code (see wt_module_deserialize).
func NewModuleDeserialize(engine *Engine, data []byte) (*Module, error) {
	if engine == nil {
		return nil, goError(StatusNullPointer, "NewModuleDeserialize: engine is nil")
	}
	defer keep(engine)
	var h C.uint64_t
	err := do(func() C.int32_t {
		p, n := cbytes(data)
		return C.wtg_wt_module_deserialize(engine.handle(), p, n, &h)
	})
	if err != nil {
		return nil, err
	}
	return newModule(h), nil
}

// Close frees the module (instances made from it keep working).
func (m *Module) Close() error { return closeObject(m) }

// Serialize returns the module's compiled code for NewModuleDeserialize.
func (m *Module) Serialize() ([]byte, error) {
	defer keep(m)
	var b C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_module_serialize(m.handle(), &b) }); err != nil {
		return nil, err
	}
	return takeBytes(b)
}

// ImportType describes an import of a module.
type ImportType struct {
	Module, Name string
	Kind         ExternKind
	Type         *FuncType // for ExternFunc, else nil
}

// ExportType describes an export of a module.
type ExportType struct {
	Name string
	Kind ExternKind
	Type *FuncType // for ExternFunc, else nil
}

type nameFn func(buf *C.uint8_t, cap C.size_t, n *C.size_t) C.int32_t

// readName runs a libwt "copy a name into (buf, cap)" function twice: to size, then to copy.
func readName(f nameFn) (string, error) {
	var n C.size_t
	err := do(func() C.int32_t {
		st := f(nil, 0, &n)
		if int32(st) == StatusOutOfBounds {
			return 0
		}
		return st
	})
	if err != nil || n == 0 {
		return "", err
	}
	buf := make([]byte, int(n))
	err = do(func() C.int32_t { return f((*C.uint8_t)(unsafe.Pointer(&buf[0])), n, &n) })
	if err != nil {
		return "", err
	}
	return string(buf[:int(n)]), nil
}

func (m *Module) itemType(isImport bool, i C.size_t) (ExternKind, *FuncType, error) {
	var k C.int32_t
	var ft C.uint64_t
	err := do(func() C.int32_t { return C.wtg_wt_module_item_type(m.handle(), b2i(isImport), i, &k, &ft) })
	if err != nil {
		return 0, nil, err
	}
	if ft == 0 {
		return ExternKind(k), nil, nil
	}
	t, err := funcTypeOf(ft)
	C.wtg_wt_free(ft)
	return ExternKind(k), t, err
}

// Imports lists the module's imports in order.
func (m *Module) Imports() ([]ImportType, error) {
	defer keep(m)
	var n C.size_t
	if err := do(func() C.int32_t { return C.wtg_wt_module_import_count(m.handle(), &n) }); err != nil {
		return nil, err
	}
	out := make([]ImportType, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		mod, err := readName(func(b *C.uint8_t, c C.size_t, l *C.size_t) C.int32_t {
			return C.wtg_wt_module_import_module(m.handle(), i, b, c, l)
		})
		if err != nil {
			return nil, err
		}
		name, err := readName(func(b *C.uint8_t, c C.size_t, l *C.size_t) C.int32_t {
			return C.wtg_wt_module_import_name(m.handle(), i, b, c, l)
		})
		if err != nil {
			return nil, err
		}
		k, t, err := m.itemType(true, i)
		if err != nil {
			return nil, err
		}
		out = append(out, ImportType{Module: mod, Name: name, Kind: k, Type: t})
	}
	return out, nil
}

// Exports lists the module's exports in order.
func (m *Module) Exports() ([]ExportType, error) {
	defer keep(m)
	var n C.size_t
	if err := do(func() C.int32_t { return C.wtg_wt_module_export_count(m.handle(), &n) }); err != nil {
		return nil, err
	}
	out := make([]ExportType, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		name, err := readName(func(b *C.uint8_t, c C.size_t, l *C.size_t) C.int32_t {
			return C.wtg_wt_module_export_name(m.handle(), i, b, c, l)
		})
		if err != nil {
			return nil, err
		}
		k, t, err := m.itemType(false, i)
		if err != nil {
			return nil, err
		}
		out = append(out, ExportType{Name: name, Kind: k, Type: t})
	}
	return out, nil
}
