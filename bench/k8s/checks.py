"""The kind side of stage 06, checked offline: the course's kind config against kind's own schema, and the kind and
kubectl releases a live cluster needs."""

from __future__ import annotations

import re

import yaml

from bench.core.errors import BenchError
from bench.k8s.manifests import K8S, KUBERNETES_VERSION

KIND_CONFIG = K8S / "kind-cluster.yaml"


# The kind release that node image was built for: a node image boots only with its own kind release.
KIND_RELEASE = "v0.33"


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


def kind_release(version_output: str) -> str:
    """`kind version` output ("kind v0.33.0 go1.24.2 linux/amd64") → its release, e.g. "v0.33"."""
    words = version_output.split()
    if len(words) < 2 or words[0] != "kind" or not words[1].startswith("v"):
        raise BenchError(f"cannot read kind's version from {version_output.strip()!r}")
    return ".".join(words[1].split(".")[:2])


def kubectl_skew(client_version: str, server: str = KUBERNETES_VERSION) -> str:
    """Why this kubectl may misbehave against the pinned node image, or "": kubectl is supported within one minor
    version of the API server (Kubernetes' version-skew policy)."""
    major, minor = (int(n) for n in server.split(".")[:2])
    wanted = f"install kubectl {major}.{minor - 1}–{major}.{minor + 1}"
    found = re.search(r"(\d+)\.(\d+)", client_version or "")
    if not found:
        return f"cannot read kubectl's version from {client_version!r}: {wanted}"
    if int(found.group(1)) == major and abs(int(found.group(2)) - minor) <= 1:
        return ""
    return (f"kubectl {found.group(1)}.{found.group(2)} is more than one minor version from the node image's "
            f"Kubernetes {major}.{minor} (version-skew policy): {wanted}")


def check_kind_release(version_output: str) -> None:
    """A clear error when this kind cannot boot the pinned node image."""
    found = kind_release(version_output)
    if found != KIND_RELEASE:
        raise BenchError(f"this is kind {found}, but k8s/kind-cluster.yaml pins the node image built for kind "
                         f"{KIND_RELEASE}: install kind {KIND_RELEASE}.x, or change the image to the one your kind "
                         "release names in its release notes")
