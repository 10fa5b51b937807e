#!/usr/bin/env bash
# Each time the dev container starts: JupyterLab on port 8888, which devcontainer.json forwards and opens.
# It listens on 127.0.0.1 inside the container; Codespaces and VS Code forward that port to the learner alone,
# so it asks for no token (a token would stop the browser that opens by itself at a login page).
set -uo pipefail
port=${LAB_PORT:-8888}
if curl -fsS --max-time 2 "http://127.0.0.1:$port/api" >/dev/null 2>&1; then exit 0; fi
nohup setsid "${COURSE_VENV:-/opt/course-venv}/bin/jupyter" lab --no-browser --notebook-dir=notebooks --ip=127.0.0.1 --port="$port" \
  --IdentityProvider.token='' --ServerApp.allow_remote_access=True >/tmp/jupyterlab.log 2>&1 </dev/null &
echo "JupyterLab starting on port $port (log: /tmp/jupyterlab.log)"
