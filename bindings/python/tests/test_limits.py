"""Fuel, timeouts, interruption from another thread, memory and table caps."""

import threading
import time

import pytest

import wt

SPIN = '(module (func (export "spin") (loop (br 0))) (func (export "ok") (result i32) i32.const 1))'


@pytest.fixture
def fuel_engine():
    with wt.Config(consume_fuel=True) as c:
        e = wt.Engine(c)
    yield e
    e.close()


def test_fuel_runs_out_and_can_be_refilled(fuel_engine):
    with wt.Store(fuel_engine) as s, wt.Linker(fuel_engine) as lk, wt.Module.from_text(fuel_engine, SPIN) as m:
        assert s.fuel == 0  # a store starts with no fuel
        s.fuel = 10_000
        i = lk.instantiate(s, m)
        with pytest.raises(wt.OutOfFuelError) as ei:
            i.get_function(s, "spin")(s)
        e = ei.value
        assert e.status == 12 and e.trap_code == wt.TrapCode.OUT_OF_FUEL
        assert isinstance(e, wt.TrapError)
        assert s.get_fuel() == 0
        s.set_fuel(100)
        assert i.get_function(s, "ok")(s) == 1
        assert 0 < s.fuel < 100  # the call consumed some


def test_host_functions_see_and_set_fuel_through_the_caller(fuel_engine):
    seen = []

    def probe(caller):
        seen.append(caller.fuel)
        caller.set_fuel(0)  # starve the rest of the call

    with wt.Store(fuel_engine) as s, wt.Linker(fuel_engine) as lk:
        lk.define_func("", "probe", [], [], probe, access_caller=True)
        with wt.Module.from_text(fuel_engine, """(module (import "" "probe" (func $p))
              (func $work (result i32) (i32.add (i32.const 1) (i32.const 2)))
              ;; fuel is checked at function entries and loop headers
              (func (export "run") (result i32) (call $p) (call $work)))""") as m:
            s.fuel = 1000
            i = lk.instantiate(s, m)
            with pytest.raises(wt.OutOfFuelError):
                i.get_function(s, "run")(s)
    assert len(seen) == 1 and 0 < seen[0] < 1000


def test_fuel_disabled_is_unsupported(store):
    with pytest.raises(wt.UnsupportedError) as ei:
        store.set_fuel(10)
    assert ei.value.status == 17


def test_timeout_stops_an_infinite_loop_and_the_store_stays_usable(instantiate, store):
    i = instantiate(SPIN)
    store.set_timeout_ms(50)
    t = time.monotonic()
    with pytest.raises(wt.InterruptedError) as ei:
        i.get_function(store, "spin")(store)
    assert time.monotonic() - t < 10
    e = ei.value
    assert e.status == 11 and e.trap_code == wt.TrapCode.INTERRUPT
    assert "timed out" in e.message
    assert i.get_function(store, "ok")(store) == 1
    store.timeout_ms = 0


def test_interrupt_from_another_python_thread(instantiate, store):
    i = instantiate(SPIN)
    spin = i.get_function(store, "spin")
    outcome = []

    def run():
        try:
            spin(store)
        except wt.WtError as e:
            outcome.append(e)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.2)  # the spinning thread released the GIL inside wt_call
    assert t.is_alive()
    store.interrupt()
    t.join(10)
    assert not t.is_alive()
    (e,) = outcome
    assert isinstance(e, wt.InterruptedError) and e.status == 11
    assert e.trap_code == wt.TrapCode.INTERRUPT and "interrupted" in e.message
    assert i.get_function(store, "ok")(store) == 1


def test_interrupting_an_idle_store_stops_its_next_call(instantiate, store, engine):
    i = instantiate(SPIN)
    store.interrupt()
    engine.increment_epoch()
    with pytest.raises(wt.InterruptedError):
        i.get_function(store, "spin")(store)
    assert i.get_function(store, "ok")(store) == 1


def test_memory_and_table_caps(engine, store, linker):
    store.set_limits(memory_bytes=2 * 65536, table_elements=5)
    m = wt.Module.from_text(engine, """(module (memory (export "mem") 1) (table 1 funcref)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "tgrow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))""")
    i = linker.instantiate(store, m)
    grow = i.get_function(store, "grow")
    assert grow(store, 1) == 1
    assert grow(store, 1) == -1  # beyond the cap memory.grow fails as the spec says
    with pytest.raises(wt.LimitError) as ei:
        i.get_memory(store, "mem").grow(store, 1)
    assert ei.value.status == 10
    tgrow = i.get_function(store, "tgrow")
    assert tgrow(store, 4) == 1
    assert tgrow(store, 1) == -1
    # With trap_on_grow_failure the guest is stopped with the limit's status.
    store.set_limits(memory_bytes=2 * 65536, table_elements=5, trap_on_grow_failure=True)
    with pytest.raises(wt.LimitError) as ei:
        grow(store, 1)
    assert "limit" in ei.value.message
    # A module whose initial memory exceeds the cap cannot be instantiated.
    big = wt.Module.from_text(engine, "(module (memory 4))")
    with pytest.raises((wt.LimitError, wt.LinkError)):
        linker.instantiate(store, big)
    # No caps again.
    store.set_limits()
    linker.instantiate(store, big)
    m.close()
    big.close()
