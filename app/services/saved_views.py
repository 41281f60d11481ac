"""Saved views: named dashboard filters per user, plus a few built in for everyone. A view is
the filter's query string (`LeadFilters.to_args`), so its URL is the dashboard's own and can be
shared: whoever opens it sees what `visible_leads` lets them see of that filter."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import ValidationError
from app.extensions import db
from app.models import SavedView, User
from app.services.lead_filters import LeadFilters

MAX_NAME = 80
MAX_VIEWS = 50


@dataclass(frozen=True)
class View:
    """A view as the dashboard lists it: its name, its query string, and its id if saved."""

    name: str
    query: str
    id: int | None = None


BUILT_IN = (
    (_l("New and unassigned"), {"status": "new", "assignee": "none"}),
    (_l("Mine, not contacted"), {"assignee": "me", "status": "new,assigned"}),
    (_l("Hot: score ≥ 70"), {"score_min": "70"}),
)


def filter_query(args: Mapping[str, Any]) -> str:
    """The query string of the filter in *args*, normalised: only non-empty parameters."""
    return urlencode(LeadFilters.from_args(args).to_args(), safe=",")


def built_in_views() -> list[View]:
    return [View(str(name), filter_query(args)) for name, args in BUILT_IN]


def list_views(user: User) -> list[View]:
    """The user's own saved views, by name."""
    rows = db.session.scalars(
        sa.select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)
    )
    return [View(row.name, row.query, row.id) for row in rows]


def save_view(user: User, name: str, args: Mapping[str, Any]) -> SavedView:
    """Save the filter in *args* under *name* (the same name again replaces its filter).
    Raises ValidationError for an empty or too long name, or too many views. Caller commits."""
    name = " ".join(str(name or "").split())
    if not name or len(name) > MAX_NAME:
        raise ValidationError(_("Give the view a name of 1 to %(max)s characters.", max=MAX_NAME))
    view = db.session.scalar(
        sa.select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name)
    )
    if view is None:
        if count_views(user) >= MAX_VIEWS:
            message = _("You have %(max)s saved views: delete one first.", max=MAX_VIEWS)
            raise ValidationError(message)
        view = SavedView(user_id=user.id, name=name)
        db.session.add(view)
    view.query = filter_query(args)
    db.session.flush()
    return view


def delete_view(user: User, view_id: int) -> bool:
    """Delete one of *user*'s views; False when it is not theirs (or gone). Caller commits."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        return False
    db.session.delete(view)
    db.session.flush()
    return True


def count_views(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SavedView).where(SavedView.user_id == user.id)
    )
