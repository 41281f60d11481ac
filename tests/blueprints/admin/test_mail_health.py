"""The sync health page shows the mail outbox (queued, failed, dead) with a Retry."""

import sqlalchemy as sa

from app.extensions import db
from app.models import MailStatus, OutboxMail
from app.services import alerts


def test_health_shows_dead_mail_and_retry_makes_it_due(app, client, auth, users):
    with app.app_context():
        alerts.queue_test_mail("a@example.com", "1")
        alerts.queue_test_mail("b@example.com", "2")
        db.session.flush()
        dead = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).first()
        dead.status, dead.attempts, dead.last_error = MailStatus.DEAD, 8, "550 no such user"
        db.session.commit()
    auth.login("admin")
    page = client.get("/admin/health").get_data(as_text=True)
    assert 'data-mail-dead="1"' in page and "1 dead" in page and "Retry now" in page
    response = client.post("/admin/mail/retry", data={})
    assert response.headers["Location"].endswith("/admin/health#mail")
    with app.app_context():
        statuses = db.session.scalars(sa.select(OutboxMail.status)).all()
        assert statuses == [MailStatus.QUEUED, MailStatus.QUEUED]
    page = client.get("/admin/health").get_data(as_text=True)
    assert 'data-mail-dead="0"' in page and "Retry now" not in page
