"""Container images with the Docker SDK: base images (pulled, or built from the Debian mirror
where no registry answers), a wheelhouse for air-gapped pip installs, and timed builds that
record which steps came from the layer cache.

    python -m bench.containers.images          # prepare base images and wheels (make test runs this)
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bench.core.errors import BenchError, MissingToolError
from bench.core.paths import REPO, state_dir
from bench.host import docker_engine, env
from bench.host.docker_engine import client, labels

_log = logging.getLogger(__name__)  # quiet in a notebook (the root logger shows warnings only)
WHEELHOUSE = REPO / "docker" / "wheelhouse"
IMAGE_REQUIREMENTS = REPO / "docker" / "requirements.txt"
# Where the Dockerfiles can see the wheelhouse: /wheelhouse (docker/Dockerfile copies it there)
# or inside a copy of the whole context (docker/Dockerfile.naive). pip ignores the one missing.
FIND_LINKS = "/wheelhouse /app/docker/wheelhouse"


@dataclass(frozen=True)
class OfflineBase:
    """How to make a stand-in for a registry image from Debian packages."""

    tag: str
    packages: tuple[str, ...]
    cmd: tuple[str, ...]


# Registry images the course uses -> their offline stand-ins: the same role from the packages of this machine's
# Debian release (on Debian 12: Python 3.11, nginx 1.22, redis 7.0, each with Debian's security fixes), not the
# same version.
OFFLINE_BASES: dict[str, OfflineBase] = {
    "python:3.12-slim": OfflineBase("flask-in-production/base:python-slim", ("python3", "python3-venv"),
                                    ("python3",)),
    "python:3.12": OfflineBase("flask-in-production/base:python-full",
                               ("python3", "python3-venv", "python3-dev", "build-essential"), ("python3",)),
    "nginx:1.30.8": OfflineBase("flask-in-production/base:nginx", ("nginx-light",), ("nginx", "-g", "daemon off;")),
    "redis:7.4.10": OfflineBase("flask-in-production/base:redis", ("redis-server",), ("redis-server",)),
}
# Trimmed from offline bases, as the official slim images do: package lists, caches, docs.
_TRIM = ("var/lib/apt/lists", "var/cache/apt", "var/cache/debconf", "usr/share/doc", "usr/share/man",
         "usr/share/locale", "usr/share/info")


def offline_forced() -> bool:
    """COURSE_OFFLINE=1 skips registries even where they answer (to try the air-gapped path)."""
    return os.environ.get("COURSE_OFFLINE", "") not in ("", "0")


def _exists(tag: str) -> bool:
    import docker

    try:
        client().images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


@cache
def base_image(name: str) -> str:
    """A local image to use for registry image `name`: it, pulled if need be, or its offline stand-in."""
    import docker

    if not offline_forced():
        if _exists(name):
            return name
        try:
            repository, _, tag = name.partition(":")
            client().images.pull(repository, tag=tag or "latest")
            return name
        except docker.errors.APIError as error:
            _log.info("cannot pull %s (%s...): using an offline base image", name, str(error)[:120])
    if name not in OFFLINE_BASES:
        raise MissingToolError(f"{name} cannot be pulled and the course has no offline recipe for it")
    spec = OFFLINE_BASES[name]
    if not _exists(spec.tag):
        build_offline_base(spec)
    return spec.tag


def describe_base(tag: str) -> str:
    """What `base_image` gave: the registry's own image, or a stand-in built here from Debian's packages."""
    stand_in = next((spec for spec in OFFLINE_BASES.values() if spec.tag == tag), None)
    if stand_in is None:
        return f"{tag}, from the registry"
    return f"stand-in built from Debian's {', '.join(stand_in.packages)}"


def _debian_source() -> tuple[str, str]:
    """(mirror, suite) to bootstrap from: this machine's own Debian mirror and release when it is Debian."""
    mirror, suite = "http://deb.debian.org/debian", "bookworm"
    os_release = Path("/etc/os-release")
    if os_release.exists() and "ID=debian" in os_release.read_text():
        found = re.search(r"^VERSION_CODENAME=(\w+)", os_release.read_text(), re.M)
        suite = found.group(1) if found else suite
        for source in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
            text = source.read_text() if source.is_file() else ""
            found = re.search(r"(?:^URIs:\s*|^deb\s+(?:\[[^]]*]\s+)?)(\S+/debian)\s*$", text, re.M)
            if found:
                return found.group(1), suite
    return mirror, suite


