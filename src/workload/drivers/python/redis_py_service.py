# Driver: redis-py's plain client (redis.Redis(host=SERVICE, db=DB)), as a Python application configured with the redis Service.
import sys

import redis
from redis.exceptions import ResponseError

from driver_common import Config, run, session_reads

cfg = Config()
if cfg.service is None:
    sys.exit("SERVICE is not set: this driver connects through the redis Service")
# redis-py's defaults: no socket timeout (the application timeout lives in the loop), a pooled connection kept while it answers.
client = redis.Redis(host=cfg.service[0], port=cfg.service[1], username=cfg.username, password=cfg.password, db=cfg.db, **cfg.tls)
# REDIS_PASSWORD_FILE: the pool's connections read it at each connect (a rotated password from the next reconnection on).
cfg.use_password_file(client.connection_pool)
service = f"{cfg.service[0]}:{cfg.service[1]}"


def write(n, key):
    client.set(key, "1")
    return service


def classify(e):
    # READONLY (ReadOnlyError), NOAUTH, OOM …: refused by the server, not applied.
    return "fail" if isinstance(e, ResponseError) else "info"


# READS=1: sessions read back on the master path, i.e. through the Service (a plain client has no replica path).
reads = session_reads(
    cfg,
    classify,
    setex=lambda key, ttl, value: (client.setex(key, ttl, value), service)[1],
    get=lambda key: (client.get(key), service),
)
hello = {"client": "redis-py", "version": redis.__version__, "python": sys.version.split()[0], "api": "redis.Redis(host=SERVICE)"}
if reads:
    hello["reads"] = "redis.Redis(host=SERVICE)"
run(cfg, hello, write, classify, tick_extra=reads)
