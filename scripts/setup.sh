#!/usr/bin/env bash
# Create the course's virtual environment (.venv) and install its Python packages.
# Run by `make lab` and `make test`; does nothing when .venv is already up to date.
# As root on Debian/Ubuntu it installs what building the environment needs (python3-venv,
# a C compiler and Python headers for uWSGI) with apt-get; elsewhere it says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
LOG=$VENV-install.log

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    die "missing: $*. On Debian/Ubuntu: sudo apt-get install $*; macOS: xcode-select --install and brew install python@3.12; or use environment.yml with conda"
  fi
}

command -v "$PYTHON" >/dev/null || apt_install python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || die "Python 3.10 or newer is needed; $PYTHON is $("$PYTHON" --version 2>&1)"
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
# uWSGI is compiled by pip: it needs a C compiler and the Python headers.
command -v cc >/dev/null || apt_install build-essential
"$PYTHON" -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  || apt_install python3-dev

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
say "installing Python packages (the first time takes a few minutes: uWSGI compiles; log: $LOG)"
{
  "$VENV/bin/python" -m pip install --upgrade pip
  "$VENV/bin/python" -m pip install -r requirements.txt -r requirements-dev.txt
  "$VENV/bin/python" -m pip install --no-deps -e .
} >"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "pip install failed; the whole log is in $LOG"; }
touch "$VENV/.installed"
say "environment ready"
