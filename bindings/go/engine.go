package wt

/*
#include "shim.h"
*/
import "C"

// Config holds engine settings; it is copied by NewEngineWithConfig, not
// consumed. libwt's defaults are Wasmtime's, except that the threads
// proposal is off and epoch interruption is on (Store.Interrupt and
// Store.SetTimeout need it).
type Config struct{ object }

// Optimisation levels for Config.SetOptLevel.
const (
	OptNone         int32 = 0
	OptSpeed        int32 = 1
	OptSpeedAndSize int32 = 2
)

// WebAssembly features for Config.SetFeature (WT_FEATURE_*).
const (
	FeatureSIMD               int32 = 0
	FeatureBulkMemory         int32 = 1
	FeatureMultiMemory        int32 = 2
	FeatureThreads            int32 = 3
	FeatureReferenceTypes     int32 = 4
	FeatureGC                 int32 = 5
	FeatureFunctionReferences int32 = 6
	FeatureTailCall           int32 = 7
	FeatureMemory64           int32 = 8
	FeatureRelaxedSIMD        int32 = 9
	FeatureExceptions         int32 = 10
	FeatureExtendedConst      int32 = 11
	FeatureMultiValue         int32 = 12
	FeatureWideArithmetic     int32 = 13
	FeatureCustomPageSizes    int32 = 14
)

// NewConfig makes a configuration with libwt's defaults.
func NewConfig() (*Config, error) {
	var h C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_config_new(&h) }); err != nil {
		return nil, err
	}
	c := &Config{}
	track(c, &c.object, h)
	return c, nil
}

// Close frees the config (engines made from it are unaffected).
func (c *Config) Close() error { return closeObject(c) }

func b2i(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}

// SetOptLevel sets Cranelift's optimisation level (OptNone, OptSpeed, OptSpeedAndSize).
func (c *Config) SetOptLevel(level int32) error {
	defer keep(c)
	return do(func() C.int32_t { return C.wtg_wt_config_set_opt_level(c.handle(), C.int32_t(level)) })
}

// SetDebugInfo turns DWARF debug information for guest code on or off.
func (c *Config) SetDebugInfo(on bool) error {
	defer keep(c)
	return do(func() C.int32_t { return C.wtg_wt_config_set_debug_info(c.handle(), b2i(on)) })
}

// SetConsumeFuel turns fuel metering on; stores then start with 0 fuel (Store.SetFuel).
func (c *Config) SetConsumeFuel(on bool) error {
	defer keep(c)
	return do(func() C.int32_t { return C.wtg_wt_config_set_consume_fuel(c.handle(), b2i(on)) })
}

// SetEpochInterruption turns epoch interruption on (default) or off.
func (c *Config) SetEpochInterruption(on bool) error {
	defer keep(c)
	return do(func() C.int32_t { return C.wtg_wt_config_set_epoch_interruption(c.handle(), b2i(on)) })
}

// SetFeature enables or disables a WebAssembly feature (Feature*).
func (c *Config) SetFeature(feature int32, on bool) error {
	defer keep(c)
	return do(func() C.int32_t { return C.wtg_wt_config_set_feature(c.handle(), C.int32_t(feature), b2i(on)) })
}

// SetParallelCompilation compiles on several threads (default) or on the calling one.
func (c *Config) SetParallelCompilation(on bool) error {
	defer keep(c)
	return do(func() C.int32_t { return C.wtg_wt_config_set_parallel_compilation(c.handle(), b2i(on)) })
}

// SetMaxWasmStack sets the native stack guest code may use before it traps
// with TrapStackOverflow.
func (c *Config) SetMaxWasmStack(bytes uint64) error {
	defer keep(c)
	return do(func() C.int32_t { return C.wtg_wt_config_set_max_wasm_stack(c.handle(), C.size_t(bytes)) })
}

// SetCacheDir enables Wasmtime's on-disk compilation cache under dir.
func (c *Config) SetCacheDir(dir string) error {
	defer keep(c)
	return do(func() C.int32_t {
		p, n := cstr(dir)
		return C.wtg_wt_config_set_cache_dir(c.handle(), p, n)
	})
}

// Engine compiles modules; it is shared by any number of stores and goroutines.
type Engine struct{ object }

// NewEngine makes an engine with libwt's default configuration.
func NewEngine() (*Engine, error) {
	var h C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_engine_new(&h) }); err != nil {
		return nil, err
	}
	e := &Engine{}
	track(e, &e.object, h)
	return e, nil
}

// NewEngineWithConfig makes an engine from a configuration (copied).
func NewEngineWithConfig(config *Config) (*Engine, error) {
	defer keep(config)
	var h C.uint64_t
	if err := do(func() C.int32_t { return C.wtg_wt_engine_new_with_config(config.handle(), &h) }); err != nil {
		return nil, err
	}
	e := &Engine{}
	track(e, &e.object, h)
	return e, nil
}

// Close frees the engine. Modules and stores made from it keep working.
func (e *Engine) Close() error { return closeObject(e) }

// IncrementEpoch advances the engine's epoch (most code wants Store.Interrupt).
func (e *Engine) IncrementEpoch() error {
	defer keep(e)
	return do(func() C.int32_t { return C.wtg_wt_engine_increment_epoch(e.handle()) })
}
