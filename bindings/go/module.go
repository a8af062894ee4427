package wt

/*
#include "shim.h"
*/
import "C"

import (
	"math"
	"strconv"
	"unsafe"
)

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
	Type         *FuncType   // for ExternFunc, else nil
	Global       *GlobalType // for ExternGlobal, else nil
	Memory       *MemoryType // for ExternMemory, else nil
	Table        *TableType  // for ExternTable, else nil
}

// ExportType describes an export of a module.
type ExportType struct {
	Name   string
	Kind   ExternKind
	Type   *FuncType   // for ExternFunc, else nil
	Global *GlobalType // for ExternGlobal, else nil
	Memory *MemoryType // for ExternMemory, else nil
	Table  *TableType  // for ExternTable, else nil
}

// NoMaximum is the Maximum of a MemoryType or TableType without a maximum.
const NoMaximum uint64 = math.MaxUint64

// GlobalType is the type of a global import or export.
type GlobalType struct {
	Content ValKind // the value type
	Mutable bool    // (mut T), else const
}

// String is the type as in WAT: "i32", "(mut i64)".
func (t GlobalType) String() string {
	if t.Mutable {
		return "(mut " + t.Content.String() + ")"
	}
	return t.Content.String()
}

// MemoryType is the limits of a memory import or export, in pages.
type MemoryType struct {
	Minimum uint64
	Maximum uint64 // NoMaximum when there is none
	Is64    bool   // a 64-bit memory (memory64)
}

// HasMaximum reports whether the memory has a maximum size.
func (t MemoryType) HasMaximum() bool { return t.Maximum != NoMaximum }

// String is the limits as in WAT: "1", "1 16", "i64 1 16".
func (t MemoryType) String() string {
	s := limitsText(t.Minimum, t.Maximum)
	if t.Is64 {
		return "i64 " + s
	}
	return s
}

// TableType is the type of a table import or export.
type TableType struct {
	Element ValKind // KindFuncRef, KindExternRef or KindAnyRef
	Minimum uint64  // in elements
	Maximum uint64  // in elements; NoMaximum when there is none
}

// HasMaximum reports whether the table has a maximum size.
func (t TableType) HasMaximum() bool { return t.Maximum != NoMaximum }

// String is the type as in WAT: "1 funcref", "0 8 externref".
func (t TableType) String() string {
	return limitsText(t.Minimum, t.Maximum) + " " + t.Element.String()
}

func limitsText(minimum, maximum uint64) string {
	s := strconv.FormatUint(minimum, 10)
	if maximum != NoMaximum {
		s += " " + strconv.FormatUint(maximum, 10)
	}
	return s
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

// itemTypes returns the type of a global, memory or table item of kind k
// (all nil for other kinds).
func (m *Module) itemTypes(isImport bool, i C.size_t, k ExternKind) (g *GlobalType, mem *MemoryType, tab *TableType, err error) {
	switch k {
	case ExternGlobal:
		g, err = m.globalType(isImport, i)
	case ExternMemory:
		mem, err = m.memoryType(isImport, i)
	case ExternTable:
		tab, err = m.tableType(isImport, i)
	}
	return g, mem, tab, err
}

func (m *Module) globalType(isImport bool, i C.size_t) (*GlobalType, error) {
	var k, mut C.int32_t
	err := do(func() C.int32_t {
		return C.wtg_wt_module_item_global_type(m.handle(), b2i(isImport), i, &k, &mut)
	})
	if err != nil {
		return nil, err
	}
	return &GlobalType{Content: ValKind(k), Mutable: mut == 1}, nil
}

func (m *Module) memoryType(isImport bool, i C.size_t) (*MemoryType, error) {
	var lo, hi C.uint64_t
	var is64 C.int32_t
	err := do(func() C.int32_t {
		return C.wtg_wt_module_item_memory_type(m.handle(), b2i(isImport), i, &lo, &hi, &is64)
	})
	if err != nil {
		return nil, err
	}
	return &MemoryType{Minimum: uint64(lo), Maximum: uint64(hi), Is64: is64 == 1}, nil
}

func (m *Module) tableType(isImport bool, i C.size_t) (*TableType, error) {
	var k C.int32_t
	var lo, hi C.uint64_t
	err := do(func() C.int32_t {
		return C.wtg_wt_module_item_table_type(m.handle(), b2i(isImport), i, &k, &lo, &hi)
	})
	if err != nil {
		return nil, err
	}
	return &TableType{Element: ValKind(k), Minimum: uint64(lo), Maximum: uint64(hi)}, nil
}

// itemIndex checks an import or export index given as an int.
func itemIndex(what string, index int) (C.size_t, error) {
	if index < 0 {
		return 0, goError(StatusOutOfBounds, "%s: negative index %d", what, index)
	}
	return C.size_t(index), nil
}

// ImportGlobalType is the type of import number index, which must be a
// global (StatusWrongKind otherwise, StatusOutOfBounds past the last import).
func (m *Module) ImportGlobalType(index int) (*GlobalType, error) {
	defer keep(m)
	i, err := itemIndex("ImportGlobalType", index)
	if err != nil {
		return nil, err
	}
	return m.globalType(true, i)
}

// ExportGlobalType is the type of export number index, which must be a
// global (StatusWrongKind otherwise, StatusOutOfBounds past the last export).
func (m *Module) ExportGlobalType(index int) (*GlobalType, error) {
	defer keep(m)
	i, err := itemIndex("ExportGlobalType", index)
	if err != nil {
		return nil, err
	}
	return m.globalType(false, i)
}

// ImportMemoryType is the limits of import number index, which must be a
// memory (StatusWrongKind otherwise, StatusOutOfBounds past the last import).
func (m *Module) ImportMemoryType(index int) (*MemoryType, error) {
	defer keep(m)
	i, err := itemIndex("ImportMemoryType", index)
	if err != nil {
		return nil, err
	}
	return m.memoryType(true, i)
}

// ExportMemoryType is the limits of export number index, which must be a
// memory (StatusWrongKind otherwise, StatusOutOfBounds past the last export).
func (m *Module) ExportMemoryType(index int) (*MemoryType, error) {
	defer keep(m)
	i, err := itemIndex("ExportMemoryType", index)
	if err != nil {
		return nil, err
	}
	return m.memoryType(false, i)
}

// ImportTableType is the type of import number index, which must be a
// table (StatusWrongKind otherwise, StatusOutOfBounds past the last import).
func (m *Module) ImportTableType(index int) (*TableType, error) {
	defer keep(m)
	i, err := itemIndex("ImportTableType", index)
	if err != nil {
		return nil, err
	}
	return m.tableType(true, i)
}

// ExportTableType is the type of export number index, which must be a
// table (StatusWrongKind otherwise, StatusOutOfBounds past the last export).
func (m *Module) ExportTableType(index int) (*TableType, error) {
	defer keep(m)
	i, err := itemIndex("ExportTableType", index)
	if err != nil {
		return nil, err
	}
	return m.tableType(false, i)
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
		g, mem, tab, err := m.itemTypes(true, i, k)
		if err != nil {
			return nil, err
		}
		out = append(out, ImportType{Module: mod, Name: name, Kind: k, Type: t, Global: g, Memory: mem, Table: tab})
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
		g, mem, tab, err := m.itemTypes(false, i, k)
		if err != nil {
			return nil, err
		}
		out = append(out, ExportType{Name: name, Kind: k, Type: t, Global: g, Memory: mem, Table: tab})
	}
	return out, nil
}
