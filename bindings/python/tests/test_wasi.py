"""WASI preview 1: args, env, stdin, captured and inherited output, exit codes, preopens."""

import pytest

import wt

WASI = '"wasi_snapshot_preview1"'

# Prints a greeting, then argv[1], then echoes stdin to stderr, then exits with 3.
WASI_ECHO = f"""(module
  (import {WASI} "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import {WASI} "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import {WASI} "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import {WASI} "args_get" (func $args_get (param i32 i32) (result i32)))
  (import {WASI} "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "hello from wasi\\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 200))))
  (func (export "_start")
    (call $write (i32.const 1) (i32.const 8) (i32.const 16))
    (drop (call $args_sizes_get (i32.const 300) (i32.const 304)))
    (drop (call $args_get (i32.const 400) (i32.const 500)))
    ;; argv[1] is the last argument: its length = buf size - (argv[1] - argv[0]) - 1
    (call $write (i32.const 1) (i32.load (i32.const 404))
      (i32.sub (i32.sub (i32.load (i32.const 304))
                        (i32.sub (i32.load (i32.const 404)) (i32.load (i32.const 400)))) (i32.const 1)))
    (i32.store (i32.const 0) (i32.const 1000))
    (i32.store (i32.const 4) (i32.const 100))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 208)))
    (call $write (i32.const 2) (i32.const 1000) (i32.load (i32.const 208)))
    (call $proc_exit (i32.const 3))))"""

# Writes the raw environment block ("K=V\0...") to stdout, returns the variable count.
WASI_ENV = f"""(module
  (import {WASI} "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import {WASI} "environ_get" (func $get (param i32 i32) (result i32)))
  (import {WASI} "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 100) (i32.const 1000)))
    (i32.store (i32.const 16) (i32.const 1000))
    (i32.store (i32.const 20) (i32.load (i32.const 4)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (i32.load (i32.const 0))))"""

# Opens "in.txt" in preopen fd 3, copies it to stdout, then tries to create
# "out.txt" and returns that path_open's errno.
WASI_FILES = f"""(module
  (import {WASI} "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import {WASI} "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import {WASI} "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "in.txt")
  (data (i32.const 120) "out.txt")
  (func (export "run") (result i32)
    (if (i32.ne (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 6) (i32.const 0)
                  (i64.const 2) (i64.const 2) (i32.const 0) (i32.const 200)) (i32.const 0))
      (then (return (i32.const -1))))
    (i32.store (i32.const 0) (i32.const 1000))
    (i32.store (i32.const 4) (i32.const 64))
    (drop (call $read (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 300)))
    (i32.store (i32.const 4) (i32.load (i32.const 300)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 304)))
    (call $open (i32.const 3) (i32.const 0) (i32.const 120) (i32.const 7) (i32.const 1)
                (i64.const 64) (i64.const 64) (i32.const 0) (i32.const 204))))"""


@pytest.fixture
def wasi_linker(engine):
    lk = wt.Linker(engine)
    lk.define_wasi()
    yield lk
    lk.close()


def test_args_stdin_captured_output_and_exit_code(engine, wasi_linker):
    cfg = wt.WasiConfig(args=["prog", "ARG-ONE"], env={"K": "V"}, stdin=b"piped input",
                        stdout=wt.Stdio.CAPTURE, stderr=wt.Stdio.CAPTURE)
    with wt.Store(engine, wasi=cfg) as store, wt.Module.from_text(engine, WASI_ECHO) as m:
        inst = wasi_linker.instantiate(store, m)
        with pytest.raises(wt.ExitError) as ei:
            inst.get_function(store, "_start")(store)
        e = ei.value
        assert e.status == 15 and e.exit_code == 3
        assert "proc_exit(3)" in e.message
        assert store.wasi_stdout() == b"hello from wasi\nARG-ONE"
        assert store.wasi_stderr() == b"piped input"
        with pytest.raises(wt.InvalidArgumentError):
            store.wasi_output(3)
    cfg.close()


def test_wasi_config_errors(tmp_path):
    with wt.WasiConfig() as cfg:
        with pytest.raises(wt.InvalidArgumentError):
            cfg.add_env("A=B", "V")
        with pytest.raises(wt.InvalidArgumentError):
            cfg.set_stdout(7)
        with pytest.raises(wt.IoError) as ei:
            cfg.preopen_dir(tmp_path / "definitely-not-here", "/")
        assert ei.value.status == 18


def test_environment_variables(engine, wasi_linker):
    cfg = wt.WasiConfig(stdout=wt.Stdio.CAPTURE).add_env("K", "V").add_env("X", "yz")
    with wt.Store(engine) as store, wt.Module.from_text(engine, WASI_ENV) as m:
        store.set_wasi(cfg)
        n = wasi_linker.instantiate(store, m).get_function(store, "run")(store)
        assert n == 2
        assert store.wasi_stdout() == b"K=V\0X=yz\0"
    cfg.close()


def test_output_that_is_not_captured(engine, wasi_linker):
    # A store without set_wasi gets an empty context: output is discarded.
    with wt.Store(engine) as store, wt.Module.from_text(engine, WASI_ENV) as m:
        assert wasi_linker.instantiate(store, m).get_function(store, "run")(store) == 0
        with pytest.raises(wt.InvalidArgumentError) as ei:
            store.wasi_stdout()
        assert "not captured" in ei.value.message


def test_inherited_stdout_goes_to_the_process(engine, wasi_linker, capfd):
    with wt.WasiConfig(args=["prog", "to-the-terminal"], stdout=wt.Stdio.INHERIT) as cfg, \
            wt.Store(engine, wasi=cfg) as store, wt.Module.from_text(engine, WASI_ECHO) as m:
        with pytest.raises(wt.ExitError):
            wasi_linker.instantiate(store, m).get_function(store, "_start")(store)
    assert capfd.readouterr().out == "hello from wasi\nto-the-terminal"


@pytest.mark.parametrize("read_only", [True, False])
def test_preopened_directory(engine, wasi_linker, tmp_path, read_only):
    (tmp_path / "in.txt").write_bytes(b"file contents")
    cfg = wt.WasiConfig(stdout=wt.Stdio.CAPTURE, preopens=[(tmp_path, "/data", read_only)])
    with wt.Store(engine, wasi=cfg) as store, wt.Module.from_text(engine, WASI_FILES) as m:
        errno = wasi_linker.instantiate(store, m).get_function(store, "run")(store)
        assert store.wasi_stdout() == b"file contents"
        assert (errno == 0) is (not read_only), errno
        assert (tmp_path / "out.txt").exists() is (not read_only)
    cfg.close()
