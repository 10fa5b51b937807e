#!/usr/bin/env bash
# Run the test suite as if on other machines (for contributors; see README "For contributors").
#   scripts/portability.sh as-is      make test, as it is
#   scripts/portability.sh half       every core half as fast: a busy loop pinned to each core, held to
#                                     half of it by a CPU quota and always given that half (root, cgroups)
#   scripts/portability.sh one-core   pinned to one core with taskset: claims that need two cores
#                                     must say "not measurable", and nothing may fail
#   scripts/portability.sh non-root   as a learner's own account: a fresh clone of HEAD run by an unprivileged
#                                     user (created as fip-learner when run as root, in the docker group), with
#                                     the system tools and the Docker engine root provides, as an administrator would
# Anything after `--` replaces `make test` (e.g. `-- make test PYTEST_ARGS=notebooks/02a_gunicorn_workers.ipynb`).
#
# Why busy loops rather than a CPU quota of 1 CPU on the suite: a quota caps the *total* (the suite would
# see one usable core, and the scaling claims would rightly say "not measurable"); a busy loop on each core
# keeps two cores and halves what each gives, like the slower machines of the same kind. The loops get a
# quota of half a core each and the highest CPU weight, so they take exactly half of each core whatever the
# suite runs there (at equal weight they took a third to a half, depending on where the suite's load sat).
# The quota's period is 10 ms: with the default 100 ms a loop ran 50 ms at a stretch, and every request that
# woke up behind it waited that long, which no slower CPU does; with shorter periods the loops lose more of
# their quota to the scheduler's time slices. So the suite gets about half of each core, and the share it
# really gets is measured and passed to the bench (BENCH_CPU_SHARE).
set -euo pipefail
cd "$(dirname "$0")/.."
how=${1:-}; shift || true
[ "${1:-}" = "--" ] && shift
cmd=("$@"); [ ${#cmd[@]} -gt 0 ] || cmd=(make test)

hogs=()
stop_hogs() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }

cgroup_dir() {  # the cgroup (v2) or the cpu controller's mount (v1) where groups can be made
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo /sys/fs/cgroup
  elif [ -d /sys/fs/cgroup/cpu ]; then echo /sys/fs/cgroup/cpu
  else echo "error: no cgroup CPU controller found" >&2; exit 2; fi
}

case "$how" in
  as-is) exec "${cmd[@]}" ;;
  one-core) exec taskset -c 0 "${cmd[@]}" ;;
  half)
    [ "$(id -u)" = 0 ] || { echo "error: 'half' needs root (it makes cgroups)" >&2; exit 2; }
    root=$(cgroup_dir); cores=$(nproc)
    suite=$root/fip-suite-$$; hogs_dirs=()
    mkdir "$suite"
    # Remove the cgroups on any exit; a suite stopped by a signal may take a moment to leave its cgroup.
    remove_cgroups() {
      stop_hogs
      for _ in $(seq 50); do [ -s "$suite/cgroup.procs" ] || break; sleep 0.2; done
      rmdir "$suite" "${hogs_dirs[@]}" 2>/dev/null || true
    }
    trap remove_cgroups EXIT
    for core in $(seq 0 $((cores - 1))); do
      hog=$root/fip-hog-$$-$core; mkdir "$hog"; hogs_dirs+=("$hog")
      # one cgroup per loop: a shared quota would let one loop take most of it and leave another core free
      if [ -f "$root/cgroup.controllers" ]; then  # v2
        echo 10000 > "$hog/cpu.weight"; echo "5000 10000" > "$hog/cpu.max"
      else  # v1
        echo 262144 > "$hog/cpu.shares"; echo 10000 > "$hog/cpu.cfs_period_us"; echo 5000 > "$hog/cpu.cfs_quota_us"
      fi
      ( echo "$BASHPID" > "$hog/cgroup.procs"; exec taskset -c "$core" python3 -c 'while True: pass' ) &
      hogs+=($!)
    done
    # What each core now gives the suite, measured: a busy loop on every core for 2 s, in the suite's cgroup.
    share=$(bash -c 'echo $$ > "$1/cgroup.procs"; exec python3 -c "$2"' _ "$suite" '
import os, time
from multiprocessing import Pool
def spin(core):
    os.sched_setaffinity(0, {core})
    cpu, wall = time.process_time(), time.monotonic()
    while time.monotonic() - wall < 2: pass
    return (time.process_time() - cpu) / (time.monotonic() - wall)
with Pool(os.cpu_count()) as pool:
    shares = pool.map(spin, range(os.cpu_count()))
print(f"{sum(shares) / len(shares):.2f}")')
    echo "==> every core about half as fast (the suite gets $share of each): ${#hogs[@]} busy loops (pids ${hogs[*]}) in ${hogs_dirs[*]}, the suite in $suite"
    # The bench counts the loops as a slower CPU, not as other work competing with the server (bench/load/runner.py).
    export BENCH_BACKGROUND_PIDS="${hogs[*]}" BENCH_CPU_SHARE=$share
    status=0
    bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$suite" "${cmd[@]}" || status=$?
    # the suite's processes have ended; move nothing back: the cgroup is removed when empty
    exit $status
    ;;
  non-root)
    [ "$(id -u)" = 0 ] || { echo "error: 'non-root' needs root to create the user (as a normal user, run make test)" >&2; exit 2; }
    user=${LEARNER:-fip-learner}
    id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
    getent group docker >/dev/null && usermod -aG docker "$user"
    home=$(getent passwd "$user" | cut -d: -f6)
    # What an administrator provides: the system tools, and a Python on the default PATH (not root's own).
    make --no-print-directory check-tools
    clone=$home/flask-in-production
    rm -rf "$clone"
    git clone -q "$PWD" "$clone"
    chown -R "$user:" "$clone"
    echo "==> running '${cmd[*]}' as $user (uid $(id -u "$user")) in $clone"
    # Root keeps a Docker engine answering while the learner's tests run (started only if none answers).
    status=0
    .venv/bin/python -m bench.host.dockerd run -- runuser -u "$user" -- env -i HOME="$home" USER="$user" \
      PATH=/usr/local/bin:/usr/bin:/bin CI="${CI:-}" bash -lc 'cd "$1" && shift && exec "$@"' _ "$clone" "${cmd[@]}" \
      || status=$?
    exit $status
    ;;
  *) echo "usage: $0 as-is|half|one-core|non-root [-- COMMAND ...]" >&2; exit 2 ;;
esac
