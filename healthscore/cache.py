"""Redis cache that degrades instead of failing: with Redis down, reads miss and writes are
dropped (logged), so pages keep serving. The cache only ever holds what can be recomputed."""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client makes a new redis.Redis for every command, and redis-py fills a table
    of some 170 reply callbacks for each: longer than a GET takes (70 µs against 45). One
    redis.Redis a pool serves every command instead, as redis-py means it to (it takes a
    connection from the pool for each command; Django keeps a cache object a thread)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient

    def _fallback(self, operation: str, exc: Exception, default=None):
        logger.warning("cache %s skipped, Redis unavailable: %s", operation, exc)
        return default

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except DOWN as exc:
            return self._fallback("get", exc, default)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except DOWN as exc:
            return self._fallback("get_many", exc, {})

    def set(self, key, value, timeout=None, version=None):  # noqa: A003 - Django's API
        try:
            return super().set(key, value, timeout, version)
        except DOWN as exc:
            return self._fallback("set", exc)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except DOWN as exc:
            # As if added: callers use add() to decide to do work, which must not be skipped.
            return self._fallback("add", exc, True)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except DOWN as exc:
            return self._fallback("incr", exc, 0)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except DOWN as exc:
            return self._fallback("delete", exc, False)

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except DOWN as exc:
            return self._fallback("set_many", exc, list(data))

    def has_key(self, key, version=None):
        # Asked by the session store before it goes to the database: a miss sends it there.
        try:
            return super().has_key(key, version)
        except DOWN as exc:
            return self._fallback("has_key", exc, False)
