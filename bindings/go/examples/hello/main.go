// The hello world of libwt in Go: a wasm export calls a host function
// written in Go (the Go twin of c-examples/hello.c).
//
//	WT_LIBRARY=../../target/debug/libwt.so go run ./examples/hello
package main

import (
	"fmt"
	"os"

	"libwt/wt"
)

const wat = `(module
  (import "" "hello" (func $hello))
  (func (export "run") (call $hello)))`

func check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s failed: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	// Optional: without it the first constructor loads $WT_LIBRARY or libwt.so.
	check("Load", wt.Load(""))
	version, err := wt.Version()
	check("Version", err)
	fmt.Printf("libwt %s\n", version)

	engine, err := wt.NewEngine()
	check("NewEngine", err)
	store, err := wt.NewStore(engine)
	check("NewStore", err)
	module, err := wt.NewModuleFromWat(engine, wat)
	check("NewModuleFromWat", err)
	linker, err := wt.NewLinker(engine)
	check("NewLinker", err)

	// The wasm type () -> () comes from the Go signature.
	who := "World"
	check("DefineFunc", linker.DefineFunc("", "hello", func() {
		fmt.Printf("Hello, %s! (from a Go host function)\n", who)
	}))

	instance, err := linker.Instantiate(store, module)
	check("Instantiate", err)
	run, err := instance.GetFunc(store, "run")
	check("GetFunc", err)
	_, err = run.Call(store)
	check("Call", err)

	// Close in any order (finalizers would do it too): the store frees its
	// instance and func handles.
	check("engine.Close", engine.Close())
	check("module.Close", module.Close())
	check("store.Close", store.Close())
	check("linker.Close", linker.Close())
	live, err := wt.LiveHandles()
	check("LiveHandles", err)
	fmt.Printf("live handles after cleanup: %d\n", live)
	if live != 0 || wt.LiveHostFuncs() != 0 {
		os.Exit(1)
	}
}
