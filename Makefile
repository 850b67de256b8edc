# Two commands matter: `make run` and `make test`. Both set up .venv on a fresh machine first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test check bench soak clean venv

venv: $(STAMP)

# `make run` installs what running needs; the test, lint and browser tools come with `make test`.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/incident migrate  # the embedded store's tables and schema version, brought up to this release
	$(BIN)/incident serve --demo-token

# The suite in two processes (pytest-xdist): the machines have two cores, and most tests wait on a
# server, a database or a browser. Each test has its own database, schema, port and folder.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=25

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

# The long runs the suite keeps short (and the `soak`-marked tests it skips): kill -9 of a server under
# load and under `incident simulate`, kill -9 of the leading projector, PostgreSQL restarted under load,
# a branch offline for minutes, 1,000 watchers connecting at once (some that stop reading) while posting,
# many more generated hostile requests, feed replays over a 100,000-event log, and the replay benchmark.
soak: $(STAMP)
	INCIDENT_SOAK_SECONDS=20 INCIDENT_SOAK_OUTAGE_SECONDS=120 INCIDENT_HOSTILE_EXAMPLES=500 \
		INCIDENT_FEED_LOAD_EVENTS=100000 INCIDENT_FEED_CROWD=1000 \
		$(BIN)/python -m pytest -q tests/e2e/test_crash_under_load.py tests/e2e/test_simulate_through_a_crash.py \
		tests/e2e/test_projector_kill.py tests/e2e/test_database_restart_under_load.py \
		tests/e2e/test_outbox_through_an_outage.py tests/e2e/test_hostile_input.py tests/e2e/test_feed_load.py \
		"tests/e2e/test_feed_limits.py::test_a_crowd_of_watchers_at_once_and_some_that_stop_reading_do_not_stall_posting"
	$(BIN)/python -m bench replay

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
