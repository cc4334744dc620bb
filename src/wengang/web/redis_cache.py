"""Django's Redis cache, without a new client object for every command.

Django's ``RedisCacheClient.get_client`` builds a ``redis.Redis`` around the connection pool on
each call; building one fills its table of ~170 response callbacks, about 0.1 ms of CPU, and a
portal page makes three or four calls (session read, renewal, its cards). A ``redis.Redis`` is
only a handle on the pool, safe to share (redis-py), so this keeps one per pool. Everything else
— pools, serialisation, keys, timeouts, a fork re-opening connections — is Django's and
redis-py's. ``CACHES["default"]["BACKEND"] = "wengang.web.redis_cache.RedisCache"``.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
