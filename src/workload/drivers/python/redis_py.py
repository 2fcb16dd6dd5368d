# Driver: redis-py's Sentinel client (redis.sentinel.Sentinel(...).master_for(...)), as the seed's Python example connects.
import sys

import redis
from redis.exceptions import ResponseError
from redis.sentinel import MasterNotFoundError, Sentinel

from driver_common import Config, run, session_reads

cfg = Config()
# The seed's shape: Sentinel([...], password=...) then master_for(name, password=...); the sentinels have no password.
# Under the secure profile: TLS to the sentinels and to the master, the master as the ACL user.
sentinel = Sentinel(cfg.sentinels, password=cfg.password, username=cfg.username, sentinel_kwargs=dict(cfg.tls), **cfg.tls)
master = sentinel.master_for(cfg.master_name, password=cfg.password, username=cfg.username, db=cfg.db, **cfg.tls)
# REDIS_PASSWORD_FILE: the pools' connections read it at each connect (a rotated password from the next reconnection on).
pool = cfg.use_password_file(master.connection_pool)


def write(n, key):
    master.set(key, "1")
    # The address the pool resolved through Sentinel for its connections (redis-py exposes no per-reply peer).
    a = pool.master_address
    return f"{a[0]}:{a[1]}" if a else None


def classify(e):
    if isinstance(e, (ResponseError, MasterNotFoundError)):
        return "fail"
    # SentinelManagedConnection turns READONLY into ConnectionError("The previous master is now a slave"): refused, not applied.
    if "previous master is now a slave" in str(e):
        return "fail"
    return "info"


def master_node():
    a = pool.master_address
    return f"{a[0]}:{a[1]}" if a else None


# READS=1: sessions read back on the master path and from a replica through slave_for, as an application that
# spreads its reads does (the replica's address is not exposed per reply: node left out).
replica = sentinel.slave_for(cfg.master_name, password=cfg.password, username=cfg.username, db=cfg.db, **cfg.tls)
cfg.use_password_file(replica.connection_pool)
reads = session_reads(
    cfg,
    classify,
    setex=lambda key, ttl, value: (master.setex(key, ttl, value), master_node())[1],
    get=lambda key: (master.get(key), master_node()),
    replica_get=lambda key: (replica.get(key), None),
)
hello = {"client": "redis-py", "version": redis.__version__, "python": sys.version.split()[0], "api": "redis.sentinel.Sentinel.master_for"}
if reads:
    hello["reads"] = "master_for + slave_for"
run(cfg, hello, write, classify, tick_extra=reads)
