"""Periodic jobs run once per period however many servers run the scheduler."""

import threading
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.services import job_leases
from app.tasks.scheduler import claimed, run_job

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_the_first_claim_wins_the_period_and_the_next_period_is_claimable(app):
    with app.app_context():
        assert job_leases.claim("decay_scores", HOUR, T0)
        db.session.commit()
        assert not job_leases.claim("decay_scores", HOUR, T0 + timedelta(seconds=5))
        assert not job_leases.claim("decay_scores", HOUR, T0 + timedelta(minutes=50))
        db.session.commit()
        # A timer that fires a little early next period still gets it.
        assert job_leases.claim("decay_scores", HOUR, T0 + timedelta(minutes=59, seconds=30))
        db.session.commit()
        assert job_leases.claim("check_tokens", HOUR, T0)  # each job has its own period
        db.session.commit()


def test_concurrent_claims_of_one_period_let_exactly_one_server_run(app):
    winners, barrier = [], threading.Barrier(4)

    def server() -> None:
        with app.app_context():
            barrier.wait()
            try:
                if job_leases.claim("deep_sweep", timedelta(days=1), T0):
                    winners.append(threading.get_ident())
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=server) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(winners) == 1
    with app.app_context():
        lease = job_leases.get_lease("deep_sweep")
        assert lease.claimed_by and lease.claimed_by.endswith(str(winners[0]))


def test_a_claimed_job_runs_on_one_of_two_schedulers(app):
    ran = []

    def backup_database() -> None:
        ran.append(1)

    for _ in range(2):  # two servers' schedulers fire the same job
        run_job(app, claimed(backup_database, HOUR))
    assert ran == [1]
