package wt

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// Everything closed explicitly: the live handle count and the host function
// registry are back where they were.
func TestCloseReleasesEverything(t *testing.T) {
	baseH, baseF := settleHandles(t)
	func() {
		w := newWorld(t)
		ok(t, w.linker.DefineFunc("", "hello", func() {}))
		i := w.instantiate(helloWat)
		f := w.fn(i, "run")
		w.call(f)
		ok(t, f.Close())
		ok(t, i.Close())
		ok(t, w.linker.Close())
		ok(t, w.store.Close())
		ok(t, w.engine.Close())
	}()
	h, _ := LiveHandles()
	if h > baseH {
		t.Fatalf("%d live handles after Close, %d before", h, baseH)
	}
	if f := LiveHostFuncs(); f > baseF {
		t.Fatalf("%d live host functions after Close, %d before", f, baseF)
	}
}

// Nothing closed: the finalizers (which call wt_free on the finalizer
// goroutine) release every handle and, through libwt's env finalizer, every
// Go host function.
func TestFinalizersReleaseEverything(t *testing.T) {
	baseH, baseF := settleHandles(t)
	for round := 0; round < 20; round++ {
		func() {
			e, err := NewEngine()
			ok(t, err)
			s, err := NewStore(e)
			ok(t, err)
			l, err := NewLinker(e)
			ok(t, err)
			ok(t, l.DefineFunc("", "hello", func() {}))
			m, err := NewModuleFromWat(e, helloWat)
			ok(t, err)
			i, err := l.Instantiate(s, m)
			ok(t, err)
			f, err := i.GetFunc(s, "run")
			ok(t, err)
			_, err = f.Call(s)
			ok(t, err)
			g, err := WrapFunc(s, func(x int32) int32 { return x })
			ok(t, err)
			_, err = g.Call(s, 1)
			ok(t, err)
		}()
	}
	if h, _ := LiveHandles(); h <= baseH {
		t.Fatalf("expected live handles before GC (%d <= %d)", h, baseH)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, f := settleHandles(t)
		if h <= baseH && f <= baseF {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("finalizers left %d handles (base %d) and %d host functions (base %d)", h, baseH, f, baseF)
		}
	}
}

// Wrappers must not come from Go's tiny allocator, which batches small
// pointer-free objects so that one live object delays the finalizers of its
// neighbours indefinitely.
func TestWrappersAreNotTinyAllocations(t *testing.T) {
	for _, size := range []uintptr{
		unsafe.Sizeof(Config{}), unsafe.Sizeof(Engine{}), unsafe.Sizeof(Store{}), unsafe.Sizeof(Module{}),
		unsafe.Sizeof(Linker{}), unsafe.Sizeof(Instance{}), unsafe.Sizeof(Func{}), unsafe.Sizeof(Memory{}),
		unsafe.Sizeof(Global{}), unsafe.Sizeof(Table{}), unsafe.Sizeof(WasiConfig{}),
	} {
		if size < 16 {
			t.Fatalf("a wrapper type is %d bytes", size)
		}
	}
}

