# The two commands a new user needs:  make demo   and   make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the full test suite drives for real: PostgreSQL (the shared store, a city's
# Prefect server), Chromium + its driver (the desk and report pages), LibreOffice Calc (the
# Excel report's print layout), CJK fonts (screenshots and PDFs that show Chinese).
DEBS := postgresql chromium chromium-driver libreoffice-calc fonts-noto-cjk

.PHONY: install system-packages demo test test-fast lint format bench screenshots clean

$(BIN)/duban: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/duban

# apt-get only what is missing, only as root on Debian; otherwise say what the tests will skip
system-packages:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "not installed:$$missing (tests that need them are skipped and say why)"; fi; \
	fi

demo: install
	$(BIN)/duban demo

# every test tier (CI runs `make lint` and then this: .ci/run)
test: install system-packages
	$(BIN)/python -m pytest -q

# the library tier only: no Prefect, no browser, no servers but SMTP (well under a minute)
test-fast: install
	$(BIN)/python -m pytest -q -m "not prefect and not browser and not postgres and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/typecheck.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# duban against its floors and plain pandas scripts on 1k and 10k files (trees cached in var/bench)
bench: install
	$(BIN)/python benchmarks/bench_scale.py --sizes 1,10 --json var/bench/figures.json

# the desk's overview and a unit page at desktop and phone width, for the README (needs Chromium)
screenshots: install system-packages
	$(BIN)/python scripts/screenshot_desk.py --out docs/screenshots

clean:
	rm -rf $(VENV) var build
