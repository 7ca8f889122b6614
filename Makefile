# moviec: `make demo` builds the demo movie from real brain data; `make test` runs the tests.
# Both install what they need (Debian packages, a virtualenv) and can be run again safely.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nilearn is only needed for its packaged MNI152 template; its own dependencies are not.
NILEARN := nilearn==0.14.1

.PHONY: demo test lint system venv bench clean

DEMO_DATA := demo/mni152.h5

demo: system $(STAMP) $(DEMO_DATA)
	$(BIN)/moviec build scenes/demo.toml
	$(BIN)/python tools/verify_movie.py scenes/demo.toml

# The seed's data path on real brain data: raw slice files -> HDF5 with a resolution pyramid.
$(DEMO_DATA): tools/demo_data.py | $(STAMP)
	$(BIN)/python tools/demo_data.py demo/slices
	$(BIN)/moviec convert demo/slices -o $@ --array /T1 --slice-shape 233,197 --dtype uint8 \
		--voxel-size 1,1,1 --levels 2 --force

test: system $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/moviec schema --check
	$(BIN)/moviec schema --markdown --check
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

system:
	tools/install-system

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps '$(NILEARN)'
	touch $@

bench: system $(STAMP) $(DEMO_DATA)
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_convert.py
	$(BIN)/python bench/bench_cluster.py
	$(BIN)/python bench/bench_preview.py

clean:
	rm -rf demo scenes/.moviec .pytest_cache .mypy_cache .ruff_cache
