package wt

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestMemoryFromGo(t *testing.T) {
	w := newWorld(t)
	i := w.instantiate(`(module (memory (export "mem") 1 3) (data (i32.const 16) "hello")
	  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))`)
	mem := must[*Memory](t)(i.GetMemory(w.store, "mem"))
	if p := must[uint64](t)(mem.Size(w.store)); p != 1 {
		t.Fatalf("pages %d", p)
	}
	if n := must[uint64](t)(mem.DataSize(w.store)); n != 65536 {
		t.Fatalf("bytes %d", n)
	}
	if b := must[[]byte](t)(mem.Read(w.store, 16, 5)); string(b) != "hello" {
		t.Fatalf("read %q", b)
	}
	ok(t, mem.Write(w.store, 100, []byte{42}))
	if r := w.call(w.fn(i, "load8"), 100); r != int32(42) {
		t.Fatalf("guest sees %v", r)
	}
	ok(t, mem.Write(w.store, 65530, []byte("abcdef")))
	// Out of bounds: an error, and nothing is written or read.
	wantStatus(t, mem.Write(w.store, 65531, []byte("abcdef")), StatusOutOfBounds)
	_, err := mem.Read(w.store, ^uint64(0), 5)
	wantStatus(t, err, StatusOutOfBounds)
	if b := must[[]byte](t)(mem.Read(w.store, 65531, 5)); string(b) != "bcdef" {
		t.Fatalf("read %q", b)
	}
	if old := must[uint64](t)(mem.Grow(w.store, 2)); old != 1 {
		t.Fatalf("old pages %d", old)
	}
	_, err = mem.Grow(w.store, 1)
	wantStatus(t, err, StatusLimit)
	data := must[[]byte](t)(mem.UnsafeData(w.store))
	if len(data) != 3*65536 || string(data[16:21]) != "hello" {
		t.Fatalf("data %d %q", len(data), data[16:21])
	}
}

func TestMemoryFromHostFunctionThroughCaller(t *testing.T) {
	w := newWorld(t)
	var logged []string
	ok(t, w.linker.DefineFunc("env", "log", func(c *Caller, ptr, n int32) error {
		mem, err := c.GetMemory("memory")
		if err != nil {
			return err
		}
		b, err := mem.Read(c, uint64(ptr), int(n))
		if err != nil {
			return err
		}
		logged = append(logged, string(b))
		return nil
	}))
	ok(t, w.linker.DefineFunc("env", "greet", func(c *Caller, ptr int32) (int32, error) {
		mem, err := c.GetMemory("memory")
		if err != nil {
			return 0, err
		}
		msg := "greetings from Go"
		return int32(len(msg)), mem.Write(c, uint64(ptr), []byte(msg))
	}))
	i := w.instantiate(`(module
	  (import "env" "log" (func $log (param i32 i32)))
	  (import "env" "greet" (func $greet (param i32) (result i32)))
	  (memory (export "memory") 1)
	  (data (i32.const 0) "hello from the guest")
	  (func (export "run")
	    (call $log (i32.const 0) (i32.const 20))
	    (call $log (i32.const 100) (call $greet (i32.const 100)))))`)
	w.call(w.fn(i, "run"))
	if !reflect.DeepEqual(logged, []string{"hello from the guest", "greetings from Go"}) {
		t.Fatalf("logged %q", logged)
	}
	// The guest's memory as the host wrote it, seen from outside.
	mem := must[*Memory](t)(i.GetMemory(w.store, "memory"))
	if b := must[[]byte](t)(mem.Read(w.store, 100, 17)); string(b) != "greetings from Go" {
		t.Fatalf("memory %q", b)
	}
}

