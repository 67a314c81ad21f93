"""The arq implementation of domain.ports.TaskQueue (arq stays behind this port)."""

from __future__ import annotations

from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 2
    return settings


class ArqTaskQueue:
    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    @classmethod
    async def connect(cls, redis_url: str) -> ArqTaskQueue:
        return cls(await create_pool(redis_settings(redis_url)))

    async def enqueue(self, task: str, *args: Any, job_id: str | None = None) -> bool:
        job = await self.pool.enqueue_job(task, *args, _job_id=job_id)
        return job is not None

    async def close(self) -> None:
        await self.pool.aclose()
