"""The kind cluster of stage 06: check the kind config (offline), and the kind/kubectl commands of the live
path — built here, unit-tested, and run only where kind exists."""

from __future__ import annotations

import atexit
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from bench.core.errors import BenchError
from bench.core.paths import state_dir
from bench.core.waiting import until
from bench.host import env
from bench.k8s.checks import check_kind_release, kind_config, kubectl_skew
from bench.k8s.manifests import K8S, VARIANTS

# The first `kind create` pulls the node image (about 1 GB): allow a slow connection that long.
CREATE_SECONDS = 1800


def _ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def pods_from(kubectl_json: str) -> list[dict]:
    """The app's pods from `kubectl get pods -o json`: name, phase, ready, terminating, created."""
    items = json.loads(kubectl_json)["items"]
    return [{"pod": p["metadata"]["name"], "phase": p["status"].get("phase"), "ready": _ready(p),
             "terminating": bool(p["metadata"].get("deletionTimestamp")),
             "created": p["metadata"]["creationTimestamp"]}
            for p in items if p["metadata"].get("labels", {}).get("app") == "web"]


def victim(pods: list[dict]) -> str:
    """A pod to delete for the self-healing demo: Ready and not already on its way out."""
    candidates = [p["pod"] for p in pods if p["ready"] and not p["terminating"]]
    if not candidates:
        raise BenchError(f"no Ready pod that is not terminating: {pods}")
    return sorted(candidates)[0]


def hpa_from(kubectl_json: str) -> dict:
    """The autoscaler's state from `kubectl get hpa/web -o json`. `measured` stays False until the
    metrics arrive: before that a new HPA reports desiredReplicas 0, which means nothing yet."""
    status = json.loads(kubectl_json).get("status", {})
    metrics = status.get("currentMetrics") or []
    cpu = (metrics[0].get("resource", {}).get("current", {}).get("averageUtilization") if metrics else None)
    measured = cpu is not None
    return {"current": status.get("currentReplicas"), "desired": status.get("desiredReplicas") if measured else None,
            "cpu %": cpu, "measured": measured}


def _tool(name: str) -> str:
    """kind or kubectl where `bench.env` finds it (the venv, PATH, the usual install folders), else the bare
    name (the command still prints, and fails clearly when run)."""
    return env.find(name) or name


