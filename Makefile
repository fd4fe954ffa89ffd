# The two commands a newcomer needs are `make run` and `make test`; everything else is for
# people working on wijklab.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint audit unit integration workflows scale faults histories bench bench-national lock clean-data clean

# Install into .venv from the lock file whenever the lock or the project metadata changed.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/wijklab dev

# Two workers, a test module each at a time (its stack is built once): most of a test waits
# on PostgreSQL, Temporal or a browser, so two halve the time on two cores.
test: $(STAMP) lint
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Known vulnerabilities in the pinned runtime dependencies (asks PyPI's vulnerability data,
# so it needs the network; run it in CI where that is allowed).
audit: $(STAMP)
	$(BIN)/pip-audit --strict --no-deps --disable-pip -r deploy/requirements.prod.lock

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

workflows: $(STAMP)
	$(BIN)/pytest tests/workflows

# Two of every process against one Temporal and one PostgreSQL, with failover (also in
# `make test`).
scale: $(STAMP)
	$(BIN)/pytest tests/scale

# Faults under load, the long form: every scenario for 30 s with 16 clients and more kills
# (`make test` runs the short form of each).
faults: $(STAMP)
	WIJKLAB_FAULTS=full WIJKLAB_FUZZ_STATEFUL_EXAMPLES=100 $(BIN)/pytest -s tests/faults \
		tests/api/test_fuzz.py tests/api/test_webhook_fuzz.py tests/api/test_bad_input.py

# Benchmarks: ratios against raw ceilings measured in the same run (a few minutes).
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

# The benchmark at national size: 340 municipalities, 17,000 open experiments (half an hour).
bench-national: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run --scale national

# Record fresh workflow histories for the replay tests (after a versioned workflow change).
histories: $(STAMP)
	$(BIN)/python -m tests.workflows.record_histories $(WHICH)

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		-o deploy/requirements.prod.lock

clean-data:
	rm -rf .wijklab

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
