# Driver: Django's cache-backed session store on django-redis, through the redis Service (the seed's settings.py) or Sentinel.
import os
import sys

import django
from django.conf import settings

from driver_common import Config, django_cache, emit, op, run

cfg = Config()
mode = os.environ.get("DJANGO_REDIS_MODE", "service")
# The seed: 'LOCATION': 'redis://redis.matrix.svc.cluster.local:6379/2', 'OPTIONS': {'PASSWORD': ...}; or through Sentinel.
cache_settings, factory = django_cache(cfg, mode)
settings.configure(
    CACHES={"default": cache_settings},
    DJANGO_REDIS_CONNECTION_FACTORY=factory,
    SESSION_ENGINE="django.contrib.sessions.backends.cache",
    SESSION_CACHE_ALIAS="default",
    INSTALLED_APPS=["django.contrib.sessions"],
    SECRET_KEY="sentinel-chaos-driver",
)
django.setup()
import django_redis  # noqa: E402
from django.contrib.sessions.backends.cache import SessionStore  # noqa: E402
from django.core.cache import cache  # noqa: E402
from redis.exceptions import ResponseError  # noqa: E402
from redis.sentinel import MasterNotFoundError  # noqa: E402


class Store(SessionStore):
    """Session keys named after the tick, so the harness can read every one back."""

    def __init__(self, session_key=None, new_key=None):
        super().__init__(session_key)
        self._new_key = new_key

    def _get_new_session_key(self):
        # create() retries with a new key while SET NX answers "exists"; here the key exists only if an earlier
        # attempt of this very write was applied (a retried command), so it must not loop on it.
        if self._new_key is None:
            raise KeyExists("SET NX found the session already there: an earlier attempt of this write was applied")
        key, self._new_key = self._new_key, None
        return key


class KeyExists(Exception):
    pass


acked = set()


def redis_key(session_key):
    return str(cache.make_key(Store(session_key).cache_key))


def node():
    if mode == "service":
        return f"{cfg.service[0]}:{cfg.service[1]}"
    pool = cache.client.get_client(write=True).connection_pool
    a = getattr(pool, "master_address", None)
    return f"{a[0]}:{a[1]}" if a else None


def session_name(n):
    return f"{cfg.prefix.replace(':', '-')}-{n:08d}"


def write(n, key):
    s = Store(new_key=session_name(n))
    s["user"] = n
    s.create()  # cache.add(): a SET NX through the cache backend
    acked.add(n)
    return node()


def classify(e):
    # django-redis wraps the client's errors in ConnectionInterrupted; the cause says what happened.
    cause = e.__cause__ or e
    if isinstance(cause, (ResponseError, MasterNotFoundError)) or "previous master is now a slave" in str(cause):
        return "fail"
    return "info"


def describe(e):
    cause = e.__cause__
    return f"{type(e).__name__}: {e}" + (f" ({type(cause).__name__}: {cause})" if cause else "")


def read_and_update(n):
    # Every 10th tick: read a session created (and acknowledged) 5 ticks ago and update it (SET), as a
    # request of a logged-in user does. A session that reads back empty fails the read.
    m = n - 5
    if n % 10 or m not in acked:
        return
    key = redis_key(session_name(m))
    f = "read"
    emit(op("invoke", f, key))
    try:
        s = Store(session_name(m))
        # What SessionStore.load() reads, without its `except Exception` that turns any cache error (a connection
        # lost in a failover) into an empty session: "session not found" is then a session the cache did not hold.
        data = cache.get(s.cache_key)
        found = data is not None and data.get("user") == m
        emit(op("ok", f, key, node=node()) if found else op("fail", f, key, error="session not found"))
        if found:
            f = "update"
            emit(op("invoke", f, key))
            s["seen"] = n
            s.save()
            emit(op("ok", f, key, node=node()))
    except Exception as e:  # noqa: BLE001
        emit(op(classify(e), f, key, error=describe(e)[:300]))


def key_of(n):
    return redis_key(session_name(n))


run(
    cfg,
    {"client": "django-redis", "version": ".".join(map(str, django_redis.VERSION)), "django": django.get_version(), "python": sys.version.split()[0], "mode": mode, "session_engine": "django.contrib.sessions.backends.cache"},
    write,
    classify,
    key_of=key_of,
    tick_extra=read_and_update,
    describe=describe,
)
