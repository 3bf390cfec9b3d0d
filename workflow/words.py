"""Words for people: the names of the domain's codes, and counts with their plural right."""
from __future__ import annotations

#: Codes whose name is not the code with its underscores as spaces and a capital first letter.
NAMES = {
    "vx": "VX",
    "education_outreach": "Education and outreach",
    "open_source_media": "Open-source media",
    "non_state_group": "Non-state group",
    "lab_report": "Laboratory report",
    "lack_of_benefit": "Lack of benefit",
}


def human(code) -> str:
    """The name of a code as people say it: sulfur_mustard → "Sulfur mustard"."""
    code = "" if code is None else str(code)
    if code in NAMES:
        return NAMES[code]
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def inline(code) -> str:
    """The name of a code inside a sentence: "sulfur mustard", but "VX"."""
    name = human(code)
    return name if name.isupper() else name[:1].lower() + name[1:]


def humans(codes) -> str:
    """Codes as a list in words: "Chlorine, Sarin or Sulfur mustard"."""
    names = [human(code) for code in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def plural(count: int, word: str, words: str | None = None) -> str:
    """The count with its noun in the right number: "1 milestone", "0 milestones"."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
