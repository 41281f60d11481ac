from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from app.forms import FlaskForm


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class ConfirmForm(FlaskForm):
    """An empty form: a CSRF-protected POST button."""

    submit = SubmitField(_l("Submit"))


class TwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your app, or a recovery code"),
        validators=[DataRequired(), Length(max=32)],
    )
    remember = BooleanField(_l("Remember this device for 30 days"))
    submit = SubmitField(_l("Verify"))


class EnrolForm(FlaskForm):
    code = StringField(
        _l("6-digit code from your app"), validators=[DataRequired(), Length(max=16)]
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Confirm"))


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(_l("Username or email"), validators=[DataRequired(), Length(max=255)])
    submit = SubmitField(_l("Send me a link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))
