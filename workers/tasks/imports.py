"""People imports from CSV (domain.imports.service): one task per import."""

from __future__ import annotations

from domain.imports import service as imports


async def run_people_import(ctx: dict, import_id: int) -> str:
    """arq may run this twice, or again after a worker died: a finished import is left
    alone and a running one carries on after its last committed batch. A long file is
    done by a chain of these, each within a time budget below the job timeout."""
    return await imports.run(import_id, clock=ctx["clock"], queue=ctx["queue"])


TASKS = [run_people_import]
CRON_JOBS: list = []
