#!/usr/bin/env bash
# The container's entrypoint (as root): start the Docker engine inside, then run the command (sleep infinity).
# devcontainer.json gives the container what dockerd needs without --privileged: a list of capabilities,
# no seccomp/AppArmor confinement, the host's cgroup namespace and a tmpfs for /var/lib/docker.
set -u
log=/var/log/dockerd.log
if ! docker info >/dev/null 2>&1; then
  rm -f /var/run/docker.pid /var/run/docker.sock
  # overlay2 works on the tmpfs; a learner's containers keep their data only while this one runs.
  nohup dockerd --host=unix:///var/run/docker.sock --group=docker >"$log" 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 && echo "dockerd started inside the container" \
    || { echo "dockerd did not start; the last lines of $log:"; tail -n 20 "$log"; }
fi
exec "$@"
