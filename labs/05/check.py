"""Lab 05 check: build labs/05/mine/Dockerfile and inspect the image: small, non-root, and working."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.containers import images
from bench.containers.container import AppContainer
from bench.core.errors import BenchError
from bench.host import docker_engine
from course.labs import Check

NEEDS = "docker"
TAG = "flask-in-production/lab05:check"
# Allowed on top of the slim base: one virtual environment with Flask, gunicorn and redis (~40 MB here).
HEADROOM_MB = 60


def check(directory: Path) -> Iterator[Check]:
    dockerfile = directory / "Dockerfile"
    if not dockerfile.exists():
        yield Check("Dockerfile exists", False, f"no file at {dockerfile}")
        return
    context = images.copy_context(Path(tempfile.mkdtemp(prefix="lab05-")))
    try:
        shutil.copy2(dockerfile, context / "docker" / "Dockerfile.lab")
        try:
            build = images.build("docker/Dockerfile.lab", TAG, context=context)
        except BenchError as error:
            yield Check("the image builds", False, str(error)[-400:])
            return
        yield Check("the image builds", True, f"{build.seconds:.0f} s")
        findings = images.hadolint(dockerfile)
        yield Check("hadolint finds nothing", not findings,
                    "; ".join(f"line {f['line']} {f['code']}: {f['message']}" for f in findings))
        slim = images.base_image("python:3.12-slim")
        limit = docker_engine.client().images.get(slim).attrs["Size"] / 1e6 + HEADROOM_MB
        yield Check(f"the image is at most {limit:.0f} MB (the slim base + {HEADROOM_MB} MB)", build.size_mb <= limit,
                    f"it is {build.size_mb:.0f} MB")
        user = build.image().attrs["Config"].get("User") or ""
        yield Check("the image declares a non-root USER", user.split(":")[0] not in ("", "0", "root"),
                    f"USER is {user or 'not set (root)'}")
        try:
            with AppContainer(TAG) as app:
                uid = app.info()["uid"]
            yield Check("the app answers, running as a uid other than 0", uid != 0, f"uid {uid}")
        except Exception as error:
            yield Check("the app answers, running as a uid other than 0", False, str(error)[-400:])
    finally:
        shutil.rmtree(context, ignore_errors=True)
