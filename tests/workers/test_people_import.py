"""A people import runs in the real arq worker from the outbox row its start wrote."""

from domain.db import fetchval
from domain.imports import service as imports
from workers.settings import WorkerSettings

CSV = b"email,name\n" + b"".join(f"p{i}@example.com,Person {i}\n".encode() for i in range(50))


def test_the_import_task_is_registered_with_the_worker():
    assert imports.TASK in {function.__name__ for function in WorkerSettings.functions}


async def test_a_started_import_is_run_by_the_worker_once(clock, queue, worker_burst):
    import_id = await imports.upload(filename="list.csv", data=CSV, by="rita@corp.test",
                                     clock=clock)
    await imports.save_mapping(import_id, {"column-0": "email", "column-1": "full_name",
                                           "lawful_basis": "legitimate_interest"},
                               by="rita@corp.test", clock=clock)
    await imports.start(import_id, by="rita@corp.test", clock=clock, queue=queue)
    await worker_burst()

    found = await imports.get(import_id)
    assert (found["status"], found["processed_rows"], found["created_people"]) == ("done", 50,
                                                                                  50)
    assert await fetchval("SELECT count(*) FROM outbox_messages WHERE enqueued_at IS NULL") == 0
    # arq may deliver it again: nothing changes.
    await queue.enqueue(imports.TASK, import_id)
    await worker_burst()
    assert await fetchval("SELECT count(*) FROM people") == 50


async def test_a_run_out_of_time_hands_over_to_a_follow_up_task(clock, queue, worker_burst):
    import_id = await imports.upload(filename="list.csv", data=CSV, by="rita@corp.test",
                                     clock=clock)
    await imports.save_mapping(import_id, {"column-0": "email",
                                           "lawful_basis": "legitimate_interest"},
                               by="rita@corp.test", clock=clock)
    await imports.start(import_id, by="rita@corp.test", clock=clock, queue=None)
    # A budget of nothing: one batch is committed, then the rest goes to a new task.
    assert await imports.run(import_id, clock=clock, queue=queue, budget=0) == "continued"
    found = await imports.get(import_id)
    assert (found["status"], found["processed_rows"]) == ("running", 50)
    await worker_burst()
    assert (await imports.get(import_id))["status"] == "done"
    assert await fetchval("SELECT count(*) FROM people") == 50
