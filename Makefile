# Every target builds .venv on first use with a Python >= 3.12 it finds by itself
# (python3.13/python3.12 on PATH, then pyenv's installs, then python3), so a fresh clone needs
# nothing but `make demo` or `make test`.
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
# Python with bytecode caches on, whatever the shell says (decision 0019): without them every
# process the tests and benchmarks start compiles treadlink afresh, and pytest rewrites every
# test module in each worker.
PYTHON_CACHED := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python
FIND_PY   := for p in "$$PYTHON" python3.13 python3.12 \
               $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) \
               python3; do \
               [ -n "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
               && { command -v "$$p"; exit 0; }; \
             done; echo "no Python >= 3.12 found: install one or set PYTHON=/path/to/python3.12" >&2; exit 1

.PHONY: demo test lint bench clean venv mutate soak

$(STAMP): pyproject.toml
	@[ -x $(BIN)/python ] || { py=$$($(FIND_PY)) && \
	  echo "creating $(VENV) with $$py ($$($$py --version))" && $$py -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/treadlink run workouts/return-to-run/stage-01.yaml --sim --speedup 30

# The whole suite on several workers (pytest-xdist), handed one test at a time, the long ones
# first (tests/conftest.py). Most tests wait on processes, terminals and brokers, so more workers
# than the machine's two cores pay: TEST_WORKERS was chosen by timing the suite (decision 0019).
TEST_WORKERS ?= 10

test: $(STAMP)
	$(PYTHON_CACHED) -m pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 1

lint: $(STAMP)
	$(BIN)/ruff check src simulators tests benchmarks
	$(BIN)/ruff format --check src simulators tests benchmarks
	$(BIN)/mypy

# An installed treadlink has its .pyc files (pip compiles them): a start-up figure without them
# would time the compiler.
bench: $(STAMP)
	$(PYTHON_CACHED) -m benchmarks

# Mutation testing of the safety core and the control point (config: [tool.mutmut] in
# pyproject.toml). Two workers: the machine is shared. Prints the score, then every mutant not
# killed; docs/safety.md explains each one that survives. Incremental: mutmut keeps its results
# in mutants/ and reruns only what changed; `make clean` (or rm -rf mutants) starts afresh.
MUTATION_SCORE := "import json; s = json.load(open('mutants/mutmut-cicd-stats.json')); \
  print(f\"mutation score: {s['killed']}/{s['total']} killed, {s['timeout']} timeouts, \
  {s['survived']} survived, {s['no_tests']} without tests\")"

mutate: $(STAMP)
	$(BIN)/mutmut run --max-children 2 || true
	@$(BIN)/mutmut export-cicd-stats >/dev/null
	@$(BIN)/python -c $(MUTATION_SCORE)
	@echo "not killed:"; $(BIN)/mutmut results

# Long random runs of the safety properties (hypothesis profile "soak", tests/conftest.py).
soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(PYTHON_CACHED) -m pytest tests/safety/test_properties.py

clean:
	rm -rf mutants $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
	find src simulators tests benchmarks -name __pycache__ -prune -exec rm -rf {} +
