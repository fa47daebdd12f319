# Two commands for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test check install dev clean docs provision-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEVSTAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,render]'
	touch $@

install: $(STAMP)
dev: $(DEVSTAMP)

# The main job on embedded defaults: a fresh SQLite database in a temp folder, migrated, example data,
# the local API server, a local CDN folder, offline providers. provision-demo first (it never fails):
# python3-venv and espeak-ng with apt as root on Debian; a step whose engine is missing is skipped.
provision-demo:
	@PYTHON=$(PYTHON) bash scripts/provision-demo.sh

demo: provision-demo $(STAMP)
	@d=$$(mktemp -d -t tinytalk-demo-XXXXXX); \
	echo "demo folder: $$d" >&2; \
	TINYTALK_CONFIG_DIR=$$d/config TINYTALK_DATA_DIR=$$d/data $(BIN)/tinytalk demo

# Static checks, then the whole test suite on SQLite and a real MariaDB.
check: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(DEVSTAMP)
	@req=$$(bash scripts/provision-test-services.sh) || exit 1; \
	$(MAKE) --no-print-directory check && \
	env $$req $(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
