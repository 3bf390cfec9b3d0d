"""The catalogs: every message of the code and the templates has its Arabic translation, none
fuzzy, none dropping or adding a placeholder; Arabic counts take all six of its plural forms."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from workflow.words import Text, _n

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
#: The keywords `make translations` passes to pybabel, beside its defaults.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "_n": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


def source_messages() -> dict[tuple[str, str | None], str | tuple]:
    """Every message the code and templates mark, by (msgid, context), read afresh from the
    source (not the .pot)."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for _filename, _line, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found[key, context] = message
    return found


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def catalog():
    with open(CATALOG, "rb") as file:
        return read_po(file, locale="ar")


def test_every_message_of_the_source_has_an_arabic_translation(catalog):
    missing = [key for key, context in source_messages()
               if not ((found := catalog.get(key, context=context)) and _translated(found))]
    assert not missing, f"{len(missing)} messages without Arabic (run `make translations`): {missing[:20]}"


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def test_no_arabic_translation_is_fuzzy(catalog):
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not fuzzy, fuzzy[:20]


def test_no_translation_drops_or_adds_a_placeholder(catalog):
    wrong = []
    for message in catalog:
        if not message.id or not _translated(message):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(placeholders(text) for text in ids))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            # A plural form may say its count in words ("مهمة واحدة"): only `num` may be left out.
            left_out = wanted - placeholders(string) - ({"num"} if len(ids) > 1 else set())
            if left_out or placeholders(string) - wanted:
                wrong.append((ids[0], string))
    assert not wrong, wrong[:20]


def test_the_catalogs_follow_the_source(catalog):
    """No message of the catalog is one the source no longer has (`make translations` drops them)."""
    gone = {(message.id if isinstance(message.id, str) else message.id[0], message.context)
            for message in catalog if message.id} - set(source_messages())
    assert not gone, sorted(gone)[:20]


ARABIC_CASES = {0: "لا قضايا", 1: "قضية واحدة", 2: "قضيتان", 3: "3 قضايا", 11: "11 قضية", 100: "100 قضية"}


@pytest.mark.parametrize("count", sorted(ARABIC_CASES))
def test_arabic_counts_take_the_plural_form_their_number_needs(app, count):
    from views.language import translated
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        said = translated(_n("%(num)s case", "%(num)s cases", count))
    assert said == ARABIC_CASES[count]
    assert isinstance(_n("%(num)s case", "%(num)s cases", count), Text)
    assert str(_n("%(num)s case", "%(num)s cases", count)) == f"{count} case{'' if count == 1 else 's'}"
