#!/usr/bin/env bash
# kind and kubectl for stage 06, pinned (KIND_VERSION, KUBECTL_VERSION) and checked against pinned sha256 sums.
# Where GitHub or dl.k8s.io cannot be reached, it says so in one line and exits 0: the image builds without them,
# and notebook 06 runs its offline parts (rendering, validation, dry runs). A download that arrives but fails its
# checksum stops the build: that is a wrong pin or a tampered file, not a missing network.
set -uo pipefail
arch=$(dpkg --print-architecture)
skip() { echo "kind/kubectl not installed: $*; stage 06 runs its offline parts"; exit 0; }
[ "$arch" = amd64 ] || skip "the pinned checksums are for amd64, this is $arch"
fetch() {  # url sha256 dest
  curl -fsSL --max-time 60 --retry 2 -o "$3" "$1" || return 1
  echo "$2  $3" | sha256sum --check --quiet || { rm -f "$3"; echo "checksum mismatch for $1" >&2; return 2; }
}
tmp=$(mktemp -d)
get() {  # url sha256 dest name: skip when unreachable, fail on a checksum mismatch
  fetch "$1" "$2" "$3"; status=$?
  [ "$status" -eq 2 ] && { echo "stopping: $4's checksum does not match the pinned one" >&2; exit 1; }
  [ "$status" -eq 0 ] || skip "$4 could not be downloaded"
}
get "https://github.com/kubernetes-sigs/kind/releases/download/${KIND_VERSION}/kind-linux-amd64" \
  "$KIND_SHA256" "$tmp/kind" "kind ${KIND_VERSION}"
get "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/amd64/kubectl" \
  "$KUBECTL_SHA256" "$tmp/kubectl" "kubectl ${KUBECTL_VERSION}"
install -m 0755 "$tmp/kind" "$tmp/kubectl" /usr/local/bin/
rm -rf "$tmp"
echo "installed kind ${KIND_VERSION} and kubectl ${KUBECTL_VERSION} (checksums verified)"
