"""The normal form written names are matched by, in the registers and among the countries."""
from __future__ import annotations

import unicodedata


def normal(name: str | None) -> str:
    """The form a name is matched by: no case, no accents or vowel marks, punctuation read as a
    space, one space between words ("Da’esh" and "da'esh" match, so do "OPCW-UN" and "opcw un")."""
    kept = []
    for character in unicodedata.normalize("NFKD", name or ""):
        category = unicodedata.category(character)
        if category.startswith("M"):
            continue
        kept.append(" " if category[0] in "PSZC" else character)
    return " ".join("".join(kept).casefold().split())
