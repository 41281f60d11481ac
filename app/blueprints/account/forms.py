"""Forms of the account page."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.blueprints.admin.forms import language_field, new_password_fields
from app.forms import FlaskForm
from app.services.notification_prefs import LABELS


class ProfileForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=255)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    language = language_field(_l("The browser's language"))
    notify_new_leads = BooleanField(LABELS["notify_new_leads"])
    notify_assignments = BooleanField(LABELS["notify_assignments"])
    notify_changes = BooleanField(LABELS["notify_changes"])
    notify_daily_summary = BooleanField(LABELS["notify_daily_summary"])
    notify_browser = BooleanField(LABELS["notify_browser"])
    submit = SubmitField(_l("Save"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password, confirm = new_password_fields(_l("New password"))
    submit = SubmitField(_l("Change password"))


class UnsubscribeForm(FlaskForm):
    """The one-click unsubscribe POST: exempt from CSRF (the signed link is the proof)."""

    class Meta:
        csrf = False

    submit = SubmitField(_l("Stop these mails"))
