#!/usr/bin/env bash
# Each time the dev container starts: JupyterLab on port 8888, which devcontainer.json forwards and opens.
# It asks for a token, new at every start: without one, any web page the learner visits could reach the forwarded
# port on localhost (a DNS-rebinding page, since remote Host headers are allowed for Codespaces' forwarding) and
# run code in the container. The address with the token is printed, and kept in ~/jupyterlab-url.txt.
set -uo pipefail
port=${LAB_PORT:-8888}
if curl -fsS --max-time 2 "http://127.0.0.1:$port/api" >/dev/null 2>&1; then cat ~/jupyterlab-url.txt 2>/dev/null; exit 0; fi
token=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
(umask 077 && echo "JupyterLab: http://127.0.0.1:$port/lab?token=$token" > ~/jupyterlab-url.txt)
nohup setsid "${COURSE_VENV:-/opt/course-venv}/bin/jupyter" lab --no-browser --notebook-dir=notebooks --ip=127.0.0.1 --port="$port" \
  --IdentityProvider.token="$token" --ServerApp.allow_remote_access=True >/tmp/jupyterlab.log 2>&1 </dev/null &
echo "JupyterLab starting on port $port; the browser it opens asks for the token: $(cat ~/jupyterlab-url.txt)"
