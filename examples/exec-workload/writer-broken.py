#!/usr/bin/python3
# BROKEN on purpose: acknowledges every 10th write without sending it; the write-loss checker must catch it.
import json, os, sys, threading, time
import redis
from redis.sentinel import Sentinel
e = os.environ
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
timeout = int(e.get("TIMEOUT_MS", "1000")) / 1000
s = Sentinel([(h, int(p)) for h, p in (a.rsplit(":", 1) for a in e["SENTINELS"].split())], socket_timeout=timeout)
m = s.master_for(e["MASTER_NAME"], password=e.get("REDIS_PASSWORD"), db=int(e.get("DB", "0")), socket_timeout=timeout)
print(json.dumps({"hello": {"client": "redis-py", "version": redis.__version__}}), flush=True)
out = lambda t, k, **x: print(json.dumps({"type": t, "f": "write", "key": k, "ns": time.monotonic_ns(), **x}), flush=True)
end, n = time.monotonic() + int(e.get("DURATION_MS", "60000")) / 1000, 0
while not stop.is_set() and time.monotonic() < end:
    k, n = f"{e['KEY_PREFIX']}:{n}", n + 1
    out("invoke", k)
    try:
        n % 10 == 0 or m.set(k, "1"); out("ok", k)
    except Exception as x:  # indeterminate: it may or may not have been applied
        out("info", k, error=type(x).__name__)
    stop.wait(1 / float(e.get("RATE", "50")))
