"""Forms of the admin pages."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import FlaskForm
from app.i18n import LANGUAGE_NAMES, labels
from app.meta.treatments import TREATMENTS
from app.models import Role, RoutingStrategy
from app.services.accounts import MIN_PASSWORD_LENGTH
from app.services.routing.rules import MAX_CAPACITY
from app.services.whatsapp import PATIENT_LANGUAGES

# Accounts

ROLE_CHOICES = [
    SelectChoice(role.value, labels.ROLE[role]) for role in (Role.STAFF, Role.SUPERADMIN)
]


def language_field(unset: str) -> SelectField:
    """tr, en or ar, each named in its own words; "" (*unset*) leaves the choice open."""
    languages = [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
    return SelectField(
        _l("Language"), choices=[SelectChoice("", unset), *languages], validators=[Optional()]
    )


def new_password_fields(label: str) -> tuple[PasswordField, PasswordField]:
    """A password and its repetition; PasswordField never renders the value back."""
    length = Length(
        min=MIN_PASSWORD_LENGTH,
        max=256,
        message=_l("Use %(min)d to %(max)d characters.", min=MIN_PASSWORD_LENGTH, max=256),
    )
    password = PasswordField(label, validators=[DataRequired(), length])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    return password, confirm


class DistributorForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    contact_email = EmailField(
        _l("Contact email (optional)"), validators=[Optional(), Email(), Length(max=255)]
    )
    language = language_field(_l("The desk's default language"))
    notify_new_leads = BooleanField(_l("Mail new-lead alerts to the contact address"), default=True)
    submit = SubmitField(_l("Save"))


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(), Length(max=255)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.STAFF.value)
    language = language_field(_l("Their browser's language"))
    password, confirm = new_password_fields(_l("Initial password"))
    submit = SubmitField(_l("Create user"))


class UserEditForm(FlaskForm):
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=255)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    language = language_field(_l("Their browser's language"))
    submit = SubmitField(_l("Save"))


class UserPasswordForm(FlaskForm):
    password, confirm = new_password_fields(_l("New password"))
    submit = SubmitField(_l("Set password"))


# Privacy


class EraseForm(FlaskForm):
    """Erasing a person: why, and the lead's number typed again (the confirmation)."""

    reason = TextAreaField(
        _l("Reason (kept in the audit; no personal data)"),
        validators=[DataRequired(), Length(max=500)],
    )
    confirm = StringField(_l("Type the lead's number to confirm"), validators=[DataRequired()])
    submit = SubmitField(_l("Erase everything about this person"))

    def __init__(self, expected: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.expected = expected

    def validate_confirm(self, field: StringField) -> None:
        if (field.data or "").strip().lstrip("#") != self.expected:
            raise ValidationError(_l("Type %(number)s to confirm.", number=self.expected))


class PersonExportForm(FlaskForm):
    """An access request: the person's email or phone."""

    key = StringField(_l("Email or phone"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Download their data (JSON)"))

    def person_key(self) -> dict[str, str]:
        value = self.key.data.strip()
        return {"email": value} if "@" in value else {"phone": value}


# WhatsApp templates


class WhatsAppTemplateForm(FlaskForm):
    language = SelectField(
        _l("Patient language"),
        choices=[SelectChoice(code, name) for code, name in PATIENT_LANGUAGES.items()],
        validators=[DataRequired()],
    )
    treatment = SelectField(
        _l("Treatment"),
        choices=[SelectChoice("", _l("Any treatment"))]
        + [SelectChoice(key, label) for key, label in TREATMENTS.items()],
        validators=[Optional()],
    )
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Save template"))


# Routing


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


STRATEGY_CHOICES = [
    SelectChoice(RoutingStrategy.ROUND_ROBIN.value, _l("Round-robin (take turns)")),
    SelectChoice(RoutingStrategy.LEAST_LOADED.value, _l("Least open load")),
]


class RoutingRuleForm(FlaskForm):
    """A routing rule; the route fills the staff, distributor, treatment and language
    choices. Checks beyond shape are the service's (an impossible rule)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    strategy = SelectField(_l("How to share the leads"), choices=STRATEGY_CHOICES)
    staff = MultiCheckboxField(_l("Give the leads to"), coerce=int)
    distributor_id = SelectField(_l("Distributor"), validators=[Optional()])
    form_id = StringField(_l("Meta form id"), validators=[Optional(), Length(max=64)])
    treatment = SelectField(_l("Treatment"), validators=[Optional()])
    country_code = StringField(_l("Country (ISO code)"), validators=[Optional(), Length(max=2)])
    language = SelectField(_l("Language of the patient"), validators=[Optional()])
    score_min = IntegerField(_l("Score at least"), validators=[Optional(), NumberRange(0, 100)])
    score_max = IntegerField(_l("Score at most"), validators=[Optional(), NumberRange(0, 100)])
    capacity = IntegerField(
        _l("At most this many open leads each"),
        validators=[Optional(), NumberRange(min=1, max=MAX_CAPACITY)],
    )
    include_backlog = BooleanField(_l("Also route old leads on auto-assign"))
    reroute_on_breach = BooleanField(_l("Re-route once when the response target is missed"))
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save rule"))


class UserHoursForm(FlaskForm):
    """A person's working hours, away-until and capacity (in APP_TIMEZONE)."""

    work_days = MultiCheckboxField(_l("Working days"), coerce=int)
    work_start = TimeField(_l("From"), validators=[Optional()])
    work_end = TimeField(_l("To"), validators=[Optional()])
    away_until = DateTimeLocalField(_l("Away until"), validators=[Optional()])
    capacity = IntegerField(
        _l("At most this many open leads"),
        validators=[Optional(), NumberRange(min=0, max=MAX_CAPACITY)],
    )
    submit = SubmitField(_l("Save"))


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[InputRequired(), AnyOf(["up", "down"])])


class DeleteForm(FlaskForm):
    """A delete button: acts only with its own hidden `confirm=delete` (a bare POST does not)."""

    confirm = HiddenField(default="delete", validators=[InputRequired(), AnyOf(["delete"])])