def debootstrap_command(spec: OfflineBase, rootfs: Path, cache_dir: Path) -> list[str]:
    mirror, suite = _debian_source()
    return ["debootstrap", "--variant=minbase", f"--include={','.join(spec.packages)}",
            f"--cache-dir={cache_dir}", suite, str(rootfs), mirror]


def build_offline_base(spec: OfflineBase) -> str:
    """Bootstrap a minimal Debian with `spec.packages` and import it as image `spec.tag` (Linux, root)."""
    if sys.platform != "linux" or os.geteuid() != 0:
        raise MissingToolError(f"no registry answers and building {spec.tag} from the Debian mirror needs "
                               "Linux and root; pull the images on a connected machine, or run as root")
    env.require("debootstrap")
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=state_dir()))
    cache_dir = state_dir() / "debootstrap-cache"
    cache_dir.mkdir(exist_ok=True)
    log = state_dir() / f"debootstrap-{spec.tag.rsplit(':', 1)[1]}.log"
    _log.info("building %s from the Debian mirror (once; about a minute; log: %s)", spec.tag, log)
    try:
        with log.open("w") as out:
            done = subprocess.run(debootstrap_command(spec, work / "rootfs", cache_dir), stdout=out,
                                  stderr=subprocess.STDOUT, timeout=1800)
        if done.returncode:
            raise BenchError(f"debootstrap failed for {spec.tag}:\n{log.read_text()[-2000:]}")
        for path in _TRIM:
            shutil.rmtree(work / "rootfs" / path, ignore_errors=True)
        tarball = work / "rootfs.tar"
        subprocess.run(["tar", "--numeric-owner", "-C", str(work / "rootfs"), "-cf", str(tarball), "."], check=True)
        repository, tag = spec.tag.rsplit(":", 1)
        cmd = ", ".join(f'"{part}"' for part in spec.cmd)
        client().api.import_image_from_file(str(tarball), repository=repository, tag=tag, changes=[
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            f"LABEL flask-in-production.course=true flask-in-production.offline-base={spec.packages[0]}",
            f"CMD [{cmd}]",
        ])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return spec.tag


def python_version(image: str) -> str:
    """The Python version inside an image, e.g. '3.11'."""
    out = client().containers.run(image, ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  remove=True, labels=labels())
    return out.decode().strip()


def wheel_download_command(version: str, arch: str, dest: Path, requirements: Path) -> list[str]:
    """pip's command for wheels that install on `version` of CPython on Linux/`arch`, whatever runs pip."""
    platforms = [f"manylinux{tag}_{arch}" for tag in ("_2_17", "2014", "_2_28")]
    return [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(dest),
            "--python-version", version, "--implementation", "cp",
            *[arg for p in platforms for arg in ("--platform", p)], "-r", str(requirements)]


def wheelhouse(image: str) -> Path:
    """Download the image's Python packages as wheels for `image`'s Python (once per version and list)."""
    version = python_version(image)
    arch = str(client().info().get("Architecture", "x86_64")).replace("amd64", "x86_64").replace("arm64", "aarch64")
    digest = hashlib.sha256(IMAGE_REQUIREMENTS.read_bytes()).hexdigest()[:12]
    stamp = WHEELHOUSE / f".cp{version}-{arch}-{digest}"
    if not stamp.exists():
        _log.info("downloading wheels for Python %s (%s) into %s", version, arch, WHEELHOUSE)
        subprocess.run(wheel_download_command(version, arch, WHEELHOUSE, IMAGE_REQUIREMENTS), check=True)
        stamp.touch()
    return WHEELHOUSE


def default_base(dockerfile: Path) -> str:
    """The `ARG BASE_IMAGE=` default a Dockerfile declares."""
    found = re.search(r"^ARG BASE_IMAGE=(\S+)", dockerfile.read_text(), re.M)
    if not found:
        raise BenchError(f"{dockerfile} declares no `ARG BASE_IMAGE=...` default")
    return found.group(1)


