"""The new-lead alerts to a distributor's contact address carry an unsubscribe link and the
List-Unsubscribe headers (signed, non-expiring, naming the address): GET shows the choice, a
POST without a CSRF token stops them, an admin turns them back on. Real mails, real SMTP."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import Distributor
from app.services import accounts, notification_prefs
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.tasks import mail_jobs
from tests.mail_server import smtp_config
from tests.services.test_notifications import raw_lead


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp) | {"ALERT_MIN_SCORE": 0, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def distributor_id(app):
    with app.app_context():
        distributor = accounts.create_distributor("MSH", "Partner@Example.com", "tr")
        db.session.commit()
        return distributor.id


def alert(app, smtp, distributor_id: int, n: int) -> list:
    """Store one fresh lead of the distributor and send what is due: the mails it received."""
    with app.app_context():
        before = len(smtp.messages)
        ingest_raw_leads([raw_lead(n)], LeadSource(distributor_id, "1", "2", None))
        db.session.commit()
        mail_jobs.send_pending(datetime.now(UTC) + timedelta(minutes=2))
        return [m for m in smtp.parsed()[before:] if m["To"] == "Partner@Example.com"]


def notified(app, distributor_id: int) -> bool:
    with app.app_context():
        return db.session.get(Distributor, distributor_id).notify_new_leads


def test_a_distributors_alert_unsubscribes_in_one_click_without_csrf(
    app, client, distributor_id, smtp
):
    [message] = alert(app, smtp, distributor_id, 1)
    url = message["List-Unsubscribe"].strip().strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.get_body(("plain",)).get_content()
    path = urlsplit(url).path
    page = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Stop these mails?" in page and "New-lead alerts for MSH" in page
    assert "your company's contact address" in page.replace("&#39;", "'")
    assert "account page" not in page  # a distributor's contact has no account here
    assert notified(app, distributor_id)  # a GET (a mail scanner following links) stops nothing
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and notified(app, distributor_id) is False
    assert alert(app, smtp, distributor_id, 2) == []  # no more alerts to that address


def test_the_link_is_bound_to_the_address_and_cannot_be_forged(app, client, distributor_id):
    with app.app_context():
        old = notification_prefs.distributor_token(distributor_id, "Partner@Example.com")
        forged = notification_prefs.serializer().dumps(["d", distributor_id + 1, "x@example.com"])
        distributor = db.session.get(Distributor, distributor_id)
        accounts.update_distributor(distributor, "MSH", "new-contact@example.com", "tr")
        db.session.commit()
    assert client.get(f"/account/unsubscribe/{old}").status_code == 404
    assert client.post(f"/account/unsubscribe/{old}").status_code == 404
    assert client.post(f"/account/unsubscribe/{forged}").status_code == 404
    assert client.post(f"/account/unsubscribe/{old[:-2]}xx").status_code == 404
    assert notified(app, distributor_id)


class TestAdmin:
    @pytest.fixture
    def app_config(self, smtp):
        return smtp_config(smtp)

    def test_an_admin_turns_a_distributors_alerts_back_on(
        self, app, client, auth, users, distributor_id
    ):
        with app.app_context():
            db.session.get(Distributor, distributor_id).notify_new_leads = False
            db.session.commit()
        auth.login("admin")
        page = client.get(f"/admin/distributors/{distributor_id}/edit").get_data(as_text=True)
        assert "Mail new-lead alerts to the contact address" in page
        data = {"name": "MSH", "contact_email": "partner@example.com", "language": "tr"}
        client.post(f"/admin/distributors/{distributor_id}/edit", data=data)
        assert notified(app, distributor_id) is False  # unticked stays off
        client.post(
            f"/admin/distributors/{distributor_id}/edit", data=data | {"notify_new_leads": "y"}
        )
        assert notified(app, distributor_id)
