"""Admin: edit a user's address, display name, role and language."""

from flask import flash, render_template
from flask_babel import gettext as _

from app.blueprints.admin import bp
from app.blueprints.admin.accounts_routes import see_other
from app.blueprints.admin.forms import UserEditForm
from app.errors import DomainError
from app.extensions import db
from app.models import User
from app.services import accounts


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.role.data = form.role.data.value if hasattr(form.role.data, "value") else form.role.data
    form.language.data = form.language.data or ""
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                email=form.email.data,
                display_name=form.display_name.data,
                role=form.role.data,
                language=form.language.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=user.username), "success")
            return see_other(".users")
    return render_template("admin/user_edit.html", form=form, user=user)
