#!/usr/bin/env bash
# Laptop run of the suite on kind with Chaos Mesh as the fault backend: creates the kind cluster from
# kind-config.yaml, installs Chaos Mesh from its Helm chart (pinned), runs the suite with
# --fault-backend chaos-mesh, and deletes the cluster unless KEEP=1. Needs Docker, kind, helm, Node 24.
# Never run on this project's development machine (no Docker engine there): treat its first results as new.
set -euo pipefail

CHAOS_MESH_VERSION="${CHAOS_MESH_VERSION:-2.8.3}"
TRIALS="${TRIALS:-1}"
cd "$(dirname "$0")/.."
CLUSTER="$(sed -n 's/^name: *//p' kind-config.yaml | head -n 1)"
CLUSTER="${CLUSTER:-kind}"

for tool in docker kind helm npm; do
  command -v "$tool" >/dev/null || { echo "missing $tool on PATH" >&2; exit 2; }
done

cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then kind delete cluster --name "$CLUSTER"; fi
}
if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --config kind-config.yaml --wait 120s
fi
trap cleanup EXIT

helm repo add chaos-mesh https://charts.chaos-mesh.org >/dev/null
helm repo update chaos-mesh >/dev/null
# kind runs containerd: the chaos daemon needs its socket. DNSChaos (dns-record-gone) needs Chaos Mesh's
# DNS server (the chart's default in 2.8.3; set explicitly so an older pin does not drop it).
helm upgrade --install chaos-mesh chaos-mesh/chaos-mesh \
  --kube-context "kind-$CLUSTER" --namespace chaos-mesh --create-namespace \
  --version "$CHAOS_MESH_VERSION" \
  --set chaosDaemon.runtime=containerd \
  --set chaosDaemon.socketPath=/run/containerd/containerd.sock \
  --set dnsServer.create=true \
  --wait --timeout 5m

# Objects a previously killed run left behind (by label), then the suite.
npm run chaos -- down --target kind
npm run chaos -- --target kind --reuse --keep --fault-backend chaos-mesh --trials "$TRIALS" --report-dir reports "$@"