func TestCallerReentersItsInstance(t *testing.T) {
	w := newWorld(t)
	var viaStore interface{}
	var storeErr, otherGoroutineErr error
	var saved *Caller
	var store *Store = w.store
	ok(t, w.linker.DefineFunc("env", "host", func(c *Caller, x int32) (int32, error) {
		saved = c
		double, err := c.GetFunc("double")
		if err != nil {
			return 0, err
		}
		// The store itself also works here (same thread as the running
		// call), but not from another goroutine, whose thread is another one.
		viaStore, storeErr = double.Call(store, x)
		done := make(chan struct{})
		go func() {
			_, otherGoroutineErr = double.Call(store, x)
			close(done)
		}()
		<-done
		r, err := double.Call(c, x)
		if err != nil {
			return 0, err
		}
		_, err = c.GetFunc("memory")
		if err == nil {
			return 0, errors.New("memory returned as a func")
		}
		return r.(int32) + 1, nil
	}))
	i := w.instantiate(`(module (import "env" "host" (func $host (param i32) (result i32)))
	  (memory (export "memory") 1)
	  (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
	  (func (export "run") (param i32) (result i32) (call $host (local.get 0))))`)
	if r := w.call(w.fn(i, "run"), 20); r != int32(41) {
		t.Fatalf("run = %v", r)
	}
	ok(t, storeErr)
	if viaStore != int32(40) {
		t.Fatalf("via store: %v", viaStore)
	}
	contains(t, wantStatus(t, otherGoroutineErr, StatusBusy).Message, "another thread")
	// The caller is only valid during the call.
	_, err := saved.GetMemory("memory")
	contains(t, wantStatus(t, err, StatusBadHandle).Message, "outside")
	if k := must[HandleType](t)(HandleKind(saved.Raw())); k != HandleCaller {
		t.Fatalf("kind %d", k)
	}
}

type myErr struct{ code int }

func (e *myErr) Error() string { return fmt.Sprintf("my error %d", e.code) }

func TestFailingHostFunctionTrapsTheGuest(t *testing.T) {
	w := newWorld(t)
	sentinel := errors.New("custom failure from Go")
	ok(t, w.linker.DefineFunc("", "fail", func() error { return sentinel }))
	ok(t, w.linker.DefineFunc("", "typed", func() (int32, error) { return 0, &myErr{7} }))
	ok(t, w.linker.DefineFunc("", "panics", func(x int32) int32 { panic(fmt.Sprintf("boom %d", x)) }))
	ok(t, w.linker.DefineFunc("", "nilmap", func() { var m map[string]int; m["x"] = 1 }))
	ok(t, w.linker.FuncNew("", "badresults", NewFuncType(nil, []ValKind{KindI32}),
		func(*Caller, []interface{}) ([]interface{}, error) { return []interface{}{"no"}, nil }))
	// A host function whose nested call fails passes the error on.
	ok(t, w.linker.DefineFunc("", "outer", func(c *Caller) error {
		f, err := c.GetFunc("a")
		if err != nil {
			return err
		}
		_, err = f.Call(c)
		return fmt.Errorf("outer saw: %w", err)
	}))
	i := w.instantiate(`(module
	  (import "" "fail" (func $fail)) (import "" "typed" (func $typed (result i32)))
	  (import "" "panics" (func $panics (param i32) (result i32))) (import "" "nilmap" (func $nilmap))
	  (import "" "badresults" (func $bad (result i32))) (import "" "outer" (func $outer))
	  (func (export "a") (call $fail))
	  (func (export "b") (result i32) (call $typed))
	  (func (export "c") (result i32) (call $panics (i32.const 3)))
	  (func (export "d") (call $nilmap))
	  (func (export "e") (result i32) (call $bad))
	  (func (export "f") (call $outer))
	  (func (export "ok") (result i32) (i32.const 1)))`)

	_, err := w.fn(i, "a").Call(w.store)
	e := wantStatus(t, err, StatusCallback)
	contains(t, e.Message, "custom failure from Go")
	if !errors.Is(err, sentinel) || e.Cause != sentinel {
		t.Fatalf("cause %v", e.Cause)
	}
	_, err = w.fn(i, "b").Call(w.store)
	var me *myErr
	if !errors.As(err, &me) || me.code != 7 {
		t.Fatalf("want *myErr, got %v", err)
	}
	_, err = w.fn(i, "c").Call(w.store)
	contains(t, wantStatus(t, err, StatusCallback).Message, "panicked", "boom 3", ".panics")
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "boom 3" || pe.Stack == "" {
		t.Fatalf("want *PanicError, got %#v", err)
	}
	_, err = w.fn(i, "d").Call(w.store)
	contains(t, wantStatus(t, err, StatusCallback).Message, "nil map")
	_, err = w.fn(i, "e").Call(w.store)
	contains(t, wantStatus(t, err, StatusCallback).Message, "result 0", "string")
	_, err = w.fn(i, "f").Call(w.store)
	contains(t, wantStatus(t, err, StatusCallback).Message, "outer saw", "custom failure from Go")
	if !errors.Is(err, sentinel) {
		t.Fatalf("nested cause lost: %v", err)
	}
	// The store still works, and later failures carry no stale cause.
	if r := w.call(w.fn(i, "ok")); r != int32(1) {
		t.Fatalf("ok = %v", r)
	}
	_, err = w.fn(i, "d").Call(w.store)
	if errors.Is(err, sentinel) {
		t.Fatalf("stale cause: %v", err)
	}
}

