from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.forms import FlaskForm
from app.i18n import labels
from app.models import InteractionType, LeadStatus
from app.services.lead_workflow import RESULTS


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


INTERACTION_TYPES = [
    (kind.value, labels.INTERACTION[kind])
    for kind in (
        InteractionType.CALL,
        InteractionType.WHATSAPP,
        InteractionType.EMAIL,
        InteractionType.NOTE,
    )
]


class StatusForm(FlaskForm):
    status = SelectField(
        _l("New status"), choices=choices((s.value, labels.LEAD_STATUS[s]) for s in LeadStatus)
    )
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])
    version_id = IntegerField(validators=[Optional()])
    next = HiddenField()
    submit = SubmitField(_l("Change status"))


class AssignForm(FlaskForm):
    user_id = SelectField(_l("Assign to"), coerce=str, validators=[Optional()])
    version_id = IntegerField(validators=[Optional()])
    next = HiddenField()
    submit = SubmitField(_l("Assign"))


class DoNotContactForm(FlaskForm):
    do_not_contact = HiddenField(validators=[DataRequired()])  # "1" mark, "0" lift
    reason = SelectField(
        _l("Why"),
        choices=choices([("", "—")] + list(labels.DNC_REASON.items())),
        validators=[Optional()],
    )
    version_id = IntegerField(validators=[Optional()])
    next = HiddenField()


class InteractionForm(FlaskForm):
    interaction_type = SelectField(
        _l("What happened"), choices=choices(INTERACTION_TYPES), validators=[DataRequired()]
    )
    result = SelectField(
        _l("Result"),
        choices=choices([("", "—")] + [(r, labels.RESULT[r]) for r in RESULTS]),
        validators=[Optional()],
    )
    description = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    next_status = SelectField(
        _l("Then move to"),
        choices=choices([("", "—")] + [(s.value, labels.LEAD_STATUS[s]) for s in LeadStatus]),
        validators=[Optional()],
    )
    follow_up = SelectField(
        _l("Next try"),
        choices=choices([("", _l("No follow-up"))] + list(labels.FOLLOW_UP_PICK.items())),
        validators=[Optional()],
    )
    follow_up_at = StringField(_l("At"), validators=[Optional(), Length(max=16)])
    version_id = IntegerField(validators=[Optional()])
    submit = SubmitField(_l("Log it"))


class SaveViewForm(FlaskForm):
    name = StringField(_l("View name"), validators=[DataRequired(), Length(max=80)])
    query = HiddenField()
    submit = SubmitField(_l("Save view"))


def treatment_choices() -> list[SelectChoice]:
    from app.meta.treatments import TREATMENTS

    return choices([("", "—")] + list(TREATMENTS.items()))


class LeadEditForm(FlaskForm):
    """The lead record's own fields (the service normalises and validates the values)."""

    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=255)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=255)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=120)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    service = SelectField(_l("Treatment"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    version_id = IntegerField(validators=[Optional()])
    confirm_same_person = HiddenField()
    submit = SubmitField(_l("Save changes"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.service.choices = treatment_choices()

    def typed(self) -> dict[str, str]:
        from app.services.lead_record import FIELDS

        return {name: getattr(self, name).data or "" for name in FIELDS}


class LeadAddForm(LeadEditForm):
    """A lead typed in by hand: the record's fields, where the person came from, whose it is."""

    source = SelectField(_l("Came from"), validators=[DataRequired()])
    distributor_id = SelectField(_l("Distributor"), validators=[DataRequired()])
    submit = SubmitField(_l("Add the lead"))

    def __init__(self, *args, **kwargs) -> None:
        from app.services import accounts
        from app.services.lead_intake import BY_HAND

        super().__init__(*args, **kwargs)
        self.source.choices = choices((key, labels.LEAD_SOURCE[key]) for key in BY_HAND)
        self.distributor_id.choices = choices(
            (str(d.id), d.name) for d in accounts.list_distributors() if d.is_active
        )
