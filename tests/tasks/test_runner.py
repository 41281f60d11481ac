"""The background runner: jobs run in the app's context with a commit, each kind of work
waits only for its own kind, and ids handed over in a burst are coalesced into batches."""

import threading

import sqlalchemy as sa

from app.extensions import db
from app.models import Distributor
from app.tasks.runner import Runner


def test_a_submitted_job_runs_in_the_app_context_and_is_committed(app):
    runner = Runner(app)

    def create(name: str) -> None:
        db.session.add(Distributor(name=name))  # the job flushes nothing: run_job commits

    runner.submit("misc", create, "Made in the background").result(timeout=10)
    runner.shutdown()
    with app.app_context():
        names = db.session.scalars(sa.select(Distributor.name)).all()
    assert names == ["Made in the background"]


def test_a_hung_kind_of_work_never_delays_another(app):
    runner = Runner(app)
    hung, released = threading.Event(), threading.Event()

    def hanging_mail() -> None:
        hung.set()
        released.wait(10)

    runner.submit("mail", hanging_mail)
    assert hung.wait(5)
    done = runner.submit("webhook", lambda: None)
    assert done.result(timeout=5) is None and not released.is_set()
    released.set()
    runner.shutdown()


def test_ids_handed_over_in_a_burst_are_coalesced_into_batches(app):
    runner = Runner(app)
    gate, batches = threading.Event(), []

    def job(ids: list[int]) -> None:
        gate.wait(10)
        batches.append(list(ids))

    for ids in ([1], [2, 3], [4], [5], [6]):  # while both webhook threads are held up
        runner.submit_ids("webhook", job, ids)
    gate.set()
    runner.shutdown()
    assert sorted(i for batch in batches for i in batch) == [1, 2, 3, 4, 5, 6]
    # At most one batch per thread, plus one that collects everything handed over meanwhile.
    assert len(batches) <= 3


def test_a_failing_batch_does_not_stop_the_ones_after_it(app):
    runner = Runner(app)
    seen = []

    def job(ids: list[int]) -> None:
        seen.append(list(ids))
        if ids == [1]:
            raise RuntimeError("boom")

    runner.submit_ids("webhook", job, [1])
    runner.pools["webhook"].submit(lambda: None).result(timeout=5)
    runner.submit_ids("webhook", job, [2])
    runner.shutdown()
    assert any(2 in batch for batch in seen)  # the queue is not stuck behind the failure
