"""Lab 06 check: a Deployment whose rolling update loses no request. Offline: it validates strictly and
has a readiness probe, maxUnavailable 0 and a preStop hook. Live (where kind runs): a rollout restart
under load fails no request."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from bench import k8s
from bench.containers import images
from bench.core import ports
from bench.core.errors import BenchError
from course import needs
from course.labs import Check, skipped

GRACEFUL = 30  # gunicorn's graceful_timeout in config/gunicorn.conf.py, which the image uses
ROLLOUT = {"path": "/io?ms=50", "users": 8, "duration": 40}  # the load notebook 06 rolls out under


def check(directory: Path) -> Iterator[Check]:
    path = directory / "deployment.yaml"
    if not path.exists():
        yield Check("deployment.yaml exists", False, f"no file at {path}")
        return
    deployment = yaml.safe_load(path.read_text())
    problems = k8s.validate([deployment])
    yield Check("it validates strictly against Kubernetes " + k8s.KUBERNETES_VERSION, not problems,
                "; ".join(problems)[:300])
    if problems:
        return
    pod = deployment["spec"]["template"]["spec"]
    app = pod["containers"][0]
    probe = app.get("readinessProbe", {}).get("httpGet", {})
    yield Check("a readiness probe on /readyz", probe.get("path") == "/readyz", f"readinessProbe: {probe or 'none'}")
    rolling = deployment["spec"].get("strategy", {}).get("rollingUpdate", {})
    pre_stop = app.get("lifecycle", {}).get("preStop")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    pause = k8s.prestop_pause(app)
    offline = [
        Check("rollingUpdate.maxUnavailable is 0", str(rolling.get("maxUnavailable", "25%")) in ("0", "0%"),
              f"it is {rolling.get('maxUnavailable', '25% (the default)')}"),
        Check(f"a preStop pause, then gunicorn's {GRACEFUL} s graceful shutdown, fit in the {grace} s grace period",
              bool(pre_stop) and pause + GRACEFUL <= grace, f"preStop: {pre_stop}, pause {pause} s"),
    ]
    yield from offline
    requirement = "a rollout restart under load fails no request (live, on kind)"
    why = needs.missing("kind") or ("" if probe.get("path") == "/readyz" and all(c.passed for c in offline)
                                    else "the checks above must pass first (the live run takes minutes)")
    if why:
        yield skipped(requirement, why)
        return
    yield _live(path, requirement)


def _live(path: Path, requirement: str) -> Check:
    """Deploy the learner's Deployment with the course's Service and ConfigMap, roll it out under load."""
    folder = Path(tempfile.mkdtemp(prefix="lab06-"))
    for name in ("service.yaml", "configmap.yaml"):
        shutil.copy2(k8s.K8S / "base" / name, folder / name)
    shutil.copy2(path, folder / "deployment.yaml")
    (folder / "kustomization.yaml").write_text(
        "resources: [configmap.yaml, deployment.yaml, service.yaml]\n")
    cluster = k8s.Cluster(name="lab06", host_port=ports.free_port())
    try:
        images.build("docker/Dockerfile", cluster.image)
        cluster.up()
        result = cluster.rollout_under_load(folder, **ROLLOUT)
        return Check(requirement, result.failures == 0, f"{result.failures} of {result.requests} failed")
    except BenchError as error:  # the cluster could not be set up: say so, as a ✗ with the reason
        return Check(requirement, False, f"the live run could not start: {str(error)[:300]}")
    finally:
        cluster.down()
        shutil.rmtree(folder, ignore_errors=True)
