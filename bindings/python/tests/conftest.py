"""Shared fixtures: an engine, a store, and a helper that instantiates WAT."""

import pytest

import wt


@pytest.fixture
def engine():
    e = wt.Engine()
    yield e
    e.close()


@pytest.fixture
def store(engine):
    s = wt.Store(engine)
    yield s
    s.close()


@pytest.fixture
def linker(engine):
    lk = wt.Linker(engine)
    yield lk
    lk.close()


@pytest.fixture
def instantiate(engine, store, linker):
    """instantiate(wat) -> Instance in the test's store, linked with the test's linker."""
    modules = []

    def make(wat):
        m = wt.Module.from_text(engine, wat)
        modules.append(m)
        return linker.instantiate(store, m)

    yield make
    for m in modules:
        m.close()
