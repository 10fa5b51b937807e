"""k8s/: every variant renders and validates strictly; the kind config is checked; the live path's
commands are what the course says they are, and its readers parse kubectl's JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from bench import env, k8s

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


def test_live_path_commands() -> None:
    cluster = k8s.Cluster(name="t", host_port=18080, image="img:1")
    assert cluster.create()[:5] == ["kind", "create", "cluster", "--name", "t"]
    written = cluster.create()[cluster.create().index("--config") + 1]
    assert "18080" in Path(written).read_text()
    assert cluster.load_image() == ["kind", "load", "docker-image", "img:1", "--name", "t"]
    assert cluster.apply("no-probes") == ["kubectl", "--context", "kind-t", "apply", "-k",
                                          str(k8s.K8S / "overlays" / "no-probes")]
    assert cluster.apply("metrics-server")[-1] == str(k8s.K8S / "metrics-server")
    assert cluster.scale(3)[-2:] == ["deployment/web", "--replicas=3"]
    assert cluster.rollout_restart()[-3:] == ["rollout", "restart", "deployment/web"]
    assert cluster.delete() == ["kind", "delete", "cluster", "--name", "t"]
    assert cluster.url == "http://127.0.0.1:18080"
    assert next(iter(cluster.commands())) == "create the cluster"


def test_metrics_server_gets_the_flag_kind_needs() -> None:
    text = (k8s.K8S / "metrics-server" / "kustomization.yaml").read_text()
    assert "--kubelet-insecure-tls" in text and "/releases/download/v" in text


def test_pods_and_hpa_are_read_from_kubectl_json(monkeypatch: pytest.MonkeyPatch) -> None:
    pods = {"items": [
        {"metadata": {"name": "web-1", "labels": {"app": "web"}, "creationTimestamp": "t1"},
         "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
        {"metadata": {"name": "web-2", "labels": {"app": "web"}, "creationTimestamp": "t2"},
         "status": {"phase": "Pending", "conditions": []}},
        {"metadata": {"name": "other", "labels": {}, "creationTimestamp": "t3"}, "status": {}},
    ]}
    hpa = {"status": {"currentReplicas": 1, "desiredReplicas": 3,
                      "currentMetrics": [{"resource": {"current": {"averageUtilization": 140}}}]}}
    answers = {"pods": pods, "hpa/web": hpa}
    monkeypatch.setattr(k8s.Cluster, "run", lambda self, argv, timeout=600: json.dumps(answers[argv[-3]]))
    cluster = k8s.Cluster()
    assert [(p["pod"], p["ready"]) for p in cluster.pods()] == [("web-1", True), ("web-2", False)]
    assert cluster.hpa() == {"current": 1, "desired": 3, "cpu %": 140}


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
