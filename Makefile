# Two commands do everything: `make book` builds the site, `make test` runs every check.
# Both start from a fresh clone with Python 3.11, make and (optionally) npm.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
BUILD  := _build
HTML   := $(BUILD)/html

READER_STAMP := $(VENV)/.reader-installed
DEV_STAMP    := $(VENV)/.dev-installed
INSTRUCTOR_STAMP := $(VENV)/.instructor-installed
JS_STAMP     := node_modules/.installed

# Widgets and maths need the pinned JavaScript; without npm the book still builds, on CDNs.
HAVE_NPM := $(shell command -v npm >/dev/null 2>&1 && echo yes)

.PHONY: book test lint student assignments bench clean help js

help:
	@echo "make book     set up .venv and node_modules, run every notebook, build $(HTML)"
	@echo "make test     everything CI checks: lint, stripped notebooks, strict build, tests, nbval, browser"
	@echo "make student  write the student notebooks (solutions removed) to $(BUILD)/student"
	@echo "make assignments  write the nbgrader course (source and release) to $(BUILD)/nbgrader"
	@echo "make bench    time cnn_helpers against loops and, when installed, PyTorch"
	@echo "make transfer-experiment  rerun chapter 8's whole comparison into $(BUILD)/transfer.json"
	@echo "make clean    remove $(BUILD) (keeps .venv and node_modules)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3

$(READER_STAMP): $(VENV)/bin/python requirements.txt constraints.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	@touch $@

$(DEV_STAMP): $(READER_STAMP) requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

# nbgrader, for `make student`, `make assignments` and the grading tests.
$(INSTRUCTOR_STAMP): $(READER_STAMP) requirements-instructor.txt
	$(BIN)/pip install --quiet -r requirements-instructor.txt -c constraints.txt
	@touch $@

js: $(JS_STAMP)
$(JS_STAMP): package.json package-lock.json
ifeq ($(HAVE_NPM),yes)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@
else
	@echo "npm not found: the book will load its widget and maths JavaScript from public CDNs"
endif

# jupyter-cache reuses a chapter's outputs while its code cells are unchanged, and Sphinx
# does not even re-read a notebook whose file is unchanged, even when cnn_helpers has
# changed under it. The book must show what today's package computes, so both caches are
# dropped whenever the package's files differ from those they were filled with.
PACKAGE_KEY := $(BUILD)/.jupyter_cache-cnn_helpers.sha256

book: $(READER_STAMP) $(JS_STAMP)
	@mkdir -p $(BUILD); \
	key=$$(find cnn_helpers -type f ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum | sha256sum); \
	if [ "$$key" != "$$(cat $(PACKAGE_KEY) 2>/dev/null)" ]; then \
		[ -d $(BUILD)/.jupyter_cache ] && echo "cnn_helpers changed: every chapter runs again"; \
		rm -rf $(BUILD)/.jupyter_cache $(BUILD)/.doctrees; echo "$$key" > $(PACKAGE_KEY); \
	fi
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is built: open $(CURDIR)/$(HTML)/index.html"

lint: $(DEV_STAMP)
	$(BIN)/ruff check cnn_helpers tests notebooks book/_ext
	$(BIN)/nbstripout --verify --keep-id notebooks/*.ipynb tests/fixtures/*.ipynb

student: $(INSTRUCTOR_STAMP)
	$(BIN)/python -m cnn_helpers.student notebooks $(BUILD)/student

assignments: $(INSTRUCTOR_STAMP)
	$(BIN)/python -m cnn_helpers.assignments notebooks $(BUILD)/nbgrader

test: $(DEV_STAMP) $(INSTRUCTOR_STAMP) $(JS_STAMP) lint book student assignments
	CNN_HELPERS_GRADING=1 $(BIN)/python -m pytest -n 2 --dist loadscope tests notebooks --nbval-lax --nbval-current-env

bench: $(READER_STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m cnn_helpers.bench --json $(BUILD)/bench.json

clean:
	rm -rf $(BUILD)

# Chapter 8's transfer experiment in full, outside the book: about 27 CPU-minutes in all,
# 14 minutes on two otherwise idle cores.
.PHONY: transfer-experiment
transfer-experiment: $(READER_STAMP)
	$(BIN)/python scripts/transfer_experiment.py --jobs 2 --out $(BUILD)/transfer.json
