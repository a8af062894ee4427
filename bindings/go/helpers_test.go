package wt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain loads libwt from $WT_LIBRARY, else from the repository's
// target/debug/libwt.so. Failing to load fails the run: nothing is skipped.
func TestMain(m *testing.M) {
	if mode := os.Getenv("WT_TEST_CHILD"); mode != "" {
		os.Exit(childMain(mode))
	}
	path := os.Getenv("WT_LIBRARY")
	if path == "" {
		p, _ := filepath.Abs("../../target/debug/libwt.so")
		path = p
	}
	if err := Load(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		fmt.Fprintln(os.Stderr, "build libwt first (cargo build --lib) or set WT_LIBRARY")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// childMain runs in a child process started by a test (see TestLoadErrors),
// before anything is loaded.
func childMain(mode string) int {
	switch mode {
	case "load":
		if err := Load(""); err != nil {
			fmt.Println("ERR", err)
			return 3
		}
		fmt.Println("OK", LibraryPath())
		return 0
	case "lazy":
		// No Load call: the first constructor loads $WT_LIBRARY.
		e, err := NewEngine()
		if err != nil {
			fmt.Println("ERR", err)
			return 3
		}
		fmt.Println("OK", LibraryPath(), e.Close())
		return 0
	}
	return 2
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantStatus checks that err is an *Error with the given status.
func wantStatus(t *testing.T, err error, status int32) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *Error with status %d (%s), got %v", status, StatusName(status), err)
	}
	if e.Status != status {
		t.Fatalf("want status %d (%s), got %d: %s", status, StatusName(status), e.Status, e.Message)
	}
	return e
}

func contains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%q does not contain %q", s, sub)
		}
	}
}

// world is an engine, a store and a linker, closed at the end of the test.
type world struct {
	t      *testing.T
	engine *Engine
	store  *Store
	linker *Linker
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t}
	w.engine = must[*Engine](t)(NewEngine())
	w.store = must[*Store](t)(NewStore(w.engine))
	w.linker = must[*Linker](t)(NewLinker(w.engine))
	t.Cleanup(func() {
		for _, err := range []error{w.linker.Close(), w.store.Close(), w.engine.Close()} {
			if err != nil {
				t.Errorf("close: %v", err)
			}
		}
	})
	return w
}

func (w *world) instantiate(wat string) *Instance {
	w.t.Helper()
	m := must[*Module](w.t)(NewModuleFromWat(w.engine, wat))
	defer m.Close()
	return must[*Instance](w.t)(w.linker.Instantiate(w.store, m))
}

func (w *world) fn(i *Instance, name string) *Func {
	w.t.Helper()
	return must[*Func](w.t)(i.GetFunc(w.store, name))
}

func (w *world) call(f *Func, args ...interface{}) interface{} {
	w.t.Helper()
	return must[interface{}](w.t)(f.Call(w.store, args...))
}

// settleHandles runs the GC until finalizers have freed everything
// unreachable, and returns the live handle and host function counts.
func settleHandles(t *testing.T) (int, int) {
	t.Helper()
	prev := -1
	for i := 0; i < 50; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		n := must[int](t)(LiveHandles())
		if n == prev && i > 3 {
			break
		}
		prev = n
	}
	return prev, LiveHostFuncs()
}
