# zkattest: every target creates what it needs (.venv, Python deps, the release build
# of the extension) and is idempotent: a second run with nothing changed rebuilds and
# reinstalls nothing.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMPS := .build-stamps
# maturin develop installs into the active virtualenv.
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(BIN)):$(PATH)

PY_DIRS := $(wildcard python tests benches examples)
RUST_SRC := Cargo.toml Cargo.lock .cargo/config.toml $(shell find rust -name '*.rs' -o -name 'Cargo.toml' -o -name '*.json' 2>/dev/null)

.PHONY: all demo test test-rust test-python bench lint fmt clean

all: $(STAMPS)/ext

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Python dependencies (pinned in pyproject.toml, and only there).
$(STAMPS)/deps: pyproject.toml | $(PY)
	@mkdir -p $(STAMPS)
	$(PY) -m pip install --quiet 'maturin>=1.14,<2'
	$(PY) -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
	  print('\n'.join(d['dependencies'] + [r for extra in ('torch', 'dev') for r in d['optional-dependencies'][extra]]))" \
	  > $(STAMPS)/requirements.txt
	$(PY) -m pip install --quiet -r $(STAMPS)/requirements.txt
	@touch $@

# The extension, built in release mode and installed editable into the venv.
$(STAMPS)/ext: $(STAMPS)/deps $(RUST_SRC)
	$(BIN)/maturin develop --release --quiet
	@touch $@

# The main job as far as it exists: a zero-knowledge proof through the full proving
# stack, then an attested training run on scikit-learn's digits, verified and tampered.
demo: $(STAMPS)/ext
	$(BIN)/zkattest demo
	$(PY) examples/train_digits.py --out out/demo

test: test-rust test-python

test-rust: $(STAMPS)/ext
	cargo test --release --workspace --quiet

test-python: $(STAMPS)/ext
	$(PY) -m pytest -q

bench: $(STAMPS)/ext
	$(BIN)/zkattest bench --help >/dev/null
	$(PY) -m pytest -q benches --benchmark-only

lint: $(STAMPS)/deps
	cargo fmt --all --check
	cargo clippy --release --workspace --all-targets --quiet -- -D warnings
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)

fmt: $(STAMPS)/deps
	cargo fmt --all
	$(BIN)/ruff format $(PY_DIRS)
	$(BIN)/ruff check --fix $(PY_DIRS)

clean:
	rm -rf $(STAMPS) target
