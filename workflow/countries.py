"""Countries as ISO 3166-1 alpha-2 codes (pycountry): what a person writes, in English or Arabic,
resolved to its code, and a code named in the reader's language."""
from __future__ import annotations

import gettext
from functools import cache

import pycountry

from workflow.errors import Invalid
from workflow.names import normal
from workflow.words import Text, _

#: Short forms people write and read where the standard's names are long or formal, in
#: English and Arabic ("Syria", not "Syrian Arab Republic"): shown, and resolved.
SHORT_NAMES = {
    "SY": ("Syria", "سوريا"),
    "RU": ("Russia", "روسيا"),
    "IR": ("Iran", "إيران"),
    "KP": ("North Korea", "كوريا الشمالية"),
    "KR": ("South Korea", "كوريا الجنوبية"),
    "GB": ("United Kingdom", "المملكة المتحدة"),
    "US": ("United States", "الولايات المتحدة"),
    "TR": ("Türkiye", "تركيا"),
    "PS": ("Palestine", "فلسطين"),
    "VE": ("Venezuela", "فنزويلا"),
    "BO": ("Bolivia", "بوليفيا"),
    "TZ": ("Tanzania", "تنزانيا"),
    "MD": ("Moldova", "مولدوفا"),
    "LA": ("Laos", "لاوس"),
    "VN": ("Vietnam", "فيتنام"),
}

#: Other names people write for a country, resolved but never shown.
OTHER_NAMES = {
    "SY": ("سورية", "Syrie", "الجمهورية العربية السورية"),
    "GB": ("UK", "Britain", "Great Britain", "England", "بريطانيا"),
    "US": ("USA", "United States of America", "الولايات المتحدة الأمريكية"),
    "TR": ("Turkey",),
    "RU": ("Russian Federation", "روسيا الاتحادية"),
}

ENGLISH = "en"


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    """pycountry's names of the countries in `language` (English when it has none)."""
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def _names(country) -> list[str]:
    """Every name the standard gives a country, in English and in Arabic."""
    english = [name for name in (country.name, getattr(country, "official_name", None),
                                 getattr(country, "common_name", None)) if name]
    return [country.alpha_2, country.alpha_3, *english,
            *(_catalog("ar").gettext(name) for name in english)]


@cache
def _index() -> dict[str, str]:
    """Each written name's normal form → its country's code."""
    index = {}
    for country in pycountry.countries:
        for name in _names(country):
            index.setdefault(normal(name), country.alpha_2)
    for code, names in (*SHORT_NAMES.items(), *OTHER_NAMES.items()):
        for name in names:
            index[normal(name)] = code
    return index


def resolve(written: str | None) -> str | None:
    """The code of the country `written` names (its code, a name in English or Arabic, a short
    form such as "Syria" or "سوريا"); None if it names none."""
    return _index().get(normal(written))


def code(written: str | None, field: str = "country") -> str:
    """The code of the country a person wrote ("" for none); Invalid naming what was written."""
    written = (written or "").strip()
    if not written:
        return ""
    found = resolve(written)
    if found is None:
        raise Invalid(_("%(field)s: “%(written)s” is not a country we know; write its name or its "
                        "ISO 3166 code, e.g. Syria or SY", field=field, written=written), field)
    return found


def is_code(value: str | None) -> bool:
    """Whether `value` is a country's code as stored (not a name an earlier version kept)."""
    return bool(value) and pycountry.countries.get(alpha_2=value) is not None


def name(value: str | None, language: str = ENGLISH) -> str:
    """The country's name in `language` (its short form where it has one); a value that is no
    code (kept from before countries were codes) as it is."""
    if not is_code(value):
        return value or ""
    if value in SHORT_NAMES:
        english, arabic = SHORT_NAMES[value]
        return arabic if language == "ar" else english
    country = pycountry.countries.get(alpha_2=value)
    english = getattr(country, "common_name", None) or country.name
    return english if language == ENGLISH else _catalog(language).gettext(country.name)


def searched(value: str) -> str:
    """A country as the search finds it: by its names in English and in Arabic."""
    return f"{name(value)} {name(value, 'ar')}" if is_code(value) else value


def wanted(written: str | None) -> str:
    """What a country filter compares the stored value with: the code of the country written,
    else what was written (a name kept from before countries were codes)."""
    written = (written or "").strip()
    return resolve(written) or written


class Country(Text):
    """A country's name inside a sentence: in English here, in the reader's language on a page
    (views/language.py)."""

    def __new__(cls, value: str):
        self = super().__new__(cls, name(value))
        self.code = value
        return self
