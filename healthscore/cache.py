"""Redis cache that degrades instead of failing: with Redis down, reads miss and writes are
dropped (logged), so pages keep serving. The cache only ever holds what can be recomputed."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
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
