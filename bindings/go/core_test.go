package wt

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

const helloWat = `(module
  (import "" "hello" (func $hello))
  (func (export "run") (call $hello)))`

func TestHelloCallbackRuns(t *testing.T) {
	w := newWorld(t)
	calls := 0
	ok(t, w.linker.DefineFunc("", "hello", func() { calls++ }))
	run := w.fn(w.instantiate(helloWat), "run")
	if r := w.call(run); r != nil {
		t.Fatalf("no results expected, got %v", r)
	}
	w.call(run)
	if calls != 2 {
		t.Fatalf("host function ran %d times, want 2", calls)
	}
}

func TestWat2WasmAndBinaryModules(t *testing.T) {
	wasm := must[[]byte](t)(Wat2Wasm(`(module (func (export "f") (result i32) i32.const 7))`))
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		t.Fatalf("not wasm: %x", wasm)
	}
	w := newWorld(t)
	ok(t, ModuleValidate(w.engine, wasm))
	wantStatus(t, ModuleValidate(w.engine, []byte("\x00asm\x01\x00\x00\x00\x01")), StatusCompile)
	m := must[*Module](t)(NewModule(w.engine, wasm))
	i := must[*Instance](t)(w.linker.Instantiate(w.store, m))
	if r := w.call(w.fn(i, "f")); r != int32(7) {
		t.Fatalf("got %#v", r)
	}
	ok(t, m.Close())
	_, err := Wat2Wasm("(module (func (result i32) i32.bogus))")
	contains(t, wantStatus(t, err, StatusCompile).Message, "line 1, column")
}

func TestCompileErrorsHaveLineAndColumn(t *testing.T) {
	w := newWorld(t)
	_, err := NewModuleFromWat(w.engine, "(module\n  (func (result i32)\n    i32.bogus))")
	e := wantStatus(t, err, StatusCompile)
	contains(t, e.Message, "line 3, column 5")
	contains(t, e.Error(), "compile error", "line 3")
	if e.TrapCode != TrapNone || e.IsTrap() {
		t.Fatalf("a compile error is not a trap: %d", e.TrapCode)
	}
	_, err = NewModuleFromWat(w.engine, "(module (func (result i32) (i64.const 1)))")
	contains(t, wantStatus(t, err, StatusCompile).Message, "type mismatch")
	_, err = NewModuleFromWat(w.engine, "\xff\xfe")
	wantStatus(t, err, StatusInvalidArgument)
}

const numericWat = `(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mulf") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "divd") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32 f32)
    (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
    (i32.sub (i32.const 0) (local.get 0))
    (local.get 2)))`

