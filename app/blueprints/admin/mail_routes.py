"""Admin: the mail outbox's dead and failed mails, tried again on request."""

from flask import flash, redirect, url_for
from flask_babel import ngettext

from app.blueprints.admin import bp
from app.blueprints.auth.forms import ConfirmForm
from app.extensions import db
from app.services import mail_outbox


@bp.post("/mail/retry")
def retry_mail():
    if ConfirmForm().validate_on_submit():
        count = mail_outbox.retry_mails()
        db.session.commit()  # wakes the sender
        flash(
            ngettext("%(num)s mail is tried again.", "%(num)s mails are tried again.", count),
            "info",
        )
    return redirect(url_for(".health", _anchor="mail"), 303)
