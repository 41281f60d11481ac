"""Admin: the WhatsApp message templates (per patient language and treatment)."""

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.admin import bp
from app.blueprints.admin.accounts_routes import see_other
from app.blueprints.admin.forms import WhatsAppTemplateForm
from app.blueprints.auth.forms import ConfirmForm
from app.errors import DomainError
from app.extensions import db
from app.services import whatsapp


@bp.get("/whatsapp-templates")
def whatsapp_templates():
    return render_template(
        "admin/whatsapp_templates.html",
        templates=whatsapp.list_templates(),
        defaults=whatsapp.DEFAULTS,
        confirm_form=ConfirmForm(),
    )


@bp.route("/whatsapp-templates/new", methods=["GET", "POST"])
def create_whatsapp_template():
    return edit_form(None)


@bp.route("/whatsapp-templates/<int:template_id>/edit", methods=["GET", "POST"])
def edit_whatsapp_template(template_id: int):
    return edit_form(whatsapp.get_template(template_id) or not_found())


@bp.post("/whatsapp-templates/<int:template_id>/remove")
def remove_whatsapp_template(template_id: int):
    template = whatsapp.get_template(template_id) or not_found()
    if ConfirmForm().validate_on_submit():
        whatsapp.delete_template(template)
        db.session.commit()
        flash(_("Template deleted."), "success")
    return see_other(".whatsapp_templates")


def edit_form(template):
    form = WhatsAppTemplateForm(obj=template)
    if template is None and request.method == "GET":
        form.language.data = request.args.get("language", "tr")
        form.body.data = whatsapp.DEFAULTS.get(form.language.data, "")
    if form.validate_on_submit():
        try:
            whatsapp.save_template(
                template,
                language=form.language.data,
                treatment=form.treatment.data or "",
                body=form.body.data,
                actor=current_user,
            )
        except DomainError as error:
            form.body.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Template saved."), "success")
            return see_other(".whatsapp_templates")
    return render_template("admin/whatsapp_template_form.html", form=form, template=template)


def not_found():
    abort(404)