func TestAddI32I64F32F64AndMultiValue(t *testing.T) {
	w := newWorld(t)
	i := w.instantiate(numericWat)
	add, add64, mulf, divd, mix := w.fn(i, "add"), w.fn(i, "add64"), w.fn(i, "mulf"), w.fn(i, "divd"), w.fn(i, "mix")

	cases := []struct {
		f    *Func
		args []interface{}
		want interface{}
	}{
		{add, []interface{}{int32(40), int32(2)}, int32(42)},
		{add, []interface{}{int32(-7), int32(2)}, int32(-5)},
		{add, []interface{}{40, 2}, int32(42)},                // untyped constants are ints
		{add, []interface{}{uint32(0xffffffff), 1}, int32(0)}, // i32 bits as uint32
		{add64, []interface{}{int64(10_000_000_000), int64(-1)}, int64(9_999_999_999)},
		{add64, []interface{}{uint64(math.MaxUint64), 2}, int64(1)},
		{mulf, []interface{}{float32(1.5), float32(-4)}, float32(-6)},
		{mulf, []interface{}{1.5, 2.0}, float32(3)}, // float64 converted to f32
		{divd, []interface{}{1.0, 4.0}, 0.25},
		{divd, []interface{}{1.0, 0.0}, math.Inf(1)},
	}
	for _, c := range cases {
		if got := w.call(c.f, c.args...); got != c.want {
			t.Errorf("%v -> %#v, want %#v", c.args, got, c.want)
		}
	}
	nan := w.call(divd, 0.0, 0.0).(float64)
	if !math.IsNaN(nan) {
		t.Errorf("0/0 = %v", nan)
	}

	got := w.call(mix, int32(-5), int64(10_000_000_000), float32(1.5), 2.25)
	want := []interface{}{3.75, int64(9_999_999_995), int32(5), float32(1.5)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mix = %#v, want %#v", got, want)
	}
	ty := must[*FuncType](t)(mix.Type())
	if ty.String() != "(i32, i64, f32, f64) -> (f64, i64, i32, f32)" {
		t.Fatalf("type %s", ty)
	}

	// Raw slots.
	res := make([]uint64, 1)
	ok(t, add.CallRaw(w.store, []uint64{uint64(uint32(0xfffffff0)), 0x20}, res))
	if res[0] != 0x10 {
		t.Fatalf("raw: %#x", res[0])
	}

	// Wrong counts: libwt reports the signature.
	_, err := add.Call(w.store, 1)
	contains(t, wantStatus(t, err, StatusSignature).Message, "takes 2 argument(s)", "passed 1")
	_, err = add.Call(w.store, 1, 2, 3)
	wantStatus(t, err, StatusSignature)
	// Wrong Go types are refused before the call.
	_, err = add.Call(w.store, "1", 2)
	contains(t, wantStatus(t, err, StatusSignature).Message, "argument 0", "string", "i32")
	_, err = add.Call(w.store, int64(1)<<40, 2)
	contains(t, wantStatus(t, err, StatusSignature).Message, "does not fit i32")
	_, err = add64.Call(w.store, 1.5, 2)
	wantStatus(t, err, StatusSignature)
	_, err = add.Call(nil, 1, 2)
	wantStatus(t, err, StatusNullPointer)
}

func TestHostFunctionTypesByReflection(t *testing.T) {
	w := newWorld(t)
	type myInt int32
	ok(t, w.linker.DefineFunc("env", "swap4", func(a int32, b int64, c float32, d float64) (float64, float32, int64, int32) {
		return d * 2, c * 2, b * 2, a * 2
	}))
	ok(t, w.linker.DefineFunc("env", "unsigned", func(x uint32, y uint64) (uint32, uint64) {
		return x + 1, y + 1 // wraps like wasm does
	}))
	ok(t, w.linker.DefineFunc("env", "named", func(c *Caller, x myInt) myInt { return x * 3 }))
	ok(t, w.linker.FuncNew("env", "dyn", NewFuncType([]ValKind{KindI32, KindF64}, []ValKind{KindF64}),
		func(c *Caller, args []interface{}) ([]interface{}, error) {
			return []interface{}{float64(args[0].(int32)) + args[1].(float64)}, nil
		}))
	i := w.instantiate(`(module
	  (import "env" "swap4" (func $swap4 (param i32 i64 f32 f64) (result f64 f32 i64 i32)))
	  (import "env" "unsigned" (func $u (param i32 i64) (result i32 i64)))
	  (import "env" "named" (func $named (param i32) (result i32)))
	  (import "env" "dyn" (func $dyn (param i32 f64) (result f64)))
	  (func (export "swap4") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
	    (call $swap4 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
	  (func (export "unsigned") (param i32 i64) (result i32 i64) (call $u (local.get 0) (local.get 1)))
	  (func (export "named") (param i32) (result i32) (call $named (local.get 0)))
	  (func (export "dyn") (param i32 f64) (result f64) (call $dyn (local.get 0) (local.get 1))))`)
	got := w.call(w.fn(i, "swap4"), int32(-3), int64(1)<<40, float32(0.25), -1.5)
	want := []interface{}{-3.0, float32(0.5), int64(1) << 41, int32(-6)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("swap4 = %#v, want %#v", got, want)
	}
	got = w.call(w.fn(i, "unsigned"), int32(-1), int64(-1))
	want = []interface{}{int32(0), int64(0)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unsigned = %#v, want %#v", got, want)
	}
	if r := w.call(w.fn(i, "named"), int32(-14)); r != int32(-42) {
		t.Fatalf("named = %#v", r)
	}
	if r := w.call(w.fn(i, "dyn"), int32(2), 0.5); r != 2.5 {
		t.Fatalf("dyn = %#v", r)
	}

	// Unsupported Go signatures are refused when defining.
	for _, bad := range []interface{}{
		func(s string) {},
		func(x int) {},
		func() string { return "" },
		func(xs ...int32) {},
		func() (error, int32) { return nil, 0 },
		42,
		nil,
	} {
		err := w.linker.DefineFunc("env", "bad", bad)
		wantStatus(t, err, StatusInvalidArgument)
	}
	// Defining a name twice is a link error (no shadowing by default).
	wantStatus(t, w.linker.DefineFunc("env", "named", func() {}), StatusLink)
	ok(t, w.linker.AllowShadowing(true))
	ok(t, w.linker.DefineFunc("env", "named", func() {}))
}

