"""k8s/: every variant renders and validates strictly; the kind config is checked; the live path's
commands are what the course says they are, and its readers parse kubectl's JSON."""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

import pytest

from bench import k8s
from bench.core.errors import BenchError
from bench.core.paths import REPO
from bench.host import env
from bench.k8s import cluster as kind

needs_kubectl = pytest.mark.skipif(env.find("kubectl") is None and not os.environ.get("CI"),
                                   reason="kubectl is needed to render kustomizations")


@needs_kubectl
@pytest.mark.parametrize("variant", list(k8s.VARIANTS))
def test_every_variant_renders_and_validates_strictly(variant: str) -> None:
    docs = k8s.render(variant)
    assert docs and k8s.validate(docs) == []


@needs_kubectl
def test_strict_validation_rejects_an_unknown_field() -> None:
    docs = k8s.render("base")
    k8s.find(docs, "Service")["spec"]["tpye"] = "NodePort"
    assert any("tpye" in line for line in k8s.validate(docs))
    assert k8s.validate(docs, strict=False) == []


@needs_kubectl
def test_the_kind_config_is_fine_and_maps_the_services_node_port() -> None:
    assert k8s.check_kind_config(k8s.kind_config(), k8s.find(k8s.render("base"), "Service")) == []


def _service(node_port: int = 30080) -> dict:
    return {"spec": {"ports": [{"port": 80, "nodePort": node_port}]}}


def test_kind_config_problems_are_named() -> None:
    config = k8s.kind_config()
    config["nodes"][0]["image"] = "kindest/node:v1.37.0"
    config["nodes"][0]["extraPortMappings"][0]["listenAddress"] = "0.0.0.0"
    problems = k8s.check_kind_config(config, _service(31000))
    assert len(problems) == 3
    assert "not 127.0.0.1" in problems[0] and "not pinned by digest" in problems[1] and "31000" in problems[2]
    config["nodes"][0]["role"] = "master"
    assert "role" in k8s.check_kind_config(config, _service())[0]


def test_kind_config_gets_the_host_port_asked_for() -> None:
    mapping = k8s.kind_config(18080)["nodes"][0]["extraPortMappings"][0]
    assert mapping == {"containerPort": 30080, "hostPort": 18080, "listenAddress": "127.0.0.1", "protocol": "TCP"}


def test_live_path_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kind, "_tool", lambda name: name)  # the bare names, wherever this machine has them
    cluster = k8s.Cluster(name="t", host_port=18080, image="img:1")
    assert cluster.create()[:5] == ["kind", "create", "cluster", "--name", "t"]
    written = cluster.create()[cluster.create().index("--config") + 1]
    assert "18080" in Path(written).read_text()
    archive = str(cluster.image_archive())
    assert cluster.save_image() == ["docker", "save", "--output", archive, "img:1"]
    assert cluster.load_image() == ["kind", "load", "image-archive", archive, "--name", "t"]
    assert cluster.apply("no-probes") == ["kubectl", "--context", "kind-t", "apply", "-k",
                                          str(k8s.K8S / "overlays" / "no-probes")]
    assert cluster.apply("metrics-server")[-1] == str(k8s.K8S / "metrics-server")
    assert cluster.scale(3)[-2:] == ["deployment/web", "--replicas=3"]
    assert cluster.rollout_restart()[-3:] == ["rollout", "restart", "deployment/web"]
    assert cluster.delete_hpa()[-4:] == ["delete", "hpa", "web", "--ignore-not-found"]
    assert cluster.delete() == ["kind", "delete", "cluster", "--name", "t"]
    assert cluster.url == "http://127.0.0.1:18080"
    assert list(cluster.commands())[:3] == ["check kind's release", "list existing clusters", "create the cluster"]


def test_commands_use_the_tools_bench_env_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "find", lambda name: f"/opt/venv/bin/{name}")
    assert k8s.Cluster().create()[0] == "/opt/venv/bin/kind" and k8s.Cluster().kubectl()[0] == "/opt/venv/bin/kubectl"


def test_kind_release_is_checked() -> None:
    assert k8s.kind_release("kind v0.33.0 go1.24.2 linux/amd64\n") == "v0.33"
    k8s.check_kind_release(f"kind {k8s.KIND_RELEASE}.1 go1.24.2 darwin/arm64")
    with pytest.raises(BenchError, match="node image built for kind"):
        k8s.check_kind_release("kind v0.24.0 go1.22.6 linux/amd64")
    with pytest.raises(BenchError, match="cannot read"):
        k8s.check_kind_release("command not found")


