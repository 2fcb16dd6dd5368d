#!/usr/bin/env bash
# Installs everything sentinel-chaos needs on a fresh Debian/Ubuntu machine: redis, sentinel, nftables, prometheus and redis_exporter (monitoring), chromium (report tests), a Docker engine and the container target's images, npm deps (with Node 24).
set -euo pipefail
cd "$(dirname "$0")/.."
# dockerd, dnsmasq live in /usr/sbin, which a non-root PATH may lack.
PATH="$PATH:/usr/sbin:/sbin"

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v nft >/dev/null || missing+=(nftables)
# npm test shellchecks the pods' scripts and this repo's shell (npm run lint:shell).
command -v shellcheck >/dev/null || missing+=(shellcheck)
# The secure profile (--profile secure) makes its CA and certificates per run with openssl.
command -v openssl >/dev/null || missing+=(openssl)
# The clock shim (native/clock-offset.c) the local and docker targets preload into the sentinels is built with gcc at start-up.
command -v gcc >/dev/null || missing+=(gcc)
# The role-labeller sidecar patches its pod's label with curl (the local target runs it as-is).
command -v curl >/dev/null || missing+=(curl)
# Headless Chromium renders the HTML report in the tests (no browser download: Debian's package).
command -v chromium >/dev/null || missing+=(chromium)
# The container target (--target docker): an engine, mmdebstrap to build its images from Debian's
# packages, and dnsmasq for the pods' DNS names (dnsmasq-base: the binary without a system service
# listening on every interface).
command -v dockerd >/dev/null || missing+=(docker.io)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v dnsmasq >/dev/null || missing+=(dnsmasq-base)
# The docker target's CPU / memory pressure (fault kind stress) runs stress-ng inside a container's cgroups.
command -v stress-ng >/dev/null || missing+=(stress-ng)
# The real-client drivers (src/workload/drivers/): Debian's redis-py, Django + django-redis, the redis gem.
# Always /usr/bin/python3: a pyenv python first on PATH does not see Debian's packages.
/usr/bin/python3 -c 'import redis.sentinel' 2>/dev/null || missing+=(python3-redis)
/usr/bin/python3 -c 'import django' 2>/dev/null || missing+=(python3-django)
/usr/bin/python3 -c 'import django_redis' 2>/dev/null || missing+=(python3-django-redis)
/usr/bin/ruby -e 'require "redis"' 2>/dev/null || missing+=(ruby-redis)
# The metrics push test (run --push URL) checks what Debian's real Pushgateway stores.
command -v prometheus-pushgateway >/dev/null || missing+=(prometheus-pushgateway)
# Monitoring (--monitoring, conformance group monitoring): the exporter sidecars run Debian's redis_exporter;
# the harness starts Prometheus on loopback; promtool (in prometheus) checks monitoring/alerts.yaml.
command -v prometheus-redis-exporter >/dev/null || missing+=(prometheus-redis-exporter)
command -v prometheus >/dev/null || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
fi

# The `node` devDependency puts Node 24 first on PATH for every npm script, whatever node runs npm.
npm ci --no-audit --no-fund

# Start the engine unless one answers (root only; no bridge, no iptables), then build the images that are
# missing or whose recipe changed (a cache hit is one `docker image inspect` each).
if [ "$(id -u)" -eq 0 ]; then
  ./scripts/docker-engine.sh start
  node_modules/.bin/node scripts/build-images.ts
elif ./scripts/docker-engine.sh status >/dev/null 2>&1; then
  node_modules/.bin/node scripts/build-images.ts
else
  echo "setup: no docker engine answers; start one (sudo scripts/docker-engine.sh start) for --target docker"
fi