// Every prototype in shim.h still matches include/wt.h, and every constant
// the Go package mirrors has the header's value.
func TestShimAndConstantsMatchTheHeader(t *testing.T) {
	header, err := os.ReadFile(filepath.Join("..", "..", "include", "wt.h"))
	if err != nil {
		t.Skipf("include/wt.h not found (binding used outside the libwt repository): %v", err)
	}
	shim, err := os.ReadFile("shim.h")
	ok(t, err)
	norm := func(s string) string {
		s = strings.Join(strings.Fields(s), " ")
		s = strings.ReplaceAll(s, "( ", "(")
		s = strings.ReplaceAll(s, " )", ")")
		return strings.ReplaceAll(s, "* ", "*")
	}
	protos := map[string]string{}
	proto := regexp.MustCompile(`(?m)^([a-z][\w *]*?)\b(wt_\w+)\((.*)\);$`)
	for _, m := range proto.FindAllStringSubmatch(string(header), -1) {
		if !strings.HasPrefix(m[1], "typedef") {
			protos[m[2]] = norm(m[1] + " " + m[2] + "(" + m[3] + ")")
		}
	}
	if len(protos) < 80 {
		t.Fatalf("found only %d prototypes in wt.h", len(protos))
	}
	entry := regexp.MustCompile(`X\(([^,]+), (wt_\w+), \((.*?)\), \((.*?)\)\)`)
	bound := map[string]bool{}
	for _, m := range entry.FindAllStringSubmatch(string(shim), -1) {
		name := m[2]
		bound[name] = true
		got := norm(m[1] + " " + name + "(" + m[3] + ")")
		want, found := protos[name]
		if !found {
			t.Errorf("%s is in shim.h but not in include/wt.h", name)
		} else if got != want {
			t.Errorf("prototype mismatch:\n shim.h: %s\n  wt.h:  %s", got, want)
		}
	}
	for name := range protos {
		if !bound[name] {
			t.Logf("note: %s (new in wt.h) is not bound by the Go package", name)
		}
	}

	defines := map[string]int64{}
	def := regexp.MustCompile(`(?m)^#define (WT_\w+) (-?\d+)$`)
	for _, m := range def.FindAllStringSubmatch(string(header), -1) {
		v, _ := strconv.ParseInt(m[2], 10, 64)
		defines[m[1]] = v
	}
	mirror := map[string]int64{
		"WT_VERSION_MAJOR": VersionMajor, "WT_VERSION_MINOR": VersionMinor,
		"WT_OK": int64(StatusOK), "WT_ERR_BAD_HANDLE": int64(StatusBadHandle), "WT_ERR_WRONG_KIND": int64(StatusWrongKind),
		"WT_ERR_NULL_POINTER": int64(StatusNullPointer), "WT_ERR_INVALID_ARGUMENT": int64(StatusInvalidArgument),
		"WT_ERR_COMPILE": int64(StatusCompile), "WT_ERR_LINK": int64(StatusLink), "WT_ERR_TRAP": int64(StatusTrap),
		"WT_ERR_SIGNATURE": int64(StatusSignature), "WT_ERR_OUT_OF_BOUNDS": int64(StatusOutOfBounds),
		"WT_ERR_LIMIT": int64(StatusLimit), "WT_ERR_INTERRUPTED": int64(StatusInterrupted),
		"WT_ERR_OUT_OF_FUEL": int64(StatusOutOfFuel), "WT_ERR_CALLBACK": int64(StatusCallback),
		"WT_ERR_BUSY": int64(StatusBusy), "WT_ERR_EXIT": int64(StatusExit), "WT_ERR_NOT_FOUND": int64(StatusNotFound),
		"WT_ERR_UNSUPPORTED": int64(StatusUnsupported), "WT_ERR_IO": int64(StatusIO),
		"WT_ERR_IMMUTABLE": int64(StatusImmutable), "WT_ERR_INTERNAL": int64(StatusInternal),
		"WT_TRAP_STACK_OVERFLOW": int64(TrapStackOverflow), "WT_TRAP_MEMORY_OUT_OF_BOUNDS": int64(TrapMemoryOutOfBounds),
		"WT_TRAP_HEAP_MISALIGNED": int64(TrapHeapMisaligned), "WT_TRAP_TABLE_OUT_OF_BOUNDS": int64(TrapTableOutOfBounds),
		"WT_TRAP_INDIRECT_CALL_TO_NULL": int64(TrapIndirectCallToNull), "WT_TRAP_BAD_SIGNATURE": int64(TrapBadSignature),
		"WT_TRAP_INTEGER_OVERFLOW": int64(TrapIntegerOverflow), "WT_TRAP_INTEGER_DIVISION_BY_ZERO": int64(TrapIntegerDivisionByZero),
		"WT_TRAP_BAD_CONVERSION_TO_INTEGER": int64(TrapBadConversionToInteger), "WT_TRAP_UNREACHABLE": int64(TrapUnreachable),
		"WT_TRAP_INTERRUPT": int64(TrapInterrupt), "WT_TRAP_OUT_OF_FUEL": int64(TrapOutOfFuel),
		"WT_TRAP_NULL_REFERENCE": int64(TrapNullReference), "WT_TRAP_ARRAY_OUT_OF_BOUNDS": int64(TrapArrayOutOfBounds),
		"WT_TRAP_ALLOCATION_TOO_LARGE": int64(TrapAllocationTooLarge), "WT_TRAP_CAST_FAILURE": int64(TrapCastFailure),
		"WT_TRAP_ATOMIC_WAIT_NON_SHARED_MEMORY": int64(TrapAtomicWaitNonSharedMemory),
		"WT_TRAP_UNHANDLED_TAG":                 int64(TrapUnhandledTag), "WT_TRAP_OTHER": int64(TrapOther),
		"WT_KIND_ENGINE": int64(HandleEngine), "WT_KIND_CONFIG": int64(HandleConfig), "WT_KIND_STORE": int64(HandleStore),
		"WT_KIND_MODULE": int64(HandleModule), "WT_KIND_LINKER": int64(HandleLinker), "WT_KIND_INSTANCE": int64(HandleInstance),
		"WT_KIND_FUNC": int64(HandleFunc), "WT_KIND_MEMORY": int64(HandleMemory), "WT_KIND_GLOBAL": int64(HandleGlobal),
		"WT_KIND_TABLE": int64(HandleTable), "WT_KIND_BYTES": int64(HandleBytes), "WT_KIND_FUNCTYPE": int64(HandleFuncType),
		"WT_KIND_CALLBACK": int64(HandleCallback), "WT_KIND_WASI_CONFIG": int64(HandleWasiConfig), "WT_KIND_CALLER": int64(HandleCaller),
		"WT_EXTERN_FUNC": int64(ExternFunc), "WT_EXTERN_GLOBAL": int64(ExternGlobal), "WT_EXTERN_TABLE": int64(ExternTable),
		"WT_EXTERN_MEMORY": int64(ExternMemory), "WT_EXTERN_TAG": int64(ExternTag),
		"WT_I32": int64(KindI32), "WT_I64": int64(KindI64), "WT_F32": int64(KindF32), "WT_F64": int64(KindF64),
		"WT_V128": int64(KindV128), "WT_FUNCREF": int64(KindFuncRef), "WT_EXTERNREF": int64(KindExternRef), "WT_ANYREF": int64(KindAnyRef),
		"WT_STDIO_NULL": int64(StdioNull), "WT_STDIO_INHERIT": int64(StdioInherit), "WT_STDIO_CAPTURE": int64(StdioCapture),
		"WT_OPT_NONE": int64(OptNone), "WT_OPT_SPEED": int64(OptSpeed), "WT_OPT_SPEED_AND_SIZE": int64(OptSpeedAndSize),
		"WT_FEATURE_SIMD": int64(FeatureSIMD), "WT_FEATURE_BULK_MEMORY": int64(FeatureBulkMemory),
		"WT_FEATURE_MULTI_MEMORY": int64(FeatureMultiMemory), "WT_FEATURE_THREADS": int64(FeatureThreads),
		"WT_FEATURE_REFERENCE_TYPES": int64(FeatureReferenceTypes), "WT_FEATURE_GC": int64(FeatureGC),
		"WT_FEATURE_FUNCTION_REFERENCES": int64(FeatureFunctionReferences), "WT_FEATURE_TAIL_CALL": int64(FeatureTailCall),
		"WT_FEATURE_MEMORY64": int64(FeatureMemory64), "WT_FEATURE_RELAXED_SIMD": int64(FeatureRelaxedSIMD),
		"WT_FEATURE_EXCEPTIONS": int64(FeatureExceptions), "WT_FEATURE_EXTENDED_CONST": int64(FeatureExtendedConst),
		"WT_FEATURE_MULTI_VALUE": int64(FeatureMultiValue), "WT_FEATURE_WIDE_ARITHMETIC": int64(FeatureWideArithmetic),
		"WT_FEATURE_CUSTOM_PAGE_SIZES": int64(FeatureCustomPageSizes),
	}
	for name, v := range mirror {
		hv, found := defines[name]
		if !found {
			t.Errorf("%s is not defined in wt.h", name)
		} else if hv != v {
			t.Errorf("%s = %d in wt.h, %d in Go", name, hv, v)
		}
	}
}

