"""The base of every form: Flask-WTF's FlaskForm, reading form posts only.

Flask-WTF fills a form from a JSON body when there is no form data. Such values need not be
strings (`{"username": {"a": 1}}`, `true`), and the validators and services behind a form
expect strings: a 500. Routes that take JSON read it themselves (`leads/actions.py`)."""

import flask_wtf
from flask import request


class FlaskForm(flask_wtf.FlaskForm):
    class Meta(flask_wtf.FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if request and request.is_json and not request.form:
                return None  # posted as JSON: treated as an empty form post
            return super().wrap_formdata(form, formdata)
