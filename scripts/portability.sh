#!/usr/bin/env bash
# Run the test suite as if on other machines (for contributors; see README "For contributors").
#   scripts/portability.sh as-is      make test, as it is
#   scripts/portability.sh half       every core half as fast: a busy loop pinned to each core, in a
#                                     cgroup with the same CPU weight as the suite's (root, cgroups)
#   scripts/portability.sh one-core   pinned to one core with taskset: claims that need two cores
#                                     must say "not measurable", and nothing may fail
# Anything after `--` replaces `make test` (e.g. `-- make test PYTEST_ARGS=notebooks/02_gunicorn.ipynb`).
#
# Why busy loops rather than a CPU quota of 1 CPU: a quota caps the *total* (the suite would see one
# usable core, and the scaling claims would rightly say "not measurable"); equal-weight competitors
# keep two cores and halve what each gives, like the slower machines of the same kind.
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
    root=$(cgroup_dir); weight=cpu.shares; [ -f "$root/cgroup.controllers" ] && weight=cpu.weight
    suite=$root/fip-suite-$$; hog=$root/fip-hog-$$
    mkdir "$suite" "$hog"
    value=$(cat "$suite/$weight"); echo "$value" > "$hog/$weight"
    trap 'stop_hogs; rmdir "$suite" "$hog" 2>/dev/null || true' EXIT
    for core in $(seq 0 $(($(nproc) - 1))); do
      ( echo "$BASHPID" > "$hog/cgroup.procs"; exec taskset -c "$core" python3 -c 'while True: pass' ) &
      hogs+=($!)
    done
    echo "==> every core half as fast: ${#hogs[@]} busy loops (pids ${hogs[*]}) in $hog, the suite in $suite"
    # The bench counts the loops as a slower CPU, not as other work competing with the server (bench/load.py).
    export BENCH_BACKGROUND_PIDS="${hogs[*]}" BENCH_CPU_SHARE=0.5
    status=0
    bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$suite" "${cmd[@]}" || status=$?
    # the suite's processes have ended; move nothing back: the cgroup is removed when empty
    exit $status
    ;;
  *) echo "usage: $0 as-is|half|one-core [-- COMMAND ...]" >&2; exit 2 ;;
esac
