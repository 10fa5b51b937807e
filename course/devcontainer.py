"""`make test-devcontainer`: the course's dev container (.devcontainer/), built and run as a learner opening it would.

    .venv/bin/python -m course.devcontainer        # needs a Docker engine answering (the Makefile starts one)

With a pinned `@devcontainers/cli` from npm (installed into .cache/devcontainer-cli), it builds the container from
the course's Dockerfile, starts it with `devcontainer up` (its entrypoint starts a Docker engine inside), then runs
inside it, as the learner, with `devcontainer exec`: notebook 00 (its verdict is printed), the bench's unit tests,
and notebook 05, whose images are built and whose Compose stack runs on the engine inside. The container is removed
afterwards, whatever happened.

Where no container registry answers (the CI machine), the base is the course's offline Debian image
(bench.containers.images), the course's Python packages come from a wheelhouse downloaded here, and the images 05
needs are copied from this engine into the one inside (`docker save` | `docker load`), not pulled.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.containers import images
from bench.core.paths import REPO

CLI_VERSION = "0.89.0"  # @devcontainers/cli, the version this was tested with
CLI_DIR = REPO / ".cache" / "devcontainer-cli"
CLI = CLI_DIR / "node_modules" / ".bin" / "devcontainer"
NODE_MAJOR = 20  # the CLI's package.json: "engines": {"node": ">=20.0.0"}
CONFIG = REPO / ".devcontainer" / "devcontainer.json"
WHEELHOUSE = REPO / ".devcontainer" / "wheelhouse"
LABEL = "flask-in-production.devcontainer-test"  # on the test's container, to find and remove it
OFFLINE_PARENT = "python:3.12"  # the registry image whose offline stand-in (Debian's Python, full) is the base
INNER_TIMEOUT = 1200  # seconds for one step inside the container

# Inside the container, as the learner (COURSE_MODE=quick as in `make test`; notebooks execute into /tmp, so the
# committed ones and the workspace are left as they are).
NOTEBOOK = ("jupyter nbconvert --to notebook --execute --output-dir /tmp/executed "
            "--ExecutePreprocessor.timeout=900 notebooks/{name}")
UNIT_TESTS = ("tests/test_bench_basics.py", "tests/test_architecture.py", "tests/test_platforms.py",
              "tests/test_devcontainer.py", "tests/test_docker_files.py", "tests/test_waiting.py",
              "tests/test_plans.py", "tests/test_results.py")
# Prints the text a cell of an executed notebook printed: the first cell whose source contains MARK.
PRINT_CELL = ("python -c \"import json, sys; cells = json.load(open(sys.argv[1]))['cells']; "
              "cell = next(c for c in cells if sys.argv[2] in ''.join(c['source'])); "
              "print(''.join(''.join(o.get('text', '')) for o in cell.get('outputs', [])), end='')\" ")
STEPS: tuple[tuple[str, str], ...] = (
    ("the learner's Docker engine inside, and JupyterLab on its port",
     "id && docker info --format 'inner engine: {{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}' && "
     "for _ in $(seq 30); do curl -fsS -o /dev/null http://127.0.0.1:8888/api && break; sleep 1; done && "
     "curl -fsS http://127.0.0.1:8888/api && echo ' <- JupyterLab answers on the forwarded port 8888'"),
    ("notebook 00 (its verdict)", NOTEBOOK.format(name="00_setup_check.ipynb") + " && " + PRINT_CELL
     + "/tmp/executed/00_setup_check.ipynb stages.verdict > /tmp/verdict.txt && cat /tmp/verdict.txt && "
     "head -n1 /tmp/verdict.txt | grep -q \"^✓ running in the course's dev container\""),
    ("the bench's unit tests", "python -m pytest -p no:cacheprovider -q -m 'not load and not security and not last' "
     + " ".join(UNIT_TESTS)),
    ("notebook 05, on the engine inside", NOTEBOOK.format(name="05_docker.ipynb") + " && " + PRINT_CELL
     + "/tmp/executed/05_docker.ipynb 'cells not run on this machine' > /tmp/05.txt && cat /tmp/05.txt && "
     "grep -q 'cells not run on this machine: none' /tmp/05.txt && docker images && docker ps -a"),
)


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, text=True, **kwargs)  # type: ignore[call-overload]


def cli() -> list[str]:
    """The pinned dev container CLI, installed from npm into .cache/ the first time (npm with apt-get if missing),
    as the command that runs it: with this machine's node where it is new enough for the CLI (its package.json asks
    for Node 20 or later), else with Node 20 from npm's registry (the `node` package), beside the CLI."""
    if not (CLI.exists() and subprocess.run([*_node(), str(CLI), "--version"], capture_output=True,
                                            text=True).stdout.strip() == CLI_VERSION):
        _npm()
        say(f"installing @devcontainers/cli {CLI_VERSION} into {CLI_DIR.relative_to(REPO)}")
        run(["npm", "install", "--prefix", str(CLI_DIR), "--no-audit", "--no-fund", "--loglevel=error",
             f"@devcontainers/cli@{CLI_VERSION}"])
    return [*_node(), str(CLI)]


