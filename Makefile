# Every target bootstraps the virtual environment from requirements.txt on first use, installs
# this project into it in editable mode (the `mips` command; Dask workers started from
# .venv/bin/dask import it from any folder) and reuses it afterwards (it is refreshed when
# requirements.txt or pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: app test test-all bench bench-train venv clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

app: $(STAMP)
	$(PY) -m streamlit run streamlit_app.py --server.headless true \
	  --server.fileWatcherType none --browser.gatherUsageStats false

# the suite runs on every core (pytest-xdist); each browser-test file stays on one worker, so a worker
# starts at most one app server (TEST_WORKERS=0 runs it in this process)
TEST_WORKERS ?= auto
TEST_ARGS := -q -n $(TEST_WORKERS) --dist loadgroup

test: $(STAMP)
	$(PY) -m pytest $(TEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest $(TEST_ARGS) -m "slow or not slow"

bench: $(STAMP)
	$(PY) -m mips bench --out runs/bench

bench-train: $(STAMP)
	$(PY) benchmarks/train_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info test-artifacts