def build_args(dockerfile: Path) -> dict[str, str]:
    """Build arguments for this machine: none where the default base exists, else the offline ones."""
    wanted = default_base(dockerfile)
    base = base_image(wanted)
    if base == wanted:
        return {}
    wheelhouse(base)
    return {"BASE_IMAGE": base, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": FIND_LINKS}


@dataclass
class Step:
    instruction: str
    cached: bool = False


@dataclass
class Build:
    """One `docker build`: how long it took and which steps the layer cache answered."""

    tag: str
    dockerfile: str
    seconds: float
    steps: list[Step] = field(default_factory=list)

    def step(self, pattern: str) -> Step:
        """The first step whose instruction contains `pattern`."""
        for step in self.steps:
            if pattern in step.instruction:
                return step
        raise KeyError(pattern)

    def image(self):  # -> docker.models.images.Image
        return client().images.get(self.tag)

    @property
    def size_mb(self) -> float:
        return self.image().attrs["Size"] / 1e6

    @property
    def user(self) -> str:
        return self.image().attrs["Config"].get("User") or "root (no USER line)"


def parse_build_log(lines: list[str]) -> list[Step]:
    """Steps of a classic builder log, each marked cached when the log says `Using cache`."""
    steps: list[Step] = []
    for line in lines:
        found = re.match(r"Step \d+/\d+ : (.*)", line)
        if found:
            steps.append(Step(found.group(1).strip()))
        elif "Using cache" in line and steps:
            steps[-1].cached = True
    return steps


def build(dockerfile: str = "docker/Dockerfile", tag: str = "flask-in-production/app:dev", *,
          context: Path = REPO, nocache: bool = False) -> Build:
    """Build `dockerfile` (relative to `context`) as `tag`; offline base and wheels when needed."""
    path = context / dockerfile
    args = build_args(path)
    if args and context != REPO:
        shutil.copytree(WHEELHOUSE, context / "docker" / "wheelhouse", dirs_exist_ok=True)
    lines: list[str] = []
    started = time.perf_counter()
    for chunk in client().api.build(path=str(context), dockerfile=dockerfile, tag=tag, buildargs=args,
                                    nocache=nocache, rm=True, forcerm=True, labels=labels(), decode=True):
        if "error" in chunk:
            raise BenchError(f"docker build of {dockerfile} failed: {chunk['error'].strip()}\n"
                             + "".join(lines[-15:]))
        lines.extend(chunk.get("stream", "").splitlines(keepends=True))
    result = Build(tag, dockerfile, time.perf_counter() - started, parse_build_log(lines))
    (state_dir() / f"build-{tag.replace('/', '_').replace(':', '_')}.log").write_text("".join(lines))
    return result


def copy_context(dest: Path) -> Path:
    """A copy of the build context (what .dockerignore lets in, plus the Dockerfiles) to edit freely."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "sample_app", dest / "sample_app", ignore=skip)
    shutil.copytree(REPO / "docker", dest / "docker", ignore=skip)
    (dest / "config").mkdir(parents=True)
    shutil.copy2(REPO / "config" / "gunicorn.conf.py", dest / "config")
    shutil.copy2(REPO / ".dockerignore", dest)
    return dest


def layers(tag: str) -> list[dict[str, object]]:
    """The image's layers, oldest first: size in MB and the instruction that made each."""
    rows = []
    for entry in reversed(client().images.get(tag).history()):
        created_by = re.sub(r"^/bin/sh -c (#\(nop\) )?", "", entry.get("CreatedBy", "")).strip()
        rows.append({"MB": entry.get("Size", 0) / 1e6, "instruction": created_by[:70] or "(base image)"})
    return rows


def hadolint(dockerfile: Path) -> list[dict[str, object]]:
    """hadolint's findings for a Dockerfile (rule code, line, message); [] when clean."""
    import json

    done = subprocess.run([env.require("hadolint"), "--no-color", "-f", "json", str(dockerfile)],
                          capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout or "[]")


def prepare() -> None:
    """Make every base image and the wheelhouse ready, so the notebook's timings exclude them
    (nothing to do where no Docker engine answers: stage 05 then skips its container cells)."""
    if not docker_engine.available():
        return
    for name in OFFLINE_BASES:
        base = base_image(name)
        print(f"{name:18} -> {base}")
    wheelhouse(base_image("python:3.12-slim"))


def dockerfile_uid(dockerfile: Path) -> int:
    """The numeric uid a Dockerfile's last `USER` line sets (0, root, where there is none)."""
    users = re.findall(r"^USER\s+(\d+)", dockerfile.read_text(), re.MULTILINE)
    return int(users[-1]) if users else 0


if __name__ == "__main__":  # `make test` prepares the images first, and says what it does; a notebook stays quiet
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    prepare()
