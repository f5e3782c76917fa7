# Every target bootstraps the virtual environment from requirements.txt on first use
# and reuses it afterwards (it is rebuilt when requirements.txt changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: app test test-all bench bench-train venv clean

venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

app: $(STAMP)
	$(PY) -m streamlit run streamlit_app.py --server.headless true \
	  --server.fileWatcherType none --browser.gatherUsageStats false

test: $(STAMP)
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m "slow or not slow"

bench: $(STAMP)
	$(PY) -m mips bench --out runs/bench

bench-train: $(STAMP)
	$(PY) benchmarks/train_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
