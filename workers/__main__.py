"""The worker process: `python -m workers` (what `talentloop worker` runs after its
checks). arq's worker on uvloop, the event loop uvicorn already gives the web processes.

Why uvloop: the campaign sender's SMTP replies wait for the event loop, and with the
standard loop its own overhead (callbacks, socket reads and writes) was a fifth of the
worker's CPU; a busy loop answers every reply later (B5: 8.6 ms per SMTP conversation
against 10.5 ms, 20 % less worker CPU per message). Tasks run the same either way.
"""

from __future__ import annotations

import asyncio
import logging.config

import uvloop


def run() -> None:
    from arq.logs import default_log_config
    from arq.worker import run_worker

    from workers.settings import WorkerSettings

    # arq's own command line sets up this logging (a line per job started and finished);
    # run_worker alone does not, and the worker said nothing but warnings.
    logging.config.dictConfig(default_log_config(verbose=False))
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    run_worker(WorkerSettings)  # type: ignore[arg-type]


if __name__ == "__main__":
    run()
