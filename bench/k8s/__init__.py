"""Kubernetes for stage 06: the manifests, rendered and validated offline (`manifests`), the kind config and the
releases a live cluster needs, checked offline (`checks`), and the kind cluster's commands, run only where kind
exists (`cluster`)."""

from bench.k8s.checks import (
                              KIND_CONFIG,
                              KIND_RELEASE,
                              KIND_SCHEMA,
                              check_kind_config,
                              check_kind_release,
                              kind_config,
                              kind_release,
                              kubectl_skew,
)
from bench.k8s.cluster import CREATE_SECONDS, Cluster, hpa_from, pods_from, victim
from bench.k8s.manifests import (
                              K8S,
                              KUBERNETES_VERSION,
                              VARIANTS,
                              as_model,
                              find,
                              prestop_pause,
                              promises,
                              render,
                              render_overlay,
                              rollout_bounds,
                              to_dict,
                              validate,
)

__all__ = ["CREATE_SECONDS", "K8S", "KIND_CONFIG", "KIND_RELEASE", "KIND_SCHEMA", "KUBERNETES_VERSION", "VARIANTS",
           "Cluster", "as_model", "check_kind_config", "check_kind_release", "find", "hpa_from", "kind_config",
           "kind_release", "kubectl_skew", "pods_from", "prestop_pause", "promises", "render", "render_overlay",
           "rollout_bounds",
           "to_dict", "validate", "victim"]
