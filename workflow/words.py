"""Words for people: the names of the domain's codes, counts with their plural right, and
sentences that a page says again in its reader's language."""
from __future__ import annotations

import html
from collections.abc import Callable


class Text(str):
    """A sentence in English that keeps its message and values, so that a page can say it in its
    reader's language (views/language.py); as a `str` it reads in English everywhere else."""

    #: How a page says a Text in its reader's language, as HTML: the views teach it (until then,
    #: English).
    say: Callable[[Text], str] = str.__str__

    def __html__(self) -> str:
        """In a template, a form's label or an option: said in the reader's language (as HTML)."""
        say = type(self).say
        return html.escape(self) if say is str.__str__ else say(self)

    def __new__(cls, message: str, plural: str | None = None, count: int | None = None, /,
                **values):
        values = {"num": f"{count:,}", **values} if plural is not None else values
        english = plural if plural is not None and count != 1 else message
        self = super().__new__(cls, english % values if values else english)
        self.message, self.plural, self.count, self.values = message, plural, count, values
        return self


def _(message: str, /, **values) -> Text:
    """Mark `message` for translation: `_("Case %(reference)s is closed.", reference=ref)`."""
    return Text(message, **values)


def _n(singular: str, plural: str, count: int, /, **values) -> Text:
    """Mark a counted sentence for translation: `_n("%(num)s task", "%(num)s tasks", n)`
    (`num` is the count as the reader writes numbers)."""
    return Text(singular, plural, count, **values)

#: Codes whose name is not the code with its underscores as spaces and a capital first letter.
NAMES = {
    "vx": "VX",
    "education_outreach": "Education and outreach",
    "open_source_media": "Open-source media",
    "non_state_group": "Non-state group",
    "non_governmental": "Non-governmental",
    "lab_report": "Laboratory report",
    "lack_of_benefit": "Lack of benefit",
}


def _english(code) -> str:
    code = "" if code is None else str(code)
    if code in NAMES:
        return NAMES[code]
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


#: Code sets shown as they are: languages by their own names.
NOT_NAMED = ("LANGUAGES", "RIGHT_TO_LEFT")


def human(code) -> Text:
    """The name of a code as people say it: sulfur_mustard → "Sulfur mustard"."""
    return Text(_english(code))


def inline(code) -> Text:
    """The name of a code inside a sentence: "sulfur mustard", but "VX"."""
    name = _english(code)
    return Text(name if name.isupper() else name[:1].lower() + name[1:])


def code_names(fileobj, keywords, comment_tags, options):
    """Babel extractor: the name of every code the vocabulary declares, as `human` and `inline`
    say it, so that the catalogs translate them (babel.cfg)."""
    import vocabulary
    seen = set()
    for name, value in vars(vocabulary).items():
        if name.startswith("_") or name in NOT_NAMED or not isinstance(value, tuple | dict):
            continue
        inside = []  # a dict's values: descriptions, or the codes it groups
        for part in value.values() if isinstance(value, dict) else ():
            inside += [part] if isinstance(part, str) else list(part) if isinstance(part, tuple) else []
        for code in [*value, *inside]:
            if isinstance(code, str) and len(code) > 1:
                for said in (str(human(code)), str(inline(code))):
                    if said not in seen:
                        seen.add(said)
                        yield 1, None, said, [f"the code {code} ({name})"]


class Series(Text):
    """Parts said one after another with a separator ("a; b; c"), each part and the separator
    in the reader's language; a part that is no Text is people's text, shown as it is."""

    def __new__(cls, parts, separator: Text | None = None):
        separator = _(", ") if separator is None else separator
        self = super().__new__(cls, str(separator).join(parts))
        self.parts, self.separator = list(parts), separator
        return self


def series(parts, separator: str = ", ") -> Series:
    """`parts` joined by ", " (or "; "), to be said in the reader's language."""
    return Series(parts, _("; ") if separator == "; " else _(", "))


def humans(codes) -> Text:
    """Codes as a list in words: "Chlorine, Sarin or Sulfur mustard"."""
    return Choices([human(code) for code in codes])


class Choices(Text):
    """Names of which one is meant, said as the reader lists alternatives: "A, B or C"."""

    def __new__(cls, names: list[Text]):
        english = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        self = super().__new__(cls, english)
        self.names = names
        return self


def plural(count: int, word: str, words: str | None = None) -> str:
    """The count with its noun in the right number: "1 milestone", "0 milestones"."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def recorded(value):
    """A sentence as JSON that keeps its message and values (and a series' parts), so that a
    record kept with it (a gate request's checklist) is said again in any reader's language."""
    if isinstance(value, Series):
        return {"series": [recorded(part) for part in value.parts], "separator": recorded(value.separator)}
    if isinstance(value, Choices):
        return {"choices": [recorded(name) for name in value.names]}
    if isinstance(value, Text):
        kept = {"message": value.message}
        if value.plural is not None:
            kept["plural"], kept["count"] = value.plural, value.count
        values = {name: recorded(part) for name, part in value.values.items()
                  if not (value.plural is not None and name == "num")}
        if values:  # only what the sentence has: it is kept in every gate request's record
            kept["values"] = values
        return kept
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def recalled(kept):
    """The sentence `recorded` kept, as a `Text` again (people's words stay as they are)."""
    if not isinstance(kept, dict):
        return kept
    if "series" in kept:
        return Series([recalled(part) for part in kept["series"]], recalled(kept["separator"]))
    if "choices" in kept:
        return Choices([recalled(name) for name in kept["choices"]])
    values = {name: recalled(part) for name, part in kept.get("values", {}).items()}
    return Text(kept["message"], kept.get("plural"), kept.get("count"), **values)
