"""Mail content, built when a mail is sent, in its recipient's language: an HTML and a plain
text part from `templates/email/<kind>.html|.txt`, headers that no lead string can break.

Each kind of mail has a builder (kind → function of the outbox row returning the subject and
the template context, or None when there is nothing left to say, e.g. its lead was erased)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from app.extensions import db
from app.i18n import FORMAT_LOCALES, is_language
from app.models import Distributor, OutboxMail, User
from app.services import notification_prefs

Built = tuple[str, dict[str, Any]] | None
Builder = Callable[[OutboxMail], Built]
BUILDERS: dict[str, Builder] = {}
LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
MAX_SUBJECT = 200
MAX_HEADER_LINE = 990  # RFC 5322: a line MUST stay under 998 characters
UTF8_WORDS = Charset("utf-8")
UTF8_WORDS.header_encoding = BASE64  # not SHORTEST: that tries both encodings on every subject


class OneLineHeaders(Compat32):
    """The classic policy, minus re-folding header values that are already one short ASCII
    line (every header here but a non-ASCII subject, see `one_line`): folding each through
    an `email.header.Header` was a quarter of the cost of sending a mail."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) < MAX_HEADER_LINE
            and not LINE_BREAKS.search(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


ONE_LINE_HEADERS = OneLineHeaders()


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    html: str | None
    unsubscribe_url: str | None = None


def builder(kind: str) -> Callable[[Builder], Builder]:
    """Register the builder of one kind of mail."""

    def register(build: Builder) -> Builder:
        BUILDERS[kind] = build
        return build

    return register


def language_of(mail: OutboxMail) -> str:
    """The recipient's language now (a user's setting), else the one queued, else
    DEFAULT_LOCALE."""
    user = db.session.get(User, mail.user_id) if mail.user_id else None
    for language in (user.language if user else None, mail.language):
        if is_language(language):
            return language
    return current_app.config["DEFAULT_LOCALE"]


def links_context():
    """A request context whose URLs are the desk's public address (APP_BASE_URL): enter it
    once around a batch of `render` calls."""
    return current_app.test_request_context("/", base_url=current_app.config["APP_BASE_URL"])


def render(mail: OutboxMail) -> Content | None:
    """Subject, text and HTML of *mail* in its recipient's language (None: nothing to send).
    Inside `links_context()`, or it enters one itself."""
    if not has_request_context():
        with links_context():
            return render(mail)
    language = language_of(mail)
    with force_locale(FORMAT_LOCALES.get(language, language)):
        built = BUILDERS[mail.kind](mail)
        if built is None:
            return None
        subject, context = built
        context = {"mail": mail, "language": language, **context}
        context.setdefault("unsubscribe_url", unsubscribe_url(mail))
        text = render_template(f"email/{mail.kind}.txt", **context)
        try:
            html = render_template(f"email/{mail.kind}.html", **context)
        except TemplateNotFound:
            html = None
    return Content(one_line(subject), text, html, context.get("unsubscribe_url"))


def unsubscribe_url(mail: OutboxMail) -> str | None:
    """The signed link that stops this kind of mail for its user (None: not a user's mail,
    or an operational alert nobody may switch off)."""
    choice = notification_prefs.CHOICE_OF_KIND.get(mail.kind)
    if choice is None:
        return None
    if mail.user_id is None:
        return distributor_unsubscribe_url(mail) if choice == "notify_new_leads" else None
    token = notification_prefs.unsubscribe_token(mail.user_id, choice)
    return url_for("account.unsubscribe", token=token, _external=True)


def distributor_unsubscribe_url(mail: OutboxMail) -> str | None:
    """The link that stops a distributor's new-lead alerts to this address."""
    distributor_id = (mail.params or {}).get("distributor_id")
    distributor = db.session.get(Distributor, distributor_id) if distributor_id else None
    if distributor is None or (distributor.contact_email or "").lower() != mail.recipient.lower():
        return None
    token = notification_prefs.distributor_token(distributor.id, mail.recipient)
    return url_for("account.unsubscribe", token=token, _external=True)


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """A header value: every line break (CR, LF and Unicode's) becomes a space, so a lead
    named "x\\r\\nBcc: …" cannot add a header; at most *limit* characters."""
    return " ".join(LINE_BREAKS.sub(" ", text).split())[:limit]


def build_message(content: Content, recipient: str) -> Message:
    """The MIME message: plain text, plus HTML as the alternative when there is one. (The
    classic MIME classes: a third of the cost of EmailMessage's header objects; every
    header value is one line, see `one_line`, and non-ASCII is RFC 2047 encoded.)"""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    policy = ONE_LINE_HEADERS
    text = MIMEText(content.text, "plain", "utf-8", policy=policy)
    if content.html:
        message: Message = MIMEMultipart("alternative", policy=policy)
        message.attach(text)
        message.attach(MIMEText(content.html, "html", "utf-8", policy=policy))
    else:
        message = text
    subject = one_line(content.subject)
    message["Subject"] = (
        subject if subject.isascii() else Header(subject, UTF8_WORDS, header_name="Subject")
    )
    message["From"] = one_line(sender)
    message["To"] = one_line(recipient)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    if content.unsubscribe_url:
        link = one_line(content.unsubscribe_url, MAX_HEADER_LINE - 40)  # a URL cut is no link
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
