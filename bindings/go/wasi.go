package wt

/*
#include "shim.h"
*/
import "C"

// WasiConfig describes a WASI preview 1 context: arguments, environment,
// stdio and preopened directories. Store.SetWasi copies it.
type WasiConfig struct{ object }

// Stdio modes for WasiConfig.SetStdout and SetStderr.
const (
	StdioNull    int32 = 0 // discard (default)
	StdioInherit int32 = 1 // the host process's stream
	StdioCapture int32 = 2 // kept in memory: Store.WasiStdout, Store.WasiStderr
)

// NewWasiConfig makes an empty WASI configuration: no args, no env, empty
// stdin, stdout and stderr discarded, no directories.
func NewWasiConfig() (*WasiConfig, error) {
	var h C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_wasi_config_new(&h) }); err != nil {
		return nil, err
	}
	w := &WasiConfig{}
	track(w, &w.object, h)
	return w, nil
}

// Close frees the configuration (stores it was given to keep their copy).
func (w *WasiConfig) Close() error { return closeObject(w) }

// SetArgv appends the command-line arguments (the first one is the program name).
func (w *WasiConfig) SetArgv(argv []string) error {
	defer keep(w)
	for _, a := range argv {
		a := a
		if err := do(func() C.int32_t {
			p, n := cstr(a)
			return C.wtg_wt_wasi_config_add_arg(w.handle(), p, n)
		}); err != nil {
			return err
		}
	}
	return nil
}

// SetEnv adds an environment variable.
func (w *WasiConfig) SetEnv(key, value string) error {
	defer keep(w)
	return do(func() C.int32_t {
		kp, kn := cstr(key)
		vp, vn := cstr(value)
		return C.wtg_wt_wasi_config_add_env(w.handle(), kp, kn, vp, vn)
	})
}

// SetStdinBytes makes the guest's stdin read data (copied), then EOF.
func (w *WasiConfig) SetStdinBytes(data []byte) error {
	defer keep(w)
	return do(func() C.int32_t {
		p, n := cbytes(data)
		return C.wtg_wt_wasi_config_set_stdin_bytes(w.handle(), p, n)
	})
}

// InheritStdin makes the guest's stdin the process's stdin.
func (w *WasiConfig) InheritStdin() error {
	defer keep(w)
	return do(func() C.int32_t { return C.wtg_wt_wasi_config_inherit_stdin(w.handle()) })
}

// SetStdout sets the stdout mode (StdioNull, StdioInherit, StdioCapture).
func (w *WasiConfig) SetStdout(mode int32) error {
	defer keep(w)
	return do(func() C.int32_t { return C.wtg_wt_wasi_config_set_stdout(w.handle(), C.int32_t(mode)) })
}

// SetStderr sets the stderr mode.
func (w *WasiConfig) SetStderr(mode int32) error {
	defer keep(w)
	return do(func() C.int32_t { return C.wtg_wt_wasi_config_set_stderr(w.handle(), C.int32_t(mode)) })
}

// PreopenDir gives the guest the host directory hostPath as guestPath.
func (w *WasiConfig) PreopenDir(hostPath, guestPath string, readOnly bool) error {
	defer keep(w)
	return do(func() C.int32_t {
		hp, hn := cstr(hostPath)
		gp, gn := cstr(guestPath)
		return C.wtg_wt_wasi_config_preopen_dir(w.handle(), hp, hn, gp, gn, b2i(readOnly))
	})
}

// SetWasi gives the store a WASI context built from config (copied),
// replacing any previous one and its captured output.
func (s *Store) SetWasi(config *WasiConfig) error {
	if config == nil {
		return goError(StatusNullPointer, "Store.SetWasi: config is nil")
	}
	defer keep(s)
	defer keep(config)
	return do(func() C.int32_t { return C.wtg_wt_store_set_wasi(s.handle(), config.handle()) })
}

func (s *Store) wasiOutput(which int32) ([]byte, error) {
	defer keep(s)
	var b C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_store_wasi_output(s.handle(), C.int32_t(which), &b) }); err != nil {
		return nil, err
	}
	return takeBytes(b)
}

// WasiStdout is what the guest wrote to a captured stdout so far.
func (s *Store) WasiStdout() ([]byte, error) { return s.wasiOutput(1) }

// WasiStderr is what the guest wrote to a captured stderr so far.
func (s *Store) WasiStderr() ([]byte, error) { return s.wasiOutput(2) }
