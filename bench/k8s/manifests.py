"""Kubernetes manifests for stage 06, offline: render the kustomize variants, validate them strictly against the
API schemas, read them as `kubernetes` client models, and read what a Deployment promises."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from bench.core.errors import BenchError
from bench.core.paths import REPO, state_dir
from bench.host import env

K8S = REPO / "k8s"
# The Kubernetes version of the pinned kind node image; manifests are validated against its schemas.
KUBERNETES_VERSION = "1.37.0"
VARIANTS = {"base": K8S / "base", "no-probes": K8S / "overlays" / "no-probes",
            "fixed-replicas": K8S / "overlays" / "fixed-replicas"}


def render(variant: str | Path) -> list[dict]:
    """`kubectl kustomize` of a variant (a name from VARIANTS, or a kustomization folder): its documents."""
    folder = VARIANTS[variant] if isinstance(variant, str) else variant
    done = subprocess.run([env.require("kubectl"), "kustomize", str(folder)], capture_output=True, text=True,
                          timeout=60)
    if done.returncode:
        raise BenchError(f"kubectl kustomize {folder} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def render_overlay(kustomization: str, name: str = "yours") -> list[dict]:
    """`kubectl kustomize` of an overlay written as text, placed at k8s/overlays/`name` of a temporary copy of
    k8s/ (so `../../base` and `../fixed-replicas` resolve as they do for the course's own overlays)."""
    with tempfile.TemporaryDirectory(dir=state_dir()) as folder:
        copy = Path(shutil.copytree(K8S, Path(folder) / "k8s"))
        overlay = copy / "overlays" / name
        overlay.mkdir(parents=True, exist_ok=True)
        (overlay / "kustomization.yaml").write_text(kustomization)
        return render(overlay)


def find(docs: list[dict], kind: str, name: str | None = None) -> dict:
    """The first document of `kind` (and `name`), or KeyError."""
    for doc in docs:
        if doc.get("kind") == kind and (name is None or doc["metadata"]["name"] == name):
            return doc
    raise KeyError(f"{kind}/{name or '*'}")


def rollout_bounds(rolling_update: dict, replicas: int) -> tuple[int, int]:
    """(fewest available pods, most pods at once) during a RollingUpdate of `replicas`, as the Deployment
    controller counts them: a percentage of maxUnavailable rounds down, of maxSurge up; both default to 25%."""
    def pods(value: int | str, round_up: bool) -> int:
        if isinstance(value, str) and value.endswith("%"):
            share = replicas * int(value[:-1]) / 100
            return math.ceil(share) if round_up else math.floor(share)
        return int(value)

    unavailable = pods(rolling_update.get("maxUnavailable", "25%"), round_up=False)
    surge = pods(rolling_update.get("maxSurge", "25%"), round_up=True)
    return replicas - unavailable, replicas + surge


def validate(docs: list[dict], version: str = KUBERNETES_VERSION, strict: bool = True) -> list[str]:
    """kubernetes-validate (--strict: unknown fields are errors) on the documents: every warning or
    error it reports, [] when all pass."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=state_dir(), delete=False) as out:
        yaml.safe_dump_all(docs, out, sort_keys=False)
    try:
        done = subprocess.run([env.require("kubernetes-validate"), *(["--strict"] if strict else []), "-k", version,
                               out.name],
                              capture_output=True, text=True, timeout=120)
    finally:
        Path(out.name).unlink()
    lines = (done.stdout + done.stderr).splitlines()
    problems = [line.replace(out.name, "<manifest>") for line in lines if not line.startswith("INFO")]
    if done.returncode and not problems:
        problems = [f"kubernetes-validate exited with {done.returncode}"]
    return problems


def as_model(doc: dict):  # -> a kubernetes.client model, e.g. V1Deployment
    """A manifest as the typed model the Python `kubernetes` client uses (V1Deployment, V1Service...)."""
    from kubernetes import client

    group_version = doc["apiVersion"].split("/")[-1].capitalize()
    return client.ApiClient().deserialize(json.dumps(doc), f"{group_version}{doc['kind']}", "application/json")


def to_dict(model) -> dict:
    """A client model back to the plain dict `kubectl apply` would send."""
    from kubernetes import client

    return client.ApiClient().sanitize_for_serialization(model)


def prestop_pause(container: dict) -> int:
    """Seconds a container's preStop hook pauses: its sleep action (Kubernetes 1.34+), or `exec: sleep N`; 0 for
    none."""
    hook = container.get("lifecycle", {}).get("preStop") or {}
    if "sleep" in hook:
        return int(hook["sleep"].get("seconds", 0))
    command = hook.get("exec", {}).get("command", [])
    return int(command[-1]) if len(command) == 2 and command[0] == "sleep" and str(command[1]).isdigit() else 0


def promises(deployment: dict, image_uid: int) -> dict[str, bool]:
    """What a production Deployment promises (notebook 06's checklist), each read from the manifest: kept or not."""
    pod = deployment["spec"]["template"]["spec"]
    app, security = pod["containers"][0], pod.get("securityContext", {})
    pause = prestop_pause(app)
    paths = [app.get(probe, {}).get("httpGet", {}).get("path") for probe in ("readinessProbe", "livenessProbe")]
    return {
        "image tag pinned": app["image"].partition(":")[2] not in ("", "latest"),
        "imagePullPolicy IfNotPresent": app.get("imagePullPolicy") == "IfNotPresent",
        "readiness on /readyz, liveness on /healthz": paths == ["/readyz", "/healthz"],
        "requests and limits": {"requests", "limits"} <= set(app.get("resources", {})),
        "runs as the image's non-root uid": bool(security.get("runAsNonRoot"))
        and security.get("runAsUser") == image_uid,
        "never below desired count in a rollout":
            deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0,
        "preStop pause shorter than the grace period": 0 < pause < pod.get("terminationGracePeriodSeconds", 30),
    }
