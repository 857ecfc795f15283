PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo check test bench clean

$(BIN)/kvpipe: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(BIN)/kvpipe

demo: $(BIN)/kvpipe
	$(BIN)/kvpipe study seed --out out/seed

check: $(BIN)/kvpipe
	$(BIN)/ruff check .
	$(BIN)/python -m mypy

# PYTHONDONTWRITEBYTECODE= : Python caches compiled modules (in git-ignored __pycache__ folders)
# even where the environment turns that off, so that later runs do not compile kvpipe, the tests
# and pytest's assertion rewrites again in every worker
test: $(BIN)/kvpipe
	PYTHONDONTWRITEBYTECODE= MPLBACKEND=Agg $(BIN)/python -m pytest -n auto --dist worksteal

bench: $(BIN)/kvpipe
	$(BIN)/python benchmarks/perf_points.py

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info