const sumWat = `(module (import "" "check" (func $check))
  (func (export "sum") (param i32) (result i32) (local i32)
    (call $check)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1)))`

// Two goroutines run separate stores at the same time (both are inside wasm
// at once: each waits in a host function for the other), and every host
// function runs on the OS thread of the goroutine that made the call.
func TestTwoGoroutinesRunSeparateStoresConcurrently(t *testing.T) {
	engine := must[*Engine](t)(NewEngine())
	defer engine.Close()
	module := must[*Module](t)(NewModuleFromWat(engine, sumWat))
	defer module.Close()

	const workers = 2
	var arrived sync.WaitGroup
	arrived.Add(workers)
	meet := make(chan struct{})
	go func() { arrived.Wait(); close(meet) }()

	errs := make(chan error, workers)
	for g := 0; g < workers; g++ {
		go func(g int) {
			errs <- func() error {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				tid := syscall.Gettid()
				store, err := NewStore(engine)
				if err != nil {
					return err
				}
				defer store.Close()
				linker, err := NewLinker(engine)
				if err != nil {
					return err
				}
				defer linker.Close()
				first := true
				var wrongThread atomic.Int32
				err = linker.DefineFunc("", "check", func() error {
					if syscall.Gettid() != tid {
						wrongThread.Add(1)
					}
					if first {
						first = false
						arrived.Done()
						select {
						case <-meet:
						case <-time.After(10 * time.Second):
							return errors.New("the other store never ran at the same time")
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
				inst, err := linker.Instantiate(store, module)
				if err != nil {
					return err
				}
				sum, err := inst.GetFunc(store, "sum")
				if err != nil {
					return err
				}
				for k := 0; k < 200; k++ {
					n := int32(1000 + g)
					r, err := sum.Call(store, n)
					if err != nil {
						return err
					}
					if r != n*(n+1)/2 {
						return fmt.Errorf("goroutine %d: sum(%d) = %v", g, n, r)
					}
				}
				if n := wrongThread.Load(); n != 0 {
					return fmt.Errorf("goroutine %d: %d host calls on another thread", g, n)
				}
				return nil
			}()
		}(g)
	}
	for g := 0; g < workers; g++ {
		ok(t, <-errs)
	}
}

func TestOneStoreFromTwoGoroutinesIsBusy(t *testing.T) {
	w := newWorld(t)
	started, release := make(chan struct{}), make(chan struct{})
	ok(t, w.linker.DefineFunc("", "wait", func() {
		close(started)
		<-release
	}))
	run := w.fn(w.instantiate(`(module (import "" "wait" (func $w)) (func (export "run") (call $w)))`), "run")
	done := make(chan error)
	go func() {
		_, err := run.Call(w.store)
		done <- err
	}()
	<-started
	_, err := run.Call(w.store)
	contains(t, wantStatus(t, err, StatusBusy).Message, "another thread")
	close(release)
	ok(t, <-done)
}

const spinWat = `(module (func (export "spin") (loop (br 0))) (func (export "one") (result i32) (i32.const 1)))`

func TestInterruptAndTimeout(t *testing.T) {
	w := newWorld(t)
	i := w.instantiate(spinWat)
	spin, one := w.fn(i, "spin"), w.fn(i, "one")
	done := make(chan error)
	go func() {
		_, err := spin.Call(w.store)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	ok(t, w.store.Interrupt())
	select {
	case err := <-done:
		e := wantStatus(t, err, StatusInterrupted)
		if e.TrapCode != TrapInterrupt {
			t.Fatalf("trap code %d", e.TrapCode)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("interrupt did not stop the guest")
	}
	ok(t, w.store.SetTimeout(30*time.Millisecond))
	start := time.Now()
	_, err := spin.Call(w.store)
	contains(t, wantStatus(t, err, StatusInterrupted).Message, "timed out")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %v", d)
	}
	if r := w.call(one); r != int32(1) {
		t.Fatalf("store unusable after timeout: %v", r)
	}
}

func TestFuel(t *testing.T) {
	cfg := must[*Config](t)(NewConfig())
	defer cfg.Close()
	ok(t, cfg.SetConsumeFuel(true))
	wantStatus(t, cfg.SetOptLevel(9), StatusInvalidArgument)
	ok(t, cfg.SetOptLevel(OptNone))
	e := must[*Engine](t)(NewEngineWithConfig(cfg))
	defer e.Close()
	s := must[*Store](t)(NewStore(e))
	defer s.Close()
	l := must[*Linker](t)(NewLinker(e))
	defer l.Close()
	m := must[*Module](t)(NewModuleFromWat(e, spinWat))
	defer m.Close()
	if f := must[uint64](t)(s.GetFuel()); f != 0 {
		t.Fatalf("initial fuel %d", f)
	}
	ok(t, s.SetFuel(10_000))
	i := must[*Instance](t)(l.Instantiate(s, m))
	spin := must[*Func](t)(i.GetFunc(s, "spin"))
	_, err := spin.Call(s)
	if e := wantStatus(t, err, StatusOutOfFuel); e.TrapCode != TrapOutOfFuel {
		t.Fatalf("trap code %d", e.TrapCode)
	}
	ok(t, s.SetFuel(100))
	one := must[*Func](t)(i.GetFunc(s, "one"))
	if r, err := one.Call(s); err != nil || r != int32(1) {
		t.Fatalf("after refuel: %v %v", r, err)
	}
	if f := must[uint64](t)(s.GetFuel()); f >= 100 {
		t.Fatalf("fuel not consumed: %d", f)
	}
	// Inconsistent settings are reported when the engine is made.
	ok(t, cfg.SetFeature(FeatureSIMD, false))
	_, err = NewEngineWithConfig(cfg)
	contains(t, wantStatus(t, err, StatusInvalidArgument).Message, "relaxed simd")
}

func TestGlobalsTablesAndReferences(t *testing.T) {
	w := newWorld(t)
	ok(t, w.linker.DefineFunc("", "get", func(c *Caller) (*Func, error) {
		return c.GetFunc("triple") // a funcref result
	}))
	ok(t, w.linker.DefineFunc("", "isnull", func(f *Func) int32 {
		if f == nil {
			return 1
		}
		return 0
	}))
	i := w.instantiate(`(module
	  (import "" "get" (func $get (result funcref)))
	  (import "" "isnull" (func $isnull (param funcref) (result i32)))
	  (type $t (func (param i32) (result i32)))
	  (global (export "counter") (mut i64) (i64.const 5))
	  (global (export "pi") f64 (f64.const 3.5))
	  (table (export "table") 2 funcref)
	  (func $triple (export "triple") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
	  (func (export "get") (result i64) (global.get 0))
	  (func (export "via_host") (param i32) (result i32)
	    (table.set (i32.const 0) (call $get))
	    (call_indirect (type $t) (local.get 0) (i32.const 0)))
	  (func (export "call_slot") (param i32 i32) (result i32)
	    (call_indirect (type $t) (local.get 0) (local.get 1)))
	  (func (export "null_check") (param funcref) (result i32) (call $isnull (local.get 0)))
	  (func (export "echo") (param externref) (result externref) (local.get 0)))`)

	g := must[*Global](t)(i.GetGlobal(w.store, "counter"))
	if v := must[interface{}](t)(g.Get(w.store)); v != int64(5) {
		t.Fatalf("counter %v", v)
	}
	ok(t, g.Set(w.store, int64(-9)))
	if r := w.call(w.fn(i, "get")); r != int64(-9) {
		t.Fatalf("get %v", r)
	}
	pi := must[*Global](t)(i.GetGlobal(w.store, "pi"))
	k, mutable, err := pi.Type(w.store)
	ok(t, err)
	if k != KindF64 || mutable {
		t.Fatalf("pi type %v %v", k, mutable)
	}
	wantStatus(t, pi.Set(w.store, 1.0), StatusImmutable)
	wantStatus(t, g.Set(w.store, "x"), StatusSignature)

	if r := w.call(w.fn(i, "via_host"), 14); r != int32(42) {
		t.Fatalf("via_host %v", r)
	}
	tab := must[*Table](t)(i.GetTable(w.store, "table"))
	if n := must[uint64](t)(tab.Size(w.store)); n != 2 {
		t.Fatalf("size %d", n)
	}
	if e := must[interface{}](t)(tab.Get(w.store, 1)); e != nil {
		t.Fatalf("slot 1 %v", e)
	}
	// A Go function in the table, called by the guest with call_indirect.
	goFn := must[*Func](t)(WrapFunc(w.store, func(x int32) int32 { return x + 1000 }))
	ok(t, tab.Set(w.store, 1, goFn))
	if r := w.call(w.fn(i, "call_slot"), 5, 1); r != int32(1005) {
		t.Fatalf("call_slot %v", r)
	}
	got := must[interface{}](t)(tab.Get(w.store, 1)).(*Func)
	if r := w.call(got, 1); r != int32(1001) {
		t.Fatalf("table func %v", r)
	}
	dyn := must[*Func](t)(NewFunc(w.store, NewFuncType([]ValKind{KindI32}, []ValKind{KindI32}),
		func(c *Caller, a []interface{}) ([]interface{}, error) { return []interface{}{a[0].(int32) - 1}, nil }))
	if old := must[uint64](t)(tab.Grow(w.store, 1, dyn)); old != 2 {
		t.Fatalf("grow old %d", old)
	}
	if r := w.call(w.fn(i, "call_slot"), 5, 2); r != int32(4) {
		t.Fatalf("grown slot %v", r)
	}
	_, err = tab.Get(w.store, 3)
	wantStatus(t, err, StatusOutOfBounds)
	wantStatus(t, tab.Set(w.store, 0, ExternRef(1)), StatusSignature)
	gone := must[*Func](t)(WrapFunc(w.store, func() {}))
	ok(t, gone.Close())
	wantStatus(t, tab.Set(w.store, 0, gone), StatusBadHandle) // not silently null

	nullCheck := w.fn(i, "null_check")
	if r := w.call(nullCheck, nil); r != int32(1) {
		t.Fatalf("null funcref %v", r)
	}
	if r := w.call(nullCheck, goFn); r != int32(0) {
		t.Fatalf("non-null funcref %v", r)
	}
	echo := w.fn(i, "echo")
	if r := w.call(echo, ExternRef(42)); r != ExternRef(42) {
		t.Fatalf("externref %#v", r)
	}
	if r := w.call(echo, nil); r != nil {
		t.Fatalf("null externref %#v", r)
	}
	ok(t, w.store.GC())
}

func TestWasi(t *testing.T) {
	w := newWorld(t)
	ok(t, w.linker.DefineWasi())
	cfg := must[*WasiConfig](t)(NewWasiConfig())
	defer cfg.Close()
	ok(t, cfg.SetArgv([]string{"prog", "arg1"}))
	ok(t, cfg.SetEnv("K", "V"))
	ok(t, cfg.SetStdout(StdioCapture))
	ok(t, cfg.SetStderr(StdioCapture))
	wantStatus(t, cfg.SetStdout(7), StatusInvalidArgument)
	ok(t, w.store.SetWasi(cfg))
	i := w.instantiate(`(module
	  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
	  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
	  (memory (export "memory") 1)
	  (data (i32.const 100) "hello wasi\n")
	  (func (export "hello") (param i32) (result i32)
	    (i32.store (i32.const 0) (i32.const 100))
	    (i32.store (i32.const 4) (i32.const 11))
	    (call $fd_write (local.get 0) (i32.const 0) (i32.const 1) (i32.const 8)))
	  (func (export "exit") (call $exit (i32.const 3))))`)
	if r := w.call(w.fn(i, "hello"), 1); r != int32(0) {
		t.Fatalf("fd_write errno %v", r)
	}
	w.call(w.fn(i, "hello"), 2)
	if out := must[[]byte](t)(w.store.WasiStdout()); string(out) != "hello wasi\n" {
		t.Fatalf("stdout %q", out)
	}
	if out := must[[]byte](t)(w.store.WasiStderr()); string(out) != "hello wasi\n" {
		t.Fatalf("stderr %q", out)
	}
	_, err := w.fn(i, "exit").Call(w.store)
	if e := wantStatus(t, err, StatusExit); e.ExitCode != 3 {
		t.Fatalf("exit code %d", e.ExitCode)
	}
}

// A Go error whose text is not UTF-8 still reaches the caller's message
// (libwt refuses invalid UTF-8; the binding replaces the bad bytes).
func TestHostErrorTextThatIsNotUTF8(t *testing.T) {
	w := newWorld(t)
	ok(t, w.linker.DefineFunc("", "fail", func() error { return fmt.Errorf("bad \xff bytes") }))
	i := w.instantiate(`(module (import "" "fail" (func $fail)) (func (export "a") (call $fail)))`)
	_, err := w.fn(i, "a").Call(w.store)
	e := wantStatus(t, err, StatusCallback)
	contains(t, e.Message, "bad \uFFFD bytes")
}
