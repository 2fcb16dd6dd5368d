# The JSON-lines driver protocol for Python drivers: config from env, one write per tick, app timeout, late oks, stop on stdin EOF / SIGTERM.
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Config:
    def __init__(self):
        env = os.environ
        self.sentinels = [(h, int(p)) for h, p in (a.rsplit(":", 1) for a in env.get("SENTINELS", "").split())]
        self.master_name = env.get("MASTER_NAME", "mymaster")
        self.password = env.get("REDIS_PASSWORD") or None
        # REDIS_PASSWORD_FILE: the application's file of the mounted ACL Secret, read at each new connection (see reading_password).
        self.password_file = env.get("REDIS_PASSWORD_FILE") or None
        service = env.get("SERVICE", "")
        self.service = (service.rsplit(":", 1)[0], int(service.rsplit(":", 1)[1])) if service else None
        self.db = int(env.get("DB", "0"))
        self.rate = float(env.get("RATE", "50"))
        self.duration_ms = int(env.get("DURATION_MS", "60000"))
        self.prefix = env.get("KEY_PREFIX", "driver")
        self.timeout_ms = int(env.get("TIMEOUT_MS", "1000"))
        self.max_in_flight = int(env.get("MAX_IN_FLIGHT", "16"))
        # The secure profile: an ACL user, and TLS with the run's CA and a client certificate (paths).
        self.username = env.get("REDIS_USER") or None
        ca = env.get("TLS_CA")
        # redis-py loads the ssl_* files from their paths at every new connection (SSLConnection._connect): a
        # rotated certificate or CA in the mounted Secret is used from the next reconnection on.
        # tls_files: an SSLConnection's arguments (a pool of rediss:// takes these, not ssl=True); tls: a client's or a Sentinel pool's.
        self.tls_files = {"ssl_ca_certs": ca, "ssl_certfile": env.get("TLS_CERT"), "ssl_keyfile": env.get("TLS_KEY")} if ca else {}
        self.tls = {"ssl": True, **self.tls_files} if ca else {}

    def reading_password(self, cls):
        """cls, or with REDIS_PASSWORD_FILE a subclass whose connections read the password from the file at each connect.

        redis-py 4.3.4 fixes a connection's password when the pool builds it and has no credential_provider; a
        connection object is reused across reconnections, so the password is set again just before its AUTH."""
        path = self.password_file
        if not path:
            return cls

        def on_connect(conn):
            conn.password = read_secret_file(path)
            super(sub, conn).on_connect()

        sub = type(f"{cls.__name__}ReadingPasswordFile", (cls,), {"on_connect": on_connect})
        return sub

    def use_password_file(self, pool):
        """Make the pool's future connections read the password file at each connect (before its first connection)."""
        pool.connection_class = self.reading_password(pool.connection_class)
        return pool


_out = threading.Lock()
# Every password this driver has read (REDIS_PASSWORD, each value of REDIS_PASSWORD_FILE): masked in what it prints.
_secrets = {s for s in [os.environ.get("REDIS_PASSWORD") or ""] if len(s) >= 4}


def read_secret_file(path):
    """A Secret file's value as a Kubernetes application reads it: the content, one trailing newline dropped."""
    with open(path, encoding="utf-8") as f:
        value = f.read()
    value = value[:-1] if value.endswith("\n") else value
    if len(value) >= 4:
        _secrets.add(value)
    return value


def emit(obj):
    line = json.dumps(obj, separators=(",", ":"))
    for secret in list(_secrets):
        line = line.replace(secret, "***")  # a driver never prints a password, even inside an error text
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def op(kind, f, key, **extra):
    o = {"type": kind, "f": f, "key": key, "ns": time.monotonic_ns()}
    o.update({k: v for k, v in extra.items() if v is not None})
    return o


def django_cache(cfg, mode):
    """The CACHES["default"] entry and DJANGO_REDIS_CONNECTION_FACTORY of a Django application on django-redis.

    mode "service": the seed's settings.py, LOCATION redis://SERVICE/DB with OPTIONS PASSWORD; under the secure
    profile rediss:// (ConnectionPool.from_url then makes SSLConnections) with the CA and client certificate and the
    ACL user in CONNECTION_POOL_KWARGS. mode "sentinel": SentinelClient + SentinelConnectionFactory, LOCATION
    redis://MASTER_NAME/DB; under the secure profile CONNECTION_POOL_KWARGS has ssl=True (SentinelConnectionPool then
    makes SentinelManagedSSLConnections; a rediss:// LOCATION would make plain SSLConnections that ignore failover)
    and SENTINEL_KWARGS the TLS settings alone (the sentinels have no ACL users).
    """
    options = {"PASSWORD": cfg.password}
    pool_kwargs = {"username": cfg.username} if cfg.username else {}
    if mode == "sentinel":
        location = f"redis://{cfg.master_name}/{cfg.db}"
        options.update(CLIENT_CLASS="django_redis.client.SentinelClient", SENTINELS=cfg.sentinels)
        pool_kwargs.update(cfg.tls)
        if cfg.tls:
            options["SENTINEL_KWARGS"] = dict(cfg.tls)
        factory = "django_redis.pool.SentinelConnectionFactory"
        if cfg.password_file:
            # The class SentinelConnectionPool would pick (ssl=True: the SSL one), reading the password file at each connect.
            from redis.sentinel import SentinelManagedConnection, SentinelManagedSSLConnection

            pool_kwargs["connection_class"] = cfg.reading_password(SentinelManagedSSLConnection if cfg.tls else SentinelManagedConnection)
    else:
        location = f"{'rediss' if cfg.tls else 'redis'}://{cfg.service[0]}:{cfg.service[1]}/{cfg.db}"
        pool_kwargs.update(cfg.tls_files)
        factory = "django_redis.pool.ConnectionFactory"
        if cfg.password_file:
            # ConnectionPool.from_url keeps a connection_class given beside the URL (rediss:// would make it SSLConnection).
            from redis.connection import Connection, SSLConnection

            pool_kwargs["connection_class"] = cfg.reading_password(SSLConnection if cfg.tls else Connection)
    if pool_kwargs:
        options["CONNECTION_POOL_KWARGS"] = pool_kwargs
    # Django's keys are <KEY_PREFIX>:<version>:<key>: under the driver's prefix (an application user's ~<app>:* pattern).
    return {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "OPTIONS": options, "KEY_PREFIX": cfg.prefix.rstrip(":")}, factory


