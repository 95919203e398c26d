# The two commands a new user needs:  make demo   and   make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install browser demo test bench clean

$(BIN)/duban: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/duban

demo: install
	$(BIN)/duban demo

# headless Chromium + CJK fonts for the report screenshot test (Debian packages; best effort:
# without them that one test is skipped and says why)
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1; } \
	  || echo "chromium not installed: the report screenshot test will be skipped"

test: install browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_check.py

clean:
	rm -rf $(VENV) var
