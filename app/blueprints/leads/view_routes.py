"""Saved views on the dashboard: save the current filter under a name, delete one's own."""

from urllib.parse import parse_qs

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.leads.actions import first_error
from app.blueprints.leads.forms import SaveViewForm
from app.blueprints.leads.routes import bp
from app.errors import ValidationError
from app.extensions import db
from app.services import saved_views


@bp.post("/views")
@login_required
def save_view():
    form = SaveViewForm()
    if not form.validate():
        raise ValidationError(first_error(form))
    args = {key: values[0] for key, values in parse_qs(form.query.data or "").items()}
    view = saved_views.save_view(current_user, form.name.data, args)
    db.session.commit()
    flash(_("View saved."), "success")
    return redirect(f"{url_for('leads.index')}?{view.query}".rstrip("?"), 303)


@bp.post("/views/<int:view_id>/delete")
@login_required
def delete_view(view_id: int):
    if not saved_views.delete_view(current_user, view_id):
        abort(404)
    db.session.commit()
    flash(_("View deleted."), "success")
    return redirect(url_for("leads.index"), 303)