func TestTrapsHaveCodesAndBacktraces(t *testing.T) {
	w := newWorld(t)
	i := w.instantiate(`(module
	  (func $inner (export "unreachable") unreachable)
	  (func (export "nested") (call $inner))
	  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
	  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
	  (func (export "conv") (result i32) (i32.trunc_f32_s (f32.const nan)))
	  (func $rec (export "recurse") (call $rec))
	  (memory 1)
	  (func (export "oob") (result i32) (i32.load (i32.const 70000))))`)
	cases := []struct {
		name string
		args []interface{}
		code int32
		text string
	}{
		{"unreachable", nil, TrapUnreachable, "unreachable"},
		{"div", []interface{}{0}, TrapIntegerDivisionByZero, "divide by zero"},
		{"overflow", nil, TrapIntegerOverflow, "overflow"},
		{"conv", nil, TrapBadConversionToInteger, "conversion"},
		{"oob", nil, TrapMemoryOutOfBounds, "out of bounds"},
		{"recurse", nil, TrapStackOverflow, "stack"},
	}
	for _, c := range cases {
		_, err := w.fn(i, c.name).Call(w.store, c.args...)
		e := wantStatus(t, err, StatusTrap)
		if e.TrapCode != c.code || !e.IsTrap() {
			t.Errorf("%s: trap code %d, want %d (%s)", c.name, e.TrapCode, c.code, e.Message)
		}
		contains(t, strings.ToLower(e.Message), c.text)
	}
	_, err := w.fn(i, "nested").Call(w.store)
	contains(t, wantStatus(t, err, StatusTrap).Message, "wasm backtrace", "inner")
	// The store is still usable after traps.
	if r := w.call(w.fn(i, "div"), 1); r != int32(1) {
		t.Fatalf("div 1 = %v", r)
	}
}

func TestLinkErrorsNameTheImport(t *testing.T) {
	w := newWorld(t)
	m := must[*Module](t)(NewModuleFromWat(w.engine, `(module (import "env" "log_it" (func (param i32))))`))
	_, err := w.linker.Instantiate(w.store, m)
	contains(t, wantStatus(t, err, StatusLink).Message, "env", "log_it")
	ok(t, w.linker.DefineFunc("env", "log_it", func(int64) {}))
	_, err = w.linker.Instantiate(w.store, m)
	contains(t, wantStatus(t, err, StatusLink).Message, "log_it")

	imps := must[[]ImportType](t)(m.Imports())
	if len(imps) != 1 || imps[0].Module != "env" || imps[0].Name != "log_it" || imps[0].Kind != ExternFunc ||
		imps[0].Type.String() != "(i32) -> ()" {
		t.Fatalf("imports %+v", imps)
	}
}

