"""WTForms forms of the sign-in and admin pages."""
from babel import support
from flask_babel import get_locale, gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    HiddenField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from workflow.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from workflow.fields import EARLIEST, LATEST, in_years
from workflow.notifications import KINDS, WHEN
from workflow.roles import DESCRIPTIONS, ROLES
from vocabulary import LANGUAGES
from workflow.tokens import MAX_DAYS, SCOPE_NAMES, SCOPES
from workflow.words import _, inline


def one_line(form, field) -> None:
    """A one-line field holds no tab or line break (long text fields may)."""
    if field.data and any(character in field.data for character in "\t\n\r"):
        raise ValidationError(gettext("one line: no tabs or line breaks"))


def within_years(form, field) -> None:
    """A date (or time) field holds a day from EARLIEST to LATEST, as the records do."""
    if field.data is not None and not in_years(field.data):
        raise ValidationError(gettext("a date from %(earliest)s to %(latest)s",
                                      earliest=EARLIEST.year, latest=LATEST.year))


#: WTForms' own messages by language, loaded once (Flask-WTF loads them for every request).
_WTFORMS_MESSAGES: dict[str, support.Translations] = {}


class Form(FlaskForm):
    """The base of every form: one-line text fields refuse tabs and line breaks, date fields
    days outside the years records may hold (control characters are refused in every field
    before any view runs, see views.bounds)."""

    class Meta:
        def get_translations(self, form):
            """WTForms' messages ("This field is required.") in the reader's language."""
            locale = str(get_locale())
            if locale not in _WTFORMS_MESSAGES:
                _WTFORMS_MESSAGES[locale] = support.Translations.load(messages_path(), [locale],
                                                                      domain="wtforms")
            return _WTFORMS_MESSAGES[locale]

    def validate(self, extra_validators=None) -> bool:
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField) and not isinstance(field, TextAreaField):
                extra.setdefault(name, []).append(one_line)
            elif isinstance(field, DateTimeField):  # DateField and DateTimeLocalField too
                extra.setdefault(name, []).append(within_years)
        return super().validate(extra_validators=extra)


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = [SelectChoice(role, _("%(role)s — %(description)s", role=inline(role),
                                     description=DESCRIPTIONS[role])) for role in ROLES]


class UserRolesForm(Form):
    roles = CheckboxesField(_l("Roles"), choices=ROLE_CHOICES,
                            validators=[DataRequired(message=_l("Choose at least one role."))])


class UserCreateForm(UserRolesForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(check_deliverability=False),
                                            Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)])


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""


class LanguageForm(Form):
    """The language switch in the navigation: the language, and the page to come back to."""

    locale = SelectField(_l("Language"), choices=[SelectChoice(*item) for item in LANGUAGES.items()])
    next = HiddenField(validators=[Length(max=2000)])


class PreferencesForm(Form):
    """The language and time zone of my account."""

    locale = SelectField(_l("Language"), choices=[SelectChoice("", _l("As my browser asks")),
                                                  *(SelectChoice(*item) for item in LANGUAGES.items())])
    time_zone = StringField(_l("Time zone"), validators=[Optional(), Length(max=64)],
                            description=_l("An IANA time zone such as <code>Asia/Damascus</code> or "
                                           "<code>Europe/Paris</code>; empty for UTC."))


class AuditExportForm(Form):
    """Download the events the viewer's filters select as JSONL or CSV (the filters travel
    beside it, read by `AuditFilterForm`)."""

    format = SelectField(_l("Format"), choices=[SelectChoice("jsonl", "JSONL"), SelectChoice("csv", "CSV")], default="jsonl")


class AuditFilterForm(Form):
    """The audit viewer's filters; read from the query string (and beside a download), so no
    CSRF token. The event types are the log's, set by the view."""

    class Meta:
        csrf = False

    case = StringField(_l("Case"), validators=[Optional(), Length(max=40)],
                       description=_l("Its reference (CW-2026-0033) or its number."))
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=64)],
                        description=_l("A username."))
    type = SelectField(_l("Event"), choices=[], default="")
    since = DateField(_l("From"), name="from", validators=[Optional()])
    until = DateField(_l("To"), name="to", validators=[Optional()],
                      description=_l("That day included."))


class CodeForm(Form):
    """The second step of signing in, and the confirmation of a new second factor."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text",
                                  "autofocus": True})


def current_password_field() -> PasswordField:
    """The password of the signed-in user, asked again before a change to their sign-in."""
    return PasswordField(_l("Current password"), validators=[
        DataRequired(), Length(max=MAX_PASSWORD_LENGTH)], render_kw={"autocomplete": "current-password"})


class RecoveryCodesForm(Form):
    """New recovery codes: the password again, since they take over the second factor."""

    current_password = current_password_field()


class PasswordChangeForm(Form):
    current_password = current_password_field()
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l("At least %(num)s characters; a phrase of unrelated words is good.",
                       num=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("the two new passwords differ"))],
        render_kw={"autocomplete": "new-password"})


class TokenForm(Form):
    """A new personal access token for the JSON API."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("What the token is for, e.g. the lab system that uses it."))
    expires_on = DateField(_l("Expires on"), validators=[DataRequired()],
                           description=_l("At most %(num)s days from today.", num=MAX_DAYS))
    scopes = CheckboxesField(_l("Scopes"), choices=[
        SelectChoice(scope, _("%(scope)s — %(words)s", scope=SCOPE_NAMES[scope], words=words))
        for scope, words in SCOPES.items()],
        validators=[DataRequired(message=_l("Choose at least one scope."))])


class EmailKindsForm(Form):
    """The kinds of notification one is emailed about (the others stay in the app)."""

    kinds = CheckboxesField(_l("Email me when"), choices=[SelectChoice(kind, WHEN[kind]) for kind in KINDS])