// runChild runs this test binary in a mode of childMain with a clean load state.
func runChild(t *testing.T, mode, library string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WT_TEST_CHILD="+mode, "WT_LIBRARY="+library)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, isExit := err.(*exec.ExitError)
		if !isExit {
			t.Fatalf("child: %v", err)
		}
		code = ee.ExitCode()
	}
	line, _ := bufio.NewReader(strings.NewReader(string(out))).ReadString('\n')
	return strings.TrimSpace(line), code
}

func TestLoadErrors(t *testing.T) {
	lib := LibraryPath()
	if lib == "" {
		t.Fatal("not loaded")
	}
	// Loading again: fine with "" or the same path, refused for another one.
	ok(t, Load(""))
	ok(t, Load(lib))
	if err := Load("/elsewhere/libwt.so"); err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Fatalf("second load: %v", err)
	}
	// In fresh processes: a missing file, a library that is not libwt, and
	// lazy loading by the first constructor.
	out, code := runChild(t, "load", "/nonexistent/libwt.so")
	if code != 3 || !strings.Contains(out, `cannot load libwt from "/nonexistent/libwt.so"`) {
		t.Fatalf("missing file: %d %q", code, out)
	}
	libc := "libc.so.6"
	out, code = runChild(t, "load", libc)
	if code != 3 || !strings.Contains(out, "symbol wt_version not found") {
		t.Fatalf("not libwt: %d %q", code, out)
	}
	out, code = runChild(t, "lazy", lib)
	if code != 0 || out != "OK "+lib+" <nil>" {
		t.Fatalf("lazy load: %d %q", code, out)
	}
	v, err := Version()
	ok(t, err)
	if !strings.HasPrefix(v, strconv.Itoa(VersionMajor)+"."+strconv.Itoa(VersionMinor)+".") {
		t.Fatalf("version %q", v)
	}
}
