"""The mail outbox and its sender, against a real SMTP server (aiosmtpd): queued in the
caller's transaction, sent once, retried with backoff, dead when refused, never waiting on a
hung server, and a sender that died mid-batch loses and repeats nothing."""

import email
import email.policy
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import MailStatus, OutboxMail, Role
from app.services import alerts, mail_outbox, mail_render
from app.tasks import mail_jobs
from tests import factories
from tests.mail_server import smtp_config, start_smtp


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp) | {"MAIL_RETRY_BASE_S": 60, "MAIL_MAX_ATTEMPTS": 3}


def queue_tests(*addresses: str) -> None:
    for address in addresses:
        alerts.queue_test_mail(address, address)


def mails() -> list[OutboxMail]:
    db.session.rollback()  # a fresh read (another thread may have written)
    return list(db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)))


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_rolled_back_change_queues_nothing_and_a_committed_one_is_sent_once(app_ctx, smtp):
    queue_tests("gone@example.com")
    db.session.rollback()
    queue_tests("kept@example.com")
    db.session.commit()
    assert mail_jobs.send_pending() == {"sent": 1}
    assert mail_jobs.send_pending() == {}
    [(to, _)] = smtp.messages
    assert to == ["kept@example.com"]
    [message] = smtp.parsed()
    assert message["Subject"] == "[Meta Lead Desk] Test mail"
    assert "the desk can reach you" in message.get_body(("plain",)).get_content()
    assert "the desk can reach you" in message.get_body(("html",)).get_content()
    [mail] = mails()
    assert mail.status is MailStatus.SENT and mail.attempts == 1 and mail.sent_at is not None


def test_one_event_to_one_recipient_is_queued_once(app_ctx, smtp):
    queue_tests("a@example.com", "a@example.com")
    db.session.commit()
    queue_tests("a@example.com")
    db.session.commit()
    assert len(mails()) == 1
    mail_jobs.send_pending()
    assert len(smtp.messages) == 1


def test_smtp_down_then_up_delivers_each_mail_exactly_once(app_ctx, smtp):
    queue_tests("a@example.com", "b@example.com")
    db.session.commit()
    smtp.controller.stop()
    assert mail_jobs.send_pending() == {"unreachable": 2}
    assert mail_jobs.send_pending() == {}  # backing off: not due yet
    down = mails()
    assert {m.status for m in down} == {MailStatus.FAILED}
    assert all(m.next_attempt_at > later(30) for m in down) and down[0].last_error
    smtp.controller = start_smtp(smtp)
    assert mail_jobs.send_pending(later(120)) == {"sent": 2}
    assert mail_jobs.send_pending(later(3600)) == {}
    assert sorted(to[0] for to, _ in smtp.messages) == ["a@example.com", "b@example.com"]


def test_an_outage_is_logged_when_it_starts_and_ends_not_on_every_try(
    app_ctx, smtp, caplog, monkeypatch
):
    mail_jobs._outage.clear()
    smtp.controller.stop()
    caplog.set_level("DEBUG", logger="app.tasks.mail_jobs")
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        queue_tests(address)  # each new mail tries the server again
        db.session.commit()
        mail_jobs.send_pending()
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "SMTP unreachable" in warnings[0].getMessage()
    monkeypatch.setattr(mail_jobs, "REMIND_S", 0.0)  # the outage goes on past the reminder
    queue_tests("d@example.com")
    db.session.commit()
    mail_jobs.send_pending()
    assert "still unreachable" in caplog.records[-1].getMessage()
    smtp.controller = start_smtp(smtp)
    mail_jobs.send_pending(later(3600))
    messages = [r.getMessage() for r in caplog.records]
    assert any("reachable again" in m for m in messages)
    assert len(smtp.messages) == 4 and not mail_jobs._outage


def test_a_refused_recipient_is_dead_with_the_servers_reply(app_ctx, smtp):
    smtp.refuse.add("nobody@example.com")
    queue_tests("nobody@example.com", "ok@example.com")
    db.session.commit()
    assert mail_jobs.send_pending() == {"dead": 1, "sent": 1}
    dead, sent = mails()
    assert dead.status is MailStatus.DEAD and dead.last_error == "550 5.1.1 No such mailbox here"
    assert sent.status is MailStatus.SENT


def test_a_deferred_mail_backs_off_then_dies_after_the_last_attempt(app_ctx, smtp):
    smtp.later.add("busy@example.com")
    queue_tests("busy@example.com")
    db.session.commit()
    waits = []
    now = datetime.now(UTC)
    for _ in range(3):
        mail_jobs.send_pending(now)
        [mail] = mails()
        waits.append((mail.next_attempt_at - now).total_seconds())
        now = mail.next_attempt_at + timedelta(seconds=1)
    assert mail.status is MailStatus.DEAD and mail.attempts == 3
    assert mail.last_error == "451 4.3.0 Try again later"
    assert 45 <= waits[0] <= 75 and 90 <= waits[1] <= 150  # doubling, ±25 % jitter