def _npm() -> None:
    if shutil.which("npm") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise SystemExit("npm is needed for the dev container CLI: install Node.js (with npm), then run again")
        say("installing nodejs and npm with apt-get")
        quiet = {"env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, "stdout": subprocess.DEVNULL}
        run(["apt-get", "update", "-qq"], **quiet)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nodejs", "npm"], **quiet)


def _node_major(node: str) -> int:
    found = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()  # "v20.20.2"
    return int(found.lstrip("v").split(".")[0]) if found.startswith("v") else 0


def _node() -> list[str]:
    """A node for the CLI: this machine's if it is Node 20 or later (Debian 12's is 18), else Node 20 from npm."""
    system = shutil.which("node")
    if system and _node_major(system) >= NODE_MAJOR:
        return [system]
    local = CLI_DIR / "node_modules" / ".bin" / "node"
    if not local.exists() or _node_major(str(local)) < NODE_MAJOR:
        _npm()
        say(f"this machine's node is older than {NODE_MAJOR}: installing node@{NODE_MAJOR} from npm beside the CLI")
        run(["npm", "install", "--prefix", str(CLI_DIR), "--no-audit", "--no-fund", "--loglevel=error",
             f"node@{NODE_MAJOR}"])
    return [str(local)]


def read_config(path: Path = CONFIG) -> dict[str, object]:
    """devcontainer.json without its comments (it is JSON with whole-line // comments)."""
    return json.loads(re.sub(r"^\s*//.*$", "", path.read_text(), flags=re.M))


def base_and_wheels() -> dict[str, str]:
    """Build arguments for this machine: none where the Dockerfile's public base can be had, else the offline base
    and a wheelhouse of the course's packages for its Python (pip in the build then reaches no index)."""
    base = images.base_image(OFFLINE_PARENT)
    if base == OFFLINE_PARENT:
        return {}
    version = images.client().containers.run(base, ["python3", "-c", "import platform; print(platform.python_"
                                                    "version())"], remove=True, labels=images.labels())
    version = version.decode().strip()
    say(f"downloading the course's wheels for Python {version} into {WHEELHOUSE.relative_to(REPO)}")
    with tempfile.TemporaryDirectory() as folder:
        wanted = Path(folder) / "requirements.txt"
        wanted.write_text(f"-r {REPO / 'requirements.txt'}\n-r {REPO / 'requirements-dev.txt'}\n")
        run(wheel_download(version, wanted))
    return {"BASE_IMAGE": base, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "/tmp/course-wheelhouse"}


def wheel_download(version: str, requirements: Path) -> list[str]:
    """pip's command for the wheels of `requirements` for CPython `version` (e.g. "3.11.2"). Run by an interpreter
    of exactly that version (`pip --python`; on Debian the system's own, as the offline base is this machine's
    Debian), so that markers such as `python_full_version < "3.11.3"` select what the image's Python needs."""
    for candidate in ("/usr/bin/python3", shutil.which("python3"), sys.executable):
        if candidate and subprocess.run([candidate, "-c", "import platform; print(platform.python_version())"],
                                        capture_output=True, text=True).stdout.strip() == version:
            return [sys.executable, "-m", "pip", "--python", candidate, "download", "--quiet",
                    "--only-binary=:all:", "--dest", str(WHEELHOUSE), "-r", str(requirements)]
    print(f"no Python {version} here to resolve for it: markers are read for this Python instead", flush=True)
    return images.wheel_download_command(version, "x86_64", WHEELHOUSE, requirements)


def override_config(folder: Path, args: dict[str, str]) -> Path:
    """The course's devcontainer.json with absolute build paths and these build arguments, written into `folder`."""
    config = read_config()
    build = config["build"]
    assert isinstance(build, dict)
    build.update(dockerfile=str(CONFIG.parent / build["dockerfile"]),
                 context=str((CONFIG.parent / build["context"]).resolve()))
    build["args"] = {**build.get("args", {}), **args}
    path = folder / "devcontainer.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def remove(run_id: str | None = None) -> None:
    """Remove the test's container (with its anonymous volumes and the tmpfs) by its label; without a run id, every
    container an earlier run left (one stopped by a CI timeout before its own clean-up)."""
    label = f"label={LABEL}={run_id}" if run_id else f"label={LABEL}"
    found = subprocess.run(["docker", "ps", "-aq", "--filter", label], capture_output=True, text=True).stdout.split()
    if found:
        subprocess.run(["docker", "rm", "-f", "-v", *found], capture_output=True, text=True)
        say(f"removed the dev container ({', '.join(c[:12] for c in found)})")


@contextmanager
def container(config: Path) -> Iterator[tuple[str, list[str]]]:
    """`devcontainer up` (which builds the image), yielding its id and the CLI arguments that find it again."""
    run_id = uuid.uuid4().hex[:12]
    where = ["--workspace-folder", str(REPO), "--config", str(config), "--id-label", f"{LABEL}={run_id}"]
    try:
        done = run([*cli(), "up", *where, "--log-level", "info"], stdout=subprocess.PIPE)
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
        if outcome.get("outcome") != "success":
            raise SystemExit(f"devcontainer up failed: {outcome}")
        yield outcome["containerId"], where
    finally:
        remove(run_id)


def load_images(container_id: str) -> None:
    """Copy the images 05 uses from this engine into the container's engine (nothing is pulled inside)."""
    tags = [images.base_image(name) for name in images.OFFLINE_BASES]
    say(f"loading {', '.join(tags)} into the engine inside")
    save = subprocess.Popen(["docker", "save", *tags], stdout=subprocess.PIPE)
    run(["docker", "exec", "-i", container_id, "docker", "load", "-q"], stdin=save.stdout)
    if save.wait():
        raise SystemExit("docker save failed")


def main() -> int:
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run still removes its container (finally)
    remove()  # what an earlier run left
    times: dict[str, float] = {}

    def timed(name: str, since: float) -> None:
        times[name] = time.perf_counter() - since
        say(f"{name}: {times[name]:.0f} s")

    with tempfile.TemporaryDirectory(prefix="devcontainer-") as folder:
        mark = time.perf_counter()
        cli()
        args = base_and_wheels()
        config = override_config(Path(folder), args)
        timed("the CLI and the build's inputs", mark)
        say(f"building and starting the dev container (base: {args.get('BASE_IMAGE', 'the Dockerfile default')})")
        mark = time.perf_counter()
        with container(config) as (container_id, where):
            timed("devcontainer up (build and start)", mark)
            mark = time.perf_counter()
            load_images(container_id)
            timed("images loaded into the engine inside", mark)
            for name, command in STEPS:
                say(f"inside: {name}")
                mark = time.perf_counter()
                env = ["--remote-env", "COURSE_MODE=quick", "--remote-env", "PYTHONDONTWRITEBYTECODE=1"]
                run([*cli(), "exec", *where, *env, "bash", "-c", command], timeout=INNER_TIMEOUT)
                timed(name, mark)
    say(f"make test-devcontainer took {time.perf_counter() - started:.0f} s: " +
        ", ".join(f"{name} {seconds:.0f} s" for name, seconds in times.items()))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as failed:  # its own output said why
        say(f"make test-devcontainer FAILED: {' '.join(map(str, failed.cmd))[-300:]}")
        sys.exit(1)
