"""Which platform the course runs on, and a switch that makes this machine look like another one.

    bench.platforms.name()          # "macos", "wsl", "ubuntu", "debian" or "linux"
    BENCH_SIMULATE=macos make test   # the bench sees macOS here (tests/test_platforms.py)

Most learners run the course on a Mac, many on Windows with WSL 2, and the course is built on Debian. What
macOS does not give a program, the bench must do without (psutil's documentation names each):

- `memory_full_info()` (USS, PSS) raises AccessDenied for any process but one's own;
- `net_connections()` raises AccessDenied unless run as root;
- `cpu_times()` has `children_user` and `children_system` always 0;
- there is no CPU affinity (`os.sched_getaffinity`) and no cgroups;
- only 127.0.0.1 is configured on the loopback interface, not all of 127.0.0.0/8.

`BENCH_SIMULATE=macos` takes these away here, in every process that imports the bench (the environment
carries it to subprocesses), so that the tests can check the fallbacks on a machine without a Mac.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from pathlib import Path

SWITCH = "BENCH_SIMULATE"
SIMULATED = ("macos",)
# Where a simulated macOS finds its cgroups: nowhere.
NO_CGROUPS = Path("/nonexistent/cgroup")


def simulated() -> str | None:
    """The platform this machine pretends to be (BENCH_SIMULATE), or None."""
    wanted = os.environ.get(SWITCH, "").strip().lower() or None
    if wanted is not None and wanted not in SIMULATED:
        raise ValueError(f"{SWITCH}={wanted!r}: the bench can simulate {', '.join(SIMULATED)}")
    return wanted


def is_macos() -> bool:
    """True on a Mac, or when simulating one."""
    return sys.platform == "darwin" or simulated() == "macos"


def _os_release() -> dict[str, str]:
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key: value.strip().strip('"') for key, value in pairs}


def is_wsl() -> bool:
    """True inside Windows Subsystem for Linux (its kernel names Microsoft)."""
    return not is_macos() and "microsoft" in platform.release().lower()


def name() -> str:
    """macos, wsl, ubuntu, debian or linux: which set of install hints and fallbacks applies here."""
    if is_macos():
        return "macos"
    if is_wsl():
        return "wsl"
    distribution = _os_release().get("ID", "")
    return distribution if distribution in ("ubuntu", "debian") else "linux"


def has_systemd() -> bool:
    """True when systemd runs the machine (WSL without `systemd=true` in /etc/wsl.conf has none)."""
    return not is_macos() and Path("/run/systemd/system").is_dir()


def apply() -> None:
    """Make this process see the simulated platform (nothing when BENCH_SIMULATE is unset)."""
    if simulated() == "macos":
        _simulate_macos()


@functools.cache
def _simulate_macos() -> None:
    import psutil

    from bench.host import busy
    from sample_app import limits

    own = os.getpid

    def denied_unless_own(method):  # memory_full_info on macOS: only one's own process
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if self.pid != own():
                raise psutil.AccessDenied(self.pid, self.name() if self.is_running() else None)
            return method(self, *args, **kwargs)
        return wrapper

    def no_children_times(method):  # cpu_times on macOS: children_user and children_system always 0
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            times = method(self, *args, **kwargs)
            return times._replace(children_user=0.0, children_system=0.0)
        return wrapper

    def net_connections(kind: str = "inet"):  # macOS: root only
        raise psutil.AccessDenied(msg="net_connections needs root on macOS (simulated)")

    psutil.Process.memory_full_info = denied_unless_own(psutil.Process.memory_full_info)
    psutil.Process.cpu_times = no_children_times(psutil.Process.cpu_times)
    psutil.net_connections = net_connections
    for attribute in ("sched_getaffinity", "sched_setaffinity"):
        if hasattr(os, attribute):
            delattr(os, attribute)
    if hasattr(psutil.Process, "cpu_affinity"):
        del psutil.Process.cpu_affinity
    limits.CGROUP = NO_CGROUPS
    busy.CGROUP = NO_CGROUPS


def machine_uid() -> str:
    """An identity of this machine that survives a change of host name (a Mac's changes with its network):
    systemd's machine id on Linux, the hardware UUID on a Mac, else one made once and kept in the state
    directory (results kept there go with it)."""
    for path in (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id")):
        try:
            found = path.read_text().strip()
        except OSError:
            continue
        if found:
            return found[:12]
    if sys.platform == "darwin":
        found = _mac_hardware_uuid()
        if found:
            return found[:12]
    return _kept_uid()


def _mac_hardware_uuid() -> str | None:
    import re
    import subprocess

    try:
        out = subprocess.run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]+)"', out)
    return match.group(1).replace("-", "").lower() if match else None


def _kept_uid() -> str:
    import uuid

    from bench.core.paths import state_dir

    path = state_dir() / "machine-uid"
    try:
        return path.read_text().strip()
    except OSError:
        made = uuid.uuid4().hex[:12]
        path.write_text(made)
        return made
