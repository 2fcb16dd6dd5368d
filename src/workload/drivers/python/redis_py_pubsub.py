# Driver: a redis-py Sentinel subscriber (Sentinel(...).master_for(...).pubsub()), as a Synapse-style worker listens; reports every message and (re)subscription.
import os
import signal
import sys
import threading
import time

import redis
from redis.sentinel import Sentinel

from driver_common import Config, emit, op

cfg = Config()
channel = os.environ.get("CHANNEL", "sentinel-chaos")
# Under the secure profile: TLS to the sentinels (no user: they have none) and to the master, the master as the ACL user.
sentinel = Sentinel(cfg.sentinels, password=cfg.password, username=cfg.username, socket_timeout=1.0, sentinel_kwargs={"socket_timeout": 1.0, **cfg.tls}, **cfg.tls)
master = sentinel.master_for(cfg.master_name, password=cfg.password, username=cfg.username, socket_timeout=1.0, **cfg.tls)
cfg.use_password_file(master.connection_pool)  # REDIS_PASSWORD_FILE: read at each (re)connection
p = master.pubsub()

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())


def watch_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()
emit({"hello": {"client": "redis-py", "version": redis.__version__, "python": sys.version.split()[0], "api": "Sentinel.master_for().pubsub()"}})


def node():
    c = p.connection
    return f"{c.host}:{c.port}" if c is not None and getattr(c, "host", None) else None


deadline = time.monotonic_ns() + cfg.duration_ms * 1_000_000
up = False
while not stop.is_set() and time.monotonic_ns() < deadline:
    try:
        if not p.subscribed:
            p.subscribe(channel)
        m = p.get_message(timeout=0.2)
        if m is None:
            continue
        if m["type"] == "subscribe":
            # redis-py re-issues SUBSCRIBE itself when its connection comes back (PubSub.on_connect); the confirmation lands here.
            up = True
            emit(op("info", "subscribed", channel, node=node()))
        elif m["type"] == "message":
            data = m["data"]
            emit(op("ok", "receive", data.decode() if isinstance(data, bytes) else str(data)))
    except Exception as e:  # noqa: BLE001 - every interruption is reported
        if up:
            emit(op("info", "disconnected", channel, error=f"{type(e).__name__}: {e}"[:300]))
        up = False
        stop.wait(0.1)
emit({"bye": {}})
sys.stdout.flush()
os._exit(0)