def test_dead_mails_can_be_retried(app_ctx, smtp):
    smtp.refuse.add("later@example.com")
    queue_tests("later@example.com")
    db.session.commit()
    mail_jobs.send_pending()
    smtp.refuse.clear()
    assert mail_outbox.count_by_status().dead == 1
    assert mail_outbox.retry_mails() == 1
    db.session.commit()
    assert mail_jobs.send_pending() == {"sent": 1}
    assert mail_outbox.count_by_status() == mail_outbox.MailCounts(sent=1)


def test_a_sender_that_died_mid_batch_repeats_nothing_it_had_sent(app_ctx, smtp):
    queue_tests(*(f"r{n}@example.com" for n in range(5)))
    db.session.commit()
    batch = mail_jobs.claim_and_render(None, outcome := __import__("collections").Counter())
    db.session.commit()
    mail_jobs.deliver(batch[:2], outcome, None)  # … and the process is killed here
    assert len(smtp.messages) == 2
    assert mail_jobs.send_pending() == {}  # the dead sender's lease still holds the rest
    assert mail_jobs.send_pending(later(mail_outbox.lease().total_seconds() + 1)) == {"sent": 3}
    assert sorted(to[0] for to, _ in smtp.messages) == [f"r{n}@example.com" for n in range(5)]
    assert {m.status for m in mails()} == {MailStatus.SENT}


def test_two_senders_never_claim_the_same_mail(app, smtp):
    with app.app_context():
        queue_tests(*(f"r{n}@example.com" for n in range(40)))
        db.session.commit()
    claimed: list[list[int]] = []

    def claim() -> None:
        with app.app_context():
            with db.session.begin():
                claimed.append([m.id for m in mail_outbox.claim_due(limit=25)])
            db.session.remove()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = claimed
    assert not set(first) & set(second) and len(first) + len(second) == 40


def test_mail_headers_cannot_be_injected():
    assert mail_render.one_line("Ali\r\nBcc: x@evil.example\u2028y") == "Ali Bcc: x@evil.example y"


@pytest.mark.parametrize(
    "subject",
    ["New lead: Ali, hair transplant " * 6, "Yeni aday: Şükrü Öztürk — saç ekimi " * 4],
)
def test_a_built_message_reads_back_whole_with_every_line_short(app_ctx, subject):
    """The one-line header fast path: long ASCII values stay one line under RFC 5322's 998,
    a non-ASCII subject goes as folded encoded words, and a reader gets both back."""
    content = mail_render.Content(
        subject, "Merhaba ğüş", "<p>ğüş</p>", "https://x/u?t=" + "a" * 300
    )
    raw = mail_render.build_message(content, "to@example.com").as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == " ".join(subject.split())
    assert parsed["List-Unsubscribe"] == "<https://x/u?t=" + "a" * 300 + ">"
    assert parsed.get_body(("plain",)).get_content().strip() == "Merhaba ğüş"
    assert max(len(line) for line in raw.splitlines()) < 998
    if not subject.isascii():
        assert b"=?utf-8?b?" in raw and all(
            len(line) <= 78 for line in raw.splitlines() if b"=?utf-8?" in line
        )


def test_the_cli_sends_a_test_mail_and_the_pending_ones(app, runner, smtp):
    result = runner.invoke(args=["mail", "test", "--to", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.output and smtp.messages[0][0] == ["ops@example.com"]
    assert runner.invoke(args=["mail", "send-pending"]).output.strip() == "nothing due"
    smtp.controller.stop()
    result = runner.invoke(args=["mail", "test", "--to", "ops@example.com"])
    assert result.exit_code == 1 and "unreachable=1" in result.output


class TestHangingServer:
    @pytest.fixture
    def app_config(self, hanging_smtp):
        return smtp_config(hanging_smtp) | {"MAIL_TIMEOUT": 6.0, "MAIL_WORKER": True}

    def test_a_hung_smtp_server_holds_no_request_and_no_commit(self, app, client, users):
        with app.app_context():
            admin = db.session.get(factories.User, users["admin"])
            admin.email = "boss@example.com"
            assert admin.role is Role.SUPERADMIN
            queue_tests("a@example.com")
            started = time.monotonic()
            db.session.commit()  # wakes the sender on the runner's mail thread
            assert time.monotonic() - started < 1
        started = time.monotonic()
        for _ in range(5):
            assert client.get("/healthz").status_code == 200
        # The sender waits 6 s for a greeting meanwhile; the requests do not wait for it.
        assert time.monotonic() - started < 3
        deadline = time.monotonic() + 20
        with app.app_context():
            while time.monotonic() < deadline:
                [mail] = mails()
                if mail.status is MailStatus.FAILED:
                    break
                time.sleep(0.1)
            assert mail.status is MailStatus.FAILED and mail.last_error == "SMTP server timed out"
