# Flask in Production — the two commands a learner needs:
#   make lab    open the course in JupyterLab
#   make test   run every test and every notebook (quick mode)
SHELL := /bin/bash
# The course's dev container sets COURSE_VENV to the venv its image installed (.devcontainer/Dockerfile).
VENV := $(or $(COURSE_VENV),.venv)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# System tools installed with apt-get when missing (as root on Debian/Ubuntu); elsewhere, hints.
SYSTEM_TOOLS := nginx redis dockerd docker-compose debootstrap wrk chromium
LAB_PORT ?= 8888
PYTHON ?=
LAB_ARGS ?=
PYTEST_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

LAB ?=
.PHONY: lab test test-simulated test-devcontainer record full-run check book check-tools cleanup clean help outdated
help:
	@echo "make lab     open the course in JupyterLab (creates .venv the first time)"
	@echo "make test    unit tests, config checks, and every notebook in quick mode (then, as on a Mac, the notebooks that use what macOS denies)"
	@echo "make check LAB=02a  check your work on a lab (labs/02a/mine/)"
	@echo "make test-devcontainer   build the course's dev container and run 00, the unit tests and 05 inside it"
	@echo "make book    build the course as a website from the recorded notebooks (_build/html)"
	@echo "make record  re-run the notebooks and store their outputs (quick mode)"
	@echo "make full-run   time every notebook in full mode; writes the README's headline figure"
	@echo "make outdated   newer releases of the tools the course teaches than it was checked against"
	@echo "make clean   stop anything the course left running and delete .venv"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml scripts/setup.sh
	@PYTHON="$(PYTHON)" scripts/setup.sh

check-tools: $(STAMP)
	@$(BIN)/python -m bench --install $(SYSTEM_TOOLS)

# lab, test and record run with a Docker engine answering: `bench.host.dockerd run` starts dockerd when
# none answers (as root on Linux) and stops it again afterwards, only if it started it.
DOCKERD := $(BIN)/python -m bench.host.dockerd run --

lab: check-tools
	@$(DOCKERD) $(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(LAB_PORT) $(ROOT_FLAG) $(LAB_ARGS)

# Base images and wheels for stage 05 are prepared before the timed notebooks run. Then the same machine as a Mac
# (bench/host/platforms.py): the bench's unit tests and the notebooks that use what macOS denies (the registry's
# macos_denies, course/stages.py), with a state
# directory of their own. SIMULATE= (empty) leaves that pass out.
SIMULATE ?= macos
SIMULATED_TESTS = tests $(shell $(BIN)/python -m course.stages) --ignore=tests/test_browser.py \
  -m "not load and not security and not last"
test: check-tools
	@start=$$(date +%s); $(DOCKERD) bash -c '$(BIN)/python -m bench.containers.images && COURSE_MODE=quick \
	  $(BIN)/python -m pytest $(PYTEST_ARGS) && $(MAKE) --no-print-directory test-simulated \
	  && $(MAKE) --no-print-directory test-devcontainer'; status=$$?; \
	  echo "==> make test took $$(( ($$(date +%s) - start) / 60 )) min $$(( ($$(date +%s) - start) % 60 )) s"; exit $$status

test-simulated: $(STAMP)
	@if [ -n "$(SIMULATE)" ]; then state=$$(mktemp -d) && echo "==> the same tests on a simulated $(SIMULATE) \
	  (BENCH_SIMULATE=$(SIMULATE), state in $$state)" && BENCH_SIMULATE=$(SIMULATE) BENCH_STATE_DIR=$$state \
	  COURSE_MODE=quick $(BIN)/python -m pytest $(SIMULATED_TESTS); status=$$?; rm -rf "$$state"; exit $$status; fi

# The dev container (.devcontainer/) as a learner opens it: built and started with a pinned dev container CLI, then
# notebook 00, the bench's unit tests and notebook 05 (on the Docker engine inside it) run in it; it is removed after.
# Inside the dev container itself it says so and passes: the test builds this container, so it runs from outside.
test-devcontainer: $(STAMP)
	@if [ -n "$${COURSE_DEVCONTAINER:-}" ] && [ "$${COURSE_DEVCONTAINER}" != 0 ]; then \
	  echo "==> in the course's dev container: make test-devcontainer runs from outside it (it builds this container)"; \
	else $(DOCKERD) $(BIN)/python -m course.devcontainer; fi

check: check-tools
	@test -n "$(LAB)" || { echo "which lab? e.g. make check LAB=02a (see labs/README.md)"; exit 2; }
	COURSE_MODE=quick $(BIN)/python -m course.labs $(LAB)

# Every cell runs, solutions and checks too; a check then leaves out its evidence (course/exercises.py).
# Each pass gets an id (course/recording.py), stamped into every notebook it ran and carried by the stage results
# saved meanwhile: the committed notebooks must all come from one pass (tests/test_recording.py).
record: check-tools
	@id=$$($(BIN)/python -m course.recording --new) && echo "==> recording $$id" && \
	  COURSE_RECORDING=$$id COURSE_MODE=quick BENCH_PROGRESS=line $(DOCKERD) $(BIN)/jupyter nbconvert --to notebook \
	  --execute --inplace --ExecutePreprocessor.timeout=900 notebooks/$(or $(NB),[0-9]*).ipynb && \
	  $(BIN)/python -m course.recording --id $$id notebooks/$(or $(NB),[0-9]*).ipynb

# Every notebook in full mode (what `make lab` runs), executed into a temporary folder and timed: writes
# docs/full-mode-times.json and the README's headline figure (04b's full-mode matrix). ONLY="04b 07": some stages.
full-run: check-tools
	@$(DOCKERD) $(BIN)/python -m course.full_run $(ONLY)

# The recorded notebooks, labs and instructor guide as a static website (Jupyter Book; nothing is executed).
book: $(STAMP)
	@$(BIN)/python -m course.book

# What is waiting: each taught package's checked version, installed version and newest release (course/versions.py).
# Informational: it fails nothing; raising a cap in requirements.txt means reading that changelog first.
outdated: $(STAMP)
	@$(BIN)/python -m course.versions --outdated

cleanup:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -c "import bench; print('\n'.join(bench.cleanup(everyone=True)) or 'nothing running')"; fi

clean: cleanup
	rm -rf $(VENV) $(VENV)-install.log .pytest_cache .ruff_cache *.egg-info