@dataclass(frozen=True)
class Cluster:
    """The kind cluster of stage 06 and the commands that drive it. Building a command runs nothing;
    `run()` does, and only the notebook's live cells call it."""

    name: str = "flask-in-production"
    host_port: int = 8080
    image: str = "flask-in-production/app:1.0.0"

    @property
    def context(self) -> str:
        return f"kind-{self.name}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.host_port}"

    def config_file(self) -> Path:
        path = state_dir() / f"kind-{self.name}.yaml"
        path.write_text(yaml.safe_dump(kind_config(self.host_port), sort_keys=False))
        return path

    def create(self) -> list[str]:
        return [_tool("kind"), "create", "cluster", "--name", self.name, "--config", str(self.config_file()),
                "--wait", "180s"]

    def image_archive(self) -> Path:
        return state_dir() / f"kind-{self.name}-image.tar"

    def save_image(self) -> list[str]:
        """`docker save` the app image to a file: `kind load docker-image` breaks with Docker's containerd
        image store, loading an archive does not."""
        return [_tool("docker"), "save", "--output", str(self.image_archive()), self.image]

    def load_image(self) -> list[str]:
        return [_tool("kind"), "load", "image-archive", str(self.image_archive()), "--name", self.name]

    def kubectl(self, *args: str) -> list[str]:
        return [_tool("kubectl"), "--context", self.context, *args]

    def apply(self, variant: str | Path) -> list[str]:
        """`kubectl apply -k` of a variant name, a folder under k8s/, or any kustomization folder."""
        target = variant if isinstance(variant, Path) else VARIANTS.get(variant, K8S / variant)
        return self.kubectl("apply", "-k", str(target))

    def rollout_status(self, timeout: str = "180s") -> list[str]:
        return self.kubectl("rollout", "status", "deployment/web", f"--timeout={timeout}")

    def scale(self, replicas: int) -> list[str]:
        return self.kubectl("scale", "deployment/web", f"--replicas={replicas}")

    def rollout_restart(self) -> list[str]:
        return self.kubectl("rollout", "restart", "deployment/web")

    def get(self, what: str) -> list[str]:
        return self.kubectl("get", what, "-o", "json")

    def delete_pod(self, pod: str) -> list[str]:
        return self.kubectl("delete", "pod", pod, "--wait=false")

    def delete_hpa(self) -> list[str]:
        """`kubectl apply -k` never deletes what a variant leaves out: the autoscaler goes explicitly."""
        return self.kubectl("delete", "hpa", "web", "--ignore-not-found")

    def metrics_available(self) -> list[str]:
        return self.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/pods")

    def delete(self) -> list[str]:
        return [_tool("kind"), "delete", "cluster", "--name", self.name]

    def existing(self) -> list[str]:
        return [_tool("kind"), "get", "clusters"]

    def version(self) -> list[str]:
        return [_tool("kind"), "version"]

    def commands(self) -> dict[str, list[str]]:
        """Every step of the live path, in order, for printing."""
        return {
            "check kind's release": self.version(),
            "list existing clusters": self.existing(),
            "create the cluster": self.create(),
            "save the image to a file": self.save_image(),
            "load it onto the node": self.load_image(),
            "deploy (no autoscaler yet)": self.apply("fixed-replicas"),
            "wait for the rollout": self.rollout_status(),
            "scale to 3 replicas": self.scale(3),
            "metrics-server (with --kubelet-insecure-tls)": self.apply("metrics-server"),
            "wait for the metrics API": self.metrics_available(),
            "deploy with the autoscaler": self.apply("base"),
            "remove the autoscaler after its section": self.delete_hpa(),
            "rolling update": self.rollout_restart(),
            "pods": self.get("pods"),
            "delete the cluster": self.delete(),
        }

    def up(self) -> Cluster:
        """Create the cluster and load the image onto it; the cluster is deleted when Python exits.

        Refuses to touch a cluster of the same name that was already there (it may be the learner's):
        only a cluster this call created is deleted at exit."""
        check_kind_release(self.run(self.version()))
        if skew := kubectl_skew(env.version("kubectl") or ""):
            raise BenchError(skew)
        if self.name in self.run(self.existing()).split():
            raise BenchError(f"a kind cluster named {self.name!r} already exists (from an earlier run, or made by "
                             f"hand): delete it with `kind delete cluster --name {self.name}`, or use "
                             "Cluster(name=...) with another name")
        self.run(self.create(), timeout=CREATE_SECONDS)
        atexit.register(self.down)
        self.run(self.save_image())
        self.run(self.load_image())
        return self

    def down(self) -> None:
        """Delete the cluster (nothing happens if it does not exist)."""
        subprocess.run(self.delete(), capture_output=True, timeout=300)

    def run(self, argv: list[str], timeout: float = 600) -> str:
        """Run one command of the live path; its stdout, or BenchError with its stderr."""
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"`{' '.join(argv)}` did not finish in {timeout:.0f} s. The first `kind create` "
                             "pulls a node image of about 1 GB: on a slow connection, pull it first with "
                             "`docker pull` (the image named in k8s/kind-cluster.yaml), then run the cell again"
                             ) from None
        if done.returncode:
            raise BenchError(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-1500:]}")
        return done.stdout

    def rollout_under_load(self, variant: str | Path, path: str, users: int, duration: float, replicas: int = 2):
        """Deploy `variant` with `replicas` pods, then `kubectl rollout restart` 3 s into a load of `users` on
        `path` for `duration` seconds; the LoadResult (its `failures` are the requests the rollout cost)."""
        from bench.load.runner import run_load

        self.run(self.delete_hpa())
        self.run(self.apply(variant))
        self.run(self.scale(replicas))
        self.run(self.rollout_status())
        self.wait_answering()
        # PlainUser (requests) does not retry: FastHttpUser's client silently retries a request whose
        # connection closed before any response byte, up to its pool size + 1 times, hiding the failures.
        result = run_load(self.url, path, users=users, duration=duration, label=f"rollout: {variant}",
                          user_class="plain",
                          events=[(3, "rollout restart", lambda: self.run(self.rollout_restart()))])
        self.run(self.rollout_status())
        return result

    def pods(self) -> list[dict]:
        """The app's pods (see `pods_from`)."""
        return pods_from(self.run(self.get("pods")))

    def hpa(self) -> dict:
        """The autoscaler's current and desired replicas and the CPU it measured (see `hpa_from`)."""
        return hpa_from(self.run(self.get("hpa/web")))

    def wait_for_metrics(self, timeout: float = 180, interval: float = 5) -> None:
        """Until the metrics API answers: before that, the autoscaler has nothing to act on."""
        if not until(lambda: self.run(self.metrics_available()) is not None, timeout, interval, errors=(BenchError,)):
            raise BenchError(f"the metrics API did not answer within {timeout:g} s (is metrics-server running?)")

    def wait_answering(self, timeout: float = 60, interval: float = 0.5) -> None:
        """Until the app answers through the port mapping: kube-proxy programs a Service's endpoints a
        moment after `rollout status` returns."""
        def healthy() -> bool:
            requests.get(self.url + "/healthz", timeout=2).raise_for_status()
            return True

        if not until(healthy, timeout, interval, errors=(requests.RequestException,)):
            raise BenchError(f"the app did not answer on {self.url}/healthz within {timeout:g} s")
