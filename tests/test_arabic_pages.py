"""Every page of the URL map, as each role, in Arabic: `<html lang="ar" dir="rtl">`, and no
English word of the catalog left in what the page shows, but for text people wrote (marked
`dir="auto"` or `<bdi>`), codes, names and what is written in another language on purpose."""
from __future__ import annotations

import re
from functools import cache

import pytest
from bs4 import BeautifulSoup
from test_translations import source_messages
from urlmap import ROLES, addresses, more_pages, page_ids
from webclient import PASSWORD, post

#: Words that stay as they are in Arabic: the product's name, acronyms, formats and standards.
KEPT = {"restraint", "opcw", "utc", "csv", "jsonl", "json", "pdf", "api", "ffm", "jim", "iit", "cwc",
        "sha", "http", "https", "totp", "ed25519", "rfc", "iana", "openapi", "unsc", "vx", "jit"}
#: Elements whose text is not the interface's: people's text, codes, and other languages.
NOT_INTERFACE = "script, style, template, bdi, code, kbd, samp, pre, [dir=auto], [translate=no], [lang]:not([lang=ar])"
WORD = re.compile(r"[A-Za-z][a-z]{2,}")


@cache
def english_words() -> frozenset[str]:
    """The words of the English messages (placeholders taken out)."""
    words = set()
    for key, message in source_messages().items():
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                words.update(w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)\w|\{\w+\}", " ", text)))
    return frozenset(words - KEPT)


def leftover_english(html: str) -> list[str]:
    """The catalog's English words the page still shows as interface text."""
    page = BeautifulSoup(html, "html.parser")
    wrong = [] if (page.html.get("lang"), page.html.get("dir")) == ("ar", "rtl") else [
        f"<html lang={page.html.get('lang')} dir={page.html.get('dir')}>"]
    body = page.body
    for element in body.select(NOT_INTERFACE):
        element.decompose()
    words = english_words()
    return wrong + sorted({w for w in WORD.findall(body.get_text(" ")) if w.lower() in words})


def test_every_page_speaks_arabic_to_every_role(app, db, cast, full_case, make_case, move):
    from sqlalchemy import update

    from models.user import User
    with db.transaction() as session:
        session.execute(update(User).values(locale="ar"))
    candidates = addresses(app, page_ids(full_case, cast)) + more_pages(make_case, move, full_case)
    english, seen = {}, 0
    for role, username in ROLES.items():
        client = app.test_client()
        assert post(client, "/login", {"username": username, "password": PASSWORD}).status_code == 302
        for address in candidates:
            response = client.get(address)
            if response.status_code >= 500:  # a template error in Arabic
                english[f"{address} as {role}"] = [f"HTTP {response.status_code}"]
            elif response.status_code == 200 and response.mimetype == "text/html":
                seen += 1
                left = leftover_english(response.get_data(as_text=True))
                if left:
                    english[f"{address} as {role}"] = left
            response.close()
    assert seen > 100
    assert not english, "\n".join(f"{page}: {' '.join(words[:15])}" for page, words in english.items())


def test_the_sign_in_page_follows_the_browser_language(client):
    page = client.get("/login", headers={"Accept-Language": "ar,en;q=0.5"}).get_data(as_text=True)
    assert not leftover_english(page)
    english = BeautifulSoup(client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True),
                            "html.parser")
    assert english.html["lang"] == "en" and english.html["dir"] == "ltr"
