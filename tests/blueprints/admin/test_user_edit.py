"""Superadmins edit a user's address, name, role and language; a user without an address
is marked "gets no alerts"; the last active superadmin keeps the role."""

from urllib.parse import urlsplit

from app.extensions import db
from app.models import Role, User


def test_a_user_without_an_address_is_marked_and_can_be_given_one(app, client, auth, users):
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert page.count("data-no-alerts") == 3
    response = client.post(
        f"/admin/users/{users['ayse']}/edit",
        data={
            "email": "ayse@example.com",
            "display_name": "Ayşe D.",
            "role": "superadmin",
            "language": "tr",
        },
    )
    assert urlsplit(response.headers["Location"]).path == "/admin/users"
    with app.app_context():
        ayse = db.session.get(User, users["ayse"])
        assert (ayse.email, ayse.display_name, ayse.role, ayse.language) == (
            "ayse@example.com",
            "Ayşe D.",
            Role.SUPERADMIN,
            "tr",
        )
    assert client.get("/admin/users").get_data(as_text=True).count("data-no-alerts") == 2


def test_the_last_superadmin_keeps_the_role_and_bad_addresses_are_refused(app, client, auth, users):
    auth.login("admin")
    page = client.post(
        f"/admin/users/{users['admin']}/edit", data={"role": "staff", "language": ""}
    ).get_data(as_text=True)
    assert "The last active superadmin must stay a superadmin." in page
    page = client.post(
        f"/admin/users/{users['mehmet']}/edit", data={"email": "nope", "role": "staff"}
    ).get_data(as_text=True)
    assert "That is not an email address." in page
    with app.app_context():
        assert db.session.get(User, users["admin"]).role is Role.SUPERADMIN
        assert db.session.get(User, users["mehmet"]).email is None