func TestModuleIntrospectionAndSerialization(t *testing.T) {
	w := newWorld(t)
	m := must[*Module](t)(NewModuleFromWat(w.engine, `(module
	  (import "a" "f" (func (param i64) (result f32)))
	  (import "a" "mem" (memory 1))
	  (global (export "g") i32 (i32.const 3))
	  (table (export "t") 1 funcref)
	  (func (export "seven") (result i32) (i32.const 7)))`))
	defer m.Close()
	exps := must[[]ExportType](t)(m.Exports())
	got := []string{}
	for _, e := range exps {
		s := e.Name + ":" + e.Kind.String()
		if e.Type != nil {
			s += e.Type.String()
		}
		got = append(got, s)
	}
	if strings.Join(got, " ") != "g:global t:table seven:func() -> (i32)" {
		t.Fatalf("exports %v", got)
	}
	imps := must[[]ImportType](t)(m.Imports())
	if len(imps) != 2 || imps[1].Kind != ExternMemory || imps[1].Type != nil || imps[0].Type.String() != "(i64) -> (f32)" {
		t.Fatalf("imports %+v", imps)
	}

	m2 := must[*Module](t)(NewModuleFromWat(w.engine, `(module (func (export "seven") (result i32) (i32.const 7)))`))
	data := must[[]byte](t)(m2.Serialize())
	ok(t, m2.Close())
	m3 := must[*Module](t)(NewModuleDeserialize(w.engine, data))
	i := must[*Instance](t)(w.linker.Instantiate(w.store, m3))
	if r := w.call(w.fn(i, "seven")); r != int32(7) {
		t.Fatalf("seven = %v", r)
	}
	_, err := NewModuleDeserialize(w.engine, []byte("definitely not a module"))
	wantStatus(t, err, StatusCompile)
	names := must[[]ExportInfo](t)(i.Exports(w.store))
	if len(names) != 1 || names[0] != (ExportInfo{"seven", ExternFunc}) {
		t.Fatalf("instance exports %+v", names)
	}
}

