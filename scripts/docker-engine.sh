#!/usr/bin/env bash
# Starts, reports on or stops the Docker engine the container target (--target docker) runs on, when no
# service manager runs one. The engine makes no bridge and touches no iptables: every container uses
# host networking on a loopback address, so nothing here needs a subnet outside 127.0.0.0/8.
#   scripts/docker-engine.sh start    start dockerd unless an engine already answers; wait until it does
#   scripts/docker-engine.sh status   exit 0 when an engine answers (prints version, storage, cgroup)
#   scripts/docker-engine.sh stop     stop the dockerd this script started (by its pid file), if any
set -euo pipefail

PID_FILE=/var/run/sentinel-chaos-dockerd.pid
LOG_FILE=/var/log/sentinel-chaos-dockerd.log
# dockerd 20.10 answers within 1-2 s here; 60 s bounds a slow first start (it creates /var/lib/docker).
WAIT_S=${SENTINEL_CHAOS_DOCKERD_WAIT_S:-60}

answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

status() {
  if answers; then
    timeout 10 docker info --format 'engine {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}'
    return 0
  fi
  echo "no docker engine answers (start one: scripts/docker-engine.sh start)" >&2
  return 1
}

start() {
  if answers; then
    status
    return 0
  fi
  command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io (or run scripts/setup.sh)" >&2; exit 2; }
  [ "$(id -u)" -eq 0 ] || { echo "starting dockerd needs root: sudo $0 start" >&2; exit 2; }
  # A pid file left by a dockerd that died would make the new one refuse to start.
  if [ -f "$PID_FILE" ] && ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then rm -f "$PID_FILE"; fi
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
  setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false --pidfile="$PID_FILE" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  local waited=0
  until answers; do
    if [ "$waited" -ge "$WAIT_S" ]; then
      echo "dockerd did not answer within ${WAIT_S}s; its log: $LOG_FILE" >&2
      tail -n 5 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  status
}

stop() {
  if [ ! -f "$PID_FILE" ]; then
    echo "no dockerd started by this script (no $PID_FILE)"
    return 0
  fi
  local pid
  pid=$(cat "$PID_FILE")
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 30 ]; then
      echo "dockerd $pid did not stop within 30s" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  echo "dockerd $pid stopped"
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac
