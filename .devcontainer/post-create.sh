#!/usr/bin/env bash
# Once, when the dev container is created (as the learner, in the workspace): put the workspace on the course venv's
# path, as scripts/setup.sh's `pip install -e .` does (a .pth file: nothing is written into the workspace), and mark
# the venv installed, so `make lab` and `make test` use it as it is.
set -euo pipefail
venv=${COURSE_VENV:-/opt/course-venv}
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
pwd >"$site/flask_in_production_workspace.pth"
touch "$venv/.installed"
echo "the course's packages: $venv; its code: $(pwd)"