func TestModuleGlobalMemoryAndTableTypes(t *testing.T) {
	w := newWorld(t)
	m := must[*Module](t)(NewModuleFromWat(w.engine, `(module
	  (import "env" "counter" (global (mut i64)))
	  (import "env" "pi" (global f64))
	  (import "env" "mem" (memory 1 4))
	  (import "env" "refs" (table 2 externref))
	  (global (export "g32") (mut i32) (i32.const 7))
	  (global (export "gf32") f32 (f32.const 1.5))
	  (memory (export "memory") 2)
	  (memory (export "mem64") i64 1 16)
	  (table (export "t") 3 10 funcref)
	  (table (export "t0") 0 externref)
	  (func (export "f")))`))
	defer m.Close()

	// One item at a time.
	for _, c := range []struct {
		got  *GlobalType
		want GlobalType
	}{
		{must[*GlobalType](t)(m.ImportGlobalType(0)), GlobalType{KindI64, true}},
		{must[*GlobalType](t)(m.ImportGlobalType(1)), GlobalType{KindF64, false}},
		{must[*GlobalType](t)(m.ExportGlobalType(0)), GlobalType{KindI32, true}},
		{must[*GlobalType](t)(m.ExportGlobalType(1)), GlobalType{KindF32, false}},
	} {
		if *c.got != c.want {
			t.Fatalf("global type %+v, want %+v", *c.got, c.want)
		}
	}
	if s := must[*GlobalType](t)(m.ImportGlobalType(0)).String(); s != "(mut i64)" {
		t.Fatalf("global type string %q", s)
	}
	imem := must[*MemoryType](t)(m.ImportMemoryType(2))
	if *imem != (MemoryType{Minimum: 1, Maximum: 4}) || !imem.HasMaximum() || imem.String() != "1 4" {
		t.Fatalf("imported memory %+v", *imem)
	}
	mem := must[*MemoryType](t)(m.ExportMemoryType(2))
	if *mem != (MemoryType{Minimum: 2, Maximum: NoMaximum}) || mem.Maximum != math.MaxUint64 || mem.HasMaximum() ||
		mem.String() != "2" {
		t.Fatalf("exported memory %+v", *mem)
	}
	mem64 := must[*MemoryType](t)(m.ExportMemoryType(3))
	if *mem64 != (MemoryType{Minimum: 1, Maximum: 16, Is64: true}) || mem64.String() != "i64 1 16" {
		t.Fatalf("memory64 %+v", *mem64)
	}
	refs := must[*TableType](t)(m.ImportTableType(3))
	if *refs != (TableType{Element: KindExternRef, Minimum: 2, Maximum: NoMaximum}) || refs.HasMaximum() ||
		refs.String() != "2 externref" {
		t.Fatalf("imported table %+v", *refs)
	}
	tab := must[*TableType](t)(m.ExportTableType(4))
	if *tab != (TableType{Element: KindFuncRef, Minimum: 3, Maximum: 10}) || !tab.HasMaximum() || tab.String() != "3 10 funcref" {
		t.Fatalf("exported table %+v", *tab)
	}

	// The same through Imports and Exports: one type per kind, the others nil.
	describe := func(kind ExternKind, ft *FuncType, g *GlobalType, mem *MemoryType, tab *TableType) string {
		s := kind.String()
		n := 0
		if ft != nil {
			s, n = s+" "+ft.String(), n+1
		}
		if g != nil {
			s, n = s+" "+g.String(), n+1
		}
		if mem != nil {
			s, n = s+" "+mem.String(), n+1
		}
		if tab != nil {
			s, n = s+" "+tab.String(), n+1
		}
		if n != 1 {
			t.Fatalf("%s: %d types set", s, n)
		}
		return s
	}
	var got []string
	for _, i := range must[[]ImportType](t)(m.Imports()) {
		got = append(got, i.Name+": "+describe(i.Kind, i.Type, i.Global, i.Memory, i.Table))
	}
	if want := "counter: global (mut i64)|pi: global f64|mem: memory 1 4|refs: table 2 externref"; strings.Join(got, "|") != want {
		t.Fatalf("imports\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	got = nil
	for _, e := range must[[]ExportType](t)(m.Exports()) {
		got = append(got, e.Name+": "+describe(e.Kind, e.Type, e.Global, e.Memory, e.Table))
	}
	if want := "g32: global (mut i32)|gf32: global f32|memory: memory 2|mem64: memory i64 1 16|" +
		"t: table 3 10 funcref|t0: table 0 externref|f: func () -> ()"; strings.Join(got, "|") != want {
		t.Fatalf("exports\n got %s\nwant %s", strings.Join(got, "|"), want)
	}

	// The item must be of the asked kind: StatusWrongKind otherwise.
	_, err := m.ImportGlobalType(2) // a memory
	contains(t, wantStatus(t, err, StatusWrongKind).Message, "kind")
	_, err = m.ExportGlobalType(2) // a memory
	wantStatus(t, err, StatusWrongKind)
	_, err = m.ImportMemoryType(3) // a table
	wantStatus(t, err, StatusWrongKind)
	_, err = m.ExportTableType(0) // a global
	wantStatus(t, err, StatusWrongKind)
	_, err = m.ExportMemoryType(6) // a function
	wantStatus(t, err, StatusWrongKind)
	// Past the last item, negative, and on a closed module.
	_, err = m.ImportGlobalType(4)
	wantStatus(t, err, StatusOutOfBounds)
	_, err = m.ExportTableType(7)
	wantStatus(t, err, StatusOutOfBounds)
	_, err = m.ExportTableType(-1)
	contains(t, wantStatus(t, err, StatusOutOfBounds).Message, "negative")
	gone := must[*Module](t)(NewModuleFromWat(w.engine, `(module (global (export "g") i32 (i32.const 0)))`))
	if g := must[*GlobalType](t)(gone.ExportGlobalType(0)); *g != (GlobalType{KindI32, false}) {
		t.Fatalf("global %+v", *g)
	}
	ok(t, gone.Close())
	_, err = gone.ExportGlobalType(0)
	wantStatus(t, err, StatusBadHandle)

	// A shared memory (threads enabled): its limits; the API has no shared flag.
	cfg := must[*Config](t)(NewConfig())
	defer cfg.Close()
	ok(t, cfg.SetFeature(FeatureThreads, true))
	threaded := must[*Engine](t)(NewEngineWithConfig(cfg))
	defer threaded.Close()
	shared := must[*Module](t)(NewModuleFromWat(threaded, `(module (memory (export "m") 1 3 shared))`))
	defer shared.Close()
	if sm := must[*MemoryType](t)(shared.ExportMemoryType(0)); *sm != (MemoryType{Minimum: 1, Maximum: 3}) {
		t.Fatalf("shared memory %+v", *sm)
	}
}

func TestStaleAndWrongKindHandles(t *testing.T) {
	e := must[*Engine](t)(NewEngine())
	defer e.Close()
	s := must[*Store](t)(NewStore(e))
	l := must[*Linker](t)(NewLinker(e))
	defer l.Close()
	m := must[*Module](t)(NewModuleFromWat(e, `(module (memory (export "mem") 1) (func (export "f")))`))
	defer m.Close()
	i := must[*Instance](t)(l.Instantiate(s, m))
	f := must[*Func](t)(i.GetFunc(s, "f"))
	mem := must[*Memory](t)(i.GetMemory(s, "mem"))

	if k := must[HandleType](t)(HandleKind(s.Raw())); k != HandleStore {
		t.Fatalf("kind %d", k)
	}
	// An export of another kind.
	_, err := i.GetMemory(s, "f")
	wantStatus(t, err, StatusWrongKind)
	_, err = i.GetFunc(s, "nope")
	wantStatus(t, err, StatusNotFound)
	// Wrong kind: a module handle where a store is expected, and vice versa.
	fakeStore := &Store{}
	fakeStore.h.Store(m.Raw())
	_, err = l.Instantiate(fakeStore, m)
	contains(t, wantStatus(t, err, StatusWrongKind).Message, "module", "store")
	fakeEngine := &Engine{}
	fakeEngine.h.Store(s.Raw())
	_, err = NewStore(fakeEngine)
	wantStatus(t, err, StatusWrongKind)
	// Forged numbers and 0.
	wantStatus(t, FreeHandle(0), StatusBadHandle)
	wantStatus(t, FreeHandle(0xdeadbeefdeadbeef), StatusBadHandle)
	for _, h := range []uint64{0, 1, 0x9e3779b97f4a7c15, m.Raw() + 1} {
		fakeStore.h.Store(h)
		_, err = f.Call(fakeStore)
		if err == nil {
			t.Fatalf("call with store %#x succeeded", h)
		}
	}
	// A func of one store through another store.
	s2 := must[*Store](t)(NewStore(e))
	_, err = f.Call(s2)
	contains(t, wantStatus(t, err, StatusInvalidArgument).Message, "another store")
	ok(t, s2.Close())

	// Stale: everything in a closed store, and the closed store itself.
	ok(t, s.Close())
	ok(t, s.Close()) // Close is idempotent on the Go side
	_, err = f.Call(s)
	wantStatus(t, err, StatusBadHandle)
	_, err = (&Func{}).Call(s)
	wantStatus(t, err, StatusBadHandle)
	_, err = mem.Size(s)
	wantStatus(t, err, StatusBadHandle)
	_, err = i.GetFunc(s, "f")
	wantStatus(t, err, StatusBadHandle)
	// A second free of the same raw handle is a status, not a crash.
	m2 := must[*Module](t)(NewModuleFromWat(e, `(module)`))
	raw := m2.Raw()
	ok(t, FreeHandle(raw))
	wantStatus(t, FreeHandle(raw), StatusBadHandle)
	_, err = HandleKind(raw)
	wantStatus(t, err, StatusBadHandle)
	// The wrapper did not know: its Close reports the stale handle.
	wantStatus(t, m2.Close(), StatusBadHandle)
}
