#!/usr/bin/env bash
# Make sure a Docker engine answers for stage 05, or stop the one this script started.
#   scripts/docker-engine.sh start   start dockerd (Linux, root) when no engine answers
#   scripts/docker-engine.sh stop    stop it again, only if `start` started it
# Elsewhere (Docker Desktop, colima, a rootless engine) it only reports what it finds.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
STATE=${BENCH_STATE_DIR:-${TMPDIR:-/tmp}/flask-in-production-$(id -u)}
PIDFILE=$STATE/dockerd.pid
LOG=$STATE/dockerd.log
mkdir -p "$STATE"

answers() { "$PY" -c 'import sys, bench.docker_engine as d; sys.exit(not d.available())' 2>/dev/null; }

case "${1:-}" in
  start)
    answers && exit 0
    DOCKERD=$(command -v dockerd || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; })
    if [ "$(id -u)" != 0 ] || [ -z "$DOCKERD" ]; then
      echo "note: no Docker engine answers; stage 05 will skip its container cells. $("$PY" -c 'import bench.docker_engine as d; print(d.HOW_TO_GET_DOCKER)')" >&2
      exit 0
    fi
    echo "==> starting dockerd (log: $LOG)"
    setsid "$DOCKERD" >"$LOG" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    for _ in $(seq 60); do answers && exit 0; sleep 0.5; done
    echo "error: dockerd did not answer within 30 s; its log ends with:" >&2
    tail -n 20 "$LOG" >&2
    exit 1
    ;;
  stop)
    [ -f "$PIDFILE" ] || exit 0
    pid=$(cat "$PIDFILE")
    rm -f "$PIDFILE"
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
