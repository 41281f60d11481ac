from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from app.forms import FlaskForm


class ScoringRulesForm(FlaskForm):
    """The note and the CSRF token; the numbers are checked by `scoring_fields.parse_rules`."""

    note = StringField(_l("Note (why this change)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save as a new version"))
