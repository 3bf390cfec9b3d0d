"""The reader's language and time zone: which is chosen, how a page says the workflow's sentences
in it, and dates, times and numbers written the way its readers write them."""
from __future__ import annotations

import os
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from urllib.parse import urlsplit

import flask_babel
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from flask import Blueprint, Flask, has_request_context, redirect, request, session
from flask_babel import Babel, format_datetime, get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

from views import db
from views.access import current_actor
from views.forms import LanguageForm
from workflow import accounts, countries
from workflow.countries import Country
from vocabulary import LANGUAGES, RIGHT_TO_LEFT
from workflow.words import Choices, Series, Text

blueprint = Blueprint("language", __name__)
babel = Babel()
#: The reader's catalog and locale while a request is served, looked up once as it begins: a
#: page says a hundred strings and dates, and Flask-Babel would look both up again for each.
_READER: ContextVar[tuple | None] = ContextVar("reader", default=None)


def select_locale() -> str:
    """The signed-in user's choice, else the one made in this browser, else the browser's own;
    for a command line, the language its environment names (`LANG=ar_SY.UTF-8`)."""
    if not has_request_context():
        return environment_language()
    chosen = current_user.locale if current_user and current_user.is_authenticated else None
    return chosen or session.get("locale") or request.accept_languages.best_match(LANGUAGES) or "en"


def environment_language() -> str:
    """The language the POSIX locale variables name (LC_ALL, LC_MESSAGES, LANG, in that
    order), if there is a catalog for it; English otherwise."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(name):
            language = os.environ[name].split(".")[0].split("_")[0].lower()
            return language if language in LANGUAGES else "en"
    return "en"


def select_timezone() -> str:
    """The signed-in user's time zone; UTC (as everything is stored) for everyone else."""
    if not has_request_context():
        return "UTC"
    zone = current_user.time_zone if current_user and current_user.is_authenticated else None
    return zone or "UTC"


def number(value) -> str:
    """A number as the reader writes it: 1,200 in English."""
    return format_decimal(value, locale=_locale())


class Beside(Text):
    """A sentence under its field's label: the field's code word it starts with is left out."""

    #: How the sentence may start ("country: "): the label says it in the reader's language.
    prefix = ""

    def unprefixed(self, said: str) -> str:
        # On a right-to-left page the code word is isolated: "<bdi>country</bdi>: ".
        for start in (self.prefix, f"<bdi>{self.prefix.removesuffix(': ')}</bdi>: "):
            if self.prefix and said.startswith(start):
                return said[len(start):]
        return said


def translated(value):
    """A workflow sentence (`Text`) in the reader's language, as plain text; any other value as
    it is."""
    return _said(value, html=False) if isinstance(value, Text) else value


def translated_html(value):
    """A workflow sentence in the reader's language, as HTML: the people's text inside it (a
    title, a name: any value that is no `Text`) in `<bdi>`, so it keeps its own direction."""
    return _said(value, html=True) if isinstance(value, Text) else value


def _said(value: Text, html: bool):
    """`value` said, less the field's code word a sentence shown beside its field starts with."""
    said = _say(value, html)
    return value.unprefixed(said) if isinstance(value, Beside) else said


def _say(value: Text, html: bool):
    if isinstance(value, Series):
        parts = [_value(part, html) for part in value.parts]
        return _say(value.separator, html).join(parts if html else map(str, parts))
    if isinstance(value, Country):
        return _value(country_name(value.code), html)
    if isinstance(value, Choices):
        names = [_say(name, html) for name in value.names]
        said = str(value) if str(_locale()) == "en" else format_list(names, style="or", locale=_locale())
        return Markup(said) if html and str(_locale()) != "en" else (escape(said) if html else said)
    catalog = _catalog()
    if value.plural is None:
        message = catalog.ugettext(value.message)
    else:
        message = catalog.ungettext(value.message, value.plural, value.count)
    values = {name: _value(part, html) for name, part in value.values.items()}
    if value.plural is not None:
        values["num"] = number(value.count)
    if html:
        return Markup(escape(message)) % values if values else escape(message)
    return message % values if values else message


def country_name(code: str | None) -> str:
    """A country's name in the reader's language: SY → "Syria", "سوريا" in Arabic."""
    return countries.name(code, str(_locale()))


def country_choices(codes) -> list[tuple[str, str]]:
    """The countries of a filter as (code, name in the reader's language), by name."""
    return sorted(((code, country_name(code)) for code in codes), key=lambda choice: choice[1])


def _value(part, html: bool):
    if isinstance(part, Text):
        return _say(part, html)
    if html and isinstance(part, str) and part:
        return bdi(part)
    return part


def _isolated(text: str) -> bool:
    """Whether people's text needs isolating from the sentence around it: on a right-to-left
    page always, on a left-to-right one when it holds right-to-left letters."""
    return direction() == "rtl" or any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def said(value):
    """A stored English sentence (a stage task's title, a checklist kept with a request) in the
    reader's language when the catalog has it, else as it is."""
    return Text(value) if isinstance(value, str) and not isinstance(value, Text) else value


def bdi(value):
    """People's or a machine's words inside a sentence, kept in their own direction."""
    return Markup("<bdi>%s</bdi>") % value if _isolated(str(value)) else value