class _Canned:
    """Stands for the kind/kubectl commands: answers by the command's last words, records what ran."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers, self.ran = answers, []

    def __call__(self, argv: list[str]) -> str:
        self.ran.append(argv)
        for key, answer in self.answers.items():
            if " ".join(argv).endswith(key):
                if isinstance(answer, Exception):
                    raise answer
                return answer
        return ""


def test_an_existing_cluster_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    canned = _Canned({"version": f"kind {k8s.KIND_RELEASE}.0 go1.24.2 linux/amd64", "get clusters": "kind\nt\n"})
    monkeypatch.setattr(k8s.Cluster, "run", lambda self, argv, timeout=600: canned(argv))
    monkeypatch.setattr(env, "version", lambda name: k8s.KUBERNETES_VERSION)  # a kubectl within the skew
    registered = []
    monkeypatch.setattr(kind.atexit, "register", registered.append)
    with pytest.raises(BenchError, match="already exists"):
        k8s.Cluster(name="t").up()
    assert not any("create" in argv for argv in canned.ran) and registered == []  # nothing created, nothing deleted


def test_up_creates_then_loads_through_an_archive(monkeypatch: pytest.MonkeyPatch) -> None:
    canned = _Canned({"version": f"kind {k8s.KIND_RELEASE}.0 go1.24.2 linux/amd64", "get clusters": "other\n"})
    monkeypatch.setattr(k8s.Cluster, "run", lambda self, argv, timeout=600: canned(argv))
    monkeypatch.setattr(env, "version", lambda name: k8s.KUBERNETES_VERSION)  # a kubectl within the skew
    monkeypatch.setattr(kind, "_tool", lambda name: name)
    registered = []
    monkeypatch.setattr(kind.atexit, "register", registered.append)
    k8s.Cluster(name="t").up()
    assert [argv[:3] for argv in canned.ran][2:] == [["kind", "create", "cluster"], ["docker", "save", "--output"],
                                                    ["kind", "load", "image-archive"]]
    assert len(registered) == 1  # deleted at exit: this call created it


def test_a_slow_first_pull_gets_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_slow(*args: object, **kwargs: object) -> None:
        raise kind.subprocess.TimeoutExpired(["kind", "create"], 1800)

    monkeypatch.setattr(kind.subprocess, "run", too_slow)
    with pytest.raises(BenchError, match="node image of about 1 GB"):
        k8s.Cluster().run(["kind", "create", "cluster"], timeout=1800)


def test_metrics_server_gets_the_flag_kind_needs() -> None:
    text = (k8s.K8S / "metrics-server" / "kustomization.yaml").read_text()
    assert "--kubelet-insecure-tls" in text and "/releases/download/v" in text


def _pod(name: str, ready: bool, terminating: bool = False, app: str = "web") -> dict:
    metadata = {"name": name, "labels": {"app": app} if app else {}, "creationTimestamp": "2026-11-22T03:00:00Z"}
    if terminating:
        metadata["deletionTimestamp"] = "2026-11-22T03:01:00Z"
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    return {"metadata": metadata, "status": {"phase": "Running", "conditions": conditions}}


def test_pods_are_read_from_kubectl_json() -> None:
    listing = {"items": [_pod("web-1", True), _pod("web-2", False), _pod("web-3", True, terminating=True),
                         _pod("other", True, app="")]}
    pods = k8s.pods_from(json.dumps(listing))
    assert [(p["pod"], p["ready"], p["terminating"]) for p in pods] == [
        ("web-1", True, False), ("web-2", False, False), ("web-3", True, True)]
    assert k8s.victim(pods) == "web-1"  # Ready and not already terminating from a rollout
    with pytest.raises(BenchError, match="no Ready pod"):
        k8s.victim([p for p in pods if p["pod"] != "web-1"])


def test_an_hpa_without_metrics_wishes_nothing_yet() -> None:
    fresh = {"status": {"currentReplicas": 1, "desiredReplicas": 0}}  # what a new HPA reports before metrics
    measured = {"status": {"currentReplicas": 1, "desiredReplicas": 3,
                           "currentMetrics": [{"resource": {"current": {"averageUtilization": 140}}}]}}
    assert k8s.hpa_from(json.dumps(fresh)) == {"current": 1, "desired": None, "cpu %": None, "measured": False}
    assert k8s.hpa_from(json.dumps(measured)) == {"current": 1, "desired": 3, "cpu %": 140, "measured": True}


def test_manifests_round_trip_through_the_client_models() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                  "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
                      "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}}
    model = k8s.as_model(deployment)
    assert type(model).__name__ == "V1Deployment" and model.spec.template.spec.containers[0].image == "i:1"
    assert k8s.to_dict(model) == deployment


@pytest.mark.skipif(not (os.environ.get("CI") and sys.platform == "linux"), reason="CI must render manifests")
def test_ci_has_kubectl() -> None:
    assert env.find("kubectl"), "kubectl is needed for `kubectl kustomize` in make test"


def test_the_metrics_api_is_awaited(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([BenchError("the server is currently unable to handle the request"), '{"items": []}'])

    def run(self: k8s.Cluster, argv: list[str], timeout: float = 600) -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(k8s.Cluster, "run", run)
    k8s.Cluster().wait_for_metrics(timeout=5, interval=0)  # the first refusal was waited out
    with pytest.raises(StopIteration):
        next(answers)


def test_the_app_is_awaited_through_the_port_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    class Answer:
        def raise_for_status(self) -> None:
            if len(calls) < 3:  # kube-proxy has not programmed the Service yet: connection refused, twice
                raise kind.requests.ConnectionError("refused")

    def get(url: str, timeout: float) -> Answer:
        calls.append(url)
        return Answer()

    monkeypatch.setattr(kind.requests, "get", get)
    k8s.Cluster(host_port=18080).wait_answering(timeout=5, interval=0)
    assert calls == ["http://127.0.0.1:18080/healthz"] * 3


def test_lab06_live_check_reports_a_failed_setup_as_a_cross(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("lab06_check", REPO / "labs" / "06" / "check.py")
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    monkeypatch.setattr(lab.images, "build", lambda *args, **kwargs: None)
    monkeypatch.setattr(k8s.Cluster, "up", lambda self: (_ for _ in ()).throw(BenchError("kind create failed")))
    monkeypatch.setattr(k8s.Cluster, "down", lambda self: None)
    (tmp_path / "deployment.yaml").write_text("kind: Deployment\n")
    check = lab._live(tmp_path / "deployment.yaml", "live")
    assert not check.passed and "kind create failed" in check.detail


def test_rollout_bounds_round_as_the_deployment_controller_does() -> None:
    assert k8s.rollout_bounds({}, 4) == (3, 5)  # 25% each
    assert k8s.rollout_bounds({}, 2) == (2, 3)  # 25% of 2: unavailable rounds down to 0, surge up to 1
    assert k8s.rollout_bounds({"maxUnavailable": 0, "maxSurge": 1}, 2) == (2, 3)
    assert k8s.rollout_bounds({"maxUnavailable": "50%", "maxSurge": 0}, 3) == (2, 3)


def test_the_base_deployment_keeps_its_promises_and_a_broken_one_does_not() -> None:
    deployment = k8s.find(k8s.render("base"), "Deployment", "web")
    assert all(k8s.promises(deployment, 10001).values())
    broken = copy.deepcopy(deployment)
    app = broken["spec"]["template"]["spec"]["containers"][0]
    app["image"] = app["image"].split(":")[0] + ":latest"
    del app["readinessProbe"], app["lifecycle"]
    broken["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = 1
    kept = k8s.promises(broken, 0)
    assert [name for name, ok in kept.items() if not ok] == [
        "image tag pinned", "readiness on /readyz, liveness on /healthz", "runs as the image's non-root uid",
        "never below desired count in a rollout", "preStop pause shorter than the grace period"]


def test_kubectl_more_than_one_minor_from_the_node_image_is_named() -> None:
    assert k8s.kubectl_skew("1.37.2", server="1.37.0") == ""
    assert k8s.kubectl_skew("v1.36.0", server="1.37.0") == ""
    assert "install kubectl 1.36–1.38" in k8s.kubectl_skew("v1.32.4-dispatcher", server="1.37.0")
    assert "install kubectl 1.36–1.38" in k8s.kubectl_skew("2.37.0", server="1.37.0")  # another major
    assert "cannot read" in k8s.kubectl_skew("", server="1.37.0")


def test_up_refuses_a_kubectl_outside_the_skew_before_it_creates_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    canned = _Canned({"version": f"kind {k8s.KIND_RELEASE}.0 go1.24.2 linux/amd64", "get clusters": "other\n"})
    monkeypatch.setattr(k8s.Cluster, "run", lambda self, argv, timeout=600: canned(argv))
    monkeypatch.setattr(env, "version", lambda name: "1.30.2")
    with pytest.raises(BenchError, match="version-skew policy"):
        k8s.Cluster(name="t").up()
    assert not any("create" in argv for argv in canned.ran)


def test_the_prestop_pause_is_read_from_either_form() -> None:
    assert k8s.prestop_pause({"lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}) == 5
    assert k8s.prestop_pause({"lifecycle": {"preStop": {"exec": {"command": ["sleep", "7"]}}}}) == 7
    assert k8s.prestop_pause({}) == 0
