"""Forms of the Meta connection pages (the token field is write-only)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.forms import FlaskForm


class ConfigForm(FlaskForm):
    distributor_id = SelectField(_l("Distributor"), coerce=int)
    page_id = StringField(
        _l("Facebook Page id"),
        validators=[
            DataRequired(),
            Regexp(r"^\d{1,64}$", message=_l("The numeric id Meta shows for the Page.")),
        ],
    )
    # Never rendered with a value: PasswordField does not echo what is stored.
    token = PasswordField(_l("Page access token"), validators=[Optional(), Length(max=1024)])
    graph_version = StringField(
        _l("Graph API version (empty = app default)"),
        validators=[Optional(), Regexp(r"^v\d{1,3}\.\d$", message=_l("Like v25.0."))],
    )
    interval = IntegerField(
        _l("Poll every (minutes)"),
        default=5,
        validators=[DataRequired(), NumberRange(min=1, max=1440)],
    )
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class FormSelectionForm(FlaskForm):
    discover = SubmitField(_l("Load the forms from Meta"))
    submit = SubmitField(_l("Sync the ticked forms"))
