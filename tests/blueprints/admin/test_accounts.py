"""`/admin/…` accounts pages: distributors and users, superadmins only (SECURITY 1, 3, 8)."""

import logging
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app import create_app
from app.errors import DomainError
from app.extensions import db
from app.models import Distributor, MetaApiConfig, Role, User
from app.services import accounts
from tests import factories
from tests.conftest import AuthActions, config_for, reset_schema

DASHBOARD = "/facebook-leads/"
WRONG_LOGIN = b"Wrong username or password."
ADMIN_PAGES = [
    "/admin/distributors",
    "/admin/distributors/new",
    "/admin/distributors/{distributor_id}/edit",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user_id}/password",
]
ADMIN_POSTS = [
    "/admin/distributors/new",
    "/admin/distributors/{distributor_id}/edit",
    "/admin/distributors/{distributor_id}/deactivate",
    "/admin/distributors/{distributor_id}/reactivate",
    "/admin/users/new",
    "/admin/users/{user_id}/deactivate",
    "/admin/users/{user_id}/reactivate",
    "/admin/users/{user_id}/password",
]
HOSTILE = "<script>alert(1)</script>"


def location_path(response) -> str:
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def text_of(response) -> str:
    """The page's visible text, tags stripped and whitespace squeezed (for exact phrases)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def load(app, model, object_id: int):
    with app.app_context():
        obj = db.session.get(model, object_id)
        db.session.expunge(obj)
        return obj


@pytest.fixture
def distributor_id(app):
    with app.app_context():
        distributor = factories.make_distributor("Istanbul Partners")
        db.session.commit()
        return distributor.id


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users["admin"]


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_refuse_staff_and_send_anonymous_to_login(
    app, client, auth, users, distributor_id, page
):
    url = page.format(distributor_id=distributor_id, user_id=users["ayse"])
    anonymous = client.get(url)
    assert location_path(anonymous).startswith("/auth/login?next=")

    auth.login("ayse")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("page", ADMIN_POSTS)
def test_admin_posts_by_staff_change_nothing(app, client, auth, users, distributor_id, page):
    auth.login("ayse")
    url = page.format(distributor_id=distributor_id, user_id=users["mehmet"])
    data = {"name": "Hijacked", "username": "intruder", "password": "x" * 12, "confirm": "x" * 12}
    assert client.post(url, data=data).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Distributor)) == 1
        assert accounts.get_distributor(distributor_id).name == "Istanbul Partners"
        assert accounts.get_user_by_username("intruder") is None
        mehmet = db.session.get(User, users["mehmet"])
        assert mehmet.is_active and mehmet.check_password("correct-horse")


def test_navbar_links_admin_for_superadmins_only(app, client, auth, users):
    auth.login("ayse")
    assert b'href="/admin/distributors"' not in client.get(DASHBOARD).data
    auth.logout()
    auth.login("admin")
    assert b'href="/admin/distributors"' in client.get(DASHBOARD).data


def test_admin_nav_links_only_the_sections_that_exist(app, client, admin):
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/distributors"' in html
    assert 'aria-current="page" href="/admin/users"' in html
    assert ("Meta connections" in html) == ("admin.configs" in app.view_functions)
    assert ("Sync health" in html) == ("admin.health" in app.view_functions)


# --- distributors ---------------------------------------------------------------------------


def test_distributor_list_has_an_empty_state(client, admin):
    response = client.get("/admin/distributors")
    assert response.status_code == 200
    assert "No distributors yet" in text_of(response)


def test_distributor_list_shows_email_status_and_counts(app, client, admin):
    with app.app_context():
        busy = factories.make_distributor("Busy Partner")
        busy.contact_email = "ops@busy.example"
        factories.make_distributor("Quiet Partner").is_active = False
        db.session.add(MetaApiConfig(distributor=busy, page_id="111", access_token_encrypted="x"))
        for _ in range(3):
            factories.make_lead(distributor_id=busy.id)
        db.session.commit()
        busy_id = busy.id

    html = client.get("/admin/distributors").get_data(as_text=True)
    row = re.search(rf'<tr id="distributor-{busy_id}".*?</tr>', html, re.S).group(0)
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td.*?</td>", row, re.S)
    ]
    assert cells[:5] == ["Busy Partner", "ops@busy.example", "Active", "1", "3"]
    assert "Inactive" in html and "Quiet Partner" in html


def test_create_distributor(app, client, admin):
    response = client.post(
        "/admin/distributors/new",
        data={"name": "  Ankara Care ", "contact_email": "a@care.example"},
    )
    assert response.status_code == 303
    assert location_path(response) == "/admin/distributors"
    page = client.get("/admin/distributors")
    assert "Distributor Ankara Care created." in text_of(page)
    with app.app_context():
        created = accounts.get_distributor_by_name("Ankara Care")
        assert created.contact_email == "a@care.example" and created.is_active


def test_create_distributor_refuses_a_bad_email_with_a_form_error(app, client, admin):
    response = client.post(
        "/admin/distributors/new", data={"name": "Ankara Care", "contact_email": "not-an-email"}
    )
    assert response.status_code == 200
    assert "Invalid email address." in text_of(response)
    with app.app_context():
        assert accounts.list_distributors() == []


@pytest.mark.parametrize("taken", ["Istanbul Partners", "ISTANBUL partners "])
def test_duplicate_distributor_name_is_a_form_error(app, client, admin, distributor_id, taken):
    response = client.post("/admin/distributors/new", data={"name": taken})
    assert response.status_code == 200
    assert 'class="invalid-feedback">Distributor' in response.get_data(as_text=True)
    assert "already exists." in text_of(response)
    with app.app_context():
        assert len(accounts.list_distributors()) == 1


def test_edit_distributor(app, client, admin, distributor_id):
    form = client.get(f"/admin/distributors/{distributor_id}/edit")
    assert 'value="Istanbul Partners"' in form.get_data(as_text=True)

    response = client.post(
        f"/admin/distributors/{distributor_id}/edit",
        data={"name": "Istanbul Partners Ltd", "contact_email": ""},
    )
    assert response.status_code == 303
    assert location_path(response) == "/admin/distributors"
    edited = load(app, Distributor, distributor_id)
    assert (edited.name, edited.contact_email) == ("Istanbul Partners Ltd", None)


def test_edit_distributor_refuses_another_distributors_name(app, client, admin, distributor_id):
    with app.app_context():
        factories.make_distributor("Izmir Health")
        db.session.commit()
    url = f"/admin/distributors/{distributor_id}/edit"
    assert client.post(url, data={"name": "Istanbul Partners"}).status_code == 303  # its own
    response = client.post(url, data={"name": "izmir health"})
    assert response.status_code == 200
    assert "Distributor 'izmir health' already exists." in text_of(response)
    assert load(app, Distributor, distributor_id).name == "Istanbul Partners"


def test_edit_of_a_missing_distributor_is_404(client, admin):
    assert client.get("/admin/distributors/999/edit").status_code == 404


def test_deactivate_and_reactivate_distributor(app, client, admin, distributor_id):
    listing = client.get("/admin/distributors").get_data(as_text=True)
    assert f'action="/admin/distributors/{distributor_id}/deactivate"' in listing
    assert "<details" in listing  # the confirm step opens without JavaScript

    response = client.post(f"/admin/distributors/{distributor_id}/deactivate")
    assert response.status_code == 303
    assert not load(app, Distributor, distributor_id).is_active
    listing = client.get("/admin/distributors")
    assert "Distributor Istanbul Partners deactivated." in text_of(listing)
    assert f'action="/admin/distributors/{distributor_id}/reactivate"' in listing.text

    response = client.post(f"/admin/distributors/{distributor_id}/reactivate")
    assert response.status_code == 303
    assert load(app, Distributor, distributor_id).is_active


# --- users ----------------------------------------------------------------------------------


def test_user_list_shows_role_email_status_and_last_login(app, client, admin, users):
    with app.app_context():
        mehmet = db.session.get(User, users["mehmet"])
        mehmet.email, mehmet.is_active = "mehmet@msh.example", False
        db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    row = re.search(rf'<tr id="user-{users["mehmet"]}".*?</tr>', html, re.S).group(0)
    assert "mehmet@msh.example" in row and "Staff" in row and "Deactivated" in row
    assert "never" in row
    assert f'action="/admin/users/{users["mehmet"]}/reactivate"' in row
    own = re.search(rf'<tr id="user-{users["admin"]}".*?</tr>', html, re.S).group(0)
    assert "Superadmin" in own and "never" not in own  # just signed in
    assert "/deactivate" not in own  # no button to lock yourself out


def test_create_staff_user_who_can_then_sign_in(app, client, admin):
    response = client.post(
        "/admin/users/new",
        data={
            "username": "zeynep",
            "email": "zeynep@msh.example",
            "role": "staff",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 303
    assert location_path(response) == "/admin/users"
    assert "User zeynep created." in text_of(client.get("/admin/users"))
    with app.app_context():
        zeynep = accounts.get_user_by_username("zeynep")
        assert (zeynep.role, zeynep.email) == (Role.STAFF, "zeynep@msh.example")

    other = app.test_client()
    AuthActions(other).login("zeynep", "long-enough-pw")
    assert other.get(DASHBOARD).status_code == 200
    assert other.get("/admin/users").status_code == 403


def test_create_user_with_a_language_and_set_a_distributors(app, client, admin, distributor_id):
    data = {"username": "zeynep", "role": "staff", "password": "p" * 10, "confirm": "p" * 10}
    assert client.post("/admin/users/new", data=data | {"language": "tr"}).status_code == 303
    listing = text_of(client.get("/admin/users"))
    assert "Türkçe" in listing
    edit = f"/admin/distributors/{distributor_id}/edit"
    assert '<option selected value="ar">' not in client.get(edit).get_data(as_text=True)
    data = {"name": "Istanbul Partners", "contact_email": "", "language": "ar"}
    assert client.post(edit, data=data).status_code == 303
    assert '<option selected value="ar">' in client.get(edit).get_data(as_text=True)
    with app.app_context():
        assert accounts.get_user_by_username("zeynep").language == "tr"
        assert db.session.get(Distributor, distributor_id).language == "ar"
    refused = client.post("/admin/users/new", data={"username": "x", "language": "de"})
    assert "Not a valid choice." in text_of(refused)


def test_create_superadmin_user(app, client, admin):
    data = {"username": "boss", "role": "superadmin", "password": "p" * 10, "confirm": "p" * 10}
    assert client.post("/admin/users/new", data=data).status_code == 303
    with app.app_context():
        assert accounts.get_user_by_username("boss").is_superadmin


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"username": "ayse"}, "User 'ayse' already exists."),
        ({"password": "short", "confirm": "short"}, "Use 8 to 256 characters."),
        ({"confirm": "something-else"}, "The passwords differ."),
        ({"email": "nope"}, "Invalid email address."),
        ({"role": "owner"}, "Not a valid choice."),
    ],
)
def test_create_user_refuses_bad_input_with_a_form_error(app, client, admin, data, error):
    good = {"username": "zeynep", "role": "staff", "password": "p" * 10, "confirm": "p" * 10}
    response = client.post("/admin/users/new", data=good | data)
    assert response.status_code == 200
    assert error in text_of(response)
    assert "p" * 10 not in response.get_data(as_text=True)  # typed passwords are not echoed
    with app.app_context():
        assert accounts.get_user_by_username("zeynep") is None


def test_deactivated_user_is_signed_out_at_once_and_cannot_sign_in(app, client, admin, users):
    staff = app.test_client()
    AuthActions(staff).login("ayse")
    assert staff.get(DASHBOARD).status_code == 200

    response = client.post(f"/admin/users/{users['ayse']}/deactivate")
    assert response.status_code == 303
    assert "ayse is deactivated and signed out." in text_of(client.get("/admin/users"))

    assert location_path(staff.get(DASHBOARD)).startswith("/auth/login")
    assert WRONG_LOGIN in AuthActions(staff).login("ayse").data

    assert client.post(f"/admin/users/{users['ayse']}/reactivate").status_code == 303
    AuthActions(staff).login("ayse")
    assert staff.get(DASHBOARD).status_code == 200


def test_superadmin_cannot_deactivate_themself(app, client, admin):
    response = client.post(f"/admin/users/{admin}/deactivate")
    assert response.status_code == 303
    assert "You cannot deactivate your own account." in text_of(client.get("/admin/users"))
    assert load(app, User, admin).is_active


def test_one_superadmin_may_deactivate_another(app, client, admin):
    with app.app_context():
        other = factories.make_user("second-admin", role=Role.SUPERADMIN)
        db.session.commit()
        other_id = other.id
    assert client.post(f"/admin/users/{other_id}/deactivate").status_code == 303
    assert not load(app, User, other_id).is_active


def test_last_active_superadmin_cannot_be_deactivated(app_ctx, users):
    admin = db.session.get(User, users["admin"])
    other = factories.make_user("second-admin", role=Role.SUPERADMIN)
    accounts.set_user_active(other, False, actor=admin)
    # `other` acting (say, in a request that started before it was deactivated):
    with pytest.raises(DomainError, match="last active superadmin"):
        accounts.set_user_active(admin, False, actor=other)
    assert admin.is_active


def test_reset_password_old_fails_new_works_and_is_never_shown_or_logged(
    app, client, admin, users, caplog
):
    caplog.set_level(logging.DEBUG)
    new_password = "Fresh-Pass-4711"
    staff = app.test_client()
    AuthActions(staff).login("ayse")

    form = client.get(f"/admin/users/{users['ayse']}/password")
    assert "New password for ayse" in text_of(form)
    mismatch = client.post(
        f"/admin/users/{users['ayse']}/password",
        data={"password": new_password, "confirm": new_password + "x"},
    )
    assert "The passwords differ." in text_of(mismatch)
    response = client.post(
        f"/admin/users/{users['ayse']}/password",
        data={"password": new_password, "confirm": new_password},
    )
    assert response.status_code == 303
    listing = client.get("/admin/users")
    assert "New password set for ayse." in text_of(listing)

    assert location_path(staff.get(DASHBOARD)).startswith("/auth/login")  # old session ended
    assert WRONG_LOGIN in AuthActions(staff).login("ayse", "correct-horse").data
    AuthActions(staff).login("ayse", new_password)
    assert staff.get(DASHBOARD).status_code == 200

    for page in (form, mismatch, response, listing):
        assert new_password not in page.get_data(as_text=True)
    assert new_password not in caplog.text
    assert f"password of user {users['ayse']} reset" in caplog.text


def test_reset_password_refuses_a_short_one(app, client, admin, users):
    response = client.post(
        f"/admin/users/{users['ayse']}/password", data={"password": "short", "confirm": "short"}
    )
    assert response.status_code == 200
    assert "Use 8 to 256 characters." in text_of(response)
    with app.app_context():
        assert db.session.get(User, users["ayse"]).check_password("correct-horse")


def test_resetting_your_own_password_keeps_you_signed_in(app, client, admin):
    data = {"password": "my-own-new-pw", "confirm": "my-own-new-pw"}
    assert client.post(f"/admin/users/{admin}/password", data=data).status_code == 303
    assert client.get("/admin/users").status_code == 200
    assert WRONG_LOGIN in AuthActions(app.test_client()).login().data


# --- markup and CSRF ------------------------------------------------------------------------


def test_hostile_names_render_as_text(app, client, admin):
    with app.app_context():
        distributor = factories.make_distributor(HOSTILE)
        distributor.contact_email = '"><img src=x onerror=alert(1)>@x.example'
        factories.make_user(HOSTILE)
        db.session.commit()
        distributor_id = distributor.id
        user_id = accounts.get_user_by_username(HOSTILE).id
    pages = [
        client.get("/admin/distributors"),
        client.get(f"/admin/distributors/{distributor_id}/edit"),
        client.get("/admin/users"),
        client.get(f"/admin/users/{user_id}/password"),
        client.post("/admin/distributors/new", data={"name": HOSTILE}),  # duplicate-name error
        client.post(f"/admin/users/{user_id}/deactivate", follow_redirects=True),  # flash
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.fixture
def csrf_app(database):
    app = create_app(config_for(database, WTF_CSRF_ENABLED=True))
    with app.app_context():
        reset_schema()
        factories.make_user("admin", role=Role.SUPERADMIN)
        factories.make_user("ayse")
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def csrf_token_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_admin_posts_need_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login", data={"username": "admin", "password": "correct-horse", "csrf_token": token}
    )
    with csrf_app.app_context():
        ayse_id = accounts.get_user_by_username("ayse").id

    forged = client.post("/admin/distributors/new", data={"name": "Forged"})
    assert forged.status_code in (302, 303)
    assert "Your form expired" in text_of(client.get("/admin/distributors"))
    assert client.post(f"/admin/users/{ayse_id}/deactivate").status_code in (302, 303)
    with csrf_app.app_context():
        assert accounts.list_distributors() == []
        assert accounts.get_user_by_username("ayse").is_active

    page = client.get("/admin/distributors/new").get_data(as_text=True)
    sent = client.post(
        "/admin/distributors/new", data={"name": "Real", "csrf_token": csrf_token_from(page)}
    )
    assert location_path(sent) == "/admin/distributors"
    with csrf_app.app_context():
        assert [d.name for d in accounts.list_distributors()] == ["Real"]
