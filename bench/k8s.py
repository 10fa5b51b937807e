"""Kubernetes for stage 06: render the kustomize variants, validate them strictly against the
API schemas (offline), read them as `kubernetes` client models, check the kind config, and the
kind/kubectl commands of the live path — built here, unit-tested, and run only where kind exists."""

from __future__ import annotations

import atexit
import json
import math
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from bench import env
from bench.errors import BenchError
from bench.paths import REPO, state_dir
from bench.waiting import until

K8S = REPO / "k8s"
KIND_CONFIG = K8S / "kind-cluster.yaml"
# The Kubernetes version of the pinned kind node image; manifests are validated against its schemas.
KUBERNETES_VERSION = "1.37.0"
# The kind release that node image was built for: a node image boots only with its own kind release.
KIND_RELEASE = "v0.33"
# The first `kind create` pulls the node image (about 1 GB): allow a slow connection that long.
CREATE_SECONDS = 1800
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


# kind's v1alpha4 Cluster config, the fields the course uses and their neighbours (kind's docs);
# unknown keys are errors here as in kind itself, which decodes its config strictly (since v0.6:
# kubernetes-sigs/kind#907, PR #912); checking offline finds a typo where kind is not installed.
KIND_SCHEMA = {
    "type": "object",
    "required": ["kind", "apiVersion", "nodes"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "Cluster"},
        "apiVersion": {"const": "kind.x-k8s.io/v1alpha4"},
        "name": {"type": "string"},
        "networking": {"type": "object"},
        "featureGates": {"type": "object"},
        "runtimeConfig": {"type": "object"},
        "kubeadmConfigPatches": {"type": "array"},
        "containerdConfigPatches": {"type": "array"},
        "nodes": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["role"],
            "additionalProperties": False,
            "properties": {
                "role": {"enum": ["control-plane", "worker"]},
                "image": {"type": "string"},
                "labels": {"type": "object"},
                "extraMounts": {"type": "array"},
                "kubeadmConfigPatches": {"type": "array"},
                "extraPortMappings": {"type": "array", "items": {
                    "type": "object",
                    "required": ["containerPort"],
                    "additionalProperties": False,
                    "properties": {
                        "containerPort": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "hostPort": {"type": "integer", "minimum": 0, "maximum": 65535},
                        "listenAddress": {"type": "string"},
                        "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
                    }}},
            }}},
    },
}


def check_kind_config(config: dict, service: dict) -> list[str]:
    """Problems with a kind config: schema errors, a port published beyond loopback, an unpinned node
    image, or no mapping for the Service's nodePort. [] when it is fine."""
    import jsonschema

    problems = [f"{'/'.join(map(str, e.absolute_path)) or 'config'}: {e.message}"
                for e in jsonschema.Draft7Validator(KIND_SCHEMA).iter_errors(config)]
    if problems:
        return problems
    mappings = [m for node in config["nodes"] for m in node.get("extraPortMappings", [])]
    problems += [f"port {m['containerPort']} listens on {m.get('listenAddress', '0.0.0.0 (the default)')}, "
                 "not 127.0.0.1" for m in mappings if m.get("listenAddress") != "127.0.0.1"]
    problems += [f"node image {node.get('image', '(kind default)')} is not pinned by digest"
                 for node in config["nodes"] if "@sha256:" not in node.get("image", "")]
    node_ports = {p["nodePort"] for p in service["spec"]["ports"] if "nodePort" in p}
    if not node_ports & {m["containerPort"] for m in mappings}:
        problems.append(f"no extraPortMapping for the Service's nodePort {sorted(node_ports)}")
    return problems


def kind_config(host_port: int | None = None) -> dict:
    """The course's kind config, with the host port changed when one is given."""
    config = yaml.safe_load(KIND_CONFIG.read_text())
    if host_port is not None:
        for node in config["nodes"]:
            for mapping in node.get("extraPortMappings", []):
                mapping["hostPort"] = host_port
    return config


def _ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def kind_release(version_output: str) -> str:
    """`kind version` output ("kind v0.33.0 go1.24.2 linux/amd64") → its release, e.g. "v0.33"."""
    words = version_output.split()
    if len(words) < 2 or words[0] != "kind" or not words[1].startswith("v"):
        raise BenchError(f"cannot read kind's version from {version_output.strip()!r}")
    return ".".join(words[1].split(".")[:2])


def check_kind_release(version_output: str) -> None:
    """A clear error when this kind cannot boot the pinned node image."""
    found = kind_release(version_output)
    if found != KIND_RELEASE:
        raise BenchError(f"this is kind {found}, but k8s/kind-cluster.yaml pins the node image built for kind "
                         f"{KIND_RELEASE}: install kind {KIND_RELEASE}.x, or change the image to the one your kind "
                         "release names in its release notes")


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
        from bench.load import run_load

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


def promises(deployment: dict, image_uid: int) -> dict[str, bool]:
    """What a production Deployment promises (notebook 06's checklist), each read from the manifest: kept or not."""
    pod = deployment["spec"]["template"]["spec"]
    app, security = pod["containers"][0], pod.get("securityContext", {})
    pause = int(app["lifecycle"]["preStop"]["exec"]["command"][-1]) if "lifecycle" in app else 0
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