def run(cfg, hello, write, classify, key_of=None, tick_extra=None, describe=None):
    """write(n, key) -> node | None, run in a worker after the invoke line; classify(exc) -> 'fail' | 'info'.

    key_of(n) is the Redis key tick n writes (default <prefix>:<n>); tick_extra(n) runs in a worker after each
    write is issued (extra operations: reads, updates) and reports its own lines.
    """
    key_of = key_of or (lambda n: f"{cfg.prefix}:{n}")
    describe = describe or (lambda e: f"{type(e).__name__}: {e}")
    emit({"hello": hello})
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    lock = threading.Lock()
    pending = {}  # key -> [deadline_ns, timed_out]
    in_flight = [0]
    skipped = [0]
    pool = ThreadPoolExecutor(max_workers=cfg.max_in_flight)
    timeout_ns = cfg.timeout_ms * 1_000_000

    def job(n, key):
        try:
            node = write(n, key)
            err = None
        except Exception as e:  # noqa: BLE001 - every failure is reported, classified
            err = e
        with lock:
            in_flight[0] -= 1
            p = pending.pop(key, None)
            timed_out = p is not None and p[1]
            if err is None:
                emit(op("ok", "write", key, node=node, late=True if timed_out else None))
            elif not timed_out:
                emit(op(classify(err), "write", key, error=describe(err)[:300]))

    start = time.monotonic_ns()
    deadline = start + cfg.duration_ms * 1_000_000
    period = 1e9 / cfg.rate
    n = 0
    while not stop.is_set() and time.monotonic_ns() < deadline:
        now = time.monotonic_ns()
        with lock:
            for key, p in pending.items():
                if not p[1] and now >= p[0]:
                    p[1] = True
                    emit(op("info", "write", key, error=f"no reply within {cfg.timeout_ms} ms (client timeout)"))
        due = int((now - start) / period) + 1
        while n < due:
            key = key_of(n)
            with lock:
                if in_flight[0] >= cfg.max_in_flight:
                    skipped[0] += due - n
                    n = due
                    break
                in_flight[0] += 1
                emit(op("invoke", "write", key))
                pending[key] = [time.monotonic_ns() + timeout_ns, False]
            pool.submit(job, n, key)
            if tick_extra:
                pool.submit(tick_extra, n)
            n += 1
        nxt = start + n * period
        stop.wait(max(0.0, min((nxt - time.monotonic_ns()) / 1e9, 0.02)))
    # Drain: wait for replies up to the timeout; what is still pending stays indeterminate.
    drain_end = time.monotonic_ns() + timeout_ns
    while time.monotonic_ns() < drain_end:
        with lock:
            if in_flight[0] == 0:
                break
        time.sleep(0.01)
    with lock:
        now = time.monotonic_ns()
        for key, p in pending.items():
            if not p[1]:
                p[1] = True
                emit(op("info", "write", key, error="no reply before the driver stopped"))
        emit({"bye": {"skipped": skipped[0]}})
    sys.stdout.flush()
    os._exit(0)  # worker threads may be blocked in a socket read: do not wait for them


def session_reads(cfg, classify, setex, get, replica_get=None):
    """tick_extra for READS=1: every READ_EVERY-th tick a session (one of SESSIONS keys, each used by one step at a
    time) writes SETEX key TTL n, reads it back on the master path (f "read") and, with replica_get, from a replica
    (f "replica-read"), each reported with the value written or read (None: missing). setex(key, ttl, value) and
    get(key) return the node that answered or None; get and replica_get return (value, node)."""
    if os.environ.get("READS") != "1":
        return None
    every = max(1, int(os.environ.get("READ_EVERY", "5")))
    sessions = max(1, int(os.environ.get("SESSIONS", "4")))
    ttl = int(os.environ.get("SESSION_TTL_S", "3600"))
    busy = [threading.Lock() for _ in range(sessions)]
    pool = ThreadPoolExecutor(max_workers=sessions)

    def one(f, key, call, value=None):
        emit(op("invoke", f, key, **({"value": value} if f == "setex" else {})))
        try:
            res = call()
        except Exception as e:  # noqa: BLE001 - reported, classified
            emit(op(classify(e), f, key, error=f"{type(e).__name__}: {e}"[:300]))
            return False
        if f == "setex":
            emit(op("ok", f, key, node=res))
        else:
            v, node = res
            o = op("ok", f, key, node=node)
            o["value"] = v.decode() if isinstance(v, bytes) else v
            emit(o)
        return True

    def step(n, lock):
        try:
            key = f"{cfg.prefix}:session:{(n // every) % sessions}"
            if one("setex", key, lambda: setex(key, ttl, str(n)), value=str(n)):
                one("read", key, lambda: get(key))
                if replica_get:
                    one("replica-read", key, lambda: replica_get(key))
        finally:
            lock.release()

    def tick(n):
        if n % every:
            return
        lock = busy[(n // every) % sessions]
        if lock.acquire(blocking=False):  # the session's previous step still waits for a reply: skip this one
            pool.submit(step, n, lock)

    return tick
