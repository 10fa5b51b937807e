#!/usr/bin/env bash
# Create the course's virtual environment (.venv) and install its Python packages (wheels only: no compiler).
# Run by `make lab` and `make test`; does nothing when .venv is already up to date.
# PYTHON=/path/to/python3.12 picks the interpreter; otherwise the newest python3.1x on PATH that is new enough: the
# minimum is pyproject.toml's requires-python, the one place it is said (locust, the load generator, needs 3.11).
# As root on Debian/Ubuntu it installs python3-venv with apt-get when it is missing; elsewhere it says what to do.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${COURSE_VENV:-.venv}  # the dev container sets COURSE_VENV (.devcontainer/Dockerfile)
LOG=$VENV-install.log

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

platform_hint() {  # how to get a newer Python here
  case "$(uname -s)" in
    Darwin) echo "macOS: \`brew install python@3.12\`, then \`make lab PYTHON=$(brew --prefix 2>/dev/null || echo /opt/homebrew)/bin/python3.12\`" ;;
    *) echo "Debian/Ubuntu/WSL: \`sudo apt-get install python3 python3-venv\` (Debian 12 and Ubuntu 24.04 have 3.11+; on Ubuntu 22.04, \`sudo apt-get install python3.11 python3.11-venv\`), then \`make lab PYTHON=python3.11\`" ;;
  esac
}

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    die "missing: $*. Debian/Ubuntu/WSL: sudo apt-get install $*; $(platform_hint); or use environment.yml with conda (README)"
  fi
}

MINIMUM=$(sed -n 's/^requires-python = ">=\([0-9.]*\)"/\1/p' pyproject.toml)
new_enough() { "$1" -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$MINIMUM'.split('.'))))" 2>/dev/null; }

if [ -z "${PYTHON:-}" ]; then
  for candidate in python3 python3.14 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null && new_enough "$candidate"; then PYTHON=$candidate; break; fi
  done
  if [ -z "${PYTHON:-}" ]; then
    command -v python3 >/dev/null || apt_install python3
    new_enough python3 && PYTHON=python3
  fi
fi
[ -n "${PYTHON:-}" ] || die "Python $MINIMUM or newer is needed; python3 is $(python3 --version 2>&1). Point the course at a newer one with PYTHON=, e.g. \`make lab PYTHON=/usr/local/bin/python3.12\`. $(platform_hint)"
command -v "$PYTHON" >/dev/null || die "PYTHON=$PYTHON is not a command. $(platform_hint)"
new_enough "$PYTHON" || die "Python $MINIMUM or newer is needed; PYTHON=$PYTHON is $("$PYTHON" --version 2>&1). $(platform_hint)"
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $("$PYTHON" --version) ($(command -v "$PYTHON"))"
  "$PYTHON" -m venv "$VENV"
fi
say "installing Python packages (the first time takes a few minutes; log: $LOG)"
{
  "$VENV/bin/python" -m pip install --upgrade pip
  "$VENV/bin/python" -m pip install --prefer-binary -r requirements.txt -r requirements-dev.txt
  "$VENV/bin/python" -m pip install --no-deps -e .
} >"$LOG" 2>&1 || {
  tail -n 30 "$LOG" >&2
  rm -f "$VENV/.installed"
  die "pip install failed; the whole log is in $LOG. Nothing is half-installed for good: fix the cause and run the same command again"
}
touch "$VENV/.installed"
say "environment ready"
