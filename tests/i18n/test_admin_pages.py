"""Admin pages in Turkish: Meta's refusals explained in the reader's language (stored and
live ones alike), labels of runs and webhook events translated."""

import re
from html import unescape

import pytest

from app.extensions import db
from app.models import User
from app.services import meta_configs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories


@pytest.fixture
def app_config(sandbox):
    return {"META_GRAPH_URL": sandbox.graph_url}


@pytest.fixture
def turkish_admin(app, client, auth, users):
    with app.app_context():
        db.session.get(User, users["admin"]).language = "tr"
        db.session.commit()
    auth.login("admin")
    return client


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_a_refused_token_is_explained_in_turkish_on_the_forms_page(app, turkish_admin, sandbox):
    with app.app_context():
        config = meta_configs.add_config(
            factories.make_distributor("MSH"),
            page_id=DEFAULT_PAGE_ID,
            form_ids=[],
            token=DEFAULT_PAGE_TOKEN,
        )
        db.session.commit()
        config_id = config.id
    sandbox.state.revoke_token(DEFAULT_PAGE_TOKEN)
    page = text_of(turkish_admin.post(f"/admin/configs/{config_id}/forms", data={"discover": "1"}))
    assert "Meta formları listelemedi: Meta token'ı reddetti (kod 190)" in page
    assert "Sayfa erişim token'ı yapıştırın" in page and "paste a new" not in page
