"""The arq implementation of domain.ports.TaskQueue (arq stays behind this port)."""

from __future__ import annotations

from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix


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

    async def waiting(self, job_id_prefix: str) -> set[str]:
        # A queued job sits in the queue's sorted set; once a worker starts it, it also
        # has an "in progress" key (a dead worker's lingers until it expires). Reads the
        # whole queue's ids: a few thousand even mid-way through a million-person send.
        queued = [job_id.decode() for job_id in await self.pool.zrange(
            self.pool.default_queue_name, 0, -1)]
        mine = [job_id for job_id in queued if job_id.startswith(job_id_prefix)]
        if not mine:
            return set()
        async with self.pool.pipeline(transaction=False) as pipe:
            for job_id in mine:
                pipe.exists(in_progress_key_prefix + job_id)
            started = await pipe.execute()
        return {job_id for job_id, running in zip(mine, started, strict=True) if not running}

    async def close(self) -> None:
        await self.pool.aclose()
