# privateapi: two commands do all set-up on a fresh machine (Python 3.11+):
#   make demo   creates .venv, installs, runs the doctor against the built-in local gateway
#   make test   creates .venv, installs with test extras, runs lint, types, tests, docs, examples
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test venv lint format types typing pytest e2e-deps docs examples wheel bench clean conformance lab

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "privateapi needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[testing]"
	@touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	@touch $@ $(VENV)/.installed-demo

venv: $(STAMP)

demo: $(VENV)/.installed-demo
	$(BIN)/privateapi demo

test: $(STAMP)
	$(MAKE) lint types typing pytest docs examples wheel

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(STAMP)
	$(BIN)/mypy privateapi cli/privateapi_cli

# The public API as callers' type checkers see it (tests/typing/README).
typing: $(STAMP)
	$(BIN)/mypy --strict tests/typing

# The network-namespace suite needs root, dnsmasq and iptables: installed here when
# missing (as root), otherwise pytest reports those tests as not run, with the reason.
e2e-deps:
	@if [ "$$(id -u)" = 0 ] && ! command -v dnsmasq >/dev/null 2>&1; then \
	  echo "installing dnsmasq-base iptables for the network-namespace tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base iptables nftables >/dev/null) \
	    || echo "WARNING: could not install dnsmasq-base/iptables: the netns tests will be reported as not run"; \
	fi

# coverage starts before pytest loads its plugins, so the pytest11 plugin module and
# privateapi/__init__ (imported at plugin load) are measured like everything else.
pytest: $(STAMP) e2e-deps
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest -p no:cacheprovider $(PYTEST_ARGS)
	$(BIN)/coverage combine -q 2>/dev/null || true
	$(BIN)/coverage report --fail-under=90

# Only the tests that read third-party data from ../shared/conformance (SigV4 suites,
# iam-simulate's cases); here missing data fails them instead of reporting them NOT RUN.
conformance: $(STAMP)
	PRIVATEAPI_REQUIRE_CONFORMANCE=1 $(BIN)/pytest -p no:cacheprovider -m conformance -ra $(PYTEST_ARGS)

# Only the shared acceptance lab (../shared/lab): it judges this checkout's doctor in each of
# its scenarios, one pytest result per scenario; NOT RUN without ../shared/lab or root/unshare.
lab: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider -m lab -ra $(PYTEST_ARGS)

docs: $(STAMP)
	$(BIN)/python docs/gen_reference.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

examples: $(STAMP)
	$(BIN)/python examples/run_all.py

# Build the wheel and install it into a fresh venv: catches files missing from the package.
wheel: $(STAMP)
	rm -rf dist build/wheel-venv
	$(BIN)/python -m build --wheel --outdir dist . >/dev/null
	$(PYTHON) -m venv build/wheel-venv
	build/wheel-venv/bin/python -m pip install -q dist/*.whl
	build/wheel-venv/bin/privateapi --version
	cd build && wheel-venv/bin/python -c "import privateapi, privateapi_cli.main; assert privateapi.InvokeTarget"

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) dist build site .coverage .pytest_cache .mypy_cache .ruff_cache