def percent(share) -> str:
    """A share as the reader writes percentages: 0.25 → "25%"."""
    return format_percent(share, locale=_locale())


def listed(items) -> str:
    """Names in a row as the reader lists them: "a, b, c" (each said in the reader's language)."""
    names = [str(translated(item)) for item in items]
    if str(_locale()) == "en" or len(names) < 2:
        return ", ".join(names)
    # Babel's Arabic "unit" list says the second of two twice ("أ، وب، وب"); its "standard" one,
    # for two, says them as the reader does ("أ وب").
    return format_list(names, style="standard" if len(names) == 2 else "unit", locale=_locale())


def when(value: datetime | None, empty: str = "—") -> str:
    """A stored (naive UTC) time in the reader's zone: "2026-11-28 14:05 UTC"."""
    if value is None:
        return empty
    try:
        return _left_to_right(format_datetime(value, "yyyy-MM-dd HH:mm zzz"))
    except OverflowError:  # stored before dates were bounded: year 1 has no day before it
        return _left_to_right(f"{value.year:04d}-{value:%m-%d %H:%M} UTC")


def day(value: date | None, empty: str = "—") -> str:
    """A calendar date: "2026-11-28"; of a stored time, the day it was in the reader's zone."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        try:
            value = flask_babel.to_user_timezone(value).date()
        except OverflowError:  # as in `when`: the day it was in UTC
            value = value.date()
    # As Babel writes "yyyy-MM-dd" in every language, without its cost on a list of dates.
    return _left_to_right(f"{value.year:04d}-{value.month:02d}-{value.day:02d}")


def _left_to_right(written: str) -> str:
    """A date kept left to right on a right-to-left page: after Arabic words, the digits of
    "2026-11-28" would otherwise be laid out as "28-11-2026" (Unicode's bidi rule W2)."""
    return f"\u2066{written}\u2069" if direction() == "rtl" else written


def direction() -> str:
    """"rtl" for a language written right to left, else "ltr"."""
    return "rtl" if str(_locale()) in RIGHT_TO_LEFT else "ltr"


class Arrow:
    """`{{ arrow }}`: the arrow from one stage (or value) to the next, pointing the way the page
    reads; a global, so that macros see it too."""

    def __str__(self) -> str:
        return "←" if direction() == "rtl" else "→"

    __html__ = __str__


def template_helpers() -> dict:
    """The page's language and direction for `<html lang dir>`, and the language switch."""
    return {"locale": str(get_locale()), "text_direction": direction(), "languages": LANGUAGES,
            "language_form": LanguageForm(formdata=None, locale=str(get_locale()), next=_back_here())}


def _back_here() -> str:
    """Where the switch brings the reader back: this page, or the page of the form it answers
    (the form's own address takes no GET)."""
    if request.method in ("GET", "HEAD"):
        return request.full_path
    page = urlsplit(request.referrer or "/")
    return page.path + (f"?{page.query}" if page.query else "")


@blueprint.route("/language", methods=["POST"])
def choose():
    """Switch the language: for this browser, and for the account of whoever is signed in."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return redirect("/")
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        with db.transaction() as write:
            accounts.set_preferences(write, current_actor(), current_user.id, locale=form.locale.data,
                                     time_zone=current_user.time_zone)
    return redirect(form.next.data if form.next.data.startswith("/") and not form.next.data.startswith("//")
                    else "/")


def _catalog():
    """The reader's catalog: the request's, or Flask-Babel's outside one."""
    reader = _READER.get()
    return reader[0] if reader else flask_babel.get_translations()


def _locale():
    """The reader's locale: the request's, or Flask-Babel's outside one."""
    reader = _READER.get()
    return reader[1] if reader else get_locale()


@blueprint.before_app_request
def _look_up_reader() -> None:
    """Look up the reader's catalog and locale as a page's request begins."""
    if request.endpoint != "static":
        _READER.set((flask_babel.get_translations(), get_locale()))


@contextmanager
def speaking(locale: str):
    """Say what is said in the block in `locale` (Flask-Babel's force_locale, which the
    request's catalog would otherwise hide)."""
    reader = _READER.set(None)
    try:
        with flask_babel.force_locale(locale):
            yield
    finally:
        _READER.reset(reader)


@blueprint.teardown_app_request
def _forget_reader(_error) -> None:
    """Forget them as it ends, so that nothing outside a request reads them."""
    _READER.set(None)


def register(app: Flask) -> None:
    """Bind Babel; teach Jinja to say `Text` in the reader's language and to count in it."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.register_blueprint(blueprint)
    app.context_processor(template_helpers)
    Text.say = staticmethod(translated_html)
    env = app.jinja_env
    env.finalize = translated_html
    env.install_gettext_callables(  # Flask-Babel's, with the catalog looked up once per request
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n), newstyle=True)
    babel_ngettext = env.globals["ngettext"]

    @pass_context
    def ngettext(context, singular, plural, count, /, **variables):
        """Flask-Babel's, with the count written as the reader writes numbers (`%(num)s`)."""
        variables.setdefault("num", number(count))
        return babel_ngettext(context, singular, plural, count, **variables)
    env.globals["ngettext"] = ngettext
    env.globals["arrow"] = Arrow()
    env.filters.update(when=when, day=day, number=number, translated=translated, listed=listed,
                       percent=percent, said=said, bdi=bdi, country=country_name)

