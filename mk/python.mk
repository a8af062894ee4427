# Python binding (bindings/python, package `wt`, ctypes only) and its pytest suite.
#   make test-python   build libwt, create build/venv if missing, run the suite
# Needs python3 >= 3.8 with the venv module (Debian: apt-get install python3-venv)
# and access to PyPI for the packages in bindings/python/requirements-test.txt.
PYTHON ?= python3
PY_DIR := $(CURDIR)/bindings/python
PY_VENV := $(BUILD)/venv
PY_REQS := $(PY_DIR)/requirements-test.txt

.PHONY: test-python

# The stamp records that the venv holds the current test requirements.
$(PY_VENV)/.wt-python-stamp: $(PY_REQS)
	@if ! $(PY_VENV)/bin/python -m pip --version >/dev/null 2>&1; then \
		echo "$(PYTHON) -m venv $(PY_VENV)"; \
		$(PYTHON) -m venv $(PY_VENV) || { \
			echo "error: '$(PYTHON) -m venv' failed (on Debian: apt-get install python3-venv)" >&2; \
			exit 1; }; \
	fi
	$(PY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(PY_REQS)
	@touch $@

test-python: lib $(PY_VENV)/.wt-python-stamp
	cd $(PY_DIR) && PYTHONDONTWRITEBYTECODE=1 WT_LIBRARY=$(TARGET_DIR)/libwt.so \
		$(PY_VENV)/bin/python -m pytest -q

TEST_TARGETS += test-python
