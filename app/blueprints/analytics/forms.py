"""The analytics page's form: who gets the weekly and monthly report mails."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import FlaskForm


class ReportMailsForm(FlaskForm):
    recipients = TextAreaField(
        _l("Recipients"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    weekly = BooleanField(_l("Every Monday: last week's report"))
    monthly = BooleanField(_l("On the 1st: last month's report"))
    submit = SubmitField(_l("Save"))
