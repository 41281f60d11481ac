"""Saved views (named filters per user, built-ins for everyone) and previous / next lead on
the lead page within the filter it was opened from."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus, SavedView
from app.services import lead_service
from tests import factories

DASHBOARD = "/facebook-leads/"
VIEW_LINK = re.compile(r'<span class="saved-view[^>]*>\s*<a[^>]*href="([^"]+)"><bdi>([^<]*)</bdi>')
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def views_of(app, user_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(SavedView).where(SavedView.user_id == user_id))
        return sorted((row.name, row.query) for row in rows)


def listed(response) -> list[tuple[str, str]]:
    return [(unescape(name), unescape(href)) for href, name in VIEW_LINK.findall(response.text)]


def save(client, name: str, query: str):
    return client.post("/facebook-leads/views", data={"name": name, "query": query})


# --- saved views --------------------------------------------------------------------------------


def test_built_in_views_are_listed_for_everyone(client, auth, users):
    auth.login("ayse")
    views = dict(listed(client.get(DASHBOARD)))
    assert views["New and unassigned"] == "/facebook-leads/?status=new&assignee=none"
    assert views["Mine, not contacted"] == "/facebook-leads/?status=new,assigned&assignee=me"
    assert views["Hot: score ≥ 70"] == "/facebook-leads/?score_min=70"


def test_a_view_is_saved_with_only_the_non_empty_filter_and_opens_it(app, client, auth, users):
    auth.login("admin")
    response = save(client, "  Hot   hair ", "status=new&q=&score_min=70&page=3&service=hair&x=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/facebook-leads/?status=new&score_min=70&service=hair"
    assert views_of(app, users["admin"]) == [("Hot hair", "status=new&score_min=70&service=hair")]
    page = client.get(response.headers["Location"])
    assert ("Hot hair", "/facebook-leads/?status=new&score_min=70&service=hair") in listed(page)
    assert 'aria-current="true"' in page.text  # the view being looked at is marked


def test_saving_the_same_name_again_replaces_its_filter(app, client, auth, users):
    auth.login("admin")
    save(client, "Mine", "status=new")
    save(client, "Mine", "status=lost")
    assert views_of(app, users["admin"]) == [("Mine", "status=lost")]


def test_an_empty_or_too_long_name_is_refused(app, client, auth, users):
    auth.login("admin")
    for name in ("", "   ", "x" * 81):
        response = save(client, name, "status=new")
        assert response.status_code in (302, 303)
    assert views_of(app, users["admin"]) == []


def test_a_user_sees_and_deletes_only_their_own_views(app, client, auth, users):
    auth.login("mehmet")
    save(client, "Mehmet's view", "status=contacted")
    auth.logout()
    auth.login("ayse")
    save(client, "Ayşe's view", "status=new")
    names = [name for name, _ in listed(client.get(DASHBOARD))]
    assert "Ayşe's view" in names and "Mehmet's view" not in names
    with app.app_context():
        theirs = db.session.scalar(sa.select(SavedView.id).where(SavedView.name == "Mehmet's view"))
        mine = db.session.scalar(sa.select(SavedView.id).where(SavedView.name == "Ayşe's view"))
    assert client.post(f"/facebook-leads/views/{theirs}/delete").status_code == 404
    assert views_of(app, users["mehmet"]) == [("Mehmet's view", "status=contacted")]
    assert client.post(f"/facebook-leads/views/{mine}/delete").status_code == 303
    assert views_of(app, users["ayse"]) == []
    assert client.post(f"/facebook-leads/views/{mine}/delete").status_code == 404


def test_hostile_view_names_are_text(app, client, auth, users):
    auth.login("admin")
    name = '"><script>alert(1)</script>'
    save(client, name, "status=new")
    page = client.get(DASHBOARD).text
    assert "<script>alert(1)" not in page
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert (name, "/facebook-leads/?status=new") in listed(client.get(DASHBOARD))


def test_anonymous_cannot_save_or_delete(client, users):
    for path in ("/facebook-leads/views", "/facebook-leads/views/1/delete"):
        response = client.post(path, data={"name": "x", "query": ""})
        assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_with_csrf_on_saving_and_deleting_need_the_token(app, client, users):
    login_page = client.get("/auth/login").text
    client.post(
        "/auth/login",
        data={
            "username": "admin",
            "password": "correct-horse",
            "csrf_token": CSRF_INPUT.search(login_page).group(1),
        },
    )
    page = client.get(DASHBOARD + "?status=new").text
    token = CSRF_INPUT.search(page).group(1)
    assert save(client, "No token", "status=new").status_code in (302, 303)
    assert views_of(app, users["admin"]) == []
    data = {"name": "With token", "query": "status=new", "csrf_token": token}
    assert client.post("/facebook-leads/views", data=data).status_code == 303
    assert views_of(app, users["admin"]) == [("With token", "status=new")]
    with app.app_context():
        view_id = db.session.scalar(sa.select(SavedView.id))
    client.post(f"/facebook-leads/views/{view_id}/delete")
    assert views_of(app, users["admin"]) == [("With token", "status=new")]
    client.post(f"/facebook-leads/views/{view_id}/delete", data={"csrf_token": token})
    assert views_of(app, users["admin"]) == []


# --- previous / next within the filter ------------------------------------------------------------

NAV = re.compile(r'id="lead-(prev|next)" rel="\w+" href="([^"]+)"')


def nav_links(response) -> dict[str, str]:
    return {kind: unescape(href) for kind, href in NAV.findall(response.text)}


def received(minutes_ago: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes_ago)


def test_previous_and_next_follow_the_filter_and_its_order(app, client, auth, users):
    with app.app_context():
        make = factories.make_lead
        a = make(status=LeadStatus.NEW, meta_created_at=received(1)).id
        make(status=LeadStatus.LOST, meta_created_at=received(2))
        b = make(status=LeadStatus.NEW, meta_created_at=received(3)).id
        c = make(status=LeadStatus.NEW, meta_created_at=received(4)).id
        db.session.commit()
    auth.login("admin")
    dashboard = client.get(DASHBOARD + "?status=new&q=&page=1")
    assert f'href="/facebook-leads/{b}?status=new"' in dashboard.text  # rows carry the filter
    middle = client.get(f"/facebook-leads/{b}?status=new")
    assert nav_links(middle) == {
        "prev": f"/facebook-leads/{a}?status=new",
        "next": f"/facebook-leads/{c}?status=new",
    }
    assert 'href="/facebook-leads/?status=new" id="back-to-list"' in middle.text
    assert nav_links(client.get(f"/facebook-leads/{a}?status=new")) == {
        "next": f"/facebook-leads/{b}?status=new"
    }
    oldest_first = client.get(f"/facebook-leads/{b}?status=new&sort=received_asc")
    assert nav_links(oldest_first) == {
        "prev": f"/facebook-leads/{c}?status=new&sort=received_asc",
        "next": f"/facebook-leads/{a}?status=new&sort=received_asc",
    }


def test_ties_in_the_sort_are_broken_by_id(app, client, auth, users):
    with app.app_context():
        ids = [factories.make_lead(score=80).id for _ in range(3)]
        db.session.commit()
    auth.login("admin")
    links = nav_links(client.get(f"/facebook-leads/{ids[1]}?sort=score"))
    assert links == {
        "prev": f"/facebook-leads/{ids[2]}?sort=score",
        "next": f"/facebook-leads/{ids[0]}?sort=score",
    }


def test_staff_step_only_through_their_own_leads(app, client, auth, users):
    with app.app_context():
        make = factories.make_lead
        own_new = make(assigned_to_id=users["ayse"], meta_created_at=received(1)).id
        make(assigned_to_id=users["mehmet"], meta_created_at=received(2))
        make(meta_created_at=received(3))
        own_old = make(assigned_to_id=users["ayse"], meta_created_at=received(4)).id
        db.session.commit()
    auth.login("ayse")
    assert nav_links(client.get(f"/facebook-leads/{own_new}")) == {
        "next": f"/facebook-leads/{own_old}"
    }
    assert nav_links(client.get(f"/facebook-leads/{own_old}")) == {
        "prev": f"/facebook-leads/{own_new}"
    }


def test_an_action_on_the_lead_page_keeps_the_list_it_was_opened_from(app, client, auth, users):
    with app.app_context():
        lead_id, other_id = (factories.make_lead().id for _ in range(2))
        db.session.commit()
    auth.login("admin")
    page = f"/facebook-leads/{lead_id}"
    cases = {
        f"http://localhost{page}?status=new&sort=score": f"{page}?status=new&sort=score",
        f"http://localhost/facebook-leads/{other_id}?status=new": page,  # another lead's page
        f"https://evil.example{page}?status=new": page,  # not ours
        None: page,
    }
    for referrer, expected in cases.items():
        headers = {"Referer": referrer} if referrer else {}
        response = client.post(
            f"{page}/interactions",
            data={"interaction_type": "note", "description": "Called back"},
            headers=headers,
        )
        assert response.headers["Location"] == expected, referrer
    with app.app_context():
        assert len(lead_service.list_interactions(db.session.get(FacebookLead, lead_id))) == 4
