#!/usr/bin/env bash
# Installs everything sentinel-chaos needs on a fresh Debian/Ubuntu machine: redis, sentinel, nftables, chromium (report tests), npm deps (with Node 24).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v nft >/dev/null || missing+=(nftables)
# The role-labeller sidecar patches its pod's label with curl (the local target runs it as-is).
command -v curl >/dev/null || missing+=(curl)
# Headless Chromium renders the HTML report in the tests (no browser download: Debian's package).
command -v chromium >/dev/null || missing+=(chromium)
# The metrics push test (run --push URL) checks what Debian's real Pushgateway stores.
command -v prometheus-pushgateway >/dev/null || missing+=(prometheus-pushgateway)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
fi

# The `node` devDependency puts Node 24 first on PATH for every npm script, whatever node runs npm.
npm ci --no-audit --no-fund
